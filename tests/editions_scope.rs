//! Which editions reads see: every town's current edition by default, the
//! editions in force on an `asOf` day, or one list; and department names read
//! on that day, an old name answering with its successor after a reform. Two
//! editions of the Wuqia list are written by `common::editions_sql`.

mod common;

use common::app::TestApp;
use common::editions_sql::{
    Editions, NEW_BUREAU_NAME, OLD_BUREAU, OLD_BUREAU_NAME, REMOVED_NAME, REMOVED_SEQ, two_editions,
};
use common::queries::{BUREAU, counted};
use common::response::{array, code, message};
use common::{TestDb, on_each_backend};
use serde_json::{Value, json};

on_each_backend!(
    default_reads_see_only_the_current_edition,
    as_of_the_day_before_the_second_edition_answers_the_first_exactly,
    as_of_a_day_before_the_first_edition_answers_nothing,
    a_list_and_a_day_together_are_a_client_error_and_so_is_a_malformed_day,
    an_old_department_name_answers_with_its_successor_from_the_reform_day_on_only,
    reads_of_the_current_editions_run_as_many_statements_as_with_one_edition,
);

/// The day before edition 2 takes effect.
const EVE: &str = "2025-09-30";
/// A day before edition 1 takes effect.
const BEFORE: &str = "2025-06-30";

fn list_id(key: i32) -> String {
    lvzhi::graphql::id::encode("DutyList", key).to_string()
}

/// Two editions and a server over them.
async fn app(db: TestDb) -> (TestApp, Editions) {
    let editions = two_editions(&db).await;
    (TestApp::spawn(db).await, editions)
}

/// Every question the scopes change, asked with `$filter` (a `DutyFilter`)
/// for the duty reads and `$list`/`$asOf` for the others.
const EVERYTHING: &str = "query($filter: DutyFilter, $list: ID, $asOf: Date) {
  duties(filter: $filter, first: 100) { totalCount nodes { id kind seq name } }
  dutyStats(groupBy: [KIND, LIST], filter: $filter) { kind list { id } dutyCount }
  search(query: \"燃气\", filter: $filter, first: 100) { totalCount nodes { duty { id } matchedIn text } }
  categories(listId: $list, asOf: $asOf) { name dutyCount }
  townWorkload(listId: $list, asOf: $asOf) { category { name } basicDuties cooperativeDuties townItems }
  departmentWorkloads(listId: $list, asOf: $asOf) { department { name } cooperativeDuties reclaimedDuties departmentItems townItems } }";

/// [`EVERYTHING`] in one list (`list`) or on one day (`as_of`), or neither.
async fn everything(app: &TestApp, list: Option<i32>, as_of: Option<&str>) -> Value {
    let list = list.map(list_id);
    let variables = json!({
        "filter": { "listId": list, "asOf": as_of },
        "list": list,
        "asOf": as_of,
    });
    let body = app.graphql(EVERYTHING, variables).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

async fn lists(app: &TestApp, as_of: Option<&str>) -> Vec<String> {
    let body = app
        .graphql(
            "query($d: Date) { dutyLists(asOf: $d) { id } }",
            json!({ "d": as_of }),
        )
        .await;
    array(&body["data"]["dutyLists"])
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The list an admission check of `乌恰镇` by town (and `as_of`) is made against.
async fn admission_list(app: &TestApp, as_of: Option<&str>) -> Value {
    let body = app
        .graphql(
            "query($d: Date) { admissionCheck(task: \"开展燃气安全检查\", town: \"乌恰镇\", asOf: $d) { list { id } } }",
            json!({ "d": as_of }),
        )
        .await;
    body["data"]["admissionCheck"]["list"]["id"].clone()
}

/// `department(name:, asOf:)`: its name and counts, or null.
async fn department(app: &TestApp, name: &str, as_of: Option<&str>) -> Value {
    let body = app
        .graphql(
            "query($n: String!, $d: Date) { department(name: $n, asOf: $d) {
                name cooperationCount reclaimedCount cooperations { duty { seq list { id } } } } }",
            json!({ "n": name, "d": as_of }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["department"].clone()
}

fn total(data: &Value, field: &str) -> i64 {
    data[field]["totalCount"].as_i64().unwrap()
}

async fn default_reads_see_only_the_current_edition(db: TestDb) {
    let (app, e) = app(db).await;
    let on = app.db.backend;
    assert_eq!(lists(&app, None).await, [list_id(e.second)], "on {on}");
    let current = everything(&app, None, None).await;
    let second = everything(&app, Some(e.second), None).await;
    let first = everything(&app, Some(e.first), None).await;
    // Every read without a list answers as edition 2 does, and edition 2 lacks
    // the removed duty edition 1 has.
    assert_eq!(current, second, "on {on}");
    assert_eq!(
        total(&current, "duties") + 1,
        total(&first, "duties"),
        "on {on}"
    );
    let removed = "query($l: ID) { duties(filter: {listId: $l, kind: COOPERATIVE, seq: 32}) { nodes { name } } }";
    for (list, expected) in [(None, vec![]), (Some(list_id(e.first)), vec![REMOVED_NAME])] {
        let body = app.graphql(removed, json!({ "l": list })).await;
        let found = common::response::names(&body["data"]["duties"]["nodes"]);
        assert_eq!(found, expected, "{list:?} on {on}");
    }
    assert!(
        total(&current, "search") < total(&first, "search"),
        "the removed duty's hits are gone on {on}"
    );
    let counted = |data: &Value| -> i64 {
        array(&data["categories"])
            .iter()
            .map(|c| c["dutyCount"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(counted(&current), total(&current, "duties"), "on {on}");
    // A department's duties and counts: the current bureau's, in edition 2 only.
    let bureau = department(&app, NEW_BUREAU_NAME, None).await;
    let cooperations = array(&bureau["cooperations"]);
    assert_eq!(bureau["cooperationCount"], 13, "on {on}");
    assert_eq!(cooperations.len(), 13, "on {on}");
    assert!(
        cooperations.iter().all(
            |c| c["duty"]["list"]["id"] == list_id(e.second) && c["duty"]["seq"] != REMOVED_SEQ
        ),
        "on {on}"
    );
    // A town's list for an admission check is its current edition.
    assert_eq!(
        admission_list(&app, None).await,
        list_id(e.second),
        "on {on}"
    );
}

async fn as_of_the_day_before_the_second_edition_answers_the_first_exactly(db: TestDb) {
    let (app, e) = app(db).await;
    let on = app.db.backend;
    assert_eq!(lists(&app, Some(EVE)).await, [list_id(e.first)], "on {on}");
    assert_eq!(
        lists(&app, Some(common::editions_sql::SECOND_DAY)).await,
        [list_id(e.second)],
        "on {on}"
    );
    let eve = everything(&app, None, Some(EVE)).await;
    let first = everything(&app, Some(e.first), None).await;
    assert_eq!(eve, first, "on {on}");
    // `YYYY-MM` is the first of the month: edition 1 is in force on 2025-09-01.
    assert_eq!(
        everything(&app, None, Some("2025-09")).await,
        first,
        "on {on}"
    );
    let bureau = department(&app, OLD_BUREAU_NAME, Some(EVE)).await;
    assert_eq!(bureau["cooperationCount"], 14, "on {on}");
    assert!(
        array(&bureau["cooperations"])
            .iter()
            .all(|c| c["duty"]["list"]["id"] == list_id(e.first)),
        "on {on}"
    );
    assert_eq!(
        admission_list(&app, Some(EVE)).await,
        list_id(e.first),
        "on {on}"
    );
}

async fn as_of_a_day_before_the_first_edition_answers_nothing(db: TestDb) {
    let (app, _) = app(db).await;
    let on = app.db.backend;
    assert!(lists(&app, Some(BEFORE)).await.is_empty(), "on {on}");
    let before = everything(&app, None, Some(BEFORE)).await;
    assert_eq!(total(&before, "duties"), 0, "on {on}");
    assert_eq!(total(&before, "search"), 0, "on {on}");
    for field in [
        "dutyStats",
        "categories",
        "townWorkload",
        "departmentWorkloads",
    ] {
        assert!(array(&before[field]).is_empty(), "{field} on {on}");
    }
    let bureau = department(&app, OLD_BUREAU, Some(BEFORE)).await;
    assert_eq!(bureau["name"], OLD_BUREAU_NAME, "on {on}");
    assert_eq!(bureau["cooperationCount"], 0, "on {on}");
    // No edition of the town is in force: the check has no list to check against.
    let body = app
        .graphql(
            "{ admissionCheck(task: \"开展燃气安全检查\", town: \"乌恰镇\", asOf: \"2025-06-30\") { verdict } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
}

async fn a_list_and_a_day_together_are_a_client_error_and_so_is_a_malformed_day(db: TestDb) {
    let (app, e) = app(db).await;
    let list = list_id(e.first);
    let both = [
        "query($l: ID, $d: Date) { duties(filter: {listId: $l, asOf: $d}) { totalCount } }",
        "query($l: ID, $d: Date) { search(query: \"燃气\", filter: {listId: $l, asOf: $d}) { totalCount } }",
        "query($l: ID, $d: Date) { dutyStats(groupBy: [KIND], filter: {listId: $l, asOf: $d}) { dutyCount } }",
        "query($l: ID, $d: Date) { categories(listId: $l, asOf: $d) { name } }",
        "query($l: ID, $d: Date) { townWorkload(listId: $l, asOf: $d) { basicDuties } }",
        "query($l: ID, $d: Date) { departmentWorkloads(listId: $l, asOf: $d) { townItems } }",
        "query($l: ID, $d: Date) { admissionCheck(task: \"燃气\", listId: $l, asOf: $d) { verdict } }",
    ];
    for query in both {
        let body = app.graphql(query, json!({ "l": list, "d": EVE })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{query}: {body}");
        assert!(message(&body).contains("asOf"), "{body}");
    }
    for day in ["2025-13-01", "2025-02-30", "30.09.2025", "2025-9-30", ""] {
        let body = app
            .graphql(
                "query($d: Date) { dutyLists(asOf: $d) { id } }",
                json!({ "d": day }),
            )
            .await;
        assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{day}: {body}");
        assert!(body["data"].is_null(), "{day}: {body}");
    }
    let body = app
        .graphql("{ dutyLists(asOf: \"2025-09-31\") { id } }", json!({}))
        .await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
}

async fn an_old_department_name_answers_with_its_successor_from_the_reform_day_on_only(db: TestDb) {
    let (app, e) = app(db).await;
    let on = app.db.backend;
    // Today is after the reform: the old alias and the old canonical name
    // answer with the new bureau.
    for name in [OLD_BUREAU, OLD_BUREAU_NAME] {
        let bureau = department(&app, name, None).await;
        assert_eq!(bureau["name"], NEW_BUREAU_NAME, "{name} on {on}");
        assert_eq!(bureau["cooperationCount"], 13, "{name} on {on}");
    }
    let reform_day = department(&app, OLD_BUREAU, Some(common::editions_sql::SECOND_DAY)).await;
    assert_eq!(reform_day["name"], NEW_BUREAU_NAME, "on {on}");
    // The day before, the old bureau answers, with its duties of edition 1.
    let eve = department(&app, OLD_BUREAU, Some(EVE)).await;
    assert_eq!(eve["name"], OLD_BUREAU_NAME, "on {on}");
    assert_eq!(eve["cooperationCount"], 14, "on {on}");
    // The duty filter reads the name on its scope's day: a list's own day.
    let filtered = "query($f: DutyFilter) { duties(filter: $f) { totalCount } }";
    let count = |body: Value| body["data"]["duties"]["totalCount"].clone();
    let now = app
        .graphql(filtered, json!({ "f": { "department": OLD_BUREAU } }))
        .await;
    assert_eq!(count(now), 13, "on {on}");
    let in_first = app
        .graphql(
            filtered,
            json!({ "f": { "department": OLD_BUREAU, "listId": list_id(e.first) } }),
        )
        .await;
    assert_eq!(count(in_first), 14, "on {on}");
    let on_eve = app
        .graphql(
            filtered,
            json!({ "f": { "department": OLD_BUREAU, "asOf": EVE } }),
        )
        .await;
    assert_eq!(count(on_eve), 14, "on {on}");
    // Following a reform costs one statement; a name no reform touched, none.
    let test = &app.db;
    let (reformed, data) = counted(&test.db, BUREAU, json!({ "name": OLD_BUREAU })).await;
    assert_eq!(data["department"]["name"], NEW_BUREAU_NAME, "on {on}");
    let (direct, _) = counted(&test.db, BUREAU, json!({ "name": NEW_BUREAU_NAME })).await;
    assert_eq!((reformed, direct), (4, 3), "on {on}");
}

async fn reads_of_the_current_editions_run_as_many_statements_as_with_one_edition(db: TestDb) {
    let editions = two_editions(&db).await;
    let on = db.backend;
    // The benchmark's counts (Bureau 3, a page 2, a duty 3), now with two editions.
    for name in ["县市监局", "县总工会", "乌恰县应急管理局"] {
        let (n, _) = counted(&db.db, BUREAU, json!({ "name": name })).await;
        assert_eq!(n, 3, "Bureau of {name} ran {n} statements on {on}");
        // As of a day, the same question costs no statement more.
        let as_of = BUREAU
            .replace("($name: String!)", "($name: String!, $asOf: Date)")
            .replace(
                "department(name: $name)",
                "department(name: $name, asOf: $asOf)",
            );
        let (n, data) = counted(&db.db, &as_of, json!({ "name": name, "asOf": EVE })).await;
        assert!(data["department"]["cooperations"].is_array(), "{data}");
        assert_eq!(
            n, 3,
            "Bureau of {name} as of {EVE} ran {n} statements on {on}"
        );
    }
    let page = "query($f: DutyFilter) { duties(filter: $f, first: 50) { totalCount
        nodes { id seq name kind category { name } departments { name } } } }";
    for filter in [
        json!({}),
        json!({ "asOf": EVE }),
        json!({ "listId": list_id(editions.first) }),
    ] {
        let (n, _) = counted(&db.db, page, json!({ "f": filter })).await;
        assert_eq!(n, 2, "a page with {filter} ran {n} statements on {on}");
    }
    // A department's duties in a list and in its scope at once, with its
    // counts: still one statement for the duties, told apart by edition.
    let both = "query($l: ID) { department(name: \"县市监局\") { cooperationCount
        old: cooperations(listId: $l) { duty { seq } } now: cooperations { duty { seq } } } }";
    let (n, data) = counted(&db.db, both, json!({ "l": list_id(editions.first) })).await;
    assert_eq!(n, 2, "the department and its duties on {on}");
    let d = &data["department"];
    // The bureau cooperates on the removed duty too.
    assert_eq!(array(&d["old"]).len(), 15, "on {on}");
    assert_eq!(array(&d["now"]).len(), 14, "on {on}");
    assert_eq!(d["cooperationCount"], 14, "on {on}");
}
