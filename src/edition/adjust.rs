//! Adjustments as pure data: what a request states about one duty ([`Draft`]),
//! the duty it makes ([`revise`], checked by the rules of its table), and a set
//! of requests applied to an edition's duties to make the next edition
//! ([`apply`]). Departments are canonical names here: the domain layer
//! resolves the names a client writes and reads and writes the editions.

use std::fmt;

use entity::{AdjustmentOperation as Operation, DutyKind, Party};
use serde::{Deserialize, Serialize};

use super::{DutyVersion, ItemVersion, Place};
use crate::import::text::{clean, strip_item_end};

/// A table, as a request's JSON stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Table {
    /// 基本履职事项.
    Basic,
    /// 配合履职事项.
    Cooperative,
    /// 上级部门收回事项.
    Reclaimed,
}

impl From<Table> for DutyKind {
    fn from(table: Table) -> Self {
        match table {
            Table::Basic => DutyKind::Basic,
            Table::Cooperative => DutyKind::Cooperative,
            Table::Reclaimed => DutyKind::Reclaimed,
        }
    }
}

impl From<DutyKind> for Table {
    fn from(kind: DutyKind) -> Self {
        match kind {
            DutyKind::Basic => Table::Basic,
            DutyKind::Cooperative => Table::Cooperative,
            DutyKind::Reclaimed => Table::Reclaimed,
        }
    }
}

/// What a request states about a duty. For ADD, the whole duty; for MODIFY and
/// MOVE, the fields it changes (an absent field stays as it is). MOVE needs
/// `kind`, MODIFY may not change it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Draft {
    /// The table (ADD, MOVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Table>,
    /// Where in its table (ADD, MOVE): the 序号 it takes, later duties moving
    /// down; at the end when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u32>,
    /// 事项类别.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// 事项名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Counterpart (配合) or receiving (收回) departments, canonical names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departments: Option<Vec<String>>,
    /// 工作方式 of a reclaimed duty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_method: Option<String>,
    /// The department column's items (上级部门职责).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_items: Option<Vec<ItemDraft>>,
    /// The town column's items (乡镇（街道）配合职责).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town_items: Option<Vec<ItemDraft>>,
}

/// One item a request states.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemDraft {
    /// The item's wording.
    pub text: String,
    /// The section heading it sits under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Department column: the departments it is attributed to; empty for the
    /// duty's only counterpart, or all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<String>,
}

/// A problem with one field of a request: `field: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path, e.g. `duty.townItems[2].text`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl Draft {
    /// The draft with its wording cleaned as the importer cleans a document's:
    /// whitespace collapsed, punctuation widths, an item's trailing `；`/`。`.
    pub fn cleaned(&self) -> Draft {
        let text = |s: &Option<String>| s.as_deref().map(clean);
        let items = |items: &Option<Vec<ItemDraft>>| {
            items.as_ref().map(|items| {
                items
                    .iter()
                    .map(|item| ItemDraft {
                        text: strip_item_end(&clean(&item.text)).to_owned(),
                        section: text(&item.section).filter(|s| !s.is_empty()),
                        departments: item.departments.clone(),
                    })
                    .collect()
            })
        };
        Draft {
            kind: self.kind,
            seq: self.seq,
            category: text(&self.category),
            name: text(&self.name),
            departments: self.departments.clone(),
            working_method: text(&self.working_method).filter(|s| !s.is_empty()),
            department_items: items(&self.department_items),
            town_items: items(&self.town_items),
        }
    }

    /// Whether the draft states nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == Draft::default()
    }
}

/// The duty a request makes: for ADD from the draft alone, for MODIFY and MOVE
/// from `target` (the duty it changes) with the draft's fields. The result
/// keeps `target`'s place (a new duty: its table, 序号 0) and follows the rules
/// of its table; every problem names its field.
pub fn revise(
    operation: Operation,
    draft: &Draft,
    target: Option<&DutyVersion>,
) -> Result<DutyVersion, FieldError> {
    let draft = draft.cleaned();
    let base = match (operation, target) {
        (Operation::Add, _) => added(&draft)?,
        (Operation::Remove, Some(target)) if draft.is_empty() => return Ok(target.clone()),
        (Operation::Remove, Some(_)) => {
            return Err(FieldError::new("duty", "a REMOVE states no duty fields"));
        }
        (Operation::Modify | Operation::Move, Some(target)) => changed(operation, &draft, target)?,
        (Operation::Remove | Operation::Modify | Operation::Move, None) => {
            return Err(FieldError::new(
                "dutyId",
                "this operation needs the duty it changes",
            ));
        }
        (_, _) => {
            return Err(FieldError::new(
                "operation",
                "department reforms are not duty changes",
            ));
        }
    };
    check_table_rules(&base)?;
    Ok(base)
}

/// A new duty from a whole draft.
fn added(draft: &Draft) -> Result<DutyVersion, FieldError> {
    let kind: DutyKind = draft
        .kind
        .ok_or_else(|| FieldError::new("duty.kind", "a new duty needs its table"))?
        .into();
    let mut duty = DutyVersion {
        place: Place { kind, seq: 0 },
        category: draft.category.clone().unwrap_or_default(),
        name: draft.name.clone().unwrap_or_default(),
        departments: draft.departments.clone().unwrap_or_default(),
        working_method: draft.working_method.clone(),
        items: Vec::new(),
    };
    duty.items = items_of(draft, &duty.departments, &[])?;
    Ok(duty)
}

/// `target` with the draft's fields; for MOVE, in its new table, without what
/// that table has no column for.
fn changed(
    operation: Operation,
    draft: &Draft,
    target: &DutyVersion,
) -> Result<DutyVersion, FieldError> {
    if operation == Operation::Modify && draft.seq.is_some() {
        return Err(FieldError::new(
            "duty.seq",
            "a MODIFY keeps the duty's 序号",
        ));
    }
    let kind = match (operation, draft.kind.map(DutyKind::from)) {
        (Operation::Move, None) => {
            return Err(FieldError::new(
                "duty.kind",
                "a MOVE needs the table it moves to",
            ));
        }
        (Operation::Move, Some(kind)) if kind == target.place.kind => {
            return Err(FieldError::new(
                "duty.kind",
                format!("the duty is in the {} table already", kind.label()),
            ));
        }
        (Operation::Modify, Some(kind)) if kind != target.place.kind => {
            return Err(FieldError::new(
                "duty.kind",
                "a MODIFY keeps the duty's table; use MOVE",
            ));
        }
        (Operation::Modify, _) if draft.is_empty() => {
            return Err(FieldError::new("duty", "a MODIFY must change something"));
        }
        (_, kind) => kind.unwrap_or(target.place.kind),
    };
    let departments = draft
        .departments
        .clone()
        .unwrap_or_else(|| target.departments.clone());
    let mut duty = DutyVersion {
        place: Place {
            kind,
            seq: target.place.seq,
        },
        category: draft
            .category
            .clone()
            .unwrap_or_else(|| target.category.clone()),
        name: draft.name.clone().unwrap_or_else(|| target.name.clone()),
        departments,
        working_method: draft
            .working_method
            .clone()
            .or_else(|| target.working_method.clone()),
        items: Vec::new(),
    };
    duty.items = items_of(draft, &duty.departments, &target.items)?;
    if operation == Operation::Move {
        drop_absent_columns(&mut duty);
    }
    Ok(duty)
}

/// A moved duty loses the columns its new table lacks: a basic duty has no
/// departments, a reclaimed one no items, only a reclaimed one a working method.
fn drop_absent_columns(duty: &mut DutyVersion) {
    match duty.place.kind {
        DutyKind::Basic => {
            duty.departments.clear();
            duty.items.clear();
            duty.working_method = None;
        }
        DutyKind::Cooperative => duty.working_method = None,
        DutyKind::Reclaimed => duty.items.clear(),
    }
}

/// The duty's items: each column from the draft when it states it, else as
/// `old` has it; department items attributed as the importer does when they
/// name no department (the only counterpart, else all of them).
fn items_of(
    draft: &Draft,
    departments: &[String],
    old: &[ItemVersion],
) -> Result<Vec<ItemVersion>, FieldError> {
    let column = |party: Party, stated: &Option<Vec<ItemDraft>>, field: &str| match stated {
        None => Ok(old.iter().filter(|i| i.party == party).cloned().collect()),
        Some(items) => items
            .iter()
            .enumerate()
            .map(|(n, item)| item_of(party, item, departments, &format!("duty.{field}[{n}]")))
            .collect::<Result<Vec<_>, _>>(),
    };
    let mut items = column(
        Party::Department,
        &draft.department_items,
        "departmentItems",
    )?;
    items.extend(column(Party::Town, &draft.town_items, "townItems")?);
    Ok(items)
}

fn item_of(
    party: Party,
    item: &ItemDraft,
    departments: &[String],
    field: &str,
) -> Result<ItemVersion, FieldError> {
    if item.text.is_empty() {
        return Err(FieldError::new(
            format!("{field}.text"),
            "an item needs its text",
        ));
    }
    let attributed = match party {
        Party::Town if !item.departments.is_empty() => {
            return Err(FieldError::new(
                format!("{field}.departments"),
                "a town item is attributed to no department",
            ));
        }
        Party::Town => Vec::new(),
        Party::Department if item.departments.is_empty() => departments.to_vec(),
        Party::Department => item.departments.clone(),
    };
    Ok(ItemVersion {
        party,
        section: item.section.clone(),
        text: item.text.clone(),
        departments: attributed,
    })
}

/// The rules every duty of a table follows, as the importer holds a document to
/// them: a category and a name; departments where the table has them (distinct),
/// none where it has not; items only in the cooperative table, each attributed
/// to the duty's own departments.
pub fn check_table_rules(duty: &DutyVersion) -> Result<(), FieldError> {
    if duty.category.is_empty() {
        return Err(FieldError::new(
            "duty.category",
            "a duty needs its category",
        ));
    }
    if duty.name.is_empty() {
        return Err(FieldError::new("duty.name", "a duty needs its name"));
    }
    let kind = duty.place.kind;
    let has_departments = kind != DutyKind::Basic;
    match (has_departments, duty.departments.is_empty()) {
        (true, true) => {
            return Err(FieldError::new(
                "duty.departments",
                format!("a duty of the {} table needs its departments", kind.label()),
            ));
        }
        (false, false) => {
            return Err(FieldError::new(
                "duty.departments",
                "a basic duty has no departments",
            ));
        }
        _ => {}
    }
    if let Some((n, name)) = duty
        .departments
        .iter()
        .enumerate()
        .find(|(n, d)| duty.departments[..*n].contains(d))
    {
        return Err(FieldError::new(
            format!("duty.departments[{n}]"),
            format!("{name} is named twice"),
        ));
    }
    if kind != DutyKind::Reclaimed && duty.working_method.is_some() {
        return Err(FieldError::new(
            "duty.workingMethod",
            "only a reclaimed duty has a working method",
        ));
    }
    if kind != DutyKind::Cooperative && !duty.items.is_empty() {
        return Err(FieldError::new(
            "duty.departmentItems",
            format!("a duty of the {} table has no items", kind.label()),
        ));
    }
    check_attributions(duty)
}

fn check_attributions(duty: &DutyVersion) -> Result<(), FieldError> {
    let department_items = duty.items.iter().filter(|i| i.party == Party::Department);
    for (n, item) in department_items.enumerate() {
        if let Some(name) = item
            .departments
            .iter()
            .find(|d| !duty.departments.contains(d))
        {
            return Err(FieldError::new(
                format!("duty.departmentItems[{n}].departments"),
                format!("{name} is not among the duty's departments"),
            ));
        }
    }
    Ok(())
}

/// What a department reform (机构改革) request states: the departments it ends
/// and those that take over, by canonical name once checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reform {
    /// The departments reformed: one renamed or split, several merged.
    pub predecessors: Vec<String>,
    /// The departments that take over: one for a rename or merge, several
    /// for a split.
    pub successors: Vec<Successor>,
}

/// A department that takes over in a reform.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Successor {
    /// Its canonical name.
    pub name: String,
    /// Its short form, for a department the county does not have yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    /// For a split: the part of the old remit it takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<String>,
    /// For a split: the lineages of the duties it takes over.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lineages: Vec<i32>,
}

/// Whether a reform has the shape its operation needs: a rename one
/// department and one successor, a merge several and one, a split one and
/// several; names given, no department on both sides.
pub fn check_reform(operation: Operation, reform: &Reform) -> Result<(), FieldError> {
    let (before, after) = (reform.predecessors.len(), reform.successors.len());
    let shape = match operation {
        Operation::RenameDepartment => (
            before == 1 && after == 1,
            "one department and one successor",
        ),
        Operation::MergeDepartments => (
            before >= 2 && after == 1,
            "two or more departments and one successor",
        ),
        Operation::SplitDepartment => (
            before == 1 && after >= 2,
            "one department and two or more successors",
        ),
        _ => return Err(FieldError::new("operation", "not a department reform")),
    };
    if !shape.0 {
        return Err(FieldError::new(
            "reform",
            format!("this reform names {}", shape.1),
        ));
    }
    for (n, successor) in reform.successors.iter().enumerate() {
        if successor.name.trim().is_empty() {
            return Err(FieldError::new(
                format!("reform.successors[{n}].name"),
                "a successor needs its name",
            ));
        }
        if reform.predecessors.contains(&successor.name) {
            return Err(FieldError::new(
                format!("reform.successors[{n}].name"),
                format!("{} is also a department the reform ends", successor.name),
            ));
        }
        if reform.successors[..n]
            .iter()
            .any(|s| s.name == successor.name)
        {
            return Err(FieldError::new(
                format!("reform.successors[{n}].name"),
                format!("{} is named twice", successor.name),
            ));
        }
    }
    Ok(())
}

/// The edition's duties after a reform: every predecessor a duty or item names
/// replaced by its successor (a rename or merge), or by the successors that
/// take the duty over (a split; a duty none takes is refused, naming it).
pub fn reform_duties(duties: &mut [Planned], reform: &Reform) -> Result<(), FieldError> {
    let split = reform.successors.len() > 1;
    for duty in duties.iter_mut() {
        let named = duty
            .version
            .departments
            .iter()
            .any(|d| reform.predecessors.contains(d));
        if !named {
            continue;
        }
        let takers: Vec<String> = reform
            .successors
            .iter()
            .filter(|s| !split || duty.lineage.is_some_and(|l| s.lineages.contains(&l)))
            .map(|s| s.name.clone())
            .collect();
        if takers.is_empty() {
            return Err(FieldError::new(
                "reform.successors",
                format!(
                    "{} 「{}」 names {}: say which successor takes it over",
                    super::matching::place_text(duty.version.place),
                    duty.version.name,
                    reform.predecessors.join("、")
                ),
            ));
        }
        duty.version.departments = replaced(&duty.version.departments, reform, &takers);
        for item in &mut duty.version.items {
            item.departments = replaced(&item.departments, reform, &takers);
        }
    }
    Ok(())
}

/// `names` with every predecessor replaced by `takers`, each name once, in order.
fn replaced(names: &[String], reform: &Reform, takers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let new: Vec<&String> = if reform.predecessors.contains(name) {
            takers.iter().collect()
        } else {
            vec![name]
        };
        for n in new {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
    }
    out
}

/// One request, ready to apply: its operation, the lineage of the duty it
/// changes, the duty as it makes it (ADD, MODIFY, MOVE) and where it asks
/// the duty to go.
#[derive(Clone, Debug)]
pub struct Adjustment {
    /// The request's id, for errors.
    pub id: i32,
    /// What it does.
    pub operation: Operation,
    /// The duty it changes (REMOVE, MODIFY, MOVE).
    pub lineage: Option<i32>,
    /// The draft it states.
    pub draft: Draft,
}

/// A duty of the edition being made: the lineage it continues (`None` for a
/// new duty) and what it states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    /// The lineage of the duty it continues.
    pub lineage: Option<i32>,
    /// The duty.
    pub version: DutyVersion,
}

/// Why a set of requests cannot be applied to an edition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// A request's duty is not in the edition (removed by an earlier request
    /// of the same set, or by a newer edition).
    #[error("adjustment {id}: its duty is not in the edition it is applied to")]
    Missing {
        /// The request.
        id: i32,
    },
    /// A request's draft does not make a valid duty there.
    #[error("adjustment {id}: {error}")]
    Invalid {
        /// The request.
        id: i32,
        /// The problem.
        error: FieldError,
    },
}

/// The next edition's duties: `adjustments` applied in order to `current` (in
/// table and 序号 order), each table numbered 1, 2, 3… again.
pub fn apply(current: &[Planned], adjustments: &[Adjustment]) -> Result<Vec<Planned>, ApplyError> {
    let mut duties = current.to_vec();
    for adjustment in adjustments {
        apply_one(&mut duties, adjustment)?;
    }
    renumber(&mut duties);
    Ok(duties)
}

fn apply_one(duties: &mut Vec<Planned>, adjustment: &Adjustment) -> Result<(), ApplyError> {
    let id = adjustment.id;
    let invalid = |error| ApplyError::Invalid { id, error };
    let at = match adjustment.lineage {
        None => None,
        Some(lineage) => Some(
            duties
                .iter()
                .position(|d| d.lineage == Some(lineage))
                .ok_or(ApplyError::Missing { id })?,
        ),
    };
    let target = at.map(|i| &duties[i].version);
    let revised = revise(adjustment.operation, &adjustment.draft, target).map_err(invalid)?;
    match (adjustment.operation, at) {
        (Operation::Remove, Some(i)) => {
            duties.remove(i);
        }
        (Operation::Modify, Some(i)) => duties[i].version = revised,
        (Operation::Move, Some(i)) => {
            let lineage = duties.remove(i).lineage;
            insert(duties, lineage, revised, adjustment.draft.seq).map_err(invalid)?;
        }
        _ => {
            if duplicate_name(duties, &revised) {
                return Err(invalid(FieldError::new(
                    "duty.name",
                    format!(
                        "the {} table has a duty named {} already",
                        revised.place.kind.label(),
                        revised.name
                    ),
                )));
            }
            insert(duties, None, revised, adjustment.draft.seq).map_err(invalid)?;
        }
    }
    Ok(())
}

fn duplicate_name(duties: &[Planned], duty: &DutyVersion) -> bool {
    duties
        .iter()
        .any(|d| d.version.place.kind == duty.place.kind && d.version.name == duty.name)
}

/// Put `version` into its table at 序号 `seq` (1 to one past the table's end),
/// or at the end.
fn insert(
    duties: &mut Vec<Planned>,
    lineage: Option<i32>,
    version: DutyVersion,
    seq: Option<u32>,
) -> Result<(), FieldError> {
    let kind = version.place.kind;
    renumber(duties);
    let table: Vec<usize> = (0..duties.len())
        .filter(|&i| duties[i].version.place.kind == kind)
        .collect();
    let end = table.len() as u32 + 1;
    let seq = seq.unwrap_or(end);
    if seq == 0 || seq > end {
        return Err(FieldError::new(
            "duty.seq",
            format!("the {} table takes 序号 1 to {end}", kind.label()),
        ));
    }
    let index = match table.get(seq as usize - 1) {
        Some(&i) => i,
        // After the table's last duty, or where the table would be.
        None => table
            .last()
            .map_or_else(|| table_start(duties, kind), |&i| i + 1),
    };
    duties.insert(index, Planned { lineage, version });
    Ok(())
}

/// Where an empty table of `kind` starts: after every duty of an earlier table.
fn table_start(duties: &[Planned], kind: DutyKind) -> usize {
    duties
        .iter()
        .position(|d| d.version.place.kind > kind)
        .unwrap_or(duties.len())
}

/// Tables in their order, each numbered 1, 2, 3… in its current order.
fn renumber(duties: &mut [Planned]) {
    duties.sort_by_key(|d| d.version.place.kind);
    let mut next = std::collections::HashMap::new();
    for duty in duties {
        let seq = next.entry(duty.version.place.kind).or_insert(0u32);
        *seq += 1;
        duty.version.place.seq = *seq;
    }
}

#[cfg(test)]
mod tests;
