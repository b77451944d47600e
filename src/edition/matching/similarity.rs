//! How alike two duties are: per-signal similarities (name, items, working
//! method, departments, category, table) and the weighted score the matcher ranks
//! candidates by.
//!
//! Every text signal is the Dice coefficient of character-bigram sets, after
//! dropping whitespace and punctuation and folding full-width forms, so a
//! reworded name keeps most of its score while punctuation and spacing changes
//! count for nothing. A signal only one of the two duties has (items of a
//! cooperative duty against a reclaimed one's working method) is left out of the
//! mean rather than counted as a disagreement: that is what lets a duty moved
//! between tables still match by its name.

use entity::DutyKind;

use crate::edition::DutyVersion;
use crate::import::text::fold;

/// The name is the duty: it weighs most.
const NAME_WEIGHT: f64 = 6.0;
/// The items say what is done: nearly as telling as the name.
const ITEMS_WEIGHT: f64 = 4.0;
/// The working method of a reclaimed duty, which mostly restates its name.
const METHOD_WEIGHT: f64 = 2.0;
/// Counterpart or receiving departments: change with reforms and moves.
const DEPARTMENTS_WEIGHT: f64 = 2.0;
/// The category: shared by many duties, so it only tips close calls.
const CATEGORY_WEIGHT: f64 = 1.0;
/// The table: a move between tables is common, so it only tips close calls.
const KIND_WEIGHT: f64 = 1.0;

/// A duty prepared for comparison: its texts as sorted bigram sets, computed once.
#[derive(Clone, Debug)]
pub(super) struct Features<'a> {
    kind: DutyKind,
    category: &'a str,
    name: Vec<u64>,
    items: Vec<u64>,
    method: Vec<u64>,
    departments: Vec<&'a str>,
}

impl<'a> Features<'a> {
    /// The features of one duty.
    pub(super) fn of(duty: &'a DutyVersion) -> Self {
        let mut items: Vec<u64> = duty
            .items
            .iter()
            .flat_map(|item| item.section.iter().chain(std::iter::once(&item.text)))
            .flat_map(|text| bigrams(text))
            .collect();
        items.sort_unstable();
        items.dedup();
        let mut departments: Vec<&str> = duty.departments.iter().map(String::as_str).collect();
        departments.sort_unstable();
        departments.dedup();
        Features {
            kind: duty.place.kind,
            category: &duty.category,
            name: bigrams(&duty.name),
            items,
            method: duty
                .working_method
                .as_deref()
                .map(bigrams)
                .unwrap_or_default(),
            departments,
        }
    }
}

/// How alike two duties are, signal by signal. A signal is `None` when one of
/// the duties lacks it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Similarity {
    /// Dice of the names' bigrams.
    pub name: f64,
    /// Dice of the items' bigrams (sections included).
    pub items: Option<f64>,
    /// Dice of the working methods' bigrams.
    pub method: Option<f64>,
    /// Dice of the department sets.
    pub departments: Option<f64>,
    /// Same category.
    pub category: bool,
    /// Same table.
    pub kind: bool,
}

impl Similarity {
    /// Compare two duties.
    pub(super) fn of(old: &Features, new: &Features) -> Self {
        let both = |a: &[u64], b: &[u64]| (!a.is_empty() && !b.is_empty()).then(|| dice(a, b));
        Similarity {
            name: dice(&old.name, &new.name),
            items: both(&old.items, &new.items),
            method: both(&old.method, &new.method),
            departments: (!old.departments.is_empty() && !new.departments.is_empty())
                .then(|| dice(&old.departments, &new.departments)),
            category: old.category == new.category,
            kind: old.kind == new.kind,
        }
    }

    /// The weighted mean of the signals both duties have, 0–1.
    pub(super) fn score(&self) -> f64 {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let signals = [
            (Some(self.name), NAME_WEIGHT),
            (self.items, ITEMS_WEIGHT),
            (self.method, METHOD_WEIGHT),
            (self.departments, DEPARTMENTS_WEIGHT),
            (Some(flag(self.category)), CATEGORY_WEIGHT),
            (Some(flag(self.kind)), KIND_WEIGHT),
        ];
        let (sum, weight) = signals
            .iter()
            .filter_map(|(value, weight)| value.map(|v| (v * weight, *weight)))
            .fold((0.0, 0.0), |(s, w), (v, x)| (s + v, w + x));
        sum / weight
    }

    /// The best agreement of the wording, name or items: what lineage rests on.
    pub(super) fn wording(&self) -> f64 {
        self.name.max(self.items.unwrap_or(0.0))
    }
}

/// The Dice coefficient of two texts' bigram sets ([`bigrams`]), 0–1: how much
/// of their wording two texts share. Also what the diff calls a rewording.
pub fn text_dice(a: &str, b: &str) -> f64 {
    dice(&bigrams(a), &bigrams(b))
}

/// The sorted set of character bigrams of a text, whitespace and punctuation
/// dropped and full-width forms folded; a one-character text is its own gram.
fn bigrams(text: &str) -> Vec<u64> {
    let chars: Vec<char> = fold(text).chars().filter(|c| c.is_alphanumeric()).collect();
    let mut grams: Vec<u64> = match chars.as_slice() {
        [] => Vec::new(),
        [only] => vec![pack(*only, '\0')],
        _ => chars.windows(2).map(|w| pack(w[0], w[1])).collect(),
    };
    grams.sort_unstable();
    grams.dedup();
    grams
}

fn pack(a: char, b: char) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// The Dice coefficient of two sorted, deduplicated sets; two empty sets are alike.
fn dice<T: Ord>(a: &[T], b: &[T]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * shared as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_and_width_do_not_count() {
        assert_eq!(
            bigrams("开展安全生产，监督检查"),
            bigrams("开展安全生产,监督检查 ")
        );
        assert_eq!(bigrams("１２３４５热线"), bigrams("12345热线"));
    }

    #[test]
    fn dice_is_the_shared_share() {
        assert_eq!(dice(&[1, 2, 3], &[2, 3, 4]), 2.0 * 2.0 / 6.0);
        assert_eq!(dice::<u64>(&[], &[]), 1.0);
        assert_eq!(dice(&[1], &[2]), 0.0);
    }
}
