//! Editions over GraphQL: where a list came from (`EditionSource`) and
//! `listDiff`, what changed between two editions of a town's list, as typed
//! entries down to items and departments. The diff is
//! [`crate::domain::edition::diff_editions`]'s; this module only decodes IDs and
//! turns it into output types. The edition fields of `DutyList` and `Duty` are
//! in `list.rs` and `duty.rs`.

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, SimpleObject};
use entity::{county, duty_list};

use super::duty::Party;
use super::list::{DutyKind, DutyList};
use super::loaders::{CountyLoader, load};
use super::{conn, id, must};
use crate::domain::edition::{EditionDiff, EditionError, StoredVersion, diff_editions};
use crate::edition::diff::{self, Diff};
use crate::edition::{DutyVersion, ItemVersion};
use crate::error::{ApiError, ApiResult};

/// Where an edition came from.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::EditionSource")]
pub enum EditionSource {
    /// An imported document (`sourceName` is its file name).
    Import,
    /// A set of approved adjustments to the previous edition.
    Adjustment,
}

/// How a duty changed between two editions: the first that applies, in this order.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::edition::diff::Change")]
pub enum DutyChange {
    /// Only in the `to` edition (新增).
    Added,
    /// Only in the `from` edition (删除).
    Removed,
    /// Moved to another table (移动), whatever else changed.
    Moved,
    /// Same table, content changed (修改).
    Modified,
    /// Same table and content, another place among its neighbours (调整序号).
    Renumbered,
}

/// A field of a duty compared as text.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::edition::diff::Field")]
pub enum DutyField {
    /// 事项类别.
    Category,
    /// 事项名称.
    Name,
    /// 工作方式 of a reclaimed duty.
    WorkingMethod,
}

/// How a responsibility item changed: the first that applies, in this order.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::edition::diff::ItemChangeKind")]
pub enum ItemChangeKind {
    /// No similar item in the `from` edition's column.
    Added,
    /// No similar item in the `to` edition's column.
    Removed,
    /// The same item reworded.
    Reworded,
    /// The same text under another section heading.
    Moved,
    /// The same text and section, attributed to other departments.
    Reattributed,
}

/// How a department changed between two editions.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::edition::diff::DepartmentChangeKind")]
pub enum DepartmentChangeKind {
    /// Renamed by a reform (更名).
    Renamed,
    /// Merged with others by a reform (合并).
    Merged,
    /// Split by a reform (拆分).
    Split,
    /// Named only by the `to` edition, succeeding no one (新增).
    Added,
    /// Named only by the `from` edition, succeeded by no one (不再涉及).
    Removed,
}

/// How one department of a duty or item compares between the editions.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepartmentDeltaKind {
    /// Named by the `to` edition, continuing none of the `from` edition's departments.
    Added,
    /// Named by the `from` edition, continued by none of the `to` edition's.
    Removed,
    /// Continued under its successors' names: no change of the duty or item.
    Succeeded,
}

/// One department of a duty or item, `from` edition against `to`.
#[derive(SimpleObject, Clone, Debug)]
pub struct DepartmentDelta {
    /// Added, removed, or succeeded (a reform, not a change).
    pub change: DepartmentDeltaKind,
    /// The department's canonical name: the `to` edition's for an added one,
    /// the `from` edition's otherwise.
    pub department: String,
    /// For a succeeded department, its successors as the `to` edition names them.
    pub successors: Vec<String>,
}

impl From<&diff::DepartmentDelta> for DepartmentDelta {
    fn from(delta: &diff::DepartmentDelta) -> Self {
        let (change, department, successors) = match delta {
            diff::DepartmentDelta::Added(d) => (DepartmentDeltaKind::Added, d, Vec::new()),
            diff::DepartmentDelta::Removed(d) => (DepartmentDeltaKind::Removed, d, Vec::new()),
            diff::DepartmentDelta::Succeeded { before, after } => {
                (DepartmentDeltaKind::Succeeded, before, after.clone())
            }
        };
        DepartmentDelta {
            change,
            department: department.clone(),
            successors,
        }
    }
}

/// A duty as one edition states it.
#[derive(SimpleObject, Clone, Debug)]
pub struct DutySnapshot {
    /// The duty's ID in that edition (fetch it with `duty(id:)`).
    pub id: ID,
    /// The duty's lineage, the same in every edition.
    pub lineage: ID,
    /// The table.
    pub kind: DutyKind,
    /// Sequence number (序号) within its table.
    pub seq: i32,
    /// Category (事项类别).
    pub category: String,
    /// Name (事项名称).
    pub name: String,
    /// Counterpart or receiving departments by canonical name, in document order.
    pub departments: Vec<String>,
    /// Working method (工作方式) of a reclaimed duty.
    pub working_method: Option<String>,
}

impl DutySnapshot {
    fn of(stored: &StoredVersion) -> Self {
        let v: &DutyVersion = &stored.version;
        DutySnapshot {
            id: id::encode("Duty", stored.duty_id),
            lineage: id::encode("Lineage", stored.lineage),
            kind: v.place.kind.into(),
            seq: v.place.seq as i32,
            category: v.category.clone(),
            name: v.name.clone(),
            departments: v.departments.clone(),
            working_method: v.working_method.clone(),
        }
    }
}

/// A responsibility item as one edition states it.
#[derive(SimpleObject, Clone, Debug)]
pub struct ItemSnapshot {
    /// The column: the department's or the town's.
    pub party: Party,
    /// The section heading it sits under, if any.
    pub section: Option<String>,
    /// The item's text.
    pub text: String,
    /// The departments a department-side item is attributed to, by canonical name.
    pub departments: Vec<String>,
}

impl From<&ItemVersion> for ItemSnapshot {
    fn from(item: &ItemVersion) -> Self {
        ItemSnapshot {
            party: item.party.into(),
            section: item.section.clone(),
            text: item.text.clone(),
            departments: item.departments.clone(),
        }
    }
}

/// A changed field of a duty in both editions.
#[derive(SimpleObject, Clone, Debug)]
pub struct FieldChange {
    /// Which field.
    pub field: DutyField,
    /// Its value in the `from` edition.
    pub before: Option<String>,
    /// Its value in the `to` edition.
    pub after: Option<String>,
}

/// A changed responsibility item of a duty in both editions.
#[derive(SimpleObject, Clone, Debug)]
pub struct ItemChange {
    /// How it changed.
    pub change: ItemChangeKind,
    /// The item in the `from` edition (null when added).
    pub before: Option<ItemSnapshot>,
    /// The item in the `to` edition (null when removed).
    pub after: Option<ItemSnapshot>,
    /// Its departments compared through the successions (matched items only).
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    pub department_changes: Vec<DepartmentDelta>,
}

/// One changed duty.
#[derive(SimpleObject, Clone, Debug)]
pub struct DiffEntry {
    /// The primary change.
    pub change: DutyChange,
    /// Whether the duty changed place among its neighbours within its table
    /// (always for RENUMBERED, possibly for MODIFIED), not merely shifted by
    /// additions or removals above it.
    pub renumbered: bool,
    /// The duty in the `from` edition (null when added).
    pub before: Option<DutySnapshot>,
    /// The duty in the `to` edition (null when removed).
    pub after: Option<DutySnapshot>,
    /// Category, name and working method where they changed.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    pub fields: Vec<FieldChange>,
    /// The duty's departments compared through the successions; a succession
    /// alone is listed but is no change.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    pub department_changes: Vec<DepartmentDelta>,
    /// Items added, removed, reworded, moved or reattributed.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    pub items: Vec<ItemChange>,
}

/// How many duties changed how, over all tables.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct DiffCounts {
    /// Duties added (新增).
    pub added: i32,
    /// Duties removed (删除).
    pub removed: i32,
    /// Duties staying in their table with content changed (修改).
    pub modified: i32,
    /// Duties moved to another table (移动).
    pub moved: i32,
    /// Duties unchanged but for their place among their neighbours (调整序号).
    pub renumbered: i32,
    /// Duties whose 序号 changed only by the shift of additions, removals and
    /// moves above them (modified or not); not entries for that.
    pub shifted: i32,
    /// Duties staying in their table without any change (shifted or not).
    pub unchanged: i32,
}

/// How the duties of one table changed.
#[derive(SimpleObject, Clone, Debug)]
pub struct TableDiffCounts {
    /// The table.
    pub kind: DutyKind,
    /// Duties added to it.
    pub added: i32,
    /// Duties removed from it.
    pub removed: i32,
    /// Duties staying in it with content changed.
    pub modified: i32,
    /// Duties moved into it from another table.
    pub moved_in: i32,
    /// Duties moved out of it to another table.
    pub moved_out: i32,
    /// Duties staying in it, unchanged but for their place among their neighbours.
    pub renumbered: i32,
    /// Duties staying in it without any change.
    pub unchanged: i32,
    /// Duties staying in it whose 序号 changed only by a shift.
    pub shifted: i32,
}

impl From<&diff::KindCounts> for TableDiffCounts {
    fn from(c: &diff::KindCounts) -> Self {
        TableDiffCounts {
            kind: c.kind.into(),
            added: c.added as i32,
            removed: c.removed as i32,
            modified: c.modified as i32,
            moved_in: c.moved_in as i32,
            moved_out: c.moved_out as i32,
            renumbered: c.renumbered as i32,
            unchanged: c.unchanged as i32,
            shifted: c.shifted as i32,
        }
    }
}

/// A department's change between the editions.
#[derive(SimpleObject, Clone, Debug)]
pub struct DepartmentChange {
    /// Renamed, merged or split by a reform, or added or removed.
    pub change: DepartmentChangeKind,
    /// The departments as the `from` edition names them (empty when added).
    pub before: Vec<String>,
    /// The departments as the `to` edition names them (empty when removed).
    pub after: Vec<String>,
    /// Duties naming them (as a duty's department or an item's): in the `from`
    /// edition, or in the `to` edition for an added department.
    pub duty_count: i32,
}

/// A duty the matching could not pair unambiguously (never for stored
/// editions, which are paired by lineage).
#[derive(SimpleObject, Clone, Debug)]
pub struct DiffAmbiguity {
    /// The `from` edition's duty, when it is the one with several candidates.
    pub before: Option<DutySnapshot>,
    /// The `to` edition's duty, when it is the one with several candidates.
    pub after: Option<DutySnapshot>,
    /// Its candidates in the other edition, best first.
    pub candidates: Vec<DiffCandidate>,
}

/// A candidate of an ambiguous duty.
#[derive(SimpleObject, Clone, Debug)]
pub struct DiffCandidate {
    /// The candidate duty.
    pub duty: DutySnapshot,
    /// Its similarity, 0–1.
    pub score: f64,
}

/// What changed from one edition of a town's list to another.
pub struct ListDiff {
    found: EditionDiff,
    county: county::Model,
}

impl ListDiff {
    fn diff(&self) -> &Diff {
        &self.found.diff
    }

    fn list(&self, list: &duty_list::Model) -> DutyList {
        DutyList::new(list.clone(), self.county.clone())
    }

    fn before(&self, index: Option<usize>) -> Option<DutySnapshot> {
        index
            .and_then(|i| self.found.from_duties.get(i))
            .map(DutySnapshot::of)
    }

    fn after(&self, index: Option<usize>) -> Option<DutySnapshot> {
        index
            .and_then(|i| self.found.to_duties.get(i))
            .map(DutySnapshot::of)
    }

    fn entry(&self, e: &diff::Entry) -> DiffEntry {
        DiffEntry {
            change: e.change.into(),
            renumbered: e.renumbered,
            before: self.before(e.old),
            after: self.after(e.new),
            fields: e
                .fields
                .iter()
                .map(|f| FieldChange {
                    field: f.field.into(),
                    before: f.before.clone(),
                    after: f.after.clone(),
                })
                .collect(),
            department_changes: e.department_changes.iter().map(Into::into).collect(),
            items: e.items.iter().map(item_change).collect(),
        }
    }

    fn ambiguity(&self, a: &crate::edition::matching::Ambiguity) -> DiffAmbiguity {
        // The candidates are in the other edition than the duty in doubt.
        let candidate = |(i, score): &(usize, f64)| {
            let duty = if a.old.is_some() {
                self.after(Some(*i))
            } else {
                self.before(Some(*i))
            };
            duty.map(|duty| DiffCandidate {
                duty,
                score: *score,
            })
        };
        DiffAmbiguity {
            before: self.before(a.old),
            after: self.after(a.new),
            candidates: a.candidates.iter().filter_map(candidate).collect(),
        }
    }
}

fn item_change(c: &diff::ItemChange) -> ItemChange {
    ItemChange {
        change: c.change.into(),
        before: c.before.as_ref().map(Into::into),
        after: c.after.as_ref().map(Into::into),
        department_changes: c.department_changes.iter().map(Into::into).collect(),
    }
}

/// What changed from one edition of a town's list to another: duties paired by
/// lineage, departments compared through the reforms (机构改革) recorded
/// between the two editions' effective days.
#[Object]
impl ListDiff {
    /// The edition compared from.
    async fn from(&self) -> DutyList {
        self.list(&self.found.from)
    }

    /// The edition compared to.
    async fn to(&self) -> DutyList {
        self.list(&self.found.to)
    }

    /// How many duties changed how, over all tables.
    async fn counts(&self) -> DiffCounts {
        let mut total = DiffCounts::default();
        for c in &self.diff().counts {
            total.added += c.added as i32;
            total.removed += c.removed as i32;
            total.modified += c.modified as i32;
            total.moved += c.moved_in as i32;
            total.renumbered += c.renumbered as i32;
            total.shifted += c.shifted as i32;
            total.unchanged += c.unchanged as i32;
        }
        total
    }

    /// Per table of either edition, in table order, how many duties changed how.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn tables(&self) -> Vec<TableDiffCounts> {
        self.diff().counts.iter().map(Into::into).collect()
    }

    /// One entry per changed duty: by the `to` edition's table and 序号, then
    /// the removed duties by the `from` edition's. An unchanged duty has none.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn entries(&self) -> Vec<DiffEntry> {
        self.diff().entries.iter().map(|e| self.entry(e)).collect()
    }

    /// Departments renamed, merged or split by a reform between the editions,
    /// and departments only one edition names.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn departments(&self) -> Vec<DepartmentChange> {
        self.diff()
            .departments
            .iter()
            .map(|d| DepartmentChange {
                change: d.change.into(),
                before: d.before.clone(),
                after: d.after.clone(),
                duty_count: d.duties as i32,
            })
            .collect()
    }

    /// Duties that could not be paired unambiguously; empty for stored
    /// editions, whose duties are paired by lineage.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn ambiguous(&self) -> Vec<DiffAmbiguity> {
        self.diff()
            .ambiguous
            .iter()
            .map(|a| self.ambiguity(a))
            .collect()
    }
}

/// The GraphQL error of a diff that could not be made; `from` and `to` are the
/// IDs the client sent.
fn diff_error(error: EditionError, from: &ID, to: &ID) -> async_graphql::Error {
    let api = match error {
        EditionError::NotFound(key) => {
            let id = if id::decode(from, "DutyList").ok() == Some(key) {
                from
            } else {
                to
            };
            ApiError::NotFound(format!("duty list `{}`", id.as_str()))
        }
        EditionError::DifferentTowns { .. } => ApiError::BadUserInput(error.to_string()),
        EditionError::Successions(e) => {
            tracing::error!(error = %e, "stored successions are not renames");
            ApiError::Internal
        }
        EditionError::Database(e) => ApiError::from(e),
    };
    api.extend()
}

/// Queries about editions.
#[derive(Default)]
pub struct EditionQuery;

/// Queries about editions.
#[Object]
impl EditionQuery {
    /// What changed from the edition `from` to the edition `to` of the same
    /// town's list (`from` may be the later one: the diff then runs
    /// backwards). Lists of different towns are `BAD_USER_INPUT`, an unknown
    /// list `NOT_FOUND`.
    async fn list_diff(&self, ctx: &Context<'_>, from: ID, to: ID) -> ApiResult<ListDiff> {
        let (from_key, to_key) = (id::decode(&from, "DutyList")?, id::decode(&to, "DutyList")?);
        let found = diff_editions(conn(ctx), from_key, to_key)
            .await
            .map_err(|e| diff_error(e, &from, &to))?;
        let county = must(
            load::<CountyLoader, _>(ctx, found.from.county_id).await?,
            "county",
        )?;
        Ok(ListDiff { found, county })
    }
}
