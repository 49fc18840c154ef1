//! Projecting and pricing a 50-scene `POST /v2/video/generate` request (the
//! HeyGen maximum), ~40 words per scene with a break, mixed voice types; and
//! projecting the adversarial scripts (symbols, long numbers, padded SSML).

use criterion::{criterion_group, criterion_main, Criterion};

/// The allocator the gateway binary runs with (`src/main.rs`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use heygen_gateway::catalog::{classify, RouteKind};
use heygen_gateway::config::Tier;
use heygen_gateway::pricing::text::script_ms;
use heygen_gateway::pricing::{quote, PlanPolicy, PriceBook};
use http::Method;
use serde_json::json;

fn body() -> Vec<u8> {
    let scenes: Vec<_> = (0..50)
        .map(|i| match i % 5 {
            3 => json!({"character": {"type": "avatar", "avatar_id": "a"},
                        "voice": {"type": "silence", "duration": 2.5}}),
            4 => json!({"character": {"type": "talking_photo", "talking_photo_id": "p"},
                        "voice": {"type": "audio", "audio_url": "https://example.com/a.mp3"}}),
            _ => json!({"character": {"type": "avatar", "avatar_id": "a", "use_avatar_iv_model": i == 0},
                        "voice": {"type": "text", "voice_id": "v", "speed": 1.1,
                                  "input_text": format!("{} <break time=\"1s\"/> 你好世界", "Scene words go here and keep going. ".repeat(6))},
                        "background": {"type": "color", "value": "#FFFFFF"}}),
        })
        .collect();
    serde_json::to_vec(&json!({"title": "bench", "dimension": {"width": 1920, "height": 1080}, "video_inputs": scenes}))
        .unwrap_or_default()
}

/// `json` with a space after every `,` and `:` outside strings, as
/// Python's `json.dumps` writes by default.
fn spaced(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() * 11 / 10);
    let (mut in_string, mut escaped) = (false, false);
    for &b in json {
        out.push(b);
        if in_string {
            (in_string, escaped) = (escaped || b != b'"', !escaped && b == b'\\');
        } else if b == b'"' {
            in_string = true;
        } else if b == b',' || b == b':' {
            out.push(b' ');
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let book = PriceBook::builtin();
    let plan = PlanPolicy {
        tier: Tier::PayAsYouGo,
        // The body projects ~40 minutes (its ten audio scenes are held at
        // the default audio length): allowed here so the bench times an
        // accepted quote, pricing included, not the length refusal.
        max_video_seconds: 3600,
        test_mode: heygen_gateway::pricing::TestMode::Billed,
    };
    let body = body();
    let RouteKind::Billable(billable) = classify(&Method::POST, "/v2/video/generate").kind else {
        return;
    };
    // The same body compact (what serde_json and JavaScript send) and with
    // Python's default separators `, ` and `: ` (what `requests` sends);
    // both must price alike, or the second would time something else.
    let compact = quote(&book, &plan, &billable, &body);
    assert!(compact.is_ok(), "the bench body is refused: {compact:?}");
    for (name, body) in [
        ("quote_v2_generate_50_scenes", body.clone()),
        ("quote_v2_generate_50_scenes_spaced", spaced(&body)),
    ] {
        assert_eq!(quote(&book, &plan, &billable, &body), compact, "{name}");
        c.bench_function(name, |b| {
            b.iter(|| {
                quote(
                    &book,
                    &plan,
                    std::hint::black_box(&billable),
                    std::hint::black_box(&body),
                )
            })
        });
    }
    let proj = book.projection().clone();
    let scripts = [
        // One scene of the quote above: what ordinary scripts look like.
        (
            "plain_scene",
            format!(
                "{} <break time=\"1s\"/> 你好世界",
                "Scene words go here and keep going. ".repeat(6)
            ),
        ),
        // English prose with capitals, punctuation, a number and a hyphen.
        (
            "plain_paragraph",
            "The quarterly report, which the team shared on Monday, shows that \
             revenue grew by 12% over the previous period. Customers said the new \
             onboarding flow was easier to follow; support tickets fell, and \
             well-known partners renewed their contracts early. Next, we will \
             focus on Europe and Asia."
                .to_owned(),
        ),
        ("percent", "% ".repeat(2500)),
        ("numbers", "999999999999 ".repeat(380)),
        (
            "padded_ssml",
            format!(
                "<prosody rate=\"x-slow\">{}</prosody>",
                format!("word <break{}time=\"1s\"/> ", " ".repeat(300)).repeat(100)
            ),
        ),
    ];
    for (name, script) in &scripts {
        c.bench_function(&format!("script_ms_{name}"), |b| {
            b.iter(|| script_ms(std::hint::black_box(script), &proj, 1000))
        });
    }
    c.bench_function("classify_v3_video_status", |b| {
        b.iter(|| classify(&Method::GET, std::hint::black_box("/v3/videos/abc123")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
