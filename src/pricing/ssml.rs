//! The SSML elements that change how long speech lasts: `<break>` (time or
//! strength, any attribute order), `<prosody rate>` (scales the enclosed
//! text) and `<say-as interpret-as>` (spelling out, digit by digit). Other
//! SSML tags are markup and silent; anything else in `<…>` is read as text,
//! so brackets cannot hide a script. Attributes: [`super::ssml_attr`].

pub(super) use super::ssml_attr::Rate;
use super::ssml_attr::{attributes, break_ms, rate, MAX_BREAK_MS};

/// SSML elements whose tags are markup, not speech.
pub(super) const SSML_TAGS: &[&str] = &[
    "break", "prosody", "emphasis", "say-as", "phoneme", "sub", "voice", "speak", "p", "s", "lang",
    "mark", "audio", "w",
];

/// How `<say-as>` asks for enclosed text to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SayAs {
    /// As written (numbers verbalised).
    Normal,
    /// Every letter and digit on its own (`characters`, `spell-out`, `verbatim`).
    Characters,
    /// Every digit on its own (`digits`, `telephone`).
    Digits,
}

/// One recognised SSML tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tag {
    Break(u64),
    /// `<prosody>` opening; `Some(rate)` when it sets one, `None` when it
    /// keeps the enclosing rate (pitch or volume only).
    ProsodyOpen(Option<Rate>),
    ProsodyClose,
    SayAsOpen(SayAs),
    SayAsClose,
    /// Any other SSML element (silent), including self-closing prosody/say-as.
    Other,
}

/// Length in bytes of the tag body after a `<` if it is an SSML tag: starts
/// with a letter or `/`, ends at the first `>` with no `<` before it. There
/// is no length limit (padded tags still count); the scan stops at the next
/// `<`, so scanning the whole text stays linear.
pub(super) fn tag_len(after: &[u8]) -> Option<usize> {
    let first = *after.first()?;
    if !(first.is_ascii_alphabetic() || first == b'/') {
        return None;
    }
    let len = find_angle(after)?;
    if after[len] != b'>' {
        return None;
    }
    let name = tag_name(&after[..len]);
    SSML_TAGS
        .iter()
        .any(|t| t.as_bytes().eq_ignore_ascii_case(name))
        .then_some(len)
}

/// `<break time="…s"/>` or `…ms`, as scripts usually write a pause
/// (lower case, one space, whole numbers, optional `/`): the length of its
/// body after the `<` and its milliseconds, read without the general tag
/// and attribute scan, which was a fifth of a short scene's projection.
/// `None` for any other spelling; where `Some`, [`tag_len`] and [`parse`]
/// read the same (the differential tests draw these tags).
pub(super) fn common_break(after: &[u8]) -> Option<(usize, u64)> {
    let rest = after.strip_prefix(b"break time=\"")?;
    // At most seven digits: more reads on as no `s`/`ms` and is refused.
    let digits = rest.iter().take(7).take_while(|b| b.is_ascii_digit());
    let n = digits.clone().count();
    let value = digits.fold(0, |a, b| a * 10 + u64::from(b - b'0'));
    let (scale, tail) = match &rest[n..] {
        [b'm', b's', b'"', tail @ ..] if n > 0 => (1, tail),
        [b's', b'"', tail @ ..] if n > 0 => (1000, tail),
        _ => return None,
    };
    let slash = match tail {
        [b'/', b'>', ..] => 1,
        [b'>', ..] => 0,
        _ => return None,
    };
    Some((
        after.len() - tail.len() + slash,
        (value * scale).min(MAX_BREAK_MS),
    ))
}

/// The first `<` or `>`, eight bytes at a time: the two differ only in bit
/// 1, so `b | 2 == b'>'` finds both, and padded tags are mostly skipped a
/// word at a time.
fn find_angle(bytes: &[u8]) -> Option<usize> {
    use super::swar::{splat, word_at, zero_bytes};
    let mut at = 0;
    while let Some(w) = word_at(bytes, at) {
        if zero_bytes((w | splat(2)) ^ splat(b'>')) != 0 {
            break;
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|&b| b | 2 == b'>')
        .map(|p| at + p)
}

fn tag_name(body: &[u8]) -> &[u8] {
    let body = body.strip_prefix(b"/").unwrap_or(body);
    let end = body
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'/')
        .unwrap_or(body.len());
    &body[..end]
}

/// Interprets a recognised tag body (between `<` and `>`). Names, keys and
/// values compare without letter case and nothing is copied.
pub(super) fn parse(body: &str) -> Tag {
    let closing = body.starts_with('/');
    let self_closing = body.trim_end().ends_with('/');
    let name = tag_name(body.as_bytes());
    let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
    let attrs = || attributes(body);
    if is("break") && !closing {
        Tag::Break(break_ms(attrs()))
    } else if is("prosody") && closing {
        Tag::ProsodyClose
    } else if is("prosody") && !self_closing {
        let rate = attrs()
            .find(|(k, _)| k.eq_ignore_ascii_case("rate"))
            .and_then(|(_, v)| rate(v));
        Tag::ProsodyOpen(rate)
    } else if is("say-as") && closing {
        Tag::SayAsClose
    } else if is("say-as") && !self_closing {
        let how = attrs()
            .find(|(k, _)| k.eq_ignore_ascii_case("interpret-as"))
            .map(|(_, v)| v);
        let one_of =
            |names: &[&str]| how.is_some_and(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
        Tag::SayAsOpen(
            if one_of(&["characters", "spell-out", "verbatim", "letters"]) {
                SayAs::Characters
            } else if one_of(&["digits", "telephone"]) {
                SayAs::Digits
            } else {
                SayAs::Normal
            },
        )
    } else {
        Tag::Other
    }
}
