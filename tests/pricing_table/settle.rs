//! Settlement readers: job ids from responses, status outcomes, webhooks.

use super::v3::v3_avatar;
use super::*;

// --- settlement readers --------------------------------------------------------

pub(super) fn billable(path: &str) -> Billable {
    match classify(&Method::POST, path).kind {
        RouteKind::Billable(b) => b,
        other => panic!("{path}: {other:?}"),
    }
}

pub(super) fn status_read(path: &str) -> StatusRead {
    match classify(&Method::GET, path).kind {
        RouteKind::Status(s) => s,
        other => panic!("{path}: {other:?}"),
    }
}

#[test]
fn jobs_from_v2_video_and_poll_v1_status() {
    let b = billable("/v2/video/generate");
    let quote = q(
        "/v2/video/generate",
        json!({"video_inputs": [text_scene(&words150())]}),
    );
    let jobs = jobs_from_response(
        &b,
        &quote,
        br#"{"error":null,"data":{"video_id":"abc123"}}"#,
    );
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status_path, "/v1/video_status.get?video_id=abc123");
    assert_eq!(
        (jobs[0].quoted, jobs[0].feature.as_str()),
        (1_500_000, "standard_avatar")
    );
    let (path, query) = jobs[0].status_path.split_once('?').expect("query");
    let body = br#"{"code":100,"data":{"id":"abc123","status":"completed","duration":27.43},"message":"Success"}"#;
    assert_eq!(
        status_outcome(&status_read(path), path, Some(query), body),
        Some((
            "abc123".into(),
            JobOutcome::Completed {
                duration_ms: Some(27_430),
                output_url: None,
                batch: None,
            }
        ))
    );
    let pending = br#"{"code":100,"data":{"id":"abc123","status":"processing","duration":null}}"#;
    assert_eq!(
        status_outcome(&StatusRead::V1VideoStatus, path, Some(query), pending).map(|x| x.1),
        Some(JobOutcome::Pending)
    );
    let failed = br#"{"code":100,"data":{"id":"abc123","status":"failed","error":{"code":40119}}}"#;
    assert_eq!(
        status_outcome(&StatusRead::V1VideoStatus, path, Some(query), failed).map(|x| x.1),
        Some(JobOutcome::Failed)
    );
    assert_eq!(
        status_outcome(
            &StatusRead::V1VideoStatus,
            path,
            Some(query),
            br#"{"code":400112,"message":"Unauthorized"}"#
        ),
        None
    );
}

#[test]
fn jobs_from_translations_and_batches() {
    let tr = json!({"video": {"type": "url", "url": "u"}, "output_languages": ["es", "fr"], "end_time": 60});
    let quote = q("/v3/video-translations", tr);
    let jobs = jobs_from_response(
        &billable("/v3/video-translations"),
        &quote,
        br#"{"data":{"video_translation_ids":["t1","t2"]}}"#,
    );
    let paths: Vec<&str> = jobs.iter().map(|j| j.status_path.as_str()).collect();
    assert_eq!(
        paths,
        ["/v3/video-translations/t1", "/v3/video-translations/t2"]
    );
    assert_eq!(jobs.iter().map(|j| j.quoted).sum::<Micros>(), quote.credits);
    let body = br#"{"data":{"id":"t2","status":"completed","duration":61.2}}"#;
    assert_eq!(
        status_outcome(&status_read(paths[1]), paths[1], None, body),
        Some((
            "t2".into(),
            JobOutcome::Completed {
                duration_ms: Some(61_200),
                output_url: None,
                batch: None,
            }
        ))
    );
    // v2: one id string for one language.
    let v2 = q(
        "/v2/video_translate",
        json!({"video_url": "u", "output_language": "fr"}),
    );
    let jobs = jobs_from_response(
        &billable("/v2/video_translate"),
        &v2,
        br#"{"error":null,"data":{"video_translate_id":"vt9"}}"#,
    );
    assert_eq!(jobs[0].status_path, "/v2/video_translate/vt9");
    // No duration in HeyGen's v2 translation status: the translated video's
    // URL is kept so settlement can read its length.
    let st = br#"{"error":null,"data":{"video_translate_id":"vt9","status":"success","url":"https://files.heygen.ai/vt9.mp4"}}"#;
    assert_eq!(
        status_outcome(
            &status_read("/v2/video_translate/vt9"),
            "/v2/video_translate/vt9",
            None,
            st
        ),
        Some((
            "vt9".into(),
            JobOutcome::Completed {
                duration_ms: None,
                output_url: Some("https://files.heygen.ai/vt9.mp4".into()),
                batch: None,
            }
        ))
    );
    // A batch is one job carrying the whole quote.
    let batch = q(
        "/v3/videos/batches",
        json!({"videos": [v3_avatar(json!({})), v3_avatar(json!({}))]}),
    );
    let jobs = jobs_from_response(
        &billable("/v3/videos/batches"),
        &batch,
        br#"{"data":{"batch_id":"b1"}}"#,
    );
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].status_path.as_str(), jobs[0].quoted),
        ("/v3/videos/batches/b1", 13_200_000)
    );
    let done = br#"{"data":{"batch_id":"b1","status":"failed","counts_by_status":{"failed":2,"completed":0}}}"#;
    assert_eq!(
        status_outcome(
            &status_read("/v3/videos/batches/b1"),
            "/v3/videos/batches/b1",
            None,
            done
        ),
        Some(("b1".into(), JobOutcome::Failed))
    );
    // Lipsync and agent ids.
    let lip = q(
        "/v3/lipsyncs",
        json!({"video": {}, "audio": {}, "end_time": 10}),
    );
    let jobs = jobs_from_response(
        &billable("/v3/lipsyncs"),
        &lip,
        br#"{"data":{"lipsync_id":"l1"}}"#,
    );
    assert_eq!(jobs[0].status_path, "/v3/lipsyncs/l1");
    // A Video Agent create naming its video settles from it; one naming
    // none, and a revision (`{session_id, run_id}`), name no job: the
    // session is none (its videos are bound to placeholders instead).
    let agent = q("/v3/video-agents", json!({"prompt": "p"}));
    let jobs = jobs_from_response(
        &billable("/v3/video-agents"),
        &agent,
        br#"{"data":{"session_id":"s1","status":"generating","video_id":"v1"}}"#,
    );
    assert_eq!(jobs[0].status_path, "/v3/videos/v1");
    assert!(jobs_from_response(
        &billable("/v3/video-agents"),
        &agent,
        br#"{"data":{"session_id":"s1","status":"generating","video_id":null}}"#,
    )
    .is_empty());
    let revision = q("/v3/video-agents/s1", json!({"message": "m"}));
    assert!(jobs_from_response(
        &billable("/v3/video-agents/s1"),
        &revision,
        br#"{"data":{"session_id":"s1","run_id":"r1","title":null}}"#,
    )
    .is_empty());
    // Per-call quotes settle on success: no jobs.
    let call = q("/v3/avatars", json!({"type": "photo"}));
    assert!(jobs_from_response(
        &billable("/v3/avatars"),
        &call,
        br#"{"data":{"avatar_id":"a"}}"#
    )
    .is_empty());
    // Ids that are not URL-safe never reach a status path.
    assert!(jobs_from_response(
        &billable("/v3/videos"),
        &q("/v3/videos", v3_avatar(json!({}))),
        br#"{"data":{"video_id":"../x"}}"#
    )
    .is_empty());
}

#[test]
fn webhooks_legacy_and_v3() {
    let legacy = br#"{"event_type":"avatar_video.success","event_data":{"video_id":"abc","url":"u","callback_id":"c"}}"#;
    let ev = parse_webhook(legacy).expect("parses");
    assert_eq!(
        (ev.job_id.as_str(), ev.outcome, ev.event_id),
        ("abc", WebhookOutcome::Success, None)
    );
    let fail = br#"{"event_type":"video_translate.fail","event_data":{"video_translate_id":"t1","message":"m"}}"#;
    let ev = parse_webhook(fail).expect("parses");
    assert_eq!(
        (ev.job_id.as_str(), ev.outcome),
        ("t1", WebhookOutcome::Failed)
    );
    let v3 = br#"{"event_id":"evt_1","event_type":"avatar_video.success","event_data":{"video_id":"v9","duration":12.5},"created_at":1}"#;
    let ev = parse_webhook(v3).expect("parses");
    assert_eq!(
        (ev.event_id.as_deref(), ev.duration_ms),
        (Some("evt_1"), Some(12_500))
    );
    let gif = br#"{"event_type":"avatar_video_gif.success","event_data":{"video_id":"v9"}}"#;
    assert_eq!(
        parse_webhook(gif).map(|e| e.event_type),
        Some("avatar_video_gif.success".to_owned())
    );
    assert_eq!(
        parse_webhook(br#"{"event_type":"x","event_data":{}}"#),
        None
    );
    assert_eq!(parse_webhook(b"nope"), None);
}

#[test]
fn quote_matches_direct_call() {
    let b = billable("/v2/video/generate");
    let body = serde_json::to_vec(&json!({"video_inputs": [text_scene("hello")]})).expect("json");
    let direct = quote(&PriceBook::builtin(), &PAYG, &b, &body).expect("quote");
    assert_eq!(
        direct,
        q(
            "/v2/video/generate",
            json!({"video_inputs": [text_scene("hello")]})
        )
    );
}

#[test]
fn bare_v2_video_status_body() {
    let body = br#"{"video_id":"v1","status":"completed","duration":5}"#;
    assert_eq!(
        status_outcome(&StatusRead::V2Video, "/v2/videos/v1", None, body),
        Some((
            "v1".into(),
            JobOutcome::Completed {
                duration_ms: Some(5_000),
                output_url: None,
                batch: None,
            }
        ))
    );
}
