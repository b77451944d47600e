//! County departments: who they are, what they cooperate on, what they took back.
//!
//! `department(name:)` / `department(id:)` find the department in one statement
//! (its county and, when asked for, its aliases joined in) and fetch what the
//! selection asks of its duties in two more, run concurrently (`prefetch`; by
//! ID all three run at once, by name once the name is resolved):
//! the duties with their categories and departments, and their items with their
//! attributions (only the town's and this department's). The nested fields read
//! those from the seeded loaders, so the `Bureau` query runs three statements
//! whatever the number of cooperations.

use std::collections::{BTreeSet, HashMap};

use async_graphql::{Context, Enum, ErrorExtensions, ID, Lookahead, Object};
use entity::{DutyKind, county, department, department_alias, duty, duty_list};
use sea_orm::sea_query::{Expr, Query as SqlQuery};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use super::duty::{Duty, ResponsibilityItem, items, needs as duty_needs};
use super::loaders::{
    AliasLoader, AttributedItemsLoader, CategoryLoader, CountyLoader, DepartmentCountLoader,
    DepartmentCounts, DepartmentDutiesLoader, DepartmentLoader, Duties, DutyDepartmentsLoader,
    Needs, also_select, duties_linked_to, load, related, rows, seed,
};
use super::{conn, id, load_many, must};
use crate::error::{ApiError, ApiResult, db};
use crate::import::text::fold;

/// A county department (上级部门).
pub struct Department(pub department::Model);

/// A county department (上级部门): a counterpart of cooperative duties or the
/// receiver of reclaimed ones.
#[Object]
impl Department {
    /// Opaque ID, stable across restarts and re-imports.
    pub async fn id(&self) -> ID {
        id::encode("Department", self.0.id)
    }

    /// Canonical full name, e.g. `乌恰县住房和城乡建设局`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The short form the county uses, e.g. `县住建局`.
    async fn short_name(&self) -> &str {
        &self.0.short_name
    }

    /// Every other name the department is known by in its county, sorted.
    async fn aliases(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(load::<AliasLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default())
    }

    /// The county the department belongs to, e.g. `乌恰县`.
    async fn county(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(must(
            load::<CountyLoader, _>(ctx, self.0.county_id).await?,
            "county",
        )?
        .name)
    }

    /// Number of cooperative duties (配合履职事项) it is a counterpart of, in all lists.
    async fn cooperation_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(load::<DepartmentCountLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .cooperative)
    }

    /// Number of reclaimed duties (上级部门收回事项) it receives, in all lists.
    async fn reclaimed_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(load::<DepartmentCountLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .reclaimed)
    }

    /// The cooperative duties it is a counterpart of, with what it does and what the
    /// town does in each; by list and sequence number.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn cooperations(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
    ) -> ApiResult<Vec<Cooperation>> {
        let duties = duties_of(ctx, self.0.id, entity::DutyKind::Cooperative, list_id).await?;
        let duties = super::within_ceiling(ctx, "cooperations", duties)?;
        Ok(duties
            .into_iter()
            .map(|duty| Cooperation {
                department: self.0.id,
                duty,
            })
            .collect())
    }

    /// The reclaimed duties it receives; `workingMethod` says how it carries them out.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn reclaimed_duties(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
    ) -> ApiResult<Vec<Duty>> {
        let duties = duties_of(ctx, self.0.id, entity::DutyKind::Reclaimed, list_id).await?;
        let duties = super::within_ceiling(ctx, "reclaimedDuties", duties)?;
        Ok(duties.into_iter().map(Duty).collect())
    }
}

async fn duties_of(
    ctx: &Context<'_>,
    department: i32,
    kind: entity::DutyKind,
    list_id: Option<ID>,
) -> ApiResult<Vec<entity::duty::Model>> {
    let list = list_id
        .as_ref()
        .map(|l| id::decode(l, "DutyList"))
        .transpose()?;
    Ok(
        load::<DepartmentDutiesLoader, _>(ctx, (department, kind, list))
            .await?
            .unwrap_or_default(),
    )
}

/// The lists the `listId` arguments of these selections of `cooperations` or
/// `reclaimedDuties` name; `None` stands for every list (no argument, or one
/// that is not a list ID, which the resolver then refuses).
fn asked_lists(selections: &[&Lookahead<'_>]) -> BTreeSet<Option<i32>> {
    selections
        .iter()
        .flat_map(|s| s.selection_fields())
        .map(|field| {
            let list = field
                .arguments()
                .ok()?
                .into_iter()
                .find_map(|(name, value)| match (name.as_str(), value) {
                    ("listId", async_graphql::Value::String(s)) => Some(s),
                    _ => None,
                })?;
            id::decode(&ID(list), "DutyList").ok()
        })
        .collect()
}

/// One cooperative duty of one department.
pub struct Cooperation {
    department: i32,
    duty: entity::duty::Model,
}

/// One cooperative duty (配合履职事项) seen from one of its counterpart departments:
/// what that department does, what the town does, and who else takes part.
#[Object]
impl Cooperation {
    /// The duty.
    async fn duty(&self) -> Duty {
        Duty(self.duty.clone())
    }

    /// The department-side items attributed to this department.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn department_items(&self, ctx: &Context<'_>) -> ApiResult<Vec<ResponsibilityItem>> {
        let items = load::<AttributedItemsLoader, _>(ctx, (self.duty.id, self.department)).await?;
        Ok(items
            .unwrap_or_default()
            .into_iter()
            .map(ResponsibilityItem)
            .collect())
    }

    /// Every town-side item of the duty (乡镇（街道）配合职责).
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn town_items(&self, ctx: &Context<'_>) -> ApiResult<Vec<ResponsibilityItem>> {
        items(ctx, self.duty.id, entity::Party::Town).await
    }

    /// The duty's other counterpart departments, in document order.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn partners(&self, ctx: &Context<'_>) -> ApiResult<Vec<Department>> {
        let all = load::<DutyDepartmentsLoader, _>(ctx, self.duty.id)
            .await?
            .unwrap_or_default();
        Ok(all
            .into_iter()
            .filter(|d| d.id != self.department)
            .map(Department)
            .collect())
    }
}

/// The department a name (canonical or alias) denotes; `county` or the county of
/// `list` narrows the search. More than one match is an `AMBIGUOUS_NAME` error.
pub(crate) async fn resolve_department(
    ctx: &Context<'_>,
    name: &str,
    county: Option<&str>,
    list: Option<i32>,
) -> ApiResult<Option<department::Model>> {
    resolve(ctx, name, county, list, false).await
}

/// [`resolve_department`] in one statement; with `aliases`, the department's
/// aliases are fetched with it and seeded.
async fn resolve(
    ctx: &Context<'_>,
    name: &str,
    county: Option<&str>,
    list: Option<i32>,
    aliases: bool,
) -> ApiResult<Option<department::Model>> {
    let trimmed = name.trim();
    let names = [trimmed.to_owned(), fold(trimmed)];
    let mut condition = Condition::all().add(
        Condition::any()
            .add(department::Column::Name.is_in(names.clone()))
            .add(
                department::Column::Id.in_subquery(
                    SqlQuery::select()
                        .column(department_alias::Column::DepartmentId)
                        .from(department_alias::Entity)
                        .and_where(department_alias::Column::Alias.is_in(names))
                        .to_owned(),
                ),
            ),
    );
    if let Some(list) = list {
        condition = condition.add(
            department::Column::CountyId.in_subquery(
                SqlQuery::select()
                    .column(duty_list::Column::CountyId)
                    .from(duty_list::Entity)
                    .and_where(duty_list::Column::Id.eq(list))
                    .to_owned(),
            ),
        );
    }
    let found = find(ctx, condition, aliases).await?;
    let describe = |d: &department::Model, c: &county::Model| format!("{} ({})", d.name, c.name);
    let mut found = super::in_one_county(found, trimmed, county, describe)?;
    // Names are unique within a county; two there would be a registry bug.
    if found.len() > 1 {
        return Err(ApiError::AmbiguousName {
            name: trimmed.to_owned(),
            candidates: found.iter().map(|(d, c)| describe(d, c)).collect(),
        }
        .extend());
    }
    Ok(found.pop().map(|(d, _)| d))
}

/// The departments matching `condition`, by id, each with its county, in one
/// statement; both are seeded, and with `aliases` the departments' aliases are
/// joined in and seeded too.
async fn find(
    ctx: &Context<'_>,
    condition: Condition,
    aliases: bool,
) -> ApiResult<Vec<(department::Model, county::Model)>> {
    let mut query = also_select::<county::Entity, _>(
        department::Entity::find().join(JoinType::InnerJoin, department::Relation::County.def()),
        "k_",
    )
    .filter(condition)
    .order_by_asc(department::Column::Id);
    if aliases {
        query = query
            .join(JoinType::LeftJoin, department::Relation::Alias.def())
            .column_as(
                Expr::col((department_alias::Entity, department_alias::Column::Alias)),
                "alias",
            )
            .order_by_asc(department_alias::Column::Alias);
    }
    let mut found: Vec<(department::Model, county::Model)> = Vec::new();
    let mut alias_lists: HashMap<i32, Vec<String>> = HashMap::new();
    // With aliases, a department comes in one row per alias.
    for row in db(rows(conn(ctx), query).await)? {
        let id: i32 = db(row.try_get("", "id"))?;
        if found.last().is_none_or(|(d, _)| d.id != id) {
            found.push((
                db(department::Model::from_query_result(&row, ""))?,
                db(county::Model::from_query_result(&row, "k_"))?,
            ));
        }
        if aliases {
            let list = alias_lists.entry(id).or_default();
            if let Some(alias) = db(row.try_get::<Option<String>>("", "alias"))? {
                list.push(alias);
            }
        }
    }
    seed::<CountyLoader, _>(ctx, found.iter().map(|(_, c)| (c.id, c.clone())));
    seed::<DepartmentLoader, _>(ctx, found.iter().map(|(d, _)| (d.id, d.clone())));
    seed::<AliasLoader, _>(ctx, alias_lists);
    Ok(found)
}

/// Fetch what `selection`, a selection of `Department` objects, asks of the
/// duties of `departments`, and seed the loaders with it so the nested fields
/// resolve without SQL: one statement for the duties (with their categories and
/// all their departments, as asked) and one for their items (with their
/// attributions), run concurrently. Counts come from the fetched duties when
/// these are fetched anyway; alone they stay a GROUP BY of their loader.
pub(crate) async fn prefetch(
    ctx: &Context<'_>,
    departments: &[i32],
    selection: &Lookahead<'_>,
) -> ApiResult<()> {
    let cooperations = selection.field("cooperations");
    let reclaimed = selection.field("reclaimedDuties");
    if departments.is_empty() || !(cooperations.exists() || reclaimed.exists()) {
        return Ok(());
    }
    let counts =
        selection.field("cooperationCount").exists() || selection.field("reclaimedCount").exists();
    // When every selection asks for the same list, fetch that list only: a
    // county's department has the duties of every town of the county. Counts
    // span every list, so they then come from their own loader.
    let asked = asked_lists(&[&cooperations, &reclaimed]);
    let scope = match (asked.len(), asked.first()) {
        (1, Some(&Some(list))) => Some(list),
        _ => None,
    };
    let counts_from_duties = counts && scope.is_none();
    let kinds: Vec<DutyKind> = [
        (DutyKind::Cooperative, cooperations.exists()),
        (DutyKind::Reclaimed, reclaimed.exists()),
    ]
    .into_iter()
    .filter(|&(_, asked)| asked || counts_from_duties)
    .map(|(kind, _)| kind)
    .collect();
    let department_items = cooperations.field("departmentItems");
    let town_items = cooperations.field("townItems");
    let needs = duty_needs(&cooperations.field("duty"))
        | duty_needs(&reclaimed)
        | Needs {
            departments: cooperations.field("partners").exists(),
            town_items: town_items.exists(),
            attributed_items: department_items.exists(),
            item_departments: department_items.field("departments").exists()
                || town_items.field("departments").exists(),
            ..Needs::default()
        };
    let db_conn = conn(ctx);
    let (linked, related) = db(futures_util::future::try_join(
        duties_linked_to(
            db_conn,
            departments,
            scope,
            &kinds,
            needs.category,
            needs.departments,
        ),
        // Department links come with the duties; only the items are left.
        related(
            db_conn,
            &Duties::LinkedTo {
                departments: departments.to_vec(),
                list: scope,
            },
            Needs {
                departments: false,
                ..needs
            },
            departments,
        ),
    )
    .await)?;

    let mut by_key: HashMap<(i32, DutyKind), Vec<duty::Model>> = departments
        .iter()
        .flat_map(|&d| kinds.iter().map(move |&k| ((d, k), Vec::new())))
        .collect();
    let mut attributed = Vec::new();
    for (duty, links) in &linked.duties {
        for &department in links {
            if let Some(duties) = by_key.get_mut(&(department, duty.kind)) {
                duties.push(duty.clone());
                attributed.push((duty.id, department));
            }
        }
    }
    if counts_from_duties {
        let count = |d: i32, k: DutyKind| by_key.get(&(d, k)).map_or(0, |v| v.len() as i32);
        seed::<DepartmentCountLoader, _>(
            ctx,
            departments.iter().map(|&d| {
                let counts = DepartmentCounts {
                    cooperative: count(d, DutyKind::Cooperative),
                    reclaimed: count(d, DutyKind::Reclaimed),
                };
                (d, counts)
            }),
        );
    }
    let ids: Vec<i32> = linked.duties.iter().map(|(d, _)| d.id).collect();
    if let Some(mut all) = linked.departments {
        seed::<DutyDepartmentsLoader, _>(
            ctx,
            ids.iter().map(|&d| (d, all.remove(&d).unwrap_or_default())),
        );
    }
    seed::<CategoryLoader, _>(ctx, linked.categories);
    // Under every key the resolvers will ask: the fetched scope, or each list
    // asked for, filtered from every list's duties.
    let seeded = asked.iter().flat_map(|&list| {
        by_key.iter().map(move |(&(department, kind), duties)| {
            let duties = duties
                .iter()
                .filter(|d| scope.is_some() || list.is_none_or(|l| d.list_id == l))
                .cloned()
                .collect();
            ((department, kind, list), duties)
        })
    });
    seed::<DepartmentDutiesLoader, _>(ctx, seeded.collect::<Vec<_>>());
    related.seed(ctx, &ids, &attributed);
    Ok(())
}

/// The department with database key `key`, with what `selection` (of that
/// `Department`) asks of it seeded. The key is known before the department is
/// read, so its statement and [`prefetch`]'s two run at once.
pub(crate) async fn by_id(
    ctx: &Context<'_>,
    key: i32,
    selection: &Lookahead<'_>,
) -> ApiResult<Option<department::Model>> {
    let aliases = selection.field("aliases").exists();
    let (found, ()) = futures_util::future::try_join(
        find(
            ctx,
            Condition::all().add(department::Column::Id.eq(key)),
            aliases,
        ),
        prefetch(ctx, &[key], selection),
    )
    .await?;
    Ok(found.into_iter().next().map(|(d, _)| d))
}

/// How `departments` orders its result.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DepartmentOrder {
    /// By canonical name.
    #[default]
    Name,
    /// Most cooperative duties first (then by name): who carries the most cooperative work.
    CooperationCount,
    /// Most reclaimed duties first (then by name).
    ReclaimedCount,
}

/// Queries about departments.
#[derive(Default)]
pub struct DepartmentQuery;

/// Queries about departments.
#[Object]
impl DepartmentQuery {
    /// One department, by ID or by name — its canonical name or any alias
    /// (`县住建局`); null if there is none. A name several counties use is an
    /// `AMBIGUOUS_NAME` error unless `county` says which.
    async fn department(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        name: Option<String>,
        county: Option<String>,
    ) -> ApiResult<Option<Department>> {
        let selection = ctx.look_ahead();
        let department = match (id, name) {
            (Some(id), None) => by_id(ctx, id::decode(&id, "Department")?, &selection).await?,
            (None, Some(name)) => {
                let aliases = selection.field("aliases").exists();
                let found = resolve(ctx, &name, county.as_deref(), None, aliases).await?;
                if let Some(department) = &found {
                    prefetch(ctx, &[department.id], &selection).await?;
                }
                found
            }
            _ => {
                return Err(
                    ApiError::BadUserInput("pass exactly one of `id` and `name`".into()).extend(),
                );
            }
        };
        Ok(department.map(Department))
    }

    /// Every department, optionally of one county, in the order asked for.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn departments(
        &self,
        ctx: &Context<'_>,
        county: Option<String>,
        #[graphql(default)] order_by: DepartmentOrder,
    ) -> ApiResult<Vec<Department>> {
        let mut query = department::Entity::find().order_by_asc(department::Column::Name);
        if let Some(county) = county {
            let counties = db(county::Entity::find()
                .filter(county::Column::Name.eq(county.trim()))
                .all(conn(ctx))
                .await)?;
            query = query
                .filter(department::Column::CountyId.is_in(counties.into_iter().map(|c| c.id)));
        }
        let mut departments =
            super::within_ceiling(ctx, "departments", db(query.all(conn(ctx)).await)?)?;
        let ids: Vec<i32> = departments.iter().map(|d| d.id).collect();
        prefetch(ctx, &ids, &ctx.look_ahead()).await?;
        if order_by != DepartmentOrder::Name {
            let counts =
                load_many::<DepartmentCountLoader, _>(ctx, departments.iter().map(|d| d.id))
                    .await?;
            let count = |d: &department::Model| {
                let c = counts.get(&d.id).copied().unwrap_or_default();
                if order_by == DepartmentOrder::CooperationCount {
                    c.cooperative
                } else {
                    c.reclaimed
                }
            };
            // A stable sort keeps name order among equals.
            departments.sort_by_key(|d| std::cmp::Reverse(count(d)));
        }
        Ok(departments.into_iter().map(Department).collect())
    }
}
