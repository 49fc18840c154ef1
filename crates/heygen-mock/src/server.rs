//! The request pipeline: record → faults → auth → idempotency key → route
//! → faults on the answer. Connections are accepted and served in
//! `listen`.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use sha2::{Digest, Sha256};

use crate::envelope::{self, Generation};
use crate::faults::{self, Fault};
use crate::idem;
use crate::routes::{self, Req};
use crate::state::{ReceivedRequest, Shared};

/// How much of each body is kept (the rest is only counted and hashed).
pub(crate) const RECORDED_BODY_LIMIT: usize = 1024 * 1024;

/// Returned by the service to make hyper drop the connection unanswered.
#[derive(Debug)]
pub(crate) struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("mock: connection reset on purpose")
    }
}

impl std::error::Error for ResetConnection {}

struct BodySummary {
    prefix: Bytes,
    len: u64,
    sha256: String,
    /// The whole body is in `prefix` and arrived without error.
    complete: bool,
    /// The body ended in an error (the sender aborted it).
    aborted: bool,
}

/// Streams the body: counts and hashes everything, keeps the first 1 MiB.
async fn read_body(mut body: Incoming) -> BodySummary {
    let mut hasher = Sha256::new();
    let mut prefix = BytesMut::new();
    let mut len: u64 = 0;
    let mut errored = false;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    len += data.len() as u64;
                    hasher.update(&data);
                    let room = RECORDED_BODY_LIMIT.saturating_sub(prefix.len());
                    prefix.extend_from_slice(&data[..room.min(data.len())]);
                }
            }
            Err(_) => {
                errored = true;
                break;
            }
        }
    }
    BodySummary {
        complete: !errored && len <= RECORDED_BODY_LIMIT as u64,
        aborted: errored,
        prefix: prefix.freeze(),
        len,
        sha256: hex::encode(hasher.finalize()),
    }
}

/// The request pipeline (see the module doc), up to the answer; a cut-off
/// fault only marks the answer, [`handle`] cuts its body.
async fn respond(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ResetConnection> {
    let (parts, body) = req.into_parts();
    if parts.method == http::Method::GET {
        if let Some(file) = parts.uri.path().strip_prefix("/media/") {
            // Output files, like HeyGen's signed file URLs: no API key, not
            // an API request (not recorded).
            return Ok(crate::media::serve(&shared, file));
        }
    }
    let body = read_body(body).await;
    let path = parts.uri.path().to_string();
    let gen = Generation::of_path(&path);
    let (latency, fault) = {
        let mut inner = shared.lock();
        if shared.record_requests {
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(|| parts.uri.authority().map(|a| a.to_string()));
            inner.requests.push(ReceivedRequest {
                method: parts.method.clone(),
                path: path.clone(),
                query: parts.uri.query().map(str::to_string),
                headers: parts.headers.clone(),
                version: parts.version,
                body_len: body.len,
                body: body.prefix.clone(),
                body_sha256: body.sha256.clone(),
                host,
            });
        }
        inner.faults.decide(&path)
    };
    // A body cut off mid-stream means the sender went away; like HeyGen,
    // act on nothing (an upload is not stored half-read).
    if body.aborted {
        return Err(ResetConnection);
    }

    let mut shutdown = shared.shutdown.clone();
    if let Some(latency) = latency {
        tokio::select! {
            _ = tokio::time::sleep(latency) => {}
            _ = shutdown.wait_for(|stop| *stop) => return Err(ResetConnection),
        }
    }
    match fault {
        Fault::None => {}
        Fault::Hang => wait_while_hung(&shared, &path).await?,
        Fault::Reset => return Err(ResetConnection),
        Fault::Status(status) => {
            return Ok(envelope::error(
                gen,
                status,
                envelope::code_for_status(status),
                "mock: injected failure",
            ))
        }
        Fault::Raw(status, body) => {
            let mut resp = Response::new(Full::new(body));
            *resp.status_mut() = status;
            return Ok(resp);
        }
        Fault::RateLimited(secs) => {
            let mut resp = envelope::error(
                gen,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "Too many concurrent jobs; retry later.",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return Ok(resp);
        }
    }

    if !authorized(&shared, &parts.headers) {
        return Ok(envelope::unauthorized(gen));
    }
    let claim = match idem::begin(&shared, &parts.method, &path, &parts.headers, &body.sha256) {
        idem::Begin::Answer(resp) => return Ok(resp),
        idem::Begin::Route(claim) => claim,
    };
    let req = Req {
        method: &parts.method,
        path: &path,
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &body.prefix,
        body_len: body.len,
        body_complete: body.complete,
        body_sha256: &body.sha256,
    };
    let (head, full) = routes::route(&shared, &req).into_parts();
    // `Full` holds its bytes: this is ready at the first poll, so nothing
    // can cancel the request between acting on it and storing its answer.
    let bytes = full
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let (delay, cut) = shared.lock().faults.after_route(&path);
    if let Some(claim) = &claim {
        let due = delay.unwrap_or_default();
        claim.answered(head.status, &head.headers, &bytes, due);
    }
    if let Some(delay) = delay {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.wait_for(|stop| *stop) => return Err(ResetConnection),
        }
    }
    if cut {
        return Ok(faults::cut_off(head, bytes));
    }
    Ok(Response::from_parts(head, Full::new(bytes)))
}

/// Serves one request: [`respond`]'s answer, gzip-encoded if so set and
/// accepted, its body cut off if marked.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<faults::MockBody>, ResetConnection> {
    let gzip = shared.lock().gzip && crate::gzip::accepted(req.headers());
    let resp = respond(shared, req).await?;
    let resp = if gzip && !faults::is_cut(&resp) {
        crate::gzip::encode(resp).await
    } else {
        resp
    };
    Ok(faults::apply(resp))
}

/// Exactly one `X-Api-Key` (any letter case: header names are case-insensitive)
/// equal to the org key.
fn authorized(shared: &Shared, headers: &http::HeaderMap) -> bool {
    let mut values = headers.get_all("x-api-key").iter();
    match (values.next(), values.next()) {
        (Some(v), None) => v.as_bytes() == shared.org_key.as_bytes(),
        _ => false,
    }
}

/// Waits until hanging is switched off for `path` (then the request is
/// answered) or the mock shuts down (then the connection is dropped).
async fn wait_while_hung(shared: &Shared, path: &str) -> Result<(), ResetConnection> {
    let mut shutdown = shared.shutdown.clone();
    loop {
        // Register interest before checking, so a change in between is not missed.
        let changed = shared.faults_changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if !shared.lock().faults.hangs(path) {
            return Ok(());
        }
        tokio::select! {
            _ = &mut changed => {}
            _ = shutdown.wait_for(|stop| *stop) => return Err(ResetConnection),
        }
    }
}
