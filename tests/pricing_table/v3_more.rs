//! Personalized videos (one per contact), proofread modes and HyperFrames
//! renders (per output minute by fps and resolution, settled from the
//! render's `duration`).

use super::*;

#[test]
fn personalized_videos_bill_one_video_per_contact() {
    // (contacts, jobs, credits): each a template video of the 120 s default
    // at 1 credit/min (legacy 30 s steps).
    let table: &[(usize, usize, Micros)] =
        &[(1, 1, 2_000_000), (3, 3, 6_000_000), (50, 50, 100_000_000)];
    for &(n, jobs, credits) in table {
        let list: Vec<Value> = (0..n).map(|i| json!({"name": format!("c{i}")})).collect();
        let quote = q(
            "/v1/personalized_video/add_contact",
            json!({"project_id": "p", "variables_list": list}),
        );
        assert_eq!(
            (quote.jobs.len(), quote.credits),
            (jobs, credits),
            "{n} contacts"
        );
        assert_eq!(quote.settle, SettleMode::PerJob);
    }
    // No list: one contact.
    let one = q(
        "/v1/personalized_video/add_contact",
        json!({"project_id": "p"}),
    );
    assert_eq!(one.jobs.len(), 1);
    let err = try_quote(
        &PAYG,
        "/v1/personalized_video/add_contact",
        &json!({"project_id": "p", "variables_list": []}),
    )
    .expect_err("empty");
    assert!(
        err.message().starts_with("variables_list:"),
        "{}",
        err.message()
    );
    // The project names where contacts' webhooks come from: required.
    let err = try_quote(
        &PAYG,
        "/v1/personalized_video/add_contact",
        &json!({"variables_list": [{"name": "a"}]}),
    )
    .expect_err("no project");
    assert!(
        err.message().starts_with("project_id:"),
        "{}",
        err.message()
    );
}

#[test]
fn proofread_modes() {
    let pr = json!({"video": {"type": "url", "url": "u"}, "output_language": "es", "end_time": 60});
    let gen = "/v3/video-translations/proofreads/p1/generate";
    // (generate body, feature, credits for the 300 s default source)
    let table: Vec<(Value, &str, Micros)> = vec![
        (json!({}), "translation_quality", 30_000_000),
        (
            json!({"mode": "precision"}),
            "translation_quality",
            30_000_000,
        ),
        (json!({"mode": "speed"}), "translation_fast", 15_000_000),
    ];
    for (body, feature, credits) in table {
        let quote = try_quote(&ENT, gen, &body).expect("enterprise");
        assert_eq!(
            (quote.feature.as_str(), quote.credits),
            (feature, credits),
            "{body}"
        );
    }
    let mut bad = pr.clone();
    bad["mode"] = json!("turbo");
    let err = try_quote(&ENT, "/v3/video-translations/proofreads", &bad).expect_err("mode");
    assert!(err.message().starts_with("mode:"), "{}", err.message());
    let mut precise = pr;
    precise["mode"] = json!("precision");
    assert!(try_quote(&ENT, "/v3/video-translations/proofreads", &precise).is_ok());
}

#[test]
fn hyperframes_renders_are_priced_by_fps_and_resolution() {
    let project = json!({"type": "asset_id", "asset_id": "z"});
    // (extra fields, feature, credits for the 120 s default, per second)
    let table: Vec<(Value, &str, Micros)> = vec![
        (json!({}), "hyperframes", 2_000_000),
        (
            json!({"fps": 24, "resolution": "1080p"}),
            "hyperframes",
            2_000_000,
        ),
        (json!({"fps": 30}), "hyperframes", 2_000_000),
        (json!({"fps": 60}), "hyperframes_60fps", 4_000_000),
        (json!({"resolution": "4k"}), "hyperframes_4k", 3_000_000),
        (
            json!({"resolution": "4k", "fps": 60}),
            "hyperframes_4k_60fps",
            6_000_000,
        ),
    ];
    for (extra, feature, credits) in table {
        let mut body = json!({"project": project, "aspect_ratio": "16:9"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let quote = try_quote(&ENT, "/v3/hyperframes/renders", &body).expect("priced");
        assert_eq!(
            (quote.feature.as_str(), quote.credits, quote.projected_ms),
            (feature, credits, 120_000),
            "{extra}"
        );
        assert_eq!(quote.settle, SettleMode::PerJob);
    }
    // Refusals name the field; 4K follows the plan's resolution rule.
    let table: Vec<(Value, &str)> = vec![
        (json!({"project": project, "fps": 0}), "fps:"),
        (json!({"project": project, "fps": 120}), "fps:"),
        (
            json!({"project": project, "resolution": "8k"}),
            "resolution:",
        ),
        (json!({"fps": 30}), "project:"),
    ];
    for (body, key) in table {
        let err = try_quote(&ENT, "/v3/hyperframes/renders", &body).expect_err("refused");
        assert!(err.message().starts_with(key), "{body}: {}", err.message());
    }
    assert_eq!(
        refused(
            &PAYG,
            "/v3/hyperframes/renders",
            json!({"project": project, "resolution": "4k"})
        ),
        (400, "resolution_not_allowed")
    );
}

#[test]
fn hyperframes_renders_settle_from_the_render_duration() {
    let path = "/v3/hyperframes/renders";
    let quote = q(
        path,
        json!({"project": {"type": "asset_id", "asset_id": "z"}}),
    );
    let billable = match classify(&Method::POST, path).kind {
        RouteKind::Billable(b) => b,
        other => panic!("{other:?}"),
    };
    let jobs = jobs_from_response(&billable, &quote, br#"{"data":{"render_id":"r1"}}"#);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status_path, "/v3/hyperframes/renders/r1");
    let status = match classify(&Method::GET, &jobs[0].status_path).kind {
        RouteKind::Status(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(status, StatusRead::V3HyperframesRender);
    let body = br#"{"data":{"render_id":"r1","status":"completed","duration":42.4}}"#;
    let outcome = status_outcome(&status, &jobs[0].status_path, None, body);
    assert_eq!(
        outcome,
        Some((
            "r1".into(),
            JobOutcome::Completed {
                duration_ms: Some(42_400),
                output_url: None,
                batch: None,
            }
        ))
    );
    // 42.4 s → 43 s (v3, per second) at 1 credit/min.
    let book = PriceBook::builtin();
    let gen = Generation::of_path(&jobs[0].status_path);
    assert_eq!(
        settle_cost_in(&book, &jobs[0].feature, gen, 42_400),
        Some(716_667)
    );
    let hook = br#"{"event_type":"hyperframes_video.success","event_data":{"render_id":"r1"}}"#;
    assert_eq!(parse_webhook(hook).map(|e| e.job_id), Some("r1".into()));
}
