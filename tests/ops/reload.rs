//! Hot reload through `POST /admin/v1/reload`: the file on disk changes, the
//! new config is swapped in (new key works, revoked key refused on the next
//! request, changed budgets keep their usage); a bad file is refused with its
//! problems listed, the old config keeps serving and the failure is counted.

use super::*;

/// Writes a new config for `rig` to its config file: the defaults pointing at
/// the rig's mock, adjusted by `f`, on the same ledger file as before.
fn rewrite(rig: &Rig, f: impl FnOnce(TestConfig) -> TestConfig) {
    // The harness keeps the ledger next to the config file.
    let dir = rig.gw.config_path.parent().expect("config dir");
    let store = format!("sqlite://{}", dir.join("ledger.db").display());
    let cfg = f(TestConfig::for_mock(&rig.mock)).set("store", "url", &format!("{store:?}"));
    std::fs::write(&rig.gw.config_path, cfg.toml()).expect("write config");
}

async fn reload(rig: &Rig) -> TestResponse {
    rig.admin("POST", "reload", "").await
}

#[tokio::test]
async fn reload_swaps_keys_and_budgets_keeping_usage() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10, monthly = 100")).await;
    rig.video_ok("alpha").await;
    let before = window(&rig.usage("alpha").await, "daily").clone();
    assert_eq!(
        (&before["held"], &before["remaining"]),
        (&json!("0.5"), &json!("9.5"))
    );

    let rotated = tenant_token("gamma-rotated");
    rewrite(&rig, |c| {
        c.tenant_budgets("alpha", "daily = 20, monthly = 100")
            .tenant("gamma", |t| t.keys = vec![key_hash(&rotated)])
            .add_tenant(TenantSpec::new("delta"))
    });
    // Nothing changes until the reload.
    assert_eq!(rig.read("delta").await.status, 401);
    assert_eq!(rig.read("gamma").await.status, 200);

    let r = reload(&rig).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["reloaded"], true);
    assert_eq!(r.json()["data"]["restart_required"], json!([]));
    assert_eq!(rig.read("delta").await.status, 200);
    // The revoked key is refused from the very next request.
    let revoked = rig.read("gamma").await;
    assert_eq!(revoked.status, 401, "{}", revoked.text());
    let r = send(
        "GET",
        &rig.gw.url("/v2/avatars"),
        &[("x-api-key", rotated.as_str())],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The changed budget keeps its usage; only the limit and remaining move.
    let after = window(&rig.usage("alpha").await, "daily").clone();
    assert_eq!(
        (
            &after["held"],
            &after["spent"],
            &after["limit"],
            &after["remaining"]
        ),
        (
            &before["held"],
            &before["spent"],
            &json!("20"),
            &json!("19.5")
        )
    );
    assert_eq!(
        window(&rig.usage("alpha").await, "monthly")["remaining"],
        "99.5"
    );
    // Admin sees the new tenant list.
    let tenants = rig.admin("GET", "tenants", "").await.json();
    admin_tenant(&tenants, "delta");
    let text = rig.metrics().await;
    assert_metric(
        &text,
        "heygen_gateway_config_reloads_total{result=\"success\"} 1",
    );
    assert_metric(
        &text,
        "heygen_gateway_config_reloads_total{result=\"failure\"} 0",
    );
    rig.gw.shutdown().await;
}

/// A reload that changes a key read only at start-up applies the rest and
/// says which keys wait for a restart, instead of a plain success.
#[tokio::test]
async fn a_reload_names_the_keys_that_need_a_restart() {
    let rig = Rig::start(|c| c).await;
    rewrite(&rig, |c| {
        c.set("upstream", "request_timeout_ms", "5000").set(
            "metrics",
            "gauge_interval_seconds",
            "30",
        )
    });
    let r = reload(&rig).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The gauge period is live: its timer takes the new one at its next tick.
    assert_eq!(
        r.json()["data"]["restart_required"],
        json!(["upstream timeouts"])
    );
}

#[tokio::test]
async fn bad_reload_is_refused_and_the_old_config_keeps_serving() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;

    // Valid TOML, invalid values: every problem is listed.
    rewrite(&rig, |c| {
        c.tenant_budgets("alpha", "daily = -5")
            .set("metrics", "alert_thresholds", "[0, 80]")
            .set("metrics", "gauge_interval_seconds", "0")
            .add_tenant(TenantSpec::new("delta"))
    });
    let r = reload(&rig).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let body = r.json();
    assert_eq!(body["error"]["code"], "invalid_config");
    let problems: Vec<String> = body["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p.as_str().expect("text").to_string())
        .collect();
    assert!(
        problems.iter().any(|p| p.contains("budgets.daily")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("metrics.alert_thresholds[0]")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("metrics.gauge_interval_seconds")),
        "{problems:?}"
    );
    // The old config still serves: no delta, alpha's budget unchanged.
    assert_eq!(rig.read("delta").await.status, 401);
    assert_eq!(rig.read("alpha").await.status, 200);
    assert_eq!(window(&rig.usage("alpha").await, "daily")["limit"], "10");
    assert_metric(
        &rig.metrics().await,
        "heygen_gateway_config_reloads_total{result=\"failure\"} 1",
    );

    // Not TOML at all, then a missing file: refused the same way.
    std::fs::write(&rig.gw.config_path, "[server\nlisten = ").expect("write");
    let r = reload(&rig).await;
    assert_eq!(r.status, 422, "{}", r.text());
    std::fs::remove_file(&rig.gw.config_path).expect("remove");
    let r = reload(&rig).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let text = rig.metrics().await;
    assert_metric(
        &text,
        "heygen_gateway_config_reloads_total{result=\"failure\"} 3",
    );
    assert_metric(
        &text,
        "heygen_gateway_config_reloads_total{result=\"success\"} 0",
    );
    rig.video_ok("alpha").await;

    // Fixing the file makes the next reload succeed.
    rewrite(&rig, |c| {
        c.tenant_budgets("alpha", "daily = 10")
            .add_tenant(TenantSpec::new("delta"))
    });
    assert_eq!(reload(&rig).await.status, 200);
    assert_eq!(rig.read("delta").await.status, 200);
    assert_eq!(window(&rig.usage("alpha").await, "daily")["held"], "0.5");
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn every_reload_is_an_audit_event() {
    let (_guard, logs) = capture_logs();
    let rig = Rig::start(|c| c).await;
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let reload_as = |actor: &'static str| {
        let (url, auth) = (rig.gw.admin_url("/admin/v1/reload"), auth.clone());
        async move {
            send(
                "POST",
                &url,
                &[("authorization", auth.as_str()), ("x-admin-actor", actor)],
                "",
            )
            .await
        }
    };
    assert_eq!(reload_as("alice").await.status, 200);
    std::fs::write(&rig.gw.config_path, "[server\n").expect("write");
    assert_eq!(reload_as("bob").await.status, 422);
    let audit = |actor: &str, result: &str| {
        logs.contents()
            .lines()
            .filter(|l| {
                l.contains("audit=true")
                    && l.contains("action=\"reload\"")
                    && l.contains(actor)
                    && l.contains(&format!("result=\"{result}\""))
            })
            .count()
    };
    assert_eq!(audit("alice", "success"), 1, "{}", logs.contents());
    assert_eq!(audit("bob", "failure"), 1, "{}", logs.contents());
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn settlement_uses_the_price_book_the_hold_was_admitted_under() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 100")).await;
    let video = rig.video_ok("alpha").await; // 3 s silence, standard avatar: 0.5 held
                                             // Prices double under a new version.
    rewrite(&rig, |c| {
        c.tenant_budgets("alpha", "daily = 100").extra(
            "[pricing]\nversion = \"doubled\"\n\
             [pricing.features.standard_avatar]\ncredits_per_minute = 2.0\nincrement_seconds = 30\n",
        )
    });
    let r = reload(&rig).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // 60 s at the admitted price (1 credit/min) is 1 credit, not 2.
    assert!(rig.mock.control().complete(&video, 60.0));
    let token = tenant_token("alpha");
    let s = send(
        "GET",
        &rig.gw
            .url(&format!("/v1/video_status.get?video_id={video}")),
        &[("x-api-key", token.as_str())],
        "",
    )
    .await;
    assert_eq!(s.status, 200, "{}", s.text());
    eventually_async(
        || async { window(&rig.usage("alpha").await, "daily")["spent"] == json!("1") },
        Duration::from_secs(10),
    )
    .await;

    // Changing prices under the same version name is refused.
    rewrite(&rig, |c| {
        c.extra(
            "[pricing]\nversion = \"doubled\"\n\
             [pricing.features.standard_avatar]\ncredits_per_minute = 3.0\nincrement_seconds = 30\n",
        )
    });
    let r = reload(&rig).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("pricing.version"), "{}", r.text());
}
