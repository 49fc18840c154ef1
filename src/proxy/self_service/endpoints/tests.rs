//! Routing and input checks of the tenant's webhook endpoints (pure: no
//! ledger, no I/O).

use super::*;

#[test]
fn routes_split_404_from_405() {
    assert!(matches!(
        route(&Method::POST, "webhooks/endpoints"),
        Some(Ok(Op::Add))
    ));
    assert!(matches!(
        route(&Method::DELETE, "webhooks/endpoints/whe_1"),
        Some(Ok(Op::Delete(id))) if id == "whe_1"
    ));
    assert!(matches!(
        route(&Method::PUT, "webhooks/deliveries"),
        Some(Err(GatewayError::MethodNotAllowed { .. }))
    ));
    assert!(matches!(
        route(&Method::POST, "webhooks/deliveries/42/redeliver"),
        Some(Ok(Op::Redeliver(id))) if id == "42"
    ));
    assert!(matches!(
        route(&Method::GET, "webhooks/deliveries/42/redeliver"),
        Some(Err(GatewayError::MethodNotAllowed { .. }))
    ));
    assert!(route(&Method::POST, "webhooks/deliveries/42").is_none());
    assert!(route(&Method::POST, "webhooks/deliveries//redeliver").is_none());
    assert!(route(&Method::POST, "webhooks/deliveries/4/2/redeliver").is_none());
    assert!(route(&Method::DELETE, "webhooks/endpoints/a/b").is_none());
    assert!(route(&Method::GET, "webhooks/other").is_none());
}

#[test]
fn events_default_to_all_and_are_validated() {
    assert_eq!(events(None).unwrap(), ["*"]);
    assert_eq!(
        events(Some(vec!["a.success".into(), "a.success".into()])).unwrap(),
        ["a.success"]
    );
    assert_eq!(
        events(Some(vec!["a.fail".into(), "*".into()])).unwrap(),
        ["*"]
    );
    assert!(events(Some(vec![])).is_err());
    assert!(events(Some(vec!["a,b".into()])).is_err());
    assert!(events(Some(vec!["".into()])).is_err());
}

#[test]
fn log_query_defaults_and_bounds() {
    assert_eq!(log_query("").unwrap(), (None, DEFAULT_LOG_LIMIT));
    assert_eq!(
        log_query("endpoint_id=whe_ab&limit=5").unwrap(),
        (Some("whe_ab".into()), 5)
    );
    assert!(log_query("limit=0").is_err());
    assert!(log_query("limit=501").is_err());
    assert!(log_query("limit=x").is_err());
    assert!(log_query("endpoint_id=%27").is_err());
}
