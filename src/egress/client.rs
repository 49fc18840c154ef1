//! One guarded exchange: a hyper client whose resolver can only return the
//! addresses the policy already checked, so the connection goes to exactly
//! those (no second DNS lookup an attacker's name server could answer
//! differently). TLS verifies the certificate against the webpki roots with
//! SNI = the host in the URL, as if the name had been resolved normally.

use std::future::Ready;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::{EgressError, EgressGuard, EgressRequest, EgressResponse};
use crate::config::TrustRoots;

/// rustls with ring and the webpki roots plus `egress.ca_file`'s:
/// independent of the host's CA store so a tenant URL is verified the same
/// way on every machine.
pub(super) fn tls_config(roots: &TrustRoots) -> Result<rustls::ClientConfig, EgressError> {
    roots
        .client_config()
        .map_err(|e| EgressError::Connect(format!("TLS setup: {e}")))
}

/// Answers name lookups for the one checked host with the checked addresses
/// and refuses every other name.
#[derive(Clone)]
struct PinnedResolver {
    host: Arc<str>,
    addrs: Vec<SocketAddr>,
}

impl tower::Service<Name> for PinnedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = Ready<Result<Self::Response, io::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let result = if name.as_str().eq_ignore_ascii_case(&self.host) {
            Ok(self.addrs.clone().into_iter())
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "host was not checked by the egress guard",
            ))
        };
        std::future::ready(result)
    }
}

pub(super) async fn exchange(
    guard: &EgressGuard,
    req: EgressRequest,
) -> Result<EgressResponse, EgressError> {
    let inner = &guard.inner;
    let target = guard.check(&req.url).await?;
    let cap = req.max_response_bytes.unwrap_or(inner.max_response_bytes);

    let resolver = PinnedResolver {
        host: Arc::from(target.host.as_str()),
        addrs: target.addrs.clone(),
    };
    let mut http = HttpConnector::new_with_resolver(resolver);
    http.enforce_http(false);
    http.set_connect_timeout(Some(inner.connect_timeout));
    http.set_nodelay(true);
    let https: HttpsConnector<HttpConnector<PinnedResolver>> =
        hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(inner.tls.clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
    // A client per exchange: no pooled connection outlives its check.
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build(https);

    let mut builder = http::Request::builder()
        .method(req.method)
        .uri(target.uri.clone());
    for (name, value) in &req.headers {
        // Host comes from the checked URL; a caller's Host could disagree.
        if name != http::header::HOST {
            builder = builder.header(name, value);
        }
    }
    let request = builder
        .body(Full::new(req.body))
        .map_err(|e| EgressError::InvalidUrl(e.to_string()))?;

    let response = client.request(request).await.map_err(|e| {
        let msg = crate::http::error_chain(&e);
        if e.is_connect() {
            EgressError::Connect(msg)
        } else {
            EgressError::Http(msg)
        }
    })?;
    let (parts, body) = response.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if !req.truncate && declared.is_some_and(|n| n > cap as u64) {
        return Err(EgressError::TooLarge);
    }
    let (body, truncated) = read_capped(body, cap, req.truncate).await?;
    Ok(EgressResponse {
        status: parts.status,
        headers: parts.headers,
        body,
        truncated,
    })
}

/// Reads at most `cap` bytes; past it, fails or (with `truncate`) stops
/// reading and drops the connection.
async fn read_capped(
    mut body: hyper::body::Incoming,
    cap: usize,
    truncate: bool,
) -> Result<(Bytes, bool), EgressError> {
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| EgressError::Http(crate::http::error_chain(&e)))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let room = cap.saturating_sub(buf.len());
        if data.len() > room {
            if !truncate {
                return Err(EgressError::TooLarge);
            }
            buf.extend_from_slice(&data[..room]);
            return Ok((buf.freeze(), true));
        }
        buf.extend_from_slice(&data);
    }
    Ok((buf.freeze(), false))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use tower::Service;

    use super::*;

    #[tokio::test]
    async fn pinned_resolver_answers_only_the_checked_host() {
        let addr: SocketAddr = "93.184.215.14:443".parse().unwrap();
        let mut r = PinnedResolver {
            host: Arc::from("media.example.com"),
            addrs: vec![addr],
        };
        let got: Vec<SocketAddr> = r
            .call(Name::from_str("MEDIA.example.com").unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(got, vec![addr]);
        let err = r
            .call(Name::from_str("other.example.com").unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    }
}
