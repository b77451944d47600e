//! The data version: one row whose number every change to the data increments
//! in the same transaction, so a server can tell that another process (an
//! `lvzhi import`) changed the database and drop its cached responses.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the data version table with its one row.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251129_000003_create_data_version"
    }
}

#[derive(DeriveIden)]
enum DataVersion {
    Table,
    Id,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataVersion::Table)
                    .col(integer(DataVersion::Id).primary_key())
                    .col(big_integer(DataVersion::Version).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(DataVersion::Table)
                    .columns([DataVersion::Id, DataVersion::Version])
                    .values([1.into(), 0.into()])
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataVersion::Table).to_owned())
            .await
    }
}
