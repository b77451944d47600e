//! The HTTP surface: GraphQL over HTTP, GraphiQL, the committed schema, request
//! IDs and the request log line, CORS, production mode and `/metrics`.

mod common;

use common::TestDb;
use common::app::TestApp;
use common::response::{code, message};
use serde_json::{Value, json};

#[tokio::test]
async fn a_browser_opening_the_endpoint_gets_graphiql() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.text().await.unwrap().contains("graphiql"));
}

#[tokio::test]
async fn a_get_request_from_a_client_runs_the_query() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ dutyLists { town } }")])
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["dutyLists"][0]["town"], "乌恰镇");
}

#[test]
fn the_committed_schema_graphql_is_up_to_date() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql exists");
    assert!(
        committed == lvzhi::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

#[tokio::test]
async fn every_type_and_field_of_the_schema_has_a_description() {
    let schema = lvzhi::graphql::schema_builder().finish();
    let query = "{ __schema { types { name description fields { name description } enumValues { name description } inputFields { name description } } } }";
    let response = schema
        .execute(query)
        .await
        .into_result()
        .expect("introspection works");
    let data = response.data.into_json().unwrap();
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let mut missing = Vec::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || builtin.contains(&name) {
            continue;
        }
        if ty["description"].as_str().is_none_or(str::is_empty) {
            missing.push(name.to_owned());
        }
        for member in ["fields", "enumValues", "inputFields"] {
            for field in ty[member].as_array().into_iter().flatten() {
                if field["description"].as_str().is_none_or(str::is_empty) {
                    missing.push(format!("{name}.{}", field["name"].as_str().unwrap()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undescribed: {missing:?}");
}

async fn post(
    app: &TestApp,
    content_type: Option<&str>,
    accept: &str,
    body: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", accept)
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn responses_follow_graphql_over_http() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let ok = r#"{"query":"{ dutyLists { town } }"}"#;
    let broken = r#"{"query":"{ dutyLists { "}"#;

    let response = post(
        &app,
        Some("application/json"),
        "application/graphql-response+json",
        ok,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );

    // A document that does not parse: 400 without `data` for the new media type…
    let response = post(
        &app,
        Some("application/json"),
        "application/graphql-response+json",
        broken,
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED");
    // …and 200 with errors for application/json, as the spec requires.
    let response = post(&app, Some("application/json"), "application/json", broken).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED");

    // An unknown field is a validation error with a code.
    let body = app.graphql("{ nonsense }", json!({})).await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED");

    assert_eq!(post(&app, None, "application/json", ok).await.status(), 415);
    assert_eq!(
        post(&app, Some("text/plain"), "application/json", ok)
            .await
            .status(),
        415
    );
    assert_eq!(
        post(
            &app,
            Some("application/json"),
            "application/json",
            "{not json"
        )
        .await
        .status(),
        400
    );
    let get = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 400);
    let no_query = post(
        &app,
        Some("application/json"),
        "application/json",
        r#"{"qeury":"{ __typename }"}"#,
    )
    .await;
    assert_eq!(no_query.status(), 400);
    let put = app
        .client
        .put(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 405);

    // Fields come back in the order the query asked for them.
    let body = post(
        &app,
        Some("application/json"),
        "application/json",
        r#"{"query":"{ dutyLists { town county title } }"}"#,
    )
    .await
    .text()
    .await
    .unwrap();
    let town = body.find("\"town\"").unwrap();
    assert!(
        town < body.find("\"county\"").unwrap()
            && body.find("\"county\"").unwrap() < body.find("\"title\"").unwrap(),
        "{body}"
    );
}

#[tokio::test]
async fn metrics_count_requests_and_sql_statements() {
    // Without the response cache, so the request runs its statements.
    let app = TestApp::spawn_with(TestDb::sqlite().await, |c| c.cache.bytes = 0).await;
    let requests = "lvzhi_graphql_requests_total";
    let statements = "lvzhi_sql_statements_total";
    assert_eq!(app.metric(requests).await, Some(0));
    // Start-up (migrations, the import) already ran statements: compare around the request.
    let before = app.metric(statements).await.expect("exported");
    app.graphql("{ dutyLists { id } }", json!({})).await;
    assert_eq!(app.metric(requests).await, Some(1));
    // The statement counter is the process's, so other tests may add to it too;
    // none takes away, and this request ran at least one.
    let after = app.metric(statements).await.expect("exported");
    assert!(
        after > before,
        "{statements}: {before} before, {after} after"
    );
}

#[tokio::test]
async fn production_hides_introspection_graphiql_and_field_suggestions() {
    let dev = TestApp::spawn(TestDb::sqlite().await).await;
    let prod = TestApp::spawn_with(TestDb::sqlite().await, |c| {
        c.environment = lvzhi::config::Environment::Production
    })
    .await;
    let introspect = "{ __schema { queryType { name } } }";
    let typo = "{ dutyLists { towns } }";
    let html = |app: &TestApp| {
        app.client
            .get(format!("{}/graphql", app.address))
            .header("accept", "text/html")
    };

    let body = dev.graphql(introspect, json!({})).await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    let body = dev.graphql(typo, json!({})).await;
    assert!(message(&body).contains("Did you mean"), "{body}");
    let page = html(&dev).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("graphiql"));

    let body = prod.graphql(introspect, json!({})).await;
    // async-graphql answers introspection with null: nothing about the schema leaks.
    assert!(body["data"]["__schema"].is_null(), "{body}");
    let body = prod
        .graphql("{ __type(name: \"Duty\") { fields { name } } }", json!({}))
        .await;
    assert!(body["data"]["__type"].is_null(), "{body}");
    let body = prod.graphql(typo, json!({})).await;
    assert!(!message(&body).contains("Did you mean"), "{body}");
    let page = html(&prod).send().await.unwrap();
    assert_eq!(page.status(), 400);
    // Ordinary queries still work, including `__typename`.
    let body = prod
        .graphql("{ __typename dutyLists { town } }", json!({}))
        .await;
    assert_eq!(body["data"]["dutyLists"][0]["town"], "乌恰镇", "{body}");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_client_id_is_kept() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let a = app.get("/healthz").await;
    let b = app.get("/healthz").await;
    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(id(&a), id(&b));
    let mine = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-request-id", "dashboard-42")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(id(&mine), "dashboard-42");
    let hostile = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "a b\"c")
        .send()
        .await
        .unwrap();
    assert_ne!(id(&hostile), "a b\"c");
}

#[tokio::test]
async fn metrics_count_operations_by_name_and_outcome_with_a_latency_histogram() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    app.graphql("query Lists { dutyLists { town } }", json!({}))
        .await;
    app.graphql("query Bad { duty(id: \"nope\") { name } }", json!({}))
        .await;
    let text = app.get("/metrics").await.text().await.unwrap();
    for line in [
        "lvzhi_graphql_operations_total{operation=\"Lists\",outcome=\"ok\"} 1",
        "lvzhi_graphql_operations_total{operation=\"Bad\",outcome=\"BAD_USER_INPUT\"} 1",
        "lvzhi_graphql_request_duration_seconds_count 2",
        "lvzhi_graphql_requests_total 2",
        "# TYPE lvzhi_graphql_request_duration_seconds histogram",
        "lvzhi_db_pool_max_connections 10",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("lvzhi_graphql_request_duration_seconds_bucket{le=\"+Inf\"} 2"));
    assert!(text.contains("lvzhi_db_pool_connections{state=\"idle\"}"));
    assert!(text.contains("lvzhi_sql_statements_total "));
}

#[tokio::test]
async fn cors_is_closed_by_default_and_open_to_configured_origins_only() {
    let closed = TestApp::spawn(TestDb::sqlite().await).await;
    let open = TestApp::spawn_with(TestDb::sqlite().await, |c| {
        c.cors_origins = vec!["https://dash.example.org".into()]
    })
    .await;
    let preflight = |app: &TestApp, origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let r = preflight(&closed, "https://dash.example.org")
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = preflight(&open, "https://dash.example.org").await.unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://dash.example.org"
    );
    let r = preflight(&open, "https://evil.example.com").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = open
        .client
        .post(format!("{}/graphql", open.address))
        .header("origin", "https://dash.example.org")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://dash.example.org"
    );
}

/// A `tracing` writer into a shared buffer, to read the log lines a server wrote.
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    /// Every line written so far.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn every_request_writes_one_log_line_with_its_id_status_and_outcome() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // This test's runtime runs the server on this thread, so a thread-local
    // subscriber sees its lines and no other test's.
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let answer = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-request-id", "log-line-1")
        .json(&json!({ "query": "query Lists { dutyLists { town } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "log-line-2")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let text = log.text();
    let lines = |id: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains(&format!("id={id}")))
            .map(str::to_owned)
            .collect()
    };
    let graphql = lines("log-line-1");
    assert_eq!(graphql.len(), 1, "one line for the request in\n{text}");
    for part in [
        "method=POST",
        "path=/graphql",
        "graphql request",
        "status=200",
        "duration_ms=",
        "operation=\"Lists\"",
        "outcome=ok",
        "cached=false",
    ] {
        assert!(graphql[0].contains(part), "{part} in {}", graphql[0]);
    }
    let health = lines("log-line-2");
    assert_eq!(health.len(), 1, "one line for the request in\n{text}");
    for part in ["method=GET", "path=/healthz", "status=200", "duration_ms="] {
        assert!(health[0].contains(part), "{part} in {}", health[0]);
    }
}
