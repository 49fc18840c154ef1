//! HeyGen webhook deliveries (heygen-api.md §5): payload builders, the
//! HMAC-SHA256 signature, and a sender that POSTs a signed event.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{Request, StatusCode};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use sha2::Sha256;

/// Lowercase hex HMAC-SHA256 of the raw body, keyed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC accepts keys of any length; this arm is unreachable in practice.
        Err(_) => String::new(),
    }
}

/// The headers HeyGen signs a delivery with. Legacy: `Signature`. v3:
/// `Heygen-Signature`, `Heygen-Timestamp` (unix seconds), `Heygen-Event-Id`.
pub fn signed_headers(
    secret: &str,
    v3: bool,
    body: &[u8],
    timestamp: i64,
    event_id: &str,
) -> Vec<(&'static str, String)> {
    let signature = sign(secret, body);
    if v3 {
        vec![
            ("heygen-signature", signature),
            ("heygen-timestamp", timestamp.to_string()),
            ("heygen-event-id", event_id.to_string()),
        ]
    } else {
        vec![("signature", signature)]
    }
}

/// POSTs `body` to `url` signed with `secret` (v3 headers when `v3`, with the
/// current time and a fresh event id) and returns the receiver's status.
pub async fn send_webhook(
    url: &str,
    secret: &str,
    v3: bool,
    body: &[u8],
) -> Result<StatusCode, WebhookError> {
    let event_id = format!("evt_{}", crate::state::new_id());
    let headers = signed_headers(secret, v3, body, crate::state::unix_now(), &event_id);
    post(url, &headers, body).await
}

/// POSTs `body` with `headers` (for tests that tamper with a delivery).
pub async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<StatusCode, WebhookError> {
    let mut req = Request::post(url).header(http::header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        req = req.header(*name, value.as_str());
    }
    let req = req
        .body(Full::new(Bytes::copy_from_slice(body)))
        .map_err(|e| WebhookError(e.to_string()))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let resp = client
        .request(req)
        .await
        .map_err(|e| WebhookError(e.to_string()))?;
    Ok(resp.status())
}

/// A delivery could not be made (bad URL, connection refused…).
#[derive(Debug, thiserror::Error)]
#[error("webhook delivery failed: {0}")]
pub struct WebhookError(String);

/// `avatar_video.success`
pub fn avatar_video_success(video_id: &str, url: &str, callback_id: Option<&str>) -> Value {
    json!({"event_type": "avatar_video.success",
           "event_data": {"video_id": video_id, "url": url, "callback_id": callback_id}})
}

/// `personalized_video`: a contact's video of a project is ready (§5).
pub fn personalized_video(project_id: &str, video_id: &str, url: &str) -> Value {
    json!({"event_type": "personalized_video", "event_data": {
        "project_id": project_id, "video_id": video_id, "video_url": url,
        "landing_page_url": url, "gif_url": null, "gif_html": null, "contact_info": "c"}})
}

/// `avatar_video.fail`
pub fn avatar_video_fail(video_id: &str, msg: &str, callback_id: Option<&str>) -> Value {
    json!({"event_type": "avatar_video.fail",
           "event_data": {"video_id": video_id, "msg": msg, "callback_id": callback_id}})
}

/// `video_translate.success`
pub fn video_translate_success(
    video_translate_id: &str,
    url: &str,
    callback_id: Option<&str>,
    output_language: &str,
) -> Value {
    json!({"event_type": "video_translate.success",
           "event_data": {"video_translate_id": video_translate_id, "url": url,
                          "callback_id": callback_id, "output_language": output_language}})
}

/// `video_translate.fail`
pub fn video_translate_fail(
    video_translate_id: &str,
    message: &str,
    callback_id: Option<&str>,
    output_language: &str,
) -> Value {
    json!({"event_type": "video_translate.fail",
           "event_data": {"video_translate_id": video_translate_id, "message": message,
                          "callback_id": callback_id, "output_language": output_language}})
}

/// `batch.finished`: every item of a v3 batch is terminal (the event the
/// batch's `callback_url` gets; its `event_data` beyond `batch_id` is
/// undocumented).
pub fn batch_finished(batch_id: &str, status: &str) -> Value {
    json!({"event_type": "batch.finished",
           "event_data": {"batch_id": batch_id, "status": status}})
}

/// Adds the top-level `event_id` and `created_at` that v3 deliveries carry.
pub fn as_v3_event(mut event: Value, event_id: &str, created_at: i64) -> Value {
    if let Some(obj) = event.as_object_mut() {
        obj.insert("event_id".into(), Value::from(event_id));
        obj.insert("created_at".into(), Value::from(created_at));
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn v3_headers_carry_timestamp_and_event_id() {
        let h = signed_headers("whsec_x", true, b"{}", 1_700_000_000, "evt_1");
        assert_eq!(h[0].0, "heygen-signature");
        assert_eq!(h[0].1, sign("whsec_x", b"{}"));
        assert_eq!(h[1], ("heygen-timestamp", "1700000000".to_string()));
        assert_eq!(h[2], ("heygen-event-id", "evt_1".to_string()));
        let legacy = signed_headers("s", false, b"{}", 0, "e");
        assert_eq!(legacy, vec![("signature", sign("s", b"{}"))]);
    }
}
