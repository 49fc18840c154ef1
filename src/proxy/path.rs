//! Path normalisation, done once: what is normalised is what is priced and
//! what is forwarded, so no spelling of a paid path reaches HeyGen unpriced.
//!
//! Steps (RFC 3986 §6.2.2 and §5.2.4): decode percent-encoded unreserved
//! characters, upper-case the remaining escapes, collapse duplicate slashes,
//! remove dot segments, drop a trailing slash. A path that climbs above the
//! root, or holds an invalid escape or control character, is refused, and so
//! is an encoded `/` or `\` (`%2F`, `%5C`): HeyGen or a proxy in front of it
//! may decode one into a separator after the gateway priced the path
//! (`/v3/folders/..%2Fvideos`), and no HeyGen path needs one.

/// Why a path was refused (always a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the request path must start with '/'")]
    NotAbsolute,
    #[error("the request path contains an invalid percent-encoding")]
    BadEscape,
    #[error("the request path contains a control character or encoded NUL")]
    ControlChar,
    #[error("the request path climbs above the root")]
    AboveRoot,
    #[error("the request path contains an encoded '/' or '\\' (%2F, %5C)")]
    EncodedSeparator,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Decodes escapes of unreserved characters; keeps others escaped, upper-cased.
fn decode_unreserved(path: &str) -> Result<String, PathError> {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(crate::http::hex_val),
                bytes.get(i + 2).copied().and_then(crate::http::hex_val),
            ) else {
                return Err(PathError::BadEscape);
            };
            let v = h * 16 + l;
            if v < 0x20 || v == 0x7f {
                return Err(PathError::ControlChar);
            }
            if v == b'/' || v == b'\\' {
                return Err(PathError::EncodedSeparator);
            }
            if is_unreserved(v) {
                out.push(char::from(v));
            } else {
                out.push('%');
                out.push(char::from(b"0123456789ABCDEF"[usize::from(h)]));
                out.push(char::from(b"0123456789ABCDEF"[usize::from(l)]));
            }
            i += 3;
        } else {
            if b < 0x20 || b == 0x7f {
                return Err(PathError::ControlChar);
            }
            out.push(char::from(b));
            i += 1;
        }
    }
    Ok(out)
}

/// Whether an absolute ASCII `path` is already in normal form — nothing to
/// decode, collapse or remove, as clients almost always send it — so the
/// steps below would return it unchanged (a test checks they do).
///
/// One pass over the bytes (every request takes it, twice: the error
/// layer's envelope and admission; splitting on `/` cost ~900 instructions
/// a call): every segment after the leading `/` is non-empty, not `.` or
/// `..`, and free of control bytes and `%`.
pub(crate) fn is_normal(path: &str) -> bool {
    let Some(rest) = path.as_bytes().strip_prefix(b"/") else {
        return false;
    };
    // No early exit, so the byte test compiles to vector code.
    let odd = rest.iter().fold(false, |odd, &b| {
        odd | (b < 0x20) | (b == 0x7f) | (b == b'%')
    });
    if odd {
        return false;
    }
    // Segments found with `memchr`: a generic split looked at every byte
    // again, twice per request (the error layer and admission ask).
    let mut start = 0;
    memchr::memchr_iter(b'/', rest)
        .chain(std::iter::once(rest.len()))
        .all(|end| {
            let ok = rest.get(start..end).is_some_and(segment_ok);
            start = end + 1;
            ok
        })
}

/// A segment of a path in normal form: not empty, `.` or `..`.
fn segment_ok(seg: &[u8]) -> bool {
    !matches!(seg, b"" | b"." | b"..")
}

/// The generation (and so the error envelope) of the route `path` reaches
/// once normalised: a client's `/v2/../v3/videos` is a v3 call. A path
/// normalising fails is judged as sent.
pub(crate) fn generation(path: &str) -> crate::error::Generation {
    use crate::error::Generation;
    if is_normal(path) {
        return Generation::of_path(path);
    }
    match normalize(path) {
        Ok(p) => Generation::of_path(&p),
        Err(_) => Generation::of_path(path),
    }
}

/// Normalises an origin-form request path (without the query).
pub fn normalize(path: &str) -> Result<String, PathError> {
    if !path.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if !path.is_ascii() {
        // hyper only hands us ASCII paths; anything else is malformed.
        return Err(PathError::BadEscape);
    }
    if is_normal(path) {
        return Ok(path.to_owned());
    }
    steps(path)
}

/// The normalisation steps on an absolute ASCII path.
fn steps(path: &str) -> Result<String, PathError> {
    let decoded = decode_unreserved(path)?;
    let mut segments: Vec<&str> = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(PathError::AboveRoot);
                }
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for seg in &segments {
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition the byte pass replaced, kept as the reference.
    fn is_normal_by_split(path: &str) -> bool {
        path.split('/').skip(1).all(|seg| {
            !matches!(seg, "" | "." | "..")
                && seg.bytes().all(|b| b >= 0x20 && b != 0x7f && b != b'%')
        })
    }

    proptest! {
        #[test]
        fn the_byte_pass_agrees_with_splitting(tail in r"[a-z0-9./%\x01\x7f-]{0,16}") {
            let path = format!("/{tail}");
            prop_assert_eq!(is_normal(&path), is_normal_by_split(&path), "{}", path);
        }

        /// The fast path returns a path unchanged only where every step
        /// would have returned it unchanged too.
        #[test]
        fn a_path_taken_as_normal_is_what_the_steps_return(tail in r"[a-zA-Z0-9./%_~\\\x01\x7f -]{0,24}") {
            let path = format!("/{tail}");
            if is_normal(&path) {
                prop_assert_eq!(steps(&path), Ok(path.clone()));
            }
        }
    }

    #[test]
    fn errors_take_the_generation_of_the_normalised_path() {
        use crate::error::Generation::{V1, V2, V3};
        for (path, want) in [
            ("/v2/../v1/video_status.get", V1),
            ("//v2/video/generate", V2),
            ("/v2/%2e%2e/v3/videos", V3),
            ("/v3/videos", V3),
            ("/v1/video_status.get", V1),
            // Above the root: refused later, its envelope as sent.
            ("/v2/../../v1/x", V2),
        ] {
            assert_eq!(generation(path), want, "{path}");
        }
    }

    #[test]
    fn normalises_real_client_spellings() {
        let cases = [
            ("/v2/../v1/video_status.get", "/v1/video_status.get"),
            ("//v2/video/generate", "/v2/video/generate"),
            ("/v2//video///generate/", "/v2/video/generate"),
            ("/v2/%2e%2e/v1/video_status.get", "/v1/video_status.get"),
            ("/v2/%2E%2E/v2/video/generate", "/v2/video/generate"),
            ("/v2/./video/generate", "/v2/video/generate"),
            ("/%76%32/video/%67enerate", "/v2/video/generate"),
            ("/v3/videos/abc%3adef", "/v3/videos/abc%3Adef"),
            ("/v1/video_status.get", "/v1/video_status.get"),
            ("/", "/"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn the_fast_path_takes_canonical_paths_and_only_those() {
        for path in [
            "/v2/video/generate",
            "/v1/video_status.get",
            "/v3/videos/Ab-9_~x",
        ] {
            assert!(is_normal(path), "{path}");
        }
        for path in [
            "/",
            "//v2/video",
            "/v2/video/",
            "/v2/./video",
            "/v2/../v1",
            "/v2/%76ideo",
            "/v2/vid\x01eo",
            "/v2/vid\x7feo",
        ] {
            assert!(!is_normal(path), "{path:?}");
        }
    }

    #[test]
    fn refuses_bad_paths() {
        assert_eq!(normalize("/../v1/x"), Err(PathError::AboveRoot));
        assert_eq!(normalize("/v1/../../etc"), Err(PathError::AboveRoot));
        assert_eq!(normalize("/%2e%2e/v1"), Err(PathError::AboveRoot));
        assert_eq!(normalize("/v1/%zz"), Err(PathError::BadEscape));
        assert_eq!(normalize("/v1/%2"), Err(PathError::BadEscape));
        assert_eq!(normalize("/v1/%00"), Err(PathError::ControlChar));
        assert_eq!(normalize("v1/x"), Err(PathError::NotAbsolute));
        for p in [
            "/v3/folders/..%2Fvideos",
            "/v3/folders/..%2fvideos",
            "/v3/videos/a%5Cb",
            "/v3/videos/a%5cb",
            "/v2/%2F%2Fevil/v2/avatars",
        ] {
            assert_eq!(normalize(p), Err(PathError::EncodedSeparator), "{p}");
        }
    }

    #[test]
    fn percent_decodes_query_values() {
        use crate::http::percent_decode;
        assert_eq!(
            percent_decode("2026-11-01T00%3A00%3A00%2B01%3A00").as_deref(),
            Some("2026-11-01T00:00:00+01:00")
        );
        assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%ff"), None, "not UTF-8");
    }

    #[test]
    fn is_idempotent() {
        for p in ["/v2/../v1/a", "//v2//b/", "/v3/a%3ab/./c", "/v2/%41"] {
            let once = normalize(p).unwrap();
            assert_eq!(normalize(&once).unwrap(), once);
        }
    }
}
