//! A price book version the ledger already holds with other prices is a
//! config error for the process too: `serve` exits 64 (as for any invalid
//! config) and says on stderr that `pricing.version` must change.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{start_mock, TestConfig, ADMIN_TOKEN, ORG_KEY, WEBHOOK_SECRET};
use crate::harness::{base_config, Node, BIN};

/// The config exit code (`EXIT_CONFIG` in src/commands.rs).
const EXIT_CONFIG: i32 = 64;

/// The standard avatar at `per_minute` credits under version "v1".
fn v1_at(per_minute: &str) -> impl FnOnce(TestConfig) -> TestConfig + '_ {
    move |c| {
        c.set("pricing", "version", "\"v1\"").set(
            "pricing.features.standard_avatar",
            "credits_per_minute",
            per_minute,
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_exits_64_when_the_ledger_holds_the_version_with_other_prices() {
    let mock = start_mock().await;
    // SQLite in the node's temp dir: the same ledger file for both runs.
    let mut node = Node::new(v1_at("1.0")(base_config(&mock, None)));
    // The first run records v1 at 1 credit/min before it reports ready.
    let mut first = node.start().await;
    first.stop();
    drop(first);

    node.reconfigure(v1_at("2.0"));
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("stderr.log");
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--config")
        .arg(node.config_path())
        .env("HEYGEN_API_KEY", ORG_KEY)
        .env("HEYGEN_GATEWAY_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("HEYGEN_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("HEYGEN_GATEWAY_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "serve with a changed v1 kept running; stderr:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert_eq!(
        status.code(),
        Some(EXIT_CONFIG),
        "{status}; stderr:\n{stderr}"
    );
    assert!(stderr.contains("pricing.version \"v1\""), "{stderr}");
}
