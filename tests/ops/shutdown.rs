//! Shutdown ends within the grace (plus a few seconds), even when a
//! background pass is stuck on a HeyGen that does not answer.

use std::time::Duration;

use crate::common::*;
use crate::{Rig, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_background_work_stuck_past_the_grace() {
    let rig = Rig::start(|c| {
        c.set("server", "shutdown_grace_seconds", "1")
            .set("settlement", "poll_interval_seconds", "1")
            .set("settlement", "poll_min_age_seconds", "0")
            .set("upstream", "request_timeout_ms", "120000")
    })
    .await;
    rig.video_ok("alpha").await;
    // The poller's status read of the job now waits two minutes for HeyGen
    // (within the request timeout): the background loop is stuck in it.
    rig.mock
        .on_path("/v1/video_status.get")
        .set_latency(Duration::from_secs(120));
    let polled = || {
        !rig.mock
            .control()
            .requests_to("/v1/video_status.get")
            .is_empty()
    };
    eventually(polled, WAIT).await;
    let Rig {
        mock: _mock, gw, ..
    } = rig;
    // 1 s of grace and 5 s for background work to stop; without the bound
    // shutdown waits out the status read (two minutes).
    let stopped = tokio::time::timeout(Duration::from_secs(30), gw.shutdown()).await;
    assert!(stopped.is_ok(), "shutdown waited for the stuck status read");
}
