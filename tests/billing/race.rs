//! Budget race through HTTP: many concurrent billable requests against a
//! daily budget that fits exactly K of them.

use futures_util::future::join_all;

use crate::common::*;
use crate::{assert_refused, assert_v2_envelope, half_credit, Rig, NO_RATE_LIMIT};

const REQUESTS: usize = 240;
/// Requests of 0.5 credit the daily budget fits.
const K: usize = 37;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_take_exactly_the_budget() {
    // 37 × 0.5 = 18.5 credits a day; the monthly window is roomy.
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 18.5, monthly = 1000")
            .tenant_limits("alpha", NO_RATE_LIMIT)
    })
    .await;
    let body = half_credit().to_string();
    let token = tenant_token("alpha");
    let url = rig.gw.url("/v2/video/generate");
    let sends = (0..REQUESTS).map(|_| {
        let (body, token, url) = (body.clone(), token.clone(), url.clone());
        tokio::spawn(async move {
            send(
                "POST",
                &url,
                &[
                    ("x-api-key", token.as_str()),
                    ("content-type", "application/json"),
                ],
                body,
            )
            .await
        })
    });
    let responses: Vec<TestResponse> = join_all(sends)
        .await
        .into_iter()
        .map(|r| r.expect("request task"))
        .collect();

    let ok: Vec<&TestResponse> = responses.iter().filter(|r| r.status == 200).collect();
    let refused: Vec<&TestResponse> = responses.iter().filter(|r| r.status == 402).collect();
    assert_eq!(ok.len(), K, "exactly K requests are held and forwarded");
    assert_eq!(
        refused.len(),
        REQUESTS - K,
        "every other request is a 402; statuses: {:?}",
        responses
            .iter()
            .map(|r| r.status.as_u16())
            .collect::<Vec<_>>()
    );
    for r in &refused {
        assert_refused(r, 402, "insufficient_credit", "insufficient_credit");
        let body = r.json();
        assert_v2_envelope(&body);
        let e = &body["error"];
        assert_eq!(e["scope"], "alpha", "{body}");
        assert_eq!(e["window"], "daily", "{body}");
        assert_eq!(e["required"], "0.5", "{body}");
        assert_eq!(e["remaining"], "0", "{body}");
        let resets_at = e["resets_at"].as_str().expect("resets_at");
        let resets_at = chrono::DateTime::parse_from_rfc3339(resets_at).expect("RFC 3339");
        assert!(resets_at > chrono::Utc::now(), "resets in the future");
        let retry: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("Retry-After seconds");
        assert!(retry > 0, "Retry-After > 0");
        assert!(r.header("x-gateway-hold-id").is_none(), "no hold on a 402");
    }

    assert_eq!(
        rig.creates("/v2/video/generate"),
        K,
        "HeyGen received exactly K creates"
    );
    let daily = rig.window("alpha", "daily").await;
    assert_eq!(daily["held"], "18.5", "{daily}");
    assert_eq!(daily["spent"], "0", "{daily}");
    assert_eq!(daily["remaining"], "0", "no overspend: {daily}");
    let monthly = rig.window("alpha", "monthly").await;
    assert_eq!(monthly["held"], "18.5", "{monthly}");
    let holds = rig.holds(None).await;
    assert_eq!(holds.len(), K, "one hold per forwarded request");
    assert!(holds.iter().all(|h| h["state"] == "submitted"), "{holds:?}");
}
