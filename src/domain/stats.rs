//! Analytics: duty counts grouped by any dimensions, each department's workload
//! beside the town's, the network of departments that share cooperative duties,
//! and the town's workload per category.
//!
//! Counting happens in the database: every count is one GROUP BY statement made
//! by one builder, `Tally`. Rust only puts the counts of a few statements side
//! by side and orders the result.

use std::collections::BTreeMap;

use entity::{DutyKind, Party, duty, duty_department, item_department, responsibility_item};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{Condition, ConnectionTrait, DbErr, FromQueryResult};

use super::scope::Scope;

/// A dimension duties can be grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// The duty's category.
    Category,
    /// The duty's table.
    Kind,
    /// The duty's counterpart or receiving departments (a duty without any forms
    /// a group without a department).
    Department,
    /// The duty's list.
    List,
}

/// One group of [`duty_stats`]: the values of the grouped dimensions (`None` for
/// the others) and how many distinct duties it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DutyStat {
    /// The category's key, when grouped by category.
    pub category: Option<i32>,
    /// The table, when grouped by kind.
    pub kind: Option<DutyKind>,
    /// The department's key, when grouped by department.
    pub department: Option<i32>,
    /// The list's key, when grouped by list.
    pub list: Option<i32>,
    /// Distinct duties in the group.
    pub duties: i32,
}

/// Duty counts of the duties meeting `condition`, grouped by `dimensions`;
/// largest group first, then by list, kind, category and department. A duty
/// with several departments counts once in each of its departments' groups.
pub async fn duty_stats(
    db: &impl ConnectionTrait,
    dimensions: &[Dimension],
    condition: Condition,
) -> Result<Vec<DutyStat>, DbErr> {
    let mut tally = Tally::of(condition);
    if dimensions.contains(&Dimension::Department) {
        tally = tally.per_department(JoinType::LeftJoin);
    }
    let groups = tally.group_by(dimensions).run(db, Tally::duties()).await?;
    let mut stats: Vec<DutyStat> = groups
        .into_iter()
        .map(|g| DutyStat {
            category: g.category,
            kind: g.kind,
            department: g.department,
            list: g.list,
            duties: g.n as i32,
        })
        .collect();
    stats.sort_by_key(|s| {
        (
            std::cmp::Reverse(s.duties),
            s.list,
            s.kind,
            s.category,
            s.department,
        )
    });
    Ok(stats)
}

/// A department's share of the cooperative work, beside the town's.
#[derive(Clone, Debug, PartialEq)]
pub struct DepartmentWorkload {
    /// The department's key.
    pub department: i32,
    /// Cooperative duties it is a counterpart of.
    pub cooperative_duties: i32,
    /// Reclaimed duties it receives.
    pub reclaimed_duties: i32,
    /// Department-side items attributed to it.
    pub department_items: i32,
    /// Town-side items of the cooperative duties it is a counterpart of.
    pub town_items: i32,
    /// `town_items / (department_items + town_items)`, 0 without items.
    pub town_share: f64,
}

impl DepartmentWorkload {
    fn new(department: i32) -> Self {
        DepartmentWorkload {
            department,
            cooperative_duties: 0,
            reclaimed_duties: 0,
            department_items: 0,
            town_items: 0,
            town_share: 0.0,
        }
    }

    fn with_town_share(mut self) -> Self {
        let total = self.department_items + self.town_items;
        if total > 0 {
            self.town_share = f64::from(self.town_items) / f64::from(total);
        }
        self
    }
}

/// Every department's workload in the lists of `scope`, by key.
pub async fn department_workloads(
    db: &impl ConnectionTrait,
    scope: Scope,
) -> Result<Vec<DepartmentWorkload>, DbErr> {
    let by_kind = Tally::of_scope(scope)
        .per_department(JoinType::InnerJoin)
        .group_by(&[Dimension::Department, Dimension::Kind]);
    let own = Tally::of_scope(scope)
        .per_item(None)
        .per_attribution()
        .group_by(&[Dimension::Department]);
    let town = Tally::of_scope(scope)
        .only(&[DutyKind::Cooperative])
        .per_department(JoinType::InnerJoin)
        .per_item(Some(Party::Town))
        .group_by(&[Dimension::Department]);
    // Three independent statements, run concurrently (on a pool, each on its
    // own connection): a workload costs the slowest of them, not their sum.
    let (by_kind, own, town) = futures_util::future::try_join3(
        by_kind.run(db, Tally::duties()),
        own.run(db, Tally::items()),
        town.run(db, Tally::items()),
    )
    .await?;
    let mut by_department: BTreeMap<i32, DepartmentWorkload> = BTreeMap::new();
    for g in by_kind {
        let w = slot(&mut by_department, g.department, DepartmentWorkload::new);
        match g.kind {
            Some(DutyKind::Cooperative) => w.cooperative_duties = g.n as i32,
            _ => w.reclaimed_duties = g.n as i32,
        }
    }
    for g in own {
        slot(&mut by_department, g.department, DepartmentWorkload::new).department_items =
            g.n as i32;
    }
    for g in town {
        slot(&mut by_department, g.department, DepartmentWorkload::new).town_items = g.n as i32;
    }
    Ok(by_department
        .into_values()
        .map(DepartmentWorkload::with_town_share)
        .collect())
}

/// How workloads are ranked (largest first, then by department name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
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

impl WorkloadOrder {
    fn key(self, w: &DepartmentWorkload) -> f64 {
        match self {
            WorkloadOrder::CooperativeDuties => f64::from(w.cooperative_duties),
            WorkloadOrder::ReclaimedDuties => f64::from(w.reclaimed_duties),
            WorkloadOrder::DepartmentItems => f64::from(w.department_items),
            WorkloadOrder::TownItems => f64::from(w.town_items),
            WorkloadOrder::TownShare => w.town_share,
        }
    }
}

/// Rank `workloads` by `order`, largest first, ties by the departments' names.
pub fn rank<'a>(
    workloads: &mut [DepartmentWorkload],
    order: WorkloadOrder,
    name: impl Fn(i32) -> &'a str,
) {
    workloads.sort_by(|x, y| {
        order
            .key(y)
            .total_cmp(&order.key(x))
            .then_with(|| name(x.department).cmp(name(y.department)))
    });
}

/// Departments of a list and the cooperative duties they share.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Network {
    /// Every department with a cooperative duty, heaviest first, then by key.
    pub nodes: Vec<NetworkNode>,
    /// Every pair of departments sharing a cooperative duty, heaviest first,
    /// then by their keys.
    pub edges: Vec<NetworkEdge>,
}

/// A department in the [`Network`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkNode {
    /// The department's key.
    pub department: i32,
    /// The cooperative duties it is a counterpart of.
    pub weight: i32,
}

/// Two departments that are counterparts of the same cooperative duties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkEdge {
    /// The smaller department key of the pair.
    pub source: i32,
    /// The larger department key of the pair.
    pub target: i32,
    /// The keys of the duties they share, ascending; their number is the weight.
    pub duties: Vec<i32>,
}

/// A pair of counterparts of one cooperative duty, `a <= b` (`a == b`: the
/// department itself).
#[derive(FromQueryResult)]
struct Pair {
    a: i32,
    b: i32,
    duty: i32,
}

/// The network of the departments of `list`.
pub async fn department_network(db: &impl ConnectionTrait, list: i32) -> Result<Network, DbErr> {
    let mut nodes: BTreeMap<i32, i32> = BTreeMap::new();
    let mut edges: BTreeMap<(i32, i32), Vec<i32>> = BTreeMap::new();
    // One statement lists every pair with its duty: the edges need the duties
    // themselves, and their number is the weight.
    for p in Pair::find_by_statement(db.get_database_backend().build(&pairs(list)))
        .all(db)
        .await?
    {
        if p.a == p.b {
            *nodes.entry(p.a).or_default() += 1;
        } else {
            edges.entry((p.a, p.b)).or_default().push(p.duty);
        }
    }
    let mut edges: Vec<NetworkEdge> = edges
        .into_iter()
        .map(|((source, target), mut duties)| {
            duties.sort_unstable();
            NetworkEdge {
                source,
                target,
                duties,
            }
        })
        .collect();
    edges.sort_by_key(|e| (std::cmp::Reverse(e.duties.len()), e.source, e.target));
    let mut nodes: Vec<NetworkNode> = nodes
        .into_iter()
        .map(|(department, weight)| NetworkNode { department, weight })
        .collect();
    nodes.sort_by_key(|n| (std::cmp::Reverse(n.weight), n.department));
    Ok(Network { nodes, edges })
}

/// Every pair of counterparts (a department with itself included) of each
/// cooperative duty of `list`, with the duty.
fn pairs(list: i32) -> SelectStatement {
    let (a, b) = (Alias::new("a_dd"), Alias::new("b_dd"));
    let department = duty_department::Column::DepartmentId;
    let duty_of = duty_department::Column::DutyId;
    Query::select()
        .expr_as(Expr::col((a.clone(), department)), Alias::new("a"))
        .expr_as(Expr::col((b.clone(), department)), Alias::new("b"))
        .expr_as(Expr::col((a.clone(), duty_of)), Alias::new("duty"))
        .from_as(duty_department::Entity, a.clone())
        .join_as(
            JoinType::InnerJoin,
            duty_department::Entity,
            b.clone(),
            Expr::col((b.clone(), duty_of)).equals((a.clone(), duty_of)),
        )
        .inner_join(
            duty::Entity,
            Expr::col((duty::Entity, duty::Column::Id)).equals((a.clone(), duty_of)),
        )
        .and_where(Expr::col((duty::Entity, duty::Column::ListId)).eq(list))
        .and_where(Expr::col((duty::Entity, duty::Column::Kind)).eq(DutyKind::Cooperative))
        .and_where(Expr::col((a, department)).lte(Expr::col((b, department))))
        .to_owned()
}

/// The town's work in one category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryWorkload {
    /// The category's key.
    pub category: i32,
    /// Basic duties (the town's alone) in the category.
    pub basic_duties: i32,
    /// Cooperative duties in the category.
    pub cooperative_duties: i32,
    /// Town-side items of the category's cooperative duties.
    pub town_items: i32,
}

impl CategoryWorkload {
    fn new(category: i32) -> Self {
        CategoryWorkload {
            category,
            basic_duties: 0,
            cooperative_duties: 0,
            town_items: 0,
        }
    }
}

/// The town's workload per category in the lists of `scope`: by category in
/// order of first appearance (the category's smallest duty key).
pub async fn town_workload(
    db: &impl ConnectionTrait,
    scope: Scope,
) -> Result<Vec<CategoryWorkload>, DbErr> {
    let by_kind = Tally::of_scope(scope)
        .only(&[DutyKind::Basic, DutyKind::Cooperative])
        .group_by(&[Dimension::Category, Dimension::Kind]);
    let town = Tally::of_scope(scope)
        .per_item(Some(Party::Town))
        .group_by(&[Dimension::Category]);
    let first = Tally::of_scope(scope).group_by(&[Dimension::Category]);
    // Independent statements, run concurrently as in `department_workloads`.
    let (by_kind, town, first) = futures_util::future::try_join3(
        by_kind.run(db, Tally::duties()),
        town.run(db, Tally::items()),
        first.run(db, Tally::first_duty()),
    )
    .await?;
    let mut by_category: BTreeMap<i32, CategoryWorkload> = BTreeMap::new();
    for g in by_kind {
        let w = slot(&mut by_category, g.category, CategoryWorkload::new);
        match g.kind {
            Some(DutyKind::Basic) => w.basic_duties = g.n as i32,
            _ => w.cooperative_duties = g.n as i32,
        }
    }
    for g in town {
        slot(&mut by_category, g.category, CategoryWorkload::new).town_items = g.n as i32;
    }
    let order: BTreeMap<i32, i64> = first
        .into_iter()
        .filter_map(|g| Some((g.category?, g.n)))
        .collect();
    let mut out: Vec<CategoryWorkload> = by_category.into_values().collect();
    out.sort_by_key(|w| order.get(&w.category).copied().unwrap_or(i64::MAX));
    Ok(out)
}

/// The entry of `key` in `map`, made by `new` when missing. The keys read here
/// are never null: NOT NULL columns reached through inner joins.
fn slot<T>(map: &mut BTreeMap<i32, T>, key: Option<i32>, new: fn(i32) -> T) -> &mut T {
    let key = key.unwrap_or_default();
    map.entry(key).or_insert_with(|| new(key))
}

/// One row of a [`Tally`]: the grouped dimensions' values (`None` for the
/// others) and the group's number.
#[derive(Debug, FromQueryResult)]
struct Group {
    category: Option<i32>,
    kind: Option<DutyKind>,
    department: Option<i32>,
    list: Option<i32>,
    n: i64,
}

/// One GROUP BY over duties, the statement behind every count here: the duties
/// meeting a condition, joined to what is counted (departments, items,
/// attributions), grouped by some of category, kind, department and list, with
/// one number per group.
struct Tally {
    query: SelectStatement,
    /// What the department dimension reads: a duty's departments, or an item's.
    department: Expr,
    dimensions: Vec<Dimension>,
}

impl Tally {
    /// The duties meeting `condition`.
    fn of(condition: Condition) -> Self {
        Tally {
            query: Query::select()
                .from(duty::Entity)
                .cond_where(condition)
                .to_owned(),
            department: Expr::col((
                duty_department::Entity,
                duty_department::Column::DepartmentId,
            )),
            dimensions: Vec::new(),
        }
    }

    /// The duties of the lists of `scope`.
    fn of_scope(scope: Scope) -> Self {
        Tally::of(Condition::all().add(scope.on((duty::Entity, duty::Column::ListId))))
    }

    /// Only the duties of `kinds`.
    fn only(mut self, kinds: &[DutyKind]) -> Self {
        self.query
            .and_where(Expr::col((duty::Entity, duty::Column::Kind)).is_in(kinds.iter().copied()));
        self
    }

    /// Each duty once per counterpart or receiving department: an inner `join`
    /// drops duties without one, a left join keeps them without a department.
    fn per_department(mut self, join: JoinType) -> Self {
        self.query.join(
            join,
            duty_department::Entity,
            Expr::col((duty_department::Entity, duty_department::Column::DutyId))
                .equals((duty::Entity, duty::Column::Id)),
        );
        self
    }

    /// Each duty once per item (of `party` only, when given).
    fn per_item(mut self, party: Option<Party>) -> Self {
        self.query.inner_join(
            responsibility_item::Entity,
            Expr::col((
                responsibility_item::Entity,
                responsibility_item::Column::DutyId,
            ))
            .equals((duty::Entity, duty::Column::Id)),
        );
        if let Some(party) = party {
            self.query.and_where(
                Expr::col((
                    responsibility_item::Entity,
                    responsibility_item::Column::Party,
                ))
                .eq(party),
            );
        }
        self
    }

    /// Each item once per department it is attributed to, which becomes the
    /// department dimension (after [`Tally::per_item`]).
    fn per_attribution(mut self) -> Self {
        self.query.inner_join(
            item_department::Entity,
            Expr::col((item_department::Entity, item_department::Column::ItemId))
                .equals((responsibility_item::Entity, responsibility_item::Column::Id)),
        );
        self.department = Expr::col((
            item_department::Entity,
            item_department::Column::DepartmentId,
        ));
        self
    }

    /// Group by `dimensions`; grouping by department needs
    /// [`Tally::per_department`] or [`Tally::per_attribution`].
    fn group_by(mut self, dimensions: &[Dimension]) -> Self {
        self.dimensions = dimensions.to_vec();
        self
    }

    /// Distinct duties.
    fn duties() -> Expr {
        Expr::col((duty::Entity, duty::Column::Id)).count_distinct()
    }

    /// Items.
    fn items() -> Expr {
        Expr::col((responsibility_item::Entity, responsibility_item::Column::Id)).count()
    }

    /// The smallest duty key, as wide as a count.
    fn first_duty() -> Expr {
        Expr::col((duty::Entity, duty::Column::Id))
            .min()
            .cast_as(Alias::new("BIGINT"))
    }

    /// The column a dimension reads, or a typed NULL when not grouped by it.
    fn key(&self, dimension: Dimension) -> Expr {
        if !self.dimensions.contains(&dimension) {
            return match dimension {
                Dimension::Kind => Expr::cust("CAST(NULL AS VARCHAR(16))"),
                _ => Expr::cust("CAST(NULL AS INTEGER)"),
            };
        }
        match dimension {
            Dimension::Category => Expr::col((duty::Entity, duty::Column::CategoryId)),
            Dimension::Kind => Expr::col((duty::Entity, duty::Column::Kind)),
            Dimension::Department => self.department.clone(),
            Dimension::List => Expr::col((duty::Entity, duty::Column::ListId)),
        }
    }

    /// Run the statement, `number` (an aggregate) giving each group's number.
    async fn run(mut self, db: &impl ConnectionTrait, number: Expr) -> Result<Vec<Group>, DbErr> {
        let columns = [
            (Dimension::Category, "category"),
            (Dimension::Kind, "kind"),
            (Dimension::Department, "department"),
            (Dimension::List, "list"),
        ];
        for (dimension, alias) in columns {
            let key = self.key(dimension);
            self.query.expr_as(key.clone(), Alias::new(alias));
            if self.dimensions.contains(&dimension) {
                self.query.add_group_by([key]);
            }
        }
        self.query.expr_as(number, Alias::new("n"));
        Group::find_by_statement(db.get_database_backend().build(&self.query))
            .all(db)
            .await
    }
}
