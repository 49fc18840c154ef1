//! A TLS server side for tests: a test CA (`tests/data/tls`, valid until
//! 2126) and its leaf for `localhost`, which the upstream pool's and the
//! egress guard's tests serve from loopback.

use std::sync::Arc;

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
