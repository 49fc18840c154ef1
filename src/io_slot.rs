//! Which I/O thread the calling thread is: each per-core I/O thread pins
//! itself to `1..=n` before it serves (`server::workers`); every other
//! thread (the shared runtime's, the blocking pool's, tests') is slot 0.
//!
//! A read is accepted, forwarded and answered on one I/O thread, so state
//! that every read writes is kept per slot and picked here: the upstream
//! pools (`upstream`), so a connection is never shared between threads,
//! and the request metrics' shards (`metrics`), so no two cores write one
//! cache line on every read.

use std::cell::Cell;

thread_local! {
    static SLOT: Cell<usize> = const { Cell::new(0) };
}

/// Pins the calling thread to `slot` (an I/O thread, before it serves).
pub fn pin(slot: usize) {
    SLOT.with(|s| s.set(slot));
}

/// The calling thread's slot: 0 unless [`pin`] set another.
pub fn current() -> usize {
    SLOT.with(Cell::get)
}
