//! Spend reports (issue 15): `GET /admin/v1/reports/spend` and
//! `heygen-gateway report` sum the journal per tenant and feature over a
//! period; totals reconcile with the journal export.

use serde_json::{json, Value};

use crate::{half_credit, hold_id, manual_clock, one_and_a_half, video_id, Rig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_months_spend_per_tenant_and_feature_reconciles_with_the_journal() {
    let clock = manual_clock("2026-11-20T12:00:00Z");
    let rig = Rig::start_with_clock(
        |c| c.tenant_budgets("alpha", "monthly = 100"),
        clock.clone(),
    )
    .await;
    // Alpha: one video settled at 30 s (0.5 of 1.5 held), one refused upstream.
    let r = rig.post("/v2/video/generate", &one_and_a_half()).await;
    let (hold, video) = (hold_id(&r), video_id(&r));
    assert!(rig.mock.complete(&video, 30.0));
    rig.get(&format!("/v1/video_status.get?video_id={video}"))
        .await;
    rig.wait_hold(&hold, "captured").await;
    rig.mock.fail_next(1, http::StatusCode::BAD_REQUEST);
    assert_eq!(
        rig.post("/v2/video/generate", &half_credit()).await.status,
        400
    );
    // Beta: one video still rendering (held only). Ops grant alpha 5.
    let b = rig
        .call(
            "beta",
            "POST",
            "/v2/video/generate",
            &[],
            half_credit().to_string(),
        )
        .await;
    assert_eq!(b.status, 200, "{}", b.text());
    let grant = json!({"tenant": "alpha", "credits": 5, "window": "monthly", "actor": "ops", "reason": "pilot"});
    let g = rig
        .admin("POST", "/admin/v1/adjustments", &grant.to_string())
        .await;
    assert_eq!(g.status, 200, "{}", g.text());

    let r = rig
        .admin("GET", "/admin/v1/reports/spend?period=2026-11", "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let report = r.json()["data"].clone();
    let group = |tenant: &str| -> Value {
        report["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["tenant"] == tenant && g["feature"] == "standard_avatar")
            .cloned()
            .unwrap_or_else(|| panic!("no {tenant} group in {report}"))
    };
    let a = group("alpha");
    assert_eq!(
        (
            a["requests"].as_i64(),
            a["held"].as_str(),
            a["captured"].as_str(),
            a["released"].as_str()
        ),
        (Some(2), Some("2"), Some("0.5"), Some("1.5")),
        "{a}"
    );
    let b = group("beta");
    assert_eq!(
        (b["held"].as_str(), b["captured"].as_str()),
        (Some("0.5"), Some("0")),
        "{b}"
    );
    let grant_row = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["adjusted"] != "0")
        .cloned()
        .expect("the grant");
    assert_eq!(
        (grant_row["tenant"].as_str(), grant_row["adjusted"].as_str()),
        (Some("alpha"), Some("5"))
    );

    // Totals equal the journal's sums over the same period.
    let export = rig
        .admin(
            "GET",
            "/admin/v1/ledger?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z",
            "",
        )
        .await;
    let mut held = 0.0;
    let mut captured = 0.0;
    for line in export.text().lines() {
        let e: Value = serde_json::from_str(line).expect("jsonl");
        let amount: f64 = e["amount"].as_str().unwrap_or("0").parse().unwrap_or(0.0);
        match e["kind"].as_str() {
            Some("hold") => held += amount,
            Some("capture") => captured += amount,
            _ => {}
        }
    }
    let total = |k: &str| -> f64 { report["totals"][k].as_str().unwrap().parse().unwrap() };
    assert!(
        (total("held") - held).abs() < 1e-9 && (total("captured") - captured).abs() < 1e-9,
        "{report}"
    );

    // The export pages with a cursor: `X-Next-After` until the last page.
    let everything = export.text().lines().count();
    let (mut after, mut paged) = (String::new(), 0);
    loop {
        let page = rig
            .admin(
                "GET",
                &format!("/admin/v1/ledger?limit=2&after={after}"),
                "",
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.text());
        paged += page.text().lines().count();
        match page.header("x-next-after") {
            Some(next) => after = next.to_string(),
            None => break,
        }
    }
    assert_eq!(paged, everything);

    // Another month is empty; by tenant only; CSV; bad input is a 400.
    let dec = rig
        .admin("GET", "/admin/v1/reports/spend?period=2026-12", "")
        .await
        .json();
    assert_eq!(dec["data"]["groups"], json!([]));
    let by_tenant = rig
        .admin(
            "GET",
            "/admin/v1/reports/spend?period=2026-11&group_by=tenant",
            "",
        )
        .await
        .json();
    assert!(by_tenant["data"]["groups"][0].get("feature").is_none());
    let csv = rig
        .admin(
            "GET",
            "/admin/v1/reports/spend?period=2026-11&format=csv",
            "",
        )
        .await;
    assert_eq!(csv.header("content-type"), Some("text/csv"));
    assert!(
        csv.text()
            .starts_with("tenant,feature,requests,held,captured"),
        "{}",
        csv.text()
    );
    for bad in [
        "period=2026-13",
        "group_by=scope&period=2026-11",
        "from=2026-11-02T00:00:00Z",
    ] {
        let r = rig
            .admin("GET", &format!("/admin/v1/reports/spend?{bad}"), "")
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }

    // The CLI prints the same report from the ledger.
    let out = rig.cli("report", &["--period", "2026-11"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(cli["totals"], report["totals"]);
    let bad = rig.cli("report", &["--period", "someday"]);
    assert_eq!(bad.status.code(), Some(64));
}
