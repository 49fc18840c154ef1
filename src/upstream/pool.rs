//! The keep-alive pool under the upstream client: hyper's own connections
//! (`hyper::client::conn`), HTTP/1.1 or HTTP/2 as ALPN decides, reused per
//! target host.
//!
//! Why not hyper-util's legacy `Client`: a profile of a free read spent a
//! tenth of the gateway's CPU in it. Per request it clones the connector and
//! builds a connect future it rarely uses, takes the pool's lock twice,
//! formats the `Host` header, and for HTTP/1.1 spawns a task that waits for
//! the connection to be free again. Here a checkout is one uncontended lock
//! and a pop, `Host` is made once per host, and an HTTP/1.1 connection goes
//! back to the pool from its response body, when the body ends.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::{HeaderValue, Request, Response, Uri};
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::{Connection, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::body::{GiveBack, UpBody};
use crate::config::BaseUrl;
use crate::http::{Body, BoxError};

pub(super) type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// Idle HTTP/1.1 connections kept per host.
const MAX_IDLE: usize = 256;

/// A host the pool connects to, with what its requests need precomputed.
#[derive(Clone, Debug)]
pub(super) struct Target {
    pub(super) base: BaseUrl,
    /// The `Host` header of HTTP/1.1 requests.
    pub(super) host: HeaderValue,
    /// Which of the pool's slots keeps this host's connections.
    slot: usize,
}

impl Target {
    pub(super) fn new(base: &BaseUrl, slot: usize) -> Result<Target, BoxError> {
        // The scheme's own port is left out, as clients write `Host`.
        let a = &base.authority;
        let host = match (base.scheme.as_str(), a.port_u16()) {
            ("https", Some(443)) | ("http", Some(80)) => a.host(),
            _ => a.as_str(),
        };
        Ok(Target {
            host: HeaderValue::from_str(host)?,
            base: base.clone(),
            slot,
        })
    }
}

/// Why a request got no response head.
pub(super) enum SendError {
    /// No connection could be made, or the request was not written to one:
    /// HeyGen never saw it.
    NotSent(BoxError),
    /// Written (maybe in part), then failed: HeyGen may have acted on it.
    Failed(hyper::Error),
}

/// One keep-alive pool (see `Upstream`: one per I/O thread).
pub(super) struct Pool {
    connector: Connector,
    idle: Mutex<Vec<Slot>>,
    idle_timeout: Duration,
    /// Whether the task closing idle connections runs (started with the
    /// first connection, on the runtime that made it).
    reaping: AtomicBool,
}

#[derive(Default)]
struct Slot {
    /// Free HTTP/1.1 connections, oldest first, with when each was freed.
    h1: VecDeque<(http1::SendRequest<Body>, Instant)>,
    /// The host's HTTP/2 connection, shared by concurrent requests, with
    /// when a request last took it.
    h2: Option<(http2::SendRequest<Body>, Instant)>,
}

enum Conn {
    H1(http1::SendRequest<Body>),
    H2(http2::SendRequest<Body>),
}

impl Pool {
    pub(super) fn new(connector: Connector, slots: usize, idle_timeout: Duration) -> Pool {
        Pool {
            connector,
            idle: Mutex::new((0..slots).map(|_| Slot::default()).collect()),
            idle_timeout,
            reaping: AtomicBool::new(false),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        // The lock guards no invariant a panic could break.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `req` (its URI only a path and query) to `t`. A request that
    /// a reused connection refused before writing it (HeyGen closed the
    /// connection while it was idle) is sent once more on a new one.
    pub(super) async fn send(
        self: &Arc<Self>,
        t: &Target,
        req: Request<Body>,
    ) -> Result<Response<UpBody>, SendError> {
        // Connecting is rare and its future large (the TLS and HTTP/2
        // handshakes', ~6 KB): boxed, or every request's future, which holds
        // this one and is allocated and copied whole, would carry it.
        let (conn, reused) = match self.checkout(t.slot) {
            Some(c) => (c, true),
            None => (Box::pin(self.connect(t)).await?, false),
        };
        match self.try_send(t, conn, req).await {
            Err((Some(req), _)) if reused => {
                let conn = Box::pin(self.connect(t)).await?;
                self.try_send(t, conn, req).await.map_err(|(_, e)| e)
            }
            r => r.map_err(|(_, e)| e),
        }
    }

    fn checkout(&self, slot: usize) -> Option<Conn> {
        let mut slots = self.slots();
        let s = slots.get_mut(slot)?;
        if let Some((h2, used)) = &mut s.h2 {
            if h2.is_ready() {
                *used = Instant::now();
                return Some(Conn::H2(h2.clone()));
            }
            s.h2 = None;
        }
        // The newest first: if it has idled too long, so have the rest.
        while let Some((tx, since)) = s.h1.pop_back() {
            if since.elapsed() > self.idle_timeout {
                s.h1.clear();
                return None;
            }
            if tx.is_ready() {
                return Some(Conn::H1(tx));
            }
        }
        None
    }

    /// Whether every idle HTTP/1.1 connection of `slot` has closed.
    #[cfg(test)]
    pub(super) fn idle_all_closed(&self, slot: usize) -> bool {
        self.slots()[slot].h1.iter().all(|(tx, _)| tx.is_closed())
    }

    /// Returns a free HTTP/1.1 connection.
    pub(super) fn put(&self, slot: usize, tx: http1::SendRequest<Body>) {
        let mut slots = self.slots();
        if let Some(s) = slots.get_mut(slot).filter(|s| s.h1.len() < MAX_IDLE) {
            s.h1.push_back((tx, Instant::now()));
        }
    }

    /// Drops connections idle past the timeout (closing them: HeyGen's
    /// end is not kept waiting) and those HeyGen closed.
    fn reap(&self) {
        let timeout = self.idle_timeout;
        for s in self.slots().iter_mut() {
            s.h1.retain(|(tx, since)| since.elapsed() <= timeout && !tx.is_closed());
            if s.h2
                .as_ref()
                .is_some_and(|(tx, used)| used.elapsed() > timeout || tx.is_closed())
            {
                // Requests still on it keep it open until they finish.
                s.h2 = None;
            }
        }
    }

    /// Starts the task that reaps idle connections every half timeout; it
    /// ends with the pool.
    fn start_reaper(self: &Arc<Self>) {
        if self.reaping.swap(true, Ordering::Relaxed) {
            return;
        }
        let pool = Arc::downgrade(self);
        let every = (self.idle_timeout / 2).max(Duration::from_millis(10));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match pool.upgrade() {
                    Some(pool) => pool.reap(),
                    None => return,
                }
            }
        });
    }

    async fn connect(self: &Arc<Self>, t: &Target) -> Result<Conn, SendError> {
        self.start_reaper();
        let uri = Uri::builder()
            .scheme(t.base.scheme.clone())
            .authority(t.base.authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|e| SendError::NotSent(e.into()))?;
        let io = tower::ServiceExt::oneshot(self.connector.clone(), uri)
            .await
            .map_err(SendError::NotSent)?;
        let not_sent = |e: hyper::Error| SendError::NotSent(e.into());
        if io.connected().is_negotiated_h2() {
            let (tx, conn) = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .handshake(io)
                .await
                .map_err(not_sent)?;
            tokio::spawn(drive(conn));
            if let Some(s) = self.slots().get_mut(t.slot) {
                s.h2 = Some((tx.clone(), Instant::now()));
            }
            Ok(Conn::H2(tx))
        } else {
            let (tx, conn) = http1::handshake(io).await.map_err(not_sent)?;
            tokio::spawn(drive(conn));
            Ok(Conn::H1(tx))
        }
    }

    /// Sends on one connection; the request comes back with the error when
    /// it was not written.
    async fn try_send(
        self: &Arc<Self>,
        t: &Target,
        conn: Conn,
        mut req: Request<Body>,
    ) -> Result<Response<UpBody>, (Option<Request<Body>>, SendError)> {
        let failed =
            |mut e: hyper::client::conn::TrySendError<Request<Body>>| match e.take_message() {
                Some(req) => (Some(req), SendError::NotSent(e.into_error().into())),
                None => (None, SendError::Failed(e.into_error())),
            };
        match conn {
            Conn::H1(mut tx) => {
                req.headers_mut().insert(http::header::HOST, t.host.clone());
                let resp = tx.try_send_request(req).await.map_err(failed)?;
                let back = GiveBack {
                    tx,
                    pool: self.clone(),
                    slot: t.slot,
                };
                Ok(resp.map(|body| UpBody::new(body, Some(back))))
            }
            Conn::H2(mut tx) => {
                // HTTP/2 names the host in `:authority`, from an absolute URI.
                let mut parts = std::mem::take(req.uri_mut()).into_parts();
                parts.scheme = Some(t.base.scheme.clone());
                parts.authority = Some(t.base.authority.clone());
                *req.uri_mut() =
                    Uri::from_parts(parts).map_err(|e| (None, SendError::NotSent(e.into())))?;
                req.headers_mut().remove(http::header::HOST);
                let resp = tx.try_send_request(req).await.map_err(failed)?;
                Ok(resp.map(|body| UpBody::new(body, None)))
            }
        }
    }
}

/// Runs one connection until it closes.
async fn drive<F: std::future::Future<Output = hyper::Result<()>>>(conn: F) {
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "Upstream connection ended with an error.");
    }
}
