use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body::Frame;
use http_body_util::StreamBody;

use super::*;

/// A body of `pieces` pieces of `size` bytes (then its end, or with `hang`
/// a client that stops sending), counting the pieces read.
fn counted(pieces: usize, size: usize, hang: bool, read: &Arc<AtomicUsize>) -> Body {
    let read = read.clone();
    let stream = futures_util::stream::iter(0..pieces).map(move |_| {
        read.fetch_add(1, Ordering::Relaxed);
        Ok::<_, BoxError>(Frame::data(Bytes::from(vec![b'x'; size])))
    });
    match hang {
        false => boxed(StreamBody::new(stream)),
        true => boxed(StreamBody::new(
            stream.chain(futures_util::stream::pending()),
        )),
    }
}

#[tokio::test]
async fn a_refused_body_is_read_to_its_end_before_the_refusal() {
    let read = Arc::new(AtomicUsize::new(0));
    let got = collect_or_drain(counted(16, 512, false, &read), 4096).await;
    assert!(matches!(got, Err(BodyError::TooLarge(4096))), "{got:?}");
    assert_eq!(read.load(Ordering::Relaxed), 16, "all of it was read");
    let read = Arc::new(AtomicUsize::new(0));
    let got = collect_or_drain(counted(8, 512, false, &read), 4096).await;
    assert_eq!(got.map(|b| b.len()).ok(), Some(4096), "within the limit");
}

#[tokio::test]
async fn draining_stops_after_its_bytes() {
    let read = Arc::new(AtomicUsize::new(0));
    let got = collect_or_drain(counted(10_000, 64 * 1024, false, &read), 4096).await;
    assert!(matches!(got, Err(BodyError::TooLarge(4096))));
    // The piece that passed the limit, then 1 MiB: 16 pieces of 64 KiB.
    assert_eq!(read.load(Ordering::Relaxed), 17);
}

#[tokio::test(start_paused = true)]
async fn draining_stops_after_its_time_when_the_client_stalls() {
    let read = Arc::new(AtomicUsize::new(0));
    let started = tokio::time::Instant::now();
    let got = collect_or_drain(counted(3, 4096, true, &read), 4096).await;
    assert!(matches!(got, Err(BodyError::TooLarge(4096))));
    assert_eq!(read.load(Ordering::Relaxed), 3);
    assert_eq!(started.elapsed(), DRAIN_TIME);
}
