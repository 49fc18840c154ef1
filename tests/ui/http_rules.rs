//! The usage page's cookie, CSRF and header rules over plain HTTP (no
//! browser): cross-site sign-in and sign-out refused, pages never cached
//! and locked down by their CSP.

use crate::common::*;

/// Sign-in and sign-out refuse cross-site forms; pages are never cached and
/// carry a CSP that allows only the page's own stylesheet.
#[tokio::test]
async fn sign_in_is_csrf_safe_and_pages_are_locked_down() {
    let mock = start_mock().await;
    let gw = TestGateway::start(TestConfig::for_mock(&mock)).await;
    let login = gw.admin_url("/ui/login");
    let form = |t: &str| format!("token={t}");
    let ct = ("content-type", "application/x-www-form-urlencoded");

    let r = send("GET", &gw.admin_url("/ui/"), &[], "").await;
    assert_eq!(
        (r.status.as_u16(), r.header("location")),
        (303, Some("/ui/login"))
    );
    let r = send("GET", &login, &[], "").await;
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").expect("CSP");
    assert!(
        csp.starts_with("default-src 'none'; style-src 'self'"),
        "{csp}"
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert!(!r.text().contains("<script") && !r.text().contains(" style="));

    // A form posted from another site is refused, even with the right token.
    for h in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = send("POST", &login, &[ct, h], form(ADMIN_TOKEN)).await;
        assert_eq!(r.status, 403, "{h:?}");
        assert!(r.header("set-cookie").is_none());
    }
    let r = send("POST", &login, &[ct], form("wrong")).await;
    assert_eq!(r.status, 401);
    let origin = format!("http://{}", gw.admin_addr);
    let r = send(
        "POST",
        &login,
        &[
            ct,
            ("origin", origin.as_str()),
            ("sec-fetch-site", "same-origin"),
        ],
        form(ADMIN_TOKEN),
    )
    .await;
    assert_eq!(r.status, 303);
    let set = r.header("set-cookie").expect("cookie").to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/ui"),
        "{set}"
    );
    let cookie = set.split(';').next().expect("pair").to_string();
    let cookie_h = ("cookie", cookie.as_str());

    let page = send("GET", &gw.admin_url("/ui/"), &[cookie_h], "").await;
    assert_eq!(page.status, 200);
    let css = send("GET", &gw.admin_url("/ui/style.css"), &[], "").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    // Bad filters are a 400 page, not a 500.
    let bad = send(
        "GET",
        &gw.admin_url("/ui/journal?from=yesterday"),
        &[cookie_h],
        "",
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("is a date like 2026-11-05"));
    let bad = send(
        "GET",
        &gw.admin_url("/ui/reports?period=2026-13"),
        &[cookie_h],
        "",
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        send("GET", &gw.admin_url("/ui/nope"), &[cookie_h], "")
            .await
            .status,
        404
    );
    assert_eq!(
        send("PUT", &gw.admin_url("/ui/"), &[cookie_h], "")
            .await
            .status,
        405
    );

    // Sign-out needs the page's CSRF token.
    let logout = gw.admin_url("/ui/logout");
    let r = send("POST", &logout, &[ct, cookie_h], "csrf=guess").await;
    assert_eq!(r.status, 403);
    let text = page.text();
    let csrf = text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field");
    let r = send("POST", &logout, &[ct, cookie_h], format!("csrf={csrf}")).await;
    assert_eq!(r.status, 303);
    assert!(r
        .header("set-cookie")
        .is_some_and(|c| c.contains("Max-Age=0")));
    let r = send("GET", &gw.admin_url("/ui/"), &[cookie_h], "").await;
    assert_eq!(r.status, 303);
    gw.shutdown().await;
}
