//! SIGKILL in the middle of a metered session (issue 13): a LiveAvatar
//! session minted through the real binary, the process killed a few
//! seconds in, restarted after the session's first minute ended while it
//! was down. The restarted gateway holds the missed minute, the client's
//! stop captures the rest, every started minute is charged exactly once,
//! and `heygen-gateway ledger verify` finds the ledger consistent.
//! Runs on the wall clock: about 70 s.

use std::time::{Duration, Instant};

use heygen_mock::liveavatar::MockLiveAvatar;
use serde_json::Value;

use crate::common::{self, eventually_async, start_mock, tenant_token, LIVEAVATAR_KEY};
use crate::harness::{admin_get, base_config, GatewayProc, Node};
use crate::ledger_view::tenant_window;

/// LiveAvatar LITE: 1 credit per started minute.
const MINUTE_MICROS: i64 = 1_000_000;

async fn la_holds(gw: &GatewayProc) -> Vec<Value> {
    let body = admin_get(gw, "/admin/v1/holds?tenant=alpha&limit=100")
        .await
        .json();
    body["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|h| h["feature"] == "liveavatar_lite")
        .collect()
}

async fn browser(gw: &GatewayProc, op: &str, token: &str) -> http::StatusCode {
    let auth = format!("Bearer {token}");
    let url = gw.url(&format!("/liveavatar/v1/sessions/{op}"));
    common::send("POST", &url, &[("authorization", &auth)], "{}")
        .await
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_session_loses_no_minute_and_charges_none_twice() {
    let mock = start_mock().await;
    let la = MockLiveAvatar::start(LIVEAVATAR_KEY).await.unwrap();
    let cfg = base_config(&mock, None);
    let key_file = cfg.dir.path().join("liveavatar.key");
    std::fs::write(&key_file, LIVEAVATAR_KEY).unwrap();
    let cfg = cfg
        .set("upstream", "liveavatar_url", &format!("{:?}", la.url()))
        .set(
            "upstream",
            "liveavatar_key_file",
            &format!("{:?}", key_file.display().to_string()),
        )
        .set("settlement", "session_tick_seconds", "1")
        .set("settlement", "session_idle_seconds", "600");
    let mut node = Node::new(cfg);
    let mut gw = node.start().await;
    let token = tenant_token("alpha");
    let r = common::send(
        "POST",
        &gw.url("/liveavatar/v1/sessions/token"),
        &[("x-api-key", &token), ("content-type", "application/json")],
        r#"{"mode": "LITE", "avatar_id": "a"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let minted = Instant::now();
    let session_token = r.json()["data"]["session_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(browser(&gw, "start", &session_token).await, 200);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(la_holds(&gw).await.len(), 1, "the first minute is held");
    gw.kill();

    // Down across the end of the first minute.
    let until = minted + Duration::from_secs(62);
    tokio::time::sleep(until.saturating_duration_since(Instant::now())).await;
    let mut gw = node.start().await;
    eventually_async(
        || async { la_holds(&gw).await.len() >= 2 },
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(browser(&gw, "stop", &session_token).await, 200);
    assert!(
        minted.elapsed() < Duration::from_secs(115),
        "the stop must come within the second minute"
    );
    let holds = la_holds(&gw).await;
    assert_eq!(holds.len(), 2, "{holds:?}");
    assert!(holds.iter().all(|h| h["state"] == "captured"), "{holds:?}");
    let w = tenant_window(&gw, "alpha", "total").await;
    assert_eq!((w.held, w.spent), (0, 2 * MINUTE_MICROS), "{w:?}");
    assert!(
        la.stops().iter().all(|s| s.by == "bearer"),
        "only the client's stop"
    );
    gw.kill();

    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
        .args(["ledger", "verify", "--config"])
        .arg(node.config_path())
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}
