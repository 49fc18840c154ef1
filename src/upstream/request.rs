//! The request the upstream client sends: a URI of the path and query
//! alone (the pool adds the host), the method, the prepared headers.

use http::uri::PathAndQuery;
use http::{HeaderMap, Method, Request, Uri};

use super::UpstreamError;
use crate::http::Body;

/// A path and query for [`Upstream::send`]: its text, and the same
/// already parsed when the caller has it.
pub struct UpTarget<'a>(pub &'a str, pub Option<PathAndQuery>);

impl UpTarget<'_> {
    /// The path, without the query.
    pub(super) fn path(&self) -> &str {
        match &self.1 {
            Some(parsed) => parsed.path(),
            None => self.0.split_once('?').map_or(self.0, |(path, _)| path),
        }
    }
}

impl<'a> From<&'a str> for UpTarget<'a> {
    fn from(text: &'a str) -> Self {
        UpTarget(text, None)
    }
}

impl<'a> From<&'a String> for UpTarget<'a> {
    fn from(text: &'a String) -> Self {
        UpTarget(text, None)
    }
}

impl<'a> From<(&'a str, Option<PathAndQuery>)> for UpTarget<'a> {
    fn from((text, parsed): (&'a str, Option<PathAndQuery>)) -> Self {
        UpTarget(text, parsed)
    }
}

/// A request whose URI is `path_and_query` alone (the pool adds the host).
pub(super) fn request(
    method: Method,
    path_and_query: &str,
    headers: HeaderMap,
    body: Body,
) -> Result<Request<Body>, UpstreamError> {
    let mut req = Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = Uri::try_from(path_and_query)
        .map_err(|e| UpstreamError::Unreachable(format!("bad upstream uri: {e}")))?;
    *req.headers_mut() = headers;
    Ok(req)
}

/// [`request`] for a path and query parsed already (by hyper, from the
/// client's request: origin-form, the same URI `request` would build).
pub(super) fn request_to(
    method: Method,
    path_and_query: PathAndQuery,
    headers: HeaderMap,
    body: Body,
) -> Request<Body> {
    let mut req = Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = Uri::from(path_and_query);
    *req.headers_mut() = headers;
    req
}
