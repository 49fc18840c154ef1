//! The admin journal: JSON lines and CSV over a time range (CSV quoting
//! included), and credit adjustments journaled and shown in usage.

use chrono::Duration as ChronoDuration;

use super::*;

#[tokio::test]
async fn ledger_exports_json_lines_and_csv_over_a_time_range() {
    let rig = Rig::start_manual(|c| c).await;
    rig.video_ok("alpha").await; // at noon
    rig.clock().advance(ChronoDuration::hours(2));
    rig.video_ok("beta").await; // at 14:00

    let range = "from=2026-03-11T11:59:00Z&to=2026-03-11T13:00:00Z";
    let r = rig.admin("GET", &format!("ledger?{range}"), "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let rows: Vec<Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!rows.is_empty(), "no rows in range");
    for row in &rows {
        assert_eq!(row["tenant"], "alpha", "{row}");
        assert_eq!(row["at"], noon().to_rfc3339(), "{row}");
    }
    let kinds: Vec<&str> = rows.iter().filter_map(|r| r["kind"].as_str()).collect();
    assert!(kinds.contains(&"hold"), "{kinds:?}");
    let hold = rows.iter().find(|r| r["kind"] == "hold").expect("hold row");
    assert_eq!(hold["amount"], "0.5");
    assert_eq!(hold["feature"], "standard_avatar");

    // The same range as CSV: a header and the same rows.
    let r = rig
        .admin("GET", &format!("ledger?{range}&format=csv"), "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/csv"));
    let text = r.text();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(header[0], "seq");
    let tenant_col = header
        .iter()
        .position(|h| *h == "tenant")
        .expect("tenant column");
    let kind_col = header
        .iter()
        .position(|h| *h == "kind")
        .expect("kind column");
    let csv: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(csv.len(), rows.len(), "{text}");
    for (fields, row) in csv.iter().zip(&rows) {
        assert_eq!(fields.len(), header.len(), "{text}");
        assert_eq!(fields[tenant_col], "alpha");
        assert_eq!(Some(fields[kind_col]), row["kind"].as_str());
    }

    // Without a range: both tenants; `to` is exclusive.
    let all = rig.admin("GET", "ledger", "").await.text();
    assert!(all.contains("\"tenant\":\"beta\""), "{all}");
    let before = rig.admin("GET", "ledger?to=2026-03-11T12:00:00Z", "").await;
    assert_eq!(before.status, 200);
    assert_eq!(before.text(), "");

    for bad in [
        "ledger?from=yesterday",
        "ledger?to=2026-13-01",
        "ledger?format=xml",
    ] {
        let r = rig.admin("GET", bad, "").await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn adjustments_are_journaled_and_show_in_usage() {
    let (_guard, logs) = capture_logs();
    // Gauges refresh every second, so the grant shows in /metrics quickly.
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 10")
            .set("metrics", "gauge_interval_seconds", "1")
    })
    .await;
    // A grant to one window, with the actor in the body.
    let grant = json!({"tenant": "alpha", "credits": 5, "window": "daily",
                       "reason": "goodwill, for ticket 42", "actor": "ops@example.com"});
    let r = rig.admin("POST", "adjustments", &grant.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["data"],
        json!({"scope": "alpha", "window": "daily", "credits": "5", "actor": "ops@example.com",
               "replayed": false})
    );
    // A grant raises the period's limit; spend stays what was spent, so
    // limit, remaining and ratio agree (issue 15: ratio -2, SPENT -4 before).
    let daily = window(&rig.usage("alpha").await, "daily").clone();
    assert_eq!(
        [
            &daily["configured_limit"],
            &daily["granted"],
            &daily["limit"],
            &daily["spent"],
            &daily["remaining"]
        ],
        [
            &json!("10"),
            &json!("5"),
            &json!("15"),
            &json!("0"),
            &json!("15")
        ]
    );
    for line in [
        r#"heygen_gateway_budget_limit_credits{scope="alpha",window="daily"} 15"#,
        r#"heygen_gateway_budget_granted_credits{scope="alpha",window="daily"} 5"#,
        r#"heygen_gateway_budget_remaining_credits{scope="alpha",window="daily"} 15"#,
        r#"heygen_gateway_budget_used_ratio{scope="alpha",window="daily"} 0"#,
    ] {
        rig.wait_metric(line).await;
    }

    // A debit to every window, the credits as a string, the actor from a header.
    let debit = json!({"tenant": "alpha", "credits": "-2", "reason": "correction"});
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let r = send(
        "POST",
        &rig.gw.admin_url("/admin/v1/adjustments"),
        &[
            ("authorization", auth.as_str()),
            ("x-admin-actor", "oncall"),
        ],
        debit.to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let usage = rig.usage("alpha").await;
    assert_eq!(window(&usage, "daily")["granted"], "3");
    assert_eq!(window(&usage, "daily")["remaining"], "13");
    assert_eq!(window(&usage, "monthly")["granted"], "-2");
    assert_eq!(window(&usage, "monthly")["spent"], "0");
    let tenants = rig.admin("GET", "tenants", "").await.json();
    let alpha = admin_tenant(&tenants, "alpha");
    assert_eq!(
        window(alpha["windows"].as_array().expect("windows"), "daily")["granted"],
        "3"
    );

    // Journaled with actor and reason.
    let journal: Vec<Value> = rig
        .admin("GET", "ledger", "")
        .await
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .filter(|r: &Value| r["kind"] == "adjust")
        .collect();
    assert!(
        journal.iter().any(|r| r["actor"] == "ops@example.com"
            // A one-window adjustment names its window in the reason.
            && r["reason"] == "goodwill, for ticket 42 [window=daily]"
            && r["amount"] == "5"
            && r["tenant"] == "alpha"),
        "{journal:?}"
    );
    assert!(
        journal
            .iter()
            .any(|r| r["actor"] == "oncall" && r["reason"] == "correction" && r["amount"] == "-2"),
        "{journal:?}"
    );
    // The CSV quotes the reason's comma.
    let csv = rig.admin("GET", "ledger?format=csv", "").await.text();
    assert!(
        csv.contains(",ops@example.com,\"goodwill, for ticket 42 [window=daily]\""),
        "{csv}"
    );
    // And every write is an audit event.
    assert!(
        logs.contents()
            .lines()
            .any(|l| l.contains("Admin adjusted credits")
                && l.contains("audit=true")
                && l.contains("ops@example.com")),
        "{}",
        logs.contents()
    );

    // An org grant (no tenant).
    let r = rig
        .admin(
            "POST",
            "adjustments",
            &json!({"credits": 100, "reason": "top-up"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["scope"], "org");

    // Bad input is a 400 that names the problem; an unknown tenant is a 404.
    let bad = [
        json!({"tenant": "alpha", "credits": 0, "reason": "r"}).to_string(),
        json!({"tenant": "alpha", "credits": "abc", "reason": "r"}).to_string(),
        json!({"tenant": "alpha", "credits": true, "reason": "r"}).to_string(),
        json!({"tenant": "alpha", "credits": 1}).to_string(),
        json!({"tenant": "alpha", "credits": 1, "reason": "  "}).to_string(),
        json!({"tenant": "alpha", "credits": 1, "reason": "r", "window": "yearly"}).to_string(),
        json!({"tenant": "alpha", "credits": 1, "reason": "r", "extra": 1}).to_string(),
        "not json".to_string(),
    ];
    for body in bad {
        let r = rig.admin("POST", "adjustments", &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(r.json()["error"]["code"], "invalid_parameter", "{body}");
    }
    let r = rig
        .admin(
            "POST",
            "adjustments",
            &json!({"tenant": "nobody", "credits": 1, "reason": "r"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    // None of the refused ones changed anything.
    assert_eq!(window(&rig.usage("alpha").await, "daily")["granted"], "3");
    let r = rig.admin("GET", "adjustments", "").await;
    assert_eq!(r.status, 405, "{}", r.text());
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn ledger_csv_quotes_quotes_and_line_breaks() {
    let rig = Rig::start(|c| c).await;
    let reason = "said \"refund\", twice\nsecond line";
    let r = rig
        .admin(
            "POST",
            "adjustments",
            &json!({"tenant": "alpha", "credits": 1, "reason": reason, "actor": "a,b"}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let csv = rig.admin("GET", "ledger?format=csv", "").await.text();
    // RFC 4180: fields with commas, quotes or line breaks are quoted, inner
    // quotes doubled; the record stays one logical row.
    let want = ",\"a,b\",\"said \"\"refund\"\", twice\nsecond line\"\n";
    assert!(csv.ends_with(want), "{csv}");
    let header_fields = csv.lines().next().expect("header").split(',').count();
    let record = csv.split_once('\n').expect("a record").1;
    let fields = csv_fields(record);
    assert_eq!(fields.len(), header_fields, "{csv}");
    assert_eq!(fields.last().map(String::as_str), Some(reason), "{csv}");
    rig.gw.shutdown().await;
}

/// Splits one RFC 4180 record (quoted fields may hold `,`, `""` and line
/// breaks) into its fields.
fn csv_fields(record: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            ('\n', false) => break,
            (c, _) => fields.last_mut().expect("field").push(c),
        }
    }
    fields
}
