//! HTTP/2 stream limits through raw frames (a conforming client such as
//! the `h2` crate obeys SETTINGS_MAX_CONCURRENT_STREAMS and cannot test
//! them): more concurrent streams than `server.http2_max_concurrent_streams`
//! are refused with RST_STREAM(REFUSED_STREAM), a rapid-reset burst
//! (CVE-2023-44487: HEADERS then RST_STREAM, over and over) ends in GOAWAY,
//! and a tenant on another connection is served throughout.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;
use crate::Rig;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const ACK: u8 = 0x1;
const REFUSED_STREAM: u32 = 0x7;
const CANCEL: u32 = 0x8;

/// The limit the test configures.
const MAX_STREAMS: u32 = 4;

#[derive(Debug)]
struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

impl Frame {
    /// The error code of a RST_STREAM (payload 0..4) or GOAWAY (4..8).
    fn error_code(&self) -> Option<u32> {
        let at = match self.kind {
            RST_STREAM => 0,
            GOAWAY => 4,
            _ => return None,
        };
        let b = self.payload.get(at..at + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = len.to_be_bytes()[1..].to_vec();
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An HPACK string literal, no Huffman coding (lengths < 127 here).
fn hpack_str(s: &str) -> Vec<u8> {
    assert!(s.len() < 127);
    let mut out = vec![s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

/// A header block: `POST path` (static-table `:method POST`, `:scheme
/// http`), `:path` and `:authority` as literals with indexed names, then
/// the tenant key and content type as literals with literal names. Nothing
/// is added to the dynamic table, so every block stands alone.
fn post_block(path: &str) -> Vec<u8> {
    let token = tenant_token("alpha");
    let mut b = vec![0x83, 0x86];
    b.push(0x04); // literal without indexing, name = static 4 (:path)
    b.extend(hpack_str(path));
    b.push(0x01); // name = static 1 (:authority)
    b.extend(hpack_str("gateway.test"));
    for (name, value) in [
        ("x-api-key", token.as_str()),
        ("content-type", "application/json"),
    ] {
        b.push(0x00);
        b.extend(hpack_str(name));
        b.extend(hpack_str(value));
    }
    b
}

/// A raw HTTP/2 (prior knowledge) connection; the handshake is done and
/// the server's SETTINGS acknowledged, so its stream limit is in force.
struct RawH2 {
    s: TcpStream,
    buf: Vec<u8>,
}

impl RawH2 {
    async fn connect(addr: std::net::SocketAddr) -> RawH2 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(PREFACE).await.expect("write the preface");
        s.write_all(&frame(SETTINGS, 0, 0, &[]))
            .await
            .expect("write SETTINGS");
        let mut c = RawH2 { s, buf: Vec::new() };
        loop {
            let f = c
                .next(Duration::from_secs(5))
                .await
                .expect("server SETTINGS");
            if f.kind == SETTINGS && f.flags & ACK == 0 {
                c.send(&frame(SETTINGS, ACK, 0, &[])).await;
                break;
            }
        }
        c
    }

    async fn send(&mut self, bytes: &[u8]) {
        // The server may have closed already (that is what some tests
        // provoke); the frames it did read are what count.
        let _ = self.s.write_all(bytes).await;
    }

    /// The next frame, or `None` on close, error or `within` passing.
    async fn next(&mut self, within: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if self.buf.len() >= 9 {
                let len = u32::from_be_bytes([0, self.buf[0], self.buf[1], self.buf[2]]) as usize;
                if self.buf.len() >= 9 + len {
                    let head: Vec<u8> = self.buf.drain(..9 + len).collect();
                    return Some(Frame {
                        kind: head[3],
                        flags: head[4],
                        stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]])
                            & 0x7fff_ffff,
                        payload: head[9..].to_vec(),
                    });
                }
            }
            let mut chunk = [0u8; 16384];
            let n = tokio::time::timeout_at(deadline, self.s.read(&mut chunk)).await;
            match n {
                Ok(Ok(n)) if n > 0 => self.buf.extend_from_slice(&chunk[..n]),
                _ => return None,
            }
        }
    }

    /// Every frame until the server is quiet for `quiet` or closes.
    async fn drain(&mut self, quiet: Duration) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Some(f) = self.next(quiet).await {
            out.push(f);
        }
        out
    }
}

/// A free read on a fresh HTTP/1.1 connection answers 200.
async fn tenant_is_served(rig: &Rig) {
    let token = tenant_token("alpha");
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        send(
            "GET",
            &rig.gw.url("/v2/video_translate/target_languages"),
            &[("x-api-key", &token)],
            "",
        ),
    )
    .await
    .expect("a tenant's request must not wait on the hostile connection");
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_past_the_limit_are_refused_and_others_are_served() {
    let rig = Rig::start(&[
        ("http2_max_concurrent_streams", &MAX_STREAMS.to_string()),
        // Streams wait for bodies that never come; keep them open for the test.
        ("body_read_timeout_ms", "20000"),
    ])
    .await;
    let mut h2 = RawH2::connect(rig.gw.addr).await;
    // Ten POSTs whose bodies never come: each stream stays open.
    let streams: Vec<u32> = (0..10).map(|i| 1 + 2 * i).collect();
    for id in &streams {
        let block = post_block("/v2/video/generate");
        h2.send(&frame(HEADERS, END_HEADERS, *id, &block)).await;
    }
    let frames = h2.drain(Duration::from_millis(1500)).await;
    let refused: Vec<u32> = frames
        .iter()
        .filter(|f| f.kind == RST_STREAM && f.error_code() == Some(REFUSED_STREAM))
        .map(|f| f.stream)
        .collect();
    let expect: Vec<u32> = streams[MAX_STREAMS as usize..].to_vec();
    assert_eq!(refused, expect, "frames: {frames:?}");
    // The admitted ones are still open (no answer yet), and nothing of
    // this reached HeyGen.
    assert!(
        !frames
            .iter()
            .any(|f| f.kind == HEADERS && streams[..MAX_STREAMS as usize].contains(&f.stream)),
        "{frames:?}"
    );
    tenant_is_served(&rig).await;
    assert_eq!(rig.mock.count(), 1, "only the tenant's read went upstream");
    // The limit is per connection: ending one admitted stream's body frees
    // a slot for a new stream on the same connection.
    h2.send(&frame(DATA, END_STREAM, streams[0], b"{}")).await;
    h2.drain(Duration::from_millis(500)).await;
    let next = 1 + 2 * 10;
    let block = post_block("/v2/video/generate");
    h2.send(&frame(HEADERS, END_HEADERS, next, &block)).await;
    let frames = h2.drain(Duration::from_millis(500)).await;
    assert!(
        !frames
            .iter()
            .any(|f| f.kind == RST_STREAM && f.stream == next),
        "a freed slot is usable: {frames:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rapid_reset_burst_gets_goaway_and_others_are_served() {
    let rig = Rig::start(&[]).await;
    let mut h2 = RawH2::connect(rig.gw.addr).await;
    // HEADERS (a complete GET) immediately cancelled, 500 times, in one write.
    let mut burst = Vec::new();
    let mut get = vec![0x82, 0x86, 0x84]; // GET, http, /
    get.push(0x01);
    get.extend(hpack_str("gateway.test"));
    for i in 0..500u32 {
        let id = 1 + 2 * i;
        burst.extend(frame(HEADERS, END_HEADERS | END_STREAM, id, &get));
        burst.extend(frame(RST_STREAM, 0, id, &CANCEL.to_be_bytes()));
    }
    h2.send(&burst).await;
    let frames = h2.drain(Duration::from_secs(3)).await;
    let goaway = frames.iter().find(|f| f.kind == GOAWAY);
    let goaway = goaway.unwrap_or_else(|| panic!("no GOAWAY after 500 rapid resets: {frames:?}"));
    // ENHANCE_YOUR_CALM (0xb) from h2's reset accounting.
    assert_eq!(goaway.error_code(), Some(0xb), "{goaway:?}");
    // The connection is closed after the GOAWAY.
    assert!(h2.next(Duration::from_secs(3)).await.is_none());
    tenant_is_served(&rig).await;
}
