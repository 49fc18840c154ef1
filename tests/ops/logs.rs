//! The access log: one line per request with what ops need to answer "why
//! was this refused / what did it cost" without joining other sources, and
//! W3C trace context carried through to HeyGen.

use crate::common::*;
use crate::Rig;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Alpha renders an avatar over `seconds` of silence, with one more header.
async fn render(rig: &Rig, extra: (&str, &str), seconds: u32) -> TestResponse {
    let token = tenant_token("alpha");
    send(
        "POST",
        &rig.gw.url("/v2/video/generate"),
        &[
            ("x-api-key", token.as_str()),
            ("content-type", "application/json"),
            extra,
        ],
        serde_json::json!({"video_inputs": [{"character": {"type": "avatar", "avatar_id": "a"},
            "voice": {"type": "silence", "duration": seconds}}]})
        .to_string(),
    )
    .await
}

fn request_lines(logs: &LogBuffer) -> Vec<String> {
    logs.contents()
        .lines()
        .filter(|l| l.contains("Request handled."))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_request_line_names_reason_credits_hold_and_upstream() {
    let (_guard, logs) = capture_logs();
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 0.5")).await;
    let r = render(&rig, ("traceparent", TRACEPARENT), 10).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let hold = r.header("x-gateway-hold-id").expect("hold id").to_string();
    let seen = rig.mock.requests();
    let sent = seen.last().expect("forwarded");
    assert_eq!(
        sent.headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok()),
        Some(TRACEPARENT),
        "trace context reaches HeyGen"
    );
    // Over budget now: refused with a reason.
    let refused = rig.video("alpha").await;
    assert_eq!(refused.status, 402, "{}", refused.text());

    let lines = request_lines(&logs);
    let ok = lines
        .iter()
        .find(|l| l.contains(&hold))
        .unwrap_or_else(|| panic!("no line with the hold id: {lines:#?}"));
    for field in [
        "trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"",
        "credits_projected=0.5",
        "upstream_status=200",
        "reason=\"-\"",
    ] {
        assert!(ok.contains(field), "{field} in {ok}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("reason=\"insufficient_credit\"") && l.contains("status=402")),
        "{lines:#?}"
    );
    // Latency has decimals (sub-millisecond requests are not all 0).
    assert!(
        ok.contains("elapsed_ms=")
            && ok
                .split("elapsed_ms=")
                .nth(1)
                .is_some_and(|v| v.contains('.')),
        "{ok}"
    );
}

/// A render HeyGen does not answer in time: the client's 504 names the kept
/// hold, and the logs join the two by the request id and the hold id.
#[tokio::test]
async fn a_kept_hold_is_named_with_its_request() {
    let (_guard, logs) = capture_logs();
    let rig = Rig::start(|c| c.set("upstream", "request_timeout_ms", "300")).await;
    rig.mock
        .on_path("/v2/video/generate")
        .delay_answers(std::time::Duration::from_secs(1));
    let r = render(&rig, ("x-request-id", "req-kept-1"), 3).await;
    assert_eq!(r.status, 504, "{}", r.text());
    let text = logs.contents();
    let kept = text
        .lines()
        .find(|l| l.contains("hold kept for TTL settlement"))
        .unwrap_or_else(|| panic!("no kept-hold line: {text}"));
    assert!(kept.contains("req-kept-1"), "{kept}");
    let hold = kept
        .split("hold_id=")
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .expect("hold id");
    let line = request_lines(&logs)
        .into_iter()
        .find(|l| l.contains("req-kept-1"))
        .expect("an access line");
    assert!(line.contains("status=504") && line.contains(hold), "{line}");
    // The client is told the hold too: HeyGen may have made the job.
    let named = r.header("x-gateway-hold-id");
    assert_eq!(named, Some(hold.trim_matches('"')), "{:?}", r.headers);
}
