//! v3 batches settle item by item (issue 10): the batch status names each
//! item's video once it exists; each completed item is priced at its own
//! real length, failed items cost nothing, and the items become the
//! tenant's own.

use serde_json::json;

use crate::common::*;
use crate::{hold_id, v3_video, Rig};

/// Submits a 3-item v3 video batch as alpha; returns `(hold, batch id)`.
async fn batch(rig: &Rig) -> (String, String) {
    let body = json!({"videos": [v3_video(json!({})), v3_video(json!({})), v3_video(json!({}))]});
    let resp = rig.post("/v3/videos/batches", &body).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let id = resp.json()["data"]["batch_id"]
        .as_str()
        .expect("batch id")
        .to_string();
    (hold_id(&resp), id)
}

/// The item video ids, read through the gateway as the tenant would.
async fn items(rig: &Rig, batch: &str) -> Vec<String> {
    let read = rig.get(&format!("/v3/videos/batches/{batch}")).await;
    assert_eq!(read.status, 200, "{}", read.text());
    read.json()["data"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["video_id"].as_str().expect("video id").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_item_batch_settles_each_item_at_its_own_length() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 1000")).await;
    let (hold, id) = batch(&rig).await;
    let videos = items(&rig, &id).await;
    assert_eq!(videos.len(), 3);
    // 10 minutes, 2 minutes, and a failure.
    assert!(rig.mock.complete(&videos[0], 600.0));
    assert!(rig.mock.complete(&videos[1], 120.0));
    assert!(rig.mock.fail(&videos[2], "render failed"));
    let done = rig.get(&format!("/v3/videos/batches/{id}")).await;
    assert_eq!(
        done.json()["data"]["status"],
        "completed",
        "{}",
        done.text()
    );
    let h = rig.wait_hold(&hold, "captured").await;
    let feature = h["feature"].as_str().expect("feature").to_string();
    // 12 minutes in all, per second at the feature's rate.
    let per_minute = match feature.as_str() {
        "standard_avatar" => 1,
        "avatar_iv" => 6,
        other => panic!("unexpected feature {other}"),
    };
    assert_eq!(h["captured"], (12 * per_minute).to_string(), "{h}");
    let m = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_source_total{source="status"} 1"#,
    );
    // The items are alpha's: it reads them, beta does not.
    let own = rig.get(&format!("/v3/videos/{}", videos[0])).await;
    assert_eq!(own.status, 200, "{}", own.text());
    let other = rig
        .call("beta", "GET", &format!("/v3/videos/{}", videos[0]), &[], "")
        .await;
    assert_eq!(other.status, 404, "{}", other.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_item_whose_length_cannot_be_read_costs_its_projection_and_is_flagged() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 1000")).await;
    let (hold, id) = batch(&rig).await;
    let videos = items(&rig, &id).await;
    for v in &videos {
        assert!(rig.mock.complete(v, 60.0));
    }
    // One item's own status fails: its length cannot be learned.
    rig.mock
        .on_path(&format!("/v3/videos/{}", videos[2]))
        .set_status_override(Some(http::StatusCode::INTERNAL_SERVER_ERROR));
    rig.get(&format!("/v3/videos/batches/{id}")).await;
    let h = rig.wait_hold(&hold, "captured").await;
    let held: f64 = h["amount"].as_str().expect("amount").parse().expect("num");
    let captured: f64 = h["captured"]
        .as_str()
        .expect("captured")
        .parse()
        .expect("num");
    assert!(captured > held / 3.0, "{h}");
    let m = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_source_total{source="estimate"} 1"#,
    );
}
