//! Certificate authorities a TLS client trusts besides the public webpki
//! roots: `upstream.ca_file` (a company's TLS-inspecting egress in front
//! of HeyGen) and `egress.ca_file` (the internal CA of webhook receivers
//! ops reach through `egress.allow_cidrs`). A file adds to the public
//! roots and never replaces them, so it cannot make HeyGen's own
//! certificate, or a public receiver's, fail.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use super::ConfigError;

/// The extra roots of one client; empty unless its `ca_file` is set.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustRoots {
    extra: Arc<[CertificateDer<'static>]>,
}

impl std::fmt::Debug for TrustRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustRoots(webpki + {} from ca_file)", self.extra.len())
    }
}

impl TrustRoots {
    /// Reads `path` (`key` names it in errors): one or more PEM
    /// `CERTIFICATE` blocks, each a CA certificate rustls accepts as a
    /// root. Any problem is an error naming `key`, and the roots stay the
    /// public ones.
    pub fn load(key: &str, path: Option<&str>, errors: &mut Vec<ConfigError>) -> TrustRoots {
        let Some(path) = path else {
            return TrustRoots::default();
        };
        match read(Path::new(path)) {
            Ok(extra) => TrustRoots {
                extra: extra.into(),
            },
            Err(why) => {
                errors.push(ConfigError::new(
                    key,
                    format!(
                        "{path:?}: {why}; give a PEM file of CA certificates \
                         (\"-----BEGIN CERTIFICATE-----\" blocks), or leave the key out \
                         to trust the public roots only"
                    ),
                ));
                TrustRoots::default()
            }
        }
    }

    /// How many certificates the file added.
    pub fn extra_count(&self) -> usize {
        self.extra.len()
    }

    /// A rustls client (ring, TLS 1.2 and 1.3) trusting the webpki roots
    /// and these.
    pub fn client_config(&self) -> Result<rustls::ClientConfig, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(self.root_store()?)
            .with_no_client_auth())
    }

    /// The public roots, then the file's.
    fn root_store(&self) -> Result<rustls::RootCertStore, rustls::Error> {
        let mut roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in self.extra.iter() {
            roots.add(cert.clone())?;
        }
        Ok(roots)
    }
}

/// The file's certificates, each checked the way a root store takes it
/// (also the PostgreSQL URL's `sslrootcert`).
pub(super) fn read(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(&e))?;
    if certs.is_empty() {
        return Err("holds no PEM certificate".into());
    }
    let mut store = rustls::RootCertStore::empty();
    for (i, cert) in certs.iter().enumerate() {
        store
            .add(cert.clone())
            .map_err(|e| format!("certificate {} is not a usable CA certificate ({e})", i + 1))?;
    }
    Ok(certs)
}

pub(super) fn pem_error(e: &rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(io) => format!("cannot be read ({io})"),
        other => format!("is not valid PEM ({other:?})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_tls::CA_PEM;

    fn load(path: &str) -> (TrustRoots, Vec<ConfigError>) {
        let mut errors = Vec::new();
        let roots = TrustRoots::load("egress.ca_file", Some(path), &mut errors);
        (roots, errors)
    }

    #[test]
    fn unset_trusts_the_public_roots_only() {
        let mut errors = Vec::new();
        let roots = TrustRoots::load("upstream.ca_file", None, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(roots.extra_count(), 0);
        assert!(roots.client_config().is_ok());
    }

    #[test]
    fn a_pem_ca_is_added_to_the_public_roots() {
        let (roots, errors) = load(CA_PEM);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(roots.extra_count(), 1);
        let public = webpki_roots::TLS_SERVER_ROOTS.len();
        assert!(public > 100, "{public} public roots");
        assert_eq!(roots.root_store().expect("roots").len(), public + 1);
        assert_eq!(
            TrustRoots::default().root_store().expect("roots").len(),
            public
        );
        assert!(roots.client_config().is_ok());
    }

    #[test]
    fn problems_name_the_key_the_file_and_the_fix() {
        let dir = tempfile::tempdir().expect("temp dir");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").expect("write");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let missing = dir.path().join("missing.pem");
        for (path, why) in [
            (&missing, "cannot be read"),
            (&empty, "holds no PEM certificate"),
            (&garbage, "not a usable CA certificate"),
        ] {
            let (roots, errors) = load(path.to_str().expect("utf-8 path"));
            assert_eq!(roots.extra_count(), 0);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].key, "egress.ca_file");
            let msg = &errors[0].message;
            assert!(msg.contains(why), "{msg}");
            assert!(msg.contains("BEGIN CERTIFICATE"), "{msg}");
            assert!(
                msg.contains(path.file_name().and_then(|n| n.to_str()).expect("name")),
                "{msg}"
            );
        }
    }
}
