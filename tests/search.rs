//! Search over HTTP: Chinese words of any length, ranking, filters, paging,
//! the index serving every query length, and indexing an old database.

mod common;

use common::app::TestApp;
use common::response::{Hit, code, names};
use common::{TestDb, on_each_backend};
use serde_json::{Value, json};

const SEARCH: &str = "query($q: String!, $filter: DutyFilter, $first: Int, $after: String) {
  search(query: $q, filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { duty { kind seq name } matchedIn item { text } departments { name } score text snippet highlights { start length } } } }";

on_each_backend!(
    search_finds_chinese_words_of_any_length_and_ranks_names_first,
    search_results_are_deterministic_filterable_and_paged,
    search_filters_by_department_and_by_list,
    search_looks_grams_up_through_the_index_for_every_query_length,
    a_database_imported_before_the_search_index_is_indexed_at_start_up,
    search_pages_and_counts_equal_a_scan_of_every_field_across_editions,
    search_pages_read_text_by_text_equal_a_scan_across_many_towns,
);

/// The `search` connection for `q` with `variables` (filter, first, after); it
/// must have no errors.
async fn search(app: &TestApp, q: &str, variables: Value) -> Value {
    let mut vars = variables;
    vars["q"] = json!(q);
    let body = app.graphql(SEARCH, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["search"].clone()
}

async fn search_finds_chinese_words_of_any_length_and_ranks_names_first(db: TestDb) {
    let app = TestApp::spawn(db).await;
    // Two characters: the name of 序号 32 first, then items, marked and located.
    let gas = search(&app, "燃气", json!({ "first": 100 })).await;
    let hits = gas["nodes"].as_array().unwrap();
    assert!(hits.len() > 10, "{gas}");
    assert_eq!(hits[0]["matchedIn"], "NAME");
    assert_eq!(
        hits[0]["duty"],
        json!({ "kind": "COOPERATIVE", "seq": 32, "name": "负责燃气安全知识宣传、隐患上报" })
    );
    let mut seen_item = false;
    let typed: Vec<Hit> = serde_json::from_value(gas["nodes"].clone()).unwrap();
    for hit in &typed {
        let text: Vec<char> = hit.text.chars().collect();
        assert!(hit.snippet.contains("<em>燃气</em>"), "{hit:?}");
        for h in &hit.highlights {
            assert_eq!(
                text[h.start..h.start + h.length].iter().collect::<String>(),
                "燃气"
            );
        }
        if hit.matched_in != "NAME" {
            seen_item = true;
        } else {
            assert!(!seen_item, "name hits rank above item hits");
        }
    }
    let item = hits
        .iter()
        .find(|h| h["item"]["text"] == "依法加强对瓶装液化石油气和燃气经营企业安全状况的监督检查")
        .unwrap();
    assert_eq!(item["matchedIn"], "DEPARTMENT_ITEM");
    assert_eq!(names(&item["departments"]), ["乌恰县住房和城乡建设局"]);

    // One character.
    let forest = search(&app, "林", json!({ "first": 100 })).await;
    assert!(forest["totalCount"].as_i64().unwrap() > 3);
    assert!(
        forest["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["text"].as_str().unwrap().contains('林'))
    );

    // Several words: all in the same field.
    let both = search(&app, "燃气 入户", json!({})).await;
    let texts: Vec<&str> = both["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"督促燃气经营企业组织专门工作人员定期入户排查各类燃气安全隐患"),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .all(|t| t.contains("燃气") && t.contains("入户"))
    );

    // Full-width digits find half-width ones; working methods are searched.
    let hotline = search(&app, "１２３４５政务", json!({})).await;
    assert_eq!(hotline["nodes"][0]["duty"]["seq"], 81);
    let method = search(&app, "工伤认定调查工作", json!({})).await;
    assert_eq!(method["nodes"][0]["matchedIn"], "WORKING_METHOD");
    let none = search(&app, "不存在的词语", json!({})).await;
    assert_eq!(none["totalCount"], 0);
}

async fn search_results_are_deterministic_filterable_and_paged(db: TestDb) {
    // Without the response cache, so the same question is answered twice.
    let app = TestApp::spawn_with(db, |c| c.cache.bytes = 0).await;
    let all = search(&app, "消防", json!({ "first": 100 })).await;
    assert_eq!(all, search(&app, "消防", json!({ "first": 100 })).await);
    assert_eq!(app.metric("lvzhi_response_cache_hits_total").await, None);
    let reclaimed = search(
        &app,
        "消防",
        json!({ "filter": { "kind": "RECLAIMED" }, "first": 100 }),
    )
    .await;
    assert!(reclaimed["totalCount"].as_i64().unwrap() >= 1);
    let hits: Vec<Hit> = serde_json::from_value(reclaimed["nodes"].clone()).unwrap();
    assert!(
        hits.iter().all(|h| h.duty.kind == "RECLAIMED"),
        "{reclaimed}"
    );
    let total = all["totalCount"].as_i64().unwrap() as usize;
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = search(&app, "消防", json!({ "first": 7, "after": after })).await;
        paged.extend(page["nodes"].as_array().unwrap().iter().cloned());
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged.len(), total);
    assert_eq!(Value::Array(paged), all["nodes"]);
    for bad in ["", "   ", &"长".repeat(101)] {
        let body = app.graphql(SEARCH, json!({ "q": bad })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{bad}");
    }
}

/// Every hit for `q` under `filter`, page by page: (duty ID, list ID, the hit).
async fn every_hit(app: &TestApp, q: &str, filter: Value) -> Vec<(String, String, Value)> {
    let query = "query($q: String!, $filter: DutyFilter, $after: String) {
        search(query: $q, filter: $filter, first: 100, after: $after) {
          pageInfo { hasNextPage endCursor } nodes { duty { id list { id } } matchedIn item { text } text } } }";
    let mut hits = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app
            .graphql(query, json!({ "q": q, "filter": filter, "after": after }))
            .await;
        assert!(body["errors"].is_null(), "{body}");
        let page = &body["data"]["search"];
        for hit in page["nodes"].as_array().unwrap() {
            let duty = &hit["duty"];
            let id = duty["id"].as_str().unwrap().to_owned();
            let list = duty["list"]["id"].as_str().unwrap().to_owned();
            hits.push((id, list, hit.clone()));
        }
        if page["pageInfo"]["hasNextPage"] == false {
            return hits;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

async fn search_filters_by_department_and_by_list(test: TestDb) {
    test.seed().await;
    let august = common::WUQIA.replacen("2025 年 7 月", "2025 年 8 月", 1);
    lvzhi::import::import(&test.db, &august, common::registry(), false)
        .await
        .expect("the August edition imports");
    let app = TestApp::spawn(test).await;
    // Without a list: the hits of the current edition, August's.
    let everything = every_hit(&app, "安全", Value::Null).await;

    // By department: exactly the hits on duties the `duties` filter gives it.
    let bureau = app
        .graphql(
            "{ duties(filter: {department: \"县住建局\"}, first: 100) { nodes { id } } }",
            json!({}),
        )
        .await;
    let its: std::collections::HashSet<&str> = bureau["data"]["duties"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(its.len(), 14, "14 duties in the current edition: {bureau}");
    let expected: Vec<&Value> = everything
        .iter()
        .filter(|(duty, _, _)| its.contains(duty.as_str()))
        .map(|(_, _, hit)| hit)
        .collect();
    let found = every_hit(&app, "安全", json!({ "department": "县住建局" })).await;
    assert!(!found.is_empty() && found.len() < everything.len());
    assert_eq!(
        found.iter().map(|(_, _, h)| h).collect::<Vec<_>>(),
        expected
    );

    // By list: July's hits, all in July's list, are the current edition's
    // (the two editions are the same document), and those of a July day.
    let lists = app
        .graphql("{ dutyLists(asOf: \"2025-07\") { id } }", json!({}))
        .await;
    let july = lists["data"]["dutyLists"][0]["id"]
        .as_str()
        .expect("the July list")
        .to_owned();
    assert!(everything.iter().all(|(_, list, _)| *list != july));
    let found = every_hit(&app, "安全", json!({ "listId": july })).await;
    assert!(found.iter().all(|(_, list, _)| *list == july));
    let hit = |(_, _, hit): &(String, String, Value)| {
        let mut hit = hit.clone();
        hit["duty"] = Value::Null;
        hit
    };
    assert_eq!(
        found.iter().map(hit).collect::<Vec<_>>(),
        everything.iter().map(hit).collect::<Vec<_>>()
    );
    let on_a_july_day = every_hit(&app, "安全", json!({ "asOf": "2025-07-15" })).await;
    assert_eq!(on_a_july_day, found);
}

async fn search_looks_grams_up_through_the_index_for_every_query_length(test: TestDb) {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    test.seed().await;
    let backend = test.db.get_database_backend();
    for query in ["林", "燃气", "燃气安全", "燃气 入户"] {
        let words = lvzhi::search::words(query);
        let statement = backend.build(&lvzhi::domain::search::texts_statement(&words));
        let mut explain = statement.clone();
        let plan: Vec<String> = if test.backend == "postgres" {
            // The planner prefers a scan on tables this small; forbid it to show the
            // index serves. One transaction: the setting and the EXPLAIN share a
            // connection of the pool, and SET LOCAL ends with it.
            let txn = test.db.begin().await.unwrap();
            txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .unwrap();
            explain.sql = format!("EXPLAIN {}", statement.sql);
            let rows = txn.query_all_raw(explain).await.unwrap();
            txn.rollback().await.unwrap();
            rows.iter()
                .map(|r| r.try_get_by_index::<String>(0).unwrap())
                .collect()
        } else {
            explain.sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
            let rows = test.db.query_all_raw(explain).await.unwrap();
            rows.iter()
                .map(|r| r.try_get::<String>("", "detail").unwrap())
                .collect()
        };
        let plan = plan.join("\n");
        assert!(plan.contains("ndex"), "{query} on {}: {plan}", test.backend);
        assert!(
            !plan.contains("Seq Scan on search_gram") && !plan.contains("SCAN search_gram"),
            "{query} on {}: {plan}",
            test.backend
        );
    }
}

async fn a_database_imported_before_the_search_index_is_indexed_at_start_up(test: TestDb) {
    use sea_orm::EntityTrait;
    test.seed().await;
    // As a database from before the index (or just migrated to a new one): no
    // fields, no texts.
    entity::search_field::Entity::delete_many()
        .exec(&test.db)
        .await
        .unwrap();
    entity::search_text::Entity::delete_many()
        .exec(&test.db)
        .await
        .unwrap();
    let app = TestApp::spawn(test).await;
    let gas = search(&app, "燃气", json!({})).await;
    assert!(gas["totalCount"].as_i64().unwrap() > 10, "{gas}");
}

/// Every hit of `words` under `filter` found the slow way: every field of the
/// index checked for every word, scored, and sorted by score, then list, kind,
/// 序号, source and item position — (duty, source, item, score) each.
async fn scan(
    db: &sea_orm::DatabaseConnection,
    words: &[String],
    filter: &lvzhi::domain::duty::Filter,
) -> Vec<(i32, String, Option<i32>, f64)> {
    use entity::{duty, search_field, search_text};
    use sea_orm::{EntityTrait, QueryFilter};
    let duties: std::collections::HashSet<i32> = duty::Entity::find()
        .filter(filter.condition())
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    let texts: std::collections::HashMap<i32, Vec<char>> = search_text::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.content.chars().collect()))
        .collect();
    let words: Vec<Vec<char>> = words.iter().map(|w| w.chars().collect()).collect();
    let mut hits = Vec::new();
    for f in search_field::Entity::find().all(db).await.unwrap() {
        let content = &texts[&f.text_id];
        let covered: Vec<usize> = words
            .iter()
            .map(|w| lvzhi::search::covered(content, w))
            .collect();
        if !duties.contains(&f.duty_id) || covered.contains(&0) {
            continue;
        }
        let weight = if f.source == "NAME" { 2.0 } else { 1.0 };
        let share = covered.iter().sum::<usize>().min(content.len()) as f64 / content.len() as f64;
        hits.push((weight + share, f));
    }
    hits.sort_by(|(a, f), (b, g)| {
        b.total_cmp(a).then_with(|| {
            (f.list_id, f.kind, f.seq, &f.source, f.position)
                .cmp(&(g.list_id, g.kind, g.seq, &g.source, g.position))
        })
    });
    hits.into_iter()
        .map(|(score, f)| (f.duty_id, f.source, f.item_id, score))
        .collect()
}

async fn search_pages_and_counts_equal_a_scan_of_every_field_across_editions(test: TestDb) {
    use lvzhi::domain::duty::Filter;
    use lvzhi::domain::scope::Scope;
    use sea_orm::{EntityTrait, QueryOrder};
    test.seed().await;
    // August's edition follows July's, and June's, imported last, goes before
    // both: the current edition changes twice, and one edition is indexed
    // while current and then stops being current in the same import.
    for month in ["8", "6"] {
        let text = common::WUQIA.replacen("2025 年 7 月", &format!("2025 年 {month} 月"), 1);
        let mut options = lvzhi::import::Options::default();
        options.edition.allow_older = true;
        let name = format!("2025-{month}.txt");
        lvzhi::import::import_file(
            &test.db,
            &name,
            text.as_bytes(),
            common::registry(),
            &options,
        )
        .await
        .expect("the edition imports");
    }
    let lists: Vec<i32> = entity::duty_list::Entity::find()
        .order_by_asc(entity::duty_list::Column::Id)
        .all(&test.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(lists.len(), 3);
    let july_day = "2025-07-15".parse().unwrap();
    let filters = [
        Filter::default(),
        Filter {
            kind: Some(entity::DutyKind::Cooperative),
            ..Filter::default()
        },
        Filter {
            scope: Scope::List(lists[0]),
            ..Filter::default()
        },
        Filter {
            scope: Scope::AsOf(july_day),
            ..Filter::default()
        },
    ];
    for query in [
        "林",
        "燃气",
        "安全 监督",
        "燃气安全",
        "哈哈",
        "监督检查 企业",
    ] {
        let words = lvzhi::domain::search::query_words(query).unwrap();
        for filter in &filters {
            let expected = scan(&test.db, &words, filter).await;
            for size in [1, 7, 1000] {
                let mut found = Vec::new();
                loop {
                    let page =
                        lvzhi::domain::search::search(&test.db, &words, filter, found.len(), size)
                            .await
                            .unwrap();
                    assert_eq!(page.total, expected.len(), "{query} {filter:?}");
                    if page.hits.is_empty() {
                        break;
                    }
                    found.extend(page.hits.into_iter().map(|h| {
                        let source = h.source.code().to_owned();
                        (h.duty.id, source, h.item.map(|i| i.id), h.score)
                    }));
                }
                assert_eq!(found, expected, "{query} {filter:?}, pages of {size}");
            }
        }
    }
}

/// Towns holding the Wuqia list: big groups of equally scored fields, whose
/// pages are read text by text and merged.
const TOWNS: usize = 40;

async fn search_pages_read_text_by_text_equal_a_scan_across_many_towns(test: TestDb) {
    use lvzhi::domain::duty::Filter;
    test.seed().await;
    for town in 1..TOWNS {
        let text = common::WUQIA.replace("乌恰镇", &format!("第{town}镇"));
        lvzhi::import::import(&test.db, &text, common::registry(), false)
            .await
            .expect("the town imports");
    }
    let filters = [
        Filter::default(),
        Filter {
            kind: Some(entity::DutyKind::Cooperative),
            ..Filter::default()
        },
    ];
    // Among them, groups of 2 and 4 texts read text by text.
    for query in ["的", "负责", "燃气", "林", "安全 监督"] {
        let words = lvzhi::domain::search::query_words(query).unwrap();
        for filter in &filters {
            let expected = scan(&test.db, &words, filter).await;
            assert!(expected.len() > 200, "{query}: groups are big");
            // Pages at the start, across group boundaries and deep.
            for (offset, size) in [(0, 10), (5, 37), (150, 100), (expected.len() - 3, 10)] {
                let page = lvzhi::domain::search::search(&test.db, &words, filter, offset, size)
                    .await
                    .unwrap();
                assert_eq!(page.total, expected.len(), "{query} {filter:?}");
                let found: Vec<_> = page
                    .hits
                    .into_iter()
                    .map(|h| {
                        (
                            h.duty.id,
                            h.source.code().to_owned(),
                            h.item.map(|i| i.id),
                            h.score,
                        )
                    })
                    .collect();
                let end = (offset + size).min(expected.len());
                assert_eq!(
                    found,
                    expected[offset..end],
                    "{query} {filter:?} at {offset}"
                );
            }
        }
    }
}
