//! The request's DataLoaders: thin callers of the domain's reads.
//!
//! Every nested field loads through a per-request DataLoader: the keys of one
//! level go to one batched read, so the number of SQL statements of a request
//! does not grow with its rows. Look-ahead ([`super::prefetch`]) fetches what
//! children will ask for before they ask and *seeds* the loaders with it; the
//! children's [`load`] then answers from the seeds, with no statement and no
//! wait for a wave of the request's batching ([`super::batch`]). A loader
//! queries only the keys nobody seeded.
//!
//! A seed is complete for its key by construction: a row loader is seeded with
//! rows ([`seed_rows`]), every other loader with a [`Complete`], which only the
//! domain's reads that read each key in full can build ([`seed`]).

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use entity::{Party, category, county, department, duty, duty_list, responsibility_item};
use sea_orm::DatabaseConnection;

use super::batch::Queue;
use crate::domain::category::CountKey;
use crate::domain::department::{Counts, CountsKey, DutiesKey};
use crate::domain::edition::{Town, Version};
use crate::domain::list::KindSummary;
use crate::domain::{self, Complete, Keyed};
use crate::error::{ApiError, ApiResult};

/// Give a request its own DataLoaders over `db`; their fetches go to `queue`
/// (see [`super::batch`]).
pub fn attach(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    queue: &Queue,
) -> async_graphql::Request {
    attach_forgetting(request, db, queue).0
}

/// [`attach`], and the handle that forgets what the loaders were seeded with:
/// a subscription resolves each of its events with the same loaders, and
/// forgets between two events, so nothing read for one event (a count, a
/// department's duties) is served for a later one after the data changed.
pub fn attach_forgetting(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    queue: &Queue,
) -> (async_graphql::Request, Seeds) {
    let spawn = || {
        let queue = queue.clone();
        move |fetch| queue.push(fetch)
    };
    let mut seeds = Seeds::default();
    macro_rules! loaders {
        ($request:expr, $($loader:ty),*) => {
            $request$(.data({
                let loader = <$loader>::new(db);
                seeds.0.push(loader.seeded().0.clone());
                DataLoader::new(loader, spawn()).delay(Duration::ZERO)
            }))*
        };
    }
    let request = loaders!(
        request,
        SummaryLoader,
        ListLoader,
        CountyLoader,
        DutyLoader,
        CategoryLoader,
        CategoryCountLoader,
        DepartmentLoader,
        AliasLoader,
        DepartmentCountLoader,
        DepartmentDutiesLoader,
        DutyDepartmentsLoader,
        ItemsLoader,
        ItemDepartmentsLoader,
        AttributedItemsLoader,
        EditionsLoader,
        VersionsLoader
    );
    (request, seeds)
}

/// The seeds of one request's loaders, to forget them ([`attach_forgetting`]).
#[derive(Default)]
pub struct Seeds(Vec<Arc<dyn Forget>>);

impl Seeds {
    /// Forget every seed: later loads read the database.
    pub fn forget(&self) {
        for seeded in &self.0 {
            seeded.forget();
        }
    }
}

/// Seeded values that can be dropped, whatever their types.
trait Forget: Send + Sync {
    fn forget(&self);
}

impl<K: Send, V: Send> Forget for Mutex<HashMap<K, V>> {
    fn forget(&self) {
        self.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Values fetched ahead for one loader, by key. Behind a mutex: the request's
/// fields resolve concurrently and share the loader. Shared with the
/// request's [`Seeds`], which may forget them.
pub struct Seeded<K, V>(Arc<Mutex<HashMap<K, V>>>);

impl<K, V> Default for Seeded<K, V> {
    fn default() -> Self {
        Seeded(Arc::new(Mutex::new(HashMap::new())))
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Seeded<K, V> {
    fn lock(&self) -> MutexGuard<'_, HashMap<K, V>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, key: &K) -> Option<V> {
        self.lock().get(key).cloned()
    }

    fn extend(&self, values: impl IntoIterator<Item = (K, V)>) {
        self.lock().extend(values);
    }

    /// The seeded values of `keys`, and the keys nobody seeded.
    fn split(&self, keys: &[K]) -> (HashMap<K, V>, Vec<K>) {
        let seeded = self.lock();
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for key in keys {
            match seeded.get(key) {
                Some(value) => {
                    found.insert(key.clone(), value.clone());
                }
                None => missing.push(key.clone()),
            }
        }
        (found, missing)
    }
}

/// A loader resolvers can seed.
pub trait Seedable<K: Send + Sync + Hash + Eq + Clone + 'static>:
    Loader<K, Error = ApiError>
{
    /// What has been seeded so far.
    fn seeded(&self) -> &Seeded<K, Self::Value>;
}

/// The request's loader `L` (see [`attach`]).
fn loader<'a, L: Send + Sync + 'static>(ctx: &Context<'a>) -> &'a L {
    ctx.data_unchecked::<DataLoader<L>>().loader()
}

/// The value of `key` through loader `L`: the seeded one, or else one fetched
/// in the request's next batch.
pub(crate) async fn load<L, K>(ctx: &Context<'_>, key: K) -> ApiResult<Option<L::Value>>
where
    L: Seedable<K>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    if let Some(value) = loader::<L>(ctx).seeded().get(&key) {
        return Ok(Some(value));
    }
    super::load_one::<L, K>(ctx, key).await
}

/// Seed loader `L` with `values`, each read in full: later loads of their keys
/// need no SQL.
pub(crate) fn seed<L, K>(ctx: &Context<'_>, values: Complete<K, L::Value>)
where
    L: Seedable<K>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    loader::<L>(ctx).seeded().extend(values);
}

/// The values of `keys` through loader `L` if every one of them was seeded.
pub(crate) fn seeded_all<L, K>(ctx: &Context<'_>, keys: &[K]) -> Option<HashMap<K, L::Value>>
where
    L: Seedable<K>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    let (found, missing) = loader::<L>(ctx).seeded().split(keys);
    missing.is_empty().then_some(found)
}

/// Seed the row loader of table `E` with `rows` (a row is complete).
pub(crate) fn seed_rows<E: Keyed>(ctx: &Context<'_>, rows: impl IntoIterator<Item = E::Model>) {
    loader::<ByIdLoader<E>>(ctx)
        .seeded()
        .extend(rows.into_iter().map(|row| (E::key(&row), row)));
}

/// Rows of table `E` by id ([`domain::by_ids`]).
pub struct ByIdLoader<E: Keyed> {
    db: DatabaseConnection,
    seeded: Seeded<i32, E::Model>,
    table: PhantomData<E>,
}

impl<E: Keyed> ByIdLoader<E> {
    fn new(db: &DatabaseConnection) -> Self {
        ByIdLoader {
            db: db.clone(),
            seeded: Seeded::default(),
            table: PhantomData,
        }
    }
}

impl<E: Keyed> Loader<i32> for ByIdLoader<E> {
    type Value = E::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, E::Model>, ApiError> {
        let (mut values, missing) = self.seeded.split(keys);
        if !missing.is_empty() {
            values.extend(domain::by_ids::<E>(&self.db, &missing).await?);
        }
        Ok(values)
    }
}

impl<E: Keyed> Seedable<i32> for ByIdLoader<E> {
    fn seeded(&self) -> &Seeded<i32, E::Model> {
        &self.seeded
    }
}

/// Lists by id.
pub type ListLoader = ByIdLoader<duty_list::Entity>;
/// Counties by id.
pub type CountyLoader = ByIdLoader<county::Entity>;
/// Duties by id.
pub type DutyLoader = ByIdLoader<duty::Entity>;
/// Categories by id.
pub type CategoryLoader = ByIdLoader<category::Entity>;
/// Departments by id.
pub type DepartmentLoader = ByIdLoader<department::Entity>;

/// A loader of values a domain read gives as a [`Complete`] for its keys.
macro_rules! loader {
    ($(#[$doc:meta])* $name:ident: $key:ty => $value:ty = $read:path) => {
        $(#[$doc])*
        pub struct $name {
            db: DatabaseConnection,
            seeded: Seeded<$key, $value>,
        }

        impl $name {
            fn new(db: &DatabaseConnection) -> Self {
                $name {
                    db: db.clone(),
                    seeded: Seeded::default(),
                }
            }
        }

        impl Loader<$key> for $name {
            type Value = $value;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, ApiError> {
                let (mut values, missing) = self.seeded.split(keys);
                if !missing.is_empty() {
                    values.extend($read(&self.db, &missing).await?);
                }
                Ok(values)
            }
        }

        impl Seedable<$key> for $name {
            fn seeded(&self) -> &Seeded<$key, $value> {
                &self.seeded
            }
        }
    };
}

loader!(
    /// Per-kind counts of lists, parsed and stated, by list id.
    SummaryLoader: i32 => Vec<KindSummary> = domain::list::summaries
);
loader!(
    /// Duties per category under a kind and list filter (GROUP BY).
    CategoryCountLoader: CountKey => i32 = domain::category::counts
);
loader!(
    /// The aliases of departments, sorted, by department id.
    AliasLoader: i32 => Vec<String> = domain::department::aliases
);
loader!(
    /// Cooperative and reclaimed duty counts per department, in the lists of a
    /// scope, by (department, scope) (GROUP BY).
    DepartmentCountLoader: CountsKey => Counts = domain::department::counts
);
loader!(
    /// The duties of a kind a department is linked to, in the lists of a scope,
    /// by (department, kind, scope), in (list, kind, sequence number) order.
    DepartmentDutiesLoader: DutiesKey => Vec<duty::Model> = domain::department::duties
);
loader!(
    /// The departments of duties, in document order, by duty id.
    DutyDepartmentsLoader: i32 => Vec<department::Model> = domain::duty::departments
);
loader!(
    /// The responsibility items of one column of duties, in order, by (duty id, column).
    ItemsLoader: (i32, Party) => Vec<responsibility_item::Model> = domain::duty::columns
);
loader!(
    /// The departments department-side items are attributed to, by item id.
    ItemDepartmentsLoader: i32 => Vec<department::Model> = domain::duty::item_departments
);
loader!(
    /// The department-side items of a duty attributed to a department, by (duty, department).
    AttributedItemsLoader: (i32, i32) => Vec<responsibility_item::Model> = domain::duty::attributed_items
);
loader!(
    /// Every edition of towns, by edition number, by (county, town).
    EditionsLoader: Town => Vec<duty_list::Model> = domain::edition::editions
);
loader!(
    /// Every version of duties, by edition, by lineage.
    VersionsLoader: i32 => Vec<Version> = domain::edition::versions
);
