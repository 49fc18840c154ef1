//! One request's trip through the pool: a connection taken or made, the
//! request handed to it, the response head awaited; and for each failure,
//! whether HeyGen can have seen the request. That decides the tenant's
//! hold (released only when HeyGen never saw it), so the two timeouts are
//! kept apart: running out of time while connecting is `NotSent`, while
//! waiting for the answer `TimedOut`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, Response, Uri};
use hyper::client::conn::{http1, TrySendError};
use hyper_util::client::legacy::connect::Connection;

use super::{Conn, H2Conn, Limits, Pool, SendError, Target};
use crate::http::Body;
use crate::upstream::body::{GiveBack, UpBody};

/// [`Pool::send`]'s future.
pub(in crate::upstream) type PoolFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Response<UpBody>, SendError>> + Send + 'a>>;

impl Pool {
    /// Sends `req` (its URI only a path and query) to `t`. A request that
    /// a reused connection refused before writing it (HeyGen closed the
    /// connection while it was idle) is sent once more on a new one.
    ///
    /// Boxed here, each path at its own size: a plain read's exchange
    /// (`plain`) is a fraction of the size of one over hyper or HTTP/2, and
    /// a box under 1 KB is allocated on mimalloc's fast path.
    pub(in crate::upstream) fn send<'a>(
        self: &'a Arc<Self>,
        t: &'a Target,
        req: Request<Body>,
        limits: Limits,
    ) -> PoolFuture<'a> {
        if super::plain::takes_plain(t, &req) {
            return Box::pin(self.send_plain(t, req, limits));
        }
        Box::pin(self.send_pooled(t, req, limits))
    }

    /// Sends a bodiless read whose head `head` is written for `t` already
    /// (the fast lane's); `t` must be plain (`Target::is_plain`). The
    /// answer's fields come as bytes where they can (`RawFields`, which
    /// only the lane's writer, `server::h1`, writes).
    pub(in crate::upstream) fn send_head<'a>(
        self: &'a Arc<Self>,
        t: &'a Target,
        head: Vec<u8>,
        head_request: bool,
        spare: http::HeaderMap,
        limits: Limits,
    ) -> PoolFuture<'a> {
        Box::pin(self.send_plain_head(t, head, head_request, spare, limits, true))
    }

    async fn send_pooled(
        self: &Arc<Self>,
        t: &Target,
        req: Request<Body>,
        limits: Limits,
    ) -> Result<Response<UpBody>, SendError> {
        // Connecting is rare and its future large (the TLS and HTTP/2
        // handshakes', ~6 KB): boxed, or every request's future, which holds
        // this one and is allocated and copied whole, would carry it.
        let (conn, reused) = match self.checkout(t.slot) {
            Some(c) => (c, true),
            None => (
                Box::pin(self.connect_within(t, limits.connect)).await?,
                false,
            ),
        };
        match self.try_send_within(t, conn, req, limits.request).await {
            Err((Some(req), _)) if reused => {
                let conn = Box::pin(self.connect_within(t, limits.connect)).await?;
                let sent = self.try_send_within(t, conn, req, limits.request);
                sent.await.map_err(|(_, e)| e)
            }
            r => r.map_err(|(_, e)| e),
        }
    }

    /// [`Pool::connect`] within `limit`. The connector's own timeout covers
    /// only the TCP connect; a resolver or TLS peer that never answers
    /// would otherwise hold the request until the request timeout, which
    /// would call it sent.
    async fn connect_within(
        self: &Arc<Self>,
        t: &Target,
        limit: Duration,
    ) -> Result<Conn, SendError> {
        match tokio::time::timeout(limit, self.connect(t)).await {
            Ok(conn) => conn,
            Err(_) => Err(connect_timed_out(t)),
        }
    }

    /// A connection to `t`'s host, TLS when its scheme says so, made and
    /// not yet spoken over.
    pub(super) async fn dial(self: &Arc<Self>, t: &Target) -> Result<Dialled, SendError> {
        self.start_reaper();
        let uri = Uri::builder()
            .scheme(t.base.scheme.clone())
            .authority(t.base.authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|e| SendError::NotSent(e.into()))?;
        // The connector's own error says only "tcp connect error": the
        // host and the cause (refused, DNS, certificate) are what on-call needs.
        tower::ServiceExt::oneshot(self.connector.clone(), uri)
            .await
            .map_err(|e| {
                let why = crate::http::error_chain(&*e);
                SendError::NotSent(format!("connecting to {}: {why}", t.base.authority).into())
            })
    }

    async fn connect(self: &Arc<Self>, t: &Target) -> Result<Conn, SendError> {
        let io = self.dial(t).await?;
        if io.connected().is_negotiated_h2() {
            let h2 = H2Conn::handshake(io)
                .await
                .map_err(|e| SendError::NotSent(e.into()))?;
            if let Some(s) = self.slots().get_mut(t.slot) {
                s.h2 = Some((h2.clone(), Instant::now()));
            }
            Ok(Conn::H2(h2))
        } else {
            let (tx, conn) = http1::handshake(io)
                .await
                .map_err(|e| SendError::NotSent(e.into()))?;
            tokio::spawn(drive(conn));
            Ok(Conn::H1(tx))
        }
    }

    /// [`Pool::try_send`] within `limit`, counted from the hand-off.
    async fn try_send_within(
        self: &Arc<Self>,
        t: &Target,
        conn: Conn,
        req: Request<Body>,
        limit: Duration,
    ) -> Result<Response<UpBody>, (Option<Request<Body>>, SendError)> {
        match tokio::time::timeout(limit, self.try_send(t, conn, req, limit)).await {
            Ok(r) => r,
            Err(_) => Err((None, SendError::TimedOut)),
        }
    }

    /// Sends on one connection; the request comes back with the error when
    /// it was not written. `limit` also bounds an HTTP/2 body's rest after
    /// an early answer.
    async fn try_send(
        self: &Arc<Self>,
        t: &Target,
        conn: Conn,
        mut req: Request<Body>,
        limit: Duration,
    ) -> Result<Response<UpBody>, (Option<Request<Body>>, SendError)> {
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
            Conn::H2(h2) => h2.send(t, req, limit).await,
        }
    }
}

/// What the connector makes: TCP, or TLS over it.
pub(super) type Dialled =
    hyper_rustls::MaybeHttpsStream<hyper_util::rt::TokioIo<tokio::net::TcpStream>>;

/// Making a connection to `t` took longer than the connect timeout.
pub(super) fn connect_timed_out(t: &Target) -> SendError {
    SendError::NotSent(format!("connecting to {} timed out", t.base.authority).into())
}

/// A failed hand-off to an HTTP/1.1 connection: the request back when
/// hyper did not write it, else `Failed`.
fn failed(mut e: TrySendError<Request<Body>>) -> (Option<Request<Body>>, SendError) {
    match e.take_message() {
        Some(req) => (Some(req), SendError::NotSent(e.into_error().into())),
        None => (None, SendError::Failed(e.into_error().into())),
    }
}

/// Runs one connection until it closes.
async fn drive<F: std::future::Future<Output = hyper::Result<()>>>(conn: F) {
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "Upstream connection ended with an error.");
    }
}
