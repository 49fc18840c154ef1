//! The session calls of [`Registry`](crate::ledger::Registry) and
//! [`UnconfirmedStops`] on SQLite: each runs one shared operation from
//! `ledger::ops` in the worker's group-commit transaction. The worker's
//! closures are 'static, so borrowed arguments travel as owned parts.

use async_trait::async_trait;

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::ops::session_claims::{self, Listed};
use crate::ledger::ops::{run_ready, session_minutes, session_tokens, sessions};
use crate::ledger::*;
use crate::money::Micros;

type R<T> = Result<T, LedgerError>;

pub(super) async fn open_session(l: &SqliteLedger, session: &SessionRow) -> R<()> {
    let row = session.clone();
    l.worker
        .call(move |c| run_ready(sessions::open(&SqliteTx(c), &row)))
        .await
}

pub(super) async fn touch_session(l: &SqliteLedger, session_id: &str) -> R<()> {
    let (id, now) = (session_id.to_string(), l.now_us());
    l.worker
        .call(move |c| run_ready(sessions::touch(&SqliteTx(c), &id, now)))
        .await
}

pub(super) async fn next_session_minute(
    l: &SqliteLedger,
    minute: SessionMinute<'_>,
    req: HoldRequest,
    slot_us: i64,
    at_us: i64,
) -> R<NextMinute> {
    let (id, from, ahead) = (
        minute.session_id.to_string(),
        minute.hold_id.to_string(),
        minute.next_hold_id.map(str::to_string),
    );
    let now = l.now_us();
    l.worker
        .call(move |c| {
            let minute = SessionMinute {
                session_id: &id,
                hold_id: &from,
                next_hold_id: ahead.as_deref(),
            };
            run_ready(session_minutes::next_minute(
                &SqliteTx(c),
                minute,
                &req,
                slot_us,
                at_us,
                now,
            ))
        })
        .await
}

pub(super) async fn end_session(
    l: &SqliteLedger,
    session_id: &str,
    from: &str,
    reason: &str,
    end_us: i64,
    cost: Micros,
) -> R<Option<Settlement>> {
    let (id, f, r, now) = (
        session_id.to_string(),
        from.to_string(),
        reason.to_string(),
        l.now_us(),
    );
    l.worker
        .call(move |c| {
            run_ready(session_minutes::end(
                &SqliteTx(c),
                &id,
                &f,
                &r,
                end_us,
                cost,
                now,
            ))
        })
        .await
}

pub(super) async fn sessions(l: &SqliteLedger, filter: SessionFilter<'_>) -> R<Vec<SessionRow>> {
    let (one, tokens) = match filter {
        SessionFilter::One(id) => (Some(id.to_string()), false),
        SessionFilter::Tokens => (None, true),
        SessionFilter::Live => (None, false),
    };
    l.worker
        .call(move |c| {
            let filter = match (&one, tokens) {
                (Some(id), _) => SessionFilter::One(id),
                (None, true) => SessionFilter::Tokens,
                (None, false) => SessionFilter::Live,
            };
            run_ready(sessions::list(&SqliteTx(c), filter))
        })
        .await
}

pub(super) async fn open_token_session(
    l: &SqliteLedger,
    session: &SessionRow,
    token: &SessionToken,
) -> R<()> {
    let (row, tok, now) = (session.clone(), token.clone(), l.now_us());
    l.worker
        .call(move |c| run_ready(session_tokens::open(&SqliteTx(c), &row, &tok, now)))
        .await
}

pub(super) async fn session_token(l: &SqliteLedger, key: TokenKey<'_>) -> R<Option<SessionToken>> {
    let (by_digest, value) = match key {
        TokenKey::Digest(d) => (true, d.to_string()),
        TokenKey::Session(s) => (false, s.to_string()),
    };
    l.worker
        .call(move |c| {
            let key = if by_digest {
                TokenKey::Digest(&value)
            } else {
                TokenKey::Session(&value)
            };
            run_ready(session_tokens::find(&SqliteTx(c), key))
        })
        .await
}

pub(super) async fn claim_token_session(
    l: &SqliteLedger,
    session_id: &str,
    started_us: i64,
    starts_since_us: i64,
) -> R<TokenClaim> {
    let (id, now) = (session_id.to_string(), l.now_us());
    l.worker
        .call(move |c| {
            let listed = Listed {
                session_id: &id,
                started_us,
                starts_since_us,
            };
            run_ready(session_claims::claim(&SqliteTx(c), listed, now))
        })
        .await
}

#[async_trait]
impl UnconfirmedStops for SqliteLedger {
    async fn mark_stop_unconfirmed(&self, session_id: &str, at_us: i64) -> R<()> {
        let id = session_id.to_string();
        self.worker
            .call(move |c| run_ready(sessions::mark_unconfirmed(&SqliteTx(c), &id, at_us)))
            .await
    }

    async fn unconfirmed_stops(&self, since_us: i64, limit: u32) -> R<Vec<SessionRow>> {
        self.worker
            .call(move |c| run_ready(sessions::unconfirmed(&SqliteTx(c), since_us, limit)))
            .await
    }

    async fn clear_stop_unconfirmed(&self, session_id: &str) -> R<()> {
        let id = session_id.to_string();
        self.worker
            .call(move |c| run_ready(sessions::clear_unconfirmed(&SqliteTx(c), &id)))
            .await
    }
}
