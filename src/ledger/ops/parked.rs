//! Webhook events waiting for their owner ([`ParkedEvent`]), written once
//! over [`Tx`]: parked once per event id, claimed under the deliveries'
//! lease, and removed in the transaction that queues them for the owner.

use super::outbox::{self, count};
use super::{Param, Tx};
use crate::ledger::parked_events::{NewParkedEvent, OpenBatch, ParkOutcome, ParkedEvent};
use crate::ledger::resources::DELIVERY_LEASE;
use crate::ledger::rows::{from_us, RowAccess, LATE_POLL_US};
use crate::ledger::types::LedgerError;

/// Ids per wake statement; shorter lists are padded to one of these sizes
/// so only a few statement shapes reach the statement caches (a batch
/// status page names at most 100 items).
const WAKE_SIZES: [usize; 3] = [1, 16, 128];

fn parked_from(r: &dyn RowAccess) -> Result<ParkedEvent, LedgerError> {
    Ok(ParkedEvent {
        event_id: r.text(0)?,
        resource_id: r.text(1)?,
        event_type: r.text(2)?,
        parked_at: from_us(r.int(3)?),
        checks: count(r, 4)?,
    })
}

/// Parks `e` unless its event id is parked already or `max` rows are.
pub(crate) async fn park<T: Tx>(
    tx: &T,
    e: &NewParkedEvent,
    max: u32,
    check_us: i64,
    now_us: i64,
) -> Result<ParkOutcome, T::Error> {
    if e.event_id.is_empty() || e.resource_id.is_empty() {
        return Err(LedgerError::InvalidState("a parked event needs its ids".into()).into());
    }
    // One park at a time, so the count below sees every other park's row
    // and concurrent parks (replicas included) cannot all slip in under the
    // cap: on PostgreSQL a transaction-scoped lock, on SQLite the single
    // writer already. Only parks take it; a row removed meanwhile can only
    // make the count high, dropping one event at the edge of the cap.
    tx.lock_name("parked_events").await?;
    if parked_at_least(tx, max).await? {
        let known = tx
            .query(
                "SELECT event_id FROM parked_events WHERE event_id = ?1",
                &[e.event_id.as_str().into()],
                |r| r.text(0),
            )
            .await?;
        return Ok(if known.is_empty() {
            ParkOutcome::Full
        } else {
            ParkOutcome::AlreadyParked
        });
    }
    let n = tx
        .exec(
            "INSERT INTO parked_events (event_id, resource_id, event_type, payload, created_us, \
             next_check_us, locked_until_us, checks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0) \
             ON CONFLICT (event_id) DO NOTHING",
            &[
                e.event_id.as_str().into(),
                e.resource_id.as_str().into(),
                e.event_type.as_str().into(),
                e.payload.as_str().into(),
                now_us.into(),
                check_us.into(),
            ],
        )
        .await?;
    Ok(match n {
        0 => ParkOutcome::AlreadyParked,
        _ => ParkOutcome::Parked,
    })
}

/// Whether `max` rows or more are parked. Counts at most `max` rows (SQLite
/// scans its smallest index for them), so a park costs no more than the cap
/// even when a lowered cap leaves more rows than that waiting.
async fn parked_at_least<T: Tx>(tx: &T, max: u32) -> Result<bool, T::Error> {
    if max == 0 {
        return Ok(true);
    }
    let n = tx
        .query(
            "SELECT COUNT(*) FROM (SELECT 1 FROM parked_events LIMIT ?1) AS capped",
            &[i64::from(max).into()],
            |r| r.int(0),
        )
        .await?;
    Ok(n.into_iter().next().unwrap_or(0) >= i64::from(max))
}

/// Claims due rows until `now + DELIVERY_LEASE`.
pub(crate) async fn claim<T: Tx>(
    tx: &T,
    now_us: i64,
    limit: u32,
) -> Result<Vec<ParkedEvent>, T::Error> {
    let sql = format!(
        "SELECT p.event_id, p.resource_id, p.event_type, p.created_us, p.checks \
         FROM parked_events p WHERE p.next_check_us <= ?1 AND p.locked_until_us <= ?1 \
         ORDER BY p.next_check_us, p.event_id LIMIT ?2{}",
        tx.skip_locked("p")
    );
    let due = tx
        .query(&sql, &[now_us.into(), i64::from(limit).into()], parked_from)
        .await?;
    let until = now_us.saturating_add(DELIVERY_LEASE.num_microseconds().unwrap_or(i64::MAX));
    for e in &due {
        tx.exec(
            "UPDATE parked_events SET locked_until_us = ?2 WHERE event_id = ?1",
            &[e.event_id.as_str().into(), until.into()],
        )
        .await?;
    }
    Ok(due)
}

/// Removes the row, first queueing its payload for `deliver`'s endpoints;
/// returns how many deliveries were new.
pub(crate) async fn unpark<T: Tx>(
    tx: &T,
    event_id: &str,
    deliver: Option<(&str, &[String])>,
    now_us: i64,
) -> Result<u32, T::Error> {
    let payload = tx
        .query(
            "SELECT payload FROM parked_events WHERE event_id = ?1",
            &[event_id.into()],
            |r| r.text(0),
        )
        .await?;
    // Gone: another replica passed it on (or gave it up) already.
    let Some(payload) = payload.into_iter().next() else {
        return Ok(0);
    };
    let queued = match deliver {
        Some((tenant, endpoints)) if !endpoints.is_empty() => {
            outbox::enqueue(tx, event_id, tenant, &payload, endpoints, now_us).await?
        }
        _ => 0,
    };
    tx.exec(
        "DELETE FROM parked_events WHERE event_id = ?1",
        &[event_id.into()],
    )
    .await?;
    Ok(queued)
}

pub(crate) async fn defer<T: Tx>(tx: &T, event_id: &str, check_us: i64) -> Result<(), T::Error> {
    tx.exec(
        "UPDATE parked_events SET next_check_us = ?2, locked_until_us = 0, checks = checks + 1 \
         WHERE event_id = ?1",
        &[event_id.into(), check_us.into()],
    )
    .await?;
    Ok(())
}

/// Makes rows naming any of `ids` due at `now_us` (rows due already, or
/// leased by a check in progress, are left alone).
pub(crate) async fn wake<T: Tx>(tx: &T, ids: &[String], now_us: i64) -> Result<u64, T::Error> {
    let max = WAKE_SIZES[WAKE_SIZES.len() - 1];
    let mut woken = 0;
    for chunk in ids.chunks(max) {
        let size = WAKE_SIZES
            .into_iter()
            .find(|s| *s >= chunk.len())
            .unwrap_or(max);
        let marks: Vec<String> = (2..size + 2).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "UPDATE parked_events SET next_check_us = ?1 \
             WHERE next_check_us > ?1 AND locked_until_us <= ?1 AND resource_id IN ({})",
            marks.join(", ")
        );
        // Padding repeats the last id: harmless in an IN list.
        let mut params: Vec<Param> = vec![now_us.into()];
        params.extend((0..size).map(|i| Param::from(chunk[i.min(chunk.len() - 1)].as_str())));
        woken += tx.exec(&sql, &params).await?;
    }
    Ok(woken)
}

pub(crate) async fn total<T: Tx>(tx: &T) -> Result<u64, T::Error> {
    let n = tx
        .query("SELECT COUNT(*) FROM parked_events", &[], |r| r.int(0))
        .await?;
    Ok(u64::try_from(n.into_iter().next().unwrap_or(0)).unwrap_or(0))
}

/// Open batch jobs, newest first: their status paths are the v3 batch
/// reads (`/v3/{videos|video-translations|lipsyncs}/batches/{id}`).
pub(crate) async fn open_batches<T: Tx>(
    tx: &T,
    now_us: i64,
    limit: u32,
) -> Result<Vec<OpenBatch>, T::Error> {
    let late = now_us.saturating_sub(LATE_POLL_US);
    tx.query(
        "SELECT j.job_id, j.status_path, h.tenant FROM jobs j \
         JOIN holds h ON h.hold_id = j.hold_id \
         WHERE (j.state = 'pending' OR (j.state = 'expired' AND j.submitted_us >= ?1)) \
         AND j.status_path LIKE '/v3/%/batches/%' \
         ORDER BY j.submitted_us DESC, j.job_id LIMIT ?2",
        &[late.into(), i64::from(limit).into()],
        |r| {
            Ok(OpenBatch {
                batch_id: r.text(0)?,
                status_path: r.text(1)?,
                tenant: r.text(2)?,
            })
        },
    )
    .await
}
