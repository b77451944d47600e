//! What changed between two editions of a list: a typed diff that knows the domain.
//!
//! [`diff`] takes the duty versions of an old and a new edition, the [`Matching`]
//! that says which duties are the same duty (their lineage), and the department
//! successions between the two editions ([`Renames`]). It returns a [`Diff`]: one
//! [`Entry`] per changed duty with its versions before and after and what changed
//! in its fields, departments and items; counts per table; and the departments'
//! successions, arrivals and departures.
//!
//! A row diff keyed by position (Dolt's `dolt_diff`) reports a renumbered duty as
//! a deletion plus an insertion and cannot see renames; a file diff (GitHub's
//! compare API) gives a status per entry and the previous name, nothing inside.
//! Duty lists change in known ways, and the rules follow them:
//!
//! - **One entry per duty, one primary change.** [`Change::Moved`] when the duty
//!   changed table (cooperative → reclaimed is common); else [`Change::Modified`]
//!   when its content changed (category, name, departments, working method,
//!   items); else [`Change::Renumbered`] when it changed place relative to its
//!   neighbours; [`Change::Added`] and [`Change::Removed`] for duties without a
//!   predecessor or successor. An unchanged duty has no entry.
//! - **A shift is not a renumbering.** Removing duty 3 of 70 changes the 序号 of
//!   the 67 after it, and none of them is renumbered. Per table, among the duties
//!   matched in both editions and staying in that table, ordered by new 序号, a
//!   longest increasing subsequence of their old 序号 keeps its order; only the
//!   duties outside it changed place relative to their neighbours
//!   ([`Change::Renumbered`], or [`Entry::renumbered`] on a modified duty). They
//!   are the fewest duties whose moving turns the old order into the new, so of two
//!   adjacent duties swapped one is reported, of two far apart both. Duties whose
//!   序号 changed only by a shift are counted per table ([`KindCounts::shifted`]).
//! - **Departments are compared through their successions.** The old edition
//!   names departments as they were called then; a department renamed, merged or
//!   split between the editions ([`Renames`]) is no change of a duty: an old
//!   department is kept when it, or any of its successors, is among the new
//!   departments, and a new department is accounted for when it is, or succeeds,
//!   one of the old. A duty whose only change is a renamed department has no entry,
//!   and the succession is listed once in [`Diff::departments`]. The order of a
//!   duty's departments is not content. An office writes the successor's name
//!   into the texts too (`报县卫健委` → `报县卫健局`): when the successions know
//!   the departments' spellings ([`Renames::with_spellings`]), a text that
//!   differs only in them — a name, a working method, an item — is no rewording.
//! - **Items** are compared per column (the department's, the town's) in three
//!   rounds: identical texts (same section first), then similar texts — a
//!   character-bigram Dice coefficient of at least [`REWORD_THRESHOLD`], best
//!   pairs first — then the rest are added and removed. A matched item is
//!   [`ItemChangeKind::Reworded`] when its text changed, else
//!   [`ItemChangeKind::Moved`] when it now sits under another section heading,
//!   else [`ItemChangeKind::Reattributed`] when its departments changed (through
//!   [`Renames`]); its before and after versions show every difference. An item
//!   never matches across columns: work handed from the department to the town
//!   is a removal and an addition. The order of items within a column is not
//!   content.
//! - **Deterministic order.** Entries by new place (table, then 序号), then the
//!   removed duties by old place; item changes by column, then by new position,
//!   then the removed items by old position.
//! - **Ambiguities are not guessed at.** Duties the matching found ambiguous have
//!   no entry; they are carried in [`Diff::ambiguous`] so a reviewer pins them and
//!   the diff is computed again. Pairs whose indices are outside the editions are
//!   ignored.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};

use entity::{DutyKind, Party};

use super::matching::{Ambiguity, Matching, Pair, text_dice};
use super::{DutyVersion, ItemVersion};
use crate::import::registry::Replacement;
pub use crate::import::registry::SuccessionKind;

/// The least bigram Dice coefficient at which two item texts of a column are the
/// same item reworded rather than one removed and one added. At 0.5 about half the
/// characters' pairs are shared: a changed phrase or a clause added is a rewording,
/// a different task on the same subject is not.
pub const REWORD_THRESHOLD: f64 = 0.5;

/// Department successions (机构改革) between two editions: which departments the
/// old edition names became which departments of the new one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Renames {
    successions: Vec<Succession>,
    /// Every way a text writes a department of a succession (canonical name,
    /// short form, aliases, prefix variants), longest first, with the index of
    /// its succession: what [`Renames::same_text`] reads through.
    spellings: Vec<(String, usize)>,
}

/// One succession: departments before and after a reform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Succession {
    /// The departments as the old edition names them.
    pub before: Vec<String>,
    /// Their successors as the new edition names them.
    pub after: Vec<String>,
}

/// Why a set of successions was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenamesError {
    /// A succession without departments before or after.
    #[error("a succession needs departments before and after")]
    Empty,
    /// Several departments becoming several others: record each merge or split.
    #[error("{before:?} → {after:?}: record a merge and a split separately")]
    ManyToMany {
        /// The departments before.
        before: Vec<String>,
        /// The departments after.
        after: Vec<String>,
    },
    /// A department with two successions between the same editions.
    #[error("department {0} has two successions")]
    Twice(String),
}

impl Succession {
    /// A succession of `before` into `after`.
    pub fn new<S: Into<String>>(
        before: impl IntoIterator<Item = S>,
        after: impl IntoIterator<Item = S>,
    ) -> Self {
        Succession {
            before: before.into_iter().map(Into::into).collect(),
            after: after.into_iter().map(Into::into).collect(),
        }
    }

    /// Renamed (one → one), merged (several → one) or split (one → several).
    /// Meaningful for successions accepted by [`Renames::new`].
    pub fn kind(&self) -> SuccessionKind {
        match (self.before.len(), self.after.len()) {
            (1, 1) => SuccessionKind::Renamed,
            (_, 1) => SuccessionKind::Merged,
            _ => SuccessionKind::Split,
        }
    }

    fn check(&self) -> Result<(), RenamesError> {
        match (self.before.len(), self.after.len()) {
            (0, _) | (_, 0) => Err(RenamesError::Empty),
            (b, a) if b > 1 && a > 1 => Err(RenamesError::ManyToMany {
                before: self.before.clone(),
                after: self.after.clone(),
            }),
            _ => Ok(()),
        }
    }
}

impl Renames {
    /// The successions between two editions. Each must have departments on both
    /// sides and be a rename, a merge or a split; a department may be succeeded once.
    pub fn new(successions: impl IntoIterator<Item = Succession>) -> Result<Self, RenamesError> {
        let successions: Vec<Succession> = successions.into_iter().collect();
        let mut seen = HashSet::new();
        for succession in &successions {
            succession.check()?;
            if let Some(twice) = succession.before.iter().find(|d| !seen.insert(d.as_str())) {
                return Err(RenamesError::Twice(twice.clone()));
            }
        }
        Ok(Renames {
            successions,
            spellings: Vec::new(),
        })
    }

    /// These successions, knowing how each of their departments is spelled —
    /// `forms` gives every spelling of a canonical name (the name itself, its
    /// short form, aliases and prefix variants) — so that a text naming a
    /// department by its old name in one edition and by its successor's in the
    /// next is the same text ([`Renames::same_text`]).
    pub fn with_spellings(mut self, forms: impl Fn(&str) -> Vec<String>) -> Self {
        let mut spellings: Vec<(String, usize)> = Vec::new();
        for (index, succession) in self.successions.iter().enumerate() {
            let departments = succession.before.iter().chain(&succession.after);
            for department in departments {
                spellings.extend(forms(department).into_iter().map(|form| (form, index)));
            }
        }
        spellings.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
        spellings.dedup();
        self.spellings = spellings;
        self
    }

    /// Whether two texts are the same but for how they name the departments of
    /// one succession (the old name in one, a successor's in the other). Without
    /// spellings ([`Renames::with_spellings`]), whether they are equal.
    pub fn same_text(&self, old: &str, new: &str) -> bool {
        old == new || (!self.spellings.is_empty() && self.masked(old) == self.masked(new))
    }

    /// `text` with every spelling of a succession's departments replaced by one
    /// mark per succession (private-use characters, which no document holds).
    fn masked<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut masked = Cow::Borrowed(text);
        for (form, succession) in &self.spellings {
            if masked.contains(form.as_str()) {
                let mark = format!("\u{E000}{succession}\u{E001}");
                masked = Cow::Owned(masked.replace(form.as_str(), &mark));
            }
        }
        masked
    }

    /// The successions a county's registry records between the dates of two
    /// editions ([`CountyRegistry::successions_between`]): departments merged into
    /// the same one become one succession (a merge); every other replacement —
    /// a rename, a split, a reorganisation — is a succession of its own.
    ///
    /// [`CountyRegistry::successions_between`]: crate::import::registry::CountyRegistry::successions_between
    pub fn from_replacements(replacements: &[Replacement]) -> Result<Self, RenamesError> {
        let mut successions: Vec<Succession> = Vec::new();
        for replacement in replacements {
            let merge = match replacement.new.as_slice() {
                [one] => successions
                    .iter_mut()
                    .find(|s| s.after.len() == 1 && s.after[0] == *one),
                _ => None,
            };
            match merge {
                Some(succession) => succession.before.push(replacement.old.clone()),
                None => successions.push(Succession {
                    before: vec![replacement.old.clone()],
                    after: replacement.new.clone(),
                }),
            }
        }
        Self::new(successions)
    }

    /// The successions, in the order given.
    pub fn successions(&self) -> &[Succession] {
        &self.successions
    }

    /// The succession of the old department `old`, if it has one.
    pub fn succession_of(&self, old: &str) -> Option<&Succession> {
        self.successions
            .iter()
            .find(|s| s.before.iter().any(|d| d == old))
    }

    /// Whether the new edition's `new` continues the old edition's `old`: the same
    /// name, or one of its successors.
    pub fn continues(&self, old: &str, new: &str) -> bool {
        old == new
            || self
                .succession_of(old)
                .is_some_and(|s| s.after.iter().any(|d| d == new))
    }
}

/// What changed between two editions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diff {
    /// One entry per changed duty: by new place, then the removed by old place.
    pub entries: Vec<Entry>,
    /// Per table of either edition (in table order), how many duties changed how.
    pub counts: Vec<KindCounts>,
    /// Departments' successions, arrivals and departures between the editions.
    pub departments: Vec<DepartmentChange>,
    /// Duties the matching could not pair unambiguously; they have no entry.
    pub ambiguous: Vec<Ambiguity>,
}

/// One duty's change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The primary change.
    pub change: Change,
    /// Index of the duty in the old edition (none when added).
    pub old: Option<usize>,
    /// Index of the duty in the new edition (none when removed).
    pub new: Option<usize>,
    /// The duty in the old edition (none when added).
    pub before: Option<DutyVersion>,
    /// The duty in the new edition (none when removed).
    pub after: Option<DutyVersion>,
    /// Whether the duty changed place relative to its neighbours within its
    /// table, not merely shifted: always for [`Change::Renumbered`], possibly for
    /// [`Change::Modified`], never otherwise.
    pub renumbered: bool,
    /// Category, name and working method, where they changed (matched duties only).
    pub fields: Vec<FieldChange>,
    /// The duty's departments, compared through the successions (matched duties
    /// only); successions alone are listed but change nothing.
    pub department_changes: Vec<DepartmentDelta>,
    /// Items added, removed, reworded, moved or reattributed (matched duties only).
    pub items: Vec<ItemChange>,
}

/// The primary change of a duty, the first that applies in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// A duty of the new edition without predecessor (新增).
    Added,
    /// A duty of the old edition without successor (删除).
    Removed,
    /// Moved to another table (移动), whatever else changed.
    Moved,
    /// Same table, content changed (修改).
    Modified,
    /// Same table and content, another place relative to its neighbours (调整序号).
    Renumbered,
}

/// A changed field of a matched duty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// Which field.
    pub field: Field,
    /// Its value in the old edition.
    pub before: Option<String>,
    /// Its value in the new edition.
    pub after: Option<String>,
}

/// A field of a duty compared as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// 事项类别.
    Category,
    /// 事项名称.
    Name,
    /// 工作方式 of a reclaimed duty.
    WorkingMethod,
}

/// A department of a duty or item, old edition against new.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DepartmentDelta {
    /// Named in the new edition, continuing none of the old departments.
    Added(String),
    /// Named in the old edition, continued by none of the new departments.
    Removed(String),
    /// Continued under its successors' names: no change of the duty or item.
    Succeeded {
        /// The old name.
        before: String,
        /// The successors named in the new edition.
        after: Vec<String>,
    },
}

impl DepartmentDelta {
    /// Whether this is a change of the duty or item (not a succession).
    pub fn is_change(&self) -> bool {
        !matches!(self, DepartmentDelta::Succeeded { .. })
    }
}

/// A changed item of a matched duty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemChange {
    /// How it changed.
    pub change: ItemChangeKind,
    /// The item in the old edition (none when added).
    pub before: Option<ItemVersion>,
    /// The item in the new edition (none when removed).
    pub after: Option<ItemVersion>,
    /// Its departments, compared through the successions (matched items only).
    pub department_changes: Vec<DepartmentDelta>,
}

/// How an item changed, the first that applies in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemChangeKind {
    /// No similar item in the old edition's column.
    Added,
    /// No similar item in the new edition's column.
    Removed,
    /// Matched by similarity: the text changed.
    Reworded,
    /// Same text under another section heading.
    Moved,
    /// Same text and section, other departments.
    Reattributed,
}

/// How the duties of one table changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindCounts {
    /// The table.
    pub kind: DutyKind,
    /// Duties added to it.
    pub added: usize,
    /// Duties removed from it.
    pub removed: usize,
    /// Duties staying in it with content changed.
    pub modified: usize,
    /// Duties moved into it from another table.
    pub moved_in: usize,
    /// Duties moved out of it to another table.
    pub moved_out: usize,
    /// Duties staying in it, unchanged but for their place among their neighbours.
    pub renumbered: usize,
    /// Duties staying in it without any change (shifted or not).
    pub unchanged: usize,
    /// Duties staying in it whose 序号 changed only by the shift of additions,
    /// removals and moves above them (modified or not); not entries for that.
    pub shifted: usize,
}

/// A department's change between two editions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepartmentChange {
    /// How it changed.
    pub change: DepartmentChangeKind,
    /// The departments as the old edition names them (empty when added).
    pub before: Vec<String>,
    /// The departments as the new edition names them (empty when removed).
    pub after: Vec<String>,
    /// Duties naming them (as a duty's department or an item's): in the old
    /// edition, or in the new one for an added department.
    pub duties: usize,
}

/// How a department changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepartmentChangeKind {
    /// Renamed by a reform (更名).
    Renamed,
    /// Merged with others by a reform (合并).
    Merged,
    /// Split by a reform (拆分).
    Split,
    /// Named only by the new edition, succeeding no one (新增).
    Added,
    /// Named only by the old edition, succeeded by no one (不再涉及).
    Removed,
}

impl From<SuccessionKind> for DepartmentChangeKind {
    fn from(kind: SuccessionKind) -> Self {
        match kind {
            SuccessionKind::Renamed => DepartmentChangeKind::Renamed,
            SuccessionKind::Merged => DepartmentChangeKind::Merged,
            // A succession of `Renames` has one department on one side at least,
            // so a reorganisation (several into several) arrives as its splits.
            SuccessionKind::Split | SuccessionKind::Reorganised => DepartmentChangeKind::Split,
        }
    }
}

impl Diff {
    /// Whether nothing changed: no entry, no department change, no ambiguity.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.departments.is_empty() && self.ambiguous.is_empty()
    }

    /// The number of entries with the primary change `change`.
    pub fn count(&self, change: Change) -> usize {
        self.entries.iter().filter(|e| e.change == change).count()
    }
}

/// The diff from the edition `old` to the edition `new`, given which duties are
/// the same ([`Matching`], indices into `old` and `new`) and the department
/// successions between them. The rules are in the [module documentation](self).
pub fn diff(
    old: &[DutyVersion],
    new: &[DutyVersion],
    matching: &Matching,
    renames: &Renames,
) -> Diff {
    let pairs: Vec<&Pair> = matching
        .pairs
        .iter()
        .filter(|p| p.old < old.len() && p.new < new.len())
        .collect();
    let places = placements(old, new, &pairs);
    let mut entries = Vec::new();
    let mut unchanged = Vec::new();
    for (pair, placement) in pairs.iter().zip(&places) {
        match pair_entry(pair, &old[pair.old], &new[pair.new], *placement, renames) {
            Some(entry) => entries.push(entry),
            None => unchanged.push(new[pair.new].place.kind),
        }
    }
    entries.extend(unpaired(old, &matching.removed, Change::Removed));
    entries.extend(unpaired(new, &matching.added, Change::Added));
    entries.sort_by_key(order);
    let shifted: Vec<DutyKind> = pairs
        .iter()
        .zip(&places)
        .filter(|(_, p)| **p == Placement::Shifted)
        .map(|(pair, _)| new[pair.new].place.kind)
        .collect();
    Diff {
        counts: counts(old, new, &entries, &unchanged, &shifted),
        departments: department_changes(old, new, renames),
        ambiguous: matching.ambiguous.clone(),
        entries,
    }
}

/// Where a matched duty stands in the new edition relative to the old.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placement {
    /// Same table, same 序号.
    Same,
    /// Same table, another 序号, same place among its neighbours.
    Shifted,
    /// Same table, another place among its neighbours.
    Renumbered,
    /// Another table.
    Moved,
}

/// The placement of every pair (in the order of `pairs`): per table, the pairs
/// outside a longest increasing run of old 序号 ordered by new 序号 are renumbered.
fn placements(old: &[DutyVersion], new: &[DutyVersion], pairs: &[&Pair]) -> Vec<Placement> {
    let mut places: Vec<Placement> = pairs
        .iter()
        .map(|p| {
            let (before, after) = (old[p.old].place, new[p.new].place);
            match (before.kind == after.kind, before.seq == after.seq) {
                (false, _) => Placement::Moved,
                (true, true) => Placement::Same,
                (true, false) => Placement::Shifted,
            }
        })
        .collect();
    let kinds: BTreeSet<DutyKind> = new.iter().map(|d| d.place.kind).collect();
    for kind in kinds {
        let mut staying: Vec<usize> = (0..pairs.len())
            .filter(|&i| places[i] != Placement::Moved && new[pairs[i].new].place.kind == kind)
            .collect();
        staying.sort_by_key(|&i| (new[pairs[i].new].place.seq, pairs[i].new));
        let seqs: Vec<u32> = staying
            .iter()
            .map(|&i| old[pairs[i].old].place.seq)
            .collect();
        for (i, kept) in staying.iter().zip(longest_increasing(&seqs)) {
            if !kept {
                places[*i] = Placement::Renumbered;
            }
        }
    }
    places
}

/// Which of `values` belong to a longest strictly increasing subsequence (patience
/// sorting with back links; of several, the one ending in the smallest values).
fn longest_increasing(values: &[u32]) -> Vec<bool> {
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None; values.len()];
    for (i, &value) in values.iter().enumerate() {
        let at = tails.partition_point(|&t| values[t] < value);
        previous[i] = at.checked_sub(1).map(|p| tails[p]);
        if at == tails.len() {
            tails.push(i);
        } else {
            tails[at] = i;
        }
    }
    let mut kept = vec![false; values.len()];
    let mut cursor = tails.last().copied();
    while let Some(i) = cursor {
        kept[i] = true;
        cursor = previous[i];
    }
    kept
}

/// The entry of a matched pair, or none when nothing changed but a shift.
fn pair_entry(
    pair: &Pair,
    before: &DutyVersion,
    after: &DutyVersion,
    placement: Placement,
    renames: &Renames,
) -> Option<Entry> {
    let fields = field_changes(before, after, renames);
    let department_changes = compare_departments(&before.departments, &after.departments, renames);
    let items = item_changes(&before.items, &after.items, renames);
    let content_changed = !fields.is_empty()
        || department_changes.iter().any(DepartmentDelta::is_change)
        || !items.is_empty();
    let renumbered = placement == Placement::Renumbered;
    let change = match placement {
        Placement::Moved => Change::Moved,
        _ if content_changed => Change::Modified,
        Placement::Renumbered => Change::Renumbered,
        _ => return None,
    };
    Some(Entry {
        change,
        old: Some(pair.old),
        new: Some(pair.new),
        before: Some(before.clone()),
        after: Some(after.clone()),
        renumbered,
        fields,
        department_changes,
        items,
    })
}

/// The entries of duties without a partner: `indices` into `duties`.
fn unpaired<'a>(
    duties: &'a [DutyVersion],
    indices: &'a [usize],
    change: Change,
) -> impl Iterator<Item = Entry> + 'a {
    indices.iter().filter_map(move |&i| {
        let duty = duties.get(i)?.clone();
        let (old, new, before, after) = match change {
            Change::Added => (None, Some(i), None, Some(duty)),
            _ => (Some(i), None, Some(duty), None),
        };
        Some(Entry {
            change,
            old,
            new,
            before,
            after,
            renumbered: false,
            fields: Vec::new(),
            department_changes: Vec::new(),
            items: Vec::new(),
        })
    })
}

/// Sort key of entries: by new place, then the removed by old place.
fn order(entry: &Entry) -> (bool, Option<super::Place>, Option<usize>) {
    match (&entry.after, &entry.before) {
        (Some(after), _) => (false, Some(after.place), entry.new),
        (None, before) => (true, before.as_ref().map(|b| b.place), entry.old),
    }
}

/// Category, name and working method where they differ (name and working
/// method other than in how they spell a succession's departments).
fn field_changes(before: &DutyVersion, after: &DutyVersion, renames: &Renames) -> Vec<FieldChange> {
    let fields = [
        (
            Field::Category,
            Some(&before.category),
            Some(&after.category),
        ),
        (Field::Name, Some(&before.name), Some(&after.name)),
        (
            Field::WorkingMethod,
            before.working_method.as_ref(),
            after.working_method.as_ref(),
        ),
    ];
    let differ = |field: Field, b: Option<&String>, a: Option<&String>| match (field, b, a) {
        (Field::Category, ..) => b != a,
        (_, Some(b), Some(a)) => !renames.same_text(b, a),
        _ => b != a,
    };
    fields
        .into_iter()
        .filter(|(field, b, a)| differ(*field, *b, *a))
        .map(|(field, b, a)| FieldChange {
            field,
            before: b.cloned(),
            after: a.cloned(),
        })
        .collect()
}

/// Old departments against new, through the successions: the removed and
/// succeeded in old order, then the added in new order.
fn compare_departments(old: &[String], new: &[String], renames: &Renames) -> Vec<DepartmentDelta> {
    let mut deltas = Vec::new();
    for o in old {
        let continued: Vec<String> = new
            .iter()
            .filter(|n| renames.continues(o, n))
            .cloned()
            .collect();
        if continued.is_empty() {
            deltas.push(DepartmentDelta::Removed(o.clone()));
        } else if !continued.contains(o) {
            deltas.push(DepartmentDelta::Succeeded {
                before: o.clone(),
                after: continued,
            });
        }
    }
    for n in new {
        if !old.iter().any(|o| renames.continues(o, n)) {
            deltas.push(DepartmentDelta::Added(n.clone()));
        }
    }
    deltas
}

/// The item changes of a matched duty, column by column.
fn item_changes(
    before: &[ItemVersion],
    after: &[ItemVersion],
    renames: &Renames,
) -> Vec<ItemChange> {
    [Party::Department, Party::Town]
        .into_iter()
        .flat_map(|party| {
            let old: Vec<&ItemVersion> = before.iter().filter(|i| i.party == party).collect();
            let new: Vec<&ItemVersion> = after.iter().filter(|i| i.party == party).collect();
            column_changes(&old, &new, renames)
        })
        .collect()
}

/// The changes of one column: matched items that changed by new position, the
/// added among them, then the removed by old position.
fn column_changes(
    old: &[&ItemVersion],
    new: &[&ItemVersion],
    renames: &Renames,
) -> Vec<ItemChange> {
    let paired = pair_items(old, new, renames);
    let mut changes: Vec<(usize, ItemChange)> = paired
        .pairs
        .iter()
        .filter_map(|&(o, n)| Some((n, matched_item(old[o], new[n], renames)?)))
        .collect();
    changes.extend(
        paired
            .added
            .iter()
            .map(|&n| (n, lone_item(None, Some(new[n])))),
    );
    changes.sort_by_key(|(n, _)| *n);
    let removed = paired
        .removed
        .iter()
        .map(|&o| lone_item(Some(old[o]), None));
    changes.into_iter().map(|(_, c)| c).chain(removed).collect()
}

/// Items of one column paired across editions (indices into the column).
struct ItemPairs {
    pairs: Vec<(usize, usize)>,
    removed: Vec<usize>,
    added: Vec<usize>,
}

/// Pair identical texts (same section first; identical but for a succession's
/// department names), then similar texts best first.
fn pair_items(old: &[&ItemVersion], new: &[&ItemVersion], renames: &Renames) -> ItemPairs {
    let mut old_free = vec![true; old.len()];
    let mut new_free = vec![true; new.len()];
    let mut pairs = Vec::new();
    let old_texts: Vec<Cow<str>> = old.iter().map(|i| renames.masked(&i.text)).collect();
    for same_section in [true, false] {
        for (n, item) in new.iter().enumerate() {
            let text = renames.masked(&item.text);
            let found = (0..old.len()).find(|&o| {
                new_free[n]
                    && old_free[o]
                    && old_texts[o] == text
                    && (!same_section || old[o].section == item.section)
            });
            if let Some(o) = found {
                (old_free[o], new_free[n]) = (false, false);
                pairs.push((o, n));
            }
        }
    }
    for (_, o, n) in similar(old, new, &old_free, &new_free) {
        if old_free[o] && new_free[n] {
            (old_free[o], new_free[n]) = (false, false);
            pairs.push((o, n));
        }
    }
    ItemPairs {
        pairs,
        removed: (0..old.len()).filter(|&o| old_free[o]).collect(),
        added: (0..new.len()).filter(|&n| new_free[n]).collect(),
    }
}

/// Candidate rewordings among free items: (score, old, new) at or above the
/// threshold, best first, ties by position.
fn similar(
    old: &[&ItemVersion],
    new: &[&ItemVersion],
    old_free: &[bool],
    new_free: &[bool],
) -> Vec<(f64, usize, usize)> {
    let mut candidates = Vec::new();
    for (o, before) in old.iter().enumerate().filter(|(o, _)| old_free[*o]) {
        for (n, after) in new.iter().enumerate().filter(|(n, _)| new_free[*n]) {
            let score = text_dice(&before.text, &after.text);
            if score >= REWORD_THRESHOLD {
                candidates.push((score, o, n));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    candidates
}

/// The change of a matched item, or none when it is the same.
fn matched_item(
    before: &ItemVersion,
    after: &ItemVersion,
    renames: &Renames,
) -> Option<ItemChange> {
    let department_changes = compare_departments(&before.departments, &after.departments, renames);
    let change = if !renames.same_text(&before.text, &after.text) {
        ItemChangeKind::Reworded
    } else if before.section != after.section {
        ItemChangeKind::Moved
    } else if department_changes.iter().any(DepartmentDelta::is_change) {
        ItemChangeKind::Reattributed
    } else {
        return None;
    };
    Some(ItemChange {
        change,
        before: Some(before.clone()),
        after: Some(after.clone()),
        department_changes,
    })
}

/// An added (`before` none) or removed (`after` none) item.
fn lone_item(before: Option<&ItemVersion>, after: Option<&ItemVersion>) -> ItemChange {
    ItemChange {
        change: if after.is_some() {
            ItemChangeKind::Added
        } else {
            ItemChangeKind::Removed
        },
        before: before.cloned(),
        after: after.cloned(),
        department_changes: Vec::new(),
    }
}

/// Counts per table of either edition.
fn counts(
    old: &[DutyVersion],
    new: &[DutyVersion],
    entries: &[Entry],
    unchanged: &[DutyKind],
    shifted: &[DutyKind],
) -> Vec<KindCounts> {
    let kinds: BTreeSet<DutyKind> = old.iter().chain(new).map(|d| d.place.kind).collect();
    kinds
        .into_iter()
        .map(|kind| {
            let after = |change| count_entries(entries, change, kind, |e| e.after.as_ref());
            let before = |change| count_entries(entries, change, kind, |e| e.before.as_ref());
            KindCounts {
                kind,
                added: after(Change::Added),
                removed: before(Change::Removed),
                modified: after(Change::Modified),
                moved_in: after(Change::Moved),
                moved_out: before(Change::Moved),
                renumbered: after(Change::Renumbered),
                unchanged: unchanged.iter().filter(|k| **k == kind).count(),
                shifted: shifted.iter().filter(|k| **k == kind).count(),
            }
        })
        .collect()
}

/// Entries of `change` whose chosen version is in the table `kind`.
fn count_entries(
    entries: &[Entry],
    change: Change,
    kind: DutyKind,
    version: impl Fn(&Entry) -> Option<&DutyVersion>,
) -> usize {
    entries
        .iter()
        .filter(|e| e.change == change && version(e).is_some_and(|d| d.place.kind == kind))
        .count()
}

/// Every department an edition names, as a duty's or an item's department.
fn named(duties: &[DutyVersion]) -> BTreeSet<&str> {
    duties.iter().flat_map(duty_departments).collect()
}

fn duty_departments(duty: &DutyVersion) -> impl Iterator<Item = &str> {
    duty.departments
        .iter()
        .chain(duty.items.iter().flat_map(|i| &i.departments))
        .map(String::as_str)
}

/// Duties of `duties` naming any of `departments`.
fn duties_naming(duties: &[DutyVersion], departments: &[String]) -> usize {
    duties
        .iter()
        .filter(|d| duty_departments(d).any(|n| departments.iter().any(|x| x == n)))
        .count()
}

/// The successions that concern these editions (in the order given), then the
/// departments only the new edition names, then those only the old one names
/// (each by name), leaving out those a succession accounts for.
fn department_changes(
    old: &[DutyVersion],
    new: &[DutyVersion],
    renames: &Renames,
) -> Vec<DepartmentChange> {
    let (old_names, new_names) = (named(old), named(new));
    let mut changes = successions(old, &old_names, &new_names, renames);
    let succeeding = |d: &str| {
        renames
            .successions()
            .iter()
            .any(|s| s.after.iter().any(|a| a == d))
    };
    let arrived = new_names
        .iter()
        .filter(|d| !old_names.contains(*d) && !succeeding(d));
    changes.extend(arrived.map(|d| lone_department(new, d, DepartmentChangeKind::Added)));
    let left = old_names
        .iter()
        .filter(|d| !new_names.contains(*d) && renames.succession_of(d).is_none());
    changes.extend(left.map(|d| lone_department(old, d, DepartmentChangeKind::Removed)));
    changes
}

/// The successions naming a department of either edition, with the old
/// edition's duties they concern.
fn successions(
    old: &[DutyVersion],
    old_names: &BTreeSet<&str>,
    new_names: &BTreeSet<&str>,
    renames: &Renames,
) -> Vec<DepartmentChange> {
    renames
        .successions()
        .iter()
        .filter(|s| {
            s.before.iter().any(|d| old_names.contains(d.as_str()))
                || s.after.iter().any(|d| new_names.contains(d.as_str()))
        })
        .map(|s| DepartmentChange {
            change: s.kind().into(),
            before: s.before.clone(),
            after: s.after.clone(),
            duties: duties_naming(old, &s.before),
        })
        .collect()
}

/// A department named by one edition only: `change` is added (named by `duties`,
/// the new edition) or removed (named by the old).
fn lone_department(
    duties: &[DutyVersion],
    name: &str,
    change: DepartmentChangeKind,
) -> DepartmentChange {
    let names = vec![name.to_owned()];
    let count = duties_naming(duties, &names);
    let (before, after) = match change {
        DepartmentChangeKind::Added => (Vec::new(), names),
        _ => (names, Vec::new()),
    };
    DepartmentChange {
        change,
        before,
        after,
        duties: count,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::edition::Place;
    use crate::edition::matching::MatchedBy;
    use crate::import::{self, Registry};

    /// The bundled list's duty versions.
    pub(crate) fn bundled() -> Vec<DutyVersion> {
        let registry = Registry::bundled().unwrap();
        let prepared = import::prepare(import::BUNDLED_LIST, &registry, false).unwrap();
        DutyVersion::of_list(&prepared.list)
    }

    /// The index of the duty at (`kind`, `seq`).
    pub(crate) fn at(duties: &[DutyVersion], kind: DutyKind, seq: u32) -> usize {
        let place = Place { kind, seq };
        duties.iter().position(|d| d.place == place).unwrap()
    }

    /// A new edition from (predecessor, version) rows: grouped by table in the order
    /// given, numbered afresh, with the matching a reviewer would confirm.
    pub(crate) fn edition(
        old_len: usize,
        mut rows: Vec<(Option<usize>, DutyVersion)>,
    ) -> (Vec<DutyVersion>, Matching) {
        rows.sort_by_key(|(_, d)| d.place.kind);
        let mut matching = Matching::default();
        let mut new = Vec::new();
        for (index, (old, mut duty)) in rows.into_iter().enumerate() {
            let kind = duty.place.kind;
            duty.place.seq = new
                .iter()
                .filter(|d: &&DutyVersion| d.place.kind == kind)
                .count() as u32
                + 1;
            new.push(duty);
            match old {
                Some(old) => matching.pairs.push(Pair {
                    old,
                    new: index,
                    by: MatchedBy::Similar,
                    score: 1.0,
                }),
                None => matching.added.push(index),
            }
        }
        let kept: HashSet<usize> = matching.pairs.iter().map(|p| p.old).collect();
        matching.removed = (0..old_len).filter(|i| !kept.contains(i)).collect();
        (new, matching)
    }

    /// The unchanged successor edition: every duty paired with itself.
    fn same(old: &[DutyVersion]) -> Vec<(Option<usize>, DutyVersion)> {
        old.iter()
            .cloned()
            .enumerate()
            .map(|(i, d)| (Some(i), d))
            .collect()
    }

    /// `names` without repetitions, in first-mention order.
    fn unique(names: &mut Vec<String>) {
        let mut seen = HashSet::new();
        names.retain(|n| seen.insert(n.clone()));
    }

    /// Where the successor of the old duty `old` stands among `rows`.
    fn row(rows: &[(Option<usize>, DutyVersion)], old: usize) -> usize {
        rows.iter().position(|(o, _)| *o == Some(old)).unwrap()
    }

    /// Every mention of `from` (duties and items) as `to`.
    fn rename_everywhere(duties: &mut [DutyVersion], from: &str, to: &str) {
        let rename = |names: &mut Vec<String>| {
            for name in names.iter_mut().filter(|n| *n == from) {
                *name = to.to_owned();
            }
        };
        for duty in duties {
            rename(&mut duty.departments);
            duty.items
                .iter_mut()
                .for_each(|i| rename(&mut i.departments));
        }
    }

    /// An entry as (change, old table and 序号, new table and 序号).
    type Brief = (Change, Option<(DutyKind, u32)>, Option<(DutyKind, u32)>);

    /// Every entry as a [`Brief`].
    fn summary(diff: &Diff) -> Vec<Brief> {
        let place = |d: &Option<DutyVersion>| d.as_ref().map(|d| (d.place.kind, d.place.seq));
        diff.entries
            .iter()
            .map(|e| (e.change, place(&e.before), place(&e.after)))
            .collect()
    }

    fn counts_of(diff: &Diff, kind: DutyKind) -> KindCounts {
        *diff.counts.iter().find(|c| c.kind == kind).unwrap()
    }

    /// The issue's next edition: three rewordings (a name, an item, a working
    /// method), a cooperative duty moved to the reclaimed table, two added, one
    /// removed, one renumbered, and the department of 配合 1 renamed by a reform.
    pub(crate) fn scenario() -> (Vec<DutyVersion>, Vec<DutyVersion>, Matching, Renames) {
        use DutyKind::{Basic, Cooperative, Reclaimed};
        let old = bundled();
        let mut rows = same(&old);
        let reworded_name = at(&old, Basic, 5);
        rows[reworded_name].1.name.push_str("（含网格化管理）");
        let reworded_item = at(&old, Cooperative, 10);
        rows[reworded_item].1.items[0]
            .text
            .push_str("，每季度报送一次");
        let reworded_method = at(&old, Reclaimed, 3);
        rows[reworded_method].1.working_method = Some("由县级部门统一承担，乡镇不再配合".into());
        let moved = at(&old, Cooperative, 20);
        let duty = &mut rows[moved].1;
        duty.place.kind = Reclaimed;
        duty.items.clear();
        duty.working_method = Some("由承接部门直接办理".into());
        let moved_row = rows.remove(row(&rows, moved));
        rows.push(moved_row);
        let late = rows.remove(row(&rows, at(&old, Basic, 10)));
        rows.insert(row(&rows, at(&old, Basic, 20)) + 1, late);
        let mut added_basic = old[at(&old, Basic, 1)].clone();
        added_basic.name = "组织开展新时代文明实践志愿服务活动".into();
        rows.insert(row(&rows, at(&old, Basic, 81)) + 1, (None, added_basic));
        let mut added_cooperative = old[at(&old, Cooperative, 1)].clone();
        added_cooperative.name = "配合开展基层党组织书记轮训".into();
        rows.insert(
            row(&rows, at(&old, Cooperative, 5)),
            (None, added_cooperative),
        );
        rows.remove(row(&rows, at(&old, Basic, 40)));
        let (mut new, matching) = edition(old.len(), rows);
        let department = old[at(&old, Cooperative, 1)].departments[0].clone();
        rename_everywhere(&mut new, &department, "乌恰县委组织工作部");
        let renames = Renames::new([Succession::new(
            [department.as_str()],
            ["乌恰县委组织工作部"],
        )])
        .unwrap();
        (old, new, matching, renames)
    }

    #[test]
    fn an_unchanged_edition_has_no_entries() {
        let old = bundled();
        let (new, matching) = edition(old.len(), same(&old));
        let diff = super::diff(&old, &new, &matching, &Renames::default());
        assert!(diff.is_empty());
        let unchanged: usize = diff.counts.iter().map(|c| c.unchanged).sum();
        assert_eq!(unchanged, old.len());
        assert!(diff.counts.iter().all(|c| c.shifted == 0));
    }

    #[test]
    fn the_issues_next_edition_gives_exactly_its_entries() {
        use DutyKind::{Basic, Cooperative, Reclaimed};
        let (old, new, matching, renames) = scenario();
        let diff = super::diff(&old, &new, &matching, &renames);
        assert_eq!(
            summary(&diff),
            vec![
                (Change::Modified, Some((Basic, 5)), Some((Basic, 5))),
                (Change::Renumbered, Some((Basic, 10)), Some((Basic, 20))),
                (Change::Added, None, Some((Basic, 81))),
                (Change::Added, None, Some((Cooperative, 5))),
                (
                    Change::Modified,
                    Some((Cooperative, 10)),
                    Some((Cooperative, 11))
                ),
                (Change::Modified, Some((Reclaimed, 3)), Some((Reclaimed, 3))),
                (
                    Change::Moved,
                    Some((Cooperative, 20)),
                    Some((Reclaimed, 22))
                ),
                (Change::Removed, Some((Basic, 40)), None),
            ]
        );
        let department = old[at(&old, Cooperative, 1)].departments[0].clone();
        assert_eq!(
            diff.departments,
            vec![DepartmentChange {
                change: DepartmentChangeKind::Renamed,
                before: vec![department.clone()],
                after: vec!["乌恰县委组织工作部".into()],
                duties: duties_naming(&old, std::slice::from_ref(&department)),
            }]
        );
        assert!(diff.departments[0].duties >= 1);
    }

    /// Lineage and diff together: the automatic matching of the issue's next
    /// edition pairs exactly what the scenario pairs by hand, so the import of
    /// such an edition reports exactly its entries.
    #[test]
    fn the_automatic_matching_of_the_next_edition_is_the_hand_made_one() {
        let (old, new, by_hand, renames) = scenario();
        let found = crate::edition::matching::match_editions(&old, &new, &Default::default());
        assert!(found.ambiguous.is_empty(), "{:?}", found.ambiguous);
        let pairs = |m: &Matching| {
            let mut p: Vec<(usize, usize)> = m.pairs.iter().map(|p| (p.old, p.new)).collect();
            p.sort_unstable();
            p
        };
        let sorted = |v: &[usize]| {
            let mut v = v.to_vec();
            v.sort_unstable();
            v
        };
        assert_eq!(pairs(&found), pairs(&by_hand));
        assert_eq!(sorted(&found.added), sorted(&by_hand.added));
        assert_eq!(sorted(&found.removed), sorted(&by_hand.removed));
        assert_eq!(
            summary(&super::diff(&old, &new, &found, &renames)),
            summary(&super::diff(&old, &new, &by_hand, &renames))
        );
    }

    #[test]
    fn each_entry_says_what_changed() {
        let (old, new, matching, renames) = scenario();
        let diff = super::diff(&old, &new, &matching, &renames);
        let name = &diff.entries[0];
        assert_eq!(name.fields.len(), 1);
        assert_eq!(name.fields[0].field, Field::Name);
        assert_eq!(
            name.fields[0]
                .after
                .as_deref()
                .map(|n| n.ends_with("（含网格化管理）")),
            Some(true)
        );
        assert!(name.items.is_empty() && !name.renumbered);
        let item = &diff.entries[4];
        assert!(item.fields.is_empty() && !item.renumbered);
        assert_eq!(item.items.len(), 1);
        assert_eq!(item.items[0].change, ItemChangeKind::Reworded);
        assert!(
            item.items[0]
                .after
                .as_ref()
                .unwrap()
                .text
                .ends_with("，每季度报送一次")
        );
        let method = &diff.entries[5];
        assert_eq!(method.fields[0].field, Field::WorkingMethod);
        let moved = &diff.entries[6];
        assert_eq!(moved.fields[0].field, Field::WorkingMethod);
        assert_eq!(moved.fields[0].before, None);
        assert!(
            moved
                .items
                .iter()
                .all(|i| i.change == ItemChangeKind::Removed)
        );
        assert_eq!(
            moved.items.len(),
            old[at(&old, DutyKind::Cooperative, 20)].items.len()
        );
        assert!(moved.department_changes.iter().all(|d| !d.is_change()));
    }

    #[test]
    fn counts_tell_shifts_from_renumbering() {
        let (old, new, matching, renames) = scenario();
        let diff = super::diff(&old, &new, &matching, &renames);
        let basic = counts_of(&diff, DutyKind::Basic);
        let expected = KindCounts {
            kind: DutyKind::Basic,
            added: 1,
            removed: 1,
            modified: 1,
            moved_in: 0,
            moved_out: 0,
            renumbered: 1,
            unchanged: 78,
            // 11–20 moved up past 10, 41–81 moved up past the removed 40.
            shifted: 10 + 41,
        };
        assert_eq!(basic, expected);
        let cooperative = counts_of(&diff, DutyKind::Cooperative);
        assert_eq!(
            (
                cooperative.added,
                cooperative.modified,
                cooperative.moved_out
            ),
            (1, 1, 1)
        );
        assert_eq!((cooperative.unchanged, cooperative.shifted), (68, 15));
        let reclaimed = counts_of(&diff, DutyKind::Reclaimed);
        assert_eq!(
            (reclaimed.moved_in, reclaimed.modified, reclaimed.unchanged),
            (1, 1, 20)
        );
    }

    #[test]
    fn removing_a_duty_shifts_the_rest_without_renumbering_them() {
        let old = bundled();
        let mut rows = same(&old);
        rows.remove(at(&old, DutyKind::Basic, 3));
        let (new, matching) = edition(old.len(), rows);
        let diff = super::diff(&old, &new, &matching, &Renames::default());
        assert_eq!(
            summary(&diff),
            vec![(Change::Removed, Some((DutyKind::Basic, 3)), None)]
        );
        assert_eq!(counts_of(&diff, DutyKind::Basic).shifted, 78);
        assert_eq!(counts_of(&diff, DutyKind::Basic).renumbered, 0);
    }

    #[test]
    fn swapped_duties_are_renumbered_far_apart_both_adjacent_one() {
        use DutyKind::Cooperative;
        let old = bundled();
        let (three, seven) = (at(&old, Cooperative, 3), at(&old, Cooperative, 7));
        let mut rows = same(&old);
        rows.swap(three, seven);
        let (new, matching) = edition(old.len(), rows);
        let diff = super::diff(&old, &new, &matching, &Renames::default());
        assert_eq!(
            summary(&diff),
            vec![
                (
                    Change::Renumbered,
                    Some((Cooperative, 7)),
                    Some((Cooperative, 3))
                ),
                (
                    Change::Renumbered,
                    Some((Cooperative, 3)),
                    Some((Cooperative, 7))
                ),
            ]
        );
        let mut rows = same(&old);
        rows.swap(three, three + 1);
        let (new, matching) = edition(old.len(), rows);
        let diff = super::diff(&old, &new, &matching, &Renames::default());
        assert_eq!(
            summary(&diff),
            vec![(
                Change::Renumbered,
                Some((Cooperative, 4)),
                Some((Cooperative, 3))
            )]
        );
        assert_eq!(counts_of(&diff, Cooperative).shifted, 1);
    }

    #[test]
    fn a_modified_duty_out_of_order_is_marked_renumbered() {
        use DutyKind::Basic;
        let old = bundled();
        let mut rows = same(&old);
        let (two, nine) = (at(&old, Basic, 2), at(&old, Basic, 9));
        rows[two].1.category = "综合政务".into();
        rows.swap(two, nine);
        let (new, matching) = edition(old.len(), rows);
        let diff = super::diff(&old, &new, &matching, &Renames::default());
        let entry = diff.entries.iter().find(|e| e.old == Some(two)).unwrap();
        assert_eq!((entry.change, entry.renumbered), (Change::Modified, true));
        assert_eq!(entry.fields[0].field, Field::Category);
    }

    /// A cooperative duty of the bundled list with two departments and items
    /// attributed on the department side.
    fn shared_duty(old: &[DutyVersion]) -> usize {
        old.iter()
            .position(|d| {
                d.departments.len() >= 2
                    && d.items
                        .iter()
                        .filter(|i| i.party == Party::Department)
                        .count()
                        >= 2
                    && d.items.iter().any(|i| i.departments.len() == 1)
            })
            .unwrap()
    }

    fn item(party: Party, section: Option<&str>, text: &str, departments: &[&str]) -> ItemVersion {
        ItemVersion {
            party,
            section: section.map(str::to_owned),
            text: text.to_owned(),
            departments: departments.iter().map(|d| d.to_string()).collect(),
        }
    }

    /// A cooperative duty of two departments with items in both columns.
    fn two_department_duty(items: Vec<ItemVersion>) -> DutyVersion {
        DutyVersion {
            place: Place {
                kind: DutyKind::Cooperative,
                seq: 1,
            },
            category: "应急管理及消防".into(),
            name: "安全生产检查".into(),
            departments: vec!["甲局".into(), "乙局".into()],
            working_method: None,
            items,
        }
    }

    #[test]
    fn items_are_reattributed_reworded_moved_added_and_removed() {
        use Party::{Department, Town};
        let before = two_department_duty(vec![
            item(
                Department,
                Some("一、巡查"),
                "负责制定年度巡查计划",
                &["甲局"],
            ),
            item(
                Department,
                Some("一、巡查"),
                "组织开展安全生产检查",
                &["乙局"],
            ),
            item(
                Department,
                Some("二、上报"),
                "汇总上报检查结果",
                &["甲局", "乙局"],
            ),
            item(Town, None, "配合开展入户巡查", &[]),
            item(Town, None, "及时报告发现的问题", &[]),
            item(Town, None, "建立工作台账", &[]),
        ]);
        let after = two_department_duty(vec![
            item(
                Department,
                Some("一、巡查"),
                "负责制定年度巡查计划",
                &["乙局"],
            ),
            item(
                Department,
                Some("一、巡查"),
                "组织开展安全生产专项检查",
                &["乙局"],
            ),
            item(
                Department,
                Some("一、巡查"),
                "汇总上报检查结果",
                &["甲局", "乙局"],
            ),
            item(Town, None, "建立工作台账", &[]),
            item(Town, None, "落实上级交办的其他事项", &[]),
            item(Town, None, "配合开展入户巡查", &[]),
        ]);
        let changes = item_changes(&before.items, &after.items, &Renames::default());
        let change = |kind, b: Option<usize>, a: Option<usize>, departments| ItemChange {
            change: kind,
            before: b.map(|i| before.items[i].clone()),
            after: a.map(|i| after.items[i].clone()),
            department_changes: departments,
        };
        assert_eq!(
            changes,
            vec![
                change(
                    ItemChangeKind::Reattributed,
                    Some(0),
                    Some(0),
                    vec![
                        DepartmentDelta::Removed("甲局".into()),
                        DepartmentDelta::Added("乙局".into()),
                    ],
                ),
                change(ItemChangeKind::Reworded, Some(1), Some(1), vec![]),
                change(ItemChangeKind::Moved, Some(2), Some(2), vec![]),
                change(ItemChangeKind::Added, None, Some(4), vec![]),
                change(ItemChangeKind::Removed, Some(4), None, vec![]),
            ]
        );
    }

    #[test]
    fn an_item_of_a_renamed_department_is_not_reattributed() {
        let items = |department: &str| {
            vec![item(
                Party::Department,
                None,
                "负责制定年度巡查计划",
                &[department],
            )]
        };
        let renames = Renames::new([Succession::new(["甲局"], ["丙局"])]).unwrap();
        let changes = item_changes(&items("甲局"), &items("丙局"), &renames);
        assert!(changes.is_empty());
        let changes = item_changes(&items("甲局"), &items("乙局"), &renames);
        assert_eq!(changes[0].change, ItemChangeKind::Reattributed);
    }

    #[test]
    fn a_merge_is_listed_once_with_its_duties() {
        use DutyKind::Cooperative;
        let old = bundled();
        let second = at(&old, Cooperative, 2);
        let merged: Vec<String> = old[second].departments.clone();
        assert_eq!(merged.len(), 2, "配合 2 has two departments");
        let (mut new, matching) = edition(old.len(), same(&old));
        for name in &merged {
            rename_everywhere(&mut new, name, "合并后的局");
        }
        for duty in &mut new {
            unique(&mut duty.departments);
            duty.items
                .iter_mut()
                .for_each(|i| unique(&mut i.departments));
        }
        let renames =
            Renames::new([Succession::new(merged.clone(), vec!["合并后的局".into()])]).unwrap();
        let diff = super::diff(&old, &new, &matching, &renames);
        assert!(diff.entries.is_empty(), "{:?}", summary(&diff));
        assert_eq!(diff.departments.len(), 1);
        assert_eq!(diff.departments[0].change, DepartmentChangeKind::Merged);
        assert_eq!(diff.departments[0].duties, duties_naming(&old, &merged));
        assert!(diff.departments[0].duties >= 2);
    }

    #[test]
    fn a_renamed_department_changes_no_duty_and_no_item() {
        let old = bundled();
        let index = shared_duty(&old);
        let department = old[index].departments[0].clone();
        let (mut new, matching) = edition(old.len(), same(&old));
        rename_everywhere(&mut new, &department, "新部门");
        let renames = Renames::new([Succession::new([department.as_str()], ["新部门"])]).unwrap();
        let diff = super::diff(&old, &new, &matching, &renames);
        assert!(diff.entries.is_empty());
        assert_eq!(diff.departments.len(), 1);
        assert_eq!(diff.departments[0].change, DepartmentChangeKind::Renamed);
        let without = super::diff(&old, &new, &matching, &Renames::default());
        assert!(
            !without.entries.is_empty(),
            "without the succession it is a change"
        );
        let kinds: Vec<DepartmentChangeKind> =
            without.departments.iter().map(|d| d.change).collect();
        assert_eq!(
            kinds,
            vec![DepartmentChangeKind::Added, DepartmentChangeKind::Removed]
        );
    }

    #[test]
    fn merges_and_splits_are_successions_too() {
        let strings = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let renames = Renames::new([
            Succession::new(["甲局", "乙局"], ["甲乙局"]),
            Succession::new(["丙局"], ["丙一局", "丙二局"]),
        ])
        .unwrap();
        assert_eq!(renames.successions()[0].kind(), SuccessionKind::Merged);
        assert_eq!(renames.successions()[1].kind(), SuccessionKind::Split);
        let old = strings(&["甲局", "乙局", "丙局"]);
        assert!(
            compare_departments(&old, &strings(&["甲乙局", "丙二局"]), &renames)
                .iter()
                .all(|d| !d.is_change())
        );
        assert_eq!(
            compare_departments(&old, &strings(&["甲乙局", "丁局"]), &renames),
            vec![
                DepartmentDelta::Succeeded {
                    before: "甲局".into(),
                    after: strings(&["甲乙局"])
                },
                DepartmentDelta::Succeeded {
                    before: "乙局".into(),
                    after: strings(&["甲乙局"])
                },
                DepartmentDelta::Removed("丙局".into()),
                DepartmentDelta::Added("丁局".into()),
            ]
        );
    }

    #[test]
    fn successions_are_checked() {
        assert_eq!(
            Renames::new([Succession::new(Vec::<String>::new(), vec!["甲".into()])]),
            Err(RenamesError::Empty)
        );
        assert!(matches!(
            Renames::new([Succession::new(["甲", "乙"], ["丙", "丁"])]),
            Err(RenamesError::ManyToMany { .. })
        ));
        assert_eq!(
            Renames::new([
                Succession::new(["甲"], ["乙"]),
                Succession::new(["甲"], ["丙"])
            ]),
            Err(RenamesError::Twice("甲".into()))
        );
    }

    #[test]
    fn ambiguities_and_bad_indices_give_no_entries() {
        let old = bundled();
        let (new, mut matching) = edition(old.len(), same(&old));
        let pair = matching.pairs.remove(0);
        matching.ambiguous.push(Ambiguity {
            new: Some(pair.new),
            old: None,
            candidates: vec![(pair.old, 0.9), (1, 0.9)],
        });
        matching.pairs.push(Pair {
            old: 10_000,
            new: 10_000,
            by: MatchedBy::Pinned,
            score: 1.0,
        });
        matching.added.push(10_000);
        let diff = super::diff(&old, &new, &matching, &Renames::default());
        assert!(diff.entries.is_empty());
        assert_eq!(diff.ambiguous.len(), 1);
    }

    #[test]
    fn dice_of_bigrams() {
        assert_eq!(text_dice("组织开展巡查", "组织开展巡查"), 1.0);
        assert_eq!(text_dice("组织开展巡查", "完全不同的话"), 0.0);
        assert!(text_dice("组织开展安全巡查", "组织开展安全生产巡查") >= REWORD_THRESHOLD);
        assert_eq!(text_dice("甲", "甲"), 1.0);
        assert_eq!(text_dice("", "甲"), 0.0);
    }

    #[test]
    fn longest_increasing_keeps_the_order() {
        assert_eq!(longest_increasing(&[1, 2, 3]), vec![true; 3]);
        assert_eq!(longest_increasing(&[2, 1, 3]), vec![false, true, true]);
        assert_eq!(
            longest_increasing(&[1, 7, 3, 4, 5, 6, 2, 8]),
            vec![true, false, true, true, true, true, false, true]
        );
        assert!(longest_increasing(&[]).is_empty());
    }

    /// A county whose 卫健委 became 卫健局 on 2026-01-01, as the registry has it.
    fn reformed_county() -> Registry {
        let text = "[[county]]\nregion = \"甲省\"\nname = \"甲县\"\n\
                    [[county.department]]\nname = \"甲县卫生健康委员会\"\nshort = \"县卫健委\"\n\
                    [[county.department]]\nname = \"甲县卫生健康局\"\nshort = \"县卫健局\"\n\
                    [[county.department.succeeds]]\nname = \"县卫健委\"\non = 2026-01-01\n";
        Registry::parse(text, "test.toml").unwrap()
    }

    #[test]
    fn a_renamed_department_written_into_a_text_is_no_rewording() {
        let registry = reformed_county();
        let county = registry.find_county("甲省", "", "甲县").unwrap();
        let between = county
            .successions_between("2025-07-01".parse().unwrap(), "2026-01-01".parse().unwrap());
        let literal = Renames::from_replacements(&between).unwrap();
        let renames = literal
            .clone()
            .with_spellings(|name| county.reforms().spellings(name));
        let (old, new) = ("甲县卫生健康委员会", "甲县卫生健康局");
        let text = |department: &str, text: &str| {
            vec![
                item(Party::Town, None, text, &[]),
                item(Party::Department, None, "制定方案", &[department]),
            ]
        };
        let before = text(old, "发现问题报县卫健委处置，由卫生健康委员会复核");
        let after = text(new, "发现问题报县卫健局处置，由卫生健康局复核");
        assert!(item_changes(&before, &after, &renames).is_empty());
        let literally = item_changes(&before, &after, &literal);
        assert_eq!(
            literally[0].change,
            ItemChangeKind::Reworded,
            "without spellings texts are compared as written"
        );
        let reworded = text(new, "发现问题及时报县卫健局处置，由卫生健康局复核");
        assert_eq!(
            item_changes(&before, &reworded, &renames)[0].change,
            ItemChangeKind::Reworded
        );
        // A name or working method naming the department is no field change either.
        let mut duty = two_department_duty(Vec::new());
        duty.working_method = Some(format!("由{old}负责"));
        let mut renamed = duty.clone();
        renamed.working_method = Some(format!("由{new}负责"));
        assert!(field_changes(&duty, &renamed, &renames).is_empty());
        assert_eq!(
            field_changes(&duty, &renamed, &literal)[0].field,
            Field::WorkingMethod
        );
        // Only the departments of a succession are read through.
        assert!(!renames.same_text("报县卫健委处置", "报县公安局处置"));
    }
}
