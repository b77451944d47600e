//! `lvzhi-generate`: synthetic duty lists of many towns, for testing and
//! benchmarking at the scale of a province rather than one town.
//!
//! Everything is derived from the bundled Wuqia list ([`lvzhi::import::BUNDLED_LIST`])
//! and its registry entry ([`lvzhi::import::registry::BUNDLED`]):
//!
//! - **Counties** get a real region and prefecture (mostly autonomous prefectures)
//!   and a generated name; 10–20 towns each. Their department registry is Wuqia's
//!   with the county's own prefix, some departments absent (a county without a
//!   史志办 has no duties naming it), some renamed as other counties name them
//!   (`卫生健康局` for `卫生健康委员会`, `消防救援大队`, …) and some extra aliases,
//!   so `县住建局` resolves to a different department in every county, as it does
//!   in real registries.
//! - **Towns** (`镇` or `乡`, whose documents say `本乡`, `乡政府`) get a subset of
//!   the county's duties renumbered 1, 2, 3…, neighbours of the same category
//!   sometimes swapped, items of a cooperative duty sometimes dropped or swapped
//!   within their heading (so every item keeps its department), a county's own
//!   wording (`督导` for `督促`, …), a month from 2024-03 to 2025-12, cells in
//!   the layouts the real document mixes, and a preamble whose counts, category
//!   lists and department counts are those of the tables, so every document
//!   reconciles exactly.
//!
//! [`generate`] is pure: it returns the files, and the `lvzhi-generate` binary writes them.
//! The same seed gives the same files; a town depends only on the seed, its
//! number and its county, so a larger run starts with the towns of a smaller one.

mod names;
mod render;
mod rng;

use std::collections::{BTreeSet, HashMap};

use entity::DutyKind;
use regex::Regex;
use serde::Deserialize;

use lvzhi::import::cell::Piece;
use lvzhi::import::document::parse_document;
use lvzhi::import::registry::BUNDLED;
use lvzhi::import::{BUNDLED_LIST, Registry, resolve};

use names::{Names, PREFECTURES, PROFILES, Prefecture, TownKind};
use render::{LAYOUTS, Layout, NUMBERINGS, Numbering, render_checked};
use rng::Rng;

/// The seed `lvzhi-generate` uses unless `--seed` is given.
pub const DEFAULT_SEED: u64 = 20_250_701;

/// The most towns one run generates: file names carry a four-digit number.
pub const MAX_TOWNS: usize = 9_999;

/// The registry's file name in the output directory.
pub const REGISTRY_FILE: &str = "departments.toml";

/// The short form of the template's prefecture (克孜勒苏柯尔克孜自治州), as its text writes it.
const TEMPLATE_PREFECTURE_SHORT: &str = "克州";

/// One file to write, named relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name, e.g. `0001-青川县白沙镇.txt`.
    pub name: String,
    /// Its content.
    pub contents: String,
}

/// One generated town's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedList {
    /// The document.
    pub file: GeneratedFile,
    /// Province-level region.
    pub region: String,
    /// The prefecture the county belongs to, in full.
    pub prefecture: String,
    /// The generated county's name (`青川县`).
    pub county: String,
    /// The town's name without its county (`白沙镇`).
    pub town: String,
    /// `YYYY-MM`.
    pub published_on: String,
    /// Duties per table: basic, cooperative, reclaimed.
    pub duties: [usize; 3],
}

/// A generated data set.
#[derive(Clone, Debug)]
pub struct Generated {
    /// `departments.toml`: the bundled registry verbatim, then every generated county.
    pub registry: GeneratedFile,
    /// One list per town, in town order.
    pub lists: Vec<GeneratedList>,
    /// How many counties the towns belong to.
    pub counties: usize,
}

impl Generated {
    /// Every file: the registry first, then the lists.
    pub fn files(&self) -> impl Iterator<Item = &GeneratedFile> {
        std::iter::once(&self.registry).chain(self.lists.iter().map(|l| &l.file))
    }
}

/// Why nothing was generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// More towns than file names allow.
    #[error("the number of towns must be from 0 to {MAX_TOWNS}, not {0}")]
    TooManyTowns(usize),
    /// The bundled list or registry does not serve as a template (a bug in lvzhi).
    #[error("the bundled list cannot serve as a template: {0}")]
    Template(String),
}

// ---------------------------------------------------------------------------
// Variation tables.

/// Departments a county may lack, with words that mark a duty as involving them
/// (a duty that names one anywhere is not in the lists of a county without it).
const OPTIONAL: &[(&str, &[&str])] = &[
    ("乌恰县委巡察办", &["巡察办"]),
    ("乌恰县红十字会", &["红十字会"]),
    ("乌恰县总工会", &["总工会"]),
    ("乌恰县气象局", &["气象局"]),
    ("乌恰县融媒体中心", &["融媒体"]),
    ("乌恰县史志办", &["史志办"]),
    ("乌恰县委社会工作部", &["社会工作部", "社工部"]),
];

/// How another county names one of Wuqia's departments: text replacements (applied
/// to the registry and to every document of the county), its short form and
/// extra aliases.
struct Variant {
    text: &'static [(&'static str, &'static str)],
    short: &'static str,
    aliases: &'static [&'static str],
}

/// A Wuqia department (canonical name) and the ways other counties name it.
struct Rename {
    department: &'static str,
    variants: &'static [Variant],
}

const RENAMES: &[Rename] = &[
    Rename {
        department: "乌恰县商务科技和工业信息化局",
        variants: &[
            Variant {
                text: &[
                    ("商务科技和工业信息化局", "工业和信息化局"),
                    ("商信局", "工信局"),
                ],
                short: "县工信局",
                aliases: &[],
            },
            Variant {
                text: &[
                    ("商务科技和工业信息化局", "科学技术和工业信息化局"),
                    ("商信局", "科工局"),
                ],
                short: "县科工局",
                aliases: &["县工信局"],
            },
        ],
    },
    Rename {
        department: "乌恰县文化体育广播电视和旅游局",
        variants: &[
            Variant {
                text: &[
                    ("文化体育广播电视台和旅游局", "文化和旅游局"),
                    ("文化体育广播电视和旅游局", "文化和旅游局"),
                ],
                short: "县文旅局",
                aliases: &[],
            },
            Variant {
                text: &[
                    ("文化体育广播电视台和旅游局", "文化体育和旅游局"),
                    ("文化体育广播电视和旅游局", "文化体育和旅游局"),
                    ("文旅局", "文体旅局"),
                ],
                short: "县文体旅局",
                aliases: &["县文旅局"],
            },
        ],
    },
    Rename {
        department: "乌恰县卫生健康委员会",
        variants: &[Variant {
            text: &[("卫生健康委员会", "卫生健康局"), ("卫健委", "卫健局")],
            short: "县卫健局",
            aliases: &[],
        }],
    },
    Rename {
        department: "乌恰县发展和改革委员会",
        variants: &[Variant {
            text: &[("发展和改革委员会", "发展和改革局"), ("发改委", "发改局")],
            short: "县发改局",
            aliases: &[],
        }],
    },
    Rename {
        department: "乌恰县消防救援局",
        variants: &[Variant {
            text: &[("消防救援局", "消防救援大队")],
            short: "县消防救援大队",
            aliases: &["县消防大队"],
        }],
    },
    Rename {
        department: "乌恰县市场监督管理局",
        variants: &[Variant {
            text: &[],
            short: "县市场监管局",
            aliases: &["县市监局"],
        }],
    },
    Rename {
        department: "乌恰县应急管理局",
        variants: &[Variant {
            text: &[],
            short: "县应急局",
            aliases: &["县应急管理局"],
        }],
    },
];

/// Aliases some counties' registries add (forms their staff use).
const EXTRA_ALIASES: &[(&str, &str)] = &[
    ("乌恰县住房和城乡建设局", "县建设局"),
    ("乌恰县人力资源和社会保障局", "县人力资源社会保障局"),
    ("乌恰县农业农村局", "县农业局"),
    ("乌恰县自然资源局", "县自然资源和规划局"),
];

/// A county's own wording: a few of these replace their first word throughout
/// its documents. Terms that could touch a department name are never used
/// (checked against the registry, see [`usable_terms`]).
const TERMS: &[(&str, &str)] = &[
    ("督促", "督导"),
    ("摸排", "摸底排查"),
    ("上报", "报送"),
    ("做好", "抓好"),
    ("加强", "强化"),
    ("按时", "按期"),
    ("辖区内", "辖区范围内"),
    ("工作人员", "干部职工"),
    ("及时", "第一时间"),
    ("组织开展", "开展"),
    ("监督检查", "监督核查"),
    ("相关", "有关"),
    ("台账", "工作台账"),
    ("收集", "搜集"),
    ("协助", "协同"),
];

// ---------------------------------------------------------------------------
// The template: the bundled list, parsed and resolved once.

#[derive(Deserialize)]
struct RegistryFile {
    county: Vec<RegistryCounty>,
}

#[derive(Deserialize)]
struct RegistryCounty {
    region: String,
    #[serde(default)]
    prefecture: String,
    name: String,
    department: Vec<RegistryDepartment>,
}

#[derive(Clone, Deserialize)]
struct RegistryDepartment {
    name: String,
    short: String,
    #[serde(default)]
    aliases: Vec<String>,
}

/// A duty of the template, as parsed.
#[derive(Clone, Debug)]
struct Duty {
    kind: DutyKind,
    category: String,
    name: String,
    /// Counterpart or receiving departments, as written.
    departments: Vec<String>,
    /// The same, as indices into the template's departments.
    department_ids: Vec<usize>,
    department_cell: Vec<Piece>,
    town_cell: Vec<Piece>,
    /// The cooperative row's department and town cells as published, kept in case
    /// a rewritten cell would not read back the same.
    raw_cells: Option<(String, String)>,
    working_method: Option<String>,
    /// The [`OPTIONAL`] departments the duty involves.
    needs: Vec<usize>,
}

struct Template {
    region: String,
    prefecture: String,
    county: String,
    town: String,
    departments: Vec<RegistryDepartment>,
    duties: Vec<Duty>,
}

impl Template {
    fn load() -> Result<Self, GenerateError> {
        let bad = |e: String| GenerateError::Template(e);
        let registry = Registry::bundled().map_err(|e| bad(e.to_string()))?;
        let document = parse_document(BUNDLED_LIST).map_err(|e| bad(format!("{e:?}")))?;
        let county = registry
            .county(&document.region, &document.prefecture, &document.county)
            .ok_or_else(|| bad(format!("no registry entry for {}", document.county)))?;
        let day = document
            .published_on
            .parse()
            .map_err(|e: lvzhi::date::InvalidDate| bad(e.to_string()))?;
        let resolved =
            resolve::resolve(document.clone(), county, day).map_err(|e| bad(e.to_string()))?;
        let file: RegistryFile = toml::from_str(BUNDLED).map_err(|e| bad(e.to_string()))?;
        let entry = file
            .county
            .into_iter()
            .find(|c| {
                c.region == document.region
                    && c.prefecture == document.prefecture
                    && c.name == document.county
            })
            .ok_or_else(|| bad(format!("no registry entry for {}", document.county)))?;
        let lines: Vec<&str> = BUNDLED_LIST
            .strip_prefix('\u{feff}')
            .unwrap_or(BUNDLED_LIST)
            .lines()
            .collect();
        let optional_ids: Vec<Option<usize>> = OPTIONAL
            .iter()
            .map(|(name, _)| entry.department.iter().position(|d| d.name == *name))
            .collect();
        let mut duties = Vec::with_capacity(document.duties.len());
        for (raw, res) in document.duties.iter().zip(&resolved.duties) {
            let line = lines.get(raw.line - 1).copied().unwrap_or_default();
            let cells: Vec<&str> = line.split('\t').collect();
            let needs = if raw.kind == DutyKind::Basic {
                Vec::new()
            } else {
                (0..OPTIONAL.len())
                    .filter(|&o| {
                        OPTIONAL[o].1.iter().any(|w| line.contains(w))
                            || optional_ids[o].is_some_and(|id| res.departments.contains(&id))
                    })
                    .collect()
            };
            duties.push(Duty {
                kind: raw.kind,
                category: raw.category.clone(),
                name: raw.name.clone(),
                departments: raw.departments.clone(),
                department_ids: res.departments.clone(),
                department_cell: raw.department_cell.clone(),
                town_cell: raw.town_cell.clone(),
                raw_cells: (raw.kind == DutyKind::Cooperative && cells.len() >= 6)
                    .then(|| (cells[4].to_owned(), cells[5].to_owned())),
                working_method: raw.working_method.clone(),
                needs,
            });
        }
        Ok(Template {
            region: document.region,
            prefecture: document.prefecture,
            county: document.county,
            town: document.town,
            departments: entry.department,
            duties,
        })
    }

    /// Every name a department of the template goes by.
    fn department_forms(&self) -> Vec<String> {
        self.departments
            .iter()
            .flat_map(|d| {
                [d.name.clone(), d.short.clone()]
                    .into_iter()
                    .chain(d.aliases.iter().cloned())
            })
            .collect()
    }
}

/// Whether two words share text: one contains the other, or one ends with the
/// start of the other (so a replacement of one could cut into the other).
fn overlaps(a: &str, b: &str) -> bool {
    if a.contains(b) || b.contains(a) {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    (1..a.len().min(b.len())).any(|k| a[a.len() - k..] == b[..k] || b[b.len() - k..] == a[..k])
}

/// The [`TERMS`] that touch no department name, place name or renamed word, so
/// replacing them can never change which department an item names.
fn usable_terms(template: &Template) -> Vec<(&'static str, &'static str)> {
    let mut protected = template.department_forms();
    protected.extend(
        [
            &template.region,
            &template.prefecture,
            &template.county,
            &template.town,
        ]
        .into_iter()
        .cloned(),
    );
    protected.push(TEMPLATE_PREFECTURE_SHORT.to_owned());
    for rename in RENAMES {
        for variant in rename.variants {
            protected.extend(variant.text.iter().map(|(from, _)| (*from).to_owned()));
        }
    }
    TERMS
        .iter()
        .copied()
        .filter(|(from, _)| !protected.iter().any(|p| overlaps(from, p)))
        .collect()
}

// ---------------------------------------------------------------------------
// Counties.

struct CountyPlan {
    prefecture: Prefecture,
    name: String,
    /// Per [`OPTIONAL`] department: whether the county lacks it.
    lacks: Vec<bool>,
    /// Per [`RENAMES`] entry: the variant the county uses, if any.
    variants: Vec<Option<usize>>,
    /// Per [`EXTRA_ALIASES`] entry: whether the county's registry has it.
    extra: Vec<bool>,
    /// The county's wording: indices into the usable terms.
    terms: Vec<usize>,
    /// Its towns: name and kind.
    towns: Vec<(String, TownKind)>,
}

impl CountyPlan {
    fn draw(rng: &mut Rng, names: &mut Names, terms: usize) -> Self {
        let prefecture = *rng.pick(PREFECTURES);
        let name = names.draw(rng, "县");
        let lacks = OPTIONAL.iter().map(|_| rng.chance(0.2)).collect();
        let variants = RENAMES
            .iter()
            .map(|r| rng.chance(0.4).then(|| rng.below(r.variants.len())))
            .collect();
        let extra = EXTRA_ALIASES.iter().map(|_| rng.chance(0.4)).collect();
        let mut chosen: Vec<usize> = (0..terms).collect();
        rng.shuffle(&mut chosen);
        chosen.truncate(rng.range(2, 6).min(terms));
        chosen.sort_unstable();
        let size = rng.range(10, 20);
        let towns = (0..size)
            .map(|i| {
                // The first town is the county seat, a town (镇).
                let kind = if i > 0 && rng.chance(0.3) {
                    TownKind::Township
                } else {
                    TownKind::Town
                };
                (names.draw(rng, kind.suffix()), kind)
            })
            .collect();
        CountyPlan {
            prefecture,
            name,
            lacks,
            variants,
            extra,
            terms: chosen,
            towns,
        }
    }

    fn variant(&self, department: &str) -> Option<&'static Variant> {
        RENAMES
            .iter()
            .zip(&self.variants)
            .find(|(r, _)| r.department == department)
            .and_then(|(r, v)| v.map(|v| &r.variants[v]))
    }
}

/// A county's rewriting of the template's text: place names, renamed departments
/// and its own wording, in one pass (so no replacement is replaced again).
struct Rewriter {
    pattern: Option<Regex>,
    replacements: HashMap<String, String>,
}

impl Rewriter {
    fn new(template: &Template, plan: &CountyPlan, terms: &[(&str, &str)]) -> Self {
        let mut pairs: Vec<(String, String)> = vec![
            (template.county.clone(), plan.name.clone()),
            (template.prefecture.clone(), plan.prefecture.name.to_owned()),
            (
                TEMPLATE_PREFECTURE_SHORT.to_owned(),
                plan.prefecture.short.to_owned(),
            ),
            (template.region.clone(), plan.prefecture.region.to_owned()),
            // The preamble, which names the town, is written anew; anywhere else the
            // town is this town.
            (template.town.clone(), "本镇".to_owned()),
        ];
        if plan.prefecture.region != template.region {
            // Wording only a list from Xinjiang has.
            pairs.push(("关于新疆工作的".to_owned(), String::new()));
            pairs.push((
                "完整准确全面贯彻新时代党的治疆方略，".to_owned(),
                String::new(),
            ));
        }
        for (rename, variant) in RENAMES.iter().zip(&plan.variants) {
            if let Some(v) = variant {
                for (from, to) in rename.variants[*v].text {
                    pairs.push(((*from).to_owned(), (*to).to_owned()));
                }
            }
        }
        for &t in &plan.terms {
            if let Some((from, to)) = terms.get(t) {
                pairs.push(((*from).to_owned(), (*to).to_owned()));
            }
        }
        // Longer words first: the regex takes the first alternative that matches.
        pairs.sort_by(|a, b| {
            b.0.chars()
                .count()
                .cmp(&a.0.chars().count())
                .then(a.0.cmp(&b.0))
        });
        pairs.dedup_by(|a, b| a.0 == b.0);
        let alternation = pairs
            .iter()
            .map(|(from, _)| regex::escape(from))
            .collect::<Vec<_>>()
            .join("|");
        Rewriter {
            // Escaped literals always compile; were it ever refused, the text would
            // stay as it is rather than the generator fail.
            pattern: Regex::new(&alternation).ok(),
            replacements: pairs.into_iter().collect(),
        }
    }

    fn apply(&self, text: &str) -> String {
        let Some(pattern) = &self.pattern else {
            return text.to_owned();
        };
        pattern
            .replace_all(text, |caps: &regex::Captures<'_>| {
                self.replacements
                    .get(&caps[0])
                    .cloned()
                    .unwrap_or_else(|| caps[0].to_owned())
            })
            .into_owned()
    }
}

/// `镇` → `乡` in a township's text, except in words that keep it
/// (`乡镇`, `城镇`, `集镇`, `建制镇`, `乡（镇）`).
fn township(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let keep = matches!(prev, Some('乡' | '城' | '集' | '制' | '（' | '('))
                || matches!(next, Some('（' | '(' | '）' | ')'));
            if c == '镇' && !keep { '乡' } else { c }
        })
        .collect()
}

/// The department entry of the county for a template department.
fn county_department(
    plan: &CountyPlan,
    rewriter: &Rewriter,
    department: &RegistryDepartment,
) -> RegistryDepartment {
    let variant = plan.variant(&department.name);
    let name = rewriter.apply(&department.name);
    let short = variant.map_or_else(|| rewriter.apply(&department.short), |v| v.short.to_owned());
    let mut aliases: Vec<String> = Vec::new();
    let candidates = department
        .aliases
        .iter()
        .map(|a| rewriter.apply(a))
        .chain(variant.map(|_| rewriter.apply(&department.short)))
        .chain(
            variant
                .into_iter()
                .flat_map(|v| v.aliases.iter().map(|a| (*a).to_owned())),
        )
        .chain(
            EXTRA_ALIASES
                .iter()
                .zip(&plan.extra)
                .filter(|((d, _), on)| **on && *d == department.name)
                .map(|((_, alias), _)| (*alias).to_owned()),
        );
    for alias in candidates {
        if alias != name && alias != short && !aliases.contains(&alias) {
            aliases.push(alias);
        }
    }
    RegistryDepartment {
        name,
        short,
        aliases,
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn registry_entry(plan: &CountyPlan, departments: &[RegistryDepartment]) -> String {
    let mut out = String::new();
    out.push_str("\n[[county]]\n");
    out.push_str(&format!(
        "region = {}\n",
        toml_string(plan.prefecture.region)
    ));
    out.push_str(&format!(
        "prefecture = {}\n",
        toml_string(plan.prefecture.name)
    ));
    out.push_str(&format!("name = {}\n", toml_string(&plan.name)));
    for d in departments {
        out.push_str("\n  [[county.department]]\n");
        out.push_str(&format!("  name = {}\n", toml_string(&d.name)));
        out.push_str(&format!("  short = {}\n", toml_string(&d.short)));
        if !d.aliases.is_empty() {
            let aliases: Vec<String> = d.aliases.iter().map(|a| toml_string(a)).collect();
            out.push_str(&format!("  aliases = [{}]\n", aliases.join(", ")));
        }
    }
    out
}

/// A county's duties: the template's, minus those involving departments it lacks,
/// in its wording. Townships get their own copy on first use.
struct CountyDuties<'t> {
    template: &'t Template,
    rewriter: Rewriter,
    kept: Vec<usize>,
    town: Option<Vec<Duty>>,
    township: Option<Vec<Duty>>,
}

impl<'t> CountyDuties<'t> {
    fn new(template: &'t Template, plan: &CountyPlan, rewriter: Rewriter) -> Self {
        let kept = (0..template.duties.len())
            .filter(|&i| !template.duties[i].needs.iter().any(|&o| plan.lacks[o]))
            .collect();
        CountyDuties {
            template,
            rewriter,
            kept,
            town: None,
            township: None,
        }
    }

    fn duties(&mut self, kind: TownKind) -> &[Duty] {
        let slot = match kind {
            TownKind::Town => &mut self.town,
            TownKind::Township => &mut self.township,
        };
        if slot.is_none() {
            let rewrite = |text: &str| {
                let text = self.rewriter.apply(text);
                match kind {
                    TownKind::Town => text,
                    TownKind::Township => township(&text),
                }
            };
            let pieces = |cell: &[Piece]| -> Vec<Piece> {
                cell.iter()
                    .map(|p| match p {
                        Piece::Section(t) => Piece::Section(rewrite(t)),
                        Piece::Heading(names) => {
                            Piece::Heading(names.iter().map(|n| rewrite(n)).collect())
                        }
                        Piece::Item(t) => Piece::Item(rewrite(t)),
                    })
                    .collect()
            };
            let duties = self
                .kept
                .iter()
                .map(|&i| {
                    let d = &self.template.duties[i];
                    Duty {
                        kind: d.kind,
                        category: d.category.clone(),
                        name: rewrite(&d.name),
                        departments: d.departments.iter().map(|n| rewrite(n)).collect(),
                        department_ids: d.department_ids.clone(),
                        department_cell: pieces(&d.department_cell),
                        town_cell: pieces(&d.town_cell),
                        raw_cells: d
                            .raw_cells
                            .as_ref()
                            .map(|(dep, town)| (rewrite(dep), rewrite(town))),
                        working_method: d.working_method.as_deref().map(rewrite),
                        needs: Vec::new(),
                    }
                })
                .collect();
            *slot = Some(duties);
        }
        slot.as_deref().unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------
// Towns.

struct Town<'a> {
    number: usize,
    county: &'a CountyPlan,
    name: &'a str,
    kind: TownKind,
    /// The county seat (its first town).
    seat: bool,
}

/// Drop and swap items of one cell: within each run of consecutive items (a run
/// ends at a section or heading, so every item keeps the department it had), drop
/// one of three or more now and then, and swap two neighbours now and then.
fn vary_items(cell: &[Piece], rng: &mut Rng) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(cell.len());
    let mut run: Vec<Piece> = Vec::new();
    let flush = |run: &mut Vec<Piece>, out: &mut Vec<Piece>, rng: &mut Rng| {
        if run.len() >= 3 && rng.chance(0.2) {
            run.remove(rng.below(run.len()));
        }
        if run.len() >= 2 && rng.chance(0.15) {
            let i = rng.below(run.len() - 1);
            run.swap(i, i + 1);
        }
        out.append(run);
    };
    for piece in cell {
        match piece {
            Piece::Item(_) => run.push(piece.clone()),
            _ => {
                flush(&mut run, &mut out, rng);
                out.push(piece.clone());
            }
        }
    }
    flush(&mut run, &mut out, rng);
    out
}

/// Escape what the importer would read as markup inside a cell.
fn cell_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The categories of some duties, in order of first appearance.
fn categories<'d>(duties: &[&'d Duty]) -> Vec<&'d str> {
    let mut seen = Vec::new();
    for d in duties {
        if !seen.contains(&d.category.as_str()) {
            seen.push(d.category.as_str());
        }
    }
    seen
}

/// One table of a town's list: its kind and duties, in order.
type Table<'d> = (DutyKind, Vec<&'d Duty>);

/// A town's list: which duties, its preamble, then the document.
fn town_list(town: &Town<'_>, all: &[Duty], seed: u64) -> GeneratedList {
    let mut rng = Rng::derive(seed, town.number as u64);
    let county = town.county;
    let full_town = format!("{}{}", county.name, town.name);
    let tables = choose_tables(all, &mut rng);
    let ((year, month), preamble) = preamble(town, &tables, &mut rng);
    let mut out = String::with_capacity(64 * 1024);
    write_front(
        &mut out,
        town,
        &full_town,
        (year, month),
        &preamble,
        &tables,
        &mut rng,
    );
    write_tables(&mut out, &tables, &mut rng);
    GeneratedList {
        file: GeneratedFile {
            name: format!("{:04}-{full_town}.txt", town.number),
            contents: out,
        },
        region: county.prefecture.region.to_owned(),
        prefecture: county.prefecture.name.to_owned(),
        county: county.name.clone(),
        town: town.name.to_owned(),
        published_on: format!("{year}-{month:02}"),
        duties: [tables[0].1.len(), tables[1].1.len(), tables[2].1.len()],
    }
}

/// Which duties, in which order: per table, a drop rate of up to 8, 10 or 15 %,
/// and neighbours of the same category now and then swapped.
fn choose_tables<'d>(all: &'d [Duty], rng: &mut Rng) -> Vec<Table<'d>> {
    let mut tables = Vec::new();
    for (kind, max_drop) in [
        (DutyKind::Basic, 8),
        (DutyKind::Cooperative, 10),
        (DutyKind::Reclaimed, 15),
    ] {
        let of_kind: Vec<&Duty> = all.iter().filter(|d| d.kind == kind).collect();
        let drop = rng.range(0, max_drop) as f64 / 100.0;
        let mut kept: Vec<&Duty> = of_kind
            .iter()
            .copied()
            .filter(|_| !rng.chance(drop))
            .collect();
        if kept.is_empty()
            && let Some(first) = of_kind.first()
        {
            kept.push(first);
        }
        for i in 1..kept.len() {
            if kept[i - 1].category == kept[i].category && rng.chance(0.08) {
                kept.swap(i - 1, i);
            }
        }
        tables.push((kind, kept));
    }
    tables
}

/// The month (year, month) and the preamble's paragraphs: the town's figures, how
/// the list was made, and per table its categories and counts.
fn preamble(town: &Town<'_>, tables: &[Table<'_>], rng: &mut Rng) -> ((usize, usize), Vec<String>) {
    let county = town.county;
    let unit = town.kind.suffix();
    let counts: Vec<usize> = tables.iter().map(|(_, d)| d.len()).collect();
    let total: usize = counts.iter().sum();
    let month_index = 2024 * 12 + 2 + rng.range(0, 21);
    let published = (month_index / 12, month_index % 12 + 1);
    let profile = rng.pick(PROFILES);
    let area = rng.range(150, 30_000) as f64 / 10.0;
    let registered = rng.range(30, 400) as f64 / 100.0;
    let resident = registered * rng.range(80, 160) as f64 / 100.0;
    let villages = rng.range(3, 24);
    let income = rng.range(90, 450) as f64 / 100.0;
    let seat = if town.seat {
        format!("{}城所在地，", county.name)
    } else {
        String::new()
    };
    let villages_word = match town.kind {
        TownKind::Town if town.seat => "社区",
        _ => "行政村",
    };
    let mut preamble = vec![
        "一、基本情况".to_owned(),
        format!(
            "{}是{profile}，{seat}区域面积 {area:.1} 平方公里。全{unit}户籍人口 {registered:.2} 万人、常住人口 {resident:.2} 万人，下辖 {villages} 个{villages_word}。全{unit}人均可支配收入 {income:.2} 万元。",
            town.name
        ),
        "二、编制过程".to_owned(),
        format!(
            "乡镇（街道）履职事项清单工作开展以来，{name}按照乡镇主体、自下而上、稳慎推进的工作思路，分三个阶段完成清单编制工作。第一阶段，全覆盖、无遗漏梳理工作事项。第二阶段，逐项整合凝练、流程再造，经县委编委初审后，形成履职事项清单初稿。第三阶段，通过“三上三下”征求意见，逐级审核把关，形成{name}履职事项清单。共有履职事项 {total} 项，其中，基本履职事项 {b} 项、配合履职事项 {c} 项、上级部门收回事项 {r} 项。",
            name = town.name,
            b = counts[0],
            c = counts[1],
            r = counts[2],
        ),
        "三、清单内容".to_owned(),
    ];
    for (kind, duties) in tables {
        preamble.push(table_paragraph(*kind, duties, unit, rng));
    }
    (published, preamble)
}

/// The preamble's paragraph for one table: its categories, duties and (but for
/// basic duties) departments, counted from the table itself.
fn table_paragraph(kind: DutyKind, duties: &[&Duty], unit: &str, rng: &mut Rng) -> String {
    let cats = categories(duties);
    let list = cats.join("、");
    let n = cats.len();
    let count = duties.len();
    let departments: BTreeSet<usize> = duties
        .iter()
        .flat_map(|d| d.department_ids.iter().copied())
        .collect();
    let includes = if rng.chance(0.5) {
        "主要包括"
    } else {
        "包括"
    };
    match kind {
        DutyKind::Basic => format!(
            "基本履职事项清单是本{unit}必须为、负全责的事项。{includes}{list} {n} 个类别，共有基本履职事项 {count} 项。"
        ),
        DutyKind::Cooperative => format!(
            "配合履职事项清单是上级部门为主负责、本{unit}为辅配合的履职事项。{includes}{list} {n} 个类别，共有配合履职事项 {count} 项，涉及 {} 个部门（单位）。",
            departments.len()
        ),
        DutyKind::Reclaimed => format!(
            "上级部门收回事项清单是与本{unit}工作没有直接关联的事项，专业性技术强、经评估本{unit}无力承接的事项，以及长期未实际履行的事项。{includes}{list} {n} 个类别，共有上级部门收回事项 {count} 项，涉及 {} 个部门（单位）。",
            departments.len()
        ),
    }
}

/// The document up to the tables: title, month, preamble and table of contents.
fn write_front(
    out: &mut String,
    town: &Town<'_>,
    full_town: &str,
    (year, month): (usize, usize),
    preamble: &[String],
    tables: &[Table<'_>],
    rng: &mut Rng,
) {
    let prefecture = town.county.prefecture;
    let space = if rng.chance(0.7) { " " } else { "" };
    out.push_str(&format!(
        "\n{}{}{space}{full_town}履职事项清单\n\n",
        prefecture.region, prefecture.name
    ));
    out.push_str(&if rng.chance(0.8) {
        format!("{year} 年 {month} 月\n\n")
    } else {
        format!("{year}年{month}月\n\n")
    });
    out.push_str("说 明\n\n");
    for paragraph in preamble {
        out.push_str(paragraph);
        out.push_str("\n\n");
    }
    let page_of = |rows: usize| rows / 12 + 1;
    let coop_page = page_of(tables[0].1.len()) + 1;
    let reclaimed_page = coop_page + tables[1].1.len() / 5 + 1;
    out.push_str(&format!(
        "目 录\n\n1. 基本履职事项清单\t1\n2. 配合履职事项清单\t{coop_page}\n3. 上级部门收回事项清单\t{reclaimed_page}\n\n"
    ));
}

/// How one document writes its cells: the usual layout and numbering, and the
/// colon after `承接部门` and `工作方式`.
#[derive(Clone, Copy)]
struct Style {
    layout: Layout,
    numbering: Numbering,
    colon: &'static str,
}

/// The three tables, each under its title, the header repeated every 8–14 rows.
fn write_tables(out: &mut String, tables: &[Table<'_>], rng: &mut Rng) {
    let style = Style {
        layout: *rng.pick(&LAYOUTS),
        numbering: *rng.pick(&NUMBERINGS),
        colon: if rng.chance(0.5) { ": " } else { "：" },
    };
    for (kind, duties) in tables {
        let mut header = kind.header().join("\t");
        if *kind == DutyKind::Cooperative && rng.chance(0.3) {
            header = header.replace("乡镇（街道）", "乡镇(街道)");
        }
        let page = rng.range(8, 14);
        out.push_str(kind.table_title());
        out.push_str("\n\n");
        for (i, duty) in duties.iter().enumerate() {
            if i % page == 0 {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str(&header);
                out.push('\n');
            }
            write_row(out, *kind, i + 1, duty, style, rng);
        }
        out.push('\n');
    }
}

/// One row of a table.
fn write_row(
    out: &mut String,
    kind: DutyKind,
    seq: usize,
    duty: &Duty,
    style: Style,
    rng: &mut Rng,
) {
    let category = cell_text(&duty.category);
    let name = cell_text(&duty.name);
    match kind {
        DutyKind::Basic => out.push_str(&format!("{seq}\t{category}\t{name}\n")),
        DutyKind::Cooperative => {
            let departments = cell_text(&duty.departments.join("、"));
            let (dep, town_side) = cooperative_cells(duty, style, rng);
            out.push_str(&format!(
                "{seq}\t{category}\t{name}\t{departments}\t{dep}\t{town_side}\n"
            ));
        }
        DutyKind::Reclaimed => {
            let departments = cell_text(&duty.departments.join("、"));
            let method = cell_text(duty.working_method.as_deref().unwrap_or_default());
            let colon = style.colon;
            out.push_str(&format!(
                "{seq}\t{category}\t{name}\t承接部门{colon}{departments} 工作方式{colon}{method}\n"
            ));
        }
    }
}

/// A cooperative duty's department and town cells, items varied, each now and
/// then in another layout (as real documents mix them); the published cells
/// when a rewritten one would not read back the same.
fn cooperative_cells(duty: &Duty, style: Style, rng: &mut Rng) -> (String, String) {
    let mut cell_style = || {
        if rng.chance(0.2) {
            (*rng.pick(&LAYOUTS), *rng.pick(&NUMBERINGS))
        } else {
            (style.layout, style.numbering)
        }
    };
    let (dl, dn) = cell_style();
    let (tl, tn) = cell_style();
    let department_cell = vary_items(&duty.department_cell, rng);
    let town_cell = vary_items(&duty.town_cell, rng);
    let written = render_checked(&department_cell, dl, dn, true)
        .zip(render_checked(&town_cell, tl, tn, false));
    match (written, &duty.raw_cells) {
        (Some(cells), _) => cells,
        (None, Some(raw)) => raw.clone(),
        (None, None) => (
            render::render(&duty.department_cell, Layout::List, Numbering::Dot),
            render::render(&duty.town_cell, Layout::List, Numbering::Dot),
        ),
    }
}

/// Generate `towns` towns' lists and their registry from `seed`.
pub fn generate(towns: usize, seed: u64) -> Result<Generated, GenerateError> {
    if towns > MAX_TOWNS {
        return Err(GenerateError::TooManyTowns(towns));
    }
    let template = Template::load()?;
    let terms = usable_terms(&template);
    let mut rng = Rng::new(seed);
    let mut names = Names::new(&[template.county.as_str(), template.town.as_str()]);
    let mut plans: Vec<CountyPlan> = Vec::new();
    let mut planned = 0;
    while planned < towns {
        let mut plan = CountyPlan::draw(&mut rng, &mut names, terms.len());
        plan.towns.truncate(towns - planned);
        planned += plan.towns.len();
        plans.push(plan);
    }

    let mut registry = String::with_capacity(BUNDLED.len() + plans.len() * 4096);
    registry.push_str(&format!(
        "# Generated by `lvzhi-generate --towns {towns} --seed {seed}`: the bundled registry\n# (乌恰县, verbatim), then {} generated counties.\n\n",
        plans.len()
    ));
    registry.push_str(BUNDLED);
    let mut lists = Vec::with_capacity(towns);
    let mut number = 0;
    for plan in &plans {
        let rewriter = Rewriter::new(&template, plan, &terms);
        let departments: Vec<RegistryDepartment> = template
            .departments
            .iter()
            .filter(|d| {
                !OPTIONAL
                    .iter()
                    .zip(&plan.lacks)
                    .any(|((name, _), lacks)| *lacks && d.name == *name)
            })
            .map(|d| county_department(plan, &rewriter, d))
            .collect();
        registry.push_str(&registry_entry(plan, &departments));
        let mut duties = CountyDuties::new(&template, plan, rewriter);
        for (i, (name, kind)) in plan.towns.iter().enumerate() {
            number += 1;
            let town = Town {
                number,
                county: plan,
                name,
                kind: *kind,
                seat: i == 0,
            };
            lists.push(town_list(&town, duties.duties(*kind), seed));
        }
    }
    // The registry is checked as the importer will read it: a generator bug shows
    // here, not as a failed import later.
    Registry::parse(&registry, REGISTRY_FILE)
        .map_err(|e| GenerateError::Template(e.to_string()))?;
    Ok(Generated {
        registry: GeneratedFile {
            name: REGISTRY_FILE.to_owned(),
            contents: registry,
        },
        lists,
        counties: plans.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_that_touch_a_department_name_are_not_used() {
        let template = Template::load().unwrap();
        let terms = usable_terms(&template);
        assert!(terms.len() >= 8, "{terms:?}");
        // `协助` would cut into `县政协`.
        assert!(!terms.iter().any(|(from, _)| *from == "协助"));
        assert!(overlaps("协助", "县政协"));
        assert!(!overlaps("督促", "县住建局"));
    }

    #[test]
    fn townships_say_xiang_but_keep_words_with_zhen() {
        assert_eq!(
            township("本镇负责，上报镇政府；乡镇、城镇、集镇、建制镇、乡（镇）级"),
            "本乡负责，上报乡政府；乡镇、城镇、集镇、建制镇、乡（镇）级"
        );
    }

    #[test]
    fn every_template_cell_reads_back_in_every_layout() {
        // The fallbacks exist for safety; the template itself should never need them.
        let template = Template::load().unwrap();
        let mut fallbacks = Vec::new();
        for d in template
            .duties
            .iter()
            .filter(|d| d.kind == DutyKind::Cooperative)
        {
            for layout in LAYOUTS {
                for numbering in NUMBERINGS {
                    for (cell, headings) in [(&d.department_cell, true), (&d.town_cell, false)] {
                        let written = render::render(cell, layout, numbering);
                        if lvzhi::import::cell::parse_cell(&written, headings) != *cell {
                            fallbacks.push(format!("{} {layout:?} {numbering:?}", d.name));
                        }
                    }
                }
            }
        }
        assert!(fallbacks.len() <= 8, "{fallbacks:#?}");
    }

    #[test]
    fn a_rewriter_replaces_each_word_once() {
        let template = Template::load().unwrap();
        let terms = usable_terms(&template);
        let mut names = Names::new(&[]);
        let mut plan = CountyPlan::draw(&mut Rng::new(1), &mut names, terms.len());
        plan.variants = RENAMES.iter().map(|_| Some(0)).collect();
        plan.terms = terms
            .iter()
            .position(|t| t.0 == "摸排")
            .into_iter()
            .collect();
        let r = Rewriter::new(&template, &plan, &terms);
        assert_eq!(
            r.apply("乌恰县卫生健康委员会摸排，报克州生态环境局乌恰县分局"),
            format!(
                "{c}卫生健康局摸底排查，报{p}生态环境局{c}分局",
                c = plan.name,
                p = plan.prefecture.short
            )
        );
    }
}
