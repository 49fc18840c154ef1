//! The admin API: bearer-token refusal on every route, tenants with usage,
//! holds by state and tenant; and the `probe` command's readiness check.
//! The journal exports and credit adjustments are in `admin_ledger.rs`.

use super::*;

/// Every admin route with a body that would succeed with the right token.
fn routes() -> Vec<(&'static str, &'static str, String)> {
    let adjust = json!({"tenant": "alpha", "credits": 5, "reason": "should not happen"});
    vec![
        ("GET", "tenants", String::new()),
        ("GET", "holds", String::new()),
        ("GET", "holds?state=held&tenant=alpha", String::new()),
        ("GET", "ledger", String::new()),
        ("GET", "ledger?format=csv", String::new()),
        ("POST", "adjustments", adjust.to_string()),
        ("POST", "reload", String::new()),
        ("GET", "no-such-endpoint", String::new()),
    ]
}

#[tokio::test]
async fn every_admin_route_refuses_a_missing_or_wrong_token() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let wrong_right = format!("Bearer {ADMIN_TOKEN}x");
    let basic = format!("Basic {ADMIN_TOKEN}");
    let bare = ADMIN_TOKEN.to_string();
    let prefix = format!("Bearer {}", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1]);
    let bad: Vec<Option<&str>> = vec![
        None,
        Some("Bearer wrong-token"),
        Some("Bearer "),
        Some(&wrong_right),
        Some(&prefix),
        Some(&basic),
        Some(&bare),
    ];
    for (method, path, body) in routes() {
        let url = rig.gw.admin_url(&format!("/admin/v1/{path}"));
        for auth in &bad {
            let mut headers = vec![("content-type", "application/json")];
            if let Some(a) = auth {
                headers.push(("authorization", a));
            }
            let r = send(method, &url, &headers, body.clone()).await;
            assert_eq!(r.status, 401, "{method} {path} with {auth:?}: {}", r.text());
            assert_eq!(r.json()["error"]["code"], "unauthorized");
        }
    }
    // Nothing the refused writes asked for happened.
    assert_eq!(window(&rig.usage("alpha").await, "daily")["spent"], "0");
    let text = rig.metrics().await;
    assert_metric(
        &text,
        "heygen_gateway_config_reloads_total{result=\"success\"} 0",
    );

    // The right token works on every route (the unknown one is a 404).
    for (method, path, body) in routes() {
        let r = rig.admin(method, path, &body).await;
        let want = if path == "no-such-endpoint" { 404 } else { 200 };
        assert_eq!(r.status, want, "{method} {path}: {}", r.text());
    }
    // The one adjustment made with the right token: a 5-credit grant.
    let daily = window(&rig.usage("alpha").await, "daily").clone();
    assert_eq!(
        (&daily["spent"], &daily["granted"]),
        (&json!("0"), &json!("5"))
    );
    rig.gw.shutdown().await;
}

/// A gateway in front of `mock` whose secrets come from `env`.
async fn start_with_env(
    mock: &heygen_mock::MockHeygen,
    env: heygen_gateway::config::MapEnv,
) -> heygen_gateway::server::RunningGateway {
    let opts = heygen_gateway::server::StartOptions {
        env: Arc::new(env),
        clock: Arc::new(heygen_gateway::clock::SystemClock),
        registry: prometheus::Registry::new(),
        config_path: None,
    };
    let cfg = TestConfig::for_mock(mock);
    heygen_gateway::server::RunningGateway::start(cfg.config(), opts)
        .await
        .unwrap_or_else(|e| panic!("gateway failed to start: {e:#}"))
}

/// A token from a file-mounted secret ends in a newline: it is trimmed, as
/// every other secret is, so the token itself is accepted.
#[tokio::test]
async fn an_admin_token_with_a_trailing_newline_is_trimmed() {
    let mock = start_mock().await;
    let env = test_env().with("HEYGEN_GATEWAY_ADMIN_TOKEN", &format!("{ADMIN_TOKEN}\n"));
    let gw = start_with_env(&mock, env).await;
    let url = format!("http://{}/admin/v1/tenants", gw.admin_addr);
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let r = send(
        "GET",
        &url,
        &[("authorization", auth.as_str())],
        String::new(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    gw.shutdown().await;
}

/// Secrets the process does not hold switch their surface off with a 503
/// naming what ops must set, not a 401 blaming the caller's token or
/// HeyGen's signature.
#[tokio::test]
async fn without_its_secret_a_surface_answers_503_naming_it() {
    let mock = start_mock().await;
    let mut env = test_env();
    env.0.remove("HEYGEN_GATEWAY_ADMIN_TOKEN");
    env.0.remove("HEYGEN_WEBHOOK_SECRET");
    let gw = start_with_env(&mock, env).await;
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let url = format!("http://{}/admin/v1/tenants", gw.admin_addr);
    let r = send("GET", &url, &[("authorization", &auth)], String::new()).await;
    assert_eq!(r.status, 503, "{}", r.text());
    let msg = r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(msg.contains("$HEYGEN_GATEWAY_ADMIN_TOKEN"), "{msg}");
    let url = format!("http://{}/gateway/v1/webhooks/heygen", gw.addr);
    let r = send(
        "POST",
        &url,
        &[("content-type", "application/json")],
        "{}".to_string(),
    )
    .await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("not_configured"));
    let msg = r.text();
    assert!(msg.contains("webhooks.secret_env"), "{msg}");
    gw.shutdown().await;
}

#[tokio::test]
async fn tenants_lists_budgets_limits_and_usage() {
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 10, monthly = 100")
            .tenant_limits(
                "alpha",
                "requests_per_minute = 120, burst = 20, renders_in_flight = 3",
            )
            .org_budgets(&[("monthly", "5000")])
            .set("org", "renders_in_flight", "10")
    })
    .await;
    rig.video_ok("alpha").await;
    let r = rig.admin("GET", "tenants", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    let alpha = admin_tenant(&body, "alpha");
    assert_eq!(alpha["enabled"], true);
    assert_eq!(alpha["shadow"], false);
    assert_eq!(alpha["keys"], 1);
    assert_eq!(
        alpha["limits"],
        json!({"requests_per_minute": 120, "burst": 20, "renders_in_flight": 3})
    );
    let windows = alpha["windows"].as_array().expect("windows");
    let daily = window(windows, "daily");
    assert_eq!(
        (
            &daily["limit"],
            &daily["held"],
            &daily["spent"],
            &daily["remaining"]
        ),
        (&json!("10"), &json!("0.5"), &json!("0"), &json!("9.5"))
    );
    let weekly = window(windows, "weekly");
    assert_eq!(
        (&weekly["limit"], &weekly["held"]),
        (&Value::Null, &json!("0.5"))
    );
    // Idle tenants are listed too.
    let gamma = admin_tenant(&body, "gamma");
    assert_eq!(
        window(gamma["windows"].as_array().expect("windows"), "daily")["held"],
        "0"
    );
    let org = &body["data"]["org"];
    assert_eq!(org["renders_in_flight_cap"], 10);
    let monthly = window(org["windows"].as_array().expect("org windows"), "monthly");
    assert_eq!(
        (&monthly["limit"], &monthly["remaining"]),
        (&json!("5000"), &json!("4999.5"))
    );
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn holds_filter_by_state_and_tenant() {
    let rig = Rig::start(|c| c).await;
    let a1 = rig.video_ok("alpha").await;
    rig.video_ok("alpha").await;
    rig.video_ok("beta").await;
    rig.settle("alpha", &a1, 3.0).await;

    assert_eq!(rig.holds("").await.len(), 3);
    assert_eq!(rig.holds("tenant=alpha").await.len(), 2);
    let submitted = rig.holds("tenant=alpha&state=submitted").await;
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0]["tenant"], "alpha");
    assert_eq!(submitted[0]["feature"], "standard_avatar");
    assert_eq!(submitted[0]["render"], true);
    let captured = rig.holds("state=captured").await;
    assert_eq!(captured.len(), 1);
    assert_eq!(
        (&captured[0]["tenant"], &captured[0]["captured"]),
        (&json!("alpha"), &json!("0.5"))
    );
    let beta = rig.holds("tenant=beta").await;
    assert_eq!(beta.len(), 1);
    assert_eq!(beta[0]["state"], "submitted");
    assert!(rig.holds("state=released").await.is_empty());
    assert!(rig.holds("tenant=gamma").await.is_empty());

    let r = rig.admin("GET", "holds?state=bogus", "").await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "invalid_parameter");
    rig.gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_command_reports_readiness() {
    let rig = Rig::start(|c| c).await;
    let admin = rig.gw.admin_addr.to_string();
    let run = move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
            .args(["probe", "--timeout", "5", "--admin", &admin])
            .output()
            .expect("run probe")
    };
    let out = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    rig.gw.shutdown().await;
    let out = tokio::task::spawn_blocking(run).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a stopped gateway is not ready: {out:?}"
    );
}

/// Query parameters the admin API cannot use are 400s (an unknown tenant
/// a 404), not silently ignored; the bearer scheme is case-insensitive.
#[tokio::test]
async fn bad_query_parameters_are_named_not_ignored() {
    let rig = Rig::start(|c| c).await;
    for (path, status) in [
        ("holds?limit=abc", 400),
        ("holds?limit=0", 400),
        ("ledger?limit=-1", 400),
        ("resources?limit=x", 400),
        ("holds?tenant=nobody", 404),
        (
            "ledger?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
            400,
        ),
        ("holds?limit=5&tenant=alpha", 200),
    ] {
        let r = rig.admin("GET", path, "").await;
        assert_eq!(r.status, status, "{path}: {}", r.text());
    }
    let url = rig.gw.admin_url("/admin/v1/tenants");
    let auth = format!("BEARER {ADMIN_TOKEN}");
    let r = send(
        "GET",
        &url,
        &[("authorization", auth.as_str())],
        String::new(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}
