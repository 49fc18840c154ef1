//! The production path end to end: HeyGen reached over HTTPS with HTTP/2
//! offered, as `api.heygen.com` and `upload.heygen.com` are, the mock
//! serving TLS for `localhost` from the test CA (`start_mock_tls`). Every
//! other suite reaches a plain-HTTP mock, which the gateway speaks
//! HTTP/1.1 to.

use heygen_mock::media::wav;
use sha2::{Digest, Sha256};

use crate::common::*;
use crate::settlement::{create, read_status};
use crate::uploads::{scene, upload, v2_narrated};
use crate::{one_and_a_half, Rig};

/// Every request HeyGen saw came over HTTP/2, named its host in
/// `:authority` and carried the org key, never a tenant's.
fn all_http2_with_the_org_key(rig: &Rig) {
    let authority = rig.mock.url().replace("https://", "");
    let seen = rig.mock.requests();
    assert!(!seen.is_empty());
    for r in &seen {
        assert_eq!(r.version, http::Version::HTTP_2, "{} {}", r.method, r.path);
        assert_eq!(r.host.as_deref(), Some(authority.as_str()));
        assert_eq!(r.header("x-api-key"), Some(ORG_KEY));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_a_job_is_held_sent_over_http2_and_settled_at_its_length() {
    let rig = Rig::start_tls(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let read = rig.get("/v2/avatars").await;
    assert_eq!(read.status, 200, "{}", read.text());

    let (hold, video) = create(&rig, &one_and_a_half()).await;
    assert_eq!(rig.credits("alpha", "daily").await.0, "1.5");
    let sent = rig.mock.requests_to("/v2/video/generate");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].json(), Some(one_and_a_half()), "the body, whole");

    // 27.43 s rounds up to 30 s at 1 credit/min.
    assert!(rig.mock.complete(&video, 27.43));
    let done = read_status(&rig, &video).await;
    assert_eq!(done["data"]["status"], "completed", "{done}");
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "0.5", "{h}");
    assert_eq!(rig.credits("alpha", "daily").await.1, "0.5");
    all_http2_with_the_org_key(&rig);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_an_upload_past_http2s_windows_streams_whole_and_is_recorded() {
    let rig = Rig::start_tls(|c| c).await;
    // 200 s of audio, 3.2 MB: past HTTP/2's flow-control windows on both
    // sides, so it crosses in many window updates.
    let file = wav(200_000);
    let asset = upload(&rig, "alpha", "/v1/asset", &file).await;

    let up = rig.mock.requests_to("/v1/asset");
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].body_len, file.len() as u64);
    assert_eq!(up[0].body_sha256, hex::encode(Sha256::digest(&file)));
    // The gateway read the length from the bytes that streamed past.
    assert_eq!(
        scene(&rig, "/v2/video/generate", &v2_narrated(&asset)).await,
        ("recorded".to_string(), 200_000)
    );
    all_http2_with_the_org_key(&rig);
}
