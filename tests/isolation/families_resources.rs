//! The resource families other than renders: photo avatars, avatar groups
//! and looks, digital twins, talking photos, voices, assets, live
//! sessions, HyperFrames, clipping, background removal and folders (see
//! `families.rs`).

use serde_json::json;

use crate::Family;

pub(crate) fn resources() -> Vec<Family> {
    let url = "https://example.com/source.mp4";
    vec![
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
