//! Error responses outside GraphQL execution — a request that is not GraphQL,
//! a refused body, a failed export, a panic — in the shape of a GraphQL
//! response: one error with its message and `code`, as JSON.

use poem::Response;
use poem::http::StatusCode;

use crate::error::ErrorCode;

/// An error response with the HTTP status of `code`.
pub fn error(code: ErrorCode, message: &str) -> Response {
    error_with_status(code.status(), code, message)
}

/// An error response whose status says more than `code` does (405 for a
/// method, 413 for a body, 415 for a media type).
pub fn error_with_status(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
    });
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string())
}
