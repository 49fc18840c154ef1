//! Wall-clock time behind a trait so budget windows, TTLs and idempotency
//! expiry can be tested with an injected clock.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A periodic timer for a task whose period comes from the reloadable
/// config: [`Ticker::follow`] re-arms it when a reload changed the period,
/// so a reload applies to it instead of the old period running on until a
/// restart (the session meter's lead, for one, is computed from the
/// period in force and must match the timer actually running).
pub struct Ticker(tokio::time::Interval);

impl Ticker {
    /// Fires at once, then every `period`; a late tick delays the next
    /// rather than bursting to catch up.
    pub fn new(period: std::time::Duration) -> Self {
        let mut t = tokio::time::interval(period);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self(t)
    }

    pub async fn tick(&mut self) {
        self.0.tick().await;
    }

    /// Takes `period` from the next tick on, if it differs.
    pub fn follow(&mut self, period: std::time::Duration) {
        if self.0.period() != period {
            let mut t = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            self.0 = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Ticker;
    use std::time::Duration;
    use tokio::time::Instant;

    /// A reload that shortens a period takes effect at the next tick, not
    /// after the old (longer) period has run out.
    #[tokio::test(start_paused = true)]
    async fn a_ticker_follows_a_changed_period() {
        let mut t = Ticker::new(Duration::from_secs(30));
        t.tick().await; // the first tick is immediate
        let start = Instant::now();
        t.follow(Duration::from_secs(5));
        t.tick().await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        t.follow(Duration::from_secs(5)); // unchanged: the schedule stays
        t.tick().await;
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }
}
