//! Calibration (issue 11): every settled job keeps its projected and real
//! length; `heygen-gateway calibrate` prints the ratio per feature and
//! tenant with suggested projection settings, and
//! `heygen_gateway_projection_ratio` observes the same.

use serde_json::{json, Value};

use crate::common::*;
use crate::{hold_id, video_id, Rig};

/// A 30 s silent scene: projected at 30 s exactly.
fn thirty_seconds() -> Value {
    json!({"video_inputs": [{"voice": {"type": "silence", "duration": 30.0}}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibrate_reports_real_against_projected_lengths_per_feature_and_tenant() {
    let rig = Rig::start(|c| c).await;
    // alpha's videos run 30 s and 60 s; beta's 45 s: ratios 1, 2 and 1.5.
    for (tenant, secs) in [("alpha", 30.0), ("alpha", 60.0), ("beta", 45.0)] {
        let r = rig
            .call(
                tenant,
                "POST",
                "/v2/video/generate",
                &[],
                thirty_seconds().to_string(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let (hold, video) = (hold_id(&r), video_id(&r));
        assert!(rig.mock.complete(&video, secs));
        let read = format!("/v1/video_status.get?video_id={video}");
        assert_eq!(rig.call(tenant, "GET", &read, &[], "").await.status, 200);
        rig.wait_hold(&hold, "captured").await;
    }
    let out = rig.cli("calibrate", &["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let f = &report["features"][0];
    assert_eq!(
        (f["jobs"].as_u64(), f["p50"].as_f64(), f["max"].as_f64()),
        (Some(3), Some(1.5), Some(2.0)),
        "{report}"
    );
    let tenants: Vec<(&str, u64)> = f["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["tenant"].as_str().unwrap(), t["jobs"].as_u64().unwrap()))
        .collect();
    assert_eq!(tenants, [("alpha", 2), ("beta", 1)]);
    // Short projections: a larger safety factor is suggested (never < 1).
    assert!(f["suggested_safety_factor"].as_f64().unwrap() >= 2.0, "{f}");
    // The table, for people.
    let table = rig.cli("calibrate", &[]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("FEATURE") && text.contains("alpha"), "{text}");
    // The same ratios as a histogram.
    let metrics = metrics_text(rig.gw.admin_addr).await;
    let count = metrics
        .lines()
        .find(|l| l.starts_with("heygen_gateway_projection_ratio_count"))
        .unwrap_or_default()
        .to_string();
    assert!(count.ends_with(" 3"), "{count}");
}

/// `pricing.projection.learn`: once a tenant has ten settled jobs of a
/// feature that ran twice as long as projected, its later projections of
/// that feature are doubled (the 90th-percentile ratio); other tenants'
/// are not. The corrections are rebuilt from the ledger at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learned_corrections_raise_a_tenant_s_projections_after_enough_jobs() {
    let learn = |c: TestConfig| c.set("pricing.projection", "learn", "true");
    let rig = Rig::start(learn).await;
    let body = json!({"type": "avatar", "avatar_id": "a", "voice_id": "v",
        "script": "Our quarterly numbers are in, and every region grew faster than planned."});
    let credits = |r: &TestResponse| -> f64 {
        assert_eq!(r.status, 200, "{}", r.text());
        r.header("x-gateway-credits-projected")
            .and_then(|v| v.parse().ok())
            .expect("projection")
    };
    let mut plain = 0.0;
    for _ in 0..10 {
        let r = rig.post("/v3/videos", &body).await;
        plain = credits(&r);
        let (hold, data) = (hold_id(&r), r.json()["data"].clone());
        let video = data["video_id"]
            .as_str()
            .or(data["id"].as_str())
            .expect("id")
            .to_string();
        // Avatar IV on v3: 0.1 credit per second; the video runs twice as long.
        assert!(rig.mock.complete(&video, plain * 10.0 * 2.0));
        assert_eq!(rig.get(&format!("/v3/videos/{video}")).await.status, 200);
        rig.wait_hold(&hold, "captured").await;
    }
    // A restart on the same ledger rebuilds the corrections at once.
    let db = rig.gw.config_path.with_file_name("ledger.db");
    let Rig { mock, gw } = rig;
    let _files = gw.shutdown_keeping_files().await;
    let cfg = learn(TestConfig::for_mock(&mock)).set(
        "store",
        "url",
        &format!("{:?}", format!("sqlite://{}", db.display())),
    );
    let rig = Rig {
        gw: TestGateway::start(cfg).await,
        mock,
    };
    eventually_async(
        || async { credits(&rig.post("/v3/videos", &body).await) >= 2.0 * plain - 0.1 + 1e-9 },
        crate::SETTLE_WAIT,
    )
    .await;
    let beta = rig
        .call("beta", "POST", "/v3/videos", &[], body.to_string())
        .await;
    assert!(
        (credits(&beta) - plain).abs() < 1e-9,
        "beta has no correction"
    );
}
