//! Tests of registration and the exported names: one registry takes the
//! families once, and the dashboard and alert rules name only families
//! this module exports.
//!
//! Their own file, beside `tests.rs` (the request-path series and the
//! shared helpers) and `tests_gauges.rs`, to keep each topic short.

use std::collections::BTreeSet;
use std::time::Duration;

use super::tests::setup;
use super::*;

#[test]
fn registering_twice_on_one_registry_fails() {
    let (reg, _m) = setup();
    assert!(Metrics::register(&reg).is_err());
}

/// Every `heygen_gateway_*` name in the dashboard and the alert rules is a
/// family this module exports, so a rename cannot silently break them.
#[test]
fn deploy_files_use_only_exported_names() {
    let (reg, m) = setup();
    let d = Duration::from_millis(1);
    m.request("video", 200, "admitted", d);
    m.upstream("video", d);
    for kind in [
        CreditKind::Projected,
        CreditKind::Held,
        CreditKind::Captured,
        CreditKind::Released,
    ] {
        m.credits(kind, "t", "f", 1);
    }
    m.rejection("r");
    m.shadow_rejection("t", "r");
    m.ledger_error("op");
    m.set_budget("t", "daily", Some(1), 0, Some(1), Some(1));
    m.set_renders_in_flight("t", 1);
    m.set_budget_shadow("t", false);
    m.rate_limit_fallback_series("timeout");
    ThresholdTracker::new(m.clone(), &[80]).observe("t", "daily", "p", 0.0);
    let exported: BTreeSet<String> = reg.gather().iter().map(|f| f.name().to_owned()).collect();

    let files = [
        (
            "grafana",
            include_str!("../../deploy/grafana/heygen-gateway.json"),
        ),
        (
            "rules",
            include_str!("../../deploy/k8s/prometheusrule.yaml"),
        ),
    ];
    for (what, text) in files {
        let mut rest = text;
        let mut found = 0;
        while let Some(at) = rest.find("heygen_gateway_") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let name = &tail[..end];
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .filter(|base| exported.contains(*base))
                .unwrap_or(name);
            assert!(
                exported.contains(family),
                "{what} uses `{name}`, not exported; exported: {exported:?}"
            );
            found += 1;
            rest = &tail[end..];
        }
        assert!(found > 5, "{what}: expected metric references");
    }
}
