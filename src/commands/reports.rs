//! The commands that read the configured ledger and print: `usage`,
//! `calibrate`, `report` and `ledger verify`. Each opens the ledger from the
//! config's store, reads, prints text or JSON and exits.

use std::process::ExitCode;

use super::{load, EXIT_CONFIG};

/// `calibrate`: projected against real lengths of settled jobs.
pub(super) async fn calibrate(path: &std::path::Path, since: Option<&str>, json: bool) -> ExitCode {
    use crate::admin::calibrate;
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let since = match since {
        None => chrono::Utc::now() - chrono::Duration::days(30),
        Some(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => t.with_timezone(&chrono::Utc),
            Err(_) => {
                eprintln!("error: --since must be an RFC 3339 time like 2026-11-01T00:00:00Z");
                return ExitCode::from(EXIT_CONFIG);
            }
        },
    };
    let samples = match super::open_existing(&config).await {
        Ok(l) => l.calibration_samples(since).await,
        Err(e) => Err(e),
    };
    let samples = match samples {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: reading the ledger: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = calibrate::report(&samples, config.pricing.projection());
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else if samples.is_empty() {
        outln!(
            "No job settled since {} with a known length yet.",
            since.to_rfc3339()
        );
    } else {
        out!("{}", calibrate::table(&report));
    }
    ExitCode::SUCCESS
}

/// `report`: the spend report of a period, JSON or CSV on stdout.
pub(super) async fn report(
    path: &std::path::Path,
    period: &str,
    group_by: Option<&str>,
    csv: bool,
) -> ExitCode {
    use crate::admin::reports;
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let parsed = reports::period(period, config.plan.timezone)
        .and_then(|p| reports::GroupBy::parse(group_by).map(|g| (p, g)));
    let ((from, to), by) = match parsed {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let rows = match super::open_existing(&config).await {
        Ok(l) => l.spend_report(from, to).await,
        Err(e) => Err(e),
    };
    match rows {
        Ok(rows) if csv => out!("{}", reports::csv(&rows, by)),
        Ok(rows) => outln!(
            "{}",
            serde_json::to_string_pretty(&reports::json(&rows, by, from, to)).unwrap_or_default()
        ),
        Err(e) => {
            eprintln!("error: reading the ledger: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Prints budgets and usage of the org and tenants from the configured ledger.
pub(super) async fn usage(path: &std::path::Path, tenant: Option<String>, json: bool) -> ExitCode {
    use crate::ledger::Scope;
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut scopes = Vec::new();
    match &tenant {
        Some(id) => match config.tenant(id) {
            Some(t) => scopes.push((Scope::Tenant(t.id.clone()), t.budgets)),
            None => {
                eprintln!("error: no tenant {id:?} in {}", path.display());
                return ExitCode::from(EXIT_CONFIG);
            }
        },
        None => {
            scopes.push((Scope::Org, config.org.budgets));
            scopes.extend(
                config
                    .tenants
                    .iter()
                    .map(|t| (Scope::Tenant(t.id.clone()), t.budgets)),
            );
        }
    }
    let ledger = match super::open_existing(&config).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot open the ledger: {e}");
            return ExitCode::FAILURE;
        }
    };
    let usage = match ledger
        .usage(&scopes, config.plan.timezone, chrono::Utc::now())
        .await
    {
        Ok(u) => u,
        Err(e) => {
            eprintln!("error: reading usage: {e}");
            return ExitCode::FAILURE;
        }
    };
    if json {
        let v: Vec<serde_json::Value> = usage
            .iter()
            .map(|u| {
                let shadow = config.is_shadow(u.scope.tenant());
                serde_json::json!({"scope": u.scope.label(), "shadow": shadow,
                    "windows": crate::proxy::self_service::usage_json(u)})
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    use crate::money::format_credits;
    let dash = || "-".to_string();
    // LIMIT is the period's effective limit: the configured one plus GRANTED.
    // MODE `shadow`: the scope's budgets only report, nothing is refused.
    outln!(
        "{:<20} {:<8} {:<8} {:<11} {:>12} {:>10} {:>12} {:>12} {:>12}  RESETS",
        "SCOPE",
        "MODE",
        "WINDOW",
        "PERIOD",
        "LIMIT",
        "GRANTED",
        "HELD",
        "SPENT",
        "REMAINING"
    );
    for u in &usage {
        let mode = if config.is_shadow(u.scope.tenant()) {
            "shadow"
        } else {
            "enforced"
        };
        for w in &u.windows {
            outln!(
                "{:<20} {:<8} {:<8} {:<11} {:>12} {:>10} {:>12} {:>12} {:>12}  {}",
                u.scope.label(),
                mode,
                w.window.as_str(),
                w.period,
                w.effective_limit().map_or_else(dash, format_credits),
                format_credits(w.granted),
                format_credits(w.held),
                format_credits(w.spent),
                w.remaining.map_or_else(dash, format_credits),
                w.resets_at.map_or_else(dash, |t| t.to_rfc3339()),
            );
        }
    }
    ExitCode::SUCCESS
}

/// `ledger verify`: exit 0 when every invariant holds, 1 with the report,
/// 69 when the ledger cannot be read, 64 for an invalid configuration.
pub(super) async fn ledger_verify(
    path: &std::path::Path,
    json: bool,
    grace_seconds: u64,
) -> ExitCode {
    use crate::ledger::audit::{verify, AuditOptions};
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let opts = AuditOptions {
        tz: config.plan.timezone,
        now: chrono::Utc::now(),
        grace_seconds,
    };
    let report = match verify(&config.store, &opts).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot read the ledger: {e}");
            return ExitCode::from(super::EXIT_UNAVAILABLE);
        }
    };
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        );
    } else {
        out!("{}", report.to_text());
    }
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
