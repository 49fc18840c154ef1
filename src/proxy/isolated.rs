//! Branches that isolation reshapes: free creations whose ids are
//! recorded, and free calls that name a resource in their JSON body (both
//! in `calls`; lists filtered to the tenant's own items are `lists`'). The
//! decisions are `ownership`'s; this module only moves bytes to and from
//! HeyGen around them, and owns the [`Hop`] they share.

use std::sync::Arc;

use http::uri::PathAndQuery;
use http::Response;

use super::forward::{forward, Origin, Outbound};
use crate::error::GatewayError;
use crate::http::{full, Body};
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
        super::headers::prepare_downstream(&mut head.headers);
        Response::from_parts(head, full(body))
    }
}
