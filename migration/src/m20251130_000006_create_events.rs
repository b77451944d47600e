//! The outbox: every change writes its event in its own transaction, numbered
//! by one counter row, so the sequence has no gaps and follows commit order.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the event table and its sequence counter.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251130_000006_create_events"
    }
}

#[derive(DeriveIden)]
enum Event {
    Table,
    Sequence,
    Kind,
    OccurredAt,
    CountyId,
    Town,
    ListId,
    Subject,
    Payload,
}

#[derive(DeriveIden)]
enum EventSequence {
    Table,
    Id,
    Last,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .col(big_integer(Event::Sequence).primary_key())
                    .col(string_len(Event::Kind, 64))
                    .col(big_integer(Event::OccurredAt))
                    .col(integer_null(Event::CountyId))
                    .col(text_null(Event::Town))
                    .col(integer_null(Event::ListId))
                    .col(text(Event::Subject))
                    .col(text(Event::Payload))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_event_kind", Event::Kind),
            ("ix_event_list", Event::ListId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Event::Table)
                        .col(column)
                        .col(Event::Sequence)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(EventSequence::Table)
                    .col(integer(EventSequence::Id).primary_key())
                    .col(big_integer(EventSequence::Last))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("INSERT INTO event_sequence (id, last) VALUES (1, 0)")
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventSequence::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Event::Table).to_owned())
            .await
    }
}
