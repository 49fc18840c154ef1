//! [`AssetLengths`] on SQLite: each call is one shared operation from
//! `ledger::ops::asset_media` run on the worker's connection.

use async_trait::async_trait;

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::ops::{asset_media, run_ready};
use crate::ledger::{AssetLengths, AssetMedia, LedgerError};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl AssetLengths for SqliteLedger {
    async fn record_asset_media(&self, media: &AssetMedia) -> R<()> {
        let (media, now) = (media.clone(), self.now_us());
        self.worker
            .call(move |c| run_ready(asset_media::record(&SqliteTx(c), &media, now)))
            .await
    }

    async fn asset_media(&self, asset_ids: &[String]) -> R<Vec<AssetMedia>> {
        let ids = asset_ids.to_vec();
        self.worker
            .call(move |c| run_ready(asset_media::find(&SqliteTx(c), &ids)))
            .await
    }
}
