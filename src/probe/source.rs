//! The bytes fetched so far, as a seekable file for the container parsers.
//!
//! A probe fetches only some ranges of a remote file. The parsers want
//! `Read + Seek` over the whole file, so [`Reader`] serves the fetched
//! ranges and, when a parser reads a byte that was not fetched, fails that
//! read and remembers the offset ([`Gaps::miss`]). The probe then fetches
//! from there and parses again; parsing a header twice is far cheaper than
//! a round trip, and no parser needs to know it is reading a remote file.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;

/// Fetched ranges of one remote file, keyed by start offset.
#[derive(Debug, Clone, Default)]
pub(super) struct Data {
    segs: BTreeMap<u64, Bytes>,
    /// Total file size when the server told us (Content-Range or a full 200).
    pub size: Option<u64>,
}

impl Data {
    pub(super) fn insert(&mut self, start: u64, bytes: Bytes) {
        if !bytes.is_empty() {
            // A longer read at the same offset replaces a shorter one.
            let keep = self
                .segs
                .get(&start)
                .is_some_and(|b| b.len() >= bytes.len());
            if !keep {
                self.segs.insert(start, bytes);
            }
        }
    }

    /// A file of known `size` of which only the first bytes (`head`) and
    /// the last (`tail`) are at hand, e.g. kept while an upload streamed
    /// past: nothing is fetched, a read of the middle is a gap.
    pub(super) fn from_ends(head: Bytes, tail: Bytes, size: u64) -> Data {
        let mut data = Data {
            size: Some(size),
            ..Data::default()
        };
        let tail_start = size.saturating_sub(tail.len() as u64);
        data.insert(0, head);
        data.insert(tail_start, tail);
        data
    }

    /// Whether byte `pos` has been fetched.
    pub(super) fn has(&self, pos: u64) -> bool {
        self.segment_at(pos).is_some()
    }

    /// The fetched bytes from `pos` to the end of the segment holding it.
    fn segment_at(&self, pos: u64) -> Option<&[u8]> {
        let (start, seg) = self.segs.range(..=pos).next_back()?;
        let off = usize::try_from(pos - start).ok()?;
        seg.get(off..).filter(|rest| !rest.is_empty())
    }

    /// The first bytes of the file (for recognising the container).
    pub(super) fn head(&self) -> &[u8] {
        self.segs.get(&0).map(|b| &b[..]).unwrap_or(&[])
    }

    /// First offset after the fetched prefix that starts at 0.
    pub(super) fn prefix_end(&self) -> u64 {
        self.head().len() as u64
    }
}

/// What the parsers ran into: the first unfetched offset read, and whether
/// anything read at or past the known end of the file.
#[derive(Debug)]
pub(super) struct Gaps {
    miss: AtomicU64,
    eof: AtomicBool,
}

impl Default for Gaps {
    fn default() -> Self {
        Self {
            miss: AtomicU64::new(u64::MAX),
            eof: AtomicBool::new(false),
        }
    }
}

impl Gaps {
    pub(super) fn miss(&self) -> Option<u64> {
        Some(self.miss.load(Ordering::Relaxed)).filter(|m| *m != u64::MAX)
    }

    pub(super) fn hit_eof(&self) -> bool {
        self.eof.load(Ordering::Relaxed)
    }

    fn record_miss(&self, pos: u64) {
        // Keep the first: later misses may be a parser's reaction to it.
        let _ = self
            .miss
            .compare_exchange(u64::MAX, pos, Ordering::Relaxed, Ordering::Relaxed);
    }
}

/// `Read + Seek` over [`Data`]; records gaps instead of inventing bytes.
pub(super) struct Reader<'a> {
    data: &'a Data,
    gaps: &'a Gaps,
    pos: u64,
}

impl<'a> Reader<'a> {
    pub(super) fn new(data: &'a Data, gaps: &'a Gaps) -> Self {
        Self { data, gaps, pos: 0 }
    }
}

impl Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(seg) = self.data.segment_at(self.pos) {
            let n = seg.len().min(buf.len());
            buf[..n].copy_from_slice(&seg[..n]);
            self.pos += n as u64;
            return Ok(n);
        }
        if self.data.size.is_some_and(|size| self.pos >= size) {
            self.gaps.eof.store(true, Ordering::Relaxed);
            return Ok(0);
        }
        self.gaps.record_miss(self.pos);
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "byte range not fetched yet",
        ))
    }
}

impl Seek for Reader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let bad = || io::Error::new(io::ErrorKind::InvalidInput, "seek out of range");
        let next = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => match self.data.size {
                Some(size) => size.checked_add_signed(d),
                None => {
                    // The end is beyond what we could read: ask for more.
                    self.gaps.record_miss(self.data.prefix_end());
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "file size unknown",
                    ));
                }
            },
        };
        self.pos = next.ok_or_else(bad)?;
        Ok(self.pos)
    }
}

impl symphonia::core::io::MediaSource for Reader<'_> {
    fn is_seekable(&self) -> bool {
        // Seeking lets symphonia read trailing tags and estimate CBR MP3
        // duration from the size; both need the size.
        self.data.size.is_some()
    }

    fn byte_len(&self) -> Option<u64> {
        self.data.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fetched_ranges_and_records_the_first_gap() {
        let mut data = Data::default();
        data.insert(0, Bytes::from_static(b"abcd"));
        data.insert(10, Bytes::from_static(b"klmn"));
        data.size = Some(14);
        let gaps = Gaps::default();
        let mut r = Reader::new(&data, &gaps);
        let mut buf = [0u8; 8];
        assert_eq!(r.read(&mut buf).unwrap(), 4);
        assert!(r.read(&mut buf).is_err());
        assert_eq!(gaps.miss(), Some(4));
        r.seek(SeekFrom::End(-2)).unwrap();
        assert_eq!(r.read(&mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"mn");
        assert!(!gaps.hit_eof());
        assert_eq!(r.read(&mut buf).unwrap(), 0);
        assert!(gaps.hit_eof());
        r.seek(SeekFrom::Start(6)).unwrap();
        assert!(r.read(&mut buf).is_err());
        assert_eq!(gaps.miss(), Some(4), "the first gap is kept");
    }

    #[test]
    fn head_and_tail_of_a_known_size_leave_the_middle_a_gap() {
        let data = Data::from_ends(Bytes::from_static(b"abc"), Bytes::from_static(b"xyz"), 10);
        assert_eq!(data.size, Some(10));
        assert!(data.has(2) && !data.has(3) && !data.has(6) && data.has(7) && data.has(9));
        let gaps = Gaps::default();
        let mut r = Reader::new(&data, &gaps);
        let mut buf = [0u8; 4];
        r.seek(SeekFrom::End(-3)).unwrap();
        assert_eq!(r.read(&mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"xyz");
        // A whole small file is its head: the tail adds nothing new.
        let whole = Data::from_ends(Bytes::from_static(b"abcd"), Bytes::new(), 4);
        assert!((0..4).all(|i| whole.has(i)));
    }

    #[test]
    fn seek_from_end_without_size_asks_for_more() {
        let mut data = Data::default();
        data.insert(0, Bytes::from_static(b"abcd"));
        let gaps = Gaps::default();
        let mut r = Reader::new(&data, &gaps);
        assert!(r.seek(SeekFrom::End(-1)).is_err());
        assert_eq!(gaps.miss(), Some(4));
    }
}
