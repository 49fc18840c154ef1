//! `FileConfig` → `Config` in one pass that collects every error.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use super::defaults::*;
use super::file::*;
use super::*;
use crate::catalog::Family;
use crate::money::credits_to_micros;
use crate::pricing::TestMode;

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

fn webhooks(w: &FileWebhooks, errs: &mut Errors) -> WebhookConfig {
    let interval_ms = w.fanout_interval_ms.unwrap_or(DEFAULT_FANOUT_INTERVAL_MS);
    if interval_ms == 0 {
        errs.push(
            "webhooks.fanout_interval_ms",
            "must be greater than 0 (milliseconds between outbox polls)",
        );
    }
    let concurrency = w.fanout_concurrency.unwrap_or(DEFAULT_FANOUT_CONCURRENCY);
    if !(1..=256).contains(&concurrency) {
        errs.push(
            "webhooks.fanout_concurrency",
            "must be between 1 and 256 (deliveries in flight at once)",
        );
    }
    let retry_ms = w
        .fanout_retry_base_ms
        .unwrap_or(DEFAULT_FANOUT_RETRY_BASE_MS);
    if retry_ms == 0 {
        errs.push(
            "webhooks.fanout_retry_base_ms",
            "must be greater than 0 (milliseconds; the first retry waits up to this long)",
        );
    }
    WebhookConfig {
        secret: secret_source(
            "webhooks",
            w.secret_env.as_deref(),
            w.secret_file.as_deref(),
            None,
            errs,
        ),
        tolerance: Duration::from_secs(
            w.tolerance_seconds
                .unwrap_or(DEFAULT_WEBHOOK_TOLERANCE_SECONDS),
        ),
        fanout_interval: Duration::from_millis(interval_ms.max(1)),
        fanout_concurrency: concurrency.clamp(1, 256) as usize,
        fanout_retry_base: Duration::from_millis(retry_ms.max(1)),
    }
}

fn addr(key: &str, value: &str, errs: &mut Errors) -> SocketAddr {
    value.parse().unwrap_or_else(|_| {
        errs.push(
            key,
            format!("{value:?} is not a socket address; write it like \"127.0.0.1:8080\""),
        );
        SocketAddr::from(([127, 0, 0, 1], 0))
    })
}

/// More I/O threads than this is a typo, not a machine.
const MAX_IO_THREADS: u64 = 256;

fn server(s: &FileServer, errs: &mut Errors) -> ServerConfig {
    if s.max_body_bytes == 0 {
        errs.push("server.max_body_bytes", "must be greater than 0");
    }
    if s.max_json_body_bytes == 0 || s.max_json_body_bytes > 64 * 1024 * 1024 {
        errs.push(
            "server.max_json_body_bytes",
            "must be between 1 and 67108864 (64 MiB): priced JSON bodies are held in memory",
        );
    }
    let log_json = match s.log_format.as_str() {
        "text" => false,
        "json" => true,
        other => {
            errs.push(
                "server.log_format",
                format!("is {other:?}; use \"text\" or \"json\""),
            );
            false
        }
    };
    if s.admin_token_env.trim().is_empty() {
        errs.push(
            "server.admin_token_env",
            "must name the environment variable holding the admin bearer token",
        );
    }
    let io_threads = match s.io_threads {
        None => std::thread::available_parallelism().map_or(1, usize::from),
        Some(n) if n <= MAX_IO_THREADS => n as usize,
        Some(n) => {
            errs.push(
                "server.io_threads",
                format!("is {n}; use 0 (shared runtime) up to {MAX_IO_THREADS}, or leave it out for one per core"),
            );
            0
        }
    };
    ServerConfig {
        listen: addr("server.listen", &s.listen, errs),
        admin_listen: addr("server.admin_listen", &s.admin_listen, errs),
        admin_token_env: s.admin_token_env.clone(),
        max_body_bytes: s.max_body_bytes,
        max_json_body_bytes: s.max_json_body_bytes as usize,
        shutdown_grace: Duration::from_secs(s.shutdown_grace_seconds),
        log_json,
        conn: super::conn::conn(s, &mut errs.0),
        io_threads,
    }
}

fn base_url(key: &str, value: &str, errs: &mut Errors) -> BaseUrl {
    let fallback = BaseUrl {
        scheme: http::uri::Scheme::HTTPS,
        authority: http::uri::Authority::from_static("invalid"),
    };
    let uri: http::Uri = match value.parse() {
        Ok(u) => u,
        Err(_) => {
            errs.push(
                key,
                format!("{value:?} is not a URL; write it like \"https://api.heygen.com\""),
            );
            return fallback;
        }
    };
    let (Some(scheme), Some(authority)) = (uri.scheme().cloned(), uri.authority().cloned()) else {
        errs.push(
            key,
            format!("{value:?} needs a scheme and host, like \"https://api.heygen.com\""),
        );
        return fallback;
    };
    if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS {
        errs.push(
            key,
            format!("scheme {scheme} is not supported; use https (or http for a local mock)"),
        );
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        errs.push(
            key,
            "must be a bare origin without path or query; HeyGen paths are forwarded as sent",
        );
    }
    BaseUrl { scheme, authority }
}

fn secret_source(
    section: &str,
    env: Option<&str>,
    file: Option<&str>,
    default_env: Option<&str>,
    errs: &mut Errors,
) -> Option<SecretSource> {
    match (env, file) {
        (Some(_), Some(_)) => {
            errs.push(
                section.to_string(),
                "set only one of the `*_env` and `*_file` keys for this secret",
            );
            None
        }
        (Some(name), None) if name.trim().is_empty() => {
            errs.push(section, "the environment variable name is empty");
            None
        }
        (Some(name), None) => Some(SecretSource::Env(name.to_string())),
        (None, Some(path)) => Some(SecretSource::File(PathBuf::from(path))),
        (None, None) => default_env.map(|n| SecretSource::Env(n.to_string())),
    }
}

fn upstream(u: &FileUpstream, errs: &mut Errors) -> UpstreamConfig {
    let api_key = secret_source(
        "upstream.api_key_env",
        u.api_key_env.as_deref(),
        u.api_key_file.as_deref(),
        Some(DEFAULT_API_KEY_ENV),
        errs,
    )
    .unwrap_or(SecretSource::Env(DEFAULT_API_KEY_ENV.into()));
    for (key, v) in [
        ("upstream.connect_timeout_ms", u.connect_timeout_ms),
        ("upstream.request_timeout_ms", u.request_timeout_ms),
        ("upstream.upload_timeout_ms", u.upload_timeout_ms),
    ] {
        if v == 0 {
            errs.push(key, "must be greater than 0 (milliseconds)");
        }
    }
    UpstreamConfig {
        api: base_url("upstream.api_url", &u.api_url, errs),
        upload: base_url("upstream.upload_url", &u.upload_url, errs),
        api_key,
        liveavatar: base_url("upstream.liveavatar_url", &u.liveavatar_url, errs),
        liveavatar_key: secret_source(
            "upstream.liveavatar_key_env",
            u.liveavatar_key_env.as_deref(),
            u.liveavatar_key_file.as_deref(),
            None,
            errs,
        ),
        connect_timeout: Duration::from_millis(u.connect_timeout_ms),
        request_timeout: Duration::from_millis(u.request_timeout_ms),
        upload_timeout: Duration::from_millis(u.upload_timeout_ms),
        pool_idle_timeout: Duration::from_secs(u.pool_idle_timeout_seconds),
    }
}

fn store(s: &FileStore, errs: &mut Errors) -> StoreConfig {
    if let Some(path) = s.url.strip_prefix("sqlite://") {
        if path.is_empty() {
            errs.push(
                "store.url",
                "sqlite:// needs a file path, like \"sqlite://data/ledger.db\"",
            );
        }
        StoreConfig::Sqlite {
            path: PathBuf::from(path),
        }
    } else if s.url.starts_with("postgres://") || s.url.starts_with("postgresql://") {
        if s.pool_size == 0 {
            errs.push("store.pool_size", "must be at least 1");
        }
        StoreConfig::Postgres {
            url: s.url.clone(),
            pool_size: s.pool_size.max(1),
        }
    } else {
        errs.push(
            "store.url",
            format!(
                "{:?} is not supported; use \"sqlite://PATH\" or \"postgres://USER@HOST/DB\"",
                s.url
            ),
        );
        StoreConfig::Sqlite {
            path: PathBuf::from("data/ledger.db"),
        }
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

fn settlement(s: &FileSettlement, errs: &mut Errors) -> SettlementConfig {
    if s.hold_ttl_seconds < 600 {
        errs.push(
            "settlement.hold_ttl_seconds",
            "must be at least 600: renders take minutes and an early expiry captures the full hold",
        );
    }
    if s.poll_interval_seconds == 0 {
        errs.push("settlement.poll_interval_seconds", "must be greater than 0");
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
    if m.gauge_interval_seconds == 0 {
        errs.push("metrics.gauge_interval_seconds", "must be at least 1");
    }
    MetricsConfig {
        quota_poll: (m.quota_poll_seconds > 0).then(|| Duration::from_secs(m.quota_poll_seconds)),
        alert_thresholds: thresholds,
        gauge_interval: Duration::from_secs(m.gauge_interval_seconds.max(1)),
    }
}

fn budgets(key: &str, b: &FileBudgets, errs: &mut Errors) -> Budgets {
    let mut one = |window: &str, v: Option<f64>| {
        let v = v?;
        match credits_to_micros(v) {
            Some(m) if m >= 0 => Some(m),
            _ => {
                errs.push(
                    format!("{key}.{window}"),
                    format!("is {v}; must be a non-negative number of credits"),
                );
                None
            }
        }
    };
    Budgets {
        daily: one("daily", b.daily),
        weekly: one("weekly", b.weekly),
        monthly: one("monthly", b.monthly),
        total: one("total", b.total),
    }
}

fn nonzero_opt(key: &str, v: Option<u32>, errs: &mut Errors) -> Option<u32> {
    if v == Some(0) {
        errs.push(key, "must be at least 1 (omit the key for no cap)");
    }
    v.filter(|n| *n > 0)
}

/// Parses `sha256:<64 hex>` into the digest.
pub(crate) fn parse_key_hash(s: &str) -> Option<[u8; 32]> {
    let hex_part = s.strip_prefix("sha256:")?;
    let bytes = hex::decode(hex_part).ok()?;
    bytes.try_into().ok()
}

fn families(key: &str, names: &[String], errs: &mut Errors) -> Vec<Family> {
    names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            let f = n.parse::<Family>().ok();
            if f.is_none() {
                let all: Vec<&str> = Family::ALL.iter().map(|f| f.as_str()).collect();
                errs.push(
                    format!("{key}[{i}]"),
                    format!("{n:?} is not a route family; use one of {}", all.join(", ")),
                );
            }
            f
        })
        .collect()
}

fn tenants(list: &[FileTenant], errs: &mut Errors) -> Vec<TenantConfig> {
    let mut out: Vec<TenantConfig> = Vec::new();
    let mut seen_hashes: Vec<([u8; 32], String)> = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let key = format!("tenants[{i}]");
        let id_ok = !t.id.is_empty()
            && t.id.len() <= 64
            && t.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            errs.push(
                format!("{key}.id"),
                format!("{:?} must be 1-64 characters of a-z, 0-9, '-' or '_'", t.id),
            );
        }
        if t.id == "org" {
            errs.push(
                format!("{key}.id"),
                "\"org\" is reserved for the organisation scope",
            );
        }
        if out.iter().any(|o| o.id == t.id) {
            errs.push(
                format!("{key}.id"),
                format!("{:?} is used by another tenant; ids must be unique", t.id),
            );
        }
        let mut key_hashes = Vec::new();
        for (k, h) in t.keys.iter().enumerate() {
            match parse_key_hash(h) {
                Some(d) => {
                    if let Some((_, other)) = seen_hashes.iter().find(|(x, _)| *x == d) {
                        errs.push(format!("{key}.keys[{k}]"), format!("the same key hash is already used by tenant {other:?}"));
                    }
                    seen_hashes.push((d, t.id.clone()));
                    key_hashes.push(d);
                }
                None => errs.push(
                    format!("{key}.keys[{k}]"),
                    "must be \"sha256:<64 hex digits>\"; run `heygen-gateway keygen --tenant ID` to make one",
                ),
            }
        }
        if t.enabled && key_hashes.is_empty() && t.keys.is_empty() {
            errs.push(
                format!("{key}.keys"),
                "an enabled tenant needs at least one key hash",
            );
        }
        let rpm = t
            .limits
            .requests_per_minute
            .unwrap_or(DEFAULT_REQUESTS_PER_MINUTE);
        let requests_per_minute = NonZeroU32::new(rpm).unwrap_or_else(|| {
            errs.push(
                format!("{key}.limits.requests_per_minute"),
                "must be at least 1",
            );
            NonZeroU32::MIN
        });
        let burst_default = (rpm / 6).max(1);
        let burst = NonZeroU32::new(t.limits.burst.unwrap_or(burst_default)).unwrap_or_else(|| {
            errs.push(format!("{key}.limits.burst"), "must be at least 1");
            NonZeroU32::MIN
        });
        out.push(TenantConfig {
            id: t.id.clone(),
            name: t.name.clone().unwrap_or_else(|| t.id.clone()),
            enabled: t.enabled,
            key_hashes,
            budgets: budgets(&format!("{key}.budgets"), &t.budgets, errs),
            limits: TenantLimits {
                requests_per_minute,
                burst,
                renders_in_flight: nonzero_opt(
                    &format!("{key}.limits.renders_in_flight"),
                    t.limits.renders_in_flight,
                    errs,
                ),
                sessions_in_flight: nonzero_opt(
                    &format!("{key}.limits.sessions_in_flight"),
                    t.limits.sessions_in_flight,
                    errs,
                ),
            },
            allow: families(&format!("{key}.routes.allow"), &t.routes.allow, errs),
            deny: families(&format!("{key}.routes.deny"), &t.routes.deny, errs),
            shadow: t.shadow,
            isolation: super::isolation::tenant_isolation(
                &format!("{key}.isolation"),
                t.isolation.as_deref(),
                &mut errs.0,
            ),
        });
    }
    out
}
