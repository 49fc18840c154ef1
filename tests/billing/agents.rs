//! Video Agent v3 sessions, settled video by video: HeyGen's answer to a
//! revision (`POST /v3/video-agents/{id}`) names the session and a run,
//! never a video (heygen-cli gen/video-agent.go), and a create may name
//! none yet. Each such request is held by a placeholder; the poller binds
//! the session's videos (`GET /v3/video-agents/{id}/videos`) to them oldest
//! first, and each settles at its own video's real length. Before, a
//! revision's job was the session itself: the second revision of a session
//! could not be recorded and stayed held (budget and a render slot) until
//! its TTL, and a session's status named only its latest video.

use serde_json::{json, Value};

use crate::common::*;
use crate::{assert_refused, hold_id, manual_clock, Rig, SETTLE_WAIT};

const AGENTS: &str = "/v3/video-agents";

/// The poller runs every second and polls jobs at any age.
fn polled(c: TestConfig) -> TestConfig {
    c.tenant_budgets("alpha", "daily = 100")
        .tenant_budgets("beta", "daily = 100")
        .set("settlement", "poll_interval_seconds", "1")
        .set("settlement", "poll_min_age_seconds", "0")
}

/// Creates a session as `tenant`; returns `(hold, session, answer data)`.
async fn create(rig: &Rig, tenant: &str) -> (String, String, Value) {
    let body = json!({"prompt": "a product demo"}).to_string();
    let resp = rig.call(tenant, "POST", AGENTS, &[], body).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let data = resp.json()["data"].clone();
    let session = data["session_id"].as_str().expect("session").to_string();
    (hold_id(&resp), session, data)
}

/// Sends a revision to `session` as alpha; returns the hold.
async fn revise(rig: &Rig, session: &str) -> String {
    let resp = revision(rig, "alpha", session).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let data = &resp.json()["data"];
    assert_eq!(data["session_id"], session, "{data}");
    assert!(
        data["run_id"].is_string() && data.get("video_id").is_none(),
        "{data}"
    );
    // 120 s by default at 2 credits/min, like a create.
    assert_eq!(resp.header("x-gateway-credits-projected"), Some("4"));
    hold_id(&resp)
}

async fn revision(rig: &Rig, tenant: &str, session: &str) -> TestResponse {
    let body = json!({"message": "make it shorter"}).to_string();
    let path = format!("{AGENTS}/{session}");
    rig.call(tenant, "POST", &path, &[], body).await
}

/// The session's videos at the mock, oldest first.
fn videos(rig: &Rig, session: &str) -> Vec<String> {
    rig.mock
        .jobs()
        .into_iter()
        .filter(|j| j.session_id.as_deref() == Some(session))
        .map(|j| j.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_revision_settles_at_its_own_video_and_frees_its_render_slot() {
    let rig = Rig::start(|c| polled(c).tenant_limits("alpha", "renders_in_flight = 1")).await;
    let (first, session, data) = create(&rig, "alpha").await;
    // The create named its video: that video is its job, as before.
    let v1 = data["video_id"].as_str().expect("video").to_string();
    assert!(rig.mock.complete(&v1, 60.0));
    assert_eq!(rig.wait_hold(&first, "captured").await["captured"], "2");

    let second = revise(&rig, &session).await;
    assert_eq!(rig.hold(&second).await["state"], "submitted");
    // Its render slot is taken until its video settles.
    let refused = revision(&rig, "alpha", &session).await;
    assert_refused(
        &refused,
        429,
        "concurrency_limit_exceeded",
        "renders_in_flight",
    );
    let v2 = videos(&rig, &session)[1].clone();
    assert!(rig.mock.complete(&v2, 30.0));
    assert_eq!(rig.wait_hold(&second, "captured").await["captured"], "1");

    // The slot is free: a second revision, its own video, its own length.
    // (Before, its job was the session id again, which the ledger refused.)
    let third = revise(&rig, &session).await;
    let v3 = videos(&rig, &session)[2].clone();
    assert!(rig.mock.complete(&v3, 90.0));
    assert_eq!(rig.wait_hold(&third, "captured").await["captured"], "3");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "6"));

    // The revision's video is alpha's: beta cannot read it.
    let read = format!("/v3/videos/{v2}");
    assert_eq!(rig.get(&read).await.status, 200);
    let beta = rig.call("beta", "GET", &read, &[], "").await;
    assert_eq!(beta.header("x-gateway-rejected"), Some("not_owner"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_without_a_video_and_two_revisions_bind_their_videos_in_order() {
    let rig = Rig::start(polled).await;
    rig.mock.set_agent_video_id_later(true);
    let (create_hold, session, data) = create(&rig, "alpha").await;
    assert!(data["video_id"].is_null(), "{data}");
    let first = revise(&rig, &session).await;
    let second = revise(&rig, &session).await;
    // Beta, on its own session meanwhile, is billed for its own video only;
    // alpha's session is not beta's to revise.
    let (beta_hold, beta_session, _) = create(&rig, "beta").await;
    let stranger = revision(&rig, "beta", &session).await;
    assert_eq!(stranger.header("x-gateway-rejected"), Some("not_owner"));

    // Three videos made within a second: HeyGen's newest-first order tells
    // them apart. They finish in reverse, each at its own length.
    let made = videos(&rig, &session);
    assert_eq!(made.len(), 3);
    for (video, secs) in made.iter().zip([60.0, 90.0, 30.0]).rev() {
        assert!(rig.mock.complete(video, secs));
    }
    assert!(rig.mock.complete(&videos(&rig, &beta_session)[0], 150.0));
    for (hold, credits) in [
        (&create_hold, "2"),
        (&first, "3"),
        (&second, "1"),
        (&beta_hold, "5"),
    ] {
        let h = rig.wait_hold(hold, "captured").await;
        assert_eq!(h["captured"], credits, "{h}");
    }

    // Repeated polls list the same videos: each is bound and charged once.
    let before = rig
        .mock
        .requests_to(&format!("{AGENTS}/{session}/videos"))
        .len();
    assert!(before > 0, "the session's videos were listed");
    let journal = rig.journal_when_quiet().await;
    let captures = |hold: &str| {
        journal
            .iter()
            .filter(|e| e["hold_id"] == hold && e["kind"] == "capture")
            .count()
    };
    for hold in [&create_hold, &first, &second, &beta_hold] {
        assert_eq!(captures(hold), 1, "{hold}: {journal:?}");
    }
    assert_eq!(rig.credits("alpha", "daily").await.1, "6");
    assert_eq!(rig.credits("beta", "daily").await.1, "5");
    for video in &made {
        let read = rig.get(&format!("/v3/videos/{video}")).await;
        assert_eq!(read.status, 200, "alpha's: {}", read.text());
    }
    // `ledger verify` follows the placeholders to their videos.
    let verify = rig.admin("GET", "/admin/v1/ledger/verify", "").await.json();
    assert_eq!(verify["ok"], true, "{verify}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_that_made_no_video_is_captured_at_its_projection_at_the_ttl() {
    let clock = manual_clock("2026-03-10T12:00:00Z");
    let rig = Rig::start_with_clock(
        |c| {
            polled(c)
                .tenant_limits("alpha", "renders_in_flight = 1")
                .set("settlement", "hold_ttl_seconds", "600")
        },
        clock.clone(),
    )
    .await;
    let (first, session, data) = create(&rig, "alpha").await;
    let v1 = data["video_id"].as_str().expect("video").to_string();
    assert!(rig.mock.complete(&v1, 60.0));
    // The clock stands still, so the poller never finds the job old enough:
    // the tenant's status read settles it.
    assert_eq!(rig.get(&format!("/v3/videos/{v1}")).await.status, 200);
    rig.wait_hold(&first, "captured").await;

    // The agent answers the message without rendering anything.
    rig.mock.set_agent_revisions_render(false);
    let message = revise(&rig, &session).await;
    let listed = format!("{AGENTS}/{session}/videos");
    eventually(|| rig.mock.requests_to(&listed).len() >= 2, SETTLE_WAIT).await;
    // The list shows only the create's video, already its job: nothing is
    // bound, the message keeps its hold (HeyGen cannot say whether a video
    // will follow).
    let h = rig.hold(&message).await;
    assert_eq!(h["state"], "submitted", "{h}");
    assert_eq!(rig.hold(&first).await["captured"], "2");

    clock.advance(chrono::Duration::seconds(601));
    let h = rig.wait_hold(&message, "expired").await;
    assert_eq!(h["captured"], "4", "at its projection: {h}");
    // Its render slot is free again.
    rig.mock.set_agent_revisions_render(true);
    revise(&rig, &session).await;
}
