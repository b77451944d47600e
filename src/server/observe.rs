//! Per-request observability: a request ID (the client's `x-request-id` when it
//! is sane, else a new one) echoed in the response, a tracing span carrying it,
//! and one log line per request with the GraphQL operation, duration and outcome.
//! Panics in any handler become a 500 with code `INTERNAL`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;

use crate::error::{ApiError, ErrorCode};

/// The header carrying the request ID, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// What the GraphQL endpoint reports about a request, for the log line.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The operation name (or `batch of N`).
    pub operation: Option<String>,
    /// `ok`, or the first error's code.
    pub outcome: String,
    /// Whether the answer came from the response cache.
    pub cached: bool,
}

/// A fresh request ID: a per-process prefix and a counter, unique across restarts.
fn new_request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static PREFIX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let prefix = PREFIX.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        (nanos as u32) ^ std::process::id().rotate_left(16)
    });
    format!("{prefix:08x}-{:x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The client's request ID if it is short and plain, so it is safe to log and echo.
fn client_request_id(req: &Request) -> Option<String> {
    let id = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    (!id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')))
    .then(|| id.to_owned())
}

/// A request's ID, as a request extension for the handlers (the audit log).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Wrap `ep`: request ID, span, log line, panic → 500.
pub async fn observe<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let id = client_request_id(&req).unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", id = %id, method = %method, path = %path);
    let result = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
        ep.call(req).instrument(span.clone()),
    ))
    .await;
    let mut response = match result {
        Ok(Ok(r)) => r.into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(_) => {
            tracing::error!(parent: &span, "a handler panicked");
            super::reply::error(ErrorCode::Internal, &ApiError::Internal.to_string())
        }
    };
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match response.extensions().get::<Outcome>() {
        Some(o) => tracing::info!(
            parent: &span,
            status,
            duration_ms,
            operation = o.operation.as_deref().unwrap_or("anonymous"),
            outcome = %o.outcome,
            cached = o.cached,
            "graphql request"
        ),
        None => tracing::info!(parent: &span, status, duration_ms, "request"),
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}
