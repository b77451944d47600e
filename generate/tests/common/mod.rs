//! A fresh, migrated database per test: SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` names a server (a skip said on stderr when it does not,
//! a failure under CI). The same rules as lvzhi's own tests/common.

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};

/// A database that is deleted when dropped.
pub struct TestDb {
    /// An open connection.
    pub db: DatabaseConnection,
    /// `sqlite` or `postgres`, for assertion messages.
    pub backend: &'static str,
    /// The PostgreSQL server's URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A fresh SQLite file in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let db = lvzhi::db::connect(&url).await.expect("connect to SQLite");
        lvzhi::db::migrate(&db).await.expect("migrate SQLite");
        TestDb {
            db,
            backend: "sqlite",
            postgres: None,
            _dir: Some(dir),
        }
    }

    /// A fresh database on the server of `TEST_DATABASE_URL`, or `None` when unset.
    pub async fn postgres_from_env(test: &str) -> Option<Self> {
        let Some(admin_url) = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert!(
                std::env::var("CI").is_err(),
                "{test}: TEST_DATABASE_URL must be set under CI"
            );
            eprintln!("SKIPPED {test}: TEST_DATABASE_URL is not set");
            return None;
        };
        let name = format!(
            "lvzhi_generate_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let admin = lvzhi::db::connect(&admin_url).await.expect("connect");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let base = admin_url.rsplit_once('/').map_or(&*admin_url, |(b, _)| b);
        let db = lvzhi::db::connect(&format!("{base}/{name}"))
            .await
            .expect("connect to the test database");
        lvzhi::db::migrate(&db).await.expect("migrate PostgreSQL");
        Some(TestDb {
            db,
            backend: "postgres",
            postgres: Some((admin_url, name)),
            _dir: None,
        })
    }

    /// Rows of one table.
    pub async fn count<E: EntityTrait>(&self, _table: E) -> u64
    where
        E::Model: Sync,
    {
        E::find().count(&self.db).await.expect("count rows")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, so a thread with its own runtime does
        // the work; FORCE ends the test's own connections.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = lvzhi::db::connect(&admin_url).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    admin.execute_unprepared(&drop).await.ok();
                    admin.close().await.ok();
                }
            });
        })
        .join()
        .ok();
    }
}
