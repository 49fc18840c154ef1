//! A replica a newer build left behind, as on-call and clients see it: a
//! gateway runs on a SQLite ledger when a newer heygen-gateway migrates it
//! (simulated as that build leaves the file: `user_version` past this
//! build's migrations). Within the check period (1 s here) the replica
//! reports it on `/metrics`, sends the `ledger_schema_behind` alert once,
//! and refuses a billable request without claiming its `Idempotency-Key`,
//! so the client's retry to an up-to-date replica is handled as a first
//! attempt.
//!
//! Claims are seen by a trigger that copies every row inserted into the
//! ledger's `idempotency` table, since a claim abandoned after the refusal
//! would leave nothing in the table itself to see.

use std::path::Path;

use heygen_gateway::clock::SystemClock;

use super::*;

const BEHIND: &str = "heygen_gateway_ledger_schema_behind";
const FOUND: &str = "heygen_gateway_ledger_schema_version";
const KNOWN: &str = "heygen_gateway_ledger_schema_known_version";
const KEY: &str = "order-42";

/// The sample `series` on the rig's `/metrics`.
async fn sample(rig: &Rig, series: &str) -> Option<f64> {
    metric_value(&rig.metrics().await, series)
}

/// The 3 s video of [`Rig::video`] as alpha, with an `Idempotency-Key`.
async fn video_with_key(rig: &Rig) -> TestResponse {
    let token = tenant_token("alpha");
    let headers = [
        ("x-api-key", token.as_str()),
        ("content-type", "application/json"),
        ("idempotency-key", KEY),
    ];
    let body = json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]});
    let url = format!("http://{}/v2/video/generate", rig.gw().addr);
    send("POST", &url, &headers, body.to_string()).await
}

/// Every idempotency key ever claimed in the ledger at `path`, from the
/// trigger [`watch_claims`] installed.
fn claims(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT key FROM test_claims").unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

fn watch_claims(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE test_claims (key TEXT NOT NULL);
         CREATE TRIGGER test_claims AFTER INSERT ON idempotency
         BEGIN INSERT INTO test_claims (key) VALUES (NEW.key); END;",
    )
    .unwrap();
}

fn set_user_version(path: &Path, version: u32) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "user_version", version).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_behind_a_newer_ledger_says_so_once_and_claims_no_key() {
    let r = Receiver::start().await;
    let hook = webhook(
        "ops",
        "OPS_URL",
        "json",
        Some(r#"["ledger_schema_behind"]"#),
    );
    let urls = [("OPS_URL", r.url("/schema"))];
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut rig = Rig::start(|c| c.extra(&hook), &urls, clock.clone()).await;
    let ledger = rig.cfg.dir.path().join("ledger.db");
    let known = sample(&rig, KNOWN).await.expect("known version exported");
    assert_eq!(sample(&rig, BEHIND).await, Some(0.0));
    let rig_ref = &rig;
    eventually_async(
        || async move { sample(rig_ref, FOUND).await == Some(known) },
        WAIT,
    )
    .await;
    watch_claims(&ledger);

    // The newer build's migration.
    let newer = known as u32 + 1;
    set_user_version(&ledger, newer);
    eventually_async(
        || async move { sample(rig_ref, BEHIND).await == Some(1.0) },
        WAIT,
    )
    .await;
    assert_eq!(sample(&rig, FOUND).await, Some(f64::from(newer)));
    assert_eq!(sample(&rig, KNOWN).await, Some(known));

    // Announced once, with both versions.
    wait_count(&r, 1).await;
    let b = &bodies(&r)[0];
    assert_eq!(b["event"], "ledger_schema_behind", "{b}");
    assert_eq!(b["key"], format!("ledger_schema_behind:{newer}:{known}"));
    assert_eq!(b["ledger_schema_version"], newer, "{b}");
    assert_eq!(b["ledger_schema_known_version"], known as u32, "{b}");
    let message = b["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("version {newer} but")),
        "{message}"
    );
    assert!(message.contains("replace it"), "{message}");

    // A billable request with a key is refused before the key is claimed.
    let refused = video_with_key(&rig).await;
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(
        refused.header("x-gateway-rejected"),
        Some("ledger_unavailable")
    );
    assert_eq!(claims(&ledger), Vec::<String>::new(), "no claim written");
    stays_at(&r, 1).await;
    let m = rig.metrics().await;
    assert_metric(
        &m,
        r#"heygen_gateway_alerts_total{event="ledger_schema_behind",result="queued"} 1"#,
    );
    assert_metric(
        &m,
        r#"heygen_gateway_alerts_total{event="ledger_schema_behind",result="delivered"} 1"#,
    );
    assert_metric(&m, &format!("{BEHIND} 1"));
    // The refusal is the replica stepping aside, told once above, not a
    // failing ledger: no `ledger_error` count (nor its alert, which would
    // page again for every refused request).
    assert_metric(&m, r#"heygen_gateway_ledger_errors_total{op="hold"} 0"#);

    // The client's retry reaches an up-to-date replica (this build again,
    // on the ledger as this build knows it): a first attempt, forwarded,
    // and replayed from then on.
    rig.stop().await;
    set_user_version(&ledger, known as u32);
    rig.boot(&urls, clock).await;
    let retry = video_with_key(&rig).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert!(retry.header("x-gateway-idempotent-replay").is_none());
    let again = video_with_key(&rig).await;
    assert_eq!(again.header("x-gateway-idempotent-replay"), Some("true"));
    assert_eq!(claims(&ledger), vec![KEY.to_string()], "claimed once");
}
