//! HeyGen's `Idempotency-Key` on v3 POSTs (heygen-api.md §1, [S18][S28]):
//! the first request with a key claims it; a repeat while that one is still
//! being answered gets 409 `request_in_progress`; once it has been answered,
//! a repeat with the same body gets the same answer — the same ids, nothing
//! created again — for 24 h. A repeat with another body gets 422 (the
//! reference does not say what HeyGen answers; this is Stripe's rule). v1
//! and v2 paths ignore the header, as HeyGen does.
//!
//! The gateway's retry of a request whose answer it lost relies on exactly
//! this, so the mock models it rather than creating a job per request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use http_body_util::Full;

use crate::envelope::{self, Generation};
use crate::state::{unix_now, Shared};
use tokio::time::Instant;

/// How long a key is remembered.
const TTL_SECS: i64 = 24 * 3600;

type Resp = Response<Full<Bytes>>;

/// Every key seen, by its value (the mock serves one org key, which is
/// HeyGen's scope for keys).
#[derive(Debug, Default)]
pub(crate) struct Keys(HashMap<String, Entry>);

#[derive(Debug)]
struct Entry {
    body_sha256: String,
    claimed_at: i64,
    /// The answer of the request that claimed the key, once it has run.
    answer: Option<Stored>,
    /// When that answer is due: until then HeyGen is still working on the
    /// request (whether or not its caller still waits) and a repeat gets 409.
    due: Instant,
}

#[derive(Debug, Clone)]
struct Stored {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

/// What a request's key decides before it is routed.
pub(crate) enum Begin {
    /// Route the request; the claim (if the request carries a key) stores
    /// its answer.
    Route(Option<KeyClaim>),
    /// Answer this instead (a replay, 409 or 422); nothing is created.
    Answer(Resp),
}

/// A key claimed by the request being routed. Dropped before
/// [`KeyClaim::answered`], the key is forgotten (nothing was created, a
/// retry may go through); after it, the answer is replayed once due, even if
/// the caller hung up meanwhile (HeyGen finishes what it started).
pub(crate) struct KeyClaim {
    shared: Arc<Shared>,
    key: String,
}

/// Looks up the request's key (v3 POSTs only) and claims it when unseen or
/// older than the TTL.
pub(crate) fn begin(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body_sha256: &str,
) -> Begin {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let Some(key) = key.filter(|_| method == Method::POST && path.starts_with("/v3/")) else {
        return Begin::Route(None);
    };
    let now = unix_now();
    let mut inner = shared.lock();
    if let Some(e) = inner
        .idem
        .0
        .get(key)
        .filter(|e| now - e.claimed_at < TTL_SECS)
    {
        let refused = |status, code, message| {
            Begin::Answer(envelope::error(Generation::V3, status, code, message))
        };
        if e.body_sha256 != body_sha256 {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was used with another request body.",
            );
        }
        if e.answer.is_none() || Instant::now() < e.due {
            return refused(
                StatusCode::CONFLICT,
                "request_in_progress",
                "A request with this Idempotency-Key is still in progress.",
            );
        }
        if let Some(a) = &e.answer {
            return Begin::Answer(replay(a));
        }
    }
    inner.idem.0.insert(
        key.to_string(),
        Entry {
            body_sha256: body_sha256.to_string(),
            claimed_at: now,
            answer: None,
            due: Instant::now(),
        },
    );
    Begin::Route(Some(KeyClaim {
        shared: shared.clone(),
        key: key.to_string(),
    }))
}

fn replay(a: &Stored) -> Resp {
    let mut resp = Response::new(Full::new(a.body.clone()));
    *resp.status_mut() = a.status;
    if let Some(ct) = &a.content_type {
        resp.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    resp
}

impl KeyClaim {
    /// The request was routed (whatever it created exists now) and will be
    /// answered after `delay`: from then on repeats get this answer.
    pub(crate) fn answered(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &Bytes,
        delay: Duration,
    ) {
        if let Some(e) = self.shared.lock().idem.0.get_mut(&self.key) {
            e.answer = Some(Stored {
                status,
                content_type: headers.get(header::CONTENT_TYPE).cloned(),
                body: body.clone(),
            });
            e.due = Instant::now() + delay;
        }
    }
}

impl Drop for KeyClaim {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        if inner
            .idem
            .0
            .get(&self.key)
            .is_some_and(|e| e.answer.is_none())
        {
            inner.idem.0.remove(&self.key);
        }
    }
}
