//! The department alias registry (`seeds/departments.toml`): canonical names and the
//! short forms documents use, per county.

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

impl CountyRegistry {
    fn build(entry: CountyEntry, source: &str) -> Result<Self, ImportError> {
        let county = entry.name.clone();
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
        for key in explicit.keys() {
            let index = explicit[key];
            for variant in prefix_variants(key, &county) {
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

        let departments = entry
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
            .collect();
        Ok(CountyRegistry {
            region: entry.region,
            prefecture: entry.prefecture,
            name: county,
            departments,
            lookup,
        })
    }

    /// The department a name denotes, if any.
    pub fn resolve(&self, name: &str) -> Option<usize> {
        self.lookup.get(&fold(name)).copied()
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
