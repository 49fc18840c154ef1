//! The spend report page and its CSV download (the same report as
//! `GET /admin/v1/reports/spend`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::html::{esc, select, table};
use crate::admin::api::param;
use crate::admin::reports::{self, GroupBy};
use crate::error::GatewayError;
use crate::http::percent_encode as url_param;
use crate::state::AppState;

/// The report's period and grouping from the query (default: this month).
fn report_params(state: &AppState, query: &str) -> Result<(String, GroupBy, String), GatewayError> {
    let tz = state.snapshot().config.plan.timezone;
    let period = param(query, "period")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| {
            state
                .clock
                .now()
                .with_timezone(&tz)
                .format("%Y-%m")
                .to_string()
        });
    let group = param(query, "group_by").unwrap_or_else(|| "tenant,feature".into());
    let by = GroupBy::parse(Some(&group)).map_err(GatewayError::bad_request)?;
    Ok((period, by, group))
}

async fn report_rows(
    state: &AppState,
    period: &str,
) -> Result<(Vec<crate::ledger::SpendRow>, DateTime<Utc>, DateTime<Utc>), GatewayError> {
    let tz = state.snapshot().config.plan.timezone;
    let (from, to) = reports::period(period, tz).map_err(GatewayError::bad_request)?;
    let rows = state
        .ledger
        .spend_report(from, to)
        .await
        .map_err(GatewayError::ledger("report"))?;
    Ok((rows, from, to))
}

pub(crate) async fn page(state: &AppState, query: &str) -> Result<String, GatewayError> {
    let (period, by, group) = report_params(state, query)?;
    let (rows, from, to) = report_rows(state, &period).await?;
    let v = reports::json(&rows, by, from, to);
    let groups = [
        ("tenant,feature", "tenant and feature"),
        ("tenant", "tenant"),
        ("feature", "feature"),
    ]
    .map(|(v, l)| (v.to_string(), l.to_string()));
    let mut out = format!(
        "<form class=\"filters\" method=\"get\" action=\"/ui/reports\">\
         <label>period<input name=\"period\" value=\"{p}\" placeholder=\"2026-11\"></label>\
         <label>group by{g}</label><button type=\"submit\">Show</button>\
         <a id=\"csv\" href=\"/ui/reports.csv?period={pu}&amp;group_by={gu}\" download>Download CSV</a></form>",
        p = esc(&period),
        g = select("group_by", &groups, &group),
        pu = url_param(&period),
        gu = url_param(&group),
    );
    let keys: Vec<&str> = [
        by.tenant.then_some("tenant"),
        by.feature.then_some("feature"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let amounts = [
        "requests", "held", "captured", "released", "expired", "adjusted", "overage",
    ];
    let cell = |g: &Value, k: &str| match &g[k] {
        Value::String(s) => esc(s),
        other => esc(&other.to_string()),
    };
    let mut body: Vec<Vec<String>> = v["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            keys.iter()
                .chain(amounts.iter())
                .map(|k| cell(g, k))
                .collect()
        })
        .collect();
    let mut total: Vec<String> = keys.iter().map(|_| "<b>total</b>".to_string()).collect();
    total.extend(
        amounts
            .iter()
            .map(|k| format!("<b>{}</b>", cell(&v["totals"], k))),
    );
    body.push(total);
    let head: Vec<&str> = keys.iter().chain(amounts.iter()).copied().collect();
    out.push_str(&table("report", &head, &body));
    Ok(out)
}

/// `/ui/reports.csv`: the same CSV as the admin API, as a download.
pub(crate) async fn csv(state: &AppState, query: &str) -> Result<(String, String), GatewayError> {
    let (period, by, _) = report_params(state, query)?;
    let (rows, _, _) = report_rows(state, &period).await?;
    Ok((reports::csv(&rows, by), format!("spend-{period}.csv")))
}
