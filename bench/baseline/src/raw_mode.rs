//! Its own HTTP/1 on both sides: the request head parsed in place, the
//! upstream request written from it, the upstream's answer read and copied
//! back, all inside the client connection's task with one upstream
//! connection per I/O thread's idle stack. Bench-only: bodiless requests
//! and `Content-Length` answers, anything else ends the connection.

use std::cell::RefCell;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Setup;

thread_local! {
    static IDLE: RefCell<Vec<TcpStream>> = const { RefCell::new(Vec::new()) };
}

const MAX_HEADERS: usize = 64;

pub async fn connection(mut client: TcpStream, setup: &'static Setup) {
    let mut input = Vec::with_capacity(8192);
    let mut out = Vec::with_capacity(1024);
    let mut answer = Vec::with_capacity(16384);
    while let Some(head_len) = read_head(&mut client, &mut input).await {
        let authorised = match upstream_request(&input, setup, &mut out) {
            Some(ok) => ok,
            None => return,
        };
        input.drain(..head_len);
        let reply = if authorised {
            match exchange(setup, &out, &mut answer).await {
                Some(()) => &answer[..],
                None => return,
            }
        } else {
            &b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n"[..]
        };
        if client.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Reads until `buf` holds a whole request head; its length, or `None` at
/// the end of the connection or on a malformed head.
async fn read_head(client: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        match httparse::Request::new(&mut headers).parse(buf).ok()? {
            httparse::Status::Complete(n) => return Some(n),
            httparse::Status::Partial => {}
        }
        buf.reserve(4096);
        if client.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
}

/// Writes the upstream request for the head in `input` into `out`;
/// whether the tenant key was right (`None`: a request this cannot forward).
fn upstream_request(input: &[u8], setup: &Setup, out: &mut Vec<u8>) -> Option<bool> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(input).ok()?;
    out.clear();
    for part in [
        req.method?,
        " ",
        req.path?,
        " HTTP/1.1\r\nhost: ",
        &setup.host,
    ] {
        out.extend_from_slice(part.as_bytes());
    }
    for part in ["\r\nx-api-key: ", &setup.org_key, "\r\n"] {
        out.extend_from_slice(part.as_bytes());
    }
    let mut authorised = false;
    for h in req.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("x-api-key") {
            authorised = setup.is_tenant(h.value);
        } else if name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
        {
            return None;
        } else if !name.eq_ignore_ascii_case("host") && !name.eq_ignore_ascii_case("connection") {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(h.value);
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
    Some(authorised)
}

/// Sends `request` upstream and reads the whole answer into `answer`.
async fn exchange(setup: &Setup, request: &[u8], answer: &mut Vec<u8>) -> Option<()> {
    let mut up = match IDLE.with(|idle| idle.borrow_mut().pop()) {
        Some(up) => up,
        None => crate::connect(setup).await.ok()?,
    };
    up.write_all(request).await.ok()?;
    answer.clear();
    let whole = loop {
        answer.reserve(8192);
        if up.read_buf(answer).await.ok()? == 0 {
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(n) = resp.parse(answer).ok()? {
            let length = resp
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))?;
            break n + std::str::from_utf8(length.value)
                .ok()?
                .parse::<usize>()
                .ok()?;
        }
    };
    while answer.len() < whole {
        answer.reserve(8192);
        if up.read_buf(answer).await.ok()? == 0 {
            return None;
        }
    }
    answer.truncate(whole);
    IDLE.with(|idle| idle.borrow_mut().push(up));
    Some(())
}
