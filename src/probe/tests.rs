use bytes::Bytes;

use super::parse::{parse, Outcome};
use super::source::Data;
use super::*;

fn data(bytes: &'static [u8], size: Option<u64>) -> Data {
    let mut d = Data::default();
    d.insert(0, Bytes::from_static(bytes));
    d.size = size;
    d
}

#[test]
fn unknown_magic_is_unsupported() {
    let out = parse(&data(b"<html><body>not media</body></html>", Some(35)));
    assert!(
        matches!(out, Outcome::Fail(ProbeError::Unsupported(_))),
        "{out:?}"
    );
}

#[test]
fn short_head_asks_for_more_or_is_truncated() {
    assert!(matches!(
        parse(&data(b"RIFF", Some(1000))),
        Outcome::Need(4)
    ));
    assert!(matches!(
        parse(&data(b"RIFF", Some(4))),
        Outcome::Fail(ProbeError::Truncated)
    ));
}

#[test]
fn mp4_with_moov_after_unfetched_mdat_asks_for_the_tail() {
    // ftyp (16 bytes) then an mdat header declaring 1 MB we did not fetch.
    let mut head = Vec::new();
    head.extend_from_slice(&16u32.to_be_bytes());
    head.extend_from_slice(b"ftypisom\0\0\0\0");
    head.extend_from_slice(&1_000_000u32.to_be_bytes());
    head.extend_from_slice(b"mdat");
    let mut d = Data::default();
    d.insert(0, Bytes::from(head));
    d.size = Some(2_000_000);
    let out = parse(&d);
    assert!(matches!(out, Outcome::Need(1_000_016)), "{out:?}");
}
