//! A throwaway PostgreSQL server for tests and benchmarks, started from the
//! machine's `initdb`/`pg_ctl` on a temporary directory and a free port.
//!
//! One server per test binary ([`PgServer::shared`]), a fresh database per
//! test ([`PgServer::create_database`]). If the server cannot be started the
//! caller panics with the reason: PostgreSQL tests never skip silently.
//!
//! Running as root (CI containers), every server command runs as the
//! `postgres` user via `runuser`, because PostgreSQL refuses to run as root.
//! A watchdog shell stops the server and deletes its directory when the
//! process that started it exits, since statics are never dropped.
#![allow(dead_code)]

#[path = "pg_freeze.rs"]
mod pg_freeze;
#[path = "pg_process.rs"]
mod pg_process;
#[path = "pg_tls.rs"]
mod pg_tls;
#[allow(unused_imports)] // only the ledger suite logs in with SCRAM
pub use pg_tls::{CERT_ROLE, SCRAM_PASSWORD, SCRAM_ROLE};

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use pg_process::{find_bin_dir, free_port, is_root, run_ok};

/// A running server; stopped (and its directory removed) on drop.
pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    durable: bool,
    next_db: AtomicU32,
}

impl PgServer {
    /// The server shared by every test of this binary, started on first use.
    pub fn shared() -> &'static PgServer {
        static SERVER: OnceLock<PgServer> = OnceLock::new();
        SERVER.get_or_init(PgServer::start)
    }

    /// Starts a new server without fsync (tests: speed over durability).
    /// Panics with the reason if that is impossible.
    pub fn start() -> PgServer {
        PgServer::start_with(false)
    }

    /// Starts a new server; `durable` keeps fsync on (benchmarks).
    pub fn start_with(durable: bool) -> PgServer {
        PgServer::init(durable).launch()
    }

    /// A new data directory (`initdb`), not started yet.
    fn init(durable: bool) -> PgServer {
        let bin = find_bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL tests need initdb and pg_ctl: not on PATH nor in \
                 /usr/lib/postgresql/*/bin (install the postgresql package)"
            )
        });
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("hg-pg-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir for PostgreSQL: {e}"))
            .keep();
        let server = PgServer {
            bin,
            dir,
            port: 0,
            as_postgres,
            durable,
            next_db: AtomicU32::new(0),
        };
        if as_postgres {
            run_ok(
                Command::new("chown")
                    .arg("-R")
                    .arg("postgres:")
                    .arg(&server.dir),
                "chown the PostgreSQL temp dir to user postgres (does the user exist?)",
            );
        }
        let data = server.data_dir();
        run_ok(
            &mut server.pg_cmd(
                "initdb",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-U".as_ref(),
                    "postgres".as_ref(),
                    "--auth=trust".as_ref(),
                    "--encoding=UTF8".as_ref(),
                    "--locale=C".as_ref(),
                    "--no-sync".as_ref(),
                ],
            ),
            "initdb",
        );
        server.spawn_watchdog();
        server
    }

    /// Starts an initialised server on a free port.
    fn launch(mut self) -> PgServer {
        let mut last_log = String::new();
        for _ in 0..5 {
            self.port = free_port();
            if self.try_start() {
                return self;
            }
            last_log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        }
        panic!("PostgreSQL did not start (pg_ctl start failed 5 times); server log:\n{last_log}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates an empty database and returns its URL.
    pub fn create_database(&self) -> String {
        let n = self.next_db.fetch_add(1, Ordering::SeqCst);
        let name = format!("t{n}");
        let port = self.port.to_string();
        run_ok(
            Command::new(self.bin.join("createdb")).args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                &name,
            ]),
            "createdb",
        );
        self.url(&name)
    }

    /// Stops the server (`pg_ctl stop -m fast`: clients are disconnected,
    /// the data stays) and waits until it is down; panics if it is not.
    pub fn stop(&self) {
        let data = self.data_dir();
        run_ok(
            &mut self.pg_cmd(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "stop".as_ref(),
                    "-m".as_ref(),
                    "fast".as_ref(),
                    "-w".as_ref(),
                ],
            ),
            "pg_ctl stop -m fast",
        );
    }

    /// Starts a server stopped by [`PgServer::stop`] again on the same port
    /// (clients keep their URL); panics with the server log if it cannot.
    pub fn restart(&self) {
        for _ in 0..20 {
            if self.try_start() {
                return;
            }
            // The port may linger for a moment after the stop.
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        panic!(
            "PostgreSQL did not start again on port {}; log:\n{log}",
            self.port
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .args(["-c", &self.stop_command()])
            .stdin(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server of the test's own (stopping or freezing it affects no other
/// test) and a fresh database's URL on it, made off the async threads.
pub async fn own_database() -> (std::sync::Arc<PgServer>, String) {
    tokio::task::spawn_blocking(|| {
        let server = std::sync::Arc::new(PgServer::start());
        let url = server.create_database();
        (server, url)
    })
    .await
    .expect("PostgreSQL setup panicked")
}

/// A fresh database on the binary's shared server, made off the async
/// threads (the first call starts the server: `initdb` blocks for seconds).
pub async fn database() -> String {
    tokio::task::spawn_blocking(|| PgServer::shared().create_database())
        .await
        .expect("PostgreSQL setup panicked")
}
