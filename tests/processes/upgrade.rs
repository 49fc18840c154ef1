//! A rolling upgrade as an old replica sees it: a gateway process runs on a
//! PostgreSQL ledger when a newer heygen-gateway migrates that ledger past
//! what this build knows (simulated as the newer build leaves it: one more
//! row in `ledger_migrations`). Within the check period (one second here,
//! through `metrics.gauge_interval_seconds`) the running process logs the
//! error once, `/metrics` says so (`heygen_gateway_ledger_schema_behind`
//! 1, both versions), the `ledger_schema_behind` alert reaches its webhook
//! once, `/readyz` answers 503, a billable request is refused with the 503
//! an unavailable ledger gets (and never reaches HeyGen) without claiming
//! its `Idempotency-Key` (a trigger records every claim, since an abandoned
//! one leaves no row), and free reads still pass. `ledger verify` of this
//! build refuses the ledger, and so does a restart of this build: `serve`
//! exits non-zero with a message naming both versions.

use std::time::Duration;

use crate::common::{
    self, eventually, eventually_async, full, metric_value, start_mock, tenant_token,
};
use crate::harness::{base_config, generate, run, GatewayProc, Node, GENERATE, SILENCE_3S};
use crate::receiver::Receiver;

/// A free read the gateway forwards without asking the ledger.
const FREE_READ: &str = "/v2/video_translate/target_languages";
/// How long the running check may take to notice (its period is 1 s here).
const NOTICE_BOUND: Duration = Duration::from_secs(15);

/// A plain connection to the shared ledger, for what the newer build does.
async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}

/// The sample `series` on the gateway's `/metrics`.
async fn sample(gw: &GatewayProc, series: &str) -> Option<f64> {
    let r = common::try_send("GET", &gw.admin_url("/metrics"), &[], full(""), false).await;
    metric_value(&r.ok()?.text(), series)
}

/// [`generate`] with an `Idempotency-Key`.
async fn generate_with_key(gw: &GatewayProc, key: &str) -> common::TestResponse {
    let token = tenant_token("alpha");
    let headers = [
        ("x-api-key", token.as_str()),
        ("content-type", "application/json"),
        ("idempotency-key", key),
    ];
    common::send("POST", &gw.url(GENERATE), &headers, SILENCE_3S).await
}

/// Records the key of every row inserted into `idempotency` in `test_claims`.
async fn watch_claims(db: &tokio_postgres::Client) {
    db.batch_execute(
        "CREATE TABLE test_claims (key TEXT NOT NULL);
         CREATE FUNCTION test_claims() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN INSERT INTO test_claims (key) VALUES (NEW.key); RETURN NEW; END $$;
         CREATE TRIGGER test_claims AFTER INSERT ON idempotency
           FOR EACH ROW EXECUTE FUNCTION test_claims();",
    )
    .await
    .unwrap();
}

async fn readyz(gw: &GatewayProc) -> u16 {
    common::try_send("GET", &gw.admin_url("/readyz"), &[], full(""), false)
        .await
        .map(|r| r.status.as_u16())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_old_replica_steps_aside_once_a_newer_build_migrates_the_ledger() {
    let url = crate::pg::database().await;
    let mock = start_mock().await;
    let ops = Receiver::start().await;
    let cfg = base_config(&mock, Some(&url))
        .set("metrics", "gauge_interval_seconds", "1")
        .set("egress", "allow_cidrs", r#"["127.0.0.1/32"]"#)
        .set("alerts", "interval_ms", "20");
    let url_file = cfg.dir.path().join("ops-webhook-url");
    std::fs::write(&url_file, ops.url("/ops")).unwrap();
    let cfg = cfg.extra(&format!(
        "[[alerts.webhooks]]\nname = \"ops\"\nurl_file = {:?}\nformat = \"json\"\n\
         events = [\"ledger_schema_behind\"]\n",
        url_file.display().to_string()
    ));
    let mut node = Node::new(cfg);
    let mut gw = node.start().await;
    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());

    // The newer build's migration.
    let db = connect(&url).await;
    let known: i32 = db
        .query_one("SELECT MAX(version) FROM ledger_migrations", &[])
        .await
        .unwrap()
        .get(0);
    let newer = known + 1;
    assert_eq!(
        sample(&gw, "heygen_gateway_ledger_schema_known_version").await,
        Some(f64::from(known))
    );
    assert_eq!(
        sample(&gw, "heygen_gateway_ledger_schema_behind").await,
        Some(0.0)
    );
    watch_claims(&db).await;
    db.execute(
        "INSERT INTO ledger_migrations (version) VALUES ($1)",
        &[&newer],
    )
    .await
    .unwrap();

    // The orchestrator takes the replica out of service, on-call sees why...
    eventually_async(|| async { readyz(&gw).await == 503 }, NOTICE_BOUND).await;
    let behind = sample(&gw, "heygen_gateway_ledger_schema_behind").await;
    assert_eq!(behind, Some(1.0));
    let found = sample(&gw, "heygen_gateway_ledger_schema_version").await;
    assert_eq!(found, Some(f64::from(newer)));
    let ops2 = ops.clone();
    eventually(move || ops2.count() >= 1, NOTICE_BOUND).await;
    // ...and what still reaches it is not admitted, nor its key claimed.
    let r = generate_with_key(&gw, "upgrade-1").await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("ledger_unavailable"));
    let claimed = db.query("SELECT key FROM test_claims", &[]).await.unwrap();
    assert!(claimed.is_empty(), "a refused request claimed its key");
    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 503, "{}", r.text());
    let body = r.json();
    let code = body["error"]["code"]
        .as_str()
        .or_else(|| body["error_code"].as_str());
    assert_eq!(code, Some("service_unavailable"), "{body}");
    assert_eq!(r.header("x-gateway-rejected"), Some("ledger_unavailable"));
    assert_eq!(mock.requests_to(GENERATE).len(), 1, "only the first one");
    // The alert went once, with both versions.
    let alerts: Vec<serde_json::Value> = ops
        .received()
        .iter()
        .map(|a| serde_json::from_slice(&a.body).unwrap())
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["event"], "ledger_schema_behind");
    assert_eq!(alerts[0]["ledger_schema_version"], newer);
    assert_eq!(alerts[0]["ledger_schema_known_version"], known);
    let token = tenant_token("alpha");
    let read = common::try_send(
        "GET",
        &gw.url(FREE_READ),
        &[("x-api-key", &token)],
        full(""),
        false,
    )
    .await
    .unwrap();
    assert_eq!(read.status, 200, "a free read passes: {}", read.text());
    // Said once, with both versions and what to do.
    let said = format!("The ledger's schema is version {newer} but this build knows {known}");
    let log = gw.log_text();
    assert_eq!(log.matches(&said).count(), 1, "{log}");
    assert!(log.contains("replace it with the newer version"), "{log}");

    // This build's audit and this build restarted refuse the ledger.
    let refused = format!("the ledger's schema is version {newer} but this build knows {known}");
    let config = node.config_path();
    let (code, text) = run(&["ledger", "verify"], &config);
    // 69: the ledger cannot be read by this build (not "violations found").
    assert_eq!(code, Some(69), "{text}");
    assert!(text.contains(&refused), "{text}");
    gw.kill();
    let (code, text) = run(&["serve"], &config);
    assert_ne!(code, Some(0), "{text}");
    assert!(code.is_some(), "serve died of a signal: {text}");
    assert!(text.contains(&refused), "{text}");
    assert!(text.contains("downgrading is not supported"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}
