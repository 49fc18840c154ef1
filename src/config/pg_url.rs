//! The PostgreSQL ledger's `store.url` read the way libpq reads its TLS
//! parameters, which tokio-postgres does not: `sslmode` takes libpq's five
//! values (tokio-postgres knows three and never verifies anything itself),
//! `sslrootcert` names the CA file, and `sslcert`/`sslkey` a client
//! certificate (for databases that log roles in by certificate: `cert` in
//! `pg_hba.conf`, Cloud SQL's enforced client certificates). They are
//! taken out of the URL here, the rest is left to tokio-postgres, and the
//! ledger's TLS connector (`ledger/postgres/tls.rs`) applies the [`PgTls`]
//! and [`PgClientCert`] this yields.
//!
//! Managed databases (RDS, Cloud SQL, Azure) refuse or warn on plain
//! connections, and the ledger carries tenants' webhook signing secrets,
//! so the connection must be encryptable and verifiable as libpq's is.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use rustls::pki_types::CertificateDer;

pub use super::pg_client_cert::PgClientCert;

/// Whom a TLS connection to PostgreSQL trusts, and how far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PgTls {
    /// `sslmode=disable`: plain TCP.
    Off,
    /// `prefer` (the default) and `require` without `sslrootcert`:
    /// encrypted, the certificate not checked (libpq's behaviour).
    Unverified,
    /// `verify-ca`, or `require` with `sslrootcert`: the chain is checked
    /// against the roots, the host name is not.
    VerifyCa(PgRoots),
    /// `verify-full`: chain and host name.
    VerifyFull(PgRoots),
}

/// The roots `sslrootcert` names: a PEM file, or `system` (the public
/// webpki roots the gateway ships).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PgRoots {
    Public,
    File(Arc<[CertificateDer<'static>]>),
}

/// A parsed `store.url`: tokio-postgres's config (its `ssl_mode` set to
/// match), the TLS policy, and the client certificate to show if asked.
pub struct PgUrl {
    pub config: tokio_postgres::Config,
    pub tls: PgTls,
    pub client_cert: Option<PgClientCert>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl PgUrl {
    /// Parses `url` (`postgres://…` or `postgresql://…`). An error says
    /// what is wrong and how to fix it, and never repeats the URL (it may
    /// carry a password).
    pub fn parse(url: &str) -> Result<PgUrl, String> {
        let (base, query) = split_query(url);
        let mut mode = None;
        let mut root = None;
        let (mut sslcert, mut sslkey) = (None, None);
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode_str(value).decode_utf8_lossy();
            match key {
                "sslmode" => mode = Some(parse_mode(&value)?),
                "sslrootcert" => root = Some(value.into_owned()),
                "sslcert" => sslcert = Some(value.into_owned()),
                "sslkey" => sslkey = Some(value.into_owned()),
                "sslpassword" => {
                    return Err("sslpassword: encrypted client keys are not supported; \
                         give sslkey an unencrypted PKCS#8, PKCS#1 or SEC1 key file \
                         readable only by the gateway (e.g. from a Kubernetes Secret)"
                        .into())
                }
                _ => kept.push(pair),
            }
        }
        let tls = policy(mode, root.as_deref())?;
        let client_cert = PgClientCert::from_url(sslcert.as_deref(), sslkey.as_deref())?;
        if client_cert.is_some() && tls == PgTls::Off {
            return Err(
                "sslcert and sslkey are sent only over TLS; remove sslmode=disable \
                 (sslmode=verify-full is the mode to use)"
                    .into(),
            );
        }
        let rebuilt = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut config = tokio_postgres::Config::from_str(&rebuilt)
            .map_err(|e| format!("not a valid PostgreSQL URL ({e})"))?;
        config.ssl_mode(match tls {
            PgTls::Off => tokio_postgres::config::SslMode::Disable,
            PgTls::Unverified if mode != Some(Mode::Require) => {
                tokio_postgres::config::SslMode::Prefer
            }
            _ => tokio_postgres::config::SslMode::Require,
        });
        Ok(PgUrl {
            config,
            tls,
            client_cert,
        })
    }
}

/// The URL before and after its `?`. A password may hold an unencoded
/// `?`, so the query is looked for only after the first `@`, where
/// tokio-postgres ends the credentials.
fn split_query(url: &str) -> (&str, &str) {
    let from = url.find('@').map_or(0, |at| at + 1);
    match url[from..].find('?') {
        Some(q) => (&url[..from + q], &url[from + q + 1..]),
        None => (url, ""),
    }
}

fn parse_mode(value: &str) -> Result<Mode, String> {
    Ok(match value {
        "disable" => Mode::Disable,
        // libpq's `allow` tries plain first; only TLS-first is offered.
        "prefer" => Mode::Prefer,
        "require" => Mode::Require,
        "verify-ca" => Mode::VerifyCa,
        "verify-full" => Mode::VerifyFull,
        other => {
            return Err(format!(
                "sslmode={other:?} is not one of disable, prefer, require, verify-ca, \
                 verify-full (verify-full is the one that checks whom you talk to)"
            ))
        }
    })
}

/// libpq's rules, stricter where libpq would silently not verify.
fn policy(mode: Option<Mode>, root: Option<&str>) -> Result<PgTls, String> {
    let roots = match root {
        None => None,
        Some("system") => Some(PgRoots::Public),
        Some(path) => Some(PgRoots::File(
            super::roots::read(Path::new(path))
                .map_err(|why| format!("sslrootcert {path:?}: {why}"))?
                .into(),
        )),
    };
    // libpq: `sslrootcert=system` makes verify-full the default, and
    // weaker modes an error (a public CA vouches for any name).
    let mode = match (mode, &roots) {
        (None, Some(PgRoots::Public)) => Mode::VerifyFull,
        (Some(m), Some(PgRoots::Public)) if m != Mode::VerifyFull => {
            return Err(
                "sslrootcert=system needs sslmode=verify-full: the public roots \
                        vouch for any host's name, so only the name check makes them safe"
                    .into(),
            )
        }
        (m, _) => m.unwrap_or(Mode::Prefer),
    };
    match (mode, roots) {
        (Mode::Disable, None) => Ok(PgTls::Off),
        (Mode::Prefer, None) | (Mode::Require, None) => Ok(PgTls::Unverified),
        (Mode::Require, Some(r)) | (Mode::VerifyCa, Some(r)) => Ok(PgTls::VerifyCa(r)),
        (Mode::VerifyFull, Some(r)) => Ok(PgTls::VerifyFull(r)),
        (Mode::VerifyCa, None) | (Mode::VerifyFull, None) => Err(
            "sslmode=verify-ca and verify-full need sslrootcert=PATH (a PEM file of your \
             database's CA, e.g. the RDS bundle) or sslrootcert=system (the public roots)"
                .into(),
        ),
        // A root file with a mode that never reads it is a mistake that
        // would leave the connection unverified.
        (Mode::Disable, Some(_)) | (Mode::Prefer, Some(_)) => Err(
            "sslrootcert is read only with sslmode=require, verify-ca or verify-full; \
             add sslmode=verify-full"
                .into(),
        ),
    }
}

#[cfg(test)]
#[path = "pg_url_tests.rs"]
mod tests;
