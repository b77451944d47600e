//! Webhook delivery across processes, on PostgreSQL: `lvzhi serve` run as
//! child processes. Two processes on one database deliver each event to each
//! receiver once, in order; an event committed while no lvzhi runs, and one
//! whose delivery was cut short by `kill -9`, are delivered after a restart;
//! another process's commit wakes a process's cache and delivery worker at
//! once (`NOTIFY`), though their polls are a day apart.

mod common;

use common::TestDb;
use common::events::{publish_edition, submit};
use common::process::serve;
use common::receiver::{Receiver, distinct_ok, verifies};
use lvzhi::auth::Actor;
use lvzhi::domain::webhook::{self as hooks, NewWebhook};
use lvzhi::webhook::address::PrivateNetworks;
use sea_orm::DatabaseConnection;

/// Settings for fast delivery to receivers on this machine.
const FAST: [(&str, &str); 4] = [
    ("LVZHI_WEBHOOK_ALLOW_PRIVATE", "true"),
    ("LVZHI_WEBHOOK_POLL_MS", "20"),
    ("LVZHI_WEBHOOK_FIRST_RETRY_MS", "20"),
    ("LVZHI_WEBHOOK_TIMEOUT_MS", "1000"),
];

/// Subscribe `receiver` to every event; the secret.
async fn subscribe(db: &DatabaseConnection, receiver: &Receiver) -> String {
    let new = NewWebhook {
        url: receiver.url.clone(),
        ..NewWebhook::default()
    };
    let (_, secret) = hooks::create(db, new, &PrivateNetworks::All, &Actor::command_line())
        .await
        .unwrap();
    secret
}

/// `delivered` outcomes counted on a process's `/metrics`.
async fn delivered_by(address: &str) -> u64 {
    let text = reqwest::get(format!("{address}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("lvzhi_webhook_deliveries_total{outcome=\"delivered\"} "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no delivered count in {text}"))
}

#[tokio::test]
async fn two_processes_on_one_postgresql_deliver_each_event_once_in_order() {
    let test = "two_processes_on_one_postgresql_deliver_each_event_once_in_order";
    let Some(db) = TestDb::postgres_from_env(test).await else {
        return;
    };
    db.seed().await;
    let mut receivers = Vec::new();
    for _ in 0..6 {
        let receiver = Receiver::start().await;
        let secret = subscribe(&db.db, &receiver).await;
        receivers.push((receiver, secret));
    }
    let (mut first, first_address) = serve(&db.url, &FAST);
    let (mut second, second_address) = serve(&db.url, &FAST);
    let events = 20;
    for seq in 1..=events {
        submit(&db.db, seq).await;
    }
    for (receiver, secret) in &receivers {
        let delivered = receiver.delivered(events as usize).await;
        let got = receiver.received();
        assert_eq!(
            got.len(),
            events as usize,
            "a duplicate or a failure: {got:#?}"
        );
        let order: Vec<&str> = delivered.iter().map(|d| d.id.as_str()).collect();
        let mut sorted = delivered.clone();
        sorted.sort_by_key(|d| d.body["data"]["sequence"].as_i64());
        assert_eq!(
            order,
            sorted.iter().map(|d| d.id.as_str()).collect::<Vec<_>>()
        );
        assert!(delivered.iter().all(|d| verifies(secret, d)));
    }
    // Each attempt was made by one process or the other, never both.
    let total = delivered_by(&first_address).await + delivered_by(&second_address).await;
    assert_eq!(total, 6 * events as u64);
    for child in [&mut first, &mut second] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[tokio::test]
async fn an_event_committed_while_lvzhi_is_down_or_killed_mid_delivery_is_delivered_after_restart()
{
    let test =
        "an_event_committed_while_lvzhi_is_down_or_killed_mid_delivery_is_delivered_after_restart";
    let Some(db) = TestDb::postgres_from_env(test).await else {
        return;
    };
    db.seed().await;
    let receiver = Receiver::start().await;
    let secret = subscribe(&db.db, &receiver).await;
    // Committed while no lvzhi runs.
    submit(&db.db, 1).await;
    // The first process takes it up; the receiver holds the attempt open,
    // and the process is killed in the middle of it.
    receiver.answer(0);
    let (mut server, _) = serve(&db.url, &FAST);
    receiver.until("an attempt", |got| !got.is_empty()).await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    receiver.answer(200);
    // A new process delivers it, once the dead one's claim lapses.
    let (mut server, _) = serve(&db.url, &FAST);
    let delivered = receiver.delivered(1).await;
    assert!(verifies(&secret, &delivered[0]));
    assert_eq!(delivered[0].id, receiver.received()[0].id);
    submit(&db.db, 2).await;
    let delivered = receiver.delivered(2).await;
    assert_eq!(distinct_ok(&receiver.received()).len(), 2);
    let sequence = |i: usize| delivered[i].body["data"]["sequence"].as_i64().unwrap();
    assert!(sequence(0) < sequence(1));
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test]
async fn on_postgresql_a_commit_elsewhere_wakes_the_cache_and_the_worker_without_polling() {
    let test = "on_postgresql_a_commit_elsewhere_wakes_the_cache_and_the_worker_without_polling";
    let Some(db) = TestDb::postgres_from_env(test).await else {
        return;
    };
    db.seed().await;
    let receiver = Receiver::start().await;
    subscribe(&db.db, &receiver).await;
    let day = "86400000";
    let (mut server, address) = serve(
        &db.url,
        &[
            ("LVZHI_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("LVZHI_WEBHOOK_POLL_MS", day),
            ("LVZHI_RESPONSE_CACHE_POLL_MS", day),
        ],
    );
    let lists = || async {
        reqwest::Client::new()
            .post(format!("{address}/graphql"))
            .json(&serde_json::json!({ "query": "{ dutyLists { edition } }" }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = lists().await;
    assert_eq!(lists().await, before); // now answered from the cache
    // The test is the other process: it publishes edition 2 itself.
    publish_edition(&db.db).await;
    let delivered = receiver.delivered(1).await;
    assert_eq!(delivered[0].body["type"], "adjustment.submitted");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while lists().await == before {
        assert!(
            std::time::Instant::now() < deadline,
            "the cache was never invalidated"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(lists().await.contains("\"edition\":2"));
    server.kill().unwrap();
    server.wait().unwrap();
}
