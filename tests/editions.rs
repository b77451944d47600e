//! Editions end to end: the bundled list's next edition (issue 12's acceptance
//! case, built by `common::editions`) imported over the first, on each database:
//! the import report, lineage, `listDiff`, `asOf`; ambiguity refused, then settled
//! by a mapping file.

mod common;

use common::app::TestApp;
use common::editions::{AmbiguousEdition, Duty, Expected, ambiguous_edition, next_edition};
use common::{TestDb, WUQIA, on_each_backend, snapshot};
use entity::{DutyKind, duty};
use lvzhi::edition::Place;
use lvzhi::edition::diff::{Change, DepartmentChangeKind};
use lvzhi::edition::matching::{Pins, place_text};
use lvzhi::import::{self, EditionRequest, ImportError, Imported, Registry, Status};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};

on_each_backend!(
    the_next_edition_imports_with_exactly_its_edits_and_the_first_stays_as_it_was,
    the_import_command_reports_what_the_next_edition_changed_and_refuses_an_older_list,
    an_ambiguous_match_is_refused_naming_the_candidates_and_a_mapping_file_settles_it,
);

/// Import `text` as `file` with `registry` and `edition`.
async fn import(
    db: &DatabaseConnection,
    file: &str,
    text: &str,
    registry: &Registry,
    edition: EditionRequest,
) -> Result<Imported, ImportError> {
    let options = import::Options {
        edition,
        ..Default::default()
    };
    import::import_file(db, file, text.as_bytes(), registry, &options).await
}

/// The stored duty of `list` at `place`.
async fn duty_at(db: &DatabaseConnection, list: i32, place: &Duty) -> duty::Model {
    duty::Entity::find()
        .filter(duty::Column::ListId.eq(list))
        .filter(duty::Column::Kind.eq(place.place.kind))
        .filter(duty::Column::Seq.eq(place.place.seq as i32))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no duty at {}", place_text(place.place)))
}

/// What a dashboard asks of the editions in force (the current ones, or `asOf`
/// a day): the lists, every duty, and the reformed department's cooperations.
const IN_FORCE: &str = r#"query($asOf: Date) {
  dutyLists(asOf: $asOf) { id publishedOn summary { kind dutyCount categoryCount departmentCount } }
  basic: duties(filter: {asOf: $asOf, kind: BASIC}, first: 100) { ...rows }
  cooperative: duties(filter: {asOf: $asOf, kind: COOPERATIVE}, first: 100) { ...rows }
  reclaimed: duties(filter: {asOf: $asOf, kind: RECLAIMED}, first: 100) { ...rows }
  department(name: "县卫健委", asOf: $asOf) { id name cooperationCount
    cooperations { duty { id name } departmentItems { text } townItems { text } } }
}
fragment rows on DutyConnection {
  nodes { id kind seq name workingMethod category { name } departments { name }
    departmentItems { text section departments { name } } townItems { text section } }
}"#;

/// The diff of two editions, as a county office's client asks it.
const LIST_DIFF: &str = r#"query($from: ID!, $to: ID!) {
  listDiff(from: $from, to: $to) {
    entries { change before { lineage kind seq name } after { lineage kind seq name } }
    departments { change before after }
    ambiguous { __typename }
  }
}"#;

/// A `DutyChange` value as the diff's type.
fn change_of(value: &str) -> Change {
    match value {
        "ADDED" => Change::Added,
        "REMOVED" => Change::Removed,
        "MOVED" => Change::Moved,
        "MODIFIED" => Change::Modified,
        "RENUMBERED" => Change::Renumbered,
        other => panic!("unknown change {other}"),
    }
}

/// A `DutySnapshot` as the fixture's duty.
fn snapshot_duty(value: &Value) -> Option<Duty> {
    if value.is_null() {
        return None;
    }
    let kind = match value["kind"].as_str().unwrap() {
        "BASIC" => DutyKind::Basic,
        "COOPERATIVE" => DutyKind::Cooperative,
        _ => DutyKind::Reclaimed,
    };
    Some(Duty {
        place: Place {
            kind,
            seq: value["seq"].as_u64().unwrap() as u32,
        },
        name: value["name"].as_str().unwrap().to_owned(),
    })
}

/// Everything a dashboard asks of one list, for comparing answers.
const WHOLE_LIST: &str = r#"query($list: ID!) {
  dutyList(id: $list) { id town publishedOn summary { kind dutyCount categoryCount departmentCount } }
  basic: duties(filter: {listId: $list, kind: BASIC}, first: 100) { ...rows }
  cooperative: duties(filter: {listId: $list, kind: COOPERATIVE}, first: 100) { ...rows }
  reclaimed: duties(filter: {listId: $list, kind: RECLAIMED}, first: 100) { ...rows }
}
fragment rows on DutyConnection {
  nodes { id kind seq name workingMethod category { name } departments { name }
    departmentItems { text section departments { name } } townItems { text section } }
}"#;

async fn the_next_edition_imports_with_exactly_its_edits_and_the_first_stays_as_it_was(
    test: TestDb,
) {
    let backend = test.backend;
    let next = next_edition();
    let registry = Registry::parse(&next.registry, "fixture.toml").unwrap();
    let app = TestApp::spawn_with(test, |c| {
        c.cache.bytes = 0;
        // One question for the whole list, beyond what a public client may ask.
        c.limits.complexity = 1_000_000;
    })
    .await;
    let db = &app.db.db;
    // Before the registry knows the reform (the server seeded the bundled one).
    let in_force_before = app.graphql(IN_FORCE, json!({})).await;
    assert!(in_force_before["errors"].is_null(), "{in_force_before}");
    let first = import(db, "seed.txt", WUQIA, &registry, EditionRequest::default())
        .await
        .unwrap();
    assert_eq!(
        first.status,
        Status::Unchanged,
        "the server seeded edition 1"
    );
    let lists = app.graphql("{ dutyLists { id } }", json!({})).await;
    let list = json!({ "list": lists["data"]["dutyLists"][0]["id"] });
    let before = app.graphql(WHOLE_LIST, list.clone()).await;

    let edition = EditionRequest {
        document_number: Some("乌党编〔2026〕3号".into()),
        reason: Some("清单动态调整".into()),
        ..Default::default()
    };
    let second = import(db, "wuqia-2026-01.txt", &next.text, &registry, edition)
        .await
        .unwrap();
    assert_eq!((second.status, second.edition), (Status::NewEdition, 2));
    let changes = second.changes.as_ref().unwrap();
    assert_eq!(
        Expected::of_diff(&changes.diff),
        next.entries,
        "the report on {backend}"
    );
    let departments: Vec<_> = changes
        .diff
        .departments
        .iter()
        .map(|d| (d.change, d.before.clone(), d.after.clone()))
        .collect();
    assert_eq!(
        departments,
        [(
            DepartmentChangeKind::Renamed,
            vec![next.renamed.old.clone()],
            vec![next.renamed.new.clone()]
        )],
        "the reform is a rename on {backend}"
    );

    // The moved duty is the same duty: its lineage carries over.
    let moved = &next.of(Change::Moved)[0];
    let old = duty_at(db, first.list_id, moved.before.as_ref().unwrap()).await;
    let new = duty_at(db, second.list_id, moved.after.as_ref().unwrap()).await;
    assert_eq!(new.lineage, old.lineage, "on {backend}");
    assert_ne!(new.kind, old.kind);

    // listDiff gives the same entries, the moved duty under one lineage.
    // Reads see the current edition; it lists every edition of its town.
    let lists = app
        .graphql("{ dutyLists { editions { id edition } } }", json!({}))
        .await;
    let id_of = |edition: i64| {
        lists["data"]["dutyLists"][0]["editions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["edition"] == edition)
            .map(|l| l["id"].clone())
            .unwrap_or_else(|| panic!("no edition {edition} in {lists}"))
    };
    let answer = app
        .graphql(LIST_DIFF, json!({ "from": id_of(1), "to": id_of(2) }))
        .await;
    let diff = &answer["data"]["listDiff"];
    assert!(answer["errors"].is_null(), "{answer}");
    let served: Vec<Expected> = diff["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Expected {
            change: change_of(e["change"].as_str().unwrap()),
            before: snapshot_duty(&e["before"]),
            after: snapshot_duty(&e["after"]),
        })
        .collect();
    assert_eq!(served, next.entries, "listDiff on {backend}");
    let moved_entry = diff["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["change"] == "MOVED")
        .unwrap();
    assert_eq!(
        moved_entry["before"]["lineage"],
        moved_entry["after"]["lineage"]
    );
    assert_eq!(
        diff["departments"],
        json!([{ "change": "RENAMED", "before": [next.renamed.old], "after": [next.renamed.new] }]),
        "on {backend}"
    );
    assert_eq!(diff["ambiguous"], json!([]));

    // The first edition still answers exactly as it did, by its id.
    let after = app.graphql(WHOLE_LIST, list).await;
    assert!(before["errors"].is_null(), "{before}");
    assert_eq!(after, before, "edition 1 on {backend}");

    // As of the day before the next edition, everything answers as before it.
    let day_before = json!({ "asOf": "2025-12-31" });
    assert_eq!(
        app.graphql(IN_FORCE, day_before).await,
        in_force_before,
        "asOf the day before on {backend}"
    );
    // Now the current edition answers, and the old name its successor, whose
    // cooperations carry on in the new edition.
    let now = app.graphql(IN_FORCE, json!({})).await;
    assert!(now["errors"].is_null(), "{now}");
    assert_eq!(now["data"]["dutyLists"].as_array().unwrap().len(), 1);
    assert_ne!(
        now["data"]["dutyLists"],
        in_force_before["data"]["dutyLists"]
    );
    let bureau = &now["data"]["department"];
    assert_eq!(bureau["name"], next.renamed.new.as_str(), "on {backend}");
    assert_eq!(
        bureau["cooperationCount"], in_force_before["data"]["department"]["cooperationCount"],
        "the cooperations carry over the reform on {backend}"
    );
}

async fn an_ambiguous_match_is_refused_naming_the_candidates_and_a_mapping_file_settles_it(
    test: TestDb,
) {
    let backend = test.backend;
    let registry = Registry::bundled().unwrap();
    let db = &test.db;
    let first = import(db, "seed.txt", WUQIA, &registry, EditionRequest::default())
        .await
        .unwrap();
    let AmbiguousEdition { text, old, new } = ambiguous_edition();
    let text = text.replacen("2025 年 7 月", "2025 年 9 月", 1);
    let before = snapshot(db).await;
    let refused = import(db, "twins.txt", &text, &registry, EditionRequest::default()).await;
    let Err(ImportError::AmbiguousMatch {
        previous,
        ambiguities,
    }) = &refused
    else {
        panic!("expected an ambiguous match on {backend}, got {refused:?}");
    };
    assert_eq!(*previous, 1);
    let said = ambiguities.join("\n");
    for duty in [&old, &new[0], &new[1]] {
        assert!(said.contains(&duty.name), "{said}");
    }
    assert_eq!(refused.unwrap_err().code().as_str(), "AMBIGUOUS_MATCH");
    assert_eq!(snapshot(db).await, before, "nothing written on {backend}");

    let mapping = format!(
        "[[same]]\nold = \"{}\"\nnew = \"{}\"\n\n[[added]]\nnew = \"{}\"\n",
        place_text(old.place),
        place_text(new[0].place),
        place_text(new[1].place)
    );
    let edition = EditionRequest {
        pins: Pins::parse(&mapping, "mapping.toml").unwrap(),
        ..Default::default()
    };
    let second = import(db, "twins.txt", &text, &registry, edition)
        .await
        .unwrap();
    assert_eq!(second.status, Status::NewEdition);
    let pinned = duty_at(db, second.list_id, &new[0]).await;
    let added = duty_at(db, second.list_id, &new[1]).await;
    let original = duty_at(db, first.list_id, &old).await;
    assert_eq!(
        pinned.lineage, original.lineage,
        "the pin holds on {backend}"
    );
    assert_eq!(added.lineage, added.id, "the other starts its own lineage");
}

async fn the_import_command_reports_what_the_next_edition_changed_and_refuses_an_older_list(
    test: TestDb,
) {
    let backend = test.backend;
    let next = next_edition();
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let registry = file("departments.toml", &next.registry);
    let seed = file("wuqia-2025-07.txt", WUQIA);
    let edition = file("wuqia-2026-01.txt", &next.text);
    let run = |args: &[&str]| {
        let output = common::lvzhi_cli(&test.url, Some(&registry), args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), stdout, stderr)
    };
    let (ok, stdout, stderr) = run(&["import", seed.to_str().unwrap()]);
    assert!(ok, "{stdout}{stderr}");
    let (ok, stdout, stderr) = run(&[
        "import",
        edition.to_str().unwrap(),
        "--document-number",
        "乌党编〔2026〕3号",
        "--reason",
        "清单动态调整",
    ]);
    assert!(ok, "{stdout}{stderr}");
    for said in [
        "imported as a new edition",
        "edition 2;",
        "follows edition 1 (in effect from 2025-07-01): 2 added, 1 removed, 3 modified, 1 moved, 1 renumbered",
        &format!(
            "department RENAMED: {} → {}",
            next.renamed.old, next.renamed.new
        ),
        "matched by similarity",
    ] {
        assert!(stdout.contains(said), "`{said}` on {backend} in:\n{stdout}");
    }
    for entry in &next.entries {
        let shown = entry.after.as_ref().or(entry.before.as_ref()).unwrap();
        assert!(stdout.contains(&shown.name), "{} in:\n{stdout}", shown.name);
    }
    let stored = entity::duty_list::Entity::find()
        .filter(entity::duty_list::Column::Edition.eq(2))
        .one(&test.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            stored.document_number.as_deref(),
            stored.reason.as_deref(),
            stored.source_name.as_str(),
            stored.effective_on.as_str()
        ),
        (
            Some("乌党编〔2026〕3号"),
            Some("清单动态调整"),
            "wuqia-2026-01.txt",
            "2026-01-01"
        )
    );

    // The first edition again is already there; a list of before it is older
    // than the current edition.
    let (ok, stdout, _) = run(&["import", seed.to_str().unwrap()]);
    assert!(
        ok && stdout.contains("already imported; nothing changed"),
        "{stdout}"
    );
    let june = file(
        "wuqia-2025-06.txt",
        &WUQIA.replacen("2025 年 7 月", "2025 年 6 月", 1),
    );
    let (ok, stdout, stderr) = run(&["import", june.to_str().unwrap()]);
    assert!(!ok, "{stdout}");
    assert!(
        stderr.contains("older than its current edition 2") && stderr.contains("--allow-older"),
        "{stderr}"
    );
}
