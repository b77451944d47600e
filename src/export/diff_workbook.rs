//! The diff of two editions as an XLSX workbook a county office reads in Excel or
//! WPS: a `汇总` sheet with the counts per table, then one sheet per kind of change
//! (`新增`, `删除`, `修改`, `移动`, `调整序号`, `部门变更`), each with a bold frozen
//! header row, wrapped cells and columns wide enough for Chinese text. Old and new
//! values sit side by side (`修改前`, `修改后`); the `修改` sheet has one row per
//! changed field, department or item, so a reader filters by what changed.

use entity::{DutyKind, Party};
use rust_xlsxwriter::{Workbook, XlsxError};

use super::ExportError;
use super::workbook::{Formats, write_error};
use crate::edition::diff::{
    Change, DepartmentChangeKind, DepartmentDelta, Diff, Entry, Field, ItemChange, ItemChangeKind,
};
use crate::edition::{DutyVersion, ItemVersion};

/// The summary sheet.
pub const SUMMARY_SHEET: &str = "汇总";
/// The sheet of departments' successions, arrivals and departures.
pub const DEPARTMENT_SHEET: &str = "部门变更";

/// The sheet of each duty change, in workbook order.
pub const CHANGE_SHEETS: [(Change, &str); 5] = [
    (Change::Added, "新增"),
    (Change::Removed, "删除"),
    (Change::Modified, "修改"),
    (Change::Moved, "移动"),
    (Change::Renumbered, "调整序号"),
];

/// A cell to write.
enum Cell {
    Number(u32),
    Text(String),
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// One sheet's layout and rows.
struct Sheet<'a> {
    name: &'a str,
    header: &'a [&'a str],
    widths: &'a [f64],
    rows: Vec<Vec<Cell>>,
}

/// The diff as an XLSX workbook (see the module documentation).
pub fn diff_xlsx(diff: &Diff) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    let formats = Formats::new();
    for sheet in sheets(diff) {
        write_sheet(&mut workbook, &sheet, &formats).map_err(write_error)?;
    }
    workbook.save_to_buffer().map_err(write_error)
}

/// The sheet holding the entries of `change`.
pub fn sheet_name(change: Change) -> &'static str {
    CHANGE_SHEETS
        .iter()
        .find(|(c, _)| *c == change)
        .map_or("", |(_, name)| name)
}

fn sheets(diff: &Diff) -> Vec<Sheet<'static>> {
    vec![
        summary(diff),
        lone_sheet(diff, Change::Added),
        lone_sheet(diff, Change::Removed),
        modified_sheet(diff),
        moved_sheet(diff),
        renumbered_sheet(diff),
        department_sheet(diff),
    ]
}

/// Header row (bold, frozen, filterable), widths, then the rows.
fn write_sheet(workbook: &mut Workbook, sheet: &Sheet, formats: &Formats) -> Result<(), XlsxError> {
    let out = workbook.add_worksheet().set_name(sheet.name)?;
    for (col, width) in sheet.widths.iter().enumerate() {
        out.set_column_width(col as u16, *width)?;
    }
    for (col, title) in sheet.header.iter().enumerate() {
        out.write_string_with_format(0, col as u16, *title, &formats.header)?;
    }
    out.set_freeze_panes(1, 0)?;
    if !sheet.rows.is_empty() {
        out.autofilter(0, 0, sheet.rows.len() as u32, sheet.header.len() as u16 - 1)?;
    }
    for (index, cells) in sheet.rows.iter().enumerate() {
        let row = index as u32 + 1;
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Number(n) => out.write_number_with_format(row, col, *n, &formats.number)?,
                Cell::Text(s) => out.write_string_with_format(row, col, s, &formats.text)?,
            };
        }
    }
    Ok(())
}

/// `汇总`: per table, how many duties changed how; a last line for ambiguities.
fn summary(diff: &Diff) -> Sheet<'static> {
    let mut rows: Vec<Vec<Cell>> = diff
        .counts
        .iter()
        .map(|c| {
            let numbers = [
                c.added,
                c.removed,
                c.modified,
                c.moved_in,
                c.moved_out,
                c.renumbered,
                c.unchanged,
                c.shifted,
            ];
            std::iter::once(text(c.kind.label()))
                .chain(numbers.into_iter().map(|n| Cell::Number(n as u32)))
                .collect()
        })
        .collect();
    if !diff.ambiguous.is_empty() {
        rows.push(vec![text(format!(
            "另有 {} 项事项无法确定对应关系，未列入本表",
            diff.ambiguous.len()
        ))]);
    }
    Sheet {
        name: SUMMARY_SHEET,
        header: &[
            "清单",
            "新增",
            "删除",
            "修改",
            "移入",
            "移出",
            "调整序号",
            "未变",
            "仅序号顺延",
        ],
        widths: &[22.0, 8.0, 8.0, 8.0, 8.0, 8.0, 10.0, 8.0, 12.0],
        rows,
    }
}

fn entries(diff: &Diff, change: Change) -> impl Iterator<Item = &Entry> {
    diff.entries.iter().filter(move |e| e.change == change)
}

/// `新增` or `删除`: the whole duty as the edition states it.
fn lone_sheet(diff: &Diff, change: Change) -> Sheet<'static> {
    let rows = entries(diff, change)
        .filter_map(|e| e.after.as_ref().or(e.before.as_ref()))
        .map(|d| {
            vec![
                text(d.place.kind.label()),
                Cell::Number(d.place.seq),
                text(&d.category),
                text(&d.name),
                text(d.departments.join("、")),
                text(duty_content(d)),
            ]
        })
        .collect();
    Sheet {
        name: sheet_name(change),
        header: &[
            "清单",
            "序号",
            "事项类别",
            "事项名称",
            "涉及部门",
            "职责内容",
        ],
        widths: &[16.0, 6.0, 12.0, 36.0, 28.0, 80.0],
        rows,
    }
}

/// `修改`: one row per changed field, department or item of a modified duty.
fn modified_sheet(diff: &Diff) -> Sheet<'static> {
    let mut rows = Vec::new();
    for entry in entries(diff, Change::Modified) {
        let (Some(before), Some(after)) = (&entry.before, &entry.after) else {
            continue;
        };
        for line in change_lines(entry) {
            rows.push(vec![
                text(after.place.kind.label()),
                Cell::Number(before.place.seq),
                Cell::Number(after.place.seq),
                text(&after.name),
                text(line.what),
                text(line.how),
                text(line.before),
                text(line.after),
            ]);
        }
    }
    Sheet {
        name: sheet_name(Change::Modified),
        header: &[
            "清单",
            "原序号",
            "现序号",
            "事项名称",
            "变更内容",
            "变更方式",
            "修改前",
            "修改后",
        ],
        widths: &[16.0, 8.0, 8.0, 32.0, 20.0, 10.0, 50.0, 50.0],
        rows,
    }
}

/// `移动`: old and new table and 序号, and what else changed, one line each.
fn moved_sheet(diff: &Diff) -> Sheet<'static> {
    let rows = entries(diff, Change::Moved)
        .filter_map(|e| Some((e, e.before.as_ref()?, e.after.as_ref()?)))
        .map(|(entry, before, after)| {
            let lines: Vec<String> = change_lines(entry)
                .into_iter()
                .map(|l| format!("{}（{}）：{} → {}", l.what, l.how, l.before, l.after))
                .collect();
            vec![
                text(before.place.kind.label()),
                Cell::Number(before.place.seq),
                text(after.place.kind.label()),
                Cell::Number(after.place.seq),
                text(&after.name),
                text(lines.join("\n")),
            ]
        })
        .collect();
    Sheet {
        name: sheet_name(Change::Moved),
        header: &[
            "原清单",
            "原序号",
            "现清单",
            "现序号",
            "事项名称",
            "其他变更",
        ],
        widths: &[16.0, 8.0, 16.0, 8.0, 36.0, 80.0],
        rows,
    }
}

/// `调整序号`: duties that changed place among their neighbours, nothing else.
fn renumbered_sheet(diff: &Diff) -> Sheet<'static> {
    let rows = entries(diff, Change::Renumbered)
        .filter_map(|e| Some((e.before.as_ref()?, e.after.as_ref()?)))
        .map(|(before, after)| {
            vec![
                text(after.place.kind.label()),
                Cell::Number(before.place.seq),
                Cell::Number(after.place.seq),
                text(&after.name),
            ]
        })
        .collect();
    Sheet {
        name: sheet_name(Change::Renumbered),
        header: &["清单", "原序号", "现序号", "事项名称"],
        widths: &[16.0, 8.0, 8.0, 50.0],
        rows,
    }
}

/// `部门变更`: successions, then departments arriving or leaving.
fn department_sheet(diff: &Diff) -> Sheet<'static> {
    let rows = diff
        .departments
        .iter()
        .map(|d| {
            vec![
                text(department_change_label(d.change)),
                text(d.before.join("、")),
                text(d.after.join("、")),
                Cell::Number(d.duties as u32),
            ]
        })
        .collect();
    Sheet {
        name: DEPARTMENT_SHEET,
        header: &["变更方式", "原部门", "现部门", "涉及事项数"],
        widths: &[12.0, 40.0, 40.0, 12.0],
        rows,
    }
}

fn department_change_label(change: DepartmentChangeKind) -> &'static str {
    match change {
        DepartmentChangeKind::Renamed => "更名",
        DepartmentChangeKind::Merged => "合并",
        DepartmentChangeKind::Split => "拆分",
        DepartmentChangeKind::Added => "新增",
        DepartmentChangeKind::Removed => "不再涉及",
    }
}

/// One change within a matched duty, in words.
struct Line {
    what: String,
    how: &'static str,
    before: String,
    after: String,
}

/// A matched duty's changes in words: 序号 when renumbered, fields, departments, items.
fn change_lines(entry: &Entry) -> Vec<Line> {
    let mut lines = Vec::new();
    if let (true, Some(before), Some(after)) = (entry.renumbered, &entry.before, &entry.after) {
        lines.push(Line {
            what: "序号".into(),
            how: "调整序号",
            before: before.place.seq.to_string(),
            after: after.place.seq.to_string(),
        });
    }
    lines.extend(entry.fields.iter().map(|f| Line {
        what: field_label(f.field).into(),
        how: "修改",
        before: f.before.clone().unwrap_or_default(),
        after: f.after.clone().unwrap_or_default(),
    }));
    let kind = entry
        .after
        .as_ref()
        .map_or(DutyKind::Cooperative, |d| d.place.kind);
    lines.extend(
        entry
            .department_changes
            .iter()
            .map(|d| department_line(d, kind)),
    );
    lines.extend(entry.items.iter().map(item_line));
    lines
}

fn field_label(field: Field) -> &'static str {
    match field {
        Field::Category => "事项类别",
        Field::Name => "事项名称",
        Field::WorkingMethod => "工作方式",
    }
}

/// A duty's department change; the column is named as the duty's table names it.
fn department_line(delta: &DepartmentDelta, kind: DutyKind) -> Line {
    let what = match kind {
        DutyKind::Reclaimed => "承接部门",
        _ => "对应上级部门",
    }
    .to_string();
    let (how, before, after) = match delta {
        DepartmentDelta::Added(name) => ("新增", String::new(), name.clone()),
        DepartmentDelta::Removed(name) => ("删除", name.clone(), String::new()),
        DepartmentDelta::Succeeded { before, after } => {
            ("机构改革承继", before.clone(), after.join("、"))
        }
    };
    Line {
        what,
        how,
        before,
        after,
    }
}

fn item_line(change: &ItemChange) -> Line {
    let party = change
        .after
        .as_ref()
        .or(change.before.as_ref())
        .map_or(Party::Town, |i| i.party);
    Line {
        what: party_label(party).into(),
        how: match change.change {
            ItemChangeKind::Added => "新增",
            ItemChangeKind::Removed => "删除",
            ItemChangeKind::Reworded => "改写",
            ItemChangeKind::Moved => "调整分项",
            ItemChangeKind::Reattributed => "调整责任部门",
        },
        before: change.before.as_ref().map(item_text).unwrap_or_default(),
        after: change.after.as_ref().map(item_text).unwrap_or_default(),
    }
}

fn party_label(party: Party) -> &'static str {
    match party {
        Party::Department => "上级部门职责",
        Party::Town => "乡镇（街道）配合职责",
    }
}

/// An item with its section and, on the department side, its departments.
fn item_text(item: &ItemVersion) -> String {
    let mut out = String::new();
    if let Some(section) = &item.section {
        out.push_str(&format!("【{section}】"));
    }
    out.push_str(&item.text);
    if !item.departments.is_empty() {
        out.push_str(&format!("（{}）", item.departments.join("、")));
    }
    out
}

/// A whole duty's content as lines: working method, then each column's items.
fn duty_content(duty: &DutyVersion) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(method) = &duty.working_method {
        lines.push(format!("工作方式：{method}"));
    }
    for party in [Party::Department, Party::Town] {
        let items: Vec<&ItemVersion> = duty.items.iter().filter(|i| i.party == party).collect();
        if items.is_empty() {
            continue;
        }
        lines.push(format!("{}：", party_label(party)));
        lines.extend(
            items
                .iter()
                .enumerate()
                .map(|(n, item)| format!("{}.{}", n + 1, item_text(item))),
        );
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;
    use crate::edition::diff::{diff, tests::scenario};

    /// Every sheet of a workbook as rows of text.
    fn read(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let names = workbook.sheet_names();
        names
            .into_iter()
            .map(|name| {
                let range = workbook.worksheet_range(&name).unwrap();
                let rows = range
                    .rows()
                    .map(|row| row.iter().map(Data::to_string).collect())
                    .collect();
                (name, rows)
            })
            .collect()
    }

    fn sheet<'a>(book: &'a [(String, Vec<Vec<String>>)], name: &str) -> &'a [Vec<String>] {
        &book.iter().find(|(n, _)| n == name).unwrap().1
    }

    #[test]
    fn the_workbook_has_a_sheet_per_kind_of_change_holding_the_entries() {
        let (old, new, matching, renames) = scenario();
        let diff = diff(&old, &new, &matching, &renames);
        let book = read(diff_xlsx(&diff).unwrap());
        let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "汇总",
                "新增",
                "删除",
                "修改",
                "移动",
                "调整序号",
                "部门变更"
            ]
        );
        let summary = sheet(&book, SUMMARY_SHEET);
        assert_eq!(summary[0][0], "清单");
        assert_eq!(
            summary[1][..9],
            ["基本履职事项", "1", "1", "1", "0", "0", "1", "78", "51"]
        );
        let added = sheet(&book, "新增");
        assert_eq!(added.len(), 3);
        assert_eq!(added[1][3], "组织开展新时代文明实践志愿服务活动");
        assert_eq!(added[2][..2], ["配合履职事项", "5"]);
        assert!(added[2][5].contains("上级部门职责："));
        let removed = sheet(&book, "删除");
        assert_eq!(removed[1][..2], ["基本履职事项", "40"]);
        assert_eq!(removed[1][3], old[39].name);
        let modified = sheet(&book, "修改");
        let how: Vec<(&str, &str)> = modified[1..]
            .iter()
            .map(|r| (r[4].as_str(), r[5].as_str()))
            .collect();
        assert_eq!(
            how,
            [
                ("事项名称", "修改"),
                // 配合 10 is also the renamed department's: said, not counted.
                ("对应上级部门", "机构改革承继"),
                ("上级部门职责", "改写"),
                ("工作方式", "修改"),
            ]
        );
        assert!(modified[3][7].contains("，每季度报送一次"));
        assert_eq!(modified[3][..3], ["配合履职事项", "10", "11"]);
        let moved = sheet(&book, "移动");
        assert_eq!(
            moved[1][..4],
            ["配合履职事项", "20", "上级部门收回事项", "22"]
        );
        assert!(moved[1][5].contains("工作方式"));
        let renumbered = sheet(&book, "调整序号");
        assert_eq!(renumbered[1][..3], ["基本履职事项", "10", "20"]);
        let departments = sheet(&book, DEPARTMENT_SHEET);
        assert_eq!(departments.len(), 2);
        assert_eq!(departments[1][0], "更名");
        assert_eq!(departments[1][2], "乌恰县委组织工作部");
    }

    #[test]
    fn an_empty_diff_is_a_workbook_of_headers() {
        let book = read(diff_xlsx(&Diff::default()).unwrap());
        assert_eq!(book.len(), 7);
        assert!(book[1..].iter().all(|(_, rows)| rows.len() == 1));
    }
}
