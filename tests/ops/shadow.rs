//! Shadow mode: a shadow budget is evaluated and its would-be refusals are
//! counted, but the request is forwarded.

use super::*;

#[tokio::test]
async fn shadow_tenant_over_budget_is_forwarded_and_counted() {
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 0.2")
            .tenant("alpha", |t| t.lines.push("shadow = true".into()))
            .tenant_budgets("beta", "daily = 0.2")
    })
    .await;
    let r = rig.video("alpha").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        rig.mock.control().requests_to("/v2/video/generate").len(),
        1
    );
    // The same budget without shadow mode refuses.
    let refused = rig.video("beta").await;
    assert_eq!(refused.status, 402, "{}", refused.text());

    // Shadow scopes are marked so exhaustion alerts can leave them out.
    rig.wait_metric("heygen_gateway_budget_shadow{scope=\"beta\"} 0")
        .await;
    let text = rig.metrics().await;
    assert_metric(&text, "heygen_gateway_budget_shadow{scope=\"alpha\"} 1");
    assert_metric(
        &text,
        "heygen_gateway_shadow_rejections_total{reason=\"insufficient_credit\",scope=\"alpha\"} 1",
    );
    assert_metric(
        &text,
        "heygen_gateway_rejections_total{reason=\"insufficient_credit\"} 1",
    );
    assert_eq!(
        metric_value(
            &text,
            "heygen_gateway_shadow_rejections_total{reason=\"insufficient_credit\",scope=\"beta\"}"
        ),
        None
    );
    // The forwarded request is held like any other: usage goes past the limit.
    let daily = window(&rig.usage("alpha").await, "daily").clone();
    assert_eq!(
        (&daily["held"], &daily["remaining"]),
        (&json!("0.5"), &json!("-0.3"))
    );
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn shadow_org_budget_is_forwarded_and_counted() {
    let rig = Rig::start(|c| {
        c.org_budgets(&[("daily", "0.7")])
            .set("org", "shadow", "true")
    })
    .await;
    rig.video_ok("alpha").await; // 0.5 of 0.7
    rig.video_ok("beta").await; // 1.0 of 0.7: over, forwarded anyway
    rig.video_ok("gamma").await; // 1.5 of 0.7
    let text = rig.metrics().await;
    assert_metric(
        &text,
        "heygen_gateway_shadow_rejections_total{reason=\"insufficient_credit\",scope=\"org\"} 2",
    );
    assert_eq!(
        metric_value(
            &text,
            "heygen_gateway_rejections_total{reason=\"insufficient_credit\"}"
        ),
        None
    );
    rig.gw.shutdown().await;
}
