//! `FileConfig` → `Config` in one pass that collects every error.
//!
//! The pass and the plan, settlement, store, metrics and routes sections
//! live here; `connections` checks what the gateway listens on and calls
//! (server, upstream, webhooks) and `tenants` the per-tenant and budget
//! sections.

mod connections;
mod tenants;

use std::path::PathBuf;
use std::time::Duration;

use super::file::*;
use super::*;
use crate::pricing::TestMode;
use connections::{server, upstream, webhooks};
pub use tenants::tenant_id_problem;
use tenants::{budgets, nonzero_opt, tenants};

struct Errors(Vec<ConfigError>);

impl Errors {
    fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigError::new(key, message));
    }
}

pub(super) fn validate(raw: FileConfig) -> Result<Config, Vec<ConfigError>> {
    let mut errs = Errors(Vec::new());
    let server = server(&raw.server, &mut errs);
    let upstream = upstream(&raw.upstream, &mut errs);
    let store = store(&raw.store, &mut errs);
    let plan = plan(&raw.plan, &mut errs);
    let webhooks = webhooks(&raw.webhooks, &mut errs);
    let pricing = match crate::pricing::PriceBook::from_file(&raw.pricing) {
        Ok(book) => Some(book),
        Err(list) => {
            errs.0.extend(list.into_iter().map(ConfigError::from));
            None
        }
    };
    let settlement = settlement(&raw.settlement, &mut errs);
    let routes = RoutesConfig {
        unknown_writes: match raw.routes.unknown_writes.as_str() {
            "deny" => UnknownWrites::Deny,
            "allow" => UnknownWrites::Allow,
            other => {
                errs.push(
                    "routes.unknown_writes",
                    format!("is {other:?}; use \"deny\" or \"allow\""),
                );
                UnknownWrites::Deny
            }
        },
    };
    let metrics = metrics(&raw.metrics, &mut errs);
    let org = OrgConfig {
        budgets: budgets("org.budgets", &raw.org.budgets, &mut errs),
        renders_in_flight: nonzero_opt(
            "org.renders_in_flight",
            raw.org.renders_in_flight,
            &mut errs,
        ),
        sessions_in_flight: nonzero_opt(
            "org.sessions_in_flight",
            raw.org.sessions_in_flight,
            &mut errs,
        ),
        shadow: raw.org.shadow,
        limits: super::cluster::org_limits(&raw.org.limits, &mut errs.0),
    };
    let tenants = tenants(&raw.tenants, &mut errs);
    let egress = super::EgressConfig::from_file(&raw.egress, &mut errs.0);
    let probe = super::ProbeConfig::from_file(&raw.probe, &mut errs.0);
    let isolation = super::isolation::IsolationConfig::from_file(&raw.isolation, &mut errs.0);
    let cluster = super::ClusterConfig::from_file(&raw.cluster, &mut errs.0);
    let alerts = super::AlertsConfig::from_file(&raw.alerts, &mut errs.0);
    match (errs.0.is_empty(), pricing) {
        (true, Some(pricing)) => Ok(Config {
            server,
            upstream,
            store,
            plan,
            webhooks,
            pricing,
            settlement,
            routes,
            metrics,
            org,
            tenants,
            egress,
            probe,
            isolation,
            cluster,
            alerts,
        }),
        _ => Err(errs.0),
    }
}

fn plan(p: &FilePlan, errs: &mut Errors) -> PlanConfig {
    let tier = match p.tier.as_str() {
        "pay_as_you_go" => Tier::PayAsYouGo,
        "enterprise" => Tier::Enterprise,
        other => {
            errs.push(
                "plan.tier",
                format!("is {other:?}; use \"pay_as_you_go\" or \"enterprise\""),
            );
            Tier::PayAsYouGo
        }
    };
    if p.max_video_seconds == 0 {
        errs.push(
            "plan.max_video_seconds",
            "must be greater than 0 (HeyGen Scale allows 1800)",
        );
    }
    let timezone = p.timezone.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
        errs.push(
            "plan.timezone",
            format!(
                "{:?} is not an IANA time zone; write it like \"UTC\" or \"Europe/Berlin\"",
                p.timezone
            ),
        );
        chrono_tz::UTC
    });
    let test_mode = match p.test_mode.as_str() {
        "billed" => TestMode::Billed,
        "free" => TestMode::Free,
        other => {
            errs.push(
                "plan.test_mode",
                format!("is {other:?}; use \"billed\" (test renders cost credits) or \"free\" (your account still has free test mode)"),
            );
            TestMode::Billed
        }
    };
    PlanConfig {
        tier,
        max_video_seconds: p.max_video_seconds,
        timezone,
        test_mode,
    }
}

/// Longest hold TTL: a month keeps a hold's budget for a month already, and
/// a TTL past what dates can add would fail every costed request.
const MAX_HOLD_TTL_SECONDS: u64 = 30 * 24 * 3600;

fn settlement(s: &FileSettlement, errs: &mut Errors) -> SettlementConfig {
    if s.hold_ttl_seconds < 600 {
        errs.push(
            "settlement.hold_ttl_seconds",
            "must be at least 600: renders take minutes and an early expiry captures the full hold",
        );
    }
    if s.hold_ttl_seconds > MAX_HOLD_TTL_SECONDS {
        errs.push(
            "settlement.hold_ttl_seconds",
            format!("must be at most {MAX_HOLD_TTL_SECONDS} (30 days): an unsettled hold keeps its budget that long"),
        );
    }
    if s.poll_min_age_seconds > s.hold_ttl_seconds {
        errs.push(
            "settlement.poll_min_age_seconds",
            "must not exceed settlement.hold_ttl_seconds: a job younger than this is not polled, so every hold would expire unpolled",
        );
    }
    if !(1..=3600).contains(&s.poll_interval_seconds) {
        errs.push("settlement.poll_interval_seconds", "must be 1 to 3600");
    }
    if s.poll_concurrency == 0 {
        errs.push("settlement.poll_concurrency", "must be at least 1");
    }
    if !(1..=30).contains(&s.session_tick_seconds) {
        errs.push(
            "settlement.session_tick_seconds",
            "must be 1 to 30: a session may run past its budget by one tick",
        );
    }
    if !(10..=3600).contains(&s.session_idle_seconds) {
        errs.push("settlement.session_idle_seconds", "must be 10 to 3600");
    }
    SettlementConfig {
        hold_ttl: Duration::from_secs(s.hold_ttl_seconds),
        poll_interval: Duration::from_secs(s.poll_interval_seconds.max(1)),
        poll_min_age: Duration::from_secs(s.poll_min_age_seconds),
        poll_concurrency: s.poll_concurrency.max(1) as usize,
        session_tick: Duration::from_secs(s.session_tick_seconds.clamp(1, 30)),
        session_idle: Duration::from_secs(s.session_idle_seconds),
    }
}

fn metrics(m: &FileMetrics, errs: &mut Errors) -> MetricsConfig {
    let mut thresholds = m.alert_thresholds.clone();
    for (i, t) in thresholds.iter().enumerate() {
        if *t == 0 || *t > 100 {
            errs.push(
                format!("metrics.alert_thresholds[{i}]"),
                "must be a percentage from 1 to 100",
            );
        }
    }
    thresholds.sort_unstable();
    thresholds.dedup();
    if !(1..=3600).contains(&m.gauge_interval_seconds) {
        errs.push("metrics.gauge_interval_seconds", "must be 1 to 3600");
    }
    if m.quota_poll_seconds > 86_400 {
        errs.push(
            "metrics.quota_poll_seconds",
            "must be at most 86400 (0 turns the balance poll off)",
        );
    }
    MetricsConfig {
        quota_poll: (m.quota_poll_seconds > 0).then(|| Duration::from_secs(m.quota_poll_seconds)),
        alert_thresholds: thresholds,
        gauge_interval: Duration::from_secs(m.gauge_interval_seconds.max(1)),
    }
}

fn store(s: &FileStore, errs: &mut Errors) -> StoreConfig {
    let password = connections::secret_source(
        "store.password_env",
        s.password_env.as_deref(),
        s.password_file.as_deref(),
        None,
        errs,
    );
    if let Some(path) = s.url.strip_prefix("sqlite://") {
        if path.is_empty() {
            errs.push(
                "store.url",
                "sqlite:// needs a file path, like \"sqlite://data/ledger.db\"",
            );
        }
        if password.is_some() {
            errs.push(
                "store.password_env",
                "a password is for a postgres:// store.url; remove it for SQLite",
            );
        }
        StoreConfig::Sqlite {
            path: PathBuf::from(path),
        }
    } else if s.url.starts_with("postgres://") || s.url.starts_with("postgresql://") {
        if s.pool_size == 0 {
            errs.push("store.pool_size", "must be at least 1");
        }
        // Checked now: a bad `sslmode` or root file stops the start naming the key.
        match PgUrl::parse(&s.url) {
            Err(why) => errs.push("store.url", why),
            Ok(url) if url.config.get_password().is_some() && password.is_some() => errs.push(
                "store.password_env",
                "store.url carries a password too; keep one (the URL's password out of the file is safer)",
            ),
            Ok(_) => {}
        }
        StoreConfig::Postgres {
            url: s.url.clone(),
            pool_size: s.pool_size.max(1),
            password,
        }
    } else {
        errs.push(
            "store.url",
            // Only the scheme: the rest may carry a password.
            format!(
                "{:?} is not a supported scheme; use \"sqlite://PATH\" or \"postgres://USER@HOST/DB\"",
                s.url.split_once("://").map_or("(none)", |(scheme, _)| scheme)
            ),
        );
        StoreConfig::Sqlite {
            path: PathBuf::from("data/ledger.db"),
        }
    }
}
