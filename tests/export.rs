//! Export to XLSX and CSV on the real Wuqia list: the cells against the database,
//! the round trip back to exactly the same duties, items and attributions (and an
//! unchanged database on re-import), an edit that imports as a new version, the
//! department workbook, and malformed files that give errors, never panics.

mod common;

use std::collections::HashMap;

use calamine::{Reader, Xlsx};
use common::lists::assert_same_list;
use common::{TestDb, WUQIA, on_each_backend, registry, snapshot, wuqia};
use entity::{DutyKind, Party, department, duty, duty_department, responsibility_item};
use lvzhi::export::{self, ExportError};
use lvzhi::import::{self, Status};
use lvzhi::import::{Format, ImportError, Overrides, Source};
use proptest::prelude::*;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

on_each_backend!(
    the_export_command_writes_the_list_named_by_list_or_the_only_current_one,
    the_list_workbook_holds_the_preamble_and_every_table_as_the_database_has_it,
    an_exported_workbook_reads_back_as_a_document_that_imports_to_the_same_list,
    an_exported_csv_file_reads_back_as_a_document_that_imports_to_the_same_list,
    an_edited_csv_file_imports_as_the_next_edition_of_the_list,
    the_department_workbook_holds_what_the_bureau_does_and_what_it_took_back,
    exporting_a_list_that_does_not_exist_is_not_found,
    the_export_command_and_the_api_accept_exactly_the_same_department_names,
);

const TITLE: &str = "新疆维吾尔自治区克孜勒苏柯尔克孜自治州 乌恰县乌恰镇履职事项清单";
const SHEETS: [&str; 4] = [
    "说明",
    "基本履职事项清单",
    "配合履职事项清单",
    "上级部门收回事项清单",
];

/// A file read back into the text layout, as `lvzhi import` reads it.
fn document(file_name: &str, bytes: &[u8]) -> Result<String, ImportError> {
    Source::read(file_name, bytes, &Overrides::default()).map(|source| source.text)
}

async fn imported(db: &DatabaseConnection) -> i32 {
    let imported = import::import(db, WUQIA, registry(), false)
        .await
        .expect("the Wuqia list imports");
    assert_eq!(imported.status, Status::Created);
    imported.list_id
}

/// Every sheet of a workbook: name → rows of cell text (whole numbers without `.0`).
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes)).expect("an XLSX workbook");
    workbook
        .sheet_names()
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).expect("a readable sheet");
            assert_eq!(
                range.start().map(|s| s.1),
                Some(0),
                "{name} starts in column A"
            );
            let rows = common::workbook::rows(&range);
            (name, rows)
        })
        .collect()
}

fn sheet<'a>(sheets: &'a [(String, Vec<Vec<String>>)], name: &str) -> &'a [Vec<String>] {
    &sheets
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no sheet {name}"))
        .1
}

/// The read-back document prepares to the Wuqia list; importing it changes nothing.
async fn assert_round_trip(db: &DatabaseConnection, list_id: i32, text: &str, backend: &str) {
    let round = import::prepare(text, registry(), false)
        .unwrap_or_else(|e| panic!("the read-back document imports ({backend}):\n{e}"));
    assert_same_list(&round.list, &wuqia().list, backend);
    assert_eq!(round.report, wuqia().report);
    assert_eq!(
        import::store::fingerprint(&round.list),
        import::store::fingerprint(&wuqia().list)
    );
    let before = snapshot(db).await;
    let again = import::import(db, text, registry(), false).await.unwrap();
    assert_eq!((again.status, again.list_id), (Status::Unchanged, list_id));
    assert_eq!(snapshot(db).await, before, "{backend}");
}

/// The department ids of each duty, in order, and the items of each (duty, party).
struct Stored {
    duties: Vec<(duty::Model, String)>,
    departments: HashMap<i32, Vec<String>>,
    items: HashMap<(i32, Party), Vec<responsibility_item::Model>>,
}

async fn stored(db: &DatabaseConnection, list_id: i32) -> Stored {
    let categories = common::category_names(db).await;
    let names = common::department_names(db).await;
    let duties: Vec<(duty::Model, String)> = duty::Entity::find()
        .filter(duty::Column::ListId.eq(list_id))
        .order_by_asc(duty::Column::Seq)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            let category = categories[&d.category_id].clone();
            (d, category)
        })
        .collect();
    let mut departments: HashMap<i32, Vec<String>> = HashMap::new();
    for link in duty_department::Entity::find()
        .order_by_asc(duty_department::Column::Position)
        .all(db)
        .await
        .unwrap()
    {
        departments
            .entry(link.duty_id)
            .or_default()
            .push(names[&link.department_id].clone());
    }
    let mut items: HashMap<(i32, Party), Vec<responsibility_item::Model>> = HashMap::new();
    for item in responsibility_item::Entity::find()
        .order_by_asc(responsibility_item::Column::Position)
        .all(db)
        .await
        .unwrap()
    {
        items
            .entry((item.duty_id, item.party))
            .or_default()
            .push(item);
    }
    Stored {
        duties,
        departments,
        items,
    }
}

/// The numbered lines of an item cell, without their numbers.
fn numbered_lines(cell: &str) -> Vec<String> {
    cell.lines()
        .filter_map(|line| {
            let (number, text) = line.split_once('.')?;
            number.parse::<u32>().ok()?;
            Some(text.trim_start().to_owned())
        })
        .collect()
}

async fn the_list_workbook_holds_the_preamble_and_every_table_as_the_database_has_it(test: TestDb) {
    let list_id = imported(&test.db).await;
    let bytes = export::list_xlsx(&test.db, list_id).await.unwrap();
    let book = sheets(&bytes);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, SHEETS);

    let front: Vec<&str> = sheet(&book, "说明").iter().map(|r| r[0].as_str()).collect();
    let preamble: Vec<&str> = wuqia().list.preamble.split('\n').collect();
    assert_eq!(front[..3], [TITLE, "2025 年 7 月", "说 明"]);
    assert_eq!(front[3..], preamble[..]);

    let stored = stored(&test.db, list_id).await;
    let mut total = 0;
    for kind in DutyKind::ALL {
        let rows = sheet(&book, kind.table_title());
        assert_eq!(rows[0], kind.header(), "{}", kind.label());
        let duties: Vec<&(duty::Model, String)> = stored
            .duties
            .iter()
            .filter(|(d, _)| d.kind == kind)
            .collect();
        assert_eq!(rows.len() - 1, duties.len(), "{}", kind.label());
        total += duties.len();
        for (row, (duty, category)) in rows[1..].iter().zip(duties) {
            let at = format!("{} 序号 {}", kind.label(), duty.seq);
            assert_eq!(row.len(), kind.header().len(), "{at}");
            assert_eq!(
                row[..3],
                [duty.seq.to_string(), category.clone(), duty.name.clone()],
                "{at}"
            );
            let departments = stored
                .departments
                .get(&duty.id)
                .cloned()
                .unwrap_or_default();
            match kind {
                DutyKind::Basic => assert!(departments.is_empty()),
                DutyKind::Cooperative => {
                    assert_eq!(row[3], departments.join("、"), "{at}");
                    for (col, party) in [(4, Party::Department), (5, Party::Town)] {
                        let texts: Vec<String> = stored.items[&(duty.id, party)]
                            .iter()
                            .map(|i| i.text.clone())
                            .collect();
                        assert_eq!(numbered_lines(&row[col]), texts, "{at} {party:?}");
                    }
                }
                DutyKind::Reclaimed => assert_eq!(
                    row[3],
                    format!(
                        "承接部门：{} 工作方式：{}",
                        departments.join("、"),
                        duty.working_method.as_deref().unwrap()
                    ),
                    "{at}"
                ),
            }
        }
    }
    assert_eq!(total, 172);

    let cooperative = sheet(&book, "配合履职事项清单");
    let row = |seq: usize| &cooperative[seq];
    assert_eq!(row(32)[0], "32");
    assert!(
        row(32)[4].starts_with(
            "乌恰县住房和城乡建设局：\n1.依法加强对瓶装液化石油气和燃气经营企业安全状况的监督检查\n"
        ),
        "{}",
        row(32)[4]
    );
    assert!(row(32)[4].contains("\n乌恰县市场监督管理局：\n6.加强对液化石油气瓶"));
    assert!(
        row(31)[4].starts_with("一、扬尘综合治理\n"),
        "{}",
        row(31)[4]
    );
    assert!(row(31)[5].contains("\n三、河流流域及相关涉水企业的水质监测\n"));
    // A joint heading for items two departments share.
    assert!(row(51)[4].starts_with("乌恰县应急管理局、乌恰县自然资源局：\n1."));
    // One counterpart: no heading, every item is its.
    assert!(
        cooperative
            .iter()
            .skip(1)
            .all(|r| r[3].contains('、') || !r[4].contains("：\n"))
    );
}

async fn an_exported_workbook_reads_back_as_a_document_that_imports_to_the_same_list(test: TestDb) {
    let list_id = imported(&test.db).await;
    let bytes = export::list_xlsx(&test.db, list_id).await.unwrap();
    let text = document("list.xlsx", &bytes).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(TITLE));
    assert_eq!(lines.next(), Some("2025 年 7 月"));
    assert_eq!(lines.next(), Some("说 明"));
    assert!(text.contains("\n配合履职事项清单\n序号\t事项类别\t事项名称\t对应上级部门\t上级部门职责\t乡镇（街道）配合职责\n1\t"));
    assert!(text.contains("<p>乌恰县住房和城乡建设局：</p> <p>1.依法加强对瓶装液化石油气"));
    assert_eq!(document("清单", &bytes).unwrap(), text);
    assert_round_trip(&test.db, list_id, &text, test.backend).await;
}

async fn an_exported_csv_file_reads_back_as_a_document_that_imports_to_the_same_list(test: TestDb) {
    let list_id = imported(&test.db).await;
    let bytes = export::list_csv(&test.db, list_id).await.unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a UTF-8 byte order mark"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..]);
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(records[0], [TITLE]);
    assert_eq!(records[1], ["2025 年 7 月"]);
    assert_eq!(records[2], ["说 明"]);
    for kind in DutyKind::ALL {
        let at = records
            .iter()
            .position(|r| r == &[kind.table_title()])
            .unwrap_or_else(|| panic!("a title row for {}", kind.table_title()));
        assert_eq!(records[at + 1], kind.header());
        assert_eq!(records[at + 2][0], "1");
    }
    assert_eq!(
        records
            .iter()
            .filter(|r| r[0].parse::<u32>().is_ok())
            .count(),
        172
    );
    let raw = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        raw.contains("\r\n\"乌恰县住房和城乡建设局：\n1.依法加强")
            || raw.contains(",\"乌恰县住房和城乡建设局：\n1.依法加强")
    );

    let text = document("list.csv", &bytes).unwrap();
    assert_eq!(document("清单.CSV", &bytes).unwrap(), text);
    assert_eq!(
        document(
            "list.xlsx",
            &export::list_xlsx(&test.db, list_id).await.unwrap()
        )
        .unwrap(),
        text
    );
    assert_round_trip(&test.db, list_id, &text, test.backend).await;
}

async fn an_edited_csv_file_imports_as_the_next_edition_of_the_list(test: TestDb) {
    let list_id = imported(&test.db).await;
    let bytes = export::list_csv(&test.db, list_id).await.unwrap();
    let edited = String::from_utf8(bytes).unwrap().replace(
        "1.依法加强对瓶装液化石油气",
        "1.依法严格加强对瓶装液化石油气",
    );
    let text = document("list.csv", edited.as_bytes()).unwrap();
    let again = import::import(&test.db, &text, registry(), false)
        .await
        .unwrap();
    assert_eq!((again.status, again.edition), (Status::NewEdition, 2));
    assert_ne!(again.list_id, list_id);
    let items = responsibility_item::Entity::find()
        .filter(responsibility_item::Column::Text.starts_with("依法严格加强"))
        .all(&test.db)
        .await
        .unwrap();
    assert_eq!(items.len(), 1, "{}", test.backend);
}

async fn department_id(db: &DatabaseConnection, name: &str) -> i32 {
    department::Entity::find()
        .filter(department::Column::Name.eq(name))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no department {name}"))
        .id
}

/// A department's workbook checked against the prepared Wuqia list; returns it.
fn check_department_book(bytes: &[u8], name: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let book = sheets(bytes);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["说明", "配合履职事项", "上级部门收回事项"]);
    assert_eq!(sheet(&book, "说明")[0][0], TITLE);
    assert_eq!(sheet(&book, "说明")[2][0], name);
    let list = &wuqia().list;
    let index = list
        .departments
        .iter()
        .position(|d| d.name == name)
        .unwrap();

    let cooperations = sheet(&book, "配合履职事项");
    assert_eq!(
        cooperations[0],
        [
            "序号",
            "事项类别",
            "事项名称",
            "本部门职责",
            "乡镇（街道）配合职责",
            "共同负责部门"
        ]
    );
    let expected: Vec<_> = list
        .duties
        .iter()
        .filter(|d| d.kind == DutyKind::Cooperative && d.departments.contains(&index))
        .collect();
    assert_eq!(cooperations.len() - 1, expected.len());
    for (row, duty) in cooperations[1..].iter().zip(&expected) {
        assert_eq!(
            row[..3],
            [
                duty.seq.to_string(),
                duty.category.clone(),
                duty.name.clone()
            ]
        );
        let own: Vec<&str> = duty
            .items
            .iter()
            .filter(|i| i.party == Party::Department && i.departments.contains(&index))
            .map(|i| i.text.as_str())
            .collect();
        assert!(!own.is_empty(), "序号 {}", duty.seq);
        assert_eq!(numbered_lines(&row[3]), own, "序号 {}", duty.seq);
        let town: Vec<&str> = duty
            .items
            .iter()
            .filter(|i| i.party == Party::Town)
            .map(|i| i.text.as_str())
            .collect();
        assert_eq!(numbered_lines(&row[4]), town, "序号 {}", duty.seq);
        let partners: Vec<&str> = duty
            .departments
            .iter()
            .filter(|&&d| d != index)
            .map(|&d| list.departments[d].name.as_str())
            .collect();
        assert_eq!(row[5], partners.join("、"));
    }

    let reclaimed = sheet(&book, "上级部门收回事项");
    assert_eq!(
        reclaimed[0],
        ["序号", "事项类别", "事项名称", "承接部门", "工作方式"]
    );
    let expected: Vec<_> = list
        .duties
        .iter()
        .filter(|d| d.kind == DutyKind::Reclaimed && d.departments.contains(&index))
        .collect();
    assert_eq!(reclaimed.len() - 1, expected.len());
    for (row, duty) in reclaimed[1..].iter().zip(&expected) {
        assert_eq!(row[0], duty.seq.to_string());
        let receiving: Vec<&str> = duty
            .departments
            .iter()
            .map(|&d| list.departments[d].name.as_str())
            .collect();
        assert_eq!(row[3], receiving.join("、"));
        assert_eq!(Some(&row[4]), duty.working_method.as_ref());
    }
    book
}

async fn the_department_workbook_holds_what_the_bureau_does_and_what_it_took_back(test: TestDb) {
    let list_id = imported(&test.db).await;
    let bureau = department_id(&test.db, "乌恰县住房和城乡建设局").await;
    let bytes = export::department_xlsx(&test.db, list_id, bureau)
        .await
        .unwrap();
    let book = check_department_book(&bytes, "乌恰县住房和城乡建设局");
    let cooperations = sheet(&book, "配合履职事项");
    assert_eq!(cooperations.len() - 1, 14);
    let seq32 = cooperations.iter().find(|r| r[0] == "32").unwrap();
    assert_eq!(
        numbered_lines(&seq32[3])[0],
        "依法加强对瓶装液化石油气和燃气经营企业安全状况的监督检查"
    );
    assert_eq!(numbered_lines(&seq32[3]).len(), 5);
    assert_eq!(
        seq32[5],
        "乌恰县市场监督管理局、乌恰县交通运输局、乌恰县消防救援局、乌恰县公安局"
    );
    // The bureau took nothing back from 乌恰镇: the sheet holds its header only.
    assert_eq!(sheet(&book, "上级部门收回事项").len(), 1);

    let emergency = department_id(&test.db, "乌恰县应急管理局").await;
    let bytes = export::department_xlsx(&test.db, list_id, emergency)
        .await
        .unwrap();
    let book = check_department_book(&bytes, "乌恰县应急管理局");
    let reclaimed = sheet(&book, "上级部门收回事项");
    assert_eq!(reclaimed.len() - 1, 3);
    assert_eq!(
        reclaimed[1][3],
        "乌恰县公安局、乌恰县应急管理局、乌恰县市场监督管理局"
    );

    let missing = export::department_xlsx(&test.db, list_id, -1).await;
    assert!(
        matches!(missing, Err(ExportError::NotFound(_))),
        "{missing:?}"
    );
    let missing = export::department_xlsx(&test.db, list_id + 1, bureau).await;
    assert!(matches!(missing, Err(ExportError::NotFound(_))));
}

async fn exporting_a_list_that_does_not_exist_is_not_found(test: TestDb) {
    let xlsx = export::list_xlsx(&test.db, 42).await.unwrap_err();
    assert!(matches!(xlsx, ExportError::NotFound(_)), "{xlsx:?}");
    assert_eq!(xlsx.code().as_str(), "NOT_FOUND");
    assert_eq!(xlsx.to_string(), "duty list 42 not found");
    let csv = export::list_csv(&test.db, 42).await.unwrap_err();
    assert!(matches!(csv, ExportError::NotFound(_)), "{csv:?}");
}

/// A small workbook: `sheets` as (name, rows of text).
fn workbook(sheets: &[(&str, Vec<Vec<&str>>)]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = workbook.add_worksheet().set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

fn front() -> Vec<Vec<&'static str>> {
    vec![
        vec![TITLE],
        vec!["2025 年 7 月"],
        vec!["说 明"],
        vec!["一、基本情况"],
    ]
}

fn table(kind: DutyKind, rows: &[&[&'static str]]) -> (&'static str, Vec<Vec<&'static str>>) {
    let mut all = vec![kind.header().to_vec()];
    all.extend(rows.iter().map(|r| r.to_vec()));
    (kind.table_title(), all)
}

/// The problems of a file that is readable but not laid out as a list, one a line.
fn format_error(result: Result<String, ImportError>) -> String {
    match result {
        Err(ImportError::Malformed(errors)) => errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        other => panic!("expected a format error, got {other:?}"),
    }
}

/// Deterministic noise.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

#[test]
fn a_minimal_workbook_reads_back_in_the_document_layout() {
    let bytes = workbook(&[
        ("说明", front()),
        table(DutyKind::Basic, &[&["1", "党的建设", "甲\t乙"]]),
        table(
            DutyKind::Cooperative,
            &[&[
                "1",
                "民生服务",
                "丙",
                "县民政局",
                "一、甲\n1.a<b\n2.c & d",
                "1.e",
            ]],
        ),
        table(DutyKind::Reclaimed, &[]),
    ]);
    assert_eq!(
        document("list.xlsx", &bytes).unwrap(),
        format!(
            "{TITLE}\n2025 年 7 月\n说 明\n一、基本情况\n基本履职事项清单\n序号\t事项类别\t事项名称\n1\t党的建设\t甲 乙\n配合履职事项清单\n序号\t事项类别\t事项名称\t对应上级部门\t上级部门职责\t乡镇（街道）配合职责\n1\t民生服务\t丙\t县民政局\t<p>一、甲</p> <p>1.a&lt;b</p> <p>2.c &amp; d</p>\t1.e\n上级部门收回事项清单\n序号\t事项类别\t事项名称\t承接部门及工作方式\n"
        )
    );
}

#[test]
fn files_that_are_not_workbooks_or_csv_are_refused_with_an_error() {
    for seed in 1..20 {
        let bytes = noise(2000, seed);
        assert!(matches!(
            document("list.xlsx", &bytes),
            Err(ImportError::Unreadable(_))
        ));
        assert!(matches!(
            document("list.csv", &bytes),
            Err(ImportError::Unreadable(_))
        ));
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend(&bytes);
        assert!(document("list.txt", &zip).is_err());
    }
    let error = document("list.csv", "序号,名称\n1,甲".as_bytes()).unwrap_err();
    assert_eq!(error.code().as_str(), "BAD_USER_INPUT");
    // GBK, as an older Excel saves CSV.
    let gbk = b"\xd0\xf2\xba\xc5,\xca\xc2\xcf\xee\r\n";
    let message = document("list.csv", gbk).unwrap_err().to_string();
    assert!(message.contains("UTF-8"), "{message}");
    // Anything else is the text layout, for the importer to read.
    let text = Source::read("list.txt", WUQIA.as_bytes(), &Overrides::default()).unwrap();
    assert_eq!((text.format, text.text.as_str()), (Format::Text, WUQIA));
    // A cut workbook.
    let whole = workbook(&[("说明", front())]);
    for cut in [10, whole.len() / 2, whole.len() - 10] {
        assert!(document("list.xlsx", &whole[..cut]).is_err());
    }
}

#[test]
fn a_workbook_without_a_table_reads_as_a_list_without_that_table() {
    let bytes = workbook(&[
        ("说明", front()),
        table(DutyKind::Basic, &[&["1", "党的建设", "甲"]]),
        table(DutyKind::Cooperative, &[]),
    ]);
    let text = document("list.xlsx", &bytes).unwrap();
    assert!(text.contains("\n基本履职事项清单\n") && text.contains("\n配合履职事项清单\n"));
    assert!(!text.contains("上级部门收回事项清单"), "{text}");
}

#[test]
fn a_workbook_that_is_not_a_list_is_refused_naming_what_it_lacks() {
    let bytes = workbook(&[("Sheet1", vec![vec!["x"]])]);
    let message = format_error(document("list.xlsx", &bytes));
    assert_eq!(
        message,
        "sheet `Sheet1`, row 1: no title naming county and town (e.g. `乌恰县乌恰镇履职事项清单`) before the preamble; give them with --county and --town\n\
         sheet `Sheet1`, row 1: no date line (e.g. `2025年7月`) before the preamble; give the month with --published YYYY-MM"
    );
    let bytes = workbook(&[
        ("说明", vec![]),
        table(DutyKind::Basic, &[]),
        table(DutyKind::Cooperative, &[]),
        table(DutyKind::Reclaimed, &[]),
    ]);
    let message = format_error(document("list.xlsx", &bytes));
    assert!(
        message.contains(": no title naming county and town"),
        "{message}"
    );
}

#[test]
fn a_workbook_with_a_wrong_header_or_stray_cells_is_refused_naming_sheet_row_and_column() {
    let mut cooperative = table(
        DutyKind::Cooperative,
        &[&["1", "甲", "乙", "县民政局", "1.a", "1.b"]],
    );
    cooperative.1[0][3] = "备注";
    let bytes = workbook(&[
        ("说明", front()),
        table(DutyKind::Basic, &[]),
        cooperative,
        table(DutyKind::Reclaimed, &[]),
    ]);
    let message = format_error(document("list.xlsx", &bytes));
    assert_eq!(
        message,
        "sheet `配合履职事项清单`, row 1: the header row of the 配合履职事项清单 table lacks the column 对应上级部门 (found `序号 | 事项类别 | 事项名称 | 备注 | 上级部门职责 | 乡镇（街道）配合职责`; expected `序号 | 事项类别 | 事项名称 | 对应上级部门 | 上级部门职责 | 乡镇（街道）配合职责`)\n\
         sheet `配合履职事项清单`, row 2: a table row with no header row above it (a header row starts with 序号)"
    );

    let bytes = workbook(&[
        ("说明", front()),
        table(
            DutyKind::Basic,
            &[&["1", "甲", "乙"], &["2", "甲", "丙", "多余"]],
        ),
        table(DutyKind::Cooperative, &[]),
        table(DutyKind::Reclaimed, &[]),
    ]);
    let message = format_error(document("list.xlsx", &bytes));
    assert_eq!(
        message,
        "sheet `基本履职事项清单`, row 3, column D: `多余` lies outside the columns of the 基本履职事项清单 table"
    );

    let mut front = front();
    front[1] = vec!["2025 年 7 月", "注"];
    let bytes = workbook(&[
        ("说明", front),
        table(DutyKind::Basic, &[]),
        table(DutyKind::Cooperative, &[]),
        table(DutyKind::Reclaimed, &[]),
    ]);
    let message = format_error(document("list.xlsx", &bytes));
    assert_eq!(
        message,
        "sheet `说明`, row 1: no date line (e.g. `2025年7月`) before the preamble; give the month with --published YYYY-MM"
    );
}

const CSV_FRONT: &str = "\u{feff}新疆维吾尔自治区克孜勒苏柯尔克孜自治州 乌恰县乌恰镇履职事项清单\r\n2025 年 7 月\r\n说 明\r\n一、基本情况\r\n";

#[test]
fn a_csv_file_with_a_wrong_header_is_refused_naming_the_line() {
    let csv = format!("{CSV_FRONT}基本履职事项清单\r\n序号,事项类别,内容\r\n1,党的建设,甲\r\n");
    let message = format_error(document("list.csv", csv.as_bytes()));
    assert_eq!(
        message,
        "CSV line 6: the header row of the 基本履职事项清单 table lacks the column 事项名称 (found `序号 | 事项类别 | 内容`; expected `序号 | 事项类别 | 事项名称`)\n\
         CSV line 7: a table row with no header row above it (a header row starts with 序号)"
    );
    let csv = format!(
        "{CSV_FRONT}基本履职事项清单\r\n序号,事项类别,事项名称\r\n1,党的建设,甲\r\n配合履职事项清单\r\n1,民生服务,甲,县民政局,1.a,1.b\r\n"
    );
    let message = format_error(document("list.csv", csv.as_bytes()));
    assert_eq!(
        message,
        "CSV line 9: the table `配合履职事项清单` has no header row (a header row starts with 序号)"
    );
    let csv = format!(
        "{CSV_FRONT}基本履职事项清单\r\n序号,事项类别,事项名称\r\n基本履职事项清单\r\n序号,事项类别,事项名称\r\n"
    );
    let message = format_error(document("list.csv", csv.as_bytes()));
    assert_eq!(message, "CSV line 8: a second 基本履职事项清单 table");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn reading_arbitrary_bytes_returns_an_error_or_a_document_never_a_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        zip in any::<bool>(),
    ) {
        let mut bytes = bytes;
        if zip {
            bytes.splice(0..0, *b"PK\x03\x04");
        }
        let _ = document("list.xlsx", &bytes);
        let _ = document("list.csv", &bytes);
        let _ = document("x", &bytes);
    }

    #[test]
    fn reading_arbitrary_csv_text_returns_an_error_or_a_document_never_a_panic(
        parts in prop::collection::vec(prop::sample::select(vec![
            "基本履职事项清单", "配合履职事项清单", "上级部门收回事项清单", "序号", "事项类别",
            "事项名称", "1", ",", "\"", "\r\n", "\n", "说 明", "a\tb", "<p>", "\u{feff}",
        ]), 0..80),
    ) {
        let text: String = parts.concat();
        if let Ok(document) = document("list.csv", text.as_bytes()) {
            let _ = import::prepare(&document, registry(), true);
        }
    }
}

/// `lvzhi export` with the test database, in an empty directory: did it write the file?
fn export_department(database_url: &str, name: &str, county: Option<&str>) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["export", "bureau.xlsx", "--department", name];
    if let Some(county) = county {
        args.extend(["--county", county]);
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lvzhi"))
        .args(&args)
        .current_dir(dir.path())
        .env("DATABASE_URL", database_url)
        .env("LVZHI_LOG", "warn")
        .output()
        .expect("lvzhi runs");
    let wrote = dir.path().join("bureau.xlsx").exists();
    assert_eq!(output.status.success(), wrote, "{name}: {output:?}");
    wrote
}

async fn the_export_command_and_the_api_accept_exactly_the_same_department_names(db: TestDb) {
    let app = common::app::TestApp::spawn(db).await;
    let names = [
        "乌恰县住房和城乡建设局",
        "县住建局",
        "住建局",
        "乌恰县住建局",
        " 县住建局 ",
        "县住建局\u{3000}",
        "县住房和城乡建设局",
        "ＸＸ局",
        "县民政局",
        "不存在的局",
        "乌恰镇",
        "",
    ];
    let mut accepted = 0;
    for name in names {
        for county in [None, Some("乌恰县"), Some("阿图什市")] {
            let answer = app
                .graphql(
                    "query($name: String!, $county: String) { department(name: $name, county: $county) { id } }",
                    serde_json::json!({ "name": name, "county": county }),
                )
                .await;
            let api = !answer["data"]["department"].is_null();
            let cli = export_department(&app.db.url, name, county);
            assert_eq!(
                cli, api,
                "`{name}` in {county:?} on {}: the API says {answer}",
                app.db.backend
            );
            accepted += usize::from(api);
        }
    }
    assert!(
        accepted >= 10,
        "{accepted} accepted names: the test must see both answers"
    );
}

#[tokio::test]
async fn lists_and_department_workbooks_download_as_files() {
    let app = common::app::TestApp::spawn(TestDb::sqlite().await).await;
    let ids = app
        .graphql(
            "{ dutyLists { id } department(name: \"县住建局\") { id } }",
            serde_json::json!({}),
        )
        .await;
    let list = ids["data"]["dutyLists"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let department = ids["data"]["department"]["id"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let client = app.client.clone();
        let url = format!("{}{path}", app.address);
        async move { client.get(url).send().await.unwrap() }
    };
    let xlsx = get(format!("/export/{list}.xlsx")).await;
    assert_eq!(xlsx.status(), 200);
    assert!(
        xlsx.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let csv = get(format!("/export/{list}.csv")).await;
    assert_eq!(csv.status(), 200);
    assert!(csv.text().await.unwrap().contains("配合履职事项清单"));
    let workbook = get(format!("/export/{list}/departments/{department}.xlsx")).await;
    assert_eq!(workbook.status(), 200);
    let missing = get("/export/RHV0eUxpc3Q6OTk5.xlsx".to_owned()).await;
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(get("/export/nonsense.pdf".to_owned()).await.status(), 404);
}

async fn the_export_command_writes_the_list_named_by_list_or_the_only_current_one(test: TestDb) {
    test.seed().await;
    let august = WUQIA.replacen("2025 年 7 月", "2025 年 8 月", 1);
    import::import(&test.db, &august, registry(), false)
        .await
        .expect("the August edition imports");
    let app = common::app::TestApp::spawn(test).await;
    let export = |args: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_lvzhi"))
            .args(["export", "list.csv"])
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", &app.db.url)
            .env("LVZHI_LOG", "warn")
            .output()
            .expect("lvzhi runs");
        let written = std::fs::read(dir.path().join("list.csv")).ok();
        (output, written)
    };
    // Two editions of one town and no --list: the current one, not its history.
    let (output, only_current) = export(&[]);
    assert!(output.status.success(), "{output:?}");
    // Both editions: the current one (August's) and July's.
    let lists = app
        .graphql(
            "{ july: dutyLists(asOf: \"2025-07\") { id publishedOn } current: dutyLists { id publishedOn } }",
            serde_json::json!({}),
        )
        .await;
    let lists: Vec<serde_json::Value> = ["july", "current"]
        .iter()
        .flat_map(|edition| lists["data"][edition].as_array().unwrap().clone())
        .collect();
    assert_eq!(lists.len(), 2, "{lists:?}");
    let mut files = Vec::new();
    for list in &lists {
        let id = list["id"].as_str().unwrap();
        let (output, written) = export(&["--list", id]);
        assert!(output.status.success(), "{output:?}");
        let written = written.expect("the file is written");
        // The same bytes as the download of that list.
        let download = app.get(&format!("/export/{id}.csv")).await;
        assert_eq!(download.status(), 200);
        assert_eq!(
            download.bytes().await.unwrap().as_ref(),
            written.as_slice(),
            "{}",
            list["publishedOn"]
        );
        files.push(written);
    }
    assert_ne!(files[0], files[1], "each --list writes its own list");
    assert_eq!(
        only_current.as_ref(),
        Some(&files[1]),
        "the current edition"
    );
    let (output, written) = export(&["--list", "nonsense"]);
    assert!(!output.status.success() && written.is_none(), "{output:?}");

    // Another town's list too, and no --list: which one is not guessed.
    let options = import::Options {
        overrides: Overrides {
            town: Some("吉根乡".to_owned()),
            ..Overrides::default()
        },
        ..import::Options::default()
    };
    import::import_file(
        &app.db.db,
        "jigen.txt",
        WUQIA.as_bytes(),
        registry(),
        &options,
    )
    .await
    .expect("another town's list imports");
    let (output, written) = export(&[]);
    assert!(!output.status.success() && written.is_none(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("2 current lists: choose one with --list"),
        "{output:?}"
    );
}
