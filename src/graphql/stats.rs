//! Analytics for analysts, as GraphQL: duty counts grouped by any dimensions,
//! each department's workload and the split of work with the town, the network
//! of departments that share duties, and the town's workload per category. The
//! counting is [`crate::domain::stats`]; resolvers decode IDs, call it and map
//! its rows to these types.

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, SimpleObject};

use super::category::Category;
use super::department::Department;
use super::duty::{DutyFilter, condition};
use super::list::{DutyKind, DutyList};
use super::loaders::{CategoryLoader, CountyLoader, DepartmentLoader, ListLoader, seed_rows};
use super::scope::scope;
use super::{conn, id, load_many};
use crate::date::Date;
use crate::domain::stats;
use crate::error::{ApiError, ApiResult, db};

/// A dimension `dutyStats` can group by.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::stats::Dimension")]
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
pub struct DutyStat(stats::DutyStat);

/// One group of `dutyStats`: the values of the grouped dimensions (null for
/// dimensions not grouped by) and how many duties the group holds.
#[Object]
impl DutyStat {
    /// The category, when grouped by `CATEGORY`.
    async fn category(&self, ctx: &Context<'_>) -> ApiResult<Option<Category>> {
        let Some(key) = self.0.category else {
            return Ok(None);
        };
        Ok(load_many::<CategoryLoader, _>(ctx, [key])
            .await?
            .remove(&key)
            .map(Category::new))
    }

    /// The table, when grouped by `KIND`.
    async fn kind(&self) -> Option<DutyKind> {
        self.0.kind.map(Into::into)
    }

    /// The department, when grouped by `DEPARTMENT` (null for the group of duties
    /// without departments).
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        let Some(key) = self.0.department else {
            return Ok(None);
        };
        Ok(load_many::<DepartmentLoader, _>(ctx, [key])
            .await?
            .remove(&key)
            .map(Department::from))
    }

    /// The list, when grouped by `LIST`.
    async fn list(&self, ctx: &Context<'_>) -> ApiResult<Option<DutyList>> {
        let Some(key) = self.0.list else {
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
        self.0.duties
    }
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
            .map(Department::from))
    }
}

/// How `departmentWorkloads` ranks departments (largest first, then by name).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "crate::domain::stats::WorkloadOrder")]
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
            .map(Department::from))
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
            .map(Department::from))
    }

    /// The other department of the pair.
    async fn target(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        Ok(load_many::<DepartmentLoader, _>(ctx, [self.target_id])
            .await?
            .remove(&self.target_id)
            .map(Department::from))
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

impl From<stats::DepartmentWorkload> for DepartmentWorkload {
    fn from(w: stats::DepartmentWorkload) -> Self {
        DepartmentWorkload {
            department_id: w.department,
            cooperative_duties: w.cooperative_duties,
            reclaimed_duties: w.reclaimed_duties,
            department_items: w.department_items,
            town_items: w.town_items,
            town_share: w.town_share,
        }
    }
}

impl From<stats::NetworkNode> for NetworkNode {
    fn from(n: stats::NetworkNode) -> Self {
        NetworkNode {
            department_id: n.department,
            weight: n.weight,
        }
    }
}

impl From<stats::NetworkEdge> for NetworkEdge {
    fn from(e: stats::NetworkEdge) -> Self {
        NetworkEdge {
            source_id: e.source,
            target_id: e.target,
            weight: e.duties.len() as i32,
            duty_ids: e
                .duties
                .into_iter()
                .map(|d| id::encode("Duty", d))
                .collect(),
        }
    }
}

impl From<stats::CategoryWorkload> for CategoryWorkload {
    fn from(w: stats::CategoryWorkload) -> Self {
        CategoryWorkload {
            category_id: w.category,
            basic_duties: w.basic_duties,
            cooperative_duties: w.cooperative_duties,
            town_items: w.town_items,
        }
    }
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
        let dimensions: Vec<stats::Dimension> = group_by.into_iter().map(Into::into).collect();
        let condition = condition(ctx, &filter.unwrap_or_default()).await?;
        let groups = db(stats::duty_stats(conn(ctx), &dimensions, condition).await)?;
        super::within_ceiling(ctx, "dutyStats", groups.into_iter().map(DutyStat).collect())
    }

    /// Each department's workload — cooperative and reclaimed duties, its own
    /// items and the town's items in the same duties, and the town's share — ranked
    /// by `orderBy`, largest first; in `listId`, or in every town's current
    /// edition (the editions in force on `asOf` with that).
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn department_workloads(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
        as_of: Option<Date>,
        #[graphql(default)] order_by: WorkloadOrder,
    ) -> ApiResult<Vec<DepartmentWorkload>> {
        let scope = scope(list_id.as_ref().map(|l| (l, "listId")), as_of)?;
        let mut workloads = db(stats::department_workloads(conn(ctx), scope).await)?;
        // Through the loader, and seeded into it: the `department` fields then
        // read these without SQL (the loader itself keeps nothing).
        let departments =
            load_many::<DepartmentLoader, _>(ctx, workloads.iter().map(|w| w.department)).await?;
        seed_rows::<entity::department::Entity>(ctx, departments.values().cloned());
        stats::rank(&mut workloads, order_by.into(), |key| {
            departments.get(&key).map_or("", |d| d.name.as_str())
        });
        let workloads = workloads.into_iter().map(Into::into).collect();
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
        let network = db(stats::department_network(conn(ctx), list).await)?;
        let nodes = network.nodes.into_iter().map(Into::into).collect();
        let edges = network.edges.into_iter().map(Into::into).collect();
        Ok(DepartmentNetwork {
            nodes: super::within_ceiling(ctx, "departmentNetwork.nodes", nodes)?,
            edges: super::within_ceiling(ctx, "departmentNetwork.edges", edges)?,
        })
    }

    /// The town's workload per category: its basic duties, and its items in the
    /// category's cooperative duties; by category in order of first appearance;
    /// in `listId`, or in every town's current edition (the editions in force
    /// on `asOf` with that).
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn town_workload(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
        as_of: Option<Date>,
    ) -> ApiResult<Vec<CategoryWorkload>> {
        let scope = scope(list_id.as_ref().map(|l| (l, "listId")), as_of)?;
        let workloads = db(stats::town_workload(conn(ctx), scope).await)?;
        let workloads = workloads.into_iter().map(Into::into).collect();
        super::within_ceiling(ctx, "townWorkload", workloads)
    }
}
