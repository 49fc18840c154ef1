//! The route tables, one per API generation (`v1`, `v2`, `v3`): which
//! resource each route names, lists or creates. Its own file because the
//! tables are most of the rules and change route by route; `rules` keeps the
//! types they answer with, the query helpers and [`access`](super::access).

use super::{named, one, query_ids, status_ids, stock, stock_body, Access, ListShape, Named};

pub(super) fn v1(s: &[&str], raw: &[&str], q: Option<&str>, get: bool, post: bool) -> Access {
    match s {
        ["video_status.get"] | ["video.delete"] => named(query_ids(q, "video_id")),
        ["video.list"] if get => Access::List(ListShape::V1("videos")),
        ["asset"] if post => Access::Create(&["id", "asset_id"]),
        ["talking_photo"] if post => Access::Create(&["talking_photo_id", "id"]),
        ["talking_photo.list"] => Access::List(ListShape::V2("talking_photos")),
        ["talking_photo", _] => named(one(raw[1])),
        ["streaming.list"] => Access::List(ListShape::V1("sessions")),
        ["streaming.new"] => Access::Create(&["session_id"]),
        ["video.webm"] => Access::Create(&["video_id"]),
        ["streaming.create_token" | "streaming.avatar.list"] | ["streaming", ..] => Access::Public,
        [c] if c.starts_with("streaming.") => Access::BodyIds {
            named: Named {
                ids: Vec::new(),
                stock_if_unrecorded: false,
            },
            fields: &["session_id"],
            created: &[],
        },
        // Projects are made in HeyGen's app, like templates: anyone may use
        // one nobody recorded; one ops assigned is its tenant's alone. Only
        // one tenant at a time has open contacts of a project: the hold of
        // another's add_contact is refused meanwhile (`ledger::ops::contacts`).
        ["personalized_video", "add_contact"] if post => stock_body(&["project_id"]),
        ["personalized_video", ..] => stock(query_ids(q, "id")),
        ["user", ..] | ["webhook", ..] => Access::OrgAdmin,
        // Stock voices and avatars mixed with tenants' clones, as on v2/v3
        // (`data.list` and `data.avatars`, assumed: no source gives the
        // shapes; another shape is refused, not passed unfiltered).
        ["voice.list"] if get => Access::StockList(ListShape::V2("list")),
        ["avatar.list"] if get => Access::StockList(ListShape::V2("avatars")),
        ["folders"] if get => Access::List(ListShape::V1("folders")),
        ["folders", "create"] if post => Access::Create(&["folder_id", "id"]),
        ["folders", _, ..] => named(one(raw[1])),
        _ => Access::Public,
    }
}

pub(super) fn v2(s: &[&str], raw: &[&str], q: Option<&str>, get: bool, post: bool) -> Access {
    let _ = q;
    match s {
        ["videos"] if get => Access::List(ListShape::V2("videos")),
        ["videos", _] => named(one(raw[1])),
        ["video_translate", "target_languages"] => Access::Public,
        ["video_translate", "proofread"] if post => Access::Create(&["proofread_id"]),
        ["video_translate", "proofread"] => Access::Public,
        ["video_translate", "proofread", _, ..] => named(one(raw[2])),
        ["video_translate", _] => named(one(raw[1])),
        ["photo_avatar", "avatar_group", "create"] if post => Access::Create(&["group_id", "id"]),
        ["photo_avatar", "avatar_group", "add"] if post => stock_body(&["group_id"]),
        ["photo_avatar", "look", "generate" | "train"]
        | ["photo_avatar", "train" | "add_motion" | "add_sound_effect" | "upscale"]
            if post =>
        {
            Access::BodyIds {
                named: Named {
                    ids: Vec::new(),
                    stock_if_unrecorded: true,
                },
                fields: &["group_id", "id", "photo_avatar_id"],
                // A look generated from the tenant's group is its own.
                created: if matches!(s, ["photo_avatar", "look", "generate"]) {
                    &["generation_id"]
                } else {
                    &[]
                },
            }
        }
        // Its answer's `generation_id` is the tenant's (status reads of
        // generations treat unrecorded ids as stock, so it must be recorded).
        ["photo_avatar", "photo", "generate"] if post => Access::Create(&["generation_id"]),
        ["photo_avatar", "generation" | "train", .., _]
        | ["photo_avatar", "avatar_group", .., _]
            if raw.len() >= 3 =>
        {
            stock(one(raw[raw.len() - 1]))
        }
        // Deleting follows `unowned` for ids nobody recorded; reads are stock.
        ["photo_avatar" | "photo_avatar_group", _] if !get => named(one(raw[1])),
        ["photo_avatar" | "photo_avatar_group", _] => stock(one(raw[1])),
        // A group's looks: a tenant's own group is its alone; public ones stay open.
        ["avatar_group", _, "avatars"] => stock(one(raw[1])),
        // Public groups and every tenant's photo avatar groups, mixed
        // (`data.avatar_group_list`, assumed: no source gives the shape).
        ["avatar_group.list"] if get => Access::StockList(ListShape::V2("avatar_group_list")),
        ["video_avatar"] if post => Access::Create(&["avatar_id", "video_avatar_id", "id"]),
        ["video_avatar", _, ..] => named(one(raw[1])),
        ["voices"] if get => Access::StockList(ListShape::V2("voices")),
        // A cloned voice or a tenant's avatar named here is its owner's
        // alone, as on `/v3/voices/{id}` and `/v3/avatars/{id}`.
        ["voices", _, "preview"] => stock(one(raw[1])),
        ["template", _, ..] => stock(one(raw[1])),
        ["avatar", _, "details"] => stock(one(raw[1])),
        // Its `talking_photos` are tenants' uploads, and its `avatars` hold
        // the account's own avatars (a tenant's digital twin, recorded from
        // `/v2/video_avatar`) beside the stock ones, as `avatar.list` does.
        ["avatars"] if get => Access::StockList(ListShape::V2Pair("avatars", "talking_photos")),
        ["user", ..] => Access::OrgAdmin,
        ["folders"] if get => Access::List(ListShape::V2("folders")),
        ["folders"] if post => Access::Create(&["id", "folder_id"]),
        ["folders", _, ..] => named(one(raw[1])),
        _ => Access::Public,
    }
}

/// Fields of a v3 creation answer (`data.*`) that name what was created.
const V3_CREATED: &[&str] = &[
    "id",
    "video_id",
    "session_id",
    "stream_id",
    "video_translation_id",
    "proofread_id",
    "proofread_ids",
    "lipsync_id",
    "batch_id",
    "render_id",
];

/// v3 collections whose every item a tenant created.
const V3_OWNED_COLLECTIONS: [&str; 7] = [
    "videos",
    "video-translations",
    "lipsyncs",
    "video-agents",
    "avatar-realtime",
    "ai-clipping",
    "background-removals",
];

pub(super) fn v3(s: &[&str], raw: &[&str], q: Option<&str>, get: bool, post: bool) -> Access {
    // GET on a collection lists it; POST creates in it (billable creates'
    // job ids are also recorded with the hold).
    let list = |get: bool| {
        if get {
            Access::List(ListShape::V3)
        } else if post {
            Access::Create(V3_CREATED)
        } else {
            Access::Public
        }
    };
    // Collections that only hold what tenants created.
    let owned = |c: &str| V3_OWNED_COLLECTIONS.contains(&c);
    match s {
        [c] if owned(c) => list(get),
        ["videos" | "video-translations" | "lipsyncs", "batches"] => list(get),
        ["videos" | "video-translations" | "lipsyncs", "statuses"] => named(status_ids(q)),
        ["video-translations", "languages"] | ["video-agents", "styles" | "resources", ..] => {
            Access::Public
        }
        ["video-translations", "proofreads"] => list(get),
        ["video-translations", "proofreads", _, ..] => named(one(raw[2])),
        ["videos" | "video-translations" | "lipsyncs", "batches", _, ..] => named(one(raw[2])),
        [c, _, ..] if owned(c) => named(one(raw[1])),
        ["assets"] if get => list(true),
        ["assets"] if post => Access::Create(&["id", "asset_id"]),
        ["assets", "direct-uploads"] if post => Access::Create(&["asset_id"]),
        ["assets", "direct-uploads", "batches"] if post => {
            Access::Create(&["batch_id", "items[].asset_id"])
        }
        ["assets", "complete", "batches"] => Access::BodyIds {
            named: Named {
                ids: Vec::new(),
                stock_if_unrecorded: false,
            },
            fields: &["batch_id"],
            created: &[],
        },
        ["assets", "search"] => list(get),
        ["assets", "statuses"] => named(status_ids(q)),
        ["assets", "batches", _, ..] => named(one(raw[2])),
        ["assets", _, ..] => named(one(raw[1])),
        ["folders"] if get => list(true),
        ["folders"] if post => Access::Create(&["id", "folder_id"]),
        ["folders", _, ..] => named(one(raw[1])),
        // Voice design answers the voices it made (heygen-cli `voices[]`).
        ["voices"] if post => Access::Create(&["voices[].voice_id", "voice_id"]),
        ["voices", "clone"] if post => Access::Create(&["voice_clone_id", "voice_id"]),
        ["voices", "speech"] => Access::Public,
        ["voices"] if get => Access::StockList(ListShape::V3),
        ["voices", _] if !get => named(one(raw[1])),
        ["voices", _] => stock(one(raw[1])),
        // heygen-cli: `{avatar_group: {id}, avatar_item: {id, group_id}}`.
        ["avatars"] if post => Access::Create(&["avatar_group.id", "avatar_item.id", "avatar_id"]),
        ["avatars"] | ["avatars", "looks"] if get => Access::StockList(ListShape::V3),
        ["avatars", "looks", _, ..] if !get => named(one(raw[2])),
        ["avatars", "looks", _, ..] => stock(one(raw[2])),
        ["avatars", _, ..] if !get => named(one(raw[1])),
        ["avatars", _, ..] => stock(one(raw[1])),
        // A template nobody recorded is stock; one ops assigned is its
        // tenant's alone (reads and renders), as personalized projects are.
        ["templates", _, ..] => stock(one(raw[1])),
        ["templates", ..] => Access::Public,
        ["hyperframes", "renders"] => list(get),
        ["hyperframes", "renders", _, ..] => named(one(raw[2])),
        ["webhooks", ..] | ["users", ..] | ["user", ..] | ["wallet", ..] | ["billing", ..] => {
            Access::OrgAdmin
        }
        _ => Access::Public,
    }
}
