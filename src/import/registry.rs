//! The department alias registry (`seeds/departments.toml`): canonical names and the
//! short forms documents use, per county, and the successions (机构改革) that
//! renamed, merged or split departments on a given date.

use std::collections::HashMap;

use serde::Deserialize;

use super::ImportError;
use super::text::fold;

/// The registry bundled with lvzhi.
pub const BUNDLED: &str = include_str!("../../seeds/departments.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    county: Vec<CountyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountyEntry {
    region: String,
    #[serde(default)]
    prefecture: String,
    name: String,
    department: Vec<DepartmentEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepartmentEntry {
    name: String,
    short: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    succeeds: Vec<SucceedsEntry>,
}

/// `[[county.department.succeeds]]`: a predecessor of the department above it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SucceedsEntry {
    name: String,
    // A value, not a string: reviewers write `on = 2025-10-01` as often as
    // `on = "2025-10-01"`, and TOML reads the first as a date.
    on: toml::Value,
    #[serde(default)]
    share: Option<String>,
}

/// A department as the registry defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepartmentDef {
    /// Canonical full name.
    pub name: String,
    /// Short form.
    pub short_name: String,
    /// Every other name it resolves from (short form, aliases and their prefix
    /// variants), sorted, without the canonical name.
    pub aliases: Vec<String>,
}

pub use crate::date::{Date, InvalidDate};

pub use entity::department_succession::SuccessionKind;

/// The kind of a link whose old department has `successors` successors and whose
/// new department has `predecessors` predecessors (on the same day).
pub fn succession_kind(successors: usize, predecessors: usize) -> SuccessionKind {
    match (successors > 1, predecessors > 1) {
        (false, false) => SuccessionKind::Renamed,
        (false, true) => SuccessionKind::Merged,
        (true, false) => SuccessionKind::Split,
        (true, true) => SuccessionKind::Reorganised,
    }
}

/// One department succeeding another from a date on (`succeeds` in the registry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Succession {
    /// The old department (index into [`CountyRegistry::departments`]).
    pub predecessor: usize,
    /// The new department (index into [`CountyRegistry::departments`]).
    pub successor: usize,
    /// The day it took effect: documents of that day or later use the successor.
    pub on: Date,
    /// For a split: which part of the old department's remit the successor took.
    pub share: Option<String>,
    /// Rename, merge, split or both, from all the links of that day.
    pub kind: SuccessionKind,
}

/// The department a name denotes on a given day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Exactly one department: the named one, or its successor after a rename or merge.
    Department(usize),
    /// The named department was split: any of these (sorted) may be meant, and
    /// the document does not say which.
    Split(Vec<usize>),
}

/// How one department changed between two days, by canonical names: what a
/// diff of two editions needs to report a renamed department as renamed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    /// The department the earlier edition names.
    pub old: String,
    /// The department(s) the later edition names instead, in registry order.
    pub new: Vec<String>,
    /// Renamed, merged, split or reorganised, over the whole interval.
    pub kind: SuccessionKind,
}

/// The departments of one county and the names they resolve from.
#[derive(Clone, Debug)]
pub struct CountyRegistry {
    /// Province-level region.
    pub region: String,
    /// Prefecture; empty where there is none.
    pub prefecture: String,
    /// County name.
    pub name: String,
    /// The departments, in registry order.
    pub departments: Vec<DepartmentDef>,
    /// Folded name → index into `departments`.
    lookup: HashMap<String, usize>,
    /// By date, then registry order.
    successions: Vec<Succession>,
}

/// All counties' registries.
#[derive(Clone, Debug)]
pub struct Registry {
    counties: Vec<CountyRegistry>,
}

impl Registry {
    /// The registry bundled with lvzhi.
    pub fn bundled() -> Result<Self, ImportError> {
        Self::parse(BUNDLED, "seeds/departments.toml")
    }

    /// The registry in `path`, or the bundled one when there is no path.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, ImportError> {
        match path {
            None => Self::bundled(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ImportError::Registry(format!("cannot read {}: {e}", path.display()))
                })?;
                Self::parse(&text, &path.display().to_string())
            }
        }
    }

    /// Parse a registry file; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self, ImportError> {
        let file: File = toml::from_str(text)
            .map_err(|e| ImportError::Registry(format!("{source}: {}", e.to_string().trim())))?;
        let mut counties: Vec<CountyRegistry> = Vec::new();
        for entry in file.county {
            if counties.iter().any(|c| {
                c.region == entry.region && c.prefecture == entry.prefecture && c.name == entry.name
            }) {
                return Err(ImportError::Registry(format!(
                    "{source}: county {} is defined twice",
                    entry.name
                )));
            }
            counties.push(CountyRegistry::build(entry, source)?);
        }
        Ok(Registry { counties })
    }

    /// The registry of a county, if the registry has it.
    pub fn county(&self, region: &str, prefecture: &str, name: &str) -> Option<&CountyRegistry> {
        self.counties
            .iter()
            .find(|c| c.region == region && c.prefecture == prefecture && c.name == name)
    }

    /// The county a document names, in full or by a shorter form: a title such as
    /// `乌恰县乌恰镇履职事项清单` names no region, and the registry supplies it. An
    /// empty `region` or `prefecture` matches any; a name several counties share is
    /// [`ImportError::AmbiguousCounty`].
    pub fn find_county(
        &self,
        region: &str,
        prefecture: &str,
        name: &str,
    ) -> Result<&CountyRegistry, ImportError> {
        let full = |c: &CountyRegistry| format!("{}{}{}", c.region, c.prefecture, c.name);
        if !region.is_empty() {
            return self
                .county(region, prefecture, name)
                .ok_or_else(|| ImportError::UnknownCounty(format!("{region}{prefecture}{name}")));
        }
        let found: Vec<&CountyRegistry> = self
            .counties
            .iter()
            .filter(|c| c.name == name && (prefecture.is_empty() || c.prefecture == prefecture))
            .collect();
        match found.as_slice() {
            [] => Err(ImportError::UnknownCounty(format!("{prefecture}{name}"))),
            [county] => Ok(county),
            several => Err(ImportError::AmbiguousCounty {
                name: format!("{prefecture}{name}"),
                candidates: several.iter().map(|c| full(c)).collect(),
            }),
        }
    }
}

impl Registry {
    /// The county's registry (by region, prefecture and name), to add to.
    pub fn county_mut(
        &mut self,
        region: &str,
        prefecture: &str,
        name: &str,
    ) -> Option<&mut CountyRegistry> {
        self.counties
            .iter_mut()
            .find(|c| c.region == region && c.prefecture == prefecture && c.name == name)
    }
}

impl CountyRegistry {
    /// Add what the database holds and the registry file lacks — departments
    /// and successions that published reform requests made — so a document
    /// naming a new department, or an old name after its reform, resolves as
    /// the database does. `successions` index `departments`. A department is
    /// known by its canonical name; it answers to its short form and aliases
    /// where no department of the registry does; the file's own definitions win.
    pub fn add_stored(&mut self, departments: &[DepartmentDef], successions: &[Succession]) {
        let index: Vec<usize> = departments.iter().map(|d| self.index_of(d)).collect();
        for s in successions {
            let (predecessor, successor) = (index[s.predecessor], index[s.successor]);
            let known = self
                .successions
                .iter()
                .any(|k| k.predecessor == predecessor && k.successor == successor);
            if !known {
                self.successions.push(Succession {
                    predecessor,
                    successor,
                    ..s.clone()
                });
            }
        }
        self.successions.sort_by_key(|s| s.on);
    }

    /// The index of `def` among the registry's departments, added when missing.
    fn index_of(&mut self, def: &DepartmentDef) -> usize {
        if let Some(found) = self.departments.iter().position(|d| d.name == def.name) {
            return found;
        }
        let index = self.departments.len();
        self.departments.push(def.clone());
        let names = std::iter::once(&def.name)
            .chain(std::iter::once(&def.short_name))
            .chain(&def.aliases);
        for name in names {
            self.lookup.entry(fold(name)).or_insert(index);
        }
        index
    }

    fn build(entry: CountyEntry, source: &str) -> Result<Self, ImportError> {
        let lookup = names(&entry, source)?;
        let departments = definitions(&entry, &lookup);
        let successions = successions(&entry, &lookup, source)?;
        Ok(CountyRegistry {
            region: entry.region,
            prefecture: entry.prefecture,
            name: entry.name,
            departments,
            lookup,
            successions,
        })
    }

    /// The department a name denotes, if any, regardless of date: the
    /// department whose entry (or prefix variant) bears the name.
    pub fn resolve(&self, name: &str) -> Option<usize> {
        self.lookup.get(&fold(name)).copied()
    }

    /// The department a name denotes in a document of day `on`: the named
    /// department, or after a reform its successor (a chain of reforms followed
    /// to its end). `None` when the registry does not know the name.
    pub fn resolve_on(&self, name: &str, on: Date) -> Option<Resolution> {
        self.resolve(name).map(|index| self.successor_on(index, on))
    }

    /// The department `index` is on day `on`: itself, or what the successions
    /// effective on or before that day made of it.
    pub fn successor_on(&self, index: usize, on: Date) -> Resolution {
        self.reforms().successor_on(index, on)
    }

    /// Every succession, by date, then in registry order.
    pub fn successions(&self) -> &[Succession] {
        &self.successions
    }

    /// The departments replaced after day `from` and on or before day `to`: see
    /// [`Reforms::between`].
    pub fn successions_between(&self, from: Date, to: Date) -> Vec<Replacement> {
        self.reforms().between(from, to)
    }

    /// The county's reforms.
    pub fn reforms(&self) -> Reforms<'_> {
        Reforms {
            departments: &self.departments,
            successions: &self.successions,
        }
    }

    /// The longest department name `text` starts with: the department and the byte
    /// length of the name in `text`.
    pub fn match_prefix(&self, text: &str) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        for (key, &index) in &self.lookup {
            if text.starts_with(key.as_str()) && best.is_none_or(|(_, len)| key.len() > len) {
                best = Some((index, key.len()));
            }
        }
        best
    }
}

/// A county's departments with the successions between them: what a reform
/// made of a department by a day, and what changed between two days. A view, so
/// a resolved list (which carries both) answers as its registry does.
#[derive(Clone, Copy, Debug)]
pub struct Reforms<'a> {
    /// The departments, in registry order.
    pub departments: &'a [DepartmentDef],
    /// The successions, by date (indices into `departments`).
    pub successions: &'a [Succession],
}

impl Reforms<'_> {
    /// Every spelling of the department named `name` (canonically): the name,
    /// its short form, aliases and prefix variants; none for a name not here.
    pub fn spellings(&self, name: &str) -> Vec<String> {
        self.departments
            .iter()
            .find(|d| d.name == name)
            .map(|d| {
                std::iter::once(&d.name)
                    .chain(&d.aliases)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The department `index` is on day `on`: itself, or what the successions
    /// effective on or before that day made of it.
    pub fn successor_on(&self, index: usize, on: Date) -> Resolution {
        match self.follow(index, &|date| date <= on).as_slice() {
            [one] => Resolution::Department(*one),
            several => Resolution::Split(several.to_vec()),
        }
    }

    /// The departments replaced after day `from` and on or before day `to`, each
    /// with what replaced it by `to` (chains followed). A department that itself
    /// came into being in the interval is left out: an edition of `from` cannot
    /// name it.
    pub fn between(&self, from: Date, to: Date) -> Vec<Replacement> {
        let within = |date: Date| from < date && date <= to;
        let replaced: Vec<(usize, Vec<usize>)> = (0..self.departments.len())
            .filter(|&d| self.links(d, &within).next().is_some())
            .filter(|&d| !self.begins(d, &within))
            .map(|d| (d, self.follow(d, &within)))
            .collect();
        replaced
            .iter()
            .map(|(old, new)| self.replacement(*old, new, &replaced))
            .collect()
    }

    /// Whether a succession `within` accepts made department `index`.
    fn begins(&self, index: usize, within: &dyn Fn(Date) -> bool) -> bool {
        self.successions
            .iter()
            .any(|s| s.successor == index && within(s.on))
    }

    /// `old` replaced by `new`, its kind judged among all that were `replaced`.
    fn replacement(
        &self,
        old: usize,
        new: &[usize],
        replaced: &[(usize, Vec<usize>)],
    ) -> Replacement {
        let predecessors = |n: &usize| replaced.iter().filter(|(_, r)| r.contains(n)).count();
        let most = new.iter().map(predecessors).max().unwrap_or(1);
        let name = |i: usize| self.departments[i].name.clone();
        Replacement {
            old: name(old),
            new: new.iter().map(|&n| name(n)).collect(),
            kind: succession_kind(new.len(), most),
        }
    }

    /// The successions out of `index` whose dates `within` accepts.
    fn links<'a>(
        &'a self,
        index: usize,
        within: &'a dyn Fn(Date) -> bool,
    ) -> impl Iterator<Item = &'a Succession> {
        self.successions
            .iter()
            .filter(move |s| s.predecessor == index && within(s.on))
    }

    /// Where `index` ends up following the successions `within` accepts, sorted.
    /// Terminates: the registry's successions have no cycle.
    fn follow(&self, index: usize, within: &dyn Fn(Date) -> bool) -> Vec<usize> {
        let mut ends = Vec::new();
        let mut any = false;
        for link in self.links(index, within) {
            any = true;
            ends.extend(self.follow(link.successor, within));
        }
        if !any {
            ends.push(index);
        }
        ends.sort_unstable();
        ends.dedup();
        ends
    }
}

/// Every name of a county's departments, folded → department: explicit names,
/// then their prefix variants.
fn names(entry: &CountyEntry, source: &str) -> Result<HashMap<String, usize>, ImportError> {
    let county = &entry.name;
    // Explicit names first: a clash between them is an error in the registry.
    let mut explicit: HashMap<String, usize> = HashMap::new();
    for (index, d) in entry.department.iter().enumerate() {
        if d.name.trim().is_empty() || d.short.trim().is_empty() {
            return Err(ImportError::Registry(format!(
                "{source}: a department of {county} has an empty name or short name"
            )));
        }
        for name in std::iter::once(&d.name)
            .chain(std::iter::once(&d.short))
            .chain(&d.aliases)
        {
            let key = fold(name);
            match explicit.get(&key) {
                Some(&other) if other != index => {
                    return Err(ImportError::Registry(format!(
                        "{source}: `{name}` names both {} and {} in {county}",
                        entry.department[other].name, d.name
                    )));
                }
                _ => {
                    explicit.insert(key, index);
                }
            }
        }
    }
    // Then the prefix variants, dropped where two departments would share one.
    let mut variants: HashMap<String, Option<usize>> = HashMap::new();
    for (key, &index) in &explicit {
        for variant in prefix_variants(key, county) {
            if explicit.contains_key(&variant) {
                continue;
            }
            variants
                .entry(variant)
                .and_modify(|v| {
                    if *v != Some(index) {
                        *v = None;
                    }
                })
                .or_insert(Some(index));
        }
    }
    let mut lookup = explicit;
    lookup.extend(variants.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    Ok(lookup)
}

/// The departments as defined, each with every name it resolves from.
fn definitions(entry: &CountyEntry, lookup: &HashMap<String, usize>) -> Vec<DepartmentDef> {
    entry
        .department
        .iter()
        .enumerate()
        .map(|(index, d)| {
            let canonical = fold(&d.name);
            let mut aliases: Vec<String> = lookup
                .iter()
                .filter(|(k, v)| **v == index && **k != canonical)
                .map(|(k, _)| k.clone())
                .collect();
            aliases.sort();
            DepartmentDef {
                name: d.name.trim().to_owned(),
                short_name: d.short.trim().to_owned(),
                aliases,
            }
        })
        .collect()
}

/// The `succeeds` links of a county, validated, with their kinds, by date.
fn successions(
    entry: &CountyEntry,
    lookup: &HashMap<String, usize>,
    source: &str,
) -> Result<Vec<Succession>, ImportError> {
    let mut links: Vec<Succession> = Vec::new();
    for (index, d) in entry.department.iter().enumerate() {
        for s in &d.succeeds {
            let link = succession(entry, lookup, index, s).map_err(|why| {
                ImportError::Registry(format!("{source}: {} of {}: {why}", d.name, entry.name))
            })?;
            if links
                .iter()
                .any(|l| l.predecessor == link.predecessor && l.successor == index)
            {
                return Err(ImportError::Registry(format!(
                    "{source}: {} of {} succeeds {} twice",
                    d.name, entry.name, entry.department[link.predecessor].name
                )));
            }
            links.push(link);
        }
    }
    if let Some(cycle) = cycle(&links, entry.department.len()) {
        let names: Vec<&str> = cycle
            .iter()
            .map(|&i| entry.department[i].name.as_str())
            .collect();
        return Err(ImportError::Registry(format!(
            "{source}: the successions of {} go round in a cycle: {}",
            entry.name,
            names.join(" → ")
        )));
    }
    check_days(&links, entry).map_err(|why| ImportError::Registry(format!("{source}: {why}")))?;
    let kinds: Vec<SuccessionKind> = links.iter().map(|l| kind_of(l, &links)).collect();
    for (link, kind) in links.iter_mut().zip(kinds) {
        link.kind = kind;
    }
    links.sort_by_key(|l| l.on);
    Ok(links)
}

/// One `succeeds` entry of department `index`, kind yet to be decided; the
/// error says what is wrong with it.
fn succession(
    entry: &CountyEntry,
    lookup: &HashMap<String, usize>,
    index: usize,
    s: &SucceedsEntry,
) -> Result<Succession, String> {
    let predecessor = *lookup.get(&fold(&s.name)).ok_or_else(|| {
        format!(
            "succeeds `{}`, which is not a department of {}",
            s.name, entry.name
        )
    })?;
    if predecessor == index {
        return Err(format!("succeeds itself (`{}`)", s.name));
    }
    let on = effective_date(&s.on)
        .map_err(|e| format!("succeeds {} on a day that is not a date: {e}", s.name))?;
    Ok(Succession {
        predecessor,
        successor: index,
        on,
        share: s.share.as_deref().map(str::trim).map(str::to_owned),
        kind: SuccessionKind::Renamed,
    })
}

/// A department ends once: all its successors take over on the same day, and
/// none of them was itself succeeded before that day.
fn check_days(links: &[Succession], entry: &CountyEntry) -> Result<(), String> {
    let name = |i: usize| entry.department[i].name.as_str();
    for link in links {
        let ended = links
            .iter()
            .find(|l| l.predecessor == link.successor && l.on < link.on);
        if let Some(earlier) = ended {
            return Err(format!(
                "{} of {} succeeds {} on {}, but was itself succeeded by {} on {}",
                name(link.successor),
                entry.name,
                name(link.predecessor),
                link.on,
                name(earlier.successor),
                earlier.on
            ));
        }
        let other_day = links
            .iter()
            .find(|l| l.predecessor == link.predecessor && l.on != link.on);
        if let Some(other) = other_day {
            return Err(format!(
                "{} of {} ends on two days: {} succeeds it on {}, {} on {}",
                name(link.predecessor),
                entry.name,
                name(link.successor),
                link.on,
                name(other.successor),
                other.on
            ));
        }
    }
    Ok(())
}

/// `on = "2025-10-01"`, `on = "2025-10"` or the TOML date `on = 2025-10-01`.
fn effective_date(value: &toml::Value) -> Result<Date, InvalidDate> {
    match value {
        toml::Value::String(text) => text.parse(),
        toml::Value::Datetime(date) if date.time.is_none() && date.offset.is_none() => {
            date.to_string().parse()
        }
        other => Err(InvalidDate(other.type_str().to_owned())),
    }
}

/// A link's kind, from the other links of its day: how many successors its old
/// department has, how many predecessors its new one.
fn kind_of(link: &Succession, links: &[Succession]) -> SuccessionKind {
    let same_day = || links.iter().filter(|l| l.on == link.on);
    let successors = same_day()
        .filter(|l| l.predecessor == link.predecessor)
        .count();
    let predecessors = same_day().filter(|l| l.successor == link.successor).count();
    succession_kind(successors, predecessors)
}

/// A cycle among the links, as the departments round it (the first repeated at
/// the end), if there is one.
fn cycle(links: &[Succession], departments: usize) -> Option<Vec<usize>> {
    let mut done = vec![false; departments];
    let mut path = Vec::new();
    (0..departments).find_map(|start| cycle_from(start, links, &mut done, &mut path))
}

/// Depth-first from `node`: `path` holds the departments on the way here.
fn cycle_from(
    node: usize,
    links: &[Succession],
    done: &mut [bool],
    path: &mut Vec<usize>,
) -> Option<Vec<usize>> {
    if let Some(at) = path.iter().position(|&p| p == node) {
        let mut round = path[at..].to_vec();
        round.push(node);
        return Some(round);
    }
    if done[node] {
        return None;
    }
    path.push(node);
    let found = links
        .iter()
        .filter(|l| l.predecessor == node)
        .find_map(|l| cycle_from(l.successor, links, done, path));
    path.pop();
    done[node] = true;
    found
}

/// `乌恰县X` ↔ `县X` ↔ `X`: the forms a county's documents use interchangeably.
fn prefix_variants(name: &str, county: &str) -> Vec<String> {
    let generic = county.chars().last().map(String::from).unwrap_or_default();
    let rest = name.strip_prefix(county).or_else(|| {
        name.strip_prefix(generic.as_str())
            .filter(|_| !generic.is_empty())
    });
    match rest {
        // A bare remainder must still read as a name (`民政局`, not `委`).
        Some(rest) if !rest.is_empty() => {
            let mut out = vec![format!("{county}{rest}"), format!("{generic}{rest}")];
            if rest.chars().count() >= 3 && !rest.starts_with('委') {
                out.push(rest.to_owned());
            }
            out.retain(|v| v != name);
            out
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wuqia() -> CountyRegistry {
        Registry::bundled()
            .unwrap()
            .county("新疆维吾尔自治区", "克孜勒苏柯尔克孜自治州", "乌恰县")
            .unwrap()
            .clone()
    }

    fn name_of(r: &CountyRegistry, name: &str) -> Option<String> {
        r.resolve(name).map(|i| r.departments[i].name.clone())
    }

    /// Every name the bundled registry resolves, with the department it denotes:
    /// `name → canonical` lines, sorted, hashed.
    fn bundled_lookup_digest() -> (usize, String) {
        use sha2::{Digest, Sha256};
        let r = wuqia();
        let mut lines: Vec<String> = r
            .lookup
            .iter()
            .map(|(k, &v)| format!("{k}\t{}\n", r.departments[v].name))
            .collect();
        lines.sort();
        let digest = Sha256::digest(lines.concat().as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        (lines.len(), hex)
    }

    #[test]
    fn the_bundled_registry_resolves_exactly_as_before_successions() {
        // Captured from the registry before successions existed (edition-base).
        assert_eq!(
            bundled_lookup_digest(),
            (
                158,
                "4feda9a1191ba3a22aee30802c3227b81700d7b3b57feb6519b847ea2ab56e84".to_owned()
            )
        );
    }

    #[test]
    fn short_forms_and_prefix_variants_resolve() {
        let r = wuqia();
        assert_eq!(
            name_of(&r, "县住建局").as_deref(),
            Some("乌恰县住房和城乡建设局")
        );
        assert_eq!(
            name_of(&r, "县住房和城乡建设局").as_deref(),
            Some("乌恰县住房和城乡建设局")
        );
        assert_eq!(
            name_of(&r, "住建局").as_deref(),
            Some("乌恰县住房和城乡建设局")
        );
        assert_eq!(name_of(&r, "民政局").as_deref(), Some("乌恰县民政局"));
        assert_eq!(
            name_of(&r, "县工信局").as_deref(),
            Some("乌恰县商务科技和工业信息化局")
        );
        assert_eq!(
            name_of(&r, "县商信局").as_deref(),
            Some("乌恰县商务科技和工业信息化局")
        );
        assert_eq!(
            name_of(&r, "县政办").as_deref(),
            Some("乌恰县人民政府办公室")
        );
        assert_eq!(
            name_of(&r, "乌恰县交通局").as_deref(),
            Some("乌恰县交通运输局")
        );
        assert_eq!(
            name_of(&r, "乌恰县政法委").as_deref(),
            Some("乌恰县委政法委")
        );
        assert_eq!(name_of(&r, "县委组织部").as_deref(), Some("乌恰县委组织部"));
        assert_eq!(
            name_of(&r, "乌恰县文化体育广播电视台和旅游局").as_deref(),
            Some("乌恰县文化体育广播电视和旅游局")
        );
        assert_eq!(name_of(&r, "县教育厅"), None);
    }

    #[test]
    fn the_longest_name_at_the_start_wins() {
        let r = wuqia();
        let (index, len) = r.match_prefix("县住房和城乡建设局负责").unwrap();
        assert_eq!(r.departments[index].name, "乌恰县住房和城乡建设局");
        assert_eq!(len, "县住房和城乡建设局".len());
        assert!(r.match_prefix("县委召开会议研究").is_none());
    }

    #[test]
    fn registries_are_scoped_to_their_county() {
        let registry = Registry::bundled().unwrap();
        assert!(
            registry
                .county("新疆维吾尔自治区", "克孜勒苏柯尔克孜自治州", "阿图什市")
                .is_none()
        );
    }

    #[test]
    fn a_county_named_without_region_is_found_unless_two_counties_share_its_name() {
        let text = r#"
[[county]]
region = "甲省"
prefecture = "乙市"
name = "丙县"
  [[county.department]]
  name = "丙县民政局"
  short = "县民政局"
[[county]]
region = "丁省"
prefecture = "戊市"
name = "丙县"
  [[county.department]]
  name = "丙县民政局"
  short = "县民政局"
[[county]]
region = "甲省"
prefecture = "乙市"
name = "己县"
  [[county.department]]
  name = "己县民政局"
  short = "县民政局"
"#;
        let registry = Registry::parse(text, "test.toml").unwrap();
        assert_eq!(registry.find_county("", "", "己县").unwrap().region, "甲省");
        assert_eq!(
            registry.find_county("", "戊市", "丙县").unwrap().region,
            "丁省"
        );
        let error = registry.find_county("", "", "丙县").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the department registry has several counties named 丙县: 甲省乙市丙县, 丁省戊市丙县; name it in full with --county"
        );
        assert!(matches!(
            registry.find_county("", "", "庚县"),
            Err(ImportError::UnknownCounty(_))
        ));
        assert!(matches!(
            registry.find_county("丁省", "乙市", "丙县"),
            Err(ImportError::UnknownCounty(_))
        ));
    }

    #[test]
    fn a_name_given_to_two_departments_is_an_error() {
        let text = r#"
[[county]]
region = "R"
name = "甲县"
  [[county.department]]
  name = "甲县民政局"
  short = "县民政局"
  [[county.department]]
  name = "甲县财政局"
  short = "县民政局"
"#;
        let err = Registry::parse(text, "test.toml").unwrap_err().to_string();
        assert!(
            err.contains("县民政局") && err.contains("甲县财政局"),
            "{err}"
        );
    }

    #[test]
    fn a_malformed_registry_names_the_file() {
        let err = Registry::parse("[[county]]\nregion = 1", "bad.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.toml"), "{err}");
    }
}

#[cfg(test)]
mod succession_tests {
    use super::*;

    /// A county with a reform of each kind: a rename (住建委 → 住建局, then
    /// 城乡建设局), a merge (商务局 + 经信局 → 商信局) and a split (农牧局 →
    /// 农业农村局 + 林草局).
    const REFORMED: &str = r#"
[[county]]
region = "甲省"
name = "甲县"
  [[county.department]]
  name = "甲县住房和城乡建设委员会"
  short = "县住建委"
  aliases = ["甲县建委"]

  [[county.department]]
  name = "甲县住房和城乡建设局"
  short = "县住建局"
    [[county.department.succeeds]]
    name = "甲县住房和城乡建设委员会"
    on = "2025-10-01"

  [[county.department]]
  name = "甲县商务局"
  short = "县商务局"

  [[county.department]]
  name = "甲县经济和信息化局"
  short = "县经信局"

  [[county.department]]
  name = "甲县商务和工业信息化局"
  short = "县商信局"
    [[county.department.succeeds]]
    name = "甲县商务局"
    on = 2025-10-01
    [[county.department.succeeds]]
    name = "县经信局"
    on = "2025-10"

  [[county.department]]
  name = "甲县农牧局"
  short = "县农牧局"

  [[county.department]]
  name = "甲县农业农村局"
  short = "县农业农村局"
    [[county.department.succeeds]]
    name = "甲县农牧局"
    on = "2024-03-01"
    share = "种植业、养殖业"

  [[county.department]]
  name = "甲县林业和草原局"
  short = "县林草局"
    [[county.department.succeeds]]
    name = "甲县农牧局"
    on = "2024-03-01"
    share = "林业、草原"

  [[county.department]]
  name = "甲县城乡建设局"
  short = "县城建局"
    [[county.department.succeeds]]
    name = "甲县住房和城乡建设局"
    on = "2026-01-01"
"#;

    #[test]
    fn the_successions_between_two_editions_become_the_renames_of_their_diff() {
        use crate::edition::diff::{Renames, SuccessionKind as Kind};
        let r = reformed();
        let renames = Renames::from_replacements(
            &r.successions_between(day("2024-01-01"), day("2025-12-31")),
        )
        .unwrap();
        let of = |old: &str| {
            let s = renames.succession_of(old).unwrap();
            (s.kind(), s.before.clone(), s.after.clone())
        };
        assert_eq!(
            of("甲县商务局"),
            (
                Kind::Merged,
                vec!["甲县商务局".into(), "甲县经济和信息化局".into()],
                vec!["甲县商务和工业信息化局".into()]
            )
        );
        assert_eq!(of("甲县经济和信息化局").0, Kind::Merged);
        assert_eq!(
            of("甲县农牧局"),
            (
                Kind::Split,
                vec!["甲县农牧局".into()],
                vec!["甲县农业农村局".into(), "甲县林业和草原局".into()]
            )
        );
        assert_eq!(
            of("甲县住房和城乡建设委员会"),
            (
                Kind::Renamed,
                vec!["甲县住房和城乡建设委员会".into()],
                vec!["甲县住房和城乡建设局".into()]
            )
        );
        assert_eq!(renames.successions().len(), 3);
        assert!(renames.continues("甲县农牧局", "甲县林业和草原局"));
    }

    fn reformed() -> CountyRegistry {
        Registry::parse(REFORMED, "test.toml")
            .unwrap()
            .county("甲省", "", "甲县")
            .unwrap()
            .clone()
    }

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn index(r: &CountyRegistry, name: &str) -> usize {
        r.departments.iter().position(|d| d.name == name).unwrap()
    }

    /// The canonical name(s) `name` denotes on `on`.
    fn denotes(r: &CountyRegistry, name: &str, on: &str) -> Vec<String> {
        let names = |i: &[usize]| i.iter().map(|&i| r.departments[i].name.clone()).collect();
        match r.resolve_on(name, day(on)) {
            None => Vec::new(),
            Some(Resolution::Department(i)) => names(&[i]),
            Some(Resolution::Split(several)) => names(&several),
        }
    }

    /// A registry of one county `甲县` with these departments; its parse error.
    fn error_of(departments: &str) -> String {
        let text = format!("[[county]]\nregion = \"甲省\"\nname = \"甲县\"\n{departments}");
        Registry::parse(&text, "test.toml").unwrap_err().to_string()
    }

    #[test]
    fn dates_are_days_or_months() {
        assert_eq!(day("2025-10").ymd(), (2025, 10, 1));
        assert_eq!(day("2024-02-29").to_string(), "2024-02-29");
        assert!(day("2025-09-30") < day("2025-10"));
        for bad in [
            "2025-02-29",
            "2025-13",
            "2025-1-01",
            "2025/10/01",
            "二〇二五年",
            "",
        ] {
            assert_eq!(
                bad.parse::<Date>(),
                Err(InvalidDate(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn each_link_has_the_kind_of_its_reform() {
        let r = reformed();
        let kinds: Vec<(String, String, SuccessionKind)> = r
            .successions()
            .iter()
            .map(|s| {
                (
                    r.departments[s.predecessor].short_name.clone(),
                    r.departments[s.successor].short_name.clone(),
                    s.kind,
                )
            })
            .collect();
        let expected = [
            ("县农牧局", "县农业农村局", SuccessionKind::Split),
            ("县农牧局", "县林草局", SuccessionKind::Split),
            ("县住建委", "县住建局", SuccessionKind::Renamed),
            ("县商务局", "县商信局", SuccessionKind::Merged),
            ("县经信局", "县商信局", SuccessionKind::Merged),
            ("县住建局", "县城建局", SuccessionKind::Renamed),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(a, b, k)| (a.to_string(), b.to_string(), *k))
            .collect();
        assert_eq!(kinds, expected);
        let split = &r.successions()[1];
        assert_eq!(split.share.as_deref(), Some("林业、草原"));
        assert_eq!(split.on, day("2024-03-01"));
    }

    #[test]
    fn a_split_that_also_merges_is_a_reorganisation() {
        let text = r#"
[[county]]
region = "甲省"
name = "甲县"
  [[county.department]]
  name = "甲县文体广旅局"
  short = "县文体广旅局"
  [[county.department]]
  name = "甲县广播电视台"
  short = "县广电台"
  [[county.department]]
  name = "甲县文化和旅游局"
  short = "县文旅局"
    [[county.department.succeeds]]
    name = "县文体广旅局"
    on = "2025-01"
  [[county.department]]
  name = "甲县融媒体中心"
  short = "县融媒体中心"
    [[county.department.succeeds]]
    name = "县文体广旅局"
    on = "2025-01"
    [[county.department.succeeds]]
    name = "县广电台"
    on = "2025-01"
"#;
        let registry = Registry::parse(text, "test.toml").unwrap();
        let r = registry.county("甲省", "", "甲县").unwrap();
        let kinds: Vec<SuccessionKind> = r.successions().iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SuccessionKind::Split,
                SuccessionKind::Reorganised,
                SuccessionKind::Merged
            ]
        );
    }

    #[test]
    fn an_old_name_resolves_to_itself_before_the_reform_and_to_its_successor_from_then() {
        let r = reformed();
        // Canonical name, short form, alias and prefix variants of the old department.
        for name in [
            "甲县住房和城乡建设委员会",
            "县住建委",
            "甲县建委",
            "住建委",
            "甲县住建委",
            "县住房和城乡建设委员会",
        ] {
            assert_eq!(
                denotes(&r, name, "2025-09-30"),
                ["甲县住房和城乡建设委员会"],
                "{name}"
            );
            assert_eq!(
                denotes(&r, name, "2025-10-01"),
                ["甲县住房和城乡建设局"],
                "{name}"
            );
            assert_eq!(
                denotes(&r, name, "2025-12"),
                ["甲县住房和城乡建设局"],
                "{name}"
            );
            // A second reform renames the successor: the chain is followed.
            assert_eq!(denotes(&r, name, "2026-01"), ["甲县城乡建设局"], "{name}");
        }
        // The successor's own names are not moved back in time.
        assert_eq!(denotes(&r, "县住建局", "2020-01"), ["甲县住房和城乡建设局"]);
        assert!(denotes(&r, "县教育局", "2025-10").is_empty());
    }

    #[test]
    fn merged_departments_resolve_to_their_successor_and_a_split_one_to_its_candidates() {
        let r = reformed();
        assert_eq!(denotes(&r, "县商务局", "2025-09"), ["甲县商务局"]);
        assert_eq!(denotes(&r, "商务局", "2025-10"), ["甲县商务和工业信息化局"]);
        assert_eq!(denotes(&r, "经信局", "2025-10"), ["甲县商务和工业信息化局"]);
        assert_eq!(denotes(&r, "县农牧局", "2024-02-29"), ["甲县农牧局"]);
        assert_eq!(
            r.resolve_on("甲县农牧局", day("2024-03")),
            Some(Resolution::Split(vec![
                index(&r, "甲县农业农村局"),
                index(&r, "甲县林业和草原局")
            ]))
        );
    }

    #[test]
    fn resolve_without_a_date_is_unchanged_by_successions() {
        let r = reformed();
        assert_eq!(
            r.resolve("县住建委"),
            Some(index(&r, "甲县住房和城乡建设委员会"))
        );
        assert_eq!(r.resolve("县农牧局"), Some(index(&r, "甲县农牧局")));
        assert_eq!(
            r.successor_on(index(&r, "甲县商务局"), day("2025-10-01")),
            Resolution::Department(index(&r, "甲县商务和工业信息化局"))
        );
    }

    #[test]
    fn successions_between_two_days_give_old_names_and_what_replaced_them() {
        let r = reformed();
        let replaced = |old: &str, new: &[&str], kind| Replacement {
            old: old.to_owned(),
            new: new.iter().map(|n| n.to_string()).collect(),
            kind,
        };
        assert_eq!(
            r.successions_between(day("2024-01"), day("2025-12")),
            [
                replaced(
                    "甲县住房和城乡建设委员会",
                    &["甲县住房和城乡建设局"],
                    SuccessionKind::Renamed
                ),
                replaced(
                    "甲县商务局",
                    &["甲县商务和工业信息化局"],
                    SuccessionKind::Merged
                ),
                replaced(
                    "甲县经济和信息化局",
                    &["甲县商务和工业信息化局"],
                    SuccessionKind::Merged
                ),
                replaced(
                    "甲县农牧局",
                    &["甲县农业农村局", "甲县林业和草原局"],
                    SuccessionKind::Split
                ),
            ]
        );
        // A reform of the `from` day is already in the earlier edition.
        assert_eq!(
            r.successions_between(day("2024-03-01"), day("2025-09-30")),
            []
        );
        // Two renames in the interval are one: the middle name never was in an edition.
        assert_eq!(
            r.successions_between(day("2025-07"), day("2026-07")),
            [
                replaced(
                    "甲县住房和城乡建设委员会",
                    &["甲县城乡建设局"],
                    SuccessionKind::Renamed
                ),
                replaced(
                    "甲县商务局",
                    &["甲县商务和工业信息化局"],
                    SuccessionKind::Merged
                ),
                replaced(
                    "甲县经济和信息化局",
                    &["甲县商务和工业信息化局"],
                    SuccessionKind::Merged
                ),
            ]
        );
    }

    #[test]
    fn an_unknown_predecessor_is_an_error_naming_county_and_entry() {
        let err = error_of(
            "[[county.department]]\nname = \"甲县住建局\"\nshort = \"县住建局\"\n\
             [[county.department.succeeds]]\nname = \"甲县建委\"\non = \"2025-10\"\n",
        );
        assert_eq!(
            err,
            "invalid department registry: test.toml: 甲县住建局 of 甲县: succeeds `甲县建委`, which is not a department of 甲县"
        );
    }

    #[test]
    fn a_department_succeeding_itself_is_an_error() {
        let err = error_of(
            "[[county.department]]\nname = \"甲县住建局\"\nshort = \"县住建局\"\n\
             [[county.department.succeeds]]\nname = \"住建局\"\non = \"2025-10\"\n",
        );
        assert!(
            err.contains("甲县住建局 of 甲县: succeeds itself (`住建局`)"),
            "{err}"
        );
    }

    #[test]
    fn a_date_that_does_not_parse_is_an_error() {
        for on in [
            "\"2025-10-32\"",
            "\"2025年10月\"",
            "20251001",
            "2025-10-01T08:00:00",
        ] {
            let err = error_of(&format!(
                "[[county.department]]\nname = \"甲县建委\"\nshort = \"县建委\"\n\
                 [[county.department]]\nname = \"甲县住建局\"\nshort = \"县住建局\"\n\
                 [[county.department.succeeds]]\nname = \"县建委\"\non = {on}\n"
            ));
            assert!(
                err.contains("甲县住建局 of 甲县: succeeds 县建委 on a day that is not a date")
                    && err.contains("(YYYY-MM-DD or YYYY-MM)"),
                "{on}: {err}"
            );
        }
    }

    #[test]
    fn the_same_succession_twice_is_an_error() {
        let err = error_of(
            "[[county.department]]\nname = \"甲县建委\"\nshort = \"县建委\"\n\
             [[county.department]]\nname = \"甲县住建局\"\nshort = \"县住建局\"\n\
             [[county.department.succeeds]]\nname = \"县建委\"\non = \"2025-10\"\n\
             [[county.department.succeeds]]\nname = \"甲县建委\"\non = \"2025-11\"\n",
        );
        assert!(
            err.ends_with("甲县住建局 of 甲县 succeeds 甲县建委 twice"),
            "{err}"
        );
    }

    #[test]
    fn successions_in_a_cycle_are_an_error() {
        let err = error_of(
            "[[county.department]]\nname = \"甲县建委\"\nshort = \"县建委\"\n\
             [[county.department.succeeds]]\nname = \"县规划局\"\non = \"2020-01\"\n\
             [[county.department]]\nname = \"甲县住建局\"\nshort = \"县住建局\"\n\
             [[county.department.succeeds]]\nname = \"县建委\"\non = \"2025-10\"\n\
             [[county.department]]\nname = \"甲县规划局\"\nshort = \"县规划局\"\n\
             [[county.department.succeeds]]\nname = \"县住建局\"\non = \"2026-01\"\n",
        );
        assert!(
            err.ends_with("the successions of 甲县 go round in a cycle: 甲县建委 → 甲县住建局 → 甲县规划局 → 甲县建委"),
            "{err}"
        );
    }

    #[test]
    fn a_department_ends_once_and_not_before_it_began() {
        let twice = error_of(
            "[[county.department]]\nname = \"甲县建委\"\nshort = \"县建委\"\n\
             [[county.department]]\nname = \"甲县住建局\"\nshort = \"县住建局\"\n\
             [[county.department.succeeds]]\nname = \"县建委\"\non = \"2025-10\"\n\
             [[county.department]]\nname = \"甲县规划局\"\nshort = \"县规划局\"\n\
             [[county.department.succeeds]]\nname = \"县建委\"\non = \"2025-11\"\n",
        );
        assert!(
            twice.ends_with(
                "甲县建委 of 甲县 ends on two days: 甲县住建局 succeeds it on 2025-10-01, 甲县规划局 on 2025-11-01"
            ),
            "{twice}"
        );
        let backwards = error_of(
            "[[county.department]]\nname = \"甲县建委\"\nshort = \"县建委\"\n\
             [[county.department]]\nname = \"甲县住建局\"\nshort = \"县住建局\"\n\
             [[county.department.succeeds]]\nname = \"县建委\"\non = \"2025-10\"\n\
             [[county.department]]\nname = \"甲县规划局\"\nshort = \"县规划局\"\n\
             [[county.department.succeeds]]\nname = \"县住建局\"\non = \"2020-01\"\n",
        );
        assert!(
            backwards.ends_with(
                "甲县住建局 of 甲县 succeeds 甲县建委 on 2025-10-01, but was itself succeeded by 甲县规划局 on 2020-01-01"
            ),
            "{backwards}"
        );
    }

    #[test]
    fn a_misspelt_succession_field_is_an_error() {
        let err = error_of(
            "[[county.department]]\nname = \"甲县建委\"\nshort = \"县建委\"\n\
             [[county.department]]\nname = \"甲县住建局\"\nshort = \"县住建局\"\n\
             [[county.department.succeeds]]\nname = \"县建委\"\ndate = \"2025-10\"\n",
        );
        assert!(err.contains("test.toml") && err.contains("date"), "{err}");
    }

    #[test]
    fn the_bundled_registry_records_no_succession() {
        let registry = Registry::bundled().unwrap();
        let r = registry
            .county("新疆维吾尔自治区", "克孜勒苏柯尔克孜自治州", "乌恰县")
            .unwrap();
        assert!(r.successions().is_empty());
        for (i, d) in r.departments.iter().enumerate() {
            for name in std::iter::once(&d.name).chain(&d.aliases) {
                assert_eq!(r.resolve(name), Some(i), "{name}");
                assert_eq!(
                    r.resolve_on(name, day("2030-01-01")),
                    Some(Resolution::Department(i)),
                    "{name}"
                );
            }
        }
    }
}
