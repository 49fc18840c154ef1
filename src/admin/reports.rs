//! Spend reports for chargeback: `GET /admin/v1/reports/spend` and
//! `heygen-gateway report`. The ledger sums its journal per tenant and
//! feature over the period (`Registry::spend_report`); this module picks
//! the period, groups, totals and renders JSON or CSV. The totals equal the
//! journal's own sums over the same period, so a report reconciles with
//! the export.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use crate::ledger::SpendRow;
use crate::money::format_credits;

/// What a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GroupBy {
    pub tenant: bool,
    pub feature: bool,
}

impl GroupBy {
    /// `tenant`, `feature`, `tenant,feature` (default both).
    pub(crate) fn parse(s: Option<&str>) -> Result<GroupBy, String> {
        let mut g = GroupBy {
            tenant: false,
            feature: false,
        };
        for part in s.unwrap_or("tenant,feature").split(',').map(str::trim) {
            match part {
                "tenant" => g.tenant = true,
                "feature" => g.feature = true,
                "" => {}
                other => {
                    return Err(format!(
                        "group_by: unknown key {other:?}; use tenant and/or feature"
                    ))
                }
            }
        }
        Ok(g)
    }

    fn keys(self) -> Vec<&'static str> {
        [
            self.tenant.then_some("tenant"),
            self.feature.then_some("feature"),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// A period: a month (`2026-11`) or a day (`2026-11-05`) in the plan's
/// time zone, as `[from, to)`.
pub(crate) fn period(s: &str, tz: Tz) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let bad = || format!("period {s:?}: use a month like 2026-11 or a day like 2026-11-05");
    let (start, end) = if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        (day, day.succ_opt().ok_or_else(bad)?)
    } else {
        let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").map_err(|_| bad())?;
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .ok_or_else(bad)?;
        (first, next)
    };
    // Where midnight is skipped (a DST change at midnight), the day starts
    // at its first local time, as the budget windows count it.
    let at = |d: NaiveDate| crate::ledger::window::local_midnight(d, tz);
    Ok((at(start), at(end)))
}

/// Re-sums the ledger's per-(tenant, feature) rows by `by`.
pub(crate) fn group(rows: &[SpendRow], by: GroupBy) -> Vec<SpendRow> {
    let mut out: Vec<SpendRow> = Vec::new();
    for r in rows {
        let tenant = if by.tenant { r.tenant.as_str() } else { "" };
        let feature = if by.feature { r.feature.as_str() } else { "" };
        SpendRow::entry(&mut out, tenant, feature).add(r);
    }
    out
}

fn amounts(r: &SpendRow) -> Value {
    json!({
        "requests": r.requests,
        "held": format_credits(r.held),
        "captured": format_credits(r.captured),
        "released": format_credits(r.released),
        "expired": format_credits(r.expired),
        "adjusted": format_credits(r.adjusted),
        "overage": format_credits(r.overage),
    })
}

/// The JSON report: groups (with the keys grouped by) and totals.
pub(crate) fn json(
    rows: &[SpendRow],
    by: GroupBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Value {
    let mut total = SpendRow::default();
    let groups: Vec<Value> = group(rows, by)
        .iter()
        .map(|g| {
            total.add(g);
            let mut v = amounts(g);
            if by.tenant {
                v["tenant"] = json!(g.tenant);
            }
            if by.feature {
                v["feature"] = json!(g.feature);
            }
            v
        })
        .collect();
    json!({
        "from": from.to_rfc3339(),
        "to": to.to_rfc3339(),
        "group_by": by.keys(),
        "groups": groups,
        "totals": amounts(&total),
    })
}

/// The CSV report: one line per group, amounts in credits.
pub(crate) fn csv(rows: &[SpendRow], by: GroupBy) -> String {
    let mut out = String::new();
    let mut head = by.keys();
    head.extend([
        "requests", "held", "captured", "released", "expired", "adjusted", "overage",
    ]);
    out.push_str(&head.join(","));
    out.push('\n');
    for g in group(rows, by) {
        let mut f: Vec<String> = Vec::new();
        if by.tenant {
            f.push(g.tenant.clone());
        }
        if by.feature {
            f.push(g.feature.clone());
        }
        f.push(g.requests.to_string());
        for a in [
            g.held, g.captured, g.released, g.expired, g.adjusted, g.overage,
        ] {
            f.push(format_credits(a));
        }
        out.push_str(&f.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tenant: &str, feature: &str, captured: i64) -> SpendRow {
        SpendRow {
            tenant: tenant.into(),
            feature: feature.into(),
            requests: 1,
            held: captured,
            captured,
            ..SpendRow::default()
        }
    }

    #[test]
    fn periods_are_calendar_months_and_days_in_the_plan_zone() {
        let (from, to) = period("2026-11", chrono_tz::UTC).unwrap();
        assert_eq!(
            (from.to_rfc3339().as_str(), to.to_rfc3339().as_str()),
            ("2026-11-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00")
        );
        let (from, _) = period("2026-12", chrono_tz::Europe::Berlin).unwrap();
        assert_eq!(from.to_rfc3339(), "2026-11-30T23:00:00+00:00");
        let (from, to) = period("2026-11-05", chrono_tz::UTC).unwrap();
        assert_eq!((to - from).num_hours(), 24);
        for bad in ["2026-13", "nov", "2026-11-31"] {
            assert!(period(bad, chrono_tz::UTC).is_err(), "{bad}");
        }
        // São Paulo skipped midnight on 2018-11-04 (clocks went 00:00 →
        // 01:00): that day starts at 01:00 local, the day before ends there.
        let sp = chrono_tz::America::Sao_Paulo;
        let (from, to) = period("2018-11-04", sp).unwrap();
        assert_eq!(from.to_rfc3339(), "2018-11-04T03:00:00+00:00");
        assert_eq!((to - from).num_hours(), 23);
        let (_, end) = period("2018-11-03", sp).unwrap();
        assert_eq!(end, from);
    }

    #[test]
    fn groups_re_sum_and_totals_add_up() {
        let rows = [
            row("a", "video", 2_000_000),
            row("a", "tts", 500_000),
            row("b", "video", 1_000_000),
        ];
        let by_tenant = GroupBy::parse(Some("tenant")).unwrap();
        let v = json(&rows, by_tenant, Utc::now(), Utc::now());
        assert_eq!(v["groups"][0]["captured"], "2.5");
        assert_eq!(v["groups"][0]["requests"], 2);
        assert!(v["groups"][0].get("feature").is_none());
        assert_eq!(v["totals"]["captured"], "3.5");
        let csv = csv(&rows, GroupBy::parse(None).unwrap());
        assert_eq!(
            csv.lines().next(),
            Some("tenant,feature,requests,held,captured,released,expired,adjusted,overage")
        );
        assert_eq!(csv.lines().count(), 4);
        assert!(GroupBy::parse(Some("tenant,scope")).is_err());
    }
}
