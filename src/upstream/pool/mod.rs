//! The keep-alive pool under the upstream client: HTTP/1.1 (hyper's own
//! connections, `hyper::client::conn`) or HTTP/2 (`h2conn`) as ALPN
//! decides, reused per target host.
//!
//! Why not hyper-util's legacy `Client`: a profile of a free read spent a
//! tenth of the gateway's CPU in it. Per request it clones the connector and
//! builds a connect future it rarely uses, takes the pool's lock twice,
//! formats the `Host` header, and for HTTP/1.1 spawns a task that waits for
//! the connection to be free again. Here a checkout is one uncontended lock
//! and a pop, `Host` is made once per host, and an HTTP/1.1 connection goes
//! back to the pool from its response body, when the body ends.
//!
//! Sending (connecting, handing a request to a connection, and what each
//! failure means for whether HeyGen saw it) is in `exchange`; bodiless
//! reads from a plain `http://` host skip hyper's connection task (`plain`),
//! and HTTP/2 runs each request in its own task (`h2conn`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::HeaderValue;
use hyper::client::conn::http1;

use crate::config::BaseUrl;
use crate::http::{Body, BoxError};

pub(super) type Connector = hyper_rustls::HttpsConnector<super::tunnel::Dial>;

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
    /// Plain `http://`: reads take `plain`'s in-task exchange.
    plain: bool,
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
            plain: base.scheme == http::uri::Scheme::HTTP,
            base: base.clone(),
            slot,
        })
    }

    /// The `Host` value of a plain `http://` host, whose reads the fast
    /// lane writes itself (`Pool::send_head`); `None` over TLS.
    pub(super) fn plain_host(&self) -> Option<&HeaderValue> {
        self.plain.then_some(&self.host)
    }
}

/// Why a request got no response head.
pub(super) enum SendError {
    /// No connection could be made, or the request was not written to one:
    /// HeyGen never saw it.
    NotSent(BoxError),
    /// Written (maybe in part), then failed: HeyGen may have acted on it.
    Failed(BoxError),
    /// Handed to a connection, and no response head within the request
    /// timeout: HeyGen may have acted on it.
    TimedOut,
}

/// How long a send may take: `connect` bounds making a connection (DNS,
/// TCP, TLS, the HTTP/2 handshake), which nothing has been sent over yet;
/// `request` runs from when the request is handed to a connection until
/// the response head.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    pub(super) connect: Duration,
    pub(super) request: Duration,
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
    h2: Option<(H2Conn, Instant)>,
    /// Free plain connections for reads (`plain`), oldest first.
    plain: VecDeque<(PlainConn, Instant)>,
}

mod exchange;
mod h2conn;
mod h2pipe;
mod plain;
mod plain_head;

use h2conn::H2Conn;

pub(super) use plain::PlainConn;
pub(super) use plain_head::final_head;

/// The newest idle connection `live` accepts, dropping the dead ones it
/// passes; none if the newest has idled past `timeout` (so have the rest).
fn newest_live<C>(
    idle: &mut VecDeque<(C, Instant)>,
    timeout: Duration,
    live: impl Fn(&C) -> bool,
) -> Option<C> {
    while let Some((conn, since)) = idle.pop_back() {
        if since.elapsed() > timeout {
            idle.clear();
            return None;
        }
        if live(&conn) {
            return Some(conn);
        }
    }
    None
}

/// Keeps a freed connection, up to [`MAX_IDLE`] per host.
fn push_idle<C>(idle: &mut VecDeque<(C, Instant)>, conn: C) {
    if idle.len() < MAX_IDLE {
        idle.push_back((conn, Instant::now()));
    }
}

enum Conn {
    H1(http1::SendRequest<Body>),
    H2(H2Conn),
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

    fn checkout(&self, slot: usize) -> Option<Conn> {
        let mut slots = self.slots();
        let s = slots.get_mut(slot)?;
        if let Some((h2, used)) = &mut s.h2 {
            if h2.is_open() {
                *used = Instant::now();
                return Some(Conn::H2(h2.clone()));
            }
            s.h2 = None;
        }
        newest_live(&mut s.h1, self.idle_timeout, http1::SendRequest::is_ready).map(Conn::H1)
    }

    /// A free plain connection HeyGen has not closed.
    fn checkout_plain(&self, slot: usize) -> Option<PlainConn> {
        let mut slots = self.slots();
        newest_live(
            &mut slots.get_mut(slot)?.plain,
            self.idle_timeout,
            PlainConn::is_open,
        )
    }

    /// Whether every idle HTTP/1.1 connection of `slot` has closed.
    #[cfg(test)]
    pub(super) fn idle_all_closed(&self, slot: usize) -> bool {
        let s = &self.slots()[slot];
        s.h1.iter().all(|(tx, _)| tx.is_closed()) && s.plain.iter().all(|(c, _)| !c.is_open())
    }

    /// Whether `slot`'s HTTP/2 connection is pooled and would take a new
    /// stream (`None`: no connection pooled).
    #[cfg(test)]
    pub(super) fn h2_takes_streams(&self, slot: usize) -> Option<bool> {
        let s = &self.slots()[slot];
        s.h2.as_ref()
            .map(|(h2, _)| h2.is_open() && h2.takes_streams())
    }

    /// Returns a free HTTP/1.1 connection.
    pub(super) fn put(&self, slot: usize, tx: http1::SendRequest<Body>) {
        if let Some(s) = self.slots().get_mut(slot) {
            push_idle(&mut s.h1, tx);
        }
    }

    /// Returns a free plain connection.
    pub(super) fn put_plain(&self, slot: usize, conn: PlainConn) {
        if let Some(s) = self.slots().get_mut(slot) {
            push_idle(&mut s.plain, conn);
        }
    }

    /// Drops connections idle past the timeout (closing them: HeyGen's
    /// end is not kept waiting) and those HeyGen closed.
    fn reap(&self) {
        let timeout = self.idle_timeout;
        for s in self.slots().iter_mut() {
            s.h1.retain(|(tx, since)| since.elapsed() <= timeout && !tx.is_closed());
            s.plain
                .retain(|(c, since)| since.elapsed() <= timeout && c.is_open());
            if s.h2
                .as_ref()
                .is_some_and(|(h2, used)| used.elapsed() > timeout || !h2.is_open())
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
}
