//! The cells of an exported list, shared by the XLSX and CSV writers.
//!
//! A cell of items holds one line per piece, in the form the importer's cell
//! splitter ([`crate::import::cell`]) reads back: a section heading (`一、扬尘综合治理`)
//! on its own line before its first item, numbered items (`1.…`, numbered through
//! the column), and — in the department column of a duty with several counterparts —
//! a department heading (`乌恰县住房和城乡建设局：`) before each run of items with the
//! same attribution, so every item keeps its departments through a round trip.

use entity::{DutyKind, Party};

use super::load::{DutyData, ListData};
use crate::import::cell;

/// One cell.
pub(super) enum Value {
    /// A whole number (序号).
    Number(i32),
    /// Text, lines separated by `\n`.
    Text(String),
}

impl Value {
    /// The cell as text.
    pub fn text(&self) -> String {
        match self {
            Value::Number(n) => n.to_string(),
            Value::Text(s) => s.clone(),
        }
    }
}

/// The rows of one table, without its header.
pub(super) struct Table {
    /// The table.
    pub kind: DutyKind,
    /// One row per duty, ordered by 序号.
    pub rows: Vec<Vec<Value>>,
}

/// The list's three tables, in document order.
pub(super) fn tables(data: &ListData) -> Vec<Table> {
    DutyKind::ALL
        .into_iter()
        .map(|kind| Table {
            kind,
            rows: data
                .duties
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| row(data, d))
                .collect(),
        })
        .collect()
}

fn row(data: &ListData, duty: &DutyData) -> Vec<Value> {
    let mut row = vec![
        Value::Number(duty.seq),
        Value::Text(duty.category.clone()),
        Value::Text(duty.name.clone()),
    ];
    match duty.kind {
        DutyKind::Basic => {}
        DutyKind::Cooperative => {
            row.push(Value::Text(data.names(&duty.departments)));
            row.push(Value::Text(department_cell(data, duty)));
            row.push(Value::Text(items_cell(duty, Party::Town, |_| true)));
        }
        DutyKind::Reclaimed => row.push(Value::Text(reclaimed_cell(data, duty))),
    }
    row
}

/// `承接部门：乌恰县自然资源局 工作方式：…`
pub(super) fn reclaimed_cell(data: &ListData, duty: &DutyData) -> String {
    format!(
        "承接部门：{} 工作方式：{}",
        data.names(&duty.departments),
        duty.working_method.as_deref().unwrap_or_default()
    )
}

/// An item line: `1.text`. A space keeps an item starting with a digit
/// (`2024年…`) from reading as a decimal number (`1.2024`).
fn numbered(n: usize, text: &str) -> String {
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{n}. {text}")
    } else {
        format!("{n}.{text}")
    }
}

/// The items of one column that `keep` selects, with their section headings,
/// numbered from 1.
pub(super) fn items_cell(
    duty: &DutyData,
    party: Party,
    keep: impl Fn(&super::load::ItemData) -> bool,
) -> String {
    let mut lines = Vec::new();
    let mut section: Option<&str> = None;
    let selected = duty.items.iter().filter(|i| i.party == party && keep(i));
    for (n, item) in selected.enumerate() {
        if item.section.as_deref() != section {
            section = item.section.as_deref();
            if let Some(s) = section {
                lines.push(s.to_owned());
            }
        }
        lines.push(numbered(n + 1, &item.text));
    }
    lines.join("\n")
}

/// The department column (上级部门职责) of a cooperative duty.
///
/// With several counterparts, each run of consecutive items with the same
/// attribution gets a heading line naming its departments (`A、B：`); a section
/// starts a new run, as it ends a heading's scope in the importer.
pub(super) fn department_cell(data: &ListData, duty: &DutyData) -> String {
    let joint = duty.departments.len() > 1;
    let mut lines = Vec::new();
    let mut section: Option<&str> = None;
    let mut scope: Option<&[i32]> = None;
    let items = duty.items.iter().filter(|i| i.party == Party::Department);
    for (n, item) in items.enumerate() {
        if item.section.as_deref() != section {
            section = item.section.as_deref();
            if let Some(s) = section {
                lines.push(s.to_owned());
            }
            scope = None;
        }
        let attributed = item.departments.as_slice();
        if joint && !attributed.is_empty() && scope != Some(attributed) {
            // Items under no heading go to every counterpart: a heading the importer
            // cannot read back (too long) may then be left out without loss.
            let implied = scope.is_none() && attributed == duty.departments.as_slice();
            match heading_line(data, attributed) {
                Some(line) => lines.push(line),
                None if implied => {}
                None => lines.push(format!("{}：", data.names(attributed))),
            }
            scope = Some(attributed);
        }
        lines.push(numbered(n + 1, &item.text));
    }
    lines.join("\n")
}

/// A heading line for `departments` the importer reads back as exactly these
/// departments: canonical names, or short names where the canonical ones do not
/// read as a heading (longer than a heading may be, or with brackets).
fn heading_line(data: &ListData, departments: &[i32]) -> Option<String> {
    let canonical: Vec<&str> = departments.iter().map(|&id| data.name(id)).collect();
    let short: Vec<&str> = departments.iter().map(|&id| data.short_name(id)).collect();
    [canonical, short].into_iter().find_map(|names| {
        let line = format!("{}：", names.join("、"));
        match cell::heading(&line) {
            Some((parsed, len)) if len == line.len() && parsed == names => Some(line),
            _ => None,
        }
    })
}
