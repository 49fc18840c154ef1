//! A PostgreSQL server that hangs without going down: every process of it
//! stopped (`SIGSTOP`), so connections stay open and nothing answers, as
//! with a server stuck on its disk or its host. Thawed when the guard goes,
//! so a failing test does not leave a frozen server for the others.

use std::process::Command;

use super::PgServer;

/// Keeps the server frozen until dropped.
pub struct Frozen<'a> {
    server: &'a PgServer,
}

impl PgServer {
    /// Stops the postmaster and every backend with `SIGSTOP`.
    pub fn freeze(&self) -> Frozen<'_> {
        self.signal_all("STOP");
        Frozen { server: self }
    }

    fn signal_all(&self, signal: &str) {
        let pid_file = self.data_dir().join("postmaster.pid");
        let text = std::fs::read_to_string(&pid_file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", pid_file.display()));
        let pid = text.lines().next().unwrap_or_default().trim().to_owned();
        // The postmaster first, so it forks no new backend meanwhile.
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {pid} failed");
        let _ = Command::new("pkill")
            .args([&format!("-{signal}"), "-P", &pid])
            .status();
    }
}

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        self.server.signal_all("CONT");
    }
}
