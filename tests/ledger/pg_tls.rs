//! The PostgreSQL ledger over TLS, against a server that refuses plain
//! connections: each `sslmode` connects or fails as libpq's would, the
//! gateway's connections really are encrypted, and SCRAM binds to the
//! TLS channel.

use std::sync::{Arc, OnceLock};

use heygen_gateway::clock::{Clock, SystemClock};
use heygen_gateway::config::{MapEnv, SecretSource, StoreConfig};
use heygen_gateway::ledger::audit::{verify, AuditOptions};
use heygen_gateway::ledger::{
    open_ledger, open_ledger_in, HoldDecision, LedgerError, PostgresLedger,
};

use crate::pg::{PgServer, CERT_ROLE, SCRAM_PASSWORD, SCRAM_ROLE};
use crate::support::{credits, req, t0};

const CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tls/ca.pem");

/// One TLS-only server for the cases below.
fn server() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(PgServer::start_tls)
}

async fn connect(url: String) -> Result<PostgresLedger, LedgerError> {
    PostgresLedger::connect(&url, 2).await
}

/// A fresh database's URL; the first call starts the server (`initdb`
/// blocks for seconds), so off the async thread.
async fn url(host: &str, params: &str) -> String {
    let db = tokio::task::spawn_blocking(|| server().create_database())
        .await
        .unwrap();
    let name = db.rsplit('/').next().unwrap().to_owned();
    format!(
        "postgres://postgres@{host}:{}/{name}?{params}",
        server().port()
    )
}

/// How many of `application`'s connections the server sees encrypted, and
/// how many in all.
fn encrypted(application: &str) -> (String, String) {
    let q = |extra: &str| {
        server().psql(&format!(
            "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
             WHERE a.application_name = '{application}'{extra}"
        ))
    };
    (q(" AND s.ssl"), q(""))
}

fn unavailable(result: Result<PostgresLedger, LedgerError>) -> String {
    match result {
        Ok(_) => panic!("connected"),
        Err(LedgerError::Unavailable(why)) => why,
        Err(other) => panic!("not Unavailable: {other}"),
    }
}

#[tokio::test]
async fn verify_full_with_the_ca_holds_on_encrypted_connections() {
    let ledger = connect(
        url(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={CA}"),
        )
        .await,
    )
    .await
    .unwrap();
    use heygen_gateway::ledger::Ledger;
    let d = ledger.hold(req("acme", credits(1), t0())).await.unwrap();
    assert!(matches!(d, HoldDecision::Held { .. }), "{d:?}");
    let (tls, all) = tokio::task::spawn_blocking(|| encrypted("heygen-gateway"))
        .await
        .unwrap();
    assert_ne!(all, "0", "the ledger's connections are listed");
    assert_eq!(tls, all, "every connection of the ledger is encrypted");
}

#[tokio::test]
async fn prefer_and_require_encrypt_without_checking_the_certificate() {
    for mode in ["sslmode=prefer", "sslmode=require", "application_name=x"] {
        let ledger = connect(url("127.0.0.1", mode).await).await;
        assert!(ledger.is_ok(), "{mode}: {:?}", ledger.err());
    }
}

#[tokio::test]
async fn verify_full_refuses_a_host_the_certificate_does_not_name() {
    let why = unavailable(
        connect(
            url(
                "127.0.0.1",
                &format!("sslmode=verify-full&sslrootcert={CA}"),
            )
            .await,
        )
        .await,
    );
    assert!(why.contains("not valid for name"), "{why}");
    // verify-ca checks the chain only, as libpq's does.
    let ca = connect(url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={CA}")).await).await;
    assert!(ca.is_ok(), "{:?}", ca.err());
}

#[tokio::test]
async fn verification_refuses_a_certificate_from_another_ca() {
    // The public roots do not include the test CA.
    for params in ["sslrootcert=system", "sslmode=verify-ca&sslrootcert=system"] {
        let result = PostgresLedger::connect(&url("localhost", params).await, 2).await;
        if params.contains("verify-ca") {
            // libpq's rule: the public roots vouch only with the name check.
            assert!(unavailable(result).contains("verify-full"), "{params}");
            continue;
        }
        let why = unavailable(result);
        assert!(why.contains("UnknownIssuer"), "{params}: {why}");
    }
}

#[tokio::test]
async fn a_plain_connection_is_refused_by_a_tls_only_server() {
    let why = unavailable(connect(url("127.0.0.1", "sslmode=disable").await).await);
    assert!(why.contains("no encryption"), "{why}");
}

#[tokio::test]
async fn scram_binds_the_login_to_the_tls_channel() {
    tokio::task::spawn_blocking(server).await.unwrap();
    // `channel_binding=require` fails the login unless the server took the
    // binding this client computed from the certificate.
    let url = format!(
        "postgres://{SCRAM_ROLE}:{SCRAM_PASSWORD}@localhost:{}/{SCRAM_ROLE}\
         ?sslmode=require&channel_binding=require",
        server().port()
    );
    let ledger = PostgresLedger::connect(&url, 2).await;
    assert!(ledger.is_ok(), "{:?}", ledger.err());
    let wrong = url.replace(SCRAM_PASSWORD, "not-the-password");
    let why = unavailable(PostgresLedger::connect(&wrong, 2).await);
    assert!(why.contains("password"), "{why}");
}

/// `store.password_env`: the password comes from the environment, the URL
/// names none; an unset variable is named, never a value.
#[tokio::test]
async fn the_password_can_come_from_the_environment() {
    tokio::task::spawn_blocking(server).await.unwrap();
    let url = format!(
        "postgres://{SCRAM_ROLE}@localhost:{}/{SCRAM_ROLE}?sslmode=verify-full&sslrootcert={CA}",
        server().port()
    );
    let store = StoreConfig::Postgres {
        url,
        pool_size: 2,
        password: Some(SecretSource::Env("LEDGER_PG_PASSWORD".into())),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let env = MapEnv::default().with("LEDGER_PG_PASSWORD", SCRAM_PASSWORD);
    let ledger = open_ledger_in(&store, clock.clone(), &env).await;
    assert!(ledger.is_ok(), "{:?}", ledger.err());
    let unset = open_ledger_in(&store, clock.clone(), &MapEnv::default()).await;
    let why = unset.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(why.contains("LEDGER_PG_PASSWORD is not set"), "{why}");
    let wrong = MapEnv::default().with("LEDGER_PG_PASSWORD", "not-it");
    let why = open_ledger_in(&store, clock, &wrong)
        .await
        .err()
        .map(|e| e.to_string());
    let why = why.unwrap_or_default();
    assert!(
        why.contains("password authentication failed") && !why.contains("not-it"),
        "{why}"
    );
}

#[tokio::test]
async fn the_audit_and_open_ledger_read_the_same_url() {
    let url = url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={CA}"),
    )
    .await;
    let store = StoreConfig::Postgres {
        url,
        pool_size: 2,
        password: None,
    };
    open_ledger(&store).await.unwrap();
    let opts = AuditOptions {
        tz: chrono_tz::UTC,
        now: chrono::Utc::now(),
        grace_seconds: 600,
    };
    let report = verify(&store, &opts).await;
    assert!(report.is_ok(), "{:?}", report.err());
}

/// `sslcert`/`sslkey`: a role the server logs in by certificate (`cert` in
/// `pg_hba.conf`) holds with the client certificate, and is refused
/// without it.
#[tokio::test]
async fn a_client_certificate_logs_in_a_cert_role() {
    tokio::task::spawn_blocking(server).await.unwrap();
    let tls = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tls");
    let base = format!(
        "postgres://{CERT_ROLE}@localhost:{}/{CERT_ROLE}?sslmode=verify-full&sslrootcert={CA}",
        server().port()
    );
    let with_cert = format!("{base}&sslcert={tls}/client.pem&sslkey={tls}/client.key.pem");
    let ledger = connect(with_cert).await.unwrap();
    use heygen_gateway::ledger::Ledger;
    let d = ledger.hold(req("acme", credits(1), t0())).await.unwrap();
    assert!(matches!(d, HoldDecision::Held { .. }), "{d:?}");
    let dn = tokio::task::spawn_blocking(|| {
        server().psql(&format!(
            "SELECT DISTINCT s.client_dn FROM pg_stat_activity a JOIN pg_stat_ssl s \
             USING (pid) WHERE a.usename = '{CERT_ROLE}'"
        ))
    })
    .await
    .unwrap();
    assert_eq!(dn, "/CN=gw_cert", "the server saw the certificate");
    let why = unavailable(connect(base).await);
    assert!(why.contains("certificate"), "{why}");
}
