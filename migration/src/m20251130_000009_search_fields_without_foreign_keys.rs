//! The search index's fields lose their foreign keys. The index is derived
//! data, written only by `search::write_fields` in the transaction that writes
//! the duties and items it points at (which are never deleted), and checking
//! three keys per field row was most of the cost of storing it: 70% of the
//! time an import spends inserting fields, at a thousand towns.
//!
//! PostgreSQL drops the constraints in place; SQLite, which cannot, rebuilds
//! the table with its rows.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

use crate::m20251130_000008_rank_search_in_database as previous;

/// Drops the foreign keys of `search_field`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251130_000009_search_fields_without_foreign_keys"
    }
}

#[derive(DeriveIden)]
enum SearchField {
    Table,
}

/// The name the SQLite rebuild gives the old table while it copies its rows.
const OLD: &str = "search_field_rebuilt";

/// PostgreSQL's foreign keys of `search_field`, dropped by name whatever it
/// named them.
const PG_DROP_KEYS: &str = "DO $$ DECLARE c record; BEGIN \
    FOR c IN SELECT conname FROM pg_constraint \
        WHERE conrelid = 'search_field'::regclass AND contype = 'f' LOOP \
        EXECUTE format('ALTER TABLE search_field DROP CONSTRAINT %I', c.conname); \
    END LOOP; END $$";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: the rebuild is all or nothing.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                manager
                    .get_connection()
                    .execute_unprepared(PG_DROP_KEYS)
                    .await?;
                Ok(())
            }
            _ => rebuild(manager, false).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                for key in previous::field_keys() {
                    manager.create_foreign_key(key).await?;
                }
                Ok(())
            }
            _ => rebuild(manager, true).await,
        }
    }
}

/// SQLite: `search_field` again, with or without its foreign keys, holding
/// the same rows (ids included) and indexes.
async fn rebuild(manager: &SchemaManager<'_>, with_keys: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    manager
        .rename_table(
            Table::rename()
                .table(SearchField::Table, Alias::new(OLD))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(previous::fields_table(with_keys))
        .await?;
    let columns = "id, duty_id, source, item_id, text_id, list_id, kind, seq, position";
    db.execute_unprepared(&format!(
        "INSERT INTO search_field ({columns}) SELECT {columns} FROM {OLD}"
    ))
    .await?;
    manager
        .drop_table(Table::drop().table(Alias::new(OLD)).to_owned())
        .await?;
    previous::create_field_indexes(manager).await
}
