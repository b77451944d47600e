//! Read replicas (`DATABASE_READ_URL`), on PostgreSQL: without real
//! replication, the "replica" is a second database holding the same list
//! with a visibly different town name, and its data version is set by hand.
//! Queries read it once its data version is at least the newest one the
//! process has seen; after a write through the process they read the
//! primary until the replica reports the write's version; a replica that
//! cannot be reached, from the start or from the middle, fails no read.

mod common;

use std::time::{Duration, Instant};

use common::TestDb;
use common::app::TestApp;
use common::events::submit;
use common::tokens::{Scope, made};
use entity::Role;
use lvzhi::auth::Actor;
use lvzhi::domain::adjustment as adjustments;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

/// The town of every list in the "replica".
const REPLICA_TOWN: &str = "副本镇";

/// The question every test asks: which towns and editions the lists have.
const LISTS: &str = "{ dutyLists { town edition } }";

/// A primary seeded with the bundled list, and a "replica": another
/// database with the same list, its town renamed, at the primary's data
/// version. `None` (said on stderr) without `TEST_DATABASE_URL`.
async fn primary_and_replica(test: &str) -> Option<(TestDb, TestDb)> {
    let primary = TestDb::postgres_from_env(test).await?;
    primary.seed().await;
    let replica = primary.sibling().await;
    replica.seed().await;
    execute(
        &replica.db,
        &format!("UPDATE duty_list SET town = '{REPLICA_TOWN}'"),
    )
    .await;
    set_version(&replica.db, version(&primary.db).await).await;
    Some((primary, replica))
}

/// lvzhi over `primary`, reading `read_url`, without the response cache (so
/// every question is answered by a database), following the replica often.
async fn serve(primary: TestDb, read_url: &str) -> TestApp {
    TestApp::spawn_with(primary, |config| {
        config.database_read_url = Some(read_url.to_owned());
        config.cache.bytes = 0;
        config.cache.poll = Duration::from_millis(50);
    })
    .await
}

async fn execute(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.expect(sql);
}

async fn version(db: &DatabaseConnection) -> i64 {
    lvzhi::db::data_version(db).await.unwrap()
}

async fn set_version(db: &DatabaseConnection, version: i64) {
    execute(
        db,
        &format!("UPDATE data_version SET version = {version} WHERE id = 1"),
    )
    .await;
}

/// The towns of the lists in `answer`, which must have no errors.
fn towns(answer: &Value) -> Vec<&str> {
    assert!(answer.get("errors").is_none(), "{answer}");
    answer["data"]["dutyLists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["town"].as_str().unwrap())
        .collect()
}

/// Whether `answer` came from the "replica".
fn from_replica(answer: &Value) -> bool {
    towns(answer).iter().all(|t| *t == REPLICA_TOWN)
}

/// Ask [`LISTS`] every 10 ms until `done` holds of the answer, for at most
/// 20 s; that answer.
async fn until(app: &TestApp, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut pace = tokio::time::interval(Duration::from_millis(10));
    loop {
        pace.tick().await;
        let answer = app.graphql(LISTS, json!({})).await;
        if done(&answer) {
            return answer;
        }
        assert!(Instant::now() < deadline, "never {what}: {answer}");
    }
}

/// `lvzhi_reads_total` of `database` on the app's `/metrics`.
async fn reads(app: &TestApp, database: &str) -> u64 {
    let name = format!("lvzhi_reads_total{{database=\"{database}\"}}");
    app.metric(&name)
        .await
        .unwrap_or_else(|| panic!("no {name}"))
}

/// Publish an approved request through the app's GraphQL endpoint, as a
/// publisher: edition 2 of the town, on the primary.
async fn publish_through(app: &TestApp) -> Value {
    let db = &app.db.db;
    let cli = Actor::command_line();
    let id = submit(db, 1).await;
    adjustments::review(db, &cli, id).await.unwrap();
    adjustments::approve(db, &cli, id).await.unwrap();
    let publisher = made(db, "县司法局", Role::Publisher, Scope::COUNTY).await;
    let query = r#"mutation($input: PublishInput!) {
      publishAdjustments(input: $input) { list { id edition } } }"#;
    let ids = [lvzhi::graphql::id::encode("Adjustment", id)];
    let input =
        json!({ "ids": ids, "documentNumber": "乌政办发〔2026〕7号", "effectiveOn": "2026-01-01" });
    let body = json!({ "query": query, "variables": { "input": input } });
    let response = app.post_with_token(&publisher, &body).await;
    let answer: Value = response.json().await.unwrap();
    assert!(answer.get("errors").is_none(), "{answer}");
    answer
}

#[tokio::test]
async fn queries_read_the_replica_once_its_data_version_has_caught_up() {
    let test = "queries_read_the_replica_once_its_data_version_has_caught_up";
    let Some((primary, replica)) = primary_and_replica(test).await else {
        return;
    };
    let app = serve(primary, &replica.url).await;
    until(&app, "answered by the replica", from_replica).await;
    assert!(reads(&app, "replica").await >= 1);
    let before = reads(&app, "replica").await;
    for _ in 0..5 {
        let answer = app.graphql(LISTS, json!({})).await;
        assert!(from_replica(&answer), "{answer}");
    }
    assert_eq!(reads(&app, "replica").await, before + 5);
}

#[tokio::test]
async fn after_a_write_through_a_process_its_reads_go_to_the_primary_until_the_replica_has_the_write()
 {
    let test = "after_a_write_through_a_process_its_reads_go_to_the_primary_until_the_replica_has_the_write";
    let Some((primary, replica)) = primary_and_replica(test).await else {
        return;
    };
    let app = serve(primary, &replica.url).await;
    until(&app, "answered by the replica", from_replica).await;
    let before = version(&app.db.db).await;

    publish_through(&app).await;

    // At once, with no wait: the replica is behind the version the write
    // made, so the primary answers, with the new edition.
    let answer = app.graphql(LISTS, json!({})).await;
    assert!(!from_replica(&answer), "{answer}");
    let editions = answer["data"]["dutyLists"][0]["edition"].clone();
    assert_eq!(editions, 2, "{answer}");
    let behind = "lvzhi_replica_fallbacks_total{reason=\"behind\"}";
    assert!(app.metric(behind).await.unwrap() >= 1);

    // Once the replica reports the write's version, reads return to it.
    let written = version(&app.db.db).await;
    assert!(written > before);
    set_version(&replica.db, written).await;
    until(&app, "back on the replica", from_replica).await;
}

#[tokio::test]
async fn a_replica_that_cannot_be_reached_fails_no_read() {
    let test = "a_replica_that_cannot_be_reached_fails_no_read";
    let Some(primary) = TestDb::postgres_from_env(test).await else {
        return;
    };
    primary.seed().await;
    // A port nothing listens on: the replica's connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = serve(
        primary,
        &format!("postgres://postgres@127.0.0.1:{port}/none"),
    )
    .await;
    for _ in 0..5 {
        let answer = app.graphql(LISTS, json!({})).await;
        assert_eq!(towns(&answer), ["乌恰镇"], "{answer}");
    }
    assert_eq!(reads(&app, "replica").await, 0);
    assert_eq!(reads(&app, "primary").await, 5);
    let unreachable = "lvzhi_replica_fallbacks_total{reason=\"unreachable\"}";
    assert_eq!(app.metric(unreachable).await, Some(5));
}

#[tokio::test]
async fn a_replica_lost_while_serving_fails_no_read() {
    let test = "a_replica_lost_while_serving_fails_no_read";
    let Some((primary, replica)) = primary_and_replica(test).await else {
        return;
    };
    let app = serve(primary, &replica.url).await;
    until(&app, "answered by the replica", from_replica).await;

    // The replica's database goes away, its connections cut off.
    let name = replica.url.rsplit('/').next().unwrap().to_owned();
    execute(&app.db.db, &format!("DROP DATABASE {name} WITH (FORCE)")).await;

    for _ in 0..5 {
        let answer = app.graphql(LISTS, json!({})).await;
        assert_eq!(towns(&answer), ["乌恰镇"], "{answer}");
    }
    let unreachable = "lvzhi_replica_fallbacks_total{reason=\"unreachable\"}";
    assert!(app.metric(unreachable).await.unwrap() >= 1);
}
