//! Migrations written once for both backends, in a small dialect template:
//! `{INT}` is a 64-bit integer column, `{SERIAL_PK}` an auto-numbered
//! 64-bit primary key. (Migration 1 predates this and stays verbatim in each
//! backend: an applied migration's text is never edited.)
//!
//! Migrations from 14 on live in `schema/recent.rs`, so each file stays
//! short; the order is the one of [`SHARED`] below.

mod recent;

use recent::{ADJUSTMENT_KEYS, BATCH_ITEMS, PARKED_EVENTS, PRICE_BOOKS};

/// What differs between the backends' DDL.
pub(crate) struct Dialect {
    pub int: &'static str,
    pub serial_pk: &'static str,
}

pub(crate) const SQLITE: Dialect = Dialect {
    int: "INTEGER",
    serial_pk: "INTEGER PRIMARY KEY AUTOINCREMENT",
};

pub(crate) const POSTGRES: Dialect = Dialect {
    int: "BIGINT",
    serial_pk: "BIGSERIAL PRIMARY KEY",
};

/// Migration 2: ownership registry, webhook endpoints, delivery outbox.
const REGISTRY: &str = r#"
CREATE TABLE resources (
    resource_id TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    tenant      TEXT NOT NULL,
    created_us  {INT} NOT NULL,
    hold_id     TEXT,
    source      TEXT NOT NULL
);
CREATE INDEX resources_tenant ON resources (tenant, created_us);

CREATE TABLE webhook_endpoints (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    created_us {INT} NOT NULL,
    secret     TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant, created_us);

CREATE TABLE deliveries (
    id              {SERIAL_PK},
    event_id        TEXT NOT NULL,
    tenant          TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        {INT} NOT NULL DEFAULT 0,
    next_attempt_us {INT} NOT NULL,
    locked_until_us {INT} NOT NULL DEFAULT 0,
    last_status     {INT},
    last_error      TEXT,
    created_us      {INT} NOT NULL,
    delivered_us    {INT},
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_us);
CREATE INDEX deliveries_tenant ON deliveries (tenant, endpoint_id, id);
"#;

/// Migration 3: live sessions metered by the minute (the `sessions` module).
/// `hold_id` is the hold of the minute that began at `slot_us`; advancing
/// and stopping compare it, so two replicas never meter one minute twice.
const SESSIONS: &str = r#"
CREATE TABLE sessions (
    session_id       TEXT PRIMARY KEY,
    tenant           TEXT NOT NULL,
    feature          TEXT NOT NULL,
    kind             TEXT NOT NULL,
    rate             {INT} NOT NULL,
    idle_s           {INT} NOT NULL,
    started_us       {INT} NOT NULL,
    last_activity_us {INT} NOT NULL,
    hold_id          TEXT NOT NULL,
    slot_us          {INT} NOT NULL,
    minutes          {INT} NOT NULL,
    captured         {INT} NOT NULL,
    state            TEXT NOT NULL,
    stop_reason      TEXT,
    stopped_us       {INT}
);
CREATE INDEX sessions_state ON sessions (state, tenant);
"#;

/// Migration 4: what each job was projected to last and what it really
/// lasted, for `heygen-gateway calibrate` (NULL where unknown).
const CALIBRATION: &str = r#"
ALTER TABLE jobs ADD COLUMN projected_ms {INT};
ALTER TABLE jobs ADD COLUMN actual_ms {INT};
"#;

/// Migration 5: grants apart from spend. An adjustment used to be written
/// into `spent` (a +5 grant made spent negative, so ratios and remaining
/// disagreed with the limit); it now moves `granted`, which raises the
/// period's effective limit. Rows adjusted before this migration keep their
/// grants folded into `spent`; `grants_from_seq` tells the audit which
/// journal rows wrote which column.
const GRANTS: &str = r#"
ALTER TABLE counters ADD COLUMN granted {INT} NOT NULL DEFAULT 0;
CREATE TABLE ledger_meta (
    key   TEXT PRIMARY KEY,
    value {INT} NOT NULL
);
INSERT INTO ledger_meta (key, value)
    SELECT 'grants_from_seq', COALESCE(MAX(seq), 0) FROM journal;
"#;

/// Migration 6: the ops alert outbox (`alerts` module). One row per
/// (alert key, webhook name): the unique pair makes enqueueing exactly-once
/// across restarts and replicas (`ON CONFLICT DO NOTHING`); rows are
/// claimed under a lease like `deliveries` and end `delivered` or `failed`.
const ALERTS: &str = r#"
CREATE TABLE alerts (
    id              {SERIAL_PK},
    alert_key       TEXT NOT NULL,
    webhook         TEXT NOT NULL,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        {INT} NOT NULL DEFAULT 0,
    next_attempt_us {INT} NOT NULL,
    locked_until_us {INT} NOT NULL DEFAULT 0,
    last_status     {INT},
    last_error      TEXT,
    created_us      {INT} NOT NULL,
    delivered_us    {INT},
    UNIQUE (alert_key, webhook)
);
CREATE INDEX alerts_due ON alerts (state, next_attempt_us);
"#;

/// Migration 7: session tokens (LiveAvatar's `session_token`, by SHA-256)
/// → the metered session they act on, so a browser's bearer is the
/// tenant's credential for exactly that session; `max_end_us` bounds it.
const SESSION_TOKENS: &str = r#"
CREATE TABLE session_tokens (
    token_sha256 TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL,
    tenant       TEXT NOT NULL,
    max_end_us   {INT}
);
CREATE INDEX session_tokens_session ON session_tokens (session_id);
"#;

/// Migration 8: what the gateway read of each file uploaded through it,
/// by HeyGen's asset id (`ledger::asset_media`). `duration_ms` and
/// `container` are NULL for a file that is not media or could not be read.
const ASSET_MEDIA: &str = r#"
CREATE TABLE asset_media (
    asset_id    TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    size_bytes  {INT} NOT NULL,
    duration_ms {INT},
    container   TEXT,
    created_us  {INT} NOT NULL
);
"#;

/// Migration 9: the fingerprint (tenant, `Idempotency-Key`, path, body) of each
/// hold taken for a request HeyGen dedupes by key (`ops::retry`), so a retry
/// of a request whose outcome was lost finds the hold its earlier attempt
/// left. Apart from `holds` so that table's columns (and every reader of
/// them, the audit included) stay as they are; no foreign key, so the row
/// can be written in the same round trip as its hold.
const RETRY_HOLDS: &str = r#"
CREATE TABLE idem_holds (
    hold_id     TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    fingerprint TEXT NOT NULL
);
CREATE INDEX idem_holds_fingerprint ON idem_holds (tenant, fingerprint);
"#;

/// Migration 10: a session's next minute held ahead of the current one's
/// end (`SessionRow::next_hold_id`). The current minute is captured when it
/// ends, not when the next is held, so a stop in between pays to the second
/// and releases the next minute; NULL when no minute is held ahead.
const SESSION_NEXT: &str = r#"
ALTER TABLE sessions ADD COLUMN next_hold_id TEXT;
"#;

/// Migration 11: the personalized-video project of each `add_contact`
/// hold (`ops::contacts`), written in the hold's transaction. HeyGen's
/// webhooks name a contact's project, not its request, so a project's open
/// contacts must be one tenant's; a hold not yet answered has no
/// placeholder jobs naming the project, so this row is what tells another
/// tenant's `add_contact` that the project is taken meanwhile. Apart from
/// `holds` for the same reason as `idem_holds`.
const CONTACT_HOLDS: &str = r#"
CREATE TABLE contact_holds (
    hold_id    TEXT PRIMARY KEY,
    project_id TEXT NOT NULL
);
CREATE INDEX contact_holds_project ON contact_holds (project_id);
"#;

/// Migration 12: since when HeyGen has not confirmed the gateway's own stop
/// of a session ([`super::UnconfirmedStops`]), NULL once it did or the
/// gateway gave up. The tick that sends such a stop again keeps it in
/// memory; this is what a restarted process loads it back from, so a
/// session charged to its stop does not run on at HeyGen unmetered. The
/// partial index keeps that start-up read off the (ever-growing) table.
const STOP_UNCONFIRMED: &str = r#"
ALTER TABLE sessions ADD COLUMN stop_unconfirmed_us {INT};
CREATE INDEX sessions_stop_unconfirmed ON sessions (stop_unconfirmed_us)
    WHERE stop_unconfirmed_us IS NOT NULL;
"#;

/// Migration 13: the reads of the `deliveries` outbox migration 2's
/// indexes do not serve. A tenant's delivery log across its endpoints
/// (`WHERE tenant = ? ORDER BY id DESC LIMIT ?`) could only use
/// `deliveries_tenant (tenant, endpoint_id, id)` by reading and sorting all
/// of the tenant's rows; `(tenant, id)` reads the newest rows in order.
/// The retention purge (`ops::outbox::purge`) finds finished rows by age.
const DELIVERY_READS: &str = r#"
CREATE INDEX deliveries_tenant_log ON deliveries (tenant, id);
CREATE INDEX deliveries_created ON deliveries (created_us);
"#;

/// The shared migrations' templates, in order.
const SHARED: [&str; 16] = [
    REGISTRY,
    SESSIONS,
    CALIBRATION,
    GRANTS,
    ALERTS,
    SESSION_TOKENS,
    ASSET_MEDIA,
    RETRY_HOLDS,
    SESSION_NEXT,
    CONTACT_HOLDS,
    STOP_UNCONFIRMED,
    DELIVERY_READS,
    BATCH_ITEMS,
    PARKED_EVENTS,
    PRICE_BOOKS,
    ADJUSTMENT_KEYS,
];

/// How many shared migrations there are (this build knows one more: the first).
pub(crate) const SHARED_COUNT: u32 = SHARED.len() as u32;

/// Shared migrations after the first, in order, for `d`.
pub(crate) fn shared_migrations(d: &Dialect) -> Vec<String> {
    SHARED
        .iter()
        .map(|m| {
            m.replace("{SERIAL_PK}", d.serial_pk)
                .replace("{INT}", d.int)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_leave_no_placeholder() {
        for d in [SQLITE, POSTGRES] {
            for (m, template) in shared_migrations(&d).iter().zip(SHARED) {
                assert!(!m.contains('{'), "{m}");
                // Every integer column took the dialect's type.
                assert_eq!(m.contains(d.int), template.contains("{INT}"), "{m}");
            }
        }
    }
}
