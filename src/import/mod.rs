//! Import: a list document → validated, attributed records in the database.
//!
//! The pipeline is pure until the last step, so a document with any problem writes
//! nothing: [`source`] reads a file of any format — the text layout as it is, a
//! Word document ([`docx`]), a workbook ([`xlsx`]) or a CSV file ([`csv`]) through
//! [`layout`], which writes their paragraphs and tables in the text layout — then
//! [`document`] parses lines and cells (using [`cell`] and [`text`]), [`resolve`]
//! resolves department names through the [`registry`] and attributes every
//! department-side item, [`reconcile`] compares the result with the preamble,
//! and [`store`] writes it in one transaction.

pub mod archive;
pub mod cell;
pub mod csv;
pub mod document;
pub mod docx;
pub mod edition;
pub mod layout;
pub mod reconcile;
pub mod registry;
pub mod resolve;
pub mod source;
pub mod store;
pub mod text;
pub mod xlsx;

use std::fmt;

use crate::error::code::ErrorCode;
use sea_orm::{DatabaseConnection, DbErr};

pub use document::{Document, parse_document};
pub use edition::EditionRequest;
pub use reconcile::Report;
pub use registry::Registry;
pub use resolve::ResolvedList;
pub use source::{Format, Overrides, Source};
pub use store::{Imported, Status};

/// The Wuqia list bundled with lvzhi, imported into an empty database at start-up.
pub const BUNDLED_LIST: &str = include_str!("../../seeds/wuqia-town-duty-list-2025-07.txt");

/// The bundled list's file name: the source of the edition it seeds.
pub const BUNDLED_LIST_NAME: &str = "seeds/wuqia-town-duty-list-2025-07.txt";

/// At most this many problems are reported for one document.
pub const MAX_ERRORS: usize = 100;

/// Where something is in the file a user gave: a line of a text document, or a
/// place in a Word table or a workbook sheet (`table 2, row 5, column 3`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Location {
    /// A 1-based line of a document in the text layout.
    Line(usize),
    /// A place in a Word document, workbook or CSV file.
    Place(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::Place(place) => f.write_str(place),
        }
    }
}

/// A problem at one place of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// Where it is.
    pub at: Location,
    /// What is wrong.
    pub message: String,
}

impl LineError {
    /// A problem on a 1-based line of a document in the text layout.
    pub fn line(line: usize, message: impl Into<String>) -> Self {
        LineError {
            at: Location::Line(line),
            message: message.into(),
        }
    }

    /// A problem at a named place of a file.
    pub fn at(place: impl Into<String>, message: impl Into<String>) -> Self {
        LineError {
            at: Location::Place(place.into()),
            message: message.into(),
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// A department name the registry does not know, and where it appears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// The name as written.
    pub name: String,
    /// (kind label, 序号, where) of every duty it appears in.
    pub places: Vec<(String, u32, Location)>,
}

/// Why an import failed. Nothing is written when it does.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The document is malformed (GraphQL code `BAD_USER_INPUT`).
    #[error("the document is malformed:\n{}", lines(.0))]
    Malformed(Vec<LineError>),
    /// The file cannot be read as the format it claims: not a Word document or
    /// workbook, damaged, or beyond the reader's bounds (GraphQL code `BAD_USER_INPUT`).
    #[error("{0}")]
    Unreadable(String),
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
    /// The document names its county without region or prefecture, and several
    /// counties of the registry have that name (GraphQL code `AMBIGUOUS_NAME`).
    #[error(
        "the department registry has several counties named {name}: {}; name it in full with --county",
        .candidates.join(", ")
    )]
    AmbiguousCounty {
        /// The county as the document names it.
        name: String,
        /// The full names of the counties it may be.
        candidates: Vec<String>,
    },
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
    /// The list takes effect before its town's current edition (GraphQL code
    /// `OLDER_EDITION`); `--allow-older` adds it to the history instead.
    #[error(
        "{town}'s list of {given} is older than its current edition {edition} (in effect from {current}); \
         add it to the history with --allow-older"
    )]
    OlderEdition {
        /// The town.
        town: String,
        /// The day the imported list takes effect.
        given: String,
        /// The day the current edition took effect.
        current: String,
        /// The current edition's number.
        edition: i32,
    },
    /// Duties of the new edition match the previous edition's too closely to
    /// choose (GraphQL code `AMBIGUOUS_MATCH`); a mapping file settles them.
    #[error(
        "the list's duties cannot all be matched to edition {previous} without guessing:\n{}\n\
         settle them in a mapping file (--mapping FILE: [[same]] old = \"配合 31\" new = \"收回 4\", \
         [[removed]] old = \"…\", [[added]] new = \"…\")",
        .ambiguities.iter().map(|a| format!("  {a}")).collect::<Vec<_>>().join("\n")
    )]
    AmbiguousMatch {
        /// The number of the edition matched against.
        previous: i32,
        /// Each ambiguity, described.
        ambiguities: Vec<String>,
    },
    /// The mapping file is invalid or names duties the editions do not have
    /// (GraphQL code `BAD_USER_INPUT`).
    #[error("invalid mapping file: {0}")]
    Mapping(String),
    /// The database failed (GraphQL code `INTERNAL`; the text is logged, never sent).
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl ImportError {
    /// The GraphQL `code` of the error, as each variant documents.
    pub fn code(&self) -> ErrorCode {
        match self {
            ImportError::Malformed(_)
            | ImportError::Unreadable(_)
            | ImportError::Registry(_)
            | ImportError::Mapping(_) => ErrorCode::BadUserInput,
            ImportError::OlderEdition { .. } => ErrorCode::OlderEdition,
            ImportError::AmbiguousMatch { .. } => ErrorCode::AmbiguousMatch,
            ImportError::UnknownDepartments { .. } => ErrorCode::UnknownDepartment,
            ImportError::UnknownCounty(_) => ErrorCode::UnknownCounty,
            ImportError::AmbiguousCounty { .. } => ErrorCode::AmbiguousName,
            ImportError::Mismatch { .. } => ErrorCode::ReconciliationMismatch,
            ImportError::Database(_) => ErrorCode::Internal,
        }
    }
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
                .map(|(kind, seq, at)| format!("{kind} 序号 {seq} ({at})"))
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

/// How a file is imported.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Import even when the tables do not add up to what the preamble states.
    pub allow_mismatch: bool,
    /// What replaces the file's own town, county and month.
    pub overrides: Overrides,
    /// The edition the list makes: its day, 文号, reason, source and mapping.
    pub edition: EditionRequest,
}

/// Parse, resolve and reconcile a document in the text layout without touching
/// the database.
pub fn prepare(
    text: &str,
    registry: &Registry,
    allow_mismatch: bool,
) -> Result<Prepared, ImportError> {
    let options = Options {
        allow_mismatch,
        ..Options::default()
    };
    prepare_text(text, registry, &options)
}

fn prepare_text(
    text: &str,
    registry: &Registry,
    options: &Options,
) -> Result<Prepared, ImportError> {
    let mut document = parse_document(text).map_err(ImportError::Malformed)?;
    options.overrides.apply(&mut document)?;
    let county = registry.find_county(&document.region, &document.prefecture, &document.county)?;
    document.region.clone_from(&county.region);
    document.prefecture.clone_from(&county.prefecture);
    let day = options.edition.day(&document.published_on)?;
    let list = resolve::resolve(document, county, day)?;
    let report = Report::of(&list);
    if !options.allow_mismatch && !report.mismatches().is_empty() {
        return Err(ImportError::Mismatch { report });
    }
    Ok(Prepared { list, report })
}

/// Read a file of any supported format ([`Format`]: by the name's extension, else
/// by its bytes), then parse, resolve and reconcile it without touching the
/// database. Problems name their place in the file: a line of a text document,
/// or the table or sheet, row and column of a Word document or workbook.
pub fn prepare_file(
    file_name: &str,
    bytes: &[u8],
    registry: &Registry,
    options: &Options,
) -> Result<Prepared, ImportError> {
    options.overrides.check()?;
    let source = Source::read(file_name, bytes, &options.overrides)?;
    prepare_text(&source.text, registry, options).map_err(|e| source.locate(e))
}

/// Import a document in the text layout: prepare it, then store it in one transaction.
pub async fn import(
    db: &DatabaseConnection,
    text: &str,
    registry: &Registry,
    allow_mismatch: bool,
) -> Result<Imported, ImportError> {
    let prepared = prepare(text, registry, allow_mismatch)?;
    store::store(
        db,
        &prepared.list,
        prepared.report,
        &EditionRequest::default(),
    )
    .await
}

/// Import a file of any supported format: [`prepare_file`], then store it in one
/// transaction.
pub async fn import_file(
    db: &DatabaseConnection,
    file_name: &str,
    bytes: &[u8],
    registry: &Registry,
    options: &Options,
) -> Result<Imported, ImportError> {
    let prepared = prepare_file(file_name, bytes, registry, options)?;
    let mut edition = options.edition.clone();
    if edition.source_name.is_empty() {
        edition.source_name = file_name.to_owned();
    }
    store::store(db, &prepared.list, prepared.report, &edition).await
}
