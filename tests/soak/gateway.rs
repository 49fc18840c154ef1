//! The gateway under soak as a child process: `serve --config FILE` on
//! free loopback ports, SIGHUP reloads, SIGTERM stop, `ledger verify`.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{signal, TestConfig, ADMIN_TOKEN, ORG_KEY, WEBHOOK_SECRET};

pub struct GatewayProc {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub config_path: PathBuf,
    pub log: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot find a free port: {e}"))
}

impl GatewayProc {
    /// Writes `cfg` (on fresh ports) and starts `bin serve` on it.
    pub fn spawn(bin: &Path, cfg: TestConfig) -> (GatewayProc, TestConfig) {
        let (listen, admin) = loop {
            let (a, b) = (free_port(), free_port());
            if a != b {
                break (a, b);
            }
        };
        let cfg = cfg
            .set("server", "listen", &format!("\"127.0.0.1:{listen}\""))
            .set("server", "admin_listen", &format!("\"127.0.0.1:{admin}\""));
        let config_path = cfg.dir.path().join("gateway.toml");
        std::fs::write(&config_path, cfg.toml()).unwrap();
        let log = cfg.dir.path().join("gateway.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .env("HEYGEN_API_KEY", ORG_KEY)
            .env("HEYGEN_GATEWAY_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("HEYGEN_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .env("HEYGEN_GATEWAY_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
        let pid = child.id();
        let proc = GatewayProc {
            child,
            pid,
            addr: SocketAddr::from(([127, 0, 0, 1], listen)),
            admin_addr: SocketAddr::from(([127, 0, 0, 1], admin)),
            config_path,
            log,
        };
        (proc, cfg)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.admin_addr)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls the admin `/readyz` until 200 (60 s at most).
    pub async fn wait_ready(&mut self) {
        let url = self.admin_url("/readyz");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.assert_running();
            if let Ok(r) =
                crate::common::try_send("GET", &url, &[], crate::common::full(""), false).await
            {
                if r.status == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "gateway not ready in 60 s; log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Panics with the log if the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("gateway exited with {status}; log:\n{}", self.log_text());
        }
    }

    /// Rewrites the config file with `cfg` and sends SIGHUP.
    pub fn reload(&mut self, cfg: &TestConfig) {
        std::fs::write(&self.config_path, cfg.toml()).unwrap();
        signal(self.pid, "HUP");
    }

    /// SIGTERM, then waits (bounded) for a clean exit.
    pub fn stop(&mut self) {
        signal(self.pid, "TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    assert!(
                        status.success(),
                        "gateway exited with {status}; log:\n{}",
                        self.log_text()
                    );
                    return;
                }
                _ if Instant::now() > deadline => {
                    panic!(
                        "gateway did not stop within 30 s; log:\n{}",
                        self.log_text()
                    )
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for GatewayProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `bin ledger verify --config FILE` when the binary has that
/// subcommand; `None` (with the reason) when it does not.
pub fn ledger_verify(bin: &Path, config: &Path) -> Option<Result<String, String>> {
    let probe = Command::new(bin)
        .args(["ledger", "verify", "--help"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    if !probe.status.success() {
        return None;
    }
    let out = Command::new(bin)
        .args(["ledger", "verify", "--config"])
        .arg(config)
        .env("HEYGEN_API_KEY", ORG_KEY)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    })
}
