//! Faults and the server's life end to end: readiness while draining, a
//! shutdown that finishes in-flight requests and closes the pool, a database
//! that goes away and comes back, statement timeouts through the server's pool,
//! and database errors that never reach a client as they are.

mod common;

use std::time::{Duration, Instant};

use common::answer::post_json;
use common::app::TestApp;
use common::{TestDb, on_each_backend};
use lvzhi::config::Config;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// How long a condition that polling waits for may take to hold.
const PATIENCE: Duration = Duration::from_secs(20);
/// Between two polls.
const STEP: Duration = Duration::from_millis(20);

/// Wait until `holds` says yes, polling every `STEP`; panic with `what` after `PATIENCE`.
async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    mut holds: impl FnMut() -> F,
) {
    let deadline = Instant::now() + PATIENCE;
    while !holds().await {
        assert!(Instant::now() < deadline, "{what} within {PATIENCE:?}");
        tokio::time::sleep(STEP).await;
    }
}

on_each_backend!(
    shutdown_lets_an_in_flight_request_finish_then_stops_and_closes_the_pool,
    a_database_error_reaches_the_client_as_internal_without_its_text,
);

#[tokio::test]
async fn liveness_and_readiness_answer_and_readiness_turns_503_while_draining() {
    let mut app = TestApp::spawn_with(TestDb::sqlite().await, |c| {
        c.shutdown_drain = Duration::from_secs(30)
    })
    .await;
    let live = app.get("/healthz").await;
    assert_eq!(live.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");

    app.shut_down();
    // Draining begins as soon as the server task sees the signal.
    let app = &app;
    eventually("readiness turns 503", || async move {
        let ready = app.get("/readyz").await;
        if ready.status() != 503 {
            return false;
        }
        assert_eq!(ready.json::<Value>().await.unwrap()["status"], "draining");
        true
    })
    .await;
    // Still serving while draining.
    assert_eq!(app.get("/healthz").await.status(), 200);
    let body = app.graphql("{ dutyLists { town } }", json!({})).await;
    assert_eq!(body["data"]["dutyLists"][0]["town"], "乌恰镇");
}

/// Whether connections of the server's are open on the database of `url`: on
/// PostgreSQL sessions other than `looker`'s own; on SQLite this process's
/// open files of the database file (the server runs in this process; Linux's
/// `/proc/self/fd` lists them).
async fn server_connections_open(looker: Option<&sea_orm::DatabaseConnection>, url: &str) -> bool {
    let Some(db) = looker else {
        let file = url
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .unwrap();
        let file = std::path::Path::new(file);
        return std::fs::read_dir("/proc/self/fd")
            .expect("/proc/self/fd lists this process's open files")
            .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .any(|target| target == file);
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap() > 0
}

async fn shutdown_lets_an_in_flight_request_finish_then_stops_and_closes_the_pool(test: TestDb) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The test's own pool closes first: what stays open afterwards is the server's.
    test.db.clone().close().await.unwrap();
    let url = test.url.clone();
    let mut app = TestApp::spawn(test).await;
    // A connection of our own that only looks, on PostgreSQL; none is needed on SQLite.
    let looker = if url.starts_with("sqlite:") {
        None
    } else {
        Some(lvzhi::db::connect(&url).await.unwrap())
    };
    let look = || server_connections_open(looker.as_ref(), &url);
    let body = json!({ "query": "{ dutyLists { town } }" }).to_string();
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    // `Expect: 100-continue`: the server says `100 Continue` once the handler
    // reads the body, so the request is provably in flight.
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 25];
    stream.read_exact(&mut buf).await.unwrap();
    assert!(
        buf.starts_with(b"HTTP/1.1 100 Continue"),
        "{:?}",
        String::from_utf8_lossy(&buf)
    );

    assert!(look().await, "the serving pool has a connection open");
    app.shut_down();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        reply.contains("200 OK") && reply.contains("乌恰镇"),
        "{reply}"
    );

    let server = app.server.take().unwrap();
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("the server stops within its shutdown timeout")
        .expect("the server task does not panic")
        .expect("the server stops cleanly");
    // The listener is closed.
    let after = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await;
    assert!(after.is_err(), "still answering after shutdown");
    // The pool is closed: no connection of the server's is left.
    eventually("the server's connections close", || async { !look().await }).await;
}

#[tokio::test]
async fn connections_run_with_the_configured_statement_timeout_on_postgresql() {
    // statement_timeout is PostgreSQL's: nothing to check on SQLite.
    let test = "connections_run_with_the_configured_statement_timeout_on_postgresql";
    let Some(test) = TestDb::postgres_from_env(test).await else {
        return;
    };
    let pool = lvzhi::config::PoolConfig {
        statement_timeout: Duration::from_millis(1234),
        ..Default::default()
    };
    let db = lvzhi::db::connect_with(&test.url, &pool).await.unwrap();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SHOW statement_timeout",
        ))
        .await
        .unwrap()
        .unwrap();
    let value: String = row.try_get_by_index(0).unwrap();
    assert_eq!(value, "1234ms");
}

/// A TCP proxy in front of PostgreSQL that the test can cut and restore,
/// standing in for a database restart.
mod proxy {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use tokio::net::{TcpListener, TcpStream};
    use tokio::task::JoinHandle;

    #[derive(Clone)]
    pub struct Proxy {
        pub addr: SocketAddr,
        state: Arc<Mutex<State>>,
    }

    struct State {
        up: bool,
        links: Vec<JoinHandle<()>>,
    }

    impl Proxy {
        pub async fn start(target: String) -> Proxy {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let state = Arc::new(Mutex::new(State {
                up: true,
                links: Vec::new(),
            }));
            let shared = state.clone();
            tokio::spawn(async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    let mut state = shared.lock().unwrap();
                    if !state.up {
                        drop(client); // as a stopped server would: the connection ends at once
                        continue;
                    }
                    let target = target.clone();
                    state.links.push(tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(&target).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    }));
                }
            });
            Proxy { addr, state }
        }

        /// Cut every open connection and refuse new ones.
        pub fn down(&self) {
            let mut state = self.state.lock().unwrap();
            state.up = false;
            for link in state.links.drain(..) {
                link.abort();
            }
        }

        pub fn up(&self) {
            self.state.lock().unwrap().up = true;
        }
    }
}

/// lvzhi on a PostgreSQL test database reached through a proxy that can cut
/// it off, with a short acquire timeout; `None`, said on stderr, without
/// `TEST_DATABASE_URL` (a failure under CI): a SQLite file cannot go away.
async fn behind_proxy(
    test: &str,
    configure: impl FnOnce(&mut Config),
) -> Option<(TestApp, proxy::Proxy)> {
    let test = TestDb::postgres_from_env(test).await?;
    // postgres://user@HOST:PORT/db → the same through the proxy.
    let (scheme_user, rest) = test.url.split_once('@').unwrap();
    let (target, db_name) = rest.split_once('/').unwrap();
    let proxy = proxy::Proxy::start(target.to_owned()).await;
    let through_proxy = format!("{scheme_user}@{}/{db_name}", proxy.addr);
    let app = TestApp::spawn_with(test, |c| {
        c.database_url = through_proxy;
        c.pool.acquire_timeout = Duration::from_millis(500);
        configure(c);
    })
    .await;
    Some((app, proxy))
}

#[tokio::test]
async fn while_the_database_is_down_requests_get_503_and_serving_resumes_when_it_is_back() {
    // Without the response cache, so every request needs the database.
    let test = "while_the_database_is_down_requests_get_503_and_serving_resumes_when_it_is_back";
    let Some((app, proxy)) = behind_proxy(test, |c| c.cache.bytes = 0).await else {
        return;
    };
    let query = json!({ "query": "{ dutyLists { town } }" });
    let ok = post_json(&app, &query).await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    proxy.down();
    for _ in 0..3 {
        let answer = post_json(&app, &query).await;
        assert_eq!(answer.status, 503, "{}", answer.body);
        assert_eq!(answer.code(), "DATABASE_UNAVAILABLE", "{}", answer.body);
        assert!(
            answer.took < Duration::from_secs(5),
            "took {:?}",
            answer.took
        );
    }
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);

    proxy.up();
    let deadline = Instant::now() + PATIENCE;
    let answer = loop {
        let answer = post_json(&app, &query).await;
        if answer.status == 200 {
            break answer;
        }
        assert!(
            Instant::now() < deadline,
            "lvzhi did not serve again within {PATIENCE:?}: {}",
            answer.body
        );
        tokio::time::sleep(STEP).await;
    };
    assert_eq!(answer.body["data"]["dutyLists"][0]["town"], "乌恰镇");
    assert_eq!(app.get("/readyz").await.status(), 200);
    // The three refused requests at least; the metric must be there to say so.
    let unavailable = app.metric("lvzhi_db_unavailable_total").await;
    assert!(
        unavailable >= Some(3),
        "lvzhi_db_unavailable_total: {unavailable:?}"
    );
}

/// POST `query` to the app: the status, the `lvzhi-stale` header, the body.
async fn ask(app: &TestApp, query: &Value) -> (u16, Option<String>, Value) {
    let response = app.post(query).await;
    let status = response.status().as_u16();
    let stale = response
        .headers()
        .get("lvzhi-stale")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, stale, response.json().await.unwrap())
}

#[tokio::test]
async fn while_the_database_is_down_cached_answers_are_served_marked_stale_for_a_bounded_time() {
    let test =
        "while_the_database_is_down_cached_answers_are_served_marked_stale_for_a_bounded_time";
    let Some((app, proxy)) = behind_proxy(test, |c| {
        c.cache.poll = Duration::from_millis(20);
        c.cache.stale = Duration::from_secs(2);
    })
    .await
    else {
        return;
    };
    let query = json!({ "query": "{ dutyLists { town } }" });
    let other = json!({ "query": "{ dutyLists { title } }" });
    let (status, stale, fresh) = ask(&app, &query).await;
    assert_eq!((status, stale), (200, None), "{fresh}");
    assert_eq!(ask(&app, &query).await.2, fresh);
    assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, Some(1));

    proxy.down();
    // Once the watcher has failed to read the data version, the cached answer
    // is served marked stale; a question not in the cache fails fast.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, stale, body) = ask(&app, &query).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"], fresh["data"]);
        if stale.is_some() {
            assert_eq!(body["extensions"]["stale"], true, "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "never marked stale");
        tokio::time::sleep(STEP).await;
    }
    let (status, _, body) = ask(&app, &other).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "DATABASE_UNAVAILABLE"
    );
    // For a bounded time only: then the cached question fails fast too.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, _, body) = ask(&app, &query).await;
        if status == 503 {
            assert_eq!(
                body["errors"][0]["extensions"]["code"],
                "DATABASE_UNAVAILABLE"
            );
            break;
        }
        assert_eq!(body["extensions"]["stale"], true, "{body}");
        assert!(
            Instant::now() < deadline,
            "stale answers served past their bound"
        );
        tokio::time::sleep(STEP).await;
    }

    proxy.up();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, stale, body) = ask(&app, &query).await;
        if status == 200 {
            assert_eq!((stale, &body), (None, &fresh));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "lvzhi did not serve again within {PATIENCE:?}"
        );
        tokio::time::sleep(STEP).await;
    }
}

async fn a_database_error_reaches_the_client_as_internal_without_its_text(test: TestDb) {
    // Without the response cache, so the request reads the table.
    let app = TestApp::spawn_with(test, |c| c.cache.bytes = 0).await;
    // A table gone from under the server: the database's error names it.
    app.db
        .db
        .execute_unprepared("ALTER TABLE responsibility_item RENAME TO gone_away")
        .await
        .unwrap();
    let answer = post_json(
        &app,
        &json!({ "query": "{ duties(first: 1) { nodes { townItems { text } } } }" }),
    )
    .await;
    assert_eq!(answer.code(), "INTERNAL", "{}", answer.body);
    let text = answer.body.to_string();
    for leak in [
        "responsibility_item",
        "no such table",
        "does not exist",
        "relation",
        "SELECT",
        "error returned from database",
    ] {
        assert!(!text.contains(leak), "{leak:?} reached the client: {text}");
    }
}

#[tokio::test]
async fn a_statement_past_the_statement_timeout_gets_504_with_the_code_timeout() {
    // statement_timeout is PostgreSQL's. A statement waiting for a lock runs
    // as long as the lock is held: a slow statement without pg_sleep, through
    // the server's own pool.
    let test = "a_statement_past_the_statement_timeout_gets_504_with_the_code_timeout";
    let Some(test) = TestDb::postgres_from_env(test).await else {
        return;
    };
    let statement_timeout = Duration::from_millis(300);
    let app = TestApp::spawn_with(test, |c| {
        c.pool.statement_timeout = statement_timeout;
        c.cache.bytes = 0;
    })
    .await;
    let query = json!({ "query": "{ dutyLists { town } }" });
    assert_eq!(post_json(&app, &query).await.status, 200);
    let lock = sea_orm::TransactionTrait::begin(&app.db.db).await.unwrap();
    lock.execute_unprepared("LOCK TABLE duty_list IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let answer = post_json(&app, &query).await;
    lock.rollback().await.unwrap();
    assert_eq!(answer.status, 504, "{}", answer.body);
    assert_eq!(answer.code(), "TIMEOUT", "{}", answer.body);
    // Cancelled by the statement timeout, not the request's (10 s by default).
    assert!(
        answer.took >= statement_timeout && answer.took < Duration::from_secs(5),
        "took {:?}",
        answer.took
    );
    assert!(
        !answer.body.to_string().contains("statement timeout"),
        "{}",
        answer.body
    );
    // The lock is gone: the same request is served again.
    assert_eq!(post_json(&app, &query).await.status, 200);
}
