//! Uploaded assets' lengths ([`AssetMedia`]), written once over [`Tx`].

use super::{Param, Tx};
use crate::ledger::asset_media::{AssetMedia, MAX_ASSET_LOOKUP};
use crate::ledger::rows::RowAccess;
use crate::ledger::types::LedgerError;

/// IN-list sizes the lookup pads to, so each backend caches a few
/// statements instead of one per id count.
const LOOKUP_SIZES: [usize; 3] = [1, 8, MAX_ASSET_LOOKUP];

fn int(v: u64) -> i64 {
    // No file or duration comes near 2^63; saturate rather than fail.
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn uint(v: i64) -> u64 {
    // Written from u64 by `record`; a negative value can only be a
    // hand-edited row, read as 0 rather than failing the request.
    u64::try_from(v).unwrap_or(0)
}

fn row(r: &dyn RowAccess) -> Result<AssetMedia, LedgerError> {
    Ok(AssetMedia {
        asset_id: r.text(0)?,
        tenant: r.text(1)?,
        size_bytes: uint(r.int(2)?),
        duration_ms: r.opt_int(3)?.map(uint),
        container: r.opt_text(4)?,
    })
}

/// Records `m` unless its asset id is already recorded.
pub(crate) async fn record<T: Tx>(tx: &T, m: &AssetMedia, now_us: i64) -> Result<(), T::Error> {
    let size = int(m.size_bytes);
    let duration = m.duration_ms.map(int);
    tx.exec(
        "INSERT INTO asset_media (asset_id, tenant, size_bytes, duration_ms, container, created_us) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (asset_id) DO NOTHING",
        &[
            m.asset_id.as_str().into(),
            m.tenant.as_str().into(),
            size.into(),
            duration.into(),
            m.container.as_deref().into(),
            now_us.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The recorded rows among the first [`MAX_ASSET_LOOKUP`] of `ids`.
pub(crate) async fn find<T: Tx>(tx: &T, ids: &[String]) -> Result<Vec<AssetMedia>, T::Error> {
    let ids = &ids[..ids.len().min(MAX_ASSET_LOOKUP)];
    let Some(last) = ids.last() else {
        return Ok(Vec::new());
    };
    let size = LOOKUP_SIZES
        .into_iter()
        .find(|s| *s >= ids.len())
        .unwrap_or(MAX_ASSET_LOOKUP);
    let marks: Vec<String> = (1..=size).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "SELECT asset_id, tenant, size_bytes, duration_ms, container FROM asset_media \
         WHERE asset_id IN ({})",
        marks.join(", ")
    );
    // Padding repeats the last id: harmless in an IN list.
    let params: Vec<Param> = (0..size)
        .map(|i| Param::from(ids.get(i).unwrap_or(last).as_str()))
        .collect();
    tx.query(&sql, &params, row).await
}
