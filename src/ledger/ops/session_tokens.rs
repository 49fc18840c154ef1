//! Session tokens (see [`SessionToken`]): a LiveAvatar session is opened
//! together with its token's digest, and the session is recorded as the
//! tenant's, in one transaction, so a token never names a session the
//! ledger does not meter.

use super::{registry, sessions, Tx};
use crate::ledger::resources::ResourceRecord;
use crate::ledger::rows::RowAccess;
use crate::ledger::session_types::{SessionRow, SessionToken, TokenKey};
use crate::ledger::types::LedgerError;

/// Resource kind of a LiveAvatar session in the ownership registry.
pub(crate) const LIVEAVATAR_SESSION: &str = "liveavatar_session";

fn row(r: &dyn RowAccess) -> Result<SessionToken, LedgerError> {
    Ok(SessionToken {
        token_sha256: r.text(0)?,
        session_id: r.text(1)?,
        tenant: r.text(2)?,
        max_end_us: r.opt_int(3)?,
    })
}

/// Opens `session` (like [`sessions::open`]), stores its token and records
/// the session as the tenant's, in the caller's transaction. A token
/// already stored keeps its first session.
pub(crate) async fn open<T: Tx>(
    tx: &T,
    session: &SessionRow,
    token: &SessionToken,
    now_us: i64,
) -> Result<(), T::Error> {
    sessions::open(tx, session).await?;
    tx.exec(
        "INSERT INTO session_tokens (token_sha256, session_id, tenant, max_end_us) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (token_sha256) DO NOTHING",
        &[
            token.token_sha256.as_str().into(),
            token.session_id.as_str().into(),
            token.tenant.as_str().into(),
            token.max_end_us.into(),
        ],
    )
    .await?;
    let owned = [ResourceRecord::new(&session.session_id, LIVEAVATAR_SESSION)];
    registry::record(tx, &session.tenant, Some(&session.hold_id), &owned, now_us).await?;
    Ok(())
}

/// The token by its digest, or the (first) token of a session.
pub(crate) async fn find<T: Tx>(
    tx: &T,
    key: TokenKey<'_>,
) -> Result<Option<SessionToken>, T::Error> {
    let (column, value) = match key {
        TokenKey::Digest(d) => ("token_sha256", d),
        TokenKey::Session(s) => ("session_id", s),
    };
    let sql = format!(
        "SELECT token_sha256, session_id, tenant, max_end_us FROM session_tokens \
         WHERE {column} = ?1 ORDER BY token_sha256 LIMIT 1"
    );
    Ok(tx
        .query(&sql, &[value.into()], row)
        .await?
        .into_iter()
        .next())
}
