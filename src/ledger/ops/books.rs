//! Recorded price books ([`BookRecord`]), written once over [`Tx`].

use super::Tx;
use crate::ledger::books::BookRecord;
use crate::ledger::types::LedgerError;

/// Inserts `book` under `version` unless the version is recorded, then
/// says how the recorded text compares.
pub(crate) async fn record<T: Tx>(
    tx: &T,
    version: &str,
    book: &str,
    now_us: i64,
) -> Result<BookRecord, T::Error> {
    if version.is_empty() {
        return Err(LedgerError::InvalidState("a price book needs its version".into()).into());
    }
    // DO NOTHING rather than an upsert: a version's first book stays its book.
    let n = tx
        .exec(
            "INSERT INTO price_books (version, book, created_us) VALUES (?1, ?2, ?3) \
             ON CONFLICT (version) DO NOTHING",
            &[version.into(), book.into(), now_us.into()],
        )
        .await?;
    if n > 0 {
        return Ok(BookRecord::Recorded);
    }
    match find(tx, version).await? {
        Some(stored) if stored == book => Ok(BookRecord::Same),
        Some(stored) => Ok(BookRecord::Differs(stored)),
        // Rows are never deleted, so the conflict's row is there.
        None => Err(LedgerError::InvalidState(format!(
            "price book {version:?} neither inserted nor found"
        ))
        .into()),
    }
}

/// The text recorded under `version`.
pub(crate) async fn find<T: Tx>(tx: &T, version: &str) -> Result<Option<String>, T::Error> {
    let rows = tx
        .query(
            "SELECT book FROM price_books WHERE version = ?1",
            &[version.into()],
            |r| r.text(0),
        )
        .await?;
    Ok(rows.into_iter().next())
}
