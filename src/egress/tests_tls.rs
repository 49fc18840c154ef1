//! `egress.ca_file`: a receiver ops allowed on a private range, serving a
//! certificate from the company's own CA, is reached over HTTPS once the
//! file names that CA, and refused (nothing sent) without it.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::{EgressConfig, EgressError, EgressGuard, EgressRequest};
use crate::config::FileEgress;
use crate::test_tls::{acceptor, listen, CA_PEM};

/// An HTTPS server for `localhost` on loopback answering "ok"; its port,
/// and how many requests it answered.
async fn https_server() -> (u16, Arc<AtomicUsize>) {
    let acceptor = acceptor(&[b"http/1.1"]);
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let (port, _) = listen(move |tcp| {
        let (acceptor, counted) = (acceptor.clone(), counted.clone());
        async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let svc = hyper::service::service_fn(move |_req| {
                counted.fetch_add(1, Ordering::SeqCst);
                async { Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from("ok")))) }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        }
    })
    .await;
    (port, requests)
}

/// A guard allowing loopback, trusting `ca_file`'s CAs besides the public.
fn guard(ca_file: Option<&str>) -> EgressGuard {
    let raw = FileEgress {
        allow_cidrs: vec!["127.0.0.0/8".into()],
        ca_file: ca_file.map(str::to_owned),
        ..FileEgress::default()
    };
    let mut errors = Vec::new();
    let cfg = EgressConfig::from_file(&raw, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    EgressGuard::new(&cfg).expect("guard")
}

#[tokio::test]
async fn a_receiver_signed_by_the_ca_file_is_reached() {
    let (port, requests) = https_server().await;
    let url = format!("https://localhost:{port}/hook");
    let resp = guard(Some(CA_PEM))
        .send(EgressRequest::post(url, "{}"))
        .await
        .expect("delivered");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, "ok");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn without_the_file_its_certificate_is_refused() {
    let (port, requests) = https_server().await;
    let url = format!("https://localhost:{port}/hook");
    let err = guard(None)
        .send(EgressRequest::post(url, "{}"))
        .await
        .expect_err("untrusted");
    // Refused for the certificate, not for the connection.
    let EgressError::Connect(why) = &err else {
        panic!("{err:?}");
    };
    assert!(why.to_lowercase().contains("certificate"), "{why}");
    assert_eq!(requests.load(Ordering::SeqCst), 0, "a request was sent");
}
