//! The isolated branches that forward a call whose answer the gateway
//! records: free creations (owners, upload lengths) and calls naming a
//! resource in their JSON body (a session's activity and stop). Both run
//! their forward and records detached (`proxy::detached`) where HeyGen
//! acting on the call must be recorded even if the client has gone.

use http::{Request, Response};

use super::Hop;
use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::{collect_limited, full, Body};
use crate::ownership::{self, Named, Policy};

/// Largest body read to find the resource it names.
const MAX_NAMING_BODY: usize = 256 << 10;

/// A free creation: forwarded as is; the ids in a success answer become
/// the tenant's (none when `fields` is empty). An upload's length is
/// recorded too. Forward and records run detached: a client gone before
/// the answer must not leave the asset HeyGen made unrecorded.
pub(in crate::proxy) async fn create(
    hop: Hop<'_>,
    req: Request<ReqBody>,
    fields: &'static [&'static str],
    limit: u64,
) -> Result<Response<Body>, GatewayError> {
    // An upload declaring more than the limit is refused before a byte of
    // it is read, as a pass-through is (not cut off mid-stream, or after
    // waiting for a body the client may never send).
    crate::proxy::hygiene::declared_length_within(req.headers(), limit)?;
    let (parts, body) = req.into_parts();
    let mut body = crate::http::stream_limited(body, limit);
    // Uploads: the file's ends are kept as it streams (`upload`).
    let tap = crate::proxy::upload::tap(&parts, hop.path);
    if let Some(t) = &tap {
        body = t.wrap(body);
    }
    let owned = hop.owned();
    crate::proxy::detached::run(hop.state, async move {
        let hop = owned.hop();
        let (head, answer) = hop.exchange(parts, body, limit).await?;
        if head.status.is_success() {
            let ledger = hop.state.ledger.as_ref();
            let (tenant, kind) = (&hop.origin.tenant, ownership::CREATED);
            ownership::record_created(ledger, tenant, fields, kind, &answer).await;
            if let Some(t) = tap {
                crate::proxy::upload::record(hop.state, tenant, t, &answer).await;
            }
        }
        Ok(hop.answer(head, answer))
    })
    .await
}

/// A free call naming resources in its JSON body: read (bounded), check
/// the owner, then forward the same bytes.
pub(in crate::proxy) async fn body_named(
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
    let stopping = if session {
        let stop = crate::sessions::is_stop(&parts.method, hop.path);
        crate::sessions::before_call(hop.state, &named.ids, stop).await?
    } else {
        None
    };
    let len = body.len() as u64;
    if !session {
        let (head, answer) = hop.exchange(parts, full(body), len).await?;
        return Ok(hop.answer(head, answer));
    }
    // A stop HeyGen confirmed ends the session's metering, even if the
    // client has gone by then: detached.
    let owned = hop.owned();
    crate::proxy::detached::run(hop.state, async move {
        // In flight until `after_call` has acted on the answer.
        let _stopping = stopping;
        let (hop, method, ids) = (owned.hop(), parts.method.clone(), named.ids);
        let (head, answer) = hop.exchange(parts, full(body), len).await?;
        crate::sessions::after_call(hop.state, &method, hop.path, &ids, head.status).await;
        Ok(hop.answer(head, answer))
    })
    .await
}
