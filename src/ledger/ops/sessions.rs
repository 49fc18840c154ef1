//! Metered sessions' rows (see the `sessions` module), written once over [`Tx`].
//! Advancing and stopping compare the current minute's hold id, so of two
//! replicas metering one session only one moves it on.

use super::{registry, Tx};
use crate::ledger::decide::new_hold_id;
use crate::ledger::resources::ResourceRecord;
use crate::ledger::rows::RowAccess;
use crate::ledger::session_types::{NextMinute, SessionFilter, SessionRow};
use crate::ledger::types::{HoldDecision, HoldRequest, HoldState, LedgerError, Settlement};

const COLS: &str = "session_id, tenant, feature, kind, rate, idle_s, started_us, \
    last_activity_us, hold_id, slot_us, minutes, captured, state, stop_reason, stopped_us";

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
    })
}

pub(crate) async fn open<T: Tx>(tx: &T, s: &SessionRow) -> Result<(), T::Error> {
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

/// Locks a live session on minute hold `from` (a no-op write: PostgreSQL
/// keeps the row lock to commit, so a racing replica's same statement waits
/// and then finds the minute moved). `false` when it is not live on `from`.
async fn lock_on<T: Tx>(tx: &T, id: &str, from: &str) -> Result<bool, T::Error> {
    let n = tx
        .exec(
            "UPDATE sessions SET minutes = minutes \
             WHERE session_id = ?1 AND hold_id = ?2 AND state IN ('live', 'token')",
            &[id.into(), from.into()],
        )
        .await?;
    Ok(n == 1)
}

/// In one transaction: holds the next minute (`req`, budget-checked like
/// any hold), captures the ended minute `from` whole, and moves the session
/// on to the new hold from `slot_us`. A refused hold changes nothing; a
/// session no longer live on `from` (another replica moved it) neither.
pub(crate) async fn next_minute<T: Tx>(
    tx: &T,
    id: &str,
    from: &str,
    req: &HoldRequest,
    slot_us: i64,
    now_us: i64,
) -> Result<NextMinute, T::Error> {
    if !lock_on(tx, id, from).await? {
        return Ok(NextMinute::Moved);
    }
    let hold_id = new_hold_id();
    let decision = super::hold(tx, req, &hold_id).await?;
    if !matches!(decision, HoldDecision::Held { .. }) {
        return Ok(NextMinute::Refused(decision));
    }
    let ended = super::capture(tx, from, req.amount, now_us).await?;
    tx.exec(
        "UPDATE sessions SET hold_id = ?2, slot_us = ?3, minutes = minutes + 1, \
         captured = captured + ?4 WHERE session_id = ?1",
        &[
            id.into(),
            hold_id.as_str().into(),
            slot_us.into(),
            ended.captured.into(),
        ],
    )
    .await?;
    Ok(NextMinute::Held { hold_id, ended })
}

/// In one transaction: stops a session live on minute hold `from` and
/// captures `cost` from that hold; a cost of 0 (a token nobody used, a
/// session idle since its minute began) releases it instead. `None` when
/// it was not live on `from` any more.
pub(crate) async fn end<T: Tx>(
    tx: &T,
    id: &str,
    from: &str,
    reason: &str,
    end_us: i64,
    cost: i64,
    now_us: i64,
) -> Result<Option<Settlement>, T::Error> {
    if !lock_on(tx, id, from).await? {
        return Ok(None);
    }
    let settled = if cost == 0 {
        let hold = tx
            .hold_for_update(from)
            .await?
            .ok_or_else(|| LedgerError::NotFound(from.to_string()))?;
        super::release(tx, from, reason, now_us).await?;
        Settlement {
            hold_id: hold.hold_id,
            tenant: hold.tenant,
            feature: hold.feature,
            captured: 0,
            released: hold.held_open,
            overage: 0,
            hold_state: HoldState::Released,
        }
    } else {
        super::capture(tx, from, cost, now_us).await?
    };
    tx.exec(
        "UPDATE sessions SET state = 'stopped', stop_reason = ?2, stopped_us = ?3, \
         captured = captured + ?4 WHERE session_id = ?1",
        &[
            id.into(),
            reason.into(),
            end_us.into(),
            settled.captured.into(),
        ],
    )
    .await?;
    Ok(Some(settled))
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

/// Binds `session_id`, seen in HeyGen's session list, to the oldest minted
/// token: the token's row becomes the live session (its hold pays the
/// first minute from `started_us`), recorded as the token tenant's.
pub(crate) async fn claim_token<T: Tx>(
    tx: &T,
    session_id: &str,
    started_us: i64,
    now_us: i64,
) -> Result<Option<SessionRow>, T::Error> {
    for _ in 0..8 {
        let Some(token) = list(tx, SessionFilter::Tokens).await?.into_iter().next() else {
            return Ok(None);
        };
        // Not before the token existed (clocks differ).
        let started_us = started_us.max(token.started_us);
        let n = tx
            .exec(
                "UPDATE sessions SET session_id = ?2, state = 'live', started_us = ?3, \
                 slot_us = ?3, last_activity_us = ?4 WHERE session_id = ?1 AND state = 'token'",
                &[
                    token.session_id.as_str().into(),
                    session_id.into(),
                    started_us.into(),
                    now_us.into(),
                ],
            )
            .await?;
        if n == 1 {
            let owned = [ResourceRecord::new(session_id, "streaming_session")];
            registry::record(tx, &token.tenant, Some(&token.hold_id), &owned, now_us).await?;
            return Ok(list(tx, SessionFilter::One(session_id))
                .await?
                .into_iter()
                .next());
        }
    }
    Ok(None)
}
