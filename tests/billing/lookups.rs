//! Pricing from what HeyGen says about the ids a request names (issue 11):
//! a template render is projected from the template's own scenes and
//! scripts (`GET /v3/templates/{id}`, with the org key, cached), repeated
//! scenes counted; a v3 video without `engine` is priced at Avatar III only
//! when its look (`GET /v3/avatars/looks/{id}`) supports nothing newer, and
//! a look that is a photo avatar (v2 `avatar` scenes too) at the photo
//! rate. Any look-up that fails prices as before: the highest rate, the
//! template default.

use serde_json::{json, Value};

use crate::common::*;
use crate::Rig;

fn projected(r: &TestResponse) -> f64 {
    assert_eq!(r.status, 200, "{}", r.text());
    r.header("x-gateway-credits-projected")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no projection: {}", r.text()))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

fn render(scene_ids: Option<&[&str]>, name: &str) -> Value {
    let mut body = json!({"variables": {"name": {"name": "name", "type": "text",
                                                  "properties": {"content": name}}}});
    if let Some(ids) = scene_ids {
        body["scene_ids"] = json!(ids);
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_renders_are_held_at_the_template_s_own_length() {
    let rig = Rig::start(|c| c).await;
    // Three scenes: two scripted (one with a placeholder), one without a
    // script (a clip): held at the 120 s default shared by 3 scenes = 40 s.
    rig.mock.control().set_detail(
        "/v3/templates/tpl_1",
        Some(
            json!({"id": "tpl_1", "name": "Quarterly", "scene_ids": ["s1", "s2", "s3"],
            "scenes": [
                {"scene_id": "s1", "script": "Hello {{name}}, welcome to the quarterly review."},
                {"scene_id": "s2", "script": "Revenue grew in every region this quarter."},
                {"scene_id": "s3"}],
            "variables": {"name": {"type": "text", "properties": {"content": "team"}}}}),
        ),
    );
    let path = "/v3/templates/tpl_1";
    // Template is priced at 1 credit/min, per second on v3.
    let clip = projected(&rig.post(path, &render(Some(&["s3"]), "x")).await);
    assert!(close(clip, 40.0 / 60.0), "unscripted scene: {clip}");
    let twice = projected(&rig.post(path, &render(Some(&["s3", "s3"]), "x")).await);
    assert!(
        close(twice, 80.0 / 60.0),
        "a repeated scene counts twice: {twice}"
    );

    // The whole template: both scripts and the clip, far below the 120 s
    // default of an unread template, and a longer variable costs more.
    let whole = projected(&rig.post(path, &render(None, "Ada")).await);
    assert!(whole > clip && whole < 2.0, "{whole}");
    let long_name = "Ada Lovelace and every member of the analytical engine team".to_string();
    let longer = projected(&rig.post(path, &render(None, &long_name)).await);
    assert!(longer > whole, "{longer} vs {whole}");

    // One read of the template, however many renders (cached).
    let reads: Vec<_> = rig
        .mock
        .requests_to("/v3/templates/tpl_1")
        .into_iter()
        .filter(|r| r.method == http::Method::GET)
        .collect();
    assert_eq!(reads.len(), 1);
    // The org key read it (the mock refuses any other).
    assert_eq!(
        reads[0]
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok()),
        Some(ORG_KEY)
    );

    // A scene the template does not have is refused, naming the field.
    let bad = rig.post(path, &render(Some(&["s9"]), "x")).await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert!(bad.text().contains("scene_ids[0]"), "{}", bad.text());

    // An unreadable template (404) is held at the plan's longest job, the
    // most HeyGen could render from it: 1800 s at 1 credit a minute.
    let unknown = projected(&rig.post("/v3/templates/tpl_404", &render(None, "x")).await);
    assert!(close(unknown, 30.0), "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_look_decides_the_engine_only_when_it_is_known() {
    let rig = Rig::start(|c| c).await;
    rig.mock.control().set_detail(
        "/v3/avatars/looks/look_iii",
        Some(
            json!({"id": "look_iii", "name": "Classic", "avatar_type": "studio_avatar",
                    "supported_api_engines": ["avatar_iii"]}),
        ),
    );
    rig.mock.control().set_detail(
        "/v3/avatars/looks/look_new",
        Some(
            json!({"id": "look_new", "name": "New", "avatar_type": "digital_twin",
                    "supported_api_engines": ["avatar_v", "avatar_iv", "avatar_iii"]}),
        ),
    );
    let script = "A short script read by the avatar for this test of engines.";
    let video = |look: &str, engine: Option<&str>| {
        let mut b = json!({"type": "avatar", "avatar_id": look, "voice_id": "v", "script": script});
        if let Some(e) = engine {
            b["engine"] = json!({"type": e});
        }
        b
    };
    let iii = projected(
        &rig.post("/v3/videos", &video("look_new", Some("avatar_iii")))
            .await,
    );
    let iv = projected(
        &rig.post("/v3/videos", &video("look_new", Some("avatar_iv")))
            .await,
    );
    assert!(iii < iv);
    // A look that supports only Avatar III renders (and bills) with it.
    let only_iii = projected(&rig.post("/v3/videos", &video("look_iii", None)).await);
    assert!(close(only_iii, iii), "{only_iii} vs {iii}");
    // A look with newer engines, an unknown look, a failing look-up: the
    // highest rate the request could incur.
    let newer = projected(&rig.post("/v3/videos", &video("look_new", None)).await);
    let unknown = projected(&rig.post("/v3/videos", &video("look_404", None)).await);
    rig.mock
        .on_path("/v3/avatars/looks/look_err")
        .fail_next(5, http::StatusCode::INTERNAL_SERVER_ERROR);
    let failing = projected(&rig.post("/v3/videos", &video("look_err", None)).await);
    for p in [newer, unknown, failing] {
        assert!(close(p, iv), "{p} vs {iv}");
    }
    // A named engine needs no look-up.
    assert!(rig.mock.requests_to("/v3/avatars/looks/look_new").len() == 1);
}

/// A proofread's generate is priced at the mode the proofread was created
/// with (remembered in the ledger), not always at precision; one made
/// outside the gateway is priced at precision, the higher rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofread_generate_is_priced_at_the_mode_it_was_created_with() {
    let rig = Rig::start(|c| c.set("plan", "tier", "\"enterprise\"")).await;
    let source = json!({"type": "url", "url": "https://example.com/source.mp4"});
    let mut ids = Vec::new();
    for mode in ["fast", "precision"] {
        let body = json!({"video": source, "output_languages": ["French"], "mode": mode});
        let r = rig.post("/v3/video-translations/proofreads", &body).await;
        assert_eq!(r.status, 200, "{}", r.text());
        ids.push(
            r.json()["data"]["proofread_ids"][0]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    let generate = |id: &str| format!("/v3/video-translations/proofreads/{id}/generate");
    // The mock does not render proofreads (its answer is a 404, and the
    // hold is released); the projection header is there either way.
    let held = |r: TestResponse| -> f64 {
        r.header("x-gateway-credits-projected")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no projection: {}", r.text()))
    };
    let fast = held(rig.post(&generate(&ids[0]), &json!({})).await);
    let precise = held(rig.post(&generate(&ids[1]), &json!({})).await);
    // The default source length at 3 vs 6 credits per minute.
    assert!(close(fast * 2.0, precise), "{fast} vs {precise}");
    // A mode in the generate body wins over the remembered one.
    let asked = held(
        rig.post(&generate(&ids[0]), &json!({"mode": "precision"}))
            .await,
    );
    assert!(close(asked, precise), "{asked}");
}

/// The 2025-11 limits table: photo avatars 1/min, video avatars 2/min, and
/// a v3 wallet's photo rate at Avatar IV (0.75× the twin's).
fn photo_table(c: TestConfig) -> TestConfig {
    c.set(
        "pricing.features.standard_avatar",
        "credits_per_minute",
        "2.0",
    )
    .set(
        "pricing.features.photo_avatar_iv",
        "credits_per_minute",
        "4.5",
    )
}

fn v2_scene(character: Value) -> Value {
    json!({"video_inputs": [{"character": character,
        "voice": {"type": "text", "voice_id": "v", "input_text": "A short hello."}}]})
}

/// A v2 `avatar` scene whose look is a photo avatar is priced as one (the
/// look read once, with the org key, through the v3 look read); a
/// `talking_photo` scene needs no look; v3 reads the kind as well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_avatar_look_is_priced_as_a_photo_avatar() {
    let rig = Rig::start(photo_table).await;
    rig.mock.control().set_detail(
        "/v3/avatars/looks/look_photo",
        Some(
            json!({"id": "look_photo", "name": "Me", "avatar_type": "photo_avatar",
                    "supported_api_engines": ["avatar_iv", "avatar_iii"]}),
        ),
    );
    rig.mock.control().set_detail(
        "/v3/avatars/looks/look_twin",
        Some(
            json!({"id": "look_twin", "name": "Twin", "avatar_type": "digital_twin",
                    "supported_api_engines": ["avatar_v", "avatar_iv", "avatar_iii"]}),
        ),
    );
    let gen = "/v2/video/generate";
    let avatar = |id: &str| json!({"type": "avatar", "avatar_id": id});
    // A short script: one 30 s step.
    let photo = projected(&rig.post(gen, &v2_scene(avatar("look_photo"))).await);
    let twin = projected(&rig.post(gen, &v2_scene(avatar("look_twin"))).await);
    let talking = projected(
        &rig.post(
            gen,
            &v2_scene(json!({"type": "talking_photo", "talking_photo_id": "tp1"})),
        )
        .await,
    );
    assert!(close(photo, 0.5), "{photo}");
    assert!(close(twin, 1.0), "{twin}");
    assert!(close(talking, 0.5), "{talking}");
    let again = projected(&rig.post(gen, &v2_scene(avatar("look_photo"))).await);
    assert!(close(again, 0.5), "{again}");
    let reads = rig.mock.requests_to("/v3/avatars/looks/look_photo");
    assert_eq!(reads.len(), 1, "cached");
    assert_eq!(
        reads[0]
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok()),
        Some(ORG_KEY)
    );
    // v3 without `engine`: the photo look renders at IV, the photo rate.
    let v3 = |id: &str| json!({"type": "avatar", "avatar_id": id, "voice_id": "v", "script": "A short hello."});
    let v3_photo = projected(&rig.post("/v3/videos", &v3("look_photo")).await);
    let v3_twin = projected(&rig.post("/v3/videos", &v3("look_twin")).await);
    assert!(
        close(v3_photo * 6.0, v3_twin * 4.5),
        "{v3_photo} vs {v3_twin}"
    );
    // Nothing in a talking_photo scene names a look.
    assert!(rig.mock.requests_to("/v3/avatars/looks/tp1").is_empty());
}

/// A look that cannot be read (HeyGen failing, or no such look) holds the
/// video-avatar rate, never the cheaper photo rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_look_read_holds_the_video_avatar_rate() {
    let rig = Rig::start(photo_table).await;
    rig.mock
        .on_path("/v3/avatars/looks/look_err")
        .fail_next(5, http::StatusCode::INTERNAL_SERVER_ERROR);
    let scene = |id: &str, iv: bool| {
        v2_scene(json!({"type": "avatar", "avatar_id": id, "use_avatar_iv_model": iv}))
    };
    let failing = projected(
        &rig.post("/v2/video/generate", &scene("look_err", false))
            .await,
    );
    assert!(close(failing, 1.0), "{failing}");
    let missing = projected(
        &rig.post("/v2/video/generate", &scene("look_404", true))
            .await,
    );
    assert!(close(missing, 3.0), "Avatar IV, 6/min: {missing}");
    assert!(!rig
        .mock
        .requests_to("/v3/avatars/looks/look_err")
        .is_empty());
}
