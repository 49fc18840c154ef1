//! Sign-in for the usage page: the admin token in a form buys an opaque
//! session id in an `HttpOnly; SameSite=Strict` cookie. Sessions live in
//! this process's memory (a restart signs everyone out; several replicas
//! need a sticky admin route). The page only reads, so the writes to guard
//! against cross-site forgery are sign-in and sign-out: sign-in checks
//! `Origin`/`Sec-Fetch-Site`, sign-out a per-session token in the form.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::{header, HeaderMap};
use rand::RngCore;
use subtle::ConstantTimeEq;

/// The cookie's name.
pub(crate) const COOKIE: &str = "hgw_ui";
/// How long a session lasts after sign-in.
pub(crate) const TTL: Duration = Duration::from_secs(8 * 3600);
/// Most sessions kept; the oldest goes first (no unbounded growth from
/// scripted sign-ins).
const MAX_SESSIONS: usize = 1024;

/// One signed-in browser.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub csrf: String,
    pub expires: Instant,
}

/// Signed-in sessions by id.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

/// 256 bits from the OS-seeded generator, hex.
fn random_hex() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

impl Sessions {
    /// Starts a session; returns its id (the cookie value).
    pub(crate) fn create(&self, now: Instant) -> String {
        let id = random_hex();
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            id.clone(),
            Session {
                csrf: random_hex(),
                expires: now + TTL,
            },
        );
        id
    }

    /// The live session named by the request's cookie.
    pub(crate) fn get(&self, headers: &HeaderMap, now: Instant) -> Option<(String, Session)> {
        let id = cookie(headers, COOKIE)?;
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.get(id).filter(|s| s.expires > now)?;
        Some((id.to_string(), s.clone()))
    }

    pub(crate) fn remove(&self, id: &str) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(id);
    }
}

/// A cookie's value from the `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value for a new session. `Secure` when the request
/// reached us through HTTPS (a TLS proxy in front of the admin listener).
pub(crate) fn set_cookie(id: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={}{}",
        TTL.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends a session in the browser.
pub(crate) fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Whether a form post comes from a page of this listener: `Sec-Fetch-Site`
/// (sent by every current browser) must not be cross-site, and `Origin`,
/// when sent, must name the `Host` the request was sent to.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let get = |h: &header::HeaderName| headers.get(h).and_then(|v| v.to_str().ok());
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    match (get(&header::ORIGIN), get(&header::HOST)) {
        (None, _) => true,
        (Some(origin), Some(host)) => {
            origin == format!("http://{host}") || origin == format!("https://{host}")
        }
        (Some(_), None) => false,
    }
}

/// Constant-time comparison of two secrets.
pub(crate) fn equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn sessions_expire_and_end() {
        let s = Sessions::default();
        let t0 = Instant::now();
        let id = s.create(t0);
        let h = headers(&[("cookie", &format!("a=b; {COOKIE}={id}"))]);
        assert!(s.get(&h, t0).is_some());
        assert!(s.get(&h, t0 + TTL).is_none());
        s.remove(&id);
        assert!(s.get(&h, t0).is_none());
        assert!(s
            .get(&headers(&[("cookie", "hgw_ui=forged")]), t0)
            .is_none());
    }

    #[test]
    fn cookies_are_http_only_and_strict() {
        let c = set_cookie("abc", false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict"));
        assert!(!c.contains("Secure"));
        assert!(set_cookie("abc", true).ends_with("; Secure"));
    }

    #[test]
    fn cross_site_posts_are_refused() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:9")])));
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("origin", "http://127.0.0.1:9"),
            ("sec-fetch-site", "same-origin"),
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("origin", "http://evil.example"),
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("sec-fetch-site", "cross-site"),
        ])));
    }
}
