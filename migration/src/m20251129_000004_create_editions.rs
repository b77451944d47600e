//! Editions: a town's list keeps every edition, numbered, dated and sourced; each
//! duty carries its lineage across editions; departments record their successors;
//! a duty's department links carry its list, for the current editions' lookups.
//!
//! Existing lists become editions of their town in order of their month, each
//! effective from the first day of that month; each existing duty starts its own
//! lineage (lists imported before editions existed were never matched).

use sea_orm_migration::{prelude::*, schema::*};

/// Adds edition columns to lists and the lineage to duties.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251129_000004_create_editions"
    }
}

#[derive(DeriveIden)]
enum DutyList {
    Table,
    CountyId,
    Town,
    Edition,
    EffectiveOn,
    ValidUntil,
    DocumentNumber,
    Reason,
    Source,
    SourceName,
}

#[derive(DeriveIden)]
enum DepartmentSuccession {
    Table,
    Id,
    CountyId,
    PredecessorId,
    SuccessorId,
    EffectiveOn,
    Share,
    Kind,
}

#[derive(DeriveIden)]
enum Department {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Duty {
    Table,
    Lineage,
}

#[derive(DeriveIden)]
enum DutyDepartment {
    Table,
    DepartmentId,
    ListId,
}

/// Numbers, dates and links the editions of every town (both backends' SQL).
const BACKFILL: [&str; 5] = [
    "UPDATE duty_list SET effective_on = published_on || '-01'",
    "UPDATE duty_list SET edition = (SELECT COUNT(*) FROM duty_list o \
     WHERE o.county_id = duty_list.county_id AND o.town = duty_list.town \
     AND (o.published_on < duty_list.published_on \
     OR (o.published_on = duty_list.published_on AND o.id <= duty_list.id)))",
    "UPDATE duty_list SET valid_until = (SELECT o.effective_on FROM duty_list o \
     WHERE o.county_id = duty_list.county_id AND o.town = duty_list.town \
     AND o.edition = duty_list.edition + 1)",
    "UPDATE duty SET lineage = id",
    "UPDATE duty_department SET list_id = \
     (SELECT duty.list_id FROM duty WHERE duty.id = duty_department.duty_id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        let columns = [
            integer(DutyList::Edition).default(1).to_owned(),
            string_len(DutyList::EffectiveOn, 10).default("").to_owned(),
            string_len_null(DutyList::ValidUntil, 10),
            text_null(DutyList::DocumentNumber),
            text_null(DutyList::Reason),
            string_len(DutyList::Source, 16)
                .default("IMPORT")
                .to_owned(),
            text(DutyList::SourceName).default("").to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(DutyList::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Duty::Table)
                    .add_column(integer(Duty::Lineage).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DutyDepartment::Table)
                    .add_column(integer(DutyDepartment::ListId).default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in BACKFILL {
            db.execute_unprepared(sql).await?;
        }
        // A town may now have several editions of one month.
        db.execute_unprepared("DROP INDEX ux_duty_list_edition")
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_duty_list_number")
                    .table(DutyList::Table)
                    .col(DutyList::CountyId)
                    .col(DutyList::Town)
                    .col(DutyList::Edition)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_duty_list_valid")
                    .table(DutyList::Table)
                    .col(DutyList::ValidUntil)
                    .col(DutyList::EffectiveOn)
                    .to_owned(),
            )
            .await?;
        create_successions(manager).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_duty_department_department_list")
                    .table(DutyDepartment::Table)
                    .col(DutyDepartment::DepartmentId)
                    .col(DutyDepartment::ListId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_duty_lineage")
                    .table(Duty::Table)
                    .col(Duty::Lineage)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Undoing would have to drop all but one edition of each month.
        Err(DbErr::Migration(
            "editions cannot be undone: a town may hold several editions of one month".into(),
        ))
    }
}

/// The department successions table, by county and predecessor.
async fn create_successions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let department = |column: DepartmentSuccession| {
        ForeignKey::create()
            .from(DepartmentSuccession::Table, column)
            .to(Department::Table, Department::Id)
            .on_delete(ForeignKeyAction::Cascade)
            .to_owned()
    };
    manager
        .create_table(
            Table::create()
                .table(DepartmentSuccession::Table)
                .col(pk_auto(DepartmentSuccession::Id))
                .col(integer(DepartmentSuccession::CountyId))
                .col(integer(DepartmentSuccession::PredecessorId))
                .col(integer(DepartmentSuccession::SuccessorId))
                .col(string_len(DepartmentSuccession::EffectiveOn, 10))
                .col(text_null(DepartmentSuccession::Share))
                .col(string_len(DepartmentSuccession::Kind, 16))
                .foreign_key(&mut department(DepartmentSuccession::PredecessorId))
                .foreign_key(&mut department(DepartmentSuccession::SuccessorId))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ux_department_succession")
                .table(DepartmentSuccession::Table)
                .col(DepartmentSuccession::PredecessorId)
                .col(DepartmentSuccession::SuccessorId)
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_department_succession_county")
                .table(DepartmentSuccession::Table)
                .col(DepartmentSuccession::CountyId)
                .to_owned(),
        )
        .await
}
