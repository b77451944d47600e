//! The generator: deterministic output, a registry the importer reads, lists that
//! import and reconcile exactly on both databases, lists that vary Wuqia rather
//! than copy it, and the `lvzhi-generate` binary writing the library's files.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use common::TestDb;
use entity::DutyKind;
use lvzhi::import::{self, Registry, Status};
use lvzhi_generate::{DEFAULT_SEED, Generated, GeneratedList, MAX_TOWNS, generate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Thirty generated towns and their registry, generated once per test binary.
fn generated() -> &'static Generated {
    static GENERATED: OnceLock<Generated> = OnceLock::new();
    GENERATED.get_or_init(|| generate(30, DEFAULT_SEED).expect("generation works"))
}

fn generated_registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::parse(&generated().registry.contents, "departments.toml")
            .expect("the generated registry is valid")
    })
}

/// The bundled Wuqia list, prepared once per test binary.
fn wuqia() -> &'static import::Prepared {
    static PREPARED: OnceLock<import::Prepared> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let registry = Registry::bundled().expect("the bundled registry is valid");
        import::prepare(import::BUNDLED_LIST, &registry, false).expect("the Wuqia list imports")
    })
}

#[test]
fn thirty_generated_towns_all_reconcile_exactly() {
    let generated = generated();
    assert_eq!(generated.lists.len(), 30);
    for list in &generated.lists {
        let prepared = import::prepare(&list.file.contents, generated_registry(), false)
            .unwrap_or_else(|e| panic!("{}: {e}", list.file.name));
        let report = &prepared.report;
        assert!(
            report.mismatches().is_empty(),
            "{}: {report}",
            list.file.name
        );
        assert!(report.notes.is_empty(), "{}: {report}", list.file.name);
        assert!(
            report
                .rows
                .iter()
                .all(|r| r.duties.stated == Some(r.duties.parsed)
                    && r.categories.stated == Some(r.categories.parsed)),
            "{}: every count is stated and agrees\n{report}",
            list.file.name
        );
        let header = &prepared.list;
        assert_eq!(
            [
                &header.region,
                &header.prefecture,
                &header.county,
                &header.town,
                &header.published_on
            ],
            [
                &list.region,
                &list.prefecture,
                &list.county,
                &list.town,
                &list.published_on
            ]
        );
        let per_kind: Vec<usize> = DutyKind::ALL
            .iter()
            .map(|k| header.duties.iter().filter(|d| d.kind == *k).count())
            .collect();
        assert_eq!(per_kind, list.duties, "{}", list.file.name);
    }
}

async fn thirty_generated_towns_all_import(test: TestDb) {
    let generated = generated();
    for list in &generated.lists {
        let imported = import::import(&test.db, &list.file.contents, generated_registry(), false)
            .await
            .unwrap_or_else(|e| panic!("{} on {}: {e}", list.file.name, test.backend));
        assert_eq!(imported.status, Status::Created);
    }
    assert_eq!(test.count(entity::duty_list::Entity).await, 30);
    assert_eq!(
        test.count(entity::county::Entity).await,
        generated.counties as u64,
        "{}",
        test.backend
    );
    let duties: usize = generated
        .lists
        .iter()
        .map(|l| l.duties.iter().sum::<usize>())
        .sum();
    assert_eq!(
        test.count(entity::duty::Entity).await,
        duties as u64,
        "{}",
        test.backend
    );
}

#[tokio::test]
async fn thirty_generated_towns_all_import_sqlite() {
    thirty_generated_towns_all_import(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn thirty_generated_towns_all_import_postgres() {
    if let Some(test) =
        TestDb::postgres_from_env("thirty_generated_towns_all_import_postgres").await
    {
        thirty_generated_towns_all_import(test).await;
    }
}

#[test]
fn generation_is_deterministic_for_a_seed_and_a_larger_run_starts_with_a_smaller_one() {
    let a = generate(25, 7).unwrap();
    let b = generate(25, 7).unwrap();
    assert_eq!(a.registry, b.registry);
    assert_eq!(a.lists, b.lists);
    let other = generate(25, 8).unwrap();
    assert_ne!(a.lists[0].file, other.lists[0].file);
    let larger = generate(40, 7).unwrap();
    assert_eq!(a.lists, larger.lists[..25]);
    assert!(
        generate(MAX_TOWNS + 1, 7).is_err(),
        "too many towns is an error, not a panic"
    );
    assert!(generate(0, 7).unwrap().lists.is_empty());
}

#[test]
fn the_generated_registry_holds_wuqia_verbatim_and_distinct_counties_of_several_regions() {
    let generated = generate(120, DEFAULT_SEED).unwrap();
    assert!(
        generated
            .registry
            .contents
            .contains(lvzhi::import::registry::BUNDLED)
    );
    let registry = Registry::parse(&generated.registry.contents, "departments.toml").unwrap();
    assert!(
        registry
            .county("新疆维吾尔自治区", "克孜勒苏柯尔克孜自治州", "乌恰县")
            .is_some()
    );
    let mut per_county: BTreeMap<&str, usize> = BTreeMap::new();
    let mut towns = BTreeSet::new();
    let mut prefectures = BTreeSet::new();
    for list in &generated.lists {
        assert!(
            registry
                .county(&list.region, &list.prefecture, &list.county)
                .is_some(),
            "{}",
            list.county
        );
        assert_ne!(list.county, "乌恰县");
        *per_county.entry(&list.county).or_default() += 1;
        assert!(towns.insert(&list.town), "town {} twice", list.town);
        prefectures.insert(&list.prefecture);
    }
    assert_eq!(per_county.len(), generated.counties);
    // 10 to 20 towns per county: 120 towns make 6 to 12 counties.
    assert!((6..=12).contains(&generated.counties), "{per_county:?}");
    assert!(prefectures.len() >= 3, "{prefectures:?}");
    // Only the last county may be cut short.
    let last = &generated.lists.last().unwrap().county;
    for (county, n) in &per_county {
        assert!(*n <= 20 && (*n >= 10 || county == last), "{county}: {n}");
    }
    let names: Vec<String> = generated
        .lists
        .iter()
        .map(|l| l.file.name.clone())
        .collect();
    assert_eq!(
        names[0],
        format!(
            "0001-{}{}.txt",
            generated.lists[0].county, generated.lists[0].town
        )
    );
}

/// The first list of each county, and the name `县住建局` resolves to there.
fn first_list_and_zhujianju_of_each_county() -> Vec<(&'static GeneratedList, String)> {
    let mut seen: Vec<(&GeneratedList, String)> = Vec::new();
    for list in &generated().lists {
        let county = generated_registry()
            .county(&list.region, &list.prefecture, &list.county)
            .unwrap();
        let index = county
            .resolve("县住建局")
            .expect("every county has a 住建局");
        let name = county.departments[index].name.clone();
        assert!(name.starts_with(&list.county), "{name}");
        if !seen.iter().any(|(l, _)| l.county == list.county) {
            seen.push((list, name));
        }
    }
    seen
}

#[test]
fn the_same_short_name_resolves_to_a_different_department_in_each_county() {
    let seen = first_list_and_zhujianju_of_each_county();
    assert!(seen.len() >= 2);
    assert_ne!(seen[0].1, seen[1].1);
}

/// In the database too: the alias belongs to one department per county.
async fn the_same_short_name_is_an_alias_of_one_department_per_county(test: TestDb) {
    let seen = first_list_and_zhujianju_of_each_county();
    for (list, _) in &seen {
        import::import(&test.db, &list.file.contents, generated_registry(), false)
            .await
            .unwrap();
    }
    let aliases = entity::department_alias::Entity::find()
        .filter(entity::department_alias::Column::Alias.eq("县住建局"))
        .all(&test.db)
        .await
        .unwrap();
    let departments: BTreeSet<i32> = aliases.iter().map(|a| a.department_id).collect();
    assert_eq!(departments.len(), seen.len(), "{}", test.backend);
}

#[tokio::test]
async fn the_same_short_name_is_an_alias_of_one_department_per_county_sqlite() {
    the_same_short_name_is_an_alias_of_one_department_per_county(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn the_same_short_name_is_an_alias_of_one_department_per_county_postgres() {
    if let Some(test) = TestDb::postgres_from_env(
        "the_same_short_name_is_an_alias_of_one_department_per_county_postgres",
    )
    .await
    {
        the_same_short_name_is_an_alias_of_one_department_per_county(test).await;
    }
}

/// The fewest of `n` lists that must show a variation the generator is meant to
/// give each list with probability at least `1 - q`: a count below it has a
/// binomial probability under 1 in 1,000, so it means the generator changed, not
/// that the seed was unlucky.
fn fewest_expected(n: usize, q: f64) -> usize {
    let choose = |k: usize| (0..k).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64);
    let p_failures = |k: usize| choose(k) * q.powi(k as i32) * (1.0 - q).powi((n - k) as i32);
    // Allow `e` lists without the variation, the fewest for which more is that unlikely.
    let mut at_most = 0.0;
    for e in 0..=n {
        at_most += p_failures(e);
        if 1.0 - at_most < 1e-3 {
            return n - e;
        }
    }
    0
}

#[test]
fn a_generated_list_is_a_varied_subset_of_wuqia_not_a_copy() {
    let wuqia = &wuqia().list;
    let wuqia_texts: BTreeSet<&str> = wuqia
        .duties
        .iter()
        .flat_map(|d| d.items.iter().map(|i| i.text.as_str()))
        .collect();
    let (mut fewer, mut reworded, mut dropped_items) = (0, 0, 0);
    let lists = &generated().lists;
    for list in lists {
        assert!(!list.file.contents.contains("乌恰"), "{}", list.file.name);
        let prepared = import::prepare(&list.file.contents, generated_registry(), false).unwrap();
        let duties = &prepared.list.duties;
        let is_fewer = duties.len() < wuqia.duties.len();
        let is_reworded = duties
            .iter()
            .flat_map(|d| &d.items)
            .any(|i| !wuqia_texts.contains(i.text.as_str()) && !i.text.contains(&list.county));
        // The same duty (by name) with fewer items than in Wuqia.
        let drops_items = duties.iter().any(|d| {
            wuqia
                .duties
                .iter()
                .find(|w| w.kind == d.kind && w.name == d.name)
                .is_some_and(|w| w.items.len() > d.items.len())
        });
        assert!(
            is_fewer || is_reworded || drops_items,
            "{} is a copy of Wuqia",
            list.file.name
        );
        fewer += usize::from(is_fewer);
        reworded += usize::from(is_reworded);
        dropped_items += usize::from(drops_items);
    }
    // The rule: the generator is meant to give each list each variation with
    // probability at least 29/30 (for fewer duties it is about 99%: a list keeps
    // all 172 only if its three drop rates, 0–8 %, 0–10 % and 0–15 %, drop nothing),
    // so each count must reach what that gives with probability 999/1000.
    let floor = fewest_expected(lists.len(), 1.0 / 30.0);
    assert!(floor >= 25, "the rule still demands most lists: {floor}");
    let n = lists.len();
    assert!(
        fewer >= floor,
        "{fewer} of {n} lists have fewer duties than Wuqia"
    );
    assert!(
        reworded >= floor,
        "{reworded} of {n} lists have reworded items"
    );
    assert!(
        dropped_items >= floor,
        "{dropped_items} of {n} lists drop items"
    );
}

/// Run `lvzhi-generate` with `args` in an empty working directory.
fn lvzhi_generate(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_lvzhi-generate"))
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("lvzhi-generate runs")
}

/// `lvzhi-generate --towns 4 --seed 11` into a new directory: its files, sorted.
fn the_command_writes_the_library_files(out: &std::path::Path) -> Vec<String> {
    let out_arg = out.to_str().unwrap();
    let generated = lvzhi_generate(&["--towns", "4", "--out", out_arg, "--seed", "11"]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    assert_eq!(files[4], "departments.toml");
    assert!(files[0].starts_with("0001-") && files[0].ends_with(".txt"));
    // The files are the library's, byte for byte.
    let expected = generate(4, 11).unwrap();
    for (file, list) in files.iter().zip(&expected.lists) {
        assert_eq!(file, &list.file.name);
        assert_eq!(
            std::fs::read_to_string(out.join(file)).unwrap(),
            list.file.contents
        );
    }
    assert_eq!(
        std::fs::read_to_string(out.join("departments.toml")).unwrap(),
        expected.registry.contents
    );
    let again = lvzhi_generate(&["--towns", "4", "--out", out_arg]);
    assert!(!again.status.success(), "a non-empty directory is refused");
    files
}

async fn the_generate_command_writes_a_registry_and_lists_that_import(test: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("towns");
    let files = the_command_writes_the_library_files(&out);
    let registry = Registry::load(Some(&out.join("departments.toml"))).unwrap();
    for file in &files[..4] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        let imported = import::import(&test.db, &text, &registry, false)
            .await
            .unwrap_or_else(|e| panic!("{file} on {}: {e}", test.backend));
        assert_eq!(imported.status, Status::Created, "{file}");
    }
    assert_eq!(
        test.count(entity::duty_list::Entity).await,
        4,
        "{}",
        test.backend
    );
}

#[tokio::test]
async fn the_generate_command_writes_a_registry_and_lists_that_import_sqlite() {
    the_generate_command_writes_a_registry_and_lists_that_import(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn the_generate_command_writes_a_registry_and_lists_that_import_postgres() {
    if let Some(test) = TestDb::postgres_from_env(
        "the_generate_command_writes_a_registry_and_lists_that_import_postgres",
    )
    .await
    {
        the_generate_command_writes_a_registry_and_lists_that_import(test).await;
    }
}
