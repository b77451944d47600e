//! Lists over HTTP: what a new server serves, fetching lists and every object
//! again by ID, restarts, and the categories of the lists.

mod common;

use common::app::TestApp;
use common::response::{code, data};
use common::{TestDb, on_each_backend};
use lvzhi::config::Config;
use lvzhi::server::Application;
use serde::Deserialize;
use serde_json::{Value, json};

on_each_backend!(
    a_new_server_serves_the_wuqia_list_and_its_counts_match_the_preamble,
    a_list_can_be_fetched_again_by_its_id,
    a_malformed_id_is_a_bad_user_input_error_with_a_code,
    restarting_on_the_same_database_keeps_the_ids_and_imports_nothing_again,
    every_object_with_an_id_can_be_fetched_again_by_it,
    categories_count_duties_per_kind_and_across_all_kinds,
);

const LISTS: &str = "{ dutyLists { id title town county publishedOn summary { kind dutyCount categoryCount departmentCount statedDutyCount statedCategoryCount statedDepartmentCount } } }";

/// A list as `LISTS` asks for it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct List {
    title: String,
    town: String,
    county: String,
    published_on: String,
    summary: Vec<Summary>,
}

/// One table of a list: counts found, then counts the preamble states.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
struct Summary {
    kind: String,
    duty_count: i64,
    category_count: i64,
    department_count: i64,
    stated_duty_count: Option<i64>,
    stated_category_count: Option<i64>,
    stated_department_count: Option<i64>,
}

impl Summary {
    /// `kind`, the counts found and the counts stated.
    fn new(kind: &str, found: [i64; 3], stated: [Option<i64>; 3]) -> Self {
        Summary {
            kind: kind.to_owned(),
            duty_count: found[0],
            category_count: found[1],
            department_count: found[2],
            stated_duty_count: stated[0],
            stated_category_count: stated[1],
            stated_department_count: stated[2],
        }
    }
}

async fn a_new_server_serves_the_wuqia_list_and_its_counts_match_the_preamble(db: TestDb) {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Lists {
        duty_lists: Vec<List>,
    }
    let app = TestApp::spawn(db).await;
    let lists = data::<Lists>(&app.graphql(LISTS, json!({})).await).duty_lists;
    assert_eq!(lists.len(), 1, "{lists:?}");
    let list = &lists[0];
    assert_eq!(list.title, "乌恰县乌恰镇履职事项清单");
    assert_eq!(list.town, "乌恰镇");
    assert_eq!(list.county, "乌恰县");
    assert_eq!(list.published_on, "2025-07");
    // The preamble states no department count for basic duties: null, not 0.
    assert_eq!(
        list.summary,
        [
            Summary::new("BASIC", [81, 18, 0], [Some(81), Some(18), None]),
            Summary::new("COOPERATIVE", [70, 16, 34], [Some(70), Some(16), Some(34)]),
            Summary::new("RECLAIMED", [21, 7, 12], [Some(21), Some(7), Some(12)]),
        ]
    );
}

async fn a_list_can_be_fetched_again_by_its_id(db: TestDb) {
    let app = TestApp::spawn(db).await;
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

async fn a_malformed_id_is_a_bad_user_input_error_with_a_code(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let body = app
        .graphql("{ dutyList(id: \"nonsense\") { id } }", json!({}))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["data"], Value::Null);
}

async fn restarting_on_the_same_database_keeps_the_ids_and_imports_nothing_again(db: TestDb) {
    let url = db.url.clone();
    let first = TestApp::spawn(db).await;
    let before = first.graphql("{ dutyLists { id } }", json!({})).await;
    let config = Config {
        database_url: url,
        bind: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
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

async fn every_object_with_an_id_can_be_fetched_again_by_it(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let body = app
        .graphql(
            "{ dutyLists { id } duties(filter: {kind: COOPERATIVE, seq: 32}) { nodes { id category { id } departments { id }
               departmentItems { id } } } department(name: \"县住建局\") { id } }",
            json!({}),
        )
        .await;
    let data = &body["data"];
    let duty = &data["duties"]["nodes"][0];
    let ids = [
        ("DutyList", data["dutyLists"][0]["id"].clone()),
        ("Duty", duty["id"].clone()),
        ("Category", duty["category"]["id"].clone()),
        ("Department", data["department"]["id"].clone()),
        (
            "ResponsibilityItem",
            duty["departmentItems"][0]["id"].clone(),
        ),
    ];
    for (type_name, id) in ids {
        let node = app
            .graphql(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            node["data"]["node"],
            json!({ "__typename": type_name, "id": id }),
            "{node}"
        );
    }
    let missing = app
        .graphql(
            "{ node(id: \"RHV0eTo5OTk5OQ\") { id } unknown: node(id: \"x\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(missing["data"], json!({ "node": null, "unknown": null }));
    let by_id = app
        .graphql(
            "query($id: ID) { department(id: $id) { name } }",
            json!({ "id": data["department"]["id"] }),
        )
        .await;
    assert_eq!(
        by_id["data"]["department"]["name"],
        "乌恰县住房和城乡建设局"
    );
}

async fn categories_count_duties_per_kind_and_across_all_kinds(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let body = app.graphql("{ basic: categories(kind: BASIC) { name dutyCount } all: categories { name dutyCount } }", json!({})).await;
    let sum = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["dutyCount"].as_i64().unwrap())
            .sum::<i64>()
    };
    let basic = &body["data"]["basic"];
    assert_eq!(basic.as_array().unwrap().len(), 18, "{body}");
    assert_eq!(sum(basic), 81);
    assert_eq!(basic[0], json!({ "name": "党的建设", "dutyCount": 20 }));
    let all = &body["data"]["all"];
    assert_eq!(all.as_array().unwrap().len(), 21);
    assert_eq!(sum(all), 172);
}
