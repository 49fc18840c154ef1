//! The session calls of [`Registry`](crate::ledger::Registry) on
//! PostgreSQL: live and token sessions and their minutes, each one shared
//! operation from `ledger::ops` in its own transaction (retried on
//! deadlock), and [`UnconfirmedStops`] the same way.
//!
//! Their own file, as on SQLite (`sqlite/sessions.rs`): the trait impl in
//! `registry.rs` delegates to them.

use async_trait::async_trait;

use super::tx::PgTx;
use super::{Fail, PostgresLedger, MAX_ATTEMPTS};
use crate::ledger::ops::session_claims::{self, Listed};
use crate::ledger::ops::{session_minutes, session_tokens, sessions};
use crate::ledger::*;
use crate::money::Micros;

type R<T> = Result<T, LedgerError>;

pub(super) async fn open_session(l: &PostgresLedger, session: &SessionRow) -> R<()> {
    in_tx!(l, |tx| sessions::open(&PgTx(&tx), session))
}

pub(super) async fn touch_session(l: &PostgresLedger, session_id: &str) -> R<()> {
    let now = l.now_us();
    in_tx!(l, |tx| sessions::touch(&PgTx(&tx), session_id, now))
}

pub(super) async fn next_session_minute(
    l: &PostgresLedger,
    minute: SessionMinute<'_>,
    req: HoldRequest,
    slot_us: i64,
    at_us: i64,
) -> R<NextMinute> {
    let now = l.now_us();
    in_tx!(l, |tx| session_minutes::next_minute(
        &PgTx(&tx),
        minute,
        &req,
        slot_us,
        at_us,
        now
    ))
}

pub(super) async fn end_session(
    l: &PostgresLedger,
    session_id: &str,
    from: &str,
    reason: &str,
    end_us: i64,
    cost: Micros,
) -> R<Option<Settlement>> {
    let now = l.now_us();
    in_tx!(l, |tx| session_minutes::end(
        &PgTx(&tx),
        session_id,
        from,
        reason,
        end_us,
        cost,
        now
    ))
}

pub(super) async fn sessions(l: &PostgresLedger, filter: SessionFilter<'_>) -> R<Vec<SessionRow>> {
    in_tx!(l, |tx| sessions::list(&PgTx(&tx), filter))
}

pub(super) async fn open_token_session(
    l: &PostgresLedger,
    session: &SessionRow,
    token: &SessionToken,
) -> R<()> {
    let now = l.now_us();
    in_tx!(l, |tx| session_tokens::open(
        &PgTx(&tx),
        session,
        token,
        now
    ))
}

pub(super) async fn session_token(
    l: &PostgresLedger,
    key: TokenKey<'_>,
) -> R<Option<SessionToken>> {
    in_tx!(l, |tx| session_tokens::find(&PgTx(&tx), key))
}

pub(super) async fn claim_token_session(
    l: &PostgresLedger,
    session_id: &str,
    started_us: i64,
    starts_since_us: i64,
) -> R<TokenClaim> {
    let now = l.now_us();
    let listed = Listed {
        session_id,
        started_us,
        starts_since_us,
    };
    in_tx!(l, |tx| session_claims::claim(&PgTx(&tx), listed, now))
}

#[async_trait]
impl UnconfirmedStops for PostgresLedger {
    async fn mark_stop_unconfirmed(&self, session_id: &str, at_us: i64) -> R<()> {
        in_tx!(self, |tx| sessions::mark_unconfirmed(
            &PgTx(&tx),
            session_id,
            at_us
        ))
    }

    async fn unconfirmed_stops(&self, since_us: i64, limit: u32) -> R<Vec<SessionRow>> {
        in_tx!(self, |tx| sessions::unconfirmed(
            &PgTx(&tx),
            since_us,
            limit
        ))
    }

    async fn clear_stop_unconfirmed(&self, session_id: &str) -> R<()> {
        in_tx!(self, |tx| sessions::clear_unconfirmed(
            &PgTx(&tx),
            session_id
        ))
    }
}
