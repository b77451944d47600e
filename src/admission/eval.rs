//! Measuring admission checks against labelled tasks: a TOML file of tasks as
//! county notices phrase them, each with the duty it is (or none) and the
//! verdict a careful reader gives it. [`evaluate`] judges every task against
//! the list and reports top-1 and top-3 duty accuracy, verdict accuracy, the
//! confusion matrix, and the two costly errors: a listed task called
//! `NOT_LISTED` (a real duty sent to approval) and a `NOT_LISTED` task called
//! listed (work pushed down unchecked). `lvzhi admission-eval` prints it;
//! `tests/admission.rs` asserts floors on it.

use std::fmt;

use entity::DutyKind;
use serde::Deserialize;

use super::matcher::Params;
use super::{Checker, Lexicon, ListData, Prepared, VerdictKind};

/// A duty by table and 序号, as the file writes it: `basic 25`, `cooperative 32`,
/// `reclaimed 7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DutyRef {
    /// The table.
    pub kind: DutyKind,
    /// 序号.
    pub seq: i32,
}

impl DutyRef {
    fn parse(text: &str) -> Option<DutyRef> {
        let (kind, seq) = text.trim().split_once(' ')?;
        let kind = match kind {
            "basic" => DutyKind::Basic,
            "cooperative" => DutyKind::Cooperative,
            "reclaimed" => DutyKind::Reclaimed,
            _ => return None,
        };
        Some(DutyRef {
            kind,
            seq: seq.trim().parse().ok()?,
        })
    }
}

impl fmt::Display for DutyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            DutyKind::Basic => "basic",
            DutyKind::Cooperative => "cooperative",
            DutyKind::Reclaimed => "reclaimed",
        };
        write!(f, "{kind} {}", self.seq)
    }
}

/// One labelled task.
#[derive(Clone, Debug)]
pub struct Case {
    /// The task as a notice words it.
    pub task: String,
    /// The duty it is, or none for `NOT_LISTED`.
    pub duty: Option<DutyRef>,
    /// Other duties that cover it as well (rare; counted as right).
    pub also: Vec<DutyRef>,
    /// The right verdict.
    pub verdict: VerdictKind,
}

/// A labelled set: the list it is for, and its cases.
#[derive(Clone, Debug)]
pub struct EvalSet {
    /// The town of the list.
    pub town: String,
    /// The county of the list.
    pub county: String,
    /// The cases, in file order.
    pub cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    town: String,
    county: String,
    #[serde(rename = "case")]
    cases: Vec<CaseEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseEntry {
    task: String,
    duty: Option<String>,
    #[serde(default)]
    also: Vec<String>,
    verdict: String,
    #[allow(dead_code)]
    note: Option<String>,
}

impl EvalSet {
    /// Parse and check a labelled set; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<EvalSet, String> {
        let file: File = toml::from_str(text).map_err(|e| format!("{source}: {e}"))?;
        let mut cases = Vec::with_capacity(file.cases.len());
        for (i, c) in file.cases.into_iter().enumerate() {
            let at = format!("{source}: case {} (`{}`)", i + 1, c.task);
            let verdict = VerdictKind::parse(&c.verdict)
                .ok_or_else(|| format!("{at}: unknown verdict `{}`", c.verdict))?;
            let duty_ref = |t: &str| {
                DutyRef::parse(t)
                    .ok_or_else(|| format!("{at}: `{t}` is not `basic|cooperative|reclaimed N`"))
            };
            let duty = c.duty.as_deref().map(duty_ref).transpose()?;
            let also = c
                .also
                .iter()
                .map(|t| duty_ref(t))
                .collect::<Result<_, _>>()?;
            let expected_kind = match verdict {
                VerdictKind::Basic => Some(DutyKind::Basic),
                VerdictKind::CooperativeTownSide | VerdictKind::CooperativeDepartmentSide => {
                    Some(DutyKind::Cooperative)
                }
                VerdictKind::Reclaimed => Some(DutyKind::Reclaimed),
                VerdictKind::NotListed => None,
            };
            if duty.map(|d| d.kind) != expected_kind {
                return Err(format!(
                    "{at}: verdict {} needs {}",
                    verdict.code(),
                    expected_kind.map_or("no duty".to_owned(), |k| format!("a {k:?} duty"))
                ));
            }
            cases.push(Case {
                task: c.task,
                duty,
                also,
                verdict,
            });
        }
        Ok(EvalSet {
            town: file.town,
            county: file.county,
            cases,
        })
    }
}

/// One judged case.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The case's index.
    pub case: usize,
    /// The verdict given.
    pub verdict: VerdictKind,
    /// The duties ranked first, second and third.
    pub ranked: Vec<DutyRef>,
    /// Coverage of the best duty.
    pub coverage: f64,
}

/// What an evaluation found.
#[derive(Clone, Debug)]
pub struct Report {
    /// The set.
    pub set: EvalSet,
    /// One outcome per case.
    pub outcomes: Vec<Outcome>,
}

impl Report {
    fn right_duty(case: &Case, found: Option<&DutyRef>) -> bool {
        found.is_some_and(|f| case.duty.as_ref() == Some(f) || case.also.contains(f))
    }

    /// Cases with a duty.
    fn listed(&self) -> impl Iterator<Item = (&Case, &Outcome)> {
        self.set
            .cases
            .iter()
            .zip(&self.outcomes)
            .filter(|(c, _)| c.duty.is_some())
    }

    /// Share of listed cases whose duty ranks first.
    pub fn top1(&self) -> f64 {
        ratio(
            self.listed()
                .filter(|(c, o)| Self::right_duty(c, o.ranked.first()))
                .count(),
            self.listed().count(),
        )
    }

    /// Share of listed cases whose duty is among the first three.
    pub fn top3(&self) -> f64 {
        ratio(
            self.listed()
                .filter(|(c, o)| {
                    o.ranked
                        .iter()
                        .take(3)
                        .any(|r| Self::right_duty(c, Some(r)))
                })
                .count(),
            self.listed().count(),
        )
    }

    /// Share of cases with the right verdict.
    pub fn verdict_accuracy(&self) -> f64 {
        ratio(
            self.set
                .cases
                .iter()
                .zip(&self.outcomes)
                .filter(|(c, o)| c.verdict == o.verdict)
                .count(),
            self.set.cases.len(),
        )
    }

    /// `matrix[expected][given]`, in [`VerdictKind::ALL`] order.
    pub fn confusion(&self) -> [[usize; 5]; 5] {
        let at = |v: VerdictKind| VerdictKind::ALL.iter().position(|x| *x == v).unwrap_or(0);
        let mut m = [[0; 5]; 5];
        for (c, o) in self.set.cases.iter().zip(&self.outcomes) {
            m[at(c.verdict)][at(o.verdict)] += 1;
        }
        m
    }

    /// Of the tasks called `NOT_LISTED`, the share that truly are.
    pub fn not_listed_precision(&self) -> f64 {
        let m = self.confusion();
        ratio(m[4][4], (0..5).map(|r| m[r][4]).sum())
    }

    /// Of the tasks truly `NOT_LISTED`, the share called so.
    pub fn not_listed_recall(&self) -> f64 {
        let m = self.confusion();
        ratio(m[4][4], m[4].iter().sum())
    }

    /// Listed tasks called `NOT_LISTED`: real duties sent to approval.
    pub fn false_not_listed(&self) -> usize {
        let m = self.confusion();
        (0..4).map(|r| m[r][4]).sum()
    }

    /// `NOT_LISTED` tasks called listed: work pushed down unchecked.
    pub fn false_listed(&self) -> usize {
        let m = self.confusion();
        (0..4).map(|c| m[4][c]).sum()
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 1.0 } else { n as f64 / d as f64 }
}

/// Judge every case of `set` against `data`.
pub fn evaluate(data: &ListData, set: &EvalSet, lexicon: &Lexicon, params: Params) -> Report {
    let prepared = Prepared::new(data.clone(), params);
    let checker = Checker::new(&prepared, lexicon);
    let outcomes = set
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let v = checker.judge(&c.task, None);
            Outcome {
                case: i,
                verdict: v.kind,
                ranked: v
                    .matches
                    .iter()
                    .map(|m| DutyRef {
                        kind: m.duty.kind,
                        seq: m.duty.seq,
                    })
                    .collect(),
                coverage: v.matches.first().map_or(0.0, |m| m.coverage),
            }
        })
        .collect();
    Report {
        set: set.clone(),
        outcomes,
    }
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let listed = self.listed().count();
        writeln!(
            f,
            "{}{}: {} tasks ({} listed, {} not listed)",
            self.set.county,
            self.set.town,
            self.set.cases.len(),
            listed,
            self.set.cases.len() - listed
        )?;
        writeln!(f, "top-1 duty accuracy      {}", pct(self.top1()))?;
        writeln!(f, "top-3 duty accuracy      {}", pct(self.top3()))?;
        writeln!(
            f,
            "verdict accuracy         {}",
            pct(self.verdict_accuracy())
        )?;
        writeln!(
            f,
            "NOT_LISTED precision     {}   recall {}",
            pct(self.not_listed_precision()),
            pct(self.not_listed_recall())
        )?;
        writeln!(
            f,
            "false NOT_LISTED         {}   (a listed task sent to admission approval)",
            self.false_not_listed()
        )?;
        writeln!(
            f,
            "false listed             {}   (a task in no table accepted as listed)",
            self.false_listed()
        )?;
        writeln!(f, "\nconfusion (rows: expected, columns: given)")?;
        let short = ["BASIC", "COOP_TOWN", "COOP_DEPT", "RECLAIMED", "NOT_LISTED"];
        write!(f, "{:>12}", "")?;
        for s in short {
            write!(f, "{s:>12}")?;
        }
        writeln!(f)?;
        for (r, row) in self.confusion().iter().enumerate() {
            write!(f, "{:>12}", short[r])?;
            for n in row {
                write!(f, "{n:>12}")?;
            }
            writeln!(f)?;
        }
        let wrong: Vec<_> = self
            .set
            .cases
            .iter()
            .zip(&self.outcomes)
            .filter(|(c, o)| {
                c.verdict != o.verdict
                    || (c.duty.is_some() && !Self::right_duty(c, o.ranked.first()))
            })
            .collect();
        if !wrong.is_empty() {
            writeln!(f, "\nmisjudged ({}):", wrong.len())?;
            for (c, o) in wrong {
                let expected = c.duty.map_or("-".to_owned(), |d| d.to_string());
                let got = o.ranked.first().map_or("-".to_owned(), |d| d.to_string());
                writeln!(
                    f,
                    "  [{} {} | got {} {} cov {:.2}] {}",
                    c.verdict.code(),
                    expected,
                    o.verdict.code(),
                    got,
                    o.coverage,
                    c.task
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_checked_as_it_is_read() {
        let ok = "town = \"乌恰镇\"\ncounty = \"乌恰县\"\n[[case]]\ntask = \"低保复核\"\nduty = \"basic 48\"\nverdict = \"BASIC\"\n";
        let set = EvalSet::parse(ok, "t").unwrap();
        assert_eq!(
            set.cases[0].duty,
            Some(DutyRef {
                kind: DutyKind::Basic,
                seq: 48
            })
        );
        let bad = ok.replace("basic 48", "cooperative 48");
        assert!(
            EvalSet::parse(&bad, "t")
                .unwrap_err()
                .contains("needs a Basic duty")
        );
        let bad = ok.replace("BASIC", "MAYBE");
        assert!(
            EvalSet::parse(&bad, "t")
                .unwrap_err()
                .contains("unknown verdict")
        );
    }
}
