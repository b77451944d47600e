//! Shared test helpers: a fresh database per test (SQLite always, PostgreSQL too
//! when `TEST_DATABASE_URL` names a server), table snapshots, and the seed.

#![allow(dead_code)]

pub mod answer;
pub mod app;
pub mod audit;
pub mod editions;
pub mod editions_sql;
pub mod events;
pub mod history_sql;
pub mod lists;
pub mod office;
pub mod process;
pub mod queries;
pub mod receiver;
pub mod response;
pub mod tokens;
pub mod workbook;
pub mod ws;

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use entity::{
    category, county, department, department_alias, duty, duty_department, duty_list,
    item_department, responsibility_item, stated_count,
};
use entity::{search_field, search_gram, search_text};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

/// One test per database from one async body taking a fresh, migrated
/// [`TestDb`]: `NAME::sqlite` and `NAME::postgres`, so a failure names its
/// database and `cargo test NAME` runs both. The PostgreSQL test skips, saying
/// so on stderr, without `TEST_DATABASE_URL`, and fails under `CI`.
#[allow(unused_macros)] // Not every test binary has database tests.
macro_rules! on_each_backend {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::common::TestDb::sqlite().await).await;
            }

            #[tokio::test]
            async fn postgres() {
                let test = concat!(module_path!(), "::postgres");
                if let Some(db) = $crate::common::TestDb::postgres_from_env(test).await {
                    super::$name(db).await;
                }
            }
        }
    )+};
}
#[allow(unused_imports)]
pub(crate) use on_each_backend;

/// The bundled Wuqia document.
pub const WUQIA: &str = include_str!("../../seeds/wuqia-town-duty-list-2025-07.txt");

/// The bundled department registry, parsed once per test binary.
pub fn registry() -> &'static lvzhi::import::Registry {
    static REGISTRY: OnceLock<lvzhi::import::Registry> = OnceLock::new();
    REGISTRY
        .get_or_init(|| lvzhi::import::Registry::bundled().expect("the bundled registry is valid"))
}

/// The Wuqia document, parsed, resolved and reconciled once per test binary.
pub fn wuqia() -> &'static lvzhi::import::Prepared {
    static PREPARED: OnceLock<lvzhi::import::Prepared> = OnceLock::new();
    PREPARED.get_or_init(|| {
        lvzhi::import::prepare(WUQIA, registry(), false).expect("the Wuqia list imports")
    })
}

/// A fresh, migrated database that is deleted when dropped.
pub struct TestDb {
    /// Connection URL.
    pub url: String,
    /// An open connection.
    pub db: DatabaseConnection,
    /// `sqlite` or `postgres`, for assertion messages.
    pub backend: &'static str,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
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
            url,
            db,
            backend: "sqlite",
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A fresh database on the PostgreSQL server of `admin_url`.
    pub async fn postgres(admin_url: &str) -> Self {
        let name = format!(
            "lvzhi_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let admin = lvzhi::db::connect(admin_url)
            .await
            .expect("connect to TEST_DATABASE_URL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        let url = format!("{base}/{name}");
        let db = lvzhi::db::connect(&url)
            .await
            .expect("connect to the test database");
        lvzhi::db::migrate(&db).await.expect("migrate PostgreSQL");
        TestDb {
            url,
            db,
            backend: "postgres",
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_owned(),
                name,
            },
        }
    }

    /// Another fresh database on the same backend (and server) as this one.
    pub async fn sibling(&self) -> TestDb {
        match &self.cleanup {
            Cleanup::Sqlite(_) => TestDb::sqlite().await,
            Cleanup::Postgres { admin_url, .. } => TestDb::postgres(admin_url).await,
        }
    }

    /// Import the Wuqia list into this database.
    pub async fn seed(&self) {
        lvzhi::import::import(&self.db, WUQIA, registry(), false)
            .await
            .expect("the Wuqia list imports");
    }

    /// A fresh database on the PostgreSQL server of `TEST_DATABASE_URL`; `None`, said
    /// on stderr, when it is unset, and a failure when it is unset under CI.
    pub async fn postgres_from_env(test: &str) -> Option<Self> {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(url) => Some(TestDb::postgres(&url).await),
            None => {
                assert!(
                    std::env::var("CI").is_err(),
                    "{test}: TEST_DATABASE_URL must be set under CI"
                );
                eprintln!("SKIPPED {test}: TEST_DATABASE_URL is not set");
                None
            }
        }
    }

    /// SQLite, and PostgreSQL when `TEST_DATABASE_URL` is set: each test runs on all.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        if let Some(url) = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            dbs.push(TestDb::postgres(&url).await);
        }
        dbs
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime, so a thread with its own runtime does the
            // work; FORCE ends the test's own connections, whose pool that runtime owns.
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(admin) = lvzhi::db::connect(&admin_url).await {
                        admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await
                            .ok();
                        admin.close().await.ok();
                    }
                });
            })
            .join()
            .ok();
        }
    }
}

/// Every row of every table, as text, sorted: equal snapshots mean an unchanged database.
pub async fn snapshot(db: &DatabaseConnection) -> BTreeMap<&'static str, Vec<String>> {
    async fn rows<E>(db: &DatabaseConnection) -> Vec<String>
    where
        E: EntityTrait,
        E::Model: std::fmt::Debug,
    {
        let mut rows: Vec<String> = E::find()
            .all(db)
            .await
            .expect("read table")
            .iter()
            .map(|m| format!("{m:?}"))
            .collect();
        rows.sort();
        rows
    }
    BTreeMap::from([
        ("county", rows::<county::Entity>(db).await),
        ("department", rows::<department::Entity>(db).await),
        (
            "department_alias",
            rows::<department_alias::Entity>(db).await,
        ),
        ("category", rows::<category::Entity>(db).await),
        ("duty_list", rows::<duty_list::Entity>(db).await),
        ("stated_count", rows::<stated_count::Entity>(db).await),
        ("duty", rows::<duty::Entity>(db).await),
        ("duty_department", rows::<duty_department::Entity>(db).await),
        (
            "responsibility_item",
            rows::<responsibility_item::Entity>(db).await,
        ),
        ("item_department", rows::<item_department::Entity>(db).await),
        ("search_text", rows::<search_text::Entity>(db).await),
        ("search_gram", rows::<search_gram::Entity>(db).await),
        ("search_field", rows::<search_field::Entity>(db).await),
    ])
}

/// Row counts per table.
pub async fn counts(db: &DatabaseConnection) -> BTreeMap<&'static str, usize> {
    snapshot(db)
        .await
        .into_iter()
        .map(|(t, rows)| (t, rows.len()))
        .collect()
}

/// Every department's name by its id.
pub async fn department_names(db: &DatabaseConnection) -> std::collections::HashMap<i32, String> {
    department::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect()
}

/// Every category's name by its id.
pub async fn category_names(db: &DatabaseConnection) -> std::collections::HashMap<i32, String> {
    category::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect()
}

/// Run the `lvzhi` binary with `DATABASE_URL` set, in an empty working directory,
/// with `departments` as its registry file (`LVZHI_DEPARTMENTS`), or the bundled
/// registry when `None`.
pub fn lvzhi_cli(
    database_url: &str,
    departments: Option<&std::path::Path>,
    args: &[&str],
) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lvzhi"));
    command
        .args(args)
        .current_dir(dir.path())
        .env("DATABASE_URL", database_url)
        .env("LVZHI_LOG", "warn");
    match departments {
        Some(file) => command.env("LVZHI_DEPARTMENTS", file),
        None => command.env_remove("LVZHI_DEPARTMENTS"),
    };
    command.output().expect("lvzhi runs")
}
