//! TLS to PostgreSQL with rustls (ring, as the upstream client), applying
//! the [`PgTls`] policy `config::PgUrl` read from `store.url`: no check,
//! the chain only, or chain and host name. tokio-postgres asks for TLS in
//! its own negotiation (`SSLRequest`) and hands the socket here.
//!
//! It also gives SCRAM its `tls-server-end-point` channel binding, so a
//! password login over an unverified connection still cannot be relayed
//! by a machine in the middle (libpq does the same).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::pki_types::ServerName;
use sha2::{Digest, Sha256, Sha384, Sha512};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use tokio_postgres::Socket;
use tokio_rustls::client::TlsStream as RustlsStream;

use super::verify;
use crate::config::{PgClientCert, PgTls};

/// What tokio-postgres is given to make TLS connections; cheap to clone.
#[derive(Clone)]
pub(crate) struct MakeRustls {
    /// `None` under `sslmode=disable`, when tokio-postgres never asks.
    config: Option<Arc<rustls::ClientConfig>>,
}

impl MakeRustls {
    pub(crate) fn new(
        tls: &PgTls,
        client_cert: Option<&PgClientCert>,
    ) -> Result<MakeRustls, rustls::Error> {
        let config = match tls {
            PgTls::Off => None,
            _ => Some(Arc::new(verify::client_config(tls, client_cert)?)),
        };
        Ok(MakeRustls { config })
    }
}

impl MakeTlsConnect<Socket> for MakeRustls {
    type Stream = PgTlsStream;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, host: &str) -> io::Result<RustlsConnect> {
        // Asked for every host, TLS or not: a name rustls cannot take is
        // an error only if TLS is then attempted.
        Ok(RustlsConnect {
            config: self.config.clone(),
            name: ServerName::try_from(host.to_owned()).ok(),
        })
    }
}

pub(crate) struct RustlsConnect {
    config: Option<Arc<rustls::ClientConfig>>,
    name: Option<ServerName<'static>>,
}

impl TlsConnect<Socket> for RustlsConnect {
    type Stream = PgTlsStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<PgTlsStream>> + Send>>;

    fn connect(self, socket: Socket) -> Self::Future {
        Box::pin(async move {
            let config = self
                .config
                .ok_or_else(|| io::Error::other("TLS is off (sslmode=disable)"))?;
            let name = self
                .name
                .ok_or_else(|| io::Error::other("the host is not a name TLS can verify"))?;
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, socket)
                .await?;
            Ok(PgTlsStream(stream))
        })
    }
}

pub(crate) struct PgTlsStream(RustlsStream<Socket>);

impl TlsStream for PgTlsStream {
    fn channel_binding(&self) -> ChannelBinding {
        let cert = self
            .0
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first());
        match cert.and_then(|c| server_end_point(c)) {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
}

/// RFC 5929's `tls-server-end-point`: the server certificate hashed with
/// its signature's hash, SHA-256 for MD5 and SHA-1. `None` (no binding;
/// SCRAM then runs without it) for algorithms the RFC leaves undefined,
/// such as Ed25519 and RSA-PSS.
fn server_end_point(cert: &[u8]) -> Option<Vec<u8>> {
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, … }
    let (certificate, _) = der(cert, 0x30)?;
    let (_, after_tbs) = der(certificate, 0x30)?;
    let (algorithm, _) = der(after_tbs, 0x30)?;
    let (oid, _) = der(algorithm, 0x06)?;
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    const ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04];
    let bits = match oid {
        // md5, sha1, sha256 WithRSAEncryption; ecdsa-with-SHA1, -SHA256
        [r @ .., 4 | 5 | 11] if r == RSA => 256,
        [e @ .., 1] if e == ECDSA => 256,
        [e @ .., 3, 2] if e == ECDSA => 256,
        [r @ .., 12] if r == RSA => 384,
        [e @ .., 3, 3] if e == ECDSA => 384,
        [r @ .., 13] if r == RSA => 512,
        [e @ .., 3, 4] if e == ECDSA => 512,
        _ => return None,
    };
    Some(match bits {
        256 => Sha256::digest(cert).to_vec(),
        384 => Sha384::digest(cert).to_vec(),
        _ => Sha512::digest(cert).to_vec(),
    })
}

/// One DER element with tag `tag` at the start of `input`: its contents
/// and what follows it.
fn der(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len, rest) = rest.split_first()?;
    let (len, rest) = if len < 0x80 {
        (usize::from(len), rest)
    } else {
        let n = usize::from(len & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

impl AsyncRead for PgTlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for PgTlsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_point_hash_follows_the_certificate_signature() {
        // The test CA's leaf is signed ecdsa-with-SHA256.
        let leaf = include_bytes!("../../../tests/data/tls/leaf.der");
        let hash = server_end_point(leaf).expect("ecdsa-with-SHA256 is bound");
        assert_eq!(hash, Sha256::digest(leaf).to_vec());
        assert_eq!(server_end_point(&leaf[..40]), None, "a cut certificate");
        assert_eq!(server_end_point(b""), None);
    }
}
