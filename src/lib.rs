//! lvzhi (履职): a GraphQL backend for China's township duty lists.
//!
//! See `ARCHITECTURE.md` for the bird's-eye view. In short: [`import`] turns a
//! published list document into validated, attributed records; [`db`] connects
//! and migrates; [`domain`] answers questions about the stored lists for every
//! caller; [`graphql`] serves them; [`server`] wires HTTP; [`cli`] is the
//! command line; [`config`] is read once at start-up.

pub mod admission;
pub mod auth;
pub mod cache;
pub mod changes;
pub mod cli;
pub mod config;
pub mod date;
pub mod db;
pub mod domain;
pub mod edition;
pub mod error;
pub mod export;
pub mod graphql;
pub mod import;
pub mod metrics;
pub mod search;
pub mod server;
pub mod webhook;
