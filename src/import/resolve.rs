//! Raw duties + the county's registry → resolved duties with every department-side
//! item attributed.
//!
//! Attribution of a department-side item, first rule that applies:
//! 1. a duty with one counterpart department: that department;
//! 2. the item names department(s) at its start (`县自然资源局指导…`,
//!    `县应急管理局、县住建局…等部门调查…`): those;
//! 3. the item sits under a department heading (`县红十字会：`, joint
//!    `县文旅局、县商信局：`) in its section: the heading's departments;
//! 4. otherwise: all of the duty's counterpart departments.
//!
//! Every name must resolve in the county's registry, and an item can only be
//! attributed to a counterpart of its duty; anything else fails the import.
//!
//! A name is resolved as of the document's day: a department a reform replaced
//! before that day stands for its successor (a document that still uses the old
//! name after a rename or merge means the new department). A name whose
//! department was split fails: the document must say which successor.

use std::collections::BTreeMap;

use entity::{DutyKind, Party};

use super::cell::Piece;
use super::document::{Document, RawDuty, Stated, excerpt};
use super::registry::{CountyRegistry, DepartmentDef, Reforms, Resolution, Succession};
use super::{ImportError, LineError, Location, UnknownName};
use crate::date::Date;

/// A list ready to be stored: every department is an index into `departments`.
#[derive(Clone, Debug)]
pub struct ResolvedList {
    /// Province-level region (省/自治区), e.g. `新疆维吾尔自治区`.
    pub region: String,
    /// Prefecture (州/市), e.g. `克孜勒苏柯尔克孜自治州`; empty where the title names none.
    pub prefecture: String,
    /// County, e.g. `乌恰县`: the county whose registry resolved the departments.
    pub county: String,
    /// Town or street office (乡镇/街道), e.g. `乌恰镇`.
    pub town: String,
    /// The list's title as published, e.g. `乌恰县乌恰镇履职事项清单`.
    pub title: String,
    /// `YYYY-MM`.
    pub published_on: String,
    /// Preamble text.
    pub preamble: String,
    /// Stated counts per kind.
    pub stated: Vec<Stated>,
    /// Stated total.
    pub stated_total: Option<u32>,
    /// The county's departments (the registry's), in registry order.
    pub departments: Vec<DepartmentDef>,
    /// The county's successions (the registry's), indices into `departments`.
    pub successions: Vec<Succession>,
    /// Duties in document order.
    pub duties: Vec<ResolvedDuty>,
    /// Stated counts, as stored.
    pub stated_rows: Vec<StatedRow>,
}

/// A stated count row, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatedRow {
    /// The table the preamble speaks of.
    pub kind: DutyKind,
    /// Stated duties.
    pub duty_count: Option<u32>,
    /// Stated categories.
    pub category_count: Option<u32>,
    /// Stated departments.
    pub department_count: Option<u32>,
    /// Listed category names, `、`-joined.
    pub category_names: Option<String>,
}

/// One duty, resolved.
#[derive(Clone, Debug)]
pub struct ResolvedDuty {
    /// The table the duty is in.
    pub kind: DutyKind,
    /// 序号.
    pub seq: u32,
    /// Line in the document.
    pub line: usize,
    /// Category name.
    pub category: String,
    /// Name (事项名称), clean text.
    pub name: String,
    /// Counterpart or receiving departments, in document order.
    pub departments: Vec<usize>,
    /// 工作方式.
    pub working_method: Option<String>,
    /// Responsibility items: department side first, then town side, each in order.
    pub items: Vec<ResolvedItem>,
}

/// One responsibility item, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedItem {
    /// The column the item comes from: the department's or the town's.
    pub party: Party,
    /// 1-based order within its column.
    pub position: u32,
    /// Section heading.
    pub section: Option<String>,
    /// Clean text.
    pub text: String,
    /// Departments (department side only).
    pub departments: Vec<usize>,
}

/// Resolve a parsed document against its county's registry, as of day `on`.
pub fn resolve(
    document: Document,
    county: &CountyRegistry,
    on: Date,
) -> Result<ResolvedList, ImportError> {
    let mut unknown: BTreeMap<String, Vec<(DutyKind, u32, usize)>> = BTreeMap::new();
    let mut errors: Vec<LineError> = Vec::new();
    let mut duties = Vec::with_capacity(document.duties.len());
    for raw in &document.duties {
        let mut lookup = |name: &str| {
            let found = county.resolve(name);
            if found.is_none() {
                unknown
                    .entry(name.to_owned())
                    .or_default()
                    .push((raw.kind, raw.seq, raw.line));
            }
            found
        };
        let mut departments = Vec::new();
        for name in &raw.departments {
            if let Some(index) = lookup(name) {
                if departments.contains(&index) {
                    errors.push(LineError::line(
                        raw.line,
                        format!(
                            "{} 序号 {} lists {} twice (as `{name}`)",
                            raw.kind.label(),
                            raw.seq,
                            county.departments[index].name
                        ),
                    ));
                } else {
                    departments.push(index);
                }
            }
        }
        let mut items = Vec::new();
        attribute(
            raw,
            &departments,
            county,
            &mut lookup,
            &mut items,
            &mut errors,
        );
        push_town_items(&raw.town_cell, &mut items);
        duties.push(ResolvedDuty {
            kind: raw.kind,
            seq: raw.seq,
            line: raw.line,
            category: raw.category.clone(),
            name: raw.name.clone(),
            departments,
            working_method: raw.working_method.clone(),
            items,
        });
    }
    if !unknown.is_empty() {
        return Err(ImportError::UnknownDepartments {
            county: county.name.clone(),
            names: unknown
                .into_iter()
                .map(|(name, places)| UnknownName {
                    name,
                    places: places
                        .into_iter()
                        .map(|(kind, seq, line)| {
                            (kind.label().to_owned(), seq, Location::Line(line))
                        })
                        .collect(),
                })
                .collect(),
        });
    }
    succeed(
        &mut duties,
        &document.duties,
        county.reforms(),
        on,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ImportError::Malformed(errors));
    }
    let stated_rows = document
        .stated
        .iter()
        .filter_map(|s| {
            Some(StatedRow {
                kind: s.kind?,
                duty_count: s.duties,
                category_count: s.categories,
                department_count: s.departments,
                category_names: (!s.category_names.is_empty()).then(|| s.category_names.join("、")),
            })
        })
        .collect();
    Ok(ResolvedList {
        region: document.region,
        prefecture: document.prefecture,
        county: document.county,
        town: document.town,
        title: document.title,
        published_on: document.published_on,
        preamble: document.preamble,
        stated: document.stated,
        stated_total: document.stated_total,
        departments: county.departments.clone(),
        successions: county.successions().to_vec(),
        duties,
        stated_rows,
    })
}

impl ResolvedList {
    /// The county's reforms, as the registry that resolved the list knows them.
    pub fn reforms(&self) -> Reforms<'_> {
        Reforms {
            departments: &self.departments,
            successions: &self.successions,
        }
    }
}

/// Put every department a reform replaced by day `on` in its successor's place,
/// in the duties' departments and the items' attributions. A split department
/// is an error at its duty's line: which successor is meant, only the document
/// can say.
fn succeed(
    duties: &mut [ResolvedDuty],
    raws: &[RawDuty],
    reforms: Reforms<'_>,
    on: Date,
    errors: &mut Vec<LineError>,
) {
    if reforms.successions.is_empty() {
        return;
    }
    for (duty, raw) in duties.iter_mut().zip(raws) {
        let mut successor = |index: usize| match reforms.successor_on(index, on) {
            Resolution::Department(found) => Some(found),
            Resolution::Split(parts) => {
                let names: Vec<&str> = parts
                    .iter()
                    .map(|&p| reforms.departments[p].name.as_str())
                    .collect();
                errors.push(LineError::line(
                    raw.line,
                    format!(
                        "{} 序号 {} names {}, which a reform before {on} split into {}: name the one meant",
                        raw.kind.label(),
                        raw.seq,
                        reforms.departments[index].name,
                        names.join("、")
                    ),
                ));
                None
            }
        };
        duty.departments = dedup(
            duty.departments
                .iter()
                .filter_map(|&d| successor(d))
                .collect(),
        );
        for item in &mut duty.items {
            item.departments = dedup(
                item.departments
                    .iter()
                    .filter_map(|&d| successor(d))
                    .collect(),
            );
        }
    }
}

/// Attribute the department column's items of one duty.
fn attribute(
    raw: &RawDuty,
    counterparts: &[usize],
    county: &CountyRegistry,
    lookup: &mut impl FnMut(&str) -> Option<usize>,
    items: &mut Vec<ResolvedItem>,
    errors: &mut Vec<LineError>,
) {
    let mut heading: Option<Vec<usize>> = None;
    let mut not_counterpart = |index: usize, how: &str| {
        errors.push(LineError::line(
            raw.line,
            format!(
                "{} 序号 {}: {how} {}, which is not among the duty's 对应上级部门",
                raw.kind.label(),
                raw.seq,
                county.departments[index].name
            ),
        ));
    };
    let mut section = None;
    let mut position = 0;
    for piece in &raw.department_cell {
        match piece {
            Piece::Section(title) => {
                section = Some(title.clone());
                heading = None;
            }
            Piece::Heading(names) => {
                let resolved: Vec<usize> = names.iter().filter_map(|n| lookup(n)).collect();
                if counterparts.len() > 1 {
                    for &index in resolved.iter().filter(|i| !counterparts.contains(i)) {
                        not_counterpart(index, "a heading names");
                    }
                }
                heading = Some(dedup(resolved));
            }
            Piece::Item(text) => {
                let departments = if counterparts.len() == 1 {
                    counterparts.to_vec()
                } else {
                    let leading = leading_departments(text, county);
                    if !leading.is_empty() {
                        for &index in leading.iter().filter(|i| !counterparts.contains(i)) {
                            not_counterpart(
                                index,
                                &format!("item `{}` starts with", excerpt(text)),
                            );
                        }
                        leading
                    } else if let Some(h) = heading.as_ref().filter(|h| !h.is_empty()) {
                        h.clone()
                    } else {
                        counterparts.to_vec()
                    }
                };
                position += 1;
                items.push(ResolvedItem {
                    party: Party::Department,
                    position,
                    section: section.clone(),
                    text: text.clone(),
                    departments,
                });
            }
        }
    }
}

/// Append the town column's items, tracking the section each sits under.
fn push_town_items(cell: &[Piece], items: &mut Vec<ResolvedItem>) {
    let mut section = None;
    let mut position = 0;
    for piece in cell {
        match piece {
            Piece::Section(title) => section = Some(title.clone()),
            Piece::Heading(_) => {}
            Piece::Item(text) => {
                position += 1;
                items.push(ResolvedItem {
                    party: Party::Town,
                    position,
                    section: section.clone(),
                    text: text.clone(),
                    departments: Vec::new(),
                });
            }
        }
    }
}

/// The departments an item names at its start: `县应急管理局、县住建局等部门…`.
/// An item that starts with a department may name another at the start of a later
/// clause (`县委统战部做好…；县委组织部做好…`): both do the item's work.
pub fn leading_departments(text: &str, county: &CountyRegistry) -> Vec<usize> {
    let mut found = names_at(text, county);
    if !found.is_empty() {
        for clause in text.split(['；', ';']).skip(1) {
            found.extend(names_at(clause.trim_start(), county));
        }
    }
    dedup(found)
}

/// The list of department names `text` starts with.
fn names_at(text: &str, county: &CountyRegistry) -> Vec<usize> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some((index, len)) = county.match_prefix(rest) {
        found.push(index);
        rest = &rest[len..];
        // Another name may follow after a separator; a lone `和` is not a list.
        let next = ["、", "和", "与", "及"]
            .iter()
            .find_map(|sep| rest.strip_prefix(sep));
        match next {
            Some(after) if county.match_prefix(after).is_some() => rest = after,
            _ => break,
        }
    }
    found
}

fn dedup(mut v: Vec<usize>) -> Vec<usize> {
    let mut seen = Vec::with_capacity(v.len());
    v.retain(|x| {
        let new = !seen.contains(x);
        seen.push(*x);
        new
    });
    v
}
