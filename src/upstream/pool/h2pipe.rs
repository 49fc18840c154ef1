//! A request body written to its HTTP/2 stream as HTTP/2's flow control
//! allows, by the request's own task while it waits for the answer
//! (`super::h2conn`). As in hyper's client, a chunk is read from the body
//! before any send window is claimed for it, and a chunk waiting for
//! window is kept across polls; unlike it, a chunk is handed to `h2` only
//! as far as the window reaches (see `poll_send`).

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http_body::Body as _;

use crate::http::{Body, BoxError};

pub(super) struct Pipe {
    tx: h2::SendStream<Bytes>,
    body: Body,
    /// A chunk read from the body, waiting for send window, and whether
    /// it is the body's last.
    held: Option<(Bytes, bool)>,
}

/// What `race` ends with: HeyGen's answer (or the stream's error), or the
/// tenant's body failing first.
pub(super) type Raced = Result<Result<Response<h2::RecvStream>, h2::Error>, BoxError>;

impl Pipe {
    pub(super) fn new(tx: h2::SendStream<Bytes>, body: Body) -> Pipe {
        Pipe {
            tx,
            body,
            held: None,
        }
    }

    /// Writes the body while waiting for `answer`. A body that fails
    /// first fails the request with its own error (the stream is reset:
    /// HeyGen sees a cancelled request, never a truncated one). An answer
    /// that comes first leaves what is left of the body to a task, which
    /// gives up (and resets the stream) after `limit`: a HeyGen that
    /// answered but neither reads the rest nor resets the stream must not
    /// keep the tenant's body, and a stream, forever.
    pub(super) async fn race(
        mut self,
        mut answer: h2::client::ResponseFuture,
        limit: Duration,
    ) -> Raced {
        let mut sent = false;
        let resp = std::future::poll_fn(|cx| {
            if !sent {
                match self.poll_send(cx) {
                    Poll::Ready(Ok(())) => sent = true,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
            Pin::new(&mut answer).poll(cx).map(Ok)
        })
        .await?;
        if !sent {
            tokio::spawn(async move {
                let rest = std::future::poll_fn(|cx| self.poll_send(cx));
                match tokio::time::timeout(limit, rest).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "A request body failed after HeyGen answered.");
                    }
                    Err(_) => self.tx.send_reset(h2::Reason::CANCEL),
                }
            });
        }
        Ok(resp)
    }

    /// Writes what the body has. Ready with `Ok` once nothing more will be
    /// sent: the body ended, or the stream did (reset by HeyGen, or its
    /// connection gone; the answer then says why); with `Err` if the body
    /// failed.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        loop {
            // Registered on every wait, so a reset wakes the task.
            if self.tx.poll_reset(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            if let Some((mut data, last)) = self.held.take() {
                // Only as much as HeyGen's window takes now goes to `h2`:
                // the rest stays here, where a reset or the deadline drops
                // it, not in `h2`'s buffer for as long as the connection
                // lives.
                while !data.is_empty() {
                    let room = self.tx.capacity();
                    if room == 0 {
                        match self.tx.poll_capacity(cx) {
                            Poll::Pending => {
                                self.held = Some((data, last));
                                return Poll::Pending;
                            }
                            Poll::Ready(Some(Ok(_))) => continue,
                            Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(Ok(())),
                        }
                    }
                    let part = data.split_to(room.min(data.len()));
                    if self.tx.send_data(part, last && data.is_empty()).is_err() {
                        return Poll::Ready(Ok(()));
                    }
                }
                if last {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        let last = self.body.is_end_stream();
                        if data.is_empty() {
                            // Needs no window; may carry the end.
                            if self.tx.send_data(data, last).is_err() || last {
                                return Poll::Ready(Ok(()));
                            }
                        } else {
                            // Window is claimed only for a chunk in hand
                            // (a claim held for a body with nothing to send
                            // can stall the connection's other streams);
                            // `h2` lowers the claim as parts are sent.
                            self.tx.reserve_capacity(data.len());
                            self.held = Some((data, last));
                        }
                    }
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            self.tx.reserve_capacity(0);
                            let _ = self.tx.send_trailers(trailers);
                            return Poll::Ready(Ok(()));
                        }
                    }
                },
                Some(Err(e)) => {
                    self.tx.send_reset(h2::Reason::CANCEL);
                    return Poll::Ready(Err(e));
                }
                None => {
                    let _ = self.tx.send_data(Bytes::new(), true);
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}
