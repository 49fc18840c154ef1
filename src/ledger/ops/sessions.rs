//! Metered sessions' rows (see the `sessions` module), written once over
//! [`Tx`]: opening, activity, listing, and the marks on stops HeyGen did
//! not confirm ([`crate::ledger::UnconfirmedStops`]). Binding a token's
//! session is in `session_claims`; moving a session from minute to minute
//! and ending it are in `session_minutes`.

use super::Tx;
use crate::ledger::rows::RowAccess;
use crate::ledger::session_types::{SessionFilter, SessionRow};
use crate::ledger::types::{HoldState, LedgerError};

const COLS: &str = "session_id, tenant, feature, kind, rate, idle_s, started_us, \
    last_activity_us, hold_id, slot_us, minutes, captured, state, stop_reason, stopped_us, \
    next_hold_id";

fn row(r: &dyn RowAccess) -> Result<SessionRow, LedgerError> {
    Ok(SessionRow {
        session_id: r.text(0)?,
        tenant: r.text(1)?,
        feature: r.text(2)?,
        kind: r.text(3)?,
        rate: r.int(4)?,
        idle_s: r.int(5)?,
        started_us: r.int(6)?,
        last_activity_us: r.int(7)?,
        hold_id: r.text(8)?,
        slot_us: r.int(9)?,
        minutes: r.int(10)?,
        captured: r.int(11)?,
        state: r.text(12)?,
        stop_reason: r.opt_text(13)?,
        stopped_us: r.opt_int(14)?,
        next_hold_id: r.opt_text(15)?,
    })
}

/// Registers a session on its first minute's hold. Its `next_hold_id` is
/// not written: a session starts with no minute held ahead. The hold must
/// not be settled: a session on a settled hold could never be moved on or
/// ended. A start's own hold always is (its TTL outlasts the forward), and
/// one a retry took over had its TTL moved when it was found
/// (`ops::retry`); the check under the hold's lock, which expiry takes too,
/// keeps the session off a hold expiry captured all the same.
pub(crate) async fn open<T: Tx>(tx: &T, s: &SessionRow) -> Result<(), T::Error> {
    let hold = tx.hold_for_update(&s.hold_id).await?;
    if let Some(state) = hold.map(|h| h.state).filter(|st| *st != HoldState::Held) {
        if !list(tx, SessionFilter::One(&s.session_id))
            .await?
            .is_empty()
        {
            // A repeat of a registered session (its minute moved on since).
            return Ok(());
        }
        let why = format!(
            "session {} not registered: its first minute's hold {} is {}",
            s.session_id,
            s.hold_id,
            state.as_str()
        );
        return Err(LedgerError::InvalidState(why).into());
    }
    // The start's answer names the session: it is this tenant's, even if a
    // tick saw it in HeyGen's list first and could not tell whose it was.
    tx.exec(
        "DELETE FROM sessions WHERE session_id = ?1 AND state = 'unattributed'",
        &[s.session_id.as_str().into()],
    )
    .await?;
    tx.exec(
        "INSERT INTO sessions (session_id, tenant, feature, kind, rate, idle_s, started_us, \
         last_activity_us, hold_id, slot_us, minutes, captured, state) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (session_id) DO NOTHING",
        &[
            s.session_id.as_str().into(),
            s.tenant.as_str().into(),
            s.feature.as_str().into(),
            s.kind.as_str().into(),
            s.rate.into(),
            s.idle_s.into(),
            s.started_us.into(),
            s.last_activity_us.into(),
            s.hold_id.as_str().into(),
            s.slot_us.into(),
            s.minutes.into(),
            s.captured.into(),
            s.state.as_str().into(),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn touch<T: Tx>(tx: &T, id: &str, now_us: i64) -> Result<(), T::Error> {
    tx.exec(
        "UPDATE sessions SET last_activity_us = ?2 \
         WHERE session_id = ?1 AND state = 'live' AND last_activity_us < ?2",
        &[id.into(), now_us.into()],
    )
    .await?;
    Ok(())
}

pub(crate) async fn list<T: Tx>(
    tx: &T,
    filter: SessionFilter<'_>,
) -> Result<Vec<SessionRow>, T::Error> {
    let (sql, param) = match filter {
        SessionFilter::One(id) => (
            format!("SELECT {COLS} FROM sessions WHERE session_id = ?1"),
            id,
        ),
        SessionFilter::Live | SessionFilter::Tokens => (
            format!("SELECT {COLS} FROM sessions WHERE state = ?1 ORDER BY started_us, session_id"),
            if filter == SessionFilter::Live {
                "live"
            } else {
                "token"
            },
        ),
    };
    tx.query(&sql, &[param.into()], row).await
}

/// Marks stopped session `id`'s stop unconfirmed as of `at_us`, unless it
/// is marked already (the first mark starts the retry window).
pub(crate) async fn mark_unconfirmed<T: Tx>(tx: &T, id: &str, at_us: i64) -> Result<(), T::Error> {
    tx.exec(
        "UPDATE sessions SET stop_unconfirmed_us = ?2 \
         WHERE session_id = ?1 AND state = 'stopped' AND stop_unconfirmed_us IS NULL",
        &[id.into(), at_us.into()],
    )
    .await?;
    Ok(())
}

/// Stopped sessions whose stop is unconfirmed since `since_us`, oldest
/// mark first (the partial index on the mark serves the range).
pub(crate) async fn unconfirmed<T: Tx>(
    tx: &T,
    since_us: i64,
    limit: u32,
) -> Result<Vec<SessionRow>, T::Error> {
    let sql = format!(
        "SELECT {COLS} FROM sessions \
         WHERE stop_unconfirmed_us >= ?1 AND state = 'stopped' \
         ORDER BY stop_unconfirmed_us, session_id LIMIT ?2"
    );
    tx.query(&sql, &[since_us.into(), i64::from(limit).into()], row)
        .await
}

/// Clears session `id`'s mark; a session not marked is left untouched.
pub(crate) async fn clear_unconfirmed<T: Tx>(tx: &T, id: &str) -> Result<(), T::Error> {
    tx.exec(
        "UPDATE sessions SET stop_unconfirmed_us = NULL \
         WHERE session_id = ?1 AND stop_unconfirmed_us IS NOT NULL",
        &[id.into()],
    )
    .await?;
    Ok(())
}
