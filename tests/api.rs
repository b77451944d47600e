//! The HTTP API end to end: the real server on port 0 over a fresh database per test.

mod common;

use common::TestDb;
use common::app::TestApp;
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

const BUREAU: &str = "query Bureau($name: String!) { department(name: $name) {
  id name aliases cooperationCount reclaimedCount
  cooperations {
    duty { id seq name category { name } }
    departmentItems { section text }
    townItems { section text }
    partners { name }
  }
  reclaimedDuties { seq name workingMethod } } }";

const PAGE: &str = "query Page($after: String) { duties(filter: {kind: COOPERATIVE, category: \"应急管理及消防\"}, first: 5, after: $after) {
  totalCount nodes { id kind seq name category { name } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";

fn texts(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap())
        .collect()
}

fn names(departments: &Value) -> Vec<&str> {
    departments
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect()
}

/// SQL statements one query runs on a fresh schema over `db`.
async fn statements(db: &sea_orm::DatabaseConnection, query: &str, variables: Value) -> u64 {
    counted(db, query, variables).await.0
}

/// The SQL statements one query runs on a fresh schema over `db`, and its data.
async fn counted(db: &sea_orm::DatabaseConnection, query: &str, variables: Value) -> (u64, Value) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let counter = Arc::new(AtomicU64::new(0));
    let mut counted = db.clone();
    let c = counter.clone();
    counted.set_metric_callback(move |_| {
        c.fetch_add(1, Ordering::Relaxed);
    });
    let api = lvzhi::graphql::Api::new(counted);
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables));
    let response = api.execute(request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    (
        counter.load(Ordering::Relaxed),
        response.data.into_json().expect("JSON data"),
    )
}

/// The ID of the only list, and of cooperative duty `seq` (IDs encode database keys).
async fn list_and_duty_ids(db: &sea_orm::DatabaseConnection, seq: i32) -> (String, String) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let list = entity::duty_list::Entity::find()
        .one(db)
        .await
        .unwrap()
        .expect("a list");
    let duty = entity::duty::Entity::find()
        .filter(entity::duty::Column::Kind.eq(entity::DutyKind::Cooperative))
        .filter(entity::duty::Column::Seq.eq(seq))
        .one(db)
        .await
        .unwrap()
        .expect("the duty");
    (
        lvzhi::graphql::id::encode("DutyList", list.id).to_string(),
        lvzhi::graphql::id::encode("Duty", duty.id).to_string(),
    )
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
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    // …and 200 with errors for application/json, as the spec requires.
    let response = post(&app, Some("application/json"), "application/json", broken).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

    // An unknown field is a validation error with a code.
    let body = app.graphql("{ nonsense }", json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

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
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    app.graphql("{ dutyLists { id } }", json!({})).await;
    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert!(value("lvzhi_graphql_requests_total") >= 1);
    assert!(value("lvzhi_sql_statements_total") >= 1);
}

const SEARCH: &str = "query($q: String!, $filter: DutyFilter, $first: Int, $after: String) {
  search(query: $q, filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { duty { kind seq name } matchedIn item { text } departments { name } score text snippet highlights { start length } } } }";

async fn search(app: &TestApp, q: &str, variables: Value) -> Value {
    let mut vars = variables;
    vars["q"] = json!(q);
    let body = app.graphql(SEARCH, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["search"].clone()
}

#[tokio::test]
async fn lists_and_department_workbooks_download_as_files() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let ids = app
        .graphql(
            "{ dutyLists { id } department(name: \"县住建局\") { id } }",
            json!({}),
        )
        .await;
    let list = ids["data"]["dutyLists"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let department = ids["data"]["department"]["id"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let client = app.client.clone();
        let url = format!("{}{path}", app.address);
        async move { client.get(url).send().await.unwrap() }
    };
    let xlsx = get(format!("/export/{list}.xlsx")).await;
    assert_eq!(xlsx.status(), 200);
    assert!(
        xlsx.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let csv = get(format!("/export/{list}.csv")).await;
    assert_eq!(csv.status(), 200);
    assert!(csv.text().await.unwrap().contains("配合履职事项清单"));
    let workbook = get(format!("/export/{list}/departments/{department}.xlsx")).await;
    assert_eq!(workbook.status(), 200);
    let missing = get("/export/RHV0eUxpc3Q6OTk5.xlsx".to_owned()).await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(get("/export/nonsense.pdf".to_owned()).await.status(), 404);
}

/// The `/graphql` answer to `query` as the raw bytes and content type, for
/// comparing answers byte for byte.
async fn raw_answer(app: &TestApp, query: &str, accept: &str) -> (String, String) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", accept)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn a_repeated_query_is_answered_from_the_response_cache_with_the_same_bytes() {
    for app in TestApp::all().await {
        let query = "{ department(name: \"县住建局\") { name cooperations { duty { name } townItems { text } } } }";
        let (_, first) = raw_answer(&app, query, "application/json").await;
        assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, Some(0));
        let (json_type, second) = raw_answer(&app, query, "application/json").await;
        let (graphql_type, third) =
            raw_answer(&app, query, "application/graphql-response+json").await;
        assert_eq!(second, first);
        assert_eq!(third, first);
        // The cached body keeps the media type each client negotiated.
        assert!(json_type.starts_with("application/json"), "{json_type}");
        assert!(
            graphql_type.starts_with("application/graphql-response+json"),
            "{graphql_type}"
        );
        assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, Some(2));
        assert_eq!(app.metric("lvzhi_response_cache_entries").await, Some(1));
        // Other variables are another question.
        let by_name = "query($n: String) { department(name: $n) { name } }";
        let a = app.graphql(by_name, json!({ "n": "县住建局" })).await;
        let b = app.graphql(by_name, json!({ "n": "县市监局" })).await;
        assert_eq!(a["data"]["department"]["name"], "乌恰县住房和城乡建设局");
        assert_eq!(b["data"]["department"]["name"], "乌恰县市场监督管理局");
    }
}

#[tokio::test]
async fn answers_with_errors_are_never_cached() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    for _ in 0..2 {
        let body = app
            .graphql("{ duties(first: -1) { totalCount } }", json!({}))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
    }
    assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, Some(0));
    assert_eq!(
        app.metric("lvzhi_response_cache_misses_total").await,
        Some(2)
    );
    assert_eq!(app.metric("lvzhi_response_cache_entries").await, Some(0));
}

#[tokio::test]
async fn an_import_by_another_process_replaces_cached_answers_within_the_poll_interval() {
    for test in TestDb::all().await {
        let app = TestApp::spawn_with(test, |c| {
            c.cache.poll = std::time::Duration::from_millis(20);
        })
        .await;
        let query = "{ dutyLists { publishedOn } }";
        let before = app.graphql(query, json!({})).await;
        assert_eq!(before["data"]["dutyLists"].as_array().unwrap().len(), 1);
        assert_eq!(app.graphql(query, json!({})).await, before);
        assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, Some(1));

        // `lvzhi import` of the August edition, through its own connection.
        let august = common::WUQIA.replacen("2025 年 7 月", "2025 年 8 月", 1);
        lvzhi::import::import(&app.db.db, &august, common::registry(), false)
            .await
            .expect("the August edition imports");
        // The watcher reads the new data version within its poll interval; wait
        // for that (bounded), not for a fixed time.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let now = app.graphql(query, json!({})).await;
            if now["data"]["dutyLists"].as_array().unwrap().len() == 2 {
                break;
            }
            assert_eq!(now, before, "a cached answer is the old one, whole");
            assert!(
                std::time::Instant::now() < deadline,
                "the import did not show within 20 s on {}",
                app.db.backend
            );
            tokio::task::yield_now().await;
        }
        assert!(
            app.metric("lvzhi_response_cache_invalidations_total")
                .await
                .unwrap()
                >= 1
        );
    }
}

#[tokio::test]
async fn with_the_response_cache_off_every_request_is_executed() {
    let app = TestApp::spawn_with(TestDb::sqlite().await, |c| c.cache.bytes = 0).await;
    let first = app.graphql("{ dutyLists { town } }", json!({})).await;
    let second = app.graphql("{ dutyLists { town } }", json!({})).await;
    assert_eq!(first, second);
    assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, None);
    assert_eq!(app.metric("lvzhi_graphql_requests_total").await, Some(2));
}
