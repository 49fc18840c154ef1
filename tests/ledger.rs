//! The ledger suite: every case runs against SQLite and PostgreSQL.
//!
//! Cases are async fns taking a [`Fixture`] (in `tests/ledger/`); the
//! `both!` macro instantiates each for both backends. PostgreSQL runs on a
//! server started by `common/pg.rs` (one per binary, a database per test)
//! and fails loudly if it cannot start.

// Case helpers are test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used)]

#[path = "common/pg.rs"]
mod pg;

#[path = "ledger/open.rs"]
mod open;
#[path = "ledger/pg_hang.rs"]
mod pg_hang;
#[path = "ledger/pg_tls.rs"]
mod pg_tls;
#[path = "ledger/support.rs"]
mod support;

#[path = "ledger/cases_adjust_keys.rs"]
mod cases_adjust_keys;
#[path = "ledger/cases_agents.rs"]
mod cases_agents;
#[path = "ledger/cases_alerts.rs"]
mod cases_alerts;
#[path = "ledger/cases_assets.rs"]
mod cases_assets;
#[path = "ledger/cases_batch.rs"]
mod cases_batch;
#[path = "ledger/cases_books.rs"]
mod cases_books;
#[path = "ledger/cases_contacts.rs"]
mod cases_contacts;
#[path = "ledger/cases_endpoints.rs"]
mod cases_endpoints;
#[path = "ledger/cases_expiry.rs"]
mod cases_expiry;
#[path = "ledger/cases_hold_state.rs"]
mod cases_hold_state;
#[path = "ledger/cases_holds.rs"]
mod cases_holds;
#[path = "ledger/cases_idem.rs"]
mod cases_idem;
#[path = "ledger/cases_job_items.rs"]
mod cases_job_items;
#[path = "ledger/cases_load.rs"]
mod cases_load;
#[path = "ledger/cases_outbox.rs"]
mod cases_outbox;
#[path = "ledger/cases_overflow.rs"]
mod cases_overflow;
#[path = "ledger/cases_parked.rs"]
mod cases_parked;
#[path = "ledger/cases_parked_cap.rs"]
mod cases_parked_cap;
#[path = "ledger/cases_records.rs"]
mod cases_records;
#[path = "ledger/cases_redeliver.rs"]
mod cases_redeliver;
#[path = "ledger/cases_registry.rs"]
mod cases_registry;
#[path = "ledger/cases_retry.rs"]
mod cases_retry;
#[path = "ledger/cases_schema.rs"]
mod cases_schema;
#[path = "ledger/cases_session_minutes.rs"]
mod cases_session_minutes;
#[path = "ledger/cases_session_settled.rs"]
mod cases_session_settled;
#[path = "ledger/cases_session_stops.rs"]
mod cases_session_stops;
#[path = "ledger/cases_sessions.rs"]
mod cases_sessions;
#[path = "ledger/cases_settle.rs"]
mod cases_settle;
#[path = "ledger/cases_token_claims.rs"]
mod cases_token_claims;
#[path = "ledger/cases_windows.rs"]
mod cases_windows;

use std::path::PathBuf;
use std::sync::Arc;

use heygen_gateway::clock::ManualClock;
use heygen_gateway::ledger::{Ledger, PostgresLedger, SqliteLedger};

/// Where a fixture's ledger lives, so a case can open a second instance on
/// the same store (a "replica", or a reopen after a drop).
pub enum Store {
    Sqlite(PathBuf),
    Postgres(String),
}

/// One fresh, empty ledger and the clock it uses for settlement times.
pub struct Fixture {
    pub ledger: Arc<dyn Ledger>,
    pub clock: Arc<ManualClock>,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

impl Fixture {
    /// Another ledger instance on the same store, with its own connection(s).
    pub async fn open_again(&self) -> Arc<dyn Ledger> {
        open_store(&self.store, self.clock.clone()).await
    }

    /// Closes the ledger (its last reference) and opens the store again.
    pub async fn reopen(self) -> Fixture {
        let Fixture {
            ledger,
            clock,
            store,
            _dir,
        } = self;
        drop(ledger);
        let ledger = open_store(&store, clock.clone()).await;
        Fixture {
            ledger,
            clock,
            store,
            _dir,
        }
    }
}

async fn open_store(store: &Store, clock: Arc<ManualClock>) -> Arc<dyn Ledger> {
    match store {
        Store::Sqlite(path) => Arc::new(SqliteLedger::open_with_clock(path, clock).await.unwrap()),
        Store::Postgres(url) => Arc::new(
            PostgresLedger::connect_with_clock(url, 16, clock)
                .await
                .unwrap(),
        ),
    }
}

pub async fn sqlite_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    // A nested path: open must create the parent directory.
    let path = dir.path().join("data").join("ledger.db");
    let clock = Arc::new(ManualClock::new(support::t0()));
    let ledger = SqliteLedger::open_with_clock(&path, clock.clone())
        .await
        .unwrap();
    Fixture {
        ledger: Arc::new(ledger),
        clock,
        store: Store::Sqlite(path),
        _dir: Some(dir),
    }
}

pub async fn postgres_fixture() -> Fixture {
    let url = pg::PgServer::shared().create_database();
    let clock = Arc::new(ManualClock::new(support::t0()));
    let ledger = PostgresLedger::connect_with_clock(&url, 16, clock.clone())
        .await
        .unwrap();
    Fixture {
        ledger: Arc::new(ledger),
        clock,
        store: Store::Postgres(url),
        _dir: None,
    }
}

/// Instantiates each named case (`module::fn`) for both backends.
macro_rules! both {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    crate::$module::$case(crate::sqlite_fixture().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    crate::$module::$case(crate::postgres_fixture().await).await;
                }
            )*
        }
    };
}

both!(
    cases_batch::burst_decides_each_hold_alone,
    cases_batch::burst_respects_every_render_cap,
    cases_holds::race_admits_exactly_k,
    cases_holds::race_between_two_instances,
    cases_holds::render_caps_hold_under_concurrency,
    cases_holds::render_caps_forget_holds_whose_request_is_gone,
    cases_holds::session_caps_hold_under_concurrency,
    cases_hold_state::shadow_scope_reports_but_admits,
    cases_hold_state::release_frees_budget,
    cases_hold_state::counters_track_unconfigured_windows,
    cases_hold_state::durable_across_reopen,
    cases_hold_state::reads_report_open_holds_and_jobs,
    cases_overflow::a_hold_past_a_counters_range_is_refused_and_the_next_still_works,
    cases_overflow::an_overflowing_hold_among_concurrent_ones_fails_alone,
    cases_overflow::captures_and_grants_past_a_counters_range_are_refused,
    cases_settle::capture_below_and_above_hold,
    cases_settle::multi_job_translation,
    cases_settle::settlement_is_idempotent,
    cases_settle::unknown_job_and_invalid_transitions,
    cases_adjust_keys::a_keyed_adjustment_applies_once,
    cases_adjust_keys::concurrent_retries_of_a_key_apply_once,
    cases_expiry::ttl_expiry_captures_and_flags,
    cases_expiry::adjust_shows_in_usage,
    cases_expiry::a_sessions_current_minute_is_left_to_the_meter,
    cases_idem::idempotency_lifecycle,
    cases_idem::concurrent_duplicates_get_one_new,
    cases_idem::a_pending_claim_past_its_lease_is_taken_over,
    cases_idem::racing_retries_take_a_stale_claim_over_once,
    cases_retry::a_retry_finds_only_the_open_hold_of_the_same_request,
    cases_retry::an_expired_hold_is_found_and_its_late_job_settles_once,
    cases_retry::racing_retries_on_two_replicas_take_the_hold_once,
    cases_retry::a_session_retry_takes_a_held_hold_and_keeps_it_from_expiry,
    cases_retry::an_expired_first_minute_is_not_taken_over_nor_bound,
    cases_load::mixed_load_balances_the_books,
    cases_windows::daily_rollover,
    cases_windows::month_and_iso_week_rollover,
    cases_windows::local_time_zone_windows,
    cases_windows::charges_stay_in_the_window_they_were_held,
    cases_registry::submit_records_job_owners,
    cases_registry::first_owner_wins,
    cases_registry::concurrent_recorders_get_one_owner,
    cases_registry::assign_adopts_and_journals,
    cases_records::endpoints_lifecycle,
    cases_endpoints::concurrent_adds_stop_at_the_cap,
    cases_registry::registry_survives_reopen,
    cases_registry::contact_videos_bind_to_placeholders,
    cases_registry::text_the_store_cannot_keep_is_bad_input,
    cases_contacts::a_projects_open_contacts_are_one_tenants_at_a_time,
    cases_contacts::placeholders_of_two_tenants_bind_nothing,
    cases_contacts::racing_add_contacts_leave_the_project_to_one_tenant,
    cases_contacts::a_project_stays_with_contacts_that_expired,
    cases_agents::a_sessions_videos_bind_oldest_first_and_once,
    cases_agents::an_unbound_placeholder_is_captured_at_its_projection,
    cases_agents::a_sessions_binding_never_touches_another_tenants_holds,
    cases_sessions::sessions_move_on_once,
    cases_token_claims::a_listed_session_is_bound_only_when_one_tenant_could_have_started_it,
    cases_session_minutes::the_minute_ahead_is_held_before_the_current_one_is_captured,
    cases_session_stops::a_stop_inside_the_last_ticks_pays_to_the_second,
    cases_session_minutes::the_minute_ahead_is_neither_a_session_nor_expired,
    cases_session_stops::a_stop_that_lost_to_the_minute_end_settles_on_the_new_minute,
    cases_session_stops::unconfirmed_stops_are_marked_listed_and_cleared,
    cases_session_settled::a_settled_current_minute_stops_the_session_on_moving_on,
    cases_session_settled::a_settled_current_minute_holds_nothing_ahead,
    cases_session_settled::a_stop_of_a_settled_current_minute_releases_the_minute_ahead,
    cases_session_settled::a_sessions_minutes_keep_its_first_price_version,
    cases_records::spend_report_sums_the_period,
    cases_records::calibration_samples_pair_projected_and_real,
    cases_outbox::delivers_each_event_once,
    cases_outbox::failures_retry_then_die,
    cases_outbox::replicas_claim_disjoint_rows,
    cases_outbox::claims_take_the_tenants_in_turn,
    cases_outbox::old_finished_deliveries_are_purged,
    cases_redeliver::a_dead_delivery_is_requeued_once_and_others_are_refused,
    cases_redeliver::a_dead_delivery_of_a_deleted_endpoint_is_not_requeued,
    cases_redeliver::concurrent_redeliveries_requeue_once,
    cases_redeliver::concurrent_bulk_redeliveries_count_each_row_once,
    cases_redeliver::bulk_redelivery_takes_the_tenants_dead_rows_since_once,
    cases_parked::parked_events_wait_then_go_to_the_owner_once,
    cases_parked::parked_events_survive_a_reopen,
    cases_parked::replicas_claim_disjoint_parked_events,
    cases_parked::open_batches_are_the_unsettled_batch_jobs,
    cases_parked_cap::parking_stops_at_the_cap,
    cases_parked_cap::a_cap_of_zero_parks_nothing,
    cases_parked_cap::concurrent_parks_stop_at_the_cap,
    cases_alerts::alerts_are_queued_once_and_delivered_once,
    cases_alerts::failing_alerts_retry_then_fail,
    cases_alerts::replicas_claim_disjoint_alerts,
    cases_assets::asset_lengths_are_recorded_once_and_survive_reopen,
    cases_books::price_books_are_recorded_once_per_version,
    cases_books::concurrent_records_of_one_version_keep_one_book,
    cases_schema::a_ledger_newer_than_the_build_is_refused,
    cases_job_items::a_batch_keeps_its_items_with_its_job,
);
