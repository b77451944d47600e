//! DataLoaders: a nested field of many parents loads in one batched query, so the
//! number of SQL statements of a request does not grow with its rows.

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::dataloader::Loader;
use entity::{
    DutyKind, Party, category, county, department, department_alias, duty, duty_department,
    duty_list, item_department, responsibility_item, stated_count,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};

use super::batch::Queue;
use super::list::KindSummary;
use crate::error::ApiError;

/// Give a request its own DataLoaders over `db`; their fetches go to `queue`
/// (see [`super::batch`]).
pub fn attach(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    queue: &Queue,
) -> async_graphql::Request {
    use async_graphql::dataloader::DataLoader;
    let db = || Db(db.clone());
    let spawn = || {
        let queue = queue.clone();
        move |fetch| queue.push(fetch)
    };
    request
        .data(DataLoader::new(SummaryLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(ListLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(CountyLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(DutyLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(CategoryLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(CategoryCountLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(DepartmentLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(AliasLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(DepartmentCountLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(DepartmentDutiesLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(DutyDepartmentsLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(ItemsLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(ItemDepartmentsLoader(db()), spawn()).delay(Duration::ZERO))
        .data(DataLoader::new(AttributedItemsLoader(db()), spawn()).delay(Duration::ZERO))
}

/// The connection a loader queries.
pub struct Db(pub DatabaseConnection);

macro_rules! loader {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(pub Db);
    };
}

loader!(
    /// Per-kind counts of lists, parsed and stated, by list id (three GROUP BY queries).
    SummaryLoader
);
loader!(
    /// Lists by id.
    ListLoader
);
loader!(
    /// Counties by id.
    CountyLoader
);
loader!(
    /// Duties by id.
    DutyLoader
);
loader!(
    /// Categories by id.
    CategoryLoader
);
loader!(
    /// Duties per category under a kind and list filter (GROUP BY).
    CategoryCountLoader
);
loader!(
    /// Departments by id.
    DepartmentLoader
);
loader!(
    /// The aliases of departments, by department id.
    AliasLoader
);
loader!(
    /// Cooperative and reclaimed duty counts per department (GROUP BY).
    DepartmentCountLoader
);
loader!(
    /// The duties of a kind a department is linked to, by (department, kind).
    DepartmentDutiesLoader
);
loader!(
    /// The departments of duties, in document order, by duty id.
    DutyDepartmentsLoader
);
loader!(
    /// The responsibility items of duties, in order, by duty id.
    ItemsLoader
);
loader!(
    /// The departments department-side items are attributed to, by item id.
    ItemDepartmentsLoader
);
loader!(
    /// The department-side items of a duty attributed to a department, by (duty, department).
    AttributedItemsLoader
);

fn by_id<M: Clone>(rows: Vec<M>, id: impl Fn(&M) -> i32) -> HashMap<i32, M> {
    rows.into_iter().map(|m| (id(&m), m)).collect()
}

fn grouped<K: std::hash::Hash + Eq, V>(
    rows: impl IntoIterator<Item = (K, V)>,
) -> HashMap<K, Vec<V>> {
    let mut out: HashMap<K, Vec<V>> = HashMap::new();
    for (k, v) in rows {
        out.entry(k).or_default().push(v);
    }
    out
}

impl Loader<i32> for SummaryLoader {
    type Value = Vec<KindSummary>;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let db = &self.0.0;
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

impl Loader<i32> for ListLoader {
    type Value = duty_list::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = duty_list::Entity::find()
            .filter(duty_list::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0.0)
            .await?;
        Ok(by_id(rows, |m| m.id))
    }
}

impl Loader<i32> for CountyLoader {
    type Value = county::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = county::Entity::find()
            .filter(county::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0.0)
            .await?;
        Ok(by_id(rows, |m| m.id))
    }
}

impl Loader<i32> for DutyLoader {
    type Value = duty::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = duty::Entity::find()
            .filter(duty::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0.0)
            .await?;
        Ok(by_id(rows, |m| m.id))
    }
}

impl Loader<i32> for CategoryLoader {
    type Value = category::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = category::Entity::find()
            .filter(category::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0.0)
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

impl Loader<CategoryCountKey> for CategoryCountLoader {
    type Value = i32;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[CategoryCountKey],
    ) -> Result<HashMap<CategoryCountKey, i32>, Self::Error> {
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
                .all(&self.0.0)
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

impl Loader<i32> for DepartmentLoader {
    type Value = department::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = department::Entity::find()
            .filter(department::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0.0)
            .await?;
        Ok(by_id(rows, |m| m.id))
    }
}

impl Loader<i32> for AliasLoader {
    type Value = Vec<String>;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = department_alias::Entity::find()
            .filter(department_alias::Column::DepartmentId.is_in(keys.iter().copied()))
            .order_by_asc(department_alias::Column::Alias)
            .all(&self.0.0)
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

impl Loader<i32> for DepartmentCountLoader {
    type Value = DepartmentCounts;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
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
            .all(&self.0.0)
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

impl Loader<(i32, DutyKind)> for DepartmentDutiesLoader {
    type Value = Vec<duty::Model>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[(i32, DutyKind)],
    ) -> Result<HashMap<(i32, DutyKind), Self::Value>, Self::Error> {
        let departments: Vec<i32> = keys.iter().map(|k| k.0).collect();
        let kinds: Vec<DutyKind> = keys.iter().map(|k| k.1).collect();
        let rows = duty::Entity::find()
            .find_also_related(duty_department::Entity)
            .filter(duty_department::Column::DepartmentId.is_in(departments))
            .filter(duty::Column::Kind.is_in(kinds))
            .order_by_asc(duty::Column::ListId)
            .order_by_asc(duty::Column::Kind)
            .order_by_asc(duty::Column::Seq)
            .all(&self.0.0)
            .await?;
        Ok(grouped(rows.into_iter().filter_map(|(d, link)| {
            Some(((link?.department_id, d.kind), d))
        })))
    }
}

impl Loader<i32> for DutyDepartmentsLoader {
    type Value = Vec<department::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = duty_department::Entity::find()
            .find_also_related(department::Entity)
            .filter(duty_department::Column::DutyId.is_in(keys.iter().copied()))
            .order_by_asc(duty_department::Column::DutyId)
            .order_by_asc(duty_department::Column::Position)
            .all(&self.0.0)
            .await?;
        Ok(grouped(
            rows.into_iter()
                .filter_map(|(link, d)| Some((link.duty_id, d?))),
        ))
    }
}

impl Loader<i32> for ItemsLoader {
    type Value = Vec<responsibility_item::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = responsibility_item::Entity::find()
            .filter(responsibility_item::Column::DutyId.is_in(keys.iter().copied()))
            .order_by_asc(responsibility_item::Column::DutyId)
            .order_by_asc(responsibility_item::Column::Party)
            .order_by_asc(responsibility_item::Column::Position)
            .all(&self.0.0)
            .await?;
        Ok(grouped(rows.into_iter().map(|i| (i.duty_id, i))))
    }
}

impl Loader<i32> for ItemDepartmentsLoader {
    type Value = Vec<department::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = item_department::Entity::find()
            .find_also_related(department::Entity)
            .filter(item_department::Column::ItemId.is_in(keys.iter().copied()))
            .order_by_asc(item_department::Column::ItemId)
            .order_by_asc(item_department::Column::Position)
            .all(&self.0.0)
            .await?;
        Ok(grouped(
            rows.into_iter()
                .filter_map(|(link, d)| Some((link.item_id, d?))),
        ))
    }
}

impl Loader<(i32, i32)> for AttributedItemsLoader {
    type Value = Vec<responsibility_item::Model>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[(i32, i32)],
    ) -> Result<HashMap<(i32, i32), Self::Value>, Self::Error> {
        let duties: Vec<i32> = keys.iter().map(|k| k.0).collect();
        let departments: Vec<i32> = keys.iter().map(|k| k.1).collect();
        let rows = responsibility_item::Entity::find()
            .find_also_related(item_department::Entity)
            .filter(responsibility_item::Column::DutyId.is_in(duties))
            .filter(responsibility_item::Column::Party.eq(Party::Department))
            .filter(item_department::Column::DepartmentId.is_in(departments))
            .order_by_asc(responsibility_item::Column::DutyId)
            .order_by_asc(responsibility_item::Column::Position)
            .all(&self.0.0)
            .await?;
        Ok(grouped(rows.into_iter().filter_map(|(item, link)| {
            Some(((item.duty_id, link?.department_id), item))
        })))
    }
}
