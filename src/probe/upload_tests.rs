//! The upload tee: raw and multipart bodies in chunks of every size (so
//! delimiters and headers split across chunks), files larger than the kept
//! head and tail, tiny files, and bodies the capture must refuse.

use bytes::Bytes;
use heygen_mock::media::{mp4, wav};
use http_body::Frame;
use http_body_util::BodyExt;

use super::tee::Tap;
use super::upload::{read_upload, Capture, FileEnds, HEAD_BYTES, TAIL_BYTES};
use super::{Container, ProbeConfig, ProbeError};
use crate::http::BoxError;

const BOUNDARY: &str = "----gatewayTestBoundary7MA4YWxk";

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A form field, then the file part, then the closing delimiter (the shape
/// heygen-cli and browsers send).
fn multipart(file: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
    b.extend_from_slice(b"Content-Disposition: form-data; name=\"folder\"\r\n\r\nnarrations\r\n");
    b.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
    b.extend_from_slice(
        b"Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\
          Content-Type: audio/wav\r\n\r\n",
    );
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn capture(content_type: Option<&str>, body: &[u8], chunk: usize) -> Option<FileEnds> {
    let mut c = Capture::new(content_type);
    for part in body.chunks(chunk) {
        c.push(part);
    }
    c.finish()
}

/// What a whole-file capture must keep: the first and last bytes, exactly.
fn assert_ends(got: &FileEnds, file: &[u8]) {
    assert_eq!(got.size, file.len() as u64);
    let head = file.len().min(HEAD_BYTES);
    assert_eq!(got.head, &file[..head]);
    let tail_from = file.len().saturating_sub(TAIL_BYTES).max(head);
    assert_eq!(got.tail, &file[tail_from..]);
}

async fn duration(ends: FileEnds) -> Result<(u64, Container), ProbeError> {
    read_upload(ends, &ProbeConfig::default())
        .await
        .map(|p| (p.duration_ms, p.container))
}

#[tokio::test]
async fn a_raw_wav_is_read_whatever_the_chunking() {
    let file = wav(7_300);
    for chunk in [1, 3, 4096, 65_536, file.len()] {
        let ends = capture(Some("audio/wav"), &file, chunk).unwrap();
        assert_ends(&ends, &file);
        assert_eq!(duration(ends).await, Ok((7_300, Container::Wav)));
    }
}

#[tokio::test]
async fn a_multipart_file_part_is_read_with_its_delimiter_split_anywhere() {
    let file = wav(7_300);
    let body = multipart(&file);
    let ct = multipart_type();
    // Chunk sizes that put a delimiter or header boundary across chunks.
    for chunk in [1, 2, 5, 37, 38, 39, 1000, 4096, body.len()] {
        let ends = capture(Some(&ct), &body, chunk).unwrap_or_else(|| panic!("chunk {chunk}"));
        assert_ends(&ends, &file);
        assert_eq!(duration(ends).await, Ok((7_300, Container::Wav)));
    }
}

#[tokio::test]
async fn files_larger_than_head_and_tail_keep_only_the_ends() {
    // 2 minutes of WAV: 1.9 MB, header in the head, size from the stream.
    let long = wav(120_000);
    assert!(long.len() > HEAD_BYTES + TAIL_BYTES);
    let ends = capture(Some("audio/wav"), &long, 8192).unwrap();
    assert_ends(&ends, &long);
    assert_eq!(ends.head.len() + ends.tail.len(), HEAD_BYTES + TAIL_BYTES);
    assert_eq!(duration(ends).await, Ok((120_000, Container::Wav)));

    // MP4 with `moov` after 3 MB of `mdat`: found in the tail.
    let clip = mp4(61_500, 3 << 20, false, false);
    let ends = capture(Some("video/mp4"), &clip, 100_000).unwrap();
    assert_ends(&ends, &clip);
    assert_eq!(duration(ends).await, Ok((61_500, Container::Mp4)));
    // The same, uploaded as a multipart file part in odd chunks.
    let body = multipart(&clip);
    let ends = capture(Some(&multipart_type()), &body, 65_537).unwrap();
    assert_ends(&ends, &clip);
    assert_eq!(duration(ends).await, Ok((61_500, Container::Mp4)));
}

#[tokio::test]
async fn a_header_in_the_middle_of_a_large_file_is_not_read() {
    // `moov` after the mdat, then 2 MB of trailing junk: the header lies
    // in neither kept range.
    let mut file = mp4(5_000, 2 << 20, false, false).to_vec();
    file.extend(std::iter::repeat_n(0u8, 2 << 20));
    let ends = capture(Some("video/mp4"), &file, 65_536).unwrap();
    assert!(duration(ends).await.is_err());
}

#[tokio::test]
async fn tiny_and_non_media_files_have_a_size_and_no_duration() {
    let ends = capture(Some("audio/wav"), b"RIFF", 1).unwrap();
    assert_eq!(ends.size, 4);
    assert_eq!(duration(ends).await, Err(ProbeError::Truncated));
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    let ends = capture(Some(&multipart_type()), &multipart(png), 3).unwrap();
    assert_ends(&ends, png);
    assert!(matches!(
        duration(ends).await,
        Err(ProbeError::Unsupported(_))
    ));
    let empty = capture(Some(&multipart_type()), &multipart(b""), 1).unwrap();
    assert_eq!(empty.size, 0);
}

#[test]
fn a_multipart_body_without_a_whole_file_part_gives_nothing() {
    let ct = multipart_type();
    let no_file = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--{BOUNDARY}--\r\n"
    );
    assert_eq!(capture(Some(&ct), no_file.as_bytes(), 4), None);
    // Cut inside the file part: no closing delimiter.
    let body = multipart(&wav(1_000));
    assert_eq!(capture(Some(&ct), &body[..body.len() - 60], 512), None);
    // A preamble beyond the bound is not buffered.
    let mut long = vec![b'x'; 100_000];
    long.extend_from_slice(&body);
    assert_eq!(capture(Some(&ct), &long, 4096), None);
}

#[test]
fn the_boundary_is_read_from_the_content_type() {
    let file = wav(500);
    let quoted = format!("Multipart/Form-Data; charset=utf-8; boundary=\"{BOUNDARY}\"");
    let ends = capture(Some(&quoted), &multipart(&file), 999).unwrap();
    assert_ends(&ends, &file);
    // Without a usable boundary the body is taken whole (a raw upload).
    let body = multipart(&file);
    let raw = capture(Some("multipart/form-data"), &body, 999).unwrap();
    assert_eq!(raw.size, body.len() as u64);
    let too_long = format!("multipart/form-data; boundary={}", "b".repeat(71));
    assert_eq!(
        capture(Some(&too_long), &body, 999).unwrap().size,
        body.len() as u64
    );
}

fn chunked(body: &[u8], chunk: usize) -> crate::http::Body {
    let frames: Vec<Result<Frame<Bytes>, BoxError>> = body
        .chunks(chunk)
        .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    crate::http::boxed(http_body_util::StreamBody::new(futures_util::stream::iter(
        frames,
    )))
}

#[tokio::test]
async fn the_tap_passes_the_body_through_unchanged() {
    let file = wav(7_300);
    let body = multipart(&file);
    let tap = Tap::new(Some(&multipart_type()), Some(body.len() as u64));
    let out = tap.wrap(chunked(&body, 1000)).collect().await.unwrap();
    assert_eq!(out.to_bytes(), &body[..]);
    let ends = tap.finish().unwrap();
    assert_ends(&ends, &file);
    // Once only.
    assert_eq!(tap.finish(), None);
}

#[tokio::test]
async fn a_tap_that_saw_less_than_the_declared_length_gives_nothing() {
    let file = wav(1_000);
    let tap = Tap::new(Some("audio/wav"), Some(file.len() as u64 + 1));
    let _ = tap.wrap(chunked(&file, 512)).collect().await.unwrap();
    assert_eq!(tap.finish(), None);
}
