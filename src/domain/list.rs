//! Duty lists: which lists there are, the lists a town's name denotes, and how
//! each of their tables adds up. Lists are editions: which of them a read sees
//! is its [`Scope`] (every town's current edition unless asked otherwise).

use std::collections::HashMap;

use entity::{DutyKind, county, duty, duty_department, duty_list, stated_count};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select,
};

use super::Complete;
use super::scope::Scope;

/// How one table of a list adds up, beside what the list's preamble (说明) states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindSummary {
    /// The table.
    pub kind: DutyKind,
    /// Duties in the table.
    pub duty_count: i32,
    /// Distinct categories in the table.
    pub category_count: i32,
    /// Distinct counterpart or receiving departments; 0 for basic duties.
    pub department_count: i32,
    /// Number of duties the preamble states, if it states one.
    pub stated_duty_count: Option<i32>,
    /// Number of categories the preamble states, if it states one.
    pub stated_category_count: Option<i32>,
    /// Number of departments the preamble states, if it states one.
    pub stated_department_count: Option<i32>,
}

impl KindSummary {
    /// A table with nothing in it and nothing stated.
    pub fn empty(kind: DutyKind) -> Self {
        KindSummary {
            kind,
            duty_count: 0,
            category_count: 0,
            department_count: 0,
            stated_duty_count: None,
            stated_category_count: None,
            stated_department_count: None,
        }
    }
}

/// The lists of `scope` with their counties, by county, town and edition
/// (newest first).
pub async fn all(
    db: &impl ConnectionTrait,
    scope: Scope,
) -> Result<Vec<(duty_list::Model, county::Model)>, DbErr> {
    let rows = duty_list::Entity::find()
        .filter(scope.lists())
        .find_also_related(county::Entity)
        .order_by_asc(county::Column::Name)
        .order_by_asc(duty_list::Column::Town)
        .order_by_desc(duty_list::Column::PublishedOn)
        .all(db)
        .await?;
    Ok(with_county(rows))
}

/// The list with id `id`, with its county.
pub async fn by_id(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<(duty_list::Model, county::Model)>, DbErr> {
    let row = duty_list::Entity::find_by_id(id)
        .find_also_related(county::Entity)
        .one(db)
        .await?;
    Ok(row.and_then(|(list, county)| Some((list, county?))))
}

/// Per-kind summaries of `lists`, every kind of every list (three statements:
/// two GROUP BY and the stated counts).
pub async fn summaries(
    db: &impl ConnectionTrait,
    lists: &[i32],
) -> Result<Complete<i32, Vec<KindSummary>>, DbErr> {
    let mut out: HashMap<i32, Vec<KindSummary>> = lists
        .iter()
        .map(|&list| {
            let empty = DutyKind::ALL.into_iter().map(KindSummary::empty).collect();
            (list, empty)
        })
        .collect();
    for (list, kind, duties, categories) in duty_counts(db, lists).await? {
        if let Some(s) = summary_of(&mut out, list, kind) {
            s.duty_count = duties as i32;
            s.category_count = categories as i32;
        }
    }
    for (list, kind, count) in department_counts(db, lists).await? {
        if let Some(s) = summary_of(&mut out, list, kind) {
            s.department_count = count as i32;
        }
    }
    let stated = stated_count::Entity::find()
        .filter(stated_count::Column::ListId.is_in(lists.iter().copied()))
        .all(db)
        .await?;
    for row in stated {
        if let Some(s) = summary_of(&mut out, row.list_id, row.kind) {
            s.stated_duty_count = row.duty_count;
            s.stated_category_count = row.category_count;
            s.stated_department_count = row.department_count;
        }
    }
    Ok(Complete(out))
}

/// Duties and distinct categories per list and kind.
async fn duty_counts(
    db: &impl ConnectionTrait,
    lists: &[i32],
) -> Result<Vec<(i32, DutyKind, i64, i64)>, DbErr> {
    duty::Entity::find()
        .select_only()
        .column(duty::Column::ListId)
        .column(duty::Column::Kind)
        .column_as(Expr::col(duty::Column::Id).count(), "duties")
        .column_as(
            Expr::col(duty::Column::CategoryId).count_distinct(),
            "categories",
        )
        .filter(duty::Column::ListId.is_in(lists.iter().copied()))
        .group_by(duty::Column::ListId)
        .group_by(duty::Column::Kind)
        .into_tuple()
        .all(db)
        .await
}

/// Distinct departments per list and kind.
async fn department_counts(
    db: &impl ConnectionTrait,
    lists: &[i32],
) -> Result<Vec<(i32, DutyKind, i64)>, DbErr> {
    duty_department::Entity::find()
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
        .filter(duty::Column::ListId.is_in(lists.iter().copied()))
        .group_by(duty::Column::ListId)
        .group_by(duty::Column::Kind)
        .into_tuple()
        .all(db)
        .await
}

fn summary_of(
    out: &mut HashMap<i32, Vec<KindSummary>>,
    list: i32,
    kind: DutyKind,
) -> Option<&mut KindSummary> {
    out.get_mut(&list)?.iter_mut().find(|s| s.kind == kind)
}

/// How a caller names a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListName<'a> {
    /// By its key.
    Key(i32),
    /// By its town (trimmed): that town's edition in the scope.
    Town(&'a str),
}

/// The lists `name` denotes, each with its county, newest first (by publication
/// month, then key): one at most for a key (any edition: a key names one), for
/// a town the editions of `scope` of every county's town of that name — one
/// per county for the current editions or those in force on a day.
pub async fn lists_named(
    db: &impl ConnectionTrait,
    name: ListName<'_>,
    scope: Scope,
) -> Result<Vec<(duty_list::Model, county::Model)>, DbErr> {
    let town = match name {
        ListName::Key(key) => return Ok(by_id(db, key).await?.into_iter().collect()),
        ListName::Town(town) => town.trim(),
    };
    let named = duty_list::Entity::find()
        .filter(duty_list::Column::Town.eq(town))
        .filter(scope.lists());
    let rows = newest_first(named)
        .find_also_related(county::Entity)
        .all(db)
        .await?;
    Ok(with_county(rows))
}

/// Lists with their counties. Every list has a county (a foreign key); a row
/// without one cannot be named and is left out.
fn with_county(
    rows: Vec<(duty_list::Model, Option<county::Model>)>,
) -> Vec<(duty_list::Model, county::Model)> {
    rows.into_iter()
        .filter_map(|(list, county)| Some((list, county?)))
        .collect()
}

fn newest_first(lists: Select<duty_list::Entity>) -> Select<duty_list::Entity> {
    lists
        .order_by_desc(duty_list::Column::PublishedOn)
        .order_by_desc(duty_list::Column::Id)
}
