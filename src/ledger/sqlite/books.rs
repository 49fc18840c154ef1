//! [`PriceBookHistory`] on SQLite: each call is one shared operation from
//! `ledger::ops::books` run on the worker's connection.

use async_trait::async_trait;

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::ops::{books, run_ready};
use crate::ledger::{BookRecord, LedgerError, PriceBookHistory};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl PriceBookHistory for SqliteLedger {
    async fn record_price_book(&self, version: &str, book: &str) -> R<BookRecord> {
        let (version, book, now) = (version.to_string(), book.to_string(), self.now_us());
        self.worker
            .call(move |c| run_ready(books::record(&SqliteTx(c), &version, &book, now)))
            .await
    }

    async fn price_book(&self, version: &str) -> R<Option<String>> {
        let version = version.to_string();
        self.worker
            .call(move |c| run_ready(books::find(&SqliteTx(c), &version)))
            .await
    }
}
