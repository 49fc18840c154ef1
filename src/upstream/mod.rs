//! The upstream client: pooled keep-alive connections to the two HeyGen
//! hosts (`pool`), TLS by rustls, HTTP/2 when the server offers it over ALPN;
//! reads from a plain `http://` host exchanged in the request's own task
//! (`pool::plain`, bodies delimited by `framing`). It can
//! only build URLs for the configured hosts, so the org key it carries
//! cannot be sent anywhere else. A leaf below the proxy: it knows hosts and
//! transport errors, nothing about tenants or money.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::HeaderName;
use http::{HeaderMap, Method, Request, Response};

use crate::config::{EnvSource, Secret, UpstreamConfig, UpstreamProxy};
use crate::http::{collect_limited, Body, BodyError, BoxError};

/// HeyGen's API key header; the org key travels in it.
pub const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");

mod answer;
mod body;
mod error;
mod framing;
mod h2body;
mod json;
mod liveavatar;
mod pool;
mod request;
mod tunnel;

#[cfg(test)]
pub(crate) use answer::head_fields;
pub use answer::{read_answer, Answer};
pub use body::UpBody;
use error::send_error;
pub use error::UpstreamError;
pub use liveavatar::LaAuth;
use pool::{Limits, Pool, Target};
pub use request::UpTarget;
use request::{request, request_to};

/// Which HeyGen host a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    Api,
    Upload,
}

impl Host {
    /// The host a normalised path belongs to: only the legacy raw upload
    /// goes to the upload host. Its letter case is the catalog's (which
    /// matches literal segments in any case): `/v1/Asset` is the upload too.
    pub fn for_request(method: &Method, path: &str) -> Host {
        if method == Method::POST && path.eq_ignore_ascii_case("/v1/asset") {
            Host::Upload
        } else {
            Host::Api
        }
    }
}

/// Whether a normalised path is a file upload (`POST /v1/asset` to the
/// upload host, `POST /v3/assets` to the API host). Its request timeout
/// is `upload_timeout`, on either host: the timeout runs while the
/// client's body (up to 32 MB) streams through, and giving up on a slow
/// client mid-upload would answer 504 for an asset HeyGen may create.
/// Letter case as the catalog matches it (any).
pub fn is_upload(method: &Method, path: &str) -> bool {
    method == Method::POST
        && (path.eq_ignore_ascii_case("/v1/asset") || path.eq_ignore_ascii_case("/v3/assets"))
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
    pools: Arc<[Arc<Pool>]>,
    api: Target,
    upload: Target,
    /// The org key as the `X-Api-Key` value, validated and marked sensitive
    /// once (kept out of HTTP/2 compression tables and debug dumps).
    org_key_header: http::HeaderValue,
    /// LiveAvatar's host and key (`None`: not configured).
    liveavatar: Option<liveavatar::LiveAvatarHost>,
    connect_timeout: Duration,
    request_timeout: Duration,
    upload_timeout: Duration,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("api", &self.api.base)
            .field("upload", &self.upload.base)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// A client with one pool for the shared runtime plus one per I/O
    /// thread. `env` holds `upstream.proxy_url_env`'s variable, read here
    /// so a client is never built without the proxy its config names.
    pub fn new(
        cfg: &UpstreamConfig,
        org_key: Secret,
        io_threads: usize,
        env: &dyn EnvSource,
    ) -> Result<Upstream, BoxError> {
        let tls = cfg.roots.client_config()?;
        let proxy = match &cfg.proxy {
            Some(src) => Some(src.resolve(env).map_err(|e| e.to_string())?),
            None => None,
        };
        if let Some(p) = &proxy {
            // Ops' first check when HeyGen is unreachable; never the credentials.
            tracing::info!(proxy = %p.authority, "Reaching HeyGen through a CONNECT proxy.");
        }
        Upstream::with_tls(cfg, org_key, io_threads, tls, proxy.as_ref())
    }

    /// [`Upstream::new`] over `tls` (tests trust their own CA with it)
    /// and through `proxy` when one is given.
    fn with_tls(
        cfg: &UpstreamConfig,
        org_key: Secret,
        io_threads: usize,
        tls: rustls::ClientConfig,
        proxy: Option<&UpstreamProxy>,
    ) -> Result<Upstream, BoxError> {
        let connector = tunnel::connector(cfg, tls, proxy)?;
        let pools = (0..=io_threads)
            .map(|_| Arc::new(Pool::new(connector.clone(), SLOTS, cfg.pool_idle_timeout)))
            .collect::<Vec<_>>();
        let mut org_key_header = http::HeaderValue::from_str(org_key.expose())
            .map_err(|_| "the org key contains characters not allowed in an HTTP header")?;
        org_key_header.set_sensitive(true);
        Ok(Upstream {
            pools: pools.into(),
            api: Target::new(&cfg.api, 0)?,
            upload: Target::new(&cfg.upload, 1)?,
            org_key_header,
            liveavatar: None,
            connect_timeout: cfg.connect_timeout,
            request_timeout: cfg.request_timeout,
            upload_timeout: cfg.upload_timeout,
        })
    }

    fn pool(&self) -> &Arc<Pool> {
        // Pool `n` is I/O thread `n`'s (`io_slot`); 0 the shared runtime's.
        let i = crate::io_slot::current();
        &self.pools[i.min(self.pools.len() - 1)]
    }

    /// Sends `req` (its URI a path and query) to `target`, waiting `limit`
    /// for the response head once a connection has the request (making the
    /// connection has `connect_timeout` of its own: see `pool::Limits`).
    /// The pool is the calling thread's: the future is polled where it is
    /// made (an I/O thread's runtime has one thread, and every thread of
    /// the shared runtime uses pool 0).
    fn send_to<'a>(
        &'a self,
        target: &'a Target,
        req: Request<Body>,
        limit: Duration,
    ) -> impl std::future::Future<Output = Result<Response<UpBody>, UpstreamError>> + Send + 'a
    {
        let limits = Limits {
            connect: self.connect_timeout,
            request: limit,
        };
        futures_util::TryFutureExt::map_err(self.pool().send(target, req, limits), send_error)
    }
}

/// Pool slots: the API host, the upload host, LiveAvatar's host.
const SLOTS: usize = 3;

impl Upstream {
    /// The org key as a ready `X-Api-Key` header value.
    pub fn org_key_header(&self) -> &http::HeaderValue {
        &self.org_key_header
    }

    /// The API host's `Host` value when it is reached over plain HTTP/1.1:
    /// then a bodiless read may be written by the fast lane (`lane`) and
    /// sent with [`Upstream::send_read`]. `None` over TLS.
    pub fn plain_api_host(&self) -> Option<&http::HeaderValue> {
        self.api.plain_host()
    }

    /// Sends a bodiless `GET` or `HEAD` to the API host whose head is
    /// written already (`head`, with the org key and the API host's `Host`:
    /// see [`Upstream::plain_api_host`]), within `request_timeout`, as
    /// [`Upstream::send`] sends one it writes itself. The answer's fields
    /// go into `spare` (an emptied map with room for them, or a new one).
    pub fn send_read(
        &self,
        head: Vec<u8>,
        head_request: bool,
        spare: HeaderMap,
    ) -> impl std::future::Future<Output = Result<Response<UpBody>, UpstreamError>> + Send + '_
    {
        let limits = Limits {
            connect: self.connect_timeout,
            request: self.request_timeout,
        };
        let sent = self
            .pool()
            .send_head(&self.api, head, head_request, spare, limits);
        futures_util::TryFutureExt::map_err(sent, send_error)
    }

    /// Reads a response body the gateway must inspect, bounded in size and in
    /// time: `request_timeout` bounds only the head, and a HeyGen that stalls
    /// mid-body must not hold a request (and its hold) open forever.
    pub async fn read_body(&self, body: UpBody, limit: usize) -> Result<Bytes, BodyError> {
        tokio::time::timeout(self.request_timeout, collect_limited(body, limit))
            .await
            .unwrap_or_else(|_| Err(BodyError::Read("timed out".into())))
    }

    /// Sends one request and waits (bounded) for the response head: an
    /// upload (`is_upload`) `upload_timeout`, anything else
    /// `request_timeout`. The headers must already be prepared (see
    /// `headers::prepare_upstream`).
    ///
    /// The exchange's future (pool, timeout, hyper's send) is boxed, by
    /// the pool (`PoolFuture`): unboxed it made every caller's future ~2 KB
    /// larger, and each layer above copies its callee's future in whole
    /// when it starts awaiting it, so one allocation replaces several
    /// kilobytes of copying per request.
    ///
    /// The path may come parsed already (`(text, Some(parsed))`, the same
    /// target): then it is not copied or parsed again.
    pub fn send<'a>(
        &'a self,
        host: Host,
        method: Method,
        path_and_query: impl Into<UpTarget<'a>>,
        headers: HeaderMap,
        body: Body,
    ) -> impl std::future::Future<Output = Result<Response<UpBody>, UpstreamError>> + Send + 'a
    {
        let target = match host {
            Host::Api => &self.api,
            Host::Upload => &self.upload,
        };
        let up = path_and_query.into();
        let limit = if method == Method::POST && is_upload(&method, up.path()) {
            self.upload_timeout
        } else {
            self.request_timeout
        };
        let built = match up {
            UpTarget(_, Some(parsed)) => Ok(request_to(method, parsed, headers, body)),
            UpTarget(text, None) => request(method, text, headers, body),
        };
        let req = built.map(|req| self.send_to(target, req, limit));
        async move { req?.await }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_proxy;
#[cfg(test)]
mod tests_roots;
