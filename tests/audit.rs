//! The audit log's read side, end to end: the database itself refuses to
//! change it; `auditLog` answers an unconfined admin only, filtered and paged
//! with an exact total; the CSV export; refused imports at the command line
//! recorded with their code (and `lvzhi audit export`); and never a token's
//! secret in any row.

mod common;

use common::app::TestApp;
use common::audit::{audit_log, export_csv};
use common::response::{array, code, message, strings};
use common::tokens::{Scope, made};
use common::{TestDb, WUQIA, on_each_backend};
use entity::{Role, audit_event};
use lvzhi::auth::Actor;
use lvzhi::domain::audit::{self, Entry};
use lvzhi::error::ErrorCode;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde_json::Value;

on_each_backend!(
    the_database_refuses_to_update_delete_or_truncate_an_audit_row,
    the_audit_log_answers_an_unconfined_admin_filtered_and_paged_with_an_exact_total,
    the_audit_log_is_refused_without_a_token_and_to_every_reader_but_an_unconfined_admin,
    the_csv_export_gives_an_admin_the_rows_and_refuses_everyone_else,
    imports_through_the_command_line_are_recorded_as_cli_refused_ones_with_their_code,
    no_audit_row_holds_a_token_secret_or_its_hash,
);

/// Every audit row, oldest first.
async fn rows(db: &sea_orm::DatabaseConnection) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Id)
        .all(db)
        .await
        .expect("the audit log reads")
}

async fn the_database_refuses_to_update_delete_or_truncate_an_audit_row(test: TestDb) {
    let backend = test.backend;
    let db = &test.db;
    let mut entry = Entry::new("token.create", "ApiToken:1");
    entry.detail = Some("oa (ADMIN)".into());
    audit::record(db, &Actor::command_line(), entry, None)
        .await
        .unwrap();
    let before = rows(db).await;
    assert_eq!(before.len(), 1, "{backend}");
    let mut statements = vec![
        "UPDATE audit_event SET actor = 'intruder'",
        "UPDATE audit_event SET result = 'OK', detail = NULL WHERE id = 1",
        "DELETE FROM audit_event",
        "DELETE FROM audit_event WHERE id = 1",
    ];
    if backend == "postgres" {
        statements.push("TRUNCATE audit_event");
    }
    for sql in statements {
        let refused = db
            .execute_unprepared(sql)
            .await
            .expect_err(&format!("`{sql}` is refused on {backend}"));
        assert!(
            refused.to_string().contains("the audit log is append-only"),
            "`{sql}` on {backend}: {refused}"
        );
    }
    assert_eq!(rows(db).await, before, "the row is unchanged on {backend}");
}

async fn the_audit_log_answers_an_unconfined_admin_filtered_and_paged_with_an_exact_total(
    test: TestDb,
) {
    let backend = test.backend;
    let app = TestApp::spawn(test).await;
    let db = &app.db.db;
    let admin = made(db, "auditor", Role::Admin, Scope::EVERYWHERE).await;
    for name in ["oa-1", "oa-2", "oa-3", "oa-4"] {
        made(db, name, Role::Reader, Scope::EVERYWHERE).await;
    }
    // The start-up seed by `system`, then five tokens by the operator.
    let all = audit_log(&app, Some(&admin), "first: 100").await;
    let nodes = array(&all["data"]["auditLog"]["nodes"]);
    assert_eq!(all["data"]["auditLog"]["totalCount"], 6, "{backend}: {all}");
    assert_eq!(
        strings(&all["data"]["auditLog"]["nodes"], "operation"),
        [
            "token.create",
            "token.create",
            "token.create",
            "token.create",
            "token.create",
            "list.import"
        ],
        "newest first on {backend}"
    );
    let seed = &nodes[5];
    assert_eq!(
        (
            seed["actor"].as_str(),
            seed["role"].as_str(),
            seed["target"].as_str(),
            seed["result"].as_str()
        ),
        (Some("system"), None, Some("DutyList:1"), Some("OK")),
        "{backend}"
    );
    assert_eq!(seed["afterDigest"].as_str().map(str::len), Some(64));
    let at = seed["at"].as_str().unwrap();
    assert!(
        at.len() == 24
            && at.ends_with('Z')
            && at.as_bytes()[10] == b'T'
            && at.as_bytes()[19] == b'.',
        "{at}"
    );
    let first_token = &nodes[4];
    assert_eq!(first_token["actor"], "cli");
    assert_eq!(first_token["detail"], "auditor (ADMIN)");

    let count = |answer: &Value| answer["data"]["auditLog"]["totalCount"].as_i64();
    let targets = |answer: &Value| {
        strings(&answer["data"]["auditLog"]["nodes"], "target")
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let by_actor = audit_log(&app, Some(&admin), r#"actor: "system""#).await;
    assert_eq!(
        (count(&by_actor), targets(&by_actor)),
        (Some(1), vec!["DutyList:1".to_owned()])
    );
    let by_operation = audit_log(
        &app,
        Some(&admin),
        r#"operation: "token.create", actor: "cli""#,
    )
    .await;
    assert_eq!(count(&by_operation), Some(5), "{backend}");
    let by_type = audit_log(&app, Some(&admin), r#"target: "ApiToken:""#).await;
    assert_eq!(
        targets(&by_type),
        [
            "ApiToken:5",
            "ApiToken:4",
            "ApiToken:3",
            "ApiToken:2",
            "ApiToken:1"
        ],
        "{backend}"
    );
    let exact = audit_log(&app, Some(&admin), r#"target: "ApiToken:1""#).await;
    assert_eq!(
        (count(&exact), targets(&exact)),
        (Some(1), vec!["ApiToken:1".to_owned()])
    );
    // Neither a prefix without its colon nor another case is a type.
    for other in [r#"target: "ApiToken""#, r#"target: "apitoken:""#] {
        assert_eq!(
            count(&audit_log(&app, Some(&admin), other).await),
            Some(0),
            "{other}"
        );
    }
    let (first_day, last_day) = (&at[..10], &nodes[0]["at"].as_str().unwrap()[..10]);
    let within = audit_log(
        &app,
        Some(&admin),
        &format!(r#"from: "{first_day}", to: "{last_day}""#),
    )
    .await;
    assert_eq!(
        count(&within),
        Some(6),
        "days cover themselves whole on {backend}"
    );
    let instant = audit_log(&app, Some(&admin), &format!(r#"from: "{at}", to: "{at}""#)).await;
    assert!(count(&instant).unwrap() >= 1, "{instant}");
    let before = audit_log(&app, Some(&admin), r#"to: "2000-01-01T00:00:00Z""#).await;
    assert_eq!(count(&before), Some(0));
    let bad = audit_log(&app, Some(&admin), r#"from: "yesterday""#).await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    assert!(message(&bad).starts_with("`from`: `yesterday`"), "{bad}");

    // Pages of two: 2 + 2 + 2, each with the exact total, none repeated.
    let mut seen = Vec::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let page = audit_log(&app, Some(&admin), &format!("first: 2{after}")).await;
        let connection = &page["data"]["auditLog"];
        assert_eq!(connection["totalCount"], 6, "{backend}: {page}");
        assert_eq!(connection["pageInfo"]["hasPreviousPage"], pages > 0);
        seen.extend(
            strings(&connection["nodes"], "id")
                .into_iter()
                .map(str::to_owned),
        );
        pages += 1;
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = format!(
            r#", after: "{}""#,
            connection["pageInfo"]["endCursor"].as_str().unwrap()
        );
    }
    let every: Vec<String> = strings(&all["data"]["auditLog"]["nodes"], "id")
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!((pages, seen), (3, every), "{backend}");
    let wrong = audit_log(&app, Some(&admin), r#"after: "not-a-cursor""#).await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT");
}

async fn the_audit_log_is_refused_without_a_token_and_to_every_reader_but_an_unconfined_admin(
    test: TestDb,
) {
    let backend = test.backend;
    let app = TestApp::spawn(test).await;
    let db = &app.db.db;
    let admin = made(db, "auditor", Role::Admin, Scope::EVERYWHERE).await;
    let county_admin = made(db, "county-admin", Role::Admin, Scope::COUNTY).await;
    let approver = made(db, "approver", Role::Approver, Scope::EVERYWHERE).await;
    let reader = made(db, "reader", Role::Reader, Scope::EVERYWHERE).await;

    // The admin's answer first: the response cache must not hand it to anyone else.
    let answer = audit_log(&app, Some(&admin), "").await;
    assert_eq!(
        answer["data"]["auditLog"]["totalCount"], 5,
        "{backend}: {answer}"
    );
    let anonymous = audit_log(&app, None, "").await;
    assert_eq!(
        code(&anonymous),
        "UNAUTHENTICATED",
        "{backend}: {anonymous}"
    );
    assert!(anonymous["data"].is_null(), "{anonymous}");
    for (secret, who) in [(&approver, "approver"), (&reader, "reader")] {
        let refused = audit_log(&app, Some(secret), "").await;
        assert_eq!(code(&refused), "FORBIDDEN", "{who} on {backend}: {refused}");
        assert!(
            message(&refused).contains("read the audit log"),
            "{refused}"
        );
    }
    let confined = audit_log(&app, Some(&county_admin), "").await;
    assert_eq!(code(&confined), "FORBIDDEN", "{backend}: {confined}");
    assert!(
        message(&confined).contains("only an admin token not confined to a county"),
        "{confined}"
    );
    // The admin still reads it, and sees the refusals were no writes.
    let again = audit_log(&app, Some(&admin), "").await;
    assert_eq!(again["data"]["auditLog"]["totalCount"], 5, "{backend}");
}

async fn the_csv_export_gives_an_admin_the_rows_and_refuses_everyone_else(test: TestDb) {
    let backend = test.backend;
    let app = TestApp::spawn(test).await;
    let db = &app.db.db;
    let admin = made(db, "auditor", Role::Admin, Scope::EVERYWHERE).await;
    let reader = made(db, "reader, with a comma", Role::Reader, Scope::EVERYWHERE).await;

    let response = export_csv(&app, Some(&admin), "").await;
    assert_eq!(response.status(), 200, "{backend}");
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let bytes = response.bytes().await.unwrap();
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM")).unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "id,at,actor,role,client,request_id,operation,target,before_digest,after_digest,result,document_number,detail"
    );
    let rows = rows(db).await;
    assert_eq!(lines.len(), 1 + rows.len(), "{backend}: {text}");
    let newest = rows.last().unwrap();
    assert_eq!(
        lines[1],
        format!(
            "{},{},cli,,,,token.create,ApiToken:2,,{},OK,,\"reader, with a comma (READER)\"",
            newest.id,
            audit::instant_text(newest.at),
            newest.after_digest.as_deref().unwrap()
        ),
        "{backend}"
    );

    let filtered = export_csv(&app, Some(&admin), "actor=system&operation=list.import").await;
    let text = filtered.text().await.unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 2, "{backend}: {text}");
    assert!(
        lines[1].contains(",system,,,,list.import,DutyList:1,"),
        "{text}"
    );
    let none = export_csv(&app, Some(&admin), "from=2999-01-01").await;
    assert_eq!(
        none.text().await.unwrap().split_terminator("\r\n").count(),
        1
    );

    let anonymous = export_csv(&app, None, "").await;
    assert_eq!(anonymous.status(), 401, "{backend}");
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(code(&body), ErrorCode::Unauthenticated.as_str());
    assert_eq!(export_csv(&app, Some(&reader), "").await.status(), 403);
    assert_eq!(
        export_csv(&app, Some("lvz_not-a-token"), "").await.status(),
        401
    );
    let bad = export_csv(&app, Some(&admin), "to=tomorrow").await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert!(message(&body).starts_with("`to`: `tomorrow`"), "{body}");
}

async fn imports_through_the_command_line_are_recorded_as_cli_refused_ones_with_their_code(
    test: TestDb,
) {
    let backend = test.backend;
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let july = file("wuqia-2025-07.txt", WUQIA);
    let june = file(
        "wuqia-2025-06.txt",
        &WUQIA.replacen("2025 年 7 月", "2025 年 6 月", 1),
    );
    let garbage = file("notes.txt", "not a duty list at all\n");
    let import = |path: &std::path::Path, more: &[&str]| {
        let mut args = vec!["import", path.to_str().unwrap()];
        args.extend(more);
        common::lvzhi_cli(&test.url, None, &args).status.success()
    };
    assert!(import(&july, &[]), "{backend}");
    assert!(
        !import(&june, &["--document-number", "乌党编〔2025〕9号"]),
        "{backend}"
    );
    assert!(!import(&garbage, &[]), "{backend}");

    let rows = rows(&test.db).await;
    let seen: Vec<(&str, Option<&str>, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.actor.as_str(),
                r.role.as_deref(),
                r.operation.as_str(),
                r.target.as_str(),
                r.result.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("cli", None, "list.import", "DutyList:1", "OK"),
            (
                "cli",
                None,
                "list.import",
                "Town:乌恰县/乌恰镇",
                "OLDER_EDITION"
            ),
            ("cli", None, "list.import", "DutyList:?", "BAD_USER_INPUT"),
        ],
        "{backend}"
    );
    assert_eq!(
        rows[1].document_number.as_deref(),
        Some("乌党编〔2025〕9号")
    );
    let older = rows[1].detail.as_deref().unwrap();
    assert!(
        older.starts_with("wuqia-2025-06.txt: ")
            && older.contains("older than its current edition 1"),
        "{older}"
    );
    assert!(!older.contains('\n'), "{older}");
    let malformed = rows[2].detail.as_deref().unwrap();
    assert!(malformed.starts_with("notes.txt: "), "{malformed}");

    // `lvzhi audit export` writes what the HTTP export would.
    let out = dir.path().join("audit.csv");
    let output = common::lvzhi_cli(
        &test.url,
        None,
        &[
            "audit",
            "export",
            out.to_str().unwrap(),
            "--target",
            "DutyList:",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let written = std::fs::read(&out).unwrap();
    let text = std::str::from_utf8(written.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM")).unwrap();
    let targets: Vec<&str> = text
        .split_terminator("\r\n")
        .skip(1)
        .map(|line| line.split(',').nth(7).unwrap())
        .collect();
    assert_eq!(targets, ["DutyList:?", "DutyList:1"], "{backend}: {text}");
}

async fn no_audit_row_holds_a_token_secret_or_its_hash(test: TestDb) {
    let backend = test.backend;
    let app = TestApp::spawn(test).await;
    let db = &app.db.db;
    let admin = made(db, "auditor", Role::Admin, Scope::EVERYWHERE).await;
    let reader = made(db, "reader", Role::Reader, Scope::EVERYWHERE).await;
    lvzhi::auth::token::revoke(db, "reader", &Actor::command_line())
        .await
        .unwrap();
    // Used, refused once revoked, and presented wrongly: none of it leaks either.
    audit_log(&app, Some(&admin), "").await;
    audit_log(&app, Some(&reader), "").await;
    let rows = rows(db).await;
    assert!(rows.len() >= 4, "{backend}: {rows:?}");
    for secret in [&admin, &reader] {
        let forms = [
            secret.clone(),
            secret.trim_start_matches("lvz_").to_owned(),
            lvzhi::auth::token::secret_hash(secret),
        ];
        for row in &rows {
            let columns = [
                Some(row.actor.as_str()),
                row.role.as_deref(),
                row.client.as_deref(),
                row.request_id.as_deref(),
                Some(row.operation.as_str()),
                Some(row.target.as_str()),
                row.before_digest.as_deref(),
                row.after_digest.as_deref(),
                Some(row.result.as_str()),
                row.document_number.as_deref(),
                row.detail.as_deref(),
            ];
            for column in columns.into_iter().flatten() {
                for form in &forms {
                    assert!(
                        !column.contains(form.as_str()),
                        "{backend}: row {} holds a secret",
                        row.id
                    );
                }
            }
        }
    }
}
