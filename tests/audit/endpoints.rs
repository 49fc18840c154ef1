//! End to end: the `ledger verify` binary's exit codes and output, and
//! `GET /admin/v1/ledger/verify` on a running gateway.

use std::process::Command;

use heygen_gateway::ledger::SqliteLedger;
use serde_json::{json, Value};

use crate::common::*;
use crate::support::{credits, held, req, t0};

/// Runs `heygen-gateway ledger verify --config PATH ARGS`: (exit code, stdout).
fn verify_cli(config: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
        .args(["ledger", "verify", "--config"])
        .arg(config)
        .args(args)
        .output()
        .expect("run heygen-gateway ledger verify");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "unexpected stderr: {stderr}");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn cli_exits_0_when_clean_and_1_with_the_report() {
    let cfg = TestConfig::new("http://127.0.0.1:9");
    let path = cfg.dir.path().join("gateway.toml");
    std::fs::write(&path, cfg.toml()).unwrap();
    let db = cfg.dir.path().join("ledger.db");
    {
        let l = SqliteLedger::open(&db).await.unwrap();
        use heygen_gateway::ledger::Ledger;
        // A recent hold (the CLI checks expiry against the real clock).
        let mut r = req("alpha", credits(2), chrono::Utc::now());
        r.expires_at = r.now + chrono::Duration::hours(1);
        let h = held(l.hold(r).await.unwrap());
        l.capture_hold(&h, credits(1)).await.unwrap();
        held(l.hold(req("beta", credits(1), t0())).await.unwrap());
    }
    // The beta hold is long past its TTL and nothing expired it.
    let (code, out) = verify_cli(&path, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("ledger verify: FAILED, 1 violation(s) (2 holds"),
        "{out}"
    );
    assert!(out.contains("\n  overdue: hold hold_"), "{out}");
    // A grace longer than the hold's age accepts it.
    let (code, out) = verify_cli(&path, &["--grace-seconds", "999999999"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("ledger verify: ok (2 holds, 0 jobs, 4 journal rows, 15 counter rows"),
        "{out}"
    );

    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute(
        "UPDATE counters SET spent = spent + 1 WHERE scope = 'org' AND win = 'total'",
        [],
    )
    .unwrap();
    drop(c);
    let (code, out) = verify_cli(&path, &["--grace-seconds", "999999999", "--json"]);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["stats"]["holds"], 2);
    assert_eq!(
        v["violations"],
        json!([{
            "check": "counter", "scope": "org", "window": "total", "period": "total",
            "expected": "held 1 spent 1", "found": "held 1 spent 1.000001",
            "detail": "counter row differs from the journal's sums",
        }])
    );
}

#[tokio::test]
async fn cli_refuses_a_missing_ledger_file() {
    let cfg = TestConfig::new("http://127.0.0.1:9");
    let path = cfg.dir.path().join("gateway.toml");
    std::fs::write(&path, cfg.toml()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
        .args(["ledger", "verify", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    // 69 (EX_UNAVAILABLE), not 1: a cron job tells "cannot read" from "violations".
    assert_eq!(out.status.code(), Some(69));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the ledger"));
    // Read-only: verifying did not create the file.
    assert!(!cfg.dir.path().join("ledger.db").exists());
}

#[tokio::test]
async fn admin_endpoint_answers_the_report() {
    let cfg = TestConfig::new("http://127.0.0.1:9");
    let db = cfg.dir.path().join("ledger.db");
    let gw = TestGateway::start(cfg).await;
    let url = gw.admin_url("/admin/v1/ledger/verify");
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let headers = [("authorization", auth.as_str())];

    let r = send("GET", &url, &[], "").await;
    assert_eq!(r.status, 401);

    let adjust = json!({"tenant": "alpha", "credits": 5, "window": "daily", "reason": "test"});
    let r = send(
        "POST",
        &gw.admin_url("/admin/v1/adjustments"),
        &[
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ],
        adjust.to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());

    let r = send("GET", &url, &headers, "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["stats"]["adjustments"], 1);
    assert_eq!(v["grace_seconds"], 600);

    // Broken behind the running gateway's back: still 200, `ok` false.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute(
        "UPDATE counters SET spent = spent - 1 WHERE scope = 'tenant:alpha'",
        [],
    )
    .unwrap();
    drop(c);
    let r = send("GET", &format!("{url}?grace_seconds=0"), &headers, "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["grace_seconds"], 0);
    assert_eq!(v["violations"][0]["check"], "counter");
    assert_eq!(v["violations"][0]["scope"], "alpha");

    let r = send("GET", &format!("{url}?grace_seconds=soon"), &headers, "").await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = send("POST", &url, &headers, "").await;
    assert_eq!(r.status, 405, "{}", r.text());
    gw.shutdown().await;
}
