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

#[tokio::test]
async fn the_housing_bureau_query_gives_every_cooperation_with_what_the_bureau_and_the_town_do() {
    for app in TestApp::all().await {
        let body = app.graphql(BUREAU, json!({ "name": "县住建局" })).await;
        let d = &body["data"]["department"];
        assert_eq!(d["name"], "乌恰县住房和城乡建设局", "{body}");
        assert!(
            d["aliases"]
                .as_array()
                .unwrap()
                .contains(&json!("县住房和城乡建设局"))
        );
        assert_eq!(
            (d["cooperationCount"].as_i64(), d["reclaimedCount"].as_i64()),
            (Some(14), Some(0))
        );
        let cooperations = d["cooperations"].as_array().unwrap();
        assert_eq!(cooperations.len(), 14);
        let seqs: Vec<i64> = cooperations
            .iter()
            .map(|c| c["duty"]["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(
            seqs,
            [25, 31, 32, 33, 35, 36, 37, 38, 39, 40, 50, 51, 52, 60]
        );
        let gas = &cooperations[2];
        assert_eq!(gas["duty"]["name"], "负责燃气安全知识宣传、隐患上报");
        assert_eq!(gas["duty"]["category"]["name"], "城乡建设");
        // Only the bureau's own five items under `县住建局：`, not its partners'.
        assert_eq!(texts(&gas["departmentItems"]).len(), 5);
        assert_eq!(
            texts(&gas["departmentItems"])[0],
            "依法加强对瓶装液化石油气和燃气经营企业安全状况的监督检查"
        );
        assert_eq!(
            texts(&gas["townItems"]),
            [
                "开展液化石油气和燃气使用安全宣传",
                "会同燃气经营企业开展入户安全检查",
                "排查发现的问题以及接到群众反映的燃气安全隐患，及时报告、协调县住建局核实、整改"
            ]
        );
        assert_eq!(
            names(&gas["partners"]),
            [
                "乌恰县市场监督管理局",
                "乌恰县交通运输局",
                "乌恰县消防救援局",
                "乌恰县公安局"
            ]
        );
        // 序号 31: its items keep their sections; the last goes to every counterpart.
        let pollution = &cooperations[1]["departmentItems"];
        let sections: Vec<&str> = pollution
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["section"].as_str().unwrap())
            .collect();
        assert_eq!(
            sections,
            [
                "一、扬尘综合治理",
                "二、重污染天气应急应对",
                "五、对企业生产加工产生噪声、建筑工地夜间施工噪声、交通运输噪声、高音广播喇叭噪声扰民行为的监管执法",
                "六、固体废物源头管理和排查整治",
                "七、土壤污染防治"
            ]
        );
        // A duty with the bureau as its only counterpart: all its items, no partners.
        let rent = &cooperations[5];
        assert_eq!(texts(&rent["departmentItems"]).len(), 7);
        assert_eq!(rent["partners"], json!([]));
        assert_eq!(d["reclaimedDuties"], json!([]));

        let body = app
            .graphql(BUREAU, json!({ "name": "乌恰县应急管理局" }))
            .await;
        let reclaimed = body["data"]["department"]["reclaimedDuties"]
            .as_array()
            .unwrap();
        let seqs: Vec<i64> = reclaimed
            .iter()
            .map(|d| d["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, [19, 20, 21]);
        assert!(
            reclaimed[1]["workingMethod"]
                .as_str()
                .unwrap()
                .starts_with("取消乡镇开展加油站危险化学品")
        );
    }
}

#[tokio::test]
async fn duties_page_forward_and_backward_with_a_total_count() {
    for app in TestApp::all().await {
        let mut seqs = Vec::new();
        let mut after = Value::Null;
        let mut pages = 0;
        loop {
            let body = app.graphql(PAGE, json!({ "after": after })).await;
            let page = &body["data"]["duties"];
            assert_eq!(page["totalCount"], 11, "{body}");
            assert!(
                page["nodes"].as_array().unwrap().iter().all(
                    |n| n["kind"] == "COOPERATIVE" && n["category"]["name"] == "应急管理及消防"
                )
            );
            seqs.extend(
                page["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n["seq"].as_i64().unwrap()),
            );
            assert_eq!(page["pageInfo"]["hasPreviousPage"], pages > 0);
            pages += 1;
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(pages, 3);
        assert_eq!(seqs, (50..=60).collect::<Vec<_>>());

        // Backward from the end of the whole list: the last reclaimed duties.
        let last = app.graphql("{ duties(last: 3) { edges { cursor node { kind seq } } pageInfo { hasPreviousPage hasNextPage startCursor } } }", json!({})).await;
        let edges = last["data"]["duties"]["edges"].as_array().unwrap();
        let got: Vec<(String, i64)> = edges
            .iter()
            .map(|e| {
                (
                    e["node"]["kind"].as_str().unwrap().to_owned(),
                    e["node"]["seq"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("RECLAIMED".to_owned(), 19),
                ("RECLAIMED".to_owned(), 20),
                ("RECLAIMED".to_owned(), 21)
            ]
        );
        assert_eq!(last["data"]["duties"]["pageInfo"]["hasPreviousPage"], true);
        let before = last["data"]["duties"]["pageInfo"]["startCursor"].clone();
        let previous = app.graphql("query($before: String) { duties(last: 2, before: $before) { nodes { kind seq } } }", json!({ "before": before })).await;
        assert_eq!(
            previous["data"]["duties"]["nodes"],
            json!([{ "kind": "RECLAIMED", "seq": 17 }, { "kind": "RECLAIMED", "seq": 18 }])
        );

        // Order: list, kind (basic, cooperative, reclaimed), sequence number.
        let first = app
            .graphql(
                "{ duties(first: 100) { totalCount nodes { kind seq } } }",
                json!({}),
            )
            .await;
        assert_eq!(first["data"]["duties"]["totalCount"], 172);
        let nodes = first["data"]["duties"]["nodes"].as_array().unwrap();
        assert_eq!(
            (nodes[80]["kind"].clone(), nodes[80]["seq"].clone()),
            (json!("BASIC"), json!(81))
        );
        assert_eq!(
            (nodes[81]["kind"].clone(), nodes[81]["seq"].clone()),
            (json!("COOPERATIVE"), json!(1))
        );
    }
}

#[tokio::test]
async fn duties_filter_by_list_seq_department_and_text() {
    for app in TestApp::all().await {
        let list =
            app.graphql("{ dutyLists { id } }", json!({})).await["data"]["dutyLists"][0]["id"]
                .clone();
        let body = app
            .graphql(
                "query($list: ID) { byAlias: duties(filter: {listId: $list, department: \"县文旅局\"}) { totalCount }
                  byText: duties(filter: {text: \"消防\"}) { totalCount nodes { name } }
                  bySeq: duties(filter: {kind: RECLAIMED, seq: 8}) { nodes { name category { name } departments { name } workingMethod } }
                  literal: duties(filter: {text: \"100%\"}) { totalCount } }",
                json!({ "list": list }),
            )
            .await;
        let data = &body["data"];
        assert_eq!(data["byAlias"]["totalCount"], 7, "{body}");
        assert!(
            data["byText"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["name"].as_str().unwrap().contains("消防"))
        );
        assert_eq!(data["byText"]["totalCount"], 6);
        assert_eq!(data["bySeq"]["nodes"][0]["name"], "小额信贷到期催缴");
        assert_eq!(data["bySeq"]["nodes"][0]["category"]["name"], "乡村振兴");
        assert_eq!(
            names(&data["bySeq"]["nodes"][0]["departments"]),
            ["乌恰县农业农村局"]
        );
        assert_eq!(data["literal"]["totalCount"], 0);

        let unknown = app
            .graphql(
                "{ duties(filter: {department: \"县教育厅\"}) { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(
            unknown["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{unknown}"
        );
    }
}

#[tokio::test]
async fn a_page_above_the_maximum_is_an_error_not_a_silent_cap() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    for query in [
        "{ duties(first: 101) { totalCount } }",
        "{ duties(last: 1000000) { totalCount } }",
        "{ duties(first: -1) { totalCount } }",
        "{ duties(after: \"garbage\") { totalCount } }",
    ] {
        let body = app.graphql(query, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{query}: {body}"
        );
    }
    let body = app
        .graphql(
            "{ duties(first: 100) { totalCount nodes { seq } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["duties"]["nodes"].as_array().unwrap().len(),
        100
    );
}

#[tokio::test]
async fn a_duty_has_its_departments_and_both_columns_of_items() {
    for app in TestApp::all().await {
        let id = app
            .graphql(
                "{ duties(filter: {kind: COOPERATIVE, seq: 16}) { nodes { id } } }",
                json!({}),
            )
            .await["data"]["duties"]["nodes"][0]["id"]
            .clone();
        let body = app
            .graphql(
                "query Duty($id: ID!) { duty(id: $id) { kind seq name category { name } departments { name }
                  departmentItems { section text departments { name } } townItems { section text } workingMethod } }",
                json!({ "id": id }),
            )
            .await;
        let duty = &body["data"]["duty"];
        assert_eq!(duty["name"], "开展红十字“三救三献”、慈善募捐工作", "{body}");
        assert_eq!(
            names(&duty["departments"]),
            ["乌恰县红十字会", "乌恰县民政局"]
        );
        let items = duty["departmentItems"].as_array().unwrap();
        assert_eq!(items.len(), 8);
        assert_eq!(names(&items[0]["departments"]), ["乌恰县红十字会"]);
        assert_eq!(names(&items[7]["departments"]), ["乌恰县民政局"]);
        assert_eq!(
            texts(&duty["townItems"]),
            [
                "承办人道救助、募捐对象的调查摸底",
                "承办人道救助、募捐款物的接收、发放和登记"
            ]
        );
        assert_eq!(duty["workingMethod"], Value::Null);
    }
}

#[tokio::test]
async fn departments_carry_their_counts_and_can_be_ranked() {
    for app in TestApp::all().await {
        let body = app.graphql("{ departments(orderBy: COOPERATION_COUNT) { name cooperationCount reclaimedCount } }", json!({})).await;
        let list = body["data"]["departments"].as_array().unwrap();
        assert_eq!(list.len(), 35, "{body}");
        assert_eq!(
            list[0],
            json!({ "name": "乌恰县市场监督管理局", "cooperationCount": 15, "reclaimedCount": 1 })
        );
        assert_eq!(list[1]["name"], "乌恰县住房和城乡建设局");
        let involved: i64 = list
            .iter()
            .filter(|d| d["cooperationCount"].as_i64().unwrap() > 0)
            .count() as i64;
        assert_eq!(involved, 34);
        let reclaimed = list
            .iter()
            .filter(|d| d["reclaimedCount"].as_i64().unwrap() > 0)
            .count();
        assert_eq!(reclaimed, 12);
    }
}

/// The Wuqia registry and document moved to another county, 阿合奇县.
fn second_county() -> (lvzhi::import::Registry, String) {
    let registry_text = lvzhi::import::registry::BUNDLED.to_owned();
    let other = registry_text
        .split_once("[[county]]")
        .unwrap()
        .1
        .replace("乌恰县", "阿合奇县");
    let registry =
        lvzhi::import::Registry::parse(&format!("{registry_text}\n[[county]]{other}"), "test")
            .unwrap();
    (
        registry,
        common::WUQIA
            .replace("乌恰县", "阿合奇县")
            .replace("乌恰镇", "阿合奇镇"),
    )
}

#[tokio::test]
async fn an_alias_shared_by_two_counties_is_ambiguous_until_the_county_is_named() {
    for test in TestDb::all().await {
        let (registry, document) = second_county();
        lvzhi::import::import(&test.db, &document, &registry, false)
            .await
            .expect("the second county imports");
        lvzhi::import::import(&test.db, common::WUQIA, &registry, false)
            .await
            .expect("the Wuqia list imports");
        let app = TestApp::spawn(test).await;
        let body = app
            .graphql("{ department(name: \"县住建局\") { name } }", json!({}))
            .await;
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "AMBIGUOUS_NAME", "{body}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("乌恰县住房和城乡建设局 (乌恰县)")
                && message.contains("阿合奇县住房和城乡建设局 (阿合奇县)"),
            "{message}"
        );
        let body = app.graphql("{ department(name: \"县住建局\", county: \"阿合奇县\") { name cooperationCount } }", json!({})).await;
        assert_eq!(
            body["data"]["department"],
            json!({ "name": "阿合奇县住房和城乡建设局", "cooperationCount": 14 })
        );
        let body = app
            .graphql("{ department(name: \"县没有局\") { name } }", json!({}))
            .await;
        assert_eq!(body["data"]["department"], Value::Null);
        // Within one list the county is known.
        let lists = app.graphql("{ dutyLists { id county } }", json!({})).await;
        let list = lists["data"]["dutyLists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["county"] == "乌恰县")
            .unwrap()["id"]
            .clone();
        let body = app.graphql("query($l: ID) { duties(filter: {listId: $l, department: \"县住建局\"}) { totalCount } }", json!({ "l": list })).await;
        assert_eq!(body["data"]["duties"]["totalCount"], 14, "{body}");
    }
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

#[tokio::test]
async fn a_departments_cooperations_in_one_list_are_fetched_for_that_list_alone() {
    for test in TestDb::all().await {
        test.seed().await;
        let august = common::WUQIA.replacen("2025 年 7 月", "2025 年 8 月", 1);
        lvzhi::import::import(&test.db, &august, common::registry(), false)
            .await
            .expect("the August edition imports");
        let on = test.backend;
        let lists = counted(&test.db, "{ dutyLists { id publishedOn } }", json!({}))
            .await
            .1;
        let july = lists["dutyLists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["publishedOn"] == "2025-07")
            .expect("the July list")["id"]
            .clone();
        let bureau = "query($list: ID) { department(name: \"县市监局\") {
            cooperations(listId: $list) { duty { list { publishedOn } seq } departmentItems { text } townItems { text } partners { name } }
            reclaimedDuties(listId: $list) { seq } } }";
        let (all_n, all) = counted(&test.db, bureau, json!({})).await;
        let (one_n, one) = counted(&test.db, bureau, json!({ "list": july })).await;
        let cooperations = |data: &Value| {
            data["department"]["cooperations"]
                .as_array()
                .unwrap()
                .clone()
        };
        assert_eq!(cooperations(&all).len(), 30, "both editions on {on}");
        // The July answer is the July half of the whole, item for item.
        let july_half: Vec<Value> = cooperations(&all)
            .into_iter()
            .filter(|c| c["duty"]["list"]["publishedOn"] == "2025-07")
            .collect();
        assert_eq!(cooperations(&one), july_half, "on {on}");
        assert_eq!(one_n, all_n, "statements on {on}");
        // Aliases asking for different lists each get theirs.
        let both = "query($list: ID) { department(name: \"县市监局\") {
            july: cooperations(listId: $list) { duty { seq } }
            every: cooperations { duty { seq } } cooperationCount } }";
        let (_, data) = counted(&test.db, both, json!({ "list": july })).await;
        assert_eq!(
            data["department"]["july"].as_array().unwrap().len(),
            15,
            "on {on}"
        );
        assert_eq!(
            data["department"]["every"].as_array().unwrap().len(),
            30,
            "on {on}"
        );
        assert_eq!(data["department"]["cooperationCount"], 30, "on {on}");
    }
}

#[tokio::test]
async fn nested_queries_run_as_many_sql_statements_for_many_rows_as_for_one() {
    for test in TestDb::all().await {
        test.seed().await;
        // 15 cooperations against 1.
        let busiest = statements(&test.db, BUREAU, json!({ "name": "县市监局" })).await;
        let single = statements(&test.db, BUREAU, json!({ "name": "县总工会" })).await;
        assert_eq!(busiest, single, "on {}", test.backend);
        // Every cooperative duty with everything nested, against one.
        let nested = "query($n: Int) { duties(filter: {kind: COOPERATIVE}, first: $n) { nodes { category { name } list { title summary { kind } } departments { name aliases }
            departmentItems { text departments { name } } townItems { text } } } }";
        let all = statements(&test.db, nested, json!({ "n": 70 })).await;
        let one = statements(&test.db, nested, json!({ "n": 1 })).await;
        assert_eq!(all, one, "on {}", test.backend);
    }
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

#[tokio::test]
async fn the_bureau_a_page_and_a_duty_each_take_a_few_statements_whatever_their_size() {
    for test in TestDb::all().await {
        test.seed().await;
        let on = test.backend;
        // Bureau: the department, its duties, their items; 15 cooperations or one,
        // reclaimed duties or none.
        for name in ["县市监局", "县总工会", "县住建局", "乌恰县应急管理局"] {
            let n = statements(&test.db, BUREAU, json!({ "name": name })).await;
            assert!(n <= 4, "Bureau of {name} ran {n} statements on {on}");
        }
        // A page of duties with categories and departments: the page (with its
        // total and categories) and the departments, for 50 duties as for one.
        let (list, duty) = list_and_duty_ids(&test.db, 16).await;
        let page = "query($list: ID, $n: Int) { duties(filter: {listId: $list}, first: $n) { totalCount
            nodes { id seq name kind category { name } departments { name } } pageInfo { hasNextPage endCursor } } }";
        let fifty = statements(&test.db, page, json!({ "list": list, "n": 50 })).await;
        let one = statements(&test.db, page, json!({ "list": list, "n": 1 })).await;
        assert_eq!(fifty, one, "on {on}");
        assert!(fifty <= 2, "a page of 50 ran {fifty} statements on {on}");
        // One duty with both columns of items and their departments: 序号 16 has
        // 10 items, 序号 31 32.
        let one_duty = "query($id: ID!) { duty(id: $id) { kind seq name category { name } departments { name }
            departmentItems { section text departments { name } } townItems { section text } workingMethod } }";
        let (_, largest) = list_and_duty_ids(&test.db, 31).await;
        let n = statements(&test.db, one_duty, json!({ "id": duty })).await;
        let m = statements(&test.db, one_duty, json!({ "id": largest })).await;
        assert_eq!(n, m, "on {on}");
        assert!(n <= 3, "one duty ran {n} statements on {on}");
    }
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

#[tokio::test]
async fn duty_stats_count_duties_per_group_in_one_query() {
    for app in TestApp::all().await {
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
        assert_eq!(empty["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
    // The counting is one GROUP BY, whatever the number of groups.
    let test = TestDb::sqlite().await;
    test.seed().await;
    let one = statements(
        &test.db,
        "{ dutyStats(groupBy: [CATEGORY, KIND, DEPARTMENT]) { kind dutyCount } }",
        json!({}),
    )
    .await;
    assert_eq!(one, 1);
}

#[tokio::test]
async fn workloads_split_the_work_of_each_department_with_the_town() {
    for app in TestApp::all().await {
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
    }
}

#[tokio::test]
async fn the_department_network_links_departments_that_share_cooperative_duties() {
    for app in TestApp::all().await {
        let list =
            app.graphql("{ dutyLists { id } }", json!({})).await["data"]["dutyLists"][0]["id"]
                .clone();
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
}

#[tokio::test]
async fn the_town_workload_counts_basic_duties_and_town_items_per_category() {
    for app in TestApp::all().await {
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
        let town_items = app.graphql("{ duties(filter: {kind: COOPERATIVE}, first: 70) { nodes { townItems { text } } } }", json!({})).await;
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
async fn search_finds_chinese_words_of_any_length_and_ranks_names_first() {
    for app in TestApp::all().await {
        // Two characters: the name of 序号 32 first, then items, marked and located.
        let gas = search(&app, "燃气", json!({ "first": 100 })).await;
        let hits = gas["nodes"].as_array().unwrap();
        assert!(hits.len() > 10, "{gas}");
        assert_eq!(hits[0]["matchedIn"], "NAME");
        assert_eq!(
            hits[0]["duty"],
            json!({ "kind": "COOPERATIVE", "seq": 32, "name": "负责燃气安全知识宣传、隐患上报" })
        );
        let mut seen_item = false;
        for hit in hits {
            let text: Vec<char> = hit["text"].as_str().unwrap().chars().collect();
            assert!(
                hit["snippet"].as_str().unwrap().contains("<em>燃气</em>"),
                "{hit}"
            );
            for h in hit["highlights"].as_array().unwrap() {
                let (start, length) = (
                    h["start"].as_u64().unwrap() as usize,
                    h["length"].as_u64().unwrap() as usize,
                );
                assert_eq!(
                    text[start..start + length].iter().collect::<String>(),
                    "燃气"
                );
            }
            if hit["matchedIn"] != "NAME" {
                seen_item = true;
            } else {
                assert!(!seen_item, "name hits rank above item hits");
            }
        }
        let item = hits
            .iter()
            .find(|h| {
                h["item"]["text"] == "依法加强对瓶装液化石油气和燃气经营企业安全状况的监督检查"
            })
            .unwrap();
        assert_eq!(item["matchedIn"], "DEPARTMENT_ITEM");
        assert_eq!(names(&item["departments"]), ["乌恰县住房和城乡建设局"]);

        // One character.
        let forest = search(&app, "林", json!({ "first": 100 })).await;
        assert!(forest["totalCount"].as_i64().unwrap() > 3);
        assert!(
            forest["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h["text"].as_str().unwrap().contains('林'))
        );

        // Several words: all in the same field.
        let both = search(&app, "燃气 入户", json!({})).await;
        let texts: Vec<&str> = both["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["text"].as_str().unwrap())
            .collect();
        assert!(
            texts.contains(&"督促燃气经营企业组织专门工作人员定期入户排查各类燃气安全隐患"),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .all(|t| t.contains("燃气") && t.contains("入户"))
        );

        // Full-width digits find half-width ones; working methods are searched.
        let hotline = search(&app, "１２３４５政务", json!({})).await;
        assert_eq!(hotline["nodes"][0]["duty"]["seq"], 81);
        let method = search(&app, "工伤认定调查工作", json!({})).await;
        assert_eq!(method["nodes"][0]["matchedIn"], "WORKING_METHOD");
        let none = search(&app, "不存在的词语", json!({})).await;
        assert_eq!(none["totalCount"], 0);
    }
}

#[tokio::test]
async fn search_results_are_deterministic_filterable_and_paged() {
    let app = TestApp::spawn(TestDb::sqlite().await).await;
    let all = search(&app, "消防", json!({ "first": 100 })).await;
    assert_eq!(all, search(&app, "消防", json!({ "first": 100 })).await);
    let reclaimed = search(
        &app,
        "消防",
        json!({ "filter": { "kind": "RECLAIMED" }, "first": 100 }),
    )
    .await;
    assert!(reclaimed["totalCount"].as_i64().unwrap() >= 1);
    assert!(
        reclaimed["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["duty"]["kind"] == "RECLAIMED")
    );
    let total = all["totalCount"].as_i64().unwrap() as usize;
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = search(&app, "消防", json!({ "first": 7, "after": after })).await;
        paged.extend(page["nodes"].as_array().unwrap().iter().cloned());
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged.len(), total);
    assert_eq!(Value::Array(paged), all["nodes"]);
    for bad in ["", "   ", &"长".repeat(101)] {
        let body = app.graphql(SEARCH, json!({ "q": bad })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{bad}"
        );
    }
}

#[tokio::test]
async fn search_looks_grams_up_through_the_index_for_every_query_length() {
    use sea_orm::ConnectionTrait;
    for test in TestDb::all().await {
        test.seed().await;
        let backend = test.db.get_database_backend();
        for query in ["林", "燃气", "燃气安全", "燃气 入户"] {
            let statement = backend.build(&lvzhi::search::candidate_texts(&lvzhi::search::words(
                query,
            )));
            let mut explain = statement.clone();
            let plan: Vec<String> = if test.backend == "postgres" {
                // The planner prefers a scan on tables this small; forbid it to show the index serves.
                test.db
                    .execute_unprepared("SET enable_seqscan = off")
                    .await
                    .unwrap();
                explain.sql = format!("EXPLAIN {}", statement.sql);
                let rows = test.db.query_all_raw(explain).await.unwrap();
                rows.iter()
                    .map(|r| r.try_get_by_index::<String>(0).unwrap())
                    .collect()
            } else {
                explain.sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
                let rows = test.db.query_all_raw(explain).await.unwrap();
                rows.iter()
                    .map(|r| r.try_get::<String>("", "detail").unwrap())
                    .collect()
            };
            let plan = plan.join("\n");
            assert!(plan.contains("ndex"), "{query} on {}: {plan}", test.backend);
            assert!(
                !plan.contains("Seq Scan on search_gram") && !plan.contains("SCAN search_gram"),
                "{query} on {}: {plan}",
                test.backend
            );
        }
    }
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

#[tokio::test]
async fn a_database_imported_before_the_search_index_is_indexed_at_start_up() {
    use sea_orm::EntityTrait;
    let test = TestDb::sqlite().await;
    test.seed().await;
    // As a database from before the index: no fields, no texts.
    entity::search_field::Entity::delete_many()
        .exec(&test.db)
        .await
        .unwrap();
    lvzhi::search::remove_orphans(&test.db).await.unwrap();
    let app = TestApp::spawn(test).await;
    let gas = search(&app, "燃气", json!({})).await;
    assert!(gas["totalCount"].as_i64().unwrap() > 10, "{gas}");
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
