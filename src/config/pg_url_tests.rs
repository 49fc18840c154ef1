use tokio_postgres::config::SslMode;

use super::*;
use crate::test_tls::CA_PEM;

fn parse(url: &str) -> PgUrl {
    PgUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn refused(url: &str) -> String {
    match PgUrl::parse(url) {
        Ok(_) => panic!("{url} was accepted"),
        Err(e) => e,
    }
}

#[test]
fn without_parameters_tls_is_preferred_and_unverified_as_libpq_does() {
    let url = parse("postgres://gw:pw@db.internal:5432/ledger");
    assert_eq!(url.tls, PgTls::Unverified);
    assert_eq!(url.config.get_ssl_mode(), SslMode::Prefer);
    assert_eq!(url.config.get_dbname(), Some("ledger"));
    assert_eq!(url.config.get_password(), Some(&b"pw"[..]));
}

#[test]
fn each_mode_maps_to_its_policy() {
    let base = "postgresql://gw@db/ledger?application_name=x&sslmode=";
    let disable = parse(&format!("{base}disable"));
    assert_eq!(disable.tls, PgTls::Off);
    assert_eq!(disable.config.get_ssl_mode(), SslMode::Disable);
    let require = parse(&format!("{base}require"));
    assert_eq!(require.tls, PgTls::Unverified);
    assert_eq!(require.config.get_ssl_mode(), SslMode::Require);
    let full = parse(&format!("{base}verify-full&sslrootcert={CA_PEM}"));
    assert!(matches!(full.tls, PgTls::VerifyFull(PgRoots::File(ref c)) if c.len() == 1));
    assert_eq!(full.config.get_ssl_mode(), SslMode::Require);
    let ca = parse(&format!("{base}verify-ca&sslrootcert={CA_PEM}"));
    assert!(matches!(ca.tls, PgTls::VerifyCa(PgRoots::File(_))));
    // Other parameters still reach tokio-postgres.
    assert_eq!(ca.config.get_application_name(), Some("x"));
}

#[test]
fn require_with_a_root_file_verifies_the_chain_as_libpq_does() {
    let url = parse(&format!(
        "postgres://db/l?sslmode=require&sslrootcert={CA_PEM}"
    ));
    assert!(matches!(url.tls, PgTls::VerifyCa(PgRoots::File(_))));
}

#[test]
fn system_roots_mean_verify_full_and_refuse_weaker_modes() {
    let url = parse("postgres://db/l?sslrootcert=system");
    assert_eq!(url.tls, PgTls::VerifyFull(PgRoots::Public));
    let e = refused("postgres://db/l?sslrootcert=system&sslmode=verify-ca");
    assert!(e.contains("verify-full"), "{e}");
}

#[test]
fn verification_without_roots_is_an_error_naming_the_fix() {
    for mode in ["verify-ca", "verify-full"] {
        let e = refused(&format!("postgres://db/l?sslmode={mode}"));
        assert!(e.contains("sslrootcert=PATH"), "{e}");
    }
}

#[test]
fn a_root_file_the_mode_never_reads_is_an_error() {
    for mode in ["&sslmode=prefer", "&sslmode=disable", ""] {
        let e = refused(&format!("postgres://db/l?sslrootcert={CA_PEM}{mode}"));
        assert!(e.contains("sslmode=verify-full"), "{e}");
    }
}

#[test]
fn bad_values_are_errors_that_never_repeat_the_password() {
    let cases = [
        ("postgres://u:s3cret@db/l?sslmode=verify_full", "sslmode="),
        (
            "postgres://u:s3cret@db/l?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            "cannot be read",
        ),
        (
            "postgres://u:s3cret@db/l?sslcert=/c.pem",
            "sslcert needs sslkey",
        ),
        (
            "postgres://u:s3cret@db/l?sslpassword=p",
            "encrypted client keys are not supported",
        ),
        (
            "postgres://u:s3cret@db/l?nonsense=1",
            "not a valid PostgreSQL URL",
        ),
    ];
    for (url, want) in cases {
        let e = refused(url);
        assert!(e.contains(want), "{url}: {e}");
        assert!(!e.contains("s3cret"), "{url}: {e}");
    }
}

#[test]
fn a_question_mark_in_the_password_is_not_the_query() {
    let url = parse("postgres://u:a?b@db/l?sslmode=disable");
    assert_eq!(url.tls, PgTls::Off);
    assert_eq!(url.config.get_password(), Some(&b"a?b"[..]));
}

#[test]
fn a_percent_encoded_root_path_is_decoded() {
    let encoded = CA_PEM.replace('/', "%2F");
    let url = parse(&format!(
        "postgres://db/l?sslmode=verify-full&sslrootcert={encoded}"
    ));
    assert!(matches!(url.tls, PgTls::VerifyFull(PgRoots::File(_))));
}

const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tls");

fn with_client(cert: &str, key: &str, rest: &str) -> String {
    format!("postgres://gw_cert@db/l?sslcert={TLS_DIR}/{cert}&sslkey={TLS_DIR}/{key}{rest}")
}

#[test]
fn a_client_certificate_is_read_with_its_key() {
    let url = parse(&with_client(
        "client.pem",
        "client.key.pem",
        &format!("&sslmode=verify-full&sslrootcert={CA_PEM}"),
    ));
    assert!(matches!(url.tls, PgTls::VerifyFull(_)));
    let cert = url.client_cert.expect("a client certificate");
    assert_eq!(
        format!("{cert:?}"),
        "PgClientCert(chain of 1, key redacted)"
    );
    // Without a mode, `prefer`: sent whenever TLS is used.
    let url = parse(&with_client("client.pem", "client.key.pem", ""));
    assert!(url.client_cert.is_some());
    assert!(parse("postgres://db/l").client_cert.is_none());
}

#[test]
fn client_certificate_mistakes_are_named() {
    let cases = [
        (
            with_client("client.pem", "leaf.key.pem", ""),
            "does not go with sslcert",
        ),
        (
            with_client("client.pem", "client.pem", ""),
            "holds no PEM key",
        ),
        (
            with_client("client.key.pem", "client.key.pem", ""),
            "holds no PEM certificate",
        ),
        (
            with_client("nonexistent.pem", "client.key.pem", ""),
            "cannot be read",
        ),
        (
            with_client("client.pem", "client.key.pem", "&sslmode=disable"),
            "only over TLS",
        ),
        (
            format!("postgres://db/l?sslkey={TLS_DIR}/client.key.pem"),
            "sslkey needs sslcert",
        ),
    ];
    for (url, want) in cases {
        let e = refused(&url);
        assert!(e.contains(want), "{url}: {e}");
    }
}
