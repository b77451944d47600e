//! Finding a department by name: the one rule that `department(name:, county:)`,
//! every `department:` filter, `lvzhi export --department` and any later caller use.
//!
//! A name matches a department when it is the department's canonical name or one
//! of its aliases (`县住建局`), as written (trimmed) or folded (full-width forms
//! and spaces as the importer folds them). The search may be narrowed to the
//! county of a list; a name that still matches departments of several counties is
//! narrowed by `county`, and is ambiguous if it still matches more than one.

use entity::{county, department, department_alias, duty_list};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::import::text::fold;

/// Why a name did not denote exactly one department.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// Several departments answer to the name (GraphQL code `AMBIGUOUS_NAME`).
    #[error("`{name}` names several departments: {}; say which with the county", .candidates.join(", "))]
    Ambiguous {
        /// The name as given, trimmed.
        name: String,
        /// Each department as `name (county)`.
        candidates: Vec<String>,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// The forms of a name that are looked up: as written (trimmed) and folded.
fn forms(name: &str) -> [String; 2] {
    let trimmed = name.trim();
    [trimmed.to_owned(), fold(trimmed)]
}

/// The condition a department answering to `name` meets, within the county of
/// `list` when it is given.
pub fn condition(name: &str, list: Option<i32>) -> Condition {
    let names = forms(name);
    let mut condition = Condition::all().add(
        Condition::any()
            .add(department::Column::Name.is_in(names.clone()))
            .add(
                department::Column::Id.in_subquery(
                    Query::select()
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
                Query::select()
                    .column(duty_list::Column::CountyId)
                    .from(duty_list::Entity)
                    .and_where(duty_list::Column::Id.eq(list))
                    .to_owned(),
            ),
        );
    }
    condition
}

/// The one department among those matching `name` (each with its county): those
/// of `county` when it is given ([`super::in_one_county`]), and an error when more
/// than one remains.
pub fn pick(
    name: &str,
    county: Option<&str>,
    found: Vec<(department::Model, county::Model)>,
) -> Result<Option<department::Model>, LookupError> {
    let ambiguous = |found: &[(department::Model, county::Model)]| LookupError::Ambiguous {
        name: name.trim().to_owned(),
        candidates: found
            .iter()
            .map(|(d, c)| format!("{} ({})", d.name, c.name))
            .collect(),
    };
    let mut found = super::in_one_county(found, county).map_err(|e| ambiguous(&e.0))?;
    // Names are unique within a county; two there would be a registry bug.
    if found.len() > 1 {
        return Err(ambiguous(&found));
    }
    Ok(found.pop().map(|(d, _)| d))
}

/// The department `name` denotes, within `county` or the county of `list` when
/// given; `None` when there is none.
pub async fn find_by_name(
    db: &impl ConnectionTrait,
    name: &str,
    county: Option<&str>,
    list: Option<i32>,
) -> Result<Option<department::Model>, LookupError> {
    let found = department::Entity::find()
        .find_also_related(county::Entity)
        .filter(condition(name, list))
        .order_by_asc(department::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(d, c)| Some((d, c?)))
        .collect();
    pick(name, county, found)
}
