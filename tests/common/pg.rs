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

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

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
        let mut server = PgServer {
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
        let mut last_log = String::new();
        for _ in 0..5 {
            server.port = free_port();
            if server.try_start() {
                return server;
            }
            last_log = std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
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

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A server command, as user postgres when running as root.
    fn pg_cmd(&self, tool: &str, args: &[&std::ffi::OsStr]) -> Command {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        // The caller's directory may not be readable by user postgres.
        cmd.args(args).current_dir(&self.dir);
        cmd
    }

    fn try_start(&self) -> bool {
        let sync = if self.durable {
            ""
        } else {
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        };
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300{sync}",
            self.port,
            self.dir.display()
        );
        let data = self.data_dir();
        let log = self.dir.join("server.log");
        let status = self
            .pg_cmd(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-l".as_ref(),
                    log.as_os_str(),
                    "-o".as_ref(),
                    opts.as_ref(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "60".as_ref(),
                    "start".as_ref(),
                ],
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        matches!(status, Ok(s) if s.success())
    }

    /// Stops the server and removes its directory (on drop and, for the
    /// shared server, by the watchdog at process exit).
    fn spawn_watchdog(&self) {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop}; rm -rf '{dir}'",
            pid = std::process::id(),
            stop = self.stop_command(),
            dir = self.dir.display(),
        );
        // Detached, with no inherited pipes, so nothing waits for it.
        let _ = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }

    fn stop_command(&self) -> String {
        let pg_ctl = format!(
            "'{}' -D '{}' stop -m immediate -w",
            self.bin.join("pg_ctl").display(),
            self.data_dir().display()
        );
        if self.as_postgres {
            format!("runuser -u postgres -- {pg_ctl} >/dev/null 2>&1")
        } else {
            format!("{pg_ctl} >/dev/null 2>&1")
        }
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

fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(d) = std::env::split_paths(&path).find(|d| has_tools(d)) {
            // Resolve symlinks (Debian links into /usr/lib/postgresql/N/bin)
            // so sibling tools like createdb are found next to initdb.
            let real = std::fs::canonicalize(d.join("initdb")).ok();
            return real
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .filter(|d| has_tools(d))
                .or(Some(d));
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| has_tools(d))
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot find a free port for PostgreSQL: {e}"))
}

fn run_ok(cmd: &mut Command, what: &str) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    if !out.status.success() {
        panic!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
