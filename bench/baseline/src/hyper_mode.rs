//! hyper on both sides: an HTTP/1 server connection per client, and per
//! I/O thread a stack of idle HTTP/1 client connections to the upstream,
//! each driven by its own task (as hyper's client connections are, in the
//! gateway too).

use std::cell::RefCell;
use std::convert::Infallible;

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::{Error, Setup};

thread_local! {
    static IDLE: RefCell<Vec<SendRequest<Empty<Bytes>>>> = const { RefCell::new(Vec::new()) };
}

pub async fn connection(client: TcpStream, setup: &'static Setup) {
    let service = hyper::service::service_fn(move |req| async move {
        Ok::<_, Infallible>(match forward(req, setup).await {
            Ok(resp) => resp,
            Err(_) => status(StatusCode::BAD_GATEWAY),
        })
    });
    // One flat write buffer, as the gateway's server writes.
    let _ = hyper::server::conn::http1::Builder::new()
        .writev(false)
        .serve_connection(TokioIo::new(client), service)
        .await;
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::default());
    *resp.status_mut() = code;
    resp
}

async fn forward(
    req: Request<Incoming>,
    setup: &'static Setup,
) -> Result<Response<Full<Bytes>>, Error> {
    let (parts, _) = req.into_parts();
    let key = parts.headers.get("x-api-key").map(|v| v.as_bytes());
    if !key.is_some_and(|k| setup.is_tenant(k)) {
        return Ok(status(StatusCode::UNAUTHORIZED));
    }
    let mut headers = parts.headers;
    headers.remove(header::CONNECTION);
    headers.insert(header::HOST, setup.host.parse()?);
    headers.insert("x-api-key", setup.org_key.parse()?);
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut upstream = Request::builder()
        .method(parts.method)
        .uri(path)
        .body(Empty::new())?;
    *upstream.headers_mut() = headers;

    let mut sender = match IDLE.with(|idle| idle.borrow_mut().pop()) {
        Some(s) => s,
        None => {
            let io = TokioIo::new(crate::connect(setup).await?);
            let (sender, conn) = http1::handshake(io).await?;
            tokio::task::spawn_local(conn);
            sender
        }
    };
    let resp = sender.send_request(upstream).await?;
    let (mut parts, body) = resp.into_parts();
    // Answers are small JSON: read whole, then the connection is free again.
    let body = body.collect().await?.to_bytes();
    IDLE.with(|idle| idle.borrow_mut().push(sender));
    parts.headers.remove(header::CONNECTION);
    Ok(Response::from_parts(parts, Full::new(body)))
}
