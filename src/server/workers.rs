//! Where tenant connections are served: on the shared runtime, or on
//! `server.io_threads` per-core threads (nginx's worker model). Each I/O
//! thread runs its own single-threaded runtime with its own listener on the
//! same port (SO_REUSEPORT, so the kernel spreads connections) and its own
//! upstream pool (`io_slot::pin`): a request is accepted, priced,
//! forwarded and answered without crossing threads. The shared runtime keeps
//! the admin listener, the poller and the ledger's background work.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::listen::{serve, ConnPolicy};
use crate::state::AppState;

/// The kernel's accept queue per listener (tokio's own default).
const BACKLOG: u32 = 1024;

/// Binds `n` listeners on `listen` (one when `n` is 0 or 1).
pub(super) fn bind(listen: SocketAddr, n: usize) -> anyhow::Result<Vec<TcpListener>> {
    if n <= 1 {
        return Ok(vec![socket(listen, false)?]);
    }
    // SO_REUSEPORT would let any process of this user join a group already
    // on the port and take a share of its connections: a second gateway
    // with its own ledger would split the budgets. A plain bind first fails
    // when anything holds the port (and picks it for `:0`); it is closed
    // before the group binds.
    let addr = socket(listen, false)?.local_addr()?;
    (0..n).map(|_| socket(addr, true)).collect()
}

fn socket(addr: SocketAddr, shared: bool) -> anyhow::Result<TcpListener> {
    let bind = || -> std::io::Result<TcpListener> {
        let sock = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        sock.set_reuseaddr(true)?;
        if shared {
            sock.set_reuseport(true)?;
        }
        sock.bind(addr)?;
        sock.listen(BACKLOG)
    };
    bind().with_context(|| format!("binding the tenant listener on {addr}"))
}

/// The running tenant listeners.
pub(super) enum TenantServers {
    Shared(JoinHandle<()>),
    Threads {
        /// One per thread, sent when its listener has drained.
        drained: Vec<oneshot::Receiver<()>>,
        /// Flipped once shutdown has waited for admissions and settlements.
        release: watch::Sender<bool>,
        threads: Vec<std::thread::JoinHandle<()>>,
    },
}

impl TenantServers {
    /// Starts serving on `listeners`: on the shared runtime when there is
    /// one listener and `io_threads` is 0, else one thread per listener.
    pub(super) fn start(
        listeners: Vec<TcpListener>,
        io_threads: usize,
        stop: &watch::Receiver<bool>,
        grace: Duration,
        policy: &ConnPolicy,
        state: &Arc<AppState>,
    ) -> anyhow::Result<TenantServers> {
        let service = || crate::stack::tenant_service(state.clone());
        if io_threads == 0 {
            let mut listeners = listeners;
            let listener = listeners.pop().context("no tenant listener was bound")?;
            let task = tokio::spawn(serve(
                listener,
                stop.clone(),
                grace,
                policy.clone(),
                service(),
                None,
            ));
            return Ok(TenantServers::Shared(task));
        }
        let (release, _) = watch::channel(false);
        // Logs from the I/O threads go where the starting thread's go (the
        // global subscriber in the binary, a scoped one in tests).
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let (mut drained, mut threads) = (Vec::new(), Vec::new());
        let places = super::balance::places(listeners.len());
        for (i, (listener, place)) in listeners.into_iter().zip(places).enumerate() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting an I/O thread's runtime")?;
            // The listener moves to the thread's own reactor.
            let listener = listener.into_std()?;
            let listener = {
                let _in = runtime.enter();
                TcpListener::from_std(listener)?
            };
            let (done, done_rx) = oneshot::channel();
            let (stop, policy, svc) = (stop.clone(), policy.clone(), service());
            let mut released = release.subscribe();
            let dispatch = dispatch.clone();
            let thread = std::thread::Builder::new()
                .name(format!("gateway-io-{i}"))
                .spawn(move || {
                    let _logs = tracing::dispatcher::set_default(&dispatch);
                    crate::io_slot::pin(i + 1);
                    runtime.block_on(async move {
                        serve(listener, stop, grace, policy, svc, Some(place)).await;
                        let _ = done.send(());
                        // Admissions and settlements these requests spawned
                        // run on this runtime: keep it until shutdown has
                        // waited for them.
                        let _ = released.wait_for(|r| *r).await;
                    });
                })
                .context("spawning an I/O thread")?;
            drained.push(done_rx);
            threads.push(thread);
        }
        Ok(TenantServers::Threads {
            drained,
            release,
            threads,
        })
    }

    /// Waits until every tenant listener has stopped and drained.
    pub(super) async fn drained(&mut self) {
        match self {
            TenantServers::Shared(task) => {
                let _ = task.await;
            }
            TenantServers::Threads { drained, .. } => {
                for rx in drained.drain(..) {
                    let _ = rx.await;
                }
            }
        }
    }

    /// Lets the I/O threads' runtimes stop, and joins them.
    pub(super) async fn finish(self) {
        if let TenantServers::Threads {
            release, threads, ..
        } = self
        {
            let _ = release.send(true);
            let joined = tokio::task::spawn_blocking(move || {
                for t in threads {
                    if t.join().is_err() {
                        tracing::error!("An I/O thread panicked.");
                    }
                }
            });
            let _ = joined.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second gateway started on the port of a running one is refused,
    /// not let into its SO_REUSEPORT group to take part of its traffic.
    #[tokio::test]
    async fn a_port_in_use_is_refused_even_to_a_reuseport_group() {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let running = bind(any, 2).expect("first group");
        let addr = running[0].local_addr().expect("addr");
        assert!(running.iter().all(|l| l.local_addr().ok() == Some(addr)));
        let err = bind(addr, 2).err().map(|e| format!("{e:#}"));
        assert!(
            err.as_deref().is_some_and(|e| e.contains("in use")),
            "{err:?}"
        );
        assert!(bind(addr, 1).is_err());
        drop(running);
        assert!(bind(addr, 2).is_ok(), "free again once the first is gone");
    }
}
