//! [`AssetLengths`] on PostgreSQL: each call is one shared operation from
//! `ledger::ops::asset_media` in its own transaction.

use async_trait::async_trait;

use super::tx::PgTx;
use super::{Fail, PostgresLedger, MAX_ATTEMPTS};
use crate::ledger::ops::asset_media;
use crate::ledger::{AssetLengths, AssetMedia, LedgerError};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl AssetLengths for PostgresLedger {
    async fn record_asset_media(&self, media: &AssetMedia) -> R<()> {
        let now = self.now_us();
        in_tx!(self, |tx| asset_media::record(&PgTx(&tx), media, now))
    }

    async fn asset_media(&self, asset_ids: &[String]) -> R<Vec<AssetMedia>> {
        in_tx!(self, |tx| asset_media::find(&PgTx(&tx), asset_ids))
    }
}
