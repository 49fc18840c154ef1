//! Ids holding a control character (`%00` in a query, `"\u0000"` in a JSON
//! body) are refused with 400 in HeyGen's envelope before anything looks
//! them up. On PostgreSQL, which cannot store a NUL in text, they used to
//! reach the ledger and come back as 503 `ledger_unavailable`, counted in
//! `ledger_errors_total` and raising the ledger-error alert.

use serde_json::json;

use crate::common::*;
use crate::{assert_refused, half_credit, Rig};

/// The `ledger_errors_total` series that moved off 0.
pub(crate) fn ledger_failures(metrics: &str) -> Vec<String> {
    metrics
        .lines()
        .filter(|l| l.starts_with("heygen_gateway_ledger_errors_total{") && !l.ends_with(" 0"))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_ids_are_400_not_ledger_failures() {
    let url = crate::pg::PgServer::shared().create_database();
    let rig = Rig::start(|c| c.set("store", "url", &format!("{url:?}"))).await;
    let mut job = half_credit();
    job["video_inputs"][0]["character"]["avatar_id"] = json!("Daisy\u{0}");
    let cases = [
        ("GET", "/v1/video_status.get?video_id=%00", String::new()),
        ("GET", "/v1/video_status.get?video_id=v%01x", String::new()),
        ("GET", "/v3/videos/statuses?video_ids=ok,%00", String::new()),
        (
            "POST",
            "/v1/streaming.keep_alive",
            json!({"session_id": "s\u{0}"}).to_string(),
        ),
        (
            "POST",
            "/v1/personalized_video/add_contact",
            json!({"project_id": "\u{0}", "variables_list": [{}]}).to_string(),
        ),
        ("POST", "/v2/video/generate", job.to_string()),
    ];
    let upstream = rig.mock.count();
    for (method, path, body) in cases {
        let r = rig.call("alpha", method, path, &[], body).await;
        assert_refused(&r, 400, "invalid_parameter", "invalid_request");
        assert!(
            r.text().contains("control character"),
            "{method} {path}: {}",
            r.text()
        );
    }
    assert_eq!(rig.mock.count(), upstream, "nothing reached HeyGen");
    let metrics = metrics_text(rig.gw.admin_addr).await;
    assert_eq!(ledger_failures(&metrics), Vec::<String>::new());
    // The ledger works on: an ordinary request is held and forwarded.
    let ok = rig.post("/v2/video/generate", &half_credit()).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
}
