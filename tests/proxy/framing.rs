//! HeyGen's answers to reads reach the tenant whole however HeyGen frames
//! them (the gateway reads them itself over plain HTTP, `upstream/pool/plain.rs`):
//! chunked with a trailer, or delimited by the connection's close; a kept
//! connection carries the next read, a closed one is replaced.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

const PATH: &str = "/v2/video_translate/target_languages";
const BODY: &str = r#"{"error":null,"data":{"languages":["English","French"]}}"#;

/// A HeyGen stand-in answering the n-th request it reads with `answers[n]`
/// (then closing when its flag says so); the connections it accepted and
/// the request heads it read.
async fn scripted(
    answers: Vec<(String, bool)>,
) -> (String, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (accepted, heads) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(Mutex::new(Vec::new())),
    );
    let (count, seen, next) = (
        accepted.clone(),
        heads.clone(),
        Arc::new(AtomicUsize::new(0)),
    );
    let answers = Arc::new(answers);
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let (seen, next, answers) = (seen.clone(), next.clone(), answers.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        let mut piece = [0u8; 2048];
                        match tcp.read(&mut piece).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&piece[..n]),
                        }
                    }
                    seen.lock()
                        .expect("heads")
                        .push(String::from_utf8_lossy(&buf).into_owned());
                    buf.clear();
                    let Some((answer, close)) = answers.get(next.fetch_add(1, Ordering::SeqCst))
                    else {
                        return;
                    };
                    if tcp.write_all(answer.as_bytes()).await.is_err() || *close {
                        return;
                    }
                }
            });
        }
    });
    (url, accepted, heads)
}

#[tokio::test]
async fn chunked_and_until_close_answers_reach_the_tenant_whole() {
    let (a, b) = BODY.split_at(20);
    let chunked = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n\
         {:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\nx-checksum: 1\r\n\r\n",
        a.len(),
        b.len()
    );
    let until_close = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{BODY}");
    let length = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let answers = vec![
        (chunked.clone(), false),
        (chunked, false),
        (until_close, true),
        (length, false),
    ];
    let (url, accepted, heads) = scripted(answers).await;
    // One I/O thread, so one upstream pool serves every read.
    let cfg = TestConfig::new(&url).set("server", "io_threads", "1");
    let gw = TestGateway::start(cfg.tenant("alpha", crate::org_wide)).await;
    let token = tenant_token("alpha");
    for round in 1..=4 {
        let r = send("GET", &gw.url(PATH), &[("x-api-key", &token)], "").await;
        assert_eq!(
            (r.status.as_u16(), r.text()),
            (200, BODY.to_string()),
            "round {round}"
        );
    }
    // The chunked answers kept the connection; the one read to its close did not.
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    let heads = heads.lock().expect("heads").clone();
    assert_eq!(heads.len(), 4);
    for head in &heads {
        assert!(
            head.starts_with(&format!("GET {PATH} HTTP/1.1\r\n")),
            "{head}"
        );
        assert!(
            head.contains(&format!("\r\nx-api-key: {ORG_KEY}\r\n")),
            "{head}"
        );
        assert!(!head.contains(&token), "{head}");
    }
}
