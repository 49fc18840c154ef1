//! Personalized videos, one job per contact (issue 10): `add_contact` is
//! held per contact; each contact's `personalized_video` webhook binds its
//! video to the hold, makes it the tenant's, and settles it from HeyGen's
//! status at its real length.

use heygen_mock::send_webhook;
use heygen_mock::webhook::personalized_video;
use serde_json::json;

use crate::common::*;
use crate::{hold_id, Rig};

const ADD: &str = "/v1/personalized_video/add_contact";

/// The videos HeyGen (the mock) rendered for contacts, in order.
fn contact_videos(rig: &Rig) -> Vec<String> {
    rig.mock
        .jobs()
        .into_iter()
        .filter(|j| j.created_by == ADD)
        .map(|j| j.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_contact_settles_at_its_own_length_and_is_the_tenants() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 100")).await;
    let url = rig.gw.url("/gateway/v1/webhooks/heygen");
    let contacts = json!({"project_id": "proj1", "variables_list": [
        {"name": "Ann"}, {"name": "Bo"}, {"name": "Cy"}]});
    let resp = rig.post(ADD, &contacts).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let hold = hold_id(&resp);
    // Three contacts at the 120 s template default, 1 credit/min: 6 held,
    // one open job per contact.
    let h = rig.hold(&hold).await;
    assert_eq!(
        (h["state"].as_str(), h["amount"].as_str()),
        (Some("submitted"), Some("6")),
        "{h}"
    );
    let videos = contact_videos(&rig);
    assert_eq!(videos.len(), 3);

    // HeyGen renders 30 s, 60 s and 90 s and calls back per contact.
    for (video, secs) in videos.iter().zip([30.0, 60.0, 90.0]) {
        assert!(rig.mock.complete(video, secs));
        let event = personalized_video("proj1", video, "https://x/v.mp4").to_string();
        let ok = send_webhook(&url, WEBHOOK_SECRET, false, event.as_bytes())
            .await
            .expect("delivered");
        assert_eq!(ok.as_u16(), 200);
    }
    // 0.5 + 1 + 1.5, not the 6 held.
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "3", "{h}");

    // Each video is alpha's: beta is refused without HeyGen seeing it.
    let read = format!("/v1/video_status.get?video_id={}", videos[0]);
    let before = rig.mock.requests_to("/v1/video_status.get").len();
    let beta = rig.call("beta", "GET", &read, &[], "").await;
    assert_eq!(beta.status, 404, "{}", beta.text());
    assert_eq!(beta.header("x-gateway-rejected"), Some("not_owner"));
    assert_eq!(rig.mock.requests_to("/v1/video_status.get").len(), before);
    assert_eq!(rig.get(&read).await.status, 200);

    // A redelivery, and a contact video of a project nobody added contacts
    // to through the gateway, change nothing.
    let again = personalized_video("proj1", &videos[0], "https://x/v.mp4").to_string();
    let stray = personalized_video("other", "0123abcd", "https://x/v.mp4").to_string();
    for event in [again, stray] {
        let ok = send_webhook(&url, WEBHOOK_SECRET, false, event.as_bytes())
            .await
            .expect("delivered");
        assert_eq!(ok.as_u16(), 200);
    }
    let h = rig.hold(&hold).await;
    assert_eq!(h["captured"], "3", "{h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_bind_to_the_oldest_open_request_of_their_project() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 100")).await;
    let url = rig.gw.url("/gateway/v1/webhooks/heygen");
    let one = json!({"project_id": "proj2", "variables_list": [{"name": "Ann"}]});
    let first = hold_id(&rig.post(ADD, &one).await);
    let second = rig.call("beta", "POST", ADD, &[], one.to_string()).await;
    assert_eq!(second.status, 200, "{}", second.text());
    let second = hold_id(&second);
    let videos = contact_videos(&rig);
    for (video, secs) in videos.iter().zip([60.0, 120.0]) {
        assert!(rig.mock.complete(video, secs));
        let event = personalized_video("proj2", video, "https://x/v.mp4").to_string();
        send_webhook(&url, WEBHOOK_SECRET, false, event.as_bytes())
            .await
            .expect("delivered");
    }
    // First come, first bound: alpha's request gets the first video.
    let a = rig.wait_hold(&first, "captured").await;
    let b = rig.wait_hold(&second, "captured").await;
    assert_eq!(
        (a["captured"].as_str(), b["captured"].as_str()),
        (Some("1"), Some("2"))
    );
    let alpha_reads = rig
        .get(&format!("/v1/video_status.get?video_id={}", videos[0]))
        .await;
    assert_eq!(alpha_reads.status, 200, "{}", alpha_reads.text());
}
