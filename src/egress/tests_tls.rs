//! `egress.ca_file`: a receiver ops allowed on a private range, serving a
//! certificate from the company's own CA, is reached over HTTPS once the
//! file names that CA, and refused (nothing sent) without it.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::{EgressConfig, EgressError, EgressGuard, EgressRequest};
use crate::config::FileEgress;
use crate::test_tls::{acceptor, CA_PEM};

/// An HTTPS server for `localhost` on loopback answering "ok"; its port.
async fn https_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let acceptor = acceptor(&[b"http/1.1"]);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(|_req| async {
                    Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from("ok"))))
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    port
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
    let port = https_server().await;
    let url = format!("https://localhost:{port}/hook");
    let resp = guard(Some(CA_PEM))
        .send(EgressRequest::post(url, "{}"))
        .await
        .expect("delivered");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, "ok");
}

#[tokio::test]
async fn without_the_file_its_certificate_is_refused() {
    let port = https_server().await;
    let url = format!("https://localhost:{port}/hook");
    let err = guard(None)
        .send(EgressRequest::post(url, "{}"))
        .await
        .expect_err("untrusted");
    assert!(matches!(err, EgressError::Connect(_)), "{err:?}");
}
