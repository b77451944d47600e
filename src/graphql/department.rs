//! County departments: who they are, what they cooperate on, what they took back.

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object};
use entity::{county, department, department_alias, duty_list};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

use super::duty::{Duty, ResponsibilityItem, items};
use super::loaders::{
    AliasLoader, AttributedItemsLoader, CountyLoader, DepartmentCountLoader,
    DepartmentDutiesLoader, DepartmentLoader, DutyDepartmentsLoader,
};
use super::{conn, id, load_many, load_one, must};
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
        Ok(load_one::<AliasLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default())
    }

    /// The county the department belongs to, e.g. `乌恰县`.
    async fn county(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(must(
            load_one::<CountyLoader, _>(ctx, self.0.county_id).await?,
            "county",
        )?
        .name)
    }

    /// Number of cooperative duties (配合履职事项) it is a counterpart of, in all lists.
    async fn cooperation_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(load_one::<DepartmentCountLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .cooperative)
    }

    /// Number of reclaimed duties (上级部门收回事项) it receives, in all lists.
    async fn reclaimed_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(load_one::<DepartmentCountLoader, _>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .reclaimed)
    }

    /// The cooperative duties it is a counterpart of, with what it does and what the
    /// town does in each; by list and sequence number.
    async fn cooperations(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
    ) -> ApiResult<Vec<Cooperation>> {
        let duties = duties_of(ctx, self.0.id, entity::DutyKind::Cooperative, list_id).await?;
        Ok(duties
            .into_iter()
            .map(|duty| Cooperation {
                department: self.0.id,
                duty,
            })
            .collect())
    }

    /// The reclaimed duties it receives; `workingMethod` says how it carries them out.
    async fn reclaimed_duties(
        &self,
        ctx: &Context<'_>,
        list_id: Option<ID>,
    ) -> ApiResult<Vec<Duty>> {
        let duties = duties_of(ctx, self.0.id, entity::DutyKind::Reclaimed, list_id).await?;
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
    let duties = load_one::<DepartmentDutiesLoader, _>(ctx, (department, kind))
        .await?
        .unwrap_or_default();
    Ok(duties
        .into_iter()
        .filter(|d| list.is_none_or(|l| d.list_id == l))
        .collect())
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
    async fn department_items(&self, ctx: &Context<'_>) -> ApiResult<Vec<ResponsibilityItem>> {
        let items =
            load_one::<AttributedItemsLoader, _>(ctx, (self.duty.id, self.department)).await?;
        Ok(items
            .unwrap_or_default()
            .into_iter()
            .map(ResponsibilityItem)
            .collect())
    }

    /// Every town-side item of the duty (乡镇（街道）配合职责).
    async fn town_items(&self, ctx: &Context<'_>) -> ApiResult<Vec<ResponsibilityItem>> {
        items(ctx, self.duty.id, entity::Party::Town).await
    }

    /// The duty's other counterpart departments, in document order.
    async fn partners(&self, ctx: &Context<'_>) -> ApiResult<Vec<Department>> {
        let all = load_one::<DutyDepartmentsLoader, _>(ctx, self.duty.id)
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
    let db_conn = conn(ctx);
    let trimmed = name.trim();
    let folded = fold(trimmed);
    let aliased = db(department_alias::Entity::find()
        .filter(department_alias::Column::Alias.is_in([trimmed.to_owned(), folded.clone()]))
        .all(db_conn)
        .await)?;
    let mut found = db(department::Entity::find()
        .filter(
            Condition::any()
                .add(department::Column::Name.is_in([trimmed.to_owned(), folded]))
                .add(department::Column::Id.is_in(aliased.iter().map(|a| a.department_id))),
        )
        .order_by_asc(department::Column::Id)
        .all(db_conn)
        .await)?;
    if let Some(list) = list {
        let list = db(duty_list::Entity::find_by_id(list).one(db_conn).await)?;
        found.retain(|d| list.as_ref().is_some_and(|l| l.county_id == d.county_id));
    }
    if found.len() > 1 || county.is_some() {
        let counties = load_many::<CountyLoader, _>(ctx, found.iter().map(|d| d.county_id)).await?;
        if let Some(county) = county {
            found.retain(|d| {
                counties
                    .get(&d.county_id)
                    .is_some_and(|c| c.name == county.trim())
            });
        }
        if found.len() > 1 {
            let candidates = found
                .iter()
                .map(|d| {
                    let c = counties.get(&d.county_id);
                    format!("{} ({})", d.name, c.map_or("", |c| c.name.as_str()))
                })
                .collect();
            return Err(ApiError::AmbiguousName {
                name: trimmed.to_owned(),
                candidates,
            }
            .extend());
        }
    }
    Ok(found.pop())
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
        match (id, name) {
            (Some(id), None) => {
                let key = id::decode(&id, "Department")?;
                Ok(load_one::<DepartmentLoader, _>(ctx, key)
                    .await?
                    .map(Department))
            }
            (None, Some(name)) => Ok(resolve_department(ctx, &name, county.as_deref(), None)
                .await?
                .map(Department)),
            _ => Err(ApiError::BadUserInput("pass exactly one of `id` and `name`".into()).extend()),
        }
    }

    /// Every department, optionally of one county, in the order asked for.
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
        let mut departments = db(query.all(conn(ctx)).await)?;
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
