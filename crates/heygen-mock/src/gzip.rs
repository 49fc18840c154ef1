//! JSON answers gzip-compressed, as HeyGen (or a CDN in front of it) may
//! send them to a client that accepts gzip ([`MockControl::set_gzip`]):
//! the gateway must ask for the answers it reads uncompressed.
//!
//! The stream is real gzip (RFC 1952) made of stored, uncompressed deflate
//! blocks (RFC 1951 §3.2.4): any decoder reads it, and the mock needs no
//! compression library for it.
//!
//! [`MockControl::set_gzip`]: crate::MockControl::set_gzip

use bytes::{BufMut, Bytes, BytesMut};
use http::{header, HeaderMap, HeaderValue, Response};
use http_body_util::{BodyExt, Full};

/// Whether a request with `headers` accepts a gzip answer. No
/// `Accept-Encoding` at all accepts any coding (RFC 9110 §12.5.3); else
/// `gzip`, `x-gzip` or `*` must be listed without `q=0`.
pub(crate) fn accepted(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(header::ACCEPT_ENCODING).iter().peekable();
    if values.peek().is_none() {
        return true;
    }
    values
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                let p = p.trim();
                let q = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="));
                q.is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q == 0.0))
            });
            !refused
                && ["gzip", "x-gzip", "*"]
                    .iter()
                    .any(|c| coding.eq_ignore_ascii_case(c))
        })
}

/// `resp` gzip-encoded when it is a JSON answer not already encoded.
pub(crate) async fn encode(resp: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json || resp.headers().contains_key(header::CONTENT_ENCODING) {
        return resp;
    }
    let (mut head, body) = resp.into_parts();
    // A `Full` is ready at the first poll: this does not wait.
    let plain = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let gz = gzip(&plain);
    let h = &mut head.headers;
    h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(gz.len()));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Response::from_parts(head, Full::new(gz))
}

/// `data` as a gzip member of stored deflate blocks.
pub(crate) fn gzip(data: &[u8]) -> Bytes {
    const MAX_STORED: usize = 0xffff;
    let mut out = BytesMut::with_capacity(data.len() + data.len() / MAX_STORED * 5 + 25);
    // Magic, deflate, no flags, no mtime, no extra flags, OS unknown.
    out.put_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let mut chunks = data.chunks(MAX_STORED).peekable();
    if chunks.peek().is_none() {
        out.put_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        // BFINAL in bit 0, BTYPE 00 (stored), the rest of the byte padding.
        out.put_u8(u8::from(chunks.peek().is_none()));
        let len = chunk.len() as u16;
        out.put_u16_le(len);
        out.put_u16_le(!len);
        out.put_slice(chunk);
    }
    out.put_u32_le(crc32(data));
    out.put_u32_le(data.len() as u32);
    out.freeze()
}

/// CRC-32 (IEEE 802.3, reflected), as gzip's trailer holds it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn stored_blocks_frame_the_data() {
        let gz = gzip(b"{\"a\":1}");
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
        // One final block of 7 bytes, then the data, CRC and size.
        assert_eq!(&gz[10..15], &[1, 7, 0, 0xf8, 0xff]);
        assert_eq!(&gz[15..22], b"{\"a\":1}");
        assert_eq!(&gz[26..], &7u32.to_le_bytes());
        // Larger than a block: two blocks, only the last one final.
        let big = vec![b'x'; 0x1_0001];
        let gz = gzip(&big);
        assert_eq!(gz[10], 0);
        assert_eq!(gz[10 + 5 + 0xffff], 1);
        assert_eq!(gz.len(), 10 + 5 + 0xffff + 5 + 2 + 8);
    }

    #[test]
    fn accepts_gzip_as_rfc_9110_reads_the_header() {
        let with = |v: Option<&'static str>| {
            let mut h = HeaderMap::new();
            if let Some(v) = v {
                h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            }
            accepted(&h)
        };
        assert!(with(None), "no header: any coding");
        assert!(with(Some("gzip")));
        assert!(with(Some("br, GZIP;q=0.5")));
        assert!(with(Some("*")));
        assert!(!with(Some("identity")));
        assert!(!with(Some("gzip;q=0, identity")));
        assert!(!with(Some("br")));
    }
}
