//! The route table, one match per API generation. Literal segments are
//! matched lower-cased; parameters (ids) are taken from the original path.
//! Order matters inside a match: fixed names (`statuses`, `batches`,
//! `languages`) come before `{id}` arms so they are never taken for an id.

use http::Method;

use super::segments::with_segments;
use super::{Billable, Family, PerCallOp, Route, RouteKind, StatusRead};

use Family as F;

/// Method classes the table distinguishes (HEAD reads like GET).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum M {
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

pub(super) fn free(family: Family, template: &'static str) -> Route {
    Route {
        family,
        template,
        kind: RouteKind::Free,
    }
}

pub(super) fn bill(family: Family, template: &'static str, billable: Billable) -> Route {
    Route {
        family,
        template,
        kind: RouteKind::Billable(billable),
    }
}

pub(super) fn status(family: Family, template: &'static str, read: StatusRead) -> Route {
    Route {
        family,
        template,
        kind: RouteKind::Status(read),
    }
}

pub(super) fn per_call(family: Family, template: &'static str, op: PerCallOp) -> Route {
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
    with_segments(rest, |s, o| {
        let found = match s {
            _ if s.iter().any(|seg| seg.is_empty()) => None,
            ["v1", s @ ..] => v1(m, s, &o[1..]),
            ["v2", s @ ..] => v2(m, s, &o[1..]),
            ["v3", s @ ..] => super::table_v3::v3(m, s, &o[1..]),
            _ => None,
        };
        found.unwrap_or_else(|| unknown(m))
    })
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
        (Post, ["streaming.create_token"]) => bill(
            F::Streaming,
            "POST /v1/streaming.create_token",
            Billable::StreamingToken,
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
