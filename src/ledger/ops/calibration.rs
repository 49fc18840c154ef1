//! Projected against real job lengths, for calibration: recorded when a
//! job is submitted and when it settles, read back per feature and tenant.
//! Written once over [`Tx`].

use super::Tx;
use crate::ledger::resources::CalibrationSample;

/// Records each job's projected length.
pub(crate) async fn record_projections<T: Tx>(
    tx: &T,
    jobs: &[(String, i64)],
) -> Result<(), T::Error> {
    for (id, ms) in jobs {
        tx.exec(
            "UPDATE jobs SET projected_ms = ?2 WHERE job_id = ?1",
            &[id.as_str().into(), (*ms).into()],
        )
        .await?;
    }
    Ok(())
}

/// Records a settled job's real length; returns its feature and projected
/// length when one was recorded.
pub(crate) async fn record_length<T: Tx>(
    tx: &T,
    job_id: &str,
    actual_ms: i64,
) -> Result<Option<(String, i64)>, T::Error> {
    tx.exec(
        "UPDATE jobs SET actual_ms = ?2 WHERE job_id = ?1",
        &[job_id.into(), actual_ms.into()],
    )
    .await?;
    let rows = tx
        .query(
            "SELECT feature, projected_ms FROM jobs WHERE job_id = ?1 AND projected_ms > 0",
            &[job_id.into()],
            |r| Ok((r.text(0)?, r.int(1)?)),
        )
        .await?;
    Ok(rows.into_iter().next())
}

/// Every job settled since `since_us` with both lengths known.
pub(crate) async fn samples<T: Tx>(
    tx: &T,
    since_us: i64,
) -> Result<Vec<CalibrationSample>, T::Error> {
    tx.query(
        "SELECT j.feature, h.tenant, j.projected_ms, j.actual_ms FROM jobs j \
         JOIN holds h ON h.hold_id = j.hold_id \
         WHERE j.actual_ms IS NOT NULL AND j.projected_ms > 0 AND j.settled_us >= ?1 \
         ORDER BY j.feature, h.tenant",
        &[since_us.into()],
        |r| {
            Ok(CalibrationSample {
                feature: r.text(0)?,
                tenant: r.text(1)?,
                projected_ms: r.int(2)?,
                actual_ms: r.int(3)?,
            })
        },
    )
    .await
}
