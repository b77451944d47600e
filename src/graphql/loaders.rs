//! DataLoaders, and the joined fetches that seed them.
//!
//! Every nested field loads through a per-request DataLoader: the keys of one
//! level go to one batched query, so the number of SQL statements of a request
//! does not grow with its rows. A resolver that sees (with
//! [`async_graphql::Context::look_ahead`]) what its children will ask for does
//! better: it fetches that together with its own rows — in joined statements,
//! run concurrently (`duties_linked_to`, `related`) — and *seeds* the loaders
//! with it (`seed`). The children's `load` then answers from the seeds, with no
//! statement and no wait for a wave of the request's batching
//! ([`super::batch`]). A seeded key is complete: a resolver seeds every key it
//! fetched, with an empty list where the database has no rows, and only what it
//! fetched in full (a column of items read only in part is not seeded as the
//! column); a loader queries only the keys nobody seeded.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::ops::BitOr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use entity::{
    DutyKind, Party, category, county, department, department_alias, duty, duty_department,
    duty_list, item_department, responsibility_item, stated_count,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoColumnRef, Query as SqlQuery};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, JoinType, QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait,
    RelationTrait, Select,
};

use super::batch::Queue;
use super::list::KindSummary;
use crate::error::{ApiError, ApiResult};

/// Give a request its own DataLoaders over `db`; their fetches go to `queue`
/// (see [`super::batch`]).
pub fn attach(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    queue: &Queue,
) -> async_graphql::Request {
    let spawn = || {
        let queue = queue.clone();
        move |fetch| queue.push(fetch)
    };
    macro_rules! loaders {
        ($request:expr, $($loader:ident),*) => {
            $request$(.data(DataLoader::new($loader::new(db), spawn()).delay(Duration::ZERO)))*
        };
    }
    loaders!(
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
        AttributedItemsLoader
    )
}

/// Values fetched ahead for one loader, by key. Behind a mutex: the request's
/// fields resolve concurrently and share the loader.
pub struct Seeded<K, V>(Mutex<HashMap<K, V>>);

impl<K, V> Default for Seeded<K, V> {
    fn default() -> Self {
        Seeded(Mutex::new(HashMap::new()))
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Seeded<K, V> {
    fn lock(&self) -> MutexGuard<'_, HashMap<K, V>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The seeded value of `key`.
    pub fn get(&self, key: &K) -> Option<V> {
        self.lock().get(key).cloned()
    }

    /// Seed `values`.
    pub fn extend(&self, values: impl IntoIterator<Item = (K, V)>) {
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

/// Seed loader `L` with `values`: later loads of their keys need no SQL.
pub(crate) fn seed<L, K>(ctx: &Context<'_>, values: impl IntoIterator<Item = (K, L::Value)>)
where
    L: Seedable<K>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    loader::<L>(ctx).seeded().extend(values);
}

macro_rules! loader {
    ($(#[$doc:meta])* $name:ident: $key:ty => $value:ty) => {
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
                    values.extend(self.fetch(&missing).await?);
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
    /// Per-kind counts of lists, parsed and stated, by list id (three GROUP BY queries).
    SummaryLoader: i32 => Vec<KindSummary>
);
loader!(
    /// Lists by id.
    ListLoader: i32 => duty_list::Model
);
loader!(
    /// Counties by id.
    CountyLoader: i32 => county::Model
);
loader!(
    /// Duties by id.
    DutyLoader: i32 => duty::Model
);
loader!(
    /// Categories by id.
    CategoryLoader: i32 => category::Model
);
loader!(
    /// Duties per category under a kind and list filter (GROUP BY).
    CategoryCountLoader: CategoryCountKey => i32
);
loader!(
    /// Departments by id.
    DepartmentLoader: i32 => department::Model
);
loader!(
    /// The aliases of departments, sorted, by department id.
    AliasLoader: i32 => Vec<String>
);
loader!(
    /// Cooperative and reclaimed duty counts per department (GROUP BY).
    DepartmentCountLoader: i32 => DepartmentCounts
);
loader!(
    /// The duties of a kind a department is linked to, in one list or in all
    /// (`None`), by (department, kind, list), in (list, kind, sequence number) order.
    DepartmentDutiesLoader: (i32, DutyKind, Option<i32>) => Vec<duty::Model>
);
loader!(
    /// The departments of duties, in document order, by duty id.
    DutyDepartmentsLoader: i32 => Vec<department::Model>
);
loader!(
    /// The responsibility items of one column of duties, in order, by (duty id, column).
    ItemsLoader: (i32, Party) => Vec<responsibility_item::Model>
);
loader!(
    /// The departments department-side items are attributed to, by item id.
    ItemDepartmentsLoader: i32 => Vec<department::Model>
);
loader!(
    /// The department-side items of a duty attributed to a department, by (duty, department).
    AttributedItemsLoader: (i32, i32) => Vec<responsibility_item::Model>
);

fn by_id<M>(rows: Vec<M>, id: impl Fn(&M) -> i32) -> HashMap<i32, M> {
    rows.into_iter().map(|m| (id(&m), m)).collect()
}

fn grouped<K: Hash + Eq, V>(rows: impl IntoIterator<Item = (K, V)>) -> HashMap<K, Vec<V>> {
    let mut out: HashMap<K, Vec<V>> = HashMap::new();
    for (k, v) in rows {
        out.entry(k).or_default().push(v);
    }
    out
}

impl SummaryLoader {
    async fn fetch(&self, keys: &[i32]) -> Result<HashMap<i32, Vec<KindSummary>>, ApiError> {
        let db = &self.db;
        let counts: Vec<(i32, DutyKind, i64, i64)> = duty::Entity::find()
            .select_only()
            .column(duty::Column::ListId)
            .column(duty::Column::Kind)
            .column_as(Expr::col(duty::Column::Id).count(), "duties")
            .column_as(
                Expr::col(duty::Column::CategoryId).count_distinct(),
                "categories",
            )
            .filter(duty::Column::ListId.is_in(keys.iter().copied()))
            .group_by(duty::Column::ListId)
            .group_by(duty::Column::Kind)
            .into_tuple()
            .all(db)
            .await?;
        let departments: Vec<(i32, DutyKind, i64)> = duty_department::Entity::find()
            .select_only()
            .column(duty::Column::ListId)
            .column(duty::Column::Kind)
            .column_as(
                Expr::col((
                    duty_department::Entity,
                    duty_department::Column::DepartmentId,
                ))
                .count_distinct(),
                "departments",
            )
            .join(JoinType::InnerJoin, duty_department::Relation::Duty.def())
            .filter(duty::Column::ListId.is_in(keys.iter().copied()))
            .group_by(duty::Column::ListId)
            .group_by(duty::Column::Kind)
            .into_tuple()
            .all(db)
            .await?;
        let stated = stated_count::Entity::find()
            .filter(stated_count::Column::ListId.is_in(keys.iter().copied()))
            .all(db)
            .await?;

        let mut out: HashMap<i32, Vec<KindSummary>> = keys
            .iter()
            .map(|&list| {
                (
                    list,
                    DutyKind::ALL
                        .into_iter()
                        .map(|kind| KindSummary::empty(kind.into()))
                        .collect(),
                )
            })
            .collect();
        for (list, kind, duties, categories) in counts {
            if let Some(s) = summary_of(&mut out, list, kind) {
                s.duty_count = duties as i32;
                s.category_count = categories as i32;
            }
        }
        for (list, kind, count) in departments {
            if let Some(s) = summary_of(&mut out, list, kind) {
                s.department_count = count as i32;
            }
        }
        for row in stated {
            if let Some(s) = summary_of(&mut out, row.list_id, row.kind) {
                s.stated_duty_count = row.duty_count;
                s.stated_category_count = row.category_count;
                s.stated_department_count = row.department_count;
            }
        }
        Ok(out)
    }
}

fn summary_of(
    out: &mut HashMap<i32, Vec<KindSummary>>,
    list: i32,
    kind: DutyKind,
) -> Option<&mut KindSummary> {
    out.get_mut(&list)?
        .iter_mut()
        .find(|s| DutyKind::from(s.kind) == kind)
}

impl ListLoader {
    async fn fetch(&self, keys: &[i32]) -> Result<HashMap<i32, duty_list::Model>, ApiError> {
        let rows = duty_list::Entity::find()
            .filter(duty_list::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(by_id(rows, |m| m.id))
    }
}

impl CountyLoader {
    async fn fetch(&self, keys: &[i32]) -> Result<HashMap<i32, county::Model>, ApiError> {
        let rows = county::Entity::find()
            .filter(county::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(by_id(rows, |m| m.id))
    }
}

impl DutyLoader {
    async fn fetch(&self, keys: &[i32]) -> Result<HashMap<i32, duty::Model>, ApiError> {
        let rows = duty::Entity::find()
            .filter(duty::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(by_id(rows, |m| m.id))
    }
}

impl CategoryLoader {
    async fn fetch(&self, keys: &[i32]) -> Result<HashMap<i32, category::Model>, ApiError> {
        let rows = category::Entity::find()
            .filter(category::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(by_id(rows, |m| m.id))
    }
}

/// Which duties a category count counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CategoryCountKey {
    /// The category.
    pub category: i32,
    /// Only duties of this kind.
    pub kind: Option<DutyKind>,
    /// Only duties of this list.
    pub list: Option<i32>,
}

impl CategoryCountLoader {
    async fn fetch(
        &self,
        keys: &[CategoryCountKey],
    ) -> Result<HashMap<CategoryCountKey, i32>, ApiError> {
        let mut out = HashMap::new();
        // One GROUP BY per distinct filter; a request rarely has more than one.
        let filters = grouped(keys.iter().map(|k| ((k.kind, k.list), k.category)));
        for ((kind, list), categories) in filters {
            let mut query = duty::Entity::find()
                .select_only()
                .column(duty::Column::CategoryId)
                .column_as(Expr::col(duty::Column::Id).count(), "duties")
                .filter(duty::Column::CategoryId.is_in(categories.iter().copied()))
                .group_by(duty::Column::CategoryId);
            if let Some(kind) = kind {
                query = query.filter(duty::Column::Kind.eq(kind));
            }
            if let Some(list) = list {
                query = query.filter(duty::Column::ListId.eq(list));
            }
            let counts: HashMap<i32, i64> = query
                .into_tuple::<(i32, i64)>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect();
            for category in categories {
                let count = counts.get(&category).copied().unwrap_or(0) as i32;
                out.insert(
                    CategoryCountKey {
                        category,
                        kind,
                        list,
                    },
                    count,
                );
            }
        }
        Ok(out)
    }
}

impl DepartmentLoader {
    async fn fetch(&self, keys: &[i32]) -> Result<HashMap<i32, department::Model>, ApiError> {
        let rows = department::Entity::find()
            .filter(department::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(by_id(rows, |m| m.id))
    }
}

impl AliasLoader {
    async fn fetch(&self, keys: &[i32]) -> Result<HashMap<i32, Vec<String>>, ApiError> {
        let rows = department_alias::Entity::find()
            .filter(department_alias::Column::DepartmentId.is_in(keys.iter().copied()))
            .order_by_asc(department_alias::Column::Alias)
            .all(&self.db)
            .await?;
        Ok(grouped(
            rows.into_iter().map(|a| (a.department_id, a.alias)),
        ))
    }
}

/// How many cooperative and reclaimed duties a department is linked to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DepartmentCounts {
    /// Cooperative duties it is a counterpart of.
    pub cooperative: i32,
    /// Reclaimed duties it receives.
    pub reclaimed: i32,
}

impl DepartmentCountLoader {
    async fn fetch(&self, keys: &[i32]) -> Result<HashMap<i32, DepartmentCounts>, ApiError> {
        let rows: Vec<(i32, DutyKind, i64)> = duty_department::Entity::find()
            .select_only()
            .column(duty_department::Column::DepartmentId)
            .column(duty::Column::Kind)
            .column_as(
                Expr::col((duty_department::Entity, duty_department::Column::DutyId)).count(),
                "duties",
            )
            .join(JoinType::InnerJoin, duty_department::Relation::Duty.def())
            .filter(duty_department::Column::DepartmentId.is_in(keys.iter().copied()))
            .group_by(duty_department::Column::DepartmentId)
            .group_by(duty::Column::Kind)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut out: HashMap<i32, DepartmentCounts> = keys
            .iter()
            .map(|&k| (k, DepartmentCounts::default()))
            .collect();
        for (department, kind, count) in rows {
            let counts = out.entry(department).or_default();
            match kind {
                DutyKind::Cooperative => counts.cooperative = count as i32,
                DutyKind::Reclaimed => counts.reclaimed = count as i32,
                DutyKind::Basic => {}
            }
        }
        Ok(out)
    }
}

impl DepartmentDutiesLoader {
    async fn fetch(
        &self,
        keys: &[(i32, DutyKind, Option<i32>)],
    ) -> Result<HashMap<(i32, DutyKind, Option<i32>), Vec<duty::Model>>, ApiError> {
        // One statement per list asked for (almost always one), filtered in SQL.
        let mut by_list: BTreeMap<Option<i32>, Vec<(i32, DutyKind)>> = BTreeMap::new();
        for &(department, kind, list) in keys {
            by_list.entry(list).or_default().push((department, kind));
        }
        let mut out = HashMap::new();
        for (list, keys) in by_list {
            let mut query = duty::Entity::find()
                .find_also_related(duty_department::Entity)
                .filter(duty_department::Column::DepartmentId.is_in(keys.iter().map(|k| k.0)))
                .filter(duty::Column::Kind.is_in(keys.iter().map(|k| k.1)));
            if let Some(list) = list {
                query = query.filter(duty::Column::ListId.eq(list));
            }
            let rows = query
                .order_by_asc(duty::Column::ListId)
                .order_by_asc(duty::Column::Kind)
                .order_by_asc(duty::Column::Seq)
                .all(&self.db)
                .await?;
            out.extend(grouped(rows.into_iter().filter_map(|(d, link)| {
                Some(((link?.department_id, d.kind, list), d))
            })));
        }
        Ok(out)
    }
}

impl DutyDepartmentsLoader {
    async fn fetch(&self, keys: &[i32]) -> Result<HashMap<i32, Vec<department::Model>>, ApiError> {
        Ok(duty_departments(&self.db, &Duties::Ids(keys.to_vec())).await?)
    }
}

impl ItemsLoader {
    async fn fetch(
        &self,
        keys: &[(i32, Party)],
    ) -> Result<HashMap<(i32, Party), Vec<responsibility_item::Model>>, ApiError> {
        let duties = Duties::Ids(keys.iter().map(|k| k.0).collect());
        let wanted = ItemsWanted {
            department: keys.iter().any(|k| k.1 == Party::Department),
            town: keys.iter().any(|k| k.1 == Party::Town),
            ..ItemsWanted::default()
        };
        Ok(items(&self.db, &duties, &wanted).await?.by_column)
    }
}

impl ItemDepartmentsLoader {
    async fn fetch(&self, keys: &[i32]) -> Result<HashMap<i32, Vec<department::Model>>, ApiError> {
        let rows = item_department::Entity::find()
            .find_also_related(department::Entity)
            .filter(item_department::Column::ItemId.is_in(keys.iter().copied()))
            .order_by_asc(item_department::Column::ItemId)
            .order_by_asc(item_department::Column::Position)
            .all(&self.db)
            .await?;
        Ok(grouped(
            rows.into_iter()
                .filter_map(|(link, d)| Some((link.item_id, d?))),
        ))
    }
}

impl AttributedItemsLoader {
    async fn fetch(
        &self,
        keys: &[(i32, i32)],
    ) -> Result<HashMap<(i32, i32), Vec<responsibility_item::Model>>, ApiError> {
        let duties: Vec<i32> = keys.iter().map(|k| k.0).collect();
        let departments: Vec<i32> = keys.iter().map(|k| k.1).collect();
        let rows = responsibility_item::Entity::find()
            .find_also_related(item_department::Entity)
            .filter(responsibility_item::Column::DutyId.is_in(duties))
            .filter(responsibility_item::Column::Party.eq(Party::Department))
            .filter(item_department::Column::DepartmentId.is_in(departments))
            .order_by_asc(responsibility_item::Column::DutyId)
            .order_by_asc(responsibility_item::Column::Position)
            .all(&self.db)
            .await?;
        Ok(grouped(rows.into_iter().filter_map(|(item, link)| {
            Some(((item.duty_id, link?.department_id), item))
        })))
    }
}

// ---------------------------------------------------------------------------
// Joined fetches for resolvers that prefetch.

/// Add every column of `E` to `query` as `{prefix}{column}`, the way sea-orm
/// names a joined model's columns, so [`FromQueryResult`] can read it back.
pub(crate) fn also_select<E: EntityTrait, Q: QuerySelect>(mut query: Q, prefix: &str) -> Q {
    for column in E::Column::iter() {
        query.query().expr_as(
            Expr::col((E::default(), column)),
            Alias::new(format!("{prefix}{}", column.as_str())),
        );
    }
    query
}

/// Run a select built with sea-orm whose rows a caller decodes itself (it joins
/// more models than sea-orm's select types hold, or adds computed columns).
pub(crate) async fn rows<E: EntityTrait>(
    db: &DatabaseConnection,
    query: Select<E>,
) -> Result<Vec<QueryResult>, DbErr> {
    use sea_orm::ConnectionTrait;
    db.query_all(&query.into_query()).await
}

/// Which duties a joined fetch covers.
#[derive(Clone, Debug)]
pub(crate) enum Duties {
    /// These duties.
    Ids(Vec<i32>),
    /// Every duty linked (as counterpart or receiver) to one of these
    /// departments, in one list or in all: a subquery, so the fetch need not
    /// wait for the statement that lists them.
    LinkedTo {
        /// The departments.
        departments: Vec<i32>,
        /// The list, or `None` for every list.
        list: Option<i32>,
    },
}

impl Duties {
    /// `column IN (…)`: `column`, a duty id, is one of these duties.
    fn contain(&self, column: impl IntoColumnRef) -> Expr {
        match self {
            Duties::Ids(ids) => Expr::col(column).is_in(ids.iter().copied()),
            Duties::LinkedTo { departments, list } => {
                let mut linked = SqlQuery::select();
                linked
                    .column((duty_department::Entity, duty_department::Column::DutyId))
                    .from(duty_department::Entity)
                    .and_where(
                        Expr::col((
                            duty_department::Entity,
                            duty_department::Column::DepartmentId,
                        ))
                        .is_in(departments.iter().copied()),
                    );
                if let Some(list) = list {
                    linked
                        .inner_join(
                            duty::Entity,
                            Expr::col((duty::Entity, duty::Column::Id))
                                .equals((duty_department::Entity, duty_department::Column::DutyId)),
                        )
                        .and_where(Expr::col((duty::Entity, duty::Column::ListId)).eq(*list));
                }
                Expr::col(column).in_subquery(linked.to_owned())
            }
        }
    }
}

/// The departments of duties in document order, by duty id (one statement).
async fn duty_departments(
    db: &DatabaseConnection,
    duties: &Duties,
) -> Result<HashMap<i32, Vec<department::Model>>, DbErr> {
    let rows = duty_department::Entity::find()
        .find_also_related(department::Entity)
        .filter(duties.contain((duty_department::Entity, duty_department::Column::DutyId)))
        .order_by_asc(duty_department::Column::DutyId)
        .order_by_asc(duty_department::Column::Position)
        .all(db)
        .await?;
    Ok(grouped(
        rows.into_iter()
            .filter_map(|(link, d)| Some((link.duty_id, d?))),
    ))
}

/// Which items [`items`] fetches, and what with.
#[derive(Clone, Debug, Default)]
struct ItemsWanted {
    /// The whole department column.
    department: bool,
    /// The whole town column.
    town: bool,
    /// The department-side items attributed to these departments (when the whole
    /// column is not wanted, only these are fetched).
    attributed_to: Vec<i32>,
    /// All the departments of each department-side item fetched.
    departments: bool,
}

/// Items of some duties, with the departments they are attributed to.
#[derive(Default)]
struct Items {
    /// The items by (duty id, column), each column in order.
    by_column: HashMap<(i32, Party), Vec<responsibility_item::Model>>,
    /// The ids of the departments each department-side item is attributed to, in
    /// order, by item id: all of them with `departments`, else those of
    /// `attributed_to`.
    attributed: HashMap<i32, Vec<i32>>,
    /// All the departments each department-side item is attributed to, by item
    /// id (with `departments`).
    departments: HashMap<i32, Vec<department::Model>>,
}

/// The items of `duties` that `wanted` asks for, in one statement, their
/// attributions joined in. A column nobody asks for in full is not read: of the
/// department column, only the items of the departments asked about.
async fn items(
    db: &DatabaseConnection,
    duties: &Duties,
    wanted: &ItemsWanted,
) -> Result<Items, DbErr> {
    use responsibility_item::Column as Item;
    // Which rows: both columns in full need no condition.
    let parties = (!(wanted.town && wanted.department)).then(|| {
        let mut parties = Condition::any();
        if wanted.town {
            parties = parties.add(Item::Party.eq(Party::Town));
        }
        if wanted.department {
            parties = parties.add(Item::Party.eq(Party::Department));
        } else if !wanted.attributed_to.is_empty() {
            parties = parties.add(
                Item::Id.in_subquery(
                    SqlQuery::select()
                        .column(item_department::Column::ItemId)
                        .from(item_department::Entity)
                        .and_where(
                            item_department::Column::DepartmentId
                                .is_in(wanted.attributed_to.iter().copied()),
                        )
                        .to_owned(),
                ),
            );
        }
        parties
    });
    let mut query = responsibility_item::Entity::find()
        .filter(duties.contain((responsibility_item::Entity, Item::DutyId)))
        .order_by_asc(Item::DutyId)
        .order_by_asc(Item::Party)
        .order_by_asc(Item::Position);
    if let Some(parties) = parties {
        query = query.filter(parties);
    }
    let join = wanted.departments || !wanted.attributed_to.is_empty();
    if join {
        let mut link = responsibility_item::Relation::ItemDepartment.def();
        if !wanted.departments {
            // Only the attributions asked about: one row per item and such department.
            let scope = wanted.attributed_to.clone();
            link = link.on_condition(move |_, attribution| {
                Condition::all().add(
                    Expr::col((attribution, item_department::Column::DepartmentId))
                        .is_in(scope.iter().copied()),
                )
            });
        }
        query = query
            .join(JoinType::LeftJoin, link)
            .column_as(
                Expr::col((
                    item_department::Entity,
                    item_department::Column::DepartmentId,
                )),
                "attributed_to",
            )
            .order_by_asc(item_department::Column::Position);
        if wanted.departments {
            query = also_select::<department::Entity, _>(
                query.join(
                    JoinType::LeftJoin,
                    item_department::Relation::Department.def(),
                ),
                "d_",
            );
        }
    }
    let mut out = Items::default();
    // An item with several attributions comes in several consecutive rows.
    let mut last = None;
    for row in rows(db, query).await? {
        let id: i32 = row.try_get("", "id")?;
        if last != Some(id) {
            let item = responsibility_item::Model::from_query_result(&row, "")?;
            out.by_column
                .entry((item.duty_id, item.party))
                .or_default()
                .push(item);
            last = Some(id);
        }
        if !join {
            continue;
        }
        if let Some(department) = row.try_get::<Option<i32>>("", "attributed_to")? {
            out.attributed.entry(id).or_default().push(department);
        }
        if wanted.departments
            && let Some(model) = department::Model::from_query_result_optional(&row, "d_")?
        {
            out.departments.entry(id).or_default().push(model);
        }
    }
    Ok(out)
}

/// What a selection asks of a set of duties besides their own columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Needs {
    /// Their categories.
    pub category: bool,
    /// Their departments.
    pub departments: bool,
    /// Their department columns.
    pub department_items: bool,
    /// Their town columns.
    pub town_items: bool,
    /// The departments their items are attributed to.
    pub item_departments: bool,
    /// The department-side items attributed to the departments the caller passes
    /// to [`related`] (a cooperation's `departmentItems`).
    pub attributed_items: bool,
}

impl Needs {
    /// Whether any items are asked for.
    fn items(&self) -> bool {
        self.department_items || self.town_items || self.attributed_items
    }

    /// Whether anything [`related`] fetches is asked for.
    pub(crate) fn related(&self) -> bool {
        self.departments || self.items()
    }
}

impl BitOr for Needs {
    type Output = Needs;

    fn bitor(self, other: Needs) -> Needs {
        Needs {
            category: self.category || other.category,
            departments: self.departments || other.departments,
            department_items: self.department_items || other.department_items,
            town_items: self.town_items || other.town_items,
            item_departments: self.item_departments || other.item_departments,
            attributed_items: self.attributed_items || other.attributed_items,
        }
    }
}

/// What [`related`] fetched: departments and items of some duties.
#[derive(Default)]
pub(crate) struct Related {
    needs: Needs,
    departments: Option<HashMap<i32, Vec<department::Model>>>,
    items: Option<Items>,
}

/// The departments and the items of `duties` that `needs` asks for (items
/// attributed to `attributed_to`, if it asks for those): one statement each,
/// run concurrently. `needs.category` is the caller's: it joins categories into
/// its own statement.
pub(crate) async fn related(
    db: &DatabaseConnection,
    duties: &Duties,
    needs: Needs,
    attributed_to: &[i32],
) -> Result<Related, DbErr> {
    let departments = async {
        if needs.departments {
            duty_departments(db, duties).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let wanted = ItemsWanted {
        department: needs.department_items,
        town: needs.town_items,
        attributed_to: if needs.attributed_items {
            attributed_to.to_vec()
        } else {
            Vec::new()
        },
        departments: needs.item_departments,
    };
    let items = async {
        if needs.items() {
            items(db, duties, &wanted).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (departments, items) = futures_util::future::try_join(departments, items).await?;
    Ok(Related {
        needs,
        departments,
        items,
    })
}

impl Related {
    /// Seed the loaders with what was fetched for `duties` — each of them, so a
    /// duty without rows needs no statement either — and, for each (duty,
    /// department) of `attributed`, the duty's items attributed to the department.
    pub(crate) fn seed(self, ctx: &Context<'_>, duties: &[i32], attributed: &[(i32, i32)]) {
        let needs = self.needs;
        if let Some(mut departments) = self.departments {
            seed::<DutyDepartmentsLoader, _>(
                ctx,
                duties
                    .iter()
                    .map(|&d| (d, departments.remove(&d).unwrap_or_default())),
            );
        }
        let Some(mut items) = self.items else {
            return;
        };
        if needs.attributed_items {
            let of = |duty: i32, department: i32| -> Vec<responsibility_item::Model> {
                items
                    .by_column
                    .get(&(duty, Party::Department))
                    .into_iter()
                    .flatten()
                    .filter(|i| {
                        items
                            .attributed
                            .get(&i.id)
                            .is_some_and(|a| a.contains(&department))
                    })
                    .cloned()
                    .collect()
            };
            seed::<AttributedItemsLoader, _>(
                ctx,
                attributed.iter().map(|&(d, dep)| ((d, dep), of(d, dep))),
            );
        }
        if needs.item_departments {
            let fetched: Vec<i32> = items.by_column.values().flatten().map(|i| i.id).collect();
            seed::<ItemDepartmentsLoader, _>(
                ctx,
                fetched
                    .into_iter()
                    .map(|i| (i, items.departments.remove(&i).unwrap_or_default())),
            );
        }
        // Only a column fetched in full is complete.
        for (party, fetched) in [
            (Party::Department, needs.department_items),
            (Party::Town, needs.town_items),
        ] {
            if fetched {
                seed::<ItemsLoader, _>(
                    ctx,
                    duties.iter().map(|&d| {
                        let column = items.by_column.remove(&(d, party)).unwrap_or_default();
                        ((d, party), column)
                    }),
                );
            }
        }
    }
}

/// The duties of some kinds linked to some departments, from [`duties_linked_to`].
#[derive(Default)]
pub(crate) struct LinkedDuties {
    /// The duties in (list, kind, sequence number) order, each with the ids of
    /// all its departments, in document order.
    pub duties: Vec<(duty::Model, Vec<i32>)>,
    /// Their categories (when asked for), by id.
    pub categories: HashMap<i32, category::Model>,
    /// All their departments (when asked for), in document order, by duty id.
    pub departments: Option<HashMap<i32, Vec<department::Model>>>,
}

/// The duties of `kinds` linked to any of `departments`, each with all its
/// department links, and (as asked) their categories and departments: one
/// statement, one row per duty and department.
pub(crate) async fn duties_linked_to(
    db: &DatabaseConnection,
    departments: &[i32],
    list: Option<i32>,
    kinds: &[DutyKind],
    categories: bool,
    department_models: bool,
) -> Result<LinkedDuties, DbErr> {
    let mut query = duty::Entity::find()
        .join(JoinType::InnerJoin, duty::Relation::DutyDepartment.def())
        .column_as(
            Expr::col((
                duty_department::Entity,
                duty_department::Column::DepartmentId,
            )),
            "linked_to",
        )
        .filter(
            Duties::LinkedTo {
                departments: departments.to_vec(),
                list: None,
            }
            .contain((duty::Entity, duty::Column::Id)),
        )
        .filter(duty::Column::Kind.is_in(kinds.iter().copied()))
        .order_by_asc(duty::Column::ListId)
        .order_by_asc(duty::Column::Kind)
        .order_by_asc(duty::Column::Seq)
        .order_by_asc(duty_department::Column::Position);
    if let Some(list) = list {
        query = query.filter(duty::Column::ListId.eq(list));
    }
    if categories {
        query = also_select::<category::Entity, _>(
            query.join(JoinType::InnerJoin, duty::Relation::Category.def()),
            "c_",
        );
    }
    if department_models {
        query = also_select::<department::Entity, _>(
            query.join(
                JoinType::InnerJoin,
                duty_department::Relation::Department.def(),
            ),
            "d_",
        );
    }
    let mut out = LinkedDuties {
        departments: department_models.then(HashMap::new),
        ..LinkedDuties::default()
    };
    for row in rows(db, query).await? {
        let id: i32 = row.try_get("", "id")?;
        if out.duties.last().is_none_or(|(d, _)| d.id != id) {
            out.duties
                .push((duty::Model::from_query_result(&row, "")?, Vec::new()));
            if categories {
                let category = category::Model::from_query_result(&row, "c_")?;
                out.categories.insert(category.id, category);
            }
        }
        if let Some((_, links)) = out.duties.last_mut() {
            links.push(row.try_get("", "linked_to")?);
        }
        if let Some(models) = &mut out.departments {
            models
                .entry(id)
                .or_default()
                .push(department::Model::from_query_result(&row, "d_")?);
        }
    }
    Ok(out)
}
