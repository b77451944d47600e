//! The GraphQL schema: one resolver struct per domain (`list`, `duty`,
//! `department`, `category`, `node`, `stats`), merged into [`Query`]; nested
//! fields load through per-request DataLoaders ([`loaders`], fetched wave by
//! wave by [`batch`]) so a request's SQL statements do not grow with its rows.
//! Building the schema does no I/O.

pub mod batch;
pub mod category;
pub mod department;
pub mod duty;
pub mod id;
pub mod list;
pub mod loaders;
pub mod node;
pub mod search;
pub mod stats;

use std::collections::HashMap;
use std::hash::Hash;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{
    BatchRequest, BatchResponse, Context, EmptyMutation, EmptySubscription, ErrorExtensions,
    MergedObject, Request, Response, Schema, SchemaBuilder,
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
    stats::StatsQuery,
    search::SearchQuery,
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

/// lvzhi's executable API: the schema, and the database each request's
/// DataLoaders read.
#[derive(Clone)]
pub struct Api {
    schema: LvzhiSchema,
    db: DatabaseConnection,
}

impl Api {
    /// The API over `db` (no I/O).
    pub fn new(db: DatabaseConnection) -> Self {
        Api {
            schema: schema_builder().data(db.clone()).finish(),
            db,
        }
    }

    /// The schema.
    pub fn schema(&self) -> &LvzhiSchema {
        &self.schema
    }

    /// Execute one request with its own DataLoaders, batched wave by wave.
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        let queue = batch::Queue::default();
        let request = loaders::attach(request.into(), &self.db, &queue);
        batch::execute(self.schema.execute(request), queue).await
    }

    /// Execute a single request or a batch.
    pub async fn execute_batch(&self, batch: BatchRequest) -> BatchResponse {
        match batch {
            BatchRequest::Single(request) => BatchResponse::Single(self.execute(request).await),
            BatchRequest::Batch(requests) => BatchResponse::Batch(
                futures_util::future::join_all(requests.into_iter().map(|r| self.execute(r))).await,
            ),
        }
    }
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
