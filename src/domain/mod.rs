//! The domain layer: plain functions over `&impl ConnectionTrait` that answer one
//! question each, with one rule each, for every caller — GraphQL resolvers, the
//! command line and export are thin callers of it.
//!
//! - [`list`]: lists, the lists a town's name denotes (newest first), and how
//!   each adds up per kind.
//! - [`duty`]: pages of duties, duties by id, their departments and items with
//!   their attributions, fetched in joined statements for look-ahead.
//! - [`department`]: finding a department by its name or an alias, within a county
//!   or the county of a list; departments' aliases, counts and duties.
//! - [`category`]: categories with their duty counts.
//! - [`edition`]: a town's editions and the current one, a duty's versions by
//!   lineage, a stored edition as duty versions, and the diff of two editions.
//! - [`scope`]: which editions a read sees — current, as of a day, or one list.
//! - [`in_one_county`]: the rule for any name that several counties may share.
//! - [`by_ids`]: rows of any table keyed by an integer id.
//! - [`Complete`]: values read in full for their keys — the only values the
//!   GraphQL layer may seed its loaders with.
//! - [`search`]: duties by word, as ranked hits, through the index of [`crate::search`].
//! - [`adjustment`]: adjustment requests, their approval, and publishing
//!   approved ones as the next edition.
//! - [`audit`]: appending to and reading the audit log.
//! - [`event`]: the outbox: every change's event, numbered without gaps.
//! - [`webhook`]: webhook subscriptions, and the state of their deliveries
//!   (claims, attempts, dead letters) for the delivery worker.
//! - [`stats`]: duty counts by any dimensions, workloads and the department network.

pub mod adjustment;
pub mod audit;
pub mod category;
pub mod department;
pub mod duty;
pub mod edition;
pub mod event;
pub mod list;
pub mod scope;
pub mod search;
pub mod stats;
pub mod webhook;

use std::collections::HashMap;
use std::hash::Hash;

use entity::{
    category as category_table, county, department as department_table, duty as duty_table,
    duty_list,
};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IdenStatic, Iterable, QueryFilter,
    QueryResult, QuerySelect, QueryTrait, Select,
};

/// Things of several counties that a name matched when it should match one.
#[derive(Debug)]
pub struct Ambiguous<T>(pub Vec<(T, county::Model)>);

/// Narrow `found` — things a name matched, each with its county — to `county`
/// when it is given; things of several counties left are [`Ambiguous`]. The one
/// rule for names counties share: departments, and towns' lists.
pub fn in_one_county<T>(
    mut found: Vec<(T, county::Model)>,
    county: Option<&str>,
) -> Result<Vec<(T, county::Model)>, Ambiguous<T>> {
    if let Some(county) = county {
        let county = county.trim();
        found.retain(|(_, c)| c.name == county);
    }
    let first = found.first().map(|(_, c)| c.id);
    if found.iter().any(|(_, c)| Some(c.id) != first) {
        return Err(Ambiguous(found));
    }
    Ok(found)
}

/// The values of some keys, each read in full: every row the database holds
/// for the key, an empty value where it holds none. Only the domain's reads
/// build one, so a value seeded ahead into a cache (the GraphQL loaders) is
/// what a later read of its key would return — never a column read in part.
#[derive(Debug)]
pub struct Complete<K, V>(HashMap<K, V>);

impl<K: Hash + Eq, V: Default> Complete<K, V> {
    /// `values` for `keys`, the default (empty) value for keys without any.
    fn for_keys(keys: impl IntoIterator<Item = K>, mut values: HashMap<K, V>) -> Self {
        Complete(
            keys.into_iter()
                .map(|k| {
                    let v = values.remove(&k).unwrap_or_default();
                    (k, v)
                })
                .collect(),
        )
    }
}

impl<K, V> Complete<K, V> {
    /// The values by key.
    pub fn into_map(self) -> HashMap<K, V> {
        self.0
    }

    /// The values by key, borrowed.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter()
    }
}

impl<K, V> IntoIterator for Complete<K, V> {
    type Item = (K, V);
    type IntoIter = std::collections::hash_map::IntoIter<K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A table whose rows are found by an integer id.
pub trait Keyed: EntityTrait<Model: Clone + Send + Sync> {
    /// The id column.
    fn key_column() -> Self::Column;
    /// A row's id.
    fn key(model: &Self::Model) -> i32;
}

macro_rules! keyed {
    ($($table:ident),*) => {$(
        impl Keyed for $table::Entity {
            fn key_column() -> Self::Column {
                $table::Column::Id
            }

            fn key(model: &Self::Model) -> i32 {
                model.id
            }
        }
    )*};
}

keyed!(
    duty_list,
    county,
    duty_table,
    category_table,
    department_table
);

/// The rows of table `E` with ids `ids`, by id (one statement).
pub async fn by_ids<E: Keyed>(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, E::Model>, DbErr> {
    let rows = E::find()
        .filter(E::key_column().is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|m| (E::key(&m), m)).collect())
}

/// Group `rows` by their keys, in order.
fn grouped<K: Hash + Eq, V>(rows: impl IntoIterator<Item = (K, V)>) -> HashMap<K, Vec<V>> {
    let mut out: HashMap<K, Vec<V>> = HashMap::new();
    for (k, v) in rows {
        out.entry(k).or_default().push(v);
    }
    out
}

/// Add every column of `E` to `query` as `{prefix}{column}`, the way sea-orm
/// names a joined model's columns, so `FromQueryResult` can read it back.
fn also_select<E: EntityTrait, Q: QuerySelect>(mut query: Q, prefix: &str) -> Q {
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
async fn rows<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all(&query.into_query()).await
}
