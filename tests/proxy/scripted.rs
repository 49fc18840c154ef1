//! A HeyGen stand-in scripted byte for byte, for answers the mock cannot
//! give (hop-by-hop headers, chunked or to-the-close framing).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A HeyGen stand-in answering the n-th request it reads with `answers[n]`
/// (then closing when its flag says so); the connections it accepted and
/// the request heads it read.
pub async fn scripted(
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
