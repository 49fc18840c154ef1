//! Deciding many holds in one transaction (batched admission on
//! PostgreSQL): the same checks as [`super::hold`], one lock of each
//! counter row and one set of writes for the whole batch.

use std::collections::{BTreeMap, HashMap};

use super::hold::{fits, session_refusal};
use super::{contacts, retry, Tx};
use crate::ledger::decide::{
    evaluate, needs_render_count, new_hold, validate, CounterSet, Evaluation, RenderCounts,
};
use crate::ledger::rows::{hold_keys, CounterKey};
use crate::ledger::types::{HoldDecision, HoldRequest, LedgerError};
use crate::ledger::window::Periods;
use crate::money::Micros;

/// One hold of a batch: the request, its id, and what was decided.
pub(crate) struct BatchItem {
    pub req: HoldRequest,
    pub hold_id: String,
}

/// Decides a batch of holds in the caller's one transaction, with the same
/// outcome per hold as [`hold`] run one after another: each hold is checked
/// against the counters as the earlier holds of the batch left them, and a
/// refusal never affects its neighbours.
///
/// Every counter row of the batch is locked once, up front, in the global
/// sort order (so two replicas' batches cannot deadlock), and every write
/// of the accepted holds is sent at once. All items must share one set of
/// periods (the caller splits a batch that straddles a period boundary),
/// because the decision reads counters by scope and window.
pub(crate) async fn hold_batch<T: Tx>(
    tx: &T,
    items: &[BatchItem],
) -> Result<Vec<Result<HoldDecision, LedgerError>>, T::Error> {
    let checked: Vec<Result<(), LedgerError>> = items.iter().map(|i| validate(&i.req)).collect();
    let keys_of = |i: &BatchItem| hold_keys(&i.req.tenant, &Periods::at(i.req.now, i.req.tz));
    let mut union: Vec<CounterKey> = items
        .iter()
        .zip(&checked)
        .filter(|(_, valid)| valid.is_ok())
        .flat_map(|(i, _)| keys_of(i))
        .collect();
    union.sort();
    union.dedup();
    let (mut counters, mut renders) = if union.is_empty() {
        (CounterSet::default(), BatchRenders::default())
    } else {
        (
            tx.counters_for_update(&union).await?,
            batch_render_counts(tx, items).await?,
        )
    };
    let mut accepted = Vec::new();
    // Session starts accepted earlier in this batch, per tenant (not yet
    // visible to the count query).
    let mut sessions: HashMap<String, u64> = HashMap::new();
    // Contact projects taken earlier in this batch: project → tenant.
    let mut projects: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for (item, valid) in items.iter().zip(checked) {
        if let Err(e) = valid {
            out.push(Err(e));
            continue;
        }
        let req = &item.req;
        // Against the counters as the batch's earlier holds left them; a
        // refusal fails this hold alone.
        if let Err(e) = fits(req, &keys_of(item), &counters) {
            out.push(Err(e));
            continue;
        }
        let counts = RenderCounts {
            tenant: renders.tenants.get(&req.tenant).copied().unwrap_or(0),
            org: renders.org,
        };
        let session_extra = (
            sessions.get(&req.tenant).copied().unwrap_or(0),
            sessions.values().sum(),
        );
        let mut evaluation = evaluate(req, &counters, counts);
        if matches!(evaluation, Evaluation::Accept { .. }) {
            if let Some(refusal) = contacts::project_refusal(tx, req, &projects).await? {
                evaluation = Evaluation::Refuse(refusal);
            }
        }
        if matches!(evaluation, Evaluation::Accept { .. }) {
            match session_refusal(tx, req, session_extra).await? {
                Some(refusal) => evaluation = Evaluation::Refuse(refusal),
                None if req.session_cap.is_some() => {
                    *sessions.entry(req.tenant.clone()).or_default() += 1;
                }
                None => {}
            }
        }
        out.push(Ok(match evaluation {
            Evaluation::Refuse(d) => d,
            Evaluation::Accept {
                remaining,
                shadow_shortfalls,
            } => {
                let keys = keys_of(item);
                for k in &keys {
                    counters.add_held(k, req.amount);
                }
                if req.render {
                    *renders.tenants.entry(req.tenant.clone()).or_default() += 1;
                    renders.org += 1;
                }
                if let Some(p) = &req.contact_project {
                    projects.insert(p.clone(), req.tenant.clone());
                }
                accepted.push((keys, new_hold(req, item.hold_id.clone()), req));
                HoldDecision::Held {
                    hold_id: item.hold_id.clone(),
                    remaining,
                    shadow_shortfalls,
                }
            }
        }));
    }
    // One counter update per key set (per tenant, as all items share
    // periods) rather than per hold: the org rows are then rewritten a few
    // times per batch, not once per hold. The writes are independent and
    // all in flight at once (PostgreSQL pipelines them).
    let mut sums: BTreeMap<&[CounterKey], Micros> = BTreeMap::new();
    for (keys, _, req) in &accepted {
        *sums.entry(keys.as_slice()).or_default() += req.amount;
    }
    let counter_writes = sums
        .into_iter()
        .map(|(keys, amount)| tx.add_to_counters(keys, amount, 0));
    let row_writes = accepted.iter().map(|(_, (row, journal), req)| async move {
        tokio::try_join!(
            tx.insert_hold(row),
            tx.insert_journal(journal),
            retry::link(tx, row, req.idem.as_deref()),
            contacts::link(tx, &row.hold_id, req.contact_project.as_deref())
        )
        .map(drop)
    });
    tokio::try_join!(
        futures_util::future::try_join_all(counter_writes),
        futures_util::future::try_join_all(row_writes)
    )?;
    Ok(out)
}

/// Open renders per tenant of the batch and of the org, counted once after
/// the counter locks (as [`hold`] does), then kept up to date in memory.
#[derive(Default)]
struct BatchRenders {
    tenants: HashMap<String, u64>,
    org: u64,
}

async fn batch_render_counts<T: Tx>(tx: &T, items: &[BatchItem]) -> Result<BatchRenders, T::Error> {
    let mut counts = BatchRenders::default();
    let capped = items
        .iter()
        .map(|i| &i.req)
        .filter(|r| needs_render_count(r));
    // The batch's requests were made moments apart: the first capped one's
    // lease start stands for all.
    let mut org_since = None;
    for req in capped {
        let since = super::hold::renders_held_since(req);
        if req.tenant_render_cap.is_some() && !counts.tenants.contains_key(&req.tenant) {
            let n = tx.count_renders(Some(&req.tenant), since).await?;
            counts.tenants.insert(req.tenant.clone(), n);
        }
        if req.org_render_cap.is_some() {
            org_since.get_or_insert(since);
        }
    }
    if let Some(since) = org_since {
        counts.org = tx.count_renders(None, since).await?;
    }
    Ok(counts)
}
