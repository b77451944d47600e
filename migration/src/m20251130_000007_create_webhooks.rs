//! Webhook subscriptions and their deliveries: each subscription keeps its own
//! cursor in the one event sequence, so deliveries follow sequence order, and
//! a lease (owner, expiry) so that one process delivers to it at a time and a
//! dead process's claim lapses by itself.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `webhook` and `webhook_delivery`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251130_000007_create_webhooks"
    }
}

#[derive(DeriveIden)]
enum Webhook {
    Table,
    Id,
    Url,
    Description,
    Kinds,
    ListId,
    CountyId,
    Town,
    HmacSm3,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    State,
    StateReason,
    Cursor,
    DueAt,
    LeaseOwner,
    LeaseUntil,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
    WebhookId,
    EventSequence,
    Redelivery,
    State,
    Attempts,
    FirstAttemptAt,
    LastAttemptAt,
    LastStatus,
    LastError,
    NextAttemptAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhook::Table)
                    .col(pk_auto(Webhook::Id))
                    .col(text(Webhook::Url))
                    .col(text_null(Webhook::Description))
                    .col(text(Webhook::Kinds))
                    .col(integer_null(Webhook::ListId))
                    .col(integer_null(Webhook::CountyId))
                    .col(text_null(Webhook::Town))
                    .col(boolean(Webhook::HmacSm3))
                    .col(text(Webhook::Secret))
                    .col(text_null(Webhook::PreviousSecret))
                    .col(big_integer_null(Webhook::PreviousSecretUntil))
                    .col(string_len(Webhook::State, 16))
                    .col(text_null(Webhook::StateReason))
                    .col(big_integer(Webhook::Cursor))
                    .col(big_integer_null(Webhook::DueAt))
                    .col(string_len_null(Webhook::LeaseOwner, 32))
                    .col(big_integer_null(Webhook::LeaseUntil))
                    .col(big_integer(Webhook::CreatedAt))
                    .col(text(Webhook::CreatedBy))
                    .col(big_integer(Webhook::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .col(pk_auto(WebhookDelivery::Id))
                    .col(integer(WebhookDelivery::WebhookId))
                    .col(big_integer(WebhookDelivery::EventSequence))
                    .col(boolean(WebhookDelivery::Redelivery))
                    .col(string_len(WebhookDelivery::State, 16))
                    .col(integer(WebhookDelivery::Attempts))
                    .col(big_integer_null(WebhookDelivery::FirstAttemptAt))
                    .col(big_integer_null(WebhookDelivery::LastAttemptAt))
                    .col(integer_null(WebhookDelivery::LastStatus))
                    .col(text_null(WebhookDelivery::LastError))
                    .col(big_integer(WebhookDelivery::NextAttemptAt))
                    .col(big_integer_null(WebhookDelivery::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDelivery::Table, WebhookDelivery::WebhookId)
                            .to(Webhook::Table, Webhook::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_delivery_state")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::WebhookId)
                    .col(WebhookDelivery::State)
                    .col(WebhookDelivery::EventSequence)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDelivery::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Webhook::Table).to_owned())
            .await
    }
}
