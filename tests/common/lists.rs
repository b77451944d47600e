//! Two resolved lists compared field by field, departments by name: what every
//! reader of a list file (text, CSV, XLSX, DOCX) must agree on.

use entity::{DutyKind, Party};
use lvzhi::import::ResolvedList;

/// A duty of a resolved list with departments by name, without its source line.
#[derive(Debug, PartialEq)]
pub struct DutyView {
    /// The table.
    pub kind: DutyKind,
    /// 序号.
    pub seq: u32,
    /// 事项类别.
    pub category: String,
    /// 事项名称.
    pub name: String,
    /// Counterpart or receiving departments, by canonical name, in order.
    pub departments: Vec<String>,
    /// 工作方式 of a reclaimed duty.
    pub working_method: Option<String>,
    /// Every item of the duty.
    pub items: Vec<ItemView>,
}

/// (party, position, section, text, departments by name)
pub type ItemView = (Party, u32, Option<String>, String, Vec<String>);

/// The duties of a resolved list, departments by name.
pub fn duty_views(list: &ResolvedList) -> Vec<DutyView> {
    let names = |indices: &[usize]| -> Vec<String> {
        indices
            .iter()
            .map(|&i| list.departments[i].name.clone())
            .collect()
    };
    list.duties
        .iter()
        .map(|d| DutyView {
            kind: d.kind,
            seq: d.seq,
            category: d.category.clone(),
            name: d.name.clone(),
            departments: names(&d.departments),
            working_method: d.working_method.clone(),
            items: d
                .items
                .iter()
                .map(|i| {
                    (
                        i.party,
                        i.position,
                        i.section.clone(),
                        i.text.clone(),
                        names(&i.departments),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Two resolved lists hold the same content, field by field (departments by name).
/// `what` names the found list in failure messages (e.g. the file variant).
pub fn assert_same_list(found: &ResolvedList, expected: &ResolvedList, what: &str) {
    let header = |l: &ResolvedList| {
        [
            ("region", l.region.clone()),
            ("prefecture", l.prefecture.clone()),
            ("county", l.county.clone()),
            ("town", l.town.clone()),
            ("title", l.title.clone()),
            ("published", l.published_on.clone()),
            ("preamble", l.preamble.clone()),
        ]
    };
    for (f, e) in header(found).iter().zip(header(expected)) {
        assert_eq!(f, &e, "{what}: the list's {}", e.0);
    }
    assert_eq!(found.stated, expected.stated, "{what}: stated counts");
    assert_eq!(
        found.stated_total, expected.stated_total,
        "{what}: stated total"
    );
    assert_eq!(
        found.stated_rows, expected.stated_rows,
        "{what}: stated rows"
    );
    let department_names = |l: &ResolvedList| -> Vec<String> {
        l.departments.iter().map(|d| d.name.clone()).collect()
    };
    assert_eq!(
        department_names(found),
        department_names(expected),
        "{what}: the county's departments"
    );
    let (found, expected) = (duty_views(found), duty_views(expected));
    for (f, e) in found.iter().zip(&expected) {
        let at = format!("{what}: {} 序号 {}", e.kind.label(), e.seq);
        assert_eq!((f.kind, f.seq), (e.kind, e.seq), "{at}: the duty");
        assert_eq!(f.category, e.category, "{at}: 事项类别");
        assert_eq!(f.name, e.name, "{at}: 事项名称");
        assert_eq!(f.departments, e.departments, "{at}: departments");
        assert_eq!(f.working_method, e.working_method, "{at}: 工作方式");
        for (i, (fi, ei)) in f.items.iter().zip(&e.items).enumerate() {
            assert_eq!(fi, ei, "{at}: item {} of {}", i + 1, e.items.len());
        }
        assert_eq!(
            f.items.len(),
            e.items.len(),
            "{at}: the number of items (found {:#?})",
            f.items
        );
    }
    assert_eq!(found.len(), expected.len(), "{what}: the number of duties");
}
