//! Tokens at the edges: the `lvzhi token` commands, tokens over HTTP (refused
//! when revoked, expired or made up; their use recorded), reads closed by
//! `LVZHI_READS_REQUIRE_TOKEN`, repeated failures slowed down, the admins'
//! token mutations with their 401/403 refusals, and the audit of every change.

mod common;

use entity::{Role, api_token, audit_event, county};
use lvzhi::auth::token::{now, secret_hash};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};

use common::app::TestApp;
use common::response::{code, message};
use common::tokens::{COUNTY, Scope, TOWN};
use common::{TestDb, lvzhi_cli, on_each_backend};

on_each_backend!(
    the_token_commands_make_list_and_revoke_a_token_and_store_only_its_hash,
    a_revoked_an_expired_or_a_made_up_token_is_401_unauthenticated_with_a_challenge,
    an_accepted_token_records_its_last_use,
    reads_are_open_by_default_and_closed_to_requests_without_a_token_by_the_setting,
    repeated_failures_from_one_address_are_slowed_but_valid_tokens_and_anonymous_reads_are_not,
    an_admin_makes_lists_and_revokes_tokens_over_graphql,
    a_county_admin_manages_only_its_own_countys_tokens,
    a_write_without_a_token_is_401_and_with_the_wrong_role_403,
    token_changes_are_audited_with_their_actor_and_never_a_secret,
);

const CREATE: &str = "mutation Create($input: CreateTokenInput!) {
    createToken(input: $input) {
        secret
        token { id name prefix role county town department createdAt expiresAt revokedAt lastUsedAt }
    }
}";

const REVOKE: &str =
    "mutation Revoke($name: String!) { revokeToken(name: $name) { name revokedAt } }";

const TOKENS: &str = "{ apiTokens { name role county } }";

/// A query every reader may ask.
const READ: &str = "{ dutyLists { id town } }";

/// The text of a CLI run's stdout and stderr.
fn output(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn the_token_commands_make_list_and_revoke_a_token_and_store_only_its_hash(test: TestDb) {
    test.seed().await;
    let create = lvzhi_cli(
        &test.url,
        None,
        &[
            "token",
            "create",
            "--name",
            "乌恰镇OA",
            "--role",
            "approver",
            "--county",
            COUNTY,
            "--town",
            TOWN,
            "--expires",
            "2099-01-02",
        ],
    );
    let (stdout, stderr) = output(&create);
    assert!(create.status.success(), "{stdout}{stderr}");
    let secret = stdout.trim_end_matches('\n');
    assert!(
        secret.starts_with("lvz_") && secret.len() == 47 && !secret.contains('\n'),
        "stdout holds the token alone: {stdout:?}"
    );
    assert!(stderr.contains("never again"), "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");

    let upper = lvzhi_cli(
        &test.url,
        None,
        &["token", "create", "--name", "root", "--role", "ADMIN"],
    );
    assert!(upper.status.success(), "{:?}", output(&upper));

    let rows = api_token::Entity::find().all(&test.db).await.unwrap();
    assert_eq!(rows.len(), 2);
    let stored = rows.iter().find(|r| r.name == "乌恰镇OA").unwrap();
    assert_eq!(stored.role, Role::Approver);
    assert_eq!(stored.secret_hash, secret_hash(secret));
    assert_eq!(stored.prefix, secret[..10]);
    assert_eq!(stored.town.as_deref(), Some(TOWN));
    // 2099-01-02T00:00:00Z.
    assert_eq!(stored.expires_at, Some(4_070_995_200));
    for row in &rows {
        assert!(!format!("{row:?}").contains(secret), "{row:?}");
    }

    let list = lvzhi_cli(&test.url, None, &["token", "list"]);
    let (listing, _) = output(&list);
    assert!(list.status.success());
    let line = listing.lines().find(|l| l.starts_with("乌恰镇OA")).unwrap();
    let columns: Vec<&str> = line.split('\t').collect();
    assert_eq!(
        columns[..4],
        ["乌恰镇OA", &secret[..10], "APPROVER", "乌恰县 / 乌恰镇"]
    );
    assert_eq!(columns[5..], ["2099-01-02T00:00:00Z", "-", "-"]);
    assert!(listing.contains("root\t") && listing.contains("every county"));
    assert!(!listing.contains(secret) && !listing.contains(&stored.secret_hash));

    let revoke = lvzhi_cli(&test.url, None, &["token", "revoke", "--name", "乌恰镇OA"]);
    assert!(revoke.status.success(), "{:?}", output(&revoke));
    let revoked = api_token::Entity::find_by_id(stored.id)
        .one(&test.db)
        .await
        .unwrap()
        .unwrap();
    assert!(revoked.revoked_at.is_some_and(|at| (now() - at).abs() < 60));
    let (listing, _) = output(&lvzhi_cli(&test.url, None, &["token", "list"]));
    let line = listing.lines().find(|l| l.starts_with("乌恰镇OA")).unwrap();
    assert_ne!(line.split('\t').nth(6), Some("-"), "{line}");

    for (args, field) in [
        (&["--role", "boss"][..], "--role"),
        (
            &["--role", "reader", "--expires", "2099-13-01"][..],
            "--expires",
        ),
        (&["--role", "reader", "--county", "无此县"][..], "county"),
    ] {
        let mut all = vec!["token", "create", "--name", "bad"];
        all.extend_from_slice(args);
        let failed = lvzhi_cli(&test.url, None, &all);
        let (_, stderr) = output(&failed);
        assert!(!failed.status.success());
        assert!(stderr.contains(field), "{field}: {stderr}");
    }
    let missing = lvzhi_cli(&test.url, None, &["token", "revoke", "--name", "nobody"]);
    assert!(!missing.status.success());
    assert!(output(&missing).1.contains("nobody"));
}

/// Assert that `response` refuses its token: 401, `UNAUTHENTICATED`, a challenge.
async fn assert_refused(response: reqwest::Response, what: &str) {
    assert_eq!(response.status(), 401, "{what}");
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "UNAUTHENTICATED", "{what}: {body}");
}

async fn a_revoked_an_expired_or_a_made_up_token_is_401_unauthenticated_with_a_challenge(
    db: TestDb,
) {
    let app = TestApp::spawn(db).await;
    let read = json!({ "query": READ });
    let revoked = app
        .token_named("revoked", Role::Reader, Scope::EVERYWHERE)
        .await;
    assert_eq!(app.post_with_token(&revoked, &read).await.status(), 200);
    lvzhi::auth::token::revoke(&app.db.db, "revoked", &lvzhi::auth::Actor::command_line())
        .await
        .unwrap();
    assert_refused(app.post_with_token(&revoked, &read).await, "revoked").await;

    let expired = app
        .token_named("expired", Role::Reader, Scope::EVERYWHERE)
        .await;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::ExpiresAt, Expr::value(now() - 1))
        .filter(api_token::Column::Name.eq("expired"))
        .exec(&app.db.db)
        .await
        .unwrap();
    assert_refused(app.post_with_token(&expired, &read).await, "expired").await;

    let made_up = format!("lvz_{}", "A".repeat(43));
    assert_refused(app.post_with_token(&made_up, &read).await, "made up").await;
    let basic = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&read)
        .send()
        .await
        .unwrap();
    assert_refused(basic, "another scheme").await;
}

async fn an_accepted_token_records_its_last_use(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let token = app
        .token_named("used", Role::Reader, Scope::EVERYWHERE)
        .await;
    let unused = |app: &TestApp| {
        let db = app.db.db.clone();
        async move {
            api_token::Entity::find()
                .filter(api_token::Column::Name.eq("used"))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .last_used_at
        }
    };
    assert_eq!(unused(&app).await, None);
    let before = now();
    let answer = app.post_with_token(&token, &json!({ "query": READ })).await;
    assert_eq!(answer.status(), 200);
    let used = unused(&app).await.expect("the use is recorded");
    assert!((before..=now()).contains(&used), "{used}");
}

async fn reads_are_open_by_default_and_closed_to_requests_without_a_token_by_the_setting(
    db: TestDb,
) {
    let sibling = db.sibling().await;
    let open = TestApp::spawn(db).await;
    let answer = open.graphql(READ, json!({})).await;
    let list = answer["data"]["dutyLists"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let export = format!("/export/{list}.csv");
    assert_eq!(open.get(&export).await.status(), 200);

    let closed = TestApp::spawn_with(sibling, |c| c.reads_require_token = true).await;
    let anonymous = closed.post(&json!({ "query": READ })).await;
    assert_refused(anonymous, "an anonymous query").await;
    assert_refused(
        closed.get("/graphql?query=%7BdutyLists%7Bid%7D%7D").await,
        "a GET",
    )
    .await;
    assert_refused(closed.get(&export).await, "an export").await;

    let reader = closed.token(Role::Reader, Scope::EVERYWHERE).await;
    let answer = closed
        .post_with_token(&reader, &json!({ "query": READ }))
        .await;
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["data"]["dutyLists"][0]["id"], list.as_str(), "{body}");
    let download = closed.get_with_token(&export, &reader).await;
    assert_eq!(download.status(), 200);
    assert!(download.text().await.unwrap().contains("乌恰镇"));

    for page in ["/graphql", "/"] {
        let html = closed
            .client
            .get(format!("{}{page}", closed.address))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(html.status(), 200, "{page} stays reachable");
    }
}

async fn repeated_failures_from_one_address_are_slowed_but_valid_tokens_and_anonymous_reads_are_not(
    db: TestDb,
) {
    let app = TestApp::spawn(db).await;
    let read = json!({ "query": READ });
    let valid = app.token(Role::Reader, Scope::EVERYWHERE).await;
    let wrong = format!("lvz_{}", "B".repeat(43));
    for attempt in 1..=lvzhi::auth::throttle::FREE_FAILURES {
        let refused = app.post_with_token(&wrong, &read).await;
        assert_eq!(refused.status(), 401, "attempt {attempt}");
    }
    let started = std::time::Instant::now();
    let slowed = app.post_with_token(&wrong, &read).await;
    assert!(started.elapsed() >= lvzhi::auth::throttle::FIRST_DELAY);
    assert_eq!(slowed.status(), 429);
    let retry_after: u64 = slowed.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = slowed.json().await.unwrap();
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert!(message(&body).contains("too many"), "{body}");

    // The same address with a valid token, and without one, is served as ever.
    let served = app.post_with_token(&valid, &read).await;
    assert_eq!(served.status(), 200);
    assert_eq!(app.post(&read).await.status(), 200);
}

/// POST `query` with `variables` and `token`; the status and the body.
async fn send(app: &TestApp, token: &str, query: &str, variables: Value) -> (u16, Value) {
    let response = app
        .post_with_token(token, &json!({ "query": query, "variables": variables }))
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn an_admin_makes_lists_and_revokes_tokens_over_graphql(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let admin = app
        .token_named("root", Role::Admin, Scope::EVERYWHERE)
        .await;
    let input = json!({ "input": {
        "name": "乌恰镇OA", "role": "APPROVER", "county": COUNTY, "town": TOWN,
        "expiresOn": "2099-12-31"
    }});
    let (status, body) = send(&app, &admin, CREATE, input).await;
    assert_eq!(status, 200, "{body}");
    let created = &body["data"]["createToken"];
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("lvz_"));
    let token = &created["token"];
    assert_eq!(token["name"], "乌恰镇OA");
    assert_eq!(token["prefix"], &secret[..10]);
    assert_eq!(token["role"], "APPROVER");
    assert_eq!(token["county"], COUNTY);
    assert_eq!(token["town"], TOWN);
    assert_eq!(token["department"], Value::Null);
    assert_eq!(token["expiresAt"], "2099-12-31T00:00:00Z");
    assert_eq!(token["revokedAt"], Value::Null);
    assert!(token["id"].as_str().is_some_and(|id| !id.is_empty()));

    let (status, _) = send(&app, secret, READ, json!({})).await;
    assert_eq!(status, 200, "the new token works");
    let (_, listing) = send(&app, &admin, TOKENS, json!({})).await;
    assert_eq!(
        listing["data"]["apiTokens"],
        json!([
            { "name": "乌恰镇OA", "role": "APPROVER", "county": COUNTY },
            { "name": "root", "role": "ADMIN", "county": null },
        ])
    );

    let (status, body) = send(&app, &admin, REVOKE, json!({ "name": "乌恰镇OA" })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["revokeToken"]["revokedAt"].as_str().is_some());
    let (status, _) = send(&app, secret, READ, json!({})).await;
    assert_eq!(status, 401, "a revoked token is refused");

    let (status, body) = send(&app, &admin, REVOKE, json!({ "name": "nobody" })).await;
    assert_eq!((status, code(&body)), (200, "NOT_FOUND"), "{body}");
    let duplicate = json!({ "input": { "name": "root", "role": "READER" } });
    let (_, body) = send(&app, &admin, CREATE, duplicate).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(message(&body).starts_with("name:"), "{body}");
}

async fn a_county_admin_manages_only_its_own_countys_tokens(db: TestDb) {
    let app = TestApp::spawn(db).await;
    county::ActiveModel {
        region: Set("新疆维吾尔自治区".to_owned()),
        prefecture: Set("克孜勒苏柯尔克孜自治州".to_owned()),
        name: Set("阿图什市".to_owned()),
        ..Default::default()
    }
    .insert(&app.db.db)
    .await
    .unwrap();
    app.token_named("everywhere", Role::Reader, Scope::EVERYWHERE)
        .await;
    let county_admin = app
        .token_named("county admin", Role::Admin, Scope::COUNTY)
        .await;

    for (input, what) in [
        (
            json!({ "name": "x", "role": "READER", "county": "阿图什市" }),
            "another county",
        ),
        (json!({ "name": "x", "role": "READER" }), "every county"),
    ] {
        let (status, body) = send(&app, &county_admin, CREATE, json!({ "input": input })).await;
        assert_eq!((status, code(&body)), (403, "FORBIDDEN"), "{what}: {body}");
        assert!(message(&body).contains("confined"), "{body}");
    }
    let (status, body) = send(&app, &county_admin, REVOKE, json!({ "name": "everywhere" })).await;
    assert_eq!((status, code(&body)), (403, "FORBIDDEN"), "{body}");

    let own = json!({ "input": { "name": "own", "role": "READER", "county": COUNTY } });
    let (status, body) = send(&app, &county_admin, CREATE, own).await;
    assert_eq!(status, 200, "{body}");
    let (_, listing) = send(&app, &county_admin, TOKENS, json!({})).await;
    let names: Vec<&str> = common::response::names(&listing["data"]["apiTokens"]);
    assert_eq!(names, ["own", "county admin"]);
    let (status, _) = send(&app, &county_admin, REVOKE, json!({ "name": "own" })).await;
    assert_eq!(status, 200);
}

async fn a_write_without_a_token_is_401_and_with_the_wrong_role_403(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let input = json!({ "input": { "name": "x", "role": "READER" } });
    let anonymous = app
        .post(&json!({ "query": CREATE, "variables": input }))
        .await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Bearer realm=\"lvzhi\""
    );
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    assert_eq!(body["data"], Value::Null);

    for role in [Role::Reader, Role::Approver, Role::Publisher] {
        let token = app.token(role, Scope::EVERYWHERE).await;
        let (status, body) = send(&app, &token, CREATE, input.clone()).await;
        assert_eq!(
            (status, code(&body)),
            (403, "FORBIDDEN"),
            "{role:?}: {body}"
        );
        let (status, body) = send(&app, &token, TOKENS, json!({})).await;
        assert_eq!(
            (status, code(&body)),
            (403, "FORBIDDEN"),
            "{role:?}: {body}"
        );
    }
    let count = api_token::Entity::find()
        .filter(api_token::Column::Name.eq("x"))
        .all(&app.db.db)
        .await
        .unwrap();
    assert!(count.is_empty());
}

async fn token_changes_are_audited_with_their_actor_and_never_a_secret(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let admin = app
        .token_named("root", Role::Admin, Scope::EVERYWHERE)
        .await;
    let reader = app
        .token_named("reader", Role::Reader, Scope::EVERYWHERE)
        .await;
    let input = json!({ "input": { "name": "oa", "role": "APPLICANT", "county": COUNTY } });
    let (_, body) = send(&app, &admin, CREATE, input.clone()).await;
    let secret = body["data"]["createToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    send(&app, &admin, REVOKE, json!({ "name": "oa" })).await;
    send(&app, &reader, CREATE, input).await;

    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::Operation.starts_with("token."))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db.db)
        .await
        .unwrap();
    let summary: Vec<(&str, &str, Option<&str>, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.operation.as_str(),
                r.actor.as_str(),
                r.role.as_deref(),
                r.result.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("token.create", "cli", None, "OK"),
            ("token.create", "cli", None, "OK"),
            ("token.create", "root", Some("ADMIN"), "OK"),
            ("token.revoke", "root", Some("ADMIN"), "OK"),
            ("token.create", "reader", Some("READER"), "FORBIDDEN"),
        ]
    );
    for row in &rows[2..] {
        assert_eq!(row.client.as_deref(), Some("127.0.0.1"), "{row:?}");
        assert!(row.request_id.is_some(), "{row:?}");
    }
    assert_eq!(rows[4].detail.as_deref(), Some("oa"));
    for row in &rows {
        let text = format!("{row:?}");
        for secret in [&admin, &reader, &secret] {
            assert!(!text.contains(secret.as_str()), "{text}");
            assert!(!text.contains(&secret_hash(secret)), "{text}");
        }
    }
}
