//! History over HTTP: a town's editions, a duty's versions across them,
//! `listDiff` between two editions and its XLSX download. Edition 2 is written
//! by `common::history_sql` (a stand-in for the importer, which does not store
//! editions yet) with known edits, so every change is asserted exactly.

mod common;

use common::app::TestApp;
use common::history_sql::{
    ADDED_NAME, EDITION_2_DAY, RENAMED_DEPARTMENT, RENAMED_SUFFIX, REWORDED_SUFFIX, SecondEdition,
    second_edition,
};
use common::response::{code, message};
use common::workbook::sheets;
use common::{TestDb, on_each_backend};
use entity::{EditionSource, duty_list};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, EntityTrait};
use serde::Deserialize;
use serde_json::{Value, json};

on_each_backend!(
    a_town_has_numbered_dated_editions_and_one_is_current,
    a_duty_has_a_version_per_edition_and_none_current_once_removed,
    the_diff_of_two_editions_holds_exactly_their_edits,
    the_diff_from_the_newer_edition_runs_backwards,
    the_diff_downloads_as_a_workbook_with_a_sheet_per_kind_of_change,
    unknown_lists_and_lists_of_different_towns_are_refused,
);

/// The server over the bundled list, with edition 2 written beside it.
async fn two_editions(db: TestDb) -> (TestApp, SecondEdition) {
    let app = TestApp::spawn(db).await;
    let first = duty_list::Entity::find()
        .one(&app.db.db)
        .await
        .unwrap()
        .expect("the bundled list")
        .id;
    let second = second_edition(&app.db.db, first).await;
    (app, second)
}

fn list_id(key: i32) -> String {
    lvzhi::graphql::id::encode("DutyList", key).to_string()
}

/// The `data` of a query without errors.
async fn query(app: &TestApp, query: &str, variables: Value) -> Value {
    let body = app.graphql(query, variables).await;
    assert!(body["errors"].is_null(), "errors in {body}");
    body["data"].clone()
}

async fn a_town_has_numbered_dated_editions_and_one_is_current(db: TestDb) {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Edition {
        edition: i32,
        effective_on: String,
        valid_until: Option<String>,
        is_current: bool,
        document_number: Option<String>,
        reason: Option<String>,
        source: String,
        source_name: Option<String>,
        published_at: String,
        editions: Vec<Number>,
        current_edition: Number,
        previous_edition: Option<Number>,
    }
    #[derive(Debug, Deserialize, PartialEq)]
    struct Number {
        edition: i32,
    }
    let (app, made) = two_editions(db).await;
    let q = "query($id: ID!) { dutyList(id: $id) { edition effectiveOn validUntil isCurrent
        documentNumber reason source sourceName publishedAt
        editions { edition } currentEdition { edition } previousEdition { edition } } }";
    let edition = |key: i32| {
        let app = &app;
        async move {
            let d = query(app, q, json!({ "id": list_id(key) })).await;
            serde_json::from_value::<Edition>(d["dutyList"].clone()).unwrap()
        }
    };
    let first = edition(made.first).await;
    let second = edition(made.second).await;
    let numbers = |n: &[i32]| {
        n.iter()
            .map(|&edition| Number { edition })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        (
            first.edition,
            first.effective_on.as_str(),
            first.valid_until.as_deref()
        ),
        (1, "2025-07-01", Some(EDITION_2_DAY))
    );
    assert!(!first.is_current);
    assert_eq!(first.source, "IMPORT");
    assert_eq!(first.editions, numbers(&[1, 2]));
    assert_eq!(first.current_edition, Number { edition: 2 });
    assert_eq!(first.previous_edition, None);
    assert_eq!(
        second,
        Edition {
            edition: 2,
            effective_on: EDITION_2_DAY.into(),
            valid_until: None,
            is_current: true,
            document_number: Some("乌政办发〔2026〕1号".into()),
            reason: Some("机构改革后调整".into()),
            source: "ADJUSTMENT".into(),
            source_name: Some("2026年第1批调整".into()),
            published_at: "2026-01-01T00:00:00Z".into(),
            editions: numbers(&[1, 2]),
            current_edition: Number { edition: 2 },
            previous_edition: Some(Number { edition: 1 }),
        }
    );
}

/// A duty's versions as `VERSIONS` asks for them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Versioned {
    lineage: String,
    versions: Vec<Version>,
    current_version: Option<Version>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Version {
    lineage: String,
    seq: i32,
    name: String,
    list: Number,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Number {
    edition: i32,
}

const VERSIONS: &str = "query($list: ID!, $kind: DutyKind!, $seq: Int!) {
    duties(filter: {listId: $list, kind: $kind, seq: $seq}) { nodes {
      lineage versions { lineage seq name list { edition } }
      currentVersion { lineage seq name list { edition } } } } }";

async fn versions_of(app: &TestApp, list: i32, kind: &str, seq: i32) -> Versioned {
    let d = query(
        app,
        VERSIONS,
        json!({ "list": list_id(list), "kind": kind, "seq": seq }),
    )
    .await;
    let nodes: Vec<Versioned> = serde_json::from_value(d["duties"]["nodes"].clone()).unwrap();
    nodes.into_iter().next().expect("the duty exists")
}

async fn a_duty_has_a_version_per_edition_and_none_current_once_removed(db: TestDb) {
    let (app, made) = two_editions(db).await;
    // Renamed: both versions, the current one under the new name.
    let renamed = versions_of(&app, made.first, "BASIC", 1).await;
    let places = |v: &[Version]| {
        v.iter()
            .map(|v| (v.list.edition, v.seq, v.lineage == renamed.lineage))
            .collect::<Vec<_>>()
    };
    assert_eq!(places(&renamed.versions), [(1, 1, true), (2, 1, true)]);
    assert_eq!(
        renamed.versions[1].name,
        format!("{}{RENAMED_SUFFIX}", renamed.versions[0].name)
    );
    assert_eq!(renamed.current_version.as_ref(), renamed.versions.get(1));
    // Asked from edition 2, the same lineage and versions.
    let from_second = versions_of(&app, made.second, "BASIC", 1).await;
    assert_eq!(from_second.lineage, renamed.lineage);
    assert_eq!(from_second.versions, renamed.versions);
    // Shifted up by the removal: the same duty at 序号 3, then 2.
    let shifted = versions_of(&app, made.first, "BASIC", 3).await;
    let seqs: Vec<(i32, i32)> = shifted
        .versions
        .iter()
        .map(|v| (v.list.edition, v.seq))
        .collect();
    assert_eq!(seqs, [(1, 3), (2, 2)]);
    // Removed by edition 2: one version, none current.
    let removed = versions_of(&app, made.first, "BASIC", 2).await;
    assert_eq!(removed.versions.len(), 1);
    assert_eq!(removed.current_version, None);
    // Added by edition 2: its only version is the current one.
    let added = versions_of(&app, made.second, "BASIC", 81).await;
    assert_eq!(added.versions.len(), 1);
    assert_eq!(added.versions[0].name, ADDED_NAME);
    assert_eq!(added.current_version.as_ref(), added.versions.first());
}

const DIFF: &str = "query($from: ID!, $to: ID!) { listDiff(from: $from, to: $to) {
    from { edition } to { edition }
    counts { added removed modified moved renumbered shifted unchanged }
    tables { kind added removed modified movedIn movedOut renumbered unchanged shifted }
    entries { change renumbered
      before { kind seq name category departments workingMethod }
      after { kind seq name category departments workingMethod }
      fields { field before after }
      departmentChanges { change department successors }
      items { change before { party section text departments } after { party section text departments }
              departmentChanges { change department successors } } }
    departments { change before after dutyCount }
    ambiguous { before { name } after { name } } } }";

async fn diff(app: &TestApp, from: i32, to: i32) -> Value {
    let d = query(
        app,
        DIFF,
        json!({ "from": list_id(from), "to": list_id(to) }),
    )
    .await;
    d["listDiff"].clone()
}

/// An entry in one line: change (`*` when renumbered), places before and
/// after, changed fields, department deltas and item changes.
fn line(entry: &Value) -> String {
    let place = |d: &Value| match d {
        Value::Null => "-".to_owned(),
        d => format!("{} {}", d["kind"].as_str().unwrap(), d["seq"]),
    };
    let renumbered = if entry["renumbered"] == json!(true) {
        "*"
    } else {
        ""
    };
    let fields: Vec<&str> = common::response::strings(&entry["fields"], "field");
    let delta = |d: &Value| {
        let successors: Vec<&str> = common::response::array(&d["successors"])
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        format!(
            "{} {}→{}",
            d["change"].as_str().unwrap(),
            d["department"].as_str().unwrap(),
            successors.join("、")
        )
    };
    let departments: Vec<String> = common::response::array(&entry["departmentChanges"])
        .iter()
        .map(delta)
        .collect();
    let text = |i: &Value| i["text"].as_str().unwrap_or("-").to_owned();
    let items: Vec<String> = common::response::array(&entry["items"])
        .iter()
        .map(|i| {
            format!(
                "{} {}: {} → {}",
                i["change"].as_str().unwrap(),
                i["after"]["party"]
                    .as_str()
                    .or(i["before"]["party"].as_str())
                    .unwrap(),
                text(&i["before"]),
                text(&i["after"])
            )
        })
        .collect();
    format!(
        "{}{renumbered} {} → {} fields {fields:?} departments {departments:?} items {items:?}",
        entry["change"].as_str().unwrap(),
        place(&entry["before"]),
        place(&entry["after"]),
    )
}

/// Cooperative duty 3's first town item in edition 1.
const TOWN_ITEM: &str = "负责党内统计工作的党务干部参加县委组织部组织的党内年度统计工作培训";
/// The department renamed between the editions, as edition 1 names it.
const OLD_DEPARTMENT: &str = "乌恰县委组织部";

async fn the_diff_of_two_editions_holds_exactly_their_edits(db: TestDb) {
    let (app, made) = two_editions(db).await;
    assert_eq!(made.renamed_from, OLD_DEPARTMENT);
    let d = diff(&app, made.first, made.second).await;
    assert_eq!(
        (&d["from"]["edition"], &d["to"]["edition"]),
        (&json!(1), &json!(2))
    );
    assert_eq!(
        d["counts"],
        json!({ "added": 1, "removed": 1, "modified": 2, "moved": 0, "renumbered": 1,
                "shifted": 80, "unchanged": 168 })
    );
    assert_eq!(
        d["tables"],
        json!([
            { "kind": "BASIC", "added": 1, "removed": 1, "modified": 1, "movedIn": 0,
              "movedOut": 0, "renumbered": 0, "unchanged": 79, "shifted": 79 },
            { "kind": "COOPERATIVE", "added": 0, "removed": 0, "modified": 1, "movedIn": 0,
              "movedOut": 0, "renumbered": 1, "unchanged": 68, "shifted": 1 },
            { "kind": "RECLAIMED", "added": 0, "removed": 0, "modified": 0, "movedIn": 0,
              "movedOut": 0, "renumbered": 0, "unchanged": 21, "shifted": 0 },
        ])
    );
    let renamed = format!("SUCCEEDED {OLD_DEPARTMENT}→{RENAMED_DEPARTMENT}");
    let entries: Vec<String> = common::response::array(&d["entries"])
        .iter()
        .map(line)
        .collect();
    assert_eq!(
        entries,
        [
            "MODIFIED BASIC 1 → BASIC 1 fields [\"NAME\"] departments [] items []".to_owned(),
            "ADDED - → BASIC 81 fields [] departments [] items []".to_owned(),
            format!(
                "RENUMBERED* COOPERATIVE 2 → COOPERATIVE 1 fields [] departments [{renamed:?}] items []"
            ),
            format!(
                "MODIFIED COOPERATIVE 3 → COOPERATIVE 3 fields [] departments [{renamed:?}] items [{:?}]",
                format!("REWORDED TOWN: {TOWN_ITEM} → {TOWN_ITEM}{REWORDED_SUFFIX}")
            ),
            "REMOVED BASIC 2 → - fields [] departments [] items []".to_owned(),
        ]
    );
    let name = &d["entries"][0]["fields"][0];
    let before = name["before"].as_str().unwrap();
    assert_eq!(name["after"], json!(format!("{before}{RENAMED_SUFFIX}")));
    assert_eq!(d["entries"][1]["after"]["name"], json!(ADDED_NAME));
    assert_eq!(
        d["entries"][3]["after"]["departments"],
        json!([RENAMED_DEPARTMENT])
    );
    assert_eq!(
        d["departments"],
        json!([{ "change": "RENAMED", "before": [OLD_DEPARTMENT], "after": [RENAMED_DEPARTMENT],
                 "dutyCount": made.renamed_duties }])
    );
    assert_eq!(d["ambiguous"], json!([]));
}

async fn the_diff_from_the_newer_edition_runs_backwards(db: TestDb) {
    let (app, made) = two_editions(db).await;
    let d = diff(&app, made.second, made.first).await;
    assert_eq!(
        (&d["from"]["edition"], &d["to"]["edition"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(
        d["counts"],
        json!({ "added": 1, "removed": 1, "modified": 2, "moved": 0, "renumbered": 1,
                "shifted": 80, "unchanged": 168 })
    );
    let renamed = format!("SUCCEEDED {RENAMED_DEPARTMENT}→{OLD_DEPARTMENT}");
    let entries: Vec<String> = common::response::array(&d["entries"])
        .iter()
        .map(line)
        .collect();
    assert_eq!(
        entries,
        [
            "MODIFIED BASIC 1 → BASIC 1 fields [\"NAME\"] departments [] items []".to_owned(),
            "ADDED - → BASIC 2 fields [] departments [] items []".to_owned(),
            format!(
                "RENUMBERED* COOPERATIVE 2 → COOPERATIVE 1 fields [] departments [{renamed:?}] items []"
            ),
            format!(
                "MODIFIED COOPERATIVE 3 → COOPERATIVE 3 fields [] departments [{renamed:?}] items [{:?}]",
                format!("REWORDED TOWN: {TOWN_ITEM}{REWORDED_SUFFIX} → {TOWN_ITEM}")
            ),
            "REMOVED BASIC 81 → - fields [] departments [] items []".to_owned(),
        ]
    );
    assert_eq!(
        d["departments"],
        json!([{ "change": "RENAMED", "before": [RENAMED_DEPARTMENT], "after": [OLD_DEPARTMENT],
                 "dutyCount": made.renamed_duties }])
    );
}

async fn the_diff_downloads_as_a_workbook_with_a_sheet_per_kind_of_change(db: TestDb) {
    let (app, made) = two_editions(db).await;
    let (from, to) = (list_id(made.first), list_id(made.second));
    let response = app
        .get(&format!("/export/diff.xlsx?from={from}&to={to}"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let downloaded = sheets(&response.bytes().await.unwrap());
    let names: Vec<&str> = downloaded.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "汇总",
            "新增",
            "删除",
            "修改",
            "移动",
            "调整序号",
            "部门变更"
        ]
    );
    let rows = |sheet: &str| &downloaded.iter().find(|(n, _)| n == sheet).unwrap().1;
    assert_eq!(
        rows("汇总")[1..],
        [
            ["基本履职事项", "1", "1", "1", "0", "0", "0", "79", "79"],
            ["配合履职事项", "0", "0", "1", "0", "0", "1", "68", "1"],
            ["上级部门收回事项", "0", "0", "0", "0", "0", "0", "21", "0"],
        ]
    );
    assert_eq!(
        rows("新增")[1][..4],
        ["基本履职事项", "81", "党的建设", ADDED_NAME]
    );
    assert_eq!(rows("删除")[1][..2], ["基本履职事项", "2"]);
    // The renamed duty, the succession on duty 3 and its reworded item.
    let modified: Vec<(&str, &str)> = rows("修改")[1..]
        .iter()
        .map(|r| (r[2].as_str(), r[5].as_str()))
        .collect();
    assert_eq!(
        modified,
        [("1", "修改"), ("3", "机构改革承继"), ("3", "改写")]
    );
    assert_eq!(rows("移动").len(), 1, "a header and no rows");
    assert_eq!(rows("调整序号")[1][..3], ["配合履职事项", "2", "1"]);
    assert_eq!(
        rows("部门变更")[1..],
        [[
            "更名".to_owned(),
            OLD_DEPARTMENT.to_owned(),
            RENAMED_DEPARTMENT.to_owned(),
            made.renamed_duties.to_string()
        ]]
    );
    // `lvzhi export --diff-from` writes the same workbook.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("diff.xlsx");
    let out = common::lvzhi_cli(
        &app.db.url,
        None,
        &[
            "export",
            file.to_str().unwrap(),
            "--diff-from",
            &from,
            "--list",
            &to,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sheets(&std::fs::read(&file).unwrap()), downloaded);
}

async fn unknown_lists_and_lists_of_different_towns_are_refused(db: TestDb) {
    let (app, made) = two_editions(db).await;
    let county_id = duty_list::Entity::find_by_id(made.first)
        .one(&app.db.db)
        .await
        .unwrap()
        .unwrap()
        .county_id;
    let other = duty_list::ActiveModel {
        id: NotSet,
        county_id: Set(county_id),
        town: Set("膘尔托阔依乡".into()),
        title: Set("乌恰县膘尔托阔依乡履职事项清单".into()),
        published_on: Set("2025-07".into()),
        preamble: Set(String::new()),
        fingerprint: Set("other town".into()),
        imported_at: Set(0),
        edition: Set(1),
        effective_on: Set("2025-07-01".into()),
        valid_until: Set(None),
        document_number: Set(None),
        reason: Set(None),
        source: Set(EditionSource::Import),
        source_name: Set(String::new()),
    }
    .insert(&app.db.db)
    .await
    .unwrap()
    .id;
    let (first, other, unknown) = (list_id(made.first), list_id(other), list_id(999_999));
    let ask = |from: &str, to: &str| {
        let vars = json!({ "from": from, "to": to });
        let app = &app;
        async move {
            app.graphql("query($from: ID!, $to: ID!) { listDiff(from: $from, to: $to) { counts { added } } }", vars)
                .await
        }
    };
    let towns = ask(&first, &other).await;
    assert_eq!(code(&towns), "BAD_USER_INPUT", "{towns}");
    assert!(message(&towns).contains("膘尔托阔依乡"), "{towns}");
    let missing = ask(&first, &unknown).await;
    assert_eq!(code(&missing), "NOT_FOUND", "{missing}");
    assert!(message(&missing).contains(&unknown), "{missing}");
    assert_eq!(code(&ask(&unknown, &first).await), "NOT_FOUND");
    assert_eq!(code(&ask("not an id", &first).await), "BAD_USER_INPUT");
    // The download answers alike, with the code's HTTP status.
    let download = |query: String| {
        let app = &app;
        async move {
            let response = app.get(&format!("/export/diff.xlsx?{query}")).await;
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("a JSON error");
            (status, code(&body).to_owned())
        }
    };
    assert_eq!(
        download(format!("from={first}&to={other}")).await,
        (400, "BAD_USER_INPUT".to_owned())
    );
    assert_eq!(
        download(format!("from={first}&to={unknown}")).await,
        (404, "NOT_FOUND".to_owned())
    );
    assert_eq!(
        download(format!("from={first}")).await,
        (400, "BAD_USER_INPUT".to_owned())
    );
    // A list is still downloaded as a list: `diff.xlsx` takes no list's path.
    let list = app.get(&format!("/export/{first}.xlsx")).await;
    assert_eq!(list.status(), 200);
}
