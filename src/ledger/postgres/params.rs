//! Binding the shared SQL of `ledger::ops` on PostgreSQL: `?N`
//! placeholders become `$N`, and [`Param`] encodes as its inner value.

use tokio_postgres::types::ToSql;

use crate::ledger::ops::Param;

impl ToSql for Param {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Param::Text(s) => s.to_sql(ty, out),
            Param::Int(i) => i.to_sql(ty, out),
            Param::Bool(b) => b.to_sql(ty, out),
            Param::Null => Ok(tokio_postgres::types::IsNull::Yes),
        }
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        // Shared SQL binds integers only to BIGINT and texts only to TEXT
        // (see `Tx::exec`), so the inner value's encoding always matches.
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Shared SQL uses `?N`; PostgreSQL numbers parameters `$N`.
pub(super) fn pg_sql(sql: &str) -> String {
    sql.replace('?', "$")
}

pub(super) fn pg_params(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}
