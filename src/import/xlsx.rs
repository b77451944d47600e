//! A workbook (.xlsx) → [`Block`]s, sheet by sheet: lvzhi's own export as well as
//! workbooks made by hand (a `说明` sheet or none; one sheet per table or the
//! tables stacked on one sheet under title rows; merged title and category cells;
//! line breaks inside cells; 序号 as text; empty rows and blank columns).
//!
//! Cells are streamed, never laid out as a dense grid, so a sheet with one cell
//! at A1 and one at XFD1048576 costs two cells. Hidden sheets are skipped. A
//! formula counts by the value Excel saved with it; a formula saved without a
//! value (a file written by a program, never opened in Excel or WPS) is refused.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Dimensions, Reader, SheetType, SheetVisible, Xlsx};

use super::archive;
use super::layout::{self, Block, Cell, ColumnNames, MAX_ROWS, Merge, Row, column_letter};
use super::{ImportError, LineError, MAX_ERRORS};

const WHAT: &str = "an XLSX workbook";

/// At most this many merged regions in one sheet: a list merges a few hundred.
const MAX_MERGES: usize = 10_000;

/// Excel's last column is XFD, the 16,384th.
const MAX_COLUMNS: u32 = 16_384;

/// Read every visible worksheet of a workbook.
pub fn blocks(bytes: &[u8]) -> Result<Vec<Block>, ImportError> {
    let mut archive = archive::open(bytes, WHAT)?;
    archive::require(&archive, "xl/workbook.xml", WHAT)?;
    archive::check_unpacked(&mut archive, WHAT)?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| ImportError::Unreadable(format!("the file is not {WHAT} ({e})")))?;
    let sheets: Vec<String> = workbook
        .sheets_metadata()
        .iter()
        .filter(|s| s.visible == SheetVisible::Visible && s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for name in sheets {
        let merges = workbook
            .merge_cells_by_sheet_name(&name)
            .map_err(|e| unreadable(&name, e))?;
        if merges.len() > MAX_MERGES {
            return Err(ImportError::Unreadable(format!(
                "sheet `{name}` has {} merged regions, more than {MAX_MERGES}",
                merges.len()
            )));
        }
        let cells = sheet_cells(&mut workbook, &name, &mut errors)?;
        layout::sheet_blocks(Some(&name), rows(&name, &cells, &merges), &mut out);
    }
    if !errors.is_empty() {
        return Err(ImportError::Malformed(errors));
    }
    Ok(out)
}

fn unreadable(sheet: &str, e: impl std::fmt::Display) -> ImportError {
    ImportError::Unreadable(format!("sheet `{sheet}` cannot be read ({e})"))
}

/// The sheet's non-empty cells: row → (column, text), in order.
type Cells = BTreeMap<u32, Vec<(u32, String)>>;

fn sheet_cells(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    errors: &mut Vec<LineError>,
) -> Result<Cells, ImportError> {
    let mut reader = workbook
        .worksheet_cells_reader(name)
        .map_err(|e| unreadable(name, e))?;
    let mut cells = Cells::new();
    let place = |(row, col): (u32, u32)| {
        format!(
            "sheet `{name}`, row {}, column {}",
            row + 1,
            column_letter(col as usize)
        )
    };
    while let Some(cell) = reader
        .next_cell_with_formula()
        .map_err(|e| unreadable(name, e))?
    {
        let text = match &cell.value {
            DataRef::Empty => String::new(),
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::SharedString(s) => (*s).to_owned(),
            DataRef::Int(n) => n.to_string(),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            DataRef::Float(f) => f.to_string(),
            DataRef::Bool(b) => b.to_string(),
            DataRef::DateTime(d) => d.to_string(),
            DataRef::Error(e) => {
                if errors.len() < MAX_ERRORS {
                    errors.push(LineError::at(
                        place(cell.pos),
                        format!("the cell holds the error {e}"),
                    ));
                }
                continue;
            }
        };
        if text.trim().is_empty() {
            if let Some(formula) = cell.formula.filter(|f| !f.trim().is_empty())
                && errors.len() < MAX_ERRORS
            {
                errors.push(LineError::at(
                    place(cell.pos),
                    format!(
                        "the cell holds the formula `={}` without its value: open the file in Excel or WPS and save it, or paste the values",
                        layout::excerpt(&formula)
                    ),
                ));
            }
            continue;
        }
        let row = cell.pos.0;
        if cell.pos.1 >= MAX_COLUMNS {
            return Err(ImportError::Unreadable(format!(
                "sheet `{name}` has a cell beyond Excel's last column XFD (row {})",
                row + 1
            )));
        }
        if !cells.contains_key(&row) && cells.len() >= MAX_ROWS {
            return Err(ImportError::Unreadable(format!(
                "sheet `{name}` has more than {MAX_ROWS} rows; a duty list has hundreds"
            )));
        }
        cells.entry(row).or_default().push((cell.pos.1, text));
    }
    Ok(cells)
}

/// The rows of a sheet with their merged cells marked.
fn rows(name: &str, cells: &Cells, merges: &[Dimensions]) -> Vec<Row> {
    cells
        .iter()
        .map(|(&row, values)| {
            let covering: Vec<&Dimensions> = merges
                .iter()
                .filter(|m| m.start.0 <= row && row <= m.end.0)
                .collect();
            let width = values
                .iter()
                .map(|(col, _)| col + 1)
                .chain(covering.iter().map(|m| m.end.1 + 1))
                .max()
                .unwrap_or(0)
                .min(MAX_COLUMNS) as usize;
            let mut line = vec![Cell::default(); width];
            for m in &covering {
                for col in m.start.1..=m.end.1.min(width as u32 - 1) {
                    line[col as usize].merge = if (row, col) == m.start {
                        Merge::None
                    } else if col == m.start.1 {
                        Merge::Above
                    } else {
                        Merge::Left
                    };
                }
            }
            for (col, text) in values {
                let merge = line[*col as usize].merge;
                if merge == Merge::None {
                    line[*col as usize] = Cell::text(text);
                }
            }
            Row {
                place: format!("sheet `{name}`, row {}", row + 1),
                cells: line,
                columns: ColumnNames::Letters,
            }
        })
        .collect()
}
