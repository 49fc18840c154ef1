//! Calendar windows: which period a moment falls in and when that period
//! resets, in the org's time zone. Pure functions: no I/O, no clock.
//!
//! Windows are calendar-aligned (a "monthly" budget resets on the 1st at
//! local midnight, not every 30 days) and keyed by a stable string so a
//! counter row never needs a reset job: a new period is simply a new row.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::Budgets;
use crate::money::Micros;

/// A budget window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    Daily,
    Weekly,
    Monthly,
    Total,
}

impl Window {
    /// Every window, shortest first.
    pub const ALL: [Window; 4] = [
        Window::Daily,
        Window::Weekly,
        Window::Monthly,
        Window::Total,
    ];

    /// The name used in configuration, storage and responses.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Daily => "daily",
            Window::Weekly => "weekly",
            Window::Monthly => "monthly",
            Window::Total => "total",
        }
    }

    /// Inverse of [`Window::as_str`].
    pub fn parse(s: &str) -> Option<Window> {
        Window::ALL.into_iter().find(|w| w.as_str() == s)
    }

    /// The configured limit of this window, `None` when unlimited.
    pub fn limit(self, budgets: &Budgets) -> Option<Micros> {
        match self {
            Window::Daily => budgets.daily,
            Window::Weekly => budgets.weekly,
            Window::Monthly => budgets.monthly,
            Window::Total => budgets.total,
        }
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Key of the period containing `now`: `2026-11-24`, `2026-W48` (ISO week
/// year, so 2027-01-01 is `2026-W53`), `2026-11`, or `total`.
pub fn period_key(window: Window, now: DateTime<Utc>, tz: Tz) -> String {
    let d = local_date(now, tz);
    match window {
        Window::Daily => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        Window::Weekly => {
            let w = d.iso_week();
            format!("{:04}-W{:02}", w.year(), w.week())
        }
        Window::Monthly => format!("{:04}-{:02}", d.year(), d.month()),
        Window::Total => "total".to_string(),
    }
}

/// First instant of the period containing `now`; `None` for `total`.
pub fn period_start(window: Window, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let d = local_date(now, tz);
    let start = match window {
        Window::Daily => d,
        Window::Weekly => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
        Window::Monthly => d.with_day(1)?,
        Window::Total => return None,
    };
    Some(local_midnight(start, tz))
}

/// When the period containing `now` ends and the window has room again;
/// `None` for `total`, which never resets.
pub fn resets_at(window: Window, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let d = local_date(now, tz);
    let next = match window {
        Window::Daily => d.succ_opt()?,
        Window::Weekly => d + Duration::days(7 - i64::from(d.weekday().num_days_from_monday())),
        Window::Monthly => {
            let (y, m) = if d.month() == 12 {
                (d.year() + 1, 1)
            } else {
                (d.year(), d.month() + 1)
            };
            NaiveDate::from_ymd_opt(y, m, 1)?
        }
        Window::Total => return None,
    };
    Some(local_midnight(next, tz))
}

/// Keys of the three resetting windows for `now`; `total` is constant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods {
    pub daily: String,
    pub weekly: String,
    pub monthly: String,
}

impl Periods {
    /// Periods containing `now` in `tz`.
    pub fn at(now: DateTime<Utc>, tz: Tz) -> Periods {
        Periods {
            daily: period_key(Window::Daily, now, tz),
            weekly: period_key(Window::Weekly, now, tz),
            monthly: period_key(Window::Monthly, now, tz),
        }
    }

    /// The key of `window` in these periods.
    pub fn key(&self, window: Window) -> &str {
        match window {
            Window::Daily => &self.daily,
            Window::Weekly => &self.weekly,
            Window::Monthly => &self.monthly,
            Window::Total => "total",
        }
    }
}

fn local_date(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// Local midnight of `date` as an instant. Where a DST change skips
/// midnight (e.g. America/Sao_Paulo until 2019), the day starts at the first
/// local time that exists; where midnight repeats, at the earlier one.
pub(crate) fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    // Gaps are at most a few hours; probe forward in 15-minute steps.
    for step in 0..=96 {
        let local = midnight + Duration::minutes(15 * step);
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&midnight)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::Sao_Paulo, Europe::Berlin, Pacific::Auckland, UTC};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn keys_in_utc() {
        let now = utc("2026-11-24T13:00:00Z");
        assert_eq!(period_key(Window::Daily, now, UTC), "2026-11-24");
        assert_eq!(period_key(Window::Weekly, now, UTC), "2026-W48");
        assert_eq!(period_key(Window::Monthly, now, UTC), "2026-11");
        assert_eq!(period_key(Window::Total, now, UTC), "total");
        assert_eq!(resets_at(Window::Total, now, UTC), None);
    }

    #[test]
    fn resets_in_utc() {
        let now = utc("2026-11-24T13:00:00Z"); // a Tuesday
        assert_eq!(
            resets_at(Window::Daily, now, UTC),
            Some(utc("2026-11-25T00:00:00Z"))
        );
        assert_eq!(
            resets_at(Window::Weekly, now, UTC),
            Some(utc("2026-11-30T00:00:00Z"))
        );
        assert_eq!(
            resets_at(Window::Monthly, now, UTC),
            Some(utc("2026-12-01T00:00:00Z"))
        );
        assert_eq!(
            period_start(Window::Weekly, now, UTC),
            Some(utc("2026-11-23T00:00:00Z"))
        );
        // A Monday is the first day of its own week.
        let monday = utc("2026-11-30T00:00:00Z");
        assert_eq!(period_key(Window::Weekly, monday, UTC), "2026-W49");
        assert_eq!(
            resets_at(Window::Weekly, monday, UTC),
            Some(utc("2026-12-07T00:00:00Z"))
        );
    }

    #[test]
    fn year_boundaries_use_iso_week_years() {
        // 2026 has 53 ISO weeks; 1-3 January 2027 still belong to 2026-W53.
        let ny = utc("2027-01-01T12:00:00Z");
        assert_eq!(period_key(Window::Weekly, ny, UTC), "2026-W53");
        assert_eq!(period_key(Window::Monthly, ny, UTC), "2027-01");
        assert_eq!(
            resets_at(Window::Weekly, ny, UTC),
            Some(utc("2027-01-04T00:00:00Z"))
        );
        // 30 December 2024 (a Monday) starts 2025-W01.
        assert_eq!(
            period_key(Window::Weekly, utc("2024-12-30T08:00:00Z"), UTC),
            "2025-W01"
        );
        let dec = utc("2026-12-31T23:59:59Z");
        assert_eq!(
            resets_at(Window::Monthly, dec, UTC),
            Some(utc("2027-01-01T00:00:00Z"))
        );
        assert_eq!(
            resets_at(Window::Daily, dec, UTC),
            Some(utc("2027-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn local_zone_moves_the_boundary() {
        // 23:30 UTC on the 30th is already 1 December in Berlin (UTC+1).
        let now = utc("2026-11-30T23:30:00Z");
        assert_eq!(period_key(Window::Daily, now, Berlin), "2026-12-01");
        assert_eq!(period_key(Window::Monthly, now, Berlin), "2026-12");
        assert_eq!(period_key(Window::Monthly, now, UTC), "2026-11");
        assert_eq!(
            resets_at(Window::Daily, now, Berlin),
            Some(utc("2026-12-01T23:00:00Z"))
        );
        // Auckland is a day ahead: Sunday evening UTC is Monday there.
        let sunday = utc("2026-11-29T12:00:00Z");
        assert_eq!(period_key(Window::Weekly, sunday, Auckland), "2026-W49");
        assert_eq!(period_key(Window::Weekly, sunday, UTC), "2026-W48");
    }

    #[test]
    fn dst_changes_shorten_and_lengthen_days() {
        // Berlin springs forward on 29 March 2026: that day lasts 23 hours.
        let now = utc("2026-03-29T10:00:00Z");
        let start = period_start(Window::Daily, now, Berlin).unwrap();
        let end = resets_at(Window::Daily, now, Berlin).unwrap();
        assert_eq!(start, utc("2026-03-28T23:00:00Z"));
        assert_eq!(end, utc("2026-03-29T22:00:00Z"));
        assert_eq!(end - start, Duration::hours(23));
        // ... and falls back on 25 October 2026: 25 hours.
        let now = utc("2026-10-25T10:00:00Z");
        let len = resets_at(Window::Daily, now, Berlin).unwrap()
            - period_start(Window::Daily, now, Berlin).unwrap();
        assert_eq!(len, Duration::hours(25));
    }

    #[test]
    fn skipped_midnight_starts_at_first_valid_time() {
        // Sao Paulo jumped from 00:00 to 01:00 on 4 November 2018.
        let now = utc("2018-11-03T15:00:00Z");
        assert_eq!(
            resets_at(Window::Daily, now, Sao_Paulo),
            Some(utc("2018-11-04T03:00:00Z")) // 01:00 local, UTC-2
        );
        let next = utc("2018-11-04T03:00:00Z");
        assert_eq!(period_key(Window::Daily, next, Sao_Paulo), "2018-11-04");
    }

    #[test]
    fn window_names_round_trip() {
        for w in Window::ALL {
            assert_eq!(Window::parse(w.as_str()), Some(w));
        }
        assert_eq!(Window::parse("yearly"), None);
    }
}
