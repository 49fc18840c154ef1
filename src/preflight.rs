//! Checks a config must pass before it serves, shared by `serve` and
//! `check-config`: referenced secrets resolve, budgets are consistent, and
//! the published demo token never guards a listener reachable from other
//! hosts. Errors stop `serve`; warnings are printed.

use serde::Serialize;

use crate::config::{Budgets, Config, EnvSource};

/// SHA-256 of the demo token printed in the README and the default config.
const DEMO_TOKEN: &str = "hgw_demo_marketing_do_not_use_in_production";

#[derive(Debug, Default, Serialize)]
pub(crate) struct Findings {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Finding {
    pub key: String,
    pub message: String,
}

// === impl Findings ===

impl Findings {
    fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(Finding {
            key: key.into(),
            message: message.into(),
        });
    }

    fn warn(&mut self, key: &str, message: impl Into<String>) {
        self.warnings.push(Finding {
            key: key.into(),
            message: message.into(),
        });
    }
}

/// Runs every check; `offline` skips the secrets (for checking a config on
/// a machine that does not hold them, e.g. in CI).
pub(crate) fn check(cfg: &Config, env: &dyn EnvSource, offline: bool) -> Findings {
    let mut f = Findings::default();
    if !offline {
        secrets(cfg, env, &mut f);
    }
    demo_token(cfg, &mut f);
    budgets("org.budgets", &cfg.org.budgets, &mut f);
    for (i, t) in cfg.tenants.iter().enumerate() {
        budgets(&format!("tenants[{i}].budgets"), &t.budgets, &mut f);
    }
    if cfg.tenants.is_empty() {
        f.warn(
            "tenants",
            "no [[tenants]]: every request on the tenant listener is refused (401); \
             add one with a key from `heygen-gateway keygen --tenant ID`",
        );
    }
    liveavatar(cfg, env, offline, &mut f);
    metadata_allowed(cfg, &mut f);
    if cfg.cluster.redis.is_none() && cfg.cluster.replicas.get() > 1 {
        f.warn(
            "cluster.replicas",
            "without cluster.redis_url each replica limits alone at rate ÷ replicas: \
             exact only if the load balancer spreads requests evenly; \
             set cluster.redis_url to share one limit",
        );
    }
    f
}

fn secrets(cfg: &Config, env: &dyn EnvSource, f: &mut Findings) {
    if let Err(e) = cfg.upstream.api_key.resolve(env) {
        f.error(
            "upstream.api_key_env",
            format!(
                "the org key ({}) does not resolve: {e}",
                cfg.upstream.api_key
            ),
        );
    }
    // Without its proxy the gateway cannot reach HeyGen at all: an error,
    // like the org key (serve would refuse to start anyway).
    if let Some(Err(e)) = cfg.upstream.proxy.as_ref().map(|p| p.resolve(env)) {
        f.error(&e.key, e.message);
    }
    if let Some(src) = &cfg.webhooks.secret {
        if let Err(e) = src.resolve(env) {
            f.warn(
                "webhooks.secret_env",
                format!("the webhook secret ({src}) does not resolve: {e}; HeyGen's webhooks will be refused"),
            );
        }
    }
    // An alert webhook whose URL is missing would fail every alert, and
    // nobody would hear about it: an error, like the org key.
    for (i, hook) in cfg.alerts.webhooks.iter().enumerate() {
        if let Err(e) = crate::alerts::resolve_url(hook, env) {
            let key = match hook.url {
                crate::config::SecretSource::Env(_) => "url_env",
                crate::config::SecretSource::File(_) => "url_file",
            };
            f.error(
                &format!("alerts.webhooks[{i}].{key}"),
                format!("webhook {:?}: {e}", hook.name),
            );
        }
    }
    // Without its password the ledger cannot be opened: `serve` would stop.
    if let crate::config::StoreConfig::Postgres {
        password: Some(src),
        ..
    } = &cfg.store
    {
        if let Err(e) = src.resolve(env) {
            f.error(
                "store.password_env",
                format!("the PostgreSQL password ({src}) does not resolve: {e}"),
            );
        }
    }
    let admin = &cfg.server.admin_token_env;
    if env.var(admin).is_none_or(|v| v.trim().is_empty()) {
        f.warn(
            "server.admin_token_env",
            format!("${admin} is not set: the admin API will refuse every request"),
        );
    }
}

/// An `egress.allow_cidrs` entry that covers a cloud metadata address lets
/// a tenant's webhook or media URL read the instance's credentials. Often
/// a wide entry written for something else (`169.254.0.0/16`, the whole
/// NAT64 prefix older releases needed), so a warning, not a refusal.
fn metadata_allowed(cfg: &Config, f: &mut Findings) {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    const METADATA: [IpAddr; 4] = [
        IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
        IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)),
        // 169.254.169.254 through NAT64, which the guard judges as that.
        IpAddr::V6(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0xa9fe, 0xa9fe)),
    ];
    for (i, net) in cfg.egress.allow_cidrs.iter().enumerate() {
        if let Some(ip) = METADATA.iter().find(|ip| net.contains(*ip)) {
            f.warn(
                &format!("egress.allow_cidrs[{i}]"),
                format!(
                    "{net} includes the cloud metadata address {ip}: a tenant's webhook or \
                     media URL could read the instance's credentials; narrow the entry"
                ),
            );
        }
    }
}

/// LiveAvatar is optional: without its key (or with one that does not
/// resolve) its routes answer 503, which is worth a warning, not a refusal.
fn liveavatar(cfg: &Config, env: &dyn EnvSource, offline: bool, f: &mut Findings) {
    let key = "upstream.liveavatar_key_env";
    match &cfg.upstream.liveavatar_key {
        None => f.warn(
            key,
            "LiveAvatar is not configured: /liveavatar/ routes answer 503 \
             (set upstream.liveavatar_key_env or liveavatar_key_file)",
        ),
        Some(src) if !offline => {
            if let Err(e) = src.resolve(env) {
                f.warn(
                    key,
                    format!("the LiveAvatar key ({src}) does not resolve: {e}; /liveavatar/ routes answer 503"),
                );
            }
        }
        Some(_) => {}
    }
}

/// The demo token is public (README, default config): fine on loopback for
/// trying the gateway, never on an address other hosts reach.
fn demo_token(cfg: &Config, f: &mut Findings) {
    let demo = crate::auth::digest(DEMO_TOKEN);
    let exposed = !cfg.server.listen.ip().is_loopback();
    for (i, t) in cfg.tenants.iter().enumerate() {
        if exposed && t.key_hashes.contains(&demo) {
            f.error(
                &format!("tenants[{i}].keys"),
                format!(
                    "tenant {:?} uses the published demo token while server.listen ({}) is reachable from other hosts; \
                     replace it (`heygen-gateway keygen --tenant {}`) or listen on 127.0.0.1",
                    t.id, cfg.server.listen, t.id
                ),
            );
        }
    }
}

/// A shorter window allowing more than a longer one is almost always a
/// typo (`daily = 100` beside `monthly = 10`): the longer one wins anyway.
fn budgets(key: &str, b: &Budgets, f: &mut Findings) {
    let windows = [
        ("daily", b.daily),
        ("weekly", b.weekly),
        ("monthly", b.monthly),
        ("total", b.total),
    ];
    for (i, (short, s)) in windows.iter().enumerate() {
        for (long, l) in &windows[i + 1..] {
            if let (Some(s), Some(l)) = (s, l) {
                if s > l {
                    f.warn(
                        &format!("{key}.{short}"),
                        format!(
                            "{} exceeds {long} = {}: the {long} budget binds first",
                            crate::money::format_credits(*s),
                            crate::money::format_credits(*l)
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "preflight_tests.rs"]
mod tests;
