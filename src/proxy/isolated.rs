//! Branches that isolation reshapes: lists filtered to the tenant's own
//! items, free creations whose ids are recorded, and free calls that name
//! a resource in their JSON body (those two in `calls`). The decisions
//! are `ownership`'s; this module only moves bytes to and from HeyGen
//! around them.

use std::collections::HashMap;
use std::sync::Arc;

use http::uri::PathAndQuery;
use http::{Request, Response};

use super::forward::{downstream_parts, forward, Origin, Outbound};
use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::{full, Body};
use crate::ownership::{list, ListShape, Policy};
use crate::state::AppState;

mod calls;
pub(super) use calls::{body_named, create};

/// Largest list or creation answer read to filter or record (HeyGen's are
/// a few KiB per page).
const MAX_ANSWER: usize = 4 << 20;

/// Where the request goes, as the branches need it.
pub(super) struct Hop<'a> {
    pub state: &'a Arc<AppState>,
    pub origin: &'a Origin,
    pub path: &'a str,
    pub path_and_query: &'a str,
    /// `path_and_query` already parsed (see `Target::Heygen`).
    pub parsed: Option<&'a PathAndQuery>,
}

/// A [`Hop`] owned, for a forward run in a task of its own (`detached`).
struct OwnedHop {
    state: Arc<AppState>,
    origin: Origin,
    path: String,
    path_and_query: String,
    parsed: Option<PathAndQuery>,
}

impl OwnedHop {
    fn hop(&self) -> Hop<'_> {
        Hop {
            state: &self.state,
            origin: &self.origin,
            path: &self.path,
            path_and_query: &self.path_and_query,
            parsed: self.parsed.as_ref(),
        }
    }
}

impl<'a> Hop<'a> {
    fn owned(&self) -> OwnedHop {
        OwnedHop {
            state: self.state.clone(),
            origin: self.origin.clone(),
            path: self.path.to_string(),
            path_and_query: self.path_and_query.to_string(),
            parsed: self.parsed.cloned(),
        }
    }

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
    async fn exchange(
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
    fn answer(&self, mut head: http::response::Parts, body: bytes::Bytes) -> Response<Body> {
        downstream_parts(&mut head, self.origin);
        Response::from_parts(head, full(body))
    }
}

/// A list read: HeyGen's page filtered to the tenant's items, topped up
/// from further upstream pages (bounded) so a page is not mostly empty.
pub(super) async fn list(
    hop: Hop<'_>,
    req: Request<ReqBody>,
    shape: ListShape,
    policy: Policy,
) -> Result<Response<Body>, GatewayError> {
    let (parts, _) = req.into_parts();
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
