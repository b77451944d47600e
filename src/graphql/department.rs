//! County departments: who they are, what they cooperate on, what they took back.
//!
//! `department(name:)` / `department(id:)` find the department in one statement
//! (its county and, when asked for, its aliases joined in) and fetch what the
//! selection asks of its duties in two more, run concurrently
//! ([`super::prefetch`]; by ID all three run at once, by name once the name is
//! resolved by [`crate::domain::department`]'s rule). The nested fields read
//! those from the seeded loaders, so the `Bureau` query runs three statements
//! whatever the number of cooperations.
//!
//! A department is seen in a scope (see [`crate::domain::scope`]): its counts
//! and duties are those of every town's current edition, or of the editions in
//! force on the `asOf` day of `department`/`departments`; `listId` on
//! `cooperations`/`reclaimedDuties` picks one edition. A name is read on the
//! scope's day, so an old name answers with its successor after a reform.

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object};
use entity::department;

use super::duty::{Duty, ResponsibilityItem, items};
use super::loaders::{
    AliasLoader, AttributedItemsLoader, CountyLoader, DepartmentCountLoader,
    DepartmentDutiesLoader, DutyDepartmentsLoader, load,
};
use super::scope::scope;
use super::{conn, id, must, prefetch};
use crate::date::Date;
use crate::domain;
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult, db};

/// A county department (上级部门), and the editions its counts and duties are read in.
pub struct Department {
    model: department::Model,
    scope: Scope,
}

impl Department {
    /// `model` seen in `scope`.
    pub fn scoped(model: department::Model, scope: Scope) -> Self {
        Department { model, scope }
    }
}

impl From<department::Model> for Department {
    /// A department seen in every town's current edition.
    fn from(model: department::Model) -> Self {
        Department::scoped(model, Scope::Current)
    }
}

/// A county department (上级部门): a counterpart of cooperative duties or the
/// receiver of reclaimed ones.
#[Object]
impl Department {
    /// Opaque ID, stable across restarts and re-imports.
    pub async fn id(&self) -> ID {
        id::encode("Department", self.model.id)
    }

    /// Canonical full name, e.g. `乌恰县住房和城乡建设局`.
    async fn name(&self) -> &str {
        &self.model.name
    }

    /// The short form the county uses, e.g. `县住建局`.
    async fn short_name(&self) -> &str {
        &self.model.short_name
    }

    /// Every other name the department is known by in its county, sorted.
    async fn aliases(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(load::<AliasLoader, _>(ctx, self.model.id)
            .await?
            .unwrap_or_default())
    }

    /// The county the department belongs to, e.g. `乌恰县`.
    async fn county(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(must(
            load::<CountyLoader, _>(ctx, self.model.county_id).await?,
            "county",
        )?
        .name)
    }

    /// Number of cooperative duties (配合履职事项) it is a counterpart of, in
    /// every town's current edition (in the editions in force on the `asOf` day
    /// the department was asked for).
    async fn cooperation_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(
            load::<DepartmentCountLoader, _>(ctx, (self.model.id, self.scope))
                .await?
                .unwrap_or_default()
                .cooperative,
        )
    }

    /// Number of reclaimed duties (上级部门收回事项) it receives, in every
    /// town's current edition (in the editions in force on the `asOf` day the
    /// department was asked for).
    async fn reclaimed_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(
            load::<DepartmentCountLoader, _>(ctx, (self.model.id, self.scope))
                .await?
                .unwrap_or_default()
                .reclaimed,
        )
    }

    /// The cooperative duties it is a counterpart of, with what it does and what the
    /// town does in each; by list and sequence number. In `listId` (any
    /// edition), else in every town's current edition (in the editions in force
    /// on the `asOf` day the department was asked for).
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn cooperations(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
    ) -> ApiResult<Vec<Cooperation>> {
        let kind = entity::DutyKind::Cooperative;
        let (duties, scope) = self.duties(ctx, kind, list_id).await?;
        let duties = super::within_ceiling(ctx, "cooperations", duties)?;
        Ok(duties
            .into_iter()
            .map(|duty| Cooperation {
                department: self.model.id,
                scope,
                duty,
            })
            .collect())
    }

    /// The reclaimed duties it receives; `workingMethod` says how it carries them
    /// out. In `listId` (any edition), else as `cooperations`.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn reclaimed_duties(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
    ) -> ApiResult<Vec<Duty>> {
        let kind = entity::DutyKind::Reclaimed;
        let (duties, _) = self.duties(ctx, kind, list_id).await?;
        let duties = super::within_ceiling(ctx, "reclaimedDuties", duties)?;
        Ok(duties.into_iter().map(Duty).collect())
    }
}

impl Department {
    /// Its duties of `kind` in `list_id`, or in its own scope; and that scope.
    async fn duties(
        &self,
        ctx: &Context<'_>,
        kind: entity::DutyKind,
        list_id: Option<ID>,
    ) -> ApiResult<(Vec<entity::duty::Model>, Scope)> {
        let scope = match list_id {
            Some(list) => Scope::List(id::decode(&list, "DutyList")?),
            None => self.scope,
        };
        let duties = load::<DepartmentDutiesLoader, _>(ctx, (self.model.id, kind, scope)).await?;
        Ok((duties.unwrap_or_default(), scope))
    }

    /// The department's database key.
    pub fn key(&self) -> i32 {
        self.model.id
    }
}

/// One cooperative duty of one department.
pub struct Cooperation {
    department: i32,
    /// The editions the department's cooperations were read in; its partners
    /// are seen in them too.
    scope: Scope,
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
            .map(|d| Department::scoped(d, self.scope))
            .collect())
    }
}

/// The department a name (canonical or alias) denotes in `scope`
/// ([`domain::department::named`]: a reformed department's successor from the
/// reform's day on); `county` or the county of the scope's list narrows the
/// search. More than one match is an `AMBIGUOUS_NAME` error.
pub(crate) async fn resolve_department(
    ctx: &Context<'_>,
    name: &str,
    county: Option<&str>,
    scope: Scope,
) -> ApiResult<Option<department::Model>> {
    resolve(ctx, name, county, scope, false).await
}

/// [`resolve_department`] in one statement (two after a reform); with
/// `aliases`, the department's aliases are fetched with it and seeded.
async fn resolve(
    ctx: &Context<'_>,
    name: &str,
    county: Option<&str>,
    scope: Scope,
    aliases: bool,
) -> ApiResult<Option<department::Model>> {
    let found = prefetch::departments_named(ctx, name, scope, aliases).await?;
    domain::department::pick(name, county, found).map_err(|e| ApiError::from(e).extend())
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
    /// `AMBIGUOUS_NAME` error unless `county` says which. A name is read on a
    /// day — `asOf`, else today: after a reform (机构改革) an old name answers
    /// with its successor (through every later reform), before it with the old
    /// department; a department split in several is an `AMBIGUOUS_NAME` error
    /// listing the successors. Its counts and duties are those of every town's
    /// current edition, or of the editions in force on `asOf`.
    async fn department(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        name: Option<String>,
        county: Option<String>,
        as_of: Option<Date>,
    ) -> ApiResult<Option<Department>> {
        let selection = ctx.look_ahead();
        let scope = scope(None, as_of)?;
        let department = match (id, name) {
            (Some(id), None) => {
                let key = id::decode(&id, "Department")?;
                prefetch::department_by_id(ctx, key, scope, &selection).await?
            }
            (None, Some(name)) => {
                let aliases = selection.field("aliases").exists();
                let found = resolve(ctx, &name, county.as_deref(), scope, aliases).await?;
                if let Some(department) = &found {
                    prefetch::departments(ctx, &[department.id], scope, &selection).await?;
                }
                found
            }
            _ => {
                return Err(
                    ApiError::BadUserInput("pass exactly one of `id` and `name`".into()).extend(),
                );
            }
        };
        Ok(department.map(|d| Department::scoped(d, scope)))
    }

    /// Every department, optionally of one county, in the order asked for; their
    /// counts and duties in every town's current edition, or in the editions in
    /// force on `asOf`.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn departments(
        &self,
        ctx: &Context<'_>,
        county: Option<String>,
        #[graphql(default)] order_by: DepartmentOrder,
        as_of: Option<Date>,
    ) -> ApiResult<Vec<Department>> {
        let scope = scope(None, as_of)?;
        let all = db(domain::department::all(conn(ctx), county.as_deref()).await)?;
        let mut departments = super::within_ceiling(ctx, "departments", all)?;
        let ids: Vec<i32> = departments.iter().map(|d| d.id).collect();
        let selection = ctx.look_ahead();
        prefetch::departments(ctx, &ids, scope, &selection).await?;
        let ordered = order_by != DepartmentOrder::Name;
        if ordered || prefetch::asks_counts(&selection) {
            let counts = prefetch::department_counts(ctx, &ids, scope).await?;
            let count = |d: &department::Model| {
                let c = counts.get(&d.id).copied().unwrap_or_default();
                if order_by == DepartmentOrder::CooperationCount {
                    c.cooperative
                } else {
                    c.reclaimed
                }
            };
            if ordered {
                // A stable sort keeps name order among equals.
                departments.sort_by_key(|d| std::cmp::Reverse(count(d)));
            }
        }
        Ok(departments
            .into_iter()
            .map(|d| Department::scoped(d, scope))
            .collect())
    }
}
