//! Target `http_head`: raw bytes as a client would send them on a tenant
//! connection, served in-process (over `tokio::io::duplex`, no sockets) by
//! the listener's connection loop (`server::h1`, which hands what it does
//! not take to hyper) with the gateway's full tenant stack (`stack::tenant_service`:
//! admission, auth, limits, pricing, ledger, forwarding) in front of the
//! in-process mock HeyGen. HTTP/1.1 and h2c prior knowledge, as the listener
//! serves them.
//!
//! Checked: the connection always finishes (the client half-closes after
//! its bytes), and no response is a 500 (a 500 is how a caught panic or an
//! internal error surfaces; under libFuzzer a panic aborts anyway).

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use heygen_gateway::clock::SystemClock;
use heygen_gateway::config::{Config, MapEnv};
use heygen_gateway::conn::{ConnConfig, IdleTracker};
use heygen_gateway::lane::Lane;
use heygen_gateway::server::{h1, per_connection, RunningGateway, StartOptions};
use heygen_gateway::stack::tenant_service;
use heygen_mock::{MockConfig, MockHeygen};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The tenant key seeds use (`Authorization: Bearer …` / `X-Api-Key`).
pub const TENANT_TOKEN: &str = "hgw_fuzz_tenant_5f3c9a1e7d2b4c6a8e0f1d3b5a7c9e2f";
const ORG_KEY: &str = "sk_fuzz_org_key_0123456789";
const WEBHOOK_SECRET: &str = "whsec_fuzz_0123456789abcdef";
/// Generous: a finished exchange takes milliseconds; only a hang hits it.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(30);

/// The tenant stack, boxed so the fixture can name its type.
type TenantService = tower::util::BoxCloneSyncService<
    http::Request<heygen_gateway::conn::ReqBody>,
    http::Response<heygen_gateway::http::Body>,
    std::convert::Infallible,
>;

struct Fixture {
    rt: tokio::runtime::Runtime,
    service: TenantService,
    /// The tenant listener's fast lane, as the listener offers it heads.
    lane: Arc<Lane>,
    // Kept alive for the process: the listeners, the mock and the ledger.
    _gateway: RunningGateway,
    _mock: MockHeygen,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| match start() {
        Ok(f) => f,
        Err(e) => panic!("fuzz fixture failed to start: {e:#}"),
    })
}

fn start() -> anyhow::Result<Fixture> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let (mock, gateway) = rt.block_on(async {
        let mut mc = MockConfig::new(ORG_KEY);
        mc.auto_complete = Some(10.0);
        let mock = MockHeygen::start(mc).await?;
        let config = Config::from_toml(&config_toml(&mock.url(), dir.path()))
            .map_err(|e| anyhow::anyhow!("fuzz config: {e}"))?;
        let env = MapEnv::default()
            .with("HEYGEN_API_KEY", ORG_KEY)
            .with("HEYGEN_WEBHOOK_SECRET", WEBHOOK_SECRET);
        let opts = StartOptions {
            env: Arc::new(env),
            clock: Arc::new(SystemClock),
            registry: prometheus::Registry::new(),
            config_path: None,
        };
        let gateway = RunningGateway::start(config, opts).await?;
        anyhow::Ok((mock, gateway))
    })?;
    let service = TenantService::new(tenant_service(gateway.state.clone()));
    let lane = Arc::new(Lane::new(gateway.state.clone()));
    Ok(Fixture {
        rt,
        service,
        lane,
        _gateway: gateway,
        _mock: mock,
        _dir: dir,
    })
}

fn config_toml(mock_url: &str, dir: &std::path::Path) -> String {
    let hash = hex::encode(Sha256::digest(TENANT_TOKEN.as_bytes()));
    let db = dir.join("ledger.db");
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"

[upstream]
api_url = "{mock_url}"
upload_url = "{mock_url}"
api_key_env = "HEYGEN_API_KEY"

[store]
url = "sqlite://{db}"

[webhooks]
secret_env = "HEYGEN_WEBHOOK_SECRET"

[metrics]
quota_poll_seconds = 0

[settlement]
poll_min_age_seconds = 86400

[[tenants]]
id = "fuzz"
name = "Fuzz"
keys = ["sha256:{hash}"]
limits = {{ requests_per_minute = 100000000, burst = 10000000 }}
"#,
        db = db.display()
    )
}

pub fn run(data: &[u8]) {
    check(&serve_bytes(data));
}

/// Everything the gateway writes back on a connection that sent `data`.
pub fn serve_bytes(data: &[u8]) -> Vec<u8> {
    let f = fixture();
    let out = f.rt.block_on(async {
        tokio::time::timeout(
            EXCHANGE_LIMIT,
            exchange(f.service.clone(), f.lane.clone(), data),
        )
        .await
    });
    match out {
        Ok(out) => out,
        Err(_) => {
            panic!("connection did not finish within {EXCHANGE_LIMIT:?} after the client closed")
        }
    }
}

/// Serves one connection that receives `data` then a half-close, and
/// returns every byte the server wrote.
async fn exchange(service: TenantService, lane: Arc<Lane>, data: &[u8]) -> Vec<u8> {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let peer = SocketAddr::from(([127, 0, 0, 1], 40_000));
    // The listener's own per-connection service: timed bodies, the peer
    // address, activity tracking, the stack called in place.
    let cfg = ConnConfig {
        body_read_timeout: Duration::from_secs(5),
        body_min_rate: 0,
        ..ConnConfig::default()
    };
    let svc = per_connection(service, peer, IdleTracker::new(), &cfg);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .half_close(true)
        .header_read_timeout(Duration::from_secs(5))
        .max_buf_size(16 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(16);
    let opts = h1::Options {
        hyper: Arc::new(builder),
        max_head: 16 * 1024,
        half_close: true,
        lane: Some(lane),
    };
    let conn = h1::serve(server, svc, opts);
    let (mut rd, mut wr) = tokio::io::split(client);
    let write = async move {
        // The server may close early (e.g. after a 400); that is fine.
        let _ = wr.write_all(data).await;
        let _ = wr.shutdown().await;
    };
    let read = async move {
        let mut out = Vec::new();
        let _ = rd.read_to_end(&mut out).await;
        out
    };
    let serve = async move {
        let _ = conn.await;
    };
    let ((), out, ()) = tokio::join!(write, read, serve);
    out
}

fn check(out: &[u8]) {
    let text = String::from_utf8_lossy(out);
    for line in text.split("\r\n").filter(|l| l.starts_with("HTTP/1.")) {
        assert!(
            line.get(9..12) != Some("500"),
            "the gateway answered {line:?}; full output:\n{text}"
        );
    }
}
