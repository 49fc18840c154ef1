//! A price book version the ledger already holds with other prices is a
//! config error for the process too: `serve` exits 64 (as for any invalid
//! config) and says on stderr that `pricing.version` must change.

use crate::common::{start_mock, TestConfig};
use crate::harness::{base_config, run, Node};

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
    let (code, stderr) = run(&["serve"], &node.config_path());
    assert_eq!(code, Some(EXIT_CONFIG), "{stderr}");
    assert!(stderr.contains("pricing.version \"v1\""), "{stderr}");
}
