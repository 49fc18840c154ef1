//! Regressions found in review: each pins down behaviour the spec requires.

use heygen_gateway::catalog::{Billable, StatusRead};
use heygen_gateway::config::Tier;
use heygen_gateway::pricing::{self, JobOutcome, PlanPolicy, PriceBook};
use heygen_mock::send_webhook;
use serde_json::json;

use crate::common::*;
use crate::{hold_id, one_and_a_half, video_id, Rig, SETTLE_WAIT};

/// A signed `avatar_video_caption.fail` (the caption failed, the video
/// rendered) must not release the video's hold: the video is billed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caption_fail_webhook_does_not_release_a_rendered_video() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let resp = rig.post("/v2/video/generate", &one_and_a_half()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let (hold, video) = (hold_id(&resp), video_id(&resp));
    assert!(rig.mock.complete(&video, 61.0));

    let url = rig.gw.url("/gateway/v1/webhooks/heygen");
    let event = json!({"event_type": "avatar_video_caption.fail",
                       "event_data": {"video_id": video, "msg": "caption failed"}})
    .to_string();
    let st = send_webhook(&url, WEBHOOK_SECRET, false, event.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(st.as_u16(), 200);
    // A `.fail` event only says "look now": the gateway re-reads the status
    // (completed, 61 s) and settles from it. Wait for that settlement rather
    // than for a fixed time, so a release however late is seen.
    eventually_async(
        || async { rig.hold(&hold).await["state"] != "submitted" },
        SETTLE_WAIT,
    )
    .await;
    let h = rig.hold(&hold).await;
    assert_eq!(
        h["state"], "captured",
        "rendered video must be charged: {h}"
    );
    assert_eq!(h["captured"], "1.5", "{h}");
    // A tenant's later read of the same status changes nothing.
    let s = rig
        .get(&format!("/v1/video_status.get?video_id={video}"))
        .await;
    assert_eq!(s.status, 200);
    let journal = rig.journal_when_quiet().await;
    let kinds: Vec<&str> = journal
        .iter()
        .filter(|e| e["hold_id"] == hold.as_str())
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["hold", "submit", "capture"], "{journal:?}");
    assert_eq!(rig.hold(&hold).await["captured"], "1.5");
}

/// The job a status read settles must be the job the answer describes.
/// HeyGen answers for one `video_id`; with the parameter repeated (or its
/// name percent-encoded) the gateway's first-match parser may pick another.
#[test]
fn status_read_settles_the_job_the_body_describes() {
    // HeyGen (last value wins, as in Starlette/FastAPI) answers for B, which failed.
    let body = json!({"code": 100, "message": "Success",
                      "data": {"id": "vidB", "status": "failed", "duration": null,
                               "error": {"code": 1, "message": "x"}}})
    .to_string();
    let got = pricing::status_outcome(
        &StatusRead::V1VideoStatus,
        "/v1/video_status.get",
        Some("video_id=vidA&video_id=vidB"),
        body.as_bytes(),
    );
    assert_ne!(
        got,
        Some(("vidA".to_string(), JobOutcome::Failed)),
        "job A (expensive, still rendering) would be released by B's failure"
    );
}

/// Text without spaces between words (commas, Thai) must not project to
/// ~1 s: 6,000 words is ~40 min of speech and must hit the 30-min cap.
#[test]
fn comma_joined_script_is_not_projected_as_one_word() {
    let words: Vec<String> = (0..6000).map(|i| format!("word{i}")).collect();
    let body = json!({"video_inputs": [{
        "character": {"type": "avatar", "avatar_id": "a"},
        "voice": {"type": "text", "voice_id": "v", "input_text": words.join(",")}}]})
    .to_string();
    let plan = PlanPolicy {
        tier: Tier::PayAsYouGo,
        max_video_seconds: 1800,
        test_mode: heygen_gateway::pricing::TestMode::Billed,
    };
    let q = pricing::quote(
        &PriceBook::builtin(),
        &plan,
        &Billable::StudioVideo,
        body.as_bytes(),
    );
    match q {
        Err(e) => assert_eq!(e.code(), "video_too_long", "{e}"),
        Ok(q) => panic!(
            "6,000 comma-joined words projected at {} ms, {} credits",
            q.projected_ms,
            heygen_gateway::money::format_credits(q.credits)
        ),
    }
}
