//! The production path end to end: HeyGen reached over HTTPS with HTTP/2
//! offered, as `api.heygen.com` and `upload.heygen.com` are, the mock
//! serving TLS for `localhost` from the test CA (`start_mock_tls`). Every
//! other suite reaches a plain-HTTP mock, which the gateway speaks
//! HTTP/1.1 to.

use heygen_mock::media::wav;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::common::*;
use crate::{hold_id, one_and_a_half, video_id, Rig};

async fn rig(f: impl FnOnce(TestConfig) -> TestConfig) -> Rig {
    let mock = start_mock_tls().await;
    let gw = TestGateway::start(f(TestConfig::for_mock(&mock))).await;
    Rig { mock, gw }
}

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
    let rig = rig(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let read = rig.get("/v2/avatars").await;
    assert_eq!(read.status, 200, "{}", read.text());

    let resp = rig.post("/v2/video/generate", &one_and_a_half()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let (hold, video) = (hold_id(&resp), video_id(&resp));
    assert_eq!(rig.credits("alpha", "daily").await.0, "1.5");
    let sent = rig.mock.requests_to("/v2/video/generate");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].json(), Some(one_and_a_half()), "the body, whole");

    // 27.43 s rounds up to 30 s at 1 credit/min.
    assert!(rig.mock.complete(&video, 27.43));
    let done = rig
        .get(&format!("/v1/video_status.get?video_id={video}"))
        .await;
    assert_eq!(
        done.json()["data"]["status"],
        "completed",
        "{}",
        done.text()
    );
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "0.5", "{h}");
    assert_eq!(rig.credits("alpha", "daily").await.1, "0.5");
    all_http2_with_the_org_key(&rig);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_an_upload_past_http2s_windows_streams_whole_and_is_recorded() {
    let rig = rig(|c| c).await;
    // 200 s of audio, 3.2 MB: past HTTP/2's flow-control windows on both
    // sides, so it crosses in many window updates.
    let file = wav(200_000);
    let token = tenant_token("alpha");
    let headers = [("x-api-key", token.as_str()), ("content-type", "audio/wav")];
    let r = send("POST", &rig.gw.url("/v1/asset"), &headers, file.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let asset = r.json()["data"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no asset id: {}", r.text()))
        .to_string();

    let up = rig.mock.requests_to("/v1/asset");
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].body_len, file.len() as u64);
    assert_eq!(up[0].body_sha256, hex::encode(Sha256::digest(&file)));
    // The gateway read the length from the bytes that streamed past.
    let narrated = json!({"video_inputs": [{
        "character": {"type": "avatar", "avatar_id": "Daisy-inskirt-20220818"},
        "voice": {"type": "audio", "audio_asset_id": asset},
    }]});
    let q = rig.quote("POST", "/v2/video/generate", &narrated).await;
    assert_eq!(q["quote"]["scenes"][0]["basis"], "recorded", "{q}");
    assert_eq!(q["quote"]["scenes"][0]["projected_ms"], 200_000, "{q}");
    all_http2_with_the_org_key(&rig);
}
