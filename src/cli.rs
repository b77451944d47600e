//! The command line: `lvzhi [serve]`, `migrate`, `import FILE`, `schema`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::import::{self, Registry, Status};
use crate::server::{Application, redact};
use crate::{db, graphql};

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
            let db = db::connect(&config.database_url)
                .await
                .context("cannot connect to the database")?;
            db::migrate(&db)
                .await
                .context("cannot run the database migrations")?;
            println!("migrations applied to {}", redact(&config.database_url));
        }
        Command::Import {
            file,
            allow_mismatch,
            dry_run,
        } => {
            let text =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
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
                let db = db::connect(&config.database_url)
                    .await
                    .context("cannot connect to the database")?;
                db::migrate(&db)
                    .await
                    .context("cannot run the database migrations")?;
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
