//! Analytics over HTTP: duty statistics, department workloads, the department
//! network and the town's workload.

mod common;

use common::app::TestApp;
use common::queries::{BUREAU, statements};
use common::response::{code, names};
use common::{TestDb, on_each_backend};
use serde_json::{Value, json};

on_each_backend!(
    duty_stats_count_duties_per_group_in_one_query,
    workloads_split_the_work_of_each_department_with_the_town,
    the_department_network_links_departments_that_share_cooperative_duties,
    the_town_workload_counts_basic_duties_and_town_items_per_category,
);

async fn duty_stats_count_duties_per_group_in_one_query(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let body = app
        .graphql(
            "{ kinds: dutyStats(groupBy: [KIND]) { kind dutyCount }
               reclaimed: dutyStats(groupBy: [CATEGORY, KIND], filter: {kind: RECLAIMED}) { category { name } kind dutyCount }
               departments: dutyStats(groupBy: [DEPARTMENT]) { department { name } dutyCount }
               lists: dutyStats(groupBy: [LIST]) { list { town } dutyCount } }",
            json!({}),
        )
        .await;
    let data = &body["data"];
    assert_eq!(
        data["kinds"],
        json!([{ "kind": "BASIC", "dutyCount": 81 }, { "kind": "COOPERATIVE", "dutyCount": 70 }, { "kind": "RECLAIMED", "dutyCount": 21 }]),
        "{body}"
    );
    let reclaimed = data["reclaimed"].as_array().unwrap();
    assert_eq!(reclaimed.len(), 7);
    assert_eq!(
        reclaimed[0],
        json!({ "category": { "name": "民生服务" }, "kind": "RECLAIMED", "dutyCount": 7 })
    );
    assert_eq!(
        reclaimed
            .iter()
            .map(|s| s["dutyCount"].as_i64().unwrap())
            .sum::<i64>(),
        21
    );
    let departments = data["departments"].as_array().unwrap();
    // Basic duties have no department; 市监局 has 15 cooperative and 1 reclaimed duty.
    assert_eq!(
        departments[0],
        json!({ "department": null, "dutyCount": 81 })
    );
    assert_eq!(
        departments[1],
        json!({ "department": { "name": "乌恰县市场监督管理局" }, "dutyCount": 16 })
    );
    assert_eq!(
        data["lists"],
        json!([{ "list": { "town": "乌恰镇" }, "dutyCount": 172 }])
    );
    let empty = app
        .graphql("{ dutyStats(groupBy: []) { dutyCount } }", json!({}))
        .await;
    assert_eq!(code(&empty), "BAD_USER_INPUT");
    // The counting is one GROUP BY, whatever the number of groups.
    let one = statements(
        &app.db.db,
        "{ dutyStats(groupBy: [CATEGORY, KIND, DEPARTMENT]) { kind dutyCount } }",
        json!({}),
    )
    .await;
    assert_eq!(one, 1, "on {}", app.db.backend);
}

async fn workloads_split_the_work_of_each_department_with_the_town(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let body = app
        .graphql(
            "{ departmentWorkloads { department { name } cooperativeDuties reclaimedDuties departmentItems townItems townShare }
               byShare: departmentWorkloads(orderBy: TOWN_SHARE) { townShare } }",
            json!({}),
        )
        .await;
    let workloads = body["data"]["departmentWorkloads"].as_array().unwrap();
    assert_eq!(workloads.len(), 35, "{body}");
    assert_eq!(workloads[0]["department"]["name"], "乌恰县市场监督管理局");
    let shares: Vec<f64> = body["data"]["byShare"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["townShare"].as_f64().unwrap())
        .collect();
    assert!(shares.windows(2).all(|w| w[0] >= w[1]), "{shares:?}");
    // The same figures as the Bureau query gives item by item.
    let housing = workloads
        .iter()
        .find(|w| w["department"]["name"] == "乌恰县住房和城乡建设局")
        .unwrap();
    let bureau = app.graphql(BUREAU, json!({ "name": "县住建局" })).await;
    let cooperations = bureau["data"]["department"]["cooperations"]
        .as_array()
        .unwrap();
    let own: usize = cooperations
        .iter()
        .map(|c| c["departmentItems"].as_array().unwrap().len())
        .sum();
    let town: usize = cooperations
        .iter()
        .map(|c| c["townItems"].as_array().unwrap().len())
        .sum();
    assert_eq!(housing["cooperativeDuties"], 14);
    assert_eq!(housing["departmentItems"].as_u64().unwrap() as usize, own);
    assert_eq!(housing["townItems"].as_u64().unwrap() as usize, town);
    let share = housing["townShare"].as_f64().unwrap();
    assert!((share - town as f64 / (own + town) as f64).abs() < 1e-9);
    // Three counts and the departments, read once for the ranking and the fields.
    let statements = statements(
        &app.db.db,
        "{ departmentWorkloads { department { name } cooperativeDuties } }",
        json!({}),
    )
    .await;
    assert_eq!(statements, 4, "on {}", app.db.backend);
}

async fn the_department_network_links_departments_that_share_cooperative_duties(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let list =
        app.graphql("{ dutyLists { id } }", json!({})).await["data"]["dutyLists"][0]["id"].clone();
    let body = app
        .graphql(
            "query($l: ID!) { departmentNetwork(listId: $l) { nodes { department { name } weight } edges { source { name } target { name } weight dutyIds } } }",
            json!({ "l": list }),
        )
        .await;
    let network = &body["data"]["departmentNetwork"];
    let nodes = network["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(nodes.len(), 34, "{body}");
    assert_eq!(
        nodes[0],
        json!({ "department": { "name": "乌恰县市场监督管理局" }, "weight": 15 })
    );
    let edges = network["edges"].as_array().unwrap();
    let pair = |e: &Value| {
        let mut p = [
            e["source"]["name"].as_str().unwrap().to_owned(),
            e["target"]["name"].as_str().unwrap().to_owned(),
        ];
        p.sort();
        p
    };
    let housing_market = edges
        .iter()
        .find(|e| {
            pair(e)
                == [
                    "乌恰县住房和城乡建设局".to_owned(),
                    "乌恰县市场监督管理局".to_owned(),
                ]
        })
        .expect("住建局 and 市监局 share duties");
    // Cross-check with the Bureau query: duties of 住建局 where 市监局 is a partner.
    let bureau = app.graphql(BUREAU, json!({ "name": "县住建局" })).await;
    let shared: Vec<String> = bureau["data"]["department"]["cooperations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| names(&c["partners"]).contains(&"乌恰县市场监督管理局"))
        .map(|c| c["duty"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        housing_market["weight"].as_u64().unwrap() as usize,
        shared.len()
    );
    let mut ids: Vec<String> = housing_market["dutyIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let mut expected = shared.clone();
    expected.sort();
    assert_eq!(ids, expected);
    assert!(
        edges
            .windows(2)
            .all(|w| w[0]["weight"].as_i64() >= w[1]["weight"].as_i64())
    );
}

async fn the_town_workload_counts_basic_duties_and_town_items_per_category(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let body = app
        .graphql(
            "{ townWorkload { category { name } basicDuties cooperativeDuties townItems } }",
            json!({}),
        )
        .await;
    let rows = body["data"]["townWorkload"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let sum = |f: &str| rows.iter().map(|r| r[f].as_i64().unwrap()).sum::<i64>();
    assert_eq!(
        (sum("basicDuties"), sum("cooperativeDuties")),
        (81, 70),
        "{body}"
    );
    let town_items = app
        .graphql(
            "{ duties(filter: {kind: COOPERATIVE}, first: 70) { nodes { townItems { text } } } }",
            json!({}),
        )
        .await;
    let total: usize = town_items["data"]["duties"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["townItems"].as_array().unwrap().len())
        .sum();
    assert_eq!(sum("townItems") as usize, total);
    assert_eq!(
        rows[0],
        json!({ "category": { "name": "党的建设" }, "basicDuties": 20, "cooperativeDuties": 13, "townItems": 49 })
    );
}
