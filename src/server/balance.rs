//! Tenant connections spread evenly over the I/O threads (Envoy's "exact
//! balance"). The kernel gives each new connection to one of the
//! `SO_REUSEPORT` listeners by a hash of its addresses, blind to load:
//! wrk's 32 keep-alive connections landed 11/21, 13/19 and 20/12 on two
//! threads (`bench/RESULTS.md`, stop 46), and the busier thread's reads
//! queue behind each other while the other thread has room. A thread that
//! accepts a connection while it holds more than [`SLACK`] above the least
//! busy thread's count passes the socket to that thread, which admits it
//! as its own (caps, metrics, watchdog). Only at accept: a connection then
//! stays on its thread for life, so a read never crosses threads.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// How many more connections than the least busy thread a thread keeps
/// before passing new ones on. One, not zero: with clients that connect
/// per request the counts differ by one half the time, and each hand-off
/// costs two `epoll_ctl`s and a wake-up of the other thread.
const SLACK: usize = 1;

/// The open connections of each thread and the way to each.
struct Balance {
    open: Box<[AtomicUsize]>,
    inboxes: Box<[mpsc::UnboundedSender<Handed>]>,
}

/// A connection passed to another thread, its place there taken.
struct Handed {
    stream: std::net::TcpStream,
    remote: SocketAddr,
    seat: Seat,
}

/// A connection's place on its thread: counted while it is held.
pub(super) struct Seat {
    balance: Arc<Balance>,
    thread: usize,
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.balance.open[self.thread].fetch_sub(1, Relaxed);
    }
}

/// What became of an accepted connection.
pub(super) enum Seated {
    /// Served on this thread, holding its seat here.
    Here(TcpStream, Seat),
    /// Passed to a less busy thread.
    Passed,
    /// Lost in passing (the socket could not be moved): closed.
    Closed,
}

/// One I/O thread's part in the balance.
pub(super) struct Place {
    balance: Arc<Balance>,
    thread: usize,
    inbox: mpsc::UnboundedReceiver<Handed>,
}

/// The places of `n` threads, in thread order.
pub(super) fn places(n: usize) -> Vec<Place> {
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..n).map(|_| mpsc::unbounded_channel()).unzip();
    let balance = Arc::new(Balance {
        open: (0..n).map(|_| AtomicUsize::new(0)).collect(),
        inboxes: senders.into(),
    });
    (receivers.into_iter().enumerate())
        .map(|(thread, inbox)| Place {
            balance: balance.clone(),
            thread,
            inbox,
        })
        .collect()
}

impl Place {
    /// Where a connection this thread accepted is served.
    pub(super) fn seat(&self, stream: TcpStream, remote: SocketAddr) -> Seated {
        let b = &self.balance;
        let Some(to) = elsewhere(b.open.iter().map(|c| c.load(Relaxed)), self.thread) else {
            return Seated::Here(stream, self.take(self.thread));
        };
        // Deregistered from this thread's reactor, still non-blocking.
        let stream = match stream.into_std() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "A connection could not be passed on; closed.");
                return Seated::Closed;
            }
        };
        let seat = self.take(to);
        // Refused only when that thread has stopped: then it is served here.
        let Err(back) = b.inboxes[to].send(Handed {
            stream,
            remote,
            seat,
        }) else {
            return Seated::Passed;
        };
        match register(back.0.stream) {
            Some(stream) => Seated::Here(stream, self.take(self.thread)),
            None => Seated::Closed,
        }
    }

    /// The next connection another thread passed here, registered with
    /// this thread's reactor; never ready while none comes.
    pub(super) async fn handed(&mut self) -> (TcpStream, SocketAddr, Seat) {
        loop {
            // The balance holds every thread's sender, so the channel does
            // not close while this place exists.
            let Some(h) = self.inbox.recv().await else {
                return std::future::pending().await;
            };
            if let Some(stream) = register(h.stream) {
                return (stream, h.remote, h.seat);
            }
        }
    }

    fn take(&self, thread: usize) -> Seat {
        self.balance.open[thread].fetch_add(1, Relaxed);
        Seat {
            balance: self.balance.clone(),
            thread,
        }
    }
}

/// The thread a connection accepted by thread `here` goes to, given each
/// thread's open connections: the least busy one when `here` holds more
/// than [`SLACK`] above it, else none (it stays). Accepted connections alone
/// (none closing) so never leave two threads more than `SLACK + 1` apart.
fn elsewhere(open: impl Iterator<Item = usize> + Clone, here: usize) -> Option<usize> {
    let mine = open.clone().nth(here)?;
    let (to, least) = open.enumerate().min_by_key(|&(_, n)| n)?;
    (mine > least + SLACK).then_some(to)
}

fn register(stream: std::net::TcpStream) -> Option<TcpStream> {
    match TcpStream::from_std(stream) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "A passed connection could not be registered; closed.");
            None
        }
    }
}

#[cfg(test)]
#[path = "balance_tests.rs"]
mod tests;
