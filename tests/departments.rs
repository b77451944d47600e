//! Departments over HTTP: the Bureau query, rankings, names several counties
//! share, and a department's cooperations in one list.

mod common;

use common::app::TestApp;
use common::queries::{BUREAU, counted};
use common::response::{Page, code, data, names, texts};
use common::{TestDb, on_each_backend};
use serde::Deserialize;
use serde_json::{Value, json};

on_each_backend!(
    the_housing_bureau_query_gives_every_cooperation_with_what_the_bureau_and_the_town_do,
    departments_carry_their_counts_and_can_be_ranked,
    an_alias_shared_by_two_counties_is_ambiguous_until_the_county_is_named,
    the_duty_filter_names_the_county_of_an_ambiguous_department,
    a_departments_cooperations_in_one_list_are_fetched_for_that_list_alone,
    counts_asked_for_more_departments_than_a_statement_lists_are_those_counted_one_by_one,
);

async fn the_housing_bureau_query_gives_every_cooperation_with_what_the_bureau_and_the_town_do(
    db: TestDb,
) {
    let app = TestApp::spawn(db).await;
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

async fn departments_carry_their_counts_and_can_be_ranked(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let body = app
        .graphql(
            "{ departments(orderBy: COOPERATION_COUNT) { name cooperationCount reclaimedCount } }",
            json!({}),
        )
        .await;
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

/// A server over `test` holding the Wuqia list twice: in 阿合奇县 ([`second_county`])
/// and in 乌恰县, so every department name is shared by two counties.
async fn serving_two_counties(test: TestDb) -> TestApp {
    let (registry, document) = second_county();
    lvzhi::import::import(&test.db, &document, &registry, false)
        .await
        .expect("the second county imports");
    lvzhi::import::import(&test.db, common::WUQIA, &registry, false)
        .await
        .expect("the Wuqia list imports");
    TestApp::spawn(test).await
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

async fn an_alias_shared_by_two_counties_is_ambiguous_until_the_county_is_named(test: TestDb) {
    let app = serving_two_counties(test).await;
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
    let body = app
        .graphql(
            "{ department(name: \"县住建局\", county: \"阿合奇县\") { name cooperationCount } }",
            json!({}),
        )
        .await;
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

async fn a_departments_cooperations_in_one_list_are_fetched_for_that_list_alone(test: TestDb) {
    test.seed().await;
    let august = common::WUQIA.replacen("2025 年 7 月", "2025 年 8 月", 1);
    lvzhi::import::import(&test.db, &august, common::registry(), false)
        .await
        .expect("the August edition imports");
    let on = test.backend;
    // August is the town's next edition: the current one; July is in force in July.
    let lists = "{ july: dutyLists(asOf: \"2025-07\") { id } current: dutyLists { publishedOn } }";
    let lists = counted(&test.db, lists, json!({})).await.1;
    assert_eq!(
        lists["current"],
        json!([{ "publishedOn": "2025-08" }]),
        "on {on}"
    );
    let july = lists["july"][0]["id"].clone();
    let bureau = "query($list: ID) { department(name: \"县市监局\") {
        cooperations(listId: $list) { duty { list { publishedOn } seq } departmentItems { text } townItems { text } partners { name } }
        reclaimedDuties(listId: $list) { seq } } }";
    let (current_n, current) = counted(&test.db, bureau, json!({})).await;
    let (one_n, one) = counted(&test.db, bureau, json!({ "list": july })).await;
    let cooperations = |data: &Value, month: &str| {
        let all = data["department"]["cooperations"]
            .as_array()
            .unwrap()
            .clone();
        assert!(
            all.iter()
                .all(|c| c["duty"]["list"]["publishedOn"] == month),
            "every cooperation in {month} on {on}"
        );
        // The editions are the same document but for the month.
        all.into_iter()
            .map(|mut c| {
                c["duty"]["list"] = Value::Null;
                c
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(cooperations(&current, "2025-08").len(), 15, "on {on}");
    // The July answer is the current one in July's list, item for item.
    assert_eq!(
        cooperations(&one, "2025-07"),
        cooperations(&current, "2025-08"),
        "on {on}"
    );
    assert_eq!(one_n, current_n, "statements on {on}");
    // Aliases asking for different lists each get theirs.
    let both = "query($list: ID) { department(name: \"县市监局\") {
        july: cooperations(listId: $list) { duty { list { publishedOn } } }
        current: cooperations { duty { list { publishedOn } } } cooperationCount } }";
    let (_, data) = counted(&test.db, both, json!({ "list": july })).await;
    let months = |field: &str| -> Vec<Value> {
        let all = data["department"][field].as_array().unwrap();
        all.iter()
            .map(|c| c["duty"]["list"]["publishedOn"].clone())
            .collect()
    };
    assert_eq!(months("july"), vec![json!("2025-07"); 15], "on {on}");
    assert_eq!(months("current"), vec![json!("2025-08"); 15], "on {on}");
    assert_eq!(data["department"]["cooperationCount"], 15, "on {on}");
}

async fn the_duty_filter_names_the_county_of_an_ambiguous_department(test: TestDb) {
    #[derive(Deserialize)]
    struct Duties {
        duties: Page<InList>,
    }
    #[derive(Deserialize)]
    struct InList {
        list: County,
    }
    #[derive(Deserialize)]
    struct County {
        county: String,
    }
    let app = serving_two_counties(test).await;
    let query =
        "query($c: String) { duties(filter: {department: \"县住建局\", county: $c}, first: 100) {
        totalCount nodes { list { county } } } }";
    let body = app.graphql(query, json!({ "c": null })).await;
    assert_eq!(code(&body), "AMBIGUOUS_NAME", "{body}");
    for county in ["乌恰县", "阿合奇县"] {
        let body = app.graphql(query, json!({ "c": county })).await;
        let page = data::<Duties>(&body).duties;
        assert_eq!(page.total_count, Some(14), "{county}: {body}");
        assert_eq!(page.nodes.len(), 14, "{county}");
        assert!(
            page.nodes.iter().all(|d| d.list.county == county),
            "{county}: {body}"
        );
    }
}

async fn counts_asked_for_more_departments_than_a_statement_lists_are_those_counted_one_by_one(
    test: TestDb,
) {
    use lvzhi::domain::department::counts;
    use lvzhi::domain::scope::Scope;
    use sea_orm::EntityTrait;

    lvzhi::import::import(&test.db, common::WUQIA, common::registry(), false)
        .await
        .expect("the Wuqia list imports");
    let departments: Vec<i32> = entity::department::Entity::find()
        .all(&test.db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    let keys = |ids: &[i32]| ids.iter().map(|&d| (d, Scope::Current)).collect::<Vec<_>>();
    let few = counts(&test.db, &keys(&departments))
        .await
        .unwrap()
        .into_map();
    // Past a thousand departments, the count groups every department instead.
    let absent = (1..=1_000).map(|i| -i);
    let many: Vec<i32> = departments.iter().copied().chain(absent).collect();
    let mut all = counts(&test.db, &keys(&many)).await.unwrap().into_map();
    assert_eq!(all.len(), many.len());
    assert!(
        all.keys()
            .filter(|(d, _)| *d < 0)
            .all(|k| all[k] == Default::default())
    );
    all.retain(|(d, _), _| *d > 0);
    assert_eq!(all, few);
    let busiest = few.values().map(|c| c.cooperative).max();
    assert_eq!(busiest, Some(15), "the counts are the list's");
}
