//! A mock LiveAvatar (`api.liveavatar.com`) on its own listener: a
//! separate product with its own org key in `X-API-KEY`, so tests can check
//! which key arrives at which host. `POST /v1/sessions/token` (org key)
//! answers `{"code": 1000, "data": {"session_id", "session_token"},
//! "message"}`; `/start`, `/keep-alive` and `/stop` take the session's
//! `Authorization: Bearer <session_token>` or the org key with
//! `session_id` in the body. Every request and every stop is recorded.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let la = heygen_mock::liveavatar::MockLiveAvatar::start("la_org_key").await?;
//! println!("LiveAvatar at {}", la.url());
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use tokio::sync::watch;

/// One request LiveAvatar received.
#[derive(Debug, Clone)]
pub struct LaRequest {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A stop LiveAvatar accepted: whose credential sent it (`"key"` for the
/// org key, `"bearer"` for the session token) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaStop {
    pub session_id: String,
    pub reason: String,
    pub by: String,
}

#[derive(Debug, Clone)]
struct Session {
    id: String,
    token: String,
    mode: String,
    sandbox: bool,
    started: bool,
    stopped: bool,
}

#[derive(Default)]
struct State {
    requests: Vec<LaRequest>,
    sessions: Vec<Session>,
    stops: Vec<LaStop>,
    /// Answer `/stop` with this status without stopping anything.
    refuse_stops: Option<StatusCode>,
}

/// A running mock LiveAvatar; stops serving when dropped.
pub struct MockLiveAvatar {
    addr: SocketAddr,
    key: String,
    state: Arc<Mutex<State>>,
    shutdown: watch::Sender<bool>,
}

impl MockLiveAvatar {
    /// Listens on an OS-chosen loopback port, accepting `org_key`.
    pub async fn start(org_key: impl Into<String>) -> std::io::Result<MockLiveAvatar> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let key = org_key.into();
        let state = Arc::new(Mutex::new(State::default()));
        let (shutdown, mut stop) = watch::channel(false);
        let (k, st) = (key.clone(), state.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    r = listener.accept() => r,
                    _ = stop.wait_for(|s| *s) => break,
                };
                let Ok((stream, _)) = accepted else { continue };
                let (k, st) = (k.clone(), st.clone());
                let svc = hyper::service::service_fn(move |req| {
                    let (k, st) = (k.clone(), st.clone());
                    async move { Ok::<_, std::convert::Infallible>(handle(&k, &st, req).await) }
                });
                tokio::spawn(async move {
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        });
        Ok(MockLiveAvatar {
            addr,
            key,
            state,
            shutdown,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The org key it accepts.
    pub fn org_key(&self) -> &str {
        &self.key
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<LaRequest> {
        self.lock().requests.clone()
    }

    /// Every stop accepted, oldest first.
    pub fn stops(&self) -> Vec<LaStop> {
        self.lock().stops.clone()
    }

    /// The `mode` (and whether sandbox) a session was minted with.
    pub fn session_mode(&self, session_id: &str) -> Option<(String, bool)> {
        let st = self.lock();
        let s = st.sessions.iter().find(|s| s.id == session_id)?;
        Some((s.mode.clone(), s.sandbox))
    }

    /// Whether a session was started and not stopped.
    pub fn is_running(&self, session_id: &str) -> bool {
        let st = self.lock();
        st.sessions
            .iter()
            .any(|s| s.id == session_id && s.started && !s.stopped)
    }

    /// Answers every `/v1/sessions/stop` with `status` (a 429, a 400)
    /// without stopping the session, until called with `None`.
    pub fn refuse_stops(&self, status: Option<StatusCode>) {
        self.lock().refuse_stops = status;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for MockLiveAvatar {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn answer(status: StatusCode, code: i64, data: Value, message: &str) -> Response<Full<Bytes>> {
    let body = json!({ "code": code, "data": data, "message": message }).to_string();
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

fn unauthorized() -> Response<Full<Bytes>> {
    answer(StatusCode::UNAUTHORIZED, 401, Value::Null, "Unauthorized")
}

async fn handle(key: &str, state: &Mutex<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let lock = || state.lock().unwrap_or_else(PoisonError::into_inner);
    lock().requests.push(LaRequest {
        method: parts.method.clone(),
        path: parts.uri.path().to_string(),
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let keys: Vec<&[u8]> = parts
        .headers
        .get_all("x-api-key")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let by_key = keys == [key.as_bytes()];
    if !keys.is_empty() && !by_key {
        return unauthorized();
    }
    let bearer = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    if parts.method != Method::POST {
        return answer(
            StatusCode::METHOD_NOT_ALLOWED,
            405,
            Value::Null,
            "Method Not Allowed",
        );
    }
    let path = parts.uri.path();
    if path == "/v1/sessions/token" {
        if !by_key {
            return unauthorized();
        }
        let id = uuid::Uuid::new_v4().to_string();
        let token = format!("la_session_token_{}", uuid::Uuid::new_v4().simple());
        lock().sessions.push(Session {
            id: id.clone(),
            token: token.clone(),
            mode: json["mode"].as_str().unwrap_or("FULL").to_string(),
            sandbox: json["is_sandbox"].as_bool().unwrap_or(false),
            started: false,
            stopped: false,
        });
        let data = json!({ "session_id": id, "session_token": token });
        return answer(StatusCode::OK, 1000, data, "success");
    }
    if ![
        "/v1/sessions/start",
        "/v1/sessions/keep-alive",
        "/v1/sessions/stop",
    ]
    .contains(&path)
    {
        return answer(StatusCode::NOT_FOUND, 404, Value::Null, "Not Found");
    }
    // The session: by its token, or by id with the org key.
    let mut st = lock();
    if let Some(status) = st.refuse_stops.filter(|_| path == "/v1/sessions/stop") {
        let code = i64::from(status.as_u16());
        return answer(status, code, Value::Null, "Stop refused");
    }
    let found = st.sessions.iter_mut().find(|s| match (&bearer, by_key) {
        (_, true) => json["session_id"].as_str() == Some(s.id.as_str()),
        (Some(b), false) => *b == s.token,
        (None, false) => false,
    });
    let Some(s) = found else {
        return if by_key || bearer.is_some() {
            answer(StatusCode::NOT_FOUND, 404, Value::Null, "Session not found")
        } else {
            unauthorized()
        };
    };
    if s.stopped {
        return answer(
            StatusCode::BAD_REQUEST,
            400,
            Value::Null,
            "Session already stopped",
        );
    }
    match path {
        "/v1/sessions/start" => {
            s.started = true;
            let data = json!({
                "session_id": s.id,
                "livekit_url": "wss://mock.liveavatar.invalid",
                "livekit_client_token": format!("lk_{}", s.id),
                "max_session_duration": if s.sandbox { 60 } else { 1200 },
            });
            answer(StatusCode::OK, 1000, data, "success")
        }
        "/v1/sessions/stop" => {
            s.stopped = true;
            let stop = LaStop {
                session_id: s.id.clone(),
                reason: json["reason"].as_str().unwrap_or("UNKNOWN").to_string(),
                by: if by_key { "key" } else { "bearer" }.to_string(),
            };
            st.stops.push(stop);
            answer(StatusCode::OK, 1000, Value::Null, "success")
        }
        _ => answer(StatusCode::OK, 1000, Value::Null, "success"),
    }
}
