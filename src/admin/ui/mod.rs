//! The usage page at `/ui/` on the admin listener: server-rendered HTML
//! with inline SVG charts, one stylesheet, no script and no external asset,
//! under a CSP that allows nothing else. Signed in with the admin token
//! (see `auth`); every page only reads.

mod auth;
mod html;
mod lists;
mod overview;
mod report;
mod settings;
mod svg;

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};

use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::{collect_limited, full, Body};
use crate::state::AppState;

pub(crate) use auth::Sessions;

/// Nothing but this origin's stylesheet, no framing, forms only to itself.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// A failed sign-in waits this long, slowing token guessing.
const FAILED_SIGN_IN_DELAY: Duration = Duration::from_millis(250);

/// Answers every `/ui…` path.
pub(crate) async fn handle(
    state: &AppState,
    sessions: &Sessions,
    req: Request<ReqBody>,
) -> Response<Body> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let now = Instant::now();
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/ui") => redirect("/ui/", None),
        (Method::GET, "/ui/style.css") => respond(
            StatusCode::OK,
            "text/css; charset=utf-8",
            Bytes::from_static(html::STYLE.as_bytes()),
        ),
        (Method::GET, "/ui/login") => match sessions.get(req.headers(), now) {
            Some(_) => redirect("/ui/", None),
            None => sign_in_page(state, StatusCode::OK, None),
        },
        (Method::POST, "/ui/login") => sign_in(state, sessions, req, now).await,
        (Method::POST, "/ui/logout") => sign_out(sessions, req, now).await,
        (Method::GET, _) => match sessions.get(req.headers(), now) {
            None => redirect("/ui/login", None),
            Some((_, session)) => page(state, &path, &query, &session.csrf).await,
        },
        _ => respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"method not allowed\n"),
        ),
    }
}

async fn page(state: &AppState, path: &str, query: &str, csrf: &str) -> Response<Body> {
    if path == "/ui/reports.csv" {
        return match report::csv(state, query).await {
            Ok((csv, name)) => {
                let mut r = respond(StatusCode::OK, "text/csv; charset=utf-8", Bytes::from(csv));
                if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                    r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
                }
                r
            }
            Err(e) => error_page(state, path, csrf, e),
        };
    }
    let Some(&(_, title)) = html::NAV.iter().find(|(p, _)| *p == path) else {
        return html_response(
            StatusCode::NOT_FOUND,
            html::page("Not found", "", Some(csrf), "<p>No such page.</p>"),
        );
    };
    let body = match path {
        "/ui/holds" => lists::holds(state).await,
        "/ui/sessions" => lists::sessions(state).await,
        "/ui/journal" => lists::journal(state, query).await,
        "/ui/reports" => report::page(state, query).await,
        "/ui/config" => Ok(settings::render(&state.snapshot().config)),
        _ => overview::render(state).await,
    };
    match body {
        Ok(body) => html_response(StatusCode::OK, html::page(title, path, Some(csrf), &body)),
        Err(e) => error_page(state, path, csrf, e),
    }
}

/// A refusal (bad filter) or a ledger failure as a page with its status.
fn error_page(state: &AppState, path: &str, csrf: &str, e: GatewayError) -> Response<Body> {
    if let GatewayError::Ledger { op, source } = &e {
        state.note_ledger_error(op, source);
    }
    let status = e.status();
    let body = format!("<p class=\"error\">{}</p>", html::esc(&e.to_string()));
    html_response(
        status,
        html::page("Cannot show this page", path, Some(csrf), &body),
    )
}

fn sign_in_page(state: &AppState, status: StatusCode, error: Option<&str>) -> Response<Body> {
    let mut body = String::new();
    if state.secrets.admin_token.is_none() {
        body.push_str(
            "<p class=\"error\">The admin token is not set, so nobody can sign in. \
             Set the env var named by <code>server.admin_token_env</code> and restart.</p>",
        );
    }
    if let Some(e) = error {
        body.push_str(&format!(
            "<p class=\"error\" id=\"signin-error\">{}</p>",
            html::esc(e)
        ));
    }
    body.push_str(
        "<form class=\"signin\" method=\"post\" action=\"/ui/login\">\
         <label for=\"token\">Admin token</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required autofocus>\
         <button type=\"submit\">Sign in</button></form>",
    );
    html_response(status, html::page("Sign in", "", None, &body))
}

/// A URL-encoded form field (`+` is a space).
fn form_field(body: &[u8], name: &str) -> Option<String> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| crate::http::percent_decode(&v.replace('+', " ")))
}

async fn read_form(req: Request<ReqBody>) -> Option<(HeaderMap, Bytes)> {
    let (parts, body) = req.into_parts();
    let body = collect_limited(body, 4096).await.ok()?;
    Some((parts.headers, body))
}

async fn sign_in(
    state: &AppState,
    sessions: &Sessions,
    req: Request<ReqBody>,
    now: Instant,
) -> Response<Body> {
    if !auth::same_origin(req.headers()) {
        return forbidden("cross-site sign-in refused");
    }
    let Some((headers, body)) = read_form(req).await else {
        return sign_in_page(
            state,
            StatusCode::BAD_REQUEST,
            Some("The form could not be read."),
        );
    };
    let given = form_field(&body, "token").unwrap_or_default();
    let ok = state
        .secrets
        .admin_token
        .as_ref()
        .is_some_and(|t| auth::equal(given.trim(), t.expose()));
    if !ok {
        tracing::warn!(
            audit = true,
            action = "ui_sign_in_failed",
            "Usage page sign-in refused."
        );
        tokio::time::sleep(FAILED_SIGN_IN_DELAY).await;
        return sign_in_page(state, StatusCode::UNAUTHORIZED, Some("Wrong admin token."));
    }
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let id = sessions.create(now);
    tracing::info!(audit = true, action = "ui_sign_in", "Usage page sign-in.");
    redirect("/ui/", Some(auth::set_cookie(&id, secure)))
}

async fn sign_out(sessions: &Sessions, req: Request<ReqBody>, now: Instant) -> Response<Body> {
    let session = sessions.get(req.headers(), now);
    let Some((_, body)) = read_form(req).await else {
        return forbidden("the form could not be read");
    };
    match session {
        Some((id, s)) if form_field(&body, "csrf").is_some_and(|c| auth::equal(&c, &s.csrf)) => {
            sessions.remove(&id);
            redirect("/ui/login", Some(auth::clear_cookie()))
        }
        _ => forbidden("sign-out needs the page's form"),
    }
}

fn forbidden(why: &'static str) -> Response<Body> {
    respond(
        StatusCode::FORBIDDEN,
        "text/plain; charset=utf-8",
        Bytes::from(format!("{why}\n")),
    )
}

fn redirect(to: &'static str, cookie: Option<String>) -> Response<Body> {
    let mut r = respond(
        StatusCode::SEE_OTHER,
        "text/plain; charset=utf-8",
        Bytes::new(),
    );
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(to));
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn html_response(status: StatusCode, html: String) -> Response<Body> {
    respond(status, "text/html; charset=utf-8", Bytes::from(html))
}

/// Every UI answer carries the CSP and is never cached (it shows money).
fn respond(status: StatusCode, ctype: &'static str, body: Bytes) -> Response<Body> {
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // `same-origin`, not `no-referrer`: with the latter a browser sends
    // `Origin: null` on form posts and the sign-in check could not tell
    // this page from any other.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
