//! The gateway's own HTTP/1.1 loop for the plainest requests. Every
//! connection starts here: a bodiless `GET` or `HEAD` (`head::parse` says
//! which) is read, offered to the fast lane (`crate::lane`, the tenant
//! listener's), which serves a plain pass-through read from its raw head,
//! or else served by the listener's stack; either is answered in this
//! task, request after request. The first request that is anything else
//! (a body, an upgrade, HTTP/1.0 or /2, a head too large or malformed)
//! hands the connection, with every byte read so far, to hyper's server,
//! which serves it from then on exactly as it did before this loop
//! existed: so every request that is billed, and every refusal of a bad
//! head, is still hyper's. (Alone, for the stack's `http` requests, the
//! loop saved little over hyper's server; it exists for the lane, whose
//! reads never become `http` types: `bench/RESULTS.md`, stops 39 and 42.)
//!
//! What hyper did for these requests is kept: the client leaving while its
//! request is in progress cancels it (the access log's 499), pipelined
//! requests are answered in order, `Connection: close` and the listener's
//! drain end the connection after the response in progress, and the
//! connection's watchdog (`conn::guard`) keeps its idle, head and write
//! timeouts, as the response body still reports its progress (`Tracked`).

mod encode;
mod head;
mod respond;
mod rewind;

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_util::future::Either;
use http::{HeaderMap, Method};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::per_connection::{PerConnection, Stack};
use crate::conn::Source;
use crate::http::BoxError;
use crate::lane::Lane;
use head::Parsed;
use respond::Watch;

/// Bytes asked of the socket per read (hyper's first read buffer).
const READ_CHUNK: usize = 8 * 1024;

/// How one connection is served.
#[derive(Clone)]
pub struct Options {
    /// Where connections the loop does not take go.
    pub hyper: Arc<auto::Builder<TokioExecutor>>,
    /// A head not whole within this many bytes goes to hyper, which
    /// answers 431; also the most pipelined bytes read ahead.
    pub max_head: usize,
    /// Keep serving after the client half-closes (hyper's `half_close`;
    /// the fuzz harness sends its bytes, then shuts its side). Off, a
    /// client's end of stream cancels the request in progress.
    pub half_close: bool,
    /// The tenant listener's fast lane (`crate::lane`), offered every head
    /// this loop reads first.
    pub lane: Option<Arc<Lane>>,
}

pin_project_lite::pin_project! {
    /// One connection being served; `graceful_shutdown` finishes the
    /// response in progress and closes.
    pub struct Connection<F> {
        #[pin]
        inner: F,
        draining: Arc<AtomicBool>,
    }
}

impl<F: Future> Future for Connection<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().inner.poll(cx)
    }
}

impl<F> Connection<F> {
    /// The connection's task is polled right after this (`conn::guard`),
    /// and every wait in it looks at the flag.
    pub fn graceful_shutdown(self: Pin<&mut Self>) {
        self.draining.store(true, Ordering::Relaxed);
    }
}

/// Serves `io` with `svc` (see the module docs).
pub fn serve<IO, S>(
    io: IO,
    svc: PerConnection<S>,
    opts: Options,
) -> Connection<impl Future<Output = Result<(), BoxError>> + Send>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Stack,
{
    let draining = Arc::new(AtomicBool::new(false));
    Connection {
        inner: run(io, svc, opts, draining.clone()),
        draining,
    }
}

async fn run<IO, S>(
    mut io: IO,
    svc: PerConnection<S>,
    opts: Options,
    draining: Arc<AtomicBool>,
) -> Result<(), BoxError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Stack,
{
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut out = Vec::new();
    let mut watch = Watch::new(opts.max_head, opts.half_close);
    // The previous answer's fields' map, emptied: the next request's
    // fields (or the lane's next answer's) go into it.
    let mut spare = HeaderMap::new();
    let (lane, client_ip) = (opts.lane.as_deref(), svc.client_ip().clone());
    let take = |m: &Method, target: &str, fields: &[httparse::Header<'_>], spare: &mut _| {
        let lane = lane?;
        let ticket = lane.take(m, target, fields, &client_ip)?;
        // Boxed: the read's future (736 bytes) moves through `Parsed`,
        // the tracker, `Either` and `until` before it is first polled, a
        // `memcpy` each time (466 instructions a read more than the box
        // costs); a box from the thread's own heap makes each move a
        // pointer's.
        Some(Box::pin(lane.serve(ticket, std::mem::take(spare))))
    };
    loop {
        let (call, head_request, close) = loop {
            match head::parse(&mut buf, &mut spare, take) {
                Parsed::Simple { req, close } => {
                    let head_request = req.method() == Method::HEAD;
                    let call = svc.dispatch(req.map(|()| Source::Empty));
                    break (Either::Left(call), head_request, close);
                }
                Parsed::Taken {
                    taken,
                    head_request,
                    close,
                } => break (Either::Right(svc.track(taken)), head_request, close),
                Parsed::Partial if buf.len() < opts.max_head && !watch.eof() => {}
                // A client that ended its side mid-head sent all it will.
                Parsed::Partial if watch.eof() && buf.is_empty() => return Ok(()),
                _ => return handoff(io, buf, svc, &opts.hyper, &draining).await,
            }
            if !watch.next_head(&mut io, &mut buf, &draining).await {
                return Ok(());
            }
        };
        // The lane's read, moved from here on, must stay a few words (it is
        // boxed above): checked wherever tests drive the lane. (The tenant
        // stack's call is pinned by a unit test; the admin listener's is
        // large, and rare.)
        if let Either::Right(read) = &call {
            debug_assert!(
                std::mem::size_of_val(read) <= 64,
                "{} bytes",
                std::mem::size_of_val(read)
            );
        }
        // The client left before its answer: dropping the call cancels it.
        let Some(Ok(resp)) = watch.until(&mut io, &mut buf, call).await else {
            return Ok(());
        };
        let close = close || draining.load(Ordering::Relaxed);
        let (keep, answered) = respond::write(
            &mut io,
            &mut out,
            resp,
            head_request,
            close,
            &mut watch,
            &mut buf,
        )
        .await?;
        spare = answered;
        // A drain that began during the answer ends the connection too: a
        // request the client pipelined meanwhile is not started (hyper
        // starts none once asked to shut down either).
        if !keep || draining.load(Ordering::Relaxed) {
            let _ = io.shutdown().await;
            return Ok(());
        }
    }
}

/// hyper serves the rest of the connection, from the bytes already read.
async fn handoff<IO, S>(
    io: IO,
    buf: BytesMut,
    svc: PerConnection<S>,
    hyper: &auto::Builder<TokioExecutor>,
    draining: &AtomicBool,
) -> Result<(), BoxError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Stack,
{
    let io = TokioIo::new(rewind::Rewind::new(buf.freeze(), io));
    let conn = hyper.serve_connection(io, svc);
    let mut conn = std::pin::pin!(conn);
    let mut asked = false;
    poll_fn(|cx| {
        if !asked && draining.load(Ordering::Relaxed) {
            asked = true;
            conn.as_mut().graceful_shutdown();
        }
        conn.as_mut().poll(cx)
    })
    .await
}

#[cfg(test)]
mod raw_tests;
#[cfg(test)]
mod tests;
