//! Duties and their responsibility items: pages of duties by a filter, duties
//! by id, and what look-ahead fetches with them in joined statements — their
//! departments ([`related`]) and their items with their attributions.

use std::collections::HashMap;
use std::ops::BitOr;

use entity::{
    DutyKind, Party, category, department, duty, duty_department, item_department,
    responsibility_item,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoColumnRef, LikeExpr, Query as SqlQuery};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, RelationTrait, Select,
};

use super::scope::Scope;
use super::{Complete, also_select, grouped, rows};
use crate::db::columns::{self, At};

/// Which duties a page holds; every field given must match.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only duties of the lists of this scope (by default every town's
    /// current edition).
    pub scope: Scope,
    /// Only duties of this table.
    pub kind: Option<DutyKind>,
    /// Only duties of this category, by exact name (trimmed).
    pub category: Option<String>,
    /// Only the duty with this sequence number (序号).
    pub seq: Option<i32>,
    /// Only duties this department is a counterpart or receiving department of.
    pub department: Option<i32>,
    /// Only duties whose name contains this text (trimmed; empty means any).
    pub text: Option<String>,
}

impl Filter {
    /// Whether the filter chooses editions and nothing else.
    pub fn is_scope_only(&self) -> bool {
        self.kind.is_none()
            && self.category.is_none()
            && self.seq.is_none()
            && self.department.is_none()
            && self.text.as_deref().is_none_or(|t| t.trim().is_empty())
    }

    /// The SQL condition of the filter.
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all().add(self.scope.on((duty::Entity, duty::Column::ListId)));
        if let Some(kind) = self.kind {
            cond = cond.add(duty::Column::Kind.eq(kind));
        }
        if let Some(seq) = self.seq {
            cond = cond.add(duty::Column::Seq.eq(seq));
        }
        if let Some(name) = &self.category {
            cond = cond.add(
                duty::Column::CategoryId.in_subquery(
                    SqlQuery::select()
                        .column(category::Column::Id)
                        .from(category::Entity)
                        .and_where(category::Column::Name.eq(name.trim()))
                        .to_owned(),
                ),
            );
        }
        if let Some(department) = self.department {
            cond = cond.add(
                duty::Column::Id.in_subquery(
                    SqlQuery::select()
                        .column(duty_department::Column::DutyId)
                        .from(duty_department::Entity)
                        .and_where(duty_department::Column::DepartmentId.eq(department))
                        .to_owned(),
                ),
            );
        }
        if let Some(text) = self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            cond = cond.add(
                Expr::col(duty::Column::Name)
                    .like(LikeExpr::new(format!("%{}%", escape_like(text))).escape('\\')),
            );
        }
        cond
    }
}

/// `text` with LIKE's wildcards and escape character escaped by `\`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Where a duty sits in the order of pages: list, kind, sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// The list.
    pub list: i32,
    /// The table.
    pub kind: DutyKind,
    /// The sequence number.
    pub seq: i32,
}

impl Position {
    /// Where `duty` sits.
    pub fn of(duty: &duty::Model) -> Self {
        Position {
            list: duty.list_id,
            kind: duty.kind,
            seq: duty.seq,
        }
    }

    /// Rows strictly after (`forward`) or before this position in (list, kind,
    /// seq) order. Kinds are stored as `BASIC` < `COOPERATIVE` < `RECLAIMED`,
    /// which is table order.
    fn beyond(self, forward: bool) -> Condition {
        let (list, kind, seq) = (duty::Column::ListId, duty::Column::Kind, duty::Column::Seq);
        let cmp =
            |col: duty::Column, v: sea_orm::Value| if forward { col.gt(v) } else { col.lt(v) };
        Condition::any().add(cmp(list, self.list.into())).add(
            Condition::all().add(list.eq(self.list)).add(
                Condition::any().add(cmp(kind, self.kind.into())).add(
                    Condition::all()
                        .add(kind.eq(self.kind))
                        .add(cmp(seq, self.seq.into())),
                ),
            ),
        )
    }
}

/// Which page of duties to read.
#[derive(Clone, Debug)]
pub struct PageRequest {
    /// The duties to page through.
    pub filter: Filter,
    /// Only duties after this position.
    pub after: Option<Position>,
    /// Only duties before this position.
    pub before: Option<Position>,
    /// How many duties the page holds at most.
    pub size: usize,
    /// Whether the page ends at `before` (the last `size` duties) rather than
    /// starting at `after`.
    pub backward: bool,
    /// Whether to count every duty the filter matches.
    pub total: bool,
    /// Whether to read the duties' categories with them.
    pub categories: bool,
}

/// A page of duties.
#[derive(Debug, Default)]
pub struct Page {
    /// The duties, in (list, kind, sequence number) order.
    pub duties: Vec<duty::Model>,
    /// Their categories, when asked for.
    pub categories: Vec<category::Model>,
    /// The number of duties the filter matches, when asked for.
    pub total: Option<u64>,
    /// Whether more duties lie beyond the page (after it, or before it when
    /// paging backward).
    pub more: bool,
}

/// The page `request` asks for: one statement, with the categories joined in
/// and the total as a scalar subquery; an empty page carries no total, and
/// only then does counting take a statement of its own.
pub async fn page(db: &impl ConnectionTrait, request: &PageRequest) -> Result<Page, DbErr> {
    let filtered = request.filter.condition();
    let query = page_query(request, &filtered);
    let mut page = Page::default();
    let rows = rows(db, query).await?;
    if let Some(first) = rows.first()
        && request.total
    {
        page.total = Some(first.try_get::<i64>("", "total_count")? as u64);
    }
    (page.duties, page.categories) = duties_and_categories(&rows, request.categories)?;
    if request.total && page.total.is_none() {
        page.total = Some(duty::Entity::find().filter(filtered).count(db).await?);
    }
    page.more = page.duties.len() > request.size;
    page.duties.truncate(request.size);
    if request.backward {
        page.duties.reverse();
    }
    Ok(page)
}

/// The statement of a page: one row more than the page holds, to tell whether
/// there are more.
fn page_query(request: &PageRequest, filtered: &Condition) -> Select<duty::Entity> {
    let mut query = duty::Entity::find().filter(filtered.clone());
    if let Some(after) = request.after {
        query = query.filter(after.beyond(true));
    }
    if let Some(before) = request.before {
        query = query.filter(before.beyond(false));
    }
    let dir = if request.backward {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let mut query = query
        .order_by(duty::Column::ListId, dir.clone())
        .order_by(duty::Column::Kind, dir.clone())
        .order_by(duty::Column::Seq, dir)
        .limit(request.size as u64 + 1);
    if request.total {
        // The total rides in the page's statement as a scalar subquery (the
        // database runs it once), instead of a statement of its own.
        query = query.column_as(
            Expr::from(
                SqlQuery::select()
                    .expr(Expr::cust("COUNT(*)"))
                    .from(duty::Entity)
                    .cond_where(filtered.clone())
                    .to_owned(),
            ),
            "total_count",
        );
    }
    if request.categories {
        query = with_category(query);
    }
    query
}

/// `query` with the category of each duty joined in, as `c_…`.
fn with_category(query: Select<duty::Entity>) -> Select<duty::Entity> {
    also_select::<category::Entity, _>(
        query.join(JoinType::InnerJoin, duty::Relation::Category.def()),
        "c_",
    )
}

/// The duties with ids `ids`, in id order, and (with `categories`) their
/// categories: one statement.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[i32],
    categories: bool,
) -> Result<(Vec<duty::Model>, Vec<category::Model>), DbErr> {
    let mut query = duty::Entity::find()
        .filter(duty::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(duty::Column::Id);
    if categories {
        query = with_category(query);
    }
    duties_and_categories(&rows(db, query).await?, categories)
}

/// The duties of `rows` and, with `categories`, the categories joined in.
fn duties_and_categories(
    rows: &[QueryResult],
    categories: bool,
) -> Result<(Vec<duty::Model>, Vec<category::Model>), DbErr> {
    let duties = columns::read_all(rows, "")?;
    let categories = if categories {
        columns::read_all(rows, "c_")?
    } else {
        Vec::new()
    };
    Ok((duties, categories))
}

/// The responsibility item with id `id`.
pub async fn item(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<responsibility_item::Model>, DbErr> {
    responsibility_item::Entity::find_by_id(id).one(db).await
}

/// Which duties a joined fetch covers.
#[derive(Clone, Debug)]
pub enum Duties {
    /// These duties.
    Ids(Vec<i32>),
    /// Every duty linked (as counterpart or receiver) to one of these
    /// departments, in the lists of any of some scopes: a subquery, so the
    /// fetch need not wait for the statement that lists them.
    LinkedTo {
        /// The departments.
        departments: Vec<i32>,
        /// The scopes; none for every list.
        scopes: Vec<Scope>,
    },
}

impl Duties {
    /// `column IN (…)`: `column`, a duty id, is one of these duties.
    pub(super) fn contain(&self, column: impl IntoColumnRef) -> Expr {
        match self {
            Duties::Ids(ids) => Expr::col(column).is_in(ids.iter().copied()),
            Duties::LinkedTo {
                departments,
                scopes,
            } => {
                let mut linked = SqlQuery::select();
                linked
                    .column((duty_department::Entity, duty_department::Column::DutyId))
                    .from(duty_department::Entity)
                    .and_where(
                        Expr::col((
                            duty_department::Entity,
                            duty_department::Column::DepartmentId,
                        ))
                        .is_in(departments.iter().copied()),
                    );
                if !scopes.is_empty() {
                    // Through the link's own list: the index (department, list)
                    // finds the current edition's links without reading the
                    // duties of every edition.
                    let list = (duty_department::Entity, duty_department::Column::ListId);
                    linked.cond_where(
                        scopes
                            .iter()
                            .fold(Condition::any(), |any, scope| any.add(scope.on(list))),
                    );
                }
                Expr::col(column).in_subquery(linked.to_owned())
            }
        }
    }
}

/// Duties of the lists of any of `scopes`.
pub(super) fn in_any(scopes: &[Scope]) -> Condition {
    scopes.iter().fold(Condition::any(), |any, scope| {
        any.add(scope.on((duty::Entity, duty::Column::ListId)))
    })
}

/// The departments of duties in document order, by duty id (one statement).
async fn duty_departments(
    db: &impl ConnectionTrait,
    duties: &Duties,
) -> Result<HashMap<i32, Vec<department::Model>>, DbErr> {
    let query = duty_department::Entity::find()
        .join(
            JoinType::InnerJoin,
            duty_department::Relation::Department.def(),
        )
        .filter(duties.contain((duty_department::Entity, duty_department::Column::DutyId)))
        .order_by_asc(duty_department::Column::DutyId)
        .order_by_asc(duty_department::Column::Position);
    let rows = rows(db, also_select::<department::Entity, _>(query, "d_")).await?;
    let links: Vec<duty_department::Model> = columns::read_all(&rows, "")?;
    let departments = columns::read_all(&rows, "d_")?;
    Ok(grouped(links.iter().map(|l| l.duty_id).zip(departments)))
}

/// The departments of each of `duties`, in document order (one statement).
pub async fn departments(
    db: &impl ConnectionTrait,
    duties: &[i32],
) -> Result<Complete<i32, Vec<department::Model>>, DbErr> {
    let found = duty_departments(db, &Duties::Ids(duties.to_vec())).await?;
    Ok(Complete::for_keys(duties.iter().copied(), found))
}

/// The departments of the duties an admission check matched:
/// [`crate::admission::fetch`] reads every department of every duty of its list.
pub fn departments_of_matches<'a>(
    matches: impl IntoIterator<Item = &'a crate::admission::Match>,
) -> Complete<i32, Vec<department::Model>> {
    Complete(
        matches
            .into_iter()
            .map(|m| (m.duty.id, m.departments.clone()))
            .collect(),
    )
}

/// The columns `keys` ask for — (duty, column) — each in order (one statement).
pub async fn columns(
    db: &impl ConnectionTrait,
    keys: &[(i32, Party)],
) -> Result<Complete<(i32, Party), Vec<responsibility_item::Model>>, DbErr> {
    let duties = Duties::Ids(keys.iter().map(|k| k.0).collect());
    let wanted = ItemsWanted {
        department: keys.iter().any(|k| k.1 == Party::Department),
        town: keys.iter().any(|k| k.1 == Party::Town),
        ..ItemsWanted::default()
    };
    let found = items(db, &duties, &wanted).await?.by_column;
    Ok(Complete::for_keys(keys.iter().copied(), found))
}

/// The departments each of `items` (department-side) is attributed to, in
/// order (one statement).
pub async fn item_departments(
    db: &impl ConnectionTrait,
    items: &[i32],
) -> Result<Complete<i32, Vec<department::Model>>, DbErr> {
    let query = item_department::Entity::find()
        .join(
            JoinType::InnerJoin,
            item_department::Relation::Department.def(),
        )
        .filter(item_department::Column::ItemId.is_in(items.iter().copied()))
        .order_by_asc(item_department::Column::ItemId)
        .order_by_asc(item_department::Column::Position);
    let rows = rows(db, also_select::<department::Entity, _>(query, "d_")).await?;
    let links: Vec<item_department::Model> = columns::read_all(&rows, "")?;
    let departments = columns::read_all(&rows, "d_")?;
    let found = grouped(links.iter().map(|l| l.item_id).zip(departments));
    Ok(Complete::for_keys(items.iter().copied(), found))
}

/// For each (duty, department) of `keys`, the duty's department-side items
/// attributed to the department, in order (one statement).
pub async fn attributed_items(
    db: &impl ConnectionTrait,
    keys: &[(i32, i32)],
) -> Result<Complete<(i32, i32), Vec<responsibility_item::Model>>, DbErr> {
    let duties: Vec<i32> = keys.iter().map(|k| k.0).collect();
    let departments: Vec<i32> = keys.iter().map(|k| k.1).collect();
    let query = responsibility_item::Entity::find()
        .join(
            JoinType::InnerJoin,
            responsibility_item::Relation::ItemDepartment.def(),
        )
        .filter(responsibility_item::Column::DutyId.is_in(duties))
        .filter(responsibility_item::Column::Party.eq(Party::Department))
        .filter(item_department::Column::DepartmentId.is_in(departments))
        .order_by_asc(responsibility_item::Column::DutyId)
        .order_by_asc(responsibility_item::Column::Position);
    let rows = rows(db, also_select::<item_department::Entity, _>(query, "a_")).await?;
    let items: Vec<responsibility_item::Model> = columns::read_all(&rows, "")?;
    let links: Vec<item_department::Model> = columns::read_all(&rows, "a_")?;
    let found = grouped(
        items
            .into_iter()
            .zip(links)
            .map(|(item, link)| ((item.duty_id, link.department_id), item)),
    );
    Ok(Complete::for_keys(keys.iter().copied(), found))
}

/// Which items [`items`] fetches, and what with.
#[derive(Clone, Debug, Default)]
struct ItemsWanted {
    /// The whole department column.
    department: bool,
    /// The whole town column.
    town: bool,
    /// The department-side items attributed to these departments (when the whole
    /// column is not wanted, only these are fetched).
    attributed_to: Vec<i32>,
    /// All the departments of each department-side item fetched.
    departments: bool,
}

/// Items of some duties, with the departments they are attributed to.
#[derive(Default)]
struct Items {
    /// The items by (duty id, column), each column in order.
    by_column: HashMap<(i32, Party), Vec<responsibility_item::Model>>,
    /// The ids of the departments each department-side item is attributed to, in
    /// order, by item id: all of them with `departments`, else those of
    /// `attributed_to`.
    attributed: HashMap<i32, Vec<i32>>,
    /// All the departments each department-side item is attributed to, by item
    /// id (with `departments`).
    departments: HashMap<i32, Vec<department::Model>>,
}

/// The condition on items' columns `wanted` reads, `None` for both in full. A
/// column nobody asks for in full is not read: of the department column, only
/// the items of the departments asked about.
fn parties(wanted: &ItemsWanted) -> Option<Condition> {
    use responsibility_item::Column as Item;
    if wanted.town && wanted.department {
        return None;
    }
    let mut parties = Condition::any();
    if wanted.town {
        parties = parties.add(Item::Party.eq(Party::Town));
    }
    if wanted.department {
        parties = parties.add(Item::Party.eq(Party::Department));
    } else if !wanted.attributed_to.is_empty() {
        // Correlated, so the planner checks each item of the duties by its key
        // rather than hashing every attribution of the departments in every
        // edition (half the statement's time with five editions stored).
        let attribution = Alias::new("attribution");
        parties = parties.add(Expr::exists(
            SqlQuery::select()
                .expr(Expr::val(1))
                .from_as(item_department::Entity, attribution.clone())
                .and_where(
                    Expr::col((attribution.clone(), item_department::Column::ItemId))
                        .equals((responsibility_item::Entity, Item::Id)),
                )
                .and_where(
                    Expr::col((attribution, item_department::Column::DepartmentId))
                        .is_in(wanted.attributed_to.iter().copied()),
                )
                .to_owned(),
        ));
    }
    Some(parties)
}

/// `query` with the attributions `wanted` asks for joined in: the department
/// ids as `attributed_to` and, with `departments`, the departments as `d_…`.
fn with_attributions(
    query: Select<responsibility_item::Entity>,
    wanted: &ItemsWanted,
) -> Select<responsibility_item::Entity> {
    let mut link = responsibility_item::Relation::ItemDepartment.def();
    if !wanted.departments {
        // Only the attributions asked about: one row per item and such department.
        let scope = wanted.attributed_to.clone();
        link = link.on_condition(move |_, attribution| {
            Condition::all().add(
                Expr::col((attribution, item_department::Column::DepartmentId))
                    .is_in(scope.iter().copied()),
            )
        });
    }
    let query = query
        .join(JoinType::LeftJoin, link)
        .column_as(
            Expr::col((
                item_department::Entity,
                item_department::Column::DepartmentId,
            )),
            "attributed_to",
        )
        .order_by_asc(item_department::Column::Position);
    if !wanted.departments {
        return query;
    }
    also_select::<department::Entity, _>(
        query.join(
            JoinType::LeftJoin,
            item_department::Relation::Department.def(),
        ),
        "d_",
    )
}

/// The items of `duties` that `wanted` asks for, in one statement, their
/// attributions joined in.
async fn items(
    db: &impl ConnectionTrait,
    duties: &Duties,
    wanted: &ItemsWanted,
) -> Result<Items, DbErr> {
    use responsibility_item::Column as Item;
    let mut query = responsibility_item::Entity::find()
        .filter(duties.contain((responsibility_item::Entity, Item::DutyId)))
        .order_by_asc(Item::DutyId)
        .order_by_asc(Item::Party)
        .order_by_asc(Item::Position);
    if let Some(parties) = parties(wanted) {
        query = query.filter(parties);
    }
    let join = wanted.departments || !wanted.attributed_to.is_empty();
    if join {
        query = with_attributions(query, wanted);
    }
    let mut out = Items::default();
    let rows = rows(db, query).await?;
    let Some(first) = rows.first() else {
        return Ok(out);
    };
    let item_at = At::<responsibility_item::Model>::find(first, "")?;
    let attributed_at = join
        .then(|| columns::position(first, "attributed_to"))
        .transpose()?;
    let department_at = wanted
        .departments
        .then(|| At::<department::Model>::find(first, "d_"))
        .transpose()?;
    // An item with several attributions comes in several consecutive rows.
    let mut last = None;
    for row in &rows {
        let id = item_at.key(row)?;
        if last != Some(id) {
            let item = item_at.read(row)?;
            out.by_column
                .entry((item.duty_id, item.party))
                .or_default()
                .push(item);
            last = Some(id);
        }
        if let Some(at) = attributed_at
            && let Some(department) = columns::cell::<Option<i32>>(row, at)?
        {
            out.attributed.entry(id).or_default().push(department);
        }
        if let Some(at) = &department_at
            && let Some(model) = at.read_optional(row)?
        {
            out.departments.entry(id).or_default().push(model);
        }
    }
    Ok(out)
}

/// What is wanted of a set of duties besides their own columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// Their categories.
    pub category: bool,
    /// Their departments.
    pub departments: bool,
    /// Their department columns.
    pub department_items: bool,
    /// Their town columns.
    pub town_items: bool,
    /// The departments their items are attributed to.
    pub item_departments: bool,
    /// The department-side items attributed to the departments the caller passes
    /// to [`related`] (a cooperation's department items).
    pub attributed_items: bool,
}

impl Needs {
    /// Whether any items are asked for.
    fn items(&self) -> bool {
        self.department_items || self.town_items || self.attributed_items
    }

    /// Whether anything [`related`] fetches is asked for.
    pub fn related(&self) -> bool {
        self.departments || self.items()
    }
}

impl BitOr for Needs {
    type Output = Needs;

    fn bitor(self, other: Needs) -> Needs {
        Needs {
            category: self.category || other.category,
            departments: self.departments || other.departments,
            department_items: self.department_items || other.department_items,
            town_items: self.town_items || other.town_items,
            item_departments: self.item_departments || other.item_departments,
            attributed_items: self.attributed_items || other.attributed_items,
        }
    }
}

/// What [`related`] fetched: departments and items of some duties.
#[derive(Default)]
pub struct Related {
    needs: Needs,
    departments: Option<HashMap<i32, Vec<department::Model>>>,
    items: Option<Items>,
}

/// The departments and the items of `duties` that `needs` asks for (items
/// attributed to `attributed_to`, if it asks for those): one statement each,
/// run concurrently. `needs.category` is the caller's: it joins categories into
/// its own statement.
pub async fn related(
    db: &impl ConnectionTrait,
    duties: &Duties,
    needs: Needs,
    attributed_to: &[i32],
) -> Result<Related, DbErr> {
    let departments = async {
        if needs.departments {
            duty_departments(db, duties).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let wanted = ItemsWanted {
        department: needs.department_items,
        town: needs.town_items,
        attributed_to: if needs.attributed_items {
            attributed_to.to_vec()
        } else {
            Vec::new()
        },
        departments: needs.item_departments,
    };
    let items = async {
        if needs.items() {
            items(db, duties, &wanted).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (departments, items) = futures_util::future::try_join(departments, items).await?;
    Ok(Related {
        needs,
        departments,
        items,
    })
}

/// What [`related`] fetched, per key, each value complete.
#[derive(Default)]
pub struct RelatedByKey {
    /// The departments of each duty, in document order.
    pub departments: Option<Complete<i32, Vec<department::Model>>>,
    /// The items of each (duty, department) asked about, attributed to it.
    pub attributed_items: Option<Complete<(i32, i32), Vec<responsibility_item::Model>>>,
    /// The departments of each item fetched.
    pub item_departments: Option<Complete<i32, Vec<department::Model>>>,
    /// The items of each (duty, column) of the columns fetched in full.
    pub columns: Vec<Complete<(i32, Party), Vec<responsibility_item::Model>>>,
}

impl Related {
    /// What was fetched for `duties` — each of them, with an empty value where
    /// the database has no rows — and, for each (duty, department) of
    /// `attributed`, the duty's items attributed to the department. Only a
    /// column fetched in full is given as the column.
    pub fn by_key(self, duties: &[i32], attributed: &[(i32, i32)]) -> RelatedByKey {
        let needs = self.needs;
        let mut out = RelatedByKey {
            departments: self
                .departments
                .map(|found| Complete::for_keys(duties.iter().copied(), found)),
            ..RelatedByKey::default()
        };
        let Some(mut items) = self.items else {
            return out;
        };
        if needs.attributed_items {
            out.attributed_items = Some(attributed_to_each(&items, attributed));
        }
        if needs.item_departments {
            let fetched: Vec<i32> = items.by_column.values().flatten().map(|i| i.id).collect();
            let departments = std::mem::take(&mut items.departments);
            out.item_departments = Some(Complete::for_keys(fetched, departments));
        }
        for (party, fetched) in [
            (Party::Department, needs.department_items),
            (Party::Town, needs.town_items),
        ] {
            if fetched {
                let column = duties.iter().map(|&d| {
                    let items = items.by_column.remove(&(d, party)).unwrap_or_default();
                    ((d, party), items)
                });
                out.columns.push(Complete(column.collect()));
            }
        }
        out
    }
}

/// For each (duty, department) of `keys`, the duty's department-side items of
/// `items` attributed to the department.
fn attributed_to_each(
    items: &Items,
    keys: &[(i32, i32)],
) -> Complete<(i32, i32), Vec<responsibility_item::Model>> {
    let of = |duty: i32, department: i32| -> Vec<responsibility_item::Model> {
        items
            .by_column
            .get(&(duty, Party::Department))
            .into_iter()
            .flatten()
            .filter(|i| {
                items
                    .attributed
                    .get(&i.id)
                    .is_some_and(|a| a.contains(&department))
            })
            .cloned()
            .collect()
    };
    Complete(
        keys.iter()
            .map(|&(d, dep)| ((d, dep), of(d, dep)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, QueryTrait};

    use super::*;

    fn request(after: Option<Position>) -> PageRequest {
        PageRequest {
            filter: Filter::default(),
            after,
            before: None,
            size: 20,
            backward: false,
            total: false,
            categories: false,
        }
    }

    #[test]
    fn a_position_compares_kinds_by_their_stored_values() {
        let at = Position {
            list: 3,
            kind: DutyKind::Cooperative,
            seq: 7,
        };
        let sql = page_query(&request(Some(at)), &Condition::all())
            .build(DbBackend::Sqlite)
            .to_string();
        assert!(sql.contains(r#""kind" > 'COOPERATIVE'"#), "{sql}");
        assert!(sql.contains(r#""kind" = 'COOPERATIVE'"#), "{sql}");
        assert!(sql.contains(r#""seq" > 7"#), "{sql}");
    }

    #[test]
    fn like_wildcards_in_a_name_filter_match_themselves() {
        assert_eq!(escape_like(r"100%_a\b"), r"100\%\_a\\b");
    }

    #[test]
    fn what_related_read_is_complete_for_every_duty_asked_even_without_rows() {
        let related = Related {
            needs: Needs {
                departments: true,
                town_items: true,
                ..Needs::default()
            },
            departments: Some(HashMap::new()),
            items: Some(Items::default()),
        };
        let by_key = related.by_key(&[1, 2], &[]);
        let departments = by_key.departments.expect("departments were read");
        assert_eq!(departments.into_map().len(), 2);
        // Only the town column was read in full; the department column is not given.
        assert_eq!(by_key.columns.len(), 1);
        let town = by_key.columns.into_iter().next().unwrap().into_map();
        assert_eq!(town.get(&(2, Party::Town)), Some(&Vec::new()));
        assert!(!town.contains_key(&(2, Party::Department)));
    }
}
