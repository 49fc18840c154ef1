//! Binding a session seen in HeyGen's streaming list to the token that
//! started it, written once over [`Tx`]. Sessions started with a
//! `streaming.create_token` token talk to HeyGen directly, so the gateway
//! learns of them only from the list, which does not say which token
//! started a session. So a session is bound only when one tenant alone
//! could have started it:
//!
//! - a session the ledger knows in any state (live, stopped — say the
//!   gateway's own stop has not reached HeyGen yet —, kept unattributed) or
//!   a recorded owner of is never a token's;
//! - the candidates are the tenants with a waiting token, and those with a
//!   session start of the tokens' feature not answered yet (in flight, or
//!   its answer lost: HeyGen may have made the session all the same), taken
//!   since the caller's bound;
//! - candidates of more than one tenant: bound to none, and a row kept in
//!   state `unattributed` so that no later tick binds it by elimination
//!   (once the other tenant's token is released, say). A start whose
//!   answer names the session later still registers it as its tenant's
//!   (`sessions::open` replaces that row);
//! - one tenant: bound to its oldest waiting token, as before (an org-key
//!   session outside the gateway is taken for it too: the list cannot tell).

use std::collections::BTreeSet;

use super::sessions::list;
use super::{registry, Tx};
use crate::ledger::resources::ResourceRecord;
use crate::ledger::session_types::{SessionFilter, SessionRow, TokenClaim};

/// A session in HeyGen's list, as the meter's tick saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Listed<'a> {
    pub session_id: &'a str,
    /// When HeyGen created it (µs; the tick's time when the list omits it).
    pub started_us: i64,
    /// Session starts not answered yet count as candidates when taken at or
    /// after this; an older one's session would have been seen by now.
    pub starts_since_us: i64,
}

/// Binds `s` to the oldest waiting token when one tenant alone could have
/// started it (see the module doc).
pub(crate) async fn claim<T: Tx>(
    tx: &T,
    s: Listed<'_>,
    now_us: i64,
) -> Result<TokenClaim, T::Error> {
    if known(tx, s.session_id).await? {
        return Ok(TokenClaim::Known);
    }
    let tokens = list(tx, SessionFilter::Tokens).await?;
    let Some(oldest) = tokens.first() else {
        return Ok(TokenClaim::NoToken);
    };
    let mut tenants: BTreeSet<String> = tokens.iter().map(|t| t.tenant.clone()).collect();
    let features: BTreeSet<&str> = tokens.iter().map(|t| t.feature.as_str()).collect();
    for feature in features {
        tenants.extend(unanswered_starts(tx, feature, s.starts_since_us).await?);
    }
    if tenants.len() > 1 {
        keep_unattributed(tx, &s, oldest, now_us).await?;
        return Ok(TokenClaim::Unattributed {
            candidates: tenants.into_iter().collect(),
        });
    }
    bind(tx, &s, now_us).await
}

/// Whether the ledger has a session row (any state) or an owner for `id`.
async fn known<T: Tx>(tx: &T, id: &str) -> Result<bool, T::Error> {
    let found = tx
        .query(
            "SELECT session_id FROM sessions WHERE session_id = ?1 \
             UNION ALL SELECT resource_id FROM resources WHERE resource_id = ?1",
            &[id.into()],
            |r| r.text(0),
        )
        .await?;
    Ok(!found.is_empty())
}

/// Tenants with a session start of `feature` held since `since_us` that no
/// session row is on yet: forwarded and not answered, or its answer lost.
/// (A token's hold has its `token` row; a live session's minutes theirs.)
async fn unanswered_starts<T: Tx>(
    tx: &T,
    feature: &str,
    since_us: i64,
) -> Result<Vec<String>, T::Error> {
    tx.query(
        "SELECT DISTINCT h.tenant FROM holds h \
         WHERE h.state = 'held' AND h.feature = ?1 AND h.created_us >= ?2 \
         AND NOT EXISTS (SELECT 1 FROM sessions s \
             WHERE s.hold_id = h.hold_id OR s.next_hold_id = h.hold_id)",
        &[feature.into(), since_us.into()],
        |r| r.text(0),
    )
    .await
}

/// Keeps `s` as a row of no tenant, metered for none (no hold), so that it
/// is known from now on.
async fn keep_unattributed<T: Tx>(
    tx: &T,
    s: &Listed<'_>,
    like: &SessionRow,
    now_us: i64,
) -> Result<(), T::Error> {
    tx.exec(
        "INSERT INTO sessions (session_id, tenant, feature, kind, rate, idle_s, started_us, \
         last_activity_us, hold_id, slot_us, minutes, captured, state, stop_reason) \
         VALUES (?1, '', ?2, ?3, 0, 0, ?4, ?5, '', ?4, 0, 0, 'unattributed', 'unattributed') \
         ON CONFLICT (session_id) DO NOTHING",
        &[
            s.session_id.into(),
            like.feature.as_str().into(),
            like.kind.as_str().into(),
            s.started_us.into(),
            now_us.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The oldest token's row becomes the live session (its hold pays the
/// first minute from `started_us`), recorded as the token tenant's.
async fn bind<T: Tx>(tx: &T, s: &Listed<'_>, now_us: i64) -> Result<TokenClaim, T::Error> {
    for _ in 0..8 {
        let Some(token) = list(tx, SessionFilter::Tokens).await?.into_iter().next() else {
            return Ok(TokenClaim::NoToken);
        };
        // Not before the token existed (clocks differ).
        let started_us = s.started_us.max(token.started_us);
        let n = tx
            .exec(
                "UPDATE sessions SET session_id = ?2, state = 'live', started_us = ?3, \
                 slot_us = ?3, last_activity_us = ?4 WHERE session_id = ?1 AND state = 'token'",
                &[
                    token.session_id.as_str().into(),
                    s.session_id.into(),
                    started_us.into(),
                    now_us.into(),
                ],
            )
            .await?;
        if n == 1 {
            let owned = [ResourceRecord::new(s.session_id, "streaming_session")];
            registry::record(tx, &token.tenant, Some(&token.hold_id), &owned, now_us).await?;
            let bound = list(tx, SessionFilter::One(s.session_id)).await?;
            return Ok(match bound.into_iter().next() {
                Some(row) => TokenClaim::Bound(Box::new(row)),
                None => TokenClaim::NoToken,
            });
        }
    }
    Ok(TokenClaim::NoToken)
}
