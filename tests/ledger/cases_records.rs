//! The ledger's other records: tenants' webhook endpoints (create, list,
//! delete), the spend report per tenant and feature over a period, and
//! calibration samples pairing projected and real lengths.

use heygen_gateway::ledger::*;

use crate::cases_registry::ids;
use crate::support::*;
use crate::Fixture;

pub async fn endpoints_lifecycle(f: Fixture) {
    let l = f.ledger.as_ref();
    let ev = |v: &[&str]| ids(v);
    let a = l
        .add_endpoint(
            "acme",
            "https://a.example/hook",
            &ev(&["avatar_video.success"]),
            "s1",
            20,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.tenant, "acme");
    assert_eq!(a.created_at, t0());
    // Listed oldest first.
    f.clock.advance(chrono::Duration::seconds(1));
    let all = l
        .add_endpoint("acme", "https://b.example/hook", &ev(&["*"]), "s2", 20)
        .await
        .unwrap()
        .unwrap();
    l.add_endpoint("beta", "https://c.example/hook", &ev(&["*"]), "s3", 20)
        .await
        .unwrap()
        .unwrap();
    for (url, events) in [
        ("ftp://x", ev(&["a"])),
        ("https://x", ev(&[])),
        ("https://x", ev(&["a,b"])),
    ] {
        let err = l
            .add_endpoint("acme", url, &events, "s", 20)
            .await
            .unwrap_err();
        assert!(matches!(err, LedgerError::InvalidState(_)), "{err}");
    }

    let listed = l.list_endpoints("acme").await.unwrap();
    assert_eq!(listed, vec![a.clone(), all.clone()]);
    let on_success = l
        .endpoints_for("acme", "avatar_video.success")
        .await
        .unwrap();
    assert_eq!(on_success.len(), 2);
    let secrets: Vec<&str> = on_success.iter().map(|e| e.secret.as_str()).collect();
    assert!(secrets.contains(&"s1") && secrets.contains(&"s2"));
    let on_fail = l.endpoints_for("acme", "avatar_video.fail").await.unwrap();
    assert_eq!(on_fail.len(), 1);
    assert_eq!(on_fail[0].info.id, all.id);
    // Endpoints are owned resources of their tenant.
    let o = l.owner_of(&a.id).await.unwrap().unwrap();
    assert_eq!(
        (o.tenant.as_str(), o.kind.as_str()),
        ("acme", "webhook_endpoint")
    );

    assert!(!l.delete_endpoint("beta", &a.id).await.unwrap());
    assert!(l.delete_endpoint("acme", &a.id).await.unwrap());
    assert!(!l.delete_endpoint("acme", &a.id).await.unwrap());
    assert_eq!(l.list_endpoints("acme").await.unwrap(), vec![all]);
    assert_eq!(l.list_endpoints("beta").await.unwrap().len(), 1);
}

/// The spend report sums the journal per tenant and feature in a period
/// (the same SQL on both backends).
pub async fn spend_report_sums_the_period(f: Fixture) {
    let l = f.ledger.as_ref();
    let a = held(l.hold(req("acme", credits(3), t0())).await.unwrap());
    l.capture_hold(&a, credits(4)).await.unwrap();
    let b = held(l.hold(req("acme", credits(2), t0())).await.unwrap());
    l.release(&b, "upstream refused").await.unwrap();
    held(l.hold(req("beta", credits(1), t0())).await.unwrap());
    let day = chrono::Duration::days(1);
    let rows = l.spend_report(t0() - day, t0() + day).await.unwrap();
    let acme = rows.iter().find(|r| r.tenant == "acme").expect("acme");
    assert_eq!(
        (
            acme.requests,
            acme.held,
            acme.captured,
            acme.released,
            acme.overage
        ),
        (2, credits(5), credits(4), credits(2), credits(1)),
        "{rows:?}"
    );
    let beta = rows.iter().find(|r| r.tenant == "beta").expect("beta");
    assert_eq!((beta.held, beta.captured), (credits(1), 0));
    assert!(l
        .spend_report(t0() + day, t0() + day * 2)
        .await
        .unwrap()
        .is_empty());
}

/// Calibration samples: projected lengths recorded at submit, real ones at
/// settlement; only jobs with both, settled since the cut-off, come back.
pub async fn calibration_samples_pair_projected_and_real(f: Fixture) {
    let l = f.ledger.as_ref();
    let h = held(l.hold(req("acme", credits(2), t0())).await.unwrap());
    l.submit(&h, &[job("c1", credits(1)), job("c2", credits(1))])
        .await
        .unwrap();
    l.record_projections(&[("c1".into(), 30_000), ("c2".into(), 60_000)])
        .await
        .unwrap();
    let done = JobSettlement::Completed { cost: credits(1) };
    l.settle_job("c1", done, "status").await.unwrap();
    assert_eq!(
        l.record_job_length("c1", 45_000).await.unwrap(),
        Some(("video_translation".to_string(), 30_000))
    );
    assert_eq!(l.record_job_length("nope", 1).await.unwrap(), None);
    let s = l
        .calibration_samples(t0() - chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(s.len(), 1, "c2 has no real length yet: {s:?}");
    assert_eq!(
        (s[0].tenant.as_str(), s[0].projected_ms, s[0].actual_ms),
        ("acme", 30_000, 45_000)
    );
    let later = l
        .calibration_samples(t0() + chrono::Duration::days(1))
        .await
        .unwrap();
    assert!(later.is_empty());
}
