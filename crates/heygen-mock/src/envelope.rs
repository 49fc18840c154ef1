//! HeyGen's three response envelopes (heygen-api.md §2) and JSON responses.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::{json, Value};

/// HeyGen API generation of a path, which decides the envelope.
// Not shared with the gateway's `error::Generation`: the mock must not depend
// on the crate it tests, and these envelopes are HeyGen's facts, not gateway policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Generation {
    V1,
    V2,
    V3,
}

impl Generation {
    /// `/v1/…` and `/v2/…` get their own envelopes; v3 and anything else get v3's.
    pub(crate) fn of_path(path: &str) -> Generation {
        if path.starts_with("/v1/") || path == "/v1" {
            Generation::V1
        } else if path.starts_with("/v2/") || path == "/v2" {
            Generation::V2
        } else {
            Generation::V3
        }
    }
}

/// Legacy numeric codes for the v1 envelope.
const V1_UNAUTHORIZED: i64 = 400112;
const V1_INVALID_PARAMETER: i64 = 400175;

/// The error envelope for `gen`. `code` is the v2/v3 string code; v1 gets a
/// numeric code derived from it.
pub(crate) fn error_body(gen: Generation, code: &str, message: &str) -> Value {
    match gen {
        Generation::V1 => {
            let numeric = match code {
                "unauthorized" => V1_UNAUTHORIZED,
                "invalid_parameter" => V1_INVALID_PARAMETER,
                "not_found" => 404,
                "rate_limit_exceeded" => 429,
                _ => 500,
            };
            json!({"code": numeric, "message": message})
        }
        Generation::V2 => json!({"data": null, "error": {"code": code, "message": message}}),
        Generation::V3 => json!({"error": {"code": code, "message": message}}),
    }
}

/// HeyGen's 401 body for a wrong or missing key, per generation.
pub(crate) fn unauthorized(gen: Generation) -> Response<Full<Bytes>> {
    let body = match gen {
        Generation::V1 => json!({"code": V1_UNAUTHORIZED, "message": "Unauthorized"}),
        Generation::V2 => {
            json!({"data": null, "error": {"code": "internal_error", "message": "Unauthorized"}})
        }
        Generation::V3 => json!({"error": {"code": "unauthorized",
            "message": "Invalid or missing API key. Pass it in the X-Api-Key header."}}),
    };
    json_response(StatusCode::UNAUTHORIZED, &body)
}

/// An error response in the envelope of `gen`.
pub(crate) fn error(
    gen: Generation,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response<Full<Bytes>> {
    json_response(status, &error_body(gen, code, message))
}

/// The string code HeyGen uses for an injected status.
pub(crate) fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid_parameter",
        401 => "unauthorized",
        402 => "insufficient_credit",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        413 => "payload_too_large",
        429 => "rate_limit_exceeded",
        _ => "internal_error",
    }
}

/// `{"code":100,"data":…,"message":"Success"}`
pub(crate) fn v1_ok(data: Value) -> Response<Full<Bytes>> {
    json_response(
        StatusCode::OK,
        &json!({"code": 100, "data": data, "message": "Success"}),
    )
}

/// `{"error":null,"data":…}`
pub(crate) fn v2_ok(data: Value) -> Response<Full<Bytes>> {
    json_response(StatusCode::OK, &json!({"error": null, "data": data}))
}

/// `{"data":…}`
pub(crate) fn v3_ok(data: Value) -> Response<Full<Bytes>> {
    json_response(StatusCode::OK, &json!({ "data": data }))
}

/// Success in the envelope of `gen`.
pub(crate) fn ok(gen: Generation, data: Value) -> Response<Full<Bytes>> {
    match gen {
        Generation::V1 => v1_ok(data),
        Generation::V2 => v2_ok(data),
        Generation::V3 => v3_ok(data),
    }
}

/// A JSON response with a fresh `X-Request-Id`, as HeyGen sends.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&crate::state::new_id()) {
        headers.insert("x-request-id", v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_follows_the_path_prefix_segment() {
        assert_eq!(Generation::of_path("/v1/video_status.get"), Generation::V1);
        assert_eq!(Generation::of_path("/v2/video/generate"), Generation::V2);
        assert_eq!(Generation::of_path("/v3/videos"), Generation::V3);
        // Only a whole segment counts: `/v10` and `/v2x` are not v1/v2.
        assert_eq!(Generation::of_path("/v10/x"), Generation::V3);
        assert_eq!(Generation::of_path("/v2x"), Generation::V3);
        assert_eq!(Generation::of_path("/v1"), Generation::V1);
    }

    #[test]
    fn error_bodies_use_each_generations_envelope() {
        assert_eq!(
            error_body(Generation::V1, "unauthorized", "no"),
            json!({"code": V1_UNAUTHORIZED, "message": "no"})
        );
        assert_eq!(
            error_body(Generation::V2, "not_found", "gone"),
            json!({"data": null, "error": {"code": "not_found", "message": "gone"}})
        );
        assert_eq!(
            error_body(Generation::V3, "not_found", "gone"),
            json!({"error": {"code": "not_found", "message": "gone"}})
        );
    }
}
