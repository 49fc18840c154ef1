//! The admin read endpoints over the ledger: `holds`, the journal export
//! (`ledger`, JSON lines or CSV, paged by `after`), `ledger/verify` and
//! `reports/spend`. They only read, page and format rows, so they sit
//! apart from the routing and the audited writes.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{header, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

use super::{limit_param, param, time_param, AdminResult, MAX_ROWS};
use crate::error::GatewayError;
use crate::http::{full, json_response};
use crate::ledger::{HoldFilter, HoldInfo, HoldState, JournalEntry};
use crate::money::format_credits;
use crate::state::AppState;

fn hold_json(h: &HoldInfo) -> Value {
    json!({
        "hold_id": h.hold_id, "tenant": h.tenant, "feature": h.feature, "route": h.route, "state": h.state.as_str(),
        "amount": format_credits(h.amount), "held": format_credits(h.held), "captured": format_credits(h.captured),
        "render": h.render, "price_version": h.price_version, "request_id": h.request_id,
        "created_at": h.created_at.to_rfc3339(), "expires_at": h.expires_at.to_rfc3339(),
        "settled_at": h.settled_at.map(|t| t.to_rfc3339()),
    })
}

pub(super) async fn holds(state: &AppState, query: &str) -> AdminResult {
    let hold_state = match param(query, "state").as_deref() {
        None | Some("") => None,
        Some(s) => Some(HoldState::parse(s).ok_or_else(|| {
            GatewayError::bad_request(
                "`state` is one of held, submitted, captured, released, expired",
            )
        })?),
    };
    let limit = limit_param(query, 1000, MAX_ROWS)?;
    let tenant = param(query, "tenant").filter(|t| !t.is_empty());
    // A tenant the config does not name is a 404, as for adjustments, not
    // an empty list that reads as "no holds".
    if let Some(id) = &tenant {
        if state.snapshot().config.tenant(id).is_none() {
            return Err(GatewayError::UnknownTenant { id: id.clone() });
        }
    }
    let filter = HoldFilter {
        state: hold_state,
        tenant,
        limit,
        oldest_first: false,
    };
    let list = state
        .ledger
        .list_holds(filter)
        .await
        .map_err(GatewayError::ledger("list_holds"))?;
    Ok(json_response(
        StatusCode::OK,
        json!({"data": list.iter().map(hold_json).collect::<Vec<_>>()}),
    ))
}

fn entry_json(e: &JournalEntry) -> Value {
    json!({
        "seq": e.seq, "at": e.at.to_rfc3339(), "kind": e.kind.as_str(), "hold_id": e.hold_id, "scope": e.scope.label(),
        "tenant": e.tenant, "feature": e.feature, "amount": format_credits(e.amount), "price_version": e.price_version,
        "request_id": e.request_id, "upstream_ids": e.upstream_ids, "actor": e.actor, "reason": e.reason,
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `GET /admin/v1/reports/spend?period=2026-11 | from=…&to=…`, `group_by`,
/// `format=json|csv`.
pub(super) async fn spend_report(state: &AppState, query: &str) -> AdminResult {
    use crate::admin::reports;
    let tz = state.snapshot().config.plan.timezone;
    let (from, to) =
        match param(query, "period") {
            Some(p) => reports::period(&p, tz).map_err(GatewayError::bad_request)?,
            None => match (time_param(query, "from")?, time_param(query, "to")?) {
                (Some(f), Some(t)) if f < t => (f, t),
                _ => return Err(GatewayError::bad_request(
                    "give `period` (2026-11) or both `from` and `to` (RFC 3339, from before to)",
                )),
            },
        };
    let by = reports::GroupBy::parse(param(query, "group_by").as_deref())
        .map_err(GatewayError::bad_request)?;
    let rows = state
        .ledger
        .spend_report(from, to)
        .await
        .map_err(GatewayError::ledger("report"))?;
    match param(query, "format").as_deref().unwrap_or("json") {
        "json" => Ok(json_response(
            StatusCode::OK,
            json!({ "data": reports::json(&rows, by, from, to) }),
        )),
        "csv" => {
            let mut resp = Response::new(full(Bytes::from(reports::csv(&rows, by))));
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
            Ok(resp)
        }
        _ => Err(GatewayError::bad_request("`format` is json or csv")),
    }
}

pub(super) async fn ledger(state: &AppState, query: &str) -> AdminResult {
    let from = time_param(query, "from")?.unwrap_or(DateTime::<Utc>::MIN_UTC);
    let to = time_param(query, "to")?.unwrap_or(DateTime::<Utc>::MAX_UTC);
    if from > to {
        return Err(GatewayError::bad_request("`from` must not be after `to`"));
    }
    let limit = limit_param(query, MAX_ROWS, MAX_ROWS)?;
    // Cursor: the last `seq` of the previous page (`X-Next-After`).
    let after = match param(query, "after").as_deref() {
        None | Some("") => 0,
        Some(v) => v.parse().map_err(|_| {
            GatewayError::bad_request("`after` is the `seq` of the last entry read")
        })?,
    };
    let rows = state
        .ledger
        .journal(from, to, after, limit)
        .await
        .map_err(GatewayError::ledger("journal"))?;
    // A full page may have more after it: say where to go on.
    let next = (rows.len() as u64 == u64::from(limit))
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    let (body, ctype) = match param(query, "format").as_deref().unwrap_or("jsonl") {
        "jsonl" => {
            let mut out = String::new();
            for r in &rows {
                out.push_str(&entry_json(r).to_string());
                out.push('\n');
            }
            (out, "application/x-ndjson")
        }
        "csv" => {
            let mut out = String::from("seq,at,kind,hold_id,scope,tenant,feature,amount,price_version,request_id,upstream_ids,actor,reason\n");
            for r in &rows {
                let fields = [
                    r.seq.to_string(),
                    r.at.to_rfc3339(),
                    r.kind.as_str().to_string(),
                    r.hold_id.clone().unwrap_or_default(),
                    r.scope.label(),
                    r.tenant.clone().unwrap_or_default(),
                    r.feature.clone().unwrap_or_default(),
                    format_credits(r.amount),
                    r.price_version.clone().unwrap_or_default(),
                    r.request_id.clone().unwrap_or_default(),
                    r.upstream_ids.join(" "),
                    r.actor.clone().unwrap_or_default(),
                    r.reason.clone().unwrap_or_default(),
                ];
                out.push_str(
                    &fields
                        .iter()
                        .map(|f| csv_field(f))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                out.push('\n');
            }
            (out, "text/csv")
        }
        _ => return Err(GatewayError::bad_request("`format` is jsonl or csv")),
    };
    let mut resp = Response::new(full(Bytes::from(body)));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Some(seq) = next {
        resp.headers_mut()
            .insert("x-next-after", HeaderValue::from(seq));
    }
    Ok(resp)
}

/// `GET ledger/verify[?grace_seconds=N]`: the `ledger verify` report as
/// JSON, 200 whether it passes or not (`ok` says which). Reads its own
/// read-only snapshot of the configured store.
pub(super) async fn verify(state: &AppState, query: &str) -> AdminResult {
    use crate::ledger::audit::{AuditOptions, DEFAULT_GRACE_SECONDS};
    let grace_seconds = match param(query, "grace_seconds").as_deref() {
        None | Some("") => DEFAULT_GRACE_SECONDS,
        Some(v) => v.parse().map_err(|_| {
            GatewayError::bad_request("`grace_seconds` must be a non-negative integer")
        })?,
    };
    let rt = state.snapshot();
    let opts = AuditOptions {
        tz: rt.config.plan.timezone,
        now: state.clock.now(),
        grace_seconds,
    };
    let report = crate::ledger::audit::verify(&rt.config.store, &opts)
        .await
        .map_err(GatewayError::ledger("verify"))?;
    if !report.ok {
        tracing::warn!(
            violations = report.violations.len(),
            "Ledger verification found violations."
        );
    }
    Ok(json_response(StatusCode::OK, report.to_json()))
}
