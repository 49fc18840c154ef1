//! What the TLS layer dials: HeyGen's host itself, or, with
//! `upstream.proxy_url`, an HTTP `CONNECT` tunnel to it through the
//! company's forward proxy. TLS (SNI, certificate checks and ALPN for the
//! real host) then runs over the tunnel as over a direct connection, so
//! the proxy sees only `host:port` and ciphertext. A plain `http://` base
//! URL (only tests use one) is tunnelled the same way, as curl's
//! `--proxytunnel` does.
//!
//! Why not hyper-util's `connect::proxy::Tunnel`: it keeps no status but
//! 407 (a squid ACL's 403 reads "tunnel error: unsuccessful"), and ops
//! need the proxy's answer to tell a wrong password from a blocked host.
//!
//! Nothing here has its own timeout: the pool's `connect_within` bounds
//! the whole connect (TCP to the proxy, the `CONNECT` exchange, TLS), and
//! a connect that runs out of time is reported as not sent.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::uri::Authority;
use http::{HeaderValue, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::UpstreamProxy;
use crate::http::BoxError;

/// The longest `CONNECT` answer head read; a proxy's is a few lines.
const MAX_HEAD: usize = 8 * 1024;

/// The connector under every pool (all three slots): TLS (rustls; it sets
/// ALPN to offer HTTP/2 and HTTP/1.1) or plain HTTP for tests, over TCP to
/// the host or over a `CONNECT` tunnel through `proxy` (`Dial`).
pub(super) fn connector(
    cfg: &crate::config::UpstreamConfig,
    tls: rustls::ClientConfig,
    proxy: Option<&UpstreamProxy>,
) -> Result<super::pool::Connector, BoxError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(cfg.connect_timeout));
    http.set_nodelay(true);
    http.set_keepalive(Some(Duration::from_secs(60)));
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(Dial::new(http, proxy)?))
}

/// The connector under TLS: direct, or through the proxy.
#[derive(Clone)]
pub(super) struct Dial {
    tcp: HttpConnector,
    via: Option<Arc<Via>>,
}

/// The proxy as the connector uses it.
struct Via {
    /// `http://host:port`, what the TCP connector dials.
    uri: Uri,
    authority: Authority,
    auth: Option<HeaderValue>,
}

impl Dial {
    pub(super) fn new(tcp: HttpConnector, proxy: Option<&UpstreamProxy>) -> Result<Dial, BoxError> {
        let via = match proxy {
            None => None,
            Some(p) => Some(Arc::new(Via {
                uri: Uri::builder()
                    .scheme("http")
                    .authority(p.authority.clone())
                    .path_and_query("/")
                    .build()?,
                authority: p.authority.clone(),
                auth: p.authorization(),
            })),
        };
        Ok(Dial { tcp, via })
    }
}

type Dialing = Pin<Box<dyn Future<Output = Result<TokioIo<TcpStream>, BoxError>> + Send>>;

impl tower::Service<Uri> for Dial {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    // Boxed either way: the TCP connector's future already is, and a
    // connect is rare next to the requests a connection carries.
    type Future = Dialing;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Dialing {
        let Some(via) = self.via.clone() else {
            let connecting = self.tcp.call(dst);
            return Box::pin(async move { connecting.await.map_err(Into::into) });
        };
        let connecting = self.tcp.call(via.uri.clone());
        Box::pin(async move {
            let target = target(&dst)?;
            let io = connecting.await.map_err(|e| {
                format!(
                    "cannot connect to the proxy {} (upstream.proxy_url): {}",
                    via.authority,
                    crate::http::error_chain(&e)
                )
            })?;
            let tcp = connect(io.into_inner(), &via, &target).await?;
            Ok(TokioIo::new(tcp))
        })
    }
}

/// `host:port` of a base URL, the port written out (`CONNECT` needs it).
fn target(dst: &Uri) -> Result<String, BoxError> {
    let host = dst.host().ok_or("the upstream URL has no host")?;
    let port = dst.port_u16().unwrap_or(match dst.scheme_str() {
        Some("http") => 80,
        _ => 443,
    });
    Ok(format!("{host}:{port}"))
}

/// Why the proxy gave no tunnel. Each is reported as not sent: nothing
/// reached HeyGen.
#[derive(Debug, thiserror::Error)]
pub(super) enum TunnelError {
    #[error("the proxy {proxy} refused the tunnel to {target}: {status}{hint}")]
    Refused {
        proxy: Authority,
        target: String,
        /// The status line's code and reason, e.g. `407 Proxy Authentication Required`.
        status: String,
        hint: &'static str,
    },
    #[error("the proxy {proxy} gave no valid answer to CONNECT {target}: {why}")]
    BadAnswer {
        proxy: Authority,
        target: String,
        why: String,
    },
}

/// Asks the proxy for a tunnel to `target` over `tcp`; the stream is the
/// tunnel once the proxy answers 2xx.
async fn connect(mut tcp: TcpStream, via: &Via, target: &str) -> Result<TcpStream, BoxError> {
    let bad = |why: String| TunnelError::BadAnswer {
        proxy: via.authority.clone(),
        target: target.to_string(),
        why,
    };
    let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n").into_bytes();
    if let Some(auth) = &via.auth {
        head.extend_from_slice(b"Proxy-Authorization: ");
        head.extend_from_slice(auth.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    tcp.write_all(&head)
        .await
        .map_err(|e| bad(format!("writing it failed: {e}")))?;
    let answer = read_head(&mut tcp).await.map_err(bad)?;
    let (code, reason) =
        status_line(&answer).ok_or_else(|| bad("not an HTTP/1 status line".into()))?;
    if code.is_success() {
        return Ok(tcp);
    }
    Err(TunnelError::Refused {
        proxy: via.authority.clone(),
        target: target.to_string(),
        status: format!("{} {reason}", code.as_u16()),
        hint: match code {
            StatusCode::PROXY_AUTHENTICATION_REQUIRED => {
                " (check the credentials in upstream.proxy_url / proxy_url_env)"
            }
            _ => "",
        },
    }
    .into())
}

/// Reads the answer's head through its blank line, one byte at a time:
/// whatever follows belongs to the tunnel, and a read past the head would
/// take it from the TLS handshake. (A few dozen reads, once a connection.)
async fn read_head(tcp: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut head = Vec::with_capacity(128);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            return Err(format!("its answer's head is longer than {MAX_HEAD} bytes"));
        }
        match tcp.read_u8().await {
            Ok(b) => head.push(b),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err("it closed the connection before answering".into())
            }
            Err(e) => return Err(format!("reading its answer failed: {e}")),
        }
    }
    Ok(head)
}

/// The status and its reason from `HTTP/1.x NNN Reason`; the reason is
/// the standard one when the code has one (a proxy's own text is not
/// repeated into logs), else the proxy's, cut short.
fn status_line(head: &[u8]) -> Option<(StatusCode, String)> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let rest = line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| line.strip_prefix("HTTP/1.0 "))?;
    let (code, text) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 {
        return None;
    }
    let code = StatusCode::from_bytes(code.as_bytes()).ok()?;
    let reason = match code.canonical_reason() {
        Some(r) => r.to_string(),
        None => text
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .take(64)
            .collect(),
    };
    Some((code, reason))
}

#[cfg(test)]
mod tests {
    use super::status_line;

    #[test]
    fn status_lines_are_read_with_their_reason() {
        let code = |h: &str| status_line(h.as_bytes()).map(|(c, r)| (c.as_u16(), r));
        assert_eq!(
            code("HTTP/1.1 200 Connection established\r\n\r\n"),
            Some((200, "OK".into()))
        );
        assert_eq!(
            code("HTTP/1.0 407 Auth please\r\nProxy-Authenticate: Basic\r\n\r\n"),
            Some((407, "Proxy Authentication Required".into()))
        );
        assert_eq!(code("HTTP/1.1 599 Odd\r\n\r\n"), Some((599, "Odd".into())));
        assert_eq!(code("HTTP/1.1 2000 OK\r\n\r\n"), None);
        assert_eq!(code("SSH-2.0-OpenSSH\r\n\r\n"), None);
    }
}
