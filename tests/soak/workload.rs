//! The soak's mixed workload: each worker cycles through every kind of
//! request a tenant sends, on a pooled keep-alive client, and tallies each
//! outcome. A 5xx is a failure unless the step injected it (a mock fault
//! on a path only that step uses); so is any status a step does not expect.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use heygen_mock::MockHeygen;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use crate::common::{tenant_token, WEBHOOK_SECRET};

/// 3 s of silence: a small billable video (0.5 credits held).
const SILENCE: &str = r#"{"video_inputs":[{"voice":{"type":"silence","duration":3.0}}]}"#;
/// Only the fault step reads this path, so only it sees injected 5xx.
const FAULT_PATH: &str = "/v2/voices";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Read,
    SubmitSettleByStatus,
    SubmitSettleByWebhook,
    IdempotentRetry,
    Upload,
    Refusal,
    InjectedFault,
}

const STEPS: [Step; 7] = [
    Step::Read,
    Step::SubmitSettleByStatus,
    Step::Read,
    Step::SubmitSettleByWebhook,
    Step::IdempotentRetry,
    Step::Upload,
    Step::Refusal,
];

pub struct Workload {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    mock: Arc<MockHeygen>,
    seq: AtomicU64,
    /// (step, status) → count.
    pub tally: Mutex<BTreeMap<(Step, u16), u64>>,
    pub failures: Mutex<Vec<String>>,
}

struct Resp {
    status: StatusCode,
    replayed: bool,
    body: Bytes,
}

impl Workload {
    pub fn new(base: String, mock: Arc<MockHeygen>) -> Workload {
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build_http();
        Workload {
            client,
            base,
            mock,
            seq: AtomicU64::new(0),
            tally: Mutex::new(BTreeMap::new()),
            failures: Mutex::new(Vec::new()),
        }
    }

    /// Runs steps until `deadline`; worker `n` starts at a different step.
    pub async fn worker(self: Arc<Self>, n: usize, deadline: tokio::time::Instant) {
        let mut i = n;
        while tokio::time::Instant::now() < deadline {
            // Every 10th step of worker 0 injects a fault (rare on purpose).
            let step = if n == 0 && i % 10 == 9 {
                Step::InjectedFault
            } else {
                STEPS[i % STEPS.len()]
            };
            if let Err(e) = self.step(step).await {
                self.fail(format!("{step:?}: {e}"));
            }
            i += 1;
        }
    }

    fn fail(&self, what: String) {
        let mut f = self.failures.lock().unwrap();
        if f.len() < 50 {
            f.push(what);
        }
    }

    fn count(&self, step: Step, status: StatusCode) {
        *self
            .tally
            .lock()
            .unwrap()
            .entry((step, status.as_u16()))
            .or_default() += 1;
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Resp, String> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Full::new(body.into()))
            .map_err(|e| e.to_string())?;
        let call = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| format!("{method} {path}: {e:?}"))?;
            let status = resp.status();
            let replayed = resp.headers().contains_key("x-gateway-idempotent-replay");
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok(Resp {
                status,
                replayed,
                body,
            })
        };
        tokio::time::timeout(Duration::from_secs(30), call)
            .await
            .map_err(|_| format!("{method} {path}: no answer within 30 s"))?
    }

    /// `Ok` if `r` has `want`; a 5xx or anything else is an error.
    fn expect(&self, step: Step, r: &Resp, want: StatusCode) -> Result<(), String> {
        self.count(step, r.status);
        if r.status == want {
            Ok(())
        } else {
            Err(format!(
                "{} (wanted {want}): {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ))
        }
    }

    fn key(&self) -> String {
        format!("soak-{}", self.seq.fetch_add(1, Ordering::Relaxed))
    }

    async fn step(&self, step: Step) -> Result<(), String> {
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

    /// Alpha's (held, spent) in micro-credits, summed over the windows
    /// `GET /gateway/v1/usage` reports.
    pub async fn alpha_usage(&self) -> Result<(i64, i64), String> {
        let alpha = tenant_token("alpha");
        let auth = [("x-api-key", alpha.as_str())];
        let r = self.send("GET", "/gateway/v1/usage", &auth, "").await?;
        if r.status != StatusCode::OK {
            return Err(format!("usage: {}", r.status));
        }
        let v: Value = serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
        let (mut held, mut spent) = (0, 0);
        sum_credits(&v, &mut held, &mut spent);
        Ok((held, spent))
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

/// Adds up every `"held"` and `"spent"` (decimal credit strings) in `v`.
fn sum_credits(v: &Value, held: &mut i64, spent: &mut i64) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x.as_str()) {
                    ("held", Some(c)) => *held += micros(c),
                    ("spent", Some(c)) => *spent += micros(c),
                    _ => sum_credits(x, held, spent),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| sum_credits(x, held, spent)),
        _ => {}
    }
}

/// "12.5" → 12_500_000 micro-credits (exact: no floats).
fn micros(credits: &str) -> i64 {
    let (int, frac) = credits.split_once('.').unwrap_or((credits, ""));
    let frac = format!("{frac:0<6}");
    int.parse::<i64>().unwrap() * 1_000_000 + frac[..6].parse::<i64>().unwrap()
}
