//! What keeps an alert from being sent at all: the egress guard refusing
//! private and metadata addresses, and config and `check-config` errors.

use std::path::Path;
use std::sync::Arc;

use heygen_gateway::clock::SystemClock;
use heygen_gateway::config::Config;
use heygen_gateway::ledger::AlertState;

use crate::common::*;
use crate::{webhook, Receiver, Rig, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_egress_guard_refuses_private_and_metadata_urls() {
    let r = Receiver::start().await;
    let hooks = webhook("loopback", "LOOP_URL", "slack", None)
        + &webhook("metadata", "META_URL", "json", None);
    let rig = Rig::start(
        // No allow list: loopback is as forbidden as the metadata service.
        |c| {
            c.unset("egress", "allow_cidrs")
                .tenant_budgets("alpha", "daily = 0.6")
                .extra(&hooks)
        },
        &[
            ("LOOP_URL", r.url("/x")),
            (
                "META_URL",
                "http://169.254.169.254/latest/meta-data".to_string(),
            ),
        ],
        Arc::new(SystemClock),
    )
    .await;
    assert_eq!(rig.video("alpha").await.status, 200);
    eventually_async(
        || async {
            let log = rig.log().await;
            log.len() == 2 && log.iter().all(|a| a.attempts >= 1)
        },
        WAIT,
    )
    .await;
    for a in rig.log().await {
        assert_ne!(a.state, AlertState::Delivered, "{a:?}");
        let e = a.last_error.clone().unwrap_or_default();
        assert!(e.contains("refusing to contact"), "{a:?}");
    }
    assert_eq!(r.count(), 0, "never sent");
    let m = rig.metrics().await;
    let refused = metric_value(
        &m,
        r#"heygen_gateway_alerts_total{event="threshold",result="refused"}"#,
    )
    .unwrap_or(0.0)
        + metric_value(
            &m,
            r#"heygen_gateway_alerts_total{event="threshold",result="failed"}"#,
        )
        .unwrap_or(0.0);
    assert!(refused >= 2.0, "{m}");
}

fn config_errors(toml: &str) -> Vec<String> {
    match Config::from_toml(toml) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn config_errors_name_the_key_and_the_fix() {
    let errs = config_errors(
        r#"
[alerts]
drift_credits = 0
[[alerts.webhooks]]
name = "ops"
url_env = "A"
format = "teams"
[[alerts.webhooks]]
name = "ops"
url_env = "B"
format = "json"
events = ["threshold", "budget_low"]
[[alerts.webhooks]]
name = "x"
format = "slack"
"#,
    );
    let want = [
        "`alerts.drift_credits`",
        "`alerts.webhooks[0].format`: is \"teams\"; use \"slack\"",
        "`alerts.webhooks[1].events[1]`: \"budget_low\" is not an alert event",
        "`alerts.webhooks[2].url_env`: missing",
    ];
    for w in want {
        assert!(errs.iter().any(|e| e.contains(w)), "{w} not in {errs:#?}");
    }
    let errs = config_errors(
        "[[alerts.webhooks]]\nname = \"a\"\nurl_env = \"A\"\nformat = \"json\"\n\
         [[alerts.webhooks]]\nname = \"a\"\nurl_env = \"B\"\nformat = \"json\"\n",
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("`alerts.webhooks[1].name`") && e.contains("unique")),
        "{errs:?}"
    );
    let errs = config_errors("[[alerts.webhooks]]\nname = \"a\"\nurl = \"https://x\"\n");
    assert!(
        errs.iter().any(|e| e.contains("alerts.webhooks[0].url")),
        "{errs:?}"
    );
}

#[test]
fn check_config_reports_an_unset_webhook_url_unless_offline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.toml");
    let toml = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[upstream]\napi_key_file = {:?}\n{}",
        write(dir.path(), "org.key", "sk_org").display().to_string(),
        webhook(
            "ops-slack",
            "OPS_SLACK_WEBHOOK_URL_UNSET_IN_TESTS",
            "slack",
            None
        )
    );
    std::fs::write(&path, toml).unwrap();
    let run = |offline: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_heygen-gateway"));
        cmd.arg("check-config");
        if offline {
            cmd.arg("--offline");
        }
        cmd.arg("--config").arg(&path);
        cmd.env_remove("OPS_SLACK_WEBHOOK_URL_UNSET_IN_TESTS");
        cmd.output().unwrap()
    };
    let out = run(false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("alerts.webhooks[0].url_env")
            && stderr.contains("OPS_SLACK_WEBHOOK_URL_UNSET_IN_TESTS is not set"),
        "{stderr}"
    );
    assert!(run(true).status.success());
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}
