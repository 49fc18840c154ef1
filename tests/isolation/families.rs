//! The table of resource families: how each is created, where its answer
//! names it, and every call that names it, as `Family` rows. The renders
//! (videos, translations, lipsyncs) are here; avatars, voices, assets,
//! sessions and the other resources in `families_resources.rs`.

use serde_json::json;

use crate::Family;

/// Every family: the renders, then the other resources.
pub(crate) fn families() -> Vec<Family> {
    let mut all = renders();
    all.extend(crate::families_resources::resources());
    all
}

fn renders() -> Vec<Family> {
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
    ]
}
