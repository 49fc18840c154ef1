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

/// Two tenants on one (stock) project: HeyGen's webhook names only the
/// project, so while alpha's contacts are open beta's `add_contact` is
/// refused (409, v1 envelope, nothing sent); once alpha's are bound, beta's
/// contacts are its own. Before, beta's video rendering first was bound to
/// alpha's older placeholder: alpha paid for it and owned it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projects_contacts_are_charged_to_and_owned_by_the_tenant_that_added_them() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 100")).await;
    let url = rig.gw.url("/gateway/v1/webhooks/heygen");
    let deliver = |video: &str| {
        let event = personalized_video("proj2", video, "https://x/v.mp4").to_string();
        let url = url.clone();
        async move {
            let ok = send_webhook(&url, WEBHOOK_SECRET, false, event.as_bytes())
                .await
                .expect("delivered");
            assert_eq!(ok.as_u16(), 200);
        }
    };
    let one = json!({"project_id": "proj2", "variables_list": [{"name": "Ann"}]});
    let first = rig.post(ADD, &one).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let first = hold_id(&first);

    let refused = rig.call("beta", "POST", ADD, &[], one.to_string()).await;
    assert_eq!(refused.status, 409, "{}", refused.text());
    assert_eq!(refused.header("x-gateway-rejected"), Some("project_in_use"));
    let body = refused.json();
    assert_eq!(body["code"], 409000, "v1 envelope: {body}");
    assert_eq!(body["error_code"], "project_in_use", "{body}");
    assert_eq!(body["project_id"], "proj2", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("another tenant"),
        "{body}"
    );
    assert_eq!(rig.mock.requests_to(ADD).len(), 1, "beta's never sent");
    let (held, spent, _) = rig.credits("beta", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0"));

    // Alpha's contact renders: alpha's.
    let alphas = contact_videos(&rig);
    assert!(rig.mock.complete(&alphas[0], 60.0));
    deliver(&alphas[0]).await;
    let a = rig.wait_hold(&first, "captured").await;
    assert_eq!(a["captured"], "1", "{a}");

    // Now beta may add its contact; its video is beta's and beta pays.
    let second = rig.call("beta", "POST", ADD, &[], one.to_string()).await;
    assert_eq!(second.status, 200, "{}", second.text());
    let second = hold_id(&second);
    let betas = contact_videos(&rig);
    assert_eq!(betas.len(), 2);
    assert!(rig.mock.complete(&betas[1], 120.0));
    deliver(&betas[1]).await;
    let b = rig.wait_hold(&second, "captured").await;
    assert_eq!(
        (b["tenant"].as_str(), b["captured"].as_str()),
        (Some("beta"), Some("2"))
    );
    let read = format!("/v1/video_status.get?video_id={}", betas[1]);
    let beta_reads = rig.call("beta", "GET", &read, &[], "").await;
    assert_eq!(beta_reads.status, 200, "{}", beta_reads.text());
    assert_eq!(rig.get(&read).await.status, 404, "not alpha's");
}
