//! A path split into its segments, each as sent and ASCII-lower-cased, for
//! the route tables' slice patterns (`["video", "generate"]`). Every request
//! is matched this way twice (the catalog and the isolation rules), so the
//! split lives on the stack: nothing is allocated unless a segment has an
//! upper-case letter, and only a path longer than [`INLINE`] segments (no
//! HeyGen route has more than six) falls back to vectors.

use std::borrow::Cow;

/// Segments matched without allocating.
const INLINE: usize = 12;

/// Calls `f` with the segments of `path` split on `/`: ASCII-lower-cased
/// (literal segments match case-insensitively) and as sent (ids keep their
/// case), the two slices of equal length. `path` is split as given: callers
/// trim the slashes they do not want as empty segments.
pub(crate) fn with_segments<R>(path: &str, f: impl FnOnce(&[&str], &[&str]) -> R) -> R {
    let mut raw = [""; INLINE];
    let mut n = 0;
    // Split with `memchr`: `str::split('/')` searches for a `char` and cost
    // ~150 instructions a segment, on every request, twice. `/` is ASCII,
    // so every cut is on a character boundary.
    let mut start = 0;
    let ends = memchr::memchr_iter(b'/', path.as_bytes()).chain(std::iter::once(path.len()));
    for end in ends {
        if n == INLINE {
            return spilled(path, f);
        }
        raw[n] = path.get(start..end).unwrap_or_default();
        n += 1;
        start = end + 1;
    }
    // Paths are almost always sent in lower case already: then the
    // segments as sent are the lower-cased ones, with no array of copies.
    if !path.bytes().any(|b| b.is_ascii_uppercase()) {
        return f(&raw[..n], &raw[..n]);
    }
    let lower: [Cow<'_, str>; INLINE] = std::array::from_fn(|i| lower_case(raw[i]));
    let low: [&str; INLINE] = std::array::from_fn(|i| &*lower[i]);
    f(&low[..n], &raw[..n])
}

/// The same for a path longer than [`INLINE`] segments.
#[cold]
fn spilled<R>(path: &str, f: impl FnOnce(&[&str], &[&str]) -> R) -> R {
    let raw: Vec<&str> = path.split('/').collect();
    let lower: Vec<Cow<'_, str>> = raw.iter().map(|s| lower_case(s)).collect();
    let low: Vec<&str> = lower.iter().map(|s| &**s).collect();
    f(&low, &raw)
}

/// `s` ASCII-lower-cased, borrowed when it already is.
fn lower_case(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(path: &str) -> (Vec<String>, Vec<String>) {
        with_segments(path, |low, raw| {
            let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            (own(low), own(raw))
        })
    }

    #[test]
    fn segments_are_lower_cased_beside_the_ones_sent() {
        let (low, raw) = split("v2/Video/AbC_1");
        assert_eq!(low, ["v2", "video", "abc_1"]);
        assert_eq!(raw, ["v2", "Video", "AbC_1"]);
    }

    #[test]
    fn empty_segments_and_empty_paths_are_kept() {
        assert_eq!(split("").0, [""]);
        assert_eq!(
            split("a//b"),
            (
                vec!["a".into(), "".into(), "b".into()],
                vec!["a".into(), "".into(), "b".into()]
            )
        );
        assert_eq!(split("/É/x/").1, ["", "É", "x", ""]);
    }

    /// Both ways through: with upper case (lower-cased copies) and all
    /// lower case already (the segments as sent), on either side of the
    /// inline array's size.
    #[test]
    fn paths_longer_than_the_inline_array_split_alike() {
        let sizes = [INLINE - 1, INLINE, INLINE + 1, 3 * INLINE];
        for (n, seg) in sizes.into_iter().flat_map(|n| [(n, "S"), (n, "s")]) {
            let path = (0..n)
                .map(|i| format!("{seg}{i}"))
                .collect::<Vec<_>>()
                .join("/");
            let (low, raw) = split(&path);
            assert_eq!(raw, path.split('/').collect::<Vec<_>>(), "{n}");
            assert_eq!(
                low,
                path.to_ascii_lowercase().split('/').collect::<Vec<_>>()
            );
        }
    }
}
