//! The file part of a `multipart/form-data` upload, found while the body
//! streams past: part headers are buffered (bounded) until the file part's
//! end, then its bytes go to [`Ends`] up to the next delimiter, which may
//! arrive split across chunks. Nothing else of the body is kept.

use memchr::memmem;

use super::upload::Ends;

/// Most bytes buffered before the file part's body begins (preamble, form
/// fields before it, its headers); past this the upload is not read.
const MAX_BEFORE_FILE: usize = 64 << 10;

/// RFC 2046: a boundary is 1 to 70 characters.
const MAX_BOUNDARY: usize = 70;

#[derive(Debug)]
enum State {
    /// Buffering until the file part's headers end (`buf` starts with the
    /// CRLF that makes a body-initial delimiter look like any other).
    BeforeFile { buf: Vec<u8>, from: usize },
    /// In the file part; `carry` holds its last bytes that may begin a
    /// delimiter completed by the next chunk.
    File { carry: Vec<u8> },
    /// The file part ended at a delimiter.
    Done,
    /// No file part, or not readable within the bounds.
    Failed,
}

#[derive(Debug)]
pub(super) struct Multipart {
    /// `CRLF--boundary`: what ends a part.
    delim: Vec<u8>,
    state: State,
}

/// The boundary of a `multipart/form-data` Content-Type, unquoted.
pub(super) fn boundary(content_type: &str) -> Option<&str> {
    let mut params = content_type.split(';');
    let mime = params.next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let value = params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim())
    })?;
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    (!value.is_empty() && value.len() <= MAX_BOUNDARY).then_some(value)
}

impl Multipart {
    pub(super) fn new(boundary: &str) -> Multipart {
        let mut delim = b"\r\n--".to_vec();
        delim.extend_from_slice(boundary.as_bytes());
        Multipart {
            delim,
            state: State::BeforeFile {
                buf: b"\r\n".to_vec(),
                from: 0,
            },
        }
    }

    /// Whether the file part was read to its closing delimiter.
    pub(super) fn complete(&self) -> bool {
        matches!(self.state, State::Done)
    }

    pub(super) fn push(&mut self, chunk: &[u8], ends: &mut Ends) {
        match &mut self.state {
            State::BeforeFile { buf, from } => {
                buf.extend_from_slice(chunk);
                match find_file(buf, *from, &self.delim) {
                    Seek::Body(start) => {
                        let rest = buf.split_off(start);
                        self.state = State::File { carry: Vec::new() };
                        self.push_file(&rest, ends);
                    }
                    Seek::More(next) if buf.len() <= MAX_BEFORE_FILE => *from = next,
                    Seek::More(_) | Seek::NoFile => self.state = State::Failed,
                }
            }
            State::File { .. } => self.push_file(chunk, ends),
            State::Done | State::Failed => {}
        }
    }

    /// File bytes to `ends` until the delimiter; a delimiter may begin in
    /// the bytes carried from the last chunk.
    fn push_file(&mut self, chunk: &[u8], ends: &mut Ends) {
        let State::File { carry } = &mut self.state else {
            return;
        };
        let keep = self.delim.len() - 1;
        let mut chunk = chunk;
        if !carry.is_empty() {
            // A delimiter starting in the carry ends within `keep` more bytes.
            let take = chunk.len().min(keep);
            carry.extend_from_slice(&chunk[..take]);
            if let Some(i) = memmem::find(carry, &self.delim) {
                ends.push(&carry[..i]);
                self.state = State::Done;
                return;
            }
            if take < keep {
                // The whole chunk is in the carry: push what can no longer
                // begin a delimiter, keep the rest.
                let cut = carry.len().saturating_sub(keep);
                ends.push(&carry[..cut]);
                carry.drain(..cut);
                return;
            }
            ends.push(&carry[..carry.len() - take]);
            carry.clear();
        }
        if let Some(i) = memmem::find(chunk, &self.delim) {
            ends.push(&chunk[..i]);
            self.state = State::Done;
            return;
        }
        let cut = chunk.len().saturating_sub(keep);
        ends.push(&chunk[..cut]);
        chunk = &chunk[cut..];
        carry.extend_from_slice(chunk);
    }
}

enum Seek {
    /// The file part's body starts at this offset of the buffer.
    Body(usize),
    /// Not yet: search again from this offset when more bytes arrive.
    More(usize),
    /// The body ended (closing delimiter) without a file part.
    NoFile,
}

/// Walks parts from `from` (a delimiter's start, or a part body's) until a
/// part whose headers name a file.
fn find_file(buf: &[u8], mut from: usize, delim: &[u8]) -> Seek {
    loop {
        let Some(at) = memmem::find(&buf[from..], delim).map(|i| from + i) else {
            // Keep the bytes that may begin a delimiter.
            return Seek::More(buf.len().saturating_sub(delim.len() - 1).max(from));
        };
        let after = at + delim.len();
        match buf.get(after..after + 2) {
            None => return Seek::More(at),
            Some(b"--") => return Seek::NoFile,
            Some(_) => {}
        }
        let headers_from = after + 2;
        let Some(end) = memmem::find(&buf[headers_from..], b"\r\n\r\n") else {
            return Seek::More(at);
        };
        let headers = &buf[headers_from..headers_from + end];
        let body = headers_from + end + 4;
        if names_a_file(headers) {
            return Seek::Body(body);
        }
        from = body;
    }
}

/// A part carrying a file: its Content-Disposition has a `filename`, or it
/// is the `file` field (heygen-cli's name for it).
fn names_a_file(headers: &[u8]) -> bool {
    let text = String::from_utf8_lossy(headers).to_ascii_lowercase();
    text.split("\r\n")
        .filter_map(|line| line.strip_prefix("content-disposition:"))
        .any(|v| v.contains("filename") || v.contains("name=\"file\""))
}
