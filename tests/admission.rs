//! Task admission (事项准入): the labelled evaluation sets scored against their
//! lists with floors on the figures, and `admissionCheck`/`admissionChecks`
//! over GraphQL — notices split into points, the sending department's flags,
//! errors, caps and the statement count.

mod common;

use async_graphql::{Request, Variables};
use common::{TestDb, on_each_backend};
use lvzhi::admission::{self, Lexicon, eval, matcher::Params};
use serde_json::{Value, json};

on_each_backend!(
    the_wuqia_set_scores_above_its_floors_on_every_backend,
    an_indexed_list_is_kept_until_the_data_version_moves,
    a_task_is_checked_by_town_and_county_with_its_evidence_and_department_flags,
    a_second_differently_worded_list_scores_above_the_floors_and_near_the_first,
);

const WUQIA_SET: &str = include_str!("admission/wuqia.toml");

/// The floors the issue sets: top-1 ≥ 85 %, top-3 ≥ 95 %, verdict ≥ 90 %, and
/// of the tasks called NOT_LISTED at least 90 % truly are.
fn assert_floors(report: &eval::Report, what: &str) {
    let figures = format!("{what}:\n{report}");
    assert!(report.top1() >= 0.85, "top-1 below 85 % on {figures}");
    assert!(report.top3() >= 0.95, "top-3 below 95 % on {figures}");
    assert!(
        report.verdict_accuracy() >= 0.90,
        "verdict accuracy below 90 % on {figures}"
    );
    assert!(
        report.not_listed_precision() >= NOT_LISTED_PRECISION_FLOOR,
        "NOT_LISTED precision below the floor on {figures}"
    );
}

/// The NOT_LISTED precision target.
const NOT_LISTED_PRECISION_FLOOR: f64 = 0.90;

async fn wuqia_report(test: &TestDb) -> eval::Report {
    test.seed().await;
    let set = eval::EvalSet::parse(WUQIA_SET, "wuqia.toml").expect("the set parses");
    let list = only_list(test).await;
    let data = admission::fetch(&test.db, list).await.expect("fetch");
    eval::evaluate(&data, &set, Lexicon::bundled(), Params::default())
}

async fn only_list(test: &TestDb) -> i32 {
    use sea_orm::EntityTrait;
    entity::duty_list::Entity::find()
        .all(&test.db)
        .await
        .unwrap()
        .first()
        .expect("a list")
        .id
}

async fn the_wuqia_set_scores_above_its_floors_on_every_backend(test: TestDb) {
    let report = wuqia_report(&test).await;
    assert!(report.set.cases.len() >= 100);
    assert_floors(&report, test.backend);
}

#[tokio::test]
async fn the_wuqia_set_has_every_verdict_and_near_misses() {
    let set = eval::EvalSet::parse(WUQIA_SET, "wuqia.toml").unwrap();
    for v in admission::VerdictKind::ALL {
        let n = set.cases.iter().filter(|c| c.verdict == v).count();
        assert!(n >= 15, "{} has {n} cases", v.code());
    }
}

/// An API over `db` that counts its SQL statements.
struct Counted {
    api: lvzhi::graphql::Api,
    counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Counted {
    fn new(db: &sea_orm::DatabaseConnection) -> Self {
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut counted = db.clone();
        let c = counter.clone();
        counted.set_metric_callback(move |_| {
            c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        Counted {
            api: lvzhi::graphql::Api::new(counted),
            counter,
        }
    }

    /// (statements, response JSON) of one query.
    async fn run(&self, query: &str, variables: Value) -> (u64, Value) {
        use std::sync::atomic::Ordering;
        let before = self.counter.load(Ordering::Relaxed);
        let response = self
            .api
            .execute(Request::new(query).variables(Variables::from_json(variables)))
            .await;
        (
            self.counter.load(Ordering::Relaxed) - before,
            serde_json::to_value(&response).unwrap(),
        )
    }
}

/// Run a query on a fresh API over `db`; (statements, response JSON).
async fn run(db: &sea_orm::DatabaseConnection, query: &str, variables: Value) -> (u64, Value) {
    Counted::new(db).run(query, variables).await
}

async fn an_indexed_list_is_kept_until_the_data_version_moves(test: TestDb) {
    test.seed().await;
    let on = test.backend;
    let api = Counted::new(&test.db);
    let task = json!({ "task": "请各乡镇做好低保对象年度复核", "town": "乌恰镇" });
    let (first, a) = api.run(CHECK, task.clone()).await;
    let (second, b) = api.run(CHECK, task.clone()).await;
    assert_eq!(a, b, "on {on}");
    assert_eq!(second, 2, "the list and the data version on {on}");
    assert_eq!(first, 4, "and the list's duties and items on {on}");
    // A re-import that changes the list moves the version: the list is read again.
    let august = common::WUQIA.replace("\t落实林长制", "\t全面落实林长制");
    lvzhi::import::import(&test.db, &august, common::registry(), false)
        .await
        .unwrap();
    let (third, _) = api.run(CHECK, task).await;
    assert_eq!(third, 4, "on {on}");
}

const CHECK: &str = "query($task: String!, $town: String, $county: String, $list: ID, $department: String) {
  admissionCheck(task: $task, town: $town, county: $county, listId: $list, department: $department) {
    task verdict confidence reason list { town county }
    duty { kind seq name category { name } departments { name } }
    department { name }
    matches { duty { seq kind } score coverage side departments { name }
      evidence { matchedIn text highlights { start length } snippet }
      townItems { text highlights { start length } }
      departmentItems { text departments { name } }
      departmentIsCounterpart departmentIsReceiver } } }";

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

async fn a_task_is_checked_by_town_and_county_with_its_evidence_and_department_flags(test: TestDb) {
    test.seed().await;
    let on = test.backend;
    let (n, body) = run(
        &test.db,
        CHECK,
        json!({ "task": "请各乡镇会同燃气经营企业对瓶装液化气用户开展入户安全检查", "town": "乌恰镇", "county": "乌恰县", "department": "县住建局" }),
    )
    .await;
    let check = &body["data"]["admissionCheck"];
    assert_eq!(check["verdict"], "COOPERATIVE_TOWN_SIDE", "{body} on {on}");
    assert_eq!(check["duty"]["seq"], 32);
    assert_eq!(check["duty"]["category"]["name"], "城乡建设");
    assert_eq!(check["department"]["name"], "乌恰县住房和城乡建设局");
    let best = &check["matches"][0];
    assert_eq!(best["side"], "TOWN");
    assert_eq!(best["departmentIsCounterpart"], true);
    assert_eq!(best["departmentIsReceiver"], false);
    assert!(
        best["townItems"][0]["text"]
            .as_str()
            .unwrap()
            .contains("入户安全检查"),
        "{best}"
    );
    assert!(
        check["reason"]
            .as_str()
            .unwrap()
            .contains("配合履职事项第32项")
    );
    // The list, the department, the data version, the duties with their
    // departments, the items.
    assert!(n <= 5, "{n} statements on {on}");

    // Without a department the flags are null; a reclaimed duty names its receiver.
    let (_, body) = run(
        &test.db,
        CHECK,
        json!({ "task": "请各乡镇对辖区加油站开展危险化学品和设备设施安全检查", "town": "乌恰镇", "department": "县应急管理局" }),
    )
    .await;
    let check = &body["data"]["admissionCheck"];
    assert_eq!(check["verdict"], "RECLAIMED", "{body}");
    assert_eq!(check["matches"][0]["departmentIsReceiver"], true);
    assert_eq!(check["matches"][0]["departmentIsCounterpart"], false);
    let (_, body) = run(
        &test.db,
        CHECK,
        json!({ "task": "请各乡镇做好低保复核", "town": "乌恰镇" }),
    )
    .await;
    assert_eq!(body["data"]["admissionCheck"]["verdict"], "BASIC", "{body}");
    assert_eq!(
        body["data"]["admissionCheck"]["matches"][0]["departmentIsCounterpart"],
        Value::Null
    );
}

#[tokio::test]
async fn a_notice_is_split_into_its_points_with_one_verdict_each() {
    let test = TestDb::sqlite().await;
    test.seed().await;
    let notice = "关于做好近期有关工作的通知\n各乡镇：\n现将有关事项通知如下：\n一、安全生产\n（一）请会同燃气经营企业开展入户安全检查；\n（二）对燃气经营企业违法行为依法予以行政处罚。\n二、在每个社区建成微型消防站\n三、做好2025年度征兵报名、体检和役前训练组织工作\n特此通知。\n乌恰县人民政府办公室\n2025年7月1日";
    let (n, body) = run(
        &test.db,
        "query($n: String!) { admissionChecks(notice: $n, town: \"乌恰镇\") { task verdict duty { seq } } }",
        json!({ "n": notice }),
    )
    .await;
    let checks = body["data"]["admissionChecks"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let verdicts: Vec<&str> = checks
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        [
            "COOPERATIVE_TOWN_SIDE",
            "COOPERATIVE_DEPARTMENT_SIDE",
            "RECLAIMED",
            "NOT_LISTED"
        ],
        "{body}"
    );
    assert_eq!(checks[0]["task"], "请会同燃气经营企业开展入户安全检查");
    assert_eq!(checks[3]["duty"], Value::Null);
    // As many statements for four tasks as for one.
    assert!(n <= 4, "{n} statements");
}

#[tokio::test]
async fn bad_arguments_get_coded_errors() {
    let test = TestDb::sqlite().await;
    test.seed().await;
    let check = "query($task: String!, $list: ID, $town: String, $county: String, $department: String) {
      admissionCheck(task: $task, listId: $list, town: $town, county: $county, department: $department) { verdict } }";
    let cases = [
        (
            json!({ "task": "  ", "town": "乌恰镇" }),
            "BAD_USER_INPUT",
            "`task`",
        ),
        (json!({ "task": "低保复核" }), "BAD_USER_INPUT", "listId"),
        (
            json!({ "task": "低保复核", "town": "白沙镇" }),
            "NOT_FOUND",
            "白沙镇",
        ),
        (
            json!({ "task": "低保复核", "town": "乌恰镇", "county": "青川县" }),
            "NOT_FOUND",
            "",
        ),
        (
            json!({ "task": "低保复核", "list": "RHV0eUxpc3Q6OTk5" }),
            "NOT_FOUND",
            "",
        ),
        (
            json!({ "task": "低保复核", "list": "nonsense" }),
            "BAD_USER_INPUT",
            "",
        ),
        (
            json!({ "task": "低保复核", "town": "乌恰镇", "department": "县宇航局" }),
            "NOT_FOUND",
            "县宇航局",
        ),
        (
            json!({ "task": "查".repeat(admission::MAX_TASK_CHARS + 1), "town": "乌恰镇" }),
            "LIMIT_EXCEEDED",
            "500",
        ),
    ];
    for (variables, expected, mentions) in cases {
        let (_, body) = run(&test.db, check, variables.clone()).await;
        assert_eq!(code(&body), expected, "{variables} → {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(mentions), "{message}");
    }
    let notice = "查\n".repeat(admission::MAX_TASKS + 1);
    let (_, body) = run(
        &test.db,
        "query($n: String!) { admissionChecks(notice: $n, town: \"乌恰镇\") { verdict } }",
        json!({ "n": notice }),
    )
    .await;
    assert_eq!(code(&body), "LIMIT_EXCEEDED", "{body}");
    let (_, body) = run(
        &test.db,
        "{ admissionChecks(notice: \"各乡镇：\\n特此通知\", town: \"乌恰镇\") { verdict } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`notice`")
    );
}

#[tokio::test]
async fn a_town_name_several_counties_use_needs_its_county() {
    let test = TestDb::sqlite().await;
    test.seed().await;
    // The same list for a town of the same name in another county.
    let other = common::WUQIA.replace("乌恰县", "阿克陶县");
    let bundled = include_str!("../seeds/departments.toml");
    let county = bundled.split("[[county]]").nth(1).unwrap();
    let registry_text = format!(
        "{bundled}\n[[county]]{}",
        county.replace("乌恰县", "阿克陶县")
    );
    let registry = lvzhi::import::Registry::parse(&registry_text, "test").expect("registry");
    lvzhi::import::import(&test.db, &other, &registry, false)
        .await
        .expect("the second county's list imports");
    let (_, body) = run(
        &test.db,
        CHECK,
        json!({ "task": "低保复核", "town": "乌恰镇" }),
    )
    .await;
    assert_eq!(code(&body), "AMBIGUOUS_NAME", "{body}");
    let (_, body) = run(
        &test.db,
        CHECK,
        json!({ "task": "低保复核", "town": "乌恰镇", "county": "阿克陶县" }),
    )
    .await;
    assert_eq!(
        body["data"]["admissionCheck"]["list"]["county"], "阿克陶县",
        "{body}"
    );
}

const QINGFENG_SET: &str = include_str!("admission/qingfeng.toml");
const QINGFENG_LIST: &str = include_str!("admission/qingfeng-shimen-2025-03.txt");
const QINGFENG_REGISTRY: &str = include_str!("admission/qingfeng-departments.toml");

async fn a_second_differently_worded_list_scores_above_the_floors_and_near_the_first(test: TestDb) {
    let wuqia = wuqia_report(&test).await;
    let registry = lvzhi::import::Registry::parse(QINGFENG_REGISTRY, "qingfeng").unwrap();
    let imported = lvzhi::import::import(&test.db, QINGFENG_LIST, &registry, false)
        .await
        .expect("the Qingfeng sample imports");
    let set = eval::EvalSet::parse(QINGFENG_SET, "qingfeng.toml").unwrap();
    assert!(set.cases.len() >= 40);
    let data = admission::fetch(&test.db, imported.list_id).await.unwrap();
    let report = eval::evaluate(&data, &set, Lexicon::bundled(), Params::default());
    assert_floors(&report, test.backend);
    // Not more than 5 points below the first list on any figure.
    for (name, first, second) in [
        ("top-1", wuqia.top1(), report.top1()),
        ("top-3", wuqia.top3(), report.top3()),
        (
            "verdict",
            wuqia.verdict_accuracy(),
            report.verdict_accuracy(),
        ),
    ] {
        assert!(
            second >= first - 0.05,
            "{name}: {second} against {first}\n{report}"
        );
    }
}
