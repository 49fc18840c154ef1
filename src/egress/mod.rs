//! The egress guard: the one way the gateway contacts a URL a tenant chose
//! (webhook deliveries to tenant endpoints, media probing of tenant-given
//! URLs).
//!
//! A tenant-chosen URL is a request forgery risk: it could point at the
//! metadata service, the admin listener or a database on the private
//! network. So the guard parses the URL (http/https, no credentials),
//! resolves the host exactly once, refuses if any resolved address is not a
//! public one ([`policy`]), and then connects only to those checked
//! addresses, so a DNS answer that changes between check and connect
//! (rebinding) cannot redirect the request. Redirects are never followed:
//! a 3xx is returned to the caller like any other status. Every exchange has
//! a connect timeout, a total timeout and a response-size cap.

mod client;
pub mod policy;
pub(crate) mod retry;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};
use ipnet::IpNet;

pub use crate::config::{EgressConfig, FileEgress};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    #[error("refusing to contact {addr}: {reason}")]
    Forbidden { addr: IpAddr, reason: &'static str },
    #[error("cannot resolve host: {0}")]
    Resolve(String),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("timed out")]
    Timeout,
    #[error("response larger than the limit")]
    TooLarge,
    #[error("HTTP exchange failed: {0}")]
    Http(String),
}

/// A URL that passed the policy, with the only addresses it may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTarget {
    pub uri: Uri,
    /// Host as written in the URL (no brackets for IPv6): Host header and SNI.
    pub host: String,
    pub port: u16,
    pub https: bool,
    /// Every address the host resolved to; all passed the policy.
    pub addrs: Vec<SocketAddr>,
}

/// One outbound exchange. `None` limits use the guard's configured ones.
#[derive(Debug, Clone)]
pub struct EgressRequest {
    pub method: Method,
    pub url: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub max_response_bytes: Option<usize>,
    pub timeout: Option<Duration>,
    /// When the body exceeds the cap: `false` fails with
    /// [`EgressError::TooLarge`]; `true` returns the first `cap` bytes with
    /// [`EgressResponse::truncated`] set (for readers that need only a prefix).
    pub truncate: bool,
}

impl EgressRequest {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            max_response_bytes: None,
            timeout: None,
            truncate: false,
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::GET, url)
    }

    pub fn post(url: impl Into<String>, body: impl Into<Bytes>) -> Self {
        let mut req = Self::new(Method::POST, url);
        req.body = body.into();
        req
    }
}

#[derive(Debug, Clone)]
pub struct EgressResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The body was cut at the cap (only with [`EgressRequest::truncate`]).
    pub truncated: bool,
}

/// Cheap to clone: the settings and TLS config sit behind one `Arc`.
#[derive(Clone)]
pub struct EgressGuard {
    inner: Arc<Inner>,
}

struct Inner {
    allow: Vec<IpNet>,
    connect_timeout: Duration,
    timeout: Duration,
    max_response_bytes: usize,
    tls: rustls::ClientConfig,
}

impl std::fmt::Debug for EgressGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EgressGuard")
            .field("allow", &self.inner.allow)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

// === impl EgressGuard ===

impl EgressGuard {
    pub fn new(cfg: &EgressConfig) -> Result<Self, EgressError> {
        let tls = client::tls_config(&cfg.roots)?;
        Ok(Self {
            inner: Arc::new(Inner {
                allow: cfg.allow_cidrs.clone(),
                connect_timeout: cfg.connect_timeout,
                timeout: cfg.timeout,
                max_response_bytes: cfg.max_response_bytes,
                tls,
            }),
        })
    }

    /// The configured response cap (callers size their own reads by it).
    pub fn max_response_bytes(&self) -> usize {
        self.inner.max_response_bytes
    }

    /// Parses `url`, resolves its host once and applies the address policy.
    pub async fn check(&self, url: &str) -> Result<CheckedTarget, EgressError> {
        let (uri, host, port, https) = parse_url(url)?;
        let addrs = match literal_ip(&host) {
            Some(ip) => vec![SocketAddr::new(ip, port)],
            None => self.resolve(&host, port).await?,
        };
        for a in &addrs {
            if let Some(reason) = policy::forbidden_reason(a.ip(), &self.inner.allow) {
                return Err(EgressError::Forbidden {
                    addr: a.ip(),
                    reason,
                });
            }
        }
        Ok(CheckedTarget {
            uri,
            host,
            port,
            https,
            addrs,
        })
    }

    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, EgressError> {
        let lookup = tokio::net::lookup_host((host, port));
        let found = tokio::time::timeout(self.inner.connect_timeout, lookup)
            .await
            .map_err(|_| EgressError::Resolve(format!("{host}: lookup timed out")))?
            .map_err(|e| EgressError::Resolve(format!("{host}: {e}")))?;
        let mut addrs: Vec<SocketAddr> = Vec::new();
        for a in found {
            if !addrs.contains(&a) {
                addrs.push(a);
            }
        }
        if addrs.is_empty() {
            return Err(EgressError::Resolve(format!("{host}: no addresses")));
        }
        Ok(addrs)
    }

    /// Checks the URL, then performs one exchange with the checked addresses
    /// only. Never follows redirects; the whole call is bounded by the timeout.
    pub async fn send(&self, req: EgressRequest) -> Result<EgressResponse, EgressError> {
        let timeout = req.timeout.unwrap_or(self.inner.timeout);
        tokio::time::timeout(timeout, client::exchange(self, req))
            .await
            .unwrap_or(Err(EgressError::Timeout))
    }
}

/// `(uri, host, port, https)` of an absolute http(s) URL without credentials.
fn parse_url(url: &str) -> Result<(Uri, String, u16, bool), EgressError> {
    let invalid = |why: &str| EgressError::InvalidUrl(why.to_string());
    let uri: Uri = url
        .trim()
        .parse()
        .map_err(|_| invalid("not a valid absolute URL"))?;
    let https = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("https") => true,
        Some("http") => false,
        Some(_) => return Err(invalid("only http and https URLs are allowed")),
        None => return Err(invalid("the URL needs a scheme and host (https://…)")),
    };
    let authority = uri
        .authority()
        .ok_or_else(|| invalid("the URL has no host"))?;
    // `user:pass@host` hides the real host from a reader of the URL and
    // would send credentials the tenant chose; refuse it outright.
    if authority.as_str().contains('@') {
        return Err(invalid(
            "credentials (user@host) are not allowed in the URL",
        ));
    }
    let raw_host = authority.host();
    let host = raw_host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(raw_host);
    if host.is_empty() {
        return Err(invalid("the URL has an empty host"));
    }
    if raw_host.starts_with('[') && host.parse::<std::net::Ipv6Addr>().is_err() {
        return Err(invalid("bracketed host is not an IPv6 address"));
    }
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    if port == 0 {
        return Err(invalid("port 0 is not allowed"));
    }
    Ok((uri.clone(), host.to_string(), port, https))
}

fn literal_ip(host: &str) -> Option<IpAddr> {
    host.parse().ok()
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_tls;
