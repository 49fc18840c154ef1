//! SQLite schema, applied at open and versioned with `PRAGMA user_version`.

use rusqlite::Connection;

/// Each entry upgrades from its index to index + 1.
const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    // 2: ownership registry, webhook endpoints, delivery outbox.
    r#"
CREATE TABLE resources (
    resource_id TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    tenant      TEXT NOT NULL,
    created_us  INTEGER NOT NULL,
    hold_id     TEXT,
    source      TEXT NOT NULL
);
CREATE INDEX resources_tenant ON resources (tenant, created_us);

CREATE TABLE webhook_endpoints (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    secret     TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant, created_us);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL,
    tenant          TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_us INTEGER NOT NULL,
    locked_until_us INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    created_us      INTEGER NOT NULL,
    delivered_us    INTEGER,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_us);
CREATE INDEX deliveries_tenant ON deliveries (tenant, endpoint_id, id);
"#,
];

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
/// processes opening the same file cannot both migrate.
pub(super) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()
}
