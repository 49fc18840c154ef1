//! Integration tests of the proxy core (issue 2, "Tests that must exist"):
//! pass-through with org-key injection, tenant authentication, path
//! normalisation, upstream faults, header hygiene, log and host safety, the
//! admin listener and graceful shutdown.
//!
//! They use free routes and reads only (status reads, avatars, voices, quota,
//! `POST /v1/asset`, `POST /v3/assets`) so pricing and the ledger do not
//! change what they assert.

mod common;

#[path = "proxy/auth.rs"]
mod auth;
#[path = "proxy/faults.rs"]
mod faults;
#[path = "proxy/framing.rs"]
mod framing;
#[path = "proxy/http1.rs"]
mod http1;
#[path = "proxy/http1_drain.rs"]
mod http1_drain;
#[path = "proxy/hygiene.rs"]
mod hygiene;
#[path = "proxy/lane.rs"]
mod lane;
#[path = "proxy/ops.rs"]
mod ops;
#[path = "proxy/passthrough.rs"]
mod passthrough;
#[path = "proxy/paths.rs"]
mod paths;
#[path = "proxy/scripted.rs"]
mod scripted;

use common::*;
use heygen_mock::MockHeygen;
use serde_json::json;

/// A mock HeyGen and a gateway in front of it.
pub struct Rig {
    pub mock: MockHeygen,
    pub gw: TestGateway,
}

/// Makes a tenant org-wide (`isolation = "org"`).
pub fn org_wide(t: &mut TenantSpec) {
    t.lines.push("isolation = \"org\"".into());
}

impl Rig {
    /// Default config pointing both upstream hosts at one mock.
    pub async fn start() -> Rig {
        Self::start_with(|c| c).await
    }

    /// Like [`Rig::start`] with the config adjusted by `f`.
    pub async fn start_with(f: impl FnOnce(TestConfig) -> TestConfig) -> Rig {
        let mock = start_mock().await;
        // These suites check pass-through fidelity on resources the mock
        // made itself (nobody's), so alpha is an org-wide tenant here;
        // tests/isolation.rs covers what ordinary tenants may see.
        let cfg = TestConfig::for_mock(&mock).tenant("alpha", org_wide);
        let gw = TestGateway::start(f(cfg)).await;
        Rig { mock, gw }
    }

    /// A tenant request with `X-Api-Key: <alpha's token>` plus `extra` headers.
    pub async fn get(&self, path: &str, extra: &[(&str, &str)]) -> TestResponse {
        let token = tenant_token("alpha");
        let mut headers = vec![("x-api-key", token.as_str())];
        headers.extend_from_slice(extra);
        send("GET", &self.gw.url(path), &headers, "").await
    }

    /// The same request sent straight to the mock with the org key.
    pub async fn direct(&self, method: &str, path: &str) -> TestResponse {
        send(
            method,
            &format!("{}{path}", self.mock.url()),
            &[("x-api-key", ORG_KEY)],
            "",
        )
        .await
    }

    /// Creates a video job on the mock directly (not through the gateway, so
    /// no billable route is exercised) and returns its id.
    pub async fn mock_video(&self) -> String {
        let r = send(
            "POST",
            &format!("{}/v2/video/generate", self.mock.url()),
            &[("x-api-key", ORG_KEY), ("content-type", "application/json")],
            json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]}).to_string(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let id = r.json()["data"]["video_id"]
            .as_str()
            .expect("video_id")
            .to_string();
        self.mock.clear();
        id
    }
}

/// The status line of a raw HTTP/1.1 answer, e.g. `HTTP/1.1 400 Bad Request`.
pub fn status_line(raw: &str) -> &str {
    raw.lines().next().unwrap_or("")
}

/// The JSON body of a raw HTTP/1.1 answer with a `Content-Length` body.
pub fn raw_json(raw: &str) -> serde_json::Value {
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}):\n{raw}"))
}
