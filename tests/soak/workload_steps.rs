//! The workload's steps: what each kind of request sends and which answers
//! it expects. A child of `workload`, so it reaches the client, the tallies
//! and `Resp` as they are.

use http::StatusCode;
use serde_json::{json, Value};

use super::{Resp, Step, Workload, FAULT_PATH, SILENCE};
use crate::common::{tenant_token, WEBHOOK_SECRET};

impl Workload {
    pub(super) async fn step(&self, step: Step) -> Result<(), String> {
        let alpha = tenant_token("alpha");
        let auth = [("x-api-key", alpha.as_str())];
        match step {
            Step::Read => {
                let r = self.send("GET", "/v2/avatars", &auth, "").await?;
                self.expect(step, &r, StatusCode::OK)
            }
            Step::SubmitSettleByStatus | Step::SubmitSettleByWebhook => {
                let video = self.submit(step, &self.key()).await?;
                if step == Step::SubmitSettleByStatus {
                    let path = format!("/v1/video_status.get?video_id={video}");
                    let r = self.send("GET", &path, &auth, "").await?;
                    self.expect(step, &r, StatusCode::OK)
                } else {
                    self.webhook(step, &video).await
                }
            }
            Step::IdempotentRetry => {
                let key = self.key();
                let first = self.submit(step, &key).await?;
                let again = self.submit_raw(&key).await?;
                self.expect(step, &again, StatusCode::OK)?;
                if !again.replayed || video_id(&again.body).as_deref() != Some(first.as_str()) {
                    return Err(format!("retry with {key} was not a replay of {first}"));
                }
                // Settled like any other job, so no hold outlives the run.
                let path = format!("/v1/video_status.get?video_id={first}");
                let r = self.send("GET", &path, &auth, "").await?;
                self.expect(step, &r, StatusCode::OK)
            }
            Step::Upload => {
                let headers = [auth[0], ("content-type", "image/png")];
                let r = self
                    .send("POST", "/v1/asset", &headers, vec![7u8; 64 * 1024])
                    .await?;
                self.expect(step, &r, StatusCode::OK)
            }
            Step::Refusal => {
                // No key, an unauthorised key, a path that climbs out, and
                // a tenant without the credit: all refused with a 4xx.
                let beta = tenant_token("beta");
                let cases = [
                    ("GET", "/v2/avatars", vec![], "", StatusCode::UNAUTHORIZED),
                    (
                        "GET",
                        "/v2/avatars",
                        vec![("x-api-key", "hgw_nobody")],
                        "",
                        StatusCode::UNAUTHORIZED,
                    ),
                    (
                        "GET",
                        "/v2/../../etc",
                        auth.to_vec(),
                        "",
                        StatusCode::BAD_REQUEST,
                    ),
                    (
                        "POST",
                        "/v2/video/generate",
                        vec![
                            ("x-api-key", beta.as_str()),
                            ("content-type", "application/json"),
                        ],
                        SILENCE,
                        StatusCode::PAYMENT_REQUIRED,
                    ),
                ];
                for (method, path, headers, body, want) in cases {
                    let r = self.send(method, path, &headers, body).await?;
                    self.expect(step, &r, want)?;
                }
                Ok(())
            }
            Step::InjectedFault => {
                let faults = self.mock.control().on_path(FAULT_PATH);
                faults.fail_next(1, StatusCode::SERVICE_UNAVAILABLE);
                let r = self.send("GET", FAULT_PATH, &auth, "").await?;
                faults.clear();
                self.count(step, r.status);
                // HeyGen's 503 is passed on (or mapped to 502); either is
                // the injected fault, not the gateway's.
                if r.status.is_server_error() || r.status == StatusCode::OK {
                    Ok(())
                } else {
                    Err(format!(
                        "{}: {}",
                        r.status,
                        String::from_utf8_lossy(&r.body)
                    ))
                }
            }
        }
    }

    async fn submit_raw(&self, key: &str) -> Result<Resp, String> {
        let alpha = tenant_token("alpha");
        let headers = [
            ("x-api-key", alpha.as_str()),
            ("content-type", "application/json"),
            ("idempotency-key", key),
        ];
        self.send("POST", "/v2/video/generate", &headers, SILENCE)
            .await
    }

    /// A billable submission; returns HeyGen's video id.
    async fn submit(&self, step: Step, key: &str) -> Result<String, String> {
        let r = self.submit_raw(key).await?;
        self.expect(step, &r, StatusCode::OK)?;
        video_id(&r.body)
            .ok_or_else(|| format!("no video id in {}", String::from_utf8_lossy(&r.body)))
    }

    /// HeyGen's signed "video done" callback for `video`.
    async fn webhook(&self, step: Step, video: &str) -> Result<(), String> {
        let event = json!({
            "event_type": "avatar_video.success",
            "event_data": {"video_id": video, "url": "https://example.invalid/v.mp4", "duration": 10.0}
        });
        let body = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
        let sig = heygen_mock::sign(WEBHOOK_SECRET, &body);
        let headers = [
            ("signature", sig.as_str()),
            ("content-type", "application/json"),
        ];
        let r = self
            .send("POST", "/gateway/v1/webhooks/heygen", &headers, body)
            .await?;
        self.expect(step, &r, StatusCode::OK)
    }
}

fn video_id(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.pointer("/data/video_id")?.as_str().map(str::to_owned)
}
