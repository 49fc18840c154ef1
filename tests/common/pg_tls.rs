//! A throwaway PostgreSQL server that takes TLS connections only: the test
//! CA's `localhost` certificate (`tests/data/tls`), `hostssl` lines alone
//! in `pg_hba.conf`, a password role for SCRAM over TLS, and a role that
//! logs in by client certificate (the test client CA's `CN=gw_cert`).

use std::path::Path;
use std::process::Command;

use super::pg_process::run_ok;
use super::PgServer;

/// The role [`PgServer::start_tls`] makes, which logs in with SCRAM.
pub const SCRAM_ROLE: &str = "gw_scram";
pub const SCRAM_PASSWORD: &str = "pw-for-scram";
/// The role that logs in with the client certificate `tests/data/tls/client.pem`.
pub const CERT_ROLE: &str = "gw_cert";

/// Who may connect: `postgres` over TLS without a password, the SCRAM
/// role over TLS with one, the certificate role with a client certificate
/// the client CA signed for its name, nobody without TLS.
const HBA: &str = "\
local all all trust
hostssl all postgres 127.0.0.1/32 trust
hostssl all postgres ::1/128 trust
hostssl all gw_scram 127.0.0.1/32 scram-sha-256
hostssl all gw_scram ::1/128 scram-sha-256
hostssl all gw_cert 127.0.0.1/32 cert
hostssl all gw_cert ::1/128 cert
host all all 0.0.0.0/0 reject
host all all ::/0 reject
";

impl PgServer {
    /// Starts a TLS-only server (no fsync) with [`SCRAM_ROLE`] owning a
    /// database of the same name; panics with the reason if it cannot.
    pub fn start_tls() -> PgServer {
        let server = PgServer::init(false);
        let data = server.data_dir();
        let tls = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls");
        for (from, to) in [
            ("leaf.pem", "server.crt"),
            ("leaf.key.pem", "server.key"),
            ("client-ca.pem", "client-ca.crt"),
        ] {
            std::fs::copy(tls.join(from), data.join(to))
                .unwrap_or_else(|e| panic!("cannot copy {from} into the data dir: {e}"));
        }
        std::fs::write(data.join("pg_hba.conf"), HBA).expect("write pg_hba.conf");
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("read postgresql.conf");
        text.push_str(
            "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n\
             ssl_ca_file = 'client-ca.crt'\n",
        );
        std::fs::write(&conf, text).expect("write postgresql.conf");
        if server.as_postgres {
            let owned = [
                data.join("server.crt"),
                data.join("server.key"),
                data.join("client-ca.crt"),
                data.join("pg_hba.conf"),
            ];
            run_ok(
                Command::new("chown").arg("postgres:").args(&owned),
                "chown the TLS files to user postgres",
            );
        }
        // PostgreSQL refuses a key others can read.
        run_ok(
            Command::new("chmod")
                .arg("600")
                .arg(data.join("server.key")),
            "chmod the server key",
        );
        let server = server.launch();
        server.psql(&format!(
            "CREATE ROLE {SCRAM_ROLE} LOGIN PASSWORD '{SCRAM_PASSWORD}'"
        ));
        server.psql(&format!("CREATE DATABASE {SCRAM_ROLE} OWNER {SCRAM_ROLE}"));
        server.psql(&format!("CREATE ROLE {CERT_ROLE} LOGIN"));
        server.psql(&format!("CREATE DATABASE {CERT_ROLE} OWNER {CERT_ROLE}"));
        server
    }

    /// Runs `sql` as `postgres` on the local socket (no TLS needed there).
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
            ])
            .arg("-h")
            .arg(&self.dir)
            .args(["-p", &self.port.to_string(), "-d", "postgres", "-c", sql])
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}
