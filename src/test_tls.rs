//! A TLS server side for tests: a test CA (`tests/data/tls`, valid until
//! 2126) and its leaf for `localhost`, which the upstream pool's and the
//! egress guard's tests serve from loopback, and the loopback listener
//! they serve it on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub(crate) const CA: &[u8] = include_bytes!("../tests/data/tls/ca.der");
/// The same CA in PEM, as a `ca_file` names it.
pub(crate) const CA_PEM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tls/ca.pem");
const LEAF: &[u8] = include_bytes!("../tests/data/tls/leaf.der");
const LEAF_KEY: &[u8] = include_bytes!("../tests/data/tls/leaf.key.der");

pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// TLS for `localhost` (the test CA's leaf), offering `alpn`.
pub(crate) fn acceptor(alpn: &[&[u8]]) -> tokio_rustls::TlsAcceptor {
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(LEAF.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(LEAF_KEY.to_vec())),
        )
        .expect("certificate");
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    tokio_rustls::TlsAcceptor::from(Arc::new(cfg))
}

/// A loopback listener that runs `serve` on each connection in a task of
/// its own; its port, and how many connections it accepted.
pub(crate) async fn listen<F, Fut>(serve: F) -> (u16, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(tcp));
        }
    });
    (port, accepted)
}
