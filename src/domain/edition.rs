//! Editions of a town's list and versions of a duty across them: which
//! editions a town has and which is current, every version of a duty (its
//! lineage), a stored edition as [`DutyVersion`]s, and the diff of two stored
//! editions ([`diff_editions`]).
//!
//! A town's editions are the lists with its county and town, numbered from 1;
//! the current one has no `valid_until`. A duty's versions are the duties with
//! its lineage, one per edition that has it. Two stored editions are compared
//! by lineage ([`Matching::by_lineage`]) — the importer paired the duties when
//! it stored the newer edition, so nothing is guessed here — with the county's
//! department successions between their effective days as renames.

use std::collections::{BTreeSet, HashMap};

use entity::{
    Party, category, department, department_alias, department_succession, duty, duty_department,
    duty_list, item_department, responsibility_item,
};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use super::{Complete, grouped};
use crate::date::Date;
use crate::edition::diff::{self, Diff, Renames, RenamesError};
use crate::edition::matching::Matching;
use crate::edition::{DutyVersion, ItemVersion, Place};
use crate::import::registry::{DepartmentDef, Reforms, Replacement, Succession, succession_kind};

/// A town whose editions are asked for: its county and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Town {
    /// The county.
    pub county_id: i32,
    /// The town's name as its lists have it.
    pub town: String,
}

impl Town {
    /// The town of a list.
    pub fn of(list: &duty_list::Model) -> Self {
        Town {
            county_id: list.county_id,
            town: list.town.clone(),
        }
    }
}

/// Every edition of each of `towns`, by edition number (one statement).
pub async fn editions(
    db: &impl ConnectionTrait,
    towns: &[Town],
) -> Result<Complete<Town, Vec<duty_list::Model>>, DbErr> {
    let counties: BTreeSet<i32> = towns.iter().map(|t| t.county_id).collect();
    let names: BTreeSet<&str> = towns.iter().map(|t| t.town.as_str()).collect();
    // Counties and names filtered apart, pairs checked here: one plain statement.
    let rows = duty_list::Entity::find()
        .filter(duty_list::Column::CountyId.is_in(counties))
        .filter(duty_list::Column::Town.is_in(names))
        .order_by_asc(duty_list::Column::Edition)
        .order_by_asc(duty_list::Column::Id)
        .all(db)
        .await?;
    let wanted: BTreeSet<(i32, &str)> = towns
        .iter()
        .map(|t| (t.county_id, t.town.as_str()))
        .collect();
    let found = grouped(
        rows.into_iter()
            .filter(|l| wanted.contains(&(l.county_id, l.town.as_str())))
            .map(|l| (Town::of(&l), l)),
    );
    Ok(Complete::for_keys(towns.iter().cloned(), found))
}

/// The current edition among a town's `editions`: the one without
/// `valid_until`, or else (editions being written) the highest-numbered.
pub fn current_of(editions: &[duty_list::Model]) -> Option<&duty_list::Model> {
    editions
        .iter()
        .find(|l| l.valid_until.is_none())
        .or_else(|| editions.iter().max_by_key(|l| (l.edition, l.id)))
}

/// The edition numbered one below `list` among its town's `editions`.
pub fn previous_of<'a>(
    editions: &'a [duty_list::Model],
    list: &duty_list::Model,
) -> Option<&'a duty_list::Model> {
    editions.iter().find(|l| l.edition == list.edition - 1)
}

/// The day an edition took effect. A list stored before editions had days
/// has none: it counts from the first day of its month, as the migration
/// dated the lists it found.
pub fn effective_on(list: &duty_list::Model) -> Option<Date> {
    list.effective_on
        .parse()
        .or_else(|_| list.published_on.parse())
        .ok()
}

/// One version of a duty: the duty row and its edition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The duty as that edition stores it.
    pub duty: duty::Model,
    /// The edition's number.
    pub edition: i32,
    /// Whether that edition is its town's current one.
    pub current: bool,
}

/// The versions of each of `lineages`, by edition (one statement).
pub async fn versions(
    db: &impl ConnectionTrait,
    lineages: &[i32],
) -> Result<Complete<i32, Vec<Version>>, DbErr> {
    let rows = duty::Entity::find()
        .find_also_related(duty_list::Entity)
        .filter(duty::Column::Lineage.is_in(lineages.iter().copied()))
        .order_by_asc(duty_list::Column::Edition)
        .order_by_asc(duty::Column::Id)
        .all(db)
        .await?;
    let found = grouped(rows.into_iter().filter_map(|(duty, list)| {
        let list = list?;
        let version = Version {
            edition: list.edition,
            current: list.valid_until.is_none(),
            duty,
        };
        Some((version.duty.lineage, version))
    }));
    Ok(Complete::for_keys(lineages.iter().copied(), found))
}

/// The version in the current edition among a lineage's `versions`; none when
/// the current edition removed the duty.
pub fn current_version(versions: &[Version]) -> Option<&Version> {
    versions.iter().find(|v| v.current)
}

/// One duty of a stored edition as [`DutyVersion`], with its row's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredVersion {
    /// The duty's id.
    pub duty_id: i32,
    /// The duty's lineage.
    pub lineage: i32,
    /// What the edition states, departments by canonical name.
    pub version: DutyVersion,
}

/// Every duty of each of `lists` as [`StoredVersion`]s, by table and 序号 —
/// the shape [`DutyVersion::of_list`] gives a resolved document, so a stored
/// edition and a document compare alike. Four statements whatever the number
/// of lists: duties with categories, their departments, their items, the
/// items' departments.
pub async fn stored_versions(
    db: &impl ConnectionTrait,
    lists: &[i32],
) -> Result<Complete<i32, Vec<StoredVersion>>, DbErr> {
    let duties = duty::Entity::find()
        .find_also_related(category::Entity)
        .filter(duty::Column::ListId.is_in(lists.iter().copied()))
        .all(db)
        .await?;
    let mut departments = grouped(duty_department_names(db, lists).await?);
    let mut items = items_of(db, lists).await?;
    let mut out: Vec<(i32, StoredVersion)> = duties
        .into_iter()
        .map(|(d, category)| {
            let version = DutyVersion {
                place: Place {
                    kind: d.kind,
                    seq: d.seq.max(0) as u32,
                },
                category: category.map(|c| c.name).unwrap_or_default(),
                name: d.name,
                departments: departments.remove(&d.id).unwrap_or_default(),
                working_method: d.working_method,
                items: items.remove(&d.id).unwrap_or_default(),
            };
            let stored = StoredVersion {
                duty_id: d.id,
                lineage: d.lineage,
                version,
            };
            (d.list_id, stored)
        })
        .collect();
    // Table order is the kinds' order, not their stored text's.
    out.sort_by_key(|(list, s)| (*list, s.version.place));
    Ok(Complete::for_keys(lists.iter().copied(), grouped(out)))
}

/// `SELECT id FROM duty WHERE list_id IN lists`
fn duties_of(lists: &[i32]) -> SelectStatement {
    Query::select()
        .column(duty::Column::Id)
        .from(duty::Entity)
        .and_where(duty::Column::ListId.is_in(lists.iter().copied()))
        .to_owned()
}

/// (duty id, department name) of the lists' duties, in link order.
async fn duty_department_names(
    db: &impl ConnectionTrait,
    lists: &[i32],
) -> Result<Vec<(i32, String)>, DbErr> {
    duty_department::Entity::find()
        .select_only()
        .column(duty_department::Column::DutyId)
        .column(department::Column::Name)
        .join(
            JoinType::InnerJoin,
            duty_department::Relation::Department.def(),
        )
        .filter(duty_department::Column::DutyId.in_subquery(duties_of(lists)))
        .order_by_asc(duty_department::Column::DutyId)
        .order_by_asc(duty_department::Column::Position)
        .into_tuple()
        .all(db)
        .await
}

/// The items of the lists' duties, department column first, each with its
/// attributed departments by name, by duty id (two statements).
async fn items_of(
    db: &impl ConnectionTrait,
    lists: &[i32],
) -> Result<HashMap<i32, Vec<ItemVersion>>, DbErr> {
    let mut rows = responsibility_item::Entity::find()
        .filter(responsibility_item::Column::DutyId.in_subquery(duties_of(lists)))
        .all(db)
        .await?;
    rows.sort_by_key(|i| (i.duty_id, party_order(i.party), i.position));
    let mut attributed = grouped(item_department_names(db, lists).await?);
    Ok(grouped(rows.into_iter().map(|item| {
        let version = ItemVersion {
            party: item.party,
            section: item.section,
            text: item.text,
            departments: attributed.remove(&item.id).unwrap_or_default(),
        };
        (item.duty_id, version)
    })))
}

/// The department column comes before the town's, as in a document.
fn party_order(party: Party) -> u8 {
    match party {
        Party::Department => 0,
        Party::Town => 1,
    }
}

/// (item id, department name) of the lists' items, in attribution order.
async fn item_department_names(
    db: &impl ConnectionTrait,
    lists: &[i32],
) -> Result<Vec<(i32, String)>, DbErr> {
    let items = Query::select()
        .column(responsibility_item::Column::Id)
        .from(responsibility_item::Entity)
        .and_where(responsibility_item::Column::DutyId.in_subquery(duties_of(lists)))
        .to_owned();
    item_department::Entity::find()
        .select_only()
        .column(item_department::Column::ItemId)
        .column(department::Column::Name)
        .join(
            JoinType::InnerJoin,
            item_department::Relation::Department.def(),
        )
        .filter(item_department::Column::ItemId.in_subquery(items))
        .order_by_asc(item_department::Column::ItemId)
        .order_by_asc(item_department::Column::Position)
        .into_tuple()
        .all(db)
        .await
}

/// Why two stored editions could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum EditionError {
    /// There is no list with this id.
    #[error("duty list {0} not found")]
    NotFound(i32),
    /// The lists are editions of different towns (or of towns of one name in
    /// different counties).
    #[error(
        "the lists are editions of different towns (`{from}`, `{to}`): compare two editions of one town"
    )]
    DifferentTowns {
        /// The first list's town.
        from: String,
        /// The second list's town.
        to: String,
    },
    /// The county's recorded successions cannot be read as renames (a
    /// department succeeded twice between the two days, or several departments
    /// becoming several others).
    #[error("the department successions between the editions: {0}")]
    Successions(#[from] RenamesError),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// The diff of two stored editions and the duties behind its indices.
#[derive(Debug)]
pub struct EditionDiff {
    /// The edition compared from (the diff's old side).
    pub from: duty_list::Model,
    /// The edition compared to (the diff's new side).
    pub to: duty_list::Model,
    /// What changed, indices into `from_duties` and `to_duties`.
    pub diff: Diff,
    /// The duties of `from`, as the diff's old indices count them.
    pub from_duties: Vec<StoredVersion>,
    /// The duties of `to`, as the diff's new indices count them.
    pub to_duties: Vec<StoredVersion>,
}

/// What changed from the edition `from` to the edition `to` of the same town:
/// duties paired by lineage, departments compared through the county's
/// successions between the two effective days. `from` may be the newer
/// edition: the diff then runs backwards (what `to` adds, `from` removed, and
/// a merge reads as a split). Six statements.
pub async fn diff_editions(
    db: &impl ConnectionTrait,
    from: i32,
    to: i32,
) -> Result<EditionDiff, EditionError> {
    let (from_list, to_list) = two_editions(db, from, to).await?;
    let mut versions = stored_versions(db, &[from, to]).await?.into_map();
    let from_duties = versions.remove(&from).unwrap_or_default();
    let to_duties = if from == to {
        from_duties.clone()
    } else {
        versions.remove(&to).unwrap_or_default()
    };
    let renames = renames_between(db, &from_list, &to_list).await?;
    let lineages = |d: &[StoredVersion]| d.iter().map(|s| s.lineage).collect::<Vec<_>>();
    let matching = Matching::by_lineage(&lineages(&from_duties), &lineages(&to_duties));
    let versions = |d: &[StoredVersion]| d.iter().map(|s| s.version.clone()).collect::<Vec<_>>();
    let diff = diff::diff(
        &versions(&from_duties),
        &versions(&to_duties),
        &matching,
        &renames,
    );
    Ok(EditionDiff {
        from: from_list,
        to: to_list,
        diff,
        from_duties,
        to_duties,
    })
}

/// The lists `from` and `to`, which must be editions of one town (one statement).
async fn two_editions(
    db: &impl ConnectionTrait,
    from: i32,
    to: i32,
) -> Result<(duty_list::Model, duty_list::Model), EditionError> {
    let mut found: HashMap<i32, duty_list::Model> = duty_list::Entity::find()
        .filter(duty_list::Column::Id.is_in([from, to]))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let from_list = found
        .get(&from)
        .cloned()
        .ok_or(EditionError::NotFound(from))?;
    let to_list = found.remove(&to).ok_or(EditionError::NotFound(to))?;
    if Town::of(&from_list) != Town::of(&to_list) {
        return Err(EditionError::DifferentTowns {
            from: from_list.town,
            to: to_list.town,
        });
    }
    Ok((from_list, to_list))
}

/// The department successions of the county between the two editions'
/// effective days, as renames from `from`'s names to `to`'s, knowing every
/// spelling of the departments involved (one statement; three when the county
/// had a reform).
async fn renames_between(
    db: &impl ConnectionTrait,
    from: &duty_list::Model,
    to: &duty_list::Model,
) -> Result<Renames, EditionError> {
    let (Some(from_day), Some(to_day)) = (effective_on(from), effective_on(to)) else {
        return Ok(Renames::default());
    };
    if from_day == to_day {
        return Ok(Renames::default());
    }
    let stored = StoredReforms::of_county(db, from.county_id).await?;
    let reforms = stored.reforms();
    let forward = reforms.between(from_day.min(to_day), from_day.max(to_day));
    let replacements = if from_day < to_day {
        forward
    } else {
        backwards(&forward)
    };
    Ok(Renames::from_replacements(&replacements)?.with_spellings(|name| reforms.spellings(name)))
}

/// A county's departments (with their aliases) and successions as stored, in
/// the registry's shape: what an edition made from stored rows (a publication
/// of adjustments) is resolved against. Three statements.
pub async fn stored_registry(
    db: &impl ConnectionTrait,
    county_id: i32,
) -> Result<(Vec<DepartmentDef>, Vec<Succession>), DbErr> {
    let rows = successions_of(db, county_id).await?;
    let stored = StoredReforms::with_departments(db, county_id, &rows).await?;
    Ok((stored.departments, stored.successions))
}

/// `registry` with what the database holds of each of its counties and the
/// file lacks: the departments and successions published reform requests
/// made ([`crate::import::registry::CountyRegistry::add_stored`]). Three
/// statements per county the database has.
pub async fn registry_with_stored(
    db: &impl ConnectionTrait,
    mut registry: crate::import::Registry,
) -> Result<crate::import::Registry, DbErr> {
    for county in entity::county::Entity::find().all(db).await? {
        let Some(stored) = registry.county_mut(&county.region, &county.prefecture, &county.name)
        else {
            continue;
        };
        let (departments, successions) = stored_registry(db, county.id).await?;
        stored.add_stored(&departments, &successions);
    }
    Ok(registry)
}

/// The county's successions, by day.
async fn successions_of(
    db: &impl ConnectionTrait,
    county_id: i32,
) -> Result<Vec<department_succession::Model>, DbErr> {
    department_succession::Entity::find()
        .filter(department_succession::Column::CountyId.eq(county_id))
        .order_by_asc(department_succession::Column::EffectiveOn)
        .order_by_asc(department_succession::Column::Id)
        .all(db)
        .await
}

/// A county's departments and successions as stored, for the registry's rules
/// ([`Reforms`]) to answer over them as they do over the registry file.
#[derive(Default)]
struct StoredReforms {
    departments: Vec<DepartmentDef>,
    successions: Vec<Succession>,
}

impl StoredReforms {
    /// The county's reforms: its successions (one statement), and when it has
    /// any, its departments and their aliases (two more).
    async fn of_county(db: &impl ConnectionTrait, county_id: i32) -> Result<Self, DbErr> {
        let rows = successions_of(db, county_id).await?;
        if rows.is_empty() {
            return Ok(Self::default());
        }
        Self::with_departments(db, county_id, &rows).await
    }

    /// The county's departments with their aliases, and `rows` as registry
    /// successions over them.
    async fn with_departments(
        db: &impl ConnectionTrait,
        county_id: i32,
        rows: &[department_succession::Model],
    ) -> Result<Self, DbErr> {
        let departments = department::Entity::find()
            .filter(department::Column::CountyId.eq(county_id))
            .order_by_asc(department::Column::Id)
            .all(db)
            .await?;
        let mut aliases = grouped(
            department_alias::Entity::find()
                .filter(department_alias::Column::CountyId.eq(county_id))
                .all(db)
                .await?
                .into_iter()
                .map(|a| (a.department_id, a.alias)),
        );
        let index: HashMap<i32, usize> = departments
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i))
            .collect();
        let successions = rows
            .iter()
            .filter_map(|r| {
                Some(Succession {
                    predecessor: *index.get(&r.predecessor_id)?,
                    successor: *index.get(&r.successor_id)?,
                    on: r.effective_on.parse().ok()?,
                    share: r.share.clone(),
                    kind: r.kind,
                })
            })
            .collect();
        let departments = departments
            .into_iter()
            .map(|d| DepartmentDef {
                aliases: aliases.remove(&d.id).unwrap_or_default(),
                name: d.name,
                short_name: d.short_name,
            })
            .collect();
        Ok(StoredReforms {
            departments,
            successions,
        })
    }

    fn reforms(&self) -> Reforms<'_> {
        Reforms {
            departments: &self.departments,
            successions: &self.successions,
        }
    }
}

/// Forward replacements read from the newer edition to the older: each
/// successor is replaced by its predecessors (a merge becomes a split).
fn backwards(forward: &[Replacement]) -> Vec<Replacement> {
    let mut olds: Vec<(String, Vec<String>)> = Vec::new();
    for replacement in forward {
        for new in &replacement.new {
            match olds.iter_mut().find(|(n, _)| n == new) {
                Some((_, before)) => before.push(replacement.old.clone()),
                None => olds.push((new.clone(), vec![replacement.old.clone()])),
            }
        }
    }
    olds.iter()
        .map(|(new, old)| {
            let successors = |o: &String| olds.iter().filter(|(_, b)| b.contains(o)).count();
            let most = old.iter().map(successors).max().unwrap_or(1);
            Replacement {
                old: new.clone(),
                new: old.clone(),
                kind: succession_kind(old.len(), most),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edition::diff::SuccessionKind;

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn replaced(old: &str, new: &[&str], kind: SuccessionKind) -> Replacement {
        Replacement {
            old: old.into(),
            new: new.iter().map(|n| n.to_string()).collect(),
            kind,
        }
    }

    /// 甲 renamed 乙 then 丙; 丁 and 戊 merged into 己; 庚 split into 辛 and 壬.
    fn stored() -> StoredReforms {
        let names = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬"];
        let departments = names
            .iter()
            .map(|n| DepartmentDef {
                name: n.to_string(),
                short_name: n.to_string(),
                aliases: Vec::new(),
            })
            .collect();
        let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
        let links = [
            ("甲", "乙", "2025-01-01", SuccessionKind::Renamed),
            ("丁", "己", "2025-03-01", SuccessionKind::Merged),
            ("戊", "己", "2025-03-01", SuccessionKind::Merged),
            ("庚", "辛", "2025-04-01", SuccessionKind::Split),
            ("庚", "壬", "2025-04-01", SuccessionKind::Split),
            ("乙", "丙", "2025-06-01", SuccessionKind::Renamed),
        ];
        let successions = links
            .iter()
            .map(|&(old, new, on, kind)| Succession {
                predecessor: at(old),
                successor: at(new),
                on: day(on),
                share: None,
                kind,
            })
            .collect();
        StoredReforms {
            departments,
            successions,
        }
    }

    fn replacements(from: Date, to: Date) -> Vec<Replacement> {
        stored().reforms().between(from, to)
    }

    #[test]
    fn successions_between_two_days_follow_chains_and_name_their_kind() {
        assert_eq!(
            replacements(day("2024-12-31"), day("2025-12-31")),
            [
                replaced("甲", &["丙"], SuccessionKind::Renamed),
                replaced("丁", &["己"], SuccessionKind::Merged),
                replaced("戊", &["己"], SuccessionKind::Merged),
                replaced("庚", &["辛", "壬"], SuccessionKind::Split),
            ]
        );
    }

    #[test]
    fn only_successions_after_the_first_day_and_by_the_second_count() {
        // 乙 came into being on 2025-01-01, before the interval: it is renamed 丙.
        assert_eq!(
            replacements(day("2025-01-01"), day("2025-06-01")),
            [
                replaced("乙", &["丙"], SuccessionKind::Renamed),
                replaced("丁", &["己"], SuccessionKind::Merged),
                replaced("戊", &["己"], SuccessionKind::Merged),
                replaced("庚", &["辛", "壬"], SuccessionKind::Split),
            ]
        );
        assert!(replacements(day("2025-06-01"), day("2026-01-01")).is_empty());
    }

    #[test]
    fn read_backwards_a_merge_is_a_split_and_a_split_a_merge() {
        let forward = replacements(day("2024-12-31"), day("2025-12-31"));
        let renames = Renames::from_replacements(&backwards(&forward)).unwrap();
        let of = |old: &str| {
            let s = renames.succession_of(old).unwrap();
            (s.kind(), s.before.clone(), s.after.clone())
        };
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            of("丙"),
            (SuccessionKind::Renamed, names(&["丙"]), names(&["甲"]))
        );
        assert_eq!(
            of("己"),
            (SuccessionKind::Split, names(&["己"]), names(&["丁", "戊"]))
        );
        assert_eq!(
            of("辛"),
            (SuccessionKind::Merged, names(&["辛", "壬"]), names(&["庚"]))
        );
    }
}
