//! The fast lane: the plainest read a tenant makes, a bodiless `GET` or
//! `HEAD` passed through to a plain `http://` HeyGen host, served from the
//! raw request head without the tower stack's `http` types.
//!
//! On the stack such a read builds a `Request` and its `HeaderMap`, runs
//! five layers, rewrites the map for HeyGen and writes it out again; that
//! machinery, not the decisions, was most of the gap to nginx on plain
//! HTTP (`bench/RESULTS.md`, stops 38–41). The lane makes the same
//! decisions, with the stack's own functions where they take text (path checks, the catalog, isolation rules, the tenant's key,
//! the rate limit, the access log and metrics, error rendering), and only
//! for a request none of whose stages would do more than pass it through:
//!
//! - the connection's own HTTP/1 loop (`server::h1`) parsed it, and HeyGen's
//!   API host is plain HTTP (over TLS the pool's HTTP/2 path is the cost);
//! - its target is an origin-form path already normal, under `/v1/`,
//!   `/v2/` or `/v3/`, of plain characters;
//! - the catalog calls it a free or unknown read, no isolation rule names
//!   anything in it, and the tenant may use its family;
//! - its key names an enabled tenant;
//! - its fields are ones `fields` knows what to do with.
//!
//! Anything else (a bad key, an owned resource, a status read that
//! settles, an odd field) is declined before anything is counted or
//! sent, and the stack serves the request as it always did. Once taken,
//! the lane's outcomes are the stack's: the rate limit's 429, HeyGen's
//! answer relayed with the same hygiene, the same 502/504 in the path's
//! envelope, one access line and the same metrics, 499 when the client
//! leaves first.

mod fields;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method, Response};
use tokio::time::Instant;

use crate::catalog::RouteKind;
use crate::error::{GatewayError, Generation};
use crate::http::Body;
use crate::limits::Check;
use crate::proxy::context::RequestContext;
use crate::proxy::request_log::Pending;
use crate::proxy::{forward, headers, path, render};
use crate::state::{AppState, Runtime};

/// The lane of one tenant listener.
pub struct Lane {
    state: Arc<AppState>,
}

/// A read the lane has taken: all it needs once the head is gone.
pub struct Ticket {
    start: Instant,
    /// The config the read was decided on, held by an `arc-swap` guard,
    /// which takes no reference count (one every I/O thread would write)
    /// while the thread has a free debt slot: a ticket lives only from
    /// `take` to `serve`, which the connection calls back to back.
    runtime: arc_swap::Guard<Arc<Runtime>>,
    tenant: usize,
    family: &'static str,
    request_id: HeaderValue,
    trace_id: Option<String>,
    method: Method,
    path: String,
    /// The head HeyGen gets, written out.
    head: Vec<u8>,
}

impl Lane {
    pub fn new(state: Arc<AppState>) -> Lane {
        Lane { state }
    }

    /// Takes the read `method target` with `fields` from the client at
    /// `client_ip`, or declines it (`None`) having changed nothing.
    pub fn take(
        &self,
        method: &Method,
        target: &str,
        fields: &[httparse::Header<'_>],
        client_ip: &HeaderValue,
    ) -> Option<Ticket> {
        let start = Instant::now();
        let host = self.state.upstream.plain_api_host()?;
        if *method != Method::GET && *method != Method::HEAD {
            return None;
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let under_api = ["/v1/", "/v2/", "/v3/"].iter().any(|p| path.starts_with(p));
        // `http::Uri` takes targets up to 65,534 bytes; hyper answers a
        // longer one with 414, which the lane leaves to it.
        let short = target.len() < usize::from(u16::MAX);
        if !under_api || !short || !plain_target(target) || !path::is_normal(path) {
            return None;
        }
        // The route before the key: a read the stack must serve (a list, a
        // status read) is declined before its key is hashed, which the
        // stack then does once.
        let route = crate::catalog::classify(method, path);
        let public = matches!(route.kind, RouteKind::Free | RouteKind::UnknownRead)
            && matches!(
                crate::ownership::access(method, path, query),
                crate::ownership::Access::Public
            );
        if !public {
            return None;
        }
        let scan = fields::scan(fields)?;
        let token = fields::tenant_token(&scan)?;
        let runtime = self.state.runtime.load();
        let crate::auth::AuthOutcome::Tenant(tenant) =
            runtime.keys.authenticate(&runtime.config.tenants, token)
        else {
            return None;
        };
        if !runtime.config.tenants[tenant].may_use(route.family) {
            return None;
        }
        let request_id = match scan.request_id.filter(|v| headers::sane_request_id(v)) {
            Some(id) => HeaderValue::from_bytes(id).ok()?,
            None => headers::fresh_request_id(),
        };
        let trace_id = scan
            .traceparent
            .and_then(fields::text)
            .and_then(headers::trace_id_of);
        let added = fields::Added {
            host,
            org_key: self.state.upstream.org_key_header(),
            client_ip,
            request_id: &request_id,
        };
        let head = fields::write_head(method.as_str(), target, fields, &scan, &added);
        Some(Ticket {
            start,
            runtime,
            tenant,
            family: route.family.as_str(),
            request_id,
            trace_id,
            method: method.clone(),
            path: path.to_string(),
            head,
        })
    }

    /// Serves a taken read: the rate limit, HeyGen's answer (or the error
    /// it became), the access line and metrics. HeyGen's answer's fields
    /// go into `spare` (an emptied map with room).
    pub fn serve(
        &self,
        t: Ticket,
        spare: HeaderMap,
    ) -> impl Future<Output = Result<Response<Body>, Infallible>> + Send + '_ {
        let state = &*self.state;
        let tenant = &t.runtime.config.tenants[t.tenant];
        let ctx = RequestContext::new(t.request_id.clone());
        ctx.tag(|tags| {
            tags.family = Some(t.family);
            tags.tenant = Some(tenant.id.clone());
        });
        let generation = Generation::of_path(&t.path);
        let head_request = t.method == Method::HEAD;
        let pending = Pending::new(
            ctx.clone(),
            t.trace_id,
            t.method,
            t.path,
            t.start,
            &state.metrics,
            Some(&state.alerts),
        );
        let check = state.limiter.check(&tenant.id);
        let limit = t.runtime.config.server.max_body_bytes;
        let (head, family, request_id) = (t.head, t.family, t.request_id);
        // `t.runtime`, the guard, stays out of the future: held across its
        // awaits it would keep one of the thread's few debt slots.
        async move {
            let answer = async {
                let allowed = match check {
                    Check::Ready(r) => r,
                    Check::Pending(check) => check.await,
                };
                allowed.map_err(|wait| GatewayError::RateLimited { retry_after: wait })?;
                let sent = Instant::now();
                let result = state.upstream.send_read(head, head_request, spare).await;
                let took = sent.elapsed();
                forward::answered(state, family, &ctx, &request_id, result, took, limit)
            };
            let mut resp = match answer.await {
                Ok(resp) => forward::relayed(resp),
                Err(err) => render::render(err, generation, state.clock.as_ref()),
            };
            pending.answer(&mut resp);
            Ok(resp)
        }
    }
}

/// Whether every byte of an origin-form target is one `http::Uri` takes
/// as it is: letters, digits and RFC 3986's other unreserved and
/// delimiting characters (`%` only in the query: `path::is_normal`
/// refuses it in the path).
fn plain_target(target: &str) -> bool {
    const PLAIN: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            let b = i as u8;
            t[i] = b.is_ascii_alphanumeric();
            i += 1;
        }
        let others = b"-._~!$&'()*+,;=:@/?%";
        let mut j = 0;
        while j < others.len() {
            t[others[j] as usize] = true;
            j += 1;
        }
        t
    };
    target.bytes().all(|b| PLAIN[usize::from(b)])
}

#[cfg(test)]
mod tests;
