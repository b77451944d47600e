//! The GraphQL endpoint, as the GraphQL-over-HTTP spec has it: queries over GET
//! and POST (`application/json`), responses as `application/json` or, for
//! clients that accept it, `application/graphql-response+json` (400 without
//! `data` when the request fails before execution); GraphiQL for a browser's
//! GET outside production, from files embedded in the binary
//! ([`super::assets`]). Bodies above the size limit get 413, batches above
//! the batch limit 400, mutations over GET 405; a request that failed because the
//! database is unreachable gets 503, one past its time limit 504. A request
//! asked before is answered from the response cache ([`crate::cache`]) when it is on.
//!
//! Over HTTP/1 a 413 closes the connection (`Connection: close`), and the rest
//! of the refused body is first read and thrown away, as nginx's lingering
//! close does, so that a client that sends its whole body before reading (no
//! `Expect: 100-continue`: Python's urllib, many Java and .NET clients) reads
//! the 413 instead of a broken pipe or a reset. The drain is bounded: at most
//! [`DRAIN_BYTES`] (16 MiB) for at most [`DRAIN_TIME`] (5 s); a body declared
//! larger than that is not drained at all, and past the bound the connection
//! is cut off as before. A client that sent `Expect: 100-continue` with an
//! oversize length gets the 413 at once instead of `100 Continue`, and never
//! sends the body.

use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_poem::GraphQLBatchRequest;
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use poem::error::ReadBodyError;
use poem::http::{HeaderValue, Method, StatusCode, Version, header};
use poem::{Body, Endpoint, FromRequest, IntoResponse, Request, Response};

use crate::cache::ResponseCache;
use crate::config::Environment;
use crate::error::{DATABASE_UNAVAILABLE, LIMIT_EXCEEDED, TIMEOUT};
use crate::graphql::Api;
use crate::graphql::limits::count_tokens;
use crate::metrics::Metrics;

use super::observe::Outcome;

/// The media type of GraphQL-over-HTTP responses, for clients that accept it.
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The most of a body refused for its size that is read and thrown away before
/// the 413 (beyond the part read up to the limit): 16 times the default limit,
/// so a client that sends a body several times too large still reads its 413,
/// while a refused request costs at most this much reading, in constant memory.
/// A body declared larger is not drained at all: it would be cut off anyway.
pub const DRAIN_BYTES: usize = 16 << 20;

/// The longest the drain of a refused body lasts: half the default time limit
/// of a request, so a client that trickles a huge body, or stops sending,
/// holds its connection no longer; 16 MiB arrive within it at ~30 Mbit/s.
pub const DRAIN_TIME: Duration = Duration::from_secs(5);

/// `/graphql`.
pub struct GraphQLEndpoint {
    /// The executable API.
    pub api: Api,
    /// Development or production (GraphiQL only in development).
    pub environment: Environment,
    /// Where requests are counted.
    pub metrics: Arc<Metrics>,
    /// Answers to repeated requests; `None` when switched off.
    pub cache: Option<Arc<ResponseCache>>,
}

impl Endpoint for GraphQLEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let graphql_json = accept.contains(GRAPHQL_RESPONSE_JSON);
        let limits = self.api.limits().clone();
        let batch = match *req.method() {
            Method::GET => {
                let query = req.uri().query().unwrap_or("");
                let asks_query = query.split('&').any(|pair| pair.starts_with("query="));
                if accept.contains("text/html")
                    && !asks_query
                    && self.environment == Environment::Development
                {
                    return Ok(super::assets::graphiql_page(&req));
                }
                if !asks_query {
                    return Ok(request_error(
                        StatusCode::BAD_REQUEST,
                        "BAD_REQUEST",
                        "a GET request needs a `query` parameter",
                    ));
                }
                let (req, mut body) = req.split();
                let batch = match GraphQLBatchRequest::from_request(&req, &mut body).await {
                    Ok(batch) => batch.0,
                    Err(e) => {
                        return Ok(request_error(
                            StatusCode::BAD_REQUEST,
                            "BAD_REQUEST",
                            &format!("malformed GraphQL request: {e}"),
                        ));
                    }
                };
                if let BatchRequest::Single(r) = &batch
                    && is_mutation(&r.query, r.operation_name.as_deref(), limits.tokens)
                {
                    return Ok(request_error(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "BAD_REQUEST",
                        "mutations are accepted over POST only",
                    )
                    .with_header(header::ALLOW, "POST")
                    .into_response());
                }
                batch
            }
            Method::POST => {
                let json = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(';').next())
                    .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
                if !json {
                    return Ok(request_error(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "BAD_REQUEST",
                        "a POST request needs the content type application/json",
                    ));
                }
                // Only HTTP/1 needs the drain: HTTP/2 ends just the stream.
                let http1 = req.version() <= Version::HTTP_11;
                let too_large = || {
                    let mut response = request_error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        LIMIT_EXCEEDED,
                        &format!(
                            "the body is larger than {} bytes (LVZHI_MAX_BODY_BYTES)",
                            limits.body_bytes
                        ),
                    );
                    if http1 {
                        response
                            .headers_mut()
                            .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    }
                    response
                };
                // Refuse a declared oversize body before keeping any of it.
                let declared = req
                    .headers()
                    .get(header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                if let Some(length) = declared
                    && length > limits.body_bytes as u64
                {
                    // A client waiting for `100 Continue` sends nothing until
                    // the body is read: answer at once, and hyper never asks.
                    let waits_for_continue = req.version() == Version::HTTP_11
                        && req
                            .headers()
                            .get(header::EXPECT)
                            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
                    if http1 && !waits_for_continue && length <= DRAIN_BYTES as u64 {
                        drain(req.into_body().into_bytes_stream()).await;
                    }
                    return Ok(too_large());
                }
                let capacity = declared.unwrap_or(0) as usize;
                let bytes =
                    match read_body(req.into_body(), capacity, limits.body_bytes, http1).await {
                        Ok(bytes) => bytes,
                        Err(ReadBodyError::PayloadTooLarge) => return Ok(too_large()),
                        Err(e) => {
                            return Ok(request_error(
                                StatusCode::BAD_REQUEST,
                                "BAD_REQUEST",
                                &format!("cannot read the body: {e}"),
                            ));
                        }
                    };
                match parse_body(&bytes) {
                    Ok(batch) => batch,
                    Err(message) => {
                        return Ok(request_error(
                            StatusCode::BAD_REQUEST,
                            "BAD_REQUEST",
                            &message,
                        ));
                    }
                }
            }
            _ => {
                return Ok(request_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "BAD_REQUEST",
                    "use GET or POST",
                )
                .with_header(header::ALLOW, "GET, POST")
                .into_response());
            }
        };
        let requests = match &batch {
            BatchRequest::Single(r) => std::slice::from_ref(r),
            BatchRequest::Batch(rs) => rs.as_slice(),
        };
        if requests.is_empty() || requests.iter().any(|r| r.query.trim().is_empty()) {
            return Ok(request_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "the request has no `query`",
            ));
        }
        if let BatchRequest::Batch(rs) = &batch
            && rs.len() > limits.batch
        {
            let message = if limits.batch == 0 {
                "batched requests are not accepted (LVZHI_MAX_BATCH=0)".to_owned()
            } else {
                format!(
                    "the batch holds {} operations, more than {} (LVZHI_MAX_BATCH)",
                    rs.len(),
                    limits.batch
                )
            };
            return Ok(request_error(
                StatusCode::BAD_REQUEST,
                LIMIT_EXCEEDED,
                &message,
            ));
        }
        let operation_names: Vec<Option<String>> = requests
            .iter()
            .map(|r| {
                r.operation_name
                    .clone()
                    .or_else(|| first_operation_name(&r.query))
            })
            .collect();
        // Single requests only: a batch is rare, and its parts are answered together.
        let cached = match (&self.cache, &batch) {
            (Some(cache), BatchRequest::Single(r)) => ResponseCache::key(r).map(|key| (cache, key)),
            _ => None,
        };
        if let Some((cache, key)) = &cached
            && let Some(body) = cache.get(key)
        {
            self.metrics.graphql_request(started.elapsed());
            self.metrics.operation(operation_names[0].as_deref(), "ok");
            let mut response = respond(StatusCode::OK, body, graphql_json);
            response.extensions_mut().insert(Outcome {
                operation: operation_names[0].clone(),
                outcome: "ok".to_owned(),
                cached: true,
            });
            return Ok(response);
        }
        // Taken before executing, so an answer computed from data that an
        // invalidation during its execution dropped is never kept.
        let generation = cached.as_ref().map(|(cache, _)| cache.generation());
        let response = self.api.execute_batch(batch).await;
        self.metrics.graphql_request(started.elapsed());
        let singles = match &response {
            BatchResponse::Single(r) => std::slice::from_ref(r),
            BatchResponse::Batch(rs) => rs.as_slice(),
        };
        let mut outcomes = Vec::with_capacity(singles.len());
        for (name, single) in operation_names.iter().zip(singles) {
            let outcome = single
                .errors
                .first()
                .and_then(|e| e.extensions.as_ref())
                .and_then(|e| e.get("code"))
                .map_or_else(
                    || "ok".to_owned(),
                    |code| match code {
                        async_graphql::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                );
            self.metrics.operation(name.as_deref(), &outcome);
            outcomes.push(outcome);
        }
        let (status, body) = render(&response, graphql_json);
        if let (Some((cache, key)), Some(generation), BatchResponse::Single(single)) =
            (cached, generation, &response)
            && single.errors.is_empty()
            && status == StatusCode::OK
        {
            cache.insert(key, generation, body.clone());
        }
        let mut rendered = respond(status, body, graphql_json);
        if outcomes.iter().any(|o| o == DATABASE_UNAVAILABLE) {
            rendered.set_status(StatusCode::SERVICE_UNAVAILABLE);
            rendered
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        } else if outcomes.iter().any(|o| o == TIMEOUT) {
            rendered.set_status(StatusCode::GATEWAY_TIMEOUT);
        }
        rendered.extensions_mut().insert(Outcome {
            operation: match operation_names.as_slice() {
                [single] => single.clone(),
                many => Some(format!("batch of {}", many.len())),
            },
            outcome: outcomes
                .iter()
                .find(|o| *o != "ok")
                .cloned()
                .unwrap_or_else(|| "ok".to_owned()),
            cached: false,
        });
        Ok(rendered)
    }
}

/// A body of at most `limit` bytes (`capacity` reserved for it). A longer one
/// is refused with [`ReadBodyError::PayloadTooLarge`] — after the rest of it
/// has been drained when `drain_rest` is set.
async fn read_body(
    body: Body,
    capacity: usize,
    limit: usize,
    drain_rest: bool,
) -> Result<Bytes, ReadBodyError> {
    let mut stream = pin!(body.into_bytes_stream());
    let mut data = BytesMut::with_capacity(capacity);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if data.len() + chunk.len() > limit {
            drop(data);
            if drain_rest {
                drain(stream).await;
            }
            return Err(ReadBodyError::PayloadTooLarge);
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data.freeze())
}

/// Read and throw away the rest of a refused body, chunk by chunk as hyper
/// hands them over (its read buffer bounds each, so memory stays constant),
/// until it ends — then the client, done sending, reads the 413 — or until
/// [`DRAIN_BYTES`] have been read or [`DRAIN_TIME`] has passed, whichever is
/// first: then the connection is cut off with the rest unread.
async fn drain(body: impl Stream<Item = std::io::Result<Bytes>>) {
    let mut body = pin!(body);
    let mut read = 0;
    let to_the_end = async {
        while let Some(chunk) = body.next().await {
            read += chunk.map_err(|_| ())?.len();
            if read > DRAIN_BYTES {
                return Err(());
            }
        }
        Ok(())
    };
    let ended = matches!(
        tokio::time::timeout(DRAIN_TIME, to_the_end).await,
        Ok(Ok(()))
    );
    if !ended {
        tracing::debug!(
            drained = read,
            "a body refused for its size was cut off before its end"
        );
    }
}

/// A POST body → a request or a batch, with a message saying where it is malformed.
fn parse_body(bytes: &[u8]) -> Result<BatchRequest, String> {
    if let Ok(batch) = serde_json::from_slice::<BatchRequest>(bytes) {
        return Ok(batch);
    }
    // Parse again only to say what is wrong, and where.
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Err(e) => Err(format!("the body is not valid JSON: {e}")),
        Ok(_) => Err(
            "the body is not a GraphQL request: expected an object with a string `query` \
             (and optional `operationName`, `variables`, `extensions`), or an array of them"
                .to_owned(),
        ),
    }
}

/// The name of the first operation defined in `query`, for logs and metrics
/// when the request names none (then the document holds one operation). A
/// scan of the top level, not a parse.
fn first_operation_name(query: &str) -> Option<String> {
    let bytes = query.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    let word = |i: &mut usize| {
        let start = *i;
        while *i < bytes.len() && (bytes[*i].is_ascii_alphanumeric() || bytes[*i] == b'_') {
            *i += 1;
        }
        &query[start..*i]
    };
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'(' => depth += 1,
            b'}' | b')' => depth = depth.saturating_sub(1),
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b if depth == 0 && (b.is_ascii_alphabetic() || b == b'_') => {
                let keyword = word(&mut i);
                if matches!(keyword, "query" | "mutation" | "subscription") {
                    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    let name = word(&mut i);
                    return (!name.is_empty()).then(|| name.to_owned());
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether the operation a GET asks for is a mutation (refused with 405).
pub fn is_mutation(query: &str, operation_name: Option<&str>, max_tokens: usize) -> bool {
    // Oversize documents are left for the token limit to refuse after parsing.
    if count_tokens(query, max_tokens) > max_tokens {
        return false;
    }
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    doc.operations.iter().any(|(name, op)| {
        op.node.ty == OperationType::Mutation
            && (operation_name.is_none() || name.map(|n| n.as_str()) == operation_name)
    })
}

/// An error response to a request that could not be read as GraphQL.
pub fn request_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body =
        serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string())
}

/// Serialize a GraphQL response: its status and body.
fn render(response: &BatchResponse, graphql_json: bool) -> (StatusCode, Bytes) {
    let mut status = StatusCode::OK;
    // Serialized straight from the response, so fields keep the query's order.
    let body = match response {
        BatchResponse::Single(single)
            if graphql_json
                && single.data == async_graphql::Value::Null
                && !single.errors.is_empty()
                && single.errors.iter().all(|e| e.path.is_empty()) =>
        {
            // The request failed before execution: a 400, and no `data` entry.
            status = StatusCode::BAD_REQUEST;
            serde_json::to_vec(&serde_json::json!({ "errors": single.errors }))
        }
        _ => serde_json::to_vec(response),
    };
    let body = body.map_or_else(
        |_| {
            Bytes::from_static(
                br#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#,
            )
        },
        Bytes::from,
    );
    (status, body)
}

/// A serialized GraphQL response in the negotiated media type.
fn respond(status: StatusCode, body: Bytes, graphql_json: bool) -> Response {
    let content_type = if graphql_json {
        "application/graphql-response+json; charset=utf-8"
    } else {
        "application/json; charset=utf-8"
    };
    Response::builder()
        .status(status)
        .content_type(content_type)
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_name_is_read_from_the_document_when_not_given() {
        assert_eq!(
            first_operation_name("query Lists { a }").as_deref(),
            Some("Lists")
        );
        assert_eq!(
            first_operation_name(
                "# c\nfragment F on Q { x(s: \"query No\") } query  Yes($a: Int) { ...F }"
            )
            .as_deref(),
            Some("Yes")
        );
        assert_eq!(first_operation_name("{ a }"), None);
        assert_eq!(first_operation_name("query { a }"), None);
    }
}
