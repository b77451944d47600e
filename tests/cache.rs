//! The response cache over HTTP: answers served again byte for byte, errors
//! never cached, an import by another process showing within the poll interval,
//! and the cache switched off.

mod common;

use std::time::{Duration, Instant};

use common::app::TestApp;
use common::response::code;
use common::{TestDb, on_each_backend};
use serde_json::json;

on_each_backend!(
    a_repeated_query_is_answered_from_the_response_cache_with_the_same_bytes,
    answers_with_errors_are_never_cached,
    an_import_by_another_process_replaces_cached_answers_within_the_poll_interval,
    with_the_response_cache_off_every_request_is_executed,
);

/// The `/graphql` answer to `query` as the raw bytes and content type, for
/// comparing answers byte for byte.
async fn raw_answer(app: &TestApp, query: &str, accept: &str) -> (String, String) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", accept)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (content_type, response.text().await.unwrap())
}

async fn a_repeated_query_is_answered_from_the_response_cache_with_the_same_bytes(db: TestDb) {
    let app = TestApp::spawn(db).await;
    let query = "{ department(name: \"县住建局\") { name cooperations { duty { name } townItems { text } } } }";
    let (_, first) = raw_answer(&app, query, "application/json").await;
    assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, Some(0));
    let (json_type, second) = raw_answer(&app, query, "application/json").await;
    let (graphql_type, third) = raw_answer(&app, query, "application/graphql-response+json").await;
    assert_eq!(second, first);
    assert_eq!(third, first);
    // The cached body keeps the media type each client negotiated.
    assert!(json_type.starts_with("application/json"), "{json_type}");
    assert!(
        graphql_type.starts_with("application/graphql-response+json"),
        "{graphql_type}"
    );
    assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, Some(2));
    assert_eq!(app.metric("lvzhi_response_cache_entries").await, Some(1));
    // Other variables are another question.
    let by_name = "query($n: String) { department(name: $n) { name } }";
    let a = app.graphql(by_name, json!({ "n": "县住建局" })).await;
    let b = app.graphql(by_name, json!({ "n": "县市监局" })).await;
    assert_eq!(a["data"]["department"]["name"], "乌恰县住房和城乡建设局");
    assert_eq!(b["data"]["department"]["name"], "乌恰县市场监督管理局");
}

async fn answers_with_errors_are_never_cached(db: TestDb) {
    let app = TestApp::spawn(db).await;
    for _ in 0..2 {
        let body = app
            .graphql("{ duties(first: -1) { totalCount } }", json!({}))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    }
    assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, Some(0));
    assert_eq!(
        app.metric("lvzhi_response_cache_misses_total").await,
        Some(2)
    );
    assert_eq!(app.metric("lvzhi_response_cache_entries").await, Some(0));
}

/// The cache's poll interval in the tests below: short, so a test waits little.
const POLL: Duration = Duration::from_millis(100);
/// What an import may take to show beyond the poll interval: the watcher's read
/// of the data version and one request executed afresh, in a debug build
/// sharing the machine with other tests. Less than the default interval (1 s),
/// so a watcher that ignored the setting would fail.
const MARGIN: Duration = Duration::from_millis(700);
/// Between two requests while waiting for the import to show.
const STEP: Duration = Duration::from_millis(10);

async fn an_import_by_another_process_replaces_cached_answers_within_the_poll_interval(
    test: TestDb,
) {
    let app = TestApp::spawn_with(test, |c| c.cache.poll = POLL).await;
    let query = "{ dutyLists { publishedOn } }";
    let before = app.graphql(query, json!({})).await;
    assert_eq!(before["data"]["dutyLists"].as_array().unwrap().len(), 1);
    assert_eq!(app.graphql(query, json!({})).await, before);
    assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, Some(1));

    // `lvzhi import` of the August edition, through its own connection.
    let august = common::WUQIA.replacen("2025 年 7 月", "2025 年 8 月", 1);
    lvzhi::import::import(&app.db.db, &august, common::registry(), false)
        .await
        .expect("the August edition imports");
    // The watcher reads the new data version within its poll interval; wait
    // for that, in small steps, no longer than the interval and the margin.
    let committed = Instant::now();
    loop {
        let now = app.graphql(query, json!({})).await;
        // August is the town's next edition, and reads see the current one.
        if now["data"]["dutyLists"][0]["publishedOn"] == "2025-08" {
            break;
        }
        assert_eq!(now, before, "a cached answer is the old one, whole");
        assert!(
            committed.elapsed() < POLL + MARGIN,
            "the import did not show within {:?} on {}",
            POLL + MARGIN,
            app.db.backend
        );
        tokio::time::sleep(STEP).await;
    }
    assert!(
        app.metric("lvzhi_response_cache_invalidations_total")
            .await
            .unwrap()
            >= 1
    );
}

async fn with_the_response_cache_off_every_request_is_executed(test: TestDb) {
    // A poll interval of an hour: a cache would serve the old answer all that time.
    let app = TestApp::spawn_with(test, |c| {
        c.cache.bytes = 0;
        c.cache.poll = Duration::from_secs(3600);
    })
    .await;
    let first = app.graphql("{ dutyLists { town } }", json!({})).await;
    let second = app.graphql("{ dutyLists { town } }", json!({})).await;
    assert_eq!(first, second);
    assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, None);
    assert_eq!(app.metric("lvzhi_graphql_requests_total").await, Some(2));
    // Requests count cached answers too; an import shows at the very next
    // request only when that request is executed.
    let august = common::WUQIA.replacen("2025 年 7 月", "2025 年 8 月", 1);
    lvzhi::import::import(&app.db.db, &august, common::registry(), false)
        .await
        .expect("the August edition imports");
    let third = app
        .graphql("{ dutyLists { publishedOn } }", json!({}))
        .await;
    assert_eq!(
        third["data"]["dutyLists"],
        json!([{ "publishedOn": "2025-08" }]),
        "the current edition is August's: {third}"
    );
}
