//! A client certificate for the PostgreSQL ledger (`sslcert` and `sslkey`
//! in `store.url`): read and checked when the config loads, so a wrong
//! path, a key that is not the certificate's, or an encrypted key is a
//! config error naming the parameter, not a refusal at the first
//! connection.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::roots::pem_error;

/// The chain (the client's certificate first) and its private key.
#[derive(Clone)]
pub struct PgClientCert {
    chain: Arc<[CertificateDer<'static>]>,
    key: Arc<PrivateKeyDer<'static>>,
}

impl std::fmt::Debug for PgClientCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PgClientCert(chain of {}, key redacted)",
            self.chain.len()
        )
    }
}

impl PgClientCert {
    /// The certificate `cert` and key `key` name (file paths), both or
    /// neither: libpq would look in `~/.postgresql/` for a missing one,
    /// which a container does not have.
    pub(super) fn from_url(
        cert: Option<&str>,
        key: Option<&str>,
    ) -> Result<Option<PgClientCert>, String> {
        let (cert, key) = match (cert, key) {
            (None, None) => return Ok(None),
            (Some(c), Some(k)) => (c, k),
            (Some(_), None) => {
                return Err("sslcert needs sslkey (the certificate's key file)".into())
            }
            (None, Some(_)) => {
                return Err("sslkey needs sslcert (the client certificate file)".into())
            }
        };
        let chain = CertificateDer::pem_file_iter(Path::new(cert))
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("sslcert {cert:?}: {}", pem_error(&e)))?;
        if chain.is_empty() {
            return Err(format!("sslcert {cert:?}: holds no PEM certificate"));
        }
        let private = PrivateKeyDer::from_pem_file(Path::new(key)).map_err(|e| {
            let why = match e {
                rustls::pki_types::pem::Error::NoItemsFound => "holds no PEM key".into(),
                e => pem_error(&e),
            };
            format!("sslkey {key:?}: {why} (an unencrypted PKCS#8, PKCS#1 or SEC1 PEM key)")
        })?;
        // rustls's own check: the key must be the certificate's.
        let provider = rustls::crypto::ring::default_provider();
        rustls::sign::CertifiedKey::from_der(chain.clone(), private.clone_key(), &provider)
            .map_err(|e| format!("sslkey {key:?} does not go with sslcert {cert:?} ({e})"))?;
        Ok(Some(PgClientCert {
            chain: chain.into(),
            key: Arc::new(private),
        }))
    }

    /// A rustls client config with this certificate, from `builder`.
    pub fn apply(
        &self,
        builder: rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>,
    ) -> Result<rustls::ClientConfig, rustls::Error> {
        builder.with_client_auth_cert(self.chain.to_vec(), self.key.clone_key())
    }
}
