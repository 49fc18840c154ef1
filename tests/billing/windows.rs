//! Calendar windows follow the configured time zone and reset at local
//! midnight; the monthly window keeps counting across the reset.

use crate::{assert_refused, half_credit, manual_clock, Rig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_budget_resets_at_local_midnight() {
    // 15:00 in New York (UTC−5 in January); local midnight is 05:00 UTC.
    let clock = manual_clock("2026-01-15T20:00:00Z");
    let rig = Rig::start_with_clock(
        |c| {
            c.set("plan", "timezone", "\"America/New_York\"")
                .tenant_budgets("alpha", "daily = 1, monthly = 10")
        },
        clock.clone(),
    )
    .await;
    for _ in 0..2 {
        let ok = rig.post("/v2/video/generate", &half_credit()).await;
        assert_eq!(ok.status, 200, "{}", ok.text());
    }
    let refused = rig.post("/v2/video/generate", &half_credit()).await;
    assert_refused(&refused, 402, "insufficient_credit", "insufficient_credit");
    let e = refused.json()["error"].clone();
    assert_eq!(e["window"], "daily", "{e}");
    let resets_at =
        chrono::DateTime::parse_from_rfc3339(e["resets_at"].as_str().expect("resets_at"))
            .expect("RFC 3339");
    assert_eq!(
        resets_at,
        chrono::DateTime::parse_from_rfc3339("2026-01-16T05:00:00Z").unwrap(),
        "next midnight in America/New_York"
    );
    // Nine hours to wait, to the second (the clock does not move on its own).
    assert_eq!(refused.header("retry-after"), Some("32400"));
    let daily = rig.window("alpha", "daily").await;
    assert_eq!(daily["period"], "2026-01-15", "{daily}");

    // One second before midnight: still refused.
    clock.advance(chrono::Duration::seconds(32_399));
    let still = rig.post("/v2/video/generate", &half_credit()).await;
    assert_eq!(still.status, 402, "{}", still.text());
    assert_eq!(still.header("retry-after"), Some("1"));

    // Past midnight: a new daily window.
    clock.advance(chrono::Duration::seconds(2));
    let ok = rig.post("/v2/video/generate", &half_credit()).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let daily = rig.window("alpha", "daily").await;
    assert_eq!(daily["period"], "2026-01-16", "{daily}");
    assert_eq!(daily["held"], "0.5", "{daily}");
    assert_eq!(daily["remaining"], "0.5", "{daily}");
    // The monthly window still counts all three holds.
    let monthly = rig.window("alpha", "monthly").await;
    assert_eq!(monthly["held"], "1.5", "{monthly}");
    assert_eq!(monthly["remaining"], "8.5", "{monthly}");
    assert_eq!(rig.creates("/v2/video/generate"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monthly_budget_refuses_after_daily_resets() {
    let clock = manual_clock("2026-01-30T12:00:00Z");
    let rig = Rig::start_with_clock(
        |c| c.tenant_budgets("alpha", "daily = 1, monthly = 1"),
        clock.clone(),
    )
    .await;
    for _ in 0..2 {
        assert_eq!(
            rig.post("/v2/video/generate", &half_credit()).await.status,
            200
        );
    }
    clock.advance(chrono::Duration::days(1));
    // New day, same month: the monthly window is the one that refuses.
    let refused = rig.post("/v2/video/generate", &half_credit()).await;
    assert_refused(&refused, 402, "insufficient_credit", "insufficient_credit");
    let e = refused.json()["error"].clone();
    assert_eq!(e["window"], "monthly", "{e}");
    assert_eq!(e["resets_at"], "2026-02-01T00:00:00+00:00", "{e}");
    // New month: room again.
    clock.advance(chrono::Duration::days(1));
    let ok = rig.post("/v2/video/generate", &half_credit()).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
}
