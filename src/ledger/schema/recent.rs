//! Shared migrations 14 on (see `super`): templates in the same dialect,
//! never edited once applied.

/// Migration 14: each v3 batch item's feature and projected credits in
/// submission order (`JobItem`) on the batch's one job: its items may
/// differ in feature (Avatar III and IV), and settlement prices each at its
/// own (`settlement::batch`). NULL for other jobs and for older batches
/// (they settle every item at the job's feature).
pub(super) const BATCH_ITEMS: &str = r#"
ALTER TABLE jobs ADD COLUMN items TEXT;
"#;

/// Migration 15: HeyGen webhooks whose job has no known owner yet
/// (`ledger::parked_events`), such as an item of a v3 batch whose id the
/// gateway learns only from the batch's status. One row per event id, so a
/// redelivery parks nothing new; claimed under a lease like `deliveries`
/// (`locked_until_us`) so replicas never check one row at once, and
/// removed in the transaction that queues it for the owner. The resource
/// index lets recording an owner make that id's parked events due at once.
pub(super) const PARKED_EVENTS: &str = r#"
CREATE TABLE parked_events (
    event_id        TEXT PRIMARY KEY,
    resource_id     TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_us      {INT} NOT NULL,
    next_check_us   {INT} NOT NULL,
    locked_until_us {INT} NOT NULL DEFAULT 0,
    checks          {INT} NOT NULL DEFAULT 0
);
CREATE INDEX parked_events_due ON parked_events (next_check_us);
CREATE INDEX parked_events_resource ON parked_events (resource_id);
"#;

/// Migration 16: every price book the gateway ran with, by
/// `pricing.version` (the `price_books` module above the ledger). A hold records only its
/// version; settlement prices the real length with that version's book,
/// which a restarted process or another replica reads from here. `book` is
/// the book's canonical text (`PriceBook::to_canonical`); a version names
/// one book for good, so a row is inserted once and never changed.
pub(super) const PRICE_BOOKS: &str = r#"
CREATE TABLE price_books (
    version    TEXT PRIMARY KEY,
    book       TEXT NOT NULL,
    created_us {INT} NOT NULL
);
"#;

/// Migration 17: the `Idempotency-Key` of each admin credit adjustment that
/// named one, with what it did, so a retry of a call whose answer was lost
/// grants nothing twice (`ops::transitions::adjust`). Kept for good: a row
/// per adjustment, as the journal keeps.
pub(super) const ADJUSTMENT_KEYS: &str = r#"
CREATE TABLE adjustment_keys (
    key        TEXT PRIMARY KEY,
    scope      TEXT NOT NULL,
    win        TEXT NOT NULL,
    amount     {INT} NOT NULL,
    created_us {INT} NOT NULL
);
"#;
