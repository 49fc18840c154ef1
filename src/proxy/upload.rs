//! Uploads through the gateway (`POST /v1/asset` on the upload host, raw;
//! `POST /v3/assets`, multipart): while the body streams to HeyGen a
//! [`Tap`] keeps the file's first and last bytes and its size; when HeyGen
//! answers 2xx with the asset id, the file's length is read from them and
//! recorded in the ledger, so a request naming the asset id is priced at it
//! (basis `recorded`) instead of the default. Other requests never get here.

use http::{header, Method};

use crate::ledger::AssetMedia;
use crate::probe::tee::Tap;
use crate::state::AppState;

/// Whether a request is an upload whose file the gateway reads. Letter
/// case as the catalog matches it (any): a `/v1/Asset` it prices and
/// routes as an upload is tapped as one.
pub(super) fn is_upload(method: &Method, path: &str) -> bool {
    crate::upstream::is_upload(method, path)
}

/// A tap for an upload's body; `None` (and no cost) for anything else.
pub(super) fn tap(parts: &http::request::Parts, path: &str) -> Option<Tap> {
    if !is_upload(&parts.method, path) {
        return None;
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    Some(Tap::new(
        content_type,
        crate::http::content_length(&parts.headers),
    ))
}

/// The asset id in an upload's success answer: `data.asset_id` (v3) or
/// `data.id` (legacy `/v1/asset`).
fn asset_id(answer: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(answer).ok()?;
    let data = v.get("data")?;
    ["asset_id", "id"]
        .iter()
        .find_map(|k| data.get(*k)?.as_str().filter(|s| !s.is_empty()))
        .map(str::to_string)
}

/// After a 2xx upload answer: records the asset's size, and its duration
/// when the file is media whose header lies in the kept bytes. A file that
/// is not media (an image, a PDF) or cannot be read is recorded with its
/// size only; an upload whose file could not be delimited (a multipart
/// body without a whole file part) records nothing. Failures are logged:
/// the upload itself succeeded, and an unrecorded asset is priced at the
/// default.
pub(super) async fn record(state: &AppState, tenant: &str, tap: Tap, answer: &[u8]) {
    let Some(asset_id) = asset_id(answer) else {
        return;
    };
    let Some(file) = tap.finish() else {
        tracing::info!(
            asset_id,
            "Upload's file part not found whole; its length is not recorded."
        );
        return;
    };
    let size_bytes = file.size;
    let cfg = state.snapshot().config.probe.clone();
    let (duration_ms, container) = match crate::probe::upload::read_upload(file, &cfg).await {
        Ok(p) => (Some(p.duration_ms), Some(p.container.as_str().to_string())),
        Err(e) => {
            tracing::info!(asset_id, error = %e, "Uploaded file's duration unreadable; recorded with its size only.");
            (None, None)
        }
    };
    let media = AssetMedia {
        asset_id,
        tenant: tenant.to_string(),
        size_bytes,
        duration_ms,
        container,
    };
    if let Err(e) = state.ledger.record_asset_media(&media).await {
        tracing::error!(asset_id = %media.asset_id, error = %e, "Recording an uploaded file's length failed; it is priced at the default.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_asset_id_of_either_answer() {
        let legacy = br#"{"code":100,"data":{"id":"as1","name":"as1","file_type":"audio"}}"#;
        assert_eq!(asset_id(legacy).as_deref(), Some("as1"));
        let v3 = br#"{"data":{"asset_id":"as3","url":"https://x","size_bytes":9}}"#;
        assert_eq!(asset_id(v3).as_deref(), Some("as3"));
        assert_eq!(asset_id(br#"{"data":{"id":""}}"#), None);
        assert_eq!(asset_id(b"not json"), None);
    }

    #[test]
    fn only_uploads_are_tapped() {
        assert!(is_upload(&Method::POST, "/v1/asset"));
        assert!(is_upload(&Method::POST, "/v3/assets"));
        assert!(!is_upload(&Method::GET, "/v3/assets"));
        assert!(!is_upload(&Method::POST, "/v3/assets/direct-uploads"));
        assert!(!is_upload(&Method::POST, "/v2/video/generate"));
        // The catalog matches literal segments in any case: so does this.
        for path in ["/v1/Asset", "/v1/ASSET", "/v3/Assets"] {
            assert!(is_upload(&Method::POST, path), "{path}");
        }
        assert!(!is_upload(&Method::POST, "/v3/Assets/direct-uploads"));
    }
}
