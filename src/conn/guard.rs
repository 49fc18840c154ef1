//! What ends a connection from outside: the idle, head and write timeouts
//! and the listener's graceful shutdown. Both are watched by a task of their own (the
//! watchdog), not by the connection's task: a timer or channel polled
//! alongside the connection was polled again on every wake-up of the
//! connection, several times per request, though it fires at most once.
//! The connection's task only reads a flag the watchdog sets (and is woken
//! when it is set).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::{oneshot, watch};

use super::idle::{Expiry, IdleTracker, Signal, Timeouts};

/// How a guarded connection ended.
#[derive(Debug)]
pub enum Ended<T> {
    /// The connection finished (the client closed it, or it drained).
    Done(T),
    /// Closed by the watchdog: idle for the timeout.
    Idle,
    /// Closed by the watchdog: an HTTP/1 head did not arrive in time.
    HeadTimeout,
    /// Closed by the watchdog: the client stopped reading a response.
    WriteTimeout,
}

pin_project_lite::pin_project! {
    /// A connection its watchdog can drain or close.
    pub struct Guarded<C> {
        #[pin]
        conn: C,
        tracker: IdleTracker,
        // Asks `conn` to finish its requests and close.
        drain: fn(Pin<&mut C>),
        draining: bool,
        // Dropped with the connection: the watchdog then ends too.
        _ended: oneshot::Sender<()>,
    }
}

impl<C: Future> Future for Guarded<C> {
    type Output = Ended<C::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        match this.tracker.poll_signal(cx) {
            Some(Signal::Close) => return Poll::Ready(Ended::Idle),
            Some(Signal::CloseHead) => return Poll::Ready(Ended::HeadTimeout),
            Some(Signal::CloseWrite) => return Poll::Ready(Ended::WriteTimeout),
            Some(Signal::Drain) if !*this.draining => {
                *this.draining = true;
                (this.drain)(this.conn.as_mut());
            }
            _ => {}
        }
        this.conn.poll(cx).map(Ended::Done)
    }
}

/// `conn` under a watchdog: the connection to await, and the watchdog to
/// spawn. `drain` asks the connection to finish its requests and close;
/// `timeouts` are watched as `IdleTracker::expired` says.
/// The watchdog holds `shutdown` until the connection ends, so a listener
/// waiting for its receivers to drop waits for its connections.
pub fn guard<C>(
    conn: C,
    drain: fn(Pin<&mut C>),
    tracker: IdleTracker,
    timeouts: Timeouts,
    shutdown: watch::Receiver<()>,
) -> (Guarded<C>, impl Future<Output = ()> + Send + 'static) {
    let (ended_tx, ended_rx) = oneshot::channel();
    let guarded = Guarded {
        conn,
        tracker: tracker.clone(),
        drain,
        draining: false,
        _ended: ended_tx,
    };
    (guarded, watchdog(tracker, timeouts, shutdown, ended_rx))
}

async fn watchdog(
    tracker: IdleTracker,
    timeouts: Timeouts,
    mut shutdown: watch::Receiver<()>,
    mut ended: oneshot::Receiver<()>,
) {
    let expired = tracker.expired(timeouts);
    tokio::pin!(expired);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = &mut ended => return,
            why = &mut expired => {
                tracker.signal(match why {
                    Expiry::Idle => Signal::Close,
                    Expiry::Head => Signal::CloseHead,
                    Expiry::Write => Signal::CloseWrite,
                });
                // The connection's task ends now and drops `ended`.
                let _ = ended.await;
                return;
            }
            // An error means the listener is gone: drain then too.
            _ = shutdown.changed(), if !draining => {
                draining = true;
                tracker.signal(Signal::Drain);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Idle and head timeouts as given; writes never time out.
    fn limits(idle: u64, head: u64) -> Timeouts {
        Timeouts {
            idle: Duration::from_secs(idle),
            head: Duration::from_secs(head),
            write: Duration::from_secs(3600),
        }
    }

    /// A connection that ends once asked to drain.
    struct Fake {
        drained: bool,
    }

    impl Future for Fake {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            if self.drained {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }

    fn fake() -> Fake {
        Fake { drained: false }
    }

    #[tokio::test]
    async fn a_drain_reaches_the_connection_and_the_watchdog_lets_go() {
        let (drain, rx) = watch::channel(());
        let tracker = IdleTracker::new();
        let (conn, watchdog) = guard(
            fake(),
            |c| c.get_mut().drained = true,
            tracker,
            limits(3600, 3600),
            rx,
        );
        let watchdog = tokio::spawn(watchdog);
        let conn = tokio::spawn(conn);
        drain.send(()).expect("a watchdog listens");
        let ended = tokio::time::timeout(Duration::from_secs(10), conn)
            .await
            .expect("drained in time")
            .expect("task");
        assert!(matches!(ended, Ended::Done(())));
        tokio::time::timeout(Duration::from_secs(10), drain.closed())
            .await
            .expect("the watchdog dropped its receiver");
        watchdog.await.expect("watchdog task");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_is_closed_by_its_watchdog() {
        let (_drain, rx) = watch::channel(());
        let tracker = IdleTracker::new();
        let (conn, watchdog) = guard(fake(), |_| {}, tracker, limits(10, 10), rx);
        let watchdog = tokio::spawn(watchdog);
        let start = tokio::time::Instant::now();
        assert!(matches!(conn.await, Ended::Idle));
        assert!(start.elapsed() >= Duration::from_secs(10));
        watchdog.await.expect("watchdog task");
    }

    #[tokio::test(start_paused = true)]
    async fn http1_gets_the_shorter_head_timeout_and_http2_the_idle_one() {
        let limits = limits(10, 3);
        for (h2, after, ends) in [(false, 3, Ended::HeadTimeout), (true, 10, Ended::Idle)] {
            let (_drain, rx) = watch::channel(());
            let tracker = IdleTracker::new();
            // One request, so the protocol is known, then silence.
            drop(tracker.begin());
            if h2 {
                tracker.saw_http2();
            }
            let (conn, watchdog) = guard(fake(), |_| {}, tracker, limits, rx);
            let watchdog = tokio::spawn(watchdog);
            let start = tokio::time::Instant::now();
            let got = conn.await;
            assert_eq!(std::mem::discriminant(&got), std::mem::discriminant(&ends));
            let took = start.elapsed();
            assert!(took >= Duration::from_secs(after), "{took:?}");
            assert!(took < Duration::from_secs(after + 1), "{took:?}");
            watchdog.await.expect("watchdog task");
        }
    }
}
