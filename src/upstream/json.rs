//! The gateway's own calls to HeyGen with the org key (status re-reads,
//! quota, stopping a session over budget): a JSON body out, the whole
//! answer back, bounded.

use bytes::Bytes;
use http::{HeaderMap, Method};

use super::{Host, Upstream, UpstreamError, X_API_KEY};
use crate::http::empty;

impl Upstream {
    /// A GET with the org key for the gateway's own calls (status re-reads, quota).
    pub async fn get_json(&self, path_and_query: &str) -> Result<(u16, Bytes), UpstreamError> {
        self.call_json(Method::GET, path_and_query, None).await
    }

    /// A call with the org key for the gateway's own use (a JSON body if
    /// given): status re-reads, quota, stopping a session over budget.
    pub async fn call_json(
        &self,
        method: Method,
        path_and_query: &str,
        json: Option<Bytes>,
    ) -> Result<(u16, Bytes), UpstreamError> {
        let mut headers = HeaderMap::new();
        headers.insert(X_API_KEY, self.org_key_header.clone());
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        // The answer is read, and nothing here decompresses; a request
        // without the header would accept any coding (RFC 9110 §12.5.3).
        headers.insert(
            http::header::ACCEPT_ENCODING,
            http::HeaderValue::from_static("identity"),
        );
        let body = match json {
            Some(b) => {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                crate::http::full(b)
            }
            None => empty(),
        };
        let resp = self
            .send(Host::Api, method, path_and_query, headers, body)
            .await?;
        let status = resp.status().as_u16();
        let body = self
            .read_body(resp.into_body(), 4 << 20)
            .await
            .map_err(|e| UpstreamError::Failed(e.to_string()))?;
        Ok((status, body))
    }
}
