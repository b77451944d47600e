//! Task admission (事项准入): is a task a county department hands to a town the
//! town's, by its duty list?
//!
//! - `BASIC`: a basic duty (基本履职事项), the town's own;
//! - `COOPERATIVE_TOWN_SIDE`: a cooperative duty (配合履职事项), and the task asks
//!   for what the town column (乡镇（街道）配合职责) says; the department leads;
//! - `COOPERATIVE_DEPARTMENT_SIDE`: a cooperative duty, but the task asks the
//!   town for what the list gives the department (上级部门职责): pushed down;
//! - `RECLAIMED`: a duty the department took back (上级部门收回事项);
//! - `NOT_LISTED`: in no table; it needs admission approval (准入审批).
//!
//! [`check`] fetches one list's duties, departments and items in two statements,
//! indexes them in memory ([`matcher`]) and judges each task; [`notice`] splits a
//! notice into its tasks; [`lexicon`] is the reviewable word file the matching
//! reads; [`eval`] measures the whole against labelled tasks. Nothing here knows
//! GraphQL: `graphql::admission` is a thin caller.

pub mod eval;
pub mod lexicon;
pub mod matcher;
pub mod notice;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use entity::{
    DutyKind, Party, category, department, duty, duty_department, item_department,
    responsibility_item,
};
use sea_orm::sea_query::{Alias, Expr, Query as SqlQuery};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Iden, Iterable, JoinType,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select,
};

pub use lexicon::Lexicon;
use matcher::{DocText, Field, Index, Params, Side};

/// The longest task checked, in characters (a notice point is rarely 200).
pub const MAX_TASK_CHARS: usize = 500;
/// The longest notice checked, in characters.
pub const MAX_NOTICE_CHARS: usize = 20_000;
/// The most tasks one notice may hold.
pub const MAX_TASKS: usize = 100;
/// Matches returned per task.
pub const MATCHES: usize = 3;

/// What the list says about a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VerdictKind {
    /// A basic duty: the town's own.
    Basic,
    /// A cooperative duty; the task asks for the town's column.
    CooperativeTownSide,
    /// A cooperative duty; the task asks for the department's column.
    CooperativeDepartmentSide,
    /// A duty the department took back.
    Reclaimed,
    /// In no table: needs admission approval.
    NotListed,
}

impl VerdictKind {
    /// Every verdict, in the order reports list them.
    pub const ALL: [VerdictKind; 5] = [
        VerdictKind::Basic,
        VerdictKind::CooperativeTownSide,
        VerdictKind::CooperativeDepartmentSide,
        VerdictKind::Reclaimed,
        VerdictKind::NotListed,
    ];

    /// The GraphQL and evaluation-file spelling, e.g. `COOPERATIVE_TOWN_SIDE`.
    pub fn code(self) -> &'static str {
        match self {
            VerdictKind::Basic => "BASIC",
            VerdictKind::CooperativeTownSide => "COOPERATIVE_TOWN_SIDE",
            VerdictKind::CooperativeDepartmentSide => "COOPERATIVE_DEPARTMENT_SIDE",
            VerdictKind::Reclaimed => "RECLAIMED",
            VerdictKind::NotListed => "NOT_LISTED",
        }
    }

    /// The verdict spelled `code`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// Why a task or notice was refused before any checking.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The task or notice has no text (GraphQL `BAD_USER_INPUT`).
    #[error("`{0}` is empty: pass the task's text")]
    Empty(&'static str),
    /// Longer than its cap (GraphQL `LIMIT_EXCEEDED`).
    #[error("`{field}` has {chars} characters, more than {max}")]
    TooLong {
        /// The argument.
        field: &'static str,
        /// Its length.
        chars: usize,
        /// The cap.
        max: usize,
    },
    /// A notice with more tasks than [`MAX_TASKS`] (GraphQL `LIMIT_EXCEEDED`).
    #[error("`notice` holds {0} tasks, more than {MAX_TASKS}; send it in parts")]
    TooManyTasks(usize),
}

impl InputError {
    /// Whether the input exceeds a cap (rather than being malformed).
    pub fn is_limit(&self) -> bool {
        !matches!(self, InputError::Empty(_))
    }
}

/// One task, trimmed and within [`MAX_TASK_CHARS`]; `field` names the argument.
pub fn task(text: &str, field: &'static str) -> Result<String, InputError> {
    let t = text.trim();
    let chars = t.chars().count();
    if chars > MAX_TASK_CHARS {
        return Err(InputError::TooLong {
            field,
            chars,
            max: MAX_TASK_CHARS,
        });
    }
    if !t.chars().any(char::is_alphanumeric) {
        return Err(InputError::Empty(field));
    }
    Ok(t.to_owned())
}

/// The tasks of a notice (see [`notice::tasks`]), each within the caps.
pub fn notice_tasks(text: &str) -> Result<Vec<String>, InputError> {
    let chars = text.chars().count();
    if chars > MAX_NOTICE_CHARS {
        return Err(InputError::TooLong {
            field: "notice",
            chars,
            max: MAX_NOTICE_CHARS,
        });
    }
    let tasks = notice::tasks(text);
    if tasks.is_empty() {
        return Err(InputError::Empty("notice"));
    }
    if tasks.len() > MAX_TASKS {
        return Err(InputError::TooManyTasks(tasks.len()));
    }
    tasks.iter().map(|t| task(t, "notice")).collect()
}

/// A department of a duty or item.
pub type Department = department::Model;

/// One item of a cooperative duty with the departments it is attributed to.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The item.
    pub item: responsibility_item::Model,
    /// Its departments (department column only), by id.
    pub departments: Vec<i32>,
}

/// A duty of the list with what matching needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ListDuty {
    /// The duty.
    pub duty: duty::Model,
    /// Its category.
    pub category: category::Model,
    /// Counterpart or receiving departments, in document order.
    pub departments: Vec<Department>,
    /// Town-column items, in order.
    pub town_items: Vec<Item>,
    /// Department-column items, in order.
    pub department_items: Vec<Item>,
}

/// Where a task matched: a name, an item or a working method.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// The field.
    pub source: crate::search::Source,
    /// The item, for item fields.
    pub item: Option<responsibility_item::Model>,
    /// The departments of a department-column item.
    pub departments: Vec<Department>,
    /// The whole text.
    pub text: String,
    /// Matched stretches: (character offset, length).
    pub highlights: Vec<(usize, usize)>,
    /// How much of the task it holds (idf-weighted bigrams).
    pub score: f64,
}

/// One duty a task matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// The duty.
    pub duty: duty::Model,
    /// Its category.
    pub category: category::Model,
    /// BM25F score.
    pub score: f64,
    /// Share of the task's (idf-weighted) bigrams the duty holds, 0–1.
    pub coverage: f64,
    /// For a cooperative duty: the column the task asks for.
    pub side: Option<Side>,
    /// Counterpart departments (cooperative) or receiving departments (reclaimed).
    pub departments: Vec<Department>,
    /// The name or working method, if matched.
    pub evidence: Vec<Evidence>,
    /// Matching town-column items, best first.
    pub town_items: Vec<Evidence>,
    /// Matching department-column items, best first.
    pub department_items: Vec<Evidence>,
    /// With a sending department: whether it is a counterpart of this duty.
    pub department_is_counterpart: Option<bool>,
    /// With a sending department: whether it received this duty back.
    pub department_is_receiver: Option<bool>,
}

/// The list's answer for one task.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The task as checked.
    pub task: String,
    /// The verdict.
    pub kind: VerdictKind,
    /// How sure, 0–1 (see `ARCHITECTURE.md`).
    pub confidence: f64,
    /// The duties matched, best first (at most [`MATCHES`]); the verdict rests
    /// on the first unless it is `NOT_LISTED`.
    pub matches: Vec<Match>,
}

/// A list's duties, fetched for checking.
#[derive(Clone, Debug)]
pub struct ListData {
    /// Every duty, by kind and 序号.
    pub duties: Vec<ListDuty>,
}

/// Fetch list `list`'s duties with categories and departments, and their items
/// with attributions: two statements, run concurrently.
pub async fn fetch(db: &impl ConnectionTrait, list: i32) -> Result<ListData, DbErr> {
    let (duty_rows, item_rows) = futures_util::future::try_join(
        db.query_all(&duties_query(list).into_query()),
        db.query_all(&items_query(list).into_query()),
    )
    .await?;
    let mut duties: Vec<ListDuty> = Vec::new();
    let mut at: HashMap<i32, usize> = HashMap::new();
    for row in &duty_rows {
        let d = duty::Model::from_query_result(row, "")?;
        let index = match at.get(&d.id) {
            Some(&i) => i,
            None => {
                at.insert(d.id, duties.len());
                duties.push(ListDuty {
                    duty: d,
                    category: category::Model::from_query_result(row, "c_")?,
                    departments: Vec::new(),
                    town_items: Vec::new(),
                    department_items: Vec::new(),
                });
                duties.len() - 1
            }
        };
        if row.try_get::<Option<i32>>("", "d_id")?.is_some() {
            duties[index]
                .departments
                .push(department::Model::from_query_result(row, "d_")?);
        }
    }
    for row in &item_rows {
        let item = responsibility_item::Model::from_query_result(row, "")?;
        let department: Option<i32> = row.try_get("", "item_department_id")?;
        let Some(&index) = at.get(&item.duty_id) else {
            continue;
        };
        let column = match item.party {
            Party::Town => &mut duties[index].town_items,
            Party::Department => &mut duties[index].department_items,
        };
        match column.last_mut() {
            Some(last) if last.item.id == item.id => last.departments.extend(department),
            _ => column.push(Item {
                item,
                departments: department.into_iter().collect(),
            }),
        }
    }
    Ok(ListData { duties })
}

/// Add every column of `E` to `query`, named `prefix` + column.
fn select_all<E: EntityTrait, Q: QuerySelect>(mut query: Q, prefix: &str) -> Q {
    for column in E::Column::iter() {
        query.query().expr_as(
            Expr::col((E::default(), column)),
            Alias::new(format!("{prefix}{}", column.to_string())),
        );
    }
    query
}

/// The duties of a list, one row per duty and department (none for a basic duty).
fn duties_query(list: i32) -> Select<duty::Entity> {
    let query = duty::Entity::find()
        .filter(duty::Column::ListId.eq(list))
        .join(JoinType::InnerJoin, duty::Relation::Category.def())
        .join(JoinType::LeftJoin, duty::Relation::DutyDepartment.def())
        .join(
            JoinType::LeftJoin,
            duty_department::Relation::Department.def(),
        );
    let query = select_all::<category::Entity, _>(query, "c_");
    select_all::<department::Entity, _>(query, "d_")
        .order_by_asc(duty::Column::Kind)
        .order_by_asc(duty::Column::Seq)
        .order_by_asc(duty_department::Column::Position)
}

/// The items of a list's duties, one row per item and attributed department.
fn items_query(list: i32) -> Select<responsibility_item::Entity> {
    responsibility_item::Entity::find()
        .filter(
            responsibility_item::Column::DutyId.in_subquery(
                SqlQuery::select()
                    .column(duty::Column::Id)
                    .from(duty::Entity)
                    .and_where(duty::Column::ListId.eq(list))
                    .to_owned(),
            ),
        )
        .join(
            JoinType::LeftJoin,
            responsibility_item::Relation::ItemDepartment.def(),
        )
        .column_as(
            Expr::col((
                item_department::Entity,
                item_department::Column::DepartmentId,
            )),
            "item_department_id",
        )
        .order_by_asc(responsibility_item::Column::DutyId)
        .order_by_asc(responsibility_item::Column::Party)
        .order_by_asc(responsibility_item::Column::Position)
        .order_by_asc(item_department::Column::Position)
}

/// The matching texts of the list's duties, in the same order.
fn documents(data: &ListData) -> Vec<DocText> {
    data.duties
        .iter()
        .map(|d| DocText {
            name: d.duty.name.clone(),
            category: d.category.name.clone(),
            town: d.town_items.iter().map(|i| i.item.text.clone()).collect(),
            department: d
                .department_items
                .iter()
                .map(|i| i.item.text.clone())
                .collect(),
            method: d.duty.working_method.clone(),
            cooperative: d.duty.kind == DutyKind::Cooperative,
        })
        .collect()
}

/// A list indexed for checking: what [`ListCache`] keeps.
pub struct Prepared {
    data: ListData,
    index: Index,
}

impl Prepared {
    /// Index `data` with `params`.
    pub fn new(data: ListData, params: Params) -> Self {
        let index = Index::new(documents(&data), params);
        Prepared { data, index }
    }

    /// The list's duties.
    pub fn data(&self) -> &ListData {
        &self.data
    }
}

/// A prepared list and the lexicon tasks are read with.
pub struct Checker<'a> {
    data: &'a ListData,
    index: &'a Index,
    lexicon: &'a Lexicon,
}

impl<'a> Checker<'a> {
    /// Judge tasks against `prepared`, reading them with `lexicon`.
    pub fn new(prepared: &'a Prepared, lexicon: &'a Lexicon) -> Self {
        Checker {
            data: &prepared.data,
            index: &prepared.index,
            lexicon,
        }
    }

    /// The verdict on one task; `department` is the sending department's id.
    pub fn judge(&self, task: &str, department: Option<i32>) -> Verdict {
        let query = self.index.query(task, self.lexicon);
        let ranked = self.index.rank(&query, self.lexicon);
        let threshold = self.index.params().threshold;
        let best = ranked.first().copied();
        let second = ranked.get(1).map_or(0.0, |s| s.score);
        let listed = best.filter(|b| b.coverage >= threshold);
        let matches: Vec<Match> = ranked
            .iter()
            .take(MATCHES)
            .map(|s| self.describe(&query, s.doc, s.score, s.coverage, department))
            .collect();
        let (kind, confidence) = match listed {
            None => {
                let coverage = best.map_or(0.0, |b| b.coverage);
                (
                    VerdictKind::NotListed,
                    sigmoid((threshold - coverage) / 0.08),
                )
            }
            Some(b) => {
                let kind = match (&self.data.duties[b.doc].duty.kind, matches[0].side) {
                    (DutyKind::Basic, _) => VerdictKind::Basic,
                    (DutyKind::Reclaimed, _) => VerdictKind::Reclaimed,
                    (DutyKind::Cooperative, Some(Side::Department)) => {
                        VerdictKind::CooperativeDepartmentSide
                    }
                    (DutyKind::Cooperative, _) => VerdictKind::CooperativeTownSide,
                };
                let margin = ((b.score - second) / b.score).clamp(0.0, 1.0);
                let sure = sigmoid((b.coverage - threshold) / 0.08);
                (kind, sure * (0.6 + 0.4 * (margin / 0.25).min(1.0)))
            }
        };
        Verdict {
            task: task.to_owned(),
            kind,
            confidence: (confidence * 1000.0).round() / 1000.0,
            matches,
        }
    }

    fn describe(
        &self,
        query: &matcher::Query,
        doc: usize,
        score: f64,
        coverage: f64,
        department: Option<i32>,
    ) -> Match {
        let d = &self.data.duties[doc];
        let side = (d.duty.kind == DutyKind::Cooperative)
            .then(|| matcher::side(self.index, query, doc, self.lexicon));
        let departments_by_id: HashMap<i32, &Department> =
            d.departments.iter().map(|x| (x.id, x)).collect();
        let mut evidence = Vec::new();
        let mut town_items = Vec::new();
        let mut department_items = Vec::new();
        for p in self.index.passages(query, doc) {
            let (source, item) = match p.field {
                Field::Name => (crate::search::Source::Name, None),
                Field::Method => (crate::search::Source::WorkingMethod, None),
                Field::Town => (crate::search::Source::TownItem, d.town_items.get(p.index)),
                Field::Department => (
                    crate::search::Source::DepartmentItem,
                    d.department_items.get(p.index),
                ),
                Field::Category => continue,
            };
            let text = match (p.field, item) {
                (Field::Name, _) => d.duty.name.clone(),
                (Field::Method, _) => d.duty.working_method.clone().unwrap_or_default(),
                (_, Some(i)) => i.item.text.clone(),
                (_, None) => continue,
            };
            let e = Evidence {
                source,
                item: item.map(|i| i.item.clone()),
                departments: item
                    .map(|i| {
                        i.departments
                            .iter()
                            .filter_map(|id| departments_by_id.get(id).map(|x| (*x).clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                text,
                highlights: p.highlights,
                score: (p.score * 1000.0).round() / 1000.0,
            };
            match p.field {
                Field::Town if town_items.len() < EVIDENCE_ITEMS => town_items.push(e),
                Field::Department if department_items.len() < EVIDENCE_ITEMS => {
                    department_items.push(e)
                }
                Field::Name | Field::Method => evidence.push(e),
                _ => {}
            }
        }
        let linked = department.map(|id| d.departments.iter().any(|x| x.id == id));
        Match {
            duty: d.duty.clone(),
            category: d.category.clone(),
            score: (score * 1000.0).round() / 1000.0,
            coverage: (coverage * 1000.0).round() / 1000.0,
            side,
            departments: d.departments.clone(),
            evidence,
            town_items,
            department_items,
            department_is_counterpart: linked.map(|l| l && d.duty.kind == DutyKind::Cooperative),
            department_is_receiver: linked.map(|l| l && d.duty.kind == DutyKind::Reclaimed),
        }
    }
}

/// Items of each column shown as evidence.
const EVIDENCE_ITEMS: usize = 3;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Judge `tasks` against list `list`: two statements, whatever the number of
/// tasks. `department` is the sending department's id, if known.
pub async fn check(
    db: &impl ConnectionTrait,
    list: i32,
    tasks: &[String],
    department: Option<i32>,
    lexicon: &Lexicon,
) -> Result<Vec<Verdict>, DbErr> {
    let prepared = Prepared::new(fetch(db, list).await?, Params::default());
    let checker = Checker::new(&prepared, lexicon);
    Ok(tasks.iter().map(|t| checker.judge(t, department)).collect())
}

/// Prepared lists, each kept while the data version it was read at is current.
///
/// Fetching and indexing a list costs more than judging a task against it
/// (about 10 ms against 0.5 ms for the Wuqia list), and the data changes only
/// in transactions that increment the data version (`db::bump_data_version`):
/// so a check reads the version (one row) and fetches the list only when the
/// version moved or the list is not kept. At most `capacity` lists are kept.
pub struct ListCache {
    entries: Mutex<HashMap<i32, (i64, Arc<Prepared>)>>,
    capacity: usize,
}

impl ListCache {
    /// A cache of at most `capacity` lists (0 keeps none).
    pub fn new(capacity: usize) -> Self {
        ListCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// List `list`, prepared: from the cache when its data version is current.
    pub async fn get(&self, db: &impl ConnectionTrait, list: i32) -> Result<Arc<Prepared>, DbErr> {
        let version = crate::db::data_version(db).await?;
        if let Some((v, prepared)) = self.lock().get(&list)
            && *v == version
        {
            return Ok(Arc::clone(prepared));
        }
        let prepared = Arc::new(Prepared::new(fetch(db, list).await?, Params::default()));
        if self.capacity > 0 {
            let mut entries = self.lock();
            entries.retain(|_, (v, _)| *v == version);
            if entries.len() >= self.capacity
                && let Some(&evicted) = entries.keys().next()
            {
                entries.remove(&evicted);
            }
            entries.insert(list, (version, Arc::clone(&prepared)));
        }
        Ok(prepared)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, (i64, Arc<Prepared>)>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Lists an [`ListCache`] keeps by default: a county's towns and more.
pub const CACHED_LISTS: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_trimmed_and_bounded() {
        assert_eq!(task("  低保复核 ", "task").unwrap(), "低保复核");
        assert_eq!(task(" 。；", "task"), Err(InputError::Empty("task")));
        let long = "查".repeat(MAX_TASK_CHARS + 1);
        assert!(matches!(
            task(&long, "task"),
            Err(InputError::TooLong { field: "task", .. })
        ));
        assert!(notice_tasks("1.查\n").is_ok());
        let many: String = (1..=MAX_TASKS + 1).map(|i| format!("{i}.查\n")).collect();
        assert_eq!(
            notice_tasks(&many),
            Err(InputError::TooManyTasks(MAX_TASKS + 1))
        );
        assert_eq!(notice_tasks("各乡镇："), Err(InputError::Empty("notice")));
    }

    #[test]
    fn verdict_codes_round_trip() {
        for v in VerdictKind::ALL {
            assert_eq!(VerdictKind::parse(v.code()), Some(v));
        }
    }
}
