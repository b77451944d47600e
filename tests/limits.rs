//! Request limits end to end: hostile requests, every default limit at its edge
//! (just under passes, just over is refused), the request time limit over
//! HTTP. Every hostile request must get a clear 4xx or a GraphQL error with a
//! `code`, without hanging, and leave the server serving normal queries.

mod common;

use std::time::{Duration, Instant};

use common::TestDb;
use common::answer::{Answer, post_json, post_raw, send};
use common::app::TestApp;
use serde_json::{Value, json};

/// The longest a refusal may take. Refusals are immediate; this bound only
/// catches a hang, so it is far above what a debug build takes while other
/// tests run in parallel on a shared machine (a fixed 5 s was not).
const HANG: Duration = Duration::from_secs(30);

/// After a hostile request: it was refused quickly with a code, and a normal
/// query still works.
async fn refused_then_still_serving(app: &TestApp, answer: &Answer, code: &str) {
    assert_eq!(answer.code(), code, "{}", answer.body);
    assert!(
        answer.took < HANG,
        "took {:?}: {}",
        answer.took,
        answer.body
    );
    let normal = app.graphql("{ dutyLists { town } }", json!({})).await;
    assert_eq!(normal["data"]["dutyLists"][0]["town"], "乌恰镇", "{normal}");
}

/// A piece of a raw body: 64 KiB.
const PIECE: usize = 64 << 10;
/// The framing header of a chunked body, and its last chunk.
const CHUNKED: &str = "transfer-encoding: chunked";
const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// The head of a POST to `/graphql` with `framing` (its length or chunking)
/// and no `Connection` header: the server decides whether to close.
fn head(framing: &str) -> String {
    format!(
        "POST /graphql HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n\
         {framing}\r\n\r\n"
    )
}

/// A piece of a body sent with a length: spaces.
fn spaces() -> Vec<u8> {
    vec![b' '; PIECE]
}

/// A piece of a chunked body: one chunk of spaces.
fn chunk() -> Vec<u8> {
    format!("{PIECE:x}\r\n{}\r\n", " ".repeat(PIECE)).into_bytes()
}

/// `future`, which must finish within a minute (a raw exchange the server
/// never ends would otherwise hang the test).
async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("the exchange ends within a minute")
}

/// What a client that sends its whole body before reading saw — as Python's
/// urllib and many Java and .NET clients do (no `Expect: 100-continue`).
struct Sent {
    /// Body bytes written before writing failed, or all of them.
    written: usize,
    /// Why writing the body failed (a broken pipe, a reset), if it did.
    write_error: Option<std::io::Error>,
    /// The status line, headers and body, as far as they could be read.
    reply: String,
    took: Duration,
}

impl Sent {
    /// The reply as an answer; panics without a status line.
    fn answer(&self) -> Answer {
        let status: u16 = self
            .reply
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {:?}", self.reply));
        let body = self.reply.split("\r\n\r\n").nth(1).unwrap_or("");
        Answer {
            status,
            body: serde_json::from_str(body).unwrap_or_else(|_| json!({ "raw": body })),
            took: self.took,
        }
    }

    /// The value of header `name` in the reply.
    fn header(&self, name: &str) -> Option<String> {
        let head = self.reply.split("\r\n\r\n").next()?;
        head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

/// Over a new connection: write `head`, `pieces` copies of `piece` and `tail`
/// without reading anything, then read the reply until the server closes.
async fn send_whole(app: &TestApp, head: &str, piece: &[u8], pieces: usize, tail: &[u8]) -> Sent {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let started = Instant::now();
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut written, mut write_error) = (0, None);
    for _ in 0..pieces {
        if let Err(e) = stream.write_all(piece).await {
            write_error = Some(e);
            break;
        }
        written += piece.len();
    }
    if write_error.is_none()
        && let Err(e) = stream.write_all(tail).await
    {
        write_error = Some(e);
    }
    let mut reply = Vec::new();
    // A reset may end the reply early; what arrived before it is kept.
    let _ = stream.read_to_end(&mut reply).await;
    Sent {
        written,
        write_error,
        reply: String::from_utf8_lossy(&reply).into_owned(),
        took: started.elapsed(),
    }
}

/// The whole oversize body went out without a broken pipe, the 413 and its
/// JSON error came back with `Connection: close`, and a normal query still works.
async fn refused_after_the_whole_body(app: &TestApp, sent: &Sent) {
    assert!(
        sent.write_error.is_none(),
        "writing the body failed after {} bytes: {:?}; reply {:?}",
        sent.written,
        sent.write_error,
        sent.reply
    );
    let answer = sent.answer();
    assert_eq!(answer.status, 413, "{}", answer.body);
    let message = answer.body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("LVZHI_MAX_BODY_BYTES"), "{}", answer.body);
    assert_eq!(
        sent.header("connection").as_deref(),
        Some("close"),
        "{:?}",
        sent.reply
    );
    refused_then_still_serving(app, &answer, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn a_query_nested_100_levels_deep_is_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    // Department → cooperations → duty → departments → … is a cycle in the schema.
    let open = "{ duties(first: 1) { nodes { ".to_owned()
        + &"departments { cooperations { duty { ".repeat(33)
        + "id";
    let query = open.clone() + &" }".repeat(open.matches('{').count());
    let answer = post_json(&app, &json!({ "query": query })).await;
    assert!(answer.body["data"].is_null(), "{}", answer.body);
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn a_query_just_past_the_depth_limit_names_the_limit() {
    let app = TestApp::spawn_with(TestDb::sqlite().await, |c| c.limits.depth = 3).await;
    let answer = post_json(
        &app,
        &json!({ "query": "{ duties(first: 1) { nodes { category { name } } } }" }),
    )
    .await;
    assert!(
        answer.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("LVZHI_MAX_DEPTH"),
        "{}",
        answer.body
    );
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn ten_thousand_aliases_are_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let fields: String = (0..10_000).map(|i| format!("a{i}: __typename ")).collect();
    let answer = post_json(&app, &json!({ "query": format!("{{ {fields} }}") })).await;
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn too_many_aliases_root_fields_tokens_or_directives_are_each_refused_naming_their_limit() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let aliases: String = (0..51).map(|i| format!("a{i}: __typename ")).collect();
    let roots = "{ ".to_owned() + &"__typename ".repeat(21) + "}";
    let tokens = "{ ".to_owned() + &"__typename ".repeat(15_001) + "}";
    let directives = "{ __typename".to_owned() + &" @include(if: true)".repeat(6) + " }";
    for (query, variable) in [
        (format!("{{ {aliases} }}"), "LVZHI_MAX_ALIASES"),
        (roots, "LVZHI_MAX_ROOT_FIELDS"),
        (tokens, "LVZHI_MAX_TOKENS"),
        (directives, "LVZHI_MAX_DIRECTIVES"),
    ] {
        let answer = post_json(&app, &json!({ "query": query })).await;
        let message = answer.body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains(variable), "{variable}: {}", answer.body);
        refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
    }
}

#[tokio::test]
async fn a_query_whose_lists_multiply_past_the_complexity_limit_is_refused() {
    let app = TestApp::spawn_with(TestDb::sqlite().await, |c| c.limits.complexity = 500).await;
    let answer = post_json(
        &app,
        &json!({ "query": "{ duties(first: 100) { nodes { name departmentItems { text } townItems { text } } } }" }),
    )
    .await;
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
    // The same shape with a small page fits.
    let small = app
        .graphql("{ duties(first: 2) { nodes { name } } }", json!({}))
        .await;
    assert!(small["errors"].is_null(), "{small}");
}

#[tokio::test]
async fn a_ten_mib_body_gets_413() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let padding = " ".repeat(10 << 20);
    let body = format!("{{\"query\": \"{{ __typename }}\"{padding}}}");
    let answer = post_raw(&app, "application/json", body.into_bytes()).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn a_ten_mib_body_without_a_length_gets_413_too() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    // A chunked body declares no length: the limit applies while reading.
    let sent = within(send_whole(&app, &head(CHUNKED), &chunk(), 160, LAST_CHUNK)).await;
    refused_after_the_whole_body(&app, &sent).await;
}

#[tokio::test]
async fn a_client_that_sends_an_8_mib_body_whole_without_waiting_gets_the_413_not_a_broken_pipe() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    // 8 times the limit: on loopback the kernel's socket buffers take in a
    // few MiB, more than a remote client has in flight, so a smaller body
    // could be written whole even to a server that closes at once.
    let pieces = (8 << 20) / PIECE;
    let declared = head(&format!("content-length: {}", pieces * PIECE));
    let sent = within(send_whole(&app, &declared, &spaces(), pieces, b"")).await;
    refused_after_the_whole_body(&app, &sent).await;
    let sent = within(send_whole(
        &app,
        &head(CHUNKED),
        &chunk(),
        pieces,
        LAST_CHUNK,
    ))
    .await;
    refused_after_the_whole_body(&app, &sent).await;
}

#[tokio::test]
async fn a_body_far_above_the_drain_bound_is_cut_off_without_being_read_to_its_end() {
    use lvzhi::server::graphql::DRAIN_BYTES;
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let pieces = 16 * DRAIN_BYTES / PIECE;
    // Declared: refused before any of it is read.
    let declared = head(&format!("content-length: {}", pieces * PIECE));
    let cut_off = |sent: &Sent, piece: &[u8]| {
        let whole = pieces * piece.len();
        assert!(
            sent.write_error.is_some() && sent.written < whole / 2,
            "{} of {whole} bytes were written before {:?}",
            sent.written,
            sent.write_error
        );
    };
    let sent = within(send_whole(&app, &declared, &spaces(), pieces, b"")).await;
    cut_off(&sent, &spaces());
    // Chunked: read and discarded up to the bound, then cut off.
    let sent = within(send_whole(
        &app,
        &head(CHUNKED),
        &chunk(),
        pieces,
        LAST_CHUNK,
    ))
    .await;
    cut_off(&sent, &chunk());
    let normal = app.graphql("{ dutyLists { town } }", json!({})).await;
    assert_eq!(normal["data"]["dutyLists"][0]["town"], "乌恰镇", "{normal}");
}

#[tokio::test]
async fn a_client_that_stalls_inside_an_oversize_body_gets_the_413_when_the_drain_time_is_up() {
    use lvzhi::server::graphql::DRAIN_TIME;
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    // Half of a declared 2 MiB body, then nothing: the drain waits for the
    // rest until its time is up, then answers.
    let declared = head(&format!("content-length: {}", 2 << 20));
    let sent = within(send_whole(
        &app,
        &declared,
        &spaces(),
        (1 << 20) / PIECE,
        b"",
    ))
    .await;
    assert!(sent.write_error.is_none(), "{:?}", sent.write_error);
    let answer = sent.answer();
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(answer.code(), "LIMIT_EXCEEDED", "{}", answer.body);
    assert!(sent.took >= DRAIN_TIME, "answered after {:?}", sent.took);
    let normal = app.graphql("{ dutyLists { town } }", json!({})).await;
    assert_eq!(normal["data"]["dutyLists"][0]["town"], "乌恰镇", "{normal}");
}

#[tokio::test]
async fn an_oversize_body_announced_with_expect_100_continue_is_refused_before_it_is_sent() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let declared = head(&format!(
        "content-length: {}\r\nexpect: 100-continue",
        2 << 20
    ));
    // The client waits for `100 Continue` and sends nothing; the 413 comes instead.
    let sent = within(send_whole(&app, &declared, &[], 0, b"")).await;
    assert!(sent.reply.starts_with("HTTP/1.1 413"), "{:?}", sent.reply);
    refused_then_still_serving(&app, &sent.answer(), "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn a_batch_of_1000_operations_is_refused_and_a_batch_of_two_is_run() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let batch: Vec<Value> = (0..1000)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let answer = post_json(&app, &Value::Array(batch)).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;

    let two = post_json(
        &app,
        &json!([{ "query": "{ __typename }" }, { "query": "{ dutyLists { town } }" }]),
    )
    .await;
    assert_eq!(two.status, 200, "{}", two.body);
    assert_eq!(two.body[1]["data"]["dutyLists"][0]["town"], "乌恰镇");
}

#[tokio::test]
async fn batches_can_be_switched_off() {
    let app = TestApp::spawn_with(TestDb::sqlite().await, |c| c.limits.batch = 0).await;
    let answer = post_json(&app, &json!([{ "query": "{ __typename }" }])).await;
    assert!(
        answer.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not accepted"),
        "{}",
        answer.body
    );
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn exponentially_expanding_fragments_are_refused_quickly() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let mut query = String::from("query { ...F0 }\n");
    for i in 0..30 {
        let spreads = format!("...F{} ", i + 1).repeat(10);
        query += &format!("fragment F{i} on Query {{ {spreads} }}\n");
    }
    query += "fragment F30 on Query { __typename }";
    let answer = post_json(&app, &json!({ "query": query })).await;
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn deeply_nested_fragments_are_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let mut query = String::from("query { ...F0 }\n");
    for i in 0..100 {
        query += &format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1);
    }
    query += "fragment F100 on Query { __typename }";
    let answer = post_json(&app, &json!({ "query": query })).await;
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn cyclic_fragments_are_a_validation_error() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let query = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    let answer = post_json(&app, &json!({ "query": query })).await;
    assert!(answer.body["data"].is_null(), "{}", answer.body);
    let code = answer.code().to_owned();
    assert!(
        code == "GRAPHQL_VALIDATION_FAILED" || code == "LIMIT_EXCEEDED",
        "{}",
        answer.body
    );
    refused_then_still_serving(&app, &answer, &code).await;
}

#[tokio::test]
async fn a_page_of_a_million_is_bad_user_input() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let answer = post_json(
        &app,
        &json!({ "query": "{ duties(first: 1000000) { nodes { name } } }" }),
    )
    .await;
    refused_then_still_serving(&app, &answer, "BAD_USER_INPUT").await;
    let answer = post_json(
        &app,
        &json!({ "query": "{ search(query: \"林\", first: 1000000) { totalCount } }" }),
    )
    .await;
    refused_then_still_serving(&app, &answer, "BAD_USER_INPUT").await;
}

#[tokio::test]
async fn the_page_ceiling_is_configurable() {
    let app = TestApp::spawn_with(TestDb::sqlite().await, |c| c.limits.page_size = 5).await;
    let answer = post_json(
        &app,
        &json!({ "query": "{ duties(first: 6) { nodes { name } } }" }),
    )
    .await;
    assert!(
        answer.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("LVZHI_MAX_PAGE_SIZE"),
        "{}",
        answer.body
    );
    refused_then_still_serving(&app, &answer, "BAD_USER_INPUT").await;
}

#[tokio::test]
async fn a_list_longer_than_the_list_ceiling_is_refused() {
    let app = TestApp::spawn_with(TestDb::sqlite().await, |c| c.limits.list_items = 10).await;
    let answer = post_json(&app, &json!({ "query": "{ departments { name } }" })).await;
    assert!(
        answer.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("LVZHI_MAX_LIST_ITEMS"),
        "{}",
        answer.body
    );
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn malformed_json_gets_400_saying_where() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let answer = post_raw(
        &app,
        "application/json",
        b"{\"query\": \"{ __typename }\"".to_vec(),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let message = answer.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("not valid JSON") && message.contains("column"),
        "{message}"
    );
    refused_then_still_serving(&app, &answer, "BAD_REQUEST").await;

    let answer = post_json(&app, &json!({ "query": 42 })).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    refused_then_still_serving(&app, &answer, "BAD_REQUEST").await;
}

#[tokio::test]
async fn bytes_that_are_not_utf8_get_400() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let mut body = b"{\"query\": \"{ __typename }\", \"operationName\": \"".to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    body.extend_from_slice(b"\"}");
    let answer = post_raw(&app, "application/json", body).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    refused_then_still_serving(&app, &answer, "BAD_REQUEST").await;
}

#[tokio::test]
async fn a_wrong_content_type_gets_415() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let answer = post_raw(&app, "text/plain", b"{ __typename }".to_vec()).await;
    assert_eq!(answer.status, 415, "{}", answer.body);
    refused_then_still_serving(&app, &answer, "BAD_REQUEST").await;
}

#[tokio::test]
async fn a_huge_string_variable_is_refused_by_its_field() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let huge = "林".repeat(300_000);
    let answer = post_json(
        &app,
        &json!({ "query": "query($q: String!) { search(query: $q) { totalCount } }", "variables": { "q": huge } }),
    )
    .await;
    refused_then_still_serving(&app, &answer, "BAD_USER_INPUT").await;
}

#[tokio::test]
async fn a_mutation_over_get_gets_405() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let answer = send(
        app.client
            .get(format!("{}/graphql", app.address))
            .query(&[("query", "mutation { __typename }")]),
    )
    .await;
    assert_eq!(answer.status, 405, "{}", answer.body);
    refused_then_still_serving(&app, &answer, "BAD_REQUEST").await;
}

#[tokio::test]
async fn the_standard_introspection_query_fits_the_default_limits() {
    // What GraphiQL and client generators send (graphql-js getIntrospectionQuery).
    let query = r#"query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name }
      types { ...FullType } directives { name description locations args { ...InputValue } } } }
    fragment FullType on __Type { kind name description
      fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
      inputFields { ...InputValue } interfaces { ...TypeRef }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
    fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
    fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
      ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let body = app.graphql(query, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(body["data"]["__schema"]["types"].as_array().unwrap().len() > 20);
}

/// `query` passed every limit: a 200 without errors.
async fn passes(app: &TestApp, body: &Value) {
    let answer = post_json(app, body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body["errors"].is_null(), "{}", answer.body);
}

/// `query` was refused by the limit of `variable`, and the server still serves.
async fn refused_by(app: &TestApp, body: &Value, variable: &str) {
    let answer = post_json(app, body).await;
    let message = answer.body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains(variable), "{variable}: {}", answer.body);
    refused_then_still_serving(app, &answer, "LIMIT_EXCEEDED").await;
}

/// A query `depth` fields deep: `__type`, `ofType`s, `name`. Introspection
/// nests single objects, so depth costs no complexity.
fn nested(depth: usize) -> Value {
    let query = "{ __type(name: \"Duty\") { ".to_owned()
        + &"ofType { ".repeat(depth - 2)
        + "name"
        + &" }".repeat(depth);
    json!({ "query": query })
}

#[tokio::test]
async fn at_the_default_depth_16_levels_pass_and_17_are_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    passes(&app, &nested(16)).await;
    refused_by(&app, &nested(17), "LVZHI_MAX_DEPTH").await;
}

/// A query with `n` aliased fields, below the root so they are one root field.
fn aliased(n: usize) -> Value {
    let fields: String = (0..n).map(|i| format!("a{i}: name ")).collect();
    json!({ "query": format!("{{ department(name: \"县住建局\") {{ {fields} }} }}") })
}

#[tokio::test]
async fn at_the_default_aliases_50_pass_and_51_are_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    passes(&app, &aliased(50)).await;
    refused_by(&app, &aliased(51), "LVZHI_MAX_ALIASES").await;
}

/// A query selecting `n` root fields.
fn roots(n: usize) -> Value {
    json!({ "query": "{ ".to_owned() + &"__typename ".repeat(n) + "}" })
}

#[tokio::test]
async fn at_the_default_root_fields_20_pass_and_21_are_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    passes(&app, &roots(20)).await;
    refused_by(&app, &roots(21), "LVZHI_MAX_ROOT_FIELDS").await;
}

/// A query with `n` directives on its one field.
fn directed(n: usize) -> Value {
    json!({ "query": "{ __typename".to_owned() + &" @include(if: true)".repeat(n) + " }" })
}

#[tokio::test]
async fn at_the_default_directives_5_on_a_field_pass_and_6_are_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    passes(&app, &directed(5)).await;
    refused_by(&app, &directed(6), "LVZHI_MAX_DIRECTIVES").await;
}

/// A query of `n` lexical tokens: 10 around `n - 10` fields of one object.
fn tokens(n: usize) -> Value {
    // `{ department ( name : "县住建局" ) {` is 8 tokens, the closing `} }` 2.
    let query =
        "{ department(name: \"县住建局\") { ".to_owned() + &"__typename ".repeat(n - 10) + "} }";
    json!({ "query": query })
}

#[tokio::test]
async fn at_the_default_tokens_15000_pass_and_15001_are_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    passes(&app, &tokens(15_000)).await;
    refused_by(&app, &tokens(15_001), "LVZHI_MAX_TOKENS").await;
}

/// A query costing `cost`: a page of 100 duties with 198 fields each
/// (100 × (1 + 198) + 1 = 19,901) and a department with the rest.
fn costing(cost: usize) -> Value {
    let page = 100 * (1 + 198) + 1;
    let query = format!(
        "{{ duties(first: 100) {{ nodes {{ {} }} }} department(name: \"县住建局\") {{ {} }} }}",
        "name ".repeat(198),
        "name ".repeat(cost - page - 1)
    );
    json!({ "query": query })
}

#[tokio::test]
async fn at_the_default_complexity_a_cost_of_20000_passes_and_20001_is_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    passes(&app, &costing(20_000)).await;
    refused_by(&app, &costing(20_001), "LVZHI_MAX_COMPLEXITY").await;
}

/// A JSON body of exactly `bytes` bytes asking `{ __typename }`.
fn body_of(bytes: usize) -> Vec<u8> {
    let mut body = br#"{"query": "{ __typename }""#.to_vec();
    body.resize(bytes - 1, b' ');
    body.push(b'}');
    body
}

#[tokio::test]
async fn at_the_default_body_size_1_mib_passes_and_one_byte_more_gets_413() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let answer = post_raw(&app, "application/json", body_of(1_048_576)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["data"]["__typename"], "Query");
    let answer = post_raw(&app, "application/json", body_of(1_048_577)).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
}

/// A batch of `n` operations.
fn batch(n: usize) -> Value {
    Value::Array(vec![json!({ "query": "{ __typename }" }); n])
}

#[tokio::test]
async fn at_the_default_batch_size_10_operations_pass_and_11_are_refused() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let answer = post_json(&app, &batch(10)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body.as_array().map(Vec::len), Some(10));
    let answer = post_json(&app, &batch(11)).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let message = answer.body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("LVZHI_MAX_BATCH"), "{}", answer.body);
    refused_then_still_serving(&app, &answer, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn at_the_default_page_size_search_pages_of_100_pass_and_101_are_refused() {
    // Pages of duties: `a_page_above_the_maximum_is_an_error_not_a_silent_cap` (duties.rs).
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let page = |n: usize| json!({ "query": format!("{{ search(query: \"林\", first: {n}) {{ totalCount }} }}") });
    passes(&app, &page(100)).await;
    let answer = post_json(&app, &page(101)).await;
    refused_then_still_serving(&app, &answer, "BAD_USER_INPUT").await;
}

#[tokio::test]
async fn a_request_past_its_time_limit_gets_504_with_the_code_timeout() {
    // 1 ms: less than any query that reads the database takes, so the guard
    // cancels it; without the response cache, so it is executed.
    let app = TestApp::spawn_with(TestDb::sqlite().await, |c| {
        c.limits.request_timeout = Duration::from_millis(1);
        c.cache.bytes = 0;
    })
    .await;
    let query = "{ duties(first: 100) { nodes { name departments { name aliases }
        departmentItems { text departments { name } } townItems { text } } } }";
    let answer = post_json(&app, &json!({ "query": query })).await;
    assert_eq!(answer.status, 504, "{}", answer.body);
    assert_eq!(answer.code(), "TIMEOUT", "{}", answer.body);
    assert!(answer.body["data"].is_null(), "{}", answer.body);
    assert!(answer.took < HANG, "took {:?}", answer.took);
}
