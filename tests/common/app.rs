//! `TestApp`: the real server on port 0 over one test database, talked to over HTTP.

use lvzhi::config::Config;
use lvzhi::server::Application;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::TestDb;

/// A running lvzhi over one test database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// A client with connection reuse.
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    /// The server task; it ends after shutdown.
    pub server: Option<JoinHandle<std::io::Result<()>>>,
    /// The database; dropped (and deleted) with the app.
    pub db: TestDb,
}

impl TestApp {
    /// Start lvzhi over `db` with the default configuration.
    pub async fn spawn(db: TestDb) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    /// Start lvzhi over `db` on a free port, as `lvzhi serve` does, after
    /// `configure` has adjusted the configuration.
    pub async fn spawn_with(db: TestDb, configure: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config {
            database_url: db.url.clone(),
            bind: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        configure(&mut config);
        let app = Application::build(&config).await.expect("lvzhi starts");
        let address = format!("http://{}", app.local_addr());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp {
            address,
            client: reqwest::Client::new(),
            shutdown: Some(tx),
            server: Some(server),
            db,
        }
    }

    /// One app per test database (SQLite, and PostgreSQL when configured).
    pub async fn all() -> Vec<TestApp> {
        let mut apps = Vec::new();
        for db in TestDb::all().await {
            apps.push(TestApp::spawn(db).await);
        }
        apps
    }

    /// Send the shutdown signal (as SIGTERM would).
    pub fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// POST a JSON body to `/graphql`.
    pub async fn post(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/graphql", self.address))
            .json(body)
            .send()
            .await
            .expect("the request is answered")
    }

    /// POST a query, which must get a 2xx status; the JSON response.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let response = self
            .post(&json!({ "query": query, "variables": variables }))
            .await;
        assert!(
            response.status().is_success(),
            "status {}",
            response.status()
        );
        response.json().await.expect("a JSON body")
    }

    /// The value of metric `name` on `/metrics` (a line `name value`), if exported.
    pub async fn metric(&self, name: &str) -> Option<u64> {
        let text = self
            .get("/metrics")
            .await
            .text()
            .await
            .expect("a text body");
        text.lines().find_map(|l| {
            let (n, v) = l.split_once(' ')?;
            (n == name).then(|| v.parse().ok())?
        })
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the request is answered")
    }
}
