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
                    let head = loop {
                        if let Some(head) = take_head(&mut buf) {
                            break String::from_utf8_lossy(&head).into_owned();
                        }
                        if !read_more(&mut tcp, &mut buf).await {
                            return;
                        }
                    };
                    // A `Content-Length` body is read and dropped, so its bytes
                    // are never taken for the next request's head.
                    let mut body = content_length(&head);
                    while body > buf.len() {
                        body -= buf.len();
                        buf.clear();
                        if !read_more(&mut tcp, &mut buf).await {
                            return;
                        }
                    }
                    buf.drain(..body);
                    seen.lock().expect("heads").push(head);
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

/// The head at the front of `buf`, through its blank line, cut from it;
/// `None` until it is whole. What follows stays in `buf`.
pub fn take_head(buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let at = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some(buf.drain(..at + 4).collect())
}

/// The `content-length` a head declares (0 when it declares none).
pub fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

/// Appends what `tcp` sends next to `buf`; false at its end.
pub async fn read_more(tcp: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut piece = [0u8; 2048];
    match tcp.read(&mut piece).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&piece[..n]);
            true
        }
    }
}
