//! Validated `[upstream]`: HeyGen's hosts, the org keys, timeouts and the
//! CAs its TLS client trusts, and the proxy it may have to go through.

use std::time::Duration;

use super::{defaults, BaseUrl, ProxySource, SecretSource, TrustRoots};

#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    pub api: BaseUrl,
    pub upload: BaseUrl,
    pub api_key: SecretSource,
    /// LiveAvatar's host; only its own org key (`liveavatar_key`) goes there.
    pub liveavatar: BaseUrl,
    /// `None`: LiveAvatar is not configured and its routes answer 503.
    pub liveavatar_key: Option<SecretSource>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub upload_timeout: Duration,
    pub pool_idle_timeout: Duration,
    /// CAs trusted besides the public roots (`upstream.ca_file`).
    pub roots: TrustRoots,
    /// The forward proxy every HeyGen connection is tunnelled through
    /// (`upstream.proxy_url` / `proxy_url_env`); `None`: direct.
    pub proxy: Option<ProxySource>,
}

impl UpstreamConfig {
    /// How long what a request left in the ledger may still belong to a
    /// running request: the connect, the longest response-head wait and the
    /// response-body read, plus a margin. Past it, the request is gone
    /// (killed, or its closing write was lost): a retry may take over its
    /// pending `Idempotency-Key` claim instead of getting 409 for 24 h, and
    /// its render hold, if no job was recorded, stops taking a render slot.
    pub fn request_lease(&self) -> Duration {
        self.connect_timeout
            .saturating_add(self.request_timeout.max(self.upload_timeout))
            .saturating_add(self.request_timeout)
            .saturating_add(defaults::REQUEST_LEASE_MARGIN)
    }
}
