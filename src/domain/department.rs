//! Finding a department by name: the one rule that `department(name:, county:)`,
//! every `department:` filter, `lvzhi export --department` and any later caller use.
//!
//! A name matches a department when it is the department's canonical name or one
//! of its aliases (`县住建局`), as written (trimmed) or folded (full-width forms
//! and spaces as the importer folds them). The search may be narrowed to the
//! county of a list; a name that still matches departments of several counties is
//! narrowed by `county`, and is ambiguous if it still matches more than one.
//!
//! Besides: departments with their counties and aliases, how many cooperative
//! and reclaimed duties each has, and those duties — in one list or in all.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use entity::{
    DutyKind, category, county, department, department_alias, duty, duty_department, duty_list,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use super::duty::Duties;
use super::{Complete, also_select, grouped, rows};
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
    let found = find(db, condition(name, list), false).await?;
    pick(name, county, found.departments)
}

/// Departments found, each with its county, and their aliases when asked for.
#[derive(Debug, Default)]
pub struct Found {
    /// The departments by id, each with its county.
    pub departments: Vec<(department::Model, county::Model)>,
    /// Every alias of each department, sorted (when asked for).
    pub aliases: Option<Complete<i32, Vec<String>>>,
}

/// The departments meeting `condition` (see [`condition`]), by id, each with
/// its county and, with `aliases`, its aliases: one statement.
pub async fn find(
    db: &impl ConnectionTrait,
    condition: Condition,
    aliases: bool,
) -> Result<Found, DbErr> {
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
    for row in rows(db, query).await? {
        let id: i32 = row.try_get("", "id")?;
        if found.last().is_none_or(|(d, _)| d.id != id) {
            found.push((
                department::Model::from_query_result(&row, "")?,
                county::Model::from_query_result(&row, "k_")?,
            ));
        }
        if aliases && let Some(alias) = row.try_get::<Option<String>>("", "alias")? {
            alias_lists.entry(id).or_default().push(alias);
        }
    }
    let aliases = aliases.then(|| Complete::for_keys(found.iter().map(|(d, _)| d.id), alias_lists));
    Ok(Found {
        departments: found,
        aliases,
    })
}

/// The department with id `id` meets this condition.
pub fn with_id(id: i32) -> Condition {
    Condition::all().add(department::Column::Id.eq(id))
}

/// Every department, of the counties named `county` when given, by name (two
/// statements with a county, one without).
pub async fn all(
    db: &impl ConnectionTrait,
    county: Option<&str>,
) -> Result<Vec<department::Model>, DbErr> {
    let mut query = department::Entity::find().order_by_asc(department::Column::Name);
    if let Some(county) = county {
        let counties = county::Entity::find()
            .filter(county::Column::Name.eq(county.trim()))
            .all(db)
            .await?;
        query =
            query.filter(department::Column::CountyId.is_in(counties.into_iter().map(|c| c.id)));
    }
    query.all(db).await
}

/// The aliases of each of `departments`, sorted (one statement).
pub async fn aliases(
    db: &impl ConnectionTrait,
    departments: &[i32],
) -> Result<Complete<i32, Vec<String>>, DbErr> {
    let rows = department_alias::Entity::find()
        .filter(department_alias::Column::DepartmentId.is_in(departments.iter().copied()))
        .order_by_asc(department_alias::Column::Alias)
        .all(db)
        .await?;
    let found = grouped(rows.into_iter().map(|a| (a.department_id, a.alias)));
    Ok(Complete::for_keys(departments.iter().copied(), found))
}

/// How many cooperative and reclaimed duties a department is linked to, in all lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cooperative duties it is a counterpart of.
    pub cooperative: i32,
    /// Reclaimed duties it receives.
    pub reclaimed: i32,
}

impl Counts {
    /// Set the count of `kind` (basic duties have no departments).
    fn set(&mut self, kind: DutyKind, count: i32) {
        match kind {
            DutyKind::Cooperative => self.cooperative = count,
            DutyKind::Reclaimed => self.reclaimed = count,
            DutyKind::Basic => {}
        }
    }
}

/// The counts of each of `departments` (one GROUP BY).
pub async fn counts(
    db: &impl ConnectionTrait,
    departments: &[i32],
) -> Result<Complete<i32, Counts>, DbErr> {
    let rows: Vec<(i32, DutyKind, i64)> = duty_department::Entity::find()
        .select_only()
        .column(duty_department::Column::DepartmentId)
        .column(duty::Column::Kind)
        .column_as(
            Expr::col((duty_department::Entity, duty_department::Column::DutyId)).count(),
            "duties",
        )
        .join(JoinType::InnerJoin, duty_department::Relation::Duty.def())
        .filter(duty_department::Column::DepartmentId.is_in(departments.iter().copied()))
        .group_by(duty_department::Column::DepartmentId)
        .group_by(duty::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let mut found: HashMap<i32, Counts> = HashMap::new();
    for (department, kind, count) in rows {
        found.entry(department).or_default().set(kind, count as i32);
    }
    Ok(Complete::for_keys(departments.iter().copied(), found))
}

/// Which duties of a department: of a kind, in one list or in all (`None`).
pub type DutiesKey = (i32, DutyKind, Option<i32>);

/// The duties of each key, in (list, kind, sequence number) order: one
/// statement per list asked for (almost always one), filtered in SQL.
pub async fn duties(
    db: &impl ConnectionTrait,
    keys: &[DutiesKey],
) -> Result<Complete<DutiesKey, Vec<duty::Model>>, DbErr> {
    let mut by_list: BTreeMap<Option<i32>, Vec<(i32, DutyKind)>> = BTreeMap::new();
    for &(department, kind, list) in keys {
        by_list.entry(list).or_default().push((department, kind));
    }
    let mut found = HashMap::new();
    for (list, keys) in by_list {
        let mut query = duty::Entity::find()
            .find_also_related(duty_department::Entity)
            .filter(duty_department::Column::DepartmentId.is_in(keys.iter().map(|k| k.0)))
            .filter(duty::Column::Kind.is_in(keys.iter().map(|k| k.1)));
        if let Some(list) = list {
            query = query.filter(duty::Column::ListId.eq(list));
        }
        let rows = query
            .order_by_asc(duty::Column::ListId)
            .order_by_asc(duty::Column::Kind)
            .order_by_asc(duty::Column::Seq)
            .all(db)
            .await?;
        found.extend(grouped(rows.into_iter().filter_map(|(d, link)| {
            Some(((link?.department_id, d.kind, list), d))
        })));
    }
    Ok(Complete::for_keys(keys.iter().copied(), found))
}

/// Which duties [`linked_duties`] fetches, and what with.
#[derive(Clone, Debug)]
pub struct Linked {
    /// The departments the duties are linked to.
    pub departments: Vec<i32>,
    /// Only this list's duties; `None` for every list.
    pub list: Option<i32>,
    /// Only duties of these kinds.
    pub kinds: Vec<DutyKind>,
    /// Their categories too.
    pub categories: bool,
    /// All their departments too.
    pub all_departments: bool,
}

impl Linked {
    /// These duties, for [`super::duty::related`].
    pub fn duties(&self) -> Duties {
        Duties::LinkedTo {
            departments: self.departments.clone(),
            list: self.list,
        }
    }
}

/// The duties of some kinds linked to some departments, from [`linked_duties`].
#[derive(Debug)]
pub struct LinkedDuties {
    asked: Linked,
    /// The duties in (list, kind, sequence number) order, each with the ids of
    /// all its departments, in document order.
    duties: Vec<(duty::Model, Vec<i32>)>,
    /// Their categories (when asked for).
    pub categories: Vec<category::Model>,
    /// All their departments (when asked for), in document order, by duty id.
    departments: Option<HashMap<i32, Vec<department::Model>>>,
}

/// The duties `asked` for, each with all its department links, and (as asked)
/// their categories and departments: one statement, one row per duty and
/// department.
pub async fn linked_duties(
    db: &impl ConnectionTrait,
    asked: Linked,
) -> Result<LinkedDuties, DbErr> {
    let mut query = duty::Entity::find()
        .join(JoinType::InnerJoin, duty::Relation::DutyDepartment.def())
        .column_as(
            Expr::col((
                duty_department::Entity,
                duty_department::Column::DepartmentId,
            )),
            "linked_to",
        )
        .filter(
            Duties::LinkedTo {
                departments: asked.departments.clone(),
                list: None,
            }
            .contain((duty::Entity, duty::Column::Id)),
        )
        .filter(duty::Column::Kind.is_in(asked.kinds.iter().copied()))
        .order_by_asc(duty::Column::ListId)
        .order_by_asc(duty::Column::Kind)
        .order_by_asc(duty::Column::Seq)
        .order_by_asc(duty_department::Column::Position);
    if let Some(list) = asked.list {
        query = query.filter(duty::Column::ListId.eq(list));
    }
    if asked.categories {
        query = also_select::<category::Entity, _>(
            query.join(JoinType::InnerJoin, duty::Relation::Category.def()),
            "c_",
        );
    }
    if asked.all_departments {
        query = also_select::<department::Entity, _>(
            query.join(
                JoinType::InnerJoin,
                duty_department::Relation::Department.def(),
            ),
            "d_",
        );
    }
    let mut out = LinkedDuties {
        departments: asked.all_departments.then(HashMap::new),
        duties: Vec::new(),
        categories: Vec::new(),
        asked,
    };
    for row in rows(db, query).await? {
        out.add(&row)?;
    }
    Ok(out)
}

impl LinkedDuties {
    /// Add one row of [`linked_duties`]'s statement: a duty and one of its departments.
    fn add(&mut self, row: &sea_orm::QueryResult) -> Result<(), DbErr> {
        let id: i32 = row.try_get("", "id")?;
        if self.duties.last().is_none_or(|(d, _)| d.id != id) {
            self.duties
                .push((duty::Model::from_query_result(row, "")?, Vec::new()));
            if self.asked.categories {
                self.categories
                    .push(category::Model::from_query_result(row, "c_")?);
            }
        }
        if let Some((_, links)) = self.duties.last_mut() {
            links.push(row.try_get("", "linked_to")?);
        }
        if let Some(models) = &mut self.departments {
            models
                .entry(id)
                .or_default()
                .push(department::Model::from_query_result(row, "d_")?);
        }
        Ok(())
    }

    /// The ids of the duties, in order.
    pub fn ids(&self) -> Vec<i32> {
        self.duties.iter().map(|(d, _)| d.id).collect()
    }

    /// Each (duty, department asked about) the duty is linked to.
    pub fn links(&self) -> Vec<(i32, i32)> {
        self.duties
            .iter()
            .flat_map(|(duty, links)| {
                links
                    .iter()
                    .filter(|d| self.asked.departments.contains(d))
                    .map(|&d| (duty.id, d))
            })
            .collect()
    }

    /// All the departments of each duty, in document order (when asked for).
    pub fn all_departments(&mut self) -> Option<Complete<i32, Vec<department::Model>>> {
        let found = self.departments.take()?;
        Some(Complete::for_keys(self.ids(), found))
    }

    /// The duties of each department asked about and each kind, in (list,
    /// kind, sequence number) order.
    fn by_department(&self) -> HashMap<(i32, DutyKind), Vec<&duty::Model>> {
        let mut out: HashMap<(i32, DutyKind), Vec<&duty::Model>> = self
            .asked
            .departments
            .iter()
            .flat_map(|&d| self.asked.kinds.iter().map(move |&k| ((d, k), Vec::new())))
            .collect();
        for (duty, links) in &self.duties {
            for &department in links {
                if let Some(duties) = out.get_mut(&(department, duty.kind)) {
                    duties.push(duty);
                }
            }
        }
        out
    }

    /// The duties of each department and kind under the key of each list in
    /// `lists` (`None`: every list) — those the fetch covers: the list it was
    /// narrowed to, or any when it read every list.
    pub fn by_key(&self, lists: &BTreeSet<Option<i32>>) -> Complete<DutiesKey, Vec<duty::Model>> {
        let by_department = self.by_department();
        let covered = lists
            .iter()
            .filter(|&&list| self.asked.list.is_none() || list == self.asked.list);
        let keyed = covered.flat_map(|&list| {
            by_department
                .iter()
                .map(move |(&(department, kind), duties)| {
                    let duties = duties
                        .iter()
                        .filter(|d| list.is_none_or(|l| d.list_id == l))
                        .map(|&d| d.clone())
                        .collect();
                    ((department, kind, list), duties)
                })
        });
        Complete(keyed.collect())
    }

    /// The counts of each department asked about, when the fetch read every
    /// list and both kinds that have departments.
    pub fn counts(&self) -> Option<Complete<i32, Counts>> {
        let kinds = [DutyKind::Cooperative, DutyKind::Reclaimed];
        if self.asked.list.is_some() || !kinds.iter().all(|k| self.asked.kinds.contains(k)) {
            return None;
        }
        let by_department = self.by_department();
        let count = |d: i32, k: DutyKind| by_department.get(&(d, k)).map_or(0, |v| v.len() as i32);
        let counts = self.asked.departments.iter().map(|&d| {
            let counts = Counts {
                cooperative: count(d, DutyKind::Cooperative),
                reclaimed: count(d, DutyKind::Reclaimed),
            };
            (d, counts)
        });
        Some(Complete(counts.collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duty(id: i32, list: i32, kind: DutyKind) -> duty::Model {
        duty::Model {
            id,
            list_id: list,
            kind,
            seq: id,
            category_id: 1,
            name: format!("duty {id}"),
            working_method: None,
            lineage: id,
        }
    }

    fn linked(list: Option<i32>, kinds: Vec<DutyKind>) -> LinkedDuties {
        LinkedDuties {
            asked: Linked {
                departments: vec![10],
                list,
                kinds,
                categories: false,
                all_departments: false,
            },
            duties: vec![
                (duty(1, 5, DutyKind::Cooperative), vec![10, 11]),
                (duty(2, 6, DutyKind::Reclaimed), vec![10]),
            ],
            categories: Vec::new(),
            departments: None,
        }
    }

    #[test]
    fn duties_read_for_every_list_are_given_for_each_list_asked() {
        let both = vec![DutyKind::Cooperative, DutyKind::Reclaimed];
        let lists = BTreeSet::from([None, Some(5)]);
        let by_key = linked(None, both.clone()).by_key(&lists).into_map();
        assert_eq!(by_key[&(10, DutyKind::Cooperative, Some(5))].len(), 1);
        assert_eq!(by_key[&(10, DutyKind::Reclaimed, Some(5))].len(), 0);
        assert_eq!(by_key[&(10, DutyKind::Reclaimed, None)].len(), 1);
        let counts = linked(None, both)
            .counts()
            .expect("every list and kind read");
        let counts = counts.into_map()[&10];
        assert_eq!((counts.cooperative, counts.reclaimed), (1, 1));
    }

    #[test]
    fn duties_read_for_one_list_are_given_for_that_list_alone_and_count_nothing() {
        let lists = BTreeSet::from([None, Some(5)]);
        let narrowed = linked(Some(5), vec![DutyKind::Cooperative, DutyKind::Reclaimed]);
        let by_key = narrowed.by_key(&lists).into_map();
        assert!(by_key.keys().all(|&(_, _, list)| list == Some(5)));
        assert!(narrowed.counts().is_none());
        let one_kind = linked(None, vec![DutyKind::Cooperative]);
        assert!(one_kind.counts().is_none());
    }

    #[test]
    fn only_links_to_the_departments_asked_about_are_given() {
        assert_eq!(linked(None, vec![]).links(), vec![(1, 10), (2, 10)]);
    }
}
