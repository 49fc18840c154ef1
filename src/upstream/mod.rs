//! The upstream client: pooled keep-alive connections to the two HeyGen
//! hosts, TLS by rustls, HTTP/2 when the server offers it over ALPN. It can
//! only build URLs for the configured hosts, so the org key it carries
//! cannot be sent anywhere else. A leaf below the proxy: it knows hosts and
//! transport errors, nothing about tenants or money.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::HeaderName;
use http::{HeaderMap, Method, Request, Response, Uri};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::config::{BaseUrl, Secret, UpstreamConfig};
use crate::http::{collect_limited, empty, Body, BodyError, BoxError};

/// HeyGen's API key header; the org key travels in it.
pub const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");

mod liveavatar;
mod tcp;

pub use liveavatar::LaAuth;
use tcp::TcpConnector;

type HttpsClient = Client<hyper_rustls::HttpsConnector<TcpConnector>, Body>;

/// Which HeyGen host a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    Api,
    Upload,
}

impl Host {
    /// The host a normalised path belongs to: only the legacy raw upload
    /// goes to the upload host.
    pub fn for_request(method: &Method, path: &str) -> Host {
        if method == Method::POST && path == "/v1/asset" {
            Host::Upload
        } else {
            Host::Api
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No connection was made: HeyGen never saw the request.
    #[error("upstream unreachable: {0}")]
    Unreachable(String),
    /// Connected, then failed: HeyGen may have acted on the request.
    #[error("upstream failed after connecting: {0}")]
    Failed(String),
    #[error("upstream timed out")]
    Timeout,
    #[error("request body exceeded the limit")]
    BodyTooLarge,
    /// The tenant stalled while its body was streamed to HeyGen.
    #[error("the client's request body stalled")]
    ClientBodyTimeout,
}

/// A client bound to the configured HeyGen hosts and the org key. It can only
/// build URLs for those hosts, so the key cannot be sent anywhere else.
///
/// It keeps one connection pool per I/O thread (see `server::workers`): a
/// pooled connection is driven by the runtime that opened it, so sharing one
/// pool across per-core runtimes would bounce every response between
/// threads. Pool 0 serves the shared runtime (poller, admin, webhooks).
#[derive(Clone)]
pub struct Upstream {
    pools: Arc<[HttpsClient]>,
    api: BaseUrl,
    upload: BaseUrl,
    /// The org key as the `X-Api-Key` value, validated and marked sensitive
    /// once (kept out of HTTP/2 compression tables and debug dumps).
    org_key_header: http::HeaderValue,
    /// LiveAvatar's host and key (`None`: not configured).
    liveavatar: Option<liveavatar::LiveAvatarHost>,
    request_timeout: Duration,
    upload_timeout: Duration,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("api", &self.api)
            .field("upload", &self.upload)
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// Which pool this thread's requests use; set once by an I/O thread.
    static POOL: Cell<usize> = const { Cell::new(0) };
}

/// Pins the calling thread to upstream pool `index` (an I/O thread calls
/// this before it serves; other threads keep pool 0).
pub fn pin_pool(index: usize) {
    POOL.with(|p| p.set(index));
}

impl Upstream {
    /// A client with one pool for the shared runtime plus one per I/O thread.
    pub fn new(
        cfg: &UpstreamConfig,
        org_key: Secret,
        io_threads: usize,
    ) -> Result<Upstream, BoxError> {
        let pools = (0..=io_threads)
            .map(|_| pool(cfg))
            .collect::<Result<Vec<_>, _>>()?;
        let mut org_key_header = http::HeaderValue::from_str(org_key.expose())
            .map_err(|_| "the org key contains characters not allowed in an HTTP header")?;
        org_key_header.set_sensitive(true);
        Ok(Upstream {
            pools: pools.into(),
            api: cfg.api.clone(),
            upload: cfg.upload.clone(),
            org_key_header,
            liveavatar: None,
            request_timeout: cfg.request_timeout,
            upload_timeout: cfg.upload_timeout,
        })
    }

    fn client(&self) -> &HttpsClient {
        let i = POOL.with(Cell::get);
        &self.pools[i.min(self.pools.len() - 1)]
    }
}

/// One keep-alive pool over TLS (rustls) or plain HTTP for tests.
fn pool(cfg: &UpstreamConfig) -> Result<HttpsClient, BoxError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(cfg.connect_timeout));
    http.set_nodelay(true);
    http.set_keepalive(Some(Duration::from_secs(60)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(TcpConnector(http));
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(cfg.pool_idle_timeout)
        .pool_max_idle_per_host(256)
        .build(https))
}

impl Upstream {
    /// The org key as a ready `X-Api-Key` header value.
    pub fn org_key_header(&self) -> &http::HeaderValue {
        &self.org_key_header
    }

    /// Reads a response body the gateway must inspect, bounded in size and in
    /// time: `request_timeout` bounds only the head, and a HeyGen that stalls
    /// mid-body must not hold a request (and its hold) open forever.
    pub async fn read_body(&self, body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
        tokio::time::timeout(self.request_timeout, collect_limited(body, limit))
            .await
            .unwrap_or_else(|_| Err(BodyError::Read("timed out".into())))
    }

    fn uri(&self, host: Host, path_and_query: &str) -> Result<Uri, UpstreamError> {
        let base = match host {
            Host::Api => &self.api,
            Host::Upload => &self.upload,
        };
        Uri::builder()
            .scheme(base.scheme.clone())
            .authority(base.authority.clone())
            .path_and_query(path_and_query)
            .build()
            .map_err(|e| UpstreamError::Unreachable(format!("bad upstream uri: {e}")))
    }

    /// Sends one request and waits (bounded) for the response head. The
    /// headers must already be prepared (see `headers::prepare_upstream`).
    pub async fn send(
        &self,
        host: Host,
        method: Method,
        path_and_query: &str,
        headers: HeaderMap,
        body: Body,
    ) -> Result<Response<Incoming>, UpstreamError> {
        let mut req = Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = self.uri(host, path_and_query)?;
        *req.headers_mut() = headers;
        let limit = match host {
            Host::Api => self.request_timeout,
            Host::Upload => self.upload_timeout,
        };
        match tokio::time::timeout(limit, self.client().request(req)).await {
            Err(_) => Err(UpstreamError::Timeout),
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) if e.is_connect() => Err(UpstreamError::Unreachable(e.to_string())),
            Ok(Err(e)) => Err(classify(&e)),
        }
    }

    /// A GET with the org key for the gateway's own calls (status re-reads, quota).
    pub async fn get_json(&self, path_and_query: &str) -> Result<(u16, Bytes), UpstreamError> {
        self.call_json(Method::GET, path_and_query, None).await
    }

    /// A call with the org key for the gateway's own use (a JSON body if
    /// given): status re-reads, quota, stopping a session over budget.
    pub async fn call_json(
        &self,
        method: Method,
        path_and_query: &str,
        json: Option<Bytes>,
    ) -> Result<(u16, Bytes), UpstreamError> {
        let mut headers = HeaderMap::new();
        headers.insert(X_API_KEY, self.org_key_header.clone());
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        let body = match json {
            Some(b) => {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                crate::http::full(b)
            }
            None => empty(),
        };
        let resp = self
            .send(Host::Api, method, path_and_query, headers, body)
            .await?;
        let status = resp.status().as_u16();
        let body = self
            .read_body(resp.into_body(), 4 << 20)
            .await
            .map_err(|e| UpstreamError::Failed(e.to_string()))?;
        Ok((status, body))
    }
}

/// Finds why the client failed by walking the error's sources.
fn classify(err: &(dyn std::error::Error + 'static)) -> UpstreamError {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.is::<http_body_util::LengthLimitError>() {
            return UpstreamError::BodyTooLarge;
        }
        if e.is::<crate::http::BodyReadTimeout>() {
            return UpstreamError::ClientBodyTimeout;
        }
        cur = e.source();
    }
    UpstreamError::Failed(err.to_string())
}
