//! The command line: `lvzhi [serve]`, `migrate`, `import FILE…`, `export`,
//! `audit export`, `token create|list|revoke`, `schema`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use entity::Role;
use sea_orm::Iterable;

use crate::auth::token::NewToken;
use crate::auth::{self, Actor};
use crate::config::{self, Config, LogFormat, ServeSettings, Settings};
use crate::date::Date;
use crate::db::{open_database, redact};
use crate::edition::matching::Pins;
use crate::import::{self, Registry, Status};
use crate::server::Application;
use crate::{export, graphql};

/// lvzhi (履职): publish and query township duty lists (乡镇履职事项清单) over GraphQL.
#[derive(Debug, Parser)]
#[command(
    name = "lvzhi",
    version,
    after_help = "Settings: see `lvzhi serve --help`. Each is a flag, or else a variable of the \
                  environment or of .env in the working directory (README.md, Configuration)."
)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// lvzhi's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL API (migrates, and imports the bundled Wuqia list into an empty database).
    Serve {
        /// The address and every setting.
        #[command(flatten)]
        settings: ServeSettings,
    },
    /// Run pending database migrations and exit.
    Migrate {
        /// Every setting.
        #[command(flatten)]
        settings: Settings,
    },
    /// Import duty-list documents: each validated, reconciled and written all or
    /// nothing, in its own transaction. A file that fails is reported and the others
    /// are still imported (unless --fail-fast); the exit status is non-zero if any failed.
    Import {
        /// The lists, imported in the order given: Word documents (.docx), Excel
        /// workbooks (.xlsx, made by hand or exported by lvzhi), CSV files (.csv), or
        /// text in the layout of seeds/wuqia-town-duty-list-2025-07.txt.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The town, when the files do not name it in their title (or name it wrongly).
        #[arg(long, value_name = "NAME")]
        town: Option<String>,
        /// The county (乌恰县, or in full 新疆维吾尔自治区克孜勒苏柯尔克孜自治州乌恰县), when
        /// the files do not name it in their title (or name it wrongly).
        #[arg(long, value_name = "NAME")]
        county: Option<String>,
        /// The month the lists were published (YYYY-MM), when the files have no date line.
        #[arg(long, value_name = "YYYY-MM")]
        published: Option<String>,
        /// Import even when the tables do not add up to what the preamble states.
        #[arg(long)]
        allow_mismatch: bool,
        /// Check and report only; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Stop at the first file that fails instead of going on with the rest.
        #[arg(long)]
        fail_fast: bool,
        /// The edition each file makes.
        #[command(flatten)]
        edition: EditionArgs,
        /// Every setting.
        #[command(flatten)]
        settings: Settings,
    },
    /// Export a list as XLSX or CSV (by the file's extension), in the official
    /// table layout; `lvzhi import` reads the file back.
    Export {
        /// The file to write: `NAME.xlsx` or `NAME.csv`.
        file: PathBuf,
        /// The list's ID (see `dutyLists { id }`); needed when there are several lists.
        #[arg(long)]
        list: Option<String>,
        /// Instead, one department's workbook (XLSX): its ID, or its name or any
        /// alias — the names `department(name:)` accepts — in the list's county.
        #[arg(long)]
        department: Option<String>,
        /// The department's county, when its name is ambiguous (as `department(county:)`).
        #[arg(long, requires = "department")]
        county: Option<String>,
        /// Instead, what changed from this edition (a list ID) to the `--list`
        /// edition of the same town, as a workbook (XLSX): one sheet per kind of
        /// change, as `GET /export/diff.xlsx?from=ID&to=ID`.
        #[arg(long, conflicts_with = "department")]
        diff_from: Option<String>,
        /// Every setting.
        #[command(flatten)]
        settings: Settings,
    },
    /// The audit log: every import, publication, mutation and token change.
    Audit {
        /// What to do with it.
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Make, list and revoke API tokens (sent as `Authorization: Bearer …`);
    /// every change is audited with the actor `cli`.
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Measure admission checks (`admissionCheck`) against a labelled set of tasks
    /// (tests/admission/*.toml): top-1 and top-3 duty accuracy, verdict accuracy,
    /// NOT_LISTED precision and recall, and the confusion matrix. The list is
    /// imported into a private in-memory database; no server or configuration is used.
    AdmissionEval {
        /// The labelled set.
        #[arg(value_name = "SET.toml")]
        set: PathBuf,
        /// The list the set is labelled for (default: the bundled Wuqia list).
        #[arg(long, value_name = "FILE")]
        list_file: Option<PathBuf>,
        /// The department registry of that list's county (default: the bundled one).
        #[arg(long, value_name = "FILE")]
        departments: Option<PathBuf>,
        /// An admission lexicon instead of the bundled seeds/admission-lexicon.toml.
        #[arg(long, value_name = "FILE")]
        lexicon: Option<PathBuf>,
        /// Match without the lexicon's synonyms (to measure what they add).
        #[arg(long)]
        no_synonyms: bool,
        /// The coverage below which a task is NOT_LISTED (default: the shipped one).
        #[arg(long, value_name = "X")]
        threshold: Option<f64>,
    },
}

/// What `lvzhi audit` does.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Write the audit log as CSV (newest first, UTF-8 with a BOM), the rows
    /// `auditLog` and `GET /export/audit.csv` give for the same filters.
    Export {
        /// The file to write (`NAME.csv`).
        file: PathBuf,
        /// Only this target (`Adjustment:12`), or every target of a type (`Adjustment:`).
        #[arg(long, value_name = "TYPE:KEY")]
        target: Option<String>,
        /// Only this actor (a token's name, `cli` or `system`).
        #[arg(long, value_name = "NAME")]
        actor: Option<String>,
        /// Only this operation (`list.import`, `token.create`, …).
        #[arg(long, value_name = "NAME")]
        operation: Option<String>,
        /// From this day (YYYY-MM-DD) or instant in UTC (YYYY-MM-DDTHH:MM:SSZ).
        #[arg(long, value_name = "WHEN")]
        from: Option<String>,
        /// To this day (inclusive) or instant in UTC.
        #[arg(long, value_name = "WHEN")]
        to: Option<String>,
        /// Every setting.
        #[command(flatten)]
        settings: Settings,
    },
}

/// `lvzhi token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it once: the token alone on stdout (for scripts
    /// to capture), the rest on stderr. Only its SHA-256 is stored.
    Create {
        /// Its name, unique (e.g. the system that will hold it).
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Its role: reader, applicant, reviewer, approver, publisher or admin (any case).
        #[arg(long, value_name = "ROLE", value_parser = role)]
        role: Role,
        /// The county it is confined to (default: every county).
        #[arg(long, value_name = "NAME")]
        county: Option<String>,
        /// The town of that county it is confined to.
        #[arg(long, value_name = "NAME", requires = "county")]
        town: Option<String>,
        /// The department of that county it acts for (a name or an alias).
        #[arg(long, value_name = "NAME", requires = "county")]
        department: Option<String>,
        /// The day it stops working, from the start of that day (UTC); default: never.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = day)]
        expires: Option<Date>,
        /// Every setting.
        #[command(flatten)]
        settings: Settings,
    },
    /// List every token, newest first: name, prefix, role, scope, when made,
    /// when it expires, when revoked, when last used (never a secret).
    List {
        /// Every setting.
        #[command(flatten)]
        settings: Settings,
    },
    /// Revoke a token: it is refused from then on.
    Revoke {
        /// The token's name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Every setting.
        #[command(flatten)]
        settings: Settings,
    },
}

impl TokenCommand {
    /// The settings of the command.
    fn settings(&self) -> &Settings {
        match self {
            TokenCommand::Create { settings, .. }
            | TokenCommand::List { settings }
            | TokenCommand::Revoke { settings, .. } => settings,
        }
    }
}

/// Run the command line.
pub async fn main() -> anyhow::Result<()> {
    config::load_dotenv();
    let command = parse(std::env::args_os())
        .command
        .unwrap_or_else(serve_by_default);
    if let Command::Schema = command {
        print!("{}", graphql::sdl());
        return Ok(());
    }
    if let Command::AdmissionEval {
        set,
        list_file,
        departments,
        lexicon,
        no_synonyms,
        threshold,
    } = &command
    {
        let options = EvalOptions {
            list_file: list_file.as_deref(),
            departments: departments.as_deref(),
            lexicon: lexicon.as_deref(),
            synonyms: !no_synonyms,
            threshold: *threshold,
        };
        return admission_eval(set, &options).await;
    }
    let config = command
        .config()
        .expect("every other command reads the settings");
    config.check().map_err(anyhow::Error::msg)?;
    init_logging(&config)?;
    match command {
        Command::Serve { .. } => serve(&config).await?,
        Command::Migrate { .. } => {
            open_database(&config).await?;
            println!("migrations applied to {}", redact(&config.database_url));
        }
        Command::Export {
            file,
            list,
            department,
            county,
            diff_from,
            ..
        } => match diff_from {
            Some(from) => export_diff(&config, &file, &from, list).await?,
            None => export(&config, &file, list, department, county).await?,
        },
        Command::Import {
            files,
            town,
            county,
            published,
            allow_mismatch,
            dry_run,
            fail_fast,
            edition,
            ..
        } => {
            let options = ImportOptions {
                import: import::Options {
                    allow_mismatch,
                    overrides: import::Overrides {
                        town,
                        county,
                        published,
                    },
                    edition: edition.request()?,
                },
                dry_run,
                fail_fast,
            };
            options.import.overrides.check()?;
            import_files(&config, &files, options).await?
        }
        Command::Audit {
            action:
                AuditAction::Export {
                    file,
                    target,
                    actor,
                    operation,
                    from,
                    to,
                    ..
                },
        } => {
            let filter = crate::domain::audit::AuditFilter::parse(
                target.as_deref(),
                actor.as_deref(),
                operation.as_deref(),
                from.as_deref(),
                to.as_deref(),
            )?;
            export_audit(&config, &file, filter).await?
        }
        Command::Token { action } => tokens(&config, action).await?,
        Command::Schema | Command::AdmissionEval { .. } => {
            unreachable!("handled before configuration is read")
        }
    }
    Ok(())
}

/// The command line in `args`; exits with clap's message when it is not valid.
/// Every setting comes from its flag, else its variable, else its default.
fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Cli {
    let matches = config::without_blank_variables(Cli::command()).get_matches_from(args);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// `lvzhi` alone serves, with the settings of the environment.
fn serve_by_default() -> Command {
    parse(["lvzhi", "serve"].map(Into::into))
        .command
        .expect("`lvzhi serve` is a command")
}

impl Command {
    /// The configuration of a command that reads one.
    fn config(&self) -> Option<Config> {
        match self {
            Command::Serve { settings } => Some(settings.config()),
            Command::Migrate { settings }
            | Command::Import { settings, .. }
            | Command::Export { settings, .. }
            | Command::Audit {
                action: AuditAction::Export { settings, .. },
            } => Some(settings.config()),
            Command::Token { action } => Some(action.settings().config()),
            Command::Schema | Command::AdmissionEval { .. } => None,
        }
    }
}

/// Log to stderr, filtered by `LVZHI_LOG`, in `LVZHI_LOG_FORMAT`.
fn init_logging(config: &Config) -> anyhow::Result<()> {
    let filter =
        tracing_subscriber::EnvFilter::try_new(&config.log).context("invalid LVZHI_LOG")?;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
    }
    Ok(())
}

/// `lvzhi serve`: serve until Ctrl-C or SIGTERM.
async fn serve(config: &Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    println!(
        "lvzhi serves GraphQL at http://{}/graphql (database: {})",
        app.local_addr(),
        redact(&config.database_url)
    );
    if config.dashboard {
        println!("dashboard: http://{}/", app.local_addr());
    }
    app.run_until(shutdown_signal())
        .await
        .context("the server failed")
}

/// How `lvzhi admission-eval` runs.
struct EvalOptions<'a> {
    list_file: Option<&'a Path>,
    departments: Option<&'a Path>,
    lexicon: Option<&'a Path>,
    synonyms: bool,
    threshold: Option<f64>,
}

/// `lvzhi admission-eval`: import the list into a private in-memory database,
/// judge every labelled task against it and print the report.
async fn admission_eval(set: &Path, options: &EvalOptions<'_>) -> anyhow::Result<()> {
    use crate::admission::{self, eval, matcher::Params};

    let text =
        std::fs::read_to_string(set).with_context(|| format!("cannot read {}", set.display()))?;
    let labelled =
        eval::EvalSet::parse(&text, &set.display().to_string()).map_err(anyhow::Error::msg)?;
    let registry = Registry::load(options.departments)?;
    let lexicon = match options.lexicon {
        Some(path) => admission::Lexicon::load(path)?,
        None => admission::Lexicon::bundled().clone(),
    };
    // One connection: every connection to `:memory:` is a database of its own.
    let pool = crate::config::PoolConfig {
        max_connections: 1,
        ..Default::default()
    };
    let db = crate::db::connect_with("sqlite::memory:", &pool).await?;
    crate::db::migrate(&db).await?;
    let (name, bytes) = match options.list_file {
        Some(path) => (
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
        ),
        None => (
            "wuqia.txt".to_owned(),
            import::BUNDLED_LIST.as_bytes().to_vec(),
        ),
    };
    let prepared = import::prepare_file(&name, &bytes, &registry, &import::Options::default())?;
    if prepared.list.town != labelled.town || prepared.list.county != labelled.county {
        anyhow::bail!(
            "{} is labelled for {}{}, but the list is {}{}'s",
            set.display(),
            labelled.county,
            labelled.town,
            prepared.list.county,
            prepared.list.town
        );
    }
    let edition = import::EditionRequest {
        actor: crate::auth::Actor::command_line(),
        ..import::EditionRequest::default()
    };
    let imported = import::store::store(&db, &prepared.list, prepared.report, &edition).await?;
    let data = admission::fetch(&db, imported.list_id).await?;
    let defaults = Params::default();
    let params = Params {
        synonyms: options.synonyms,
        threshold: options.threshold.unwrap_or(defaults.threshold),
        ..defaults
    };
    let started = Instant::now();
    let report = eval::evaluate(&data, &labelled, &lexicon, params);
    let elapsed = started.elapsed();
    print!("{report}");
    println!(
        "
{} tasks judged in {:.1} ms ({:.2} ms per task, list indexed once)",
        labelled.cases.len(),
        elapsed.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() * 1000.0 / labelled.cases.len().max(1) as f64
    );
    Ok(())
}

/// `lvzhi export`: write a list, or a department's workbook, to `file`.
async fn export(
    config: &Config,
    file: &std::path::Path,
    list: Option<String>,
    department: Option<String>,
    county: Option<String>,
) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    let list = match list {
        Some(id) => graphql::id::decode(&async_graphql::ID(id.clone()), "DutyList")
            .map_err(|_| anyhow::anyhow!("`{id}` is not a list ID (see `dutyLists {{ id }}`)"))?,
        None => {
            // The current editions: a town's history does not make the choice ambiguous.
            let lists = crate::domain::list::all(&db, crate::domain::scope::Scope::Current).await?;
            match lists.as_slice() {
                [(only, _)] => only.id,
                [] => anyhow::bail!("the database holds no list"),
                _ => anyhow::bail!(
                    "the database holds {} current lists: choose one with --list ID",
                    lists.len()
                ),
            }
        }
    };
    let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    let bytes = match (department, extension) {
        (Some(name), "xlsx") => {
            let key = match graphql::id::decode(&async_graphql::ID(name.clone()), "Department") {
                Ok(key) => key,
                Err(_) => {
                    crate::domain::department::find_by_name(
                        &db,
                        &name,
                        county.as_deref(),
                        crate::domain::scope::Scope::List(list),
                    )
                    .await?
                    .ok_or_else(|| {
                        anyhow::anyhow!("no department of the list's county is called `{name}`")
                    })?
                    .id
                }
            };
            export::department_xlsx(&db, list, key).await?
        }
        (Some(_), _) => anyhow::bail!("a department workbook is an .xlsx file"),
        (None, "xlsx") => export::list_xlsx(&db, list).await?,
        (None, "csv") => export::list_csv(&db, list).await?,
        _ => anyhow::bail!("{}: the file must end in .xlsx or .csv", file.display()),
    };
    std::fs::write(file, bytes).with_context(|| format!("cannot write {}", file.display()))?;
    println!("wrote {}", file.display());
    Ok(())
}

/// `lvzhi audit export FILE`: the rows `filter` selects, written as they are read.
async fn export_audit(
    config: &Config,
    file: &Path,
    filter: crate::domain::audit::AuditFilter,
) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    use std::io::Write;

    let db = open_database(config).await?;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(file).with_context(|| format!("cannot write {}", file.display()))?,
    );
    let mut chunks = std::pin::pin!(export::audit_csv::stream(db, filter));
    while let Some(chunk) = chunks.next().await {
        out.write_all(&chunk?)
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    out.flush()
        .with_context(|| format!("cannot write {}", file.display()))?;
    println!("wrote {}", file.display());
    Ok(())
}

/// What `lvzhi import` says about the editions its files make. A town's list
/// that is imported again with other content becomes its next edition.
#[derive(Clone, Debug, clap::Args)]
pub struct EditionArgs {
    /// The day the editions take effect (YYYY-MM-DD); by default the 1st of the
    /// month each list was published.
    #[arg(long, value_name = "YYYY-MM-DD")]
    effective: Option<Date>,
    /// The approving document's number (文号), e.g. 乌党编〔2026〕3号.
    #[arg(long, value_name = "文号")]
    document_number: Option<String>,
    /// Why the edition was made, e.g. 清单动态调整.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Add a list that takes effect before its town's current edition to the
    /// history instead of refusing it.
    #[arg(long)]
    allow_older: bool,
    /// A reviewer's mapping file that pins which duties of the new edition
    /// continue which of the previous one ([[same]], [[removed]], [[added]]; see README).
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
}

impl EditionArgs {
    /// The request each import makes, with the mapping file read and checked.
    fn request(self) -> anyhow::Result<import::EditionRequest> {
        let pins = match &self.mapping {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Pins::parse(&text, &path.display().to_string())?
            }
            None => Pins::default(),
        };
        Ok(import::EditionRequest {
            effective_on: self.effective,
            document_number: self.document_number,
            reason: self.reason,
            source_name: String::new(),
            allow_older: self.allow_older,
            pins,
            source: entity::EditionSource::Import,
            actor: crate::auth::Actor::command_line(),
        })
    }
}

/// `lvzhi export FILE.xlsx --diff-from ID --list ID`: the diff of two editions.
async fn export_diff(
    config: &Config,
    file: &std::path::Path,
    from: &str,
    to: Option<String>,
) -> anyhow::Result<()> {
    let key = |id: &str| {
        graphql::id::decode(&async_graphql::ID(id.to_owned()), "DutyList")
            .map_err(|_| anyhow::anyhow!("`{id}` is not a list ID (see `dutyLists {{ id }}`)"))
    };
    let to =
        to.ok_or_else(|| anyhow::anyhow!("--diff-from needs --list, the edition to compare to"))?;
    if file.extension().and_then(|e| e.to_str()) != Some("xlsx") {
        anyhow::bail!("{}: a diff is an .xlsx file", file.display());
    }
    let db = open_database(config).await?;
    let found = crate::domain::edition::diff_editions(&db, key(from)?, key(&to)?).await?;
    let bytes = export::diff_workbook::diff_xlsx(&found.diff)?;
    std::fs::write(file, bytes).with_context(|| format!("cannot write {}", file.display()))?;
    println!("wrote {}", file.display());
    Ok(())
}

/// How `lvzhi import` treats its files.
#[derive(Clone, Debug)]
struct ImportOptions {
    import: import::Options,
    dry_run: bool,
    fail_fast: bool,
}

/// A file read and checked, ready to store.
struct Checked {
    prepared: import::Prepared,
    /// The edition it makes, named after the file.
    edition: import::EditionRequest,
    /// Time spent reading, parsing, resolving and reconciling.
    elapsed: Duration,
}

/// Read `file` and check it: parsed, resolved and reconciled, ready to store.
fn check(file: &Path, registry: &Registry, options: &import::Options) -> anyhow::Result<Checked> {
    let started = Instant::now();
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prepared = import::prepare_file(&name, &bytes, registry, options)?;
    let edition = import::EditionRequest {
        source_name: name,
        ..options.edition.clone()
    };
    Ok(Checked {
        prepared,
        edition,
        elapsed: started.elapsed(),
    })
}

/// What the files came to.
#[derive(Default)]
struct Tally {
    created: usize,
    editions: usize,
    unchanged: usize,
    valid: usize,
    failed: Vec<String>,
    duties: usize,
}

impl Tally {
    /// Count a file that went through, and say what became of it.
    fn count(&mut self, stored: &Stored) -> &'static str {
        self.duties += stored.checked.prepared.list.duties.len();
        match stored.imported.as_ref().map(|i| i.status) {
            None => {
                self.valid += 1;
                "valid; nothing written (dry run)"
            }
            Some(Status::Created) => {
                self.created += 1;
                "imported as a new list"
            }
            Some(Status::NewEdition) => {
                self.editions += 1;
                "imported as a new edition"
            }
            Some(Status::Unchanged) => {
                self.unchanged += 1;
                "already imported; nothing changed"
            }
        }
    }

    /// How many files went through.
    fn done(&self) -> usize {
        self.created + self.editions + self.unchanged + self.valid
    }

    /// The closing line, for `files` files that took `seconds`.
    fn summary(&self, files: usize, dry_run: bool, seconds: f64) -> String {
        let done = self.done();
        let counts = if dry_run {
            format!("{} valid", self.valid)
        } else {
            format!(
                "{} new, {} new edition(s), {} unchanged",
                self.created, self.editions, self.unchanged
            )
        };
        format!(
            "{} of {} file(s) done ({counts}, {} failed): {} duties in {seconds:.2} s ({:.1} files/s)",
            done,
            files,
            self.failed.len(),
            self.duties,
            done as f64 / seconds.max(1e-9)
        )
    }

    /// The error that ends an import in which some of `files` files failed.
    fn failure(&self, files: usize) -> Option<anyhow::Error> {
        if self.failed.is_empty() {
            return None;
        }
        let skipped = files - self.done() - self.failed.len();
        // Each failure was reported as it happened; the summary names the first few.
        let mut named = self
            .failed
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if self.failed.len() > 10 {
            named.push_str(", …");
        }
        Some(anyhow::anyhow!(
            "{} of {} files failed{}: {named}",
            self.failed.len(),
            files,
            if skipped > 0 {
                format!(" ({skipped} not tried after --fail-fast)")
            } else {
                String::new()
            },
        ))
    }
}

/// A file checked and, unless this is a dry run, stored.
struct Stored {
    checked: Checked,
    /// What storing did; `None` on a dry run.
    imported: Option<import::Imported>,
    /// Time spent storing.
    elapsed: Duration,
}

/// A file and what checking it gave.
type CheckedFile = (PathBuf, anyhow::Result<Checked>);

/// `lvzhi import FILE…`: every file in its own transaction, in order.
///
/// Reading and checking is pure work in Rust and storing is mostly waiting for
/// the database, so the next file is checked on a blocking thread while the
/// current one is stored; the files are still stored one at a time, in order
/// (concurrent transactions would race to create the same counties and categories).
async fn import_files(
    config: &Config,
    files: &[PathBuf],
    options: ImportOptions,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let registry = Registry::load(config.departments.as_deref())?;
    let db = if options.dry_run {
        None
    } else {
        Some(open_database(config).await?)
    };
    // Departments and successions that published reform requests made are
    // in the database only: documents may use them.
    let registry = match &db {
        Some(db) => crate::domain::edition::registry_with_stored(db, registry)
            .await
            .context("cannot read the stored departments")?,
        None => registry,
    };
    let (checker, checked) = check_ahead(files, Arc::new(registry), &options.import);
    let tally = store_in_order(checked, db.as_ref(), files.len(), &options).await?;
    checker.await.ok();
    if let Some(db) = &db
        && tally.created + tally.editions > 0
    {
        // Fresh statistics, so the planner sees the new rows (autovacuum may be off).
        crate::db::analyze(db)
            .await
            .context("cannot update the database statistics")?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{}", tally.summary(files.len(), options.dry_run, seconds));
    tally.failure(files.len()).map_or(Ok(()), Err)
}

/// Check `files` in order, each on a blocking thread, a file or two ahead of
/// the storing: the task, and the channel its results arrive on.
fn check_ahead(
    files: &[PathBuf],
    registry: Arc<Registry>,
    options: &import::Options,
) -> (
    tokio::task::JoinHandle<()>,
    tokio::sync::mpsc::Receiver<CheckedFile>,
) {
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    let files = files.to_vec();
    let options = options.clone();
    let checker = tokio::spawn(async move {
        for file in files {
            let registry = Arc::clone(&registry);
            let options = options.clone();
            let path = file.clone();
            let checked = tokio::task::spawn_blocking(move || check(&path, &registry, &options))
                .await
                .unwrap_or_else(|e| Err(anyhow::anyhow!("checking failed: {e}")));
            // The receiver is gone when --fail-fast stopped the import.
            if sender.send((file, checked)).await.is_err() {
                break;
            }
        }
    });
    (checker, receiver)
}

/// Store the checked files as they arrive, reporting each, and count them.
/// With one file, its failure is the command's error.
async fn store_in_order(
    mut checked: tokio::sync::mpsc::Receiver<CheckedFile>,
    db: Option<&sea_orm::DatabaseConnection>,
    files: usize,
    options: &ImportOptions,
) -> anyhow::Result<Tally> {
    let single = files == 1;
    let mut tally = Tally::default();
    let mut position = 0;
    while let Some((file, outcome)) = checked.recv().await {
        position += 1;
        let label = label(&file, position, files);
        let (target, outcome) = match outcome {
            Ok(checked) => (town_target(&checked), store_checked(checked, db).await),
            Err(e) => (UNKNOWN_LIST.to_owned(), Err(e)),
        };
        if let (Err(e), Some(db)) = (&outcome, db) {
            audit_refusal(db, &options.import.edition, &file, target, e).await;
        }
        match outcome {
            Err(e) if single => return Err(e),
            Err(e) => {
                eprintln!("{label}: failed: {e:#}");
                tally.failed.push(file.display().to_string());
                if options.fail_fast {
                    break;
                }
            }
            Ok(stored) => {
                let what = tally.count(&stored);
                print_stored(&label, &stored, what, single);
            }
        }
    }
    Ok(tally)
}

/// The audit target of an import refused before its town was known.
const UNKNOWN_LIST: &str = "DutyList:?";

/// The audit target of a checked file: its town, by county and name.
fn town_target(checked: &Checked) -> String {
    let list = &checked.prepared.list;
    format!("Town:{}/{}", list.county, list.town)
}

/// Record a refused import in the audit log, after its transaction rolled
/// back: its code (`BAD_USER_INPUT` for a file that could not be read at all),
/// the 文号 it was given, and the file's name with the message's first line. A
/// failure to record is logged and does not hide the refusal itself.
async fn audit_refusal(
    db: &sea_orm::DatabaseConnection,
    request: &import::EditionRequest,
    file: &Path,
    target: String,
    error: &anyhow::Error,
) {
    let code = error
        .downcast_ref::<import::ImportError>()
        .map_or(crate::error::ErrorCode::BadUserInput, |e| e.code());
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut entry = crate::domain::audit::Entry::new("list.import", target);
    entry.document_number = request.document_number.clone();
    entry.detail = Some(format!("{name}: {}", first_line(&error.to_string())));
    if let Err(e) = crate::domain::audit::record(db, &request.actor, entry, Some(code)).await {
        tracing::warn!(error = %e, file = %file.display(), "cannot record the refused import in the audit log");
    }
}

/// A message's first line, with the line after it when the first only
/// introduces a list (`the document is malformed:`).
fn first_line(message: &str) -> String {
    let mut lines = message.lines().map(str::trim);
    let first = lines.next().unwrap_or_default();
    match lines.next() {
        Some(next) if first.ends_with(':') => format!("{first} {next}"),
        _ => first.to_owned(),
    }
}

/// Store a checked file in its own transaction; on a dry run (no database), nothing.
async fn store_checked(
    checked: Checked,
    db: Option<&sea_orm::DatabaseConnection>,
) -> anyhow::Result<Stored> {
    let Some(db) = db else {
        return Ok(Stored {
            checked,
            imported: None,
            elapsed: Duration::ZERO,
        });
    };
    let storing = Instant::now();
    let prepared = &checked.prepared;
    let imported = import::store::store(
        db,
        &prepared.list,
        prepared.report.clone(),
        &checked.edition,
    )
    .await?;
    Ok(Stored {
        checked,
        imported: Some(imported),
        elapsed: storing.elapsed(),
    })
}

/// How a file is named in the output: with its position when there are several.
fn label(file: &Path, position: usize, files: usize) -> String {
    if files == 1 {
        file.display().to_string()
    } else {
        format!("[{position}/{files}] {}", file.display())
    }
}

/// Print what became of a file (`what`): one file gets the whole reconciliation
/// table (notes included); each of several, one line and its notes, so a long
/// run reads as a log.
fn print_stored(label: &str, stored: &Stored, what: &str, single: bool) {
    let prepared = &stored.checked.prepared;
    let per_kind: Vec<String> = prepared
        .report
        .rows
        .iter()
        .map(|r| r.duties.parsed.to_string())
        .collect();
    let id = stored
        .imported
        .as_ref()
        .map(|i| format!("list {}, edition {}; ", i.list_id, i.edition))
        .unwrap_or_default();
    if single {
        println!("{}", prepared.report);
    }
    let checked_in = stored.checked.elapsed.as_millis();
    let timing = match stored.imported {
        Some(_) => format!(
            "checked in {checked_in} ms, stored in {} ms",
            stored.elapsed.as_millis()
        ),
        None => format!("checked in {checked_in} ms"),
    };
    println!(
        "{label}: {what} ({id}{} duties: {}; {timing})",
        prepared.list.duties.len(),
        per_kind.join(" + "),
    );
    if !single {
        for note in &prepared.report.notes {
            println!("  note: {note}");
        }
    }
    if let Some(changes) = stored.imported.as_ref().and_then(|i| i.changes.as_ref()) {
        println!("  {}", changes.summary());
        if single {
            for line in changes.details() {
                println!("    {line}");
            }
        }
    }
}

/// `lvzhi token create|list|revoke`, as the operator at the command line.
async fn tokens(config: &Config, action: TokenCommand) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    match action {
        TokenCommand::Create {
            name,
            role,
            county,
            town,
            department,
            expires,
            ..
        } => {
            let new = NewToken {
                name,
                role,
                county,
                town,
                department,
                expires_at: expires.map(|day| day.days_since_epoch() * 86_400),
            };
            let created = auth::token::create(&db, new, &Actor::command_line()).await?;
            eprintln!(
                "token `{}` ({}) made; it is shown once, below, and never again:",
                created.token.name,
                auth::role_name(created.token.role)
            );
            println!("{}", created.secret);
        }
        TokenCommand::List { .. } => {
            let named = auth::token::named(&db, auth::token::list(&db).await?).await?;
            println!("name\tprefix\trole\tscope\tcreated\texpires\trevoked\tlast used");
            for token in &named {
                println!("{}", token_line(token));
            }
        }
        TokenCommand::Revoke { name, .. } => {
            let revoked = auth::token::revoke(&db, &name, &Actor::command_line()).await?;
            eprintln!("token `{}` revoked", revoked.name);
        }
    }
    Ok(())
}

/// One token as a tab-separated line of `lvzhi token list`.
fn token_line(named: &auth::token::Named) -> String {
    let token = &named.token;
    let when = |at: Option<i64>| at.map_or_else(|| "-".to_owned(), graphql::date::iso_utc);
    let scope: Vec<&str> = [
        named.county.as_deref(),
        token.town.as_deref(),
        named.department.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let scope = if scope.is_empty() {
        "every county".to_owned()
    } else {
        scope.join(" / ")
    };
    [
        token.name.clone(),
        token.prefix.clone(),
        auth::role_name(token.role).to_owned(),
        scope,
        graphql::date::iso_utc(token.created_at),
        when(token.expires_at),
        when(token.revoked_at),
        when(token.last_used_at),
    ]
    .join("\t")
}

/// A role, in any case (`approver`, `APPROVER`).
fn role(text: &str) -> Result<Role, String> {
    Role::iter()
        .find(|r| auth::role_name(*r).eq_ignore_ascii_case(text.trim()))
        .ok_or_else(|| {
            "expected reader, applicant, reviewer, approver, publisher or admin".to_owned()
        })
}

/// A day, `YYYY-MM-DD`.
fn day(text: &str) -> Result<Date, String> {
    text.parse::<Date>().map_err(|e| e.to_string())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
