//! Pricing by recorded length (issue 11): a file uploaded through the
//! gateway (`POST /v1/asset` raw, `POST /v3/assets` multipart) has its
//! length read from the bytes that streamed past and recorded in the
//! ledger, so a request naming the asset id is held at that length (quote
//! basis `recorded`), across a restart; an asset id the gateway never saw
//! is held at the default.

use heygen_mock::media::wav;
use serde_json::{json, Value};

use crate::common::*;
use crate::Rig;

const BOUNDARY: &str = "gatewayUploadTest";

fn projected(r: &TestResponse) -> f64 {
    r.header("x-gateway-credits-projected")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no projection: {}", r.text()))
}

/// `file` as a `POST /v3/assets` body: its content type and bytes.
fn multipart(file: &[u8]) -> (String, Vec<u8>) {
    let mut b = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"narration.wav\"\r\nContent-Type: audio/wav\r\n\r\n"
    )
    .into_bytes();
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), b)
}

/// Uploads `file` as `tenant`; the asset id HeyGen answered.
pub(crate) async fn upload(rig: &Rig, tenant: &str, path: &str, file: &[u8]) -> String {
    let (content_type, body) = if path == "/v3/assets" {
        multipart(file)
    } else {
        ("audio/wav".to_string(), file.to_vec())
    };
    let token = tenant_token(tenant);
    let r = send(
        "POST",
        &rig.gw.url(path),
        &[("x-api-key", &token), ("content-type", &content_type)],
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let data = &r.json()["data"];
    data["asset_id"]
        .as_str()
        .or_else(|| data["id"].as_str())
        .unwrap_or_else(|| panic!("no asset id: {}", r.text()))
        .to_string()
}

pub(crate) fn v2_narrated(asset_id: &str) -> Value {
    json!({"video_inputs": [{
        "character": {"type": "avatar", "avatar_id": "Daisy-inskirt-20220818"},
        "voice": {"type": "audio", "audio_asset_id": asset_id},
    }]})
}

fn v3_narrated(asset_id: &str) -> Value {
    json!({"type": "avatar", "avatar_id": "a", "voice_id": "v", "audio_asset_id": asset_id})
}

/// The quote's first scene: (basis, projected ms).
pub(crate) async fn scene(rig: &Rig, path: &str, body: &Value) -> (String, u64) {
    let q = rig.quote("POST", path, body).await;
    let s = &q["quote"]["scenes"][0];
    (
        s["basis"].as_str().unwrap_or_default().to_string(),
        s["projected_ms"].as_u64().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_assets_are_held_at_their_recorded_length_across_a_restart() {
    let rig = Rig::start(|c| c).await;
    let legacy = upload(&rig, "alpha", "/v1/asset", &wav(7_300)).await;
    let v3 = upload(&rig, "alpha", "/v3/assets", &wav(7_300)).await;

    // v2 bills whole 30 s steps: 7.3 s is one step; the 180 s audio
    // default is six.
    let held = rig.post("/v2/video/generate", &v2_narrated(&legacy)).await;
    assert_eq!(held.status, 200, "{}", held.text());
    let unknown = rig
        .post("/v2/video/generate", &v2_narrated("never-uploaded"))
        .await;
    assert_eq!(unknown.status, 200, "{}", unknown.text());
    let (r, d) = (projected(&held), projected(&unknown));
    assert!((r * 6.0 - d).abs() < 1e-9, "recorded {r} vs default {d}");
    assert_eq!(
        scene(&rig, "/v2/video/generate", &v2_narrated(&legacy)).await,
        ("recorded".to_string(), 7_300)
    );
    assert_eq!(
        scene(&rig, "/v2/video/generate", &v2_narrated("never-uploaded"))
            .await
            .0,
        "audio_default"
    );
    // A multipart upload's file part, named in a v3 video.
    assert_eq!(
        scene(&rig, "/v3/videos", &v3_narrated(&v3)).await,
        ("recorded".to_string(), 7_300)
    );
    let v3_held = rig.post("/v3/videos", &v3_narrated(&v3)).await;
    assert_eq!(v3_held.status, 200, "{}", v3_held.text());

    // The record is in the ledger: a restart on the same file keeps it.
    let db = rig.gw.config_path.with_file_name("ledger.db");
    let Rig { mock, gw } = rig;
    let _files = gw.shutdown_keeping_files().await;
    let cfg = TestConfig::for_mock(&mock).set(
        "store",
        "url",
        &format!("{:?}", format!("sqlite://{}", db.display())),
    );
    let rig = Rig {
        gw: TestGateway::start(cfg).await,
        mock,
    };
    assert_eq!(
        scene(&rig, "/v2/video/generate", &v2_narrated(&legacy)).await,
        ("recorded".to_string(), 7_300)
    );
    let again = rig.post("/v2/video/generate", &v2_narrated(&legacy)).await;
    assert_eq!(projected(&again), r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_wide_tenants_upload_is_recorded_and_an_image_is_not_media() {
    let rig =
        Rig::start(|c| c.tenant("beta", |t| t.lines.push("isolation = \"org\"".into()))).await;
    // Org-wide: the upload passes isolation but its length still counts.
    let id = upload(&rig, "beta", "/v1/asset", &wav(7_300)).await;
    assert_eq!(
        scene(&rig, "/v2/video/generate", &v2_narrated(&id)).await,
        ("recorded".to_string(), 7_300)
    );
    // Not media: recorded without a duration, so the default applies.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01".to_vec();
    let image = upload(&rig, "alpha", "/v1/asset", &png).await;
    assert_eq!(
        scene(&rig, "/v2/video/generate", &v2_narrated(&image))
            .await
            .0,
        "audio_default"
    );
}

/// A v3 upload streams the client's file to HeyGen while the upstream
/// timeout runs: one slower than `request_timeout_ms` (3 MB over ~3 s,
/// against 1 s) still gets through under `upload_timeout_ms`, and its
/// length is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v3_upload_slower_than_the_request_timeout_gets_the_upload_timeout() {
    use futures_util::StreamExt;
    use http_body_util::{BodyExt, StreamBody};

    let rig = Rig::start(|c| c.set("upstream", "request_timeout_ms", "1000")).await;
    // 190 s of 8 kHz 16-bit audio: 3 MB.
    let (content_type, body) = multipart(&wav(190_000));
    let pieces: Vec<bytes::Bytes> = body
        .chunks(body.len().div_ceil(10))
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    let slow = futures_util::stream::iter(pieces).then(|p| async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        Ok::<_, std::io::Error>(hyper::body::Frame::data(p))
    });
    let token = tenant_token("alpha");
    let r = send_body(
        "POST",
        &rig.gw.url("/v3/assets"),
        &[("x-api-key", &token), ("content-type", &content_type)],
        BodyExt::boxed(StreamBody::new(slow)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let asset = r.json()["data"]["asset_id"].as_str().unwrap().to_string();
    assert_eq!(
        scene(&rig, "/v3/videos", &v3_narrated(&asset)).await,
        ("recorded".to_string(), 190_000)
    );
}
