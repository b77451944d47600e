//! The mapping file: a reviewer's pins that override the automatic match.
//!
//! A small TOML file county staff can read and review. A duty is named by its
//! table and 序号 in its edition: the table by its Chinese short name (`基本`,
//! `配合`, `收回`), its full name (`基本履职事项`, `配合履职事项`, `上级部门收回事项`)
//! or the kind's name (`BASIC`, `COOPERATIVE`, `RECLAIMED`).
//!
//! ```toml
//! [[same]]            # the old duty's successor is the new duty
//! old = "配合 31"
//! new = "收回 4"
//!
//! [[removed]]         # the old duty has no successor
//! old = "基本 12"
//!
//! [[added]]           # the new duty has no predecessor
//! new = "配合 70"
//! ```
//!
//! A duty may be pinned once: an old duty in one `[[same]]` or `[[removed]]`, a
//! new one in one `[[same]]` or `[[added]]`. Errors name the file, the entry
//! (`[[same]] #2`, counted from 1 within its kind of entry) and its text.

use std::collections::HashMap;
use std::fmt;

use entity::DutyKind;
use serde::Deserialize;

use crate::edition::{DutyVersion, Place};
use crate::import::text::fold;

/// Table names a place may start with, longest first so that a full name is
/// not read as its short form.
const TABLES: [(&str, DutyKind); 9] = [
    ("上级部门收回事项", DutyKind::Reclaimed),
    ("基本履职事项", DutyKind::Basic),
    ("配合履职事项", DutyKind::Cooperative),
    ("COOPERATIVE", DutyKind::Cooperative),
    ("RECLAIMED", DutyKind::Reclaimed),
    ("BASIC", DutyKind::Basic),
    ("基本", DutyKind::Basic),
    ("配合", DutyKind::Cooperative),
    ("收回", DutyKind::Reclaimed),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    same: Vec<SameEntry>,
    #[serde(default)]
    removed: Vec<OldEntry>,
    #[serde(default)]
    added: Vec<NewEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SameEntry {
    old: String,
    new: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OldEntry {
    old: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEntry {
    new: String,
}

/// One pin of the mapping file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pin {
    /// `[[same]]`: the old duty's successor is the new duty.
    Same {
        /// The duty in the old edition.
        old: Place,
        /// The duty in the new edition.
        new: Place,
    },
    /// `[[removed]]`: the old duty has no successor.
    Removed {
        /// The duty in the old edition.
        old: Place,
    },
    /// `[[added]]`: the new duty has no predecessor.
    Added {
        /// The duty in the new edition.
        new: Place,
    },
}

impl Pin {
    /// The old duty it pins, if any.
    pub fn old_place(&self) -> Option<Place> {
        match *self {
            Pin::Same { old, .. } | Pin::Removed { old } => Some(old),
            Pin::Added { .. } => None,
        }
    }

    /// The new duty it pins, if any.
    pub fn new_place(&self) -> Option<Place> {
        match *self {
            Pin::Same { new, .. } | Pin::Added { new } => Some(new),
            Pin::Removed { .. } => None,
        }
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let old = self
            .old_place()
            .map(|p| format!("old = \"{}\"", place_text(p)));
        let new = self
            .new_place()
            .map(|p| format!("new = \"{}\"", place_text(p)));
        let parts: Vec<String> = [old, new].into_iter().flatten().collect();
        f.write_str(&parts.join(", "))
    }
}

/// The kinds of entry of the mapping file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// `[[same]]`.
    Same,
    /// `[[removed]]`.
    Removed,
    /// `[[added]]`.
    Added,
}

/// An entry of the mapping file: its kind and its position among entries of
/// that kind, from 1. Shown as `[[same]] #2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The kind of entry.
    pub section: Section,
    /// Its position among entries of that kind, from 1.
    pub index: usize,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.section {
            Section::Same => "same",
            Section::Removed => "removed",
            Section::Added => "added",
        };
        write!(f, "[[{name}]] #{}", self.index)
    }
}

/// Which edition a place refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The previous edition (`old = …`).
    Old,
    /// The edition being matched to it (`new = …`).
    New,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Old => "old",
            Side::New => "new",
        })
    }
}

/// What is wrong with a mapping file. Every error names the file and, but for
/// syntax errors, the entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinsError {
    /// Not TOML, or not the mapping file's shape (an unknown key, a missing `old`).
    #[error("{file}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The TOML reader's message.
        message: String,
    },
    /// A place that is not a table and a 序号.
    #[error(
        "{file}: {entry}: {side} = \"{text}\" is not a duty's place (write its table — 基本, 配合, 收回, or BASIC, COOPERATIVE, RECLAIMED — and its 序号, e.g. \"配合 31\")"
    )]
    BadPlace {
        /// The file.
        file: String,
        /// The entry.
        entry: Entry,
        /// The key.
        side: Side,
        /// The value as written.
        text: String,
    },
    /// A duty pinned by two entries.
    #[error("{file}: {entry} ({pin}) pins {side} duty {place} again: {first} pins it already")]
    PinnedTwice {
        /// The file.
        file: String,
        /// The later entry.
        entry: Entry,
        /// The later entry's text.
        pin: Pin,
        /// The edition of the duty.
        side: Side,
        /// The duty, as `配合 31`.
        place: String,
        /// The entry that pinned it first.
        first: Entry,
    },
    /// A pin to a duty the edition does not have.
    #[error("{file}: {entry} ({pin}): the {side} edition has no duty {place}")]
    NoSuchDuty {
        /// The file.
        file: String,
        /// The entry.
        entry: Entry,
        /// The entry's text.
        pin: Pin,
        /// The edition.
        side: Side,
        /// The missing place, as `配合 31`.
        place: String,
    },
}

/// A reviewer's pins, from the mapping file, in file order within each kind of entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pins {
    file: String,
    pins: Vec<(Entry, Pin)>,
}

impl Pins {
    /// Parse a mapping file; `source` names it in errors. A duty pinned twice
    /// is an error here; a place the editions lack is found by [`Pins::check`].
    pub fn parse(toml: &str, source: &str) -> Result<Pins, PinsError> {
        let file: File = toml::from_str(toml).map_err(|e| PinsError::Syntax {
            file: source.to_owned(),
            message: e.to_string().trim().to_owned(),
        })?;
        let mut pins = Pins {
            file: source.to_owned(),
            pins: Vec::new(),
        };
        for (i, e) in file.same.iter().enumerate() {
            let entry = pins.entry(Section::Same, i);
            let old = pins.place(entry, Side::Old, &e.old)?;
            let new = pins.place(entry, Side::New, &e.new)?;
            pins.push(entry, Pin::Same { old, new })?;
        }
        for (i, e) in file.removed.iter().enumerate() {
            let entry = pins.entry(Section::Removed, i);
            let old = pins.place(entry, Side::Old, &e.old)?;
            pins.push(entry, Pin::Removed { old })?;
        }
        for (i, e) in file.added.iter().enumerate() {
            let entry = pins.entry(Section::Added, i);
            let new = pins.place(entry, Side::New, &e.new)?;
            pins.push(entry, Pin::Added { new })?;
        }
        Ok(pins)
    }

    /// Check that every pinned duty is in its edition: `old` for `old = …`,
    /// `new` for `new = …`. [`super::match_editions`] ignores pins that fail this.
    pub fn check(&self, old: &[DutyVersion], new: &[DutyVersion]) -> Result<(), PinsError> {
        let has = |duties: &[DutyVersion], place: Place| duties.iter().any(|d| d.place == place);
        for (entry, pin) in &self.pins {
            let missing = [
                (Side::Old, pin.old_place(), old),
                (Side::New, pin.new_place(), new),
            ]
            .into_iter()
            .find_map(|(side, place, duties)| {
                place.filter(|p| !has(duties, *p)).map(|p| (side, p))
            });
            if let Some((side, place)) = missing {
                return Err(PinsError::NoSuchDuty {
                    file: self.file.clone(),
                    entry: *entry,
                    pin: *pin,
                    side,
                    place: place_text(place),
                });
            }
        }
        Ok(())
    }

    /// Pins settled by construction rather than read from a file (a
    /// publication knows each duty's lineage); `source` names them in errors.
    pub fn exact(source: &str, pins: impl IntoIterator<Item = Pin>) -> Pins {
        let mut counts = [0usize; 3];
        let pins = pins
            .into_iter()
            .map(|pin| {
                let section = match pin {
                    Pin::Same { .. } => Section::Same,
                    Pin::Removed { .. } => Section::Removed,
                    Pin::Added { .. } => Section::Added,
                };
                counts[section as usize] += 1;
                let entry = Entry {
                    section,
                    index: counts[section as usize],
                };
                (entry, pin)
            })
            .collect();
        Pins {
            file: source.to_owned(),
            pins,
        }
    }

    /// The pins with their entries: `[[same]]` first, then `[[removed]]`, then `[[added]]`.
    pub fn iter(&self) -> impl Iterator<Item = (Entry, Pin)> + '_ {
        self.pins.iter().copied()
    }

    /// Whether the file pins nothing.
    pub fn is_empty(&self) -> bool {
        self.pins.is_empty()
    }

    /// The name of the file, as given to [`Pins::parse`].
    pub fn source(&self) -> &str {
        &self.file
    }

    fn entry(&self, section: Section, i: usize) -> Entry {
        Entry {
            section,
            index: i + 1,
        }
    }

    fn place(&self, entry: Entry, side: Side, text: &str) -> Result<Place, PinsError> {
        parse_place(text).ok_or_else(|| PinsError::BadPlace {
            file: self.file.clone(),
            entry,
            side,
            text: text.to_owned(),
        })
    }

    /// Add a pin unless one of its duties is pinned already.
    fn push(&mut self, entry: Entry, pin: Pin) -> Result<(), PinsError> {
        let earlier = self.pins.iter().find_map(|(first, p)| {
            let old = pin
                .old_place()
                .filter(|o| p.old_place() == Some(*o))
                .map(|o| (Side::Old, o));
            let new = pin
                .new_place()
                .filter(|n| p.new_place() == Some(*n))
                .map(|n| (Side::New, n));
            old.or(new).map(|(side, place)| (*first, side, place))
        });
        if let Some((first, side, place)) = earlier {
            return Err(PinsError::PinnedTwice {
                file: self.file.clone(),
                entry,
                pin,
                side,
                place: place_text(place),
                first,
            });
        }
        self.pins.push((entry, pin));
        Ok(())
    }
}

/// Read a place as the mapping file writes it: a table's name and a positive
/// 序号, with or without a space between (`配合 31`, `配合31`, `COOPERATIVE 31`).
/// Full-width digits and letters are folded; English names ignore case.
pub fn parse_place(text: &str) -> Option<Place> {
    let folded = fold(text);
    let (kind, rest) = TABLES.iter().find_map(|(name, kind)| {
        let head = folded.get(..name.len())?;
        head.eq_ignore_ascii_case(name)
            .then(|| (*kind, &folded[name.len()..]))
    })?;
    let seq: u32 = rest.parse().ok().filter(|n| *n > 0)?;
    Some(Place { kind, seq })
}

/// A place as the mapping file writes it: `配合 31`.
pub fn place_text(place: Place) -> String {
    let table = match place.kind {
        DutyKind::Basic => "基本",
        DutyKind::Cooperative => "配合",
        DutyKind::Reclaimed => "收回",
    };
    format!("{table} {}", place.seq)
}

/// Index of each place in an edition; where a place repeats, its first duty.
pub(super) fn index_of_places(duties: &[DutyVersion]) -> HashMap<Place, usize> {
    let mut index = HashMap::with_capacity(duties.len());
    for (i, duty) in duties.iter().enumerate() {
        index.entry(duty.place).or_insert(i);
    }
    index
}
