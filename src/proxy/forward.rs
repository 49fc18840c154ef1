//! Forwarding to HeyGen: header hygiene on the way out (org key injected,
//! tenant credentials dropped) and on the way back, transport failures
//! mapped to edge errors, and plain streaming pass-through. A leaf of the
//! proxy: the branches call it, it calls only the upstream client.

use std::future::Future;

use crate::conn::ReqBody;
use http::header::ACCEPT_ENCODING;
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use tokio::time::Instant;

use super::headers;
use crate::error::GatewayError;
use crate::http::{boxed, stream_limited, Body};
use crate::state::AppState;
use crate::upstream::{Host, UpBody, UpstreamError};

/// Who a forwarded request comes from.
#[derive(Clone)]
pub(super) struct Origin {
    pub request_id: HeaderValue,
    /// The access log's tags, for HeyGen's status and latency.
    pub log: super::context::RequestContext,
    /// The peer's address, as `X-Forwarded-For` text.
    pub client_ip: HeaderValue,
    pub tenant: String,
    /// Route family: the upstream latency metric's label.
    pub family: &'static str,
}

/// Where a request goes upstream, as admission left it.
#[derive(Clone, Copy)]
pub(super) struct UpPath<'a> {
    pub path: &'a str,
    pub path_and_query: &'a str,
    /// `path_and_query` already parsed (see `Target::Heygen`).
    pub parsed: Option<&'a PathAndQuery>,
}

/// A request head on its way to HeyGen (its body travels separately). The
/// branches that answer within the request borrow the path from the
/// admitted target (`P = &str`: no copies); a billable admission, which
/// runs on a task of its own, owns it.
pub(super) struct Outbound<P = String> {
    pub method: Method,
    pub headers: HeaderMap,
    /// The normalised path: decides the host.
    pub path: P,
    /// The normalised path plus the client's query, byte for byte.
    pub path_and_query: P,
    /// `path_and_query` already parsed, when it is the client's target.
    pub parsed: Option<PathAndQuery>,
}

/// Sends one request with the org key, for an answer the gateway reads
/// (job ids, sessions, list items, uploaded assets): it asks for that
/// answer uncompressed. `max_body` is the limit a streamed body was cut at
/// (for the 413 it becomes).
pub(super) async fn forward<P: AsRef<str>>(
    state: &AppState,
    origin: &Origin,
    out: Outbound<P>,
    body: Body,
    max_body: u64,
) -> Result<Response<UpBody>, GatewayError> {
    send(state, origin, out, body, max_body, Answer::Read).await
}

/// What the gateway does with HeyGen's answer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Reads it: `Accept-Encoding: identity`, whatever the client asked
    /// for. The gateway decompresses nothing, and a compressed answer would
    /// hide the job id it bills by, the session it meters, the items it
    /// filters. (A request without the header accepts any coding, RFC 9110
    /// §12.5.3, so it is set, not only removed.)
    Read,
    /// Relays it untouched: the client's `Accept-Encoding` stands.
    Relay,
}

async fn send<P: AsRef<str>>(
    state: &AppState,
    origin: &Origin,
    out: Outbound<P>,
    body: Body,
    max_body: u64,
    answer: Answer,
) -> Result<Response<UpBody>, GatewayError> {
    let Outbound {
        method,
        mut headers,
        path,
        path_and_query,
        parsed,
    } = out;
    let host = Host::for_request(&method, path.as_ref());
    headers::scope_idempotency_key(&mut headers, &origin.tenant);
    headers::prepare_upstream(
        &mut headers,
        state.upstream.org_key_header(),
        &origin.client_ip,
        &origin.request_id,
    );
    if answer == Answer::Read {
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    }
    let start = Instant::now();
    let result = state
        .upstream
        .send(
            host,
            method,
            (path_and_query.as_ref(), parsed),
            headers,
            body,
        )
        .await;
    let took = start.elapsed();
    let (log, id) = (&origin.log, &origin.request_id);
    answered(state, origin.family, log, id, result, took, max_body)
}

/// HeyGen's answer (or the failure to get one) after `took`: timed in the
/// upstream latency metric and the access log's tags, a failure logged
/// and mapped to the edge's error. The fast lane (`src/lane`) sends
/// through it too.
pub(crate) fn answered<B>(
    state: &AppState,
    family: &'static str,
    log: &super::context::RequestContext,
    request_id: &HeaderValue,
    result: Result<Response<B>, UpstreamError>,
    took: std::time::Duration,
    max_body: u64,
) -> Result<Response<B>, GatewayError> {
    state.metrics.upstream(family, took);
    if let Ok(resp) = &result {
        let status = resp.status().as_u16();
        log.tag(|t| t.upstream = Some((status, took)));
    }
    result.map_err(|e| {
        tracing::warn!(request_id = request_id.to_str().unwrap_or("-"), error = %e, "Upstream request failed.");
        match e {
            UpstreamError::Timeout => GatewayError::UpstreamTimeout,
            UpstreamError::Unreachable(_) => GatewayError::UpstreamUnreachable,
            UpstreamError::Failed(_) => GatewayError::UpstreamFailed,
            UpstreamError::BodyTooLarge => GatewayError::PayloadTooLarge { limit: max_body },
            UpstreamError::ClientBodyTimeout => GatewayError::RequestTimeout,
        }
    })
}

/// Streams a request through unchanged (apart from header hygiene). The
/// request is taken apart before the future is made: an `async fn` would
/// keep it (344 bytes) twice, and its parts once more, in the future of
/// every plain read (`gateway::dispatch`).
pub(super) fn pass_through<'a>(
    state: &'a AppState,
    origin: &'a Origin,
    req: Request<ReqBody>,
    to: UpPath<'a>,
    limit: u64,
) -> impl Future<Output = Result<Response<Body>, GatewayError>> + Send + 'a {
    let within = super::hygiene::declared_length_within(req.headers(), limit);
    let (parts, incoming) = req.into_parts();
    let out = Outbound {
        method: parts.method,
        headers: parts.headers,
        path: to.path,
        path_and_query: to.path_and_query,
        parsed: to.parsed.cloned(),
    };
    let body = stream_limited(incoming, limit);
    async move {
        within?;
        let resp = send(state, origin, out, body, limit, Answer::Relay).await?;
        Ok(relayed(resp))
    }
}

/// HeyGen's answer as the tenant gets it when the gateway only relays it.
pub(crate) fn relayed(resp: Response<UpBody>) -> Response<Body> {
    let (mut parts, incoming) = resp.into_parts();
    headers::prepare_downstream(&mut parts.headers);
    Response::from_parts(parts, boxed(incoming))
}
