//! The one-shot operator commands around a deployment: `check-config`
//! (the same preflight `serve` runs), `assign` (adopting existing resources
//! to a tenant), `redeliver` (re-queueing a tenant's dead webhook
//! deliveries) and `probe` (the admin listener's readiness, for container
//! health checks). Each runs and exits; none serves.

use std::process::ExitCode;

use super::{load, EXIT_CONFIG};
use crate::config::ProcessEnv;

pub(super) fn check_config(path: &std::path::Path, offline: bool, json: bool) -> ExitCode {
    let cfg = match load(path) {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    let found = crate::preflight::check(&cfg, &ProcessEnv, offline);
    let ok = found.errors.is_empty();
    if json {
        let v = serde_json::json!({
            "file": path.display().to_string(), "ok": ok,
            "errors": found.errors, "warnings": found.warnings,
            "tenants": cfg.tenants.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            "price_book": cfg.pricing.version(), "store": store_name(&cfg.store),
            "listen": cfg.server.listen.to_string(), "admin_listen": cfg.server.admin_listen.to_string(),
        });
        outln!("{v:#}");
    } else {
        for e in &found.errors {
            eprintln!("error: {}: {}", e.key, e.message);
        }
        for w in &found.warnings {
            eprintln!("warning: {}: {}", w.key, w.message);
        }
        let verdict = if ok { "ok" } else { "NOT OK" };
        outln!("{}: {verdict}", path.display());
        outln!("  tenants:     {}", cfg.tenants.len());
        outln!("  price book:  {}", cfg.pricing.version());
        outln!("  store:       {}", store_name(&cfg.store));
        outln!(
            "  listen:      {} (admin {})",
            cfg.server.listen,
            cfg.server.admin_listen
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CONFIG)
    }
}

/// The store without credentials, for humans.
fn store_name(store: &crate::config::StoreConfig) -> String {
    match store {
        crate::config::StoreConfig::Sqlite { path } => format!("sqlite {}", path.display()),
        crate::config::StoreConfig::Postgres { .. } => "postgres".into(),
    }
}

/// `assign`: ops adoption of existing resources to a tenant.
pub(super) async fn assign(
    path: &std::path::Path,
    tenant: &str,
    kind: &str,
    actor: &str,
    resources: &[String],
) -> ExitCode {
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if config.tenant(tenant).is_none() {
        eprintln!("error: no tenant {tenant:?} in {}", path.display());
        return ExitCode::from(EXIT_CONFIG);
    }
    let ledger = match super::open_existing(&config).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: opening the ledger: {e}");
            return ExitCode::FAILURE;
        }
    };
    match ledger.assign(resources, tenant, kind, actor).await {
        Ok(()) => {
            outln!("assigned {} resource(s) to {tenant}", resources.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `redeliver`: re-queues a tenant's dead deliveries queued since `since`,
/// as `POST /admin/v1/webhooks/redeliver` does (the same check and ledger
/// call), on the ledger directly like `assign`: the gateway's fan-out
/// worker sends them. Counted in no metric (this process exports none).
pub(super) async fn redeliver(
    path: &std::path::Path,
    tenant: &str,
    since: &str,
    endpoint_id: Option<&str>,
) -> ExitCode {
    use crate::admin::redeliver::{parse_since, requeue};
    use crate::error::GatewayError;
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let since = match parse_since(since) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --since: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let ledger = match super::open_existing(&config).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: opening the ledger: {e}");
            return ExitCode::FAILURE;
        }
    };
    match requeue(ledger.as_ref(), &config, tenant, since, endpoint_id).await {
        Ok(done) => {
            outln!("re-queued {} dead delivery(ies) of {tenant}", done.requeued);
            if done.more {
                outln!("more remain: run the command again");
            }
            ExitCode::SUCCESS
        }
        Err(e @ GatewayError::UnknownTenant { .. }) => {
            eprintln!("error: {e} ({})", path.display());
            ExitCode::from(EXIT_CONFIG)
        }
        Err(GatewayError::Ledger { source, .. }) => {
            eprintln!("error: {source}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `probe`: the admin listener's readiness, for container health checks.
pub(super) async fn probe(
    path: &std::path::Path,
    admin: Option<std::net::SocketAddr>,
    timeout: u64,
) -> ExitCode {
    let mut addr = match admin {
        Some(a) => a,
        None => match load(path) {
            Ok(cfg) => cfg.server.admin_listen,
            Err(code) => return code,
        },
    };
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let ready = tokio::time::timeout(std::time::Duration::from_secs(timeout), async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
        s.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut head = [0u8; 12];
        s.read_exact(&mut head).await.ok()?;
        Some(head.ends_with(b"200"))
    })
    .await;
    if ready == Ok(Some(true)) {
        ExitCode::SUCCESS
    } else {
        eprintln!("not ready: http://{addr}/readyz");
        ExitCode::FAILURE
    }
}
