//! Tests of the in-process limiter on governor's fake clock: bursts,
//! `Retry-After` rounding, reloads, the org limit and the cluster divisor.
//! Its own file to keep `local.rs` to the limiter itself.

use super::*;
use crate::config::{Budgets, TenantLimits};
use governor::clock::FakeRelativeClock;

fn tenant(id: &str, rpm: u32, burst: u32) -> TenantConfig {
    TenantConfig {
        id: id.into(),
        name: id.into(),
        enabled: true,
        key_hashes: vec![],
        budgets: Budgets::default(),
        limits: TenantLimits {
            requests_per_minute: NonZeroU32::new(rpm).unwrap(),
            burst: NonZeroU32::new(burst).unwrap(),
            renders_in_flight: None,
            sessions_in_flight: None,
        },
        allow: vec![],
        deny: vec![],
        shadow: false,
        isolation: Default::default(),
    }
}

const ONE: NonZeroU32 = NonZeroU32::MIN;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn burst_then_limited_then_replenished() {
    let clock = FakeRelativeClock::default();
    let rl = LocalLimiter::with_clock(&[tenant("a", 60, 3)], None, ONE, clock.clone());
    for _ in 0..3 {
        assert_eq!(rl.check("a"), Ok(()));
    }
    // One request per second replenishes; the 4th must wait exactly 1 s.
    assert_eq!(rl.check("a"), Err(secs(1)));
    clock.advance(secs(1));
    assert_eq!(rl.check("a"), Ok(()));
    assert_eq!(rl.check("a"), Err(secs(1)));
}

#[test]
fn retry_after_rounds_up_to_whole_seconds() {
    let clock = FakeRelativeClock::default();
    // 10/min: one request every 6 s.
    let rl = LocalLimiter::with_clock(&[tenant("a", 10, 1)], None, ONE, clock.clone());
    assert_eq!(rl.check("a"), Ok(()));
    assert_eq!(rl.check("a"), Err(secs(6)));
    clock.advance(Duration::from_millis(2_500));
    assert_eq!(rl.check("a"), Err(secs(4))); // 3.5 s left
    clock.advance(Duration::from_millis(3_400));
    assert_eq!(rl.check("a"), Err(secs(1))); // 0.1 s left, never 0
    clock.advance(Duration::from_millis(100));
    assert_eq!(rl.check("a"), Ok(()));
}

#[test]
fn tenants_are_independent_and_unknown_ids_pass() {
    let clock = FakeRelativeClock::default();
    let rl = LocalLimiter::with_clock(&[tenant("a", 60, 1), tenant("b", 60, 1)], None, ONE, clock);
    assert_eq!(rl.check("a"), Ok(()));
    assert!(rl.check("a").is_err());
    assert_eq!(rl.check("b"), Ok(()));
    assert_eq!(rl.check("nobody"), Ok(()));
    assert_eq!(rl.check("nobody"), Ok(()));
}

#[test]
fn reconfigure_keeps_unchanged_resets_changed_drops_removed() {
    let clock = FakeRelativeClock::default();
    let rl = LocalLimiter::with_clock(
        &[
            tenant("same", 60, 1),
            tenant("changed", 60, 1),
            tenant("gone", 60, 1),
        ],
        None,
        ONE,
        clock,
    );
    for id in ["same", "changed", "gone"] {
        assert_eq!(rl.check(id), Ok(()));
        assert!(rl.check(id).is_err());
    }
    rl.reconfigure(
        &[
            tenant("same", 60, 1),
            tenant("changed", 60, 5),
            tenant("new", 6, 1),
        ],
        None,
    );
    assert_eq!(rl.len(), 3);
    // Unchanged quota keeps its exhausted state: no free burst on reload.
    assert_eq!(rl.check("same"), Err(secs(1)));
    // Changed quota starts fresh with the new burst.
    for _ in 0..5 {
        assert_eq!(rl.check("changed"), Ok(()));
    }
    assert!(rl.check("changed").is_err());
    // Removed tenants no longer have a limiter.
    assert_eq!(rl.check("gone"), Ok(()));
    assert_eq!(rl.check("gone"), Ok(()));
    assert_eq!(rl.check("new"), Ok(()));
    assert_eq!(rl.check("new"), Err(secs(10)));
}

fn quota(rpm: u32, burst: u32) -> RateQuota {
    RateQuota {
        requests_per_minute: NonZeroU32::new(rpm).unwrap(),
        burst: NonZeroU32::new(burst).unwrap(),
    }
}

#[test]
fn org_limit_caps_all_tenants_together() {
    let clock = FakeRelativeClock::default();
    let rl = LocalLimiter::with_clock(
        &[tenant("a", 60, 10), tenant("b", 60, 10)],
        Some(quota(60, 3)),
        ONE,
        clock.clone(),
    );
    assert_eq!(rl.check("a"), Ok(()));
    assert_eq!(rl.check("b"), Ok(()));
    assert_eq!(rl.check("a"), Ok(()));
    assert_eq!(rl.check("b"), Err(secs(1)));
    clock.advance(secs(1));
    assert_eq!(rl.check("b"), Ok(()));
    // A reload that drops the org limit frees the tenants.
    rl.reconfigure(&[tenant("a", 60, 10), tenant("b", 60, 10)], None);
    assert_eq!(rl.check("b"), Ok(()));
    assert_eq!(rl.check("b"), Ok(()));
}

#[test]
fn divisor_splits_quotas_but_never_below_one() {
    let clock = FakeRelativeClock::default();
    let three = NonZeroU32::new(3).unwrap();
    let rl = LocalLimiter::with_clock(
        &[tenant("a", 60, 9), tenant("tiny", 2, 2)],
        None,
        three,
        clock.clone(),
    );
    for _ in 0..3 {
        assert_eq!(rl.check("a"), Ok(()));
    }
    // 60/min ÷ 3 = one every 3 s.
    assert_eq!(rl.check("a"), Err(secs(3)));
    assert_eq!(rl.check("tiny"), Ok(()));
    assert_eq!(rl.check("tiny"), Err(secs(60)));
}
