//! The baseline proxy of `CMP_BASELINE=1 bench/compare.sh`: per request,
//! the same work as nginx's and the gateway's configuration in that bench
//! (the tenant key's SHA-256 looked up, 401 without it, the org key
//! injected, `Host` and `Connection` dropped, a keep-alive upstream), and
//! nothing else: no routing, metrics, rate limit, access log, timeouts or
//! connection caps. It answers "how fast could a proxy built like the
//! gateway be on this machine", not "how fast should the gateway be".
//!
//! Two builds of that work, chosen by `--mode`:
//! - `hyper` (default): hyper's HTTP/1 server and client connections, one
//!   pool of upstream connections per I/O thread; the gateway's design.
//! - `raw`: its own HTTP/1 on both sides (`httparse`), the upstream
//!   exchanged inside the client connection's task. Bench-only: it reads
//!   `Content-Length` answers and bodiless requests, nothing else.
//!
//! One current-thread runtime per core, each with its own `SO_REUSEPORT`
//! listener, as the gateway's `server.io_threads`.

mod hyper_mode;
mod raw_mode;

use std::net::SocketAddr;

use sha2::Digest;
use tokio::net::{TcpListener, TcpStream};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What every connection needs, leaked once: it lives as long as the process.
pub struct Setup {
    pub upstream: SocketAddr,
    /// `Host` for the upstream (its address as written).
    pub host: String,
    pub org_key: String,
    pub tenant_digest: [u8; 32],
}

impl Setup {
    /// Whether `key` is the tenant's (by digest, as the gateway keeps keys).
    pub fn is_tenant(&self, key: &[u8]) -> bool {
        sha2::Sha256::digest(key).as_slice() == self.tenant_digest
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Hyper,
    Raw,
}

const USAGE: &str = "usage: heygen-baseline-proxy --listen ADDR --upstream ADDR \
--tenant-sha256 HEX [--mode hyper|raw]  (the org key from HEYGEN_API_KEY)";

fn main() {
    if let Err(e) = run() {
        eprintln!("heygen-baseline-proxy: {e}\n{USAGE}");
        std::process::exit(64);
    }
}

fn run() -> Result<(), Error> {
    let (listen, setup, mode) = parse_args(std::env::args().skip(1))?;
    let setup: &'static Setup = Box::leak(Box::new(setup));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut handles = Vec::new();
    for _ in 0..threads {
        let listener = reuse_port_listener(listen)?;
        handles.push(std::thread::spawn(move || serve(listener, setup, mode)));
    }
    for h in handles {
        h.join().map_err(|_| "an I/O thread panicked")??;
    }
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(SocketAddr, Setup, Mode), Error> {
    let (mut listen, mut upstream, mut digest, mut mode) = (None, None, None, Mode::Hyper);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => listen = Some(value.parse::<SocketAddr>()?),
            "--upstream" => upstream = Some(value),
            "--tenant-sha256" => digest = Some(hex32(&value)?),
            "--mode" => {
                mode = match value.as_str() {
                    "hyper" => Mode::Hyper,
                    "raw" => Mode::Raw,
                    other => return Err(format!("unknown mode {other:?}").into()),
                }
            }
            other => return Err(format!("unknown flag {other:?}").into()),
        }
    }
    let host = upstream.ok_or("--upstream is required")?;
    let setup = Setup {
        upstream: host.parse()?,
        host,
        org_key: std::env::var("HEYGEN_API_KEY").map_err(|_| "HEYGEN_API_KEY is not set")?,
        tenant_digest: digest.ok_or("--tenant-sha256 is required")?,
    };
    Ok((listen.ok_or("--listen is required")?, setup, mode))
}

fn hex32(s: &str) -> Result<[u8; 32], Error> {
    let mut out = [0u8; 32];
    if s.len() != 64 || !s.is_ascii() {
        return Err("--tenant-sha256 takes 64 hex digits".into());
    }
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16)?;
    }
    Ok(out)
}

fn reuse_port_listener(addr: SocketAddr) -> Result<std::net::TcpListener, Error> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_port(true)?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

fn serve(listener: std::net::TcpListener, setup: &'static Setup, mode: Mode) -> Result<(), Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = TcpListener::from_std(listener)?;
        loop {
            let (client, _) = listener.accept().await?;
            client.set_nodelay(true)?;
            match mode {
                Mode::Hyper => tokio::task::spawn_local(hyper_mode::connection(client, setup)),
                Mode::Raw => tokio::task::spawn_local(raw_mode::connection(client, setup)),
            };
        }
    })
}

/// A new upstream connection, Nagle off as the gateway's.
pub async fn connect(setup: &Setup) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(setup.upstream).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}
