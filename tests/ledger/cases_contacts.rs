//! Personalized-video projects: HeyGen's `personalized_video` webhook names
//! a contact's project and video but not the request that added it, so a
//! project's open contacts must be one tenant's. Another tenant's
//! `add_contact` hold is refused while they are open, and a bind that finds
//! placeholders of several tenants (left from before the rule) binds none.

use std::sync::Arc;

use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

/// An `add_contact` hold of `tenant` on `project`.
fn add_contact(tenant: &str, project: &str) -> HoldRequest {
    HoldRequest {
        feature: "template".into(),
        route: "POST /v1/personalized_video/add_contact".into(),
        contact_project: Some(project.into()),
        ..req(tenant, credits(2), t0())
    }
}

/// [`add_contact`] taken at `now`.
fn add_contact_at(tenant: &str, project: &str, now: chrono::DateTime<chrono::Utc>) -> HoldRequest {
    HoldRequest {
        now,
        expires_at: now + chrono::Duration::hours(48),
        ..add_contact(tenant, project)
    }
}

fn placeholder(project: &str, hold: &str, i: usize) -> JobRecord {
    JobRecord {
        job_id: placeholder_id(project, hold, i),
        feature: "template".into(),
        status_path: String::new(),
        held: credits(1),
        items: Vec::new(),
    }
}

fn in_use(d: HoldDecision, project: &str) {
    match d {
        HoldDecision::ProjectInUse { project_id } => assert_eq!(project_id, project),
        other => panic!("expected ProjectInUse, got {other:?}"),
    }
}

fn status(v: &str) -> String {
    format!("/v1/video_status.get?video_id={v}")
}

pub async fn a_projects_open_contacts_are_one_tenants_at_a_time(f: Fixture) {
    let l = f.ledger.as_ref();
    // Alpha's request is held, not answered yet: HeyGen may be rendering
    // its contacts, so beta may not add any to the project.
    let a = held(l.hold(add_contact("alpha", "proj1")).await.unwrap());
    in_use(l.hold(add_contact("beta", "proj1")).await.unwrap(), "proj1");
    // Other projects, and alpha's own further contacts, are not affected.
    held(l.hold(add_contact("beta", "proj2")).await.unwrap());
    let a2 = held(l.hold(add_contact("alpha", "proj1")).await.unwrap());
    l.release(&a2, "upstream_status_400").await.unwrap();
    // Answered: two placeholders, still refused until both are bound.
    l.submit(
        &a,
        &[placeholder("proj1", &a, 0), placeholder("proj1", &a, 1)],
    )
    .await
    .unwrap();
    in_use(l.hold(add_contact("beta", "proj1")).await.unwrap(), "proj1");
    let bound = l.bind_contact_video("proj1", "va1", &status("va1")).await;
    assert_eq!(bound.unwrap().as_deref(), Some("alpha"));
    in_use(l.hold(add_contact("beta", "proj1")).await.unwrap(), "proj1");
    let bound = l.bind_contact_video("proj1", "va2", &status("va2")).await;
    assert_eq!(bound.unwrap().as_deref(), Some("alpha"));

    // Alpha's contacts are all bound: beta's turn, and its video is its own.
    let b = held(l.hold(add_contact("beta", "proj1")).await.unwrap());
    in_use(
        l.hold(add_contact("alpha", "proj1")).await.unwrap(),
        "proj1",
    );
    l.submit(&b, &[placeholder("proj1", &b, 0)]).await.unwrap();
    let bound = l.bind_contact_video("proj1", "vb1", &status("vb1")).await;
    assert_eq!(bound.unwrap().as_deref(), Some("beta"));
    assert_eq!(l.owner_of("vb1").await.unwrap().unwrap().tenant, "beta");
    assert_eq!(l.get_job("vb1").await.unwrap().unwrap().hold_id, b);
    assert_eq!(l.owner_of("va1").await.unwrap().unwrap().tenant, "alpha");

    // A request whose hold ended unanswered (released) leaves the project.
    let lost = held(l.hold(add_contact("gamma", "proj3")).await.unwrap());
    in_use(l.hold(add_contact("beta", "proj3")).await.unwrap(), "proj3");
    l.release(&lost, "upstream_status_500").await.unwrap();
    held(l.hold(add_contact("beta", "proj3")).await.unwrap());
}

/// Alpha's contacts expire with one unbound (captured in full), and a hold
/// of it expires unanswered: HeyGen may still render those contacts, so the
/// project stays alpha's for two days after, and a late webhook finds no
/// placeholder of another tenant to charge. Then beta may use it.
pub async fn a_project_stays_with_contacts_that_expired(f: Fixture) {
    let l = f.ledger.as_ref();
    let a = held(l.hold(add_contact("alpha", "proj1")).await.unwrap());
    l.submit(
        &a,
        &[placeholder("proj1", &a, 0), placeholder("proj1", &a, 1)],
    )
    .await
    .unwrap();
    let bound = l.bind_contact_video("proj1", "va1", &status("va1")).await;
    assert_eq!(bound.unwrap().as_deref(), Some("alpha"));
    let lost = held(l.hold(add_contact("alpha", "proj2")).await.unwrap());
    let expired_at = t0() + chrono::Duration::hours(49);
    let expired = l.expire_holds(expired_at).await.unwrap();
    let mut ids: Vec<&str> = expired.iter().map(|h| h.hold_id.as_str()).collect();
    ids.sort_unstable();
    let mut want = vec![a.as_str(), lost.as_str()];
    want.sort_unstable();
    assert_eq!(ids, want);

    let at =
        |hours: i64| add_contact_at("beta", "proj1", expired_at + chrono::Duration::hours(hours));
    in_use(l.hold(at(1)).await.unwrap(), "proj1");
    let late = add_contact_at("beta", "proj2", expired_at + chrono::Duration::hours(47));
    in_use(l.hold(late).await.unwrap(), "proj2");
    let bound = l.bind_contact_video("proj1", "va2", &status("va2")).await;
    assert_eq!(bound.unwrap(), None, "nobody else is charged for it");
    // Alpha's own contacts are not held back.
    let again = held(
        l.hold(add_contact_at("alpha", "proj1", expired_at))
            .await
            .unwrap(),
    );
    l.release(&again, "upstream_status_400").await.unwrap();
    // Two days after the expiry, the project is free again.
    held(l.hold(at(49)).await.unwrap());
}

/// Placeholders of two tenants open on one project (taken before the rule
/// above): the webhook cannot say whose a video is, so it is bound to
/// neither, and the placeholders stay open for expiry to capture.
pub async fn placeholders_of_two_tenants_bind_nothing(f: Fixture) {
    let l = f.ledger.as_ref();
    // Holds without a recorded project, as written before the rule.
    let a = held(l.hold(req("alpha", credits(1), t0())).await.unwrap());
    l.submit(&a, &[placeholder("proj1", &a, 0)]).await.unwrap();
    f.clock.advance(chrono::Duration::seconds(1));
    let b = held(l.hold(req("beta", credits(1), t0())).await.unwrap());
    l.submit(&b, &[placeholder("proj1", &b, 0)]).await.unwrap();
    // Beta's contact renders first; neither tenant gets it.
    let path = status("vid_beta");
    let bound = l.bind_contact_video("proj1", "vid_beta", &path).await;
    assert_eq!(bound.unwrap(), None);
    assert_eq!(l.owner_of("vid_beta").await.unwrap(), None);
    assert!(l.get_job("vid_beta").await.unwrap().is_none());
    // The project is taken by both: a third tenant is refused too.
    in_use(
        l.hold(add_contact("gamma", "proj1")).await.unwrap(),
        "proj1",
    );
    for h in [&a, &b] {
        let hold = l.get_hold(h).await.unwrap().unwrap();
        assert_eq!(hold.state, HoldState::Submitted, "{h}");
    }
}

/// Two replicas taking `add_contact` holds of two tenants on one project
/// at once: every hold admitted is one tenant's.
pub async fn racing_add_contacts_leave_the_project_to_one_tenant(f: Fixture) {
    let replicas: Vec<Arc<dyn Ledger>> = vec![f.ledger.clone(), f.open_again().await];
    let mut tasks = Vec::new();
    for i in 0..16 {
        let l = replicas[i % 2].clone();
        let tenant = if i % 4 < 2 { "alpha" } else { "beta" };
        tasks.push(tokio::spawn(async move {
            let d = l.hold(add_contact(tenant, "proj1")).await.unwrap();
            (tenant, d)
        }));
    }
    let mut admitted = std::collections::BTreeSet::new();
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            (tenant, HoldDecision::Held { .. }) => {
                admitted.insert(tenant);
            }
            (_, d) => {
                in_use(d, "proj1");
                refused += 1;
            }
        }
    }
    assert_eq!(admitted.len(), 1, "{admitted:?}");
    assert_eq!(refused, 8, "the other tenant's eight are refused");
}
