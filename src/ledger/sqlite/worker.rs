//! One thread owns the SQLite connection and runs operations in group
//! commits: it drains whatever is queued (up to [`MAX_BATCH`]), runs each
//! operation inside its own savepoint of one `BEGIN IMMEDIATE` transaction,
//! commits once (one fsync for the group with `synchronous=FULL`) and only
//! then answers every caller. A failed operation rolls back to its savepoint
//! without affecting its neighbours; a failed commit fails the whole group,
//! so no caller is ever told "held" for a hold that is not on disk.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::ledger::LedgerError;

/// Operations per transaction at most; bounds the latency a group adds.
const MAX_BATCH: usize = 64;

/// A queued operation: run inside the transaction, then told how the
/// commit went.
trait Op: Send {
    /// Runs the operation; `false` when it failed and must be rolled back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Delivers the result, or `commit`'s error.
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct Pending<T, F> {
    f: Option<F>,
    result: Option<Result<T, LedgerError>>,
    reply: oneshot::Sender<Result<T, LedgerError>>,
}

impl<T, F> Op for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, LedgerError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        match self.f.take() {
            Some(f) => {
                let r = f(conn);
                let ok = r.is_ok();
                self.result = Some(r);
                ok
            }
            None => true,
        }
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let out = match (commit, self.result) {
            (Err(e), _) => Err(LedgerError::Unavailable(e)),
            (Ok(()), Some(r)) => r,
            (Ok(()), None) => Err(LedgerError::Unavailable("operation not run".into())),
        };
        // The caller may have gone away (request cancelled); the work is done.
        let _ = self.reply.send(out);
    }
}

/// Handle to the connection thread.
pub(super) struct Worker {
    tx: Option<Sender<Box<dyn Op>>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Moves `conn` to a new thread.
    pub(super) fn start(conn: Connection) -> Result<Worker, LedgerError> {
        let (tx, rx) = mpsc::channel::<Box<dyn Op>>();
        let thread = std::thread::Builder::new()
            .name("ledger-sqlite".into())
            .spawn(move || serve(conn, rx))
            .map_err(|e| LedgerError::Unavailable(format!("cannot start ledger thread: {e}")))?;
        Ok(Worker {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Runs `f` in a transaction on the connection thread and waits for the
    /// commit.
    pub(super) async fn call<T, F>(&self, f: F) -> Result<T, LedgerError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, LedgerError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let op: Box<dyn Op> = Box::new(Pending {
            f: Some(f),
            result: None,
            reply,
        });
        let stopped = || LedgerError::Unavailable("ledger thread stopped".into());
        self.tx
            .as_ref()
            .ok_or_else(stopped)?
            .send(op)
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the channel ends the thread, which closes the connection;
        // joining makes a reopen right after drop see a closed database.
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: Connection, rx: Receiver<Box<dyn Op>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let outcome = run_batch(&conn, &mut batch);
        for op in batch {
            op.finish(outcome.clone());
        }
    }
}

fn run_batch(conn: &Connection, batch: &mut [Box<dyn Op>]) -> Result<(), String> {
    let fail = |what: &str, e: rusqlite::Error| {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        format!("sqlite {what}: {e}")
    };
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| fail("begin", e))?;
    for op in batch.iter_mut() {
        conn.execute_batch("SAVEPOINT op")
            .map_err(|e| fail("savepoint", e))?;
        let ok = op.run(conn);
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (I/O error, disk
            // full): earlier operations of this group are gone too.
            return Err("sqlite aborted the transaction".into());
        }
        let end = if ok {
            "RELEASE op"
        } else {
            "ROLLBACK TO op; RELEASE op"
        };
        conn.execute_batch(end).map_err(|e| fail("savepoint", e))?;
    }
    conn.execute_batch("COMMIT").map_err(|e| fail("commit", e))
}
