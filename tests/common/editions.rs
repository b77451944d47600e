//! Later editions of a list, written the way a county office writes them: the
//! previous document edited in place — rows reworded, moved, added, removed and
//! reordered, a reformed department's new name put wherever the old one stood —
//! and the preamble recounted so the new document reconciles.
//!
//! [`next_edition`] is issue 12's acceptance fixture: the bundled list's next
//! edition with one edit of each kind, the registry that knows the reform, and
//! the diff those edits must give ([`Expected`]), so tests assert against the
//! edits made rather than repeating numbers. [`ambiguous_edition`] replaces one
//! duty by two near-identical ones, which no matcher may guess between.
//! [`evolve`] makes a few small seeded edits per round, for lists of many editions.
//!
//! Duties are chosen by table and name in the parsed document, never by line,
//! and every place in [`Expected`] is read off the edited tables.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use entity::DutyKind;
use lvzhi::edition::Place;
use lvzhi::edition::diff::Change;
use lvzhi::import::Registry;
use lvzhi::import::cell::plain_text;
use lvzhi::import::document::split_names;
use lvzhi::import::registry::CountyRegistry;
use regex::Regex;

use super::WUQIA;

/// The day the next edition takes effect, which is also the reform's.
pub const NEXT_EFFECTIVE_ON: &str = "2026-01-01";

/// The bundled list's first day: the edition the next one follows.
pub const FIRST_EFFECTIVE_ON: &str = "2025-07-01";

/// A reform's renaming of one county department, by canonical and short names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rename {
    /// The old canonical name.
    pub old: String,
    /// The old short name.
    pub old_short: String,
    /// The new canonical name.
    pub new: String,
    /// The new short name.
    pub new_short: String,
}

/// A duty as one edition places and names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duty {
    /// Table and 序号.
    pub place: Place,
    /// 事项名称.
    pub name: String,
}

/// One duty's expected diff entry: its change and its versions before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The primary change.
    pub change: Change,
    /// The duty in the old edition (none when added).
    pub before: Option<Duty>,
    /// The duty in the new edition (none when removed).
    pub after: Option<Duty>,
}

/// An edited edition and what its edits must make of a diff.
#[derive(Clone, Debug)]
pub struct NextEdition {
    /// The new document, in the text layout.
    pub text: String,
    /// The department registry that knows the reform (bundled one + successor).
    pub registry: String,
    /// Every duty entry the diff must report, in the diff's order (by new place,
    /// then the removed by old place).
    pub entries: Vec<Expected>,
    /// The renamed department.
    pub renamed: Rename,
    /// Which duty's item was reworded along with its name (its new name).
    pub item_reworded: String,
}

impl Expected {
    /// The entries of a diff in the fixture's terms.
    pub fn of_diff(diff: &lvzhi::edition::diff::Diff) -> Vec<Expected> {
        let duty = |v: &lvzhi::edition::DutyVersion| Duty {
            place: v.place,
            name: v.name.clone(),
        };
        diff.entries
            .iter()
            .map(|e| Expected {
                change: e.change,
                before: e.before.as_ref().map(duty),
                after: e.after.as_ref().map(duty),
            })
            .collect()
    }
}

impl NextEdition {
    /// The expected entries of one kind of change.
    pub fn of(&self, change: Change) -> Vec<&Expected> {
        self.entries.iter().filter(|e| e.change == change).collect()
    }
}

/// A next edition where one duty became two near-identical ones.
#[derive(Clone, Debug)]
pub struct AmbiguousEdition {
    /// The new document, in the text layout.
    pub text: String,
    /// The old duty both new ones fit equally.
    pub old: Duty,
    /// The two new duties, in document order.
    pub new: [Duty; 2],
}

/// The reform of the next edition: 卫健委 becomes a bureau (卫健局).
pub fn reform() -> Rename {
    Rename {
        old: "乌恰县卫生健康委员会".into(),
        old_short: "县卫健委".into(),
        new: "乌恰县卫生健康局".into(),
        new_short: "县卫健局".into(),
    }
}

/// The bundled list's next edition (issue 12): three duties reworded (one with
/// an item too), one cooperative duty taken back by its department, two added,
/// one removed, one reordered within its table, 卫健委 renamed by a reform; dated
/// `2026 年 1 月` and recounted.
pub fn next_edition() -> NextEdition {
    use DutyKind::{Basic, Cooperative};
    let rename = reform();
    let registry = registry_with(&rename, NEXT_EFFECTIVE_ON);
    let mut draft = Draft::parse(WUQIA);
    let reworded = [
        draft.rename_duty(
            Basic,
            "做好人才引进、服务、管理和使用工作",
            "做好人才引进、培养、服务、管理和使用工作",
        ),
        draft.rename_duty(Basic, "组织义务植树活动", "组织开展全民义务植树活动"),
        draft.rename_duty(
            Cooperative,
            "做好建制镇建设统计调查填报和村庄建设统计调查填报工作",
            "做好建制镇和村庄建设统计调查填报工作",
        ),
    ];
    let item = draft.at(reworded[2]);
    let item_reworded = draft.rows[item].name().to_owned();
    draft.rows[item].replace_in(
        5,
        "对填报内容进行数据汇总处理、上报",
        "对填报内容进行数据核对、汇总处理，按时上报",
    );
    let moved = draft.take_back("林草浇灌");
    let added = [
        draft.add(Basic, &["综合政务", "做好基层报表统一归口填报和涉企数据共享工作"]),
        draft.add(
            Cooperative,
            &[
                "城乡建设",
                "做好冬季供暖设施运行保障和供暖隐患排查工作",
                "乌恰县住房和城乡建设局",
                "<p>1.督促供热企业做好供暖设施检修和运行保障；</p> <p>2.受理供暖投诉并协调供热企业处置。</p>",
                "<p>1.排查辖区供暖隐患并及时上报；</p> <p>2.收集居民供暖诉求，做好解释疏导。</p>",
            ],
        ),
    ];
    let removed = draft.remove(Basic, "促进小商品、夜间、地摊经济发展工作");
    let renumbered = draft.reorder(Cooperative, "消费者权益保护", "价格监督检查");
    draft.rename_department(&rename, "乌恰县");
    draft.set_month("2026 年 1 月");
    recount_with(&mut draft, &registry);
    let entries = draft.expected(
        &[
            (Change::Modified, &reworded[..]),
            (Change::Moved, &[moved]),
            (Change::Added, &added[..]),
            (Change::Renumbered, &[renumbered]),
        ],
        &removed,
    );
    NextEdition {
        text: draft.render(),
        registry,
        entries,
        renamed: rename,
        item_reworded,
    }
}

/// The bundled list's next edition in which `推进新时代志愿服务工作` became two
/// duties differing in one word (社区, 机关): each fits the old duty exactly as
/// well as the other, so the old duty and both new ones are ambiguous.
pub fn ambiguous_edition() -> AmbiguousEdition {
    let mut draft = Draft::parse(WUQIA);
    let name = "推进新时代志愿服务工作";
    let at = draft.find(DutyKind::Basic, name);
    let old = draft.rows[at].origin.clone().expect("a row of the seed");
    let mut twins = [draft.rows[at].clone(), draft.rows[at].clone()];
    for (twin, word) in twins.iter_mut().zip(["社区", "机关"]) {
        twin.id = draft.fresh_id();
        twin.origin = None;
        twin.cells[2] = name.replace("志愿", &format!("{word}志愿"));
    }
    let names = twins.clone().map(|t| t.name().to_owned());
    draft.rows.splice(at..=at, twins);
    draft.set_month("2026 年 1 月");
    recount_with(&mut draft, &bundled_registry_text());
    let new = names.map(|n| draft.duty(draft.find(DutyKind::Basic, &n)));
    AmbiguousEdition {
        text: draft.render(),
        old,
        new,
    }
}

/// The document after `round` rounds of small edits, one round applied to
/// `text`: a basic duty reworded, a cooperative duty removed, a basic duty
/// added, a reclaimed duty moved to its table's end, the month six months on,
/// the preamble recounted (departments through `registry`). Deterministic:
/// the duties are picked by position from the round number, so five editions
/// are `evolve` applied to the seed for rounds 1, 2, 3 and 4 in turn.
pub fn evolve(text: &str, round: usize, registry: &Registry) -> String {
    let mut draft = Draft::parse(text);
    let pick = |draft: &Draft, kind: DutyKind, step: usize| {
        let rows = draft.indices(kind);
        rows[(round * step + 3) % rows.len()]
    };
    let basic = pick(&draft, DutyKind::Basic, 13);
    let reworded = format!("认真{}", draft.rows[basic].name());
    draft.rows[basic].cells[2] = reworded;
    let cooperative = pick(&draft, DutyKind::Cooperative, 17);
    draft.rows.remove(cooperative);
    let name = NEW_DUTIES[round % NEW_DUTIES.len()];
    let name = match round / NEW_DUTIES.len() {
        0 => name.to_owned(),
        lap => format!("{name}（{lap}）"),
    };
    draft.add(DutyKind::Basic, &["综合政务", &name]);
    let reclaimed = pick(&draft, DutyKind::Reclaimed, 7);
    let row = draft.rows.remove(reclaimed);
    let end = draft
        .indices(DutyKind::Reclaimed)
        .last()
        .map_or(draft.rows.len(), |i| i + 1);
    draft.rows.insert(end, row);
    let month = draft.month_after(6);
    draft.set_month(&month);
    let county = registry
        .find_county("", "", &draft.county())
        .expect("the registry knows the document's county");
    draft.recount(county);
    draft.render()
}

/// Names of basic duties [`evolve`] adds, one per round.
const NEW_DUTIES: [&str; 6] = [
    "做好基层减负监测点联系和问题反馈工作",
    "开展农村集体经济合同清理规范工作",
    "做好辖区住户调查和统计基础台账管理",
    "推进社区嵌入式服务设施建设和运营",
    "做好困难群众冬季取暖救助排查工作",
    "开展校园周边环境集中整治巡查工作",
];

/// The bundled registry.
fn bundled_registry_text() -> String {
    lvzhi::import::registry::BUNDLED.to_owned()
}

/// The bundled registry with `rename`'s new department succeeding the old one on `on`.
pub fn registry_with(rename: &Rename, on: &str) -> String {
    format!(
        "{}\n  [[county.department]]\n  name = \"{}\"\n  short = \"{}\"\n\n    [[county.department.succeeds]]\n    name = \"{}\"\n    on = {on}\n",
        bundled_registry_text().trim_end(),
        rename.new,
        rename.new_short,
        rename.old,
    )
}

/// Recount `draft`'s preamble with the departments of the registry `text`.
fn recount_with(draft: &mut Draft, text: &str) {
    let registry = Registry::parse(text, "fixture.toml").expect("the fixture's registry is valid");
    let county = registry
        .find_county("", "", &draft.county())
        .expect("the registry knows the document's county");
    draft.recount(county);
}

/// Rows a page of a table holds before its header repeats.
const PAGE: usize = 13;

/// A document being edited: what precedes the tables, and every table row.
#[derive(Clone, Debug)]
struct Draft {
    /// Lines before the first table: title, month, preamble, contents.
    head: Vec<String>,
    /// Each table's title and header row, in document order.
    tables: Vec<(DutyKind, String, String)>,
    /// The rows, table by table, in document order.
    rows: Vec<Row>,
    /// The categories each table had when parsed.
    categories: Vec<(DutyKind, BTreeSet<String>)>,
    /// The id of the next row made.
    next_id: usize,
}

/// One table row: its cells (序号 first, rewritten on rendering) and where
/// the row stood in the parsed document (none for a row added since). `id`
/// names the row whatever is inserted or removed before it.
#[derive(Clone, Debug)]
struct Row {
    id: usize,
    kind: DutyKind,
    cells: Vec<String>,
    origin: Option<Duty>,
}

impl Row {
    fn name(&self) -> &str {
        &self.cells[2]
    }

    /// Replace text in one cell, which must hold it.
    fn replace_in(&mut self, cell: usize, from: &str, to: &str) {
        assert!(
            self.cells[cell].contains(from),
            "`{from}` is not in the row of {}",
            self.name()
        );
        self.cells[cell] = self.cells[cell].replace(from, to);
    }
}

impl Draft {
    /// Split a document in the text layout (a valid one: see `parse_document`).
    fn parse(text: &str) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let start = (0..lines.len())
            .find(|&i| table_start(&lines, i).is_some())
            .expect("the document has a table");
        let mut draft = Draft {
            head: lines[..start].iter().map(|l| (*l).to_owned()).collect(),
            tables: Vec::new(),
            rows: Vec::new(),
            categories: Vec::new(),
            next_id: 0,
        };
        let mut kind = None;
        for i in start..lines.len() {
            if let Some((k, header)) = table_start(&lines, i) {
                draft
                    .tables
                    .push((k, lines[i].trim().to_owned(), header.to_owned()));
                kind = Some(k);
            } else if let Some(k) = kind.filter(|_| is_row(lines[i])) {
                let row = Row::parsed(draft.fresh_id(), k, lines[i]);
                draft.rows.push(row);
            }
        }
        draft.categories = draft
            .tables
            .iter()
            .map(|(k, ..)| (*k, draft.categories_of(*k)))
            .collect();
        draft
    }

    fn fresh_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    /// The index of the row `id` names.
    fn at(&self, id: usize) -> usize {
        self.rows
            .iter()
            .position(|r| r.id == id)
            .expect("the row is in the draft")
    }

    /// Indices of the rows of one table.
    fn indices(&self, kind: DutyKind) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&i| self.rows[i].kind == kind)
            .collect()
    }

    /// The index of the row of a table with this name.
    fn find(&self, kind: DutyKind, name: &str) -> usize {
        self.indices(kind)
            .into_iter()
            .find(|&i| self.rows[i].name() == name)
            .unwrap_or_else(|| panic!("no duty `{name}` in the {} table", kind.table_title()))
    }

    /// The duty at row `index` as the edited document numbers it.
    fn duty(&self, index: usize) -> Duty {
        let row = &self.rows[index];
        let seq = self.rows[..index]
            .iter()
            .filter(|r| r.kind == row.kind)
            .count()
            + 1;
        Duty {
            place: Place {
                kind: row.kind,
                seq: seq as u32,
            },
            name: row.name().to_owned(),
        }
    }

    /// Reword a duty's name; returns its row's id.
    fn rename_duty(&mut self, kind: DutyKind, name: &str, new: &str) -> usize {
        let at = self.find(kind, name);
        self.rows[at].cells[2] = new.to_owned();
        self.rows[at].id
    }

    /// A cooperative duty taken back by its counterpart departments: its row
    /// rewritten in the reclaimed table's layout (承接部门及工作方式) after that
    /// table's last duty of its category, else at its end. Returns its row's id.
    fn take_back(&mut self, name: &str) -> usize {
        let row = self.rows.remove(self.find(DutyKind::Cooperative, name));
        let departments = split_names(&plain_text(&row.cells[3])).join("、");
        let method = format!(
            "承接部门: {departments} 工作方式: 取消乡镇{name}的责任, 由{departments}负责{name}工作。"
        );
        let moved = Row {
            id: row.id,
            kind: DutyKind::Reclaimed,
            cells: vec![
                String::new(),
                row.cells[1].clone(),
                row.cells[2].clone(),
                method,
            ],
            origin: row.origin,
        };
        self.insert_by_category(moved)
    }

    /// A new duty (cells after the 序号) after the last of its table and
    /// category, else at the table's end; returns its row's id.
    fn add(&mut self, kind: DutyKind, cells: &[&str]) -> usize {
        let mut all = vec![String::new()];
        all.extend(cells.iter().map(|c| (*c).to_owned()));
        assert_eq!(
            all.len(),
            kind.header().len(),
            "a {} row",
            kind.table_title()
        );
        let id = self.fresh_id();
        self.insert_by_category(Row {
            id,
            kind,
            cells: all,
            origin: None,
        })
    }

    fn insert_by_category(&mut self, row: Row) -> usize {
        let table = self.indices(row.kind);
        let at = table
            .iter()
            .rev()
            .find(|&&i| self.rows[i].cells[1] == row.cells[1])
            .or(table.last())
            .map_or(self.rows.len(), |i| i + 1);
        let id = row.id;
        self.rows.insert(at, row);
        id
    }

    /// Drop a duty; returns it as the old document had it.
    fn remove(&mut self, kind: DutyKind, name: &str) -> Duty {
        let row = self.rows.remove(self.find(kind, name));
        row.origin.expect("a row of the parsed document")
    }

    /// Move a duty to just after another of its table; returns its row's id.
    fn reorder(&mut self, kind: DutyKind, name: &str, after: &str) -> usize {
        let row = self.rows.remove(self.find(kind, name));
        let (id, at) = (row.id, self.find(kind, after) + 1);
        self.rows.insert(at, row);
        id
    }

    /// Write the new name of a department wherever the old one stands, in each
    /// form documents use: full or short, with the county's name, with `县` or
    /// bare. Longest forms first, so a short form never cuts into a longer one.
    fn rename_department(&mut self, rename: &Rename, county: &str) {
        let stem = |name: &str| {
            name.strip_prefix(county)
                .or(name.strip_prefix('县'))
                .unwrap_or(name)
                .to_owned()
        };
        let mut forms: Vec<(String, String)> = Vec::new();
        for (old, new) in [
            (&rename.old, &rename.new),
            (&rename.old_short, &rename.new_short),
        ] {
            let (old, new) = (stem(old), stem(new));
            for prefix in [county, "县", ""] {
                forms.push((format!("{prefix}{old}"), format!("{prefix}{new}")));
            }
        }
        forms.sort_by_key(|(old, _)| std::cmp::Reverse(old.chars().count()));
        assert!(
            forms
                .iter()
                .all(|(_, new)| forms.iter().all(|(old, _)| !new.contains(old.as_str()))),
            "a new name contains an old one: renaming would not end"
        );
        for row in &mut self.rows {
            for cell in row.cells.iter_mut().skip(3) {
                for (old, new) in &forms {
                    *cell = cell.replace(old.as_str(), new);
                }
            }
        }
    }

    /// Replace the month line (`2025 年 7 月`).
    fn set_month(&mut self, month: &str) {
        let line = self
            .head
            .iter_mut()
            .find(|l| MONTH.is_match(l.trim()))
            .expect("a month line");
        *line = month.to_owned();
    }

    /// The month `months` after the document's, as a month line.
    fn month_after(&self, months: u32) -> String {
        let line = self
            .head
            .iter()
            .find(|l| MONTH.is_match(l.trim()))
            .expect("a month line");
        let caps = MONTH.captures(line.trim()).expect("a month");
        let (year, month): (u32, u32) = (caps[1].parse().unwrap(), caps[2].parse().unwrap());
        let index = year * 12 + month - 1 + months;
        format!("{} 年 {} 月", index / 12, index % 12 + 1)
    }

    /// The county the title names.
    fn county(&self) -> String {
        let title = self
            .head
            .iter()
            .find(|l| !l.trim().is_empty())
            .expect("a title");
        let (_, _, county, ..) = lvzhi::import::document::parse_title(title).expect("a title line");
        county
    }

    /// The categories of one table's rows.
    fn categories_of(&self, kind: DutyKind) -> BTreeSet<String> {
        self.indices(kind)
            .into_iter()
            .map(|i| self.rows[i].cells[1].clone())
            .collect()
    }

    /// The departments one table's rows name, as the county's registry resolves them.
    fn departments_of(&self, kind: DutyKind, county: &CountyRegistry) -> BTreeSet<usize> {
        let names = |row: &Row| match kind {
            DutyKind::Basic => Vec::new(),
            DutyKind::Cooperative => split_names(&plain_text(&row.cells[3])),
            DutyKind::Reclaimed => {
                let cell = plain_text(&row.cells[3]);
                let caps = RECEIVERS.captures(&cell).expect("承接部门：… 工作方式：…");
                split_names(&caps[1])
            }
        };
        let resolve = |name: String| {
            county
                .resolve(&name)
                .unwrap_or_else(|| panic!("the registry does not know `{name}`"))
        };
        self.indices(kind)
            .into_iter()
            .flat_map(|i| names(&self.rows[i]))
            .map(resolve)
            .collect()
    }

    /// Make the preamble state what the tables hold: duties per table and in
    /// all, each table's categories (its list of them too) and departments.
    fn recount(&mut self, county: &CountyRegistry) {
        let total = self.rows.len();
        let replace = |line: &mut String, re: &Regex, with: &str| {
            *line = re.replace_all(line, with).into_owned();
        };
        for (kind, before) in self.categories.clone() {
            let duties = self.indices(kind).len();
            let categories = self.categories_of(kind);
            let departments = self.departments_of(kind, county).len();
            let count = Regex::new(&format!(r"{}\s*\d+\s*项", kind.label())).unwrap();
            let paragraph = format!("{}是", kind.table_title());
            for line in &mut self.head {
                replace(line, &count, &format!("{} {duties} 项", kind.label()));
                if line.trim_start().starts_with(&paragraph) {
                    replace(line, &DEPARTMENTS, &format!("涉及 {departments} 个部门"));
                    *line = relist(line, &before, &categories);
                }
            }
        }
        for line in &mut self.head {
            replace(line, &TOTAL, &format!("共有履职事项 {total} 项"));
        }
    }

    /// The expected entries: each row (by id) listed with its change, then `removed`.
    fn expected(&self, changes: &[(Change, &[usize])], removed: &Duty) -> Vec<Expected> {
        let mut entries: Vec<Expected> = changes
            .iter()
            .flat_map(|(change, ids)| ids.iter().map(move |&id| (*change, self.at(id))))
            .map(|(change, i)| Expected {
                change,
                before: self.rows[i].origin.clone(),
                after: Some(self.duty(i)),
            })
            .collect();
        entries.sort_by_key(|e| e.after.as_ref().map(|d| d.place));
        entries.push(Expected {
            change: Change::Removed,
            before: Some(removed.clone()),
            after: None,
        });
        entries
    }

    /// The document in the text layout, every table numbered 1, 2, 3… and its
    /// header repeated on every page.
    fn render(&self) -> String {
        let mut out = self.head.join("\n");
        out.push('\n');
        for (kind, title, header) in &self.tables {
            out.push_str(&format!("{title}\n\n{header}\n"));
            for (seq, i) in (1..).zip(self.indices(*kind)) {
                if seq > 1 && (seq - 1) % PAGE == 0 {
                    out.push_str(&format!("\n{header}\n"));
                }
                let mut cells = self.rows[i].cells.clone();
                cells[0] = seq.to_string();
                out.push_str(&cells.join("\t"));
                out.push('\n');
            }
            out.push('\n');
        }
        out
    }
}

impl Row {
    fn parsed(id: usize, kind: DutyKind, line: &str) -> Self {
        let cells: Vec<String> = line.split('\t').map(str::to_owned).collect();
        let seq = cells[0].trim().parse().expect("a 序号");
        Row {
            id,
            kind,
            origin: Some(Duty {
                place: Place { kind, seq },
                name: cells[2].clone(),
            }),
            cells,
        }
    }
}

static MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$").unwrap());
static TOTAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"共有履职事项\s*\d+\s*项").unwrap());
static DEPARTMENTS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"涉及\s*\d+\s*个部门").unwrap());
static CATEGORIES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(包括\s*)(.*?)(\s*)(\d+)(\s*个类别)").unwrap());
static RECEIVERS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^承接部门\s*[:：]\s*(.*?)\s*工作方式\s*[:：]").unwrap());

/// A paragraph's list of categories (`包括 甲、乙 2 个类别`) after the table's
/// categories went from `before` to `now`: the vanished ones struck, the new
/// ones appended, the number recounted. A category the list omitted before
/// stays omitted.
fn relist(line: &str, before: &BTreeSet<String>, now: &BTreeSet<String>) -> String {
    CATEGORIES
        .replace(line, |caps: &regex::Captures| {
            let mut names: Vec<String> = split_names(&caps[2])
                .into_iter()
                .filter(|n| now.contains(n))
                .collect();
            names.extend(now.difference(before).cloned());
            format!(
                "{}{}{}{}{}",
                &caps[1],
                names.join("、"),
                &caps[3],
                now.len(),
                &caps[5]
            )
        })
        .into_owned()
}

/// A table's title at line `i` (not a bare title of the contents): its kind and header row.
fn table_start<'a>(lines: &[&'a str], i: usize) -> Option<(DutyKind, &'a str)> {
    let kind = DutyKind::ALL
        .into_iter()
        .find(|k| lines[i].trim() == k.table_title())?;
    let next = lines[i + 1..].iter().find(|l| !l.trim().is_empty())?;
    next.starts_with("序号").then_some((kind, *next))
}

/// Whether a line inside a table is a row (it starts with its 序号).
fn is_row(line: &str) -> bool {
    line.split('\t')
        .next()
        .is_some_and(|c| c.trim().parse::<u32>().is_ok())
        && line.contains('\t')
}
