//! An upload's length, read from the bytes that streamed through the
//! gateway: a bounded copy of the file's first [`HEAD_BYTES`] and last
//! [`TAIL_BYTES`] plus its size is kept ([`Capture`]; for multipart bodies
//! the file part's bytes only), and when the upload ends the same parsers
//! as a URL probe read the duration from those two ranges ([`read_upload`]),
//! with nothing fetched. A header beyond them (an MP4 whose `moov` sits in
//! the middle) is not read: the asset is then priced at the default.

use bytes::Bytes;

use super::multipart::{self, Multipart};
use super::parse::{self, Outcome};
use super::source::Data;
use super::{ProbeConfig, ProbeError, Probed};

/// Bytes kept from the start of an uploaded file.
pub const HEAD_BYTES: usize = 512 << 10;
/// Bytes kept from the end of an uploaded file.
pub const TAIL_BYTES: usize = 512 << 10;

/// The first and last bytes of a stream and its length.
#[derive(Debug, Default)]
pub(super) struct Ends {
    head: Vec<u8>,
    /// Bytes after the head; the last [`TAIL_BYTES`] of them count (the
    /// buffer grows to twice that between compactions, so appending stays
    /// cheap).
    tail: Vec<u8>,
    total: u64,
}

impl Ends {
    pub(super) fn push(&mut self, mut chunk: &[u8]) {
        self.total += chunk.len() as u64;
        if self.head.len() < HEAD_BYTES {
            let n = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..n]);
            chunk = &chunk[n..];
        }
        if chunk.len() >= TAIL_BYTES {
            self.tail.clear();
            self.tail
                .extend_from_slice(&chunk[chunk.len() - TAIL_BYTES..]);
            return;
        }
        if self.tail.len() + chunk.len() > 2 * TAIL_BYTES {
            let keep = TAIL_BYTES - chunk.len();
            self.tail.drain(..self.tail.len() - keep);
        }
        self.tail.extend_from_slice(chunk);
    }

    fn into_file(self) -> FileEnds {
        let cut = self.tail.len().saturating_sub(TAIL_BYTES);
        FileEnds {
            head: Bytes::from(self.head),
            tail: Bytes::copy_from_slice(&self.tail[cut..]),
            size: self.total,
        }
    }
}

/// What was kept of one uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEnds {
    pub head: Bytes,
    pub tail: Bytes,
    /// The file's size in bytes.
    pub size: u64,
}

#[derive(Debug)]
enum Framing {
    /// The body is the file (`POST /v1/asset`: Content-Type is its MIME).
    Raw,
    Multipart(Multipart),
}

/// Keeps the ends of the file in an upload body, chunk by chunk.
#[derive(Debug)]
pub struct Capture {
    framing: Framing,
    ends: Ends,
}

impl Capture {
    /// For a body of `content_type`: a `multipart/form-data` body's file
    /// part, any other body whole.
    pub fn new(content_type: Option<&str>) -> Capture {
        let framing = match content_type.and_then(multipart::boundary) {
            Some(b) => Framing::Multipart(Multipart::new(b)),
            None => Framing::Raw,
        };
        Capture {
            framing,
            ends: Ends::default(),
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        match &mut self.framing {
            Framing::Raw => self.ends.push(chunk),
            Framing::Multipart(m) => m.push(chunk, &mut self.ends),
        }
    }

    /// The file's ends once the body is over; `None` when a multipart body
    /// had no file part or ended inside it.
    pub fn finish(self) -> Option<FileEnds> {
        match &self.framing {
            Framing::Multipart(m) if !m.complete() => None,
            _ => Some(self.ends.into_file()),
        }
    }
}

/// The duration of an uploaded file from its kept ends. The parsers are
/// third-party code fed tenant bytes: they run off the reactor, and a
/// panic is an unreadable file.
pub async fn read_upload(file: FileEnds, cfg: &ProbeConfig) -> Result<Probed, ProbeError> {
    let bytes_read = (file.head.len() + file.tail.len()) as u64;
    let data = Data::from_ends(file.head, file.tail, file.size);
    let outcome = tokio::task::spawn_blocking(move || parse::parse(&data))
        .await
        .unwrap_or_else(|_| Outcome::Fail(ProbeError::Unsupported("parser failed".into())));
    match outcome {
        Outcome::Done {
            container,
            duration_ms,
        } => super::accept(container, duration_ms, bytes_read, cfg),
        Outcome::Need(offset) if offset >= file.size => Err(ProbeError::Truncated),
        // The header continues in the middle of the file, which was not kept.
        Outcome::Need(_) => Err(ProbeError::TooLarge),
        Outcome::Fail(e) => Err(e),
    }
}
