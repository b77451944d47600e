//! What a database needs before it serves: duties imported before the search
//! index existed are indexed, and an empty database receives the bundled Wuqia
//! list. Run by the server at start-up, on a migrated connection without the
//! requests' statement timeout.

use sea_orm::{DatabaseConnection, DbErr};

use crate::config::Config;
use crate::import::{self, ImportError, Registry, Status};

/// Why the database could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// Indexing the duties the search index lacks failed.
    #[error("cannot build the search index")]
    Index(#[source] DbErr),
    /// Whether the database holds a list could not be read.
    #[error("cannot read the database")]
    Read(#[source] DbErr),
    /// The department registry (`LVZHI_DEPARTMENTS`, or the bundled one) is invalid.
    #[error(transparent)]
    Registry(ImportError),
    /// The bundled list could not be imported.
    #[error("cannot import the bundled Wuqia list")]
    Import(#[source] ImportError),
    /// The planner's statistics could not be updated after the import.
    #[error("cannot update the database statistics")]
    Analyze(#[source] DbErr),
}

/// Index lists imported before the search index existed, and import the
/// bundled Wuqia list into an empty database.
pub async fn prepare(config: &Config, db: &DatabaseConnection) -> Result<(), PrepareError> {
    let indexed = crate::search::backfill(db)
        .await
        .map_err(PrepareError::Index)?;
    if indexed > 0 {
        tracing::info!(
            duties = indexed,
            "indexed duties imported before the search index existed"
        );
    }
    if super::is_empty(db).await.map_err(PrepareError::Read)? {
        seed(config, db).await?;
    }
    Ok(())
}

/// Import the bundled Wuqia list into the empty database `db`.
async fn seed(config: &Config, db: &DatabaseConnection) -> Result<(), PrepareError> {
    let registry = Registry::load(config.departments.as_deref()).map_err(PrepareError::Registry)?;
    let imported = import::import_file(
        db,
        import::BUNDLED_LIST_NAME,
        import::BUNDLED_LIST.as_bytes(),
        &registry,
        &import::Options {
            edition: import::EditionRequest {
                actor: crate::auth::Actor::system(),
                ..import::EditionRequest::default()
            },
            ..import::Options::default()
        },
    )
    .await
    .map_err(PrepareError::Import)?;
    if imported.status != Status::Unchanged {
        super::analyze(db).await.map_err(PrepareError::Analyze)?;
        tracing::info!(
            list_id = imported.list_id,
            "imported the bundled Wuqia list into the empty database"
        );
    }
    Ok(())
}
