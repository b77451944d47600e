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
//! Who asks is checked first ([`super::gate`]): a bad token is 401, and where
//! reads are closed (`LVZHI_READS_REQUIRE_TOKEN`) so is a request without one.
//! A response whose every error is `UNAUTHENTICATED`, `FORBIDDEN` or
//! `CONFLICT` gets that code's status (401, 403, 409), for `application/json`
//! clients too. A mutation POSTed with a token and an `Idempotency-Key` runs
//! once per key ([`super::idempotency`]).
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
use crate::error::ErrorCode;
use crate::graphql::Api;
use crate::graphql::limits::count_tokens;
use crate::metrics::Metrics;

use super::gate::{CHALLENGE, Gate, token_required};
use super::idempotency::{self, Claim, Keyed};
use super::observe::Outcome;
use super::reply;

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
    /// The token check, its throttle, and whether reads need a token.
    pub gate: Arc<Gate>,
    /// How long an idempotency key is remembered (`LVZHI_IDEMPOTENCY_TTL`).
    pub idempotency_ttl: Duration,
    /// Woken after each mutation, so this process's followers (cache,
    /// webhooks, subscriptions) see its writes at once, even on SQLite.
    pub changes: crate::changes::Changes,
}

/// An HTTP request read as GraphQL: the request or batch, and the body it
/// came in (for idempotency keys; `None` for a GET).
struct Read {
    batch: BatchRequest,
    body: Option<Bytes>,
}

/// A mutation sent with a token and an idempotency key: its claim's key.
struct KeyedMutation {
    token_id: i32,
    key: String,
}

/// A stage of the endpoint: what the next stage needs, or the response that
/// already answers the request (a refusal, or GraphiQL).
type Step<T> = Result<T, Response>;

/// A single request the response cache may answer: the cache and its key.
struct Cacheable<'a> {
    cache: &'a ResponseCache,
    key: Box<str>,
}

impl Endpoint for GraphQLEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let graphql_json = header_text(&req, header::ACCEPT).contains(GRAPHQL_RESPONSE_JSON);
        let key = req.headers().get(idempotency::HEADER).cloned();
        let actor = match self.gate.actor(&req).await {
            Ok(actor) => actor,
            Err(refused) => return Ok(refused),
        };
        let read = match self.read(req).await {
            Ok(read) => read,
            Err(answered) => return Ok(answered),
        };
        // After reading, so that GraphiQL's page stays reachable.
        if self.gate.reads_closed() && actor.principal.is_none() {
            return Ok(token_required(
                "this endpoint needs a token (LVZHI_READS_REQUIRE_TOKEN): send `Authorization: Bearer <token>`",
            ));
        }
        let token_id = actor.principal.as_ref().map(|p| p.token_id);
        let batch = read.batch.data(actor);
        if let Some(refused) = batch_refusal(&batch, self.api.limits().batch) {
            return Ok(refused);
        }
        let names = operation_names(&batch);
        let writes = self.writes(&batch);
        let keyed = match keyed_mutation(key.as_ref(), token_id, writes, read.body.as_ref()) {
            Ok(keyed) => keyed,
            Err(message) => return Ok(bad_request(&message)),
        };
        if let (Some(keyed), Some(body)) = (&keyed, &read.body)
            && let Some(answered) = self.claim(keyed, body, &names, started, graphql_json).await
        {
            return Ok(answered);
        }
        // An answer to a token's holder may hold what others may not read
        // (the audit log, requests): it is neither cached nor answered from the cache.
        let cacheable = self.cacheable(&batch).filter(|_| token_id.is_none());
        let now = crate::date::now_ms();
        if let Some(cached) = cacheable.as_ref().and_then(|c| c.cache.lookup(&c.key, now)) {
            return Ok(self.cached_answer(cached, &names, started, graphql_json));
        }
        let (response, body) = self
            .execute(batch, &names, cacheable, writes, started, graphql_json)
            .await;
        if writes {
            // Before the answer leaves: every later read through this process
            // then sees the write, from the replica only once it has it.
            self.api.reads().caught_up_with_primary().await;
            self.changes.poke();
        }
        if let Some(keyed) = keyed {
            self.finish(&keyed, response.status(), &body).await;
        }
        Ok(response)
    }
}

impl GraphQLEndpoint {
    /// The GraphQL request (or batch) of an HTTP request, by its method.
    async fn read(&self, req: Request) -> Step<Read> {
        match *req.method() {
            Method::GET => Ok(Read {
                batch: self.read_get(req).await?,
                body: None,
            }),
            Method::POST => self.read_post(req).await,
            _ => Err(method_not_allowed("use GET or POST", "GET, POST")),
        }
    }

    /// Whether `batch` writes: its answer is never cached, and an
    /// idempotency key applies to it.
    fn writes(&self, batch: &BatchRequest) -> bool {
        requests(batch).iter().any(|r| {
            r.query.contains("mutation")
                && is_mutation(
                    &r.query,
                    r.operation_name.as_deref(),
                    self.api.limits().tokens,
                )
        })
    }

    /// Claim a keyed mutation's key: `None` to execute it, or the answer —
    /// the first one replayed, a `CONFLICT`, or a database fault.
    async fn claim(
        &self,
        keyed: &KeyedMutation,
        body: &[u8],
        names: &[Option<String>],
        started: Instant,
        graphql_json: bool,
    ) -> Option<Response> {
        let hash = idempotency::request_hash(body);
        let request = Keyed {
            token_id: keyed.token_id,
            key: &keyed.key,
            request_hash: &hash,
        };
        let claimed = idempotency::claim(
            self.api.db(),
            request,
            crate::auth::token::now(),
            self.idempotency_ttl,
            self.api.limits().request_timeout,
        )
        .await;
        match claimed {
            Ok(Claim::Execute) => None,
            Ok(Claim::Replay { status, body }) => {
                Some(self.replayed(status, body, names, started, graphql_json))
            }
            Ok(Claim::Conflict(message)) => Some(reply::error(ErrorCode::Conflict, &message)),
            Err(e) => {
                let code = ErrorCode::of_database(&e);
                tracing::error!(error = %e, "claiming an idempotency key failed");
                Some(reply::error(code, "cannot check the Idempotency-Key now"))
            }
        }
    }

    /// The first answer to a keyed mutation, again.
    fn replayed(
        &self,
        status: u16,
        body: String,
        names: &[Option<String>],
        started: Instant,
        graphql_json: bool,
    ) -> Response {
        self.metrics.graphql_request(started.elapsed());
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        let mut response = respond(status, Bytes::from(body), graphql_json);
        response
            .headers_mut()
            .insert(idempotency::REPLAYED, HeaderValue::from_static("true"));
        response.extensions_mut().insert(Outcome {
            operation: names.first().cloned().flatten(),
            outcome: "replayed".to_owned(),
            cached: true,
        });
        response
    }

    /// Keep a keyed mutation's answer for its retries — or, when a server
    /// fault failed it, drop its claim so a retry runs it.
    async fn finish(&self, keyed: &KeyedMutation, status: StatusCode, body: &Bytes) {
        let db = self.api.db();
        let stored = if status.is_server_error() {
            idempotency::release(db, keyed.token_id, &keyed.key).await
        } else {
            let body = String::from_utf8_lossy(body);
            idempotency::finish(db, keyed.token_id, &keyed.key, status.as_u16(), &body).await
        };
        if let Err(e) = stored {
            // The write itself is done; its retry will be refused as in
            // progress until the request time limit has passed.
            tracing::error!(error = %e, "storing an idempotency key's answer failed");
        }
    }

    /// A GET: the request in the query string. A browser asking for no query
    /// gets GraphiQL (outside production); a mutation is refused with 405.
    async fn read_get(&self, req: Request) -> Step<BatchRequest> {
        let query = req.uri().query().unwrap_or("");
        if !query.split('&').any(|pair| pair.starts_with("query=")) {
            return Err(self.without_query(&req));
        }
        let (req, mut body) = req.split();
        let batch = GraphQLBatchRequest::from_request(&req, &mut body)
            .await
            .map_err(|e| bad_request(&format!("malformed GraphQL request: {e}")))?
            .0;
        if let BatchRequest::Single(r) = &batch
            && is_mutation(
                &r.query,
                r.operation_name.as_deref(),
                self.api.limits().tokens,
            )
        {
            return Err(method_not_allowed(
                "mutations are accepted over POST only",
                "POST",
            ));
        }
        Ok(batch)
    }

    /// The answer to a GET without a query: GraphiQL for a browser outside
    /// production, else 400.
    fn without_query(&self, req: &Request) -> Response {
        if header_text(req, header::ACCEPT).contains("text/html")
            && self.environment == Environment::Development
        {
            super::assets::graphiql_page(req)
        } else {
            bad_request("a GET request needs a `query` parameter")
        }
    }

    /// A POST: a JSON body within the size limit, holding a request or a batch.
    async fn read_post(&self, req: Request) -> Step<Read> {
        if !is_json(&req) {
            return Err(reply::error_with_status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::BadRequest,
                "a POST request needs the content type application/json",
            ));
        }
        let bytes = read_limited(req, self.api.limits().body_bytes).await?;
        let batch = parse_body(&bytes).map_err(|message| bad_request(&message))?;
        Ok(Read {
            batch,
            body: Some(bytes),
        })
    }

    /// Where the answer to `batch` is cached: single requests only (a batch is
    /// rare, and its parts are answered together), when the cache is on.
    fn cacheable(&self, batch: &BatchRequest) -> Option<Cacheable<'_>> {
        match (&self.cache, batch) {
            (Some(cache), BatchRequest::Single(r)) => {
                ResponseCache::key(r).map(|key| Cacheable { cache, key })
            }
            _ => None,
        }
    }

    /// The answer to a single request asked before, counted as an execution would be.
    fn cached_answer(
        &self,
        cached: crate::cache::Cached,
        names: &[Option<String>],
        started: Instant,
        graphql_json: bool,
    ) -> Response {
        self.metrics.graphql_request(started.elapsed());
        self.metrics.operation(names[0].as_deref(), OK);
        let body = match cached.stale {
            Some(_) => marked_stale(&cached.body),
            None => cached.body,
        };
        let mut response = respond(StatusCode::OK, body, graphql_json);
        if let Some(stale) = cached.stale {
            response.headers_mut().insert(
                STALE,
                HeaderValue::from_str(&stale.as_secs().to_string())
                    .unwrap_or(HeaderValue::from_static("0")),
            );
        }
        response.extensions_mut().insert(Outcome {
            operation: names[0].clone(),
            outcome: OK.to_owned(),
            cached: true,
        });
        response
    }

    /// Execute `batch` and answer it: counted, kept in the cache when it may be
    /// (never when it `writes`: a retry must reach the write), 503 or 504 when
    /// a server fault failed it, 401, 403 or 409 when refused; with its body.
    async fn execute(
        &self,
        batch: BatchRequest,
        names: &[Option<String>],
        cacheable: Option<Cacheable<'_>>,
        writes: bool,
        started: Instant,
        graphql_json: bool,
    ) -> (Response, Bytes) {
        // Taken before executing, so an answer computed from data that an
        // invalidation during its execution dropped is never kept.
        let generation = cacheable.as_ref().map(|c| c.cache.generation());
        let response = self.api.execute_batch(batch).await;
        self.metrics.graphql_request(started.elapsed());
        let outcomes = self.count_outcomes(names, &response);
        let (status, body) = render(&response, graphql_json);
        if let (Some(cacheable), Some(generation)) = (cacheable, generation)
            && status == StatusCode::OK
            && matches!(&response, BatchResponse::Single(single) if single.errors.is_empty())
            && !writes
        {
            cacheable
                .cache
                .insert(cacheable.key, generation, body.clone());
        }
        let mut rendered = respond(status, body.clone(), graphql_json);
        raise_for_faults(&mut rendered, &outcomes);
        raise_for_refusals(&mut rendered, &response);
        rendered
            .extensions_mut()
            .insert(executed_outcome(names, &outcomes));
        (rendered, body)
    }

    /// The outcome of each operation (`ok` or its first error's code), counted
    /// in the metrics.
    fn count_outcomes(&self, names: &[Option<String>], response: &BatchResponse) -> Vec<String> {
        let singles = match response {
            BatchResponse::Single(r) => std::slice::from_ref(r),
            BatchResponse::Batch(rs) => rs.as_slice(),
        };
        names
            .iter()
            .zip(singles)
            .map(|(name, single)| {
                let outcome = outcome_of(single);
                self.metrics.operation(name.as_deref(), &outcome);
                outcome
            })
            .collect()
    }
}

/// The outcome of an operation that succeeded.
const OK: &str = "ok";

/// `ok`, or the code of the response's first error.
fn outcome_of(response: &async_graphql::Response) -> String {
    response
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|e| e.get("code"))
        .map_or_else(
            || OK.to_owned(),
            |code| match code {
                async_graphql::Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        )
}

/// What the log line says about an executed request: the operation (or
/// `batch of N`) and the first outcome that is not `ok`.
fn executed_outcome(names: &[Option<String>], outcomes: &[String]) -> Outcome {
    Outcome {
        operation: match names {
            [single] => single.clone(),
            many => Some(format!("batch of {}", many.len())),
        },
        outcome: outcomes
            .iter()
            .find(|o| *o != OK)
            .cloned()
            .unwrap_or_else(|| OK.to_owned()),
        cached: false,
    }
}

/// A request that failed because the database is unreachable gets 503 (with
/// `Retry-After`), one past a time limit 504; any other GraphQL response keeps
/// its status.
fn raise_for_faults(response: &mut Response, outcomes: &[String]) {
    let failed_with = |code: ErrorCode| outcomes.iter().any(|o| ErrorCode::parse(o) == Some(code));
    if failed_with(ErrorCode::DatabaseUnavailable) {
        response.set_status(ErrorCode::DatabaseUnavailable.status());
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    } else if failed_with(ErrorCode::Timeout) {
        response.set_status(ErrorCode::Timeout.status());
    }
}

/// A response refused as a whole gets the status of its refusal: when every
/// error of every operation is `UNAUTHENTICATED` (401, with the challenge of
/// RFC 6750), `FORBIDDEN` (403) or `CONFLICT` (409) — one code throughout.
fn raise_for_refusals(response: &mut Response, answered: &BatchResponse) {
    let singles = match answered {
        BatchResponse::Single(r) => std::slice::from_ref(r),
        BatchResponse::Batch(rs) => rs.as_slice(),
    };
    let mut codes = singles.iter().map(sole_code);
    let Some(Some(code)) = codes.next() else {
        return;
    };
    if !codes.all(|c| c == Some(code))
        || !matches!(
            code,
            ErrorCode::Unauthenticated | ErrorCode::Forbidden | ErrorCode::Conflict
        )
    {
        return;
    }
    response.set_status(code.status());
    if code == ErrorCode::Unauthenticated {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(CHALLENGE),
        );
    }
}

/// The code every error of `response` carries; `None` without errors or
/// with several codes.
fn sole_code(response: &async_graphql::Response) -> Option<ErrorCode> {
    let mut codes = response.errors.iter().map(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(s) => ErrorCode::parse(s),
                _ => None,
            })
    });
    let first = codes.next()??;
    codes.all(|c| c == Some(first)).then_some(first)
}

/// The key of a mutation POSTed with a token and an `Idempotency-Key`;
/// `None` when the header does not apply (no header, no token — execution
/// refuses the write —, not a mutation, a GET); why a malformed key is one.
fn keyed_mutation(
    value: Option<&HeaderValue>,
    token_id: Option<i32>,
    writes: bool,
    body: Option<&Bytes>,
) -> Result<Option<KeyedMutation>, String> {
    let (Some(value), Some(token_id), true, Some(_)) = (value, token_id, writes, body) else {
        return Ok(None);
    };
    let key = idempotency::parse_key(value)?;
    Ok(Some(KeyedMutation { token_id, key }))
}

/// The requests of a batch (one for a single request).
fn requests(batch: &BatchRequest) -> &[async_graphql::Request] {
    match batch {
        BatchRequest::Single(r) => std::slice::from_ref(r),
        BatchRequest::Batch(rs) => rs.as_slice(),
    }
}

/// The refusal of a batch without a query in every request (400), or with
/// more requests than `max` (`LVZHI_MAX_BATCH`); `None` for a batch to execute.
fn batch_refusal(batch: &BatchRequest, max: usize) -> Option<Response> {
    let requests = requests(batch);
    if requests.is_empty() || requests.iter().any(|r| r.query.trim().is_empty()) {
        return Some(bad_request("the request has no `query`"));
    }
    if matches!(batch, BatchRequest::Batch(_)) && requests.len() > max {
        let message = if max == 0 {
            "batched requests are not accepted (LVZHI_MAX_BATCH=0)".to_owned()
        } else {
            format!(
                "the batch holds {} operations, more than {max} (LVZHI_MAX_BATCH)",
                requests.len(),
            )
        };
        return Some(reply::error(ErrorCode::LimitExceeded, &message));
    }
    None
}

/// The operation name of each request, as given or read from its document.
fn operation_names(batch: &BatchRequest) -> Vec<Option<String>> {
    requests(batch)
        .iter()
        .map(|r| {
            r.operation_name
                .clone()
                .or_else(|| first_operation_name(&r.query))
        })
        .collect()
}

/// A header's value as text; empty when absent or not text.
fn header_text(req: &Request, name: header::HeaderName) -> &str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Whether the content type is `application/json` (parameters aside).
fn is_json(req: &Request) -> bool {
    let content_type = header_text(req, header::CONTENT_TYPE);
    content_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// A request that is not a GraphQL request (400).
fn bad_request(message: &str) -> Response {
    reply::error(ErrorCode::BadRequest, message)
}

/// A method the endpoint does not take for this request (405), with the ones it does.
fn method_not_allowed(message: &str, allow: &'static str) -> Response {
    reply::error_with_status(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::BadRequest,
        message,
    )
    .with_header(header::ALLOW, allow)
    .into_response()
}

/// The body of a POST, at most `limit` bytes. A body declared larger is
/// refused before any of it is kept, and a longer one as soon as it passes the
/// limit; over HTTP/1 the rest is drained first (see the module's comment).
async fn read_limited(req: Request, limit: usize) -> Step<Bytes> {
    // Only HTTP/1 needs the drain: HTTP/2 ends just the stream.
    let http1 = req.version() <= Version::HTTP_11;
    let declared = header_text(&req, header::CONTENT_LENGTH)
        .parse::<u64>()
        .ok();
    if let Some(length) = declared
        && length > limit as u64
    {
        if http1 && !waits_for_continue(&req) && length <= DRAIN_BYTES as u64 {
            drain(req.into_body().into_bytes_stream()).await;
        }
        return Err(too_large(limit, http1));
    }
    let capacity = declared.unwrap_or(0) as usize;
    match read_body(req.into_body(), capacity, limit, http1).await {
        Ok(bytes) => Ok(bytes),
        Err(ReadBodyError::PayloadTooLarge) => Err(too_large(limit, http1)),
        Err(e) => Err(bad_request(&format!("cannot read the body: {e}"))),
    }
}

/// Whether the client waits for `100 Continue` before sending its body: it
/// sends nothing until the body is read, so the 413 is answered at once, and
/// hyper never asks.
fn waits_for_continue(req: &Request) -> bool {
    req.version() == Version::HTTP_11
        && req
            .headers()
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

/// A body larger than `limit` (413); over HTTP/1 the connection then closes.
fn too_large(limit: usize, http1: bool) -> Response {
    let mut response = reply::error_with_status(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::LimitExceeded,
        &format!("the body is larger than {limit} bytes (LVZHI_MAX_BODY_BYTES)"),
    );
    if http1 {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
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

/// The header of an answer served from the cache while the data version
/// could not be read: for how many seconds it could not.
pub const STALE: &str = "lvzhi-stale";

/// A cached answer with `"extensions": {"stale": true}` added.
fn marked_stale(body: &Bytes) -> Bytes {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut answer)) => {
            let extensions = answer
                .entry("extensions")
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
            if let Some(extensions) = extensions.as_object_mut() {
                extensions.insert("stale".to_owned(), serde_json::Value::Bool(true));
            }
            Bytes::from(serde_json::Value::Object(answer).to_string())
        }
        _ => body.clone(),
    }
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
