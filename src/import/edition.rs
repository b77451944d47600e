//! How an imported list becomes an edition of its town's list, decided before
//! anything is written: the same content again changes nothing; a list that takes
//! effect before the current edition is refused unless asked for; otherwise the
//! new edition follows the one in force on its day, its duties matched to that
//! edition's (a matched duty keeps its lineage), and the report says what changed.

use std::str::FromStr;

use entity::{EditionSource, duty_list};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::ImportError;
use super::resolve::ResolvedList;
use crate::auth::Actor;
use crate::date::Date;
use crate::domain::edition::{StoredVersion, effective_on, stored_versions};
use crate::edition::DutyVersion;
use crate::edition::diff::{Change, DepartmentChangeKind, Diff, Renames, diff};
use crate::edition::matching::{MatchedBy, Matching, Pins, match_editions, place_text};

/// What an import says about the edition it makes.
#[derive(Clone, Debug, Default)]
pub struct EditionRequest {
    /// The day the edition takes effect; by default the 1st of its published month.
    pub effective_on: Option<Date>,
    /// The approving document's number (文号).
    pub document_number: Option<String>,
    /// Why the edition was made.
    pub reason: Option<String>,
    /// The imported file's name.
    pub source_name: String,
    /// Add a list that takes effect before the current edition to the history
    /// instead of refusing it.
    pub allow_older: bool,
    /// A reviewer's pins for duties the automatic matching gets wrong or cannot settle.
    pub pins: Pins,
    /// Where the edition comes from: an imported file or published adjustments.
    pub source: EditionSource,
    /// Who stores it, for the audit log.
    pub actor: Actor,
}

impl EditionRequest {
    /// The day the edition of `list` takes effect.
    pub fn day(&self, published_on: &str) -> Result<Date, ImportError> {
        match self.effective_on {
            Some(day) => Ok(day),
            None => Date::from_str(published_on).map_err(|_| {
                ImportError::Unreadable(format!(
                    "the list has no publication month (`{published_on}`); give it with --published or --effective"
                ))
            }),
        }
    }
}

/// The edition a new one follows, and how the new one relates to it.
#[derive(Clone, Debug)]
pub struct Changes {
    /// The edition followed.
    pub previous: duty_list::Model,
    /// Its duties as versions, in table and 序号 order, with their lineages.
    pub old: Vec<StoredVersion>,
    /// The new document's duties as versions, in document order.
    pub new: Vec<DutyVersion>,
    /// Which new duty continues which old one.
    pub matching: Matching,
    /// What changed.
    pub diff: Diff,
}

impl Changes {
    /// The lineage of each new duty (document order): its predecessor's, or
    /// `None` for a duty that starts a lineage.
    pub fn lineages(&self) -> Vec<Option<i32>> {
        (0..self.new.len())
            .map(|n| {
                self.matching
                    .predecessor(n)
                    .map(|p| self.old[p.old].lineage)
            })
            .collect()
    }
}

/// Where an imported list goes.
#[derive(Debug)]
pub(super) enum Placement {
    /// An edition with the same content and day is stored already.
    Unchanged(Box<duty_list::Model>),
    /// A new edition, effective on `day`, following `changes.previous` unless it
    /// is the town's first.
    New {
        /// The day it takes effect.
        day: Date,
        /// How many editions the town has already (numbered 1 to `editions`).
        editions: i32,
        /// What it follows and what changed.
        changes: Option<Box<Changes>>,
    },
}

/// Decide where `list` (with content `fingerprint`) goes among its town's editions.
pub(super) async fn place(
    txn: &impl ConnectionTrait,
    county_id: i32,
    list: &ResolvedList,
    fingerprint: &str,
    request: &EditionRequest,
) -> Result<Placement, ImportError> {
    let day = request.day(&list.published_on)?;
    let editions = editions_of(txn, county_id, &list.town).await?;
    let current = editions.iter().find(|e| e.valid_until.is_none());
    let same = |e: &&duty_list::Model| e.fingerprint == fingerprint;
    if let Some(found) = current.filter(same).or_else(|| {
        editions
            .iter()
            .filter(same)
            .find(|e| e.effective_on == day.to_string())
    }) {
        return Ok(Placement::Unchanged(Box::new(found.clone())));
    }
    if let Some(current) = current.filter(|c| c.effective_on > day.to_string())
        && !request.allow_older
    {
        return Err(ImportError::OlderEdition {
            town: list.town.clone(),
            given: day.to_string(),
            current: current.effective_on.clone(),
            edition: current.edition,
        });
    }
    let count = editions.len() as i32;
    let Some(previous) = in_force_on(&editions, day) else {
        return Ok(Placement::New {
            day,
            editions: count,
            changes: None,
        });
    };
    let changes = compare(txn, previous.clone(), list, day, request).await?;
    Ok(Placement::New {
        day,
        editions: count,
        changes: Some(Box::new(changes)),
    })
}

/// The edition of `editions` (ordered by number) in force on `day`: the last
/// one effective by then.
fn in_force_on(editions: &[duty_list::Model], day: Date) -> Option<&duty_list::Model> {
    let day = day.to_string();
    editions.iter().rev().find(|e| e.effective_on <= day)
}

/// Match `list` to the stored edition `previous` and diff them; ambiguity is an
/// error that names the candidates, for a reviewer's mapping file.
async fn compare(
    txn: &impl ConnectionTrait,
    previous: duty_list::Model,
    list: &ResolvedList,
    day: Date,
    request: &EditionRequest,
) -> Result<Changes, ImportError> {
    let old = stored_versions(txn, &[previous.id])
        .await?
        .into_map()
        .remove(&previous.id)
        .unwrap_or_default();
    let new = DutyVersion::of_list(list);
    let old_versions: Vec<DutyVersion> = old.iter().map(|s| s.version.clone()).collect();
    request
        .pins
        .check(&old_versions, &new)
        .map_err(|e| ImportError::Mapping(e.to_string()))?;
    let matching = match_editions(&old_versions, &new, &request.pins);
    if !matching.is_settled() {
        return Err(ImportError::AmbiguousMatch {
            previous: previous.edition,
            ambiguities: ambiguity_lines(&matching, &old_versions, &new),
        });
    }
    let since = effective_on(&previous).unwrap_or(day);
    let reforms = list.reforms();
    let renames = Renames::from_replacements(&reforms.between(since, day))
        .map_err(|e| ImportError::Registry(e.to_string()))?
        .with_spellings(|name| reforms.spellings(name));
    let diff = diff(&old_versions, &new, &matching, &renames);
    Ok(Changes {
        previous,
        old,
        new,
        matching,
        diff,
    })
}

/// One line per ambiguity: the duty, and the candidates with their scores, for
/// a reviewer to settle in a mapping file.
fn ambiguity_lines(matching: &Matching, old: &[DutyVersion], new: &[DutyVersion]) -> Vec<String> {
    let show = |d: &DutyVersion| format!("{} 「{}」", place_text(d.place), d.name);
    matching
        .ambiguous
        .iter()
        .filter_map(|a| {
            let (side, duty, others, other_side) = match (a.old, a.new) {
                (Some(o), _) => ("old", &old[o], new, "new"),
                (None, Some(n)) => ("new", &new[n], old, "old"),
                (None, None) => return None,
            };
            let candidates: Vec<String> = a
                .candidates
                .iter()
                .map(|&(i, score)| format!("{} ({score:.2})", show(&others[i])))
                .collect();
            Some(format!(
                "{side} {} fits {other_side} {} equally well",
                show(duty),
                candidates.join(", ")
            ))
        })
        .collect()
}

/// The town's editions, by number.
async fn editions_of(
    db: &impl ConnectionTrait,
    county_id: i32,
    town: &str,
) -> Result<Vec<duty_list::Model>, DbErr> {
    duty_list::Entity::find()
        .filter(duty_list::Column::CountyId.eq(county_id))
        .filter(duty_list::Column::Town.eq(town))
        .order_by_asc(duty_list::Column::Edition)
        // PostgreSQL: two writers of one town's editions (imports, publications)
        // queue here, and the second sees the first's edition. SQLite has one
        // writer at a time anyway and ignores the clause.
        .lock_exclusive()
        .all(db)
        .await
}

/// Number the town's editions 1, 2, … in order of their days (then of their
/// import) and link each to the next one's day: run after the edition `added`
/// is inserted; the number it gets.
pub(super) async fn renumber(
    txn: &impl ConnectionTrait,
    county_id: i32,
    town: &str,
    added: i32,
) -> Result<i32, DbErr> {
    let mut editions = editions_of(txn, county_id, town).await?;
    editions.sort_by(|a, b| (&a.effective_on, a.id).cmp(&(&b.effective_on, b.id)));
    let wanted: Vec<(i32, Option<String>)> = (0..editions.len())
        .map(|i| {
            let next = editions.get(i + 1).map(|n| n.effective_on.clone());
            (i as i32 + 1, next)
        })
        .collect();
    let changed: Vec<usize> = (0..editions.len())
        .filter(|&i| (editions[i].edition, &editions[i].valid_until) != (wanted[i].0, &wanted[i].1))
        .collect();
    // Negative numbers first, so that no two rows share a number in between.
    for &i in &changed {
        set_edition(txn, editions[i].id, -wanted[i].0, wanted[i].1.clone()).await?;
    }
    for &i in &changed {
        set_edition(txn, editions[i].id, wanted[i].0, wanted[i].1.clone()).await?;
    }
    let position = editions.iter().position(|e| e.id == added);
    position
        .map(|i| wanted[i].0)
        .ok_or_else(|| DbErr::RecordNotFound(format!("the edition just inserted, list {added}")))
}

async fn set_edition(
    txn: &impl ConnectionTrait,
    id: i32,
    edition: i32,
    valid_until: Option<String>,
) -> Result<(), DbErr> {
    let was_current = duty_list::Entity::find_by_id(id)
        .one(txn)
        .await?
        .is_some_and(|l| l.valid_until.is_none());
    if was_current != valid_until.is_none() {
        // The search index counts the fields of current editions.
        crate::search::list_currency_changed(txn, id, valid_until.is_none()).await?;
    }
    duty_list::Entity::update_many()
        .col_expr(duty_list::Column::Edition, edition.into())
        .col_expr(duty_list::Column::ValidUntil, valid_until.into())
        .filter(duty_list::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

impl Changes {
    /// One line: the edition followed and how many duties changed how.
    pub fn summary(&self) -> String {
        let d = &self.diff;
        let shifted: usize = d.counts.iter().map(|c| c.shifted).sum();
        format!(
            "follows edition {} (in effect from {}): {} added, {} removed, {} modified, {} moved, {} renumbered ({} only shifted), {} department change(s)",
            self.previous.edition,
            self.previous.effective_on,
            d.count(Change::Added),
            d.count(Change::Removed),
            d.count(Change::Modified),
            d.count(Change::Moved),
            d.count(Change::Renumbered),
            shifted,
            d.departments.len(),
        )
    }

    /// One line per entry and department change, then the pairs matched by
    /// similarity alone with their scores, weakest first: what a reviewer checks
    /// (duties written from one template may score 0.7 against each other).
    pub fn details(&self) -> Vec<String> {
        let show = |d: &DutyVersion| format!("{} 「{}」", place_text(d.place), d.name);
        let mut lines: Vec<String> = self
            .diff
            .entries
            .iter()
            .map(|e| {
                let before = e.before.as_ref().map(show);
                let after = e.after.as_ref().map(show);
                let what = match (before, after) {
                    (Some(b), Some(a)) if b == a => b,
                    (Some(b), Some(a)) => format!("{b} → {a}"),
                    (Some(b), None) => b,
                    (None, Some(a)) => a,
                    (None, None) => String::new(),
                };
                format!("{}: {what}", change_label(e.change))
            })
            .collect();
        lines.extend(self.diff.departments.iter().map(|c| {
            format!(
                "department {}: {} → {}",
                department_label(c.change),
                c.before.join("、"),
                c.after.join("、")
            )
        }));
        let mut similar: Vec<_> = self
            .matching
            .pairs
            .iter()
            .filter(|p| p.by == MatchedBy::Similar)
            .collect();
        similar.sort_by(|a, b| a.score.total_cmp(&b.score));
        lines.extend(similar.iter().map(|p| {
            format!(
                "matched by similarity {:.2}: {} → {}",
                p.score,
                show(&self.old[p.old].version),
                show(&self.new[p.new])
            )
        }));
        lines
    }
}

/// How a department's change reads in the import report.
fn department_label(change: DepartmentChangeKind) -> &'static str {
    match change {
        DepartmentChangeKind::Renamed => "RENAMED",
        DepartmentChangeKind::Merged => "MERGED",
        DepartmentChangeKind::Split => "SPLIT",
        DepartmentChangeKind::Added => "ADDED",
        DepartmentChangeKind::Removed => "REMOVED",
    }
}

/// How an entry's change reads in the import report.
fn change_label(change: Change) -> &'static str {
    match change {
        Change::Added => "ADDED",
        Change::Removed => "REMOVED",
        Change::Moved => "MOVED",
        Change::Modified => "MODIFIED",
        Change::Renumbered => "RENUMBERED",
    }
}
