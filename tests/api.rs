//! The HTTP API end to end: the real server on port 0 over a fresh database per test.

mod common;

use common::TestDb;
use lvzhi::config::Config;
use lvzhi::server::Application;
use serde_json::{Value, json};

/// A running lvzhi over one test database.
struct TestApp {
    address: String,
    client: reqwest::Client,
    _db: TestDb,
}

impl TestApp {
    /// Start lvzhi over `db` on a free port, as `lvzhi serve` does.
    async fn spawn(db: TestDb) -> TestApp {
        let config = Config {
            database_url: db.url.clone(),
            bind: "127.0.0.1:0".parse().unwrap(),
            departments: None,
            log: "warn".into(),
        };
        let app = Application::build(&config).await.expect("lvzhi starts");
        let address = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until(std::future::pending()));
        TestApp {
            address,
            client: reqwest::Client::new(),
            _db: db,
        }
    }

    /// One app per test database (SQLite, and PostgreSQL when configured).
    async fn all() -> Vec<TestApp> {
        let mut apps = Vec::new();
        for db in TestDb::all().await {
            apps.push(TestApp::spawn(db).await);
        }
        apps
    }

    async fn graphql(&self, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request succeeds");
        assert!(
            response.status().is_success(),
            "status {}",
            response.status()
        );
        response.json().await.expect("a JSON body")
    }
}

const LISTS: &str = "{ dutyLists { id title town county publishedOn summary { kind dutyCount categoryCount departmentCount statedDutyCount statedCategoryCount statedDepartmentCount } } }";

#[tokio::test]
async fn a_new_server_serves_the_wuqia_list_and_its_counts_match_the_preamble() {
    for app in TestApp::all().await {
        let body = app.graphql(LISTS, json!({})).await;
        let lists = body["data"]["dutyLists"]
            .as_array()
            .expect("a list of lists");
        assert_eq!(lists.len(), 1, "{body}");
        let list = &lists[0];
        assert_eq!(list["title"], "乌恰县乌恰镇履职事项清单");
        assert_eq!(list["town"], "乌恰镇");
        assert_eq!(list["county"], "乌恰县");
        assert_eq!(list["publishedOn"], "2025-07");
        let summary: Vec<(String, [i64; 3], [Value; 3])> = list["summary"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["kind"].as_str().unwrap().to_owned(),
                    [
                        s["dutyCount"].as_i64().unwrap(),
                        s["categoryCount"].as_i64().unwrap(),
                        s["departmentCount"].as_i64().unwrap(),
                    ],
                    [
                        s["statedDutyCount"].clone(),
                        s["statedCategoryCount"].clone(),
                        s["statedDepartmentCount"].clone(),
                    ],
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "BASIC".to_owned(),
                    [81, 18, 0],
                    [json!(81), json!(18), Value::Null]
                ),
                (
                    "COOPERATIVE".to_owned(),
                    [70, 16, 34],
                    [json!(70), json!(16), json!(34)]
                ),
                (
                    "RECLAIMED".to_owned(),
                    [21, 7, 12],
                    [json!(21), json!(7), json!(12)]
                ),
            ]
        );
    }
}

#[tokio::test]
async fn a_list_can_be_fetched_again_by_its_id() {
    for app in TestApp::all().await {
        let lists = app.graphql("{ dutyLists { id } }", json!({})).await;
        let id = lists["data"]["dutyLists"][0]["id"].clone();
        let body = app
            .graphql(
                "query($id: ID!) { dutyList(id: $id) { id title region prefecture } }",
                json!({ "id": id }),
            )
            .await;
        let list = &body["data"]["dutyList"];
        assert_eq!(list["id"], id);
        assert_eq!(list["region"], "新疆维吾尔自治区");
        assert_eq!(list["prefecture"], "克孜勒苏柯尔克孜自治州");
    }
}

#[tokio::test]
async fn a_malformed_id_is_a_bad_user_input_error_with_a_code() {
    for app in TestApp::all().await {
        let body = app
            .graphql("{ dutyList(id: \"nonsense\") { id } }", json!({}))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(body["data"], Value::Null);
    }
}

#[tokio::test]
async fn restarting_on_the_same_database_keeps_the_ids_and_imports_nothing_again() {
    let db = TestDb::sqlite().await;
    let url = db.url.clone();
    let first = TestApp::spawn(db).await;
    let before = first.graphql("{ dutyLists { id } }", json!({})).await;
    let config = Config {
        database_url: url,
        bind: "127.0.0.1:0".parse().unwrap(),
        departments: None,
        log: "warn".into(),
    };
    let second = Application::build(&config).await.expect("a second start");
    let address = format!("http://{}", second.local_addr());
    tokio::spawn(second.run_until(std::future::pending()));
    let after: Value = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .json(&json!({ "query": "{ dutyLists { id } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before, after);
}

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
    assert_eq!(
        committed,
        lvzhi::graphql::sdl(),
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
