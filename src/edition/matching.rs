//! Lineage: which duties of two editions of a list are the same duty.
//!
//! [`match_editions`] decides, in three passes, each taking only the duties the
//! passes before left open:
//!
//! 1. **Pins**: a reviewer's mapping file ([`Pins`]) pairs duties, or declares
//!    an old duty removed or a new one added, whatever the text says.
//! 2. **Identical**: a duty whose table, name and content are unchanged (its
//!    序号 may differ) is itself.
//! 3. **Similar**: every remaining old and new duty are compared
//!    ([`similarity`]: names, items, working method, departments, category,
//!    table). A pair is a candidate when it scores at least [`MIN_SCORE`] and
//!    shares at least [`MIN_WORDING`] of its name's or its items' wording.
//!    Candidates are taken best first; one is accepted only when neither of its
//!    duties has another open candidate within [`MARGIN`] of it — otherwise the
//!    pair is left open rather than guessed. Accepting a pair can settle a rival
//!    left open earlier, so the pass repeats until nothing changes.
//!
//! What is left open is removed or added when it has no open candidate, else
//! an [`Ambiguity`] for a reviewer to settle with a pin. The rules are the same
//! for any town's list: nothing here knows one list's wording.

mod pins;
mod similarity;
#[cfg(test)]
mod tests;

pub use pins::{Entry, Pin, Pins, PinsError, Section, Side, parse_place, place_text};
pub use similarity::text_dice;

use std::collections::HashMap;

use entity::DutyKind;

use super::DutyVersion;
use similarity::{Features, Similarity};

/// The least score of a candidate pair: three fifths of the weighted evidence
/// agrees. It cannot part every pair of distinct duties: siblings written from
/// one template (`加强基层工会组织建设，维护职工合法权益` and `…妇联…`) share most of
/// a name and score higher. That is why a candidate is only taken when no open
/// rival comes close, and why a sibling unchanged in the new edition, paired
/// as identical first, is no rival at all.
pub const MIN_SCORE: f64 = 0.6;

/// The least share of wording (Dice of the names' or the items' bigrams,
/// whichever is higher) a candidate pair must have: agreeing only in category,
/// table and departments is not lineage.
pub const MIN_WORDING: f64 = 0.5;

/// Candidates closer than this are a tie: it is below what one changed
/// character of a long name (2 of ~40 bigrams) moves a score, so a difference
/// of a character still decides, while a pair that differs from two duties in
/// the same way is reported, not guessed.
pub const MARGIN: f64 = 0.02;

/// Which duties of an old and a new edition are the same duty. Indices are
/// into the `old` and `new` slices given to [`match_editions`]: every old index
/// is in exactly one of `pairs`, `removed` or an ambiguity's `old`, every new
/// index in exactly one of `pairs`, `added` or an ambiguity's `new`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matching {
    /// The same duty in both editions, by old index.
    pub pairs: Vec<Pair>,
    /// Old duties without a successor, ascending.
    pub removed: Vec<usize>,
    /// New duties without a predecessor, ascending.
    pub added: Vec<usize>,
    /// Duties that fit several others equally well: reported, never guessed.
    /// Old duties first, then new ones, each ascending.
    pub ambiguous: Vec<Ambiguity>,
}

/// One old duty and its successor.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// Index into the old edition.
    pub old: usize,
    /// Index into the new edition.
    pub new: usize,
    /// How the two were matched.
    pub by: MatchedBy,
    /// Similarity, 0–1 (1 for identical duties).
    pub score: f64,
}

/// How a pair was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// Same table, name and content.
    Identical,
    /// A reviewer's pin in the mapping file.
    Pinned,
    /// The best match by similarity, clearly ahead of any other.
    Similar,
    /// The same stored lineage: the importer matched them when it stored the
    /// newer edition, so they are the same duty by record, not by guess.
    Lineage,
}

/// A duty left unmatched because others fit it, or fit what it fits, too
/// closely to choose. Exactly one of `old` and `new` is set: the duty the
/// ambiguity is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Ambiguity {
    /// The new duty, when it is the one with several candidates.
    pub new: Option<usize>,
    /// The old duty, when it is the one with several candidates.
    pub old: Option<usize>,
    /// The candidates (indices into the other edition, themselves unmatched)
    /// with their scores, best first.
    pub candidates: Vec<(usize, f64)>,
}

impl Matching {
    /// The pair of an old duty, if it has a successor.
    pub fn successor(&self, old: usize) -> Option<&Pair> {
        self.pairs.iter().find(|p| p.old == old)
    }

    /// The pair of a new duty, if it has a predecessor.
    pub fn predecessor(&self, new: usize) -> Option<&Pair> {
        self.pairs.iter().find(|p| p.new == new)
    }

    /// Whether every duty is settled: no ambiguity is left for a reviewer.
    pub fn is_settled(&self) -> bool {
        self.ambiguous.is_empty()
    }

    /// The matching of two stored editions by their duties' lineages (`old[i]`
    /// and `new[j]` are the lineages of the duties at those indices): the same
    /// lineage is the same duty, score 1, whatever the texts say; nothing is
    /// guessed, so nothing is ambiguous. Were a lineage twice in one edition,
    /// its duties would pair in order and the rest be removed or added.
    pub fn by_lineage(old: &[i32], new: &[i32]) -> Matching {
        let mut open: HashMap<i32, Vec<usize>> = HashMap::new();
        for (n, lineage) in new.iter().enumerate().rev() {
            open.entry(*lineage).or_default().push(n);
        }
        let mut matching = Matching::default();
        let mut paired_new = vec![false; new.len()];
        for (o, lineage) in old.iter().enumerate() {
            match open.get_mut(lineage).and_then(Vec::pop) {
                Some(n) => {
                    paired_new[n] = true;
                    matching.pairs.push(Pair {
                        old: o,
                        new: n,
                        by: MatchedBy::Lineage,
                        score: 1.0,
                    });
                }
                None => matching.removed.push(o),
            }
        }
        matching.added = (0..new.len()).filter(|n| !paired_new[*n]).collect();
        matching
    }
}

/// The score of `new` as the successor of `old`, 0–1: the weighted mean of
/// name, items, working method, departments, category and table agreement,
/// over the signals both duties have.
pub fn similarity(old: &DutyVersion, new: &DutyVersion) -> f64 {
    Similarity::of(&Features::of(old), &Features::of(new)).score()
}

/// Match `new` against `old`, honouring `pins` (a pin to a duty the editions
/// lack is ignored: check the pins first with [`Pins::check`]).
pub fn match_editions(old: &[DutyVersion], new: &[DutyVersion], pins: &Pins) -> Matching {
    let (old_features, new_features) = (features(old), features(new));
    let mut state = State::new(old.len(), new.len());
    apply_pins(&mut state, old, new, pins, &old_features, &new_features);
    pair_identical(&mut state, old, new);
    let candidates = Candidates::of(&state, &old_features, &new_features);
    pair_similar(&mut state, &candidates);
    state.finish(&candidates)
}

fn features(duties: &[DutyVersion]) -> Vec<Features<'_>> {
    duties.iter().map(Features::of).collect()
}

/// What has become of a duty so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// Not decided yet.
    Open,
    /// Paired with a duty of the other edition.
    Paired,
    /// Pinned without a counterpart (`[[removed]]`, `[[added]]`).
    Alone,
}

/// The matching in progress.
struct State {
    old: Vec<Fate>,
    new: Vec<Fate>,
    pairs: Vec<Pair>,
}

impl State {
    fn new(old: usize, new: usize) -> Self {
        State {
            old: vec![Fate::Open; old],
            new: vec![Fate::Open; new],
            pairs: Vec::new(),
        }
    }

    fn is_open(&self, old: usize, new: usize) -> bool {
        self.old[old] == Fate::Open && self.new[new] == Fate::Open
    }

    fn pair(&mut self, old: usize, new: usize, by: MatchedBy, score: f64) {
        self.old[old] = Fate::Paired;
        self.new[new] = Fate::Paired;
        self.pairs.push(Pair {
            old,
            new,
            by,
            score,
        });
    }

    /// Open duties become removed, added or ambiguous.
    fn finish(mut self, candidates: &Candidates) -> Matching {
        self.pairs.sort_by_key(|p| p.old);
        let (removed, old_doubts) = unpaired(&self.old, &self.new, |o, n| candidates.get(o, n));
        let (added, new_doubts) = unpaired(&self.new, &self.old, |n, o| candidates.get(o, n));
        let of_old = old_doubts.into_iter().map(|(old, candidates)| Ambiguity {
            new: None,
            old: Some(old),
            candidates,
        });
        let of_new = new_doubts.into_iter().map(|(new, candidates)| Ambiguity {
            new: Some(new),
            old: None,
            candidates,
        });
        Matching {
            pairs: self.pairs,
            removed,
            added,
            ambiguous: of_old.chain(of_new).collect(),
        }
    }
}

/// A duty in doubt and its open candidates, best first.
type Doubt = (usize, Vec<(usize, f64)>);

/// The unpaired duties of one edition: those alone (pinned so, or without an
/// open candidate in the other edition) and those in doubt, with their open
/// candidates best first. `score(duty, other)` is a candidate's score.
fn unpaired(
    fates: &[Fate],
    others: &[Fate],
    score: impl Fn(usize, usize) -> Option<f64>,
) -> (Vec<usize>, Vec<Doubt>) {
    let (mut alone, mut doubts) = (Vec::new(), Vec::new());
    for (i, fate) in fates.iter().enumerate() {
        let mut fits: Vec<(usize, f64)> = (0..others.len())
            .filter(|j| others[*j] == Fate::Open)
            .filter_map(|j| score(i, j).map(|s| (j, s)))
            .collect();
        fits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        match (fate, fits.is_empty()) {
            (Fate::Paired, _) => {}
            (Fate::Alone, _) | (Fate::Open, true) => alone.push(i),
            (Fate::Open, false) => doubts.push((i, fits)),
        }
    }
    (alone, doubts)
}

/// Pass 1: the reviewer's pins.
fn apply_pins(
    state: &mut State,
    old: &[DutyVersion],
    new: &[DutyVersion],
    pins: &Pins,
    old_features: &[Features],
    new_features: &[Features],
) {
    let (old_at, new_at) = (pins::index_of_places(old), pins::index_of_places(new));
    for (_, pin) in pins.iter() {
        let o = pin.old_place().and_then(|p| old_at.get(&p).copied());
        let n = pin.new_place().and_then(|p| new_at.get(&p).copied());
        match (pin, o, n) {
            (Pin::Same { .. }, Some(o), Some(n)) if state.is_open(o, n) => {
                let score = Similarity::of(&old_features[o], &new_features[n]).score();
                state.pair(o, n, MatchedBy::Pinned, score);
            }
            (Pin::Removed { .. }, Some(o), _) if state.old[o] == Fate::Open => {
                state.old[o] = Fate::Alone;
            }
            (Pin::Added { .. }, _, Some(n)) if state.new[n] == Fate::Open => {
                state.new[n] = Fate::Alone;
            }
            _ => {}
        }
    }
}

/// Pass 2: duties unchanged but for their 序号. Duties of the same table and
/// name with the same content are indistinguishable: when both editions have
/// as many of them they are paired in document order (any order gives the same
/// diff); when the counts differ they are left to the next pass.
fn pair_identical(state: &mut State, old: &[DutyVersion], new: &[DutyVersion]) {
    let olds = open_by_name(old, &state.old);
    let news = open_by_name(new, &state.new);
    for (key, olds) in &olds {
        let Some(news) = news.get(key) else {
            continue;
        };
        for &o in olds {
            let like = |duties: &[DutyVersion], fates: &[Fate], group: &[usize]| -> Vec<usize> {
                let same =
                    |i: &&usize| fates[**i] == Fate::Open && same_content(&duties[**i], &old[o]);
                group.iter().filter(same).copied().collect()
            };
            let twins_old = like(old, &state.old, olds);
            let twins_new = like(new, &state.new, news);
            if !twins_new.is_empty() && twins_old.len() == twins_new.len() {
                for (o, n) in twins_old.into_iter().zip(twins_new) {
                    state.pair(o, n, MatchedBy::Identical, 1.0);
                }
            }
        }
    }
}

/// The open duties of an edition by table and name, in document order.
fn open_by_name<'a>(
    duties: &'a [DutyVersion],
    fates: &[Fate],
) -> HashMap<(DutyKind, &'a str), Vec<usize>> {
    let mut by_name: HashMap<_, Vec<usize>> = HashMap::new();
    for (i, duty) in duties
        .iter()
        .enumerate()
        .filter(|(i, _)| fates[*i] == Fate::Open)
    {
        by_name
            .entry((duty.place.kind, duty.name.as_str()))
            .or_default()
            .push(i);
    }
    by_name
}

/// Same table, name and content; the 序号 may differ.
fn same_content(a: &DutyVersion, b: &DutyVersion) -> bool {
    a.place.kind == b.place.kind
        && a.name == b.name
        && a.category == b.category
        && a.departments == b.departments
        && a.working_method == b.working_method
        && a.items == b.items
}

/// The scores of the candidate pairs among the duties still open, dense by
/// (old, new); `None` where a pair is no candidate or was not open.
struct Candidates {
    width: usize,
    scores: Vec<Option<f64>>,
}

impl Candidates {
    fn of(state: &State, old: &[Features], new: &[Features]) -> Self {
        let mut scores = vec![None; old.len() * new.len()];
        for (o, of) in old.iter().enumerate() {
            for (n, nf) in new.iter().enumerate() {
                if state.is_open(o, n) {
                    scores[o * new.len() + n] = candidate_score(of, nf);
                }
            }
        }
        Candidates {
            width: new.len(),
            scores,
        }
    }

    fn get(&self, old: usize, new: usize) -> Option<f64> {
        self.scores[old * self.width + new]
    }

    /// Every candidate pair, best first (ties in index order, so the result
    /// does not depend on hashing or sorting stability).
    fn ranked(&self) -> Vec<(usize, usize, f64)> {
        let mut ranked: Vec<(usize, usize, f64)> = self
            .scores
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| (i / self.width, i % self.width, s)))
            .collect();
        ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
        ranked
    }
}

/// The score of a pair if it is a candidate.
fn candidate_score(old: &Features, new: &Features) -> Option<f64> {
    let similarity = Similarity::of(old, new);
    let score = similarity.score();
    (score >= MIN_SCORE && similarity.wording() >= MIN_WORDING).then_some(score)
}

/// Pass 3: candidates best first, each accepted only when clearly ahead of any
/// open rival; repeated while accepting pairs settles earlier rivalries.
fn pair_similar(state: &mut State, candidates: &Candidates) {
    let ranked = candidates.ranked();
    loop {
        let mut progress = false;
        for &(o, n, score) in &ranked {
            if state.is_open(o, n) && !has_rival(state, candidates, o, n, score) {
                state.pair(o, n, MatchedBy::Similar, score);
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
}

/// Whether another open duty fits `old` or `new` within [`MARGIN`] of `score`.
fn has_rival(state: &State, candidates: &Candidates, old: usize, new: usize, score: f64) -> bool {
    let close = |s: Option<f64>| s.is_some_and(|s| s >= score - MARGIN);
    let rival_old = (0..state.old.len())
        .any(|o| o != old && state.old[o] == Fate::Open && close(candidates.get(o, new)));
    let rival_new = (0..state.new.len())
        .any(|n| n != new && state.new[n] == Fate::Open && close(candidates.get(old, n)));
    rival_old || rival_new
}
