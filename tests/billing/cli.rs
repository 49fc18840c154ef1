//! `heygen-gateway usage [--tenant ID] [--json]`: budgets and usage read from
//! the configured ledger, as a table by default.

use std::process::Command;

use serde_json::Value;

use crate::common::*;
use crate::{one_and_a_half, Rig};

/// Runs `heygen-gateway usage --config <rig's config> ARGS`; returns stdout,
/// panicking with stderr unless it exits 0.
fn usage_cli(rig: &Rig, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
        .arg("usage")
        .arg("--config")
        .arg(&rig.gw.config_path)
        .args(args)
        .env("HEYGEN_API_KEY", ORG_KEY)
        .output()
        .expect("run heygen-gateway usage");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "usage {args:?} failed ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The window `name` of one scope of the `--json` output.
fn json_window<'a>(scopes: &'a Value, scope: &str, name: &str) -> &'a Value {
    scopes
        .as_array()
        .and_then(|s| s.iter().find(|s| s["scope"] == scope))
        .and_then(|s| s["windows"].as_array())
        .and_then(|ws| ws.iter().find(|w| w["window"] == name))
        .unwrap_or_else(|| panic!("no {scope}/{name} in {scopes}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_cli_prints_a_table_and_json_matching_the_endpoint() {
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 10, monthly = 100")
            .org_budgets(&[("monthly", "5000")])
    })
    .await;
    let resp = rig.post("/v2/video/generate", &one_and_a_half()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());

    // JSON: the org and every tenant, windows as the usage endpoint serves them.
    let all: Value = serde_json::from_str(&usage_cli(&rig, &["--json"])).expect("JSON output");
    let scopes: Vec<&str> = all
        .as_array()
        .expect("array of scopes")
        .iter()
        .filter_map(|s| s["scope"].as_str())
        .collect();
    assert_eq!(scopes, ["org", "alpha", "beta", "gamma"], "{all}");
    let endpoint = rig.window("alpha", "daily").await;
    let daily = json_window(&all, "alpha", "daily");
    assert_eq!(daily, &endpoint, "CLI and endpoint agree");
    assert_eq!(
        (&daily["limit"], &daily["held"], &daily["remaining"]),
        (&Value::from("10"), &Value::from("1.5"), &Value::from("8.5"))
    );
    let org = json_window(&all, "org", "monthly");
    assert_eq!(
        (&org["limit"], &org["held"], &org["remaining"]),
        (
            &Value::from("5000"),
            &Value::from("1.5"),
            &Value::from("4998.5")
        )
    );
    assert!(json_window(&all, "beta", "daily")["limit"].is_null());

    // `--tenant` narrows to one scope.
    let one: Value = serde_json::from_str(&usage_cli(&rig, &["--tenant", "alpha", "--json"]))
        .expect("JSON output");
    assert_eq!(one.as_array().map(Vec::len), Some(1), "{one}");
    assert_eq!(json_window(&one, "alpha", "daily"), &endpoint);

    // The table: a header and one row per scope and window.
    let table = usage_cli(&rig, &["--tenant", "alpha"]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    assert_eq!(
        header,
        [
            "SCOPE",
            "MODE",
            "WINDOW",
            "PERIOD",
            "LIMIT",
            "GRANTED",
            "HELD",
            "SPENT",
            "REMAINING",
            "RESETS"
        ]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    let daily_row = rows
        .iter()
        .find(|r| r.get(2) == Some(&"daily"))
        .unwrap_or_else(|| panic!("no daily row:\n{table}"));
    assert_eq!(
        daily_row[..9],
        [
            "alpha",
            "enforced",
            "daily",
            endpoint["period"].as_str().expect("period"),
            "10",
            "0",
            "1.5",
            "0",
            "8.5"
        ],
        "{table}"
    );
    assert_eq!(
        daily_row[9],
        endpoint["resets_at"].as_str().expect("resets_at")
    );
    let weekly = rows
        .iter()
        .find(|r| r.get(2) == Some(&"weekly"))
        .unwrap_or_else(|| panic!("no weekly row:\n{table}"));
    assert_eq!(weekly[4], "-", "no limit is a dash: {table}");
    assert!(rows.iter().all(|r| r[0] == "alpha"), "{table}");

    // An unknown tenant is a usage error.
    let out = Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
        .args(["usage", "--tenant", "nobody", "--config"])
        .arg(&rig.gw.config_path)
        .env("HEYGEN_API_KEY", ORG_KEY)
        .output()
        .expect("run heygen-gateway usage");
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
}
