//! A metered session's minutes (see the `sessions` module), written once
//! over [`Tx`]. Each minute is a hold. The next minute is held ahead, within
//! two ticks of the current one's end, so the session never runs unheld and
//! the budget is checked before the minute starts; the current minute is
//! captured only once it has ended. A stop before that captures the current
//! minute to the second and releases the minute held ahead, so a session
//! pays the time it used wherever in a minute it stops.
//!
//! Every write first locks the session on its current minute (a
//! compare-and-set on its hold id; moving on, on the minute held ahead
//! too), so of two replicas only one moves it on, and each is one
//! transaction: a crash leaves all of it or none.
//!
//! A session's current minute whose hold was settled by something else
//! (captured by a start the gateway failed to register whose row was
//! committed all the same, an operator's capture or release) can neither
//! be captured nor released again. Failing on it every tick would strand
//! the session live for good, with its minute held ahead never released
//! (live sessions' holds are exempt from expiry) and the tenant's budget
//! short by it: so moving on and ending both take such a session as
//! settled already and stop it, releasing the minute held ahead.

use super::sessions::list;
use super::Tx;
use crate::ledger::decide::new_hold_id;
use crate::ledger::rows::HoldRow;
use crate::ledger::session_types::{NextMinute, SessionFilter, SessionMinute, STOP_SETTLED};
use crate::ledger::types::{HoldDecision, HoldRequest, HoldState, LedgerError, Settlement};
use crate::money::Micros;

/// Locks a live session on minute hold `from` (a no-op write: PostgreSQL
/// keeps the row lock to commit, so a racing replica's same statement waits
/// and then finds the minute moved). With `ahead`, the minute held ahead
/// must be that hold too (`""`: none is). `false` when it is not so.
async fn lock_on<T: Tx>(
    tx: &T,
    id: &str,
    from: &str,
    ahead: Option<&str>,
) -> Result<bool, T::Error> {
    let mut sql = "UPDATE sessions SET minutes = minutes \
         WHERE session_id = ?1 AND hold_id = ?2 AND state IN ('live', 'token')"
        .to_string();
    let mut params = vec![id.into(), from.into()];
    if let Some(ahead) = ahead {
        // Hold ids are never empty, so "" stands for NULL in both dialects.
        sql.push_str(" AND COALESCE(next_hold_id, '') = ?3");
        params.push(ahead.into());
    }
    Ok(tx.exec(&sql, &params).await? == 1)
}

/// In one transaction, for a session on `minute` (current hold, and the
/// next minute's from `slot_us` if held ahead): holds the next minute if it
/// is not held yet (`req`, budget-checked like any hold, at the current
/// minute's price version: a session is priced by the book its first
/// minute was admitted under, whatever reloads came since), then, if the
/// current minute has ended by the meter's clock (`at_us >= slot_us`),
/// captures it whole (`req.amount`, the minute's price) and moves the
/// session on to the next. A refused hold changes nothing, nor does a
/// session no longer on `minute`: another replica moved it. A current
/// minute no longer `held` stops the session ([`NextMinute::Settled`]).
pub(crate) async fn next_minute<T: Tx>(
    tx: &T,
    minute: SessionMinute<'_>,
    req: &HoldRequest,
    slot_us: i64,
    at_us: i64,
    now_us: i64,
) -> Result<NextMinute, T::Error> {
    let SessionMinute {
        session_id: id,
        hold_id: from,
        next_hold_id: ahead,
    } = minute;
    if !lock_on(tx, id, from, Some(ahead.unwrap_or(""))).await? {
        return Ok(NextMinute::Moved);
    }
    let current = must_hold(tx, from).await?;
    if current.state != HoldState::Held {
        let end_us = current.settled_us.unwrap_or(now_us);
        let stop = (STOP_SETTLED, end_us, now_us);
        let settled = settled_elsewhere(tx, id, &current, ahead, stop).await?;
        return Ok(NextMinute::Settled(settled));
    }
    let next = match ahead {
        Some(next) => next.to_string(),
        None => {
            let hold_id = new_hold_id();
            let req = HoldRequest {
                price_version: current.price_version.clone(),
                ..req.clone()
            };
            let decision = super::hold(tx, &req, &hold_id).await?;
            if !matches!(decision, HoldDecision::Held { .. }) {
                return Ok(NextMinute::Refused(decision));
            }
            tx.exec(
                "UPDATE sessions SET next_hold_id = ?2, minutes = minutes + 1 \
                 WHERE session_id = ?1",
                &[id.into(), hold_id.as_str().into()],
            )
            .await?;
            hold_id
        }
    };
    if at_us < slot_us {
        // Held ahead; the current minute runs on and is captured when it
        // ends, or to the second at a stop before that.
        return Ok(NextMinute::Held {
            hold_id: next,
            ended: None,
        });
    }
    let ended = super::capture(tx, from, req.amount, now_us).await?;
    tx.exec(
        "UPDATE sessions SET hold_id = ?2, next_hold_id = NULL, slot_us = ?3, \
         captured = captured + ?4 WHERE session_id = ?1",
        &[
            id.into(),
            next.as_str().into(),
            slot_us.into(),
            ended.captured.into(),
        ],
    )
    .await?;
    Ok(NextMinute::Held {
        hold_id: next,
        ended: Some(ended),
    })
}

/// In one transaction: stops a session live on minute hold `from` at
/// `end_us` and charges `cost`, what the session owes beyond the minutes
/// already captured. With a minute held ahead, the current minute takes up
/// to its whole price (the session's `rate`) and the minute ahead the rest:
/// nothing when the stop came before the current minute's end, so that
/// hold is released. A hold charged 0 is released rather than captured.
/// Returns both holds' sums (`hold_id` is the current minute's); `None`
/// when the session was not live on `from` any more. A current minute
/// settled elsewhere charges nothing more: the session stops, the minute
/// held ahead released (see the module doc).
pub(crate) async fn end<T: Tx>(
    tx: &T,
    id: &str,
    from: &str,
    reason: &str,
    end_us: i64,
    cost: Micros,
    now_us: i64,
) -> Result<Option<Settlement>, T::Error> {
    if !lock_on(tx, id, from, None).await? {
        return Ok(None);
    }
    let session = list(tx, SessionFilter::One(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| LedgerError::NotFound(id.to_string()))?;
    let hold = must_hold(tx, from).await?;
    if hold.state != HoldState::Held {
        let ahead = session.next_hold_id.as_deref();
        let stop = (reason, end_us, now_us);
        return Ok(Some(settled_elsewhere(tx, id, &hold, ahead, stop).await?));
    }
    let (current, ahead) = match &session.next_hold_id {
        Some(_) => {
            let current = cost.min(session.rate.max(0));
            (current, cost - current)
        }
        None => (cost, 0),
    };
    let mut settled = settle_minute(tx, from, current, reason, now_us).await?;
    if let Some(next) = &session.next_hold_id {
        let more = settle_minute(tx, next, ahead, reason, now_us).await?;
        settled.captured += more.captured;
        settled.released += more.released;
        settled.overage += more.overage;
    }
    mark_stopped(tx, id, reason, end_us, settled.captured).await?;
    Ok(Some(settled))
}

/// Captures `cost` from a minute's hold, or releases it when the cost is
/// 0 (a token nobody used, a session idle since its minute began, a minute
/// held ahead that never began).
async fn settle_minute<T: Tx>(
    tx: &T,
    hold_id: &str,
    cost: Micros,
    reason: &str,
    now_us: i64,
) -> Result<Settlement, T::Error> {
    if cost != 0 {
        return super::capture(tx, hold_id, cost, now_us).await;
    }
    let hold = tx
        .hold_for_update(hold_id)
        .await?
        .ok_or_else(|| LedgerError::NotFound(hold_id.to_string()))?;
    super::release(tx, hold_id, reason, now_us).await?;
    Ok(Settlement {
        hold_id: hold.hold_id,
        tenant: hold.tenant,
        feature: hold.feature,
        captured: 0,
        released: hold.held_open,
        overage: 0,
        hold_state: HoldState::Released,
    })
}

async fn must_hold<T: Tx>(tx: &T, hold_id: &str) -> Result<HoldRow, T::Error> {
    tx.hold_for_update(hold_id)
        .await?
        .ok_or_else(|| LedgerError::NotFound(hold_id.to_string()).into())
}

/// Stops session `id` whose current minute's hold `current` is settled
/// already (`stop`: reason, end and now, µs): the minute held ahead, if
/// still open, is released, and what `current` captured is added to the
/// session's total. Returns what this released; nothing is captured here.
async fn settled_elsewhere<T: Tx>(
    tx: &T,
    id: &str,
    current: &HoldRow,
    ahead: Option<&str>,
    (reason, end_us, now_us): (&str, i64, i64),
) -> Result<Settlement, T::Error> {
    let mut released = 0;
    if let Some(next) = ahead {
        let next = must_hold(tx, next).await?;
        if next.state == HoldState::Held {
            super::release(tx, &next.hold_id, reason, now_us).await?;
            released = next.held_open;
        }
    }
    mark_stopped(tx, id, reason, end_us, current.captured).await?;
    Ok(Settlement {
        hold_id: current.hold_id.clone(),
        tenant: current.tenant.clone(),
        feature: current.feature.clone(),
        captured: 0,
        released,
        overage: 0,
        hold_state: current.state,
    })
}

/// Marks a session stopped at `end_us`, adding `captured` to its total and
/// forgetting the minute held ahead (settled by the caller).
async fn mark_stopped<T: Tx>(
    tx: &T,
    id: &str,
    reason: &str,
    end_us: i64,
    captured: Micros,
) -> Result<(), T::Error> {
    tx.exec(
        "UPDATE sessions SET state = 'stopped', stop_reason = ?2, stopped_us = ?3, \
         captured = captured + ?4, next_hold_id = NULL WHERE session_id = ?1",
        &[id.into(), reason.into(), end_us.into(), captured.into()],
    )
    .await?;
    Ok(())
}
