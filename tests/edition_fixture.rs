//! The next-edition fixture (`common::editions`) against the pure core: the
//! edited documents import without mismatch, and matching plus diff find
//! exactly the edits made — no database involved.

mod common;

use common::editions::{
    Duty, Expected, FIRST_EFFECTIVE_ON, NEXT_EFFECTIVE_ON, NextEdition, ambiguous_edition, evolve,
    next_edition,
};
use entity::DutyKind;
use lvzhi::date::Date;
use lvzhi::edition::DutyVersion;
use lvzhi::edition::diff::{
    Change, DepartmentChange, DepartmentChangeKind, Diff, Field, ItemChangeKind, Renames, diff,
};
use lvzhi::edition::matching::{Matching, Pins, match_editions};
use lvzhi::import::registry::Resolution;
use lvzhi::import::{Prepared, Registry, prepare};

fn date(text: &str) -> Date {
    text.parse().expect("a date")
}

fn registry(text: &str) -> Registry {
    Registry::parse(text, "fixture.toml").expect("the fixture's registry is valid")
}

/// A document prepared without `allow_mismatch`: it must reconcile.
fn prepared(text: &str, registry: &Registry) -> Prepared {
    prepare(text, registry, false).unwrap_or_else(|e| panic!("the edition imports: {e}"))
}

/// The first edition, the next one, their matching and diff.
struct Compared {
    next: NextEdition,
    old: Vec<DutyVersion>,
    new: Vec<DutyVersion>,
    matching: Matching,
    diff: Diff,
}

fn compared() -> Compared {
    let next = next_edition();
    let registry = registry(&next.registry);
    let old = DutyVersion::of_list(&prepared(common::WUQIA, &registry).list);
    let new = DutyVersion::of_list(&prepared(&next.text, &registry).list);
    let matching = match_editions(&old, &new, &Pins::default());
    let county = registry.find_county("", "", "乌恰县").unwrap();
    let replacements =
        county.successions_between(date(FIRST_EFFECTIVE_ON), date(NEXT_EFFECTIVE_ON));
    let renames = Renames::from_replacements(&replacements)
        .expect("valid successions")
        .with_spellings(|name| county.reforms().spellings(name));
    let diff = diff(&old, &new, &matching, &renames);
    Compared {
        next,
        old,
        new,
        matching,
        diff,
    }
}

#[test]
fn the_next_edition_reconciles_under_the_registry_that_knows_the_reform() {
    let next = next_edition();
    let seed = common::wuqia();
    let new = prepared(&next.text, &registry(&next.registry));
    assert_eq!(new.list.published_on, "2026-01");
    assert!(new.report.mismatches().is_empty());
    let duties =
        |p: &Prepared| -> Vec<u32> { p.report.rows.iter().map(|r| r.duties.parsed).collect() };
    // Basic: one added, one removed; cooperative: one added, one moved out;
    // reclaimed: one moved in.
    let (before, after) = (duties(seed), duties(&new));
    assert_eq!(after, vec![before[0], before[1], before[2] + 1]);
    assert_eq!(new.report.total.parsed, seed.report.total.parsed + 1);
    assert_eq!(new.report.total.stated, Some(seed.report.total.parsed + 1));
}

#[test]
fn the_next_edition_names_only_the_reformed_department() {
    let next = next_edition();
    let rename = &next.renamed;
    for old in [rename.old.as_str(), &rename.old_short, "卫健委"] {
        assert!(!next.text.contains(old), "`{old}` is left in the text");
    }
    assert!(
        next.text.contains(rename.new.as_str()) && next.text.contains(rename.new_short.as_str())
    );
    let new = prepared(&next.text, &registry(&next.registry));
    let named: Vec<&str> = new
        .list
        .duties
        .iter()
        .flat_map(|d| &d.departments)
        .map(|&i| new.list.departments[i].name.as_str())
        .collect();
    assert!(named.contains(&rename.new.as_str()) && !named.contains(&rename.old.as_str()));
}

#[test]
fn an_edition_dated_before_the_reform_still_resolves_the_old_name() {
    let next = next_edition();
    let old = prepared(common::WUQIA, &registry(&next.registry));
    let names = |list: &lvzhi::import::ResolvedList| -> Vec<String> {
        list.duties
            .iter()
            .flat_map(|d| {
                d.departments
                    .iter()
                    .map(|&i| list.departments[i].name.clone())
            })
            .collect()
    };
    assert_eq!(names(&old.list), names(&common::wuqia().list));
    assert!(names(&old.list).contains(&next.renamed.old));
    let registry = registry(&next.registry);
    let county = registry.find_county("", "", "乌恰县").unwrap();
    let [old, new] = [&next.renamed.old, &next.renamed.new].map(|n| county.resolve(n).unwrap());
    let on = |day: &str| county.resolve_on(&next.renamed.old_short, date(day));
    assert_eq!(on(FIRST_EFFECTIVE_ON), Some(Resolution::Department(old)));
    assert_eq!(on("2025-12-31"), Some(Resolution::Department(old)));
    assert_eq!(on(NEXT_EFFECTIVE_ON), Some(Resolution::Department(new)));
}

#[test]
fn the_diff_reports_exactly_the_edits_made() {
    let c = compared();
    assert_eq!(Expected::of_diff(&c.diff), c.next.entries);
    assert!(c.diff.ambiguous.is_empty(), "{:?}", c.diff.ambiguous);
    for (change, count) in [
        (Change::Modified, 3),
        (Change::Moved, 1),
        (Change::Added, 2),
        (Change::Removed, 1),
        (Change::Renumbered, 1),
    ] {
        assert_eq!(c.diff.count(change), count, "{change:?}");
        assert_eq!(c.next.of(change).len(), count, "{change:?}");
    }
}

#[test]
fn the_counts_per_table_add_up_to_the_edits() {
    let c = compared();
    let row = |kind: DutyKind| *c.diff.counts.iter().find(|k| k.kind == kind).unwrap();
    let basic = row(DutyKind::Basic);
    assert_eq!(
        (
            basic.added,
            basic.removed,
            basic.modified,
            basic.moved_in,
            basic.moved_out,
            basic.renumbered
        ),
        (1, 1, 2, 0, 0, 0)
    );
    let cooperative = row(DutyKind::Cooperative);
    assert_eq!(
        (
            cooperative.added,
            cooperative.removed,
            cooperative.modified,
            cooperative.moved_out,
            cooperative.renumbered
        ),
        (1, 0, 1, 1, 1)
    );
    let reclaimed = row(DutyKind::Reclaimed);
    assert_eq!(
        (reclaimed.moved_in, reclaimed.added, reclaimed.modified),
        (1, 0, 0)
    );
    // Every matched duty that stayed in its table is an entry or unchanged.
    let staying: usize = c
        .diff
        .counts
        .iter()
        .map(|k| k.modified + k.renumbered + k.unchanged)
        .sum();
    assert_eq!(staying + 1, c.matching.pairs.len());
    assert!(
        basic.shifted > 0 && cooperative.shifted > 0,
        "the edits shift their neighbours"
    );
}

#[test]
fn the_renamed_department_is_reported_as_renamed_not_removed_and_added() {
    let c = compared();
    let rename = &c.next.renamed;
    let changes: Vec<(DepartmentChangeKind, &[String], &[String])> = c
        .diff
        .departments
        .iter()
        .map(|d: &DepartmentChange| (d.change, d.before.as_slice(), d.after.as_slice()))
        .collect();
    assert_eq!(
        changes,
        vec![(
            DepartmentChangeKind::Renamed,
            std::slice::from_ref(&rename.old),
            std::slice::from_ref(&rename.new),
        )]
    );
    let naming = c
        .old
        .iter()
        .filter(|d| {
            d.departments.contains(&rename.old)
                || d.items.iter().any(|i| i.departments.contains(&rename.old))
        })
        .count();
    assert_eq!(c.diff.departments[0].duties, naming);
}

#[test]
fn the_moved_duty_keeps_its_lineage_and_the_reworded_ones_change_only_what_was_edited() {
    let c = compared();
    let moved = &c.next.of(Change::Moved)[0];
    let pair = c
        .matching
        .pairs
        .iter()
        .find(|p| c.old[p.old].place == moved.before.as_ref().unwrap().place)
        .expect("the moved duty has a successor");
    assert_eq!(c.new[pair.new].place, moved.after.as_ref().unwrap().place);
    assert_eq!(c.new[pair.new].place.kind, DutyKind::Reclaimed);
    for entry in c
        .diff
        .entries
        .iter()
        .filter(|e| e.change == Change::Modified)
    {
        let fields: Vec<Field> = entry.fields.iter().map(|f| f.field).collect();
        assert_eq!(fields, [Field::Name]);
        assert!(!entry.renumbered && entry.department_changes.iter().all(|d| !d.is_change()));
        let items: Vec<ItemChangeKind> = entry.items.iter().map(|i| i.change).collect();
        let item_edited = entry.after.as_ref().unwrap().name == c.next.item_reworded;
        assert_eq!(
            items,
            if item_edited {
                vec![ItemChangeKind::Reworded]
            } else {
                vec![]
            }
        );
    }
    let renumbered = c
        .diff
        .entries
        .iter()
        .find(|e| e.change == Change::Renumbered)
        .unwrap();
    assert!(renumbered.renumbered && renumbered.fields.is_empty() && renumbered.items.is_empty());
}

#[test]
fn two_near_identical_duties_replacing_one_are_reported_not_guessed() {
    let edition = ambiguous_edition();
    let registry = common::registry();
    let old = DutyVersion::of_list(&common::wuqia().list);
    let new = DutyVersion::of_list(&prepared(&edition.text, registry).list);
    let matching = match_editions(&old, &new, &Pins::default());
    let index = |duties: &[DutyVersion], d: &Duty| {
        duties
            .iter()
            .position(|v| v.place == d.place && v.name == d.name)
            .expect("the duty")
    };
    let o = index(&old, &edition.old);
    let [n1, n2] = edition.new.each_ref().map(|d| index(&new, d));
    assert!(matching.successor(o).is_none());
    assert!(matching.predecessor(n1).is_none() && matching.predecessor(n2).is_none());
    let doubts: Vec<(Option<usize>, Option<usize>, Vec<usize>)> = matching
        .ambiguous
        .iter()
        .map(|a| (a.old, a.new, a.candidates.iter().map(|c| c.0).collect()))
        .collect();
    assert_eq!(
        doubts,
        vec![
            (Some(o), None, vec![n1, n2]),
            (None, Some(n1), vec![o]),
            (None, Some(n2), vec![o])
        ]
    );
    let d = diff(&old, &new, &matching, &Renames::default());
    assert!(
        d.entries
            .iter()
            .all(|e| e.old != Some(o) && e.new != Some(n1) && e.new != Some(n2))
    );
    assert_eq!(d.ambiguous, matching.ambiguous);
    assert_eq!(matching.removed.len() + matching.added.len(), 0);
}

#[test]
fn five_editions_evolve_from_the_seed_each_reconciling_and_differing_by_its_round() {
    let registry = common::registry();
    let mut texts = vec![common::WUQIA.to_owned()];
    for round in 1..=4 {
        let next = evolve(texts.last().unwrap(), round, registry);
        texts.push(next);
    }
    let versions: Vec<Vec<DutyVersion>> = texts
        .iter()
        .map(|t| DutyVersion::of_list(&prepared(t, registry).list))
        .collect();
    let months: Vec<String> = texts
        .iter()
        .map(|t| prepared(t, registry).list.published_on)
        .collect();
    assert_eq!(
        months,
        ["2025-07", "2026-01", "2026-07", "2027-01", "2027-07"]
    );
    for pair in versions.windows(2) {
        let m = match_editions(&pair[0], &pair[1], &Pins::default());
        let d = diff(&pair[0], &pair[1], &m, &Renames::default());
        assert!(m.is_settled(), "{:?}", m.ambiguous);
        assert_eq!(
            (
                d.count(Change::Added),
                d.count(Change::Removed),
                d.count(Change::Modified)
            ),
            (1, 1, 1)
        );
        assert!(d.count(Change::Renumbered) <= 1 && d.count(Change::Moved) == 0);
    }
    assert_eq!(evolve(&texts[1], 2, registry), texts[2], "deterministic");
}
