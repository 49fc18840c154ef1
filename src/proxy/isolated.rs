//! Branches that isolation reshapes: free creations whose ids are
//! recorded, and free calls that name a resource in their JSON body (lists
//! filtered to the tenant's own items are `lists`'). The decisions are
//! `ownership`'s; this module only moves bytes to and from HeyGen around
//! them.

use http::{Request, Response};

use super::forward::{downstream_parts, forward, Origin, Outbound};
use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::{collect_limited, full, Body};
use crate::ownership::{self, Named, Policy};
use crate::state::AppState;

/// Largest list or creation answer read to filter or record (HeyGen's are
/// a few KiB per page).
const MAX_ANSWER: usize = 4 << 20;
/// Largest body read to find the resource it names.
const MAX_NAMING_BODY: usize = 256 << 10;

/// Where the request goes, as the branches need it.
pub(super) struct Hop<'a> {
    pub state: &'a AppState,
    pub origin: &'a Origin,
    pub path: &'a str,
    pub path_and_query: &'a str,
    /// `path_and_query` already parsed (see `Target::Heygen`).
    pub parsed: Option<&'a http::uri::PathAndQuery>,
}

impl<'a> Hop<'a> {
    fn outbound(&self, parts: http::request::Parts) -> Outbound<&'a str> {
        Outbound {
            method: parts.method,
            headers: parts.headers,
            path: self.path,
            path_and_query: self.path_and_query,
            parsed: self.parsed.cloned(),
        }
    }

    /// Forwards and reads the whole answer (bounded). The head is HeyGen's
    /// as it came: [`Hop::answer`] passes it on.
    pub(super) async fn exchange(
        &self,
        parts: http::request::Parts,
        body: Body,
        max_body: u64,
    ) -> Result<(http::response::Parts, bytes::Bytes), GatewayError> {
        let resp = forward(
            self.state,
            self.origin,
            self.outbound(parts),
            body,
            max_body,
        )
        .await?;
        let (parts, incoming) = resp.into_parts();
        let body = self
            .state
            .upstream
            .read_body(incoming, MAX_ANSWER)
            .await
            .map_err(|_| GatewayError::UpstreamFailed)?;
        Ok((parts, body))
    }

    /// HeyGen's answer passed on, after header hygiene.
    pub(super) fn answer(
        &self,
        mut head: http::response::Parts,
        body: bytes::Bytes,
    ) -> Response<Body> {
        downstream_parts(&mut head, self.origin);
        Response::from_parts(head, full(body))
    }
}

/// A free creation: forwarded as is; the ids in a success answer become
/// the tenant's (none when `fields` is empty). An upload's length is
/// recorded too.
pub(super) async fn create(
    hop: Hop<'_>,
    req: Request<ReqBody>,
    fields: &'static [&'static str],
    limit: u64,
) -> Result<Response<Body>, GatewayError> {
    let (parts, body) = req.into_parts();
    let mut body = crate::http::stream_limited(body, limit);
    // Uploads: the file's ends are kept as it streams (`upload`).
    let tap = super::upload::tap(&parts, hop.path);
    if let Some(t) = &tap {
        body = t.wrap(body);
    }
    let (head, answer) = hop.exchange(parts, body, limit).await?;
    if head.status.is_success() {
        ownership::record_created(
            hop.state.ledger.as_ref(),
            &hop.origin.tenant,
            fields,
            ownership::CREATED,
            &answer,
        )
        .await;
        if let Some(t) = tap {
            super::upload::record(hop.state, &hop.origin.tenant, t, &answer).await;
        }
    }
    Ok(hop.answer(head, answer))
}

/// A free call naming resources in its JSON body: read (bounded), check
/// the owner, then forward the same bytes.
pub(super) async fn body_named(
    hop: Hop<'_>,
    req: Request<ReqBody>,
    named: &Named,
    fields: &'static [&'static str],
    policy: Policy,
) -> Result<Response<Body>, GatewayError> {
    let (parts, body) = req.into_parts();
    let body = collect_limited(body, MAX_NAMING_BODY).await?;
    let named = Named {
        ids: ownership::body_ids_checked(&body, fields)?,
        stock_if_unrecorded: named.stock_if_unrecorded,
    };
    let read = parts.method == http::Method::GET;
    ownership::check_named(
        hop.state.ledger.as_ref(),
        policy,
        &hop.origin.tenant,
        &named,
        read,
    )
    .await?;
    // Streaming controls act on a metered session.
    let session = crate::sessions::is_session_call(hop.path);
    if session {
        crate::sessions::before_call(hop.state, &named.ids).await?;
    }
    let method = parts.method.clone();
    let len = body.len() as u64;
    let (head, answer) = hop.exchange(parts, full(body), len).await?;
    if session {
        crate::sessions::after_call(hop.state, &method, hop.path, &named.ids, head.status).await;
    }
    Ok(hop.answer(head, answer))
}
