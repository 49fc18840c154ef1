//! The examples of the catalog walk: one request per catalog route and,
//! for each creation, HeyGen's documented answer and the ids it makes.
//! Its own file because the table is data, grown a row per route, apart
//! from the checks in `creations` that walk it.

/// What an example request makes.
pub(super) enum Makes {
    /// A read, delete or update: nothing new.
    Nothing,
    /// A creation: HeyGen's answer and the ids in it that become the tenant's.
    Ids(&'static str, &'static [&'static str]),
    /// A write that makes no resource of its own, and why.
    NoId(&'static str),
}

use Makes::{Ids, NoId, Nothing};

#[rustfmt::skip]
pub(super) const CASES: &[(&str, &str, Makes)] = &[
    // ---- v1 ----
    ("GET", "/v1/video_status.get?video_id=v", Nothing),
    ("GET", "/v1/video.list", Nothing),
    ("DELETE", "/v1/video.delete?video_id=v", Nothing),
    // §3.10: like video/generate.
    ("POST", "/v1/video.webm", Ids(r#"{"error":null,"data":{"video_id":"w1"}}"#, &["w1"])),
    // §3.5.
    ("POST", "/v1/video_agent/generate", Ids(r#"{"error":null,"data":{"video_id":"a1"}}"#, &["a1"])),
    ("POST", "/v1/personalized_video/add_contact", NoId("HeyGen's answer names no video; each contact's video id arrives in its personalized_video webhook, which records it")),
    ("GET", "/v1/personalized_video/project/detail?id=p", Nothing),
    // §3.10 / upload host.
    ("POST", "/v1/asset", Ids(r#"{"code":100,"data":{"id":"as1","name":"as1","file_type":"image","url":"https://x/as1","image_key":"image/as1/original"}}"#, &["as1"])),
    ("POST", "/v1/talking_photo", Ids(r#"{"code":100,"data":{"talking_photo_id":"tp1","talking_photo_url":"https://x/tp1"}}"#, &["tp1"])),
    ("GET", "/v1/talking_photo.list", Nothing),
    ("DELETE", "/v1/talking_photo/tp1", Nothing),
    ("GET", "/v1/user/me", Nothing),
    ("GET", "/v1/voice.list", Nothing),
    ("GET", "/v1/avatar.list", Nothing),
    // §3.7.
    ("POST", "/v1/streaming.new", Ids(r#"{"code":100,"data":{"session_id":"s1","access_token":"t","url":"wss://x"}}"#, &["s1"])),
    ("POST", "/v1/streaming.task", NoId("drives the session named in the body")),
    ("POST", "/v1/streaming.create_token", NoId("a token, not a resource; the session it starts is bound from streaming.list")),
    ("GET", "/v1/streaming.list", Nothing),
    ("GET", "/v1/streaming/avatar.list", Nothing),
    ("POST", "/v1/webhook/endpoint.add", NoId("org_admin only: the org's own endpoint (tenants register theirs with the gateway)")),
    ("PATCH", "/v1/webhook/endpoint.update", Nothing),
    ("DELETE", "/v1/webhook/endpoint.delete?endpoint_id=e", Nothing),
    ("GET", "/v1/webhook/endpoint.list", Nothing),
    ("GET", "/v1/webhook/webhook.list", Nothing),
    ("GET", "/v1/folders", Nothing),
    // assumed.
    ("POST", "/v1/folders/create", Ids(r#"{"code":100,"data":{"id":"f1","name":"Q3"}}"#, &["f1"])),
    // ---- v2 ----
    // §3.1, §3.2, §3.3.
    ("POST", "/v2/video/generate", Ids(r#"{"error":null,"data":{"video_id":"v2"}}"#, &["v2"])),
    ("POST", "/v2/video/av4/generate", Ids(r#"{"error":null,"data":{"video_id":"v4"}}"#, &["v4"])),
    ("POST", "/v2/videos", Ids(r#"{"error":null,"data":{"video_id":"v5","status":"waiting"}}"#, &["v5"])),
    ("GET", "/v2/videos", Nothing),
    ("GET", "/v2/videos/v5", Nothing),
    ("POST", "/v2/template/t1/generate", Ids(r#"{"error":null,"data":{"video_id":"v6"}}"#, &["v6"])),
    ("GET", "/v2/templates", Nothing),
    ("GET", "/v2/template/t1", Nothing),
    // §3.4: one id, or one per language.
    ("POST", "/v2/video_translate", Ids(r#"{"error":null,"data":{"video_translate_id":"tr1"}}"#, &["tr1"])),
    ("POST", "/v2/video_translate", Ids(r#"{"error":null,"data":{"video_translate_ids":["tr2","tr3"]}}"#, &["tr2", "tr3"])),
    ("GET", "/v2/video_translate/target_languages", Nothing),
    // assumed (§3.4 names the proofread id in its paths only).
    ("POST", "/v2/video_translate/proofread", Ids(r#"{"error":null,"data":{"proofread_id":"pr1"}}"#, &["pr1"])),
    ("POST", "/v2/video_translate/proofread/pr1/generate", Ids(r#"{"error":null,"data":{"video_translate_id":"tr4"}}"#, &["tr4"])),
    ("PUT", "/v2/video_translate/proofread/pr1/srt", NoId("replaces the named proofread's subtitles")),
    ("GET", "/v2/video_translate/proofread/pr1", Nothing),
    ("GET", "/v2/video_translate/tr1", Nothing),
    ("DELETE", "/v2/video_translate/tr1", Nothing),
    // §3.6.
    ("POST", "/v2/photo_avatar/photo/generate", Ids(r#"{"error":null,"data":{"generation_id":"g1"}}"#, &["g1"])),
    ("POST", "/v2/photo_avatar/look/generate", Ids(r#"{"error":null,"data":{"generation_id":"g2"}}"#, &["g2"])),
    ("POST", "/v2/photo_avatar/train", NoId("trains the group named in the body")),
    ("POST", "/v2/photo_avatar/add_motion", NoId("changes the photo avatar named in the body")),
    ("POST", "/v2/photo_avatar/add_sound_effect", NoId("changes the photo avatar named in the body")),
    ("POST", "/v2/photo_avatar/upscale", NoId("changes the photo avatar named in the body")),
    ("POST", "/v2/photo_avatar/avatar_group/create", Ids(r#"{"error":null,"data":{"id":"pg1","group_id":"pg1","name":"Team","status":"pending"}}"#, &["pg1"])),
    ("POST", "/v2/photo_avatar/avatar_group/add", NoId("adds looks to the group named in the body")),
    ("GET", "/v2/photo_avatar/generation/g1", Nothing),
    ("DELETE", "/v2/photo_avatar/pa1", Nothing),
    ("DELETE", "/v2/photo_avatar_group/pg1", Nothing),
    // assumed.
    ("POST", "/v2/video_avatar", Ids(r#"{"error":null,"data":{"avatar_id":"va1"}}"#, &["va1"])),
    ("GET", "/v2/video_avatar/va1", Nothing),
    ("GET", "/v2/avatars", Nothing),
    ("GET", "/v2/avatar_group.list", Nothing),
    ("GET", "/v2/avatar_group/ag/avatars", Nothing),
    ("GET", "/v2/avatar/av/details", Nothing),
    ("GET", "/v2/voices", Nothing),
    ("POST", "/v2/voices/vo/preview", NoId("a preview clip of a voice (its owner's alone if cloned)")),
    ("GET", "/v2/user/remaining_quota", Nothing),
    ("GET", "/v2/folders", Nothing),
    // assumed.
    ("POST", "/v2/folders", Ids(r#"{"error":null,"data":{"id":"f2"}}"#, &["f2"])),
    // ---- v3 (cli) ----
    ("POST", "/v3/videos", Ids(r#"{"data":{"video_id":"v7","status":"waiting","output_format":"mp4"}}"#, &["v7"])),
    // Items come from the batch's status (settlement records them).
    ("POST", "/v3/videos/batches", Ids(r#"{"data":{"batch_id":"b1","status":"processing","total_items":2}}"#, &["b1"])),
    ("GET", "/v3/videos", Nothing),
    ("GET", "/v3/videos/statuses?video_ids=v7", Nothing),
    ("GET", "/v3/videos/batches", Nothing),
    ("GET", "/v3/videos/batches/b1", Nothing),
    ("GET", "/v3/videos/v7", Nothing),
    ("DELETE", "/v3/videos/v7", Nothing),
    // cli: the template render answers the video itself.
    ("POST", "/v3/templates/t1", Ids(r#"{"data":{"id":"v8","status":"pending"}}"#, &["v8"])),
    ("GET", "/v3/templates/t1", Nothing),
    ("POST", "/v3/video-agents", Ids(r#"{"data":{"session_id":"as","status":"generating","video_id":null,"created_at":1}}"#, &["as"])),
    ("POST", "/v3/video-agents", Ids(r#"{"data":{"session_id":"as2","status":"generating","video_id":"v9","created_at":1}}"#, &["as2", "v9"])),
    ("POST", "/v3/video-agents/as/stop", NoId("stops the named session")),
    // cli: a message or revision answers the session and a run, no video;
    // the video it renders is bound from the session's video list, which
    // records it.
    ("POST", "/v3/video-agents/as", NoId("HeyGen's answer {session_id, run_id, title} names no video; a rendered one is bound from GET /v3/video-agents/{id}/videos (settlement::agents), which records it")),
    ("GET", "/v3/video-agents", Nothing),
    ("GET", "/v3/video-agents/styles", Nothing),
    ("GET", "/v3/video-agents/as", Nothing),
    ("GET", "/v3/video-agents/as/videos", Nothing),
    ("POST", "/v3/video-translations", Ids(r#"{"data":{"video_translation_ids":["t1","t2"]}}"#, &["t1", "t2"])),
    ("POST", "/v3/video-translations/batches", Ids(r#"{"data":{"batch_id":"tb"}}"#, &["tb"])),
    ("POST", "/v3/video-translations/proofreads", Ids(r#"{"data":{"proofread_ids":["p1","p2"],"status":"processing"}}"#, &["p1", "p2"])),
    ("POST", "/v3/video-translations/proofreads/p1/generate", Ids(r#"{"data":{"video_translation_id":"t3","status":"pending"}}"#, &["t3"])),
    ("PUT", "/v3/video-translations/proofreads/p1/srt", NoId("replaces the named proofread's subtitles")),
    ("GET", "/v3/video-translations", Nothing),
    ("GET", "/v3/video-translations/languages", Nothing),
    ("GET", "/v3/video-translations/proofreads/p1", Nothing),
    ("GET", "/v3/video-translations/batches/tb", Nothing),
    ("GET", "/v3/video-translations/t1", Nothing),
    ("PATCH", "/v3/video-translations/t1", Nothing),
    ("POST", "/v3/lipsyncs", Ids(r#"{"data":{"lipsync_id":"l1"}}"#, &["l1"])),
    ("POST", "/v3/lipsyncs/batches", Ids(r#"{"data":{"batch_id":"lb"}}"#, &["lb"])),
    ("GET", "/v3/lipsyncs", Nothing),
    ("GET", "/v3/lipsyncs/statuses?lipsync_ids=l1", Nothing),
    ("GET", "/v3/lipsyncs/batches/lb", Nothing),
    ("GET", "/v3/lipsyncs/l1", Nothing),
    ("PATCH", "/v3/lipsyncs/l1", Nothing),
    ("POST", "/v3/voices/speech", NoId("answers audio, not a resource")),
    ("POST", "/v3/voices/clone", Ids(r#"{"data":{"voice_clone_id":"vc1"}}"#, &["vc1"])),
    ("POST", "/v3/voices", Ids(r#"{"data":{"seed":7,"voices":[{"voice_id":"d1","name":"A"},{"voice_id":"d2","name":"B"}]}}"#, &["d1", "d2"])),
    ("GET", "/v3/voices/vo", Nothing),
    ("DELETE", "/v3/voices/vc1", Nothing),
    ("POST", "/v3/avatars", Ids(r#"{"data":{"avatar_group":{"id":"ag1","name":"Me"},"avatar_item":{"id":"ai1","group_id":"ag1","name":"Me","avatar_type":"photo_avatar"}}}"#, &["ag1", "ai1"])),
    ("POST", "/v3/avatars/ag1/consent", NoId("consent for the named group")),
    ("GET", "/v3/avatars/looks/ai1", Nothing),
    ("PATCH", "/v3/avatars/looks/ai1", Nothing),
    // assumed: §3.7 names the stream by `stream_id`.
    ("POST", "/v3/avatar-realtime", Ids(r#"{"data":{"stream_id":"rt1"}}"#, &["rt1"])),
    ("POST", "/v3/avatar-realtime/rt1/text", NoId("speaks in the named stream")),
    ("GET", "/v3/avatar-realtime", Nothing),
    // assumed: the create answers the job like its GET (cli gives no create schema).
    ("POST", "/v3/ai-clipping", Ids(r#"{"data":{"id":"c1","status":"pending"}}"#, &["c1"])),
    ("GET", "/v3/ai-clipping/c1", Nothing),
    ("POST", "/v3/background-removals", Ids(r#"{"data":{"id":"br1","status":"pending"}}"#, &["br1"])),
    ("GET", "/v3/background-removals/br1", Nothing),
    ("POST", "/v3/assets", Ids(r#"{"data":{"asset_id":"as3","url":"https://x","mime_type":"image/png","size_bytes":9}}"#, &["as3"])),
    ("POST", "/v3/assets/direct-uploads", Ids(r#"{"data":{"asset_id":"as4","upload_url":"https://x","upload_headers":{},"expires_in_seconds":600,"max_bytes":9,"status":"pending"}}"#, &["as4"])),
    ("POST", "/v3/assets/direct-uploads/batches", Ids(r#"{"data":{"batch_id":"ab","items":[{"asset_id":"as5"},{"asset_id":"as6"}]}}"#, &["ab", "as5", "as6"])),
    ("POST", "/v3/assets/as4/complete", NoId("completes the named upload")),
    ("POST", "/v3/assets/complete/batches", NoId("completes the batch named in the body")),
    ("GET", "/v3/assets/as3", Nothing),
    ("POST", "/v3/webhooks/endpoints", NoId("org_admin only: the org's own endpoint")),
    // assumed.
    ("POST", "/v3/folders", Ids(r#"{"data":{"id":"f3"}}"#, &["f3"])),
    ("GET", "/v3/users/me", Nothing),
    // cli gen/brand.go, gen/audio.go: read-only lists, public.
    ("GET", "/v3/brand-glossaries", Nothing),
    ("GET", "/v3/brand-kits?limit=10", Nothing),
    ("GET", "/v3/audio/sounds?query=lofi&type=music", Nothing),
    // heygen-api.md §13 (HyperFrames: `render_id`).
    ("POST", "/v3/hyperframes/renders", Ids(r#"{"data":{"render_id":"hr1","status":"queued"}}"#, &["hr1"])),
    ("GET", "/v3/hyperframes/renders/hr1", Nothing),
    ("DELETE", "/v3/hyperframes/renders/hr1", Nothing),
    ("GET", "/v3/hyperframes/renders", Nothing),
];
