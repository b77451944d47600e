//! Configuration, read once at start-up from the environment and `.env`.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | `sqlite://lvzhi.db?mode=rwc` | database to use (PostgreSQL or SQLite) |
//! | `LVZHI_BIND` | `127.0.0.1:8000` | address `lvzhi serve` listens on |
//! | `LVZHI_DEPARTMENTS` | the bundled `seeds/departments.toml` | department registry file |
//! | `LVZHI_LOG` | `info` | log filter (tracing `EnvFilter` syntax) |

use std::net::SocketAddr;
use std::path::PathBuf;

/// The embedded SQLite file used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://lvzhi.db?mode=rwc";
/// Where `lvzhi serve` listens when `LVZHI_BIND` is not set.
pub const DEFAULT_BIND: &str = "127.0.0.1:8000";

/// Invalid configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable holds a value of the wrong form.
    #[error("{name}={value:?} is not valid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// lvzhi's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Database connection URL.
    pub database_url: String,
    /// Address the server listens on.
    pub bind: SocketAddr,
    /// Department registry file; `None` uses the bundled one.
    pub departments: Option<PathBuf>,
    /// Log filter.
    pub log: String,
}

impl Config {
    /// Read the process environment, after loading `.env` from the working
    /// directory if there is one (variables already set win).
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case; a malformed one is worth a warning.
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            eprintln!("warning: .env ignored: {e}");
        }
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Build from any source of variables (the environment, or a test's map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let bind_text = set("LVZHI_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind = bind_text
            .trim()
            .parse()
            .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                name: "LVZHI_BIND",
                value: bind_text.clone(),
                reason: format!("{e} (expected HOST:PORT, e.g. 127.0.0.1:8000)"),
            })?;
        let database_url = set("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !["postgres://", "postgresql://", "sqlite:"]
            .iter()
            .any(|p| database_url.starts_with(p))
        {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                value: database_url,
                reason: "expected a postgres:// or sqlite: URL".into(),
            });
        }
        Ok(Config {
            database_url,
            bind,
            departments: set("LVZHI_DEPARTMENTS").map(PathBuf::from),
            log: set("LVZHI_LOG").unwrap_or_else(|| "info".to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn nothing_set_means_embedded_sqlite_on_localhost_8000() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.bind.to_string(), DEFAULT_BIND);
        assert_eq!(c.departments, None);
    }

    #[test]
    fn variables_override_the_defaults() {
        let c = config(&[
            ("DATABASE_URL", "postgres://u@h/db"),
            ("LVZHI_BIND", "0.0.0.0:9000"),
        ])
        .unwrap();
        assert_eq!(c.database_url, "postgres://u@h/db");
        assert_eq!(c.bind.port(), 9000);
    }

    #[test]
    fn a_bad_bind_address_is_named_in_the_error() {
        let err = config(&[("LVZHI_BIND", "localhost")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("LVZHI_BIND"), "{err}");
    }

    #[test]
    fn an_unsupported_database_is_refused() {
        assert!(config(&[("DATABASE_URL", "mysql://x")]).is_err());
    }
}
