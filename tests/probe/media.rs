//! Media files built byte by byte, so each test knows the exact duration
//! and can cut or falsify exactly the field it is about.

use bytes::Bytes;

pub use heygen_mock::media::{mp4, wav};

/// An EBML element with a one-byte size (payloads < 127 bytes) or an
/// eight-byte size.
fn el(id: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut b = id.to_vec();
    if payload.len() < 127 {
        b.push(0x80 | payload.len() as u8);
    } else {
        b.push(0x01);
        b.extend_from_slice(&(payload.len() as u64).to_be_bytes()[1..]);
    }
    b.extend_from_slice(payload);
    b
}

fn uint(id: &[u8], v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(7);
    el(id, &bytes[first..])
}

/// WebM with millisecond timestamps and `duration_ms` in Segment Info.
pub fn webm(duration_ms: f64) -> Bytes {
    let header = el(
        &[0x1A, 0x45, 0xDF, 0xA3],
        &[
            uint(&[0x42, 0x86], 1),
            uint(&[0x42, 0xF7], 1),
            uint(&[0x42, 0xF2], 4),
            uint(&[0x42, 0xF3], 8),
            el(&[0x42, 0x82], b"webm"),
            uint(&[0x42, 0x87], 4),
            uint(&[0x42, 0x85], 2),
        ]
        .concat(),
    );
    let info = el(
        &[0x15, 0x49, 0xA9, 0x66],
        &[
            uint(&[0x2A, 0xD7, 0xB1], 1_000_000),
            el(&[0x44, 0x89], &duration_ms.to_be_bytes()),
            el(&[0x4D, 0x80], b"probe-test"),
            el(&[0x57, 0x41], b"probe-test"),
        ]
        .concat(),
    );
    let video = el(&[0xE0], &[uint(&[0xB0], 16), uint(&[0xBA], 16)].concat());
    let track = el(
        &[0xAE],
        &[
            uint(&[0xD7], 1),
            uint(&[0x73, 0xC5], 1),
            uint(&[0x83], 1),
            el(&[0x86], b"V_VP8"),
            video,
        ]
        .concat(),
    );
    let tracks = el(&[0x16, 0x54, 0xAE, 0x6B], &track);
    let cluster = el(&[0x1F, 0x43, 0xB6, 0x75], &uint(&[0xE7], 0));
    let segment = el(&[0x18, 0x53, 0x80, 0x67], &[info, tracks, cluster].concat());
    Bytes::from([header, segment].concat())
}

/// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono, no Xing/VBRI header:
/// `frames` frames of 417 bytes, 1152 samples each.
pub fn mp3_cbr(frames: usize) -> Bytes {
    let mut frame = vec![0u8; 417];
    frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0xC0]);
    Bytes::from(frame.repeat(frames))
}
