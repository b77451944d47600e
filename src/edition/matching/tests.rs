//! Matching the bundled list against edited editions of itself.

use entity::{DutyKind, Party};

use super::*;
use crate::edition::{ItemVersion, Place};
use crate::import::{BUNDLED_LIST, Registry, prepare};

/// The duties of the bundled list.
fn bundled() -> Vec<DutyVersion> {
    let registry = Registry::bundled().expect("the bundled registry parses");
    let prepared = prepare(BUNDLED_LIST, &registry, false).expect("the bundled list imports");
    DutyVersion::of_list(&prepared.list)
}

fn place(kind: DutyKind, seq: u32) -> Place {
    Place { kind, seq }
}

/// Index of the duty at a place.
fn at(duties: &[DutyVersion], kind: DutyKind, seq: u32) -> usize {
    duties
        .iter()
        .position(|d| d.place == place(kind, seq))
        .expect("the place exists")
}

/// Number every table 1, 2, 3… in the order its duties appear.
fn renumber(duties: &mut [DutyVersion]) {
    for kind in [DutyKind::Basic, DutyKind::Cooperative, DutyKind::Reclaimed] {
        for (seq, duty) in (1..).zip(duties.iter_mut().filter(|d| d.place.kind == kind)) {
            duty.place.seq = seq;
        }
    }
}

/// Every old index in exactly one of pairs, removed or an ambiguity's `old`;
/// every new index likewise.
fn assert_partition(m: &Matching, old: usize, new: usize) {
    let mut olds: Vec<usize> = m.pairs.iter().map(|p| p.old).collect();
    olds.extend(&m.removed);
    olds.extend(m.ambiguous.iter().filter_map(|a| a.old));
    olds.sort_unstable();
    assert_eq!(olds, (0..old).collect::<Vec<_>>());
    let mut news: Vec<usize> = m.pairs.iter().map(|p| p.new).collect();
    news.extend(&m.added);
    news.extend(m.ambiguous.iter().filter_map(|a| a.new));
    news.sort_unstable();
    assert_eq!(news, (0..new).collect::<Vec<_>>());
}

fn pairs_of(m: &Matching) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(usize, usize)> = m.pairs.iter().map(|p| (p.old, p.new)).collect();
    pairs.sort_unstable();
    pairs
}

#[test]
fn an_edition_matches_itself_entirely_as_identical() {
    let old = bundled();
    let m = match_editions(&old, &old, &Pins::default());
    assert_partition(&m, old.len(), old.len());
    assert!(m.removed.is_empty() && m.added.is_empty() && m.is_settled());
    for pair in &m.pairs {
        assert_eq!(
            (pair.old, pair.by, pair.score),
            (pair.new, MatchedBy::Identical, 1.0)
        );
    }
}

/// The next edition of the issue's acceptance test, with the origin of every
/// new duty (its old index, or `None` when added).
struct NextEdition {
    duties: Vec<DutyVersion>,
    origin: Vec<Option<usize>>,
    removed: usize,
    moved: usize,
    reworded: [usize; 3],
}

fn next_edition(old: &[DutyVersion]) -> NextEdition {
    use DutyKind::{Basic, Cooperative, Reclaimed};
    let mut entries: Vec<(Option<usize>, DutyVersion)> = old
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, d)| (Some(i), d))
        .collect();
    let index = |kind, seq| at(old, kind, seq);
    let reworded = [index(Basic, 7), index(Basic, 54), index(Cooperative, 26)];
    // Three duties reworded: a word dropped, a word added, an item extended.
    entries[reworded[0]].1.name = "做好人才引进、服务、管理和使用".to_owned();
    entries[reworded[1]].1.name = "组织开展义务植树活动".to_owned();
    let item = &mut entries[reworded[2]].1.items[0];
    item.text = format!("{}，每年更新一次", item.text);
    // Cooperative 3 and 4 swap places.
    entries.swap(index(Cooperative, 3), index(Cooperative, 4));
    // Cooperative 29 moves to the reclaimed table: its first counterpart takes it
    // back, the items go and a working method comes.
    let moved = index(Cooperative, 29);
    let (_, mut duty) = entries.remove(moved);
    let receiver = duty.departments[0].clone();
    duty.place.kind = Reclaimed;
    duty.working_method = Some(format!("取消乡镇{}的责任，由{receiver}负责。", duty.name));
    duty.departments = vec![receiver];
    duty.items.clear();
    entries.push((Some(moved), duty));
    // Basic 12 removed; the basic duties after it move up.
    let removed = index(Basic, 12);
    entries.retain(|(origin, _)| *origin != Some(removed));
    // Two duties added.
    entries.push((
        None,
        added(
            Basic,
            "社会体育",
            "开展全民健身活动，组织群众性体育赛事",
            &[],
        ),
    ));
    entries.push((
        None,
        added(
            Cooperative,
            "城乡建设",
            "冬季供暖设施运行保障",
            &["乌恰县住房和城乡建设局"],
        ),
    ));
    entries.sort_by_key(|(_, d)| d.place.kind);
    let (origin, mut duties): (Vec<_>, Vec<_>) = entries.into_iter().unzip();
    renumber(&mut duties);
    NextEdition {
        duties,
        origin,
        removed,
        moved,
        reworded,
    }
}

fn added(kind: DutyKind, category: &str, name: &str, departments: &[&str]) -> DutyVersion {
    let departments: Vec<String> = departments.iter().map(|d| (*d).to_owned()).collect();
    let items = if departments.is_empty() {
        Vec::new()
    } else {
        vec![ItemVersion {
            party: Party::Town,
            section: None,
            text: "排查供暖隐患并及时上报".to_owned(),
            departments: Vec::new(),
        }]
    };
    DutyVersion {
        place: place(kind, u32::MAX),
        category: category.to_owned(),
        name: name.to_owned(),
        departments,
        working_method: None,
        items,
    }
}

#[test]
fn the_next_edition_matches_rewordings_moves_and_renumbering() {
    let old = bundled();
    let next = next_edition(&old);
    let m = match_editions(&old, &next.duties, &Pins::default());
    assert_partition(&m, old.len(), next.duties.len());
    assert!(m.is_settled(), "{:?}", m.ambiguous);
    let expected: Vec<(usize, usize)> = {
        let mut pairs: Vec<_> = next
            .origin
            .iter()
            .enumerate()
            .filter_map(|(n, o)| o.map(|o| (o, n)))
            .collect();
        pairs.sort_unstable();
        pairs
    };
    assert_eq!(pairs_of(&m), expected);
    assert_eq!(m.removed, vec![next.removed]);
    let added: Vec<usize> = (0..next.origin.len())
        .filter(|n| next.origin[*n].is_none())
        .collect();
    assert_eq!(m.added, added);
    let similar: Vec<usize> = m
        .pairs
        .iter()
        .filter(|p| p.by == MatchedBy::Similar)
        .map(|p| p.old)
        .collect();
    let mut changed = next.reworded.to_vec();
    changed.push(next.moved);
    changed.sort_unstable();
    assert_eq!(similar, changed);
}

/// An edition where basic 45 is two duties differing in one character.
fn with_twins(base: &[DutyVersion], marks: &[&str]) -> Vec<DutyVersion> {
    let mut duties = base.to_vec();
    let i = at(&duties, DutyKind::Basic, 45);
    let twin = duties[i].clone();
    duties.remove(i);
    for (k, mark) in marks.iter().enumerate() {
        let mut duty = twin.clone();
        duty.name = format!("{}{mark}", twin.name);
        duties.insert(i + k, duty);
    }
    renumber(&mut duties);
    duties
}

#[test]
fn near_identical_duties_are_reported_not_guessed() {
    let base = bundled();
    let old = with_twins(&base, &["甲", "乙"]);
    let new = with_twins(&base, &["丙", "丁"]);
    let m = match_editions(&old, &new, &Pins::default());
    assert_partition(&m, old.len(), new.len());
    let (o1, o2) = (at(&old, DutyKind::Basic, 45), at(&old, DutyKind::Basic, 46));
    let (n1, n2) = (at(&new, DutyKind::Basic, 45), at(&new, DutyKind::Basic, 46));
    let ambiguous: Vec<(Option<usize>, Option<usize>, Vec<usize>)> = m
        .ambiguous
        .iter()
        .map(|a| (a.old, a.new, a.candidates.iter().map(|c| c.0).collect()))
        .collect();
    assert_eq!(
        ambiguous,
        vec![
            (Some(o1), None, vec![n1, n2]),
            (Some(o2), None, vec![n1, n2]),
            (None, Some(n1), vec![o1, o2]),
            (None, Some(n2), vec![o1, o2]),
        ]
    );
    assert!(m.removed.is_empty() && m.added.is_empty());
}

#[test]
fn a_pin_settles_near_identical_duties() {
    let base = bundled();
    let old = with_twins(&base, &["甲", "乙"]);
    let new = with_twins(&base, &["丙", "丁"]);
    let pins = Pins::parse(
        "[[same]]\nold = \"基本 45\"\nnew = \"基本 46\"\n",
        "pins.toml",
    )
    .unwrap();
    pins.check(&old, &new).unwrap();
    let m = match_editions(&old, &new, &pins);
    assert_partition(&m, old.len(), new.len());
    assert!(m.is_settled());
    let (o1, o2) = (at(&old, DutyKind::Basic, 45), at(&old, DutyKind::Basic, 46));
    let (n1, n2) = (at(&new, DutyKind::Basic, 45), at(&new, DutyKind::Basic, 46));
    assert_eq!(
        m.successor(o1).map(|p| (p.new, p.by)),
        Some((n2, MatchedBy::Pinned))
    );
    assert_eq!(
        m.successor(o2).map(|p| (p.new, p.by)),
        Some((n1, MatchedBy::Similar))
    );
}

#[test]
fn one_duty_fitting_two_is_reported_with_both() {
    let base = bundled();
    let old = with_twins(&base, &["甲", "乙"]);
    let new = with_twins(&base, &["丙"]);
    let m = match_editions(&old, &new, &Pins::default());
    assert_partition(&m, old.len(), new.len());
    let n = at(&new, DutyKind::Basic, 45);
    let of_new = m.ambiguous.iter().find(|a| a.new == Some(n)).unwrap();
    assert_eq!(of_new.candidates.len(), 2);
    assert_eq!(
        m.ambiguous.len(),
        3,
        "both old twins wait for a reviewer too"
    );
}

#[test]
fn pins_override_the_automatic_match() {
    let old = bundled();
    let new = old.clone();
    let text = r#"
        [[same]]
        old = "基本 7"
        new = "基本 8"

        [[removed]]
        old = "基本 1"

        [[added]]
        new = "基本 1"
    "#;
    let pins = Pins::parse(text, "pins.toml").unwrap();
    pins.check(&old, &new).unwrap();
    let m = match_editions(&old, &new, &pins);
    assert_partition(&m, old.len(), new.len());
    let (b1, b7, b8) = (
        at(&old, DutyKind::Basic, 1),
        at(&old, DutyKind::Basic, 7),
        at(&old, DutyKind::Basic, 8),
    );
    // Old 基本 8 and new 基本 7 lost their identical twins to the pin.
    assert_eq!(m.removed, vec![b1, b8]);
    assert_eq!(m.added, vec![b1, b7]);
    let pinned = m.successor(b7).unwrap();
    assert_eq!((pinned.new, pinned.by), (b8, MatchedBy::Pinned));
    assert!(pinned.score < MIN_SCORE, "a pin needs no similarity");
    assert!(m.successor(b8).is_none() && m.predecessor(b7).is_none());
}

#[test]
fn places_are_read_in_every_spelling() {
    let cooperative = Some(place(DutyKind::Cooperative, 31));
    for text in [
        "配合 31",
        "配合31",
        " 配合 ３１ ",
        "COOPERATIVE 31",
        "cooperative 31",
        "配合履职事项 31",
    ] {
        assert_eq!(parse_place(text), cooperative, "{text}");
    }
    assert_eq!(
        parse_place("上级部门收回事项 4"),
        Some(place(DutyKind::Reclaimed, 4))
    );
    assert_eq!(
        parse_place("收回 4").map(place_text).as_deref(),
        Some("收回 4")
    );
    for text in ["配合", "配合 0", "配合 x", "31", "协同 31", "配合 -1"] {
        assert_eq!(parse_place(text), None, "{text}");
    }
}

#[test]
fn mapping_file_errors_name_the_entry() {
    let bad = "[[same]]\nold = \"配合 1\"\nnew = \"收回 1\"\n\n[[same]]\nold = \"配合 x\"\nnew = \"收回 2\"\n";
    let error = Pins::parse(bad, "m.toml").unwrap_err();
    let entry = Entry {
        section: Section::Same,
        index: 2,
    };
    assert!(matches!(&error, PinsError::BadPlace { entry: e, side: Side::Old, .. } if *e == entry));
    let message = error.to_string();
    assert!(
        message.starts_with("m.toml: [[same]] #2: old = \"配合 x\""),
        "{message}"
    );

    let unknown = Pins::parse("[[same]]\nold = \"配合 1\"\nneu = \"收回 1\"\n", "m.toml");
    assert!(
        matches!(unknown, Err(PinsError::Syntax { .. })),
        "{unknown:?}"
    );
}

#[test]
fn a_duty_pinned_twice_is_an_error() {
    let text =
        "[[same]]\nold = \"配合 31\"\nnew = \"收回 4\"\n\n[[removed]]\nold = \"COOPERATIVE 31\"\n";
    let error = Pins::parse(text, "m.toml").unwrap_err();
    let PinsError::PinnedTwice {
        entry, side, first, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(
        (entry.section, entry.index, *side),
        (Section::Removed, 1, Side::Old)
    );
    assert_eq!((first.section, first.index), (Section::Same, 1));
    assert_eq!(
        error.to_string(),
        "m.toml: [[removed]] #1 (old = \"配合 31\") pins old duty 配合 31 again: [[same]] #1 pins it already"
    );
    let twice_new = "[[same]]\nold = \"配合 1\"\nnew = \"收回 4\"\n\n[[added]]\nnew = \"收回 4\"\n";
    assert!(matches!(
        Pins::parse(twice_new, "m.toml"),
        Err(PinsError::PinnedTwice {
            side: Side::New,
            ..
        })
    ));
}

#[test]
fn a_pin_to_a_missing_duty_is_found_by_check() {
    let old = bundled();
    let pins = Pins::parse("[[added]]\nnew = \"收回 99\"\n", "m.toml").unwrap();
    let error = pins.check(&old, &old).unwrap_err();
    assert_eq!(
        error.to_string(),
        "m.toml: [[added]] #1 (new = \"收回 99\"): the new edition has no duty 收回 99"
    );
    assert_eq!(match_editions(&old, &old, &pins).added, Vec::<usize>::new());
}

#[test]
fn a_dropped_duty_is_removed_not_taken_for_its_neighbour() {
    let old = bundled();
    let mut new = old.clone();
    // Each has a sibling sharing a long phrase (基本 17 `加强基层妇联组织建设，维护…`,
    // 收回 9 `城乡居民基本医疗保险…`) that stays unchanged.
    let dropped = [
        at(&old, DutyKind::Basic, 15),
        at(&old, DutyKind::Reclaimed, 3),
    ];
    new.retain(|d| !dropped.iter().any(|i| old[*i].place == d.place));
    renumber(&mut new);
    let m = match_editions(&old, &new, &Pins::default());
    assert_eq!(
        (m.removed.as_slice(), m.added.len()),
        (dropped.as_slice(), 0)
    );
    assert!(m.is_settled());
}

#[test]
fn every_duty_reworded_still_matches_its_predecessor() {
    // No duty is identical, so every pair competes with every other.
    let old = bundled();
    let mut new = old.clone();
    for duty in &mut new {
        duty.name = format!("切实{}", duty.name);
    }
    new.reverse();
    let m = match_editions(&old, &new, &Pins::default());
    assert!(m.is_settled(), "{:?}", m.ambiguous);
    let last = old.len() - 1;
    assert!(
        m.pairs
            .iter()
            .all(|p| p.new == last - p.old && p.by == MatchedBy::Similar)
    );
    assert_eq!(m.pairs.len(), old.len());
}

#[test]
fn duplicated_duties_pair_in_order_only_when_both_editions_have_as_many() {
    let base = bundled();
    let twins = with_twins(&base, &["", ""]);
    let m = match_editions(&twins, &twins, &Pins::default());
    assert!(m.is_settled() && m.pairs.iter().all(|p| p.old == p.new));
    let m = match_editions(&twins, &base, &Pins::default());
    assert_partition(&m, twins.len(), base.len());
    let i = at(&base, DutyKind::Basic, 45);
    let of_new = m.ambiguous.iter().find(|a| a.new == Some(i));
    assert_eq!(
        of_new.map(|a| a.candidates.len()),
        Some(2),
        "{:?}",
        m.ambiguous
    );
}

#[test]
fn an_empty_edition_removes_or_adds_everything() {
    let old = bundled();
    let m = match_editions(&old, &[], &Pins::default());
    assert_eq!(m.removed, (0..old.len()).collect::<Vec<_>>());
    let m = match_editions(&[], &old, &Pins::default());
    assert_eq!(m.added, (0..old.len()).collect::<Vec<_>>());
}

#[test]
fn stored_editions_match_by_lineage_alone_and_nothing_is_ambiguous() {
    // Lineages of the old and new edition's duties, in document order: 10 kept
    // (moved to the end), 11 removed, 12 kept, 13 added.
    let m = Matching::by_lineage(&[10, 11, 12], &[12, 13, 10]);
    let pairs: Vec<(usize, usize, MatchedBy)> =
        m.pairs.iter().map(|p| (p.old, p.new, p.by)).collect();
    assert_eq!(
        pairs,
        [(0, 2, MatchedBy::Lineage), (2, 0, MatchedBy::Lineage)]
    );
    assert_eq!(m.removed, [1]);
    assert_eq!(m.added, [1]);
    assert!(m.is_settled());
    assert_partition(&m, 3, 3);
}

#[test]
fn a_lineage_twice_in_an_edition_pairs_once_and_the_rest_is_added() {
    let m = Matching::by_lineage(&[7], &[7, 7]);
    assert_eq!(m.pairs.len(), 1);
    assert_eq!((m.pairs[0].old, m.pairs[0].new), (0, 0));
    assert_eq!(m.added, [1]);
    assert!(m.removed.is_empty());
}
