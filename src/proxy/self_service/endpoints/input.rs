//! Checking what a tenant sends to its webhook endpoints: the event names
//! it subscribes to and the delivery log's query. Its own file because both
//! are pure validation (no ledger, no I/O); `endpoints` does the requests.

use super::{DEFAULT_LOG_LIMIT, MAX_EVENTS, MAX_LOG_LIMIT};
use crate::error::GatewayError;

/// The subscribed event names; omitted or null means all (`*`).
pub(super) fn events(raw: Option<Vec<String>>) -> Result<Vec<String>, GatewayError> {
    let Some(raw) = raw else {
        return Ok(vec!["*".into()]);
    };
    if raw.is_empty() || raw.len() > MAX_EVENTS {
        return Err(GatewayError::bad_request(format!(
            "events: give 1 to {MAX_EVENTS} event names, or omit it for all events"
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for e in raw {
        let e = e.trim().to_owned();
        let valid = e == "*"
            || (!e.is_empty()
                && e.len() <= 100
                && e.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')));
        if !valid {
            return Err(GatewayError::bad_request(format!(
                "events: {e:?} is not an event name like \"avatar_video.success\" (or \"*\" for all)"
            )));
        }
        if !out.contains(&e) {
            out.push(e);
        }
    }
    if out.iter().any(|e| e == "*") {
        out = vec!["*".into()];
    }
    Ok(out)
}

/// `endpoint_id` and `limit` from the query string.
pub(super) fn log_query(query: &str) -> Result<(Option<String>, u32), GatewayError> {
    let mut endpoint_id = None;
    let mut limit = DEFAULT_LOG_LIMIT;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "endpoint_id" if !v.is_empty() => {
                // Ids are `whe_<hex>`: anything else matches nothing anyway,
                // and needs no percent-decoding.
                if !v
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                {
                    return Err(GatewayError::bad_request(format!(
                        "endpoint_id: {v:?} is not an endpoint id"
                    )));
                }
                endpoint_id = Some(v.to_owned());
            }
            "limit" => {
                limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_LOG_LIMIT).contains(n))
                    .ok_or_else(|| {
                        GatewayError::bad_request(format!(
                            "limit: {v:?} must be a whole number from 1 to {MAX_LOG_LIMIT}"
                        ))
                    })?;
            }
            _ => {}
        }
    }
    Ok((endpoint_id, limit))
}
