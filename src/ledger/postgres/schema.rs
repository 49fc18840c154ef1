//! Embedded PostgreSQL migrations, applied at start. Idempotent, and run
//! under a transaction-scoped advisory lock so two replicas starting
//! together apply each migration exactly once.

use async_trait::async_trait;
use tokio_postgres::Client;

use super::{pg_err, PostgresLedger};
use crate::ledger::{LedgerError, SchemaVersion, SchemaVersions};

/// Arbitrary constant naming the ledger's migration lock.
const MIGRATION_LOCK: i64 = 0x4865_7947_656e_4c64; // "HeyGenLd"

/// Migration 1, verbatim; later ones come from `ledger::schema`.
const FIRST: &[&str] = &[r#"
CREATE TABLE counters (
    scope  TEXT NOT NULL,
    win    TEXT NOT NULL,
    period TEXT NOT NULL,
    held   BIGINT NOT NULL DEFAULT 0,
    spent  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, win, period)
);

CREATE TABLE holds (
    hold_id       TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    feature       TEXT NOT NULL,
    route         TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    held_open     BIGINT NOT NULL,
    captured      BIGINT NOT NULL DEFAULT 0,
    state         TEXT NOT NULL,
    render        BOOLEAN NOT NULL,
    price_version TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    p_daily       TEXT NOT NULL,
    p_weekly      TEXT NOT NULL,
    p_monthly     TEXT NOT NULL,
    created_us    BIGINT NOT NULL,
    expires_us    BIGINT NOT NULL,
    settled_us    BIGINT
);
CREATE INDEX holds_open ON holds (state, expires_us);
CREATE INDEX holds_created ON holds (created_us);
CREATE INDEX holds_tenant ON holds (tenant, created_us);
CREATE INDEX holds_open_render ON holds (tenant)
    WHERE render AND state IN ('held', 'submitted');

CREATE TABLE jobs (
    job_id       TEXT PRIMARY KEY,
    hold_id      TEXT NOT NULL REFERENCES holds (hold_id),
    feature      TEXT NOT NULL,
    status_path  TEXT NOT NULL,
    held         BIGINT NOT NULL,
    held_open    BIGINT NOT NULL,
    captured     BIGINT NOT NULL DEFAULT 0,
    state        TEXT NOT NULL,
    source       TEXT,
    submitted_us BIGINT NOT NULL,
    settled_us   BIGINT
);
CREATE INDEX jobs_hold ON jobs (hold_id);
CREATE INDEX jobs_state ON jobs (state, submitted_us);

CREATE TABLE journal (
    seq           BIGSERIAL PRIMARY KEY,
    at_us         BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    hold_id       TEXT,
    scope         TEXT NOT NULL,
    tenant        TEXT,
    feature       TEXT,
    amount        BIGINT NOT NULL,
    price_version TEXT,
    request_id    TEXT,
    upstream_ids  TEXT,
    actor         TEXT,
    reason        TEXT
);
CREATE INDEX journal_at ON journal (at_us);
CREATE FUNCTION ledger_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal is append-only';
END $$;
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_append_only();

CREATE TABLE idempotency (
    tenant     TEXT NOT NULL,
    key        TEXT NOT NULL,
    body_hash  BYTEA NOT NULL,
    state      TEXT NOT NULL,
    status     INTEGER,
    headers    TEXT,
    body       BYTEA,
    created_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, key)
);
CREATE INDEX idempotency_created ON idempotency (created_us);
"#];

/// The largest migration applied (the schema version); the table is
/// created before this is read.
pub(crate) const CURRENT: &str = "SELECT COALESCE(MAX(version), 0) FROM ledger_migrations";

/// Applies missing migrations in one transaction. Returns the version found
/// before: a ledger a newer build migrated is left as it is (nothing applies
/// past this build's last migration) for the caller to refuse.
pub(super) async fn migrate(client: &mut Client) -> Result<SchemaVersion, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS ledger_migrations (
            version    INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await?;
    let current: i32 = tx.query_one(CURRENT, &[]).await?.try_get(0)?;
    for (i, sql) in migrations().iter().enumerate() {
        let version = i as i32 + 1;
        if version <= current {
            continue;
        }
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO ledger_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(SchemaVersion::of(i64::from(current)))
}

/// One indexed read of `ledger_migrations` on a pooled connection: a newer
/// replica's migration is seen once it committed.
#[async_trait]
impl SchemaVersions for PostgresLedger {
    async fn schema_version(&self) -> Result<SchemaVersion, LedgerError> {
        let client = self.client().await?;
        let row = client.query_one(CURRENT, &[]).await.map_err(pg_err)?;
        let found: i32 = row.try_get(0).map_err(pg_err)?;
        Ok(SchemaVersion::of(i64::from(found)))
    }
}

/// Every migration in order; entry `i` brings the schema to version `i + 1`.
fn migrations() -> Vec<String> {
    let shared = crate::ledger::schema::shared_migrations(&crate::ledger::schema::POSTGRES);
    FIRST.iter().map(|m| m.to_string()).chain(shared).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit and the running check compare against the shared count.
    #[test]
    fn knows_as_many_migrations_as_sqlite() {
        assert_eq!(
            migrations().len() as i64,
            i64::from(SchemaVersion::of(0).known)
        );
    }
}
