//! Finding a department by name: the one rule that `department(name:, county:)`,
//! every `department:` filter, `lvzhi export --department` and any later caller use.
//!
//! A name matches a department when it is the department's canonical name or one
//! of its aliases (`县住建局`), as written (trimmed) or folded (full-width forms
//! and spaces as the importer folds them). The search may be narrowed to the
//! county of a list; a name that still matches departments of several counties is
//! narrowed by `county`, and is ambiguous if it still matches more than one.
//!
//! Names are read on a day: a department succeeded (机构改革: renamed, merged,
//! split, reorganised) by then answers to its successor(s) — following chains
//! of reforms — and before that day the old department answers. The day is the
//! scope's ([`Scope::day`]): today for the current editions, the day asked
//! about, or the day one list took effect. A name that leads to several
//! successors (a split) is ambiguous like a name several counties use: the
//! error lists them, and the caller names the one meant.
//!
//! Besides: departments with their counties and aliases, how many cooperative
//! and reclaimed duties each has, and those duties — in the lists of a [`Scope`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use entity::{
    DutyKind, category, county, department, department_alias, department_succession, duty,
    duty_department, duty_list,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use super::duty::{Duties, in_any};
use super::scope::Scope;
use super::{Complete, also_select, grouped, rows};
use crate::db::columns::{self, At};
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

/// The condition a department answering to `name` meets (before reforms are
/// followed, see [`named`]), within the county of the list when `scope` is one.
pub fn condition(name: &str, scope: Scope) -> Condition {
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
    if let Some(list) = scope.list() {
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

/// The department `name` denotes in `scope` (see [`named`]), within `county`
/// or the county of the scope's list when given; `None` when there is none.
pub async fn find_by_name(
    db: &impl ConnectionTrait,
    name: &str,
    county: Option<&str>,
    scope: Scope,
) -> Result<Option<department::Model>, LookupError> {
    let found = named(db, name, scope, false).await?;
    pick(name, county, found.departments)
}

/// The departments `name` denotes in `scope`, each with its county and, with
/// `aliases`, its aliases: those answering to the name, each replaced by its
/// last successor(s) when reforms effective by the scope's day succeeded it.
/// One statement, and a second only when the name matched a succeeded department.
pub async fn named(
    db: &impl ConnectionTrait,
    name: &str,
    scope: Scope,
    aliases: bool,
) -> Result<Found, DbErr> {
    let day = scope.day();
    let found = find_on(db, condition(name, scope), aliases, Some(day.clone())).await?;
    if found.succeeded.is_empty() {
        return Ok(found);
    }
    let counties: BTreeSet<i32> = found.departments.iter().map(|(d, _)| d.county_id).collect();
    let reforms = reforms(db, &counties, day, aliases).await?;
    Ok(reforms.applied_to(found))
}

/// Departments found, each with its county, and their aliases when asked for.
#[derive(Debug, Default)]
pub struct Found {
    /// The departments by id, each with its county.
    pub departments: Vec<(department::Model, county::Model)>,
    /// Every alias of each department, sorted (when asked for).
    pub aliases: Option<Complete<i32, Vec<String>>>,
    /// The departments found that a reform effective by the day asked about
    /// succeeded (only when a day was given).
    succeeded: BTreeSet<i32>,
}

/// The departments meeting `condition` (see [`condition`]), by id, each with
/// its county and, with `aliases`, its aliases: one statement.
pub async fn find(
    db: &impl ConnectionTrait,
    condition: Condition,
    aliases: bool,
) -> Result<Found, DbErr> {
    find_on(db, condition, aliases, None).await
}

/// [`find`], telling which departments found were succeeded by `day` when given
/// (a column of the same statement).
async fn find_on(
    db: &impl ConnectionTrait,
    condition: Condition,
    aliases: bool,
    day: Option<Expr>,
) -> Result<Found, DbErr> {
    let mut query = also_select::<county::Entity, _>(
        department::Entity::find().join(JoinType::InnerJoin, department::Relation::County.def()),
        "k_",
    )
    .filter(condition)
    .order_by_asc(department::Column::Id);
    if let Some(day) = &day {
        query = query.column_as(succeeded_by(day.clone()), "succeeded");
    }
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
    let mut succeeded = BTreeSet::new();
    // With aliases, a department comes in one row per alias.
    for row in rows(db, query).await? {
        let id: i32 = row.try_get("", "id")?;
        if found.last().is_none_or(|(d, _)| d.id != id) {
            found.push((
                department::Model::from_query_result(&row, "")?,
                county::Model::from_query_result(&row, "k_")?,
            ));
            if day.is_some() && row.try_get::<i32>("", "succeeded")? == 1 {
                succeeded.insert(id);
            }
        }
        if aliases && let Some(alias) = row.try_get::<Option<String>>("", "alias")? {
            alias_lists.entry(id).or_default().push(alias);
        }
    }
    let aliases = aliases.then(|| Complete::for_keys(found.iter().map(|(d, _)| d.id), alias_lists));
    Ok(Found {
        departments: found,
        aliases,
        succeeded,
    })
}

/// 1 when a reform effective by `day` succeeded the department of the row, else 0.
fn succeeded_by(day: Expr) -> Expr {
    use department_succession::Column as Succession;
    let reform = Query::select()
        .expr(Expr::val(1))
        .from(department_succession::Entity)
        .and_where(
            Expr::col((department_succession::Entity, Succession::PredecessorId))
                .equals((department::Entity, department::Column::Id)),
        )
        .and_where(Expr::col((department_succession::Entity, Succession::EffectiveOn)).lte(day))
        .to_owned();
    Expr::case(Expr::exists(reform), 1).finally(0).into()
}

/// The reforms of some counties effective by a day: who succeeded whom, and
/// the successors with their counties (and aliases, when asked for).
#[derive(Default)]
struct Successors {
    /// The successors of each predecessor.
    successors: HashMap<i32, Vec<i32>>,
    /// Every successor, with its county.
    departments: HashMap<i32, (department::Model, county::Model)>,
    /// The aliases of every successor (when asked for).
    aliases: HashMap<i32, Vec<String>>,
}

/// The reforms of `counties` effective by `day`: one statement, a row per
/// succession (and alias of the successor).
async fn reforms(
    db: &impl ConnectionTrait,
    counties: &BTreeSet<i32>,
    day: Expr,
    aliases: bool,
) -> Result<Successors, DbErr> {
    use department_succession::Column as Succession;
    let succeeds = department_succession::Entity::belongs_to(department::Entity)
        .from(Succession::SuccessorId)
        .to(department::Column::Id)
        .into();
    let mut query = also_select::<county::Entity, _>(
        department::Entity::find()
            .join(JoinType::InnerJoin, department::Relation::County.def())
            .join_rev(JoinType::InnerJoin, succeeds),
        "k_",
    )
    .column_as(
        Expr::col((department_succession::Entity, Succession::PredecessorId)),
        "predecessor",
    )
    .filter(
        Expr::col((department_succession::Entity, Succession::CountyId))
            .is_in(counties.iter().copied()),
    )
    .filter(Expr::col((department_succession::Entity, Succession::EffectiveOn)).lte(day));
    if aliases {
        query = query
            .join(JoinType::LeftJoin, department::Relation::Alias.def())
            .column_as(
                Expr::col((department_alias::Entity, department_alias::Column::Alias)),
                "alias",
            );
    }
    let mut out = Successors::default();
    for row in rows(db, query).await? {
        out.add(&row, aliases)?;
    }
    out.aliases.values_mut().for_each(|a| a.sort());
    Ok(out)
}

impl Successors {
    /// Add one row of [`reforms`]' statement.
    fn add(&mut self, row: &sea_orm::QueryResult, aliases: bool) -> Result<(), DbErr> {
        let id: i32 = row.try_get("", "id")?;
        let predecessor: i32 = row.try_get("", "predecessor")?;
        let next = self.successors.entry(predecessor).or_default();
        if !next.contains(&id) {
            next.push(id);
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = self.departments.entry(id) {
            slot.insert((
                department::Model::from_query_result(row, "")?,
                county::Model::from_query_result(row, "k_")?,
            ));
        }
        if aliases && let Some(alias) = row.try_get::<Option<String>>("", "alias")? {
            let known = self.aliases.entry(id).or_default();
            if !known.contains(&alias) {
                known.push(alias);
            }
        }
        Ok(())
    }

    /// The departments `start` leads to through successive reforms: those no
    /// reform succeeded, in key order; `start` itself if a cycle leads nowhere.
    fn last_successors(&self, start: i32) -> Vec<i32> {
        let mut last = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut todo = vec![start];
        while let Some(department) = todo.pop() {
            if !seen.insert(department) {
                continue;
            }
            match self.successors.get(&department) {
                Some(next) => todo.extend(next),
                None => {
                    last.insert(department);
                }
            }
        }
        if last.is_empty() {
            last.insert(start);
        }
        last.into_iter().collect()
    }

    /// `found` with each succeeded department replaced by its last successors.
    fn applied_to(mut self, found: Found) -> Found {
        let mut by_id: BTreeMap<i32, (department::Model, county::Model)> = BTreeMap::new();
        let mut aliases = found.aliases.map(Complete::into_map);
        for (department, county) in found.departments {
            if !found.succeeded.contains(&department.id) {
                by_id.insert(department.id, (department, county));
                continue;
            }
            for id in self.last_successors(department.id) {
                let Some(successor) = self.departments.get(&id) else {
                    // A cycle back to `department` itself.
                    by_id.insert(department.id, (department.clone(), county.clone()));
                    continue;
                };
                by_id.insert(id, successor.clone());
                if let Some(aliases) = &mut aliases {
                    aliases.insert(id, self.aliases.remove(&id).unwrap_or_default());
                }
            }
        }
        let aliases = aliases.map(|a| Complete::for_keys(by_id.keys().copied(), a));
        Found {
            departments: by_id.into_values().collect(),
            aliases,
            succeeded: BTreeSet::new(),
        }
    }
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

/// How many cooperative and reclaimed duties a department is linked to, in the
/// lists of a scope.
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

/// Which department's counts, in which lists.
pub type CountsKey = (i32, Scope);

/// Above this many departments in one scope, [`counts`] groups every
/// department of the scope rather than list them: one scan beats that many
/// index lookups, and no statement outgrows the databases' bind limits.
const COUNT_ALL_ABOVE: usize = 1_000;

/// The counts of each key: one GROUP BY per scope asked (almost always one),
/// however many departments are asked.
pub async fn counts(
    db: &impl ConnectionTrait,
    keys: &[CountsKey],
) -> Result<Complete<CountsKey, Counts>, DbErr> {
    let mut found = HashMap::new();
    for (scope, departments) in grouped(keys.iter().map(|&(d, scope)| (scope, d))) {
        let counts = counts_in(db, &departments, scope).await?;
        found.extend(counts.into_iter().map(|(d, c)| ((d, scope), c)));
    }
    Ok(Complete::for_keys(keys.iter().copied(), found))
}

/// The counts of each of `departments` in the lists of `scope` (one GROUP BY).
async fn counts_in(
    db: &impl ConnectionTrait,
    departments: &[i32],
    scope: Scope,
) -> Result<HashMap<i32, Counts>, DbErr> {
    let mut query = duty_department::Entity::find();
    if departments.len() <= COUNT_ALL_ABOVE {
        query =
            query.filter(duty_department::Column::DepartmentId.is_in(departments.iter().copied()));
    }
    let rows: Vec<(i32, DutyKind, i64)> = query
        .select_only()
        .column(duty_department::Column::DepartmentId)
        .column(duty::Column::Kind)
        .column_as(
            Expr::col((duty_department::Entity, duty_department::Column::DutyId)).count(),
            "duties",
        )
        .join(JoinType::InnerJoin, duty_department::Relation::Duty.def())
        .filter(scope.on((duty::Entity, duty::Column::ListId)))
        .group_by(duty_department::Column::DepartmentId)
        .group_by(duty::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let mut found: HashMap<i32, Counts> = HashMap::new();
    for (department, kind, count) in rows {
        found.entry(department).or_default().set(kind, count as i32);
    }
    Ok(found)
}

/// Which duties of a department: of a kind, in the lists of a scope.
pub type DutiesKey = (i32, DutyKind, Scope);

/// The duties of each key, in (list, kind, sequence number) order: one
/// statement per scope asked for (almost always one), filtered in SQL.
pub async fn duties(
    db: &impl ConnectionTrait,
    keys: &[DutiesKey],
) -> Result<Complete<DutiesKey, Vec<duty::Model>>, DbErr> {
    let mut by_scope: BTreeMap<Scope, Vec<(i32, DutyKind)>> = BTreeMap::new();
    for &(department, kind, scope) in keys {
        by_scope.entry(scope).or_default().push((department, kind));
    }
    let mut found = HashMap::new();
    for (scope, keys) in by_scope {
        let rows = duty::Entity::find()
            .find_also_related(duty_department::Entity)
            .filter(duty_department::Column::DepartmentId.is_in(keys.iter().map(|k| k.0)))
            .filter(duty::Column::Kind.is_in(keys.iter().map(|k| k.1)))
            .filter(scope.on((duty::Entity, duty::Column::ListId)))
            .order_by_asc(duty::Column::ListId)
            .order_by_asc(duty::Column::Kind)
            .order_by_asc(duty::Column::Seq)
            .all(db)
            .await?;
        found.extend(grouped(rows.into_iter().filter_map(|(d, link)| {
            Some(((link?.department_id, d.kind, scope), d))
        })));
    }
    Ok(Complete::for_keys(keys.iter().copied(), found))
}

/// Which duties [`linked_duties`] fetches, and what with.
#[derive(Clone, Debug)]
pub struct Linked {
    /// The departments the duties are linked to.
    pub departments: Vec<i32>,
    /// Only the duties of the lists of these scopes (at least one); each
    /// scope's duties are told apart in [`LinkedDuties::by_key`].
    pub scopes: BTreeSet<Scope>,
    /// The scope whose counts the fetched duties give (with both kinds that
    /// have departments), if one is asked.
    pub counted: Option<Scope>,
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
            scopes: self.scopes.iter().copied().collect(),
        }
    }
}

/// The edition a fetched duty belongs to: its list, effective day and
/// `valid_until`, read when a fetch covers several scopes.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
struct Edition {
    id: i32,
    effective_on: String,
    valid_until: Option<String>,
}

/// The duties of some kinds linked to some departments, from [`linked_duties`].
#[derive(Debug)]
pub struct LinkedDuties {
    asked: Linked,
    /// The duties in (list, kind, sequence number) order, each with the ids of
    /// all its departments, in document order.
    duties: Vec<(duty::Model, Vec<i32>)>,
    /// The edition of each duty, by duty id (when several scopes were fetched).
    editions: HashMap<i32, Edition>,
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
            // The scopes inside the subquery too: the links' own lists narrow
            // it to the editions asked about before any duty is read.
            Duties::LinkedTo {
                departments: asked.departments.clone(),
                scopes: asked.scopes.iter().copied().collect(),
            }
            .contain((duty::Entity, duty::Column::Id)),
        )
        .filter(duty::Column::Kind.is_in(asked.kinds.iter().copied()))
        .filter(in_any(&asked.scopes.iter().copied().collect::<Vec<_>>()))
        .order_by_asc(duty::Column::ListId)
        .order_by_asc(duty::Column::Kind)
        .order_by_asc(duty::Column::Seq)
        .order_by_asc(duty_department::Column::Position);
    if asked.scopes.len() > 1 {
        query = also_select::<duty_list::Entity, _>(
            query.join(JoinType::InnerJoin, duty::Relation::DutyList.def()),
            "l_",
        );
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
        editions: HashMap::new(),
        categories: Vec::new(),
        asked,
    };
    let rows = rows(db, query).await?;
    if let Some(first) = rows.first() {
        let at = LinkedColumns::find(first, &out.asked)?;
        for row in &rows {
            out.add(row, &at)?;
        }
    }
    Ok(out)
}

/// Where the models of [`linked_duties`]'s rows start.
struct LinkedColumns {
    duty: At<duty::Model>,
    linked_to: usize,
    category: Option<At<category::Model>>,
    department: Option<At<department::Model>>,
}

impl LinkedColumns {
    /// Found in the statement's first row.
    fn find(row: &sea_orm::QueryResult, asked: &Linked) -> Result<Self, DbErr> {
        Ok(LinkedColumns {
            duty: At::find(row, "")?,
            linked_to: columns::position(row, "linked_to")?,
            category: asked.categories.then(|| At::find(row, "c_")).transpose()?,
            department: asked
                .all_departments
                .then(|| At::find(row, "d_"))
                .transpose()?,
        })
    }
}

impl LinkedDuties {
    /// Add one row of [`linked_duties`]'s statement: a duty and one of its departments.
    fn add(&mut self, row: &sea_orm::QueryResult, at: &LinkedColumns) -> Result<(), DbErr> {
        let id = at.duty.key(row)?;
        if self.duties.last().is_none_or(|(d, _)| d.id != id) {
            self.duties.push((at.duty.read(row)?, Vec::new()));
            if let Some(category) = &at.category {
                self.categories.push(category.read(row)?);
            }
            if self.asked.scopes.len() > 1 {
                self.editions
                    .insert(id, Edition::from_query_result(row, "l_")?);
            }
        }
        if let Some((_, links)) = self.duties.last_mut() {
            links.push(columns::cell(row, at.linked_to)?);
        }
        if let (Some(models), Some(department)) = (&mut self.departments, &at.department) {
            models.entry(id).or_default().push(department.read(row)?);
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

    /// Whether `duty` is in the lists of `scope`: every fetched duty is when
    /// the fetch covered one scope.
    fn in_scope(&self, duty: &duty::Model, scope: Scope) -> bool {
        if self.asked.scopes.len() <= 1 {
            return true;
        }
        self.editions
            .get(&duty.id)
            .is_some_and(|e| scope.holds(e.id, &e.effective_on, e.valid_until.as_deref()))
    }

    /// The duties of each department and kind under the key of each scope the
    /// fetch covered.
    pub fn by_key(&self) -> Complete<DutiesKey, Vec<duty::Model>> {
        let by_department = self.by_department();
        let keyed = self.asked.scopes.iter().flat_map(|&scope| {
            by_department
                .iter()
                .map(move |(&(department, kind), duties)| {
                    let duties = duties
                        .iter()
                        .filter(|d| self.in_scope(d, scope))
                        .map(|&d| d.clone())
                        .collect();
                    ((department, kind, scope), duties)
                })
        });
        Complete(keyed.collect())
    }

    /// The counts of each department asked about in the scope asked to count,
    /// when the fetch covered it with both kinds that have departments.
    pub fn counts(&self) -> Option<Complete<CountsKey, Counts>> {
        let kinds = [DutyKind::Cooperative, DutyKind::Reclaimed];
        let scope = self
            .asked
            .counted
            .filter(|scope| self.asked.scopes.contains(scope))?;
        if !kinds.iter().all(|k| self.asked.kinds.contains(k)) {
            return None;
        }
        let by_department = self.by_department();
        let count = |d: i32, k: DutyKind| {
            by_department.get(&(d, k)).map_or(0, |duties| {
                duties.iter().filter(|d| self.in_scope(d, scope)).count() as i32
            })
        };
        let counts = self.asked.departments.iter().map(|&d| {
            let counts = Counts {
                cooperative: count(d, DutyKind::Cooperative),
                reclaimed: count(d, DutyKind::Reclaimed),
            };
            ((d, scope), counts)
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

    fn edition(id: i32, valid_until: Option<&str>) -> Edition {
        Edition {
            id,
            effective_on: "2025-07-01".into(),
            valid_until: valid_until.map(str::to_owned),
        }
    }

    /// Duty 1 (cooperative) in list 5, an old edition; duty 2 (reclaimed) in
    /// list 6, a current one.
    fn linked(scopes: &[Scope], counted: Option<Scope>, kinds: Vec<DutyKind>) -> LinkedDuties {
        LinkedDuties {
            asked: Linked {
                departments: vec![10],
                scopes: scopes.iter().copied().collect(),
                counted,
                kinds,
                categories: false,
                all_departments: false,
            },
            duties: vec![
                (duty(1, 5, DutyKind::Cooperative), vec![10, 11]),
                (duty(2, 6, DutyKind::Reclaimed), vec![10]),
            ],
            editions: HashMap::from([(1, edition(5, Some("2025-10-01"))), (2, edition(6, None))]),
            categories: Vec::new(),
            departments: None,
        }
    }

    const BOTH: [DutyKind; 2] = [DutyKind::Cooperative, DutyKind::Reclaimed];

    #[test]
    fn duties_read_for_one_scope_are_all_given_for_it_and_count_in_it() {
        let current = linked(&[Scope::Current], Some(Scope::Current), BOTH.to_vec());
        let by_key = current.by_key().into_map();
        assert_eq!(by_key.len(), 2);
        assert_eq!(
            by_key[&(10, DutyKind::Cooperative, Scope::Current)].len(),
            1
        );
        let counts = current.counts().expect("the counted scope was read");
        let counts = counts.into_map()[&(10, Scope::Current)];
        assert_eq!((counts.cooperative, counts.reclaimed), (1, 1));
    }

    #[test]
    fn duties_read_for_several_scopes_are_given_to_each_by_their_edition() {
        let both = linked(
            &[Scope::Current, Scope::List(5)],
            Some(Scope::Current),
            BOTH.to_vec(),
        );
        let by_key = both.by_key().into_map();
        assert_eq!(
            by_key[&(10, DutyKind::Cooperative, Scope::List(5))].len(),
            1
        );
        assert_eq!(by_key[&(10, DutyKind::Reclaimed, Scope::List(5))].len(), 0);
        assert_eq!(
            by_key[&(10, DutyKind::Cooperative, Scope::Current)].len(),
            0
        );
        assert_eq!(by_key[&(10, DutyKind::Reclaimed, Scope::Current)].len(), 1);
        let counts = both.counts().expect("the counted scope was read");
        let counts = counts.into_map()[&(10, Scope::Current)];
        assert_eq!((counts.cooperative, counts.reclaimed), (0, 1));
    }

    #[test]
    fn counts_come_from_duties_only_when_their_scope_and_both_kinds_were_read() {
        let one_list = linked(&[Scope::List(5)], Some(Scope::Current), BOTH.to_vec());
        assert!(one_list.counts().is_none());
        let one_kind = linked(
            &[Scope::Current],
            Some(Scope::Current),
            vec![DutyKind::Cooperative],
        );
        assert!(one_kind.counts().is_none());
        assert!(
            linked(&[Scope::Current], None, BOTH.to_vec())
                .counts()
                .is_none()
        );
    }

    #[test]
    fn only_links_to_the_departments_asked_about_are_given() {
        let current = linked(&[Scope::Current], None, vec![]);
        assert_eq!(current.links(), vec![(1, 10), (2, 10)]);
    }

    #[test]
    fn reforms_lead_through_chains_and_splits_to_the_last_successors() {
        let reforms = Successors {
            // 1 → 2 → {3, 4}; 5 → 6 → 5 (renamed back and forth).
            successors: HashMap::from([(1, vec![2]), (2, vec![4, 3]), (5, vec![6]), (6, vec![5])]),
            ..Successors::default()
        };
        assert_eq!(reforms.last_successors(1), vec![3, 4]);
        assert_eq!(reforms.last_successors(2), vec![3, 4]);
        assert_eq!(reforms.last_successors(5), vec![5]);
    }
}
