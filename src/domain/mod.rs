//! The domain layer: plain functions over `&impl ConnectionTrait` that answer one
//! question each, with one rule each, for every caller — GraphQL resolvers, the
//! command line and export are thin callers of it.
//!
//! - [`department`]: finding a department by its name or an alias, within a county
//!   or the county of a list.

pub mod department;
