//! [`PriceBookHistory`] on PostgreSQL: each call is one shared operation
//! from `ledger::ops::books` in its own transaction.

use async_trait::async_trait;

use super::tx::PgTx;
use super::{Fail, PostgresLedger, MAX_ATTEMPTS};
use crate::ledger::ops::books;
use crate::ledger::{BookRecord, LedgerError, PriceBookHistory};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl PriceBookHistory for PostgresLedger {
    async fn record_price_book(&self, version: &str, book: &str) -> R<BookRecord> {
        let now = self.now_us();
        in_tx!(self, |tx| books::record(&PgTx(&tx), version, book, now))
    }

    async fn price_book(&self, version: &str) -> R<Option<String>> {
        in_tx!(self, |tx| books::find(&PgTx(&tx), version))
    }
}
