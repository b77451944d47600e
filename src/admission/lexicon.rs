//! The admission lexicon (`seeds/admission-lexicon.toml`): notice boilerplate to
//! drop, words that count less, synonyms and abbreviations, and action verbs
//! with the side that may perform them. County staff edit the file; it is read
//! and checked once (at start-up for the server), and every problem is reported
//! with the entry it is in.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::search::normalize;

/// The lexicon bundled with lvzhi.
pub const BUNDLED: &str = include_str!("../../seeds/admission-lexicon.toml");

/// Who may do what a verb says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VerbSide {
    /// A power only a county department holds: approve, license, penalise.
    Department,
    /// What a town's column says it does: publicise, survey, report, assist.
    Town,
}

/// Words meaning the same thing, or nearly.
#[derive(Clone, Debug, PartialEq)]
pub struct Synonyms {
    /// The words, normalised.
    pub words: Vec<String>,
    /// How much a match through this group counts, in (0, 1].
    pub weight: f64,
}

/// One class of action verbs.
#[derive(Clone, Debug, PartialEq)]
pub struct VerbClass {
    /// The class's name, e.g. `处罚`.
    pub class: String,
    /// Who may do it.
    pub side: VerbSide,
    /// Its words, normalised, longest first.
    pub words: Vec<String>,
}

/// A checked lexicon; every word normalised as [`normalize`] does.
#[derive(Clone, Debug, PartialEq)]
pub struct Lexicon {
    /// Phrases removed from a task, longest first.
    pub noise: Vec<String>,
    /// Words that count less, and their weight.
    pub weights: HashMap<String, f64>,
    /// Synonym groups.
    pub synonyms: Vec<Synonyms>,
    /// Verb classes.
    pub verbs: Vec<VerbClass>,
}

/// Why a lexicon file was refused.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct LexiconError {
    source_name: String,
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    noise: Noise,
    #[serde(default)]
    weights: HashMap<String, f64>,
    #[serde(default)]
    synonyms: Vec<SynonymEntry>,
    #[serde(default)]
    verbs: Vec<VerbEntry>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Noise {
    #[serde(default)]
    phrases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymEntry {
    words: Vec<String>,
    weight: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerbEntry {
    class: String,
    side: String,
    words: Vec<String>,
}

impl Lexicon {
    /// The bundled lexicon, parsed once (a test keeps it valid).
    pub fn bundled() -> &'static Lexicon {
        static BUNDLED_LEXICON: OnceLock<Lexicon> = OnceLock::new();
        BUNDLED_LEXICON.get_or_init(|| {
            Lexicon::parse(BUNDLED, "seeds/admission-lexicon.toml").unwrap_or_else(|e| {
                // Unreachable while the bundled-file test passes; an empty lexicon
                // still answers, only less well.
                tracing::error!(error = %e, "the bundled admission lexicon is invalid");
                Lexicon::empty()
            })
        })
    }

    /// A lexicon with no entries.
    pub fn empty() -> Lexicon {
        Lexicon {
            noise: Vec::new(),
            weights: HashMap::new(),
            synonyms: Vec::new(),
            verbs: Vec::new(),
        }
    }

    /// The lexicon in `path`.
    pub fn load(path: &std::path::Path) -> Result<Lexicon, LexiconError> {
        let text = std::fs::read_to_string(path).map_err(|e| LexiconError {
            source_name: path.display().to_string(),
            message: format!("cannot read it: {e}"),
        })?;
        Lexicon::parse(&text, &path.display().to_string())
    }

    /// Parse and check a lexicon file; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Lexicon, LexiconError> {
        let fail = |message: String| LexiconError {
            source_name: source_name.to_owned(),
            message,
        };
        let file: File = toml::from_str(text).map_err(|e| fail(e.to_string().trim().to_owned()))?;
        let word = |w: &str, what: &str| -> Result<String, LexiconError> {
            let n = normalize(w.trim());
            if n.is_empty() {
                return Err(fail(format!("{what} has an empty word")));
            }
            Ok(n)
        };
        let mut noise = Vec::new();
        for p in &file.noise.phrases {
            noise.push(word(p, "[noise]")?);
        }
        noise.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
        noise.dedup();
        let mut weights = HashMap::new();
        for (w, &weight) in &file.weights {
            if !(0.0..=1.0).contains(&weight) {
                return Err(fail(format!(
                    "[weights] `{w}` = {weight}: a weight is from 0 to 1"
                )));
            }
            weights.insert(word(w, "[weights]")?, weight);
        }
        let synonyms = file
            .synonyms
            .iter()
            .enumerate()
            .map(|(i, s)| synonyms(s, i + 1, &word).map_err(fail))
            .collect::<Result<Vec<_>, _>>()?;
        let verbs = verb_classes(&file.verbs, &word).map_err(fail)?;
        Ok(Lexicon {
            noise,
            weights,
            synonyms,
            verbs,
        })
    }

    /// The classes of `side` whose words occur in `text` (normalised), by name.
    pub fn verb_classes_in(&self, text: &str, side: Option<VerbSide>) -> Vec<&str> {
        self.verbs
            .iter()
            .filter(|v| side.is_none_or(|s| s == v.side))
            .filter(|v| v.words.iter().any(|w| text.contains(w.as_str())))
            .map(|v| v.class.as_str())
            .collect()
    }
}

fn synonyms(
    entry: &SynonymEntry,
    n: usize,
    word: &impl Fn(&str, &str) -> Result<String, LexiconError>,
) -> Result<Synonyms, String> {
    let what = format!("[[synonyms]] number {n}");
    let mut words = Vec::new();
    for w in &entry.words {
        let w = word(w, &what).map_err(|e| e.message)?;
        if words.contains(&w) {
            return Err(format!("{what} repeats `{w}`"));
        }
        words.push(w);
    }
    if words.len() < 2 {
        return Err(format!("{what} needs at least two words"));
    }
    let weight = entry.weight.unwrap_or(1.0);
    if !(weight > 0.0 && weight <= 1.0) {
        return Err(format!(
            "{what} (`{}`): weight {weight} is not in (0, 1]",
            words[0]
        ));
    }
    Ok(Synonyms { words, weight })
}

fn verb_classes(
    entries: &[VerbEntry],
    word: &impl Fn(&str, &str) -> Result<String, LexiconError>,
) -> Result<Vec<VerbClass>, String> {
    let mut classes: Vec<VerbClass> = Vec::new();
    for entry in entries {
        let what = format!("[[verbs]] `{}`", entry.class);
        if entry.class.trim().is_empty() {
            return Err("a [[verbs]] entry has an empty class".into());
        }
        if classes.iter().any(|c| c.class == entry.class.trim()) {
            return Err(format!("{what} is defined twice"));
        }
        let side = match entry.side.as_str() {
            "department" => VerbSide::Department,
            "town" => VerbSide::Town,
            other => {
                return Err(format!(
                    "{what}: side `{other}` is neither \"department\" nor \"town\""
                ));
            }
        };
        let mut words = entry
            .words
            .iter()
            .map(|w| word(w, &what).map_err(|e| e.message))
            .collect::<Result<Vec<_>, _>>()?;
        if words.is_empty() {
            return Err(format!("{what} has no words"));
        }
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        classes.push(VerbClass {
            class: entry.class.trim().to_owned(),
            side,
            words,
        });
    }
    Ok(classes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_lexicon_is_valid() {
        let lexicon = Lexicon::parse(BUNDLED, "bundled").expect("valid");
        assert!(lexicon.synonyms.len() > 50);
        assert!(lexicon.verbs.iter().any(|v| v.side == VerbSide::Department));
        assert_eq!(Lexicon::bundled(), &lexicon);
    }

    #[test]
    fn words_are_normalised_like_the_index() {
        let lexicon = Lexicon::parse("[noise]\nphrases = [\"请各乡镇（街道）\"]", "t").unwrap();
        assert_eq!(lexicon.noise, vec!["请各乡镇(街道)".to_owned()]);
    }

    #[test]
    fn a_bad_entry_is_refused_with_where_it_is() {
        let e = Lexicon::parse("[[synonyms]]\nwords = [\"火灾\"]", "x.toml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.toml: [[synonyms]] number 1 needs at least two words"
        );
        let e = Lexicon::parse(
            "[[verbs]]\nclass = \"审批\"\nside = \"county\"\nwords = [\"审批\"]",
            "x.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("side `county`"), "{e}");
        let e = Lexicon::parse("[weights]\n\"工作\" = 2.0", "x.toml").unwrap_err();
        assert!(e.to_string().contains("from 0 to 1"), "{e}");
        let e =
            Lexicon::parse("[[synonyms]]\nwords = [\"a\", \"b\"]\nweight = 0", "x").unwrap_err();
        assert!(e.to_string().contains("not in (0, 1]"), "{e}");
        assert!(Lexicon::parse("[unknown]\nx = 1", "x").is_err());
    }

    #[test]
    fn verb_classes_are_found_by_side() {
        let lexicon = Lexicon::bundled();
        let text = normalize("对违法行为依法予以处罚，并做好宣传");
        assert_eq!(
            lexicon.verb_classes_in(&text, Some(VerbSide::Department)),
            vec!["处罚"]
        );
        assert_eq!(
            lexicon.verb_classes_in(&text, Some(VerbSide::Town)),
            vec!["宣传"]
        );
    }
}
