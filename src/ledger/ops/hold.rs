//! Taking a hold: validate → counter keys → load and lock counters → count
//! open renders → evaluate → apply (with the link of an idempotent
//! request's hold, `retry`, and of an `add_contact`'s project, `contacts`),
//! all in the caller's transaction.

use std::collections::HashMap;

use super::{contacts, retry, Param, Tx};
use crate::ledger::decide::{
    evaluate, needs_render_count, new_hold, validate, CounterSet, Evaluation, RenderCounts,
};
use crate::ledger::rows::{hold_keys, CounterKey};
use crate::ledger::types::{HoldDecision, HoldRequest, LedgerError, Scope, SessionCap};
use crate::ledger::window::Periods;

/// Checks every configured window of the tenant and the org and, when all
/// admit, adds the hold to its eight counter rows and records it.
pub(crate) async fn hold<T: Tx>(
    tx: &T,
    req: &HoldRequest,
    hold_id: &str,
) -> Result<HoldDecision, T::Error> {
    validate(req)?;
    let keys = hold_keys(&req.tenant, &Periods::at(req.now, req.tz));
    let counters = tx.counters_for_update(&keys).await?;
    fits(req, &keys, &counters)?;
    // Counted after the locks: every hold locks the org rows, so all
    // earlier holds have committed and are visible to this count.
    let renders = if needs_render_count(req) {
        count_renders(tx, req).await?
    } else {
        RenderCounts::default()
    };
    match evaluate(req, &counters, renders) {
        Evaluation::Refuse(d) => Ok(d),
        Evaluation::Accept {
            remaining,
            shadow_shortfalls,
        } => {
            if let Some(refusal) = session_refusal(tx, req, (0, 0)).await? {
                return Ok(refusal);
            }
            if let Some(refusal) = contacts::project_refusal(tx, req, &HashMap::new()).await? {
                return Ok(refusal);
            }
            let (row, journal) = new_hold(req, hold_id.to_string());
            // Independent writes: PostgreSQL pipelines them in one round trip.
            tokio::try_join!(
                tx.add_to_counters(&keys, req.amount, 0),
                tx.insert_hold(&row),
                tx.insert_journal(&journal),
                retry::link(tx, &row, req.idem.as_deref()),
                contacts::link(tx, hold_id, req.contact_project.as_deref())
            )?;
            Ok(HoldDecision::Held {
                hold_id: hold_id.to_string(),
                remaining,
                shadow_shortfalls,
            })
        }
    }
}

/// Refuses a hold taking a counter past `i64` (its capture too: `held +
/// amount + spent`), so counters stay integers whatever pricing let by:
/// SQLite would store a REAL no later read survives, PostgreSQL fail the batch.
pub(super) fn fits(
    req: &HoldRequest,
    keys: &[CounterKey],
    counters: &CounterSet,
) -> Result<(), LedgerError> {
    let overflows = |k: &&CounterKey| {
        let c = counters.get(&k.scope, k.window);
        let held = c.held.checked_add(req.amount);
        held.and_then(|h| h.checked_add(c.spent.max(0))).is_none()
    };
    match keys.iter().find(overflows) {
        Some(k) => Err(LedgerError::Refused(format!(
            "a hold of {} micro-credits would overflow the {} {} counter of period {}",
            req.amount,
            k.scope,
            k.window.as_str(),
            k.period
        ))),
        None => Ok(()),
    }
}

/// Open render holds of the scopes whose cap applies (a count the request
/// has no cap for stays 0 and is never compared).
async fn count_renders<T: Tx>(tx: &T, req: &HoldRequest) -> Result<RenderCounts, T::Error> {
    let mut counts = RenderCounts::default();
    let since = renders_held_since(req);
    if req.tenant_render_cap.is_some() {
        counts.tenant = tx.count_renders(Some(&req.tenant), since).await?;
    }
    if req.org_render_cap.is_some() {
        counts.org = tx.count_renders(None, since).await?;
    }
    Ok(counts)
}

/// A session start's refusal when the tenant's or the org's live sessions
/// (open holds of session features, plus `extra` = (tenant, org) starts
/// accepted earlier in the same batch) already reach a cap. Counted after
/// the counter locks, like renders, so concurrent starts cannot both pass.
pub(super) async fn session_refusal<T: Tx>(
    tx: &T,
    req: &HoldRequest,
    extra: (u64, u64),
) -> Result<Option<HoldDecision>, T::Error> {
    let Some(cap) = &req.session_cap else {
        return Ok(None);
    };
    let scopes = [
        (
            Scope::Tenant(req.tenant.clone()),
            cap.tenant,
            Some(req.tenant.as_str()),
            extra.0,
        ),
        (Scope::Org, cap.org, None, extra.1),
    ];
    for (scope, limit, tenant, extra) in scopes {
        let Some(limit) = limit else { continue };
        let open = open_session_holds(tx, cap, tenant).await? + extra;
        if open >= u64::from(limit) {
            return Ok(Some(HoldDecision::SessionCapReached { scope, cap: limit }));
        }
    }
    Ok(None)
}

/// Open holds of the session features, of one tenant or of the org, less
/// the next minutes held ahead: a session holding its next minute before
/// the current one ends is still one session.
async fn open_session_holds<T: Tx>(
    tx: &T,
    cap: &SessionCap,
    tenant: Option<&str>,
) -> Result<u64, T::Error> {
    if cap.features.is_empty() {
        return Ok(0);
    }
    let mut params: Vec<Param> = cap.features.iter().map(|f| f.as_str().into()).collect();
    let marks: Vec<String> = (1..=params.len()).map(|i| format!("?{i}")).collect();
    let mut sql = format!(
        "SELECT COUNT(*) FROM holds WHERE state IN ('held', 'submitted') AND feature IN ({}) \
         AND hold_id NOT IN (SELECT next_hold_id FROM sessions \
             WHERE state = 'live' AND next_hold_id IS NOT NULL)",
        marks.join(", ")
    );
    if let Some(t) = tenant {
        params.push(t.into());
        sql.push_str(&format!(" AND tenant = ?{}", params.len()));
    }
    let n = tx.query(&sql, &params, |r| r.int(0)).await?;
    Ok(n.first().copied().unwrap_or(0).max(0) as u64)
}

/// Where `req`'s render count starts for holds without a job yet.
pub(super) fn renders_held_since(req: &HoldRequest) -> i64 {
    let lease = chrono::Duration::from_std(req.render_lease).unwrap_or(chrono::Duration::MAX);
    crate::ledger::rows::to_us(req.now.checked_sub_signed(lease).unwrap_or(req.now))
}
