//! The search index: distinct normalised texts, their unigrams and bigrams, and
//! the fields (duty names, items, working methods) that hold each text.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the search index tables.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251129_000002_create_search_index"
    }
}

#[derive(DeriveIden)]
enum SearchText {
    Table,
    Id,
    Hash,
    Content,
}

#[derive(DeriveIden)]
enum SearchGram {
    Table,
    Gram,
    TextId,
}

#[derive(DeriveIden)]
enum SearchField {
    Table,
    Id,
    DutyId,
    Source,
    ItemId,
    TextId,
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
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SearchText::Table)
                    .col(pk_auto(SearchText::Id))
                    .col(string_len_uniq(SearchText::Hash, 64))
                    .col(text(SearchText::Content))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SearchGram::Table)
                    .col(string_len(SearchGram::Gram, 16))
                    .col(integer(SearchGram::TextId))
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
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SearchField::Table)
                    .col(pk_auto(SearchField::Id))
                    .col(integer(SearchField::DutyId))
                    .col(string_len(SearchField::Source, 16))
                    .col(integer_null(SearchField::ItemId))
                    .col(integer(SearchField::TextId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SearchField::Table, SearchField::DutyId)
                            .to(Duty::Table, Duty::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SearchField::Table, SearchField::ItemId)
                            .to(ResponsibilityItem::Table, ResponsibilityItem::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SearchField::Table, SearchField::TextId)
                            .to(SearchText::Table, SearchText::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_search_field_text")
                    .table(SearchField::Table)
                    .col(SearchField::TextId)
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
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SearchField::Table.into_iden(),
            SearchGram::Table.into_iden(),
            SearchText::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
