//! The idle tracker's timing: expiry only after the last request ends,
//! re-armed from the last of many, and from accept on a fresh connection;
//! a response the client stops reading, closed after the write timeout.

use super::*;

/// `timeout` for idle and head; writes never time out.
fn both(timeout: Duration) -> Timeouts {
    Timeouts {
        idle: timeout,
        head: timeout,
        write: Duration::from_secs(3600),
    }
}

#[tokio::test]
async fn expires_only_after_the_last_request_ends() {
    let t = IdleTracker::new();
    let timeout = Duration::from_millis(50);
    let guard = t.begin();
    // A request in progress for longer than the timeout keeps it open.
    let waited = tokio::time::timeout(Duration::from_millis(300), t.expired(both(timeout))).await;
    assert!(waited.is_err(), "expired while a request was in progress");
    let start = Instant::now();
    drop(guard);
    tokio::time::timeout(Duration::from_secs(10), t.expired(both(timeout)))
        .await
        .expect("idle connection expires");
    assert!(
        start.elapsed() >= timeout,
        "counted from the end of the request"
    );
}

#[tokio::test(start_paused = true)]
async fn requests_closer_than_the_timeout_keep_it_open_and_the_last_one_counts() {
    let t = IdleTracker::new();
    let timeout = Duration::from_secs(60);
    let watchdog = t.clone();
    let expired = tokio::spawn(async move {
        watchdog.expired(both(timeout)).await;
        Instant::now()
    });
    // A one-second request every 40 s for ten minutes: the watchdog's
    // one timer fires many times and must re-arm from the last request.
    for _ in 0..15 {
        tokio::time::sleep(Duration::from_secs(39)).await;
        let guard = t.begin();
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(guard);
    }
    let last_end = Instant::now();
    tokio::task::yield_now().await;
    assert!(!expired.is_finished(), "expired while requests kept coming");
    let at = expired.await.unwrap();
    assert!(
        at >= last_end + timeout,
        "closed before a full idle timeout"
    );
    assert!(
        at <= last_end + timeout + Duration::from_millis(5),
        "closed late: {:?} after the timeout",
        at - (last_end + timeout)
    );
}

#[tokio::test]
async fn a_fresh_connection_expires_after_the_timeout() {
    let start = Instant::now();
    let t = IdleTracker::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        t.expired(Timeouts {
            idle: Duration::from_millis(30),
            head: Duration::from_secs(60),
            write: Duration::from_secs(60),
        }),
    )
    .await
    .expect("idle connection expires");
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[tokio::test(start_paused = true)]
async fn a_response_the_client_stops_reading_expires_after_the_write_timeout() {
    let t = IdleTracker::new();
    let long = Duration::from_secs(3600);
    let write = Duration::from_secs(30);
    let timeouts = Timeouts {
        idle: long,
        head: long,
        write,
    };
    let watchdog = t.clone();
    let expired = tokio::spawn(async move {
        let why = watchdog.expired(timeouts).await;
        (why, Instant::now())
    });
    let mut guard = t.begin();
    // Waiting on HeyGen for longer than the write timeout is no stall.
    tokio::time::sleep(Duration::from_secs(100)).await;
    // A response read on steadily, a frame every 20 s, for ten minutes.
    guard.waiting = true;
    t.blocked();
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(20)).await;
        t.unblocked(true);
        t.blocked();
    }
    let stalled_at = Instant::now();
    tokio::task::yield_now().await;
    assert!(!expired.is_finished(), "expired while the client read");
    // Then the client stops reading.
    let (why, at) = expired.await.unwrap();
    assert_eq!(why, Expiry::Write);
    assert!(at >= stalled_at + write, "closed early");
    assert!(at <= stalled_at + write * 2, "closed late");
    drop(guard);
}
