//! The search index, made to count and rank in the database: each text knows
//! its length and how many name and other fields hold it, each gram how many of
//! its text's characters its occurrences cover, and each field its place (list,
//! kind, 序号, item position) so a page of hits is read in order from an index.
//!
//! The tables are recreated empty; at start-up `search::backfill` indexes every
//! duty again (as it does for a database older than the index).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20251129_000002_create_search_index as previous;

/// Recreates the search index tables with counts, coverage and places.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251130_000008_rank_search_in_database"
    }
}

#[derive(DeriveIden)]
enum SearchText {
    Table,
    Id,
    Hash,
    Content,
    Length,
    NameFields,
    OtherFields,
}

#[derive(DeriveIden)]
enum SearchGram {
    Table,
    Gram,
    TextId,
    Covered,
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
enum Duty {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ResponsibilityItem {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: the drops and creates run on one
    /// connection (over a pool, another may still see a dropped index) and a
    /// failure leaves the old index in place.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager).await?;
        create_texts(manager).await?;
        create_grams(manager).await?;
        create_fields(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager).await?;
        previous::Migration.up(manager).await
    }
}

async fn drop_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    for table in [
        SearchField::Table.into_iden(),
        SearchGram::Table.into_iden(),
        SearchText::Table.into_iden(),
    ] {
        manager
            .drop_table(Table::drop().table(table).if_exists().to_owned())
            .await?;
    }
    Ok(())
}

async fn create_texts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SearchText::Table)
                .col(pk_auto(SearchText::Id))
                .col(string_len_uniq(SearchText::Hash, 64))
                .col(text(SearchText::Content))
                // Characters: a hit's score is the share of them its words cover.
                .col(integer(SearchText::Length))
                // Fields holding the text, kept by the writer of fields: an
                // unfiltered search counts its hits from these, per text.
                .col(integer(SearchText::NameFields).default(0))
                .col(integer(SearchText::OtherFields).default(0))
                .to_owned(),
        )
        .await
}

async fn create_grams(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SearchGram::Table)
                .col(string_len(SearchGram::Gram, 16))
                .col(integer(SearchGram::TextId))
                // Characters of the text the gram's occurrences cover, overlaps
                // merged: the score of a one- or two-character word.
                .col(integer(SearchGram::Covered))
                // The key leads with the gram: every lookup is an index range.
                .primary_key(
                    Index::create()
                        .col(SearchGram::Gram)
                        .col(SearchGram::TextId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(SearchGram::Table, SearchGram::TextId)
                        .to(SearchText::Table, SearchText::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_search_gram_text")
                .table(SearchGram::Table)
                .col(SearchGram::TextId)
                .to_owned(),
        )
        .await
}

async fn create_fields(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager.create_table(fields_table(true)).await?;
    create_field_indexes(manager).await
}

/// The fields' table, with or without its foreign keys (dropped by
/// `m20251130_000009_search_fields_without_foreign_keys`).
pub(crate) fn fields_table(with_keys: bool) -> TableCreateStatement {
    let mut table = Table::create()
        .table(SearchField::Table)
        .col(pk_auto(SearchField::Id))
        .col(integer(SearchField::DutyId))
        .col(string_len(SearchField::Source, 16))
        .col(integer_null(SearchField::ItemId))
        .col(integer(SearchField::TextId))
        // The duty's list, kind and 序号 and the item's position: the
        // order of equally scored hits, copied here (duties and items
        // never change in place) so it is read from an index.
        .col(integer(SearchField::ListId))
        .col(string_len(SearchField::Kind, 16))
        .col(integer(SearchField::Seq))
        .col(integer_null(SearchField::Position))
        .to_owned();
    if with_keys {
        for mut key in field_keys() {
            table.foreign_key(&mut key);
        }
    }
    table
}

/// The fields' foreign keys: to their duty, item and text.
pub(crate) fn field_keys() -> [ForeignKeyCreateStatement; 3] {
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

/// The fields' indexes.
pub(crate) async fn create_field_indexes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    // A text's fields in hit order: a page of equally scored hits is a range,
    // and with the duty and item at the end it is read from the index alone.
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
