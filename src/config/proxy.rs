//! `upstream.proxy_url` / `upstream.proxy_url_env`: the HTTP forward proxy
//! (squid and the like) every connection to HeyGen is tunnelled through
//! with `CONNECT`, for deployments whose only way out is that proxy.
//!
//! Only `http://` proxies: the tunnel carries HeyGen's TLS end to end, so
//! TLS to the proxy itself would add nothing the gateway needs, and SOCKS
//! is another protocol. The port must be written out: curl assumes 1080
//! for a proxy without one, URLs 80, and squid listens on 3128, so any
//! default would be a guess that fails as a refused connection at the
//! first request instead of at start-up.
//!
//! Credentials (`http://user:pass@host:port`) become a `Proxy-Authorization:
//! Basic` header and are never printed: not in `Debug`, not in errors
//! (which name the key, never echo the value).

use base64::Engine;
use http::uri::Authority;
use http::HeaderValue;

use super::{ConfigError, EnvSource, Secret};

/// Key names, as errors report them.
pub(super) const KEY_URL: &str = "upstream.proxy_url";
pub(super) const KEY_ENV: &str = "upstream.proxy_url_env";

const EXAMPLE: &str = "\"http://proxy.internal:3128\"";

/// Where the proxy URL comes from (validated `[upstream]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxySource {
    /// Written in the file (`proxy_url`), already parsed.
    Url(UpstreamProxy),
    /// The name of the environment variable holding it (`proxy_url_env`),
    /// read at start-up: it may carry credentials.
    Env(String),
}

impl ProxySource {
    /// Validates the two raw keys; `None` when neither is set (or on an
    /// error, which is appended to `errors`).
    pub(super) fn from_file(
        url: Option<&str>,
        env: Option<&str>,
        errors: &mut Vec<ConfigError>,
    ) -> Option<ProxySource> {
        match (url, env) {
            (Some(_), Some(_)) => {
                errors.push(ConfigError::new(
                    KEY_URL,
                    "set either proxy_url or proxy_url_env, not both \
                     (proxy_url_env when the URL carries a password)",
                ));
                None
            }
            (Some(url), None) => match UpstreamProxy::parse(url) {
                Ok(p) => Some(ProxySource::Url(p)),
                Err(why) => {
                    errors.push(ConfigError::new(KEY_URL, why));
                    None
                }
            },
            (None, Some(name)) if name.trim().is_empty() => {
                errors.push(ConfigError::new(
                    KEY_ENV,
                    "must name an environment variable holding the proxy URL",
                ));
                None
            }
            (None, Some(name)) => Some(ProxySource::Env(name.trim().to_string())),
            (None, None) => None,
        }
    }

    /// The proxy; for `Env`, the variable read and parsed now. The error
    /// names the key and the variable, never the value.
    pub fn resolve(&self, env: &dyn EnvSource) -> Result<UpstreamProxy, ConfigError> {
        match self {
            ProxySource::Url(p) => Ok(p.clone()),
            ProxySource::Env(name) => {
                let value = env.var(name).filter(|v| !v.trim().is_empty());
                let value = value.ok_or_else(|| {
                    ConfigError::new(
                        KEY_ENV,
                        format!(
                            "environment variable {name} is not set or empty; \
                             set it to the proxy's URL, like {EXAMPLE}, \
                             or remove the key to connect to HeyGen directly"
                        ),
                    )
                })?;
                UpstreamProxy::parse(value.trim())
                    .map_err(|why| ConfigError::new(KEY_ENV, format!("the value of {name}: {why}")))
            }
        }
    }
}

/// A parsed proxy: where to connect and, when the URL had credentials,
/// the `Proxy-Authorization` value.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamProxy {
    /// `host:port`, without the credentials.
    pub authority: Authority,
    /// `Basic base64(user:pass)`, kept as a [`Secret`] so it never prints.
    auth: Option<Secret>,
}

impl std::fmt::Debug for UpstreamProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamProxy")
            .field("authority", &self.authority.as_str())
            .field("auth", &self.auth)
            .finish()
    }
}

impl UpstreamProxy {
    /// The `Proxy-Authorization` header value, marked sensitive.
    pub fn authorization(&self) -> Option<HeaderValue> {
        let auth = self.auth.as_ref()?;
        let mut v = HeaderValue::from_str(auth.expose()).ok()?;
        v.set_sensitive(true);
        Some(v)
    }

    /// Parses `http://[user:pass@]host:port[/]`. The error says what is
    /// wrong and how to write it, and never repeats the URL (it may hold
    /// a password).
    pub fn parse(url: &str) -> Result<UpstreamProxy, String> {
        let not_url = || format!("is not a URL; write it like {EXAMPLE}");
        let uri: http::Uri = url.parse().map_err(|_| not_url())?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(format!(
                "needs the http:// scheme, a host and a port, like {EXAMPLE}"
            ));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "http" => {}
            "https" => {
                return Err(format!(
                    "https:// proxies are not supported; give the proxy's plain \
                     http:// address, like {EXAMPLE} (the tunnel still carries TLS \
                     to HeyGen end to end)"
                ))
            }
            other => {
                return Err(format!(
                    "scheme {other}:// is not supported; only http:// proxies \
                     (HTTP CONNECT) are, like {EXAMPLE}"
                ))
            }
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(format!(
                "must be the proxy's address only, without path or query, like {EXAMPLE}"
            ));
        }
        let Some(port) = authority.port_u16() else {
            return Err(format!(
                "needs an explicit port, like {EXAMPLE}: proxies listen on \
                 different ports (squid on 3128), so none is assumed"
            ));
        };
        let host = authority.host();
        if host.is_empty() {
            return Err(not_url());
        }
        let hostport: Authority = format!("{host}:{port}").parse().map_err(|_| not_url())?;
        let auth = match authority.as_str().rsplit_once('@') {
            None => None,
            Some((userinfo, _)) => Some(basic(userinfo)?),
        };
        Ok(UpstreamProxy {
            authority: hostport,
            auth,
        })
    }
}

/// `Basic base64(user:pass)` from a URL's userinfo, percent-decoded as
/// curl does (a password holding `@` or `:` is written `%40`, `%3A`).
fn basic(userinfo: &str) -> Result<Secret, String> {
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| "its credentials are not valid UTF-8 once percent-decoded".to_string())
    };
    let (user, pass) = (decode(user)?, decode(pass)?);
    if user.is_empty() {
        return Err(format!(
            "has credentials without a user name; write them as \
             \"http://USER:PASSWORD@HOST:PORT\" or leave them out, like {EXAMPLE}"
        ));
    }
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    Ok(Secret::new(format!("Basic {token}")))
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
mod tests;
