//! Scoring a task against the duties of one list. Pure: the caller hands over
//! the list's texts, this module ranks its duties and says why.
//!
//! **Ranking** is BM25F over character unigrams and bigrams (the grams of
//! `search.rs`, so one- and two-character Chinese words count), with document
//! frequencies taken from the list itself — a list is a few hundred texts, and
//! its own statistics are what make `燃气` rare and `工作` common in it. Each
//! duty is one document of five fields: its name (weighted highest), its town
//! column (乡镇（街道）配合职责), its department column (上级部门职责), its working
//! method and its category; each field's length is normalised against the
//! list's average for that field, so a long department column does not win
//! every task. The task side is prepared with the [`Lexicon`]: notice
//! boilerplate removed, common words weighted down, and synonyms and
//! abbreviations added as extra grams at their group's weight.
//!
//! **Coverage** says whether the best duty is really the task's: the share of
//! the task's bigrams (each weighted by its inverse document frequency, so a
//! word the list never uses weighs most) that the duty contains, a bigram also
//! counting as covered, at its group's weight, when a synonym of the word it is
//! in occurs. A task whose best duty covers too little is `NOT_LISTED`; the
//! threshold ([`Params::threshold`]) is chosen on the labelled Wuqia set.
//!
//! **Side**: for a cooperative duty, the task's action verbs decide which
//! column it asks for (see [`side`]).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::lexicon::{Lexicon, VerbSide};
use crate::search::normalize;

/// A gram as a number: a character, or a pair of characters with bit 42 set.
type Gram = u64;

fn unigram(c: char) -> Gram {
    c as u64
}

fn bigram(a: char, b: char) -> Gram {
    (1 << 42) | ((a as u64) << 21) | b as u64
}

fn is_bigram(g: Gram) -> bool {
    g >> 42 == 1
}

/// Whether a character belongs to a word (not punctuation or space).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// The fields of a duty document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// 事项名称.
    Name,
    /// 乡镇（街道）配合职责, all items.
    Town,
    /// 上级部门职责, all items.
    Department,
    /// 工作方式 of a reclaimed duty.
    Method,
    /// 事项类别.
    Category,
}

const FIELDS: usize = 5;

impl Field {
    fn index(self) -> usize {
        self as usize
    }
}

/// One duty's texts, as the list has them.
#[derive(Clone, Debug, Default)]
pub struct DocText {
    /// 事项名称.
    pub name: String,
    /// 事项类别.
    pub category: String,
    /// Town-column items.
    pub town: Vec<String>,
    /// Department-column items.
    pub department: Vec<String>,
    /// 工作方式.
    pub method: Option<String>,
    /// Whether the duty is cooperative (its columns decide the side).
    pub cooperative: bool,
}

/// Tuning of the scorer. The defaults are those the evaluation reports.
#[derive(Clone, Debug)]
pub struct Params {
    /// BM25 term-frequency saturation.
    pub k1: f64,
    /// BM25 length normalisation.
    pub b: f64,
    /// Field weights: name, town, department, method, category.
    pub field_weights: [f64; FIELDS],
    /// Weight of a unigram against a bigram.
    pub unigram_weight: f64,
    /// Below this coverage the best duty is not the task's: `NOT_LISTED`.
    pub threshold: f64,
    /// Use the lexicon's synonyms (off: to measure what they add).
    pub synonyms: bool,
    /// Boost of a duty whose name or working method has the task's department-side verb.
    pub verb_boost: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            k1: 1.2,
            b: 0.6,
            field_weights: [3.0, 1.0, 0.8, 1.0, 0.3],
            unigram_weight: 0.15,
            threshold: 0.18,
            synonyms: true,
            verb_boost: 0.3,
        }
    }
}

/// The grams of a text, each with the character offset where it starts.
fn grams_at(chars: &[char]) -> Vec<(Gram, usize)> {
    let mut out = Vec::with_capacity(chars.len() * 2);
    for (i, &c) in chars.iter().enumerate() {
        if !is_word_char(c) {
            continue;
        }
        out.push((unigram(c), i));
        if let Some(&next) = chars.get(i + 1).filter(|n| is_word_char(**n)) {
            out.push((bigram(c, next), i));
        }
    }
    out
}

/// A list's duties, indexed for scoring.
pub struct Index {
    docs: Vec<DocText>,
    /// Per gram: (document, field, term frequency).
    postings: HashMap<Gram, Vec<(u32, u8, f32)>>,
    /// Per gram: documents holding it.
    df: HashMap<Gram, u32>,
    /// Per document and field: length in characters.
    lengths: Vec<[f32; FIELDS]>,
    /// Per field: average length over documents that have the field.
    average: [f32; FIELDS],
    /// Per document: its bigrams, sorted (for coverage).
    bigrams: Vec<Vec<Gram>>,
    /// Per document: its texts, normalised, joined by `|` (for phrase coverage).
    texts: Vec<String>,
    params: Params,
}

impl Index {
    /// Index `docs` (in the order ties are broken in) with `params`.
    pub fn new(docs: Vec<DocText>, params: Params) -> Index {
        let mut postings: HashMap<Gram, Vec<(u32, u8, f32)>> = HashMap::new();
        let mut df: HashMap<Gram, u32> = HashMap::new();
        let mut lengths = Vec::with_capacity(docs.len());
        let mut bigrams = Vec::with_capacity(docs.len());
        let mut joined = Vec::with_capacity(docs.len());
        let mut totals = [0f64; FIELDS];
        let mut present = [0usize; FIELDS];
        for (d, doc) in docs.iter().enumerate() {
            let mut length = [0f32; FIELDS];
            let mut seen: HashSet<Gram> = HashSet::new();
            let mut all = String::new();
            for (field, texts) in fields_of(doc) {
                let mut tf: HashMap<Gram, f32> = HashMap::new();
                for text in texts {
                    let normalized = normalize(text);
                    all.push_str(&normalized);
                    all.push('|');
                    let chars: Vec<char> = normalized.chars().collect();
                    length[field.index()] += chars.len() as f32;
                    for (g, _) in grams_at(&chars) {
                        *tf.entry(g).or_default() += 1.0;
                    }
                }
                if length[field.index()] > 0.0 {
                    totals[field.index()] += f64::from(length[field.index()]);
                    present[field.index()] += 1;
                }
                for (g, n) in tf {
                    postings
                        .entry(g)
                        .or_default()
                        .push((d as u32, field as u8, n));
                    seen.insert(g);
                }
            }
            for &g in &seen {
                *df.entry(g).or_default() += 1;
            }
            let mut bi: Vec<Gram> = seen.into_iter().filter(|g| is_bigram(*g)).collect();
            bi.sort_unstable();
            bigrams.push(bi);
            joined.push(all);
            lengths.push(length);
        }
        let mut average = [1f32; FIELDS];
        for f in 0..FIELDS {
            if present[f] > 0 {
                average[f] = (totals[f] / present[f] as f64).max(1.0) as f32;
            }
        }
        Index {
            docs,
            postings,
            df,
            lengths,
            average,
            bigrams,
            texts: joined,
            params,
        }
    }

    /// The documents, in index order.
    pub fn docs(&self) -> &[DocText] {
        &self.docs
    }

    /// The scoring parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    fn idf(&self, g: Gram) -> f64 {
        let n = self.docs.len() as f64;
        let df = f64::from(self.df.get(&g).copied().unwrap_or(0));
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The weight of a task bigram for coverage: its idf when the list uses it;
    /// a pair the list never writes is either a word the list lacks or the seam
    /// between two words (`走访慰问` holds `访慰`), and its characters tell which:
    /// the mean idf of its two characters, high for a rare character and low for
    /// two common ones.
    fn coverage_idf(&self, g: Gram) -> f64 {
        if self.df.contains_key(&g) {
            return self.idf(g);
        }
        let a = char::from_u32(((g >> 21) & 0x1F_FFFF) as u32).map_or(0, unigram);
        let b = char::from_u32((g & 0x1F_FFFF) as u32).map_or(0, unigram);
        (self.idf(a) + self.idf(b)) / 2.0
    }

    /// The task prepared for scoring against this list.
    pub fn query(&self, task: &str, lexicon: &Lexicon) -> Query {
        Query::new(task, lexicon, &self.params)
    }

    /// Every document with a positive score, best first (ties in index order),
    /// with its coverage.
    pub fn rank(&self, query: &Query, lexicon: &Lexicon) -> Vec<Scored> {
        let p = &self.params;
        let mut scores = vec![0f64; self.docs.len()];
        let mut weighted_tf = vec![0f64; self.docs.len()];
        let mut touched: Vec<usize> = Vec::new();
        for &(g, weight) in &query.grams {
            let Some(postings) = self.postings.get(&g) else {
                continue;
            };
            let idf = self.idf(g);
            for &(d, field, tf) in postings {
                let d = d as usize;
                let f = field as usize;
                let norm = 1.0 - p.b + p.b * f64::from(self.lengths[d][f] / self.average[f]);
                if weighted_tf[d] == 0.0 {
                    touched.push(d);
                }
                weighted_tf[d] += p.field_weights[f] * f64::from(tf) / norm;
            }
            for d in touched.drain(..) {
                let t = weighted_tf[d];
                scores[d] += weight * idf * t * (p.k1 + 1.0) / (t + p.k1);
                weighted_tf[d] = 0.0;
            }
        }
        let department_verbs = &query.department_verbs;
        let mut out: Vec<Scored> = scores
            .into_iter()
            .enumerate()
            .filter(|(_, s)| *s > 0.0)
            .map(|(doc, score)| {
                let boosted = if department_verbs.is_empty() {
                    score
                } else {
                    // A task asking for a power ranks the duties naming that power higher.
                    let d = &self.docs[doc];
                    let own =
                        normalize(&format!("{}{}", d.name, d.method.as_deref().unwrap_or("")));
                    let has = lexicon
                        .verb_classes_in(&own, Some(VerbSide::Department))
                        .iter()
                        .any(|c| department_verbs.iter().any(|v| v == c));
                    if has {
                        score * (1.0 + p.verb_boost)
                    } else {
                        score
                    }
                };
                Scored {
                    doc,
                    score: boosted,
                    coverage: 0.0,
                }
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        // The best few are ranked again by how much of the task they account
        // for: of two duties sharing the task's words, the one sharing its
        // phrases (`参保登记`, `政策宣传`) is the task's.
        for s in out.iter_mut().take(COVERAGE_OF) {
            s.coverage = self.coverage(query, s.doc);
            s.score *= 1.0 + s.coverage;
        }
        let top = COVERAGE_OF.min(out.len());
        out[..top].sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        out
    }

    /// How much of the task document `doc` accounts for, 0–1: the mean of its
    /// word coverage ([`Index::bigram_coverage`]) and its phrase coverage
    /// ([`Index::phrase_coverage`]). Chosen on the labelled Wuqia set: either
    /// alone confused more listed and unlisted tasks.
    pub fn coverage(&self, query: &Query, doc: usize) -> f64 {
        (self.bigram_coverage(query, doc) + self.phrase_coverage(query, doc)) / 2.0
    }

    /// The weighted share of the task's three-character stretches that occur
    /// verbatim in document `doc`: shared phrases (`入户安全检查`), not only
    /// shared words, which a duty that merely uses the same common words lacks.
    pub fn phrase_coverage(&self, query: &Query, doc: usize) -> f64 {
        let chars = self.variant(query, doc);
        let (mut total, mut covered) = (0.0, 0.0);
        let mut buffer = String::new();
        for w in chars.windows(3) {
            if !w.iter().all(|c| is_word_char(*c)) {
                continue;
            }
            let weight = (self.coverage_idf(bigram(w[0], w[1]))
                + self.coverage_idf(bigram(w[1], w[2])))
                / 2.0;
            total += weight;
            buffer.clear();
            buffer.extend(w);
            if self.texts[doc].contains(buffer.as_str()) {
                covered += weight;
            }
        }
        if total == 0.0 { 0.0 } else { covered / total }
    }

    /// The task with each stretch that has a synonym in document `doc` written
    /// as the document writes it (`低保复核` → `最低生活保障复核`), so shared
    /// phrases count through abbreviations too.
    fn variant(&self, query: &Query, doc: usize) -> Vec<char> {
        let chars: Vec<char> = query.text.chars().collect();
        let has = |g: &Gram| self.bigrams[doc].binary_search(g).is_ok();
        let mut found: Vec<&Expansion> = query
            .expansions
            .iter()
            .filter(|e| !e.bigrams.is_empty() && e.bigrams.iter().all(has))
            .collect();
        found.sort_by_key(|e| (e.start, std::cmp::Reverse(e.end)));
        let mut out = Vec::with_capacity(chars.len());
        let mut at = 0;
        for e in found {
            if e.start < at {
                continue;
            }
            out.extend_from_slice(&chars[at..e.start]);
            out.extend(e.text.chars());
            at = e.end;
        }
        out.extend_from_slice(&chars[at..]);
        out
    }

    /// The weighted share of the task's bigrams document `doc` holds.
    pub fn bigram_coverage(&self, query: &Query, doc: usize) -> f64 {
        let has = |g: &Gram| self.bigrams[doc].binary_search(g).is_ok();
        let mut total = 0.0;
        let mut covered = 0.0;
        for &(g, weight, at) in &query.originals {
            let w = weight * self.coverage_idf(g);
            total += w;
            let credit = if has(&g) {
                1.0
            } else {
                query
                    .expansions
                    .iter()
                    .filter(|e| e.start <= at && at + 2 <= e.end)
                    .filter(|e| !e.bigrams.is_empty() && e.bigrams.iter().all(has))
                    .map(|e| e.weight)
                    .fold(0.0, f64::max)
            };
            covered += w * credit;
        }
        if total == 0.0 { 0.0 } else { covered / total }
    }

    /// The passages of document `doc` the task matches, best first: where in
    /// the passage, and how much.
    pub fn passages(&self, query: &Query, doc: usize) -> Vec<Passage> {
        let d = &self.docs[doc];
        let mut out = Vec::new();
        let mut add = |field: Field, index: usize, text: &str| {
            let chars: Vec<char> = normalize(text).chars().collect();
            let mut score = 0.0;
            let mut seen: HashSet<Gram> = HashSet::new();
            let mut marked = vec![false; chars.len()];
            for (g, at) in grams_at(&chars) {
                if !is_bigram(g) {
                    continue;
                }
                if let Some(w) = query.weight_of(g) {
                    marked[at] = true;
                    marked[at + 1] = true;
                    if seen.insert(g) {
                        score += w * self.idf(g);
                    }
                }
            }
            if score > 0.0 {
                out.push(Passage {
                    field,
                    index,
                    score,
                    highlights: runs(&marked),
                });
            }
        };
        add(Field::Name, 0, &d.name);
        for (i, t) in d.town.iter().enumerate() {
            add(Field::Town, i, t);
        }
        for (i, t) in d.department.iter().enumerate() {
            add(Field::Department, i, t);
        }
        if let Some(m) = &d.method {
            add(Field::Method, 0, m);
        }
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.field.cmp(&b.field))
                .then(a.index.cmp(&b.index))
        });
        out
    }
}

/// How many of the best documents get a coverage.
const COVERAGE_OF: usize = 10;

/// Runs of marked characters: (start, length).
fn runs(marked: &[bool]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, &m) in marked.iter().enumerate() {
        if !m {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.0 + last.1 == i => last.1 += 1,
            _ => out.push((i, 1)),
        }
    }
    out
}

fn fields_of(doc: &DocText) -> Vec<(Field, Vec<&str>)> {
    vec![
        (Field::Name, vec![doc.name.as_str()]),
        (Field::Town, doc.town.iter().map(String::as_str).collect()),
        (
            Field::Department,
            doc.department.iter().map(String::as_str).collect(),
        ),
        (
            Field::Method,
            doc.method.iter().map(String::as_str).collect(),
        ),
        (Field::Category, vec![doc.category.as_str()]),
    ]
}

/// A document's score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    /// The document's index.
    pub doc: usize,
    /// BM25F score (with the verb boost).
    pub score: f64,
    /// Coverage, for the best few documents; 0 for the rest.
    pub coverage: f64,
}

/// Where a task matched in a duty.
#[derive(Clone, Debug, PartialEq)]
pub struct Passage {
    /// The field.
    pub field: Field,
    /// The item's index within its column (0 for name and method).
    pub index: usize,
    /// The idf-weighted bigrams of the task it holds.
    pub score: f64,
    /// Matched stretches: (character offset, length).
    pub highlights: Vec<(usize, usize)>,
}

/// A synonym of a stretch of the task.
#[derive(Clone, Debug)]
pub struct Expansion {
    /// The stretch of the task it stands for, in characters.
    pub start: usize,
    /// End of the stretch (exclusive).
    pub end: usize,
    /// The synonym.
    pub text: String,
    /// The synonym's bigrams.
    pub bigrams: Vec<Gram>,
    /// Its group's weight.
    pub weight: f64,
}

/// A task prepared for scoring.
#[derive(Clone, Debug)]
pub struct Query {
    /// The task, normalised, noise removed.
    pub text: String,
    /// Every gram with its weight (the largest it has anywhere).
    pub grams: Vec<(Gram, f64)>,
    /// The task's own bigrams: gram, weight, character offset (first occurrence).
    pub originals: Vec<(Gram, f64, usize)>,
    /// Synonyms found for stretches of the task.
    pub expansions: Vec<Expansion>,
    /// Department-side verb classes the task uses.
    pub department_verbs: Vec<String>,
    weights: HashMap<Gram, f64>,
}

impl Query {
    /// Prepare `task` with `lexicon`.
    pub fn new(task: &str, lexicon: &Lexicon, params: &Params) -> Query {
        let mut text = DATES.replace_all(&normalize(task), " ").into_owned();
        for phrase in &lexicon.noise {
            if text.contains(phrase.as_str()) {
                text = text.replace(phrase.as_str(), " ");
            }
        }
        let chars: Vec<char> = text.chars().collect();
        let position_weight = position_weights(&chars, lexicon);
        let mut weights: HashMap<Gram, f64> = HashMap::new();
        let mut put = |g: Gram, w: f64| {
            let e = weights.entry(g).or_insert(0.0);
            *e = e.max(w);
        };
        let mut originals: Vec<(Gram, f64, usize)> = Vec::new();
        for (g, at) in grams_at(&chars) {
            if is_bigram(g) {
                let w = position_weight[at].min(position_weight[at + 1]);
                put(g, w);
                if !originals.iter().any(|o| o.0 == g) {
                    originals.push((g, w, at));
                }
            } else {
                put(g, params.unigram_weight * position_weight[at]);
            }
        }
        let expansions = if params.synonyms {
            expansions(&text, &chars, lexicon)
        } else {
            Vec::new()
        };
        for e in &expansions {
            let w = e.weight
                * position_weight[e.start..e.end]
                    .iter()
                    .copied()
                    .fold(1.0, f64::min);
            for &g in &e.bigrams {
                put(g, w);
            }
        }
        let department_verbs = lexicon
            .verb_classes_in(&text, Some(VerbSide::Department))
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut grams: Vec<(Gram, f64)> = weights.iter().map(|(g, w)| (*g, *w)).collect();
        grams.sort_by_key(|g| g.0);
        Query {
            text,
            grams,
            originals,
            expansions,
            department_verbs,
            weights,
        }
    }

    fn weight_of(&self, g: Gram) -> Option<f64> {
        self.weights.get(&g).copied()
    }
}

/// How much an action verb counts towards finding the duty: the verbs of a task
/// decide the side, its objects the duty (`燃气` and `入户` say which duty,
/// `检查` says little).
const VERB_WEIGHT: f64 = 0.4;

/// Dates and counts a notice adds (`2025年度`, `7月15日前`, `第五次`, `每月`):
/// never a duty's words.
static DATES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{4}\s*年度?|\d{1,2}\s*月(\s*\d{1,2}\s*日)?(前|底前|以前)?|第[一二三四五六七八九十\d]+次|[本每]?[年月周]底?前")
        .expect("valid regex")
});

/// The weight of each character of the task: 1, or less inside a common word
/// or an action verb.
fn position_weights(chars: &[char], lexicon: &Lexicon) -> Vec<f64> {
    let mut w = vec![1.0; chars.len()];
    let verbs = lexicon
        .verbs
        .iter()
        .flat_map(|v| v.words.iter())
        .map(|word| (word, VERB_WEIGHT));
    let common = lexicon.weights.iter().map(|(word, &weight)| (word, weight));
    for (word, weight) in verbs.chain(common) {
        let word: Vec<char> = word.chars().collect();
        for start in find_all(chars, &word) {
            for x in &mut w[start..start + word.len()] {
                *x = f64::min(*x, weight);
            }
        }
    }
    w
}

/// Every start of `needle` in `hay`.
fn find_all(hay: &[char], needle: &[char]) -> Vec<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return Vec::new();
    }
    (0..=hay.len() - needle.len())
        .filter(|&i| hay[i..].starts_with(needle))
        .collect()
}

/// Synonyms of the words of the task: each other word of a group one of whose
/// words occurs, unless the task has it already.
fn expansions(text: &str, chars: &[char], lexicon: &Lexicon) -> Vec<Expansion> {
    let mut out = Vec::new();
    for group in &lexicon.synonyms {
        for word in &group.words {
            if !text.contains(word.as_str()) {
                continue;
            }
            let needle: Vec<char> = word.chars().collect();
            for start in find_all(chars, &needle) {
                for other in group.words.iter().filter(|o| *o != word) {
                    if text.contains(other.as_str()) {
                        continue;
                    }
                    let alt: Vec<char> = other.chars().collect();
                    let bigrams = alt.windows(2).map(|p| bigram(p[0], p[1])).collect();
                    out.push(Expansion {
                        start,
                        end: start + needle.len(),
                        text: other.clone(),
                        bigrams,
                        weight: group.weight,
                    });
                }
            }
        }
    }
    out
}

/// Which column of a cooperative duty a task asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// What the town column (乡镇（街道）配合职责) says.
    Town,
    /// What the department column (上级部门职责) says: pushed down.
    Department,
}

/// The side of cooperative document `doc` a task asks for.
///
/// The town column is read item by item, and only its best-matching items
/// count ([`SIDE_ITEMS`]); within them a verb belongs to the town unless its
/// clause hands it to someone else (`报县应急管理局等部门审批`,
/// `有关执法部门执法时`). Then:
///
/// - a task using a department-side verb (审批, 许可, 处罚, …) asks for the
///   department's side when those items never give the town that power, or
///   when the department column matches the task better than they do;
/// - any other task asks for the department's side only when the department
///   column matches it far better ([`SIDE_RATIO`]) than the town column.
pub fn side(index: &Index, query: &Query, doc: usize, lexicon: &Lexicon) -> Side {
    let d = &index.docs[doc];
    let town = best_items(index, query, &d.town);
    let department = best_items(index, query, &d.department);
    let town_score = town.first().map_or(0.0, |t| t.0);
    let department_score = department.first().map_or(0.0, |t| t.0);
    if !query.department_verbs.is_empty() {
        let town_powers: Vec<&str> = town
            .iter()
            .flat_map(|(_, text)| own_verbs(text, lexicon))
            .collect();
        let lacks = query
            .department_verbs
            .iter()
            .any(|v| !town_powers.contains(&v.as_str()));
        if lacks || department_score > town_score {
            return Side::Department;
        }
        return Side::Town;
    }
    if department_score > SIDE_RATIO * town_score {
        Side::Department
    } else {
        Side::Town
    }
}

/// Town items read for their verbs.
pub const SIDE_ITEMS: usize = 2;

/// How much better the department column must match a task without a
/// department-side verb for the task to ask for the department's side.
pub const SIDE_RATIO: f64 = 2.0;

/// The best-matching items of a column: (score, normalised text), best first.
/// Scores count the task's verbs fully: here they say which side is asked.
fn best_items(index: &Index, query: &Query, items: &[String]) -> Vec<(f64, String)> {
    let mut scored: Vec<(f64, String)> = items
        .iter()
        .map(|t| {
            let text = normalize(t);
            let chars: Vec<char> = text.chars().collect();
            let grams: HashSet<Gram> = grams_at(&chars)
                .into_iter()
                .map(|(g, _)| g)
                .filter(|g| is_bigram(*g))
                .collect();
            let score = query
                .originals
                .iter()
                .filter(|(g, _, _)| grams.contains(g))
                .map(|&(g, _, _)| index.idf(g))
                .sum::<f64>();
            (score, text)
        })
        .filter(|(score, _)| *score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.truncate(SIDE_ITEMS);
    scored
}

/// The department-side verb classes a town item gives the town itself: those
/// whose clause does not hand them on (`报…审批`, `…部门执法时`).
fn own_verbs<'l>(text: &str, lexicon: &'l Lexicon) -> Vec<&'l str> {
    const HANDED_ON: &[&str] = &["报", "交", "部门", "县"];
    let mut out = Vec::new();
    for class in lexicon
        .verbs
        .iter()
        .filter(|v| v.side == VerbSide::Department)
    {
        let own = class.words.iter().any(|w| {
            text.match_indices(w.as_str()).any(|(at, _)| {
                // Normalised text has `,` and `;` for `，` and `；`.
                let clause_start = text[..at]
                    .char_indices()
                    .rfind(|(_, c)| matches!(c, ',' | ';' | '。'))
                    .map_or(0, |(i, c)| i + c.len_utf8());
                let clause = &text[clause_start..at];
                !HANDED_ON.iter().any(|h| clause.contains(h))
            })
        });
        if own {
            out.push(class.class.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str, town: &[&str], department: &[&str]) -> DocText {
        DocText {
            name: name.into(),
            category: "类别".into(),
            town: town.iter().map(|s| (*s).to_owned()).collect(),
            department: department.iter().map(|s| (*s).to_owned()).collect(),
            method: None,
            cooperative: !town.is_empty(),
        }
    }

    fn index() -> Index {
        Index::new(
            vec![
                doc("落实林长制", &[], &[]),
                doc(
                    "负责燃气安全知识宣传、隐患上报",
                    &[
                        "开展液化石油气和燃气使用安全宣传",
                        "会同燃气经营企业开展入户安全检查",
                    ],
                    &[
                        "依法实施气瓶充装许可",
                        "督促燃气经营企业定期入户排查安全隐患",
                    ],
                ),
                doc("组织义务植树活动", &[], &[]),
                doc(
                    "城乡最低生活保障对象的申请受理、调查审核和动态管理",
                    &[],
                    &[],
                ),
            ],
            Params::default(),
        )
    }

    #[test]
    fn the_duty_naming_the_tasks_words_ranks_first() {
        let lexicon = Lexicon::bundled();
        let idx = index();
        let q = idx.query("请各乡镇于本月底前完成瓶装液化气用户入户安全检查", lexicon);
        let ranked = idx.rank(&q, lexicon);
        assert_eq!(ranked[0].doc, 1);
        assert!(ranked[0].coverage > 0.3, "{ranked:?}");
    }

    #[test]
    fn abbreviations_match_their_full_form() {
        let lexicon = Lexicon::bundled();
        let idx = index();
        let q = idx.query("做好低保对象年度复核", lexicon);
        let ranked = idx.rank(&q, lexicon);
        assert_eq!(ranked[0].doc, 3);
        let without = Params {
            synonyms: false,
            ..Params::default()
        };
        let plain = Query::new("做好低保对象年度复核", lexicon, &without);
        assert!(idx.coverage(&plain, 3) < idx.coverage(&q, 3));
    }

    #[test]
    fn a_task_the_list_lacks_covers_little() {
        let lexicon = Lexicon::bundled();
        let idx = index();
        let q = idx.query("请各乡镇做好征兵体检和役前训练", lexicon);
        let ranked = idx.rank(&q, lexicon);
        assert!(
            ranked.first().is_none_or(|s| s.coverage < 0.3),
            "{ranked:?}"
        );
    }

    #[test]
    fn a_power_the_town_column_lacks_is_the_departments_side() {
        let lexicon = Lexicon::bundled();
        let idx = index();
        let license = idx.query("负责辖区液化石油气瓶充装许可", lexicon);
        assert_eq!(side(&idx, &license, 1, lexicon), Side::Department);
        let inspect = idx.query("会同燃气企业开展入户安全检查", lexicon);
        assert_eq!(side(&idx, &inspect, 1, lexicon), Side::Town);
    }

    #[test]
    fn passages_mark_the_matched_stretches() {
        let lexicon = Lexicon::bundled();
        let idx = index();
        let q = idx.query("入户安全检查", lexicon);
        let passages = idx.passages(&q, 1);
        let best = &passages[0];
        assert_eq!((best.field, best.index), (Field::Town, 1));
        assert_eq!(best.highlights, vec![(10, 6)]);
    }

    #[test]
    fn ranking_is_deterministic_with_ties_in_index_order() {
        let lexicon = Lexicon::bundled();
        let idx = Index::new(
            vec![doc("植树", &[], &[]), doc("植树", &[], &[])],
            Params::default(),
        );
        let q = idx.query("植树", lexicon);
        let ranked = idx.rank(&q, lexicon);
        assert_eq!(ranked.iter().map(|s| s.doc).collect::<Vec<_>>(), vec![0, 1]);
    }
}
