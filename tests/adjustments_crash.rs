//! `kill -9` of `lvzhi serve` in the middle of a publication (PostgreSQL): the
//! publication is held inside its transaction by a lock the test takes on the
//! town's editions, the server is killed, and the database holds nothing of
//! it; a retry on a new server publishes the edition, and a second retry
//! answers the same edition.

mod common;

use std::time::{Duration, Instant};

use common::TestDb;
use common::events::submit;
use common::process::serve;
use common::tokens::{Scope, made};
use entity::{AdjustmentState, Role, adjustment, audit_event, duty_list};
use lvzhi::auth::Actor;
use lvzhi::domain::adjustment as adjustments;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Statement, TransactionTrait,
};
use serde_json::{Value, json};

async fn publish(address: &str, token: &str, id: i32) -> reqwest::Result<Value> {
    let query = r#"mutation($input: PublishInput!) {
      publishAdjustments(input: $input) { list { id edition } } }"#;
    let ids = [lvzhi::graphql::id::encode("Adjustment", id)];
    let input =
        json!({ "ids": ids, "documentNumber": "乌政办发〔2026〕7号", "effectiveOn": "2026-01-01" });
    reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": { "input": input } }))
        .send()
        .await?
        .json()
        .await
}

/// An approved request moving the first cooperative duty to the reclaimed table.
async fn approved_move(db: &DatabaseConnection) -> i32 {
    let cli = Actor::command_line();
    let id = submit(db, 1).await;
    adjustments::review(db, &cli, id).await.unwrap();
    adjustments::approve(db, &cli, id).await.unwrap();
    id
}

/// Wait until a backend of this database waits for a lock (the publication,
/// stopped by the test's own lock); bounded, polling.
async fn until_a_backend_waits(db: &DatabaseConnection) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let waiting = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        if waiting > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the publication never reached the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_publication_killed_mid_transaction_leaves_nothing_and_its_retry_converges() {
    let test = "a_publication_killed_mid_transaction_leaves_nothing_and_its_retry_converges";
    let Some(db) = TestDb::postgres_from_env(test).await else {
        return;
    };
    db.seed().await;
    let id = approved_move(&db.db).await;
    let publisher = made(&db.db, "县司法局", Role::Publisher, Scope::COUNTY).await;

    // Hold the town's editions so the publication stops inside its transaction.
    let holder = db.db.begin().await.unwrap();
    holder
        .execute_unprepared("SELECT id FROM duty_list FOR UPDATE")
        .await
        .unwrap();
    let (mut server, address) = serve(&db.url, &[]);
    let request = tokio::spawn({
        let (address, publisher) = (address.clone(), publisher.clone());
        async move { publish(&address, &publisher, id).await }
    });
    until_a_backend_waits(&db.db).await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    assert!(
        request.await.unwrap().is_err(),
        "the killed server answered"
    );
    holder.rollback().await.unwrap();

    // Nothing of the publication: one edition, the request still APPROVED.
    let editions = duty_list::Entity::find().count(&db.db).await.unwrap();
    assert_eq!(editions, 1);
    let row = adjustment::Entity::find_by_id(id)
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, AdjustmentState::Approved);
    assert_eq!(row.published_list_id, None);

    // The retry publishes; a second retry answers the same edition.
    let (mut server, address) = serve(&db.url, &[]);
    let first = publish(&address, &publisher, id).await.unwrap();
    let again = publish(&address, &publisher, id).await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let edition = &first["data"]["publishAdjustments"]["list"];
    assert_eq!(edition["edition"], 2, "{first}");
    assert_eq!(again["data"]["publishAdjustments"]["list"], *edition);
    assert_eq!(duty_list::Entity::find().count(&db.db).await.unwrap(), 2);
    let publications = audit_event::Entity::find()
        .filter(audit_event::Column::Operation.eq("list.publish"))
        .count(&db.db)
        .await
        .unwrap();
    assert_eq!(publications, 1);
}
