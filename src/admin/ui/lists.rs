//! The list pages: open holds, live sessions and the journal with filters.

use std::fmt::Write;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::html::{esc, select, table};
use super::overview::age;
use crate::admin::api::param;
use crate::admin::reports;
use crate::error::GatewayError;
use crate::ledger::{HoldFilter, HoldState, JournalKind};
use crate::money::format_credits;
use crate::state::AppState;

/// Most journal rows read for one page view, and most shown.
const JOURNAL_SCAN: u32 = 20_000;
const JOURNAL_SHOWN: usize = 500;

/// Most open holds listed (the oldest of each state).
const HOLDS_SHOWN: u32 = 1000;

pub(crate) async fn holds(state: &AppState) -> Result<String, GatewayError> {
    let now = state.clock.now();
    // The count and the oldest from the ledger itself: the list is capped.
    let (open, _) = state
        .ledger
        .open_holds()
        .await
        .map_err(GatewayError::ledger("open_holds"))?;
    let mut all = Vec::new();
    for s in [HoldState::Held, HoldState::Submitted] {
        let filter = HoldFilter {
            state: Some(s),
            tenant: None,
            limit: HOLDS_SHOWN,
            oldest_first: true,
        };
        all.extend(
            state
                .ledger
                .list_holds(filter)
                .await
                .map_err(GatewayError::ledger("list_holds"))?,
        );
    }
    // Oldest first: those are the ones that need a look.
    all.sort_by_key(|h| h.created_at);
    all.truncate(HOLDS_SHOWN as usize);
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|h| {
            vec![
                esc(&h.hold_id),
                esc(&h.tenant),
                esc(&h.feature),
                h.state.as_str().into(),
                format_credits(h.held),
                age(now - h.created_at),
                esc(&h.expires_at.format("%Y-%m-%d %H:%M").to_string()),
            ]
        })
        .collect();
    let head = match all.first() {
        Some(h) => format!(
            "<p id=\"oldest\">{} open; the oldest, {}, is {} old.</p>",
            open,
            esc(&h.hold_id),
            age(now - h.created_at)
        ),
        None => "<p id=\"oldest\">No open holds.</p>".into(),
    };
    Ok(head
        + &table(
            "holds",
            &[
                "hold",
                "tenant",
                "feature",
                "state",
                "held",
                "age",
                "expires (UTC)",
            ],
            &rows,
        ))
}

pub(crate) async fn sessions(state: &AppState) -> Result<String, GatewayError> {
    let live = crate::sessions::live_json(state, None)
        .await
        .map_err(GatewayError::ledger("sessions"))?;
    let text = |v: &Value, k: &str| match &v[k] {
        Value::String(s) => esc(s),
        Value::Null => String::new(),
        other => esc(&other.to_string()),
    };
    let rows: Vec<Vec<String>> = live
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            [
                "session_id",
                "tenant",
                "feature",
                "started_at",
                "seconds",
                "rate_per_minute",
                "cost_so_far",
            ]
            .iter()
            .map(|k| text(s, k))
            .collect()
        })
        .collect();
    Ok(table(
        "sessions",
        &[
            "session",
            "tenant",
            "feature",
            "started",
            "seconds",
            "per minute",
            "cost so far",
        ],
        &rows,
    ))
}

/// A day filter: as given, and the day's `[from, to)`.
type Day = (String, DateTime<Utc>, DateTime<Utc>);

/// A `YYYY-MM-DD` query parameter as that day in the plan's zone.
fn day_param(query: &str, name: &str, tz: chrono_tz::Tz) -> Result<Option<Day>, GatewayError> {
    match param(query, name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => {
            NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| {
                GatewayError::bad_request(format!("`{name}` is a date like 2026-11-05"))
            })?;
            let (from, to) = reports::period(&v, tz).map_err(GatewayError::bad_request)?;
            Ok(Some((v, from, to)))
        }
    }
}

pub(crate) async fn journal(state: &AppState, query: &str) -> Result<String, GatewayError> {
    let rt = state.snapshot();
    let tz = rt.config.plan.timezone;
    let now = state.clock.now();
    let from = day_param(query, "from", tz)?;
    let to = day_param(query, "to", tz)?;
    let tenant = param(query, "tenant").unwrap_or_default();
    let kind = param(query, "kind").unwrap_or_default();
    let start = from
        .as_ref()
        .map_or(now - chrono::Duration::days(7), |(_, f, _)| *f);
    let end = to.as_ref().map_or(DateTime::<Utc>::MAX_UTC, |(_, _, t)| *t);
    // The newest rows of the period: a long period's oldest rows are what
    // a capped read must leave out, never today's.
    let rows = state
        .ledger
        .journal_newest(start, end, JOURNAL_SCAN)
        .await
        .map_err(GatewayError::ledger("journal"))?;
    let scanned = rows.len();
    let mut shown: Vec<_> = rows
        .into_iter()
        .filter(|e| tenant.is_empty() || e.scope.label() == tenant)
        .filter(|e| kind.is_empty() || e.kind.as_str() == kind)
        .collect();
    let total = shown.len();
    shown.truncate(JOURNAL_SHOWN);
    let mut tenants = vec![
        (String::new(), "all".to_string()),
        ("org".into(), "org".into()),
    ];
    tenants.extend(
        rt.config
            .tenants
            .iter()
            .map(|t| (t.id.clone(), t.id.clone())),
    );
    let mut kinds = vec![(String::new(), "all".to_string())];
    kinds.extend(JournalKind::ALL.map(|k| (k.as_str().to_string(), k.as_str().to_string())));
    let date = |d: &Option<Day>| d.as_ref().map_or(String::new(), |(s, _, _)| esc(s));
    let mut out = format!(
        "<form class=\"filters\" method=\"get\" action=\"/ui/journal\">\
         <label>scope{}</label><label>kind{}</label>\
         <label>from<input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>to<input type=\"date\" name=\"to\" value=\"{}\"></label>\
         <button type=\"submit\">Filter</button></form>",
        select("tenant", &tenants, &tenant),
        select("kind", &kinds, &kind),
        date(&from),
        date(&to),
    );
    let _ = write!(
        out,
        "<p class=\"muted\" id=\"journal-count\">{total} matching entr{} (newest first{}); \
         the full export is <code>GET /admin/v1/ledger</code>.</p>",
        if total == 1 { "y" } else { "ies" },
        if total > JOURNAL_SHOWN || scanned as u32 == JOURNAL_SCAN {
            format!(", first {JOURNAL_SHOWN} shown of the {scanned} scanned")
        } else {
            String::new()
        },
    );
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                esc(&e
                    .at
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()),
                e.kind.as_str().into(),
                esc(&e.scope.label()),
                esc(e.feature.as_deref().unwrap_or("")),
                format_credits(e.amount),
                esc(e.hold_id.as_deref().unwrap_or("")),
                esc(e.actor.as_deref().unwrap_or("")),
                esc(e.reason.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    out.push_str(&table(
        "journal",
        &[
            "seq", "at", "kind", "scope", "feature", "credits", "hold", "actor", "reason",
        ],
        &rows,
    ));
    Ok(out)
}
