//! The running configuration, as ops set it, with every secret redacted:
//! secrets appear only as where they are read from (an env var's or a
//! file's name), store and Redis URLs not at all, tenant keys as a count.

use std::fmt::Write;

use super::html::{esc, table};
use crate::config::{Budgets, Config, StoreConfig};
use crate::money::format_credits;

fn budgets(b: &Budgets) -> String {
    let parts: Vec<String> = [
        ("daily", b.daily),
        ("weekly", b.weekly),
        ("monthly", b.monthly),
        ("total", b.total),
    ]
    .iter()
    .filter_map(|(w, v)| v.map(|m| format!("{w} {}", format_credits(m))))
    .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".into(), |v| v.to_string())
}

pub(crate) fn render(cfg: &Config) -> String {
    let kv = |pairs: Vec<(&str, String)>| -> Vec<Vec<String>> {
        pairs
            .into_iter()
            .map(|(k, v)| vec![esc(k), esc(&v)])
            .collect()
    };
    let store = match &cfg.store {
        StoreConfig::Sqlite { path } => format!("sqlite {}", path.display()),
        StoreConfig::Postgres { pool_size, .. } => {
            format!("postgres (url redacted), pool {pool_size}")
        }
    };
    let general = kv(vec![
        ("server.listen", cfg.server.listen.to_string()),
        ("server.admin_listen", cfg.server.admin_listen.to_string()),
        (
            "server.admin_token",
            format!("from env var {} (redacted)", cfg.server.admin_token_env),
        ),
        ("upstream.api_url", cfg.upstream.api.to_string()),
        ("upstream.upload_url", cfg.upstream.upload.to_string()),
        (
            "upstream.api_key",
            format!("from {} (redacted)", cfg.upstream.api_key),
        ),
        ("store", store),
        ("plan.tier", cfg.plan.tier.as_str().to_string()),
        (
            "plan.max_video_seconds",
            cfg.plan.max_video_seconds.to_string(),
        ),
        ("plan.timezone", cfg.plan.timezone.name().to_string()),
        ("pricing.version", cfg.pricing.version().to_string()),
        (
            "settlement.hold_ttl_seconds",
            cfg.settlement.hold_ttl.as_secs().to_string(),
        ),
        (
            "metrics.alert_thresholds",
            format!("{:?}", cfg.metrics.alert_thresholds),
        ),
        (
            "webhooks.secret",
            cfg.webhooks
                .secret
                .as_ref()
                .map_or_else(|| "none".into(), |s| format!("from {s} (redacted)")),
        ),
        (
            "cluster.redis",
            if cfg.cluster.redis.is_some() {
                "configured (url redacted)".into()
            } else {
                "none (limits per process)".into()
            },
        ),
        ("org.budgets", budgets(&cfg.org.budgets)),
        ("org.renders_in_flight", opt(cfg.org.renders_in_flight)),
        ("org.sessions_in_flight", opt(cfg.org.sessions_in_flight)),
        ("org.shadow", cfg.org.shadow.to_string()),
    ]);
    let tenants: Vec<Vec<String>> = cfg
        .tenants
        .iter()
        .map(|t| {
            vec![
                esc(&t.id),
                esc(&t.name),
                t.enabled.to_string(),
                t.shadow.to_string(),
                format!("{} (hashes only)", t.key_hashes.len()),
                esc(&budgets(&t.budgets)),
                format!(
                    "{}/min, burst {}, renders {}, sessions {}",
                    t.limits.requests_per_minute,
                    t.limits.burst,
                    opt(t.limits.renders_in_flight),
                    opt(t.limits.sessions_in_flight)
                ),
            ]
        })
        .collect();
    let mut out = String::new();
    let _ = write!(
        out,
        "<p class=\"muted\">The configuration in force. Keys read only at start-up (listeners, \
         store, upstream URLs, keys and timeouts, webhook secret, cluster) show the values the \
         process runs with until a restart, whatever a reload read; the reload's answer and log \
         name the ones it could not apply. Secrets are never shown: only where they are read \
         from.</p>{}<h3>Tenants</h3>{}",
        table("settings", &["key", "value"], &general),
        table(
            "tenants",
            &["id", "name", "enabled", "shadow", "keys", "budgets", "limits"],
            &tenants
        ),
    );
    out
}
