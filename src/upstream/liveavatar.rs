//! LiveAvatar's host (`upstream.liveavatar_url`) and its own org key. The
//! only way a request reaches that host is through these methods, which
//! put LiveAvatar's key (or the browser's session bearer) on it; the HeyGen
//! methods build URLs for the HeyGen hosts only. So neither org key can
//! travel to the other product's host.

use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, Response};

use super::pool::Target;
use super::{request, UpBody, Upstream, UpstreamError, X_API_KEY};
use crate::config::{BaseUrl, Secret};
use crate::http::{empty, full, Body};

/// LiveAvatar's host and the org's LiveAvatar key.
#[derive(Clone)]
pub(super) struct LiveAvatarHost {
    target: Target,
    key: Secret,
}

/// Which credential a LiveAvatar request carries.
pub enum LaAuth {
    /// The org's LiveAvatar key in `X-API-KEY` (token minting, the
    /// gateway's own stops, a tenant's server acting on its session).
    OrgKey,
    /// The browser's `Authorization: Bearer <session_token>`, unchanged.
    Bearer(HeaderValue),
}

impl Upstream {
    /// Adds LiveAvatar (`key` `None`: not configured, its calls fail).
    pub fn with_liveavatar(mut self, base: BaseUrl, key: Option<Secret>) -> Upstream {
        self.liveavatar = key.and_then(|key| match Target::new(&base, 2) {
            Ok(target) => Some(LiveAvatarHost { target, key }),
            // A URL config accepted is a valid `Host`; were it not, the
            // routes answer 503 as when no key is set.
            Err(e) => {
                tracing::error!(error = %e, "LiveAvatar's host is not a valid Host header.");
                None
            }
        });
        self
    }

    /// Whether LiveAvatar has a key (else its routes answer 503).
    pub fn liveavatar_configured(&self) -> bool {
        self.liveavatar.is_some()
    }

    /// Sends one request to LiveAvatar and waits (bounded) for the head.
    /// Any credential in `headers` is replaced by `auth`'s.
    pub async fn send_liveavatar(
        &self,
        method: Method,
        path_and_query: &str,
        mut headers: HeaderMap,
        auth: LaAuth,
        body: Body,
    ) -> Result<Response<UpBody>, UpstreamError> {
        let host = self
            .liveavatar
            .as_ref()
            .ok_or_else(|| UpstreamError::Unreachable("LiveAvatar is not configured".into()))?;
        headers.remove(X_API_KEY);
        headers.remove(AUTHORIZATION);
        match auth {
            LaAuth::OrgKey => {
                if let Ok(mut v) = HeaderValue::from_str(host.key.expose()) {
                    v.set_sensitive(true);
                    headers.insert(X_API_KEY, v);
                }
            }
            LaAuth::Bearer(mut v) => {
                v.set_sensitive(true);
                headers.insert(AUTHORIZATION, v);
            }
        }
        // Token and session answers are read (the session to meter), and
        // nothing here decompresses: the whole product asks for them plain.
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        let req = request(method, path_and_query, headers, body)?;
        self.send_to(&host.target, req, self.request_timeout).await
    }

    /// A JSON call with the org's LiveAvatar key for the gateway's own use
    /// (stopping a session over budget); the answer read whole.
    pub async fn liveavatar_json(
        &self,
        method: Method,
        path: &str,
        json: Bytes,
    ) -> Result<(u16, Bytes), UpstreamError> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = if json.is_empty() { empty() } else { full(json) };
        let resp = self
            .send_liveavatar(method, path, headers, LaAuth::OrgKey, body)
            .await?;
        let status = resp.status().as_u16();
        let body = self
            .read_body(resp.into_body(), 1 << 20)
            .await
            .map_err(|e| UpstreamError::Failed(e.to_string()))?;
        Ok((status, body))
    }
}
