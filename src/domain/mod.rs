//! The domain layer: plain functions over `&impl ConnectionTrait` that answer one
//! question each, with one rule each, for every caller — GraphQL resolvers, the
//! command line and export are thin callers of it.
//!
//! - [`department`]: finding a department by its name or an alias, within a county
//!   or the county of a list.
//! - [`in_one_county`]: the rule for any name that several counties may share.
//! - [`search`]: duties by word, as ranked hits, through the index of [`crate::search`].
//! - [`town`]: the lists a town's name denotes (the admission check's list).
//! - [`stats`]: duty counts by any dimensions, workloads and the department network.

pub mod department;
pub mod search;
pub mod stats;
pub mod town;

use entity::county;

/// Things of several counties that a name matched when it should match one.
#[derive(Debug)]
pub struct Ambiguous<T>(pub Vec<(T, county::Model)>);

/// Narrow `found` — things a name matched, each with its county — to `county`
/// when it is given; things of several counties left are [`Ambiguous`]. The one
/// rule for names counties share: departments, and towns' lists.
pub fn in_one_county<T>(
    mut found: Vec<(T, county::Model)>,
    county: Option<&str>,
) -> Result<Vec<(T, county::Model)>, Ambiguous<T>> {
    if let Some(county) = county {
        let county = county.trim();
        found.retain(|(_, c)| c.name == county);
    }
    let first = found.first().map(|(_, c)| c.id);
    if found.iter().any(|(_, c)| Some(c.id) != first) {
        return Err(Ambiguous(found));
    }
    Ok(found)
}
