//! A mock HeyGen upstream for tests, benchmarks and trying the gateway
//! without a HeyGen account.
//!
//! It serves the v1/v2/v3 endpoints the gateway prices and settles with
//! HeyGen's real envelopes (`docs: shared/reference/heygen-api.md`), rejects
//! every key but the org key with HeyGen's 401 bodies, records what it
//! received, keeps job state that tests drive through [`MockControl`],
//! honours `Idempotency-Key` on v3 POSTs as HeyGen does, and injects faults
//! (latency, 5xx, 429, resets, hangs, answers cut off or late).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use heygen_mock::{MockConfig, MockHeygen};
//! let mock = MockHeygen::start(MockConfig::new("sk_org_key")).await?;
//! println!("HeyGen at {}", mock.url());
//! mock.set_auto_complete(Some(12.5));
//! # Ok(()) }
//! ```

// The API is what tests, benches and the gateway's `mock-upstream` command
// call; everything else stays crate-private, and this lint keeps that honest.
#![warn(unreachable_pub)]

mod agents;
mod batches;
pub mod connect_proxy;
mod control;
mod envelope;
mod faults;
mod gzip;
mod idem;
mod listen;
mod lists;
pub mod liveavatar;
pub mod media;
mod resources;
mod routes;
mod server;
mod state;
mod status;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use control::MockControl;
pub use faults::FaultControl;
pub use state::{Job, JobKind, JobStatus, ReceivedRequest, Upload};
pub use webhook::{send_webhook, sign};

/// Remaining quota reported by default: 1,000 credits (60 units per credit).
pub const DEFAULT_REMAINING_QUOTA: u64 = 60_000;

/// How to start a mock.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Where to listen; port 0 lets the OS choose.
    pub listen: SocketAddr,
    /// The only `X-Api-Key` accepted.
    pub org_key: String,
    /// What `GET /v2/user/remaining_quota` reports (quota units, 60 per credit).
    pub remaining_quota: u64,
    /// Complete jobs at creation with this duration (seconds).
    pub auto_complete: Option<f64>,
    /// Keep every request received for [`MockControl::requests`] (on by
    /// default). A mock only reached over HTTP (the `mock-upstream`
    /// command) has no one to read them: recording there only grows its
    /// memory with every request, and the growing list's reallocations,
    /// made under the state lock, stalled every request in flight.
    pub record_requests: bool,
    /// Serve HTTPS instead, offering HTTP/2 and HTTP/1.1 over ALPN, as
    /// HeyGen's hosts do (`None`: plain HTTP/1.1 and h2c).
    pub tls: Option<MockTls>,
}

/// The certificate an HTTPS mock presents.
#[derive(Debug, Clone)]
pub struct MockTls {
    /// DER certificates, the mock's own first.
    pub cert_chain: Vec<Vec<u8>>,
    /// The certificate's PKCS#8 private key, DER.
    pub key: Vec<u8>,
    /// The host name its certificate is for: what [`MockHeygen::url`] names.
    pub host: String,
}

impl MockConfig {
    /// Loopback on an OS-chosen port, accepting `org_key`.
    pub fn new(org_key: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            org_key: org_key.into(),
            remaining_quota: DEFAULT_REMAINING_QUOTA,
            auto_complete: None,
            record_requests: true,
            tls: None,
        }
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        Self::new("mock-org-key")
    }
}

/// A running mock. Dereferences to [`MockControl`] (clone that to drive the
/// mock from other tasks). Stops serving when dropped.
pub struct MockHeygen {
    addr: SocketAddr,
    control: MockControl,
    shutdown_tx: watch::Sender<bool>,
    accept_task: Option<JoinHandle<()>>,
}

impl MockHeygen {
    /// Binds `config.listen` and serves HTTP/1.1 and h2c (or HTTPS, see
    /// [`MockConfig::tls`]) in spawned tasks.
    pub async fn start(config: MockConfig) -> std::io::Result<MockHeygen> {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let (acceptor, base) = match &config.tls {
            Some(tls) => (
                Some(listen::tls_acceptor(tls)?),
                format!("https://{}:{}", tls.host, addr.port()),
            ),
            None => (None, format!("http://{addr}")),
        };
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(state::Shared {
            org_key: config.org_key,
            base,
            record_requests: config.record_requests,
            inner: std::sync::Mutex::new(state::Inner {
                requests: Vec::new(),
                jobs: Vec::new(),
                batches: Vec::new(),
                batch_page_limit: None,
                uploads: Vec::new(),
                faults: faults::Faults::default(),
                auto_complete: config.auto_complete,
                remaining_quota: config.remaining_quota,
                agent_video_id_later: false,
                agent_revisions_render: true,
                voices: Vec::new(),
                details: std::collections::HashMap::new(),
                idem: Default::default(),
                gzip: false,
            }),
            shutdown: shutdown_rx,
            faults_changed: tokio::sync::Notify::new(),
        });
        let accept_task = tokio::spawn(listen::accept_loop(listener, acceptor, shared.clone()));
        Ok(MockHeygen {
            addr,
            control: MockControl { shared },
            shutdown_tx,
            accept_task: Some(accept_task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, or `https://HOST:PORT` when serving TLS
    /// (no trailing slash).
    pub fn url(&self) -> String {
        self.control.shared.base.clone()
    }

    /// A cloneable handle to the control API.
    pub fn control(&self) -> MockControl {
        self.control.clone()
    }

    /// Stops accepting, closes open connections and waits for the accept loop.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(task) = self.accept_task.take() {
            let _ = task.await;
        }
    }
}

impl std::ops::Deref for MockHeygen {
    type Target = MockControl;
    fn deref(&self) -> &MockControl {
        &self.control
    }
}

impl Drop for MockHeygen {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(task) = self.accept_task.take() {
            task.abort();
        }
    }
}
