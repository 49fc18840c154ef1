//! Taking a hold: validate → counter keys → load and lock counters → count
//! open renders → evaluate → apply, all in the caller's transaction.

use super::Tx;
use crate::ledger::decide::{
    evaluate, needs_render_count, new_hold, validate, Evaluation, RenderCounts,
};
use crate::ledger::rows::hold_keys;
use crate::ledger::types::{HoldDecision, HoldRequest};
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
            let (row, journal) = new_hold(req, hold_id.to_string());
            // Independent writes: PostgreSQL pipelines them in one round trip.
            tokio::try_join!(
                tx.add_to_counters(&keys, req.amount, 0),
                tx.insert_hold(&row),
                tx.insert_journal(&journal)
            )?;
            Ok(HoldDecision::Held {
                hold_id: hold_id.to_string(),
                remaining,
                shadow_shortfalls,
            })
        }
    }
}

/// Open render holds of the scopes whose cap applies (a count the request
/// has no cap for stays 0 and is never compared).
async fn count_renders<T: Tx>(tx: &T, req: &HoldRequest) -> Result<RenderCounts, T::Error> {
    let mut counts = RenderCounts::default();
    if req.tenant_render_cap.is_some() {
        counts.tenant = tx.count_renders(Some(&req.tenant)).await?;
    }
    if req.org_render_cap.is_some() {
        counts.org = tx.count_renders(None).await?;
    }
    Ok(counts)
}
