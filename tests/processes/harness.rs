//! Gateways as child processes: a config on fixed free ports, `serve`,
//! readiness by polling the admin `/readyz`, SIGKILL on drop.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use heygen_mock::MockHeygen;

use crate::common::{
    self, full, tenant_token, TestConfig, TestResponse, ADMIN_TOKEN, ORG_KEY, WEBHOOK_SECRET,
};

/// The binary under test, built by cargo for this test target.
const BIN: &str = env!("CARGO_BIN_EXE_heygen-gateway");

/// A 3 s silence scene: 30 s billed at 1 credit/min = 0.5 credits, and the
/// same 0.5 credits when settled at 10 s (also rounded up to 30 s).
pub const SILENCE_3S: &str = r#"{"video_inputs":[{"voice":{"type":"silence","duration":3.0}}]}"#;
/// What one [`SILENCE_3S`] video holds, in micro-credits.
pub const HOLD_MICROS: i64 = 500_000;
/// The path the load posts to.
pub const GENERATE: &str = "/v2/video/generate";

/// How long a child may take to answer `/readyz` (PostgreSQL migrations
/// and a loaded two-core machine included).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A gateway child process. Dropping it sends SIGKILL and reaps the child,
/// so a panicking test leaves no process behind.
pub struct GatewayProc {
    child: Child,
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    log: PathBuf,
}

impl GatewayProc {
    /// `http://ADDR{path}` on the tenant listener.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `http://ADMIN_ADDR{path}` on the admin listener.
    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.admin_addr)
    }

    /// SIGKILL (`Child::kill` on Unix) and reap: no drain, no cleanup.
    pub fn kill(&mut self) {
        self.kill_now();
    }

    /// SIGTERM (with `kill(1)`), then waits up to 30 s for a clean exit.
    pub fn stop(&mut self) {
        crate::common::signal(self.child.id(), "TERM");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                _ if std::time::Instant::now() > deadline => {
                    panic!("gateway did not stop within 30 s:\n{}", self.log_text())
                }
                _ => std::thread::sleep(Duration::from_millis(25)),
            }
        };
        assert!(
            status.success(),
            "stopped with {status}:\n{}",
            self.log_text()
        );
    }

    /// What the child wrote to stdout and stderr so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill_now(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `Ok` once `/readyz` answers 200; `Err(log)` if the child exited.
    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        let url = self.admin_url("/readyz");
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}:\n{}", self.log_text()));
            }
            if let Ok(r) = common::try_send("GET", &url, &[], full(""), false).await {
                // Still running: a 200 from a process that took our port
                // while this child failed to bind must not count.
                if r.status == 200 && matches!(self.child.try_wait(), Ok(None)) {
                    return Ok(());
                }
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "gateway not ready within {READY_TIMEOUT:?}; log:\n{}",
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for GatewayProc {
    fn drop(&mut self) {
        self.kill_now();
    }
}

/// A port that was free a moment ago (bound to 127.0.0.1:0, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot find a free port: {e}"))
}

/// One gateway deployment: its config (in its own temp dir, which also holds
/// the SQLite ledger) and the ports it last ran on, so it can be restarted
/// on the same ledger and the same config.
pub struct Node {
    cfg: Option<TestConfig>,
    ports: Option<(u16, u16)>,
    starts: usize,
}

impl Node {
    pub fn new(cfg: TestConfig) -> Node {
        Node {
            cfg: Some(cfg),
            ports: None,
            starts: 0,
        }
    }

    fn dir(&self) -> &Path {
        self.cfg.as_ref().unwrap().dir.path()
    }

    /// The config file `start` runs with (for CLI commands on its ledger).
    pub fn config_path(&self) -> PathBuf {
        self.dir().join("gateway.toml")
    }

    /// Changes the config and rewrites the file (same ports) for the next
    /// start, or for a CLI command on [`Node::config_path`].
    pub fn reconfigure(&mut self, f: impl FnOnce(TestConfig) -> TestConfig) {
        let cfg = f(self.cfg.take().unwrap());
        std::fs::write(cfg.dir.path().join("gateway.toml"), cfg.toml()).unwrap();
        self.cfg = Some(cfg);
    }

    /// Runs `serve --config FILE` and waits for `/readyz`. A restart reuses
    /// the previous ports; if a port was taken meanwhile (the child exits
    /// with "address in use"), fresh ones are picked and the start retried.
    pub async fn start(&mut self) -> GatewayProc {
        static LOGS: AtomicUsize = AtomicUsize::new(0);
        let mut last = String::new();
        for attempt in 0..6 {
            let (listen, admin) = match self.ports.filter(|_| attempt == 0) {
                Some(p) => p,
                None => loop {
                    let (a, b) = (free_port(), free_port());
                    if a != b {
                        break (a, b);
                    }
                },
            };
            let cfg = self.cfg.take().unwrap();
            let cfg = cfg
                .set("server", "listen", &format!("\"127.0.0.1:{listen}\""))
                .set("server", "admin_listen", &format!("\"127.0.0.1:{admin}\""));
            let config_path = cfg.dir.path().join("gateway.toml");
            std::fs::write(&config_path, cfg.toml()).unwrap();
            self.cfg = Some(cfg);
            self.starts += 1;
            let n = LOGS.fetch_add(1, Ordering::Relaxed);
            let log = self.dir().join(format!("gateway-{}-{n}.log", self.starts));
            let out = std::fs::File::create(&log).unwrap();
            let child = Command::new(BIN)
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
                .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
            let mut proc = GatewayProc {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], listen)),
                admin_addr: SocketAddr::from(([127, 0, 0, 1], admin)),
                log,
            };
            match proc.wait_ready().await {
                Ok(()) => {
                    self.ports = Some((listen, admin));
                    return proc;
                }
                Err(log) if log.contains("in use") => last = log,
                Err(log) => panic!("gateway failed to start: {log}"),
            }
        }
        panic!("gateway could not bind free ports in 6 attempts; last log:\n{last}");
    }
}

/// A config for `mock` with one tenant that may send as fast as the tests
/// need; `store` is a `postgres://` URL, or `None` for the SQLite default.
/// The poller is kept out of the way so only the tests settle jobs.
pub fn base_config(mock: &MockHeygen, store: Option<&str>) -> TestConfig {
    let cfg = TestConfig::for_mock(mock)
        .set("settlement", "poll_min_age_seconds", "86400")
        .tenant_limits("alpha", "requests_per_minute = 1000000, burst = 100000");
    match store {
        Some(url) => cfg.set("store", "url", &format!("{url:?}")),
        None => cfg,
    }
}

/// One billable `POST /v2/video/generate` ([`SILENCE_3S`]) as tenant alpha;
/// `Err` on transport failure (e.g. the gateway was killed).
pub async fn generate(gw_base: &str) -> Result<TestResponse, String> {
    let token = tenant_token("alpha");
    common::try_send(
        "POST",
        &format!("{gw_base}{GENERATE}"),
        &[("x-api-key", &token), ("content-type", "application/json")],
        full(SILENCE_3S),
        false,
    )
    .await
}

/// A GET on the admin API with the bearer token; panics unless 200.
pub async fn admin_get(gw: &GatewayProc, path_and_query: &str) -> TestResponse {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let r = common::send(
        "GET",
        &gw.admin_url(path_and_query),
        &[("authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "GET {path_and_query}: {}", r.text());
    r
}

/// Runs the binary with `args` and the harness's environment; its exit code
/// and everything it printed. Killed (and the test failed) if it does not
/// exit within a minute: a `serve` that started would never end.
pub fn run(args: &[&str], config: &Path) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = Command::new(BIN)
        .args(args)
        .arg("--config")
        .arg(config)
        .env("HEYGEN_API_KEY", ORG_KEY)
        .env("HEYGEN_GATEWAY_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("HEYGEN_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("HEYGEN_GATEWAY_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{}` did not exit within a minute", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = format!(
        "{}{}",
        std::fs::read_to_string(&out_path).unwrap_or_default(),
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    (status.code(), text)
}
