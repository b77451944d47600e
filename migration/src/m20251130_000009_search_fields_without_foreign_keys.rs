//! The search index's fields lose their foreign keys. The index is derived
//! data, written only by `search::write_fields` in the transaction that writes
//! the duties and items it points at (which are never deleted), and checking
//! three keys per field row was most of the cost of storing it: 70% of the
//! time an import spends inserting fields, at a thousand towns.
//!
//! PostgreSQL drops the constraints in place; SQLite, which cannot, rebuilds
//! the table with its rows.

use sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

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
    Id,
    DutyId,
    Source,
    ItemId,
    TextId,
    ListId,
    Kind,
    Seq,
    Position,
}

#[derive(DeriveIden)]
enum SearchText {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Duty {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ResponsibilityItem {
    Table,
    Id,
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
                for key in foreign_keys() {
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
    manager.create_table(fields_table(with_keys)).await?;
    let columns = "id, duty_id, source, item_id, text_id, list_id, kind, seq, position";
    db.execute_unprepared(&format!(
        "INSERT INTO search_field ({columns}) SELECT {columns} FROM {OLD}"
    ))
    .await?;
    manager
        .drop_table(Table::drop().table(Alias::new(OLD)).to_owned())
        .await?;
    create_indexes(manager).await
}

/// The table as `m20251130_000008_rank_search_in_database` made it, with or
/// without its foreign keys.
fn fields_table(with_keys: bool) -> TableCreateStatement {
    let mut table = Table::create()
        .table(SearchField::Table)
        .col(pk_auto(SearchField::Id))
        .col(integer(SearchField::DutyId))
        .col(string_len(SearchField::Source, 16))
        .col(integer_null(SearchField::ItemId))
        .col(integer(SearchField::TextId))
        .col(integer(SearchField::ListId))
        .col(string_len(SearchField::Kind, 16))
        .col(integer(SearchField::Seq))
        .col(integer_null(SearchField::Position))
        .to_owned();
    if with_keys {
        for mut key in foreign_keys() {
            table.foreign_key(&mut key);
        }
    }
    table
}

/// The foreign keys the fields had: to their duty, item and text.
fn foreign_keys() -> [ForeignKeyCreateStatement; 3] {
    [
        ForeignKey::create()
            .from(SearchField::Table, SearchField::DutyId)
            .to(Duty::Table, Duty::Id)
            .on_delete(ForeignKeyAction::Cascade)
            .to_owned(),
        ForeignKey::create()
            .from(SearchField::Table, SearchField::ItemId)
            .to(ResponsibilityItem::Table, ResponsibilityItem::Id)
            .on_delete(ForeignKeyAction::Cascade)
            .to_owned(),
        ForeignKey::create()
            .from(SearchField::Table, SearchField::TextId)
            .to(SearchText::Table, SearchText::Id)
            .on_delete(ForeignKeyAction::Restrict)
            .to_owned(),
    ]
}

/// The indexes of `m20251130_000008_rank_search_in_database`.
async fn create_indexes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name("ix_search_field_text_place")
                .table(SearchField::Table)
                .col(SearchField::TextId)
                .col(SearchField::ListId)
                .col(SearchField::Kind)
                .col(SearchField::Seq)
                .col(SearchField::Source)
                .col(SearchField::Position)
                .col(SearchField::DutyId)
                .col(SearchField::ItemId)
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_search_field_duty")
                .table(SearchField::Table)
                .col(SearchField::DutyId)
                .to_owned(),
        )
        .await
}
