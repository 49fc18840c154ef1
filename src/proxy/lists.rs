//! Lists filtered to the tenant's own items: HeyGen's page read whole,
//! its items kept or dropped by the registry's owners, further upstream
//! pages read (bounded) to fill a page. The decisions are `ownership`'s;
//! this module only moves bytes to and from HeyGen around them.

use std::collections::HashMap;

use http::{Request, Response};

use super::isolated::Hop;
use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::{full, Body};
use crate::ownership::{list, ListShape, Policy};

/// A list read: HeyGen's page filtered to the tenant's items, topped up
/// from further upstream pages (bounded) so a page is not mostly empty.
/// A `HEAD` is answered with the head of the filtered `GET` (its length
/// the filtered page's): HeyGen's own `HEAD` would tell the unfiltered
/// page's size, and has no body to filter.
pub(super) async fn list(
    hop: Hop<'_>,
    req: Request<ReqBody>,
    shape: ListShape,
    policy: Policy,
) -> Result<Response<Body>, GatewayError> {
    let (mut parts, _) = req.into_parts();
    if parts.method != http::Method::HEAD {
        return list_page(hop, parts, shape, policy).await;
    }
    parts.method = http::Method::GET;
    let resp = list_page(hop, parts, shape, policy).await?;
    let (mut head, body) = resp.into_parts();
    if let Some(len) = http_body::Body::size_hint(&body).exact() {
        head.headers
            .insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(len));
    }
    Ok(Response::from_parts(head, crate::http::empty()))
}

/// The filtered page of a `GET` (see [`list`]).
async fn list_page(
    hop: Hop<'_>,
    parts: http::request::Parts,
    shape: ListShape,
    policy: Policy,
) -> Result<Response<Body>, GatewayError> {
    let query = hop
        .path_and_query
        .split_once('?')
        .map(|(_, q)| q.to_string());
    let (head, body) = hop.exchange(parts, crate::http::empty(), 0).await?;
    if !head.status.is_success() {
        return Ok(hop.answer(head, body));
    }
    let wanted = list::wanted(query.as_deref());
    // The common case — nothing foreign on a page that needs no more pages
    // — is decided by a borrowing scan and answered with HeyGen's bytes.
    let mut known = None;
    if let Some(scan) = list::scan(shape, &body) {
        let more = scan.next.is_some() && scan.ids.len() < wanted;
        if scan.envelope_as_is && !more {
            let owners = lookup_owners(&hop, &scan.ids).await?;
            if list::all_kept(&scan.ids, &owners, &hop.origin.tenant, policy) {
                return Ok(list_response(body));
            }
            known = Some((scan.ids, owners));
        }
    }
    if let ListShape::V2Pair(a, b) = shape {
        return pair(&hop, &body, [a, b], policy).await;
    }
    let Some((first, mut page)) = list::parse(shape, &body) else {
        // Passing an unexpected shape through would leak other tenants'
        // items; refusing is the safe answer.
        tracing::warn!(
            path = hop.path,
            "List answer not in the expected shape; refused."
        );
        return Err(GatewayError::UpstreamFailed);
    };
    let mut kept = Vec::new();
    for read in 1..=list::MAX_UPSTREAM_PAGES {
        let ids: Vec<String> = page
            .items
            .iter()
            .filter_map(|i| list::item_id(i).map(str::to_string))
            .collect();
        // The first page's owners, when the scan already asked for them.
        let owners = match known.take() {
            Some((scanned, owners)) if scanned == ids => owners,
            _ => lookup_owners(&hop, &ids).await?,
        };
        kept.extend(list::keep(
            std::mem::take(&mut page.items),
            &owners,
            &hop.origin.tenant,
            policy,
        ));
        let Some(token) = page.next.clone() else {
            break;
        };
        if kept.len() >= wanted || read == list::MAX_UPSTREAM_PAGES {
            break;
        }
        let next = list::next_page(hop.path, query.as_deref(), &token);
        let (status, body) = hop
            .state
            .upstream
            .get_json(&next)
            .await
            .map_err(|_| GatewayError::UpstreamFailed)?;
        match list::parse(shape, &body) {
            Some((_, p)) if (200..300).contains(&status) => page = p,
            // A later page failing ends the walk; the client pages on
            // from the last token that worked.
            _ => {
                page.next = Some(token);
                break;
            }
        }
    }
    let out = list::assemble(shape, first, kept, page.next);
    Ok(list_response(out.to_string().into()))
}

/// A two-array v2 list the scan could not clear: both arrays filtered in
/// place (`ownership::list_pair`); no pages to walk.
async fn pair(
    hop: &Hop<'_>,
    body: &[u8],
    keys: [&'static str; 2],
    policy: Policy,
) -> Result<Response<Body>, GatewayError> {
    let Some((mut v, ids)) = crate::ownership::list_pair::parse(body, keys) else {
        tracing::warn!(
            path = hop.path,
            "List answer not in the expected shape; refused."
        );
        return Err(GatewayError::UpstreamFailed);
    };
    let owners = lookup_owners(hop, &ids).await?;
    crate::ownership::list_pair::keep_both(&mut v, keys, &owners, &hop.origin.tenant, policy);
    Ok(list_response(v.to_string().into()))
}

/// Who owns `ids` (no ledger call for an empty page).
async fn lookup_owners(
    hop: &Hop<'_>,
    ids: &[String],
) -> Result<HashMap<String, String>, GatewayError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    hop.state
        .ledger
        .owners_of(ids)
        .await
        .map_err(GatewayError::ledger("owners_of"))
}

/// A filtered list page: 200, JSON; HeyGen's other headers are not passed
/// on (the body may no longer be HeyGen's). The request id is the access
/// log's to add (`request_log`, on every response): adding it here too
/// was a second insert of the same header on every list read.
fn list_response(body: bytes::Bytes) -> Response<Body> {
    let mut resp = Response::new(full(body));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}
