//! A v3 batch mixing features settles each item at its own (migration 14):
//! Avatar III beside Avatar IV, a speed lipsync beside a precision one; an
//! item whose length cannot be learned costs its own projection; a batch
//! whose status pages its items settles every item. On SQLite and
//! PostgreSQL alike: the items live in the ledger with the batch's job.

use heygen_gateway::money::{format_credits, Micros};
use serde_json::{json, Value};

use crate::{hold_id, v3_video, Rig};

const C: Micros = 1_000_000;

/// A rig on SQLite, or on a fresh database of the shared PostgreSQL.
async fn rig(postgres: bool) -> Rig {
    let url = if postgres {
        Some(crate::pg::database().await)
    } else {
        None
    };
    Rig::start(move |c| {
        let c = c.tenant_budgets("alpha", "daily = 1000");
        match url {
            Some(url) => c
                .set("store", "url", &format!("{url:?}"))
                .set("store", "pool_size", "2"),
            None => c,
        }
    })
    .await
}

/// Submits a batch to `path` as alpha: (hold, batch id, item job ids in
/// item order, as the mock made them).
async fn submit(rig: &Rig, path: &str, body: &Value) -> (String, String, Vec<String>) {
    let resp = rig.post(path, body).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let id = resp.json()["data"]["batch_id"]
        .as_str()
        .expect("batch id")
        .to_string();
    let items = rig
        .mock
        .jobs()
        .into_iter()
        .filter(|j| j.created_by == path)
        .map(|j| j.id)
        .collect();
    (hold_id(&resp), id, items)
}

/// Reads the batch's status through the gateway (settling it once it is
/// finished) and waits for its hold's capture: the captured credits.
async fn settle(rig: &Rig, path: &str, batch: &str, hold: &str) -> String {
    let read = rig.get(&format!("{path}/{batch}")).await;
    assert_eq!(
        read.json()["data"]["status"],
        "completed",
        "{}",
        read.text()
    );
    let h = rig.wait_hold(hold, "captured").await;
    h["captured"].as_str().expect("captured").to_string()
}

fn avatar(engine: &str) -> Value {
    v3_video(json!({"engine": {"type": engine}}))
}

async fn mixed_avatar_batch_settles_each_item_at_its_engine(postgres: bool) {
    let rig = rig(postgres).await;
    let path = "/v3/videos/batches";
    let body = json!({"videos": [avatar("avatar_iii"), avatar("avatar_iv")]});
    let (hold, batch, items) = submit(&rig, path, &body).await;
    // One minute each: Avatar III at 1/min, Avatar IV at 6/min (not 1 + 1
    // as the first item's feature, nor 6 + 6).
    assert!(rig.mock.complete(&items[0], 60.0));
    assert!(rig.mock.complete(&items[1], 60.0));
    assert_eq!(
        settle(&rig, path, &batch, &hold).await,
        format_credits(7 * C)
    );
}

async fn lipsync_modes_settle_each_at_its_own_rate(postgres: bool) {
    let rig = rig(postgres).await;
    let path = "/v3/lipsyncs/batches";
    let item = |mode: &str| {
        json!({"video": {"type": "url", "url": "https://example.com/v.mp4"},
               "audio": {"type": "url", "url": "https://example.com/a.mp3"},
               "mode": mode, "end_time": 60})
    };
    let body = json!({"lipsyncs": [item("speed"), item("precision")]});
    let (hold, batch, items) = submit(&rig, path, &body).await;
    // Two minutes each: speed at 3/min, precision at 6/min.
    assert!(rig.mock.complete(&items[0], 120.0));
    assert!(rig.mock.complete(&items[1], 120.0));
    assert_eq!(
        settle(&rig, path, &batch, &hold).await,
        format_credits(18 * C)
    );
}

async fn an_unknown_item_costs_its_own_projection(postgres: bool) {
    let rig = rig(postgres).await;
    let path = "/v3/videos/batches";
    let body = json!({"videos": [avatar("avatar_iii"), avatar("avatar_iv")]});
    let quote = rig.quote("POST", path, &body).await;
    let projected = quote["quote"]["jobs"][1]["credits_micros"]
        .as_i64()
        .expect("credits");
    let (hold, batch, items) = submit(&rig, path, &body).await;
    assert!(rig.mock.complete(&items[0], 60.0));
    assert!(rig.mock.complete(&items[1], 60.0));
    // The Avatar IV item's own status cannot be read: it costs its own
    // projection, not half of the hold.
    rig.mock
        .on_path(&format!("/v3/videos/{}", items[1]))
        .set_status_override(Some(http::StatusCode::INTERNAL_SERVER_ERROR));
    let captured = settle(&rig, path, &batch, &hold).await;
    assert_eq!(captured, format_credits(C + projected));
}

async fn a_paged_translation_batch_settles_every_item(postgres: bool) {
    let rig = rig(postgres).await;
    rig.mock.set_batch_page_limit(Some(2));
    let path = "/v3/video-translations/batches";
    let tr = |mode: &str, langs: Value| {
        json!({"video": {"type": "url", "url": "https://example.com/v.mp4"}, "mode": mode,
               "output_languages": langs, "start_time": 0, "end_time": 60})
    };
    let body = json!({"video_translations": [
        tr("speed", json!(["Spanish (Spain)", "French", "German"])),
        tr("precision", json!(["Japanese", "English"]))]});
    let (hold, batch, items) = submit(&rig, path, &body).await;
    assert_eq!(items.len(), 5);
    for id in &items {
        assert!(rig.mock.complete(id, 120.0));
    }
    // Pages of two: the read seen lists items 0 and 1; settlement reads the
    // rest. Three fast 2-minute items at 3/min, two quality ones at 6/min.
    assert_eq!(
        settle(&rig, path, &batch, &hold).await,
        format_credits(42 * C)
    );
    let pages = rig.mock.requests_to(&format!("{path}/{batch}"));
    let tokens = pages
        .iter()
        .filter(|r| r.query.as_deref().is_some_and(|q| q.contains("token=")))
        .count();
    // (The poller may have read them too.)
    assert!(
        tokens >= 2,
        "{:?}",
        pages.iter().map(|r| &r.query).collect::<Vec<_>>()
    );
    let m = crate::common::metrics_text(rig.gw.admin_addr).await;
    crate::common::assert_metric(
        &m,
        r#"heygen_gateway_settlement_source_total{source="status"} 1"#,
    );
}

/// Each case on both backends.
macro_rules! both {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(false).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(true).await;
                }
            )*
        }
    };
}

both!(
    mixed_avatar_batch_settles_each_item_at_its_engine,
    lipsync_modes_settle_each_at_its_own_rate,
    an_unknown_item_costs_its_own_projection,
    a_paged_translation_batch_settles_every_item,
);
