//! The importer on the real Wuqia document: attribution rules, reconciliation,
//! idempotent and atomic storage, malformed input, and no panics on any input.

mod common;

use std::collections::BTreeMap;

use common::{TestDb, WUQIA, counts, on_each_backend, registry, snapshot, wuqia};
use entity::{DutyKind, Party};
use lvzhi::import::resolve::{ResolvedDuty, ResolvedList};
use lvzhi::import::{self, ImportError, Status};
use proptest::prelude::*;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

on_each_backend!(
    an_older_list_is_refused_unless_asked_for_and_then_joins_the_history_behind_the_current_edition,
    the_import_command_refuses_a_count_mismatch_unless_allow_mismatch_is_given,
    a_malformed_document_leaves_the_database_as_it_was,
    importing_the_same_document_twice_leaves_every_table_unchanged,
    a_changed_document_of_the_same_town_becomes_its_next_edition_and_the_old_one_stays,
    the_import_command_reports_reconciliation_and_a_second_run_changes_nothing,
    the_import_command_exits_non_zero_on_a_damaged_copy_naming_the_line,
    an_exported_workbook_imports_back_unchanged_through_the_cli,
    every_import_that_changes_the_data_increments_the_data_version,
);

fn duty(kind: DutyKind, seq: u32) -> &'static ResolvedDuty {
    wuqia()
        .list
        .duties
        .iter()
        .find(|d| d.kind == kind && d.seq == seq)
        .expect("duty exists")
}

fn names(list: &ResolvedList, indices: &[usize]) -> Vec<String> {
    indices
        .iter()
        .map(|&i| list.departments[i].name.clone())
        .collect()
}

/// The department-side items of a cooperative duty: (text, attributed departments).
fn department_items(seq: u32) -> Vec<(String, Vec<String>)> {
    duty(DutyKind::Cooperative, seq)
        .items
        .iter()
        .filter(|i| i.party == Party::Department)
        .map(|i| (i.text.clone(), names(&wuqia().list, &i.departments)))
        .collect()
}

fn town_items(seq: u32) -> Vec<(Option<String>, String)> {
    duty(DutyKind::Cooperative, seq)
        .items
        .iter()
        .filter(|i| i.party == Party::Town)
        .map(|i| (i.section.clone(), i.text.clone()))
        .collect()
}

fn counterparts(seq: u32) -> Vec<String> {
    names(&wuqia().list, &duty(DutyKind::Cooperative, seq).departments)
}

#[test]
fn a_department_heading_gives_the_items_under_it_to_that_department() {
    // 序号 16: `县红十字会：` then five items, `民政局：` (no county prefix) then three.
    let items = department_items(16);
    assert_eq!(items.len(), 8);
    for (text, departments) in &items[..5] {
        assert_eq!(departments, &["乌恰县红十字会"], "{text}");
    }
    for (text, departments) in &items[5..] {
        assert_eq!(departments, &["乌恰县民政局"], "{text}");
    }
    assert_eq!(items[5].0, "对慈善组织公开募捐资格进行审批");
    // 序号 38: `县政办：` is the county government's office.
    let items = department_items(38);
    assert_eq!(
        items[8],
        (
            "负责指导督促机关企事业单位按要求做好机关食堂餐厨垃圾的投放、收运工作".to_owned(),
            vec!["乌恰县人民政府办公室".to_owned()]
        )
    );
    // 序号 70: inline headings without a space after the colon (`县民政局：负责…`).
    let items = department_items(70);
    assert_eq!(items[8].1, ["乌恰县民政局"]);
    assert_eq!(items[9].1, ["乌恰县消防救援局"]);
}

#[test]
fn a_joint_heading_gives_its_items_to_every_department_it_names() {
    let items = department_items(70);
    for (text, departments) in &items[3..5] {
        assert_eq!(
            departments,
            &[
                "乌恰县文化体育广播电视和旅游局",
                "乌恰县商务科技和工业信息化局"
            ],
            "{text}"
        );
    }
    let items = department_items(51);
    assert_eq!(
        items[6].1,
        [
            "乌恰县应急管理局",
            "乌恰县自然资源局",
            "乌恰县住房和城乡建设局",
            "乌恰县水利局",
            "乌恰县农业农村局"
        ]
    );
    assert_eq!(items[0].1, ["乌恰县应急管理局", "乌恰县自然资源局"]);
}

#[test]
fn an_item_naming_departments_at_its_start_goes_to_those_departments() {
    let items = department_items(31);
    assert_eq!(
        items[1].0,
        "县自然资源局指导矿山等建筑施工渣土运输及堆放管理"
    );
    assert_eq!(items[1].1, ["乌恰县自然资源局"]);
    // `县工信局` is the 商务科技和工业信息化局.
    assert!(items[5].0.starts_with("县工信局负责会同"));
    assert_eq!(items[5].1, ["乌恰县商务科技和工业信息化局"]);
    assert_eq!(items[0].1, ["克州生态环境局乌恰县分局"]);

    let items = department_items(52);
    assert_eq!(
        items[0].1,
        [
            "乌恰县应急管理局",
            "乌恰县住房和城乡建设局",
            "乌恰县水利局",
            "乌恰县农业农村局",
            "乌恰县交通运输局"
        ]
    );
    assert_eq!(items[2].1, ["乌恰县应急管理局", "乌恰县住房和城乡建设局"]);
    assert_eq!(items[5].1, ["乌恰县发展和改革委员会", "乌恰县财政局"]);
    assert_eq!(items[6].1, ["乌恰县卫生健康委员会"]);
}

#[test]
fn a_clause_naming_another_department_adds_it_to_the_item() {
    // `县委统战部做好非党员身份政协委员考察…；县委组织部做好党员身份政协委员考察`
    let items = department_items(7);
    assert_eq!(items[2].1, ["乌恰县委统战部", "乌恰县委组织部"]);
    assert_eq!(items[0].1, ["政协乌恰县委员会办公室"]);
}

#[test]
fn a_duty_with_one_counterpart_gives_it_every_department_item() {
    // 序号 36 mentions 县住建局 inside item 3; its one counterpart takes all seven.
    let items = department_items(36);
    assert_eq!(items.len(), 7);
    assert!(items.iter().all(|(_, d)| d == &["乌恰县住房和城乡建设局"]));
    assert!(
        department_items(1)
            .iter()
            .all(|(_, d)| d == &["乌恰县委组织部"])
    );
}

#[test]
fn an_item_naming_no_department_goes_to_all_counterparts() {
    let items = department_items(2);
    assert_eq!(
        items[5].0,
        "干部考察组对考察对象材料进行审核，撰写干部考察材料"
    );
    assert_eq!(items[5].1, ["乌恰县委组织部", "乌恰县人力资源和社会保障局"]);
    // `三、职级晋升 县委组织部、县人社局研究…`: both named at the start.
    assert_eq!(items[9].1, ["乌恰县委组织部", "乌恰县人力资源和社会保障局"]);
    let items = department_items(31);
    assert_eq!(items.last().unwrap().1, counterparts(31));
    assert_eq!(counterparts(31).len(), 12);
}

#[test]
fn items_keep_their_sections_and_order() {
    let d = duty(DutyKind::Cooperative, 31);
    let first = &d.items[0];
    assert_eq!(first.section.as_deref(), Some("一、扬尘综合治理"));
    assert_eq!(first.position, 1);
    let last = d
        .items
        .iter()
        .rfind(|i| i.party == Party::Department)
        .unwrap();
    assert_eq!(
        (last.position, last.section.as_deref()),
        (23, Some("七、土壤污染防治"))
    );
    let town = town_items(31);
    assert_eq!(town.len(), 9);
    assert_eq!(
        town[2].0.as_deref(),
        Some("三、河流流域及相关涉水企业的水质监测")
    );
    assert_eq!(
        town[8],
        (
            Some("七、土壤污染防治".to_owned()),
            "发现环境污染行为进行制止，并上报克州生态环境局乌恰县分局".to_owned()
        )
    );
    // Sections inline with their first item: `一、领导班子绩效考核和年度考核 1.县委组织部…`.
    let town = town_items(2);
    assert_eq!(
        town[6],
        (
            Some("四、延伸考察".to_owned()),
            "组织干部参加延伸考察相关会议".to_owned()
        )
    );
    assert!(town_items(1).iter().all(|(section, _)| section.is_none()));
}

/// The entries of every unnumbered list (`<ol style="list-style-type: none">`, no
/// `<li>`) in a cell: each ends at a `；` or `。` followed by the space the list
/// entry left, read straight from the document's text.
fn unnumbered_list_entries(cell: &str) -> Vec<String> {
    let entry_end = regex::Regex::new(r"[；。]\s+|[；。]\s*$").unwrap();
    cell.split("<ol style=\"list-style-type: none\">")
        .skip(1)
        .flat_map(|list| {
            let body = list.split("<p>").next().unwrap_or_default();
            entry_end
                .split(body)
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn unnumbered_lists_split_only_where_a_semicolon_is_followed_by_the_entry_space() {
    // 配合 35 (房屋征收与补偿): six department items, the third with two `；` inside.
    let items = department_items(35);
    assert_eq!(items.len(), 6, "{items:#?}");
    assert_eq!(
        items[2].0,
        "对征收范围内房屋土地的权属、区位、用途、建筑面积等情况组织调查登记，依法公布相关信息；对涉及被征收户数量较多的征收区域，由征收片区所在镇对被征收户进行调查，经政府常务会议研究；旧城区改建需要经90%以上的被征收人同意，作出土地和房屋依法征收决定"
    );
    assert_eq!(
        items[3].0,
        "指导乡镇实施房屋征收补偿工作，解读征收所涉及的相关政策"
    );
    // Every unnumbered-list cell of the bundled list: as many items as entries.
    let mut cells = 0;
    for line in WUQIA.lines() {
        let columns: Vec<&str> = line.split('\t').collect();
        if columns.len() != 6 || !line.contains("list-style-type: none") {
            continue;
        }
        let seq: u32 = columns[0].trim().parse().expect("a 序号");
        for (column, party) in [(4, Party::Department), (5, Party::Town)] {
            if !columns[column].contains("list-style-type: none") {
                continue;
            }
            cells += 1;
            let texts: Vec<&str> = duty(DutyKind::Cooperative, seq)
                .items
                .iter()
                .filter(|i| i.party == party)
                .map(|i| i.text.as_str())
                .collect();
            let entries = unnumbered_list_entries(columns[column]);
            assert_eq!(texts, entries, "配合 {seq}, column {}", column + 1);
        }
    }
    assert_eq!(cells, 8, "the bundled list's unnumbered-list cells");
}

#[test]
fn text_is_clean_without_html_numbers_or_stray_spaces() {
    let list = &wuqia().list;
    for d in &list.duties {
        for item in &d.items {
            let t = &item.text;
            assert!(
                !t.contains("<p") && !t.contains("</") && !t.contains("<ol") && !t.contains("<li"),
                "{t}"
            );
            assert!(
                !t.starts_with(|c: char| c.is_ascii_digit() || c.is_whitespace() || c == '（'),
                "{t}"
            );
            assert!(
                !t.contains("  ") && !t.ends_with('；') && !t.ends_with('。'),
                "{t}"
            );
        }
    }
    // `<ol>` without `<li>`, items separated by `；`.
    let items = department_items(32);
    assert_eq!(items.len(), 15);
    assert_eq!(
        items[0],
        (
            "依法加强对瓶装液化石油气和燃气经营企业安全状况的监督检查".to_owned(),
            vec!["乌恰县住房和城乡建设局".to_owned()]
        )
    );
    assert_eq!(items[13].1, ["乌恰县公安局"]);
    // Half-width punctuation of the extraction reads as Chinese text does.
    assert_eq!(
        department_items(41)[0].0,
        "编制集贸市场发展规划，合理布局市场建设"
    );
    let reclaimed = duty(DutyKind::Reclaimed, 1);
    assert_eq!(
        reclaimed.working_method.as_deref(),
        Some("取消乡镇对工伤认定调查的责任，由乌恰县人力资源和社会保障局开展工伤认定调查工作。")
    );
    assert_eq!(
        duty(DutyKind::Reclaimed, 15).name,
        "乡村公共设施、公益事业使用集体建设用地的审核（不涉及农用地）"
    );
}

#[test]
fn department_names_resolve_through_the_registry_including_misprints() {
    assert!(counterparts(70).contains(&"乌恰县文化体育广播电视和旅游局".to_owned()));
    assert!(counterparts(52).contains(&"乌恰县交通运输局".to_owned()));
    assert_eq!(counterparts(63)[0], "乌恰县委政法委");
    assert_eq!(counterparts(68), ["乌恰县委组织部", "乌恰县史志办"]);
    // `乌恰县水利局、 乌恰县应急管理局`: a stray space after the separator.
    assert_eq!(counterparts(59), ["乌恰县水利局", "乌恰县应急管理局"]);
    let receiving = names(&wuqia().list, &duty(DutyKind::Reclaimed, 19).departments);
    assert_eq!(
        receiving,
        ["乌恰县公安局", "乌恰县应急管理局", "乌恰县市场监督管理局"]
    );
}

#[test]
fn the_wuqia_list_reconciles_exactly_with_its_preamble() {
    let report = &wuqia().report;
    let rows: Vec<_> = report
        .rows
        .iter()
        .map(|r| {
            (
                r.kind,
                [r.duties.parsed, r.categories.parsed, r.departments.parsed],
                [r.duties.stated, r.categories.stated, r.departments.stated],
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (DutyKind::Basic, [81, 18, 0], [Some(81), Some(18), None]),
            (
                DutyKind::Cooperative,
                [70, 16, 34],
                [Some(70), Some(16), Some(34)]
            ),
            (
                DutyKind::Reclaimed,
                [21, 7, 12],
                [Some(21), Some(7), Some(12)]
            ),
        ]
    );
    assert_eq!((report.total.parsed, report.total.stated), (172, Some(172)));
    assert!(report.mismatches().is_empty());
    // The preamble lists 17 of the basic table's 18 categories by name.
    assert_eq!(
        report.notes,
        ["基本履职事项: the preamble's list of categories omits 安全稳定"]
    );
    let printed = report.to_string();
    assert!(
        printed.contains("| 配合履职事项 | 70 = 70 | 16 = 16 | 34 = 34 |"),
        "{printed}"
    );
}

#[test]
fn a_count_that_disagrees_with_the_preamble_fails_unless_allowed() {
    let damaged = WUQIA.replace("涉及 34 个部门", "涉及 35 个部门");
    let err = import::prepare(&damaged, registry(), false).unwrap_err();
    assert!(matches!(err, ImportError::Mismatch { .. }));
    let message = err.to_string();
    assert!(
        message.contains("配合履职事项: 34 departments parsed, the preamble states 35"),
        "{message}"
    );
    let prepared =
        import::prepare(&damaged, registry(), true).expect("--allow-mismatch imports it");
    assert_eq!(prepared.report.mismatches().len(), 1);
}

#[test]
fn the_list_header_is_read_from_the_title_and_month() {
    let list = &wuqia().list;
    assert_eq!(
        [
            list.region.as_str(),
            &list.prefecture,
            &list.county,
            &list.town,
            &list.title,
            &list.published_on
        ],
        [
            "新疆维吾尔自治区",
            "克孜勒苏柯尔克孜自治州",
            "乌恰县",
            "乌恰镇",
            "乌恰县乌恰镇履职事项清单",
            "2025-07"
        ]
    );
    assert!(
        list.preamble
            .starts_with("一、基本情况\n乌恰镇是产城融合型乡镇")
    );
    assert!(!list.preamble.contains("目 录"));
}

/// The Wuqia document with line `n` (1-based) replaced by `f(line)`.
fn edit_line(n: usize, f: impl Fn(&str) -> String) -> String {
    WUQIA
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == n { f(l) } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The 1-based line of the row `seq` of the table `kind`.
fn row_line(kind: DutyKind, seq: u32) -> usize {
    duty(kind, seq).line
}

/// Damaged copies of the document: (what, text, what the error must say).
fn damaged_documents() -> Vec<(&'static str, String, String)> {
    let coop3 = row_line(DutyKind::Cooperative, 3);
    let basic5 = row_line(DutyKind::Basic, 5);
    let basic7 = row_line(DutyKind::Basic, 7);
    let basic10 = row_line(DutyKind::Basic, 10);
    let coop28 = row_line(DutyKind::Cooperative, 28);
    let coop16 = row_line(DutyKind::Cooperative, 16);
    let reclaimed4 = row_line(DutyKind::Reclaimed, 4);
    let shuoming = WUQIA.lines().position(|l| l.trim() == "说 明").unwrap() + 1;
    let basic_title = WUQIA
        .lines()
        .position(|l| l.trim() == "基本履职事项清单")
        .unwrap()
        + 1;
    vec![
        (
            "a row with a column too many",
            edit_line(coop3, |l| format!("{l}\textra")),
            format!("line {coop3}: a row of the 配合履职事项清单 table needs 6"),
        ),
        (
            "a row with a column missing",
            edit_line(coop3, |l| l.rsplit_once('\t').unwrap().0.to_owned()),
            format!(
                "line {coop3}: a row of the 配合履职事项清单 table needs 6 tab-separated columns"
            ),
        ),
        (
            "a duplicate 序号",
            edit_line(basic5, |l| l.replacen("5\t", "4\t", 1)),
            format!("line {basic5}: duplicate 序号 4"),
        ),
        (
            "a missing 序号",
            edit_line(basic7, |_| String::new()),
            format!("line {}: missing 序号 7", basic7 + 1),
        ),
        (
            "an empty category",
            edit_line(basic10, |l| l.replacen("党的建设", "", 1)),
            format!("line {basic10}: 序号 10 has an empty 事项类别"),
        ),
        (
            "a 序号 that is not a number",
            edit_line(basic10, |l| l.replacen("10\t", "十\t", 1)),
            format!("line {basic10}: 序号 `十` is not a whole number from 1 to 99999"),
        ),
        (
            "text before the first table",
            edit_line(shuoming + 1, |l| format!("1\t党的建设\t事项\n{l}")),
            format!("line {}: a table row before the first table", shuoming + 1),
        ),
        (
            "text between a table's title and its header",
            edit_line(basic_title, |l| format!("{l}\n附：说明文字")),
            format!("line {}: text before the header row", basic_title + 1),
        ),
        (
            "an unknown counterpart department",
            edit_line(coop28, |l| {
                l.replacen("乌恰县总工会", "乌恰县工人俱乐部", 1)
            }),
            format!("`乌恰县工人俱乐部` in 配合履职事项 序号 28 (line {coop28})"),
        ),
        (
            "an unknown department heading",
            edit_line(coop16, |l| l.replacen("民政局：", "民宗局：", 1)),
            format!("`民宗局` in 配合履职事项 序号 16 (line {coop16})"),
        ),
        (
            "a reclaimed row without 工作方式",
            edit_line(reclaimed4, |l| l.replacen("工作方式", "方式", 1)),
            format!("line {reclaimed4}: 序号 4: 承接部门及工作方式 should read"),
        ),
        (
            "a county the registry lacks",
            WUQIA.replacen(
                "乌恰县乌恰镇履职事项清单",
                "阿合奇县阿合奇镇履职事项清单",
                1,
            ),
            "the department registry has no county".to_owned(),
        ),
        (
            "an empty document",
            String::new(),
            "line 1: the document is empty".to_owned(),
        ),
    ]
}

#[test]
fn each_malformed_document_is_refused_with_the_line_it_is_wrong_on() {
    for (what, text, expected) in damaged_documents() {
        let err = import::prepare(&text, registry(), false)
            .expect_err(what)
            .to_string();
        assert!(
            err.contains(&expected),
            "{what}: expected `{expected}` in:\n{err}"
        );
    }
}

async fn a_malformed_document_leaves_the_database_as_it_was(test: TestDb) {
    // On an empty database, and on one that holds the list.
    for seeded in [false, true] {
        if seeded {
            import::import(&test.db, WUQIA, registry(), false)
                .await
                .unwrap();
        }
        let before = snapshot(&test.db).await;
        for (what, text, _) in damaged_documents() {
            assert!(
                import::import(&test.db, &text, registry(), false)
                    .await
                    .is_err(),
                "{what}"
            );
            assert_eq!(
                snapshot(&test.db).await,
                before,
                "{what} on {}",
                test.backend
            );
        }
    }
}

/// Make the database itself refuse a responsibility item in the middle of an
/// import's transaction: everything the import wrote before it must go too.
async fn inject_a_failure_while_items_are_written(test: &TestDb) {
    let statements: &[&str] = match test.backend {
        "sqlite" => &[
            "CREATE TRIGGER injected_failure BEFORE INSERT ON responsibility_item \
             WHEN NEW.text LIKE '%扬尘%' BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        ],
        _ => &[
            "CREATE FUNCTION injected_failure() RETURNS trigger AS $$ BEGIN \
             IF NEW.text LIKE '%扬尘%' THEN RAISE EXCEPTION 'injected failure'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER injected_failure BEFORE INSERT ON responsibility_item \
             FOR EACH ROW EXECUTE FUNCTION injected_failure()",
        ],
    };
    for statement in statements {
        test.db.execute_unprepared(statement).await.unwrap();
    }
}

async fn a_failure_inside_the_import_transaction_leaves_the_database_as_it_was(test: TestDb) {
    // A new list, and a new version of a stored one (so the store rewrites it).
    import::import(&test.db, WUQIA, registry(), false)
        .await
        .unwrap();
    inject_a_failure_while_items_are_written(&test).await;
    let version = lvzhi::db::data_version(&test.db).await.unwrap();
    let other_town = WUQIA
        .replace("乌恰县乌恰镇", "乌恰县黑孜苇乡")
        .replace("乌恰镇", "黑孜苇乡");
    let new_version = WUQIA.replace("依法加强对瓶装液化石油气", "依法严格加强对瓶装液化石油气");
    let before = snapshot(&test.db).await;
    for (what, text) in [("a new list", &other_town), ("a new version", &new_version)] {
        let error = import::import(&test.db, text, registry(), false)
            .await
            .expect_err(what);
        assert!(
            matches!(&error, ImportError::Database(e) if e.to_string().contains("injected failure")),
            "{what} on {}: the failure came from inside the transaction: {error:?}",
            test.backend
        );
        assert_eq!(
            snapshot(&test.db).await,
            before,
            "{what} on {}",
            test.backend
        );
    }
    // The data version did not move either: it is written in the same transaction.
    assert_eq!(lvzhi::db::data_version(&test.db).await.unwrap(), version);
}

#[tokio::test]
async fn a_failure_inside_the_import_transaction_leaves_the_database_as_it_was_sqlite() {
    a_failure_inside_the_import_transaction_leaves_the_database_as_it_was(TestDb::sqlite().await)
        .await;
}

#[tokio::test]
async fn a_failure_inside_the_import_transaction_leaves_the_database_as_it_was_postgres() {
    if let Some(test) = TestDb::postgres_from_env(
        "a_failure_inside_the_import_transaction_leaves_the_database_as_it_was_postgres",
    )
    .await
    {
        a_failure_inside_the_import_transaction_leaves_the_database_as_it_was(test).await;
    }
}

async fn importing_the_same_document_twice_leaves_every_table_unchanged(test: TestDb) {
    let first = import::import(&test.db, WUQIA, registry(), false)
        .await
        .unwrap();
    assert_eq!(first.status, Status::Created);
    let before = snapshot(&test.db).await;
    let again = import::import(&test.db, WUQIA, registry(), false)
        .await
        .unwrap();
    assert_eq!(
        (again.status, again.list_id),
        (Status::Unchanged, first.list_id)
    );
    assert_eq!(snapshot(&test.db).await, before, "{}", test.backend);
    let expected = BTreeMap::from([
        ("category", 21),
        ("county", 1),
        ("department", 35),
        ("duty", 172),
        ("duty_list", 1),
        ("stated_count", 3),
        (
            "duty_department",
            wuqia()
                .list
                .duties
                .iter()
                .map(|d| d.departments.len())
                .sum(),
        ),
        (
            "responsibility_item",
            wuqia().list.duties.iter().map(|d| d.items.len()).sum(),
        ),
        (
            "item_department",
            wuqia()
                .list
                .duties
                .iter()
                .flat_map(|d| &d.items)
                .map(|i| i.departments.len())
                .sum(),
        ),
    ]);
    let mut found = counts(&test.db).await;
    assert!(found.remove("department_alias").unwrap() > 35);
    // One field per name, working method and item; texts and grams shared.
    let items: usize = wuqia().list.duties.iter().map(|d| d.items.len()).sum();
    assert_eq!(found.remove("search_field").unwrap(), 172 + 21 + items);
    assert!(found.remove("search_text").unwrap() > 0);
    assert!(found.remove("search_gram").unwrap() > 0);
    assert_eq!(found, expected, "{}", test.backend);
}

async fn a_changed_document_of_the_same_town_becomes_its_next_edition_and_the_old_one_stays(
    test: TestDb,
) {
    let first = import::import(&test.db, WUQIA, registry(), false)
        .await
        .unwrap();
    assert_eq!((first.status, first.edition), (Status::Created, 1));
    let lineages =
        |duties: Vec<entity::duty::Model>, list: i32| -> BTreeMap<(DutyKind, i32), i32> {
            duties
                .into_iter()
                .filter(|d| d.list_id == list)
                .map(|d| ((d.kind, d.seq), d.lineage))
                .collect()
        };
    let before = lineages(
        entity::duty::Entity::find().all(&test.db).await.unwrap(),
        first.list_id,
    );
    let corrected = WUQIA.replacen("党内统计工作", "党内统计和党员信息管理工作", 1);
    let second = import::import(&test.db, &corrected, registry(), false)
        .await
        .unwrap();
    assert_eq!((second.status, second.edition), (Status::NewEdition, 2));
    assert_ne!(second.list_id, first.list_id);
    let changes = second
        .changes
        .as_ref()
        .expect("the second edition follows the first");
    assert_eq!(changes.previous.id, first.list_id);
    assert_eq!(
        changes.diff.entries.len(),
        1,
        "{}",
        changes.details().join("\n")
    );
    let duties = entity::duty::Entity::find().all(&test.db).await.unwrap();
    let renamed = |list: i32| {
        duties
            .iter()
            .find(|d| d.list_id == list && d.kind == DutyKind::Cooperative && d.seq == 3)
            .unwrap()
            .clone()
    };
    assert_eq!(
        renamed(first.list_id).name,
        "党内统计工作",
        "the first edition is kept"
    );
    assert_eq!(renamed(second.list_id).name, "党内统计和党员信息管理工作");
    assert_eq!(
        lineages(duties.clone(), second.list_id),
        before,
        "every duty keeps its lineage on {}",
        test.backend
    );

    // Another month is the next edition again; the first two are history.
    let august = corrected.replacen("2025 年 7 月", "2025 年 8 月", 1);
    let third = import::import(&test.db, &august, registry(), false)
        .await
        .unwrap();
    assert_eq!((third.status, third.edition), (Status::NewEdition, 3));
    let lists = entity::duty_list::Entity::find()
        .filter(entity::duty_list::Column::Town.eq("乌恰镇"))
        .order_by_asc(entity::duty_list::Column::Edition)
        .all(&test.db)
        .await
        .unwrap();
    let editions: Vec<(i32, &str, Option<&str>)> = lists
        .iter()
        .map(|l| (l.edition, l.effective_on.as_str(), l.valid_until.as_deref()))
        .collect();
    assert_eq!(
        editions,
        [
            (1, "2025-07-01", Some("2025-07-01")),
            (2, "2025-07-01", Some("2025-08-01")),
            (3, "2025-08-01", None),
        ],
        "{}",
        test.backend
    );
    assert_eq!(counts(&test.db).await["duty"], 3 * 172);
}

/// Fragments documents are made of, for generating hostile input.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\t".to_owned()),
        Just("\n".to_owned()),
        Just("<p>".to_owned()),
        Just("</p>".to_owned()),
        Just("<ol style=\"x\">".to_owned()),
        Just("<li>".to_owned()),
        Just("&nbsp;&#x;&#99999999;".to_owned()),
        Just("1.".to_owned()),
        Just("2、".to_owned()),
        Just("（1）".to_owned()),
        Just("<br>".to_owned()),
        Just("</ol>".to_owned()),
        Just("（一）".to_owned()),
        Just("一、".to_owned()),
        Just("县住建局：".to_owned()),
        Just("县应急管理局、县住建局等部门".to_owned()),
        Just(
            "序号\t事项类别\t事项名称\t对应上级部门\t上级部门职责\t乡镇（街道）配合职责\n"
                .to_owned()
        ),
        Just("配合履职事项清单\n".to_owned()),
        Just("承接部门: 工作方式:".to_owned()),
        Just("说 明\n".to_owned()),
        Just(
            "新疆维吾尔自治区克孜勒苏柯尔克孜自治州 乌恰县乌恰镇履职事项清单\n2025 年 7 月\n"
                .to_owned()
        ),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_importer_returns_an_error_never_a_panic_on_arbitrary_text(parts in prop::collection::vec(fragment(), 0..60)) {
        let _ = import::prepare(&parts.concat(), registry(), false);
    }

    #[test]
    fn the_importer_survives_any_cut_or_splice_of_the_real_document(cut in 0usize..WUQIA.len(), len in 0usize..400, insert in fragment()) {
        let start = (0..=cut).rev().find(|&i| WUQIA.is_char_boundary(i)).unwrap_or(0);
        let end = (start + len..=WUQIA.len()).find(|&i| WUQIA.is_char_boundary(i)).unwrap_or(WUQIA.len());
        let text = format!("{}{}{}", &WUQIA[..start], insert, &WUQIA[end..]);
        let _ = import::prepare(&text, registry(), false);
    }
}

/// Run the `lvzhi` binary over `database_url` with the bundled registry.
fn lvzhi(database_url: &str, args: &[&str]) -> std::process::Output {
    common::lvzhi_cli(database_url, None, args)
}

async fn the_import_command_reports_reconciliation_and_a_second_run_changes_nothing(test: TestDb) {
    let seed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/wuqia-town-duty-list-2025-07.txt"
    );
    let first = lvzhi(&test.url, &["import", seed]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        stdout.contains("| 基本履职事项 | 81 = 81 | 18 = 18 | 0 (not stated) |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| 上级部门收回事项 | 21 = 21 | 7 = 7 | 12 = 12 |"),
        "{stdout}"
    );
    assert!(stdout.contains("imported as a new list"), "{stdout}");
    let before = counts(&test.db).await;
    let second = lvzhi(&test.url, &["import", seed]);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("nothing changed"));
    assert_eq!(counts(&test.db).await, before, "{}", test.backend);
}

async fn the_import_command_exits_non_zero_on_a_damaged_copy_naming_the_line(test: TestDb) {
    import::import(&test.db, WUQIA, registry(), false)
        .await
        .unwrap();
    let before = snapshot(&test.db).await;
    let dir = tempfile::tempdir().unwrap();
    let line = row_line(DutyKind::Cooperative, 3);
    let damaged = dir.path().join("damaged.txt");
    std::fs::write(&damaged, edit_line(line, |l| format!("{l}\textra"))).unwrap();
    let output = lvzhi(&test.url, &["import", damaged.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("line {line}:")), "{stderr}");
    let not_text = dir.path().join("binary.txt");
    std::fs::write(&not_text, [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let output = lvzhi(&test.url, &["import", not_text.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not UTF-8"));
    assert_eq!(snapshot(&test.db).await, before, "{}", test.backend);
}

#[test]
fn a_dry_run_checks_without_a_database() {
    let seed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/wuqia-town-duty-list-2025-07.txt"
    );
    // An unreachable database: a dry run must not need one.
    let output = lvzhi(
        "postgres://nobody@127.0.0.1:1/none",
        &["import", "--dry-run", seed],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("nothing written"));
}

async fn an_exported_workbook_imports_back_unchanged_through_the_cli(test: TestDb) {
    import::import(&test.db, WUQIA, registry(), false)
        .await
        .unwrap();
    let before = snapshot(&test.db).await;
    let dir = tempfile::tempdir().unwrap();
    for name in ["list.xlsx", "list.csv"] {
        let file = dir.path().join(name);
        let out = lvzhi(&test.url, &["export", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = lvzhi(&test.url, &["import", file.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("nothing changed"), "{name}: {stdout}");
        assert_eq!(
            snapshot(&test.db).await,
            before,
            "{name} on {}",
            test.backend
        );
    }
    let workbook = dir.path().join("housing.xlsx");
    let out = lvzhi(
        &test.url,
        &[
            "export",
            workbook.to_str().unwrap(),
            "--department",
            "县住建局",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&workbook).unwrap().starts_with(b"PK"));
    let out = lvzhi(
        &test.url,
        &["export", dir.path().join("list.txt").to_str().unwrap()],
    );
    assert!(!out.status.success());
}

async fn an_older_list_is_refused_unless_asked_for_and_then_joins_the_history_behind_the_current_edition(
    test: TestDb,
) {
    let august = WUQIA.replacen("2025 年 7 月", "2025 年 8 月", 1);
    let current = import::import(&test.db, &august, registry(), false)
        .await
        .unwrap();
    let july = WUQIA.replacen(
        "推进新时代志愿服务工作",
        "独有名称甲推进新时代志愿服务工作",
        1,
    );
    let before = snapshot(&test.db).await;
    let refused = import::import(&test.db, &july, registry(), false).await;
    assert!(
        matches!(&refused, Err(ImportError::OlderEdition { edition: 1, .. })),
        "{refused:?}"
    );
    assert_eq!(refused.unwrap_err().code().as_str(), "OLDER_EDITION");
    assert_eq!(
        snapshot(&test.db).await,
        before,
        "nothing written on {}",
        test.backend
    );

    let options = import::Options {
        edition: import::EditionRequest {
            allow_older: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let older = import::import_file(&test.db, "july.txt", july.as_bytes(), registry(), &options)
        .await
        .unwrap();
    assert_eq!((older.status, older.edition), (Status::Created, 1));
    let lists = entity::duty_list::Entity::find()
        .order_by_asc(entity::duty_list::Column::Edition)
        .all(&test.db)
        .await
        .unwrap();
    let editions: Vec<(i32, i32, Option<&str>, &str)> = lists
        .iter()
        .map(|l| {
            (
                l.id,
                l.edition,
                l.valid_until.as_deref(),
                l.source_name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        editions,
        [
            (older.list_id, 1, Some("2025-08-01"), "july.txt"),
            (current.list_id, 2, None, ""),
        ],
        "the current edition stays current on {}",
        test.backend
    );
    let texts = entity::search_text::Entity::find()
        .filter(entity::search_text::Column::Content.contains("独有名称甲"))
        .all(&test.db)
        .await
        .unwrap();
    assert_eq!(texts.len(), 1, "the older edition is searchable history");
}

async fn every_import_that_changes_the_data_increments_the_data_version(test: TestDb) {
    let version = || lvzhi::db::data_version(&test.db);
    let empty = version().await.unwrap();
    import::import(&test.db, WUQIA, registry(), false)
        .await
        .unwrap();
    let imported = version().await.unwrap();
    assert_eq!(imported, empty + 1, "on {}", test.backend);
    // Unchanged content writes nothing, so running servers keep their cache.
    import::import(&test.db, WUQIA, registry(), false)
        .await
        .unwrap();
    assert_eq!(version().await.unwrap(), imported, "on {}", test.backend);
    // A document that fails to import changes nothing.
    let broken = WUQIA.replacen("乌恰镇", "", 1).replace("序号", "");
    assert!(
        import::import(&test.db, &broken, registry(), false)
            .await
            .is_err()
    );
    assert_eq!(version().await.unwrap(), imported, "on {}", test.backend);
    let corrected = WUQIA.replacen("党内统计工作", "党内统计和党员信息管理工作", 1);
    import::import(&test.db, &corrected, registry(), false)
        .await
        .unwrap();
    assert_eq!(
        version().await.unwrap(),
        imported + 1,
        "on {}",
        test.backend
    );
}

#[test]
fn the_fingerprint_of_the_bundled_list_is_pinned() {
    // The fingerprint decides whether a re-import changes anything. It hashes an
    // explicit encoding, so only the list's content changes it; if this value moves
    // without a change of content, every stored list would re-import as replaced.
    assert_eq!(
        import::store::fingerprint(&wuqia().list),
        "6867b0d370fa7bdf9efc00c8ec2e883e09a3c91f4af175b3262a8814b4d6fce9"
    );
}

async fn the_import_command_refuses_a_count_mismatch_unless_allow_mismatch_is_given(test: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.txt");
    std::fs::write(&damaged, WUQIA.replace("涉及 34 个部门", "涉及 35 个部门")).unwrap();
    let file = damaged.to_str().unwrap();
    let before = snapshot(&test.db).await;
    let refused = lvzhi(&test.url, &["import", file]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("34 departments parsed, the preamble states 35"),
        "{stderr}"
    );
    assert_eq!(snapshot(&test.db).await, before, "on {}", test.backend);

    let allowed = lvzhi(&test.url, &["import", "--allow-mismatch", file]);
    let stdout = String::from_utf8_lossy(&allowed.stdout);
    assert!(
        allowed.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    assert!(stdout.contains("imported as a new list"), "{stdout}");
    let counts = counts(&test.db).await;
    assert_eq!(counts["duty_list"], 1, "on {}", test.backend);
    assert_eq!(counts["duty"], 172, "on {}", test.backend);
}
