//! Route catalog: what each normalised HeyGen method + path is (family,
//! billable or free, status read, unknown). Pure: no I/O, no clock.
//!
//! [`classify`] is total: every method and path maps to a [`Route`], never a
//! panic. Literal path segments match ASCII case-insensitively and trailing
//! slashes are ignored, so no spelling of a paid path falls through to
//! "unknown" (path parameters such as ids keep their case).

pub(crate) mod segments;
mod table;
mod table_v3;
#[cfg(test)]
mod tests;

use std::str::FromStr;

use serde::Serialize;

/// Route families, the unit of per-tenant allow/deny and of metric labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
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
    /// Account-wide management (webhook endpoints, user, wallet): never
    /// implied by an empty allow list; a tenant must name it.
    OrgAdmin,
    Other,
}

/// The `family` label of the gateway's own endpoints (`/gateway/v1/…`),
/// which are not HeyGen routes.
pub const GATEWAY_FAMILY: &str = "gateway";

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
        Family::OrgAdmin,
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
            Family::OrgAdmin => "org_admin",
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

/// One classified request: its family, a bounded metric label and what the
/// gateway must do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub family: Family,
    /// Bounded label, e.g. `"POST /v2/video/generate"`, `"GET /v3/videos/{id}"`,
    /// `"unknown_read"`, `"unknown_write"`. Never contains request data.
    pub template: &'static str,
    pub kind: RouteKind,
}

/// What a route is, for the proxy's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteKind {
    /// Known and free: forwarded without a hold.
    Free,
    /// Creates billable work: must be quoted and held before forwarding.
    Billable(Billable),
    /// A job status read whose response can settle a hold.
    Status(StatusRead),
    /// A GET/HEAD the catalog does not know: passes (reads cost nothing).
    UnknownRead,
    /// Any other method on an unknown path: refused by default.
    UnknownWrite,
}

/// Which projection rule prices a billable request (plus path parameters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Billable {
    /// `POST /v2/video/generate`: scenes, per-scene Avatar IV flag, `test`.
    StudioVideo,
    /// `POST /v1/video.webm`: legacy flat body (`input_text`/`input_audio`).
    WebmVideo,
    /// `POST /v2/video/av4/generate`: Avatar IV from a photo.
    Av4Video,
    /// `POST /v2/videos`: Avatar IV "Generate Video".
    V2AvatarIvVideo,
    /// `POST /v2/template/{id}/generate`.
    V2Template { template_id: String },
    /// `POST /v2/video_translate`.
    V2Translation,
    /// `POST /v2/video_translate/proofread` (enterprise only).
    V2ProofreadCreate,
    /// `POST /v2/video_translate/proofread/{id}/generate` (enterprise only).
    V2ProofreadGenerate { proofread_id: String },
    /// `POST /v1/video_agent/generate`.
    V1VideoAgent,
    /// `POST /v1/personalized_video/add_contact`: renders one video per contact.
    PersonalizedVideo,
    /// Per-call operations (photo avatars, avatar and voice creation, ...).
    PerCall(PerCallOp),
    /// `POST /v1/streaming.new`: an interactive session.
    StreamingSession,
    /// `POST /v1/streaming.create_token`: a token HeyGen's SDKs start a
    /// session with directly; a session start all the same.
    StreamingToken,
    /// `POST /v3/videos`.
    V3Video,
    /// `POST /v3/videos/batches`.
    V3VideoBatch,
    /// `POST /v3/templates/{id}`.
    V3Template { template_id: String },
    /// `POST /v3/video-agents`.
    V3VideoAgent,
    /// `POST /v3/video-agents/{session_id}`: a follow-up message / revision.
    V3VideoAgentMessage { session_id: String },
    /// `POST /v3/video-translations`.
    V3Translation,
    /// `POST /v3/video-translations/batches`.
    V3TranslationBatch,
    /// `POST /v3/video-translations/proofreads` (enterprise only).
    V3ProofreadCreate,
    /// `POST /v3/video-translations/proofreads/{id}/generate` (enterprise only).
    V3ProofreadGenerate { proofread_id: String },
    /// `POST /v3/lipsyncs`.
    V3Lipsync,
    /// `POST /v3/lipsyncs/batches`.
    V3LipsyncBatch,
    /// `POST /v3/voices/speech` (Starfish TTS).
    V3Speech,
    /// `POST /v3/avatars` (`type: photo|prompt`; `video`/`digital_twin` is enterprise only).
    V3Avatar,
    /// `POST /v3/avatar-realtime`: a realtime stream session.
    V3AvatarRealtime,
    /// `POST /v3/hyperframes/renders`: per output minute by fps and resolution.
    V3HyperframesRender,
}

/// Operations billed a flat price per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PerCallOp {
    /// `POST /v2/photo_avatar/photo/generate`.
    PhotoGenerate,
    /// `POST /v2/photo_avatar/look/generate`.
    LookGenerate,
    /// `POST /v2/photo_avatar/train`.
    PhotoTrain,
    /// `POST /v2/photo_avatar/add_motion`.
    AddMotion,
    /// `POST /v2/photo_avatar/add_sound_effect`.
    AddSoundEffect,
    /// `POST /v2/photo_avatar/upscale`.
    Upscale,
    /// `POST /v2/video_avatar`: legacy custom digital twin (enterprise only).
    VideoAvatarCreate,
    /// `POST /v3/voices/clone`.
    VoiceClone,
    /// `POST /v3/voices`: voice design.
    VoiceDesign,
    /// `POST /v3/ai-clipping`.
    AiClipping,
    /// `POST /v3/background-removals`.
    BackgroundRemoval,
}

/// Which status response shape a status read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusRead {
    /// `GET /v1/video_status.get?video_id=ID` (v1 envelope).
    V1VideoStatus,
    /// `GET /v2/videos/{id}`.
    V2Video,
    /// `GET /v2/video_translate/{id}`.
    V2VideoTranslate,
    /// `GET /v3/videos/{id}`.
    V3Video,
    /// `GET /v3/video-translations/{id}`.
    V3VideoTranslation,
    /// `GET /v3/lipsyncs/{id}`.
    V3Lipsync,
    /// `GET /v3/video-agents/{session_id}`.
    V3VideoAgent,
    /// `GET /v3/videos/batches/{id}`.
    V3VideoBatch,
    /// `GET /v3/video-translations/batches/{id}`.
    V3TranslationBatch,
    /// `GET /v3/lipsyncs/batches/{id}`.
    V3LipsyncBatch,
    /// `GET /v3/hyperframes/renders/{id}` (reports `duration` when done).
    V3HyperframesRender,
}

/// Classifies a normalised path (no dot segments or duplicate slashes; query
/// passed separately). Total and panic-free.
pub fn classify(method: &http::Method, path: &str) -> Route {
    table::classify(method, path)
}

/// The methods the catalog knows `path` under (`"GET, DELETE"`), or `None`
/// when it knows none: a write refused as unknown on such a path is a
/// wrong method, not an unknown route.
pub fn methods_of(path: &str) -> Option<String> {
    use http::Method;
    let known: Vec<&str> = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ]
    .iter()
    .filter(|m| {
        !matches!(
            classify(m, path).kind,
            RouteKind::UnknownRead | RouteKind::UnknownWrite
        )
    })
    .map(Method::as_str)
    .collect();
    (!known.is_empty()).then(|| known.join(", "))
}
