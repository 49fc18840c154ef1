use super::*;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A connected pair over loopback: the accepted side and the client.
async fn pair(l: &TcpListener) -> (TcpStream, SocketAddr, TcpStream) {
    let client = TcpStream::connect(l.local_addr().expect("addr"));
    let (client, accepted) = tokio::join!(client, l.accept());
    let (stream, remote) = accepted.expect("accept");
    (stream, remote, client.expect("connect"))
}

fn kept_seat(s: Seated) -> (TcpStream, Seat) {
    match s {
        Seated::Here(stream, seat) => (stream, seat),
        Seated::Passed => panic!("passed on, not kept"),
        Seated::Closed => panic!("closed, not kept"),
    }
}

fn kept(s: Seated) -> Seat {
    kept_seat(s).1
}

fn open(p: &Place) -> Vec<usize> {
    p.balance.open.iter().map(|c| c.load(Relaxed)).collect()
}

#[tokio::test]
async fn connections_past_the_slack_go_to_the_least_busy_thread_which_serves_them() {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut places = places(2);
    let (mut other, here) = (places.pop().expect("1"), places.pop().expect("0"));
    let mut seats = Vec::new();
    let mut clients = Vec::new();
    // Thread 0 keeps connections until it has SLACK more than thread 1...
    for _ in 0..=SLACK {
        let (s, r, c) = pair(&l).await;
        seats.push(kept(here.seat(s, r)));
        clients.push(c);
    }
    assert_eq!(open(&here), [SLACK + 1, 0]);
    // ...then passes the next one on, which thread 1 registers as its own.
    let (s, r, mut c) = pair(&l).await;
    assert!(matches!(here.seat(s, r), Seated::Passed), "passed on");
    assert_eq!(open(&here), [SLACK + 1, 1]);
    let (mut stream, remote, seat) = other.handed().await;
    assert_eq!(remote, c.local_addr().expect("client addr"));
    assert_eq!(seat.thread, 1);
    // The socket works where it landed.
    c.write_all(b"ping").await.expect("write");
    let mut got = [0u8; 4];
    stream.read_exact(&mut got).await.expect("read");
    assert_eq!(&got, b"ping");
    // A seat is given back when its connection ends.
    drop(seat);
    seats.clear();
    assert_eq!(open(&here), [0, 0]);
}

#[tokio::test]
async fn a_connection_meant_for_a_stopped_thread_is_served_where_it_was_accepted() {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut places = places(2);
    let (other, here) = (places.pop().expect("1"), places.pop().expect("0"));
    drop(other); // its listener stopped: its inbox is gone
    let mut held = Vec::new();
    for _ in 0..SLACK + 3 {
        let (s, r, c) = pair(&l).await;
        let seat = kept_seat(here.seat(s, r));
        assert_eq!(seat.1.thread, 0);
        held.push((seat, c));
    }
    assert_eq!(
        open(&here),
        [SLACK + 3, 0],
        "no seat left taken on the stopped thread"
    );
}

#[tokio::test]
async fn one_thread_keeps_everything() {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let only = places(1).pop().expect("0");
    let mut held = Vec::new();
    for _ in 0..5 {
        let (s, r, c) = pair(&l).await;
        held.push((kept(only.seat(s, r)), c));
    }
    assert_eq!(open(&only), [5]);
}

proptest::proptest! {
    /// Whichever threads the kernel hands connections to, the counts stay
    /// within `SLACK + 1` of each other, and a connection moves only when
    /// its thread is past the slack.
    #[test]
    fn accepted_connections_stay_within_the_slack(
        threads in 1usize..6,
        arrivals in proptest::collection::vec(0usize..6, 0..200),
    ) {
        let mut open = vec![0usize; threads];
        for at in arrivals.into_iter().map(|a| a % threads) {
            let to = elsewhere(open.iter().copied(), at);
            if let Some(to) = to {
                proptest::prop_assert!(open[at] > open[to] + SLACK);
            }
            open[to.unwrap_or(at)] += 1;
            let (max, min) = (open.iter().max(), open.iter().min());
            proptest::prop_assert!(max.zip(min).is_some_and(|(a, b)| a - b <= SLACK + 1), "{open:?}");
        }
    }
}

#[test]
fn a_thread_outside_the_balance_keeps_its_connection() {
    assert_eq!(elsewhere([3, 0].into_iter(), 5), None);
}
