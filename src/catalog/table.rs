//! The route table, one match per API generation. Literal segments are
//! matched lower-cased; parameters (ids) are taken from the original path.
//! Order matters inside a match: fixed names (`statuses`, `batches`,
//! `languages`) come before `{id}` arms so they are never taken for an id.

use http::Method;

use super::{Billable, Family, PerCallOp, Route, RouteKind, StatusRead};

use Family as F;

/// Method classes the table distinguishes (HEAD reads like GET).
#[derive(Clone, Copy, PartialEq, Eq)]
enum M {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Other,
}

impl M {
    fn of(method: &Method) -> M {
        match *method {
            Method::GET | Method::HEAD => M::Get,
            Method::POST => M::Post,
            Method::PUT => M::Put,
            Method::PATCH => M::Patch,
            Method::DELETE => M::Delete,
            _ => M::Other,
        }
    }
}

fn free(family: Family, template: &'static str) -> Route {
    Route {
        family,
        template,
        kind: RouteKind::Free,
    }
}

fn bill(family: Family, template: &'static str, billable: Billable) -> Route {
    Route {
        family,
        template,
        kind: RouteKind::Billable(billable),
    }
}

fn status(family: Family, template: &'static str, read: StatusRead) -> Route {
    Route {
        family,
        template,
        kind: RouteKind::Status(read),
    }
}

fn per_call(family: Family, template: &'static str, op: PerCallOp) -> Route {
    bill(family, template, Billable::PerCall(op))
}

fn unknown(m: M) -> Route {
    if m == M::Get {
        Route {
            family: F::Other,
            template: "unknown_read",
            kind: RouteKind::UnknownRead,
        }
    } else {
        Route {
            family: F::Other,
            template: "unknown_write",
            kind: RouteKind::UnknownWrite,
        }
    }
}

pub(super) fn classify(method: &Method, path: &str) -> Route {
    let m = M::of(method);
    let Some(rest) = path.strip_prefix('/') else {
        return unknown(m);
    };
    // A trailing slash must not turn a paid path into an unknown one.
    let rest = rest.trim_end_matches('/');
    // ASCII lower-casing keeps byte offsets, so both splits line up.
    let lower = rest.to_ascii_lowercase();
    let s: Vec<&str> = lower.split('/').collect();
    let o: Vec<&str> = rest.split('/').collect();
    if s.len() != o.len() || s.iter().any(|seg| seg.is_empty()) {
        return unknown(m);
    }
    let found = match s[0] {
        "v1" => v1(m, &s[1..], &o[1..]),
        "v2" => v2(m, &s[1..], &o[1..]),
        "v3" => v3(m, &s[1..], &o[1..]),
        _ => None,
    };
    found.unwrap_or_else(|| unknown(m))
}

const STREAMING_CONTROL: &[&str] = &[
    "streaming.create_token",
    "streaming.start",
    "streaming.task",
    "streaming.interrupt",
    "streaming.stop",
    "streaming.keep_alive",
    "streaming.start_listening",
    "streaming.stop_listening",
    "streaming.ice",
];

fn v1(m: M, s: &[&str], _o: &[&str]) -> Option<Route> {
    use M::*;
    Some(match (m, s) {
        (Get, ["video_status.get"]) => status(
            F::Video,
            "GET /v1/video_status.get",
            StatusRead::V1VideoStatus,
        ),
        (Get, ["video.list"]) => free(F::Video, "GET /v1/video.list"),
        (Delete, ["video.delete"]) => free(F::Video, "DELETE /v1/video.delete"),
        (Post, ["video.webm"]) => bill(F::Video, "POST /v1/video.webm", Billable::WebmVideo),
        (Post, ["video_agent", "generate"]) => bill(
            F::Agent,
            "POST /v1/video_agent/generate",
            Billable::V1VideoAgent,
        ),
        (Post, ["personalized_video", "add_contact"]) => bill(
            F::Template,
            "POST /v1/personalized_video/add_contact",
            Billable::PersonalizedVideo,
        ),
        (Get, ["personalized_video", ..]) => free(F::Template, "GET /v1/personalized_video/*"),
        (Post, ["asset"]) => free(F::Asset, "POST /v1/asset"),
        (Post, ["talking_photo"]) => free(F::Asset, "POST /v1/talking_photo"),
        (Get, ["talking_photo.list"]) => free(F::Asset, "GET /v1/talking_photo.list"),
        (Delete, ["talking_photo", _]) => free(F::Asset, "DELETE /v1/talking_photo/{id}"),
        (Get, ["user", "me"]) => free(F::Account, "GET /v1/user/me"),
        (Get, ["voice.list"]) => free(F::Voice, "GET /v1/voice.list"),
        (Get, ["avatar.list"]) => free(F::Avatar, "GET /v1/avatar.list"),
        (Post, ["streaming.new"]) => bill(
            F::Streaming,
            "POST /v1/streaming.new",
            Billable::StreamingSession,
        ),
        (Post, [op]) if STREAMING_CONTROL.contains(op) => {
            free(F::Streaming, "POST /v1/streaming.{control}")
        }
        (Get, ["streaming.list"]) => free(F::Streaming, "GET /v1/streaming.list"),
        (Get, ["streaming", "avatar.list"]) => free(F::Streaming, "GET /v1/streaming/avatar.list"),
        (Post, ["webhook", "endpoint.add"]) => free(F::Webhook, "POST /v1/webhook/endpoint.add"),
        (Patch | Put | Post, ["webhook", "endpoint.update"]) => {
            free(F::Webhook, "PATCH /v1/webhook/endpoint.update")
        }
        (Delete, ["webhook", "endpoint.delete"]) => {
            free(F::Webhook, "DELETE /v1/webhook/endpoint.delete")
        }
        (Get, ["webhook", "endpoint.list"]) => free(F::Webhook, "GET /v1/webhook/endpoint.list"),
        (Get, ["webhook", "webhook.list"]) => free(F::Webhook, "GET /v1/webhook/webhook.list"),
        (Get | Post | Put | Patch | Delete, ["folders", ..]) => free(F::Other, "* /v1/folders"),
        _ => return None,
    })
}

fn v2(m: M, s: &[&str], o: &[&str]) -> Option<Route> {
    use PerCallOp as Op;
    use M::*;
    Some(match (m, s) {
        (Post, ["video", "generate"]) => {
            bill(F::Video, "POST /v2/video/generate", Billable::StudioVideo)
        }
        (Post, ["video", "av4", "generate"]) => {
            bill(F::Video, "POST /v2/video/av4/generate", Billable::Av4Video)
        }
        (Post, ["videos"]) => bill(F::Video, "POST /v2/videos", Billable::V2AvatarIvVideo),
        (Get, ["videos"]) => free(F::Video, "GET /v2/videos"),
        (Get, ["videos", _]) => status(F::Video, "GET /v2/videos/{id}", StatusRead::V2Video),
        (Post, ["template", _, "generate"]) => bill(
            F::Template,
            "POST /v2/template/{id}/generate",
            Billable::V2Template {
                template_id: o[1].to_owned(),
            },
        ),
        (Get, ["templates"]) => free(F::Template, "GET /v2/templates"),
        (Get, ["template", _]) => free(F::Template, "GET /v2/template/{id}"),
        (Post, ["video_translate"]) => bill(
            F::Translation,
            "POST /v2/video_translate",
            Billable::V2Translation,
        ),
        (Get, ["video_translate", "target_languages"]) => {
            free(F::Translation, "GET /v2/video_translate/target_languages")
        }
        (Post, ["video_translate", "proofread"]) => bill(
            F::Translation,
            "POST /v2/video_translate/proofread",
            Billable::V2ProofreadCreate,
        ),
        (Post, ["video_translate", "proofread", _, "generate"]) => bill(
            F::Translation,
            "POST /v2/video_translate/proofread/{id}/generate",
            Billable::V2ProofreadGenerate {
                proofread_id: o[2].to_owned(),
            },
        ),
        (Post | Put, ["video_translate", "proofread", _, "srt"]) => {
            free(F::Translation, "PUT /v2/video_translate/proofread/{id}/srt")
        }
        (Get, ["video_translate", "proofread", ..]) => {
            free(F::Translation, "GET /v2/video_translate/proofread/*")
        }
        (Get, ["video_translate", _]) => status(
            F::Translation,
            "GET /v2/video_translate/{id}",
            StatusRead::V2VideoTranslate,
        ),
        (Delete, ["video_translate", _]) => free(F::Translation, "DELETE /v2/video_translate/{id}"),
        (Post, ["photo_avatar", "photo", "generate"]) => per_call(
            F::PhotoAvatar,
            "POST /v2/photo_avatar/photo/generate",
            Op::PhotoGenerate,
        ),
        (Post, ["photo_avatar", "look", "generate"]) => per_call(
            F::PhotoAvatar,
            "POST /v2/photo_avatar/look/generate",
            Op::LookGenerate,
        ),
        (Post, ["photo_avatar", "train"]) => per_call(
            F::PhotoAvatar,
            "POST /v2/photo_avatar/train",
            Op::PhotoTrain,
        ),
        (Post, ["photo_avatar", "add_motion"]) => per_call(
            F::PhotoAvatar,
            "POST /v2/photo_avatar/add_motion",
            Op::AddMotion,
        ),
        (Post, ["photo_avatar", "add_sound_effect"]) => per_call(
            F::PhotoAvatar,
            "POST /v2/photo_avatar/add_sound_effect",
            Op::AddSoundEffect,
        ),
        (Post, ["photo_avatar", "upscale"]) => {
            per_call(F::PhotoAvatar, "POST /v2/photo_avatar/upscale", Op::Upscale)
        }
        (Post, ["photo_avatar", "avatar_group", "create" | "add"]) => {
            free(F::PhotoAvatar, "POST /v2/photo_avatar/avatar_group/*")
        }
        (Get, ["photo_avatar", ..]) => free(F::PhotoAvatar, "GET /v2/photo_avatar/*"),
        (Delete, ["photo_avatar", _]) => free(F::PhotoAvatar, "DELETE /v2/photo_avatar/{id}"),
        (Delete, ["photo_avatar_group", _]) => {
            free(F::PhotoAvatar, "DELETE /v2/photo_avatar_group/{id}")
        }
        (Post, ["video_avatar"]) => {
            per_call(F::Avatar, "POST /v2/video_avatar", Op::VideoAvatarCreate)
        }
        (Get, ["video_avatar", ..]) => free(F::Avatar, "GET /v2/video_avatar/*"),
        (Get, ["avatars"]) => free(F::Avatar, "GET /v2/avatars"),
        (Get, ["avatar_group.list"]) => free(F::Avatar, "GET /v2/avatar_group.list"),
        (Get, ["avatar_group", _, "avatars"]) => {
            free(F::Avatar, "GET /v2/avatar_group/{id}/avatars")
        }
        (Get, ["avatar", _, "details"]) => free(F::Avatar, "GET /v2/avatar/{id}/details"),
        (Get, ["voices"]) => free(F::Voice, "GET /v2/voices"),
        (Post, ["voices", _, "preview"]) => free(F::Voice, "POST /v2/voices/{id}/preview"),
        (Get, ["user", "remaining_quota"]) => free(F::Account, "GET /v2/user/remaining_quota"),
        (Get | Post | Put | Patch | Delete, ["folders", ..]) => free(F::Other, "* /v2/folders"),
        _ => return None,
    })
}

fn v3(m: M, s: &[&str], o: &[&str]) -> Option<Route> {
    match s.first().copied() {
        Some("videos") => v3_videos(m, s, o),
        Some("templates") => v3_templates(m, s, o),
        Some("video-agents") => v3_agents(m, s, o),
        Some("video-translations") => v3_translations(m, s, o),
        Some("lipsyncs") => v3_lipsyncs(m, s),
        _ => v3_misc(m, s),
    }
}

fn v3_videos(m: M, s: &[&str], _o: &[&str]) -> Option<Route> {
    use M::*;
    Some(match (m, s) {
        (Post, ["videos"]) => bill(F::Video, "POST /v3/videos", Billable::V3Video),
        (Post, ["videos", "batches"]) => {
            bill(F::Video, "POST /v3/videos/batches", Billable::V3VideoBatch)
        }
        (Get, ["videos"]) => free(F::Video, "GET /v3/videos"),
        (Get, ["videos", "statuses"]) => free(F::Video, "GET /v3/videos/statuses"),
        (Get, ["videos", "batches"]) => free(F::Video, "GET /v3/videos/batches"),
        (Get, ["videos", "batches", _]) => status(
            F::Video,
            "GET /v3/videos/batches/{id}",
            StatusRead::V3VideoBatch,
        ),
        (Get, ["videos", _]) => status(F::Video, "GET /v3/videos/{id}", StatusRead::V3Video),
        (Delete, ["videos", _]) => free(F::Video, "DELETE /v3/videos/{id}"),
        _ => return None,
    })
}

fn v3_templates(m: M, s: &[&str], o: &[&str]) -> Option<Route> {
    use M::*;
    Some(match (m, s) {
        (Post, ["templates", _]) => bill(
            F::Template,
            "POST /v3/templates/{id}",
            Billable::V3Template {
                template_id: o[1].to_owned(),
            },
        ),
        (Get, ["templates", ..]) => free(F::Template, "GET /v3/templates/*"),
        _ => return None,
    })
}

fn v3_agents(m: M, s: &[&str], o: &[&str]) -> Option<Route> {
    use M::*;
    Some(match (m, s) {
        (Post, ["video-agents"]) => bill(F::Agent, "POST /v3/video-agents", Billable::V3VideoAgent),
        (Post, ["video-agents", _, "stop"]) => free(F::Agent, "POST /v3/video-agents/{id}/stop"),
        (Post, ["video-agents", "styles" | "resources"]) => return None,
        (Post, ["video-agents", _]) => bill(
            F::Agent,
            "POST /v3/video-agents/{id}",
            Billable::V3VideoAgentMessage {
                session_id: o[1].to_owned(),
            },
        ),
        (Get, ["video-agents"]) => free(F::Agent, "GET /v3/video-agents"),
        (Get, ["video-agents", "styles" | "resources", ..]) => {
            free(F::Agent, "GET /v3/video-agents/*")
        }
        (Get, ["video-agents", _]) => status(
            F::Agent,
            "GET /v3/video-agents/{id}",
            StatusRead::V3VideoAgent,
        ),
        (Get, ["video-agents", ..]) => free(F::Agent, "GET /v3/video-agents/*"),
        _ => return None,
    })
}

fn v3_translations(m: M, s: &[&str], o: &[&str]) -> Option<Route> {
    use M::*;
    let t = F::Translation;
    Some(match (m, s) {
        (Post, ["video-translations"]) => {
            bill(t, "POST /v3/video-translations", Billable::V3Translation)
        }
        (Post, ["video-translations", "batches"]) => bill(
            t,
            "POST /v3/video-translations/batches",
            Billable::V3TranslationBatch,
        ),
        (Post, ["video-translations", "proofreads"]) => bill(
            t,
            "POST /v3/video-translations/proofreads",
            Billable::V3ProofreadCreate,
        ),
        (Post, ["video-translations", "proofreads", _, "generate"]) => bill(
            t,
            "POST /v3/video-translations/proofreads/{id}/generate",
            Billable::V3ProofreadGenerate {
                proofread_id: o[2].to_owned(),
            },
        ),
        (Put | Patch | Post, ["video-translations", "proofreads", _, "srt"]) => {
            free(t, "PUT /v3/video-translations/proofreads/{id}/srt")
        }
        (Get, ["video-translations"]) => free(t, "GET /v3/video-translations"),
        (Get, ["video-translations", "languages" | "statuses" | "batches"]) => {
            free(t, "GET /v3/video-translations/*")
        }
        (Get, ["video-translations", "proofreads", ..]) => {
            free(t, "GET /v3/video-translations/proofreads/*")
        }
        (Get, ["video-translations", "batches", _]) => status(
            t,
            "GET /v3/video-translations/batches/{id}",
            StatusRead::V3TranslationBatch,
        ),
        (Get, ["video-translations", _]) => status(
            t,
            "GET /v3/video-translations/{id}",
            StatusRead::V3VideoTranslation,
        ),
        (Patch | Delete, ["video-translations", _]) => free(t, "PATCH /v3/video-translations/{id}"),
        _ => return None,
    })
}

fn v3_lipsyncs(m: M, s: &[&str]) -> Option<Route> {
    use M::*;
    let l = F::Lipsync;
    Some(match (m, s) {
        (Post, ["lipsyncs"]) => bill(l, "POST /v3/lipsyncs", Billable::V3Lipsync),
        (Post, ["lipsyncs", "batches"]) => {
            bill(l, "POST /v3/lipsyncs/batches", Billable::V3LipsyncBatch)
        }
        (Get, ["lipsyncs"]) => free(l, "GET /v3/lipsyncs"),
        (Get, ["lipsyncs", "statuses" | "batches"]) => free(l, "GET /v3/lipsyncs/*"),
        (Get, ["lipsyncs", "batches", _]) => status(
            l,
            "GET /v3/lipsyncs/batches/{id}",
            StatusRead::V3LipsyncBatch,
        ),
        (Get, ["lipsyncs", _]) => status(l, "GET /v3/lipsyncs/{id}", StatusRead::V3Lipsync),
        (Patch | Delete, ["lipsyncs", _]) => free(l, "PATCH /v3/lipsyncs/{id}"),
        _ => return None,
    })
}

fn v3_misc(m: M, s: &[&str]) -> Option<Route> {
    use PerCallOp as Op;
    use M::*;
    Some(match (m, s) {
        (Post, ["voices", "speech"]) => {
            bill(F::Speech, "POST /v3/voices/speech", Billable::V3Speech)
        }
        (Post, ["voices", "clone"]) => per_call(F::Voice, "POST /v3/voices/clone", Op::VoiceClone),
        (Post, ["voices"]) => per_call(F::Voice, "POST /v3/voices", Op::VoiceDesign),
        (Get, ["voices", ..]) => free(F::Voice, "GET /v3/voices/*"),
        (Patch | Delete, ["voices", _]) => free(F::Voice, "DELETE /v3/voices/{id}"),
        (Post, ["avatars"]) => bill(F::Avatar, "POST /v3/avatars", Billable::V3Avatar),
        (Post, ["avatars", _, "consent"]) => free(F::Avatar, "POST /v3/avatars/{id}/consent"),
        (Get, ["avatars", ..]) => free(F::Avatar, "GET /v3/avatars/*"),
        (Patch | Delete, ["avatars", ..]) => free(F::Avatar, "PATCH /v3/avatars/*"),
        (Post, ["avatar-realtime"]) => bill(
            F::Realtime,
            "POST /v3/avatar-realtime",
            Billable::V3AvatarRealtime,
        ),
        (Get | Post | Delete, ["avatar-realtime", _, ..]) => {
            free(F::Realtime, "* /v3/avatar-realtime/{id}")
        }
        (Get, ["avatar-realtime"]) => free(F::Realtime, "GET /v3/avatar-realtime"),
        (Post, ["ai-clipping"]) => per_call(F::Video, "POST /v3/ai-clipping", Op::AiClipping),
        (Get | Delete, ["ai-clipping", ..]) => free(F::Video, "GET /v3/ai-clipping/*"),
        (Post, ["background-removals"]) => per_call(
            F::Video,
            "POST /v3/background-removals",
            Op::BackgroundRemoval,
        ),
        (Get | Delete, ["background-removals", ..]) => {
            free(F::Video, "GET /v3/background-removals/*")
        }
        (Get | Post | Put | Patch | Delete, ["assets", ..]) => free(F::Asset, "* /v3/assets"),
        (Get | Post | Put | Patch | Delete, ["webhooks", ..]) => free(F::Webhook, "* /v3/webhooks"),
        (Get | Post | Put | Patch | Delete, ["folders", ..]) => free(F::Other, "* /v3/folders"),
        (Get, ["users", "me"]) => free(F::Account, "GET /v3/users/me"),
        _ => return None,
    })
}
