//! The overview: the org and every tenant with a bar per budget window, and
//! a burn-down of the current month against the monthly budget with the
//! projected exhaustion date.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use super::html::{esc, table};
use super::svg::{bar, burndown, Month};
use crate::admin::reports::period;
use crate::config::{Budgets, Config};
use crate::error::GatewayError;
use crate::ledger::{Scope, ScopeUsage, Window};
use crate::money::{format_credits, Micros};
use crate::state::AppState;

/// Every scope the config names, the org first.
pub(crate) fn scopes(cfg: &Config) -> Vec<(Scope, Budgets)> {
    let mut v = vec![(Scope::Org, cfg.org.budgets)];
    v.extend(
        cfg.tenants
            .iter()
            .map(|t| (Scope::Tenant(t.id.clone()), t.budgets)),
    );
    v
}

pub(crate) async fn render(state: &AppState) -> Result<String, GatewayError> {
    let rt = state.snapshot();
    let cfg = &rt.config;
    let now = state.clock.now();
    let tz = cfg.plan.timezone;
    let usage = state
        .ledger
        .usage(&scopes(cfg), tz, now)
        .await
        .map_err(GatewayError::ledger("usage"))?;
    let spend = month_spend(state, tz, now).await?;
    let (open, oldest) = state
        .ledger
        .open_holds()
        .await
        .map_err(GatewayError::ledger("open_holds"))?;
    let mut out = String::new();
    let oldest = oldest.map_or_else(
        || "none".to_string(),
        |t| format!("oldest {}", age(now - t)),
    );
    let _ = write!(
        out,
        "<p id=\"summary\">Price book <b>{}</b> · time zone {} · \
         <a href=\"/ui/holds\">{open} open hold(s)</a> ({oldest}) · month {}</p>",
        esc(cfg.pricing.version()),
        esc(tz.name()),
        esc(&spend.label),
    );
    out.push_str("<div class=\"cards\">");
    for u in &usage {
        out.push_str(&card(cfg, u, &spend, now));
    }
    out.push_str("</div>");
    Ok(out)
}

/// A human age: `3 h 12 min`, `45 s`.
pub(crate) fn age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

fn card(cfg: &Config, u: &ScopeUsage, spend: &MonthSpend, now: DateTime<Utc>) -> String {
    let label = u.scope.label();
    let mut badges = String::new();
    if cfg.is_shadow(u.scope.tenant()) {
        badges.push_str(" <span class=\"badge shadow\">shadow</span>");
    }
    if let Some(t) = u.scope.tenant().and_then(|id| cfg.tenant(id)) {
        if !t.enabled {
            badges.push_str(" <span class=\"badge off\">disabled</span>");
        }
        if t.name != t.id {
            let _ = write!(badges, " <span class=\"muted\">{}</span>", esc(&t.name));
        }
    }
    let rows: Vec<Vec<String>> = u
        .windows
        .iter()
        .map(|w| {
            let limit = w.effective_limit();
            vec![
                w.window.as_str().to_string(),
                limit.map_or_else(
                    || "<span class=\"muted\">no budget</span>".into(),
                    |l| bar(w.spent, w.held, l),
                ),
                format_credits(w.spent),
                format_credits(w.held),
                limit.map_or_else(
                    || "–".into(),
                    |l| {
                        if w.granted == 0 {
                            format_credits(l)
                        } else {
                            let sign = if w.granted > 0 { "+" } else { "" };
                            format!(
                                "{} ({sign}{} granted)",
                                format_credits(l),
                                format_credits(w.granted)
                            )
                        }
                    },
                ),
                w.remaining.map_or_else(|| "–".into(), format_credits),
                w.resets_at.map_or_else(
                    || "never".into(),
                    |t| esc(&t.format("%Y-%m-%d %H:%M").to_string()),
                ),
            ]
        })
        .collect();
    let monthly = u.windows.iter().find(|w| w.window == Window::Monthly);
    let month = Month {
        days: spend.days,
        elapsed: spend.elapsed,
        daily: spend.of(&u.scope),
        held: monthly.map_or(0, |w| w.held),
        limit: monthly.and_then(|w| w.effective_limit()),
    };
    let projection = match (month.limit, month.exhaustion_day()) {
        (None, _) => "no monthly budget".to_string(),
        (Some(_), None) => "no spend this month yet".to_string(),
        (Some(_), Some(day)) if day > f64::from(month.days) => {
            "budget lasts past the month's end at this pace".to_string()
        }
        (Some(_), Some(day)) => {
            let at = spend.start + chrono::Duration::seconds((day * 86_400.0) as i64);
            if at <= now {
                "exhausted".to_string()
            } else {
                format!("projected to run out on {}", spend.date(at))
            }
        }
    };
    format!(
        "<section class=\"card\" id=\"scope-{id}\"><h3>{name}{badges}</h3><div class=\"split\">{windows}\
         <div class=\"chart\"><h4>Burn-down, {month}</h4>{chart}<p class=\"exhaustion\">{projection}</p></div></div></section>",
        id = esc(&label),
        name = esc(&label),
        windows = table(
            &format!("windows-{label}"),
            &[
                "window",
                "used",
                "spent",
                "held",
                "limit",
                "remaining",
                "resets (UTC)"
            ],
            &rows
        ),
        month = esc(&spend.label),
        chart = burndown(&month),
        projection = esc(&projection),
    )
}

/// Captured spend per tenant and day of the current month, from the spend
/// report (one aggregate query per elapsed day).
struct MonthSpend {
    label: String,
    tz: Tz,
    start: DateTime<Utc>,
    days: u32,
    elapsed: f64,
    by_tenant: HashMap<String, Vec<Micros>>,
    org: Vec<Micros>,
}

impl MonthSpend {
    fn of(&self, scope: &Scope) -> Vec<Micros> {
        match scope.tenant() {
            None => self.org.clone(),
            Some(t) => self
                .by_tenant
                .get(t)
                .cloned()
                .unwrap_or_else(|| vec![0; self.org.len()]),
        }
    }

    fn date(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%Y-%m-%d").to_string()
    }
}

async fn month_spend(
    state: &AppState,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<MonthSpend, GatewayError> {
    let today = now.with_timezone(&tz).date_naive();
    let label = today.format("%Y-%m").to_string();
    let bad = |e: String| GatewayError::bad_request(e);
    let (start, end) = period(&label, tz).map_err(bad)?;
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let days = u32::try_from((end - start).num_hours().div_euclid(24).max(1)).unwrap_or(31);
    let elapsed = ((now - start).num_seconds() as f64 / 86_400.0).clamp(0.0, f64::from(days));
    let n = today.day() as usize;
    let mut by_tenant: HashMap<String, Vec<Micros>> = HashMap::new();
    let mut org = vec![0; n];
    for (i, day_spend) in org.iter_mut().enumerate() {
        let day = first + chrono::Days::new(i as u64);
        let (from, to) = period(&day.format("%Y-%m-%d").to_string(), tz).map_err(bad)?;
        let rows = state
            .ledger
            .spend_report(from, to)
            .await
            .map_err(GatewayError::ledger("report"))?;
        for r in rows {
            let spent = r.captured.saturating_add(r.expired);
            if r.tenant == "org" || spent == 0 {
                continue;
            }
            by_tenant
                .entry(r.tenant.clone())
                .or_insert_with(|| vec![0; n])[i] += spent;
            *day_spend += spent;
        }
    }
    Ok(MonthSpend {
        label,
        tz,
        start,
        days,
        elapsed,
        by_tenant,
        org,
    })
}
