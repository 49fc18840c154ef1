//! The cross-reference invariants: every stored idempotent response names
//! a hold of its tenant, and every job has an owner in `resources`. They
//! check links between tables rather than amounts, so they sit apart from
//! the counter and hold checks.

use std::collections::{HashMap, HashSet};

use super::report::{Check, IdempotencyStats, Violation};
use super::snapshot::Snapshot;
use crate::ledger::rows::HoldRow;

/// Header naming the hold in a stored billable response (see `proxy::billable`).
const HOLD_ID_HEADER: &str = "x-gateway-hold-id";
pub(super) fn check_idempotency(
    snap: &Snapshot,
    holds: &HashMap<&str, &HoldRow>,
    out: &mut Vec<Violation>,
) -> IdempotencyStats {
    let mut stats = IdempotencyStats::default();
    for k in &snap.idempotency {
        stats.keys += 1;
        let named = k
            .headers
            .as_deref()
            .filter(|_| k.state == "done")
            .and_then(|h| crate::ledger::rows::headers_from_json(h).ok())
            .and_then(|hs| {
                hs.into_iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(HOLD_ID_HEADER))
                    .map(|(_, v)| v)
            });
        let Some(hold_id) = named else {
            stats.unlinked += 1;
            continue;
        };
        match holds.get(hold_id.as_str()) {
            Some(h) if h.tenant == k.tenant => stats.linked += 1,
            found => {
                let mut v = Violation::new(
                    Check::Idempotency,
                    format!("hold {hold_id} of tenant {}", k.tenant),
                    found.map_or("no such hold".into(), |h| format!("tenant {}", h.tenant)),
                    "stored response names a hold the ledger does not have".into(),
                )
                .hold(&hold_id);
                v.idempotency_key = Some(format!("{}/{}", k.tenant, k.key));
                out.push(v);
            }
        }
    }
    stats
}

pub(super) fn check_owners(snap: &Snapshot, out: &mut Vec<Violation>) {
    let owned: HashSet<&str> = snap
        .resources
        .iter()
        .map(|r| r.resource_id.as_str())
        .collect();
    let tenants: HashMap<&str, &str> = snap
        .holds
        .iter()
        .map(|h| (h.hold_id.as_str(), h.tenant.as_str()))
        .collect();
    for j in snap
        .jobs
        .iter()
        .filter(|j| !owned.contains(j.job_id.as_str()))
    {
        let tenant = tenants.get(j.hold_id.as_str()).copied().unwrap_or("?");
        let mut v = Violation::new(
            Check::JobOwner,
            format!("owner tenant {tenant}"),
            "no owner".into(),
            "job missing from resources".into(),
        )
        .hold(&j.hold_id);
        v.job_id = Some(j.job_id.clone());
        out.push(v);
    }
}
