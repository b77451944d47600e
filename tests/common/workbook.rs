//! Reading back the workbooks lvzhi writes: a sheet's cells as text.

use calamine::{Data, Range, Reader, Xlsx};

/// The rows of a sheet as cell text, whole numbers without `.0`.
pub fn rows(range: &Range<Data>) -> Vec<Vec<String>> {
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// Every sheet of a workbook: name and rows of cell text.
pub fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes)).expect("an XLSX workbook");
    workbook
        .sheet_names()
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).expect("a readable sheet");
            let rows = rows(&range);
            (name, rows)
        })
        .collect()
}
