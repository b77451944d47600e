//! Webhooks end to end, on each database, with a real receiver (an HTTP
//! server in the test) that checks every signature as the Standard Webhooks
//! specification tells receivers to: an edition published reaches it; a
//! receiver that is down gets every event, in order, once it is back; 410
//! disables the subscription; private addresses are refused by default;
//! dead letters are kept and redelivered; a rotated secret signs beside the
//! old one; a replay resends in order; only admins manage subscriptions.

mod common;

use std::time::{Duration, Instant};

use common::app::TestApp;
use common::events::{publish_edition, submit};
use common::receiver::{Receiver, verifies};
use common::tokens::{COUNTY, Scope, data, error_code, post_as};
use common::{TestDb, on_each_backend};
use entity::Role;
use lvzhi::config::{Config, PrivateNetworks};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

on_each_backend!(
    an_edition_published_reaches_the_receiver_signed_per_the_standard,
    a_receiver_that_is_down_gets_every_event_in_order_once_it_is_back,
    a_receiver_answering_410_disables_its_subscription_until_resumed,
    a_private_address_is_refused_unless_allowed,
    a_dead_letter_is_kept_visible_and_redelivered_on_request,
    a_redirect_is_not_followed_and_counts_as_a_failure,
    a_rotated_secret_signs_beside_the_old_one_and_sm3_is_added_on_request,
    a_replay_resends_in_order_from_the_sequence_given,
    only_admins_manage_webhooks_and_a_countys_admin_only_its_own,
);

const CREATE: &str = r#"mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url types state county deliveredThrough hmacSm3 } }
}"#;

const WEBHOOK: &str = r#"query($id: ID!) {
  webhook(id: $id) { id state stateReason deliveredThrough
    deliveries(first: 50) { sequence state attempts lastStatus lastError nextAttemptAt redelivery event { type } } }
}"#;

/// lvzhi delivering fast: retries after 20 ms, looking for work every 20 ms,
/// to receivers on this machine.
async fn app(db: TestDb) -> TestApp {
    TestApp::spawn_with(db, fast).await
}

fn fast(config: &mut Config) {
    config.webhooks.allow_private = PrivateNetworks::All;
    config.webhooks.first_retry = Duration::from_millis(20);
    config.webhooks.poll = Duration::from_millis(20);
    config.webhooks.timeout = Duration::from_secs(5);
}

/// An admin's token for every county.
async fn admin(app: &TestApp) -> String {
    app.token(Role::Admin, Scope::EVERYWHERE).await
}

/// Subscribe `url` with `input`'s other fields; the webhook's ID and secret.
async fn subscribe(app: &TestApp, token: &str, url: &str, input: Value) -> (String, String) {
    let mut input = input;
    input["url"] = json!(url);
    let (_, body) = post_as(app, Some(token), CREATE, json!({ "input": input })).await;
    let created = data(&body, "createWebhook");
    assert_eq!(created["webhook"]["state"], "ACTIVE", "{body}");
    (
        created["webhook"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// The webhook's state and deliveries, as its admin sees them.
async fn webhook(app: &TestApp, token: &str, id: &str) -> Value {
    let (_, body) = post_as(app, Some(token), WEBHOOK, json!({ "id": id })).await;
    data(&body, "webhook").clone()
}

/// Ask until `done` holds of the webhook (at most a minute).
async fn webhook_until(
    app: &TestApp,
    token: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let hook = webhook(app, token, id).await;
        if done(&hook) {
            return hook;
        }
        assert!(
            Instant::now() < deadline,
            "the webhook never got there: {hook:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The event sequence numbers of `deliveries` (`evt_N`).
fn sequences(deliveries: &[common::receiver::Delivery]) -> Vec<i64> {
    deliveries
        .iter()
        .map(|d| d.id.strip_prefix("evt_").unwrap().parse().unwrap())
        .collect()
}

async fn an_edition_published_reaches_the_receiver_signed_per_the_standard(db: TestDb) {
    let app = app(db).await;
    let receiver = Receiver::start().await;
    let token = admin(&app).await;
    let (id, secret) = subscribe(
        &app,
        &token,
        &receiver.url,
        json!({ "types": ["list.edition.published"] }),
    )
    .await;
    let edition = publish_edition(&app.db.db).await;
    let got = receiver.delivered(1).await;
    let delivery = &got[0];
    assert!(verifies(&secret, delivery), "{delivery:#?}");
    assert!(!verifies(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        delivery
    ));
    assert_eq!(delivery.body["type"], "list.edition.published");
    assert_eq!(
        delivery.id,
        format!("evt_{}", delivery.body["data"]["sequence"])
    );
    assert_eq!(
        delivery.body["data"]["listId"],
        lvzhi::graphql::id::encode("DutyList", edition.id).to_string()
    );
    assert_eq!(delivery.body["data"]["town"], "乌恰镇");
    assert_eq!(delivery.body["data"]["summary"]["edition"], 2);
    let sent: i64 = delivery.timestamp.parse().unwrap();
    let now = lvzhi::date::now_ms() / 1000;
    assert!((now - sent).abs() < 300, "timestamp {sent}, now {now}");
    // Only the type asked for: the request's own events were not sent.
    assert!(
        receiver
            .received()
            .iter()
            .all(|d| d.body["type"] == "list.edition.published")
    );
    let sequence = delivery.body["data"]["sequence"].as_i64();
    webhook_until(&app, &token, &id, |h| {
        h["deliveredThrough"].as_i64() >= sequence
    })
    .await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("lvzhi_webhook_deliveries_total{outcome=\"delivered\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("lvzhi_webhook_oldest_undelivered_seconds{webhook="),
        "{metrics}"
    );
    assert!(metrics.contains("lvzhi_events_written_total "), "{metrics}");
}

async fn a_receiver_that_is_down_gets_every_event_in_order_once_it_is_back(db: TestDb) {
    let app = app(db).await;
    let receiver = Receiver::start().await;
    let token = admin(&app).await;
    let (id, secret) = subscribe(&app, &token, &receiver.url, json!({})).await;
    receiver.answer(503);
    for seq in 1..=3 {
        submit(&app.db.db, seq).await;
    }
    // Retried, and nothing later is sent while the first is not delivered.
    let failing = receiver
        .until("three failed attempts", |got| got.len() >= 3)
        .await;
    let first = failing[0].id.clone();
    assert!(failing.iter().all(|d| d.id == first), "{failing:#?}");
    let hook = webhook(&app, &token, &id).await;
    let pending = &hook["deliveries"][0];
    assert_eq!(pending["state"], "PENDING", "{hook:#}");
    assert_eq!(pending["lastStatus"], 503);
    assert!(pending["nextAttemptAt"].is_string());
    receiver.answer(200);
    let delivered = receiver.delivered(3).await;
    let order = sequences(&delivered);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert_eq!(delivered[0].id, first);
    assert!(delivered.iter().all(|d| verifies(&secret, d)));
    // The head waited: every 2xx came after the last failure.
    let got = receiver.received();
    let last_failure = got.iter().rposition(|d| d.answered == 503).unwrap();
    let first_ok = got.iter().position(|d| d.answered == 200).unwrap();
    assert!(last_failure < first_ok);
    let hook = webhook_until(&app, &token, &id, |h| {
        h["deliveredThrough"].as_i64() == order.last().copied()
    })
    .await;
    let attempts: Vec<i64> = hook["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["state"] == "DELIVERED")
        .map(|d| d["attempts"].as_i64().unwrap())
        .collect();
    assert_eq!(attempts.len(), 3, "{hook:#}");
    assert!(attempts.iter().any(|a| *a >= 3), "{hook:#}");
}

async fn a_receiver_answering_410_disables_its_subscription_until_resumed(db: TestDb) {
    let app = app(db).await;
    let receiver = Receiver::start().await;
    let token = admin(&app).await;
    let (id, _) = subscribe(&app, &token, &receiver.url, json!({})).await;
    receiver.answer(410);
    submit(&app.db.db, 1).await;
    receiver.until("one attempt", |got| !got.is_empty()).await;
    let hook = webhook_until(&app, &token, &id, |h| h["state"] == "DISABLED").await;
    assert!(
        hook["stateReason"].as_str().unwrap().contains("410"),
        "{hook:#}"
    );
    assert_eq!(hook["deliveries"][0]["state"], "FAILED");
    // Disabled, it gets nothing more; resumed, it gets what waited, in order.
    submit(&app.db.db, 2).await;
    receiver.answer(200);
    let (_, body) = post_as(
        &app,
        Some(&token),
        "mutation($id: ID!) { resumeWebhook(id: $id) { state } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(data(&body, "resumeWebhook")["state"], "ACTIVE");
    let delivered = receiver.delivered(2).await;
    let order = sequences(&delivered);
    assert!(order[0] < order[1], "{order:?}");
    assert_eq!(
        receiver
            .received()
            .iter()
            .filter(|d| d.answered == 410)
            .count(),
        1
    );
}

async fn a_private_address_is_refused_unless_allowed(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let token = admin(&app).await;
    for (url, says) in [
        ("http://127.0.0.1:9/hook", "LVZHI_WEBHOOK_ALLOW_PRIVATE"),
        ("http://localhost:9/hook", "LVZHI_WEBHOOK_ALLOW_PRIVATE"),
        ("http://[::1]:9/hook", "LVZHI_WEBHOOK_ALLOW_PRIVATE"),
        (
            "http://169.254.169.254/latest/meta-data",
            "LVZHI_WEBHOOK_ALLOW_PRIVATE",
        ),
        ("http://10.0.0.8/hook", "LVZHI_WEBHOOK_ALLOW_PRIVATE"),
        ("ftp://example.cn/hook", "only http and https"),
        ("https://user:pw@example.cn/hook", "credentials"),
    ] {
        let (_, body) = post_as(
            &app,
            Some(&token),
            CREATE,
            json!({ "input": { "url": url } }),
        )
        .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{url}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.starts_with("url: ") && message.contains(says),
            "{url}: {message}"
        );
    }
    let (_, body) = post_as(&app, Some(&token), "{ webhooks { id } }", json!({})).await;
    assert_eq!(data(&body, "webhooks"), &json!([]));
    // A county intranet allows its own network.
    let mut app = app;
    app.shut_down();
    let db = std::mem::replace(&mut app.db, TestDb::sqlite().await);
    let intranet = TestApp::spawn_with(db, |c| {
        c.webhooks.allow_private = PrivateNetworks::parse("127.0.0.0/8").unwrap();
    })
    .await;
    let receiver = Receiver::start().await;
    subscribe(&intranet, &token, &receiver.url, json!({})).await;
    let (_, body) = post_as(
        &intranet,
        Some(&token),
        CREATE,
        json!({ "input": { "url": "http://10.0.0.8/hook" } }),
    )
    .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
}

async fn a_dead_letter_is_kept_visible_and_redelivered_on_request(db: TestDb) {
    let app = TestApp::spawn_with(db, |c| {
        fast(c);
        c.webhooks.retry_period = Duration::from_secs(1);
    })
    .await;
    let receiver = Receiver::start().await;
    let token = admin(&app).await;
    let (id, secret) = subscribe(&app, &token, &receiver.url, json!({})).await;
    receiver.answer(500);
    submit(&app.db.db, 1).await;
    let failed = |h: &Value| h["deliveries"][0]["state"] == "FAILED";
    webhook_until(&app, &token, &id, failed).await;
    // Read again: the answer that first showed the failure may have read the
    // subscription's row before that commit and its deliveries after it.
    let hook = webhook_until(&app, &token, &id, failed).await;
    let dead = &hook["deliveries"][0];
    let sequence = dead["sequence"].as_i64().unwrap();
    assert_eq!(dead["lastStatus"], 500);
    assert!(
        dead["lastError"].as_str().unwrap().contains("500"),
        "{dead}"
    );
    assert!(dead["attempts"].as_i64().unwrap() >= 2, "{dead}");
    assert_eq!(dead["nextAttemptAt"], Value::Null);
    // Given up on, it no longer holds back later events.
    assert_eq!(hook["deliveredThrough"], sequence);
    receiver.answer(200);
    submit(&app.db.db, 2).await;
    let after = receiver.delivered(1).await;
    assert_eq!(sequences(&after), vec![sequence + 1]);
    let (_, body) = post_as(
        &app,
        Some(&token),
        "mutation($id: ID!, $s: Int!) { redeliverEvent(webhookId: $id, sequence: $s) { state redelivery } }",
        json!({ "id": id, "s": sequence }),
    )
    .await;
    assert_eq!(data(&body, "redeliverEvent")["redelivery"], true);
    let both = receiver.delivered(2).await;
    assert_eq!(both[1].id, format!("evt_{sequence}"));
    assert!(verifies(&secret, &both[1]));
    let (_, body) = post_as(
        &app,
        Some(&token),
        r#"query($id: ID!) { webhook(id: $id) { deliveries(state: FAILED) { sequence } } }"#,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        data(&body, "webhook")["deliveries"],
        json!([{ "sequence": sequence }])
    );
}

async fn a_rotated_secret_signs_beside_the_old_one_and_sm3_is_added_on_request(db: TestDb) {
    let app = app(db).await;
    let receiver = Receiver::start().await;
    let token = admin(&app).await;
    let (id, old) = subscribe(&app, &token, &receiver.url, json!({ "hmacSm3": true })).await;
    let (_, body) = post_as(
        &app,
        Some(&token),
        "mutation($id: ID!) { rotateWebhookSecret(id: $id, graceSeconds: 3600) { secret webhook { previousSecretValidUntil } } }",
        json!({ "id": id }),
    )
    .await;
    let rotated = data(&body, "rotateWebhookSecret");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["webhook"]["previousSecretValidUntil"].is_string());
    submit(&app.db.db, 1).await;
    let delivery = &receiver.delivered(1).await[0];
    assert!(
        verifies(&new, delivery) && verifies(&old, delivery),
        "{delivery:#?}"
    );
    let versions: Vec<&str> = delivery
        .signature
        .split(' ')
        .map(|e| e.split(',').next().unwrap())
        .collect();
    assert_eq!(versions, ["v1", "v1sm3", "v1", "v1sm3"]);
    // Without a grace period, only the new secret signs.
    let (_, body) = post_as(
        &app,
        Some(&token),
        "mutation($id: ID!) { rotateWebhookSecret(id: $id, graceSeconds: 0) { secret } }",
        json!({ "id": id }),
    )
    .await;
    let newest = data(&body, "rotateWebhookSecret")["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    submit(&app.db.db, 2).await;
    let delivery = &receiver.delivered(2).await[1];
    assert!(verifies(&newest, delivery) && !verifies(&new, delivery));
    // Secrets are never shown again.
    let (_, body) = post_as(&app, Some(&token), "{ webhooks { id secret } }", json!({})).await;
    assert_eq!(
        error_code(&body),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{body}"
    );
}

async fn a_replay_resends_in_order_from_the_sequence_given(db: TestDb) {
    let app = app(db).await;
    let receiver = Receiver::start().await;
    let token = admin(&app).await;
    let (id, _) = subscribe(&app, &token, &receiver.url, json!({})).await;
    for seq in 1..=3 {
        submit(&app.db.db, seq).await;
    }
    let first = sequences(&receiver.delivered(3).await);
    let (_, body) = post_as(
        &app,
        Some(&token),
        "mutation($id: ID!, $after: Int!) { replayWebhook(id: $id, after: $after) { deliveredThrough } }",
        json!({ "id": id, "after": first[0] }),
    )
    .await;
    assert_eq!(data(&body, "replayWebhook")["deliveredThrough"], first[0]);
    let all = receiver.until("the replay", |got| got.len() >= 5).await;
    assert_eq!(sequences(&all[3..5]), first[1..3].to_vec());
}

async fn only_admins_manage_webhooks_and_a_countys_admin_only_its_own(db: TestDb) {
    let app = app(db).await;
    let receiver = Receiver::start().await;
    let admin = admin(&app).await;
    let (id, _) = subscribe(&app, &admin, &receiver.url, json!({})).await;
    let (_, body) = post_as(&app, None, "{ webhooks { id } }", json!({})).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    // Whether a subscription exists is not told without the right token.
    for token in [None, Some(publisher_of(&app).await)] {
        let (_, body) = post_as(
            &app,
            token.as_deref(),
            "mutation($id: ID!) { pauseWebhook(id: $id) { state } }",
            json!({ "id": lvzhi::graphql::id::encode("Webhook", 999).to_string() }),
        )
        .await;
        let code = error_code(&body);
        assert!(
            matches!(code, Some("UNAUTHENTICATED" | "FORBIDDEN")),
            "{body}"
        );
    }
    let publisher = app.token(Role::Publisher, Scope::EVERYWHERE).await;
    let (_, body) = post_as(
        &app,
        Some(&publisher),
        CREATE,
        json!({ "input": { "url": receiver.url } }),
    )
    .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    // A county's admin: its subscriptions receive its county's events only,
    // and it cannot touch one that is not its county's.
    let county_admin = app.token(Role::Admin, Scope::COUNTY).await;
    let (_, body) = post_as(
        &app,
        Some(&county_admin),
        CREATE,
        json!({ "input": { "url": receiver.url } }),
    )
    .await;
    assert_eq!(
        data(&body, "createWebhook")["webhook"]["county"],
        COUNTY,
        "{body}"
    );
    let (_, body) = post_as(
        &app,
        Some(&county_admin),
        "{ webhooks { county } }",
        json!({}),
    )
    .await;
    assert_eq!(data(&body, "webhooks"), &json!([{ "county": COUNTY }]));
    let (_, body) = post_as(
        &app,
        Some(&county_admin),
        "mutation($id: ID!) { pauseWebhook(id: $id) { state } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let log = entity::audit_event::Entity::find()
        .all(&app.db.db)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.operation == "webhook.create" && e.result == "OK")
    );
    assert!(
        log.iter()
            .any(|e| e.operation == "webhook.pause" && e.result == "FORBIDDEN")
    );
}

async fn a_redirect_is_not_followed_and_counts_as_a_failure(db: TestDb) {
    let app = app(db).await;
    let receiver = Receiver::start().await;
    let token = admin(&app).await;
    let (id, _) = subscribe(&app, &token, &receiver.url, json!({})).await;
    receiver.answer(307);
    submit(&app.db.db, 1).await;
    let hook = webhook_until(&app, &token, &id, |h| {
        h["deliveries"][0]["attempts"].as_i64() >= Some(2)
    })
    .await;
    let pending = &hook["deliveries"][0];
    assert_eq!(pending["state"], "PENDING");
    assert_eq!(pending["lastStatus"], 307);
    assert!(
        pending["lastError"].as_str().unwrap().contains("redirect"),
        "{pending}"
    );
    // Every request went to the subscribed URL itself.
    assert!(receiver.received().iter().all(|d| d.answered == 307));
}

/// A publisher's token: it may not manage webhooks.
async fn publisher_of(app: &TestApp) -> String {
    app.token(Role::Publisher, Scope::EVERYWHERE).await
}
