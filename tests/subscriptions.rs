//! Subscriptions end to end, on each database: the real server, a real
//! `graphql-transport-ws` client (`common::ws`), changes made through the
//! API as a town, a reviewer, an approver and a publisher make them. A
//! subscriber gets a publication as it commits; one that reconnects with
//! `after:` gets exactly what it missed, then new events; filters and a
//! token's county apply; tokens are checked in `connection_init`; only
//! `graphql-transport-ws` is spoken; a subscription POSTed over HTTP is an
//! error, never cached.

mod common;

use common::app::TestApp;
use common::tokens::{Scope, bearer, data, error_code, made, post_as, unchecked};
use common::ws::{Received, TRANSPORT_WS, WsClient};
use common::{TestDb, on_each_backend};
use entity::Role;
use lvzhi::domain::event::{Kind, NewEvent, record};
use reqwest::StatusCode;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Error as HandshakeError;

on_each_backend!(
    a_subscriber_receives_an_editions_published_event_after_a_publication,
    a_subscriber_that_reconnects_with_after_gets_exactly_the_events_it_missed_in_order_then_new_ones,
    types_and_list_filters_apply_and_a_county_confined_token_sees_only_its_county,
    an_unknown_token_is_refused_with_4403_and_without_a_token_events_answers_unauthenticated,
    where_reads_need_a_token_a_connection_without_one_is_refused_with_4403,
    the_legacy_graphql_ws_subprotocol_is_refused_before_the_upgrade,
    a_subscription_posted_over_http_gets_a_clear_error_and_is_never_cached,
    over_the_socket_a_query_is_answered_once_a_mutation_is_refused_and_the_limits_apply,
);

const EVENTS: &str = r#"subscription($after: Int!, $types: [String!], $listId: ID) {
  events(after: $after, types: $types, listId: $listId) {
    sequence type town subject list { id edition isCurrent } payload
  }
}"#;

const SUBMIT: &str = r#"mutation($input: AdjustmentInput!) {
  submitAdjustment(input: $input) { id state }
}"#;

const PUBLISH: &str = r#"mutation($input: PublishInput!) {
  publishAdjustments(input: $input) { list { id edition } }
}"#;

/// A county other than the bundled list's.
const OTHER_COUNTY: &str = "阿图什市";

/// Tokens of every role of the adjustment flow in 乌恰县, and a reader.
struct Flow {
    applicant: String,
    reviewer: String,
    approver: String,
    publisher: String,
    reader: String,
}

impl Flow {
    async fn tokens(app: &TestApp) -> Flow {
        let db = &app.db.db;
        Flow {
            applicant: made(db, "乌恰镇", Role::Applicant, Scope::TOWN).await,
            reviewer: made(db, "县编办", Role::Reviewer, Scope::COUNTY).await,
            approver: made(db, "县政府", Role::Approver, Scope::COUNTY).await,
            publisher: made(db, "县司法局", Role::Publisher, Scope::COUNTY).await,
            reader: made(db, "看板", Role::Reader, Scope::COUNTY).await,
        }
    }

    /// Submit a request to move the current edition's `nth` cooperative duty
    /// to the reclaimed table (one event); the request's ID and its list's.
    async fn submit(&self, app: &TestApp, nth: usize) -> (String, String) {
        let body = app
            .graphql(
                "{ dutyLists { id } duties(filter: {kind: COOPERATIVE}, first: 5) { nodes { id } } }",
                json!({}),
            )
            .await;
        let list = body["data"]["dutyLists"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let duty = body["data"]["duties"]["nodes"][nth]["id"].clone();
        let input = json!({ "input": {
            "listId": list,
            "operation": "MOVE",
            "dutyId": duty,
            "duty": { "kind": "RECLAIMED", "workingMethod": "县级部门承接，乡镇不再承担" },
            "applicant": "乌恰镇人民政府",
            "legalBasis": "《中华人民共和国森林法》第九条",
            "reason": "该事项专业性强，乡镇不具备执法条件",
        }});
        let (status, body) = post_as(app, Some(&self.applicant), SUBMIT, input).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = data(&body, "submitAdjustment")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, list)
    }

    /// Review, then approve request `id` (two events).
    async fn approve(&self, app: &TestApp, id: &str) {
        for (token, mutation) in [
            (&self.reviewer, "reviewAdjustment"),
            (&self.approver, "approveAdjustment"),
        ] {
            let query = format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ id state }} }}");
            let (status, body) = post_as(app, Some(token), &query, json!({ "id": id })).await;
            assert_eq!(status, StatusCode::OK, "{mutation}: {body}");
        }
    }

    /// Publish request `id` as the next edition (two events: the edition's,
    /// then the request's).
    async fn publish(&self, app: &TestApp, id: &str) {
        let input = json!({ "input": {
            "ids": [id], "documentNumber": "乌政办发〔2026〕12号", "effectiveOn": "2026-01-01",
        }});
        let (status, body) = post_as(app, Some(&self.publisher), PUBLISH, input).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// The event of the next message, which must be a `next` of operation `id`
/// without errors.
async fn next_event(client: &mut WsClient, id: &str) -> Value {
    let payload = client.next_of(id).await;
    assert!(payload.get("errors").is_none(), "errors: {payload}");
    payload["data"]["events"].clone()
}

/// The sequence numbers and types of the next `n` events of operation `id`.
async fn sequences(client: &mut WsClient, id: &str, n: usize) -> Vec<(i64, String)> {
    let mut seen = Vec::new();
    for _ in 0..n {
        let event = next_event(client, id).await;
        seen.push((
            event["sequence"].as_i64().unwrap(),
            event["type"].as_str().unwrap().to_owned(),
        ));
    }
    seen
}

/// Sequence numbers only.
fn numbers(seen: &[(i64, String)]) -> Vec<i64> {
    seen.iter().map(|(n, _)| *n).collect()
}

/// Record an event of `kind` in `county` (not the bundled list's), as a
/// change there would.
async fn record_in(db: &sea_orm::DatabaseConnection, county: i32, kind: Kind) -> i64 {
    let txn = db.begin().await.unwrap();
    let sequence = record(
        &txn,
        NewEvent {
            kind,
            county_id: Some(county),
            town: Some("托云乡".into()),
            list_id: None,
            subject: "DutyList:999".into(),
            payload: json!({}),
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    sequence
}

async fn a_subscriber_receives_an_editions_published_event_after_a_publication(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let flow = Flow::tokens(&app).await;
    // On the endpoint's own URL, as GraphiQL and most clients subscribe.
    let mut client = WsClient::connect(
        &app,
        "/graphql",
        json!({ "Authorization": bearer(&flow.reader) }),
    )
    .await
    .expect("the connection is acknowledged");
    // The bundled list's import at start-up is event 1.
    client
        .subscribe(
            "editions",
            EVENTS,
            json!({ "after": 1, "types": ["list.edition.published"] }),
        )
        .await;

    let (id, _) = flow.submit(&app, 0).await;
    flow.approve(&app, &id).await;
    flow.publish(&app, &id).await;

    let event = next_event(&mut client, "editions").await;
    assert_eq!(event["sequence"], 5, "{event}");
    assert_eq!(event["type"], "list.edition.published");
    assert_eq!(event["town"], "乌恰镇");
    assert_eq!(event["list"]["edition"], 2);
    assert_eq!(event["list"]["isCurrent"], true);
    assert_eq!(event["payload"]["documentNumber"], "乌政办发〔2026〕12号");
    assert_eq!(event["payload"]["source"], "ADJUSTMENT");
    assert_eq!(event["payload"]["changes"]["moved"], 1);
    // The request's own events are of other types: nothing else came.
    assert_eq!(client.ping().await, []);
}

async fn a_subscriber_that_reconnects_with_after_gets_exactly_the_events_it_missed_in_order_then_new_ones(
    db: TestDb,
) {
    let app = TestApp::spawn(db).await;
    let flow = Flow::tokens(&app).await;
    let mut client = WsClient::with_token(&app, &flow.reader).await;
    client.subscribe("all", EVENTS, json!({ "after": 0 })).await;
    // From 0: the past first.
    assert_eq!(
        sequences(&mut client, "all", 1).await,
        [(1, "list.edition.published".to_owned())]
    );
    let (id, _) = flow.submit(&app, 0).await;
    let seen = sequences(&mut client, "all", 1).await;
    assert_eq!(seen, [(2, "adjustment.submitted".to_owned())]);
    let last = seen[0].0;
    client.close().await;

    // While it is away: reviewed, approved, published (edition and request).
    flow.approve(&app, &id).await;
    flow.publish(&app, &id).await;

    let mut client = WsClient::with_token(&app, &flow.reader).await;
    client
        .subscribe("again", EVENTS, json!({ "after": last }))
        .await;
    assert_eq!(
        sequences(&mut client, "again", 4).await,
        [
            (3, "adjustment.reviewed".to_owned()),
            (4, "adjustment.approved".to_owned()),
            (5, "list.edition.published".to_owned()),
            (6, "adjustment.published".to_owned()),
        ]
    );
    // Then new ones, as they commit: a request against the new edition.
    flow.submit(&app, 1).await;
    assert_eq!(
        sequences(&mut client, "again", 1).await,
        [(7, "adjustment.submitted".to_owned())]
    );
    // None twice.
    assert_eq!(client.ping().await, []);
}

async fn types_and_list_filters_apply_and_a_county_confined_token_sees_only_its_county(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let flow = Flow::tokens(&app).await;
    let everywhere = made(&app.db.db, "统计局", Role::Reader, Scope::EVERYWHERE).await;
    let other_scope = Scope {
        county: Some(OTHER_COUNTY),
        ..Scope::EVERYWHERE
    };
    let other = unchecked(&app.db.db, "阿图什", Role::Reader, other_scope).await;
    let other_county = common::tokens::county_id(&app.db.db, OTHER_COUNTY).await;

    // 1: the bundled list (乌恰县); 2: an edition elsewhere; 3: a request here.
    assert_eq!(
        record_in(&app.db.db, other_county, Kind::EditionPublished).await,
        2
    );
    let (_, list) = flow.submit(&app, 0).await;

    let mut all = WsClient::with_token(&app, &everywhere).await;
    all.subscribe(
        "requests",
        EVENTS,
        json!({ "after": 0, "types": ["adjustment.submitted"] }),
    )
    .await;
    all.subscribe("list", EVENTS, json!({ "after": 0, "listId": list }))
        .await;
    // The other forms of connection_init: lower case, and `token`.
    let mut here = WsClient::connect(
        &app,
        "/graphql/ws",
        json!({ "authorization": bearer(&flow.reader) }),
    )
    .await
    .expect("acknowledged");
    here.subscribe("here", EVENTS, json!({ "after": 0 })).await;
    let mut there = WsClient::connect(&app, "/graphql/ws", json!({ "token": other }))
        .await
        .expect("acknowledged");
    there
        .subscribe("there", EVENTS, json!({ "after": 0 }))
        .await;

    // 4: an edition elsewhere; 5: a request elsewhere; 6: a request here.
    record_in(&app.db.db, other_county, Kind::EditionPublished).await;
    record_in(&app.db.db, other_county, Kind::AdjustmentSubmitted).await;
    flow.submit(&app, 1).await;

    // Two subscriptions on one socket: their messages interleave.
    let mut requests = Vec::new();
    let mut on_list = Vec::new();
    while requests.len() < 3 || on_list.len() < 3 {
        match all.receive().await {
            Received::Next { id, payload } => {
                let event = &payload["data"]["events"];
                let seen = (event["sequence"].as_i64().unwrap(), event.clone());
                match id.as_str() {
                    "requests" => requests.push(seen),
                    "list" => on_list.push(seen),
                    other => panic!("unknown operation {other}"),
                }
            }
            other => panic!("expected `next`, got {other:?}"),
        }
    }
    let sequence = |seen: &[(i64, Value)]| seen.iter().map(|(n, _)| *n).collect::<Vec<_>>();
    // Of a type, in every county for this token.
    assert_eq!(sequence(&requests), [3, 5, 6]);
    // About one edition: its import and its requests.
    assert_eq!(sequence(&on_list), [1, 3, 6]);
    assert!(
        on_list
            .iter()
            .all(|(_, e)| e["list"]["id"] == list.as_str())
    );

    let seen = sequences(&mut here, "here", 3).await;
    assert_eq!(numbers(&seen), [1, 3, 6], "乌恰县's token: {seen:?}");
    let seen = sequences(&mut there, "there", 3).await;
    assert_eq!(
        numbers(&seen),
        [2, 4, 5],
        "{OTHER_COUNTY}'s token: {seen:?}"
    );
}

async fn an_unknown_token_is_refused_with_4403_and_without_a_token_events_answers_unauthenticated(
    db: TestDb,
) {
    let app = TestApp::spawn(db).await;
    for payload in [
        json!({ "Authorization": "Bearer lvz_unknown" }),
        json!({ "token": "lvz_unknown" }),
        json!({ "Authorization": "Basic dXNlcjpwYXNz" }),
    ] {
        let refused = WsClient::connect(&app, "/graphql/ws", payload.clone()).await;
        assert_eq!(
            refused.err(),
            Some(Received::Closed {
                code: 4403,
                reason: "Forbidden".into()
            }),
            "{payload}"
        );
    }
    // A revoked token too.
    let flow = Flow::tokens(&app).await;
    lvzhi::auth::token::revoke(&app.db.db, "看板", &lvzhi::auth::Actor::command_line())
        .await
        .expect("revoked");
    let refused = WsClient::connect(
        &app,
        "/graphql/ws",
        json!({ "Authorization": bearer(&flow.reader) }),
    )
    .await;
    assert!(
        matches!(refused, Err(Received::Closed { code: 4403, .. })),
        "{:?}",
        refused.err()
    );

    // Without a token: connected, but `events` needs one.
    let mut client = WsClient::connect(&app, "/graphql/ws", json!({}))
        .await
        .expect("a connection without a token is acknowledged");
    client.subscribe("1", EVENTS, json!({ "after": 0 })).await;
    let errors = match client.receive().await {
        Received::Next { payload, .. } => payload,
        Received::Error { errors, .. } => json!({ "errors": errors }),
        other => panic!("expected an error, got {other:?}"),
    };
    assert_eq!(error_code(&errors), Some("UNAUTHENTICATED"), "{errors}");
    assert_eq!(
        client.receive().await,
        Received::Complete { id: "1".into() }
    );
    // And without any payload at all, the same.
    let mut bare = WsClient::open(&app, "/graphql/ws", TRANSPORT_WS)
        .await
        .unwrap();
    bare.send(json!({ "type": "connection_init" })).await;
    assert_eq!(bare.receive().await, Received::Ack);
}

async fn where_reads_need_a_token_a_connection_without_one_is_refused_with_4403(db: TestDb) {
    let app = TestApp::spawn_with(db, |c| c.reads_require_token = true).await;
    for payload in [json!({}), json!(null)] {
        let refused = WsClient::connect(&app, "/graphql/ws", payload).await;
        assert_eq!(
            refused.err(),
            Some(Received::Closed {
                code: 4403,
                reason: "Forbidden".into()
            })
        );
    }
    let reader = made(&app.db.db, "看板", Role::Reader, Scope::COUNTY).await;
    let mut client = WsClient::with_token(&app, &reader).await;
    client.subscribe("1", EVENTS, json!({ "after": 0 })).await;
    assert_eq!(numbers(&sequences(&mut client, "1", 1).await), [1]);
    // A subscribe before the connection_ack is refused as the spec says.
    let mut early = WsClient::open(&app, "/graphql/ws", TRANSPORT_WS)
        .await
        .unwrap();
    early.subscribe("1", EVENTS, json!({ "after": 0 })).await;
    assert!(
        matches!(early.receive().await, Received::Closed { code: 4401, .. }),
        "4401 Unauthorized"
    );
}

async fn the_legacy_graphql_ws_subprotocol_is_refused_before_the_upgrade(db: TestDb) {
    let app = TestApp::spawn(db).await;
    for (path, subprotocols) in [
        ("/graphql/ws", "graphql-ws"),
        ("/graphql", "graphql-ws"),
        ("/graphql/ws", ""),
    ] {
        match WsClient::open(&app, path, subprotocols).await {
            Err(HandshakeError::Http(response)) => {
                assert_eq!(response.status(), 400, "{path} {subprotocols}");
                let body = String::from_utf8(response.into_body().unwrap_or_default()).unwrap();
                assert!(body.contains("graphql-transport-ws"), "{body}");
            }
            Err(other) => panic!("{path} {subprotocols}: {other}"),
            Ok(_) => panic!("{path} {subprotocols}: upgraded"),
        }
    }
    // Offered among others, graphql-transport-ws is chosen.
    let mut client = WsClient::open(&app, "/graphql/ws", "graphql-ws, graphql-transport-ws")
        .await
        .expect("upgraded");
    client
        .send(json!({ "type": "connection_init", "payload": {} }))
        .await;
    assert_eq!(client.receive().await, Received::Ack);
    assert_eq!(client.ping().await, []);
    // A plain GET of the WebSocket URL says what it is.
    let plain = app.get("/graphql/ws").await;
    assert_eq!(plain.status(), 400);
}

async fn a_subscription_posted_over_http_gets_a_clear_error_and_is_never_cached(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let request = json!({ "query": "subscription { events { sequence } }" });
    for _ in 0..2 {
        let response = app.post(&request).await;
        let body: Value = response.json().await.unwrap();
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("WebSocket"), "{body}");
        assert!(message.contains("/graphql/ws"), "{body}");
        assert_eq!(error_code(&body), Some("BAD_REQUEST"), "{body}");
        assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    }
    // Over GET too, and as the spec's media type asks: 400 without data.
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "subscription { events { sequence } }")])
        .header("accept", "application/graphql-response+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, Some(0));
    assert_eq!(app.metric("lvzhi_response_cache_entries").await, Some(0));
}

async fn over_the_socket_a_query_is_answered_once_a_mutation_is_refused_and_the_limits_apply(
    db: TestDb,
) {
    let app = TestApp::spawn_with(db, |c| c.limits.depth = 3).await;
    let reader = made(&app.db.db, "看板", Role::Reader, Scope::COUNTY).await;
    let mut client = WsClient::with_token(&app, &reader).await;

    client
        .subscribe("q", "{ dutyLists { town } }", json!({}))
        .await;
    let answer = client.next_of("q").await;
    assert_eq!(answer["data"]["dutyLists"][0]["town"], "乌恰镇", "{answer}");
    assert_eq!(
        client.receive().await,
        Received::Complete { id: "q".into() }
    );

    client
        .subscribe(
            "m",
            r#"mutation { withdrawAdjustment(id: "QWRqdXN0bWVudDox") { id } }"#,
            json!({}),
        )
        .await;
    let refused = client.next_of("m").await;
    assert_eq!(error_code(&refused), Some("BAD_REQUEST"), "{refused}");
    assert_eq!(
        client.receive().await,
        Received::Complete { id: "m".into() }
    );

    // Four levels, past the depth limit of 3.
    client
        .subscribe(
            "deep",
            "subscription { events { list { currentEdition { id } } } }",
            json!({}),
        )
        .await;
    let refused = client.next_of("deep").await;
    assert_eq!(error_code(&refused), Some("LIMIT_EXCEEDED"), "{refused}");
    assert_eq!(
        client.receive().await,
        Received::Complete { id: "deep".into() }
    );
}
