//! A body that adds up absurd lengths (each silence is capped at 10^7 s, but
//! scenes add up) is refused before anything is held or sent: 400
//! `cost_too_high` above 10^9 credits, even on an enterprise plan (no length
//! cap) with no budget to refuse it. Held instead, a few hundred such
//! requests would take the org's counters past their range.

use serde_json::{json, Value};

use crate::{assert_refused, assert_v2_envelope, half_credit, hold_id, Rig};

/// `n` Avatar IV scenes of 10^7 s of silence: 10^6 credits each.
fn silences(n: usize) -> Value {
    let scene = json!({
        "character": {"type": "avatar", "avatar_id": "a", "use_avatar_iv_model": true},
        "voice": {"type": "silence", "duration": 1e7},
    });
    json!({ "video_inputs": vec![scene; n] })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_projected_above_the_maximum_cost_is_refused_with_400() {
    let rig = Rig::start(|c| c.set("plan", "tier", "\"enterprise\"")).await;
    let absurd = rig.post("/v2/video/generate", &silences(2000)).await;
    assert_refused(&absurd, 400, "cost_too_high", "cost_too_high");
    assert_v2_envelope(&absurd.json());
    assert_eq!(rig.mock.count(), 0, "nothing forwarded");
    assert!(rig.holds(None).await.is_empty(), "nothing held");
    // An ordinary request still passes.
    let ok = rig.post("/v2/video/generate", &half_credit()).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    hold_id(&ok);
}
