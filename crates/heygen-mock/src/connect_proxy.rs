//! A forward proxy on loopback that speaks HTTP `CONNECT`, for testing a
//! client configured with `upstream.proxy_url`: it records each request's
//! target and `Proxy-Authorization`, and answers as its policy says (a
//! tunnel, a refusal, or nothing at all).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the proxy answers one `CONNECT`.
#[derive(Clone, Copy, Debug)]
pub enum ProxyAnswer {
    /// `200 Connection established`, then bytes copied both ways.
    Tunnel,
    /// This response head, then the connection closed.
    Refuse(&'static str),
    /// Nothing, ever (a proxy that hangs).
    Silent,
}

/// The answer for a request carrying this `Proxy-Authorization` (if any).
type Policy = Arc<dyn Fn(Option<&str>) -> ProxyAnswer + Send + Sync>;

/// One `CONNECT` the proxy was asked: its target and `Proxy-Authorization`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    pub target: String,
    pub authorization: Option<String>,
}

/// A running proxy; it stops with the test's runtime.
pub struct ConnectProxy {
    addr: SocketAddr,
    tunnels: Arc<AtomicUsize>,
    asked: Arc<Mutex<Vec<Asked>>>,
}

impl ConnectProxy {
    /// Starts a proxy that answers every request with `policy`'s answer.
    pub async fn start(
        policy: impl Fn(Option<&str>) -> ProxyAnswer + Send + Sync + 'static,
    ) -> std::io::Result<ConnectProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let proxy = ConnectProxy {
            addr: listener.local_addr()?,
            tunnels: Arc::default(),
            asked: Arc::default(),
        };
        let policy: Policy = Arc::new(policy);
        let (tunnels, asked) = (proxy.tunnels.clone(), proxy.asked.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (p, t, a) = (policy.clone(), tunnels.clone(), asked.clone());
                tokio::spawn(serve(tcp, p, t, a));
            }
        });
        Ok(proxy)
    }

    /// `http://{userinfo}127.0.0.1:PORT` (`userinfo` is `""` or `user:pass@`).
    pub fn url(&self, userinfo: &str) -> String {
        format!("http://{userinfo}{}", self.addr)
    }

    /// Tunnels opened so far.
    pub fn tunnels(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }

    /// Every `CONNECT` so far, in order.
    pub fn asked(&self) -> Vec<Asked> {
        self.asked.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

async fn serve(
    mut tcp: TcpStream,
    policy: Policy,
    tunnels: Arc<AtomicUsize>,
    asked: Arc<Mutex<Vec<Asked>>>,
) {
    // Byte by byte: what follows the head is the client's, for the tunnel.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        match tcp.read_u8().await {
            Ok(b) => head.push(b),
            Err(_) => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.split("\r\n");
    let request: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    let ["CONNECT", target, "HTTP/1.1"] = request[..] else {
        let _ = tcp
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            .await;
        return;
    };
    let authorization = lines.find_map(|l| {
        let (name, value) = l.split_once(": ")?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.to_owned())
    });
    let answer = policy(authorization.as_deref());
    if let Ok(mut a) = asked.lock() {
        a.push(Asked {
            target: target.to_owned(),
            authorization,
        });
    }
    match answer {
        ProxyAnswer::Tunnel => {
            let Ok(mut host) = TcpStream::connect(target).await else {
                return;
            };
            tunnels.fetch_add(1, Ordering::SeqCst);
            let established = b"HTTP/1.1 200 Connection established\r\n\r\n";
            if tcp.write_all(established).await.is_ok() {
                let _ = tokio::io::copy_bidirectional(&mut tcp, &mut host).await;
            }
        }
        ProxyAnswer::Refuse(head) => {
            let _ = tcp.write_all(head.as_bytes()).await;
        }
        ProxyAnswer::Silent => std::future::pending().await,
    }
}
