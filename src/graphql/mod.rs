//! The GraphQL schema: one resolver struct per domain, merged into [`Query`];
//! nested fields load through DataLoaders ([`loaders`]) so a request's SQL does not
//! grow with its rows. Building the schema does no I/O.

pub mod id;
pub mod list;
pub mod loaders;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

/// The root query: every domain's resolvers.
#[derive(MergedObject, Default)]
pub struct Query(list::ListQuery);

/// lvzhi's schema type.
pub type LvzhiSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// The schema without data: enough for the SDL.
pub fn schema_builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
}

/// The executable schema over `db`.
pub fn build_schema(db: DatabaseConnection) -> LvzhiSchema {
    schema_builder()
        .data(DataLoader::new(
            loaders::SummaryLoader { db: db.clone() },
            tokio::spawn,
        ))
        .data(db)
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql` and printed by `lvzhi schema`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
