//! SQLite schema, applied at open and versioned with `PRAGMA user_version`.

use async_trait::async_trait;
use rusqlite::Connection;

use super::SqliteLedger;
use crate::ledger::{LedgerError, SchemaVersion, SchemaVersions};

/// Migration 1, verbatim; later ones come from `ledger::schema`.
const FIRST: &[&str] = &[r#"
CREATE TABLE counters (
    scope  TEXT NOT NULL,
    win    TEXT NOT NULL,
    period TEXT NOT NULL,
    held   INTEGER NOT NULL DEFAULT 0,
    spent  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, win, period)
) WITHOUT ROWID;

CREATE TABLE holds (
    hold_id       TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    feature       TEXT NOT NULL,
    route         TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    held_open     INTEGER NOT NULL,
    captured      INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL,
    render        INTEGER NOT NULL,
    price_version TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    p_daily       TEXT NOT NULL,
    p_weekly      TEXT NOT NULL,
    p_monthly     TEXT NOT NULL,
    created_us    INTEGER NOT NULL,
    expires_us    INTEGER NOT NULL,
    settled_us    INTEGER
);
CREATE INDEX holds_open ON holds (state, expires_us);
CREATE INDEX holds_created ON holds (created_us);
CREATE INDEX holds_tenant ON holds (tenant, created_us);
CREATE INDEX holds_open_render ON holds (tenant)
    WHERE render = 1 AND state IN ('held', 'submitted');

CREATE TABLE jobs (
    job_id       TEXT PRIMARY KEY,
    hold_id      TEXT NOT NULL REFERENCES holds (hold_id),
    feature      TEXT NOT NULL,
    status_path  TEXT NOT NULL,
    held         INTEGER NOT NULL,
    held_open    INTEGER NOT NULL,
    captured     INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL,
    source       TEXT,
    submitted_us INTEGER NOT NULL,
    settled_us   INTEGER
);
CREATE INDEX jobs_hold ON jobs (hold_id);
CREATE INDEX jobs_state ON jobs (state, submitted_us);

CREATE TABLE journal (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at_us         INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    hold_id       TEXT,
    scope         TEXT NOT NULL,
    tenant        TEXT,
    feature       TEXT,
    amount        INTEGER NOT NULL,
    price_version TEXT,
    request_id    TEXT,
    upstream_ids  TEXT,
    actor         TEXT,
    reason        TEXT
);
CREATE INDEX journal_at ON journal (at_us);
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
    BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
    BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;

CREATE TABLE idempotency (
    tenant     TEXT NOT NULL,
    key        TEXT NOT NULL,
    body_hash  BLOB NOT NULL,
    state      TEXT NOT NULL,
    status     INTEGER,
    headers    TEXT,
    body       BLOB,
    created_us INTEGER NOT NULL,
    PRIMARY KEY (tenant, key)
);
CREATE INDEX idempotency_created ON idempotency (created_us);
"#];

/// Connection settings: WAL, and `synchronous=FULL` so a commit (a hold) is
/// on disk before the request is forwarded, even across power loss.
pub(super) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Brings the schema up to date in one immediate transaction, so two
/// processes opening the same file cannot both migrate. Returns the version
/// found before: a file a newer build migrated is left as it is (nothing
/// applies past this build's last migration) for the caller to refuse.
pub(super) fn migrate(conn: &mut Connection) -> rusqlite::Result<SchemaVersion> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let found = SchemaVersion::of(user_version(&tx)?);
    for (i, sql) in migrations().iter().enumerate().skip(found.found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(found)
}

/// The schema version the file's header records.
pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Read on the worker's connection: the header another process (a newer
/// CLI migrating the same file) wrote is seen by the next read.
#[async_trait]
impl SchemaVersions for SqliteLedger {
    async fn schema_version(&self) -> Result<SchemaVersion, LedgerError> {
        let found = self
            .worker
            .call(|c| user_version(c).map_err(super::sql_err))
            .await?;
        Ok(SchemaVersion::of(found))
    }
}

/// Every migration in order; entry `i` brings the schema to version `i + 1`.
fn migrations() -> Vec<String> {
    let shared = crate::ledger::schema::shared_migrations(&crate::ledger::schema::SQLITE);
    FIRST.iter().map(|m| m.to_string()).chain(shared).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file created before migration 2 gains the registry tables on open
    /// and keeps its rows.
    #[test]
    fn upgrades_a_version_1_file() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(FIRST[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO counters (scope, win, period, held) VALUES ('org', 'total', 'all', 5)",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, migrations().len() as i64);
        assert_eq!(version, i64::from(SchemaVersion::of(0).known));
        let held: i64 = conn
            .query_row("SELECT held FROM counters", [], |r| r.get(0))
            .unwrap();
        assert_eq!(held, 5);
        for table in ["resources", "webhook_endpoints", "deliveries"] {
            let n: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0);
        }
        // Migrating again is a no-op.
        assert!(!migrate(&mut conn).unwrap().is_newer());
    }

    /// A file a newer build migrated is reported, and left untouched.
    #[test]
    fn a_newer_file_is_reported_not_migrated() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let newer = i64::from(SchemaVersion::of(0).known) + 1;
        conn.pragma_update(None, "user_version", newer).unwrap();
        let found = migrate(&mut conn).unwrap();
        assert!(found.is_newer());
        assert_eq!(i64::from(found.found), newer);
        assert_eq!(user_version(&conn).unwrap(), newer);
    }
}
