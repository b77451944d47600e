//! What was parsed against what the preamble states: the import's report table.

use std::collections::BTreeSet;
use std::fmt;

use entity::DutyKind;

use super::resolve::ResolvedList;

/// A parsed count beside the stated one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// Found in the tables.
    pub parsed: u32,
    /// Stated by the preamble, if it states it.
    pub stated: Option<u32>,
}

impl Count {
    /// Whether the count agrees with the preamble (or the preamble is silent).
    pub fn agrees(&self) -> bool {
        self.stated.is_none_or(|s| s == self.parsed)
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stated {
            Some(s) if s == self.parsed => write!(f, "{} = {s}", self.parsed),
            Some(s) => write!(f, "{} ≠ {s}", self.parsed),
            None => write!(f, "{} (not stated)", self.parsed),
        }
    }
}

/// One table's counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The table.
    pub kind: DutyKind,
    /// Duties in the table, parsed and stated.
    pub duties: Count,
    /// Distinct categories.
    pub categories: Count,
    /// Distinct departments involved (counterpart or receiving).
    pub departments: Count,
}

/// The reconciliation of a list with its preamble.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// One row per table.
    pub rows: Vec<Row>,
    /// All duties.
    pub total: Count,
    /// Observations that do not fail the import (e.g. a category the preamble's list omits).
    pub notes: Vec<String>,
}

impl Report {
    /// Build the report of a resolved list.
    pub fn of(list: &ResolvedList) -> Self {
        let mut notes = Vec::new();
        let rows: Vec<Row> = DutyKind::ALL
            .into_iter()
            .map(|kind| {
                let duties: Vec<_> = list.duties.iter().filter(|d| d.kind == kind).collect();
                let categories: BTreeSet<&str> =
                    duties.iter().map(|d| d.category.as_str()).collect();
                let departments: BTreeSet<usize> = duties
                    .iter()
                    .flat_map(|d| d.departments.iter().copied())
                    .collect();
                let stated = list.stated.iter().find(|s| s.kind == Some(kind));
                if let Some(s) = stated.filter(|s| !s.category_names.is_empty()) {
                    let listed: BTreeSet<&str> =
                        s.category_names.iter().map(String::as_str).collect();
                    let omitted: Vec<&str> = categories.difference(&listed).copied().collect();
                    let absent: Vec<&str> = listed.difference(&categories).copied().collect();
                    if !omitted.is_empty() {
                        notes.push(format!(
                            "{}: the preamble's list of categories omits {}",
                            kind.label(),
                            omitted.join("、")
                        ));
                    }
                    if !absent.is_empty() {
                        notes.push(format!(
                            "{}: the preamble lists categories with no duty: {}",
                            kind.label(),
                            absent.join("、")
                        ));
                    }
                }
                let count = |parsed: usize, stated: Option<u32>| Count {
                    parsed: parsed as u32,
                    stated,
                };
                Row {
                    kind,
                    duties: count(duties.len(), stated.and_then(|s| s.duties)),
                    categories: count(categories.len(), stated.and_then(|s| s.categories)),
                    // A basic table names no department, and its preamble states no
                    // count: "not stated", as the API says (null), never a made-up 0.
                    departments: count(departments.len(), stated.and_then(|s| s.departments)),
                }
            })
            .collect();
        let total = Count {
            parsed: list.duties.len() as u32,
            stated: list.stated_total,
        };
        Report { rows, total, notes }
    }

    /// Every count that disagrees with the preamble, described.
    pub fn mismatches(&self) -> Vec<String> {
        let mut out = Vec::new();
        for row in &self.rows {
            for (what, count) in [
                ("duties", row.duties),
                ("categories", row.categories),
                ("departments", row.departments),
            ] {
                if !count.agrees() {
                    out.push(format!(
                        "{}: {} {what} parsed, the preamble states {}",
                        row.kind.label(),
                        count.parsed,
                        count.stated.unwrap_or_default()
                    ));
                }
            }
        }
        if !self.total.agrees() {
            out.push(format!(
                "in all: {} duties parsed, the preamble states {}",
                self.total.parsed,
                self.total.stated.unwrap_or_default()
            ));
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| table | duties | categories | departments |")?;
        writeln!(f, "|---|---|---|---|")?;
        for row in &self.rows {
            writeln!(
                f,
                "| {} | {} | {} | {} |",
                row.kind.label(),
                row.duties,
                row.categories,
                row.departments
            )?;
        }
        writeln!(f, "| in all | {} | | |", self.total)?;
        writeln!(f, "(parsed = stated; ≠ marks a mismatch)")?;
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}
