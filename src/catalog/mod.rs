//! Route catalog: what each normalised HeyGen method + path is (family,
//! billable or free, status read, unknown). Pure: no I/O, no clock.

use std::str::FromStr;

/// Route families, the unit of per-tenant allow/deny and of metric labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Video,
    Template,
    Translation,
    Agent,
    PhotoAvatar,
    Avatar,
    Streaming,
    Realtime,
    Speech,
    Lipsync,
    Voice,
    Asset,
    Webhook,
    Account,
    Other,
}

impl Family {
    pub const ALL: &'static [Family] = &[
        Family::Video,
        Family::Template,
        Family::Translation,
        Family::Agent,
        Family::PhotoAvatar,
        Family::Avatar,
        Family::Streaming,
        Family::Realtime,
        Family::Speech,
        Family::Lipsync,
        Family::Voice,
        Family::Asset,
        Family::Webhook,
        Family::Account,
        Family::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Video => "video",
            Family::Template => "template",
            Family::Translation => "translation",
            Family::Agent => "agent",
            Family::PhotoAvatar => "photo_avatar",
            Family::Avatar => "avatar",
            Family::Streaming => "streaming",
            Family::Realtime => "realtime",
            Family::Speech => "speech",
            Family::Lipsync => "lipsync",
            Family::Voice => "voice",
            Family::Asset => "asset",
            Family::Webhook => "webhook",
            Family::Account => "account",
            Family::Other => "other",
        }
    }
}

impl FromStr for Family {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Family::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == s)
            .ok_or(())
    }
}
