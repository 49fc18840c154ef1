//! A reload that changes prices mid-session does not re-price the session:
//! it is charged, whole, by the book its first minute was admitted under,
//! as a job settles at its hold's book. Streaming at 0.2 credits/min, then
//! reloaded at 0.6 under a new `pricing.version` during the first minute;
//! the second minute is held after the reload, and the stop at 90 s falls
//! in it. On SQLite and on PostgreSQL.

use serde_json::json;

use super::sessions::{at, metered, minute_holds, start_session, wait_all_settled, T0};
use crate::common::*;
use crate::{manual_clock, Rig, SETTLE_WAIT};

/// The test config on `store` (the given URL, else the harness's SQLite
/// file next to the config), with `dearer` prices when asked.
fn config<'a>(
    rig_dir: Option<&'a std::path::Path>,
    store: Option<&'a str>,
    dearer: bool,
) -> impl Fn(TestConfig) -> TestConfig + 'a {
    move |c| {
        let c = metered(c).tenant_budgets("alpha", "daily = 100");
        let c = match (store, rig_dir) {
            (Some(url), _) => c.set("store", "url", &format!("{url:?}")),
            (None, Some(dir)) => {
                let file = format!("sqlite://{}", dir.join("ledger.db").display());
                c.set("store", "url", &format!("{file:?}"))
            }
            (None, None) => c,
        };
        if !dearer {
            return c;
        }
        c.set("pricing", "version", "\"dearer\"").set(
            "pricing.features.streaming",
            "credits_per_minute",
            "0.6",
        )
    }
}

async fn a_reload_mid_session_does_not_reprice_it(store: Option<String>) {
    let clock = manual_clock(T0);
    let rig = Rig::start_with_clock(config(None, store.as_deref(), false), clock.clone()).await;
    let idle = json!({"avatar_id": "a", "activity_idle_timeout": 3600});
    let session = start_session(&rig, idle).await;
    at(&clock, 30);
    // The harness keeps its SQLite ledger next to the config file.
    let dir = rig
        .gw
        .config_path
        .parent()
        .expect("config dir")
        .to_path_buf();
    let cfg = config(Some(&dir), store.as_deref(), true)(TestConfig::for_mock(&rig.mock));
    std::fs::write(&rig.gw.config_path, cfg.toml()).expect("write config");
    let r = rig.admin("POST", "/admin/v1/reload", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The second minute is held after the reload, then the first captured.
    at(&clock, 59);
    eventually_async(
        || async { minute_holds(&rig).await.len() == 2 },
        SETTLE_WAIT,
    )
    .await;
    at(&clock, 61);
    eventually_async(
        || async { minute_holds(&rig).await[0]["state"] == "captured" },
        SETTLE_WAIT,
    )
    .await;
    at(&clock, 90);
    let stop = json!({ "session_id": session }).to_string();
    let r = rig
        .call("alpha", "POST", "/v1/streaming.stop", &[], stop)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let holds = wait_all_settled(&rig).await;
    let captured: Vec<&str> = holds
        .iter()
        .filter_map(|h| h["captured"].as_str())
        .collect();
    // 90 s at 0.2/min = 0.3 in all, not 90 s at 0.6 less the first minute.
    assert_eq!(captured, ["0.2", "0.1"], "{holds:?}");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0.3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_mid_session_does_not_reprice_it_on_sqlite() {
    a_reload_mid_session_does_not_reprice_it(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_mid_session_does_not_reprice_it_on_postgres() {
    let url = crate::pg::database().await;
    a_reload_mid_session_does_not_reprice_it(Some(url)).await;
}
