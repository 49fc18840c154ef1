//! HeyGen (or a CDN in front of it) may compress answers for a client that
//! accepts gzip, as Go's net/http, Python requests and Node fetch all say
//! they do. The gateway decompresses nothing, so every answer it reads
//! (creations, status reads, list pages, session starts) is asked for
//! uncompressed; an answer it only relays keeps the client's choice.

use serde_json::json;

use super::sessions::minute_holds;
use crate::{half_credit, hold_id, video_id, Rig};

const GZIP: [(&str, &str); 1] = [("accept-encoding", "gzip, deflate, br")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_the_gateway_reads_are_asked_for_uncompressed() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 100")).await;
    rig.mock.set_gzip(true);
    let call = |method: &'static str, path: String, body: String| {
        let rig = &rig;
        async move { rig.call("alpha", method, &path, &GZIP, body).await }
    };

    // A billable creation: the job id is read, the hold submitted with it
    // and the video recorded as alpha's.
    let created = call(
        "POST",
        "/v2/video/generate".into(),
        half_credit().to_string(),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text());
    let video = video_id(&created);
    let hold = rig.hold(&hold_id(&created)).await;
    assert_eq!(hold["state"], "submitted", "{hold}");
    let sent = rig.mock.requests_to("/v2/video/generate");
    assert_eq!(sent[0].header("accept-encoding"), Some("identity"));

    // Alpha's own status read (isolation denies what nobody recorded).
    let status = call(
        "GET",
        format!("/v1/video_status.get?video_id={video}"),
        String::new(),
    )
    .await;
    assert_eq!(status.status, 200, "{}", status.text());
    assert_eq!(
        status.json()["data"]["id"],
        video.as_str(),
        "{}",
        status.text()
    );

    // A filtered list.
    for path in ["/v1/video.list", "/v3/videos"] {
        let list = call("GET", path.into(), String::new()).await;
        assert_eq!(list.status, 200, "{path}: {}", list.text());
        assert!(list.text().contains(&video), "{path}: {}", list.text());
    }

    // A session start: the session is read, registered and metered.
    let start = call(
        "POST",
        "/v1/streaming.new".into(),
        json!({"avatar_id": "a"}).to_string(),
    )
    .await;
    assert_eq!(start.status, 200, "{}", start.text());
    let session = start.json()["data"]["session_id"]
        .as_str()
        .expect("session_id")
        .to_string();
    let minutes = minute_holds(&rig).await;
    assert_eq!(minutes.len(), 1, "{minutes:?}");
    assert_eq!(minutes[0]["state"], "held", "{minutes:?}");
    let keep = json!({ "session_id": session }).to_string();
    let kept = call("POST", "/v1/streaming.keep_alive".into(), keep).await;
    assert_eq!(kept.status, 200, "alpha's own session: {}", kept.text());

    // A free read relayed untouched keeps the client's choice.
    let languages = call(
        "GET",
        "/v2/video_translate/target_languages".into(),
        String::new(),
    )
    .await;
    assert_eq!(languages.status, 200);
    assert_eq!(languages.header("content-encoding"), Some("gzip"));
    let sent = rig.mock.requests_to("/v2/video_translate/target_languages");
    assert_eq!(sent[0].header("accept-encoding"), Some("gzip, deflate, br"));
}
