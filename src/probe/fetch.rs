//! Ranged reads of a tenant's media URL through the egress guard.

use bytes::Bytes;
use http::{header, StatusCode};

use super::source::Data;
use super::ProbeError;
use crate::egress::{EgressGuard, EgressRequest};

/// What one fetch learned beyond the bytes it stored in [`Data`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Served {
    /// 206: the server honours Range; more can be asked for.
    Partial,
    /// 200: the whole file from offset 0, or the first `cap` bytes of it.
    Whole { truncated: bool },
}

/// Asks for `len` bytes from `start`, reading at most `cap` bytes whatever
/// the server sends. Returns how the server answered and the bytes read.
pub(super) async fn fetch(
    guard: &EgressGuard,
    url: &str,
    data: &mut Data,
    start: u64,
    len: usize,
    cap: usize,
) -> Result<(Served, usize), ProbeError> {
    let last = start.saturating_add(len.max(1) as u64 - 1);
    let mut req = EgressRequest::get(url);
    if let Ok(v) = format!("bytes={start}-{last}").parse() {
        req.headers.insert(header::RANGE, v);
    }
    // Content-Encoding would change the byte offsets we ask for.
    req.headers.insert(
        header::ACCEPT_ENCODING,
        http::HeaderValue::from_static("identity"),
    );
    req.max_response_bytes = Some(cap.max(1));
    req.truncate = true;
    let resp = guard.send(req).await.map_err(ProbeError::Egress)?;
    let read = resp.body.len();
    match resp.status {
        StatusCode::PARTIAL_CONTENT => {
            let (from, total) = content_range(resp.headers.get(header::CONTENT_RANGE))
                .ok_or(ProbeError::Http(206))?;
            if total.is_some() {
                data.size = total;
            }
            data.insert(from, resp.body);
            Ok((Served::Partial, read))
        }
        StatusCode::OK => {
            if !resp.truncated {
                data.size = Some(read as u64);
            }
            data.insert(0, resp.body);
            Ok((
                Served::Whole {
                    truncated: resp.truncated,
                },
                read,
            ))
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            // `bytes */SIZE`: we asked past the end.
            if let Some(size) = unsatisfied_size(resp.headers.get(header::CONTENT_RANGE)) {
                data.size = Some(size);
            }
            if start == 0 {
                return Err(ProbeError::Truncated);
            }
            data.insert(start, Bytes::new());
            Ok((Served::Partial, 0))
        }
        other => Err(ProbeError::Http(other.as_u16())),
    }
}

/// `bytes FROM-TO/TOTAL` → (FROM, Some(TOTAL)); TOTAL may be `*`.
fn content_range(v: Option<&http::HeaderValue>) -> Option<(u64, Option<u64>)> {
    let s = v?.to_str().ok()?.trim();
    let rest = s.strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (from, to) = range.split_once('-')?;
    let from: u64 = from.trim().parse().ok()?;
    let to: u64 = to.trim().parse().ok()?;
    if to < from {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => {
            let t: u64 = t.parse().ok()?;
            // A range ending past the declared size is a broken header.
            if t <= to {
                return None;
            }
            Some(t)
        }
    };
    Some((from, total))
}

fn unsatisfied_size(v: Option<&http::HeaderValue>) -> Option<u64> {
    v?.to_str()
        .ok()?
        .trim()
        .strip_prefix("bytes */")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(s: &str) -> http::HeaderValue {
        http::HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn parses_content_range() {
        assert_eq!(
            content_range(Some(&hv("bytes 0-99/1000"))),
            Some((0, Some(1000)))
        );
        assert_eq!(content_range(Some(&hv("bytes 5-9/*"))), Some((5, None)));
        assert_eq!(content_range(Some(&hv("bytes 9-5/10"))), None);
        assert_eq!(content_range(Some(&hv("bytes 0-99/50"))), None);
        assert_eq!(content_range(Some(&hv("items 0-1/2"))), None);
        assert_eq!(content_range(None), None);
        assert_eq!(unsatisfied_size(Some(&hv("bytes */77"))), Some(77));
    }
}
