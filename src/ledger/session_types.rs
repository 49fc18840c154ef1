//! Types of metered live sessions (the `sessions` module meters them; the
//! ledger's `sessions` and `session_tokens` tables keep them).

/// The stop reason of a session whose current minute's hold was settled
/// elsewhere ([`NextMinute::Settled`]).
pub const STOP_SETTLED: &str = "settled";

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
    /// Minutes held so far (the current one, and the next when it is held
    /// ahead, included).
    pub minutes: i64,
    /// Captured for the minutes before the current one.
    pub captured: i64,
    /// The hold of the next minute, taken ahead (within two ticks of the
    /// current minute's end) so the session never runs unheld. The current
    /// minute is captured only when it has ended: a stop before that pays
    /// it to the second and releases this hold.
    pub next_hold_id: Option<String>,
    /// `live`, `token` (a minted token whose session is not seen yet; its
    /// id is `token:{hold_id}`), `stopped`, or `unattributed` (a session
    /// in HeyGen's list that tokens of several tenants could have started:
    /// bound to none, metered for none; see [`TokenClaim::Unattributed`]).
    pub state: String,
    pub stop_reason: Option<String>,
    pub stopped_us: Option<i64>,
}

impl SessionRow {
    pub fn is_live(&self) -> bool {
        self.state == "live"
    }

    /// The minute this row shows the session on.
    pub fn minute(&self) -> SessionMinute<'_> {
        SessionMinute {
            session_id: &self.session_id,
            hold_id: &self.hold_id,
            next_hold_id: self.next_hold_id.as_deref(),
        }
    }
}

/// A session's minute as its meter read it: the current minute's hold and
/// the next minute's, if held ahead. Moving the session on compares both,
/// so a meter that read it before another replica moved it changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionMinute<'a> {
    pub session_id: &'a str,
    pub hold_id: &'a str,
    pub next_hold_id: Option<&'a str>,
}

/// What [`super::Registry::next_session_minute`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextMinute {
    /// The next minute is held (`hold_id`). `ended`: the current minute
    /// had ended, was captured whole, and the session moved on to
    /// `hold_id`; `None` while it runs (held ahead, not yet moved on).
    Held {
        hold_id: String,
        ended: Option<super::types::Settlement>,
    },
    /// The next minute does not fit: nothing changed.
    Refused(super::types::HoldDecision),
    /// The session is no longer live on that minute (another replica moved
    /// it on, or it stopped): nothing changed.
    Moved,
    /// The current minute's hold was settled elsewhere (no longer `held`):
    /// the session is stopped ([`STOP_SETTLED`]) and the minute held ahead,
    /// if any, released. What this released; it captured nothing.
    Settled(super::types::Settlement),
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

/// What [`super::Registry::claim_token_session`] made of a session seen in
/// HeyGen's list that no live session of the ledger is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenClaim {
    /// Bound to the oldest waiting token: its tenant is the only one whose
    /// token (or start) could have started the session.
    Bound(Box<SessionRow>),
    /// The ledger knows the session already (a row in any state, or a
    /// recorded owner): never a token's, whatever waits.
    Known,
    /// Waiting tokens, or session starts not answered yet, of more than one
    /// tenant (`candidates`) could have started it, and HeyGen's list does
    /// not say which: bound to none, and kept as `unattributed` so that no
    /// later tick binds it by elimination either.
    Unattributed { candidates: Vec<String> },
    /// No token waits.
    NoToken,
}
