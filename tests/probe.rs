//! Media probing end to end: files generated here (WAV, MP4 with `moov` at
//! either end, WebM, CBR MP3), served by a local hyper server that honours
//! `Range` or ignores it, probed through an egress guard that admits only
//! 127.0.0.1.

// Test helpers outside #[test] fns: a failed setup should panic loudly.
#![allow(clippy::unwrap_used)]

#[path = "probe/media.rs"]
mod media;
#[path = "probe/refusals.rs"]
mod refusals;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use heygen_gateway::egress::{EgressConfig, EgressGuard, FileEgress};
use heygen_gateway::probe::{probe_duration, Container, FileProbe, ProbeConfig, ProbeError};
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

#[derive(Clone)]
enum Serve {
    Ranged(Bytes),
    IgnoreRange(Bytes),
    Redirect(String),
}

#[derive(Clone)]
struct Server {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Server {
    async fn start(files: Vec<(&str, Serve)>) -> Server {
        let files: Arc<HashMap<String, Serve>> =
            Arc::new(files.into_iter().map(|(p, s)| (p.to_string(), s)).collect());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let files = files.clone();
                let counter = counter.clone();
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let reply = respond(&files, &req);
                    async move { Ok::<_, Infallible>(reply) }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(sock), svc)
                        .await;
                });
            }
        });
        Server { port, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn respond(
    files: &HashMap<String, Serve>,
    req: &Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    let Some(serve) = files.get(req.uri().path()) else {
        *resp.status_mut() = StatusCode::NOT_FOUND;
        return resp;
    };
    let (body, honour) = match serve {
        Serve::Redirect(to) => {
            *resp.status_mut() = StatusCode::FOUND;
            resp.headers_mut().insert("location", to.parse().unwrap());
            return resp;
        }
        Serve::Ranged(b) => (b, true),
        Serve::IgnoreRange(b) => (b, false),
    };
    let range = req
        .headers()
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)));
    let len = body.len();
    match range {
        Some((from, _)) if honour && from >= len => {
            *resp.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            resp.headers_mut()
                .insert("content-range", format!("bytes */{len}").parse().unwrap());
        }
        Some((from, to)) if honour => {
            let to = to.min(len - 1);
            *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
            resp.headers_mut().insert(
                "content-range",
                format!("bytes {from}-{to}/{len}").parse().unwrap(),
            );
            *resp.body_mut() = Full::new(body.slice(from..=to));
        }
        _ => *resp.body_mut() = Full::new(body.clone()),
    }
    resp
}

fn guard() -> EgressGuard {
    let raw = FileEgress {
        allow_cidrs: vec!["127.0.0.1/32".into()],
        ..FileEgress::default()
    };
    let mut errors = Vec::new();
    let cfg = EgressConfig::from_file(&raw, &mut errors);
    assert!(errors.is_empty());
    EgressGuard::new(&cfg).unwrap()
}

fn cfg(max_bytes: u64) -> ProbeConfig {
    let raw = FileProbe {
        max_bytes,
        ..FileProbe::default()
    };
    let mut errors = Vec::new();
    let cfg = ProbeConfig::from_file(&raw, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    cfg
}

async fn probe_one(
    serve: Serve,
    max_bytes: u64,
) -> Result<heygen_gateway::probe::Probed, ProbeError> {
    let server = Server::start(vec![("/f", serve)]).await;
    probe_duration(&guard(), &server.url("/f"), &cfg(max_bytes)).await
}

const DEFAULT_MAX: u64 = 4 * 1024 * 1024;

#[tokio::test]
async fn wav_duration_from_ranged_reads_without_the_whole_file() {
    let wav = media::wav(7_300);
    let len = wav.len() as u64;
    let p = probe_one(Serve::Ranged(wav), DEFAULT_MAX).await.unwrap();
    assert_eq!((p.container, p.duration_ms), (Container::Wav, 7_300));
    assert!(p.bytes_read < len, "read {} of {len}", p.bytes_read);
}

#[tokio::test]
async fn wav_from_a_server_that_ignores_range() {
    let p = probe_one(Serve::IgnoreRange(media::wav(7_300)), DEFAULT_MAX)
        .await
        .unwrap();
    assert_eq!((p.container, p.duration_ms), (Container::Wav, 7_300));
}

#[tokio::test]
async fn mp4_with_moov_at_start_and_at_end() {
    for moov_first in [true, false] {
        let file = media::mp4(12_500, 1_000_000, moov_first, false);
        let len = file.len() as u64;
        let p = probe_one(Serve::Ranged(file), DEFAULT_MAX).await.unwrap();
        assert_eq!((p.container, p.duration_ms), (Container::Mp4, 12_500));
        assert!(
            p.bytes_read < len / 4,
            "moov_first={moov_first}: read {}",
            p.bytes_read
        );
    }
}

#[tokio::test]
async fn webm_duration_element() {
    let p = probe_one(Serve::Ranged(media::webm(9_500.0)), DEFAULT_MAX)
        .await
        .unwrap();
    assert_eq!((p.container, p.duration_ms), (Container::WebM, 9_500));
}

#[tokio::test]
async fn cbr_mp3_is_estimated_from_size() {
    // 200 frames × 1152 samples at 44.1 kHz = 5224.5 ms.
    let p = probe_one(Serve::Ranged(media::mp3_cbr(200)), DEFAULT_MAX)
        .await
        .unwrap();
    assert_eq!(p.container, Container::Mp3);
    assert!(
        (5_200..=5_250).contains(&p.duration_ms),
        "{}",
        p.duration_ms
    );
}

#[tokio::test]
async fn cbr_mp3_of_unknown_size_has_no_duration() {
    // The server ignores Range and the file exceeds the budget, so the size
    // is unknown: without a Xing header there is nothing to estimate from.
    let err = probe_one(Serve::IgnoreRange(media::mp3_cbr(400)), 64 * 1024)
        .await
        .unwrap_err();
    assert_eq!(err, ProbeError::NoDuration);
}
