//! Ledger unreachable (PostgreSQL stopped): billable requests are refused
//! with 503 and never forwarded; reads and free routes still pass.

use std::time::Duration;

use crate::pg::PgServer;
use crate::{assert_refused, half_credit, video_id, Rig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billable_is_503_while_reads_pass() {
    // A server of this test's own, so stopping it affects no other test.
    let server = PgServer::start();
    let url = server.create_database();
    let rig = Rig::start(|c| {
        c.set("store", "url", &format!("{url:?}"))
            .set("store", "pool_size", "2")
            .tenant_budgets("alpha", "daily = 10")
    })
    .await;
    let ok = rig.post("/v2/video/generate", &half_credit()).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let video = video_id(&ok);
    assert_eq!(rig.credits("alpha", "daily").await.0, "0.5");

    drop(server);

    // Bounded so a hanging ledger fails the test instead of stalling it.
    let guard = Duration::from_secs(60);
    let refused = tokio::time::timeout(guard, rig.post("/v2/video/generate", &half_credit()))
        .await
        .expect("a billable request must fail fast, not hang");
    assert_refused(&refused, 503, "service_unavailable", "ledger_unavailable");
    assert!(refused.header("retry-after").is_some());
    assert_eq!(
        rig.creates("/v2/video/generate"),
        1,
        "nothing is forwarded without a hold"
    );

    // Reads of public content still pass. Reads naming a tenant's resource
    // need the ownership registry (in the ledger): they fail closed with
    // 503 rather than risk showing one tenant another's video.
    let languages = rig.get("/v2/video_translate/target_languages").await;
    assert_eq!(languages.status, 200, "{}", languages.text());
    // Lists that mix stock avatars with tenants' talking photos are filtered
    // through the registry: they fail closed too.
    let avatars = rig.get("/v2/avatars").await;
    assert_refused(&avatars, 503, "service_unavailable", "ledger_unavailable");
    assert!(rig.mock.complete(&video, 12.0));
    let status = tokio::time::timeout(
        guard,
        rig.get(&format!("/v1/video_status.get?video_id={video}")),
    )
    .await
    .expect("status read must not hang on the ledger");
    assert_refused(&status, 503, "service_unavailable", "ledger_unavailable");

    // The gateway's own usage endpoint needs the ledger: 503, not a hang.
    let usage = tokio::time::timeout(
        guard,
        rig.call("alpha", "GET", "/gateway/v1/usage", &[], ""),
    )
    .await
    .expect("usage must not hang");
    assert_eq!(usage.status, 503, "{}", usage.text());
}
