//! Idempotency keys of mutations: over HTTP with `createToken` as the write
//! (the same key and body answered again with one effect, another body a
//! `CONFLICT`, keys per token, malformed keys, and where the header does not
//! apply), and the claim's life — expiry and a dead request's claim taken
//! over — against the module with the time passed in.

mod common;

use std::time::Duration;

use entity::{Role, api_token, idempotency_key};
use lvzhi::server::idempotency::{Claim, Keyed, claim, finish, forget_expired, request_hash};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use common::app::TestApp;
use common::response::{code, message};
use common::tokens::Scope;
use common::{TestDb, on_each_backend};

on_each_backend!(
    the_same_key_and_body_twice_get_the_same_answer_and_make_one_token,
    the_same_key_with_another_body_is_a_conflict_naming_the_key,
    a_key_belongs_to_its_token,
    a_malformed_key_is_a_400_and_queries_or_anonymous_writes_ignore_the_header,
    an_expired_key_is_forgotten,
    an_unfinished_claim_is_in_progress_until_the_time_limit_then_taken_over_once,
);

/// The body of a `createToken` request for a token named `name`.
fn create(name: &str) -> String {
    json!({
        "query": "mutation($input: CreateTokenInput!) { createToken(input: $input) { secret token { name } } }",
        "variables": { "input": { "name": name, "role": "READER" } }
    })
    .to_string()
}

/// How many tokens are named `name`.
async fn tokens_named(app: &TestApp, name: &str) -> u64 {
    api_token::Entity::find()
        .filter(api_token::Column::Name.eq(name))
        .count(&app.db.db)
        .await
        .unwrap()
}

/// A response's status, `Idempotent-Replayed` header and body text.
async fn parts(response: reqwest::Response) -> (u16, Option<String>, String) {
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, replayed, response.text().await.unwrap())
}

async fn the_same_key_and_body_twice_get_the_same_answer_and_make_one_token(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let admin = app.token(Role::Admin, Scope::EVERYWHERE).await;
    let body = create("oa");
    let (status, replayed, first) = parts(app.post_keyed(&admin, "order-1", &body).await).await;
    assert_eq!((status, replayed), (200, None), "{first}");
    let secret = serde_json::from_str::<Value>(&first).unwrap()["data"]["createToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("lvz_"));

    let (status, replayed, second) = parts(app.post_keyed(&admin, "order-1", &body).await).await;
    assert_eq!(status, 200);
    assert_eq!(replayed.as_deref(), Some("true"));
    assert_eq!(second, first, "the first answer, byte for byte");
    assert_eq!(tokens_named(&app, "oa").await, 1, "one effect");
}

async fn the_same_key_with_another_body_is_a_conflict_naming_the_key(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let admin = app.token(Role::Admin, Scope::EVERYWHERE).await;
    let first = app.post_keyed(&admin, "order-2", &create("a")).await;
    assert_eq!(first.status(), 200);
    let other = app.post_keyed(&admin, "order-2", &create("b")).await;
    assert_eq!(other.status(), 409);
    let body: Value = other.json().await.unwrap();
    assert_eq!(code(&body), "CONFLICT", "{body}");
    assert!(message(&body).contains("`order-2`"), "{body}");
    assert_eq!(tokens_named(&app, "b").await, 0);
}

async fn a_key_belongs_to_its_token(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let one = app.token(Role::Admin, Scope::EVERYWHERE).await;
    let other = app.token(Role::Admin, Scope::EVERYWHERE).await;
    let (status, replayed, _) = parts(app.post_keyed(&one, "shared", &create("x")).await).await;
    assert_eq!((status, replayed), (200, None));
    let (status, replayed, _) = parts(app.post_keyed(&other, "shared", &create("y")).await).await;
    assert_eq!(
        (status, replayed),
        (200, None),
        "another token's key is its own"
    );
    assert_eq!(tokens_named(&app, "x").await, 1);
    assert_eq!(tokens_named(&app, "y").await, 1);
}

async fn a_malformed_key_is_a_400_and_queries_or_anonymous_writes_ignore_the_header(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let admin = app.token(Role::Admin, Scope::EVERYWHERE).await;
    for key in ["two words", &"k".repeat(256)] {
        let refused = app.post_keyed(&admin, key, &create("z")).await;
        assert_eq!(refused.status(), 400, "{key}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(code(&body), "BAD_REQUEST");
        assert!(message(&body).contains("Idempotency-Key"), "{body}");
    }
    assert_eq!(tokens_named(&app, "z").await, 0);

    let query = json!({ "query": "{ dutyLists { town } }" }).to_string();
    for _ in 0..2 {
        let (status, replayed, _) = parts(app.post_keyed(&admin, "q", &query).await).await;
        assert_eq!((status, replayed), (200, None));
    }
    let anonymous = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("idempotency-key", "anon")
        .header("content-type", "application/json")
        .body(create("w"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let keys = idempotency_key::Entity::find()
        .count(&app.db.db)
        .await
        .unwrap();
    assert_eq!(keys, 0, "no key is kept for a query or an anonymous write");
}

/// A claim of `key` by token 1 for a body hashing to `hash`.
fn keyed<'a>(key: &'a str, hash: &'a str) -> Keyed<'a> {
    Keyed {
        token_id: 1,
        key,
        request_hash: hash,
    }
}

const TTL: Duration = Duration::from_secs(60);
const RUNNING: Duration = Duration::from_secs(10);
const T0: i64 = 1_750_000_000;

async fn an_expired_key_is_forgotten(test: TestDb) {
    let db = &test.db;
    let hash = request_hash(b"{}");
    let request = keyed("k", &hash);
    assert_eq!(
        claim(db, request, T0, TTL, RUNNING).await.unwrap(),
        Claim::Execute
    );
    finish(db, 1, "k", 200, "{\"data\":1}").await.unwrap();
    assert_eq!(
        claim(db, request, T0 + 59, TTL, RUNNING).await.unwrap(),
        Claim::Replay {
            status: 200,
            body: "{\"data\":1}".to_owned()
        }
    );
    // At its expiry the key is forgotten and the request runs anew.
    assert_eq!(
        claim(db, request, T0 + 60, TTL, RUNNING).await.unwrap(),
        Claim::Execute
    );
    finish(db, 1, "k", 200, "{\"data\":2}").await.unwrap();
    let other = request_hash(b"[]");
    assert_eq!(
        claim(db, keyed("k2", &other), T0 + 61, TTL, RUNNING)
            .await
            .unwrap(),
        Claim::Execute
    );
    assert_eq!(forget_expired(db, T0 + 120).await.unwrap(), 1, "k expired");
    assert_eq!(forget_expired(db, T0 + 121).await.unwrap(), 1, "k2 expired");
    assert_eq!(idempotency_key::Entity::find().count(db).await.unwrap(), 0);
}

async fn an_unfinished_claim_is_in_progress_until_the_time_limit_then_taken_over_once(
    test: TestDb,
) {
    let db = &test.db;
    let hash = request_hash(b"{}");
    let request = keyed("k", &hash);
    assert_eq!(
        claim(db, request, T0, TTL, RUNNING).await.unwrap(),
        Claim::Execute
    );
    let running = claim(db, request, T0 + 9, TTL, RUNNING).await.unwrap();
    assert!(
        matches!(&running, Claim::Conflict(m) if m.contains("in progress")),
        "{running:?}"
    );
    // Its process died: past the time limit, one retry takes the claim over…
    assert_eq!(
        claim(db, request, T0 + 10, TTL, RUNNING).await.unwrap(),
        Claim::Execute
    );
    // …and the next finds it running again.
    let again = claim(db, request, T0 + 11, TTL, RUNNING).await.unwrap();
    assert!(matches!(again, Claim::Conflict(_)), "{again:?}");
    let row = idempotency_key::Entity::find()
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.created_at, row.expires_at), (T0 + 10, T0 + 70));
}
