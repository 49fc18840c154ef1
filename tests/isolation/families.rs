//! The table of resource families: how each is created, where its answer
//! names it, and every call that names it. One function, one `vec!` of
//! `Family` rows, kept whole so the table reads top to bottom.

use serde_json::json;

use crate::Family;

pub(crate) fn families() -> Vec<Family> {
    let url = "https://example.com/source.mp4";
    let av =
        json!({"type": "avatar", "avatar_id": "Daisy", "script": "Hello there.", "voice_id": "v1"});
    vec![
        Family {
            name: "v2 studio video",
            create: (
                "POST",
                "/v2/video/generate",
                json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]}),
            ),
            pointer: "/data/video_id",
            names: &[
                ("GET", "/v1/video_status.get?video_id={id}", ""),
                ("GET", "/v2/videos/{id}", ""),
                ("DELETE", "/v1/video.delete?video_id={id}", ""),
            ],
        },
        Family {
            name: "v1 webm video",
            create: (
                "POST",
                "/v1/video.webm",
                json!({"avatar_pose_id": "p1", "avatar_style": "normal", "input_text": "Hello there.", "voice_id": "v1"}),
            ),
            pointer: "/data/video_id",
            names: &[("GET", "/v1/video_status.get?video_id={id}", "")],
        },
        Family {
            name: "v2 template video",
            create: (
                "POST",
                "/v2/template/tpl1/generate",
                json!({"variables": {}}),
            ),
            pointer: "/data/video_id",
            names: &[
                ("GET", "/v1/video_status.get?video_id={id}", ""),
                ("DELETE", "/v3/videos/{id}", ""),
            ],
        },
        Family {
            name: "v3 template video",
            create: ("POST", "/v3/templates/tpl1", json!({"variables": {}})),
            pointer: "/data/id",
            names: &[
                ("GET", "/v3/videos/{id}", ""),
                ("GET", "/v3/videos/statuses?video_ids={id}", ""),
            ],
        },
        Family {
            name: "v3 avatar video",
            create: ("POST", "/v3/videos", av.clone()),
            pointer: "/data/video_id",
            names: &[
                ("GET", "/v3/videos/{id}", ""),
                ("GET", "/v3/videos/statuses?video_ids=x,{id}", ""),
                ("DELETE", "/v3/videos/{id}", ""),
            ],
        },
        Family {
            name: "v3 video batch",
            create: (
                "POST",
                "/v3/videos/batches",
                json!({"videos": [av.clone(), av]}),
            ),
            pointer: "/data/batch_id",
            names: &[
                ("GET", "/v3/videos/batches/{id}", ""),
                ("GET", "/v3/videos/statuses?batch_ids={id}", ""),
            ],
        },
        Family {
            name: "v1 video agent",
            create: (
                "POST",
                "/v1/video_agent/generate",
                json!({"prompt": "A short demo."}),
            ),
            pointer: "/data/video_id",
            names: &[("GET", "/v1/video_status.get?video_id={id}", "")],
        },
        Family {
            name: "v3 video agent session",
            create: (
                "POST",
                "/v3/video-agents",
                json!({"prompt": "A short demo."}),
            ),
            pointer: "/data/session_id",
            names: &[
                ("GET", "/v3/video-agents/{id}", ""),
                ("GET", "/v3/video-agents/{id}/videos", ""),
                (
                    "POST",
                    "/v3/video-agents/{id}",
                    r#"{"prompt":"Make it shorter."}"#,
                ),
                ("POST", "/v3/video-agents/{id}/stop", "{}"),
            ],
        },
        Family {
            name: "v2 translation",
            create: (
                "POST",
                "/v2/video_translate",
                json!({"video_url": url, "output_language": "French"}),
            ),
            pointer: "/data/video_translate_id",
            names: &[
                ("GET", "/v2/video_translate/{id}", ""),
                ("DELETE", "/v2/video_translate/{id}", ""),
            ],
        },
        Family {
            name: "v3 translation",
            create: (
                "POST",
                "/v3/video-translations",
                json!({"video": {"type": "url", "url": url}, "output_languages": ["French"]}),
            ),
            pointer: "/data/video_translation_ids/0",
            names: &[
                ("GET", "/v3/video-translations/{id}", ""),
                (
                    "GET",
                    "/v3/video-translations/statuses?video_translation_ids={id}",
                    "",
                ),
                ("PATCH", "/v3/video-translations/{id}", r#"{"title":"x"}"#),
            ],
        },
        Family {
            name: "v2 proofread",
            create: (
                "POST",
                "/v2/video_translate/proofread",
                json!({"video_url": url, "output_language": "French"}),
            ),
            pointer: "/data/proofread_id",
            names: &[
                ("GET", "/v2/video_translate/proofread/{id}", ""),
                ("POST", "/v2/video_translate/proofread/{id}/generate", "{}"),
                ("PUT", "/v2/video_translate/proofread/{id}/srt", "{}"),
            ],
        },
        Family {
            name: "v3 proofread",
            create: (
                "POST",
                "/v3/video-translations/proofreads",
                json!({"video": {"type": "url", "url": url}, "output_languages": ["French"]}),
            ),
            pointer: "/data/proofread_ids/0",
            names: &[
                ("GET", "/v3/video-translations/proofreads/{id}", ""),
                (
                    "POST",
                    "/v3/video-translations/proofreads/{id}/generate",
                    "{}",
                ),
            ],
        },
        Family {
            name: "v3 lipsync",
            create: (
                "POST",
                "/v3/lipsyncs",
                json!({"video": {"type": "url", "url": url}, "audio": {"type": "url", "url": "https://example.com/a.mp3"}}),
            ),
            pointer: "/data/lipsync_id",
            names: &[
                ("GET", "/v3/lipsyncs/{id}", ""),
                ("DELETE", "/v3/lipsyncs/{id}", ""),
            ],
        },
        Family {
            name: "photo avatar group",
            create: (
                "POST",
                "/v2/photo_avatar/avatar_group/create",
                json!({"name": "Team", "image_key": "image/k/original"}),
            ),
            pointer: "/data/group_id",
            names: &[
                ("GET", "/v2/photo_avatar/train/status/{id}", ""),
                ("POST", "/v2/photo_avatar/train", r#"{"group_id":"{id}"}"#),
                (
                    "POST",
                    "/v2/photo_avatar/avatar_group/add",
                    r#"{"group_id":"{id}","image_keys":["k"],"name":"x"}"#,
                ),
                (
                    "POST",
                    "/v2/photo_avatar/look/generate",
                    r#"{"group_id":"{id}","prompt":"p","orientation":"square","pose":"half_body","style":"Realistic"}"#,
                ),
                ("GET", "/v2/avatar_group/{id}/avatars", ""),
                ("DELETE", "/v2/photo_avatar_group/{id}", ""),
            ],
        },
        Family {
            name: "photo avatar generation",
            create: (
                "POST",
                "/v2/photo_avatar/photo/generate",
                json!({"name": "Ann", "age": "Young Adult", "gender": "Woman", "ethnicity": "Unspecified", "orientation": "square", "pose": "half_body", "style": "Realistic", "appearance": "smiling"}),
            ),
            pointer: "/data/generation_id",
            names: &[("GET", "/v2/photo_avatar/generation/{id}", "")],
        },
        Family {
            name: "v3 avatar group",
            create: (
                "POST",
                "/v3/avatars",
                json!({"type": "photo", "name": "Me", "file": {"type": "url", "url": "https://example.com/me.png"}}),
            ),
            pointer: "/data/avatar_group/id",
            names: &[
                ("DELETE", "/v3/avatars/{id}", ""),
                ("POST", "/v3/avatars/{id}/consent", "{}"),
            ],
        },
        Family {
            name: "v3 avatar look",
            create: (
                "POST",
                "/v3/avatars",
                json!({"type": "photo", "name": "Me", "file": {"type": "url", "url": "https://example.com/me.png"}}),
            ),
            pointer: "/data/avatar_item/id",
            names: &[
                ("PATCH", "/v3/avatars/looks/{id}", r#"{"name":"x"}"#),
                ("DELETE", "/v3/avatars/looks/{id}", ""),
            ],
        },
        Family {
            name: "digital twin",
            create: (
                "POST",
                "/v2/video_avatar",
                json!({"training_footage_url": url, "video_consent_url": url, "avatar_name": "Me"}),
            ),
            pointer: "/data/avatar_id",
            names: &[("GET", "/v2/video_avatar/{id}", "")],
        },
        Family {
            name: "talking photo",
            create: ("POST", "/v1/talking_photo", json!({})),
            pointer: "/data/talking_photo_id",
            names: &[("DELETE", "/v1/talking_photo/{id}", "")],
        },
        Family {
            name: "cloned voice",
            create: (
                "POST",
                "/v3/voices/clone",
                json!({"name": "Me", "audio": {"type": "url", "url": "https://example.com/a.mp3"}}),
            ),
            pointer: "/data/voice_clone_id",
            names: &[("DELETE", "/v3/voices/{id}", "")],
        },
        Family {
            name: "designed voice",
            create: ("POST", "/v3/voices", json!({"prompt": "A warm voice."})),
            pointer: "/data/voices/0/voice_id",
            names: &[("DELETE", "/v3/voices/{id}", "")],
        },
        Family {
            name: "uploaded asset",
            create: ("POST", "/v3/assets", json!({})),
            pointer: "/data/asset_id",
            names: &[
                ("GET", "/v3/assets/{id}", ""),
                ("GET", "/v3/assets/statuses?asset_ids={id}", ""),
                ("DELETE", "/v3/assets/{id}", ""),
            ],
        },
        Family {
            name: "streaming session",
            create: (
                "POST",
                "/v1/streaming.new",
                json!({"quality": "medium", "avatar_id": "a"}),
            ),
            pointer: "/data/session_id",
            names: &[
                (
                    "POST",
                    "/v1/streaming.task",
                    r#"{"session_id":"{id}","text":"hi"}"#,
                ),
                ("POST", "/v1/streaming.stop", r#"{"session_id":"{id}"}"#),
            ],
        },
        Family {
            name: "realtime stream",
            create: (
                "POST",
                "/v3/avatar-realtime",
                json!({"type": "text_stream", "avatar_id": "a", "voice_id": "v"}),
            ),
            pointer: "/data/stream_id",
            names: &[
                ("GET", "/v3/avatar-realtime/{id}", ""),
                (
                    "POST",
                    "/v3/avatar-realtime/{id}/text",
                    r#"{"delta":"hi","final":true}"#,
                ),
                ("DELETE", "/v3/avatar-realtime/{id}", ""),
            ],
        },
        Family {
            name: "HyperFrames render",
            create: (
                "POST",
                "/v3/hyperframes/renders",
                json!({"project": {"type": "url", "url": "https://example.com/p.zip"}, "fps": 30}),
            ),
            pointer: "/data/render_id",
            names: &[
                ("GET", "/v3/hyperframes/renders/{id}", ""),
                ("DELETE", "/v3/hyperframes/renders/{id}", ""),
            ],
        },
        Family {
            name: "AI clipping job",
            create: (
                "POST",
                "/v3/ai-clipping",
                json!({"video": {"type": "url", "url": url}}),
            ),
            pointer: "/data/id",
            names: &[
                ("GET", "/v3/ai-clipping/{id}", ""),
                ("DELETE", "/v3/ai-clipping/{id}", ""),
            ],
        },
        Family {
            name: "background removal",
            create: (
                "POST",
                "/v3/background-removals",
                json!({"video": {"type": "url", "url": url}}),
            ),
            pointer: "/data/id",
            names: &[("GET", "/v3/background-removals/{id}", "")],
        },
        Family {
            name: "v3 folder",
            create: ("POST", "/v3/folders", json!({"name": "Q3"})),
            pointer: "/data/id",
            names: &[
                ("PATCH", "/v3/folders/{id}", r#"{"name":"x"}"#),
                ("DELETE", "/v3/folders/{id}", ""),
            ],
        },
    ]
}
