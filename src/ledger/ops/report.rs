//! The spend report: the journal summed per tenant and feature over a
//! period, written once over [`Tx`] as two aggregate queries (the journal
//! may hold millions of rows; nothing is read row by row).

use super::Tx;
use crate::ledger::resources::SpendRow;

/// Sums per (tenant, feature) of journal entries with `from_us <= at < to_us`,
/// plus the overage of holds settled in the period (captured beyond held).
/// (PostgreSQL's SUM of BIGINT is NUMERIC: cast back.)
pub(crate) async fn spend<T: Tx>(
    tx: &T,
    from_us: i64,
    to_us: i64,
) -> Result<Vec<SpendRow>, T::Error> {
    let mut rows: Vec<SpendRow> = Vec::new();
    let sums = tx
        .query(
            "SELECT COALESCE(tenant, scope), COALESCE(feature, ''), kind, COUNT(*), \
             CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM journal WHERE at_us >= ?1 AND at_us < ?2 \
             GROUP BY COALESCE(tenant, scope), COALESCE(feature, ''), kind",
            &[from_us.into(), to_us.into()],
            |r| Ok((r.text(0)?, r.text(1)?, r.text(2)?, r.int(3)?, r.int(4)?)),
        )
        .await?;
    for (tenant, feature, kind, count, sum) in sums {
        let row = SpendRow::entry(&mut rows, &tenant, &feature);
        match kind.as_str() {
            "hold" => {
                row.requests += count;
                row.held += sum;
            }
            "capture" => row.captured += sum,
            "release" => row.released += sum,
            "expire" => row.expired += sum,
            "adjust" => row.adjusted += sum,
            _ => {}
        }
    }
    let overage = tx
        .query(
            "SELECT tenant, feature, CAST(COALESCE(SUM(captured - amount), 0) AS BIGINT) FROM holds \
             WHERE settled_us >= ?1 AND settled_us < ?2 AND captured > amount \
             GROUP BY tenant, feature",
            &[from_us.into(), to_us.into()],
            |r| Ok((r.text(0)?, r.text(1)?, r.int(2)?)),
        )
        .await?;
    for (tenant, feature, sum) in overage {
        SpendRow::entry(&mut rows, &tenant, &feature).overage += sum;
    }
    rows.sort_by(|a, b| (&a.tenant, &a.feature).cmp(&(&b.tenant, &b.feature)));
    Ok(rows)
}
