//! Validation of the sections that connect the gateway to the outside:
//! where it listens (`server`), what it calls (`upstream`, with its secrets)
//! and how it fans out `webhooks`. They share the address, URL and
//! secret-source checks, so they sit together.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::Errors;
use crate::config::defaults::*;
use crate::config::file::*;
use crate::config::*;

/// Parked events are ledger rows counted on each park: a million is far
/// past any batch's items in flight; more is a typo.
const MAX_PARKED_EVENTS: u64 = 1_000_000;

pub(super) fn webhooks(w: &FileWebhooks, errs: &mut Errors) -> WebhookConfig {
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
    let retention_days = w
        .delivery_retention_days
        .unwrap_or(DEFAULT_DELIVERY_RETENTION_DAYS);
    if !(2..=3650).contains(&retention_days) {
        errs.push(
            "webhooks.delivery_retention_days",
            format!("is {retention_days}; use 2 to 3650 (a delivery's row is what makes HeyGen's redelivery within 24 h a no-op, so it must outlive that)"),
        );
    }
    let owner_wait = w.owner_wait_seconds.unwrap_or(DEFAULT_OWNER_WAIT_SECONDS);
    if owner_wait > 86_400 {
        errs.push(
            "webhooks.owner_wait_seconds",
            format!("is {owner_wait}; use 0 to 86400 (how long an event whose job has no known owner yet waits for one; 0 drops it at once)"),
        );
    }
    let max_parked = w
        .max_parked_events
        .unwrap_or(u64::from(DEFAULT_MAX_PARKED_EVENTS));
    if max_parked > MAX_PARKED_EVENTS {
        errs.push(
            "webhooks.max_parked_events",
            format!("is {max_parked}; use 0 to {MAX_PARKED_EVENTS} (how many events whose job has no known owner yet wait at once; more are dropped; 0 parks none)"),
        );
    }
    if let Some(t) = w.tolerance_seconds {
        if !(30..=86_400).contains(&t) {
            errs.push(
                "webhooks.tolerance_seconds",
                format!("is {t}; use 30 to 86400 (how old a signed webhook may be; 0 would refuse every one, and there is no \"off\")"),
            );
        }
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
        delivery_retention: Duration::from_secs(retention_days.clamp(2, 3650) * 86_400),
        owner_wait: Duration::from_secs(owner_wait.min(86_400)),
        max_parked_events: u32::try_from(max_parked.min(MAX_PARKED_EVENTS)).unwrap_or(0),
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

/// Past this a delay only slows rollouts: endpoints update in seconds.
const MAX_SHUTDOWN_DELAY_SECONDS: u64 = 120;

pub(super) fn server(s: &FileServer, errs: &mut Errors) -> ServerConfig {
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
    if s.shutdown_delay_seconds > MAX_SHUTDOWN_DELAY_SECONDS {
        errs.push(
            "server.shutdown_delay_seconds",
            format!(
                "is {}; use at most {MAX_SHUTDOWN_DELAY_SECONDS} (a few seconds more than your load \
                 balancer takes to stop sending: 5 to 15 on Kubernetes)",
                s.shutdown_delay_seconds
            ),
        );
    }
    ServerConfig {
        listen: addr("server.listen", &s.listen, errs),
        admin_listen: addr("server.admin_listen", &s.admin_listen, errs),
        admin_token_env: s.admin_token_env.clone(),
        max_body_bytes: s.max_body_bytes,
        max_json_body_bytes: s.max_json_body_bytes as usize,
        shutdown_grace: Duration::from_secs(s.shutdown_grace_seconds),
        shutdown_delay: Duration::from_secs(
            s.shutdown_delay_seconds.min(MAX_SHUTDOWN_DELAY_SECONDS),
        ),
        log_json,
        conn: crate::config::conn::conn(s, &mut errs.0),
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

pub(super) fn secret_source(
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

pub(super) fn upstream(u: &FileUpstream, errs: &mut Errors) -> UpstreamConfig {
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
        roots: TrustRoots::load("upstream.ca_file", u.ca_file.as_deref(), &mut errs.0),
        proxy: ProxySource::from_file(
            u.proxy_url.as_deref(),
            u.proxy_url_env.as_deref(),
            &mut errs.0,
        ),
    }
}
