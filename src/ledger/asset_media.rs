//! [`AssetLengths`]: what the gateway read of each file uploaded through it
//! (`POST /v1/asset`, `POST /v3/assets`), by HeyGen's asset id, so a later
//! request naming the asset instead of a URL is priced at the file's own
//! length (basis `recorded`) rather than the configured default.

use async_trait::async_trait;

use super::types::LedgerError;

type R<T> = Result<T, LedgerError>;

/// Most ids one [`AssetLengths::asset_media`] call reads; more are ignored
/// (a request naming more assets is priced at the defaults for the rest).
pub const MAX_ASSET_LOOKUP: usize = 64;

/// One uploaded file as the gateway saw it stream past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetMedia {
    pub asset_id: String,
    /// The tenant that uploaded it (for ops; lookups are by id only).
    pub tenant: String,
    /// Bytes of the file (the multipart file part, not the whole body).
    pub size_bytes: u64,
    /// `None` for a file that is not media (an image, a PDF) or whose
    /// header could not be read from its first and last bytes.
    pub duration_ms: Option<u64>,
    /// Container label (`wav`, `mp4`, …) when the duration was read.
    pub container: Option<String>,
}

/// Uploaded assets' lengths; both backends.
#[async_trait]
pub trait AssetLengths: Send + Sync + 'static {
    /// Records one upload. An asset id is HeyGen's and names one file for
    /// good: the first record is kept, a repeat is a no-op.
    async fn record_asset_media(&self, media: &AssetMedia) -> R<()>;

    /// The recorded uploads among `asset_ids` (unknown ids are absent), in
    /// one query; at most [`MAX_ASSET_LOOKUP`] ids are read.
    async fn asset_media(&self, asset_ids: &[String]) -> R<Vec<AssetMedia>>;
}
