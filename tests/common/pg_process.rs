//! How the throwaway server's processes are run: the server commands (as
//! user `postgres` when root), `pg_ctl start`, the watchdog and the stop
//! command; and the host's tools: finding `initdb`/`pg_ctl`, telling root,
//! a free port, a command that must succeed.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::PgServer;

impl PgServer {
    pub(super) fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A server command, as user postgres when running as root.
    pub(super) fn pg_cmd(&self, tool: &str, args: &[&std::ffi::OsStr]) -> Command {
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

    pub(super) fn try_start(&self) -> bool {
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
    pub(super) fn spawn_watchdog(&self) {
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

    pub(super) fn stop_command(&self) -> String {
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

pub(super) fn find_bin_dir() -> Option<PathBuf> {
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

pub(super) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub(super) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot find a free port for PostgreSQL: {e}"))
}

pub(super) fn run_ok(cmd: &mut Command, what: &str) {
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
