//! The rustls client configs behind the PostgreSQL `sslmode`s: webpki's
//! verifier for `verify-full`, and [`Lenient`] for the weaker modes.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

use crate::config::{PgClientCert, PgRoots, PgTls};

/// A client config for `tls` (not [`PgTls::Off`], which makes none),
/// showing `client_cert` when the server asks for one.
pub(super) fn client_config(
    tls: &PgTls,
    client_cert: Option<&PgClientCert>,
) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match tls {
        PgTls::Off | PgTls::Unverified => Arc::new(Lenient {
            chain: None,
            provider: provider.clone(),
        }),
        PgTls::VerifyCa(roots) => Arc::new(Lenient {
            chain: Some(webpki(roots, &provider)?),
            provider: provider.clone(),
        }),
        PgTls::VerifyFull(roots) => webpki(roots, &provider)?,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client_cert {
        Some(cert) => cert.apply(builder)?,
        None => builder.with_no_client_auth(),
    };
    // What libpq 17 sends; servers before 17 ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(config)
}

fn webpki(
    roots: &PgRoots,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, Error> {
    let store = match roots {
        PgRoots::Public => RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        PgRoots::File(certs) => {
            let mut store = RootCertStore::empty();
            for cert in certs.iter() {
                store.add(cert.clone())?;
            }
            store
        }
    };
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
        .build()
        .map_err(|e| Error::General(format!("PostgreSQL TLS roots: {e}")))
}

/// The modes short of `verify-full`: `verify-ca` checks the `chain` and not
/// the name (webpki checks the chain first, so an error about the name
/// alone means the chain was good); `prefer` and `require` without roots
/// (no `chain`) take any certificate, encryption against passive listeners
/// only, as libpq gives. Either way the handshake's signatures are checked
/// against the certificate, so the channel binding in `tls.rs` binds to the
/// key the server really holds.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
