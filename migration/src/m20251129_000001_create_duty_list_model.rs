//! The first schema: counties, departments and aliases, categories, lists, duties,
//! their department links and responsibility items.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the duty-list model.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251129_000001_create_duty_list_model"
    }
}

#[derive(DeriveIden)]
enum County {
    Table,
    Id,
    Region,
    Prefecture,
    Name,
}

#[derive(DeriveIden)]
enum Department {
    Table,
    Id,
    CountyId,
    Name,
    ShortName,
}

#[derive(DeriveIden)]
enum DepartmentAlias {
    Table,
    Id,
    CountyId,
    DepartmentId,
    Alias,
}

#[derive(DeriveIden)]
enum Category {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum DutyList {
    Table,
    Id,
    CountyId,
    Town,
    Title,
    PublishedOn,
    Preamble,
    Fingerprint,
    ImportedAt,
}

#[derive(DeriveIden)]
enum StatedCount {
    Table,
    ListId,
    Kind,
    DutyCount,
    CategoryCount,
    DepartmentCount,
    CategoryNames,
}

#[derive(DeriveIden)]
enum Duty {
    Table,
    Id,
    ListId,
    Kind,
    Seq,
    CategoryId,
    Name,
    WorkingMethod,
}

#[derive(DeriveIden)]
enum DutyDepartment {
    Table,
    DutyId,
    DepartmentId,
    Position,
}

#[derive(DeriveIden)]
enum ResponsibilityItem {
    Table,
    Id,
    DutyId,
    Party,
    Position,
    Section,
    Text,
}

#[derive(DeriveIden)]
enum ItemDepartment {
    Table,
    ItemId,
    DepartmentId,
    Position,
}

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    cascade: bool,
) -> ForeignKeyCreateStatement {
    let mut fk = ForeignKey::create();
    fk.from(from.0, from.1).to(to.0, to.1);
    fk.on_delete(if cascade {
        ForeignKeyAction::Cascade
    } else {
        ForeignKeyAction::Restrict
    });
    fk.to_owned()
}

fn unique_index(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).unique();
    for col in cols {
        index.col(col);
    }
    index.to_owned()
}

fn index(name: &str, table: impl IntoIden, col: impl IntoIden) -> IndexCreateStatement {
    Index::create().name(name).table(table).col(col).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(County::Table)
                    .col(pk_auto(County::Id))
                    .col(text(County::Region))
                    .col(text(County::Prefecture))
                    .col(text(County::Name))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_county_name",
                County::Table,
                vec![
                    County::Region.into_iden(),
                    County::Prefecture.into_iden(),
                    County::Name.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Department::Table)
                    .col(pk_auto(Department::Id))
                    .col(integer(Department::CountyId))
                    .col(text(Department::Name))
                    .col(text(Department::ShortName))
                    .foreign_key(&mut fk(
                        (Department::Table, Department::CountyId),
                        (County::Table, County::Id),
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_department_name",
                Department::Table,
                vec![
                    Department::CountyId.into_iden(),
                    Department::Name.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DepartmentAlias::Table)
                    .col(pk_auto(DepartmentAlias::Id))
                    .col(integer(DepartmentAlias::CountyId))
                    .col(integer(DepartmentAlias::DepartmentId))
                    .col(text(DepartmentAlias::Alias))
                    .foreign_key(&mut fk(
                        (DepartmentAlias::Table, DepartmentAlias::DepartmentId),
                        (Department::Table, Department::Id),
                        true,
                    ))
                    .foreign_key(&mut fk(
                        (DepartmentAlias::Table, DepartmentAlias::CountyId),
                        (County::Table, County::Id),
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_department_alias",
                DepartmentAlias::Table,
                vec![
                    DepartmentAlias::CountyId.into_iden(),
                    DepartmentAlias::Alias.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_department_alias_department",
                DepartmentAlias::Table,
                DepartmentAlias::DepartmentId,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Category::Table)
                    .col(pk_auto(Category::Id))
                    .col(text_uniq(Category::Name))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DutyList::Table)
                    .col(pk_auto(DutyList::Id))
                    .col(integer(DutyList::CountyId))
                    .col(text(DutyList::Town))
                    .col(text(DutyList::Title))
                    .col(string_len(DutyList::PublishedOn, 7))
                    .col(text(DutyList::Preamble))
                    .col(string_len(DutyList::Fingerprint, 64))
                    .col(big_integer(DutyList::ImportedAt))
                    .foreign_key(&mut fk(
                        (DutyList::Table, DutyList::CountyId),
                        (County::Table, County::Id),
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_duty_list_edition",
                DutyList::Table,
                vec![
                    DutyList::CountyId.into_iden(),
                    DutyList::Town.into_iden(),
                    DutyList::PublishedOn.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StatedCount::Table)
                    .col(integer(StatedCount::ListId))
                    .col(string_len(StatedCount::Kind, 16))
                    .col(integer_null(StatedCount::DutyCount))
                    .col(integer_null(StatedCount::CategoryCount))
                    .col(integer_null(StatedCount::DepartmentCount))
                    .col(text_null(StatedCount::CategoryNames))
                    .primary_key(
                        Index::create()
                            .col(StatedCount::ListId)
                            .col(StatedCount::Kind),
                    )
                    .foreign_key(&mut fk(
                        (StatedCount::Table, StatedCount::ListId),
                        (DutyList::Table, DutyList::Id),
                        true,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Duty::Table)
                    .col(pk_auto(Duty::Id))
                    .col(integer(Duty::ListId))
                    .col(string_len(Duty::Kind, 16))
                    .col(integer(Duty::Seq))
                    .col(integer(Duty::CategoryId))
                    .col(text(Duty::Name))
                    .col(text_null(Duty::WorkingMethod))
                    .foreign_key(&mut fk(
                        (Duty::Table, Duty::ListId),
                        (DutyList::Table, DutyList::Id),
                        true,
                    ))
                    .foreign_key(&mut fk(
                        (Duty::Table, Duty::CategoryId),
                        (Category::Table, Category::Id),
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_duty_seq",
                Duty::Table,
                vec![
                    Duty::ListId.into_iden(),
                    Duty::Kind.into_iden(),
                    Duty::Seq.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_index(index("ix_duty_category", Duty::Table, Duty::CategoryId))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DutyDepartment::Table)
                    .col(integer(DutyDepartment::DutyId))
                    .col(integer(DutyDepartment::DepartmentId))
                    .col(integer(DutyDepartment::Position))
                    .primary_key(
                        Index::create()
                            .col(DutyDepartment::DutyId)
                            .col(DutyDepartment::DepartmentId),
                    )
                    .foreign_key(&mut fk(
                        (DutyDepartment::Table, DutyDepartment::DutyId),
                        (Duty::Table, Duty::Id),
                        true,
                    ))
                    .foreign_key(&mut fk(
                        (DutyDepartment::Table, DutyDepartment::DepartmentId),
                        (Department::Table, Department::Id),
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_duty_department_department",
                DutyDepartment::Table,
                DutyDepartment::DepartmentId,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ResponsibilityItem::Table)
                    .col(pk_auto(ResponsibilityItem::Id))
                    .col(integer(ResponsibilityItem::DutyId))
                    .col(string_len(ResponsibilityItem::Party, 16))
                    .col(integer(ResponsibilityItem::Position))
                    .col(text_null(ResponsibilityItem::Section))
                    .col(text(ResponsibilityItem::Text))
                    .foreign_key(&mut fk(
                        (ResponsibilityItem::Table, ResponsibilityItem::DutyId),
                        (Duty::Table, Duty::Id),
                        true,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_responsibility_item_position",
                ResponsibilityItem::Table,
                vec![
                    ResponsibilityItem::DutyId.into_iden(),
                    ResponsibilityItem::Party.into_iden(),
                    ResponsibilityItem::Position.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ItemDepartment::Table)
                    .col(integer(ItemDepartment::ItemId))
                    .col(integer(ItemDepartment::DepartmentId))
                    .col(integer(ItemDepartment::Position))
                    .primary_key(
                        Index::create()
                            .col(ItemDepartment::ItemId)
                            .col(ItemDepartment::DepartmentId),
                    )
                    .foreign_key(&mut fk(
                        (ItemDepartment::Table, ItemDepartment::ItemId),
                        (ResponsibilityItem::Table, ResponsibilityItem::Id),
                        true,
                    ))
                    .foreign_key(&mut fk(
                        (ItemDepartment::Table, ItemDepartment::DepartmentId),
                        (Department::Table, Department::Id),
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_item_department_department",
                ItemDepartment::Table,
                ItemDepartment::DepartmentId,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ItemDepartment::Table.into_iden(),
            ResponsibilityItem::Table.into_iden(),
            DutyDepartment::Table.into_iden(),
            Duty::Table.into_iden(),
            StatedCount::Table.into_iden(),
            DutyList::Table.into_iden(),
            Category::Table.into_iden(),
            DepartmentAlias::Table.into_iden(),
            Department::Table.into_iden(),
            County::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
