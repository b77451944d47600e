//! The GraphQL schema: one resolver struct per domain (`list`, `duty`,
//! `department`, `category`, `node`), merged into [`Query`]; nested fields load
//! through DataLoaders ([`loaders`]) so a request's SQL statements do not grow
//! with its rows. Building the schema does no I/O.

pub mod category;
pub mod department;
pub mod duty;
pub mod id;
pub mod list;
pub mod loaders;
pub mod node;

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, ErrorExtensions, MergedObject, Schema, SchemaBuilder,
};
use sea_orm::DatabaseConnection;

use crate::error::{ApiError, ApiResult, ErrorCodes};

/// The root query: every domain's resolvers.
#[derive(MergedObject, Default)]
pub struct Query(
    list::ListQuery,
    duty::DutyQuery,
    department::DepartmentQuery,
    category::CategoryQuery,
    node::NodeQuery,
);

/// lvzhi's schema type.
pub type LvzhiSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// The largest page any list field returns; asking for more is an error.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when a connection is asked for neither `first` nor `last`.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// The schema without data: enough for the SDL and introspection.
pub fn schema_builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription).extension(ErrorCodes)
}

/// How long a DataLoader gathers keys before it queries: long enough for the
/// executor of a release build to reach every sibling field, short enough not to
/// be felt.
pub const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// The executable schema over `db`.
pub fn build_schema(db: DatabaseConnection) -> LvzhiSchema {
    build_schema_with(db, BATCH_WINDOW)
}

/// The executable schema over `db`, with DataLoaders gathering keys for `window`
/// (statement-count tests widen it: a debug build walks a large result slowly).
pub fn build_schema_with(db: DatabaseConnection, window: Duration) -> LvzhiSchema {
    loaders::Loaders::register(schema_builder(), &db, window)
        .data(db)
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql` and printed by `lvzhi schema`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// The database of a request.
pub(crate) fn conn<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// Load one value through loader `L`.
pub(crate) async fn load_one<L, K>(ctx: &Context<'_>, key: K) -> ApiResult<Option<L::Value>>
where
    L: Loader<K, Error = ApiError>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    ctx.data_unchecked::<DataLoader<L>>()
        .load_one(key)
        .await
        .map_err(|e| e.extend())
}

/// Load many values through loader `L`.
pub(crate) async fn load_many<L, K>(
    ctx: &Context<'_>,
    keys: impl IntoIterator<Item = K>,
) -> ApiResult<HashMap<K, L::Value>>
where
    L: Loader<K, Error = ApiError>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    ctx.data_unchecked::<DataLoader<L>>()
        .load_many(keys)
        .await
        .map_err(|e| e.extend())
}

/// A row the database must have (a foreign key points at it); its absence is a bug.
pub(crate) fn must<T>(value: Option<T>, what: &str) -> ApiResult<T> {
    value.ok_or_else(|| {
        tracing::error!(what, "a referenced row is missing");
        ApiError::Internal.extend()
    })
}
