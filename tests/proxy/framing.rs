//! HeyGen's answers to reads reach the tenant whole however HeyGen frames
//! them (the gateway reads them itself over plain HTTP, `upstream/pool/plain.rs`):
//! chunked with a trailer, or delimited by the connection's close; a kept
//! connection carries the next read, a closed one is replaced.

use std::sync::atomic::Ordering;

use crate::common::*;
use crate::scripted::scripted;

const PATH: &str = "/v2/video_translate/target_languages";
const BODY: &str = r#"{"error":null,"data":{"languages":["English","French"]}}"#;

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
