//! Schema migrations of lvzhi's database, run at start-up and by `lvzhi migrate`.

pub use sea_orm_migration::prelude::*;

mod m20251129_000001_create_duty_list_model;
mod m20251129_000002_create_search_index;
mod m20251129_000003_create_data_version;
mod m20251129_000004_create_editions;
mod m20251130_000005_create_write_api;
mod m20251130_000006_create_events;
mod m20251130_000007_create_webhooks;
mod m20251130_000008_rank_search_in_database;
mod m20251130_000009_search_fields_without_foreign_keys;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20251129_000001_create_duty_list_model::Migration),
            Box::new(m20251129_000002_create_search_index::Migration),
            Box::new(m20251129_000003_create_data_version::Migration),
            Box::new(m20251129_000004_create_editions::Migration),
            Box::new(m20251130_000005_create_write_api::Migration),
            Box::new(m20251130_000006_create_events::Migration),
            Box::new(m20251130_000007_create_webhooks::Migration),
            Box::new(m20251130_000008_rank_search_in_database::Migration),
            Box::new(m20251130_000009_search_fields_without_foreign_keys::Migration),
        ]
    }
}
