//! v3 batches of every kind: one item per video or lipsync, one per
//! language of a translation payload (at most 100), and a status that
//! lists items by `item_index`, a page at a time (`limit`, `token`).

use super::*;

/// The `data` of `GET path`, asserting a 200.
async fn data(mock: &MockHeygen, path: &str) -> Value {
    let r = get(mock, path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.json()["data"].clone()
}

fn indexes(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["item_index"].as_u64().expect("item_index"))
        .collect()
}

#[tokio::test]
async fn a_translation_batch_expands_per_language_and_pages_by_index() {
    let mock = start_mock().await;
    let payload =
        |langs: Value| json!({"video": {"type": "url", "url": "u"}, "output_languages": langs});
    let body =
        json!({"video_translations": [payload(json!(["es", "fr", "de"])), payload(json!(["ja"]))]});
    let r = post_json(&mock, "/v3/video-translations/batches", body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.json()["data"]["batch_id"]
        .as_str()
        .expect("id")
        .to_string();
    let path = format!("/v3/video-translations/batches/{id}");
    // All items on one page by default; `limit` pages them.
    let all = data(&mock, &path).await;
    assert_eq!(
        (all["total_items"].as_u64(), all["has_more"].as_bool()),
        (Some(4), Some(false))
    );
    assert_eq!(indexes(&all), [0, 1, 2, 3]);
    let first = data(&mock, &format!("{path}?limit=3")).await;
    assert_eq!(
        (indexes(&first), first["has_more"].as_bool()),
        (vec![0, 1, 2], Some(true))
    );
    let token = first["next_token"].as_str().expect("next token");
    let rest = data(&mock, &format!("{path}?limit=3&token={token}")).await;
    assert_eq!(
        (indexes(&rest), rest["next_token"].is_null()),
        (vec![3], true)
    );
    // Each item is a translation of its own, its language in order.
    let ja = rest["items"][0]["video_id"].as_str().expect("video id");
    let item = data(&mock, &format!("/v3/video-translations/{ja}")).await;
    assert_eq!(item["output_language"], "ja");
    // Forced small pages whatever the read asks; bad paging is a 400.
    mock.set_batch_page_limit(Some(1));
    assert_eq!(
        indexes(&data(&mock, &format!("{path}?limit=100")).await),
        [0]
    );
    for q in ["limit=0", "limit=101", "token=zz"] {
        assert_eq!(get(&mock, &format!("{path}?{q}")).await.status, 400, "{q}");
    }
    // More than 100 expanded items are refused, as HeyGen does.
    let langs: Vec<String> = (0..51).map(|i| format!("l{i}")).collect();
    let body = json!({"video_translations": [payload(json!(langs)), payload(json!(langs))]});
    let r = post_json(&mock, "/v3/video-translations/batches", body).await;
    assert_eq!(r.status, 400, "{}", r.text());
}

#[tokio::test]
async fn a_lipsync_batch_settles_item_by_item() {
    let mock = start_mock().await;
    let item = json!({"video": {"type": "url", "url": "u"}, "audio": {"type": "url", "url": "a"}});
    let r = post_json(
        &mock,
        "/v3/lipsyncs/batches",
        json!({"lipsyncs": [item.clone(), item]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.json()["data"]["batch_id"]
        .as_str()
        .expect("id")
        .to_string();
    let path = format!("/v3/lipsyncs/batches/{id}");
    let page = data(&mock, &path).await;
    assert_eq!(page["status"], "processing");
    let ids: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["video_id"].as_str().expect("id").to_string())
        .collect();
    mock.complete(&ids[0], 30.0);
    mock.fail(&ids[1], "bad audio");
    let page = data(&mock, &path).await;
    assert_eq!(page["status"], "completed");
    assert_eq!(
        page["counts_by_status"],
        json!({"completed": 1, "failed": 1})
    );
    let lip = data(&mock, &format!("/v3/lipsyncs/{}", ids[0])).await;
    assert_eq!(lip["duration"], 30.0);
    // A video batch's id is no lipsync batch.
    assert_eq!(
        get(&mock, &format!("/v3/videos/batches/{id}")).await.status,
        404
    );
}
