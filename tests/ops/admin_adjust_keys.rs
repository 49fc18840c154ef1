//! Admin credit adjustments under an `Idempotency-Key`: a retry after a
//! lost answer grants nothing twice.

use super::*;

/// An adjustment sent with an `Idempotency-Key` is applied once: a retry
/// after a lost answer says `replayed` and grants nothing more; the key on
/// another adjustment is 422; a malformed key is 400.
#[tokio::test]
async fn a_retried_adjustment_with_a_key_grants_once() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let url = rig.gw.admin_url("/admin/v1/adjustments");
    let post = |key: &'static str, credits: i64| {
        let (url, auth) = (url.clone(), auth.clone());
        async move {
            let body = json!({"tenant": "alpha", "credits": credits, "window": "daily",
                              "reason": "ticket 7"});
            let headers = [("authorization", auth.as_str()), ("idempotency-key", key)];
            send("POST", &url, &headers, body.to_string()).await
        }
    };
    for replayed in [false, true, true] {
        let r = post("ticket-7-grant", 5).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["data"]["replayed"], replayed, "{}", r.text());
    }
    assert_eq!(window(&rig.usage("alpha").await, "daily")["granted"], "5");
    let r = post("ticket-7-grant", 6).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "idempotency_key_reused");
    let r = post("not a key!", 5).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(window(&rig.usage("alpha").await, "daily")["granted"], "5");
}
