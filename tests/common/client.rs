//! A small HTTP client for tests: HTTP/1.1 and prior-knowledge HTTP/2 over
//! the hyper_util legacy client, streamed bodies, and raw TCP requests for
//! what a well-behaved client cannot send (absolute-form, CONNECT).

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, Request, StatusCode, Version};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Request body type of the helpers.
pub type TestBody = BoxBody<Bytes, std::io::Error>;

/// A fully read response.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    /// The body as JSON; panics with the body text if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A complete in-memory body.
pub fn full(body: impl Into<Bytes>) -> TestBody {
    Full::new(body.into())
        .map_err(|never| match never {})
        .boxed()
}

/// Bytes `offset..offset + n` of the pattern where byte i is `i % 251`, copied
/// from one period so debug builds generate hundreds of MB quickly.
fn pattern_piece(offset: u64, n: usize) -> Bytes {
    const PERIOD: [u8; 251] = {
        let mut p = [0u8; 251];
        let mut i = 0;
        while i < 251 {
            p[i] = i as u8;
            i += 1;
        }
        p
    };
    let mut out = Vec::with_capacity(n);
    let mut start = (offset % 251) as usize;
    while out.len() < n {
        let take = (251 - start).min(n - out.len());
        out.extend_from_slice(&PERIOD[start..start + take]);
        start = 0;
    }
    Bytes::from(out)
}

/// A body of `total` bytes sent as `chunk`-sized frames, generated lazily (it
/// is never in memory whole), and the SHA-256 hex it will hash to.
pub fn chunked_body(total: u64, chunk: usize) -> (TestBody, String) {
    let chunk = chunk.max(1) as u64;
    let piece = move |offset: u64| pattern_piece(offset, chunk.min(total - offset) as usize);
    let mut hasher = Sha256::new();
    let mut offset = 0;
    while offset < total {
        let p = piece(offset);
        hasher.update(&p);
        offset += p.len() as u64;
    }
    let stream = futures_util::stream::unfold(0u64, move |offset| async move {
        (offset < total).then(|| {
            let p = piece(offset);
            let next = offset + p.len() as u64;
            (Ok::<_, std::io::Error>(Frame::data(p)), next)
        })
    });
    let body = BodyExt::boxed(StreamBody::new(stream));
    (body, hex::encode(hasher.finalize()))
}

/// Sends a request; transport errors are returned (for fault tests).
pub async fn try_send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: TestBody,
    h2: bool,
) -> Result<TestResponse, String> {
    let mut req = Request::builder().method(method).uri(url);
    if h2 {
        req = req.version(Version::HTTP_2);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(body).map_err(|e| format!("bad request: {e}"))?;
    let client = Client::builder(TokioExecutor::new())
        .http2_only(h2)
        .pool_max_idle_per_host(0)
        .build_http::<TestBody>();
    let resp = client.request(req).await.map_err(|e| format!("{e:?}"))?;
    let (parts, body) = resp.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("reading body: {e}"))?
        .to_bytes();
    Ok(TestResponse {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body,
    })
}

/// HTTP/1.1 request with an in-memory body; panics on transport errors.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> TestResponse {
    try_send(method, url, headers, full(body), false)
        .await
        .unwrap_or_else(|e| panic!("{method} {url} failed: {e}"))
}

/// HTTP/1.1 request with any body (e.g. [`chunked_body`]).
pub async fn send_body(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: TestBody,
) -> TestResponse {
    try_send(method, url, headers, body, false)
        .await
        .unwrap_or_else(|e| panic!("{method} {url} failed: {e}"))
}

/// Prior-knowledge HTTP/2 (h2c) request.
pub async fn send_h2(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> TestResponse {
    try_send(method, url, headers, full(body), true)
        .await
        .unwrap_or_else(|e| panic!("h2 {method} {url} failed: {e}"))
}

/// Writes `request` verbatim (use `\r\n` and `Connection: close`) and returns
/// everything the server sent until it closed (at most 5 s).
pub async fn raw_http(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect for raw request");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write raw request");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}
