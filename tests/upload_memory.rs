//! A 200+ MB upload streams through the gateway to the upload host without
//! being held in memory. Its own test binary, with a single test, so the
//! process's peak RSS reflects this upload only.

mod common;

use common::*;

/// Total upload size: a little over 200 MiB.
const TOTAL: u64 = 200 * 1024 * 1024 + 12_345;
/// Chunk size of the streamed body.
const CHUNK: usize = 256 * 1024;
/// How much the process's peak RSS may grow while the upload streams.
const MAX_GROWTH_BYTES: u64 = 64 * 1024 * 1024;

/// The process's peak resident set size (`VmHWM`) in bytes.
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("VmHWM value");
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_upload_streams_to_the_upload_host_with_bounded_memory() {
    let api = start_mock().await;
    let upload = start_mock().await;
    let cfg =
        TestConfig::for_mock(&api).set("upstream", "upload_url", &format!("{:?}", upload.url()));
    let gw = TestGateway::start(cfg).await;
    let token = tenant_token("alpha");

    // Generated lazily, chunk by chunk; only its hash is known up front.
    let (body, sha256) = chunked_body(TOTAL, CHUNK);
    let before = peak_rss_bytes();
    let r = send_body(
        "POST",
        &gw.url("/v1/asset"),
        &[("x-api-key", &token), ("content-type", "video/mp4")],
        body,
    )
    .await;
    let after = peak_rss_bytes();
    assert_eq!(r.status, 200, "{}", r.text());

    // Every byte reached the upload host, in order, and nothing the API host.
    let uploads = upload.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].bytes, TOTAL);
    assert_eq!(uploads[0].sha256, sha256);
    assert_eq!(r.json()["data"]["id"], uploads[0].id.as_str());
    let seen = upload.requests_to("/v1/asset");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("x-api-key"), Some(ORG_KEY));
    assert_eq!(api.count(), 0, "the upload went to the API host");

    let growth = after.saturating_sub(before);
    assert!(
        growth < MAX_GROWTH_BYTES,
        "peak RSS grew by {} MiB streaming {} MiB (before {} MiB, after {} MiB)",
        growth >> 20,
        TOTAL >> 20,
        before >> 20,
        after >> 20
    );
    eprintln!(
        "peak RSS grew by {} KiB streaming {} MiB",
        growth >> 10,
        TOTAL >> 20
    );
}
