//! The command line: `lvzhi [serve]`, `migrate`, `import FILE`, `schema`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::import::{self, Registry, Status};
use crate::server::{Application, open_database, redact};
use crate::{export, graphql};

/// lvzhi (履职): publish and query township duty lists (乡镇履职事项清单) over GraphQL.
#[derive(Debug, Parser)]
#[command(name = "lvzhi", version)]
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
        /// Address to listen on [env: LVZHI_BIND; default 127.0.0.1:8000].
        #[arg(long, value_name = "ADDR")]
        bind: Option<SocketAddr>,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Import a duty-list document: validated, reconciled, all or nothing.
    Import {
        /// The document (text in the layout of seeds/wuqia-town-duty-list-2025-07.txt).
        file: PathBuf,
        /// Import even when the tables do not add up to what the preamble states.
        #[arg(long)]
        allow_mismatch: bool,
        /// Check and report only; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export a list as XLSX or CSV (by the file's extension), in the official
    /// table layout; `lvzhi import` reads the file back.
    Export {
        /// The file to write: `NAME.xlsx` or `NAME.csv`.
        file: PathBuf,
        /// The list's ID (see `dutyLists { id }`); needed when there are several lists.
        #[arg(long)]
        list: Option<String>,
        /// Instead, one department's workbook (XLSX): its ID or its name or alias.
        #[arg(long)]
        department: Option<String>,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

/// Run the command line.
pub async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Schema) = cli.command {
        print!("{}", graphql::sdl());
        return Ok(());
    }
    let mut config = Config::from_env()?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&config.log).context("invalid LVZHI_LOG")?,
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command.unwrap_or(Command::Serve { bind: None }) {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                config.bind = bind;
            }
            let app = Application::build(&config).await?;
            println!(
                "lvzhi serves GraphQL at http://{}/graphql (database: {})",
                app.local_addr(),
                redact(&config.database_url)
            );
            app.run_until(shutdown_signal())
                .await
                .context("the server failed")?;
        }
        Command::Migrate => {
            open_database(&config).await?;
            println!("migrations applied to {}", redact(&config.database_url));
        }
        Command::Export {
            file,
            list,
            department,
        } => export(&config, &file, list, department).await?,
        Command::Import {
            file,
            allow_mismatch,
            dry_run,
        } => {
            let text =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            // An XLSX or CSV export becomes the text layout; anything else is that layout.
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = match export::to_document(&name, &text)? {
                Some(document) => document.into_bytes(),
                None => text,
            };
            let text = String::from_utf8(text).map_err(|e| {
                anyhow::anyhow!(
                    "{} is not UTF-8 text (first bad byte at offset {})",
                    file.display(),
                    e.utf8_error().valid_up_to()
                )
            })?;
            let registry = Registry::load(config.departments.as_deref())?;
            let imported = if dry_run {
                let prepared = import::prepare(&text, &registry, allow_mismatch)?;
                println!("{}", prepared.report);
                println!("dry run: {} is valid; nothing written", file.display());
                return Ok(());
            } else {
                let db = open_database(&config).await?;
                import::import(&db, &text, &registry, allow_mismatch).await?
            };
            println!("{}", imported.report);
            let what = match imported.status {
                Status::Created => "imported as a new list",
                Status::Replaced => "replaced the list of the same town and edition",
                Status::Unchanged => "already imported; nothing changed",
            };
            println!("{}: {what} (list {})", file.display(), imported.list_id);
        }
        Command::Schema => unreachable!("handled before configuration is read"),
    }
    Ok(())
}

/// `lvzhi export`: write a list, or a department's workbook, to `file`.
async fn export(
    config: &Config,
    file: &std::path::Path,
    list: Option<String>,
    department: Option<String>,
) -> anyhow::Result<()> {
    use entity::{department as dept, department_alias, duty_list};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let db = open_database(config).await?;
    let list = match list {
        Some(id) => graphql::id::decode(&async_graphql::ID(id.clone()), "DutyList")
            .map_err(|_| anyhow::anyhow!("`{id}` is not a list ID (see `dutyLists {{ id }}`)"))?,
        None => {
            let lists = duty_list::Entity::find().all(&db).await?;
            match lists.as_slice() {
                [only] => only.id,
                [] => anyhow::bail!("the database holds no list"),
                _ => anyhow::bail!(
                    "the database holds {} lists: choose one with --list ID",
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
                    let folded = crate::import::text::fold(&name);
                    let by_alias = department_alias::Entity::find()
                        .filter(department_alias::Column::Alias.eq(folded.clone()))
                        .all(&db)
                        .await?;
                    let by_name = dept::Entity::find()
                        .filter(dept::Column::Name.eq(name.trim()))
                        .all(&db)
                        .await?;
                    let mut ids: Vec<i32> = by_alias
                        .iter()
                        .map(|a| a.department_id)
                        .chain(by_name.iter().map(|d| d.id))
                        .collect();
                    ids.sort_unstable();
                    ids.dedup();
                    match ids.as_slice() {
                        [only] => *only,
                        [] => anyhow::bail!("no department is called `{name}`"),
                        _ => anyhow::bail!("`{name}` names several departments: pass its ID"),
                    }
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
