//! One listener's accept loop: connection caps and shedding, the own
//! HTTP/1 loop (`h1`), hyper's HTTP/1.1 + h2c settings against hostile
//! clients for the rest, idle and body timeouts,
//! graceful drain. The same loop runs on the shared runtime or on each I/O
//! thread (`workers`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::balance::{Place, Seat, Seated};
use super::h1;
use super::per_connection::{per_connection, Stack};
use crate::conn::{
    AcceptBackoff, ConnConfig, ConnLimiter, ConnMetrics, Ended, IdleTracker, Timeouts,
};
use crate::lane::Lane;

/// Connection policy of one listener: caps, timeouts, metrics.
#[derive(Clone)]
pub(super) struct ConnPolicy {
    name: &'static str,
    cfg: ConnConfig,
    limiter: ConnLimiter,
    metrics: ConnMetrics,
    /// The tenant listener's fast lane (`crate::lane`).
    lane: Option<Arc<Lane>>,
}

impl ConnPolicy {
    pub(super) fn new(name: &'static str, cfg: &ConnConfig, metrics: &ConnMetrics) -> ConnPolicy {
        ConnPolicy {
            name,
            cfg: cfg.clone(),
            limiter: ConnLimiter::new(cfg.max_connections, cfg.max_connections_per_ip),
            metrics: metrics.clone(),
            lane: None,
        }
    }

    /// Offers the plainest reads to `lane` before the listener's stack.
    pub(super) fn with_lane(mut self, lane: Lane) -> ConnPolicy {
        self.lane = Some(Arc::new(lane));
        self
    }
}

/// hyper settings against hostile clients: head size (431 past it),
/// HTTP/2 stream and reset limits (CVE-2023-44487 "rapid reset",
/// CVE-2024-27316-style header floods), HTTP/2 pings that close a
/// connection whose peer stopped answering. The head and write timeouts
/// are the connection watchdog's (see `serve`).
fn builder(cfg: &ConnConfig) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // The head timeout is the connection's watchdog's (`conn::guard`):
        // hyper's allocated and registered a timer for every request.
        .header_read_timeout(None)
        // One flat write buffer, not a queue of head and body buffers for
        // `writev`: answers are small JSON, so copying the body is cheaper
        // than the queue's bookkeeping (~450 instructions a read, measured
        // with bench/instructions.sh). hyper polls the next chunk only once
        // the buffer is below `max_buf_size`, so memory stays bounded.
        .writev(false)
        // hyper answers 431 when a head does not fit the read buffer (the
        // auto builder has no separate head limit); bodies stream through
        // the same buffer in pieces of at most this size.
        .max_buf_size(cfg.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(cfg.h2_max_concurrent_streams)
        .max_header_list_size(u32::try_from(cfg.max_header_bytes).unwrap_or(u32::MAX))
        .max_pending_accept_reset_streams(20)
        .max_local_error_reset_streams(256)
        // One ping per write timeout on a quiet connection, one per
        // connection: a peer gone silent (that no longer reads even
        // control frames) is closed within two write timeouts.
        .keep_alive_interval(Some(cfg.write_timeout))
        .keep_alive_timeout(cfg.write_timeout);
    builder
}

/// Accepts connections until `stop` flips, then drains them. Each
/// connection serves a clone of `service`.
pub(super) async fn serve<S>(
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
    policy: ConnPolicy,
    service: S,
    mut place: Option<Place>,
) where
    S: Stack,
{
    let h1 = h1::Options {
        hyper: Arc::new(builder(&policy.cfg)),
        max_head: policy.cfg.max_header_bytes.max(8192),
        half_close: false,
        lane: policy.lane.clone(),
    };
    // Each connection's watchdog holds a receiver until its connection
    // ends: the drain below waits for them all.
    let (drain, _) = watch::channel(());
    let mut backoff = AcceptBackoff::default();
    let name = policy.name;
    let conns = Conns {
        policy: &policy,
        h1: &h1,
        service: &service,
        drain: &drain,
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        policy.metrics.accept_error(name);
                        tokio::time::sleep(backoff.failed(name, &e)).await;
                        continue;
                    }
                };
                backoff.succeeded(name);
                match &place {
                    None => conns.admit(stream, remote, None),
                    Some(p) => match p.seat(stream, remote) {
                        Seated::Here(stream, seat) => conns.admit(stream, remote, Some(seat)),
                        Seated::Passed => policy.metrics.passed(name),
                        Seated::Closed => {}
                    },
                }
            }
            (stream, remote, seat) = handed(&mut place) => conns.admit(stream, remote, Some(seat)),
            _ = stop.changed() => break,
        }
    }
    // Connections passed here but not yet taken are closed with the inbox.
    drop(place);
    drop(listener);
    // No receiver (no connection open) is no error: nothing to wait for.
    let _ = drain.send(());
    if tokio::time::timeout(grace, drain.closed()).await.is_err() {
        tracing::warn!(
            grace_seconds = grace.as_secs(),
            "Shutdown grace expired with requests still in flight."
        );
    }
}

/// What a listener's connections are served with.
struct Conns<'a, S> {
    policy: &'a ConnPolicy,
    h1: &'a h1::Options,
    service: &'a S,
    drain: &'a watch::Sender<()>,
}

impl<S: Stack> Conns<'_, S> {
    /// Admits a connection (or sheds it at a cap) and serves it in a task
    /// of its own, which holds its `seat` on this thread until it ends.
    fn admit(&self, stream: TcpStream, remote: SocketAddr, seat: Option<Seat>) {
        let (policy, name) = (self.policy, self.policy.name);
        let permit = match policy.limiter.try_acquire(remote.ip()) {
            Ok(p) => p,
            Err(why) => {
                policy.metrics.shed(name, why);
                crate::conn::shed(stream);
                return;
            }
        };
        let _ = stream.set_nodelay(true);
        let tracker = IdleTracker::new();
        let svc = per_connection(self.service.clone(), remote, tracker.clone(), &policy.cfg);
        let conn = h1::serve(stream, svc, self.h1.clone());
        let (conn, watchdog) = crate::conn::guard(
            conn,
            |c| c.graceful_shutdown(),
            tracker,
            Timeouts {
                idle: policy.cfg.idle_timeout,
                head: policy.cfg.header_read_timeout,
                write: policy.cfg.write_timeout,
            },
            self.drain.subscribe(),
        );
        tokio::spawn(watchdog);
        let metrics = policy.metrics.clone();
        metrics.opened(name);
        tokio::spawn(async move {
            match conn.await {
                Ended::Done(Ok(())) => {}
                Ended::Done(Err(e)) => {
                    tracing::debug!(error = %e, "Connection ended with an error.");
                }
                // Dropping the connection closes the socket; no
                // request is in progress on it by construction.
                Ended::Idle => metrics.closed_idle(name),
                Ended::HeadTimeout => {
                    tracing::debug!("Connection closed: no request head within the head timeout.")
                }
                Ended::WriteTimeout => {
                    tracing::debug!("Connection closed: the client stopped reading its response.")
                }
            }
            metrics.closed(name);
            drop((permit, seat));
        });
    }
}

/// The next connection another I/O thread passed to this one; never ready
/// where no balance runs (the shared runtime, the admin listener).
async fn handed(place: &mut Option<Place>) -> (TcpStream, SocketAddr, Seat) {
    match place {
        Some(p) => p.handed().await,
        None => std::future::pending().await,
    }
}
