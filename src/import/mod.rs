//! Import: a list document → validated, attributed records in the database.
//!
//! The pipeline is pure until the last step, so a document with any problem writes
//! nothing: [`document`] parses lines and cells (using [`cell`] and [`text`]),
//! [`resolve`] resolves department names through the [`registry`] and attributes
//! every department-side item, [`reconcile`] compares the result with the
//! preamble, and [`store`] writes it in one transaction.

pub mod cell;
pub mod document;
pub mod reconcile;
pub mod registry;
pub mod resolve;
pub mod store;
pub mod text;

use std::fmt;

use sea_orm::{DatabaseConnection, DbErr};

pub use document::{Document, parse_document};
pub use reconcile::Report;
pub use registry::Registry;
pub use resolve::ResolvedList;
pub use store::{Imported, Status};

/// The Wuqia list bundled with lvzhi, imported into an empty database at start-up.
pub const BUNDLED_LIST: &str = include_str!("../../seeds/wuqia-town-duty-list-2025-07.txt");

/// At most this many problems are reported for one document.
pub const MAX_ERRORS: usize = 100;

/// A problem on one line of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A department name the registry does not know, and where it appears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// The name as written.
    pub name: String,
    /// (kind label, 序号, line) of every duty it appears in.
    pub places: Vec<(String, u32, usize)>,
}

/// Why an import failed. Nothing is written when it does.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The document is malformed (GraphQL code `BAD_USER_INPUT`).
    #[error("the document is malformed:\n{}", lines(.0))]
    Malformed(Vec<LineError>),
    /// Department names the registry cannot resolve (GraphQL code `UNKNOWN_DEPARTMENT`).
    #[error(
        "unknown departments of {county} (add them to the department registry, seeds/departments.toml):\n{}",
        unknown(.names)
    )]
    UnknownDepartments {
        /// The county the names were looked up in.
        county: String,
        /// Each unknown name and where it appears.
        names: Vec<UnknownName>,
    },
    /// The document's county has no entry in the registry (GraphQL code `UNKNOWN_COUNTY`).
    #[error("the department registry has no county {0}; add it to seeds/departments.toml")]
    UnknownCounty(String),
    /// The registry itself is invalid (GraphQL code `BAD_USER_INPUT`).
    #[error("invalid department registry: {0}")]
    Registry(String),
    /// The tables do not add up to what the preamble states (GraphQL code `RECONCILIATION_MISMATCH`).
    #[error(
        "the list does not reconcile with its preamble:\n{}\n{report}(import it anyway with --allow-mismatch)",
        report.mismatches().iter().map(|m| format!("  {m}")).collect::<Vec<_>>().join("\n")
    )]
    Mismatch {
        /// The full reconciliation.
        report: Report,
    },
    /// The database failed (GraphQL code `INTERNAL`; the text is logged, never sent).
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

fn lines(errors: &[LineError]) -> String {
    let mut out: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
    if errors.len() >= MAX_ERRORS {
        out.push(format!("  (stopped after {MAX_ERRORS} problems)"));
    }
    out.join("\n")
}

fn unknown(names: &[UnknownName]) -> String {
    names
        .iter()
        .map(|u| {
            let places: Vec<String> = u
                .places
                .iter()
                .map(|(kind, seq, line)| format!("{kind} 序号 {seq} (line {line})"))
                .collect();
            format!("  `{}` in {}", u.name, places.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A document parsed, resolved and reconciled, ready to store.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The resolved list.
    pub list: ResolvedList,
    /// Its reconciliation with the preamble.
    pub report: Report,
}

/// Parse, resolve and reconcile a document without touching the database.
pub fn prepare(
    text: &str,
    registry: &Registry,
    allow_mismatch: bool,
) -> Result<Prepared, ImportError> {
    let document = parse_document(text).map_err(ImportError::Malformed)?;
    let county = registry
        .county(&document.region, &document.prefecture, &document.county)
        .ok_or_else(|| {
            ImportError::UnknownCounty(format!(
                "{}{}{}",
                document.region, document.prefecture, document.county
            ))
        })?;
    let list = resolve::resolve(document, county)?;
    let report = Report::of(&list);
    if !allow_mismatch && !report.mismatches().is_empty() {
        return Err(ImportError::Mismatch { report });
    }
    Ok(Prepared { list, report })
}

/// Import a document: prepare it, then store it in one transaction.
pub async fn import(
    db: &DatabaseConnection,
    text: &str,
    registry: &Registry,
    allow_mismatch: bool,
) -> Result<Imported, ImportError> {
    let prepared = prepare(text, registry, allow_mismatch)?;
    store::store(db, &prepared.list, prepared.report).await
}
