//! Analytics for analysts: duty counts grouped by any dimensions (GROUP BY in
//! SQL), each department's workload and the split of work with the town, the
//! network of departments that share duties, and the town's workload per category.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, SimpleObject};
use entity::{duty, duty_department, item_department, responsibility_item};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query as SqlQuery, SelectStatement};
use sea_orm::{
    ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};

use super::category::Category;
use super::department::Department;
use super::duty::{DutyFilter, condition};
use super::list::{DutyKind, DutyList};
use super::loaders::{CategoryLoader, CountyLoader, DepartmentLoader, ListLoader};
use super::{conn, id, load_many};
use crate::error::{ApiError, ApiResult, db};

/// A dimension `dutyStats` can group by.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatDimension {
    /// By category (事项类别).
    Category,
    /// By table: basic, cooperative, reclaimed.
    Kind,
    /// By counterpart or receiving department; basic duties, which have none,
    /// form a group without a department.
    Department,
    /// By list.
    List,
}

/// One group of `dutyStats`: the values of the grouped dimensions (null for the
/// others) and how many duties the group holds.
pub struct DutyStat {
    category: Option<i32>,
    kind: Option<entity::DutyKind>,
    department: Option<i32>,
    list: Option<i32>,
    duty_count: i32,
}

/// One group of `dutyStats`: the values of the grouped dimensions (null for
/// dimensions not grouped by) and how many duties the group holds.
#[Object]
impl DutyStat {
    /// The category, when grouped by `CATEGORY`.
    async fn category(&self, ctx: &Context<'_>) -> ApiResult<Option<Category>> {
        let Some(key) = self.category else {
            return Ok(None);
        };
        Ok(load_many::<CategoryLoader, _>(ctx, [key])
            .await?
            .remove(&key)
            .map(Category::new))
    }

    /// The table, when grouped by `KIND`.
    async fn kind(&self) -> Option<DutyKind> {
        self.kind.map(Into::into)
    }

    /// The department, when grouped by `DEPARTMENT` (null for the group of duties
    /// without departments).
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        let Some(key) = self.department else {
            return Ok(None);
        };
        Ok(load_many::<DepartmentLoader, _>(ctx, [key])
            .await?
            .remove(&key)
            .map(Department))
    }

    /// The list, when grouped by `LIST`.
    async fn list(&self, ctx: &Context<'_>) -> ApiResult<Option<DutyList>> {
        let Some(key) = self.list else {
            return Ok(None);
        };
        let Some(list) = load_many::<ListLoader, _>(ctx, [key]).await?.remove(&key) else {
            return Ok(None);
        };
        let county = load_many::<CountyLoader, _>(ctx, [list.county_id])
            .await?
            .remove(&list.county_id);
        Ok(county.map(|c| DutyList::new(list, c)))
    }

    /// Number of distinct duties in the group.
    async fn duty_count(&self) -> i32 {
        self.duty_count
    }
}

#[derive(FromQueryResult)]
struct StatRow {
    category_id: Option<i32>,
    kind: Option<String>,
    department_id: Option<i32>,
    list_id: Option<i32>,
    duties: i64,
}

/// A department's share of the cooperative work, beside the town's.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct DepartmentWorkload {
    #[graphql(skip)]
    department_id: i32,
    /// Cooperative duties it is a counterpart of.
    pub cooperative_duties: i32,
    /// Reclaimed duties it receives.
    pub reclaimed_duties: i32,
    /// Department-side items attributed to it.
    pub department_items: i32,
    /// Town-side items of the cooperative duties it is a counterpart of.
    pub town_items: i32,
    /// `townItems / (departmentItems + townItems)`: the town's share of the work in
    /// this department's cooperations (0 when there are no items).
    pub town_share: f64,
}

#[async_graphql::ComplexObject]
impl DepartmentWorkload {
    /// The department.
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        Ok(load_many::<DepartmentLoader, _>(ctx, [self.department_id])
            .await?
            .remove(&self.department_id)
            .map(Department))
    }
}

/// How `departmentWorkloads` ranks departments (largest first, then by name).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WorkloadOrder {
    /// By cooperative duties.
    #[default]
    CooperativeDuties,
    /// By reclaimed duties.
    ReclaimedDuties,
    /// By department-side items.
    DepartmentItems,
    /// By town-side items of its cooperations.
    TownItems,
    /// By the town's share of the work.
    TownShare,
}

/// A department in the network of shared cooperative duties.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct NetworkNode {
    #[graphql(skip)]
    department_id: i32,
    /// Weight: the cooperative duties it is a counterpart of.
    pub weight: i32,
}

#[async_graphql::ComplexObject]
impl NetworkNode {
    /// The department.
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        Ok(load_many::<DepartmentLoader, _>(ctx, [self.department_id])
            .await?
            .remove(&self.department_id)
            .map(Department))
    }
}

/// Two departments that are counterparts of the same cooperative duties.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct NetworkEdge {
    #[graphql(skip)]
    source_id: i32,
    #[graphql(skip)]
    target_id: i32,
    /// Weight: how many cooperative duties they share.
    pub weight: i32,
    /// The IDs of the duties they share.
    pub duty_ids: Vec<ID>,
}

#[async_graphql::ComplexObject]
impl NetworkEdge {
    /// One department of the pair (the one with the smaller key).
    async fn source(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        Ok(load_many::<DepartmentLoader, _>(ctx, [self.source_id])
            .await?
            .remove(&self.source_id)
            .map(Department))
    }

    /// The other department of the pair.
    async fn target(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        Ok(load_many::<DepartmentLoader, _>(ctx, [self.target_id])
            .await?
            .remove(&self.target_id)
            .map(Department))
    }
}

/// Departments and the duties they share, ready for a network chart.
#[derive(SimpleObject)]
pub struct DepartmentNetwork {
    /// Every department with a cooperative duty in the list.
    pub nodes: Vec<NetworkNode>,
    /// Every pair of departments that share a cooperative duty, heaviest first.
    pub edges: Vec<NetworkEdge>,
}

/// The town's work in one category.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CategoryWorkload {
    #[graphql(skip)]
    category_id: i32,
    /// Basic duties (the town's alone) in the category.
    pub basic_duties: i32,
    /// Cooperative duties in the category.
    pub cooperative_duties: i32,
    /// Town-side items of the category's cooperative duties.
    pub town_items: i32,
}

#[async_graphql::ComplexObject]
impl CategoryWorkload {
    /// The category.
    async fn category(&self, ctx: &Context<'_>) -> ApiResult<Option<Category>> {
        Ok(load_many::<CategoryLoader, _>(ctx, [self.category_id])
            .await?
            .remove(&self.category_id)
            .map(Category::new))
    }
}

/// Run a sea-query SELECT and read rows of (i32, i32, i64) from columns `a`, `b`, `n`.
async fn triples(
    ctx: &Context<'_>,
    statement: &SelectStatement,
) -> ApiResult<Vec<(i32, i32, i64)>> {
    let conn = conn(ctx);
    let rows = db(conn.query_all(statement).await)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<i32>("", "a")?,
                r.try_get::<i32>("", "b")?,
                // COUNT is BIGINT, ids and MIN(id) INTEGER on PostgreSQL.
                r.try_get::<i64>("", "n")
                    .or_else(|_| r.try_get::<i32>("", "n").map(i64::from))?,
            ))
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()
        .map_err(|e| ApiError::from(e).extend())
}

fn list_key(list_id: &Option<ID>) -> ApiResult<Option<i32>> {
    list_id
        .as_ref()
        .map(|l| id::decode(l, "DutyList"))
        .transpose()
}

/// Analytics queries.
#[derive(Default)]
pub struct StatsQuery;

/// Analytics queries.
#[Object]
impl StatsQuery {
    /// Duty counts grouped by the given dimensions (GROUP BY in the database),
    /// largest group first. A duty with several departments counts once in each
    /// of its departments' groups.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn duty_stats(
        &self,
        ctx: &Context<'_>,
        group_by: Vec<StatDimension>,
        filter: Option<DutyFilter>,
    ) -> ApiResult<Vec<DutyStat>> {
        if group_by.is_empty() {
            return Err(
                ApiError::BadUserInput("`groupBy` needs at least one dimension".into()).extend(),
            );
        }
        let filter = filter.unwrap_or_default();
        let has = |d: StatDimension| group_by.contains(&d);
        let null_int = || Expr::cust("CAST(NULL AS INTEGER)");
        let mut query = duty::Entity::find()
            .select_only()
            .filter(condition(ctx, &filter).await?);
        if has(StatDimension::Department) {
            query = query.join(JoinType::LeftJoin, duty::Relation::DutyDepartment.def());
        }
        let column = |on: bool, col: Expr| if on { col } else { null_int() };
        query = query
            .expr_as(
                column(
                    has(StatDimension::Category),
                    Expr::col((duty::Entity, duty::Column::CategoryId)),
                ),
                "category_id",
            )
            .expr_as(
                if has(StatDimension::Kind) {
                    Expr::col((duty::Entity, duty::Column::Kind))
                } else {
                    Expr::cust("CAST(NULL AS VARCHAR(16))")
                },
                "kind",
            )
            .expr_as(
                column(
                    has(StatDimension::Department),
                    Expr::col((
                        duty_department::Entity,
                        duty_department::Column::DepartmentId,
                    )),
                ),
                "department_id",
            )
            .expr_as(
                column(
                    has(StatDimension::List),
                    Expr::col((duty::Entity, duty::Column::ListId)),
                ),
                "list_id",
            )
            .expr_as(
                Expr::col((duty::Entity, duty::Column::Id)).count_distinct(),
                "duties",
            );
        if has(StatDimension::Category) {
            query = query.group_by(Expr::col((duty::Entity, duty::Column::CategoryId)));
        }
        if has(StatDimension::Kind) {
            query = query.group_by(Expr::col((duty::Entity, duty::Column::Kind)));
        }
        if has(StatDimension::Department) {
            query = query.group_by(Expr::col((
                duty_department::Entity,
                duty_department::Column::DepartmentId,
            )));
        }
        if has(StatDimension::List) {
            query = query.group_by(Expr::col((duty::Entity, duty::Column::ListId)));
        }
        let rows = db(query.into_model::<StatRow>().all(conn(ctx)).await)?;
        let mut stats: Vec<DutyStat> = rows
            .into_iter()
            .map(|r| DutyStat {
                category: r.category_id,
                kind: r.kind.as_deref().and_then(|k| match k {
                    "BASIC" => Some(entity::DutyKind::Basic),
                    "COOPERATIVE" => Some(entity::DutyKind::Cooperative),
                    "RECLAIMED" => Some(entity::DutyKind::Reclaimed),
                    _ => None,
                }),
                department: r.department_id,
                list: r.list_id,
                duty_count: r.duties as i32,
            })
            .collect();
        // Deterministic: largest first, then by the group's keys.
        stats.sort_by_key(|s| {
            (
                std::cmp::Reverse(s.duty_count),
                s.list,
                s.kind,
                s.category,
                s.department,
            )
        });
        super::within_ceiling(ctx, "dutyStats", stats)
    }

    /// Each department's workload — cooperative and reclaimed duties, its own
    /// items and the town's items in the same duties, and the town's share — ranked
    /// by `orderBy`, largest first.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn department_workloads(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
        #[graphql(default)] order_by: WorkloadOrder,
    ) -> ApiResult<Vec<DepartmentWorkload>> {
        let list = list_key(&list_id)?;
        let in_list = |q: &mut SelectStatement| {
            if let Some(list) = list {
                q.and_where(Expr::col((duty::Entity, duty::Column::ListId)).eq(list));
            }
        };
        // Duties per department and kind.
        let mut duties = SqlQuery::select();
        duties
            .expr_as(
                Expr::col((
                    duty_department::Entity,
                    duty_department::Column::DepartmentId,
                )),
                Alias::new("a"),
            )
            .expr_as(
                Expr::case(
                    Expr::col((duty::Entity, duty::Column::Kind)).eq("COOPERATIVE"),
                    1,
                )
                .finally(2),
                Alias::new("b"),
            )
            .expr_as(
                Expr::col((duty::Entity, duty::Column::Id)).count(),
                Alias::new("n"),
            )
            .from(duty_department::Entity)
            .inner_join(
                duty::Entity,
                Expr::col((duty::Entity, duty::Column::Id))
                    .equals((duty_department::Entity, duty_department::Column::DutyId)),
            )
            .add_group_by([Expr::col(Alias::new("a")), Expr::col(Alias::new("b"))]);
        in_list(&mut duties);
        // Items attributed to each department.
        let mut own = SqlQuery::select();
        own.expr_as(
            Expr::col((
                item_department::Entity,
                item_department::Column::DepartmentId,
            )),
            Alias::new("a"),
        )
        .expr_as(Expr::val(0), Alias::new("b"))
        .expr_as(
            Expr::col((item_department::Entity, item_department::Column::ItemId)).count(),
            Alias::new("n"),
        )
        .from(item_department::Entity)
        .inner_join(
            responsibility_item::Entity,
            Expr::col((responsibility_item::Entity, responsibility_item::Column::Id))
                .equals((item_department::Entity, item_department::Column::ItemId)),
        )
        .inner_join(
            duty::Entity,
            Expr::col((duty::Entity, duty::Column::Id)).equals((
                responsibility_item::Entity,
                responsibility_item::Column::DutyId,
            )),
        )
        .add_group_by([Expr::col(Alias::new("a"))]);
        in_list(&mut own);
        // Town items of each department's cooperative duties.
        let mut town = SqlQuery::select();
        town.expr_as(
            Expr::col((
                duty_department::Entity,
                duty_department::Column::DepartmentId,
            )),
            Alias::new("a"),
        )
        .expr_as(Expr::val(0), Alias::new("b"))
        .expr_as(
            Expr::col((responsibility_item::Entity, responsibility_item::Column::Id)).count(),
            Alias::new("n"),
        )
        .from(duty_department::Entity)
        .inner_join(
            duty::Entity,
            Expr::col((duty::Entity, duty::Column::Id))
                .equals((duty_department::Entity, duty_department::Column::DutyId)),
        )
        .inner_join(
            responsibility_item::Entity,
            Expr::col((
                responsibility_item::Entity,
                responsibility_item::Column::DutyId,
            ))
            .equals((duty::Entity, duty::Column::Id)),
        )
        .and_where(
            Expr::col((
                responsibility_item::Entity,
                responsibility_item::Column::Party,
            ))
            .eq("TOWN"),
        )
        .and_where(Expr::col((duty::Entity, duty::Column::Kind)).eq("COOPERATIVE"))
        .add_group_by([Expr::col(Alias::new("a"))]);
        in_list(&mut town);

        let mut by_department: BTreeMap<i32, DepartmentWorkload> = BTreeMap::new();
        for (department, kind, n) in triples(ctx, &duties).await? {
            let w = workload(&mut by_department, department);
            if kind == 1 {
                w.cooperative_duties = n as i32
            } else {
                w.reclaimed_duties = n as i32
            }
        }
        for (department, _, n) in triples(ctx, &own).await? {
            workload(&mut by_department, department).department_items = n as i32;
        }
        for (department, _, n) in triples(ctx, &town).await? {
            workload(&mut by_department, department).town_items = n as i32;
        }
        let names = load_many::<DepartmentLoader, _>(ctx, by_department.keys().copied()).await?;
        let mut workloads: Vec<DepartmentWorkload> = by_department
            .into_values()
            .map(|mut w| {
                let total = w.department_items + w.town_items;
                w.town_share = if total == 0 {
                    0.0
                } else {
                    f64::from(w.town_items) / f64::from(total)
                };
                w
            })
            .collect();
        let name = |w: &DepartmentWorkload| {
            names
                .get(&w.department_id)
                .map(|d| d.name.clone())
                .unwrap_or_default()
        };
        workloads.sort_by(|x, y| {
            let key = |w: &DepartmentWorkload| match order_by {
                WorkloadOrder::CooperativeDuties => f64::from(w.cooperative_duties),
                WorkloadOrder::ReclaimedDuties => f64::from(w.reclaimed_duties),
                WorkloadOrder::DepartmentItems => f64::from(w.department_items),
                WorkloadOrder::TownItems => f64::from(w.town_items),
                WorkloadOrder::TownShare => w.town_share,
            };
            key(y)
                .total_cmp(&key(x))
                .then_with(|| name(x).cmp(&name(y)))
        });
        super::within_ceiling(ctx, "departmentWorkloads", workloads)
    }

    /// The network of departments of a list: nodes weighted by cooperative duties,
    /// edges between departments that are counterparts of the same cooperative
    /// duties, weighted by how many they share.
    async fn department_network(
        &self,
        ctx: &Context<'_>,
        list_id: ID,
    ) -> ApiResult<DepartmentNetwork> {
        let list = id::decode(&list_id, "DutyList")?;
        let (a, b) = (Alias::new("a_dd"), Alias::new("b_dd"));
        let mut pairs = SqlQuery::select();
        pairs
            .expr_as(
                Expr::col((a.clone(), duty_department::Column::DepartmentId)),
                Alias::new("a"),
            )
            .expr_as(
                Expr::col((b.clone(), duty_department::Column::DepartmentId)),
                Alias::new("b"),
            )
            .expr_as(
                Expr::col((a.clone(), duty_department::Column::DutyId)),
                Alias::new("n"),
            )
            .from_as(duty_department::Entity, a.clone())
            .join_as(
                sea_orm::sea_query::JoinType::InnerJoin,
                duty_department::Entity,
                b.clone(),
                Expr::col((b.clone(), duty_department::Column::DutyId))
                    .equals((a.clone(), duty_department::Column::DutyId)),
            )
            .inner_join(
                duty::Entity,
                Expr::col((duty::Entity, duty::Column::Id))
                    .equals((a.clone(), duty_department::Column::DutyId)),
            )
            .and_where(Expr::col((duty::Entity, duty::Column::ListId)).eq(list))
            .and_where(Expr::col((duty::Entity, duty::Column::Kind)).eq("COOPERATIVE"))
            .and_where(
                Expr::col((a.clone(), duty_department::Column::DepartmentId)).lte(Expr::col((
                    b.clone(),
                    duty_department::Column::DepartmentId,
                ))),
            );
        let rows = triples(ctx, &pairs).await?;
        let mut nodes: BTreeMap<i32, i32> = BTreeMap::new();
        let mut edges: BTreeMap<(i32, i32), Vec<i64>> = BTreeMap::new();
        for (x, y, duty_id) in rows {
            if x == y {
                *nodes.entry(x).or_default() += 1;
            } else {
                edges.entry((x, y)).or_default().push(duty_id);
            }
        }
        let mut edges: Vec<NetworkEdge> = edges
            .into_iter()
            .map(|((source_id, target_id), mut duties)| {
                duties.sort_unstable();
                NetworkEdge {
                    source_id,
                    target_id,
                    weight: duties.len() as i32,
                    duty_ids: duties
                        .into_iter()
                        .map(|d| id::encode("Duty", d as i32))
                        .collect(),
                }
            })
            .collect();
        edges.sort_by_key(|e| (std::cmp::Reverse(e.weight), e.source_id, e.target_id));
        let mut nodes: Vec<NetworkNode> = nodes
            .into_iter()
            .map(|(department_id, weight)| NetworkNode {
                department_id,
                weight,
            })
            .collect();
        nodes.sort_by_key(|n| (std::cmp::Reverse(n.weight), n.department_id));
        Ok(DepartmentNetwork {
            nodes: super::within_ceiling(ctx, "departmentNetwork.nodes", nodes)?,
            edges: super::within_ceiling(ctx, "departmentNetwork.edges", edges)?,
        })
    }

    /// The town's workload per category: its basic duties, and its items in the
    /// category's cooperative duties; by category in order of first appearance.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn town_workload(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
    ) -> ApiResult<Vec<CategoryWorkload>> {
        let list = list_key(&list_id)?;
        let mut duties = SqlQuery::select();
        duties
            .expr_as(
                Expr::col((duty::Entity, duty::Column::CategoryId)),
                Alias::new("a"),
            )
            .expr_as(
                Expr::case(Expr::col((duty::Entity, duty::Column::Kind)).eq("BASIC"), 1).finally(2),
                Alias::new("b"),
            )
            .expr_as(
                Expr::col((duty::Entity, duty::Column::Id)).count(),
                Alias::new("n"),
            )
            .from(duty::Entity)
            .and_where(
                Expr::col((duty::Entity, duty::Column::Kind)).is_in(["BASIC", "COOPERATIVE"]),
            )
            .add_group_by([Expr::col(Alias::new("a")), Expr::col(Alias::new("b"))]);
        let mut items = SqlQuery::select();
        items
            .expr_as(
                Expr::col((duty::Entity, duty::Column::CategoryId)),
                Alias::new("a"),
            )
            .expr_as(Expr::val(0), Alias::new("b"))
            .expr_as(
                Expr::col((responsibility_item::Entity, responsibility_item::Column::Id)).count(),
                Alias::new("n"),
            )
            .from(responsibility_item::Entity)
            .inner_join(
                duty::Entity,
                Expr::col((duty::Entity, duty::Column::Id)).equals((
                    responsibility_item::Entity,
                    responsibility_item::Column::DutyId,
                )),
            )
            .and_where(
                Expr::col((
                    responsibility_item::Entity,
                    responsibility_item::Column::Party,
                ))
                .eq("TOWN"),
            )
            .add_group_by([Expr::col(Alias::new("a"))]);
        let mut first = SqlQuery::select();
        first
            .expr_as(
                Expr::col((duty::Entity, duty::Column::CategoryId)),
                Alias::new("a"),
            )
            .expr_as(Expr::val(0), Alias::new("b"))
            .expr_as(
                Expr::col((duty::Entity, duty::Column::Id)).min(),
                Alias::new("n"),
            )
            .from(duty::Entity)
            .add_group_by([Expr::col(Alias::new("a"))]);
        for q in [&mut duties, &mut items, &mut first] {
            if let Some(list) = list {
                q.and_where(Expr::col((duty::Entity, duty::Column::ListId)).eq(list));
            }
        }
        let mut by_category: BTreeMap<i32, CategoryWorkload> = BTreeMap::new();
        for (category, kind, n) in triples(ctx, &duties).await? {
            let w = category_workload(&mut by_category, category);
            if kind == 1 {
                w.basic_duties = n as i32
            } else {
                w.cooperative_duties = n as i32
            }
        }
        for (category, _, n) in triples(ctx, &items).await? {
            category_workload(&mut by_category, category).town_items = n as i32;
        }
        let order: BTreeMap<i32, i64> = triples(ctx, &first)
            .await?
            .into_iter()
            .map(|(c, _, n)| (c, n))
            .collect();
        let mut out: Vec<CategoryWorkload> = by_category.into_values().collect();
        out.sort_by_key(|w| order.get(&w.category_id).copied().unwrap_or(i64::MAX));
        super::within_ceiling(ctx, "townWorkload", out)
    }
}

fn workload(
    map: &mut BTreeMap<i32, DepartmentWorkload>,
    department: i32,
) -> &mut DepartmentWorkload {
    map.entry(department).or_insert_with(|| DepartmentWorkload {
        department_id: department,
        cooperative_duties: 0,
        reclaimed_duties: 0,
        department_items: 0,
        town_items: 0,
        town_share: 0.0,
    })
}

fn category_workload(
    map: &mut BTreeMap<i32, CategoryWorkload>,
    category: i32,
) -> &mut CategoryWorkload {
    map.entry(category).or_insert_with(|| CategoryWorkload {
        category_id: category,
        basic_duties: 0,
        cooperative_duties: 0,
        town_items: 0,
    })
}
