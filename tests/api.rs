//! The HTTP API end to end: the real server on port 0 over a fresh database per test.

mod common;

use common::TestDb;
use common::app::TestApp;
use serde_json::{Value, json};

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
