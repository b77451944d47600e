//! The write API: API tokens, adjustment requests, the append-only audit log
//! and idempotency keys. The database itself refuses UPDATE, DELETE (and, on
//! PostgreSQL, TRUNCATE) on the audit log.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the write API's tables.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251130_000005_create_write_api"
    }
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    Name,
    Prefix,
    SecretHash,
    Role,
    CountyId,
    Town,
    DepartmentId,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    At,
    Actor,
    Role,
    Client,
    RequestId,
    Operation,
    Target,
    BeforeDigest,
    AfterDigest,
    Result,
    DocumentNumber,
    Detail,
}

#[derive(DeriveIden)]
enum Adjustment {
    Table,
    Id,
    CountyId,
    Town,
    BaseListId,
    Operation,
    TargetLineage,
    Payload,
    Applicant,
    LegalBasis,
    Reason,
    State,
    SubmittedBy,
    SubmittedAt,
    ReviewedBy,
    ReviewedAt,
    DecidedBy,
    DecidedAt,
    Approver,
    RejectionReason,
    PublishedListId,
    PublishedBy,
    PublishedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    TokenId,
    Key,
    RequestHash,
    Status,
    Response,
    CreatedAt,
    ExpiresAt,
}

/// PostgreSQL: one function refuses every change but INSERT.
const PG_APPEND_ONLY: [&str; 3] = [
    "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP; END $$",
    "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event \
     FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
];

/// SQLite: a trigger per refused statement.
const SQLITE_APPEND_ONLY: [&str; 2] = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
     BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event \
     BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tokens(manager).await?;
        create_audit_log(manager).await?;
        create_adjustments(manager).await?;
        create_idempotency_keys(manager).await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the write API's tables hold the audit log, which is never dropped".into(),
        ))
    }
}

async fn create_tokens(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ApiToken::Table)
                .col(pk_auto(ApiToken::Id))
                .col(text(ApiToken::Name).unique_key())
                .col(string_len(ApiToken::Prefix, 16))
                .col(string_len(ApiToken::SecretHash, 64).unique_key())
                .col(string_len(ApiToken::Role, 16))
                .col(integer_null(ApiToken::CountyId))
                .col(text_null(ApiToken::Town))
                .col(integer_null(ApiToken::DepartmentId))
                .col(big_integer(ApiToken::CreatedAt))
                .col(big_integer_null(ApiToken::ExpiresAt))
                .col(big_integer_null(ApiToken::RevokedAt))
                .col(big_integer_null(ApiToken::LastUsedAt))
                .to_owned(),
        )
        .await
}

async fn create_audit_log(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AuditEvent::Table)
                .col(pk_auto(AuditEvent::Id))
                .col(big_integer(AuditEvent::At))
                .col(text(AuditEvent::Actor))
                .col(string_len_null(AuditEvent::Role, 16))
                .col(text_null(AuditEvent::Client))
                .col(text_null(AuditEvent::RequestId))
                .col(string_len(AuditEvent::Operation, 64))
                .col(text(AuditEvent::Target))
                .col(string_len_null(AuditEvent::BeforeDigest, 64))
                .col(string_len_null(AuditEvent::AfterDigest, 64))
                .col(string_len(AuditEvent::Result, 32))
                .col(text_null(AuditEvent::DocumentNumber))
                .col(text_null(AuditEvent::Detail))
                .to_owned(),
        )
        .await?;
    for (name, column) in [
        ("ix_audit_event_target", AuditEvent::Target),
        ("ix_audit_event_actor", AuditEvent::Actor),
        ("ix_audit_event_at", AuditEvent::At),
    ] {
        manager
            .create_index(
                Index::create()
                    .name(name)
                    .table(AuditEvent::Table)
                    .col(column)
                    .to_owned(),
            )
            .await?;
    }
    let db = manager.get_connection();
    let statements: &[&str] = match manager.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => &PG_APPEND_ONLY,
        _ => &SQLITE_APPEND_ONLY,
    };
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

async fn create_adjustments(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Adjustment::Table)
                .col(pk_auto(Adjustment::Id))
                .col(integer(Adjustment::CountyId))
                .col(text(Adjustment::Town))
                .col(integer(Adjustment::BaseListId))
                .col(string_len(Adjustment::Operation, 32))
                .col(integer_null(Adjustment::TargetLineage))
                .col(text(Adjustment::Payload))
                .col(text(Adjustment::Applicant))
                .col(text(Adjustment::LegalBasis))
                .col(text(Adjustment::Reason))
                .col(string_len(Adjustment::State, 16))
                .col(text(Adjustment::SubmittedBy))
                .col(big_integer(Adjustment::SubmittedAt))
                .col(text_null(Adjustment::ReviewedBy))
                .col(big_integer_null(Adjustment::ReviewedAt))
                .col(text_null(Adjustment::DecidedBy))
                .col(big_integer_null(Adjustment::DecidedAt))
                .col(text_null(Adjustment::Approver))
                .col(text_null(Adjustment::RejectionReason))
                .col(integer_null(Adjustment::PublishedListId))
                .col(text_null(Adjustment::PublishedBy))
                .col(big_integer_null(Adjustment::PublishedAt))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_adjustment_town_state")
                .table(Adjustment::Table)
                .col(Adjustment::CountyId)
                .col(Adjustment::Town)
                .col(Adjustment::State)
                .to_owned(),
        )
        .await
}

async fn create_idempotency_keys(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(IdempotencyKey::Table)
                .col(integer(IdempotencyKey::TokenId))
                .col(string_len(IdempotencyKey::Key, 255))
                .col(string_len(IdempotencyKey::RequestHash, 64))
                .col(integer_null(IdempotencyKey::Status))
                .col(text_null(IdempotencyKey::Response))
                .col(big_integer(IdempotencyKey::CreatedAt))
                .col(big_integer(IdempotencyKey::ExpiresAt))
                .primary_key(
                    Index::create()
                        .col(IdempotencyKey::TokenId)
                        .col(IdempotencyKey::Key),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_idempotency_key_expires")
                .table(IdempotencyKey::Table)
                .col(IdempotencyKey::ExpiresAt)
                .to_owned(),
        )
        .await
}
