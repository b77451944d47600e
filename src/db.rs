//! Database connection and migrations: PostgreSQL in production, an embedded
//! SQLite file by default.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait};

/// Connect to `url`. SQLite files are created when missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let url = if url.starts_with("sqlite:") && !url.contains('?') && !url.contains(":memory:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_owned()
    };
    let mut options = ConnectOptions::new(url);
    options.sqlx_logging(false);
    Database::connect(options).await
}

/// Apply every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database holds no duty list yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(entity::duty_list::Entity::find().count(db).await? == 0)
}
