//! The usage page (`/ui/` on the admin listener), driven in a real headless
//! Chromium through chromedriver: sign-in, the overview with budget bars and
//! burn-down charts, open holds, live sessions, the journal with filters,
//! the spend report and its CSV, the redacted configuration and sign-out.
//! Screenshots go to `target/ui-screenshots/` for a person to look at.
//! The cookie, CSRF and header rules are checked with plain HTTP as well.

mod common;
#[path = "ui/http_rules.rs"]
mod http_rules;
#[path = "ui/webdriver.rs"]
mod webdriver;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

fn screenshots() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("ui-screenshots")
}

/// A gateway in front of the mock with some month to show: alpha spent and
/// holds one open video, beta is shadow with a grant, the org has a budget.
async fn rig() -> (heygen_mock::MockHeygen, TestGateway) {
    let mock = start_mock().await;
    let cfg = TestConfig::for_mock(&mock)
        .tenant_budgets("alpha", "daily = 10, monthly = 40")
        .tenant_budgets("beta", "monthly = 20")
        .tenant("beta", |t| t.lines.push("shadow = true".into()))
        .org_budgets(&[("monthly", "1000")]);
    let gw = TestGateway::start(cfg).await;
    let body =
        json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]}).to_string();
    let mut videos = Vec::new();
    for _ in 0..3 {
        let r = call_as(&gw, "alpha", "POST", "/v2/video/generate", &body).await;
        assert_eq!(r.status, 200, "{}", r.text());
        videos.push(
            r.json()["data"]["video_id"]
                .as_str()
                .expect("video id")
                .to_string(),
        );
    }
    // Two finish (settled from their status), one stays open.
    for v in &videos[..2] {
        assert!(mock.control().complete(v, 45.0));
        let r = call_as(
            &gw,
            "alpha",
            "GET",
            &format!("/v1/video_status.get?video_id={v}"),
            "",
        )
        .await;
        assert_eq!(r.status, 200);
    }
    eventually_async(
        || async {
            admin(&gw, "GET", "/admin/v1/holds?tenant=alpha&state=captured").await["data"]
                .as_array()
                .map_or(0, Vec::len)
                == 2
        },
        WAIT,
    )
    .await;
    let grant = json!({"tenant": "beta", "credits": 5, "window": "monthly", "reason": "pilot", "actor": "ops"});
    let r = send(
        "POST",
        &gw.admin_url("/admin/v1/adjustments"),
        &[("authorization", &format!("Bearer {ADMIN_TOKEN}"))],
        grant.to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    (mock, gw)
}

async fn admin(gw: &TestGateway, method: &str, path: &str) -> serde_json::Value {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    send(
        method,
        &gw.admin_url(path),
        &[("authorization", auth.as_str())],
        "",
    )
    .await
    .json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_page_in_a_real_browser() {
    let (_mock, gw) = rig().await;
    let shots = screenshots();
    let driver = webdriver::Driver::start().await;
    let b = driver.session().await;

    // Signed out: every page leads to the sign-in form.
    b.goto(&gw.admin_url("/ui/")).await;
    b.wait_url("/ui/login").await;
    b.type_into("#token", "not-the-token").await;
    b.click("form.signin button").await;
    assert_eq!(b.text("#signin-error").await, "Wrong admin token.");
    b.screenshot(&shots.join("0-sign-in.png")).await;
    b.type_into("#token", ADMIN_TOKEN).await;
    b.click("form.signin button").await;
    // The click returns before the redirect after sign-in is followed.
    b.wait_url("/ui/").await;

    // The session cookie: HttpOnly and SameSite=Strict.
    let cookies = b.cookies().await;
    let c = cookies
        .iter()
        .find(|c| c["name"] == "hgw_ui")
        .unwrap_or_else(|| panic!("no session cookie: {cookies:?}"));
    assert_eq!(
        (c["httpOnly"].as_bool(), c["sameSite"].as_str()),
        (Some(true), Some("Strict"))
    );
    let session_cookie = format!("hgw_ui={}", c["value"].as_str().expect("cookie value"));

    // Overview: every scope with a bar per budget window and a burn-down.
    for scope in ["org", "alpha", "beta", "gamma"] {
        assert_eq!(b.count(&format!("#scope-{scope}")).await, 1, "{scope}");
    }
    assert_eq!(
        b.count("#scope-alpha svg.bar").await,
        2,
        "daily and monthly"
    );
    assert_eq!(
        b.count("#scope-gamma svg.bar").await,
        0,
        "gamma has no budget"
    );
    assert_eq!(b.count("svg.burndown").await, 4);
    assert!(b.text("#scope-beta h3").await.contains("shadow"));
    // beta's monthly window shows the grant: 20 configured + 5.
    assert!(
        b.text("#windows-beta").await.contains("25 (+5 granted)"),
        "{}",
        b.text("#windows-beta").await
    );
    let alpha_projection = b.text("#scope-alpha .exhaustion").await;
    assert!(
        alpha_projection.starts_with("projected to run out on")
            || alpha_projection.starts_with("budget lasts past"),
        "{alpha_projection}"
    );
    assert!(b
        .text("#scope-gamma .exhaustion")
        .await
        .contains("no monthly budget"));
    assert!(b.text("#summary").await.contains("1 open hold"));
    b.screenshot(&shots.join("1-overview.png")).await;

    // Open holds: alpha's unfinished video, oldest first.
    b.click("nav a[href='/ui/holds']").await;
    b.wait_url("/ui/holds").await;
    assert!(b.text("#oldest").await.starts_with("1 open;"));
    assert!(b.text("#holds").await.contains("alpha"));
    b.screenshot(&shots.join("2-holds.png")).await;

    // Live sessions: none running.
    b.goto(&gw.admin_url("/ui/sessions")).await;
    assert_eq!(b.text("#sessions tbody").await, "none");

    // Journal, filtered by the form's selects.
    b.goto(&gw.admin_url("/ui/journal?tenant=alpha&kind=capture"))
        .await;
    assert_eq!(b.count("#journal tbody tr").await, 2);
    assert!(b
        .text("#journal-count")
        .await
        .starts_with("2 matching entries"));
    b.goto(&gw.admin_url("/ui/journal?tenant=beta&kind=adjust"))
        .await;
    assert!(b.text("#journal").await.contains("pilot [window=monthly]"));
    b.screenshot(&shots.join("3-journal.png")).await;

    // The spend report, and its CSV download with the session cookie.
    b.click("nav a[href='/ui/reports']").await;
    b.wait_url("/ui/reports").await;
    let report = b.text("#report").await;
    assert!(
        report.contains("alpha") && report.contains("total"),
        "{report}"
    );
    let href = b.attribute("#csv", "href").await;
    assert!(href.starts_with("/ui/reports.csv?period="), "{href}");
    b.screenshot(&shots.join("4-report.png")).await;
    let csv = send(
        "GET",
        &gw.admin_url(&href),
        &[("cookie", session_cookie.as_str())],
        "",
    )
    .await;
    assert_eq!(csv.status, 200);
    assert!(csv
        .header("content-disposition")
        .is_some_and(|d| d.starts_with("attachment; filename=\"spend-")));
    assert!(
        csv.text()
            .starts_with("tenant,feature,requests,held,captured"),
        "{}",
        csv.text()
    );

    // The configuration shows no secret.
    b.goto(&gw.admin_url("/ui/config")).await;
    let page = b.source().await;
    for secret in [ADMIN_TOKEN, ORG_KEY, WEBHOOK_SECRET, &tenant_token("alpha")] {
        assert!(!page.contains(secret), "secret on the config page");
    }
    assert!(page.contains("redacted") && page.contains("HEYGEN_API_KEY"));
    b.screenshot(&shots.join("5-config.png")).await;

    // Nothing the CSP blocked on any page.
    let console = b.console().await;
    assert!(
        !console
            .iter()
            .any(|m| m.contains("Content Security Policy")),
        "{console:?}"
    );

    // Signing out ends the session.
    b.click("form.logout button").await;
    b.wait_url("/ui/login").await;
    b.goto(&gw.admin_url("/ui/holds")).await;
    b.wait_url("/ui/login").await;
    let r = send(
        "GET",
        &gw.admin_url("/ui/"),
        &[("cookie", session_cookie.as_str())],
        "",
    )
    .await;
    assert_eq!(r.status, 303, "the old cookie is dead");
    b.quit().await;
    gw.shutdown().await;
}
