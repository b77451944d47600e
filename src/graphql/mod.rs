//! The GraphQL schema: one resolver struct per domain (`list`, `duty`,
//! `department`, `category`, `node`, `stats`, `search`, `admission`,
//! `edition`), merged into [`Query`]; [`subscription`] has the root
//! [`Subscription`] (events as they commit); `date` has the `Date` scalar;
//! nested fields load through per-request DataLoaders ([`loaders`], fetched wave by
//! wave by [`batch`]) so a request's SQL statements do not grow with its rows;
//! fields that see their selection fetch ahead and seed them ([`prefetch`]).
//! Resolvers and loaders are thin callers of [`crate::domain`].
//! Building the schema does no I/O. [`limits`] and async-graphql's own limits
//! bound what one request may ask; [`Api::execute`] bounds its time and turns a
//! panic into an `INTERNAL` error. [`Api::execute_stream`] runs a subscription
//! under the same limits.
//!
//! A query reads the database [`crate::db::reads::Reads`] routes it to — the
//! read replica while it has caught up, else the primary — unless it asks a
//! root field of [`PRIMARY_FIELDS`]; that connection is the request's
//! [`conn`], and its loaders read it. Mutations and subscriptions use the
//! primary.

pub mod adjustment;
pub mod admission;
pub mod audit;
pub mod batch;
pub mod category;
pub mod date;
pub mod department;
pub mod documents;
pub mod duty;
pub mod edition;
pub mod event;
pub mod id;
pub mod limits;
pub mod list;
pub mod loaders;
pub mod node;
pub mod prefetch;
pub mod scope;
pub mod search;
pub mod stats;
pub mod subscription;
pub mod token;
pub mod webhook;

use std::collections::HashMap;
use std::hash::Hash;

use std::panic::AssertUnwindSafe;

use async_graphql::dataloader::{DataLoader, Loader};
use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{
    BatchRequest, BatchResponse, Context, ErrorExtensions, MergedObject, Request, Response, Schema,
    SchemaBuilder, ServerError,
};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use sea_orm::DatabaseConnection;

use crate::config::{Environment, Limits};
use crate::db::reads::{Database, Reads, Route};
use crate::error::{ApiError, ApiResult, ErrorCode};
use documents::Documents;

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
    admission::AdmissionQuery,
    edition::EditionQuery,
    adjustment::AdjustmentQuery,
    audit::AuditQuery,
    token::TokenQuery,
    event::EventQuery,
    webhook::WebhookQuery,
);

/// The root mutation: every domain's writes, each authorised by the
/// request's token (`Authorization: Bearer …`).
#[derive(MergedObject, Default)]
pub struct Mutation(
    adjustment::AdjustmentMutation,
    token::TokenMutation,
    webhook::WebhookMutation,
);

pub use subscription::{Follow, Subscription};

/// lvzhi's schema type.
pub type LvzhiSchema = Schema<Query, Mutation, Subscription>;

/// The page size when a connection is asked for neither `first` nor `last`.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// The schema without data, with the default limits: enough for the SDL and
/// introspection.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    schema_builder_with(&Limits::default(), Environment::Development)
}

/// The schema without data, with `limits`; production switches off
/// introspection and field suggestions.
pub fn schema_builder_with(
    limits: &Limits,
    environment: Environment,
) -> SchemaBuilder<Query, Mutation, Subscription> {
    // No extensions: with any, async-graphql resolves every field through a
    // slower path. lvzhi's own limits and error codes are applied around
    // execution instead, in `Api::execute`.
    let builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .limit_depth(limits.depth)
        // The parser's own nesting guard must not be stricter than the depth limit.
        .limit_recursive_depth(limits.depth.max(32))
        .limit_complexity(limits.complexity)
        .limit_directives(limits.directives)
        .data(limits.clone());
    match environment {
        Environment::Development => builder,
        Environment::Production => builder.disable_introspection().disable_suggestions(),
    }
}

/// lvzhi's executable API: the schema, and the database each request's
/// DataLoaders read.
#[derive(Clone)]
pub struct Api {
    schema: LvzhiSchema,
    db: DatabaseConnection,
    /// Where queries read (the primary alone unless [`Api::reading`]).
    reads: Arc<Reads>,
    limits: Limits,
    /// Documents parsed and checked before, by text.
    documents: Arc<Documents>,
    lexicon: Arc<crate::admission::Lexicon>,
    lists: Arc<crate::admission::ListCache>,
    webhook_networks: Arc<crate::webhook::address::PrivateNetworks>,
}

impl Api {
    /// The API over `db` with the default limits (no I/O).
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_limits(db, &Limits::default(), Environment::Development)
    }

    /// The API over `db` with `limits` (no I/O); subscriptions poll every
    /// second, without wake-ups.
    pub fn with_limits(db: DatabaseConnection, limits: &Limits, environment: Environment) -> Self {
        Self::following(db, limits, environment, Follow::default())
    }

    /// The API over `db` with `limits`, its subscriptions following `follow`
    /// (no I/O).
    pub fn following(
        db: DatabaseConnection,
        limits: &Limits,
        environment: Environment,
        follow: Follow,
    ) -> Self {
        Api {
            schema: schema_builder_with(limits, environment)
                .data(db.clone())
                .data(follow)
                .finish(),
            reads: Arc::new(Reads::primary_only(db.clone())),
            db,
            limits: limits.clone(),
            documents: Arc::default(),
            lexicon: Arc::new(crate::admission::Lexicon::bundled().clone()),
            lists: Arc::new(crate::admission::ListCache::new(
                crate::admission::CACHED_LISTS,
            )),
            webhook_networks: Arc::default(),
        }
    }

    /// The API with `lexicon` for admission checks instead of the bundled one.
    pub fn with_lexicon(mut self, lexicon: crate::admission::Lexicon) -> Self {
        self.lexicon = Arc::new(lexicon);
        self
    }

    /// The API with `networks` allowed as webhook receivers besides public
    /// addresses (`LVZHI_WEBHOOK_ALLOW_PRIVATE`; none by default).
    pub fn with_webhook_networks(
        mut self,
        networks: crate::webhook::address::PrivateNetworks,
    ) -> Self {
        self.webhook_networks = Arc::new(networks);
        self
    }

    /// The API with its queries routed by `reads`, whose primary is the
    /// API's database.
    pub fn reading(mut self, reads: Arc<Reads>) -> Self {
        self.reads = reads;
        self
    }

    /// The database the API writes, and reads what must be read there.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Where queries read.
    pub fn reads(&self) -> &Reads {
        &self.reads
    }

    /// The limits requests are held to.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The documents kept parsed across requests.
    pub fn documents(&self) -> &Arc<Documents> {
        &self.documents
    }

    /// Execute one request, if within lvzhi's own limits, with its own
    /// DataLoaders, batched wave by wave, within the request time limit. A
    /// panic in a resolver fails the request with an `INTERNAL` error instead
    /// of dropping the connection. Every error of the response has a `code`.
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        let mut request = request.into();
        let mut response = match self.documents.prepare(&mut request, &self.limits) {
            Err(refused) => Response::from_errors(vec![refused]),
            Ok(()) if operation_of(&mut request) == Some(OperationType::Subscription) => {
                Response::from_errors(vec![bad_request(
                    "subscriptions are served over a WebSocket (the graphql-transport-ws \
                     protocol) at /graphql/ws or /graphql, not over HTTP",
                )])
            }
            Ok(()) => self.run(request).await,
        };
        crate::error::fill_codes(&mut response);
        response
    }

    /// Execute a request within lvzhi's limits, with its DataLoaders, in
    /// time: a query where [`Reads`] routes it, anything else on the primary.
    async fn run(&self, mut request: Request) -> Response {
        let timeout = self.limits.request_timeout;
        match self.route(&mut request) {
            Some(route) => guard(self.read(request, route), timeout).await,
            None => guard(self.run_on(request, &self.db), timeout).await,
        }
    }

    /// Where a query reads (counted); `None` for any other operation, and for
    /// a document that does not parse (execution says why).
    fn route(&self, request: &mut Request) -> Option<Route> {
        let name = request.operation_name.clone();
        let doc = request.parsed_query().ok()?;
        let operation = operation_definition(doc, name.as_deref())?;
        if operation.ty != OperationType::Query {
            return None;
        }
        let primary_only = asks_any(doc, &operation.selection_set.node, &PRIMARY_FIELDS, 0);
        Some(self.reads.route(!primary_only))
    }

    /// Answer a query on `route`. One that failed on the replica because the
    /// replica cannot be reached is answered by the primary instead. After a
    /// read from the primary, the seen data version is raised to the
    /// primary's, so no later read through this process is older.
    async fn read(&self, request: Request, route: Route) -> Response {
        let (response, route) = match route.database {
            Database::Primary => (self.run_on(request, &route.db).await, route),
            Database::Replica => {
                let again = copy(&request);
                let response = self.run_on(request, &route.db).await;
                if !failed_with(&response, ErrorCode::DatabaseUnavailable) {
                    return response;
                }
                let primary = self.reads.replica_failed();
                (self.run_on(again, &primary.db).await, primary)
            }
        };
        if route.database == Database::Primary {
            self.reads.caught_up_with_primary().await;
        }
        response
    }

    /// Execute `request` with its DataLoaders over `db`, which is also the
    /// request's [`conn`].
    async fn run_on(&self, request: Request, db: &DatabaseConnection) -> Response {
        let queue = batch::Queue::default();
        // Admission checks read the lexicon and keep indexed lists across requests.
        let request = loaders::attach(request, db, &queue)
            .data(db.clone())
            .data(Arc::clone(&self.lexicon))
            .data(Arc::clone(&self.lists))
            .data(Arc::clone(&self.webhook_networks));
        batch::execute(self.schema.execute(request), queue).await
    }

    /// Run an operation sent over a WebSocket, if within lvzhi's own limits
    /// and async-graphql's: a subscription as a stream of responses, a query
    /// as [`Api::execute`] runs it (one response, in time); a mutation is
    /// refused (`BAD_REQUEST`: writes go over HTTP POST, where idempotency
    /// keys and wake-ups apply). Each event of a subscription is resolved
    /// with the subscription's DataLoaders, batched wave by wave, and what one
    /// event seeded them with is forgotten before the next. A panic ends the
    /// stream with an `INTERNAL` error. Every error of every response has a
    /// `code`.
    pub fn execute_stream(&self, request: impl Into<Request>) -> BoxStream<'static, Response> {
        let mut request = request.into();
        if let Err(refused) = self.documents.prepare(&mut request, &self.limits) {
            return once(Response::from_errors(vec![refused]));
        }
        match operation_of(&mut request) {
            Some(OperationType::Mutation) => once(Response::from_errors(vec![bad_request(
                "mutations are accepted over HTTP POST only, not over a WebSocket",
            )])),
            Some(OperationType::Query) => {
                let api = self.clone();
                futures_util::stream::once(async move {
                    let mut response = api.run(request).await;
                    crate::error::fill_codes(&mut response);
                    response
                })
                .boxed()
            }
            _ => self.subscribe(request),
        }
    }

    /// A subscription's responses (see [`Api::execute_stream`]).
    fn subscribe(&self, request: Request) -> BoxStream<'static, Response> {
        let queue = batch::Queue::default();
        let (request, seeds) = loaders::attach_forgetting(request, &self.db, &queue);
        let request = request
            .data(Arc::clone(&self.lexicon))
            .data(Arc::clone(&self.lists))
            .data(Arc::clone(&self.webhook_networks));
        let responses = AssertUnwindSafe(self.schema.execute_stream(request))
            .catch_unwind()
            .map(|resolved| {
                resolved.unwrap_or_else(|panic| {
                    tracing::error!(panic = %panic_text(&*panic), "a subscription panicked");
                    error_response(&ApiError::Internal)
                })
            });
        batch::stream(responses, queue)
            .map(move |mut response| {
                seeds.forget();
                crate::error::fill_codes(&mut response);
                response
            })
            .boxed()
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

/// Run `execution` within `timeout`, catching a panic.
async fn guard(
    execution: impl std::future::Future<Output = Response>,
    timeout: std::time::Duration,
) -> Response {
    match tokio::time::timeout(timeout, AssertUnwindSafe(execution).catch_unwind()).await {
        Ok(Ok(response)) => response,
        Ok(Err(panic)) => {
            tracing::error!(panic = %panic_text(&*panic), "a resolver panicked");
            error_response(&ApiError::Internal)
        }
        Err(_) => {
            tracing::warn!(timeout_ms = timeout.as_millis() as u64, "request timed out");
            error_response(&ApiError::Timeout)
        }
    }
}

/// A stream of one `response`, its errors given codes.
fn once(mut response: Response) -> BoxStream<'static, Response> {
    crate::error::fill_codes(&mut response);
    futures_util::stream::once(async move { response }).boxed()
}

/// A request-level `BAD_REQUEST` error.
fn bad_request(message: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", crate::error::ErrorCode::BadRequest);
    error
}

/// The type of the operation `request` asks to run; `None` when its
/// document does not parse or names no such operation (execution says so).
fn operation_of(request: &mut Request) -> Option<OperationType> {
    let name = request.operation_name.clone();
    let doc = request.parsed_query().ok()?;
    operation_type(doc, name.as_deref())
}

/// The type of the operation `name` (or the only one) of `doc`.
fn operation_type(doc: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    operation_definition(doc, name).map(|op| op.ty)
}

/// The operation `name` (or the only one, named or not) of `doc`.
fn operation_definition<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The root fields of [`Query`] that read what the data version does not
/// count — adjustment requests, the audit log, tokens, the outbox, webhooks
/// and their deliveries — written without incrementing it. A replica at the
/// newest version this process has seen may lack them, so a query asking
/// any of them reads the primary. (Every other root field reads only what
/// imports and publications write, each incrementing the version.)
pub const PRIMARY_FIELDS: [&str; 7] = [
    "adjustment",
    "adjustments",
    "auditLog",
    "apiTokens",
    "events",
    "webhook",
    "webhooks",
];

/// Whether `set` selects any field named in `names` at its level, fragments
/// included. Runs before validation, so a fragment cycle is possible: past a
/// few levels of fragments it answers yes (the primary answers any query).
fn asks_any(doc: &ExecutableDocument, set: &SelectionSet, names: &[&str], depth: usize) -> bool {
    const DEEPEST: usize = 8;
    set.items.iter().any(|item| match &item.node {
        Selection::Field(field) => names.contains(&field.node.name.node.as_str()),
        Selection::InlineFragment(inline) => {
            depth >= DEEPEST || asks_any(doc, &inline.node.selection_set.node, names, depth + 1)
        }
        Selection::FragmentSpread(spread) => {
            depth >= DEEPEST
                || doc
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|f| asks_any(doc, &f.node.selection_set.node, names, depth + 1))
        }
    })
}

/// Whether any error of `response` has `code`.
fn failed_with(response: &Response, code: ErrorCode) -> bool {
    response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| matches!(c, async_graphql::Value::String(s) if s == code.as_str()))
    })
}

/// `request` again, to run a second time: its document, operation,
/// variables and extensions, and the only data the server adds to a request,
/// who asks ([`crate::auth::Actor`]).
fn copy(request: &Request) -> Request {
    let mut again = Request::new(request.query.clone()).variables(request.variables.clone());
    again.operation_name = request.operation_name.clone();
    again.extensions = request.extensions.clone();
    let actor = request
        .data
        .get(&std::any::TypeId::of::<crate::auth::Actor>())
        .and_then(|a| a.downcast_ref::<crate::auth::Actor>());
    match actor {
        Some(actor) => again.data(actor.clone()),
        None => again,
    }
}

/// What a panic said.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// A response with no data and one request-level error.
pub fn error_response(error: &ApiError) -> Response {
    let mut e = ServerError::new(error.to_string(), None);
    e.extensions
        .get_or_insert_with(Default::default)
        .set("code", error.code());
    Response::from_errors(vec![e])
}

/// The schema in SDL, as committed in `schema.graphql` and printed by `lvzhi schema`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// The database of a request: for a query, the one [`Reads`] routed it to
/// (see [`PRIMARY_FIELDS`]); for a mutation or a subscription, the primary.
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

/// The cost of a connection field for the complexity limit: its selection
/// once per element of the page asked for.
pub(crate) fn page_cost(size: Option<i32>, child_complexity: usize) -> usize {
    // Sizes past any sane ceiling are refused by the resolver with a clearer message.
    let size = size.map_or(DEFAULT_PAGE_SIZE, |n| n.clamp(1, 1000) as usize);
    size.saturating_mul(child_complexity).saturating_add(1)
}

/// How many elements the complexity limit assumes an unpaged list field returns
/// (a department's cooperations, a duty's items or departments, the root lists).
pub(crate) const ASSUMED_LIST_LENGTH: usize = 10;

/// The cost of an unpaged list field: its selection once per assumed element,
/// so nesting lists inside lists (department → cooperations → duty →
/// departments → …) multiplies, as the work does.
pub(crate) fn list_cost(child_complexity: usize) -> usize {
    ASSUMED_LIST_LENGTH
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// `items`, unless there are more than `LVZHI_MAX_LIST_ITEMS`: then a
/// `LIMIT_EXCEEDED` error naming `field`. Called by every resolver whose list
/// grows with the data (root lists, a department's duties across lists).
pub(crate) fn within_ceiling<T>(
    ctx: &Context<'_>,
    field: &str,
    items: Vec<T>,
) -> ApiResult<Vec<T>> {
    let max = ctx
        .data_opt::<Limits>()
        .map_or(Limits::default().list_items, |l| l.list_items);
    if items.len() > max {
        return Err(ApiError::LimitExceeded(format!(
            "`{field}` would return {} elements, more than {max} (LVZHI_MAX_LIST_ITEMS); narrow it with its arguments",
            items.len()
        ))
        .extend());
    }
    Ok(items)
}

/// Check a page size argument against the configured ceiling.
pub(crate) fn page_size(
    ctx: &Context<'_>,
    name: &str,
    value: Option<i32>,
) -> ApiResult<Option<usize>> {
    let max = ctx
        .data_opt::<Limits>()
        .map_or(Limits::default().page_size, |l| l.page_size);
    match value {
        None => Ok(None),
        Some(n) if n < 0 => {
            Err(ApiError::BadUserInput(format!("`{name}` must not be negative")).extend())
        }
        Some(n) if n as usize > max => Err(ApiError::BadUserInput(format!(
            "`{name}` is {n}, above the maximum page size {max} (LVZHI_MAX_PAGE_SIZE); page with `after`/`before`"
        ))
        .extend()),
        Some(n) => Ok(Some(n as usize)),
    }
}

/// [`crate::domain::in_one_county`] for a resolver: things of several counties
/// left are an `AMBIGUOUS_NAME` error listing each (`describe`).
pub(crate) fn in_one_county<T>(
    found: Vec<(T, entity::county::Model)>,
    name: &str,
    county: Option<&str>,
    describe: impl Fn(&T, &entity::county::Model) -> String,
) -> ApiResult<Vec<(T, entity::county::Model)>> {
    crate::domain::in_one_county(found, county).map_err(|ambiguous| {
        ApiError::AmbiguousName {
            name: name.trim().to_owned(),
            candidates: ambiguous.0.iter().map(|(t, c)| describe(t, c)).collect(),
        }
        .extend()
    })
}

/// A row the database must have (a foreign key points at it); its absence is a bug.
pub(crate) fn must<T>(value: Option<T>, what: &str) -> ApiResult<T> {
    value.ok_or_else(|| {
        tracing::error!(what, "a referenced row is missing");
        ApiError::Internal.extend()
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::*;

    struct Panicky(Vec<i32>);

    #[Object]
    impl Panicky {
        async fn boom(&self) -> i32 {
            // An out-of-bounds index: a bug that panics at run time.
            self.0[self.0.len()]
        }
    }

    #[tokio::test]
    async fn a_panicking_resolver_becomes_an_internal_error() {
        let schema = Schema::new(Panicky(Vec::new()), EmptyMutation, EmptySubscription);
        let response = guard(schema.execute("{ boom }"), Duration::from_secs(5)).await;
        assert_eq!(response.errors.len(), 1);
        let code = response.errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"));
        assert_eq!(code, Some(&async_graphql::Value::from("INTERNAL")));
    }

    /// Whether `query`'s operation reads only what the replica may answer.
    fn replica_may_answer(query: &str) -> bool {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        let op = operation_definition(&doc, None).unwrap();
        !asks_any(&doc, &op.selection_set.node, &PRIMARY_FIELDS, 0)
    }

    #[test]
    fn a_query_asking_what_the_data_version_does_not_count_reads_the_primary() {
        assert!(replica_may_answer(
            "{ duties { totalCount } dutyLists { id } }"
        ));
        assert!(replica_may_answer(
            "query Q { duty(id: \"x\") { events: name } }"
        ));
        assert!(!replica_may_answer(
            "{ duties { totalCount } e: events { sequence } }"
        ));
        assert!(!replica_may_answer(
            "{ ...F } fragment F on Query { ... on Query { auditLog { totalCount } } }"
        ));
        assert!(!replica_may_answer(
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
        ));
    }

    #[test]
    fn every_root_field_is_placed_on_the_replica_or_the_primary() {
        // A new root field fails this test until it is placed: in
        // PRIMARY_FIELDS if it reads anything written without incrementing
        // the data version, else here.
        let replica = [
            "dutyLists",
            "dutyList",
            "duties",
            "duty",
            "department",
            "departments",
            "categories",
            "node",
            "dutyStats",
            "departmentWorkloads",
            "departmentNetwork",
            "townWorkload",
            "search",
            "admissionCheck",
            "admissionChecks",
            "listDiff",
        ];
        let sdl = sdl();
        let query = sdl
            .split("type Query {")
            .nth(1)
            .and_then(|rest| rest.split("\n}").next())
            .unwrap();
        let mut in_description = false;
        let mut fields = std::collections::BTreeSet::new();
        for line in query.lines() {
            if line.trim() == "\"\"\"" {
                in_description = !in_description;
                continue;
            }
            // A field's line; arguments on lines of their own are indented deeper.
            let name = line
                .strip_prefix('\t')
                .unwrap_or("")
                .split(['(', ':'])
                .next();
            if let Some(name) = name.filter(|n| n.starts_with(|c: char| c.is_ascii_alphabetic()))
                && !in_description
            {
                fields.insert(name.to_owned());
            }
        }
        let placed: std::collections::BTreeSet<String> = replica
            .iter()
            .chain(PRIMARY_FIELDS.iter())
            .map(|f| (*f).to_owned())
            .collect();
        assert_eq!(fields, placed);
    }

    struct Numbers;

    #[Object]
    impl Numbers {
        async fn numbers(&self, ctx: &Context<'_>, n: usize) -> ApiResult<Vec<i32>> {
            within_ceiling(ctx, "numbers", vec![0; n])
        }
    }

    #[tokio::test]
    async fn at_the_default_list_ceiling_10000_elements_pass_and_10001_are_refused() {
        let schema = Schema::build(Numbers, EmptyMutation, EmptySubscription)
            .data(Limits::default())
            .finish();
        let at = schema.execute("{ numbers(n: 10000) }").await;
        assert!(at.errors.is_empty(), "{:?}", at.errors);
        let over = schema.execute("{ numbers(n: 10001) }").await;
        assert_eq!(over.errors.len(), 1);
        assert!(
            over.errors[0].message.contains("LVZHI_MAX_LIST_ITEMS"),
            "{}",
            over.errors[0].message
        );
    }

    #[tokio::test]
    async fn a_request_past_its_time_limit_is_cancelled_with_timeout() {
        let never = std::future::pending::<Response>();
        let response = guard(never, Duration::from_millis(1)).await;
        let code = response.errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"));
        assert_eq!(code, Some(&async_graphql::Value::from("TIMEOUT")));
    }
}
