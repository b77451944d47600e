//! Editions of a list, as pure data: what one edition says about each duty
//! ([`DutyVersion`]), which duties of two editions are the same duty
//! ([`matching`], a lineage kept across rewording, moves between tables and
//! renumbering), and what changed between them ([`diff`]). Nothing here touches
//! the database: the importer builds versions from a resolved document, the
//! domain layer from stored rows, and both ask the same questions.

pub mod adjust;
pub mod diff;
pub mod matching;

use entity::{DutyKind, Party};

use crate::import::resolve::{ResolvedDuty, ResolvedList};

/// Where a duty stands in one edition: its table and 序号.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Place {
    /// The table.
    pub kind: DutyKind,
    /// 序号 within the table.
    pub seq: u32,
}

/// One duty as one edition states it, with departments by canonical name (a
/// renamed department already under its successor's name, see [`diff::Renames`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DutyVersion {
    /// Table and 序号.
    pub place: Place,
    /// Category (事项类别).
    pub category: String,
    /// Name (事项名称).
    pub name: String,
    /// Counterpart or receiving departments, in document order.
    pub departments: Vec<String>,
    /// 工作方式 of a reclaimed duty.
    pub working_method: Option<String>,
    /// Responsibility items: department column first, then town column, each in order.
    pub items: Vec<ItemVersion>,
}

/// One responsibility item as one edition states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemVersion {
    /// The column: the department's or the town's.
    pub party: Party,
    /// Section heading it sits under.
    pub section: Option<String>,
    /// Clean text.
    pub text: String,
    /// Departments it is attributed to (department column only), by canonical name.
    pub departments: Vec<String>,
}

impl DutyVersion {
    /// The versions of every duty of a resolved document, in document order.
    pub fn of_list(list: &ResolvedList) -> Vec<DutyVersion> {
        list.duties.iter().map(|d| Self::of_duty(list, d)).collect()
    }

    fn of_duty(list: &ResolvedList, duty: &ResolvedDuty) -> DutyVersion {
        let name = |i: &usize| list.departments[*i].name.clone();
        DutyVersion {
            place: Place {
                kind: duty.kind,
                seq: duty.seq,
            },
            category: duty.category.clone(),
            name: duty.name.clone(),
            departments: duty.departments.iter().map(name).collect(),
            working_method: duty.working_method.clone(),
            items: duty
                .items
                .iter()
                .map(|item| ItemVersion {
                    party: item.party,
                    section: item.section.clone(),
                    text: item.text.clone(),
                    departments: item.departments.iter().map(name).collect(),
                })
                .collect(),
        }
    }
}
