//! Named crash points for the process-level fault tests (issue 12).
//!
//! Started with `HEYGEN_GATEWAY_KILL_AT=<point>`, the process kills itself
//! with SIGKILL the first time its work reaches [`hit`]`(<point>)` — no
//! drain, no destructor, no flush, exactly as if the machine had taken it
//! away there. `tests/chaos/kill_points.rs` runs the binary with each point
//! of [`POINTS`] set, restarts it without the variable, and checks the
//! ledger ends in the state the README promises (and `ledger verify` passes).
//!
//! Compiled in always, not behind a cargo feature: the process tests run
//! the binary cargo builds for `cargo test` (`CARGO_BIN_EXE_heygen-gateway`),
//! which a test-only feature would build without the hook unless every test
//! run, CI's included, passed `--features`. The cost in a normal run is one
//! `OnceLock` read and a `None` check per point, on paths that each also
//! make a ledger transaction. The variable gives no new power: whoever sets
//! the gateway's environment can already kill it. `serve` logs a warning
//! when it is set, so it cannot be left on unnoticed.

use std::sync::OnceLock;

/// The environment variable naming the point to die at.
pub const ENV_KILL_AT: &str = "HEYGEN_GATEWAY_KILL_AT";

/// Admission: the hold is committed, nothing has been sent to HeyGen.
pub const ADMISSION_AFTER_HOLD: &str = "admission.after_hold";
/// Admission: HeyGen answered 2xx (the job exists), its ids are not recorded.
pub const ADMISSION_AFTER_FORWARD: &str = "admission.after_forward";
/// Settlement: the job's outcome is read, the capture not yet made.
pub const SETTLEMENT_BEFORE_CAPTURE: &str = "settlement.before_capture";
/// Delete: HeyGen confirmed (2xx) the delete of a job whose length was
/// still unknown; its capture at the estimate is not made yet.
pub const DELETE_BEFORE_CAPTURE: &str = "delete.before_capture";
/// Expiry: the first overdue hold of a batch is expired (SQLite: inside
/// the batch's transaction; PostgreSQL: committed), the rest are not.
pub const EXPIRY_AFTER_FIRST_HOLD: &str = "expiry.after_first_hold";
/// Webhook fan-out: the deliveries are in the outbox, HeyGen has no
/// answer and nothing has been delivered.
pub const FANOUT_AFTER_ENQUEUE: &str = "fanout.after_enqueue";

/// Every point [`hit`] is called with.
pub const POINTS: [&str; 6] = [
    ADMISSION_AFTER_HOLD,
    ADMISSION_AFTER_FORWARD,
    SETTLEMENT_BEFORE_CAPTURE,
    DELETE_BEFORE_CAPTURE,
    EXPIRY_AFTER_FIRST_HOLD,
    FANOUT_AFTER_ENQUEUE,
];

static KILL_AT: OnceLock<Option<String>> = OnceLock::new();

/// The point this process dies at, read from the environment once.
pub fn armed() -> Option<&'static str> {
    KILL_AT
        .get_or_init(|| std::env::var(ENV_KILL_AT).ok().filter(|p| !p.is_empty()))
        .as_deref()
}

/// Dies here (SIGKILL) when [`ENV_KILL_AT`] names `point`; otherwise nothing.
#[inline]
pub fn hit(point: &'static str) {
    if armed() == Some(point) {
        die(point);
    }
}

#[cold]
fn die(point: &str) -> ! {
    eprintln!("{ENV_KILL_AT}={point}: killing the process here (fault test)");
    // SIGKILL through the kill(2) system call (rustix's safe wrapper): the
    // signal is delivered before the call returns, so no other thread of
    // this process gets further than it was at this point. (Spawning
    // kill(1) took milliseconds, long enough for the fan-out worker to
    // claim and deliver the row just queued — issue 12's chaos test saw it.)
    // Abort only if the kernel refuses the signal.
    let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_point_costs_nothing_and_does_not_fire() {
        // The test process does not set the variable: every point passes.
        for p in POINTS {
            hit(p);
        }
        assert!(POINTS.iter().all(|p| p.contains('.')));
    }
}
