//! Video Agent v3 sessions: a create that named no video and each revision
//! are held by one placeholder keyed by session; the session's videos are
//! bound to them oldest first, each video once, within the session and the
//! tenant whose placeholders they are. A placeholder never bound is
//! captured at its projection when its hold expires.

use chrono::Duration;
use heygen_gateway::clock::Clock;
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

/// An accepted Video Agent request of `tenant` on `session` held at
/// `held` credits, with its placeholder submitted; returns the hold.
async fn request(f: &Fixture, tenant: &str, session: &str, held: i64) -> String {
    let l = f.ledger.as_ref();
    let r = HoldRequest {
        feature: "video_agent".into(),
        route: "POST /v3/video-agents/{id}".into(),
        render: true,
        ..req(tenant, credits(held), f.clock.now())
    };
    let hold = crate::support::held(l.hold(r).await.unwrap());
    let job = JobRecord {
        job_id: agent_placeholder_id(session, &hold, 0),
        feature: "video_agent".into(),
        status_path: String::new(),
        held: credits(held),
        items: Vec::new(),
    };
    l.submit(&hold, &[job]).await.unwrap();
    // Submission times order the placeholders.
    f.clock.advance(Duration::seconds(1));
    hold
}

fn status(video: &str) -> String {
    format!("/v3/videos/{video}")
}

fn bound(b: PlaceholderBind) -> (String, String) {
    match b {
        PlaceholderBind::Bound { tenant, hold_id } => (tenant, hold_id),
        other => panic!("expected Bound, got {other:?}"),
    }
}

fn sessions(list: &[OpenSession]) -> Vec<(&str, u32)> {
    list.iter()
        .map(|s| (s.session_id.as_str(), s.placeholders))
        .collect()
}

/// A create and two revisions: their three videos bind in order, each to
/// its own hold, once; each hold then settles at its video's cost.
pub async fn a_sessions_videos_bind_oldest_first_and_once(f: Fixture) {
    let l = f.ledger.as_ref();
    let create = request(&f, "alpha", "s1", 4).await;
    let first = request(&f, "alpha", "s1", 4).await;
    let second = request(&f, "alpha", "s1", 4).await;
    let listed = l.agent_sessions(100).await.unwrap();
    assert_eq!(sessions(&listed), [("s1", 3)]);
    for (video, hold) in [("v1", &create), ("v2", &first), ("v3", &second)] {
        let b = l.bind_agent_video("s1", video, &status(video)).await;
        assert_eq!(bound(b.unwrap()), ("alpha".to_string(), hold.clone()));
        let job = l.get_job(video).await.unwrap().expect("bound job");
        assert_eq!(
            (job.hold_id.as_str(), job.status_path.as_str()),
            (hold.as_str(), status(video).as_str())
        );
        assert_eq!(l.owner_of(video).await.unwrap().unwrap().tenant, "alpha");
    }
    assert!(l.agent_sessions(100).await.unwrap().is_empty());
    // A repeated poll lists the same videos: nothing is bound twice.
    for video in ["v1", "v2", "v3"] {
        let again = l.bind_agent_video("s1", video, &status(video)).await;
        assert_eq!(
            again.unwrap(),
            PlaceholderBind::Known {
                tenant: Some("alpha".into())
            }
        );
    }
    // A video beyond the placeholders (made outside the gateway) is nobody's.
    let stray = l.bind_agent_video("s1", "v4", &status("v4")).await;
    assert_eq!(stray.unwrap(), PlaceholderBind::NoneOpen);
    assert!(l.get_job("v4").await.unwrap().is_none());

    // Each hold settles at its own video: 3, 1 and 6 credits.
    for (video, cost) in [("v1", 3), ("v2", 1), ("v3", 6)] {
        let done = JobSettlement::Completed {
            cost: credits(cost),
        };
        l.settle_job(video, done, "poller").await.unwrap();
    }
    for (hold, cost) in [(&create, 3), (&first, 1), (&second, 6)] {
        let h = l.get_hold(hold).await.unwrap().unwrap();
        assert_eq!((h.state, h.captured), (HoldState::Captured, credits(cost)));
    }
    // Bound again after settling: still nothing changes.
    let again = l.bind_agent_video("s1", "v2", &status("v2")).await;
    assert!(matches!(again.unwrap(), PlaceholderBind::Known { .. }));
}

/// A revision that rendered nothing keeps its placeholder until its hold
/// expires, captured at its projection; the expired placeholder is not
/// bound to a later video.
pub async fn an_unbound_placeholder_is_captured_at_its_projection(f: Fixture) {
    let l = f.ledger.as_ref();
    let create = request(&f, "alpha", "s1", 4).await;
    let message = request(&f, "alpha", "s1", 5).await;
    bound(l.bind_agent_video("s1", "v1", &status("v1")).await.unwrap());
    let done = JobSettlement::Completed { cost: credits(2) };
    l.settle_job("v1", done, "poller").await.unwrap();
    assert_eq!(sessions(&l.agent_sessions(100).await.unwrap()), [("s1", 1)]);
    let info = l.get_hold(&message).await.unwrap().unwrap();
    assert_eq!(info.state, HoldState::Submitted);

    let expired = l
        .expire_holds(f.clock.now() + Duration::hours(49))
        .await
        .unwrap();
    let ids: Vec<&str> = expired.iter().map(|e| e.hold_id.as_str()).collect();
    assert_eq!(ids, [message.as_str()]);
    let h = l.get_hold(&message).await.unwrap().unwrap();
    assert_eq!((h.state, h.captured), (HoldState::Expired, credits(5)));
    assert!(l.agent_sessions(100).await.unwrap().is_empty());
    let late = l.bind_agent_video("s1", "v2", &status("v2")).await;
    assert_eq!(late.unwrap(), PlaceholderBind::NoneOpen);
    let c = l.get_hold(&create).await.unwrap().unwrap();
    assert_eq!((c.state, c.captured), (HoldState::Captured, credits(2)));
}

/// Binding one session's videos touches only that session's placeholders
/// (not a session whose id merely starts with it), so never another
/// tenant's; placeholders of two tenants on one session bind nothing.
pub async fn a_sessions_binding_never_touches_another_tenants_holds(f: Fixture) {
    let l = f.ledger.as_ref();
    let beta_long = request(&f, "beta", "s1:x", 4).await;
    let alpha = request(&f, "alpha", "s1", 4).await;
    let beta = request(&f, "beta", "s2", 4).await;
    let listed = l.agent_sessions(100).await.unwrap();
    assert_eq!(sessions(&listed), [("s1:x", 1), ("s1", 1), ("s2", 1)]);
    let b = l.bind_agent_video("s1", "va", &status("va")).await;
    assert_eq!(bound(b.unwrap()), ("alpha".to_string(), alpha));
    let none = l.bind_agent_video("s1", "vb", &status("vb")).await;
    assert_eq!(none.unwrap(), PlaceholderBind::NoneOpen);
    for hold in [&beta_long, &beta] {
        let jobs = l.get_hold(hold).await.unwrap().unwrap();
        assert_eq!(jobs.state, HoldState::Submitted, "{hold}");
    }
    assert!(l.get_job("vb").await.unwrap().is_none());
    assert_eq!(
        sessions(&l.agent_sessions(100).await.unwrap()),
        [("s1:x", 1), ("s2", 1)]
    );

    // Two tenants' placeholders on one session (no rule lets that happen:
    // only a session's owner may message it): whose a video is cannot be
    // told, so neither is charged for it.
    request(&f, "alpha", "s3", 4).await;
    request(&f, "beta", "s3", 4).await;
    let several = l.bind_agent_video("s3", "vc", &status("vc")).await;
    assert_eq!(several.unwrap(), PlaceholderBind::SeveralTenants);
    assert!(l.get_job("vc").await.unwrap().is_none());
    assert_eq!(l.owner_of("vc").await.unwrap(), None);
}
