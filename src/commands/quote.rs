//! `heygen-gateway quote`: prices a request without sending it and prints
//! the JSON answer of `POST /gateway/v1/quote`. Offline (the default) it
//! reads nothing, so media, looks and templates are priced at the defaults
//! and the quote says so (`basis` `*_default`). `--online` builds the same
//! state `serve` runs with — org key, upstream client, ledger, egress guard
//! — and prices from the same facts a request would be (probed media,
//! looks and templates read with the org key, recorded uploads, the mode of
//! a proofread, the tenant's learned corrections); it sends nothing else.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::Value;

use super::{load, EXIT_CONFIG};
use crate::catalog::{classify, RouteKind};
use crate::clock::SystemClock;
use crate::config::{Config, ProcessEnv};
use crate::proxy::self_service::{quote_json, QuoteRequest};
use crate::server::{build_state, StartOptions};

/// Exit code of `quote` when the gateway would refuse the request.
const EXIT_QUOTE_REFUSED: u8 = 3;

/// What `quote` was asked.
pub(super) struct QuoteArgs {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) file: Option<PathBuf>,
    pub(super) tenant: Option<String>,
    pub(super) online: bool,
}

pub(super) async fn quote(config_path: &Path, args: QuoteArgs) -> ExitCode {
    let config = match load(config_path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let body = match read_body(args.file.as_deref()) {
        Ok(b) => b,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Some(t) = &args.tenant {
        if config.tenant(t).is_none() {
            eprintln!(
                "error: --tenant {t:?} is not a tenant of {}",
                config_path.display()
            );
            return ExitCode::from(EXIT_CONFIG);
        }
    }
    let q = QuoteRequest {
        method: args.method,
        path: args.path,
        body,
    };
    let answer = if args.online {
        online(config, &q, args.tenant.as_deref()).await
    } else {
        let rt = crate::state::Runtime::new(config);
        let tenant = args.tenant.as_deref().and_then(|t| rt.config.tenant(t));
        quote_json(&rt, tenant, &q, &crate::pricing::Facts::default()).map_err(|e| e.to_string())
    };
    match answer {
        Ok(v) => {
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            // Scripts can tell "priced and allowed" from "would be refused".
            if v["verdict"]["allowed"] == Value::Bool(false) {
                ExitCode::from(EXIT_QUOTE_REFUSED)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

/// Prices with the facts a request would get: the state is built as for
/// `serve` (a missing org key or an unreachable ledger is an error here),
/// but nothing listens and nothing is held.
async fn online(config: Config, q: &QuoteRequest, tenant: Option<&str>) -> Result<Value, String> {
    let opts = StartOptions {
        env: Arc::new(ProcessEnv),
        clock: Arc::new(SystemClock),
        registry: prometheus::Registry::new(),
        config_path: None,
    };
    let state = build_state(config, opts)
        .await
        .map_err(|e| format!("--online: {e:#}"))?;
    let rt = state.snapshot();
    let method = http::Method::from_bytes(q.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("{:?} is not an HTTP method", q.method))?;
    let (raw, _) = q.path.split_once('?').unwrap_or((q.path.as_str(), ""));
    let path = crate::proxy::path::normalize(raw).map_err(|e| e.to_string())?;
    let facts = match classify(&method, &path).kind {
        RouteKind::Billable(b) => {
            let body = serde_json::to_vec(&q.body).unwrap_or_default();
            crate::proxy::media::facts(&state, &b, &body, tenant.unwrap_or("")).await
        }
        _ => crate::pricing::Facts::default(),
    };
    let tenant = tenant.and_then(|t| rt.config.tenant(t));
    quote_json(&rt, tenant, q, &facts).map_err(|e| e.to_string())
}

/// The body from `file` (`-` for standard input; none → `{}`), as JSON.
fn read_body(file: Option<&Path>) -> Result<Value, String> {
    let text = match file {
        None => return Ok(Value::Object(Default::default())),
        Some(f) if f.as_os_str() == "-" => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| format!("reading standard input: {e}"))?;
            s
        }
        Some(f) => {
            std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?
        }
    };
    serde_json::from_str(&text).map_err(|e| format!("the body is not JSON: {e}"))
}
