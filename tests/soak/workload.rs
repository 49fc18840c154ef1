//! The soak's mixed workload: each worker cycles through every kind of
//! request a tenant sends, on a pooled keep-alive client, and tallies each
//! outcome. A 5xx is a failure unless the step injected it (a mock fault
//! on a path only that step uses); so is any status a step does not expect.

#[path = "workload_steps.rs"]
mod steps;

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
use serde_json::Value;

use crate::common::tenant_token;

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
