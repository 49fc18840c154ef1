//! PostgreSQL reads outside any write (reports, lookups, pollers).

use std::collections::HashMap;

use deadpool_postgres::GenericClient;

use super::{Fail, PgRow};
use crate::ledger::decide::Counter;
use crate::ledger::rows::{
    hold_from, job_info_from, journal_from, parse_window, pending_from, CounterKey, HOLD_COLS,
    JOB_INFO_COLS, JOURNAL_COLS, PENDING_COLS,
};
use crate::ledger::types::*;

type R<T> = Result<T, Fail>;

/// Reads many counter rows in one round trip.
pub(super) async fn counters(
    c: &impl GenericClient,
    keys: &[CounterKey],
) -> R<HashMap<CounterKey, Counter>> {
    let (s, w, p) = super::tx::key_arrays(keys);
    let stmt = c
        .prepare_cached(
            "SELECT scope, win, period, held, spent, granted FROM counters \
             WHERE (scope, win, period) IN \
                   (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))",
        )
        .await?;
    let mut out = HashMap::with_capacity(keys.len());
    for r in c.query(&stmt, &[&s, &w, &p]).await? {
        let key = CounterKey {
            scope: r.try_get(0)?,
            window: parse_window(r.try_get::<_, &str>(1)?)?,
            period: r.try_get(2)?,
        };
        let v = Counter {
            held: r.try_get(3)?,
            spent: r.try_get(4)?,
            granted: r.try_get(5)?,
        };
        out.insert(key, v);
    }
    Ok(out)
}

pub(super) async fn list_holds(c: &impl GenericClient, f: &HoldFilter) -> R<Vec<HoldInfo>> {
    let order = if f.oldest_first { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT {HOLD_COLS} FROM holds WHERE ($1::text IS NULL OR state = $1) \
         AND ($2::text IS NULL OR tenant = $2) ORDER BY created_us {order}, hold_id LIMIT $3"
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c
        .query(
            &stmt,
            &[
                &f.state.map(HoldState::as_str),
                &f.tenant,
                &i64::from(f.limit),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| Ok(hold_from(&PgRow(r))?.info()))
        .collect()
}

pub(super) async fn journal(
    c: &impl GenericClient,
    from_us: i64,
    to_us: i64,
    after_seq: i64,
    limit: u32,
) -> R<Vec<JournalEntry>> {
    let sql = format!(
        "SELECT {JOURNAL_COLS} FROM journal WHERE at_us >= $1 AND at_us < $2 AND seq > $3 \
         ORDER BY seq LIMIT $4"
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c
        .query(&stmt, &[&from_us, &to_us, &after_seq, &i64::from(limit)])
        .await?;
    rows.iter().map(|r| Ok(journal_from(&PgRow(r))?)).collect()
}

pub(super) async fn journal_newest(
    c: &impl GenericClient,
    from_us: i64,
    to_us: i64,
    limit: u32,
) -> R<Vec<JournalEntry>> {
    let sql = format!(
        "SELECT {JOURNAL_COLS} FROM journal WHERE at_us >= $1 AND at_us < $2 \
         ORDER BY seq DESC LIMIT $3"
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c
        .query(&stmt, &[&from_us, &to_us, &i64::from(limit)])
        .await?;
    rows.iter().map(|r| Ok(journal_from(&PgRow(r))?)).collect()
}

pub(super) async fn open_holds(c: &impl GenericClient) -> R<(u64, Option<i64>)> {
    let r = c
        .query_one(
            "SELECT COUNT(*), MIN(created_us) FROM holds WHERE state IN ('held', 'submitted')",
            &[],
        )
        .await?;
    Ok((r.try_get::<_, i64>(0)?.max(0) as u64, r.try_get(1)?))
}

pub(super) async fn jobs_to_poll(
    c: &impl GenericClient,
    before_us: i64,
    limit: u32,
) -> R<Vec<PendingJob>> {
    let sql = format!(
        "SELECT {PENDING_COLS} FROM jobs j JOIN holds h ON h.hold_id = j.hold_id \
         WHERE (j.state = 'pending' OR (j.state = 'expired' AND j.submitted_us >= $3)) \
         AND j.submitted_us < $1 ORDER BY j.submitted_us, j.job_id LIMIT $2"
    );
    let late = before_us.saturating_sub(crate::ledger::rows::LATE_POLL_US);
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c
        .query(&stmt, &[&before_us, &i64::from(limit), &late])
        .await?;
    rows.iter().map(|r| Ok(pending_from(&PgRow(r))?)).collect()
}

pub(super) async fn get_job(c: &impl GenericClient, job_id: &str) -> R<Option<JobInfo>> {
    let sql = format!("SELECT {JOB_INFO_COLS} FROM jobs j JOIN holds h ON h.hold_id = j.hold_id WHERE j.job_id = $1");
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &[&job_id]).await?;
    match rows.first() {
        Some(r) => Ok(Some(job_info_from(&PgRow(r))?)),
        None => Ok(None),
    }
}

pub(super) async fn expired_hold_ids(
    c: &impl GenericClient,
    now_us: i64,
    limit: u32,
) -> R<Vec<String>> {
    let stmt = c
        .prepare_cached(
            &crate::ledger::rows::EXPIRE_DUE_SQL
                .replace("?1", "$1")
                .replace("?2", "$2"),
        )
        .await?;
    let rows = c.query(&stmt, &[&now_us, &i64::from(limit)]).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
