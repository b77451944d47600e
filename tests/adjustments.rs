//! Adjustments end to end over HTTP, on each database: a town applies, a
//! reviewer reviews, an approver approves, a publisher publishes the next
//! edition with its 文号 — then `listDiff`, `asOf`, lineage and the audit log
//! say exactly what happened; an OA system's own approval applied at once;
//! optimistic concurrency; racing approvers and publishers; refusals.

mod common;

use common::app::TestApp;
use common::tokens::{Scope, data, error_code, made, post_as};
use common::{TestDb, on_each_backend};
use entity::{Role, audit_event};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder};
use serde_json::{Value, json};

on_each_backend!(
    a_town_moves_a_duty_through_review_approval_and_publication_into_edition_two,
    an_oa_system_applies_changes_it_approved_itself_as_one_edition,
    a_request_on_a_duty_that_a_newer_edition_changed_is_a_conflict_naming_it,
    of_two_racing_approvers_and_two_racing_publishers_exactly_one_wins,
    a_submission_with_bad_input_is_refused_naming_the_field_and_writes_nothing,
    a_department_renamed_by_request_is_renamed_from_its_day_and_answers_by_its_old_name,
    a_split_must_say_which_successor_takes_each_duty,
    every_change_writes_its_event_in_commit_order_without_gaps,
);

const SUBMIT: &str = r#"mutation($input: AdjustmentInput!) {
  submitAdjustment(input: $input) { id state operation dutyLineage submittedBy
    proposed { kind workingMethod departments } list { id edition } }
}"#;

const PUBLISH: &str = r#"mutation($input: PublishInput!) {
  publishAdjustments(input: $input) {
    list { id edition isCurrent effectiveOn documentNumber source sourceName
      previousEdition { id } summary { kind dutyCount } }
    adjustments { id state publishedBy publishedIn { id } }
  }
}"#;

const FIRST_COOPERATIVE: &str = r#"{
  dutyLists { id edition }
  duties(filter: {kind: COOPERATIVE}, first: 1) {
    nodes { id name lineage seq departments { name } departmentItems { text } townItems { text } }
  }
}"#;

const DIFF: &str = r#"query($from: ID!, $to: ID!) {
  listDiff(from: $from, to: $to) {
    counts { added removed modified moved renumbered }
    entries { change
      before { id lineage kind seq name departments }
      after { id lineage kind seq name departments workingMethod }
      items { change before { text } after { text } } }
  }
}"#;

/// One step of the flow (`reviewAdjustment`, …) by `token`; its answer.
async fn step(app: &TestApp, token: &str, mutation: &str, id: &str) -> (StatusCode, Value) {
    let query =
        format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ id state reviewedBy decidedBy }} }}");
    post_as(app, Some(token), &query, json!({ "id": id })).await
}

/// The bundled list's ID and its first cooperative duty.
async fn first_cooperative(app: &TestApp) -> (String, Value) {
    let body = app.graphql(FIRST_COOPERATIVE, json!({})).await;
    let list = body["data"]["dutyLists"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (list, body["data"]["duties"]["nodes"][0].clone())
}

/// A request to move `duty` to the reclaimed table.
fn move_to_reclaimed(list: &str, duty: &Value) -> Value {
    json!({ "input": {
        "listId": list,
        "operation": "MOVE",
        "dutyId": duty["id"],
        "duty": { "kind": "RECLAIMED", "workingMethod": "县级部门承接，乡镇不再承担" },
        "applicant": "乌恰镇人民政府",
        "legalBasis": "《中华人民共和国森林法》第九条",
        "reason": "该事项专业性强，乡镇不具备执法条件",
    }})
}

/// Tokens of every role of the flow in 乌恰县.
struct Flow {
    applicant: String,
    reviewer: String,
    approver: String,
    publisher: String,
}

impl Flow {
    async fn tokens(app: &TestApp) -> Flow {
        let db = &app.db.db;
        Flow {
            applicant: made(db, "乌恰镇", Role::Applicant, Scope::TOWN).await,
            reviewer: made(db, "县编办", Role::Reviewer, Scope::COUNTY).await,
            approver: made(db, "县政府", Role::Approver, Scope::COUNTY).await,
            publisher: made(db, "县司法局", Role::Publisher, Scope::COUNTY).await,
        }
    }

    /// Submit `input`, review and approve it; the request's ID.
    async fn approved(&self, app: &TestApp, input: Value) -> String {
        let (status, body) = post_as(app, Some(&self.applicant), SUBMIT, input).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = data(&body, "submitAdjustment")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for (token, mutation) in [
            (&self.reviewer, "reviewAdjustment"),
            (&self.approver, "approveAdjustment"),
        ] {
            let (status, body) = step(app, token, mutation, &id).await;
            assert_eq!(status, StatusCode::OK, "{mutation}: {body}");
        }
        id
    }
}

fn publish_input(ids: &[&str], document_number: &str, day: &str) -> Value {
    json!({ "input": { "ids": ids, "documentNumber": document_number, "effectiveOn": day } })
}

async fn a_town_moves_a_duty_through_review_approval_and_publication_into_edition_two(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let flow = Flow::tokens(&app).await;
    let (list, duty) = first_cooperative(&app).await;

    let (status, body) = post_as(
        &app,
        Some(&flow.applicant),
        SUBMIT,
        move_to_reclaimed(&list, &duty),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let submitted = data(&body, "submitAdjustment");
    assert_eq!(submitted["state"], "SUBMITTED");
    assert_eq!(submitted["operation"], "MOVE");
    assert_eq!(submitted["submittedBy"], "乌恰镇");
    assert_eq!(submitted["proposed"]["kind"], "RECLAIMED");
    let id = submitted["id"].as_str().unwrap().to_owned();

    let (_, reviewed) = step(&app, &flow.reviewer, "reviewAdjustment", &id).await;
    assert_eq!(data(&reviewed, "reviewAdjustment")["state"], "REVIEWED");
    assert_eq!(data(&reviewed, "reviewAdjustment")["reviewedBy"], "县编办");
    let (_, approved) = step(&app, &flow.approver, "approveAdjustment", &id).await;
    assert_eq!(data(&approved, "approveAdjustment")["state"], "APPROVED");
    assert_eq!(data(&approved, "approveAdjustment")["decidedBy"], "县政府");

    let input = publish_input(&[&id], "乌政办发〔2026〕12号", "2026-01-01");
    let (status, body) = post_as(&app, Some(&flow.publisher), PUBLISH, input.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let published = data(&body, "publishAdjustments");
    let edition = &published["list"];
    assert_eq!(edition["edition"], 2);
    assert_eq!(edition["isCurrent"], true);
    assert_eq!(edition["effectiveOn"], "2026-01-01");
    assert_eq!(edition["documentNumber"], "乌政办发〔2026〕12号");
    assert_eq!(edition["source"], "ADJUSTMENT");
    assert_eq!(edition["previousEdition"]["id"], list.as_str());
    let counts: Vec<(String, i64)> = edition["summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["dutyCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("BASIC".to_owned(), 81),
            ("COOPERATIVE".to_owned(), 69),
            ("RECLAIMED".to_owned(), 22)
        ]
    );
    assert_eq!(published["adjustments"][0]["state"], "PUBLISHED");
    assert_eq!(published["adjustments"][0]["publishedBy"], "县司法局");
    let new_list = edition["id"].as_str().unwrap().to_owned();

    // Publishing again with the same 文号 answers the same edition.
    let (_, again) = post_as(&app, Some(&flow.publisher), PUBLISH, input).await;
    assert_eq!(
        data(&again, "publishAdjustments")["list"]["id"],
        new_list.as_str()
    );

    // The diff shows exactly the move, with its items, and keeps the lineage.
    let diff = app
        .graphql(DIFF, json!({ "from": list, "to": new_list }))
        .await;
    let diff = data(&diff, "listDiff");
    assert_eq!(
        diff["counts"],
        json!({ "added": 0, "removed": 0, "modified": 0, "moved": 1, "renumbered": 0 })
    );
    let entries = diff["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let moved = &entries[0];
    assert_eq!(moved["change"], "MOVED");
    assert_eq!(moved["before"]["id"], duty["id"]);
    assert_eq!(moved["before"]["kind"], "COOPERATIVE");
    assert_eq!(moved["after"]["kind"], "RECLAIMED");
    assert_eq!(moved["after"]["seq"], 22);
    assert_eq!(moved["after"]["name"], duty["name"]);
    assert_eq!(
        moved["after"]["workingMethod"],
        "县级部门承接，乡镇不再承担"
    );
    assert_eq!(moved["before"]["lineage"], duty["lineage"]);
    assert_eq!(moved["after"]["lineage"], duty["lineage"]);
    let before_items = duty["departmentItems"].as_array().unwrap().len()
        + duty["townItems"].as_array().unwrap().len();
    let items = moved["items"].as_array().unwrap();
    assert_eq!(items.len(), before_items);
    assert!(
        items
            .iter()
            .all(|i| i["change"] == "REMOVED" && i["after"].is_null())
    );

    // As of the day before, edition 1 answers as before; the old ID still
    // names its version, which knows the current one.
    let as_of = app
        .graphql(
            r#"query($id: ID!) {
              old: duties(filter: {asOf: "2025-12-31", kind: COOPERATIVE}, first: 1) { totalCount nodes { id } }
              now: duties(filter: {kind: COOPERATIVE}, first: 1) { totalCount }
              duty(id: $id) { kind list { edition } currentVersion { kind lineage list { edition } } }
            }"#,
            json!({ "id": duty["id"] }),
        )
        .await;
    assert_eq!(as_of["data"]["old"]["totalCount"], 70);
    assert_eq!(as_of["data"]["old"]["nodes"][0]["id"], duty["id"]);
    assert_eq!(as_of["data"]["now"]["totalCount"], 69);
    let old = &as_of["data"]["duty"];
    assert_eq!(old["kind"], "COOPERATIVE");
    assert_eq!(old["list"]["edition"], 1);
    assert_eq!(old["currentVersion"]["kind"], "RECLAIMED");
    assert_eq!(old["currentVersion"]["list"]["edition"], 2);
    assert_eq!(old["currentVersion"]["lineage"], duty["lineage"]);

    // The audit log holds every step, with its actor.
    let steps: Vec<(String, String, String)> = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.actor != "system")
        .map(|e| (e.operation, e.actor, e.result))
        .collect();
    let expected = [
        ("token.create", "cli"),
        ("token.create", "cli"),
        ("token.create", "cli"),
        ("token.create", "cli"),
        ("adjustment.submit", "乌恰镇"),
        ("adjustment.review", "县编办"),
        ("adjustment.approve", "县政府"),
        ("list.publish", "县司法局"),
        ("adjustment.publish", "县司法局"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(op, actor)| (op.to_string(), actor.to_string(), "OK".to_owned()))
        .collect();
    assert_eq!(steps, expected);
}

async fn an_oa_system_applies_changes_it_approved_itself_as_one_edition(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let oa = made(&app.db.db, "县OA", Role::Approver, Scope::COUNTY).await;
    let (list, duty) = first_cooperative(&app).await;
    let rename = json!({
        "listId": list, "operation": "MODIFY", "dutyId": duty["id"],
        "duty": { "name": "林草防火巡查（调整）" },
        "applicant": "县林草局", "legalBasis": "《森林防火条例》", "reason": "名称规范",
    });
    let add = json!({
        "listId": list, "operation": "ADD",
        "duty": { "kind": "BASIC", "category": "平安建设", "name": "组织开展燃气安全入户宣传" },
        "applicant": "乌恰镇人民政府", "legalBasis": "《城镇燃气管理条例》", "reason": "新增",
    });
    let query = r#"mutation($input: ApplyInput!) {
      applyAdjustments(input: $input) {
        list { edition documentNumber source summary { kind dutyCount } }
        adjustments { state approver submittedBy decidedBy operation }
      }
    }"#;
    let input = json!({ "input": {
        "changes": [rename, add], "documentNumber": "乌政发〔2026〕3号",
        "approver": "县长办公会议", "effectiveOn": "2026-02-01",
    }});
    let (status, body) = post_as(&app, Some(&oa), query, input).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let applied = data(&body, "applyAdjustments");
    assert_eq!(applied["list"]["edition"], 2);
    assert_eq!(applied["list"]["documentNumber"], "乌政发〔2026〕3号");
    assert_eq!(applied["list"]["summary"][0]["dutyCount"], 82);
    for adjustment in applied["adjustments"].as_array().unwrap() {
        assert_eq!(adjustment["state"], "PUBLISHED");
        assert_eq!(adjustment["approver"], "县长办公会议");
        assert_eq!(adjustment["submittedBy"], "县OA");
        assert_eq!(adjustment["decidedBy"], "县OA");
    }
    // A publisher's token may not apply: the OA system's approval is an approver's.
    let publisher = made(&app.db.db, "发布", Role::Publisher, Scope::COUNTY).await;
    let (status, body) = post_as(
        &app,
        Some(&publisher),
        query,
        json!({ "input": {
        "changes": [], "documentNumber": "x", "approver": "y", "effectiveOn": "2026-03-01" }}),
    )
    .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn a_request_on_a_duty_that_a_newer_edition_changed_is_a_conflict_naming_it(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let flow = Flow::tokens(&app).await;
    let (list, duty) = first_cooperative(&app).await;
    let rename = |name: &str| {
        json!({ "input": {
            "listId": list, "operation": "MODIFY", "dutyId": duty["id"],
            "duty": { "name": name },
            "applicant": "乌恰镇人民政府", "legalBasis": "依据", "reason": "理由",
        }})
    };
    // Two requests written against edition 1 change the same duty.
    let first = flow.approved(&app, rename("第一次改名")).await;
    let second = flow.approved(&app, rename("第二次改名")).await;
    let (status, body) = post_as(
        &app,
        Some(&flow.publisher),
        PUBLISH,
        publish_input(&[&first], "文号一", "2026-01-01"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = post_as(
        &app,
        Some(&flow.publisher),
        PUBLISH,
        publish_input(&[&second], "文号二", "2026-02-01"),
    )
    .await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(duty["name"].as_str().unwrap()),
        "{message}"
    );
    assert!(
        message.contains("edition 2") && message.contains("文号一"),
        "{message}"
    );
    // Nothing was written: the request is still APPROVED, edition 2 current.
    let state = post_as(
        &app,
        Some(&flow.reviewer),
        r#"query($id: ID!) { adjustment(id: $id) { state } dutyLists { edition } }"#,
        json!({ "id": second }),
    )
    .await
    .1;
    assert_eq!(state["data"]["adjustment"]["state"], "APPROVED");
    assert_eq!(state["data"]["dutyLists"][0]["edition"], 2);
}

async fn of_two_racing_approvers_and_two_racing_publishers_exactly_one_wins(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let flow = Flow::tokens(&app).await;
    let other_approver = made(&app.db.db, "副县长", Role::Approver, Scope::COUNTY).await;
    let other_publisher = made(&app.db.db, "办公室", Role::Publisher, Scope::COUNTY).await;
    let (list, duty) = first_cooperative(&app).await;

    let (_, body) = post_as(
        &app,
        Some(&flow.applicant),
        SUBMIT,
        move_to_reclaimed(&list, &duty),
    )
    .await;
    let id = data(&body, "submitAdjustment")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    step(&app, &flow.reviewer, "reviewAdjustment", &id).await;
    let (a, b) = tokio::join!(
        step(&app, &flow.approver, "approveAdjustment", &id),
        step(&app, &other_approver, "approveAdjustment", &id),
    );
    let codes = [error_code(&a.1), error_code(&b.1)];
    assert!(
        codes == [None, Some("CONFLICT")] || codes == [Some("CONFLICT"), None],
        "{a:?} {b:?}"
    );

    let (a, b) = tokio::join!(
        post_as(
            &app,
            Some(&flow.publisher),
            PUBLISH,
            publish_input(&[&id], "文号甲", "2026-01-01")
        ),
        post_as(
            &app,
            Some(&other_publisher),
            PUBLISH,
            publish_input(&[&id], "文号乙", "2026-01-01")
        ),
    );
    let codes = [error_code(&a.1), error_code(&b.1)];
    assert!(
        codes == [None, Some("CONFLICT")] || codes == [Some("CONFLICT"), None],
        "{a:?} {b:?}"
    );
    let lists = app
        .graphql("{ dutyLists { edition editions { edition } } }", json!({}))
        .await;
    assert_eq!(lists["data"]["dutyLists"][0]["edition"], 2);
    assert_eq!(
        lists["data"]["dutyLists"][0]["editions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn a_submission_with_bad_input_is_refused_naming_the_field_and_writes_nothing(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let flow = Flow::tokens(&app).await;
    let (list, duty) = first_cooperative(&app).await;
    let base = |operation: &str, duty_id: Value, draft: Value| {
        json!({ "input": {
            "listId": list, "operation": operation, "dutyId": duty_id, "duty": draft,
            "applicant": "乌恰镇人民政府", "legalBasis": "依据", "reason": "理由",
        }})
    };
    let other = common::tokens::county_id(&app.db.db, "阿图什市").await;
    entity::department::ActiveModel {
        county_id: sea_orm::Set(other),
        name: sea_orm::Set("阿图什市统计局".into()),
        short_name: sea_orm::Set("市统计局".into()),
        ..Default::default()
    }
    .insert(&app.db.db)
    .await
    .unwrap();
    let duplicate = format!(
        "duty.name: the 配合履职事项 table has a duty named {} already",
        duty["name"].as_str().unwrap()
    );
    let cases: [(Value, &str); 7] = [
        (
            base(
                "ADD",
                Value::Null,
                json!({ "kind": "RECLAIMED", "category": "类别", "name": "新事项", "departments": ["阿图什市统计局"] }),
            ),
            "duty.departments[0]: `阿图什市统计局` is a department of another county, not 乌恰县",
        ),
        (
            base(
                "ADD",
                Value::Null,
                json!({ "kind": "COOPERATIVE", "category": "类别", "name": "新事项", "departments": ["县不存在局"] }),
            ),
            "duty.departments[0]: 乌恰县 has no department named `县不存在局`",
        ),
        (
            base(
                "ADD",
                Value::Null,
                json!({ "kind": "BASIC", "category": "类别", "name": "  " }),
            ),
            "duty.name: a duty needs its name",
        ),
        (
            base(
                "MODIFY",
                duty["id"].clone(),
                json!({ "townItems": [{ "text": "；" }] }),
            ),
            "duty.townItems[0].text: an item needs its text",
        ),
        (
            base(
                "ADD",
                Value::Null,
                json!({ "kind": "BASIC", "seq": 90, "category": "类别", "name": "新事项" }),
            ),
            "duty.seq: the 基本履职事项 table takes 序号 1 to 82",
        ),
        (
            base("REMOVE", Value::Null, Value::Null),
            "dutyId: this operation needs the duty it changes",
        ),
        (
            base(
                "ADD",
                Value::Null,
                json!({ "kind": "COOPERATIVE", "category": "类别", "name": duty["name"],
                "departments": [duty["departments"][0]["name"]] }),
            ),
            &duplicate,
        ),
    ];
    let before = common::snapshot(&app.db.db).await;
    for (input, message) in cases {
        let (_, body) = post_as(&app, Some(&flow.applicant), SUBMIT, input.clone()).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{input}: {body}");
        assert_eq!(body["errors"][0]["message"], message);
    }
    assert_eq!(common::snapshot(&app.db.db).await, before);
}

const REFORM: &str = r#"mutation($input: AdjustmentInput!) {
  submitAdjustment(input: $input) { id state operation proposedReform { departments successors { name shortName } } }
}"#;

fn reform_input(list: &str, operation: &str, reform: Value) -> Value {
    json!({ "input": {
        "listId": list, "operation": operation, "reform": reform,
        "applicant": "乌恰县委编办", "legalBasis": "乌恰县机构改革方案", "reason": "机构改革",
    }})
}

async fn a_department_renamed_by_request_is_renamed_from_its_day_and_answers_by_its_old_name(
    db: TestDb,
) {
    let app = TestApp::spawn(db).await;
    let flow = Flow::tokens(&app).await;
    let county_applicant = made(&app.db.db, "县编办申请", Role::Applicant, Scope::COUNTY).await;
    let (list, _) = first_cooperative(&app).await;
    let input = reform_input(
        &list,
        "RENAME_DEPARTMENT",
        json!({ "departments": ["县卫健委"],
                "successors": [{ "name": "乌恰县卫生健康局", "shortName": "县卫健局" }] }),
    );
    // A town's token may not reform the county's departments.
    let (status, body) = post_as(&app, Some(&flow.applicant), REFORM, input.clone()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, Some("FORBIDDEN")),
        "{body}"
    );
    let (status, body) = post_as(&app, Some(&county_applicant), REFORM, input).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let submitted = data(&body, "submitAdjustment");
    assert_eq!(submitted["operation"], "RENAME_DEPARTMENT");
    assert_eq!(
        submitted["proposedReform"],
        json!({ "departments": ["乌恰县卫生健康委员会"],
                "successors": [{ "name": "乌恰县卫生健康局", "shortName": "县卫健局" }] })
    );
    let id = submitted["id"].as_str().unwrap().to_owned();
    step(&app, &flow.reviewer, "reviewAdjustment", &id).await;
    step(&app, &flow.approver, "approveAdjustment", &id).await;
    let (status, body) = post_as(
        &app,
        Some(&flow.publisher),
        PUBLISH,
        publish_input(&[&id], "乌编发〔2026〕1号", "2026-01-01"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_list = data(&body, "publishAdjustments")["list"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let diff = app
        .graphql(
            r#"query($from: ID!, $to: ID!) { listDiff(from: $from, to: $to) {
                 counts { added removed modified moved renumbered }
                 entries { change } departments { change before after } } }"#,
            json!({ "from": list, "to": new_list }),
        )
        .await;
    let diff = data(&diff, "listDiff");
    assert_eq!(diff["entries"], json!([]));
    assert_eq!(
        diff["departments"],
        json!([{ "change": "RENAMED", "before": ["乌恰县卫生健康委员会"], "after": ["乌恰县卫生健康局"] }])
    );
    let names = app
        .graphql(
            r#"{ now: department(name: "县卫健委") { name cooperationCount }
                 short: department(name: "县卫健局") { name }
                 before: department(name: "县卫健委", asOf: "2025-12-31") { name cooperationCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(names["data"]["now"]["name"], "乌恰县卫生健康局", "{names}");
    assert_eq!(names["data"]["short"]["name"], "乌恰县卫生健康局");
    assert_eq!(names["data"]["before"]["name"], "乌恰县卫生健康委员会");
    assert_eq!(
        names["data"]["now"]["cooperationCount"],
        names["data"]["before"]["cooperationCount"]
    );

    // A later document may name the new department, which only the database
    // knows (the registry file does not): the import reads both.
    let text = common::WUQIA
        .replace("乌恰县卫生健康委员会", "乌恰县卫生健康局")
        .replace("县卫健委", "县卫健局");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wuqia-2026-03.txt");
    std::fs::write(&file, text).unwrap();
    let out = common::lvzhi_cli(
        &app.db.url,
        None,
        &[
            "import",
            file.to_str().unwrap(),
            "--effective",
            "2026-03-01",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lists = app
        .graphql(
            "{ dutyLists { id edition previousEdition { id } } }",
            json!({}),
        )
        .await;
    let third = &lists["data"]["dutyLists"][0];
    assert_eq!(third["edition"], 3);
    assert_eq!(third["previousEdition"]["id"], new_list.as_str());
    let diff = app
        .graphql(
            r#"query($from: ID!, $to: ID!) { listDiff(from: $from, to: $to) {
                 entries { change departmentChanges { change } items { change before { text } after { text } } }
                 departments { change } } }"#,
            json!({ "from": new_list, "to": third["id"] }),
        )
        .await;
    // The departments are the same; only items whose wording now says 县卫健局 changed.
    let diff = data(&diff, "listDiff");
    assert_eq!(diff["departments"], json!([]));
    let entries = diff["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    for entry in entries {
        assert_eq!(entry["change"], "MODIFIED", "{entry}");
        assert_eq!(entry["departmentChanges"], json!([]), "{entry}");
        for item in entry["items"].as_array().unwrap() {
            let before = item["before"]["text"].as_str().unwrap();
            assert_eq!(item["change"], "REWORDED", "{entry}");
            assert_eq!(
                item["after"]["text"],
                before.replace("县卫健委", "县卫健局"),
                "{entry}"
            );
        }
    }
}

async fn a_split_must_say_which_successor_takes_each_duty(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let county_applicant = made(&app.db.db, "县编办申请", Role::Applicant, Scope::COUNTY).await;
    let (list, _) = first_cooperative(&app).await;
    let input = reform_input(
        &list,
        "SPLIT_DEPARTMENT",
        json!({ "departments": ["县卫健委"],
                "successors": [{ "name": "乌恰县卫生健康局", "shortName": "县卫健局" },
                               { "name": "乌恰县疾病预防控制局", "shortName": "县疾控局" }] }),
    );
    let before = common::snapshot(&app.db.db).await;
    let (_, body) = post_as(&app, Some(&county_applicant), REFORM, input).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("reform.successors: 配合 ")
            && message.contains("say which successor takes it over"),
        "{message}"
    );
    assert_eq!(common::snapshot(&app.db.db).await, before);
}

const EVENTS: &str = r#"query($after: Int!, $types: [String!], $list: ID) {
  events(after: $after, types: $types, listId: $list) { sequence type town subject payload list { edition } }
}"#;

async fn every_change_writes_its_event_in_commit_order_without_gaps(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let flow = Flow::tokens(&app).await;
    let (list, duty) = first_cooperative(&app).await;
    let all = |after: i64| json!({ "after": after });
    // The bundled list's import at start-up is the first event.
    let (status, body) = post_as(&app, Some(&flow.reviewer), EVENTS, all(0)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = data(&body, "events").as_array().unwrap().clone();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["sequence"], 1);
    assert_eq!(first[0]["type"], "list.edition.published");
    assert_eq!(first[0]["payload"]["edition"], 1);
    assert_eq!(first[0]["payload"]["changes"], Value::Null);

    let id = flow.approved(&app, move_to_reclaimed(&list, &duty)).await;
    let (_, refused) = step(&app, &flow.approver, "approveAdjustment", &id).await;
    assert_eq!(error_code(&refused), Some("CONFLICT"));
    post_as(
        &app,
        Some(&flow.publisher),
        PUBLISH,
        publish_input(&[&id], "乌政办发〔2026〕12号", "2026-01-01"),
    )
    .await;
    let (_, body) = post_as(&app, Some(&flow.reviewer), EVENTS, all(1)).await;
    let events = data(&body, "events").as_array().unwrap().clone();
    let seen: Vec<(i64, &str)> = events
        .iter()
        .map(|e| (e["sequence"].as_i64().unwrap(), e["type"].as_str().unwrap()))
        .collect();
    // The refused approval wrote none: no gap, no extra event.
    assert_eq!(
        seen,
        [
            (2, "adjustment.submitted"),
            (3, "adjustment.reviewed"),
            (4, "adjustment.approved"),
            (5, "list.edition.published"),
            (6, "adjustment.published"),
        ]
    );
    let published = &events[3];
    assert_eq!(published["list"]["edition"], 2);
    assert_eq!(
        published["payload"]["documentNumber"],
        "乌政办发〔2026〕12号"
    );
    assert_eq!(published["payload"]["source"], "ADJUSTMENT");
    assert_eq!(published["payload"]["changes"]["moved"], 1);
    assert_eq!(published["payload"]["changes"]["added"], 0);
    assert!(
        events[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Adjustment:")
    );
    assert_eq!(events[4]["payload"]["state"], "PUBLISHED");

    // Filtered by type, or by edition; and not without a token.
    let (_, body) = post_as(
        &app,
        Some(&flow.reviewer),
        EVENTS,
        json!({ "after": 0, "types": ["list.edition.published"] }),
    )
    .await;
    let editions: Vec<i64> = data(&body, "events")
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(editions, [1, 5]);
    let (_, body) = post_as(
        &app,
        Some(&flow.reviewer),
        EVENTS,
        json!({ "after": 0, "types": ["list.changed"] }),
    )
    .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
    let (status, body) = post_as(&app, None, EVENTS, all(0)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, Some("UNAUTHENTICATED"))
    );
}
