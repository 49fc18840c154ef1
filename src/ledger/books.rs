//! [`PriceBookHistory`]: every price book the gateway ran with, by
//! `pricing.version`, so a hold settles at the prices it was admitted
//! under after a restart or on another replica. The ledger keeps a book as
//! opaque text (its canonical form); what the text means, and whether two
//! texts are the same book, is decided above the ledger.

use async_trait::async_trait;

use super::types::LedgerError;

type R<T> = Result<T, LedgerError>;

/// What [`PriceBookHistory::record_price_book`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookRecord {
    /// The version was new; the book is now recorded under it.
    Recorded,
    /// The version was recorded with this very text.
    Same,
    /// The version was recorded with other text: this one (the row is
    /// unchanged).
    Differs(String),
}

/// Recorded price books; both backends.
#[async_trait]
pub trait PriceBookHistory: Send + Sync + 'static {
    /// Records `book` (canonical text) under `version` unless that version
    /// is recorded already; a version names one book for good, so an
    /// existing row is never changed. Concurrent callers (replicas
    /// starting together) all see the one row that won.
    async fn record_price_book(&self, version: &str, book: &str) -> R<BookRecord>;

    /// The text recorded under `version`, if any.
    async fn price_book(&self, version: &str) -> R<Option<String>>;
}
