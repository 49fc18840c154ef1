//! The v3 part of the route table (see `table.rs` for conventions).

use super::table::{bill, free, per_call, status, M};
use super::{Billable, Family as F, PerCallOp, Route, StatusRead};

pub(super) fn v3(m: M, s: &[&str], o: &[&str]) -> Option<Route> {
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
        // Read-only discovery lists of workspace content made in HeyGen's
        // web app (heygen-cli gen/brand.go), read by ordinary apps for the
        // ids they pass to a job: each is in the family of the job that
        // uses it, as translation languages and agent styles are, so a
        // tenant allowed only that family can find them. Not `Account`
        // (user and quota reads), and never owned by a tenant: isolation
        // passes them unfiltered (`ownership::rules`, `Access::Public`).
        // `brand_glossary_id` of a video translation (v2 and v3).
        (Get, ["brand-glossaries"]) => free(F::Translation, "GET /v3/brand-glossaries"),
        // `brand_kit_id` of `POST /v3/video-agents` and its messages.
        (Get, ["brand-kits"]) => free(F::Agent, "GET /v3/brand-kits"),
        // HeyGen's stock music and sound-effect search (gen/audio.go), not
        // tied to one product: `Other`, the family it had as unknown_read.
        (Get, ["audio", "sounds"]) => free(F::Other, "GET /v3/audio/sounds"),
        (Post, ["hyperframes", "renders"]) => bill(
            F::Video,
            "POST /v3/hyperframes/renders",
            Billable::V3HyperframesRender,
        ),
        (Get, ["hyperframes", "renders", _]) => status(
            F::Video,
            "GET /v3/hyperframes/renders/{id}",
            StatusRead::V3HyperframesRender,
        ),
        (Delete, ["hyperframes", "renders", _]) => {
            free(F::Video, "DELETE /v3/hyperframes/renders/{id}")
        }
        (Get, ["hyperframes", ..]) => free(F::Video, "GET /v3/hyperframes/*"),
        _ => return None,
    })
}
