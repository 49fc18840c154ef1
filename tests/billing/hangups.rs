//! A client that hangs up once HeyGen has its call: what HeyGen did is
//! still recorded. hyper drops a connection's request futures when the
//! client goes; the forward and its bookkeeping run in a task of their own.
//! The mock acts on each call at once and answers 500 ms later; the client
//! closes its socket in between. And a stop HeyGen has acted on but not yet
//! answered: its session is off HeyGen's list, yet the stop ends it.

use std::time::Duration;

use heygen_mock::media::wav;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::common::*;
use crate::sessions::{at, captured, metered_rig, start_session, wait_all_settled};
use crate::{Rig, SETTLE_WAIT};

/// Sends `POST path` with `body` as alpha on a raw connection, waits until
/// `arrived` says HeyGen has it, then closes the connection unanswered.
async fn post_and_hang_up(
    rig: &Rig,
    path: &str,
    content_type: &str,
    body: &[u8],
    arrived: impl FnMut() -> bool,
) {
    let mut s = tokio::net::TcpStream::connect(rig.gw.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n",
        tenant_token("alpha"),
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    eventually(arrived, Duration::from_secs(10)).await;
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_whose_client_hangs_up_ends_the_session_at_the_stop() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let session = start_session(&rig, json!({"quality": "medium", "avatar_id": "a"})).await;
    at(&clock, 10);
    let stop = "/v1/streaming.stop";
    rig.mock
        .on_path(stop)
        .delay_answers(Duration::from_millis(500));
    let body = json!({ "session_id": session }).to_string();
    post_and_hang_up(&rig, stop, "application/json", body.as_bytes(), || {
        !rig.mock.requests_to(stop).is_empty()
    })
    .await;
    // Ended by the stop, 10 s in: the 30 s minimum at 0.2 credits/min.
    // (HeyGen's list no longer naming it would end it too, but later and
    // not as the client's stop.)
    let holds = wait_all_settled(&rig).await;
    assert_eq!(captured(&holds), ["0.1"], "{holds:?}");
    let stopped = "heygen_gateway_sessions_stopped_total{reason=\"client\"}";
    let text = metrics_text(rig.gw.admin_addr).await;
    assert_eq!(metric_value(&text, stopped), Some(1.0), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_client_hangs_up_is_still_recorded() {
    let rig = Rig::start(|c| c).await;
    rig.mock
        .on_path("/v1/asset")
        .delay_answers(Duration::from_millis(500));
    post_and_hang_up(&rig, "/v1/asset", "audio/wav", &wav(7_300), || {
        !rig.mock.uploads().is_empty()
    })
    .await;
    let asset = rig.mock.uploads()[0].id.clone();
    let narrated = json!({"video_inputs": [{
        "character": {"type": "avatar", "avatar_id": "Daisy-inskirt-20220818"},
        "voice": {"type": "audio", "audio_asset_id": asset},
    }]});
    // Recorded once HeyGen's answer arrives, after the client left.
    eventually_async(
        || async {
            let q = rig.quote("POST", "/v2/video/generate", &narrated).await;
            q["quote"]["scenes"][0]["basis"] == "recorded"
        },
        SETTLE_WAIT,
    )
    .await;
}

/// HeyGen takes a session off its list before it answers the stop: the
/// meter, reading the list meanwhile, leaves the session to the stop in
/// flight, which ends it as the client's, at the stop's time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_off_the_list_while_its_stop_is_in_flight_is_ended_by_the_stop() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let session = start_session(&rig, json!({"quality": "medium", "avatar_id": "a"})).await;
    at(&clock, 10);
    let stop = "/v1/streaming.stop";
    rig.mock.on_path(stop).delay_answers(Duration::from_secs(6));
    let ended = r#"heygen_gateway_sessions_stopped_total{reason="ended"}"#;
    let while_in_flight = async {
        eventually(|| !rig.mock.requests_to(stop).is_empty(), SETTLE_WAIT).await;
        // Two whole passes that read the list without the session.
        await_meter_passes(&[rig.gw.admin_addr], 2).await;
        let text = metrics_text(rig.gw.admin_addr).await;
        (metric_value(&text, ended), rig.mock.requests_to(stop).len())
    };
    let body = json!({ "session_id": session }).to_string();
    let (r, seen) = tokio::join!(rig.call("alpha", "POST", stop, &[], body), while_in_flight);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(seen, (Some(0.0), 1), "not ended by the list mid-stop");
    let holds = wait_all_settled(&rig).await;
    assert_eq!(captured(&holds), ["0.1"], "{holds:?}");
    let text = metrics_text(rig.gw.admin_addr).await;
    let client = r#"heygen_gateway_sessions_stopped_total{reason="client"}"#;
    assert_eq!(metric_value(&text, client), Some(1.0), "{text}");
    assert_eq!(metric_value(&text, ended), Some(0.0), "{text}");
}

/// A client that hangs up before its answer still gets its access-log line
/// (status 499, outcome `abandoned`, its hold named) and its request count:
/// support can answer "I timed out; was I charged?". Current-thread, so
/// every gateway task logs into the capture.
#[tokio::test]
async fn a_render_whose_client_hangs_up_is_logged_and_counted() {
    let (_guard, logs) = capture_logs();
    let rig = Rig::start(|c| c).await;
    let path = "/v2/video/generate";
    rig.mock
        .on_path(path)
        .delay_answers(Duration::from_millis(500));
    let body = json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]});
    post_and_hang_up(
        &rig,
        path,
        "application/json",
        body.to_string().as_bytes(),
        || !rig.mock.requests_to(path).is_empty(),
    )
    .await;
    let abandoned = || {
        logs.contents()
            .lines()
            .find(|l| l.contains("Request handled.") && l.contains("status=499"))
            .map(str::to_string)
    };
    eventually(|| abandoned().is_some(), SETTLE_WAIT).await;
    let line = abandoned().unwrap_or_default();
    for field in [
        "outcome=\"abandoned\"",
        "tenant=\"alpha\"",
        "hold_id=\"hold_",
    ] {
        assert!(line.contains(field), "{field} in {line}");
    }
    let text = metrics_text(rig.gw.admin_addr).await;
    let series =
        r#"heygen_gateway_requests_total{family="video",outcome="abandoned",status_class="4xx"}"#;
    assert_eq!(metric_value(&text, series), Some(1.0), "{text}");
}
