//! SIGKILL at named points (issue 12, chaos): the binary runs with
//! `HEYGEN_GATEWAY_KILL_AT=<point>` (`src/faultpoint.rs`), a request or a
//! timer drives it to the point, the process dies there, and a restart
//! without the variable finishes the work. Each test ends with
//! `heygen-gateway ledger verify` exiting 0 and the end state the README
//! promises for that point. SQLite ledger; TTLs are brought forward by
//! moving the holds' `expires_us` into the past (the TTL itself is ≥ 600 s).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use heygen_gateway::faultpoint::{
    ADMISSION_AFTER_FORWARD, ADMISSION_AFTER_HOLD, ENV_KILL_AT, EXPIRY_AFTER_FIRST_HOLD,
    FANOUT_AFTER_ENQUEUE, SETTLEMENT_BEFORE_CAPTURE,
};
use heygen_mock::{send_webhook, MockHeygen};

use crate::common::{self, eventually_async, send, tenant_token, TestConfig, WEBHOOK_SECRET};
use crate::harness::{base_config, generate, GatewayProc, Node, GENERATE, HOLD_MICROS};
use crate::ledger_view::{tenant_window, LedgerView};

/// How long a killed process may take to stop answering.
const DEATH_WAIT: Duration = Duration::from_secs(20);
/// How long the restarted process may take to settle or expire.
pub(crate) const SETTLE_WAIT: Duration = Duration::from_secs(20);

/// A gateway deployment on SQLite with expiry every second, plus the paths
/// the test reads the ledger through.
pub(crate) struct Setup {
    pub(crate) mock: MockHeygen,
    node: Node,
    pub(crate) db: PathBuf,
    verify: PathBuf,
}

impl Setup {
    pub(crate) async fn new(f: impl FnOnce(TestConfig) -> TestConfig) -> Setup {
        let mock = common::start_mock().await;
        let cfg = f(base_config(&mock, None).set("settlement", "poll_interval_seconds", "1"));
        let db = cfg.dir.path().join("ledger.db");
        let verify = crate::write_verify_config(&cfg);
        Setup {
            mock,
            node: Node::new(cfg),
            db,
            verify,
        }
    }

    pub(crate) async fn start(&mut self, kill_at: Option<&str>) -> GatewayProc {
        crate::start(&mut self.node, kill_at).await
    }

    /// `ledger verify` on the ledger must exit 0.
    pub(crate) fn verify(&self, when: &str) {
        let (code, report) = crate::ledger_verify(&self.verify);
        assert_eq!(code, Some(0), "ledger verify {when}:\n{report}");
    }

    fn jobs(&self) -> BTreeSet<String> {
        self.mock
            .jobs()
            .into_iter()
            .filter(|j| j.created_by == GENERATE)
            .map(|j| j.id)
            .collect()
    }
}

/// Waits until the killed process no longer answers on its admin port,
/// then reaps it.
pub(crate) async fn wait_dead(mut gw: GatewayProc, point: &str) {
    let url = gw.admin_url("/readyz");
    let deadline = tokio::time::Instant::now() + DEATH_WAIT;
    while common::try_send("GET", &url, &[], common::full(""), false)
        .await
        .is_ok()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gateway did not die at {point}; log:\n{}",
            gw.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        gw.log_text()
            .contains(&format!("{ENV_KILL_AT}={point}: killing")),
        "died, but not at {point}; log:\n{}",
        gw.log_text()
    );
    gw.kill();
}

/// Moves every open hold's TTL into the past, so the next expiry tick
/// (every second here) captures it — what waiting `hold_ttl_seconds` does.
pub(crate) fn bring_ttl_forward(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let past = (chrono::Utc::now() - chrono::Duration::seconds(1)).timestamp_micros();
    let n = conn
        .execute(
            "UPDATE holds SET expires_us = ?1 WHERE state IN ('held', 'submitted')",
            [past],
        )
        .unwrap();
    assert!(n > 0, "no open hold to expire");
}

/// Ends any delivery lease the killed process took — what waiting out
/// `DELIVERY_LEASE` (60 s) does. Its worker ticks every 20 ms here and may
/// claim the freshly queued row while `kill` is still being spawned; the
/// row is then delivered once the lease ends, not at once.
fn end_delivery_leases(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let n = conn
        .execute(
            "UPDATE deliveries SET locked_until_us = 0 WHERE state = 'pending'",
            [],
        )
        .unwrap();
    assert_eq!(n, 1, "one queued delivery expected");
}

pub(crate) async fn wait_states(gw: &GatewayProc, want: &str, n: usize) -> LedgerView {
    eventually_async(
        || async move { LedgerView::read(gw).await.in_state(want).len() == n },
        SETTLE_WAIT,
    )
    .await;
    LedgerView::read(gw).await
}

/// A hold taken before a kill is never lost: with nothing (or no job id)
/// recorded, it stays `held` and its TTL captures it in full.
async fn killed_in_admission(point: &'static str) -> (Setup, usize) {
    let mut s = Setup::new(|c| c).await;
    let gw = s.start(Some(point)).await;
    let r = generate(&gw.url("")).await;
    assert!(r.is_err(), "the request should die with the process: {r:?}");
    wait_dead(gw, point).await;

    let gw = s.start(None).await;
    let view = LedgerView::read(&gw).await;
    assert_eq!(view.holds.len(), 1, "{view:?}");
    assert_eq!(view.in_state("held").len(), 1, "{view:?}");
    let unrecorded = view.assert_accounts_for(&s.jobs());
    s.verify("after the restart");

    bring_ttl_forward(&s.db);
    let view = wait_states(&gw, "expired", 1).await;
    assert_eq!(view.kinds.get("expire"), Some(&1), "{:?}", view.kinds);
    let w = tenant_window(&gw, "alpha", "total").await;
    assert_eq!(
        (w.held, w.spent),
        (0, HOLD_MICROS),
        "captured in full: {w:?}"
    );
    s.verify("after expiry");
    (s, unrecorded)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_hold_before_forwarding_the_hold_is_kept_and_expires_in_full() {
    let (s, unrecorded) = killed_in_admission(ADMISSION_AFTER_HOLD).await;
    assert_eq!(s.mock.requests_to(GENERATE).len(), 0, "nothing was sent");
    assert_eq!(unrecorded, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_heygen_accepted_before_recording_the_hold_expires_in_full() {
    let (s, unrecorded) = killed_in_admission(ADMISSION_AFTER_FORWARD).await;
    assert_eq!(s.jobs().len(), 1, "HeyGen made the job");
    assert_eq!(unrecorded, 1, "its id was never recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_reading_a_status_and_capturing_it_settles_once_after_restart() {
    let mut s = Setup::new(|c| c).await;
    let gw = s.start(Some(SETTLEMENT_BEFORE_CAPTURE)).await;
    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let video = r.json()["data"]["video_id"].as_str().unwrap().to_string();
    assert!(s.mock.complete(&video, 10.0));
    let token = tenant_token("alpha");
    let status_path = format!("/v1/video_status.get?video_id={video}");
    // The answer may or may not leave before settlement reaches the point.
    let _ = common::try_send(
        "GET",
        &gw.url(&status_path),
        &[("x-api-key", &token)],
        common::full(""),
        false,
    )
    .await;
    wait_dead(gw, SETTLEMENT_BEFORE_CAPTURE).await;

    let gw = s.start(None).await;
    let view = LedgerView::read(&gw).await;
    assert_eq!(
        view.in_state("submitted").len(),
        1,
        "no capture yet: {view:?}"
    );
    s.verify("after the restart");
    let r = send("GET", &gw.url(&status_path), &[("x-api-key", &token)], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let view = wait_states(&gw, "captured", 1).await;
    assert_eq!(view.kinds.get("capture"), Some(&1), "{:?}", view.kinds);
    let w = tenant_window(&gw, "alpha", "total").await;
    // 10 s bills as 30 s: exactly the 0.5-credit hold, once.
    assert_eq!((w.held, w.spent), (0, HOLD_MICROS), "{w:?}");
    s.verify("after settlement");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_in_the_middle_of_expiry_every_hold_expires_once_after_restart() {
    let mut s = Setup::new(|c| c).await;
    let gw = s.start(Some(EXPIRY_AFTER_FIRST_HOLD)).await;
    for _ in 0..2 {
        let r = generate(&gw.url("")).await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // The next expiry tick (≤ 1 s) finds both overdue and dies after the first.
    bring_ttl_forward(&s.db);
    wait_dead(gw, EXPIRY_AFTER_FIRST_HOLD).await;
    s.verify("after the kill");

    let gw = s.start(None).await;
    let view = wait_states(&gw, "expired", 2).await;
    assert_eq!(view.kinds.get("expire"), Some(&2), "{:?}", view.kinds);
    let w = tenant_window(&gw, "alpha", "total").await;
    assert_eq!((w.held, w.spent), (0, 2 * HOLD_MICROS), "{w:?}");
    s.verify("after expiry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_queueing_a_webhook_fan_out_it_is_delivered_once_after_restart() {
    let rx = crate::receiver::Receiver::start().await;
    let mut s = Setup::new(|c| {
        c.set("egress", "allow_cidrs", r#"["127.0.0.1/32"]"#).set(
            "webhooks",
            "fanout_interval_ms",
            "20",
        )
    })
    .await;
    let gw = s.start(Some(FANOUT_AFTER_ENQUEUE)).await;
    let token = tenant_token("alpha");
    let body = format!(r#"{{"url": "{}"}}"#, rx.url("/hook"));
    let r = send(
        "POST",
        &gw.url("/gateway/v1/webhooks/endpoints"),
        &[("x-api-key", &token)],
        body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let video = r.json()["data"]["video_id"].as_str().unwrap().to_string();
    assert!(s.mock.complete(&video, 10.0));
    let event = heygen_mock::webhook::avatar_video_success(&video, "https://x/v.mp4", None);
    let event = event.to_string().into_bytes();
    let hook = gw.url("/gateway/v1/webhooks/heygen");
    // Queued, then killed before answering: HeyGen sees no 2xx.
    let first = send_webhook(&hook, WEBHOOK_SECRET, false, &event).await;
    assert!(first.is_err(), "HeyGen must get no answer: {first:?}");
    wait_dead(gw, FANOUT_AFTER_ENQUEUE).await;
    assert_eq!(rx.count(), 0, "nothing delivered before the kill");
    end_delivery_leases(&s.db);

    // Restarted, the outbox row is delivered; HeyGen's retry of the same
    // event is acknowledged and queues nothing new.
    let gw = s.start(None).await;
    let again = send_webhook(&hook, WEBHOOK_SECRET, false, &event).await;
    assert_eq!(again.map(|s| s.as_u16()).ok(), Some(200));
    common::eventually(|| rx.count() >= 1, SETTLE_WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.count(), 1, "delivered exactly once");
    wait_states(&gw, "captured", 1).await;
    s.verify("after fan-out and settlement");
}
