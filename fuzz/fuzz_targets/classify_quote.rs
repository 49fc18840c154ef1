//! Input: one method byte, a path up to the first newline, then the body.
//! Classifies, quotes billable routes on both plans, and runs every reader
//! of upstream answers over the same bytes. Nothing may panic.
#![no_main]

use heygen_gateway::catalog::{classify, RouteKind, StatusRead};
use heygen_gateway::config::Tier;
use heygen_gateway::pricing::{
    jobs_from_response, parse_webhook, quote, status_outcome, PlanPolicy, PriceBook,
};
use http::Method;
use libfuzzer_sys::fuzz_target;

const METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::HEAD,
];

fuzz_target!(|data: &[u8]| {
    let Some((&m, rest)) = data.split_first() else {
        return;
    };
    let method = &METHODS[usize::from(m) % METHODS.len()];
    let split = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let path = String::from_utf8_lossy(&rest[..split]);
    let body = rest.get(split + 1..).unwrap_or_default();
    let route = classify(method, &path);
    let book = PriceBook::builtin();
    match route.kind {
        RouteKind::Billable(b) => {
            for tier in [Tier::PayAsYouGo, Tier::Enterprise] {
                let plan = PlanPolicy { tier, max_video_seconds: 1800 };
                if let Ok(q) = quote(&book, &plan, &b, body) {
                    assert!(q.credits >= 0);
                    let _ = jobs_from_response(&b, &q, body);
                }
            }
        }
        RouteKind::Status(s) => {
            let _ = status_outcome(&s, &path, Some("video_id=x"), body);
        }
        _ => {
            let _ = status_outcome(&StatusRead::V3VideoBatch, &path, None, body);
        }
    }
    let _ = parse_webhook(body);
});
