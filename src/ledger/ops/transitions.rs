//! Lifecycle writes (submit, release, capture, job settlement, expiry,
//! adjustment): lock the hold, then its jobs, then its counter rows, ask
//! the pure plan in `ledger::lifecycle`, and apply it, all in the caller's
//! transaction.

use super::{registry, Tx};
use crate::ledger::decide::{adjust_journal, adjust_keys};
use crate::ledger::lifecycle::{self, JobStep, Plan};
use crate::ledger::resources::{ResourceRecord, JOB_KIND};
use crate::ledger::rows::HoldRow;
use crate::ledger::types::*;
use crate::ledger::window::Periods;
use crate::money::Micros;

async fn must_hold<T: Tx>(tx: &T, hold_id: &str) -> Result<HoldRow, T::Error> {
    tx.hold_for_update(hold_id)
        .await?
        .ok_or_else(|| LedgerError::NotFound(hold_id.to_string()).into())
}

/// Writes a plan: the hold's eight counter rows, the hold, its jobs, the
/// journal.
async fn apply<T: Tx>(tx: &T, plan: &Plan) -> Result<(), T::Error> {
    if let Some(h) = &plan.hold {
        if plan.touches_counters() {
            let keys = h.keys();
            tx.lock_counters(&keys).await?;
            tx.add_to_counters(&keys, plan.held_delta, plan.spent_delta)
                .await?;
        }
        tx.update_hold(h).await?;
    }
    for j in &plan.insert_jobs {
        tx.insert_job(j).await?;
    }
    for j in &plan.update_jobs {
        tx.update_job(j).await?;
    }
    for j in &plan.journal {
        tx.insert_journal(j).await?;
    }
    Ok(())
}

/// Records upstream jobs under a hold (`held` → `submitted`) and, in the
/// same transaction, the hold's tenant as owner of `resources` and of every
/// job id `resources` does not name (as [`JOB_KIND`]).
pub(crate) async fn submit<T: Tx>(
    tx: &T,
    hold_id: &str,
    records: &[JobRecord],
    resources: &[ResourceRecord],
    now_us: i64,
) -> Result<(), T::Error> {
    let hold = must_hold(tx, hold_id).await?;
    let ids: Vec<String> = records.iter().map(|r| r.job_id.clone()).collect();
    let existing = tx.jobs_by_ids(&ids).await?;
    let plan = lifecycle::submit(&hold, &existing, records, now_us)?;
    apply(tx, &plan).await?;
    // A batch's items, beside its job and written with it: settlement
    // prices each item from them, so they are money, not a sample. Only
    // jobs inserted now (a repeated submit changes nothing).
    for job in &plan.insert_jobs {
        let items = records
            .iter()
            .find(|r| r.job_id == job.job_id)
            .and_then(|r| JobItem::encode(&r.items));
        if let Some(items) = items {
            tx.exec(
                "UPDATE jobs SET items = ?2 WHERE job_id = ?1",
                &[job.job_id.as_str().into(), items.into()],
            )
            .await?;
        }
    }
    let mut owned = resources.to_vec();
    for id in ids {
        if !owned.iter().any(|r| r.resource_id == id) {
            owned.push(ResourceRecord::new(id, JOB_KIND));
        }
    }
    let conflicts = registry::record(tx, &hold.tenant, Some(hold_id), &owned, now_us).await?;
    for c in conflicts {
        // HeyGen ids are unique, so this is an id recorded by hand (assign)
        // or a bug upstream; the first owner keeps it.
        tracing::warn!(hold_id, resource_id = %c.resource_id, owner = %c.owner,
            tenant = %hold.tenant, "resource already owned by another tenant");
    }
    Ok(())
}

pub(crate) async fn release<T: Tx>(
    tx: &T,
    hold_id: &str,
    reason: &str,
    now_us: i64,
) -> Result<(), T::Error> {
    let hold = must_hold(tx, hold_id).await?;
    apply(tx, &lifecycle::release(&hold, reason, now_us)?).await
}

pub(crate) async fn capture<T: Tx>(
    tx: &T,
    hold_id: &str,
    amount: Micros,
    now_us: i64,
) -> Result<Settlement, T::Error> {
    let hold = must_hold(tx, hold_id).await?;
    let (plan, settlement) = lifecycle::capture(&hold, amount, now_us)?;
    apply(tx, &plan).await?;
    Ok(settlement)
}

pub(crate) async fn settle_job<T: Tx>(
    tx: &T,
    job_id: &str,
    outcome: JobSettlement,
    source: &str,
    now_us: i64,
) -> Result<SettleResult, T::Error> {
    let Some(hold_id) = tx.hold_id_of_job(job_id).await? else {
        return Ok(SettleResult::UnknownJob);
    };
    let hold = must_hold(tx, &hold_id).await?;
    let jobs = tx.jobs_of_hold(&hold_id).await?;
    match lifecycle::settle_job(&hold, &jobs, job_id, outcome, source, now_us)? {
        JobStep::AlreadySettled => Ok(SettleResult::AlreadySettled),
        JobStep::Apply(plan, settlement) => {
            apply(tx, &plan).await?;
            Ok(SettleResult::Settled(settlement))
        }
    }
}

/// Expires one hold if it is still open and due.
pub(crate) async fn expire_one<T: Tx>(
    tx: &T,
    hold_id: &str,
    now_us: i64,
) -> Result<Option<ExpiredHold>, T::Error> {
    let Some(hold) = tx.hold_to_expire(hold_id, now_us).await? else {
        return Ok(None);
    };
    let jobs = tx.jobs_of_hold(hold_id).await?;
    match lifecycle::expire(&hold, &jobs, now_us) {
        Some((plan, expired)) => {
            apply(tx, &plan).await?;
            Ok(Some(expired))
        }
        None => Ok(None),
    }
}

/// Grants or debits credits in the current period of one window, or all
/// four: `granted` moves, spend stays what was really spent.
pub(crate) async fn adjust<T: Tx>(tx: &T, adj: &Adjustment) -> Result<AdjustOutcome, T::Error> {
    if let Some(key) = &adj.key {
        if let Some(done) = claim_adjustment_key(tx, key, adj).await? {
            return Ok(done);
        }
    }
    let keys = adjust_keys(&adj.scope, adj.window, &Periods::at(adj.now, adj.tz));
    let counters = tx.counters_for_update(&keys).await?;
    // Refused rather than overflowed: SQLite would store a REAL no read of
    // the row survives (see `decide::fits`).
    for k in &keys {
        let granted = counters.get(&k.scope, k.window).granted;
        if granted.checked_add(adj.amount).is_none() {
            let why = format!(
                "granting {} would overflow the {} {} counter of period {}",
                adj.amount,
                k.scope,
                k.window.as_str(),
                k.period
            );
            return Err(LedgerError::Refused(why).into());
        }
    }
    for k in &keys {
        tx.exec(
            "INSERT INTO counters (scope, win, period, granted) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (scope, win, period) DO UPDATE \
             SET granted = counters.granted + excluded.granted",
            &[
                k.scope.as_str().into(),
                k.window.as_str().into(),
                k.period.as_str().into(),
                adj.amount.into(),
            ],
        )
        .await?;
    }
    tx.insert_journal(&adjust_journal(adj)).await?;
    Ok(AdjustOutcome::Applied)
}

/// Claims `key` for `adj` in its transaction (`None`: claimed, apply it),
/// or says what an earlier use of the key was. Of concurrent calls with
/// one key the second insert waits for the first's commit, then finds it.
async fn claim_adjustment_key<T: Tx>(
    tx: &T,
    key: &str,
    adj: &Adjustment,
) -> Result<Option<AdjustOutcome>, T::Error> {
    let (scope, window) = (adj.scope.key(), adj.window.map_or("all", |w| w.as_str()));
    let claimed = tx
        .exec(
            "INSERT INTO adjustment_keys (key, scope, win, amount, created_us) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO NOTHING",
            &[
                key.into(),
                scope.as_str().into(),
                window.into(),
                adj.amount.into(),
                crate::ledger::rows::to_us(adj.now).into(),
            ],
        )
        .await?;
    if claimed > 0 {
        return Ok(None);
    }
    let earlier = tx
        .query(
            "SELECT scope, win, amount FROM adjustment_keys WHERE key = ?1",
            &[key.into()],
            |r| Ok((r.text(0)?, r.text(1)?, r.int(2)?)),
        )
        .await?;
    let same = earlier
        .first()
        .is_some_and(|(s, w, a)| *s == scope && w == window && *a == adj.amount);
    Ok(Some(if same {
        AdjustOutcome::Replayed
    } else {
        AdjustOutcome::KeyReused
    }))
}
