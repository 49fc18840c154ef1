//! Holds of idempotent requests HeyGen dedupes by key, written once over
//! [`Tx`]. Each is linked to its request's fingerprint in the transaction
//! that takes it; a retry of a request whose outcome was lost (a timeout,
//! an answer cut off) finds the hold its earlier attempt left, so the job
//! HeyGen names to the retry — the earlier attempt's, if it made one — is
//! held and charged once; so is the realtime session it names, whose first
//! minute that hold then pays.

use super::{Param, Tx};
use crate::ledger::retry::Takeover;
use crate::ledger::rows::{to_us, HoldRow};
use crate::ledger::types::HoldState;

/// Links `hold` to `fingerprint` (nothing without one). Called in the
/// transaction that inserts the hold, so no hold of such a request exists
/// unlinked: a crash cannot leave a hold a retry would not find.
pub(crate) async fn link<T: Tx>(
    tx: &T,
    hold: &HoldRow,
    fingerprint: Option<&str>,
) -> Result<(), T::Error> {
    let Some(fingerprint) = fingerprint else {
        return Ok(());
    };
    tx.exec(
        "INSERT INTO idem_holds (hold_id, tenant, fingerprint) VALUES (?1, ?2, ?3)",
        &[
            hold.hold_id.as_str().into(),
            hold.tenant.as_str().into(),
            fingerprint.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The oldest hold of `tenant` on `route` linked to `fingerprint`, created
/// at or after `since_us`, that no job was recorded under and that nobody
/// settled, as `takeover` qualifies it. A `released` hold's attempt made
/// nothing, and a hold with a job already has the one job the key stands
/// for. Returned locked, first in the lock order.
pub(crate) async fn find<T: Tx>(
    tx: &T,
    tenant: &str,
    route: &str,
    fingerprint: &str,
    since_us: i64,
    takeover: Takeover,
) -> Result<Option<HoldRow>, T::Error> {
    // A held hold a live session or token is on is that session's minute.
    let states = match takeover {
        Takeover::Job => "h.state IN ('held', 'expired')",
        Takeover::Session { .. } => {
            "h.state = 'held' AND NOT EXISTS (SELECT 1 FROM sessions s \
             WHERE s.state IN ('live', 'token') AND s.hold_id = h.hold_id)"
        }
    };
    let sql = format!(
        "SELECT h.hold_id FROM holds h JOIN idem_holds i ON i.hold_id = h.hold_id \
         WHERE i.tenant = ?1 AND i.fingerprint = ?2 AND h.tenant = ?1 AND h.route = ?3 \
         AND h.created_us >= ?4 AND {states} \
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.hold_id = h.hold_id) \
         ORDER BY h.created_us, h.hold_id LIMIT 1"
    );
    let params: [Param; 4] = [
        tenant.into(),
        fingerprint.into(),
        route.into(),
        since_us.into(),
    ];
    let ids = tx.query(&sql, &params, |r| r.text(0)).await?;
    let Some(id) = ids.into_iter().next() else {
        return Ok(None);
    };
    // Re-read under the lock: only expiry can have moved it meanwhile (the
    // key's claim keeps other attempts out, and with them any session
    // start on this hold); an expired hold still qualifies for a job.
    let Some(mut hold) = tx.hold_for_update(&id).await? else {
        return Ok(None);
    };
    match (takeover, hold.state) {
        (Takeover::Job, HoldState::Held | HoldState::Expired) => Ok(Some(hold)),
        (Takeover::Session { until }, HoldState::Held) => {
            let until_us = to_us(until);
            if hold.expires_us < until_us {
                tx.exec(
                    "UPDATE holds SET expires_us = ?2 WHERE hold_id = ?1",
                    &[id.as_str().into(), until_us.into()],
                )
                .await?;
                hold.expires_us = until_us;
            }
            Ok(Some(hold))
        }
        _ => Ok(None),
    }
}
