//! A stop the gateway makes itself while the ledger fails: HeyGen is told
//! at once, and told again when it did not answer, however long the ledger
//! takes to record the stop. The ledger fails by [`fail_stops`]'s trigger, as in
//! `pending_tests`.

use std::sync::Arc;

use super::tests::fail_stops;
use crate::clock::ManualClock;
use crate::ledger::HoldState;
use crate::sessions::test_rig::{at, hold, postgres, row, start, state_with_upstream, t0, SECOND};
use crate::sessions::{meter, stop};
use crate::state::AppState;

/// [`started`] with HeyGen a mock that records the stops sent to it.
async fn with_heygen(
    dir: &tempfile::TempDir,
) -> (heygen_mock::MockHeygen, AppState, Arc<ManualClock>, String) {
    let mock = heygen_mock::MockHeygen::start(heygen_mock::MockConfig::new("sk_org"))
        .await
        .expect("mock");
    let clock = Arc::new(ManualClock::new(t0()));
    let (ledger, url) = postgres(clock.clone()).await;
    let state = state_with_upstream(dir, ledger, clock.clone(), &mock.url());
    start(&state, "s1").await;
    (mock, state, clock, url)
}

/// The gateway stops the session itself (idle) at 30 s while the ledger
/// fails: it is stopped at HeyGen at once, not when the ledger is back (the
/// tenant pays to 30 s, so HeyGen's time after that would be the org's),
/// and not a second time when the kept stop settles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_stop_the_ledger_fails_to_record_stops_the_session_at_heygen_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let (mock, state, clock, url) = with_heygen(&dir).await;
    let first = row(&state, "s1").await.hold_id;
    fail_stops(&url, true).await;
    let stop_at = at(&clock, 30);
    let s = row(&state, "s1").await;
    stop::close(&state, &s, stop_at, "idle", true).await;
    let stops = || mock.control().requests_to("/v3/avatar-realtime/s1").len();
    assert_eq!(stops(), 1, "not stopped at HeyGen while the ledger failed");
    assert!(state.deferred_stops.contains("s1"), "the stop was not kept");
    fail_stops(&url, false).await;
    at(&clock, 45);
    meter::tick(&state).await;
    let s = row(&state, "s1").await;
    assert_eq!(
        (s.stop_reason.as_deref(), s.stopped_us, s.captured),
        (Some("idle"), Some(stop_at), 30 * SECOND)
    );
    assert_eq!(
        hold(&state, &first).await,
        (HoldState::Captured, 30 * SECOND)
    );
    assert_eq!(stops(), 1, "stopped at HeyGen twice");
}

/// The gateway's own stop while the ledger fails, and HeyGen fails it too
/// (an outage the ledger's may share): the kept stop remembers it, and the
/// session is stopped at HeyGen again when the stop settles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_stop_heygen_did_not_answer_is_sent_again_when_it_settles() {
    let dir = tempfile::tempdir().expect("dir");
    let (mock, state, clock, url) = with_heygen(&dir).await;
    fail_stops(&url, true).await;
    mock.control()
        .fail_next(1, http::StatusCode::INTERNAL_SERVER_ERROR);
    let stop_at = at(&clock, 30);
    let s = row(&state, "s1").await;
    stop::close(&state, &s, stop_at, "idle", true).await;
    let kept = state.deferred_stops.all();
    assert!(kept.len() == 1 && kept[0].upstream, "{kept:?}");
    fail_stops(&url, false).await;
    at(&clock, 45);
    meter::tick(&state).await;
    assert_eq!(row(&state, "s1").await.stopped_us, Some(stop_at));
    assert_eq!(
        mock.control().requests_to("/v3/avatar-realtime/s1").len(),
        2,
        "not stopped at HeyGen again"
    );
}
