//! XLSX writers (rust_xlsxwriter): the list workbook and a department's workbook.

use entity::{DutyKind, Party};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::layout::{self, Value};
use super::load::ListData;
use super::{ExportError, FRONT_SHEET};

/// Sheet of a department workbook with its cooperative duties.
pub(super) const COOPERATION_SHEET: &str = "配合履职事项";
/// Sheet of a department workbook with the duties it took back.
pub(super) const RECLAIMED_SHEET: &str = "上级部门收回事项";
/// Header of [`COOPERATION_SHEET`].
pub(super) const COOPERATION_HEADER: &[&str] = &[
    "序号",
    "事项类别",
    "事项名称",
    "本部门职责",
    "乡镇（街道）配合职责",
    "共同负责部门",
];
/// Header of [`RECLAIMED_SHEET`].
pub(super) const RECLAIMED_HEADER: &[&str] =
    &["序号", "事项类别", "事项名称", "承接部门", "工作方式"];

/// A writer's error as an export error (shared by every workbook lvzhi writes).
pub(super) fn write_error(e: XlsxError) -> ExportError {
    ExportError::Write(e.to_string())
}

/// The cell formats of lvzhi's workbooks: one look for every download.
pub(super) struct Formats {
    /// Header cells: bold, centred, shaded.
    pub(super) header: Format,
    /// Text cells: wrapped, top-aligned, bordered.
    pub(super) text: Format,
    /// Number cells: as text, centred.
    pub(super) number: Format,
    /// The front sheet's text.
    pub(super) front: Format,
    /// The front sheet's title.
    pub(super) title: Format,
}

impl Formats {
    /// The formats, built once per workbook.
    pub(super) fn new() -> Self {
        let cell = Format::new()
            .set_text_wrap()
            .set_align(FormatAlign::Top)
            .set_border(FormatBorder::Thin);
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_border(FormatBorder::Thin)
                .set_background_color(0xD9E1F2),
            number: cell.clone().set_align(FormatAlign::Center),
            text: cell,
            front: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            title: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top),
        }
    }
}

/// Column widths (in characters of the default font) of each table.
fn widths(kind: DutyKind) -> &'static [f64] {
    match kind {
        DutyKind::Basic => &[6.0, 16.0, 90.0],
        DutyKind::Cooperative => &[6.0, 14.0, 30.0, 28.0, 70.0, 55.0],
        DutyKind::Reclaimed => &[6.0, 14.0, 40.0, 80.0],
    }
}

/// The `说明` sheet: one line a row in column A, the first (the title) bold.
fn front_sheet(
    workbook: &mut Workbook,
    lines: &[String],
    formats: &Formats,
) -> Result<(), ExportError> {
    let sheet = workbook
        .add_worksheet()
        .set_name(FRONT_SHEET)
        .map_err(write_error)?;
    sheet.set_column_width(0, 110.0).map_err(write_error)?;
    for (row, line) in lines.iter().enumerate() {
        let format = if row == 0 {
            &formats.title
        } else {
            &formats.front
        };
        sheet
            .write_string_with_format(row as u32, 0, line, format)
            .map_err(write_error)?;
    }
    Ok(())
}

/// A sheet holding one table: bold header row (frozen), then the rows.
fn table_sheet(
    workbook: &mut Workbook,
    name: &str,
    header: &[&str],
    widths: &[f64],
    rows: &[Vec<Value>],
    formats: &Formats,
) -> Result<(), ExportError> {
    let sheet: &mut Worksheet = workbook
        .add_worksheet()
        .set_name(name)
        .map_err(write_error)?;
    for (col, width) in widths.iter().enumerate() {
        sheet
            .set_column_width(col as u16, *width)
            .map_err(write_error)?;
    }
    for (col, title) in header.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *title, &formats.header)
            .map_err(write_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(write_error)?;
    for (index, cells) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        for (col, value) in cells.iter().enumerate() {
            let col = col as u16;
            match value {
                Value::Number(n) => sheet
                    .write_number_with_format(row, col, *n, &formats.number)
                    .map_err(write_error)?,
                Value::Text(s) => sheet
                    .write_string_with_format(row, col, s, &formats.text)
                    .map_err(write_error)?,
            };
        }
    }
    Ok(())
}

/// The list workbook.
pub(super) fn list(data: &ListData) -> Result<Vec<u8>, ExportError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    front_sheet(&mut workbook, &data.front_lines(), &formats)?;
    for table in layout::tables(data) {
        table_sheet(
            &mut workbook,
            table.kind.table_title(),
            table.kind.header(),
            widths(table.kind),
            &table.rows,
            &formats,
        )?;
    }
    workbook.save_to_buffer().map_err(write_error)
}

/// One department's workbook: `说明`, its cooperations, its reclaimed duties.
pub(super) fn department(data: &ListData, department_id: i32) -> Result<Vec<u8>, ExportError> {
    let cooperations: Vec<Vec<Value>> = data
        .duties
        .iter()
        .filter(|d| d.kind == DutyKind::Cooperative && d.departments.contains(&department_id))
        .map(|d| {
            let partners: Vec<i32> = d
                .departments
                .iter()
                .copied()
                .filter(|&id| id != department_id)
                .collect();
            vec![
                Value::Number(d.seq),
                Value::Text(d.category.clone()),
                Value::Text(d.name.clone()),
                Value::Text(layout::items_cell(d, Party::Department, |i| {
                    i.departments.contains(&department_id)
                })),
                Value::Text(layout::items_cell(d, Party::Town, |_| true)),
                Value::Text(data.names(&partners)),
            ]
        })
        .collect();
    let reclaimed: Vec<Vec<Value>> = data
        .duties
        .iter()
        .filter(|d| d.kind == DutyKind::Reclaimed && d.departments.contains(&department_id))
        .map(|d| {
            vec![
                Value::Number(d.seq),
                Value::Text(d.category.clone()),
                Value::Text(d.name.clone()),
                Value::Text(data.names(&d.departments)),
                Value::Text(d.working_method.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let front = vec![
        data.title_line(),
        data.month_line(),
        data.name(department_id).to_owned(),
        format!(
            "{} {} 项，{} {} 项",
            DutyKind::Cooperative.label(),
            cooperations.len(),
            DutyKind::Reclaimed.label(),
            reclaimed.len()
        ),
    ];
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    front_sheet(&mut workbook, &front, &formats)?;
    table_sheet(
        &mut workbook,
        COOPERATION_SHEET,
        COOPERATION_HEADER,
        &[6.0, 14.0, 30.0, 60.0, 55.0, 28.0],
        &cooperations,
        &formats,
    )?;
    table_sheet(
        &mut workbook,
        RECLAIMED_SHEET,
        RECLAIMED_HEADER,
        &[6.0, 14.0, 40.0, 28.0, 70.0],
        &reclaimed,
        &formats,
    )?;
    workbook.save_to_buffer().map_err(write_error)
}
