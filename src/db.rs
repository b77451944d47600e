//! Database connection and migrations: PostgreSQL in production, an embedded
//! SQLite file by default.

use std::sync::atomic::{AtomicU64, Ordering};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait};

/// SQL statements run through connections made by [`connect`], since start-up.
static STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// How many SQL statements lvzhi has run since start-up (exported on `/metrics`).
pub fn statements_run() -> u64 {
    STATEMENTS.load(Ordering::Relaxed)
}

/// Connect to `url`, counting every statement. SQLite files are created when missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let url = if url.starts_with("sqlite:") && !url.contains('?') && !url.contains(":memory:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_owned()
    };
    let mut options = ConnectOptions::new(url);
    options.sqlx_logging(false);
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(|_| {
        STATEMENTS.fetch_add(1, Ordering::Relaxed);
    });
    Ok(db)
}

/// Apply every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database holds no duty list yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(entity::duty_list::Entity::find().count(db).await? == 0)
}
