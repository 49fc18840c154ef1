//! Types of metered live sessions (the `sessions` module meters them; the
//! ledger's `sessions` and `session_tokens` tables keep them).

/// A live (or stopped) metered session (the `sessions` module meters it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub session_id: String,
    pub tenant: String,
    pub feature: String,
    /// `streaming` (legacy `/v1/streaming.*`) or `realtime` (v3).
    pub kind: String,
    /// Micro-credits per minute.
    pub rate: i64,
    pub idle_s: i64,
    pub started_us: i64,
    pub last_activity_us: i64,
    /// The hold of the current minute.
    pub hold_id: String,
    /// When the current minute began.
    pub slot_us: i64,
    /// Minutes held so far (the current one included).
    pub minutes: i64,
    /// Captured for the minutes before the current one.
    pub captured: i64,
    /// `live`, `token` (a minted token whose session is not seen yet; its
    /// id is `token:{hold_id}`) or `stopped`.
    pub state: String,
    pub stop_reason: Option<String>,
    pub stopped_us: Option<i64>,
}

impl SessionRow {
    pub fn is_live(&self) -> bool {
        self.state == "live"
    }
}

/// What [`super::Registry::next_session_minute`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextMinute {
    /// The next minute is held (`hold_id`); the ended one was captured.
    Held {
        hold_id: String,
        ended: super::types::Settlement,
    },
    /// The next minute does not fit: nothing changed.
    Refused(super::types::HoldDecision),
    /// The session is no longer live on that minute (another replica moved
    /// it on, or it stopped): nothing changed.
    Moved,
}

/// A session token the gateway handed out (LiveAvatar's `session_token`),
/// stored as its SHA-256 so a bearer can be mapped to its session without
/// keeping the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionToken {
    /// Hex SHA-256 of the token.
    pub token_sha256: String,
    pub session_id: String,
    pub tenant: String,
    /// The session may not be metered past this (`max_session_duration`).
    pub max_end_us: Option<i64>,
}

/// How [`super::Registry::session_token`] looks a token up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKey<'a> {
    /// By the token's hex SHA-256.
    Digest(&'a str),
    /// By the session it started.
    Session(&'a str),
}

/// Which sessions [`super::Registry::sessions`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionFilter<'a> {
    One(&'a str),
    /// Every live session, oldest first.
    Live,
    /// Minted tokens not yet bound to a session, oldest first.
    Tokens,
}
