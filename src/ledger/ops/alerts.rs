//! The ops alert outbox, written once over [`Tx`]: queued once per
//! (alert key, webhook), claimed and finished with the same lease and
//! attempt bookkeeping as the tenant webhook outbox ([`super::outbox`]).

use super::outbox::{count, lease, pending, record_attempt, Attempt, OutboxTable};
use super::Tx;
use crate::ledger::alert_outbox::*;
use crate::ledger::rows::{from_us, RowAccess};
use crate::ledger::types::LedgerError;

const ALERTS: OutboxTable = OutboxTable {
    table: "alerts",
    gave_up: "failed",
    max_attempts: MAX_ALERT_ATTEMPTS,
};

fn state_from(s: &str) -> Result<AlertState, LedgerError> {
    AlertState::parse(s).ok_or_else(|| {
        LedgerError::Unavailable(format!("corrupt ledger row: unknown alert state {s:?}"))
    })
}

fn info_from(r: &dyn RowAccess) -> Result<AlertInfo, LedgerError> {
    Ok(AlertInfo {
        id: r.int(0)?,
        key: r.text(1)?,
        webhook: r.text(2)?,
        event: r.text(3)?,
        payload: r.text(4)?,
        state: state_from(&r.text(5)?)?,
        attempts: count(r, 6)?,
        last_status: r.opt_int(7)?.and_then(|s| u16::try_from(s).ok()),
        last_error: r.opt_text(8)?,
        created_at: from_us(r.int(9)?),
        delivered_at: r.opt_int(10)?.map(from_us),
    })
}

/// Queues each alert once per (key, webhook); returns how many were new.
pub(crate) async fn enqueue<T: Tx>(
    tx: &T,
    alerts: &[NewAlert],
    now_us: i64,
) -> Result<u32, T::Error> {
    let mut queued = 0u32;
    for a in alerts {
        if a.key.is_empty() || a.webhook.is_empty() {
            return Err(
                LedgerError::InvalidState("an alert needs a key and a webhook".into()).into(),
            );
        }
        let n = tx
            .exec(
                "INSERT INTO alerts (alert_key, webhook, event, payload, state, attempts, \
                 next_attempt_us, locked_until_us, created_us) \
                 VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, 0, ?5) \
                 ON CONFLICT (alert_key, webhook) DO NOTHING",
                &[
                    a.key.as_str().into(),
                    a.webhook.as_str().into(),
                    a.event.as_str().into(),
                    a.payload.as_str().into(),
                    now_us.into(),
                ],
            )
            .await?;
        queued = queued.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
    }
    Ok(queued)
}

/// Claims due rows until `now + DELIVERY_LEASE`.
pub(crate) async fn claim<T: Tx>(
    tx: &T,
    now_us: i64,
    limit: u32,
) -> Result<Vec<DueAlert>, T::Error> {
    let sql = format!(
        "SELECT a.id, a.alert_key, a.webhook, a.event, a.payload, a.attempts, a.created_us \
         FROM alerts a \
         WHERE a.state = 'pending' AND a.next_attempt_us <= ?1 AND a.locked_until_us <= ?1 \
         ORDER BY a.next_attempt_us, a.id LIMIT ?2{}",
        tx.skip_locked("a")
    );
    let due = tx
        .query(&sql, &[now_us.into(), i64::from(limit).into()], |r| {
            Ok(DueAlert {
                id: r.int(0)?,
                key: r.text(1)?,
                webhook: r.text(2)?,
                event: r.text(3)?,
                payload: r.text(4)?,
                attempts: count(r, 5)?,
                created_at: from_us(r.int(6)?),
            })
        })
        .await?;
    let ids: Vec<i64> = due.iter().map(|a| a.id).collect();
    lease(tx, &ALERTS, &ids, now_us).await?;
    Ok(due)
}

/// Records one attempt; gives up at the attempt limit or past the age.
pub(crate) async fn finish<T: Tx>(
    tx: &T,
    id: i64,
    ok: bool,
    status: Option<u16>,
    error: Option<&str>,
    next_attempt_us: i64,
    now_us: i64,
) -> Result<AlertState, T::Error> {
    let max_age = MAX_ALERT_AGE.num_microseconds().unwrap_or(i64::MAX);
    let attempt = Attempt {
        ok,
        status,
        error,
        next_attempt_us,
        now_us,
        give_up_created_before_us: now_us.saturating_sub(max_age),
    };
    let state = record_attempt(tx, &ALERTS, id, &attempt).await?;
    Ok(state_from(&state)?)
}

pub(crate) async fn log<T: Tx>(tx: &T, limit: u32) -> Result<Vec<AlertInfo>, T::Error> {
    tx.query(
        "SELECT id, alert_key, webhook, event, payload, state, attempts, last_status, \
         last_error, created_us, delivered_us FROM alerts ORDER BY id DESC LIMIT ?1",
        &[i64::from(limit).into()],
        info_from,
    )
    .await
}

pub(crate) async fn depth<T: Tx>(tx: &T) -> Result<u64, T::Error> {
    pending(tx, &ALERTS).await
}
