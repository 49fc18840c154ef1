//! Ownership registry: owners recorded with the jobs of a submit, first
//! owner wins, ops assignment, survival across a reopen, and contact videos
//! bound to placeholders. Endpoints and reports are in `cases_records.rs`.

use std::collections::HashMap;

use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

pub(crate) fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub async fn submit_records_job_owners(f: Fixture) {
    let l = f.ledger.as_ref();
    let h = held(l.hold(req("acme", credits(2), t0())).await.unwrap());
    l.submit(&h, &[job("j1", credits(1)), job("j2", credits(1))])
        .await
        .unwrap();
    let o = l.owner_of("j1").await.unwrap().unwrap();
    assert_eq!((o.tenant.as_str(), o.kind.as_str()), ("acme", JOB_KIND));
    assert_eq!(l.owner_of("j2").await.unwrap().unwrap().tenant, "acme");
    assert_eq!(l.owner_of("nope").await.unwrap(), None);
    // Re-submitting the same job is a no-op for the registry too.
    l.submit(&h, &[job("j1", credits(1))]).await.unwrap();

    // Explicit kinds, and extra resources created by the same request.
    let h2 = held(l.hold(req("beta", credits(1), t0())).await.unwrap());
    let res = [
        ResourceRecord::new("v9", "video"),
        ResourceRecord::new("look1", "photo_avatar_look"),
    ];
    l.submit_with_resources(&h2, &[job("v9", credits(1))], &res)
        .await
        .unwrap();
    let list = l.list_resources("beta", None, 10).await.unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert!(list
        .iter()
        .all(|r| r.hold_id.as_deref() == Some(h2.as_str()) && r.source == "created"));
    let v9 = list.iter().find(|r| r.resource_id == "v9").unwrap();
    assert_eq!(v9.kind, "video");
    assert_eq!(v9.created_at, t0());
    let videos = l.list_resources("beta", Some("video"), 10).await.unwrap();
    assert_eq!(videos.len(), 1);
    assert_eq!(l.list_resources("beta", None, 1).await.unwrap().len(), 1);

    // A submit that fails records no owner (same transaction).
    let h3 = held(l.hold(req("acme", credits(1), t0())).await.unwrap());
    l.release(&h3, "upstream refused").await.unwrap();
    assert!(l.submit(&h3, &[job("j3", credits(1))]).await.is_err());
    assert_eq!(l.owner_of("j3").await.unwrap(), None);
}

pub async fn first_owner_wins(f: Fixture) {
    let l = f.ledger.as_ref();
    let video = |id: &str| ResourceRecord::new(id, "video");
    let none = l
        .record_resources("acme", &[video("r1"), video("r2")])
        .await
        .unwrap();
    assert!(none.is_empty());
    // Same tenant again: no-op.
    assert!(l
        .record_resources("acme", &[video("r1")])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(l.list_resources("acme", None, 10).await.unwrap().len(), 2);
    // Another tenant: reported, not overwritten.
    let c = l
        .record_resources("beta", &[video("r2"), video("r3")])
        .await
        .unwrap();
    assert_eq!(
        c,
        vec![ResourceConflict {
            resource_id: "r2".into(),
            owner: "acme".into()
        }]
    );
    assert_eq!(l.owner_of("r2").await.unwrap().unwrap().tenant, "acme");
    assert_eq!(l.owner_of("r3").await.unwrap().unwrap().tenant, "beta");

    let owners = l
        .owners_of(&ids(&["r1", "r2", "r3", "unknown"]))
        .await
        .unwrap();
    let want: HashMap<String, String> = [("r1", "acme"), ("r2", "acme"), ("r3", "beta")]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(owners, want);
    assert!(l.owners_of(&[]).await.unwrap().is_empty());

    // Many ids: batched and padded, every recorded one found.
    let many: Vec<ResourceRecord> = (0..600).map(|i| video(&format!("m{i}"))).collect();
    l.record_resources("gamma", &many).await.unwrap();
    let mut query: Vec<String> = (0..700).map(|i| format!("m{i}")).collect();
    query.push("r1".into());
    let owners = l.owners_of(&query).await.unwrap();
    assert_eq!(owners.len(), 601);
    assert_eq!(owners["m599"], "gamma");
    assert_eq!(owners["r1"], "acme");

    let err = l.record_resources("acme", &[video("")]).await.unwrap_err();
    assert!(matches!(err, LedgerError::InvalidState(_)), "{err}");
}

pub async fn concurrent_recorders_get_one_owner(f: Fixture) {
    let other = f.open_again().await;
    for i in 0..20 {
        let id = format!("race{i}");
        let rec = [ResourceRecord::new(&id, "video")];
        let (a, b) = tokio::join!(
            f.ledger.record_resources("acme", &rec),
            other.record_resources("beta", &rec)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let owner = f.ledger.owner_of(&id).await.unwrap().unwrap().tenant;
        // Exactly the loser is told who owns it.
        match owner.as_str() {
            "acme" => assert!(a.is_empty() && b.len() == 1 && b[0].owner == "acme"),
            "beta" => assert!(b.is_empty() && a.len() == 1 && a[0].owner == "beta"),
            o => panic!("unexpected owner {o}"),
        }
    }
}

pub async fn assign_adopts_and_journals(f: Fixture) {
    let l = f.ledger.as_ref();
    l.record_resources("acme", &[ResourceRecord::new("r1", "video")])
        .await
        .unwrap();
    l.assign(&ids(&["r1", "r9"]), "beta", "voice", "ops@example.com")
        .await
        .unwrap();
    for id in ["r1", "r9"] {
        let o = l.owner_of(id).await.unwrap().unwrap();
        assert_eq!((o.tenant.as_str(), o.kind.as_str()), ("beta", "voice"));
    }
    let list = l.list_resources("beta", None, 10).await.unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|r| r.source == "assigned"));
    assert!(l.list_resources("acme", None, 10).await.unwrap().is_empty());
    let j: Vec<JournalEntry> = all_journal(l)
        .await
        .into_iter()
        .filter(|e| e.kind == JournalKind::Assign)
        .collect();
    assert_eq!(j.len(), 1);
    assert_eq!(j[0].upstream_ids, ids(&["r1", "r9"]));
    assert_eq!(j[0].actor.as_deref(), Some("ops@example.com"));
    assert_eq!(j[0].tenant.as_deref(), Some("beta"));
    assert_eq!(j[0].amount, 0);
    let err = l.assign(&[], "beta", "voice", "ops").await.unwrap_err();
    assert!(matches!(err, LedgerError::InvalidState(_)), "{err}");
}

/// Owners (recorded, submitted with jobs, and assigned) and tenants'
/// endpoints survive closing and reopening the store.
pub async fn registry_survives_reopen(f: Fixture) {
    let l = f.ledger.as_ref();
    l.record_resources("acme", &[ResourceRecord::new("kept1", "video")])
        .await
        .unwrap();
    let h = held(l.hold(req("beta", credits(1), t0())).await.unwrap());
    l.submit(&h, &[job("kept2", credits(1))]).await.unwrap();
    l.assign(&ids(&["kept3"]), "acme", "asset", "ops")
        .await
        .unwrap();
    let f = f.reopen().await;
    let owners = f
        .ledger
        .owners_of(&ids(&["kept1", "kept2", "kept3"]))
        .await
        .unwrap();
    let want: HashMap<String, String> = [
        ("kept1".to_string(), "acme".to_string()),
        ("kept2".to_string(), "beta".to_string()),
        ("kept3".to_string(), "acme".to_string()),
    ]
    .into();
    assert_eq!(owners, want);
}

/// Personalized-video placeholders: a contact's video binds to the oldest
/// open placeholder of its project (a `_` in a project id is literal, not a
/// wildcard), becomes the hold tenant's, then settles like any job.
pub async fn contact_videos_bind_to_placeholders(f: Fixture) {
    let l = f.ledger.as_ref();
    let placeholder = |project: &str, hold: &str, i: usize| JobRecord {
        job_id: placeholder_id(project, hold, i),
        feature: "template".into(),
        status_path: String::new(),
        held: credits(1),
        items: Vec::new(),
    };
    let a = held(l.hold(req("acme", credits(2), t0())).await.unwrap());
    l.submit(&a, &[placeholder("p_1", &a, 0), placeholder("p_1", &a, 1)])
        .await
        .unwrap();
    f.clock.advance(chrono::Duration::seconds(1));
    let b = held(l.hold(req("beta", credits(1), t0())).await.unwrap());
    l.submit(&b, &[placeholder("pX1", &b, 0)]).await.unwrap();

    let path = |v: &str| format!("/v1/video_status.get?video_id={v}");
    // `p_1` must not match `pX1`: beta's placeholder stays open.
    for v in ["v1", "v2"] {
        let t = l.bind_contact_video("p_1", v, &path(v)).await.unwrap();
        assert_eq!(t.as_deref(), Some("acme"), "{v}");
    }
    assert_eq!(
        l.bind_contact_video("p_1", "v3", &path("v3"))
            .await
            .unwrap(),
        None
    );
    // Redelivery: same tenant, nothing changes.
    assert_eq!(
        l.bind_contact_video("p_1", "v1", &path("v1"))
            .await
            .unwrap()
            .as_deref(),
        Some("acme")
    );
    let job = l.get_job("v1").await.unwrap().expect("bound job");
    assert_eq!(
        (job.hold_id.as_str(), job.status_path.as_str()),
        (a.as_str(), path("v1").as_str())
    );
    assert_eq!(l.owner_of("v2").await.unwrap().unwrap().tenant, "acme");
    assert_eq!(
        l.bind_contact_video("pX1", "w1", &path("w1"))
            .await
            .unwrap()
            .as_deref(),
        Some("beta")
    );
    // Bound jobs settle the hold as usual.
    for v in ["v1", "v2"] {
        l.settle_job(
            v,
            JobSettlement::Completed {
                cost: credits(1) / 2,
            },
            "webhook",
        )
        .await
        .unwrap();
    }
    let h = l.get_hold(&a).await.unwrap().unwrap();
    assert_eq!(h.captured, credits(1));
}

/// A NUL in a looked-up id: PostgreSQL cannot store it in text and refuses
/// the value, which is the request's bad input, not the ledger failing
/// (no 503, no ledger-error count or alert). SQLite keeps any text.
pub async fn text_the_store_cannot_keep_is_bad_input(f: Fixture) {
    let r = f.ledger.owners_of(&ids(&["vid\0"])).await;
    match f.store {
        crate::Store::Sqlite(_) => assert!(r.unwrap().is_empty()),
        crate::Store::Postgres(_) => {
            let e = r.unwrap_err();
            assert!(matches!(e, LedgerError::BadInput(_)), "{e:?}");
            assert!(!e.is_failure());
        }
    }
    // The ledger works on.
    assert!(f.ledger.owners_of(&ids(&["vid"])).await.unwrap().is_empty());
}
