//! Where a field sits in a request body (`video_inputs[2].voice`), for the
//! error that names it. Rules pass an [`At`] — a chain of borrowed
//! segments on the stack — and the text is only built when an error is
//! returned: most bodies are fine, and formatting a path per field was a
//! sixth of a 50-scene quote. Plain `&str` paths still work ([`Loc`]).

/// A field's place: the body itself, a key of a place, or an element.
#[derive(Clone, Copy, Debug)]
pub(super) enum At<'p> {
    Root,
    Key(&'p At<'p>, &'p str),
    Index(&'p At<'p>, usize),
}

impl<'p> At<'p> {
    /// The member `key` of this place.
    pub(super) fn key(&'p self, key: &'p str) -> At<'p> {
        At::Key(self, key)
    }

    /// Element `i` of this place (an array).
    pub(super) fn index(&'p self, i: usize) -> At<'p> {
        At::Index(self, i)
    }

    fn write(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            At::Root => {}
            At::Key(parent, key) => {
                parent.write(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            At::Index(parent, i) => {
                parent.write(out);
                let _ = write!(out, "[{i}]");
            }
        }
    }
}

/// A place as the error texts spell it: rendered text (`str`, `String`)
/// or an [`At`] rendered on demand.
pub(super) trait Loc {
    fn render(&self) -> String;
}

impl Loc for str {
    fn render(&self) -> String {
        self.to_owned()
    }
}

impl Loc for String {
    fn render(&self) -> String {
        self.clone()
    }
}

impl Loc for At<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

/// `at.key`, or `key` at the top level.
pub(super) fn path(at: &(impl Loc + ?Sized), key: &str) -> String {
    let mut out = at.render();
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(key);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_the_formatted_paths() {
        let root = At::Root;
        let list = root.key("video_inputs");
        let scene = list.index(2);
        let voice = scene.key("voice");
        assert_eq!(voice.render(), "video_inputs[2].voice");
        assert_eq!(path(&voice, "type"), "video_inputs[2].voice.type");
        assert_eq!(path(&root, "test"), "test");
        assert_eq!(path("", "test"), "test");
        assert_eq!(path("a[1]", "b"), "a[1].b");
        assert_eq!(root.index(0).render(), "[0]");
    }
}
