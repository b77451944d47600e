//! Look-ahead: deciding from a field's selection what its children will ask
//! for, fetching that with the field's own rows through the domain's joined
//! reads, and seeding the request's loaders with it ([`super::loaders`]).
//!
//! `duties`, `duty(id)`, `node(id)`, `department` and `departments` call it:
//! a duty's category comes in the duties' own statement, their departments and
//! items in one statement each, run concurrently; a department comes with its
//! county and aliases, its duties with their categories and all departments in
//! one statement, their items with their attributions (the town column, and of
//! the department column only the department's own items) in another. The
//! `Bureau` query therefore runs three statements whatever the number of
//! cooperations. A department's duties are keyed by scope too (the
//! department's — current editions or those of an `asOf` day — or the `listId`
//! of a `cooperations`/`reclaimedDuties` selection): the two statements fetch
//! the lists of the scopes asked only (a county department has the duties of
//! every edition of every town of its county), and tell them apart.

use std::collections::{BTreeSet, HashMap};

use async_graphql::{Context, ID, Lookahead};
use entity::{DutyKind, category, county, department, duty};
use sea_orm::Condition;

use super::loaders::{
    AliasLoader, AttributedItemsLoader, DepartmentCountLoader, DepartmentDutiesLoader,
    DutyDepartmentsLoader, ItemDepartmentsLoader, ItemsLoader, seed, seed_rows, seeded_all,
};
use super::{conn, id};
use crate::domain::department::{Counts, CountsKey, Found, Linked, find, named};
use crate::domain::duty::{Duties, Needs, Page, PageRequest, RelatedByKey, related};
use crate::domain::scope::Scope;
use crate::error::{ApiResult, db};

/// What `selection`, a selection of `Duty` objects, asks of them besides their
/// own columns.
pub(crate) fn duty_needs(selection: &Lookahead<'_>) -> Needs {
    let department_items = selection.field("departmentItems");
    let town_items = selection.field("townItems");
    Needs {
        category: selection.field("category").exists(),
        departments: selection.field("departments").exists(),
        department_items: department_items.exists(),
        town_items: town_items.exists(),
        item_departments: department_items.field("departments").exists()
            || town_items.field("departments").exists(),
        attributed_items: false,
    }
}

/// Seed the loaders with what [`related`] fetched, by key.
fn seed_related(ctx: &Context<'_>, related: RelatedByKey) {
    if let Some(departments) = related.departments {
        seed::<DutyDepartmentsLoader, _>(ctx, departments);
    }
    if let Some(items) = related.attributed_items {
        seed::<AttributedItemsLoader, _>(ctx, items);
    }
    if let Some(departments) = related.item_departments {
        seed::<ItemDepartmentsLoader, _>(ctx, departments);
    }
    for column in related.columns {
        seed::<ItemsLoader, _>(ctx, column);
    }
}

/// The duties with ids `ids`, in id order, with what `needs` asks of them
/// seeded: one statement for the duties and their categories, one for their
/// departments, one for their items, all run at once.
pub(crate) async fn duties(
    ctx: &Context<'_>,
    ids: &[i32],
    needs: Needs,
) -> ApiResult<Vec<duty::Model>> {
    let db_conn = conn(ctx);
    let ((duties, categories), related) = db(futures_util::future::try_join(
        crate::domain::duty::by_ids(db_conn, ids, needs.category),
        related(db_conn, &Duties::Ids(ids.to_vec()), needs, &[]),
    )
    .await)?;
    seed_rows::<category::Entity>(ctx, categories);
    let found: Vec<i32> = duties.iter().map(|d| d.id).collect();
    seed_related(ctx, related.by_key(&found, &[]));
    Ok(duties)
}

/// The page `request` asks for, with what `needs` asks of its duties seeded:
/// the page's statement, then one each for their departments and items, run
/// concurrently.
pub(crate) async fn page(
    ctx: &Context<'_>,
    request: &PageRequest,
    needs: Needs,
) -> ApiResult<Page> {
    let mut page = db(crate::domain::duty::page(conn(ctx), request).await)?;
    seed_rows::<category::Entity>(ctx, std::mem::take(&mut page.categories));
    if needs.related() {
        let ids: Vec<i32> = page.duties.iter().map(|d| d.id).collect();
        let related = db(related(conn(ctx), &Duties::Ids(ids.clone()), needs, &[]).await)?;
        seed_related(ctx, related.by_key(&ids, &[]));
    }
    Ok(page)
}

/// The departments meeting `condition`, by id, each with its county, in one
/// statement; both are seeded, and with `aliases` the departments' aliases are
/// read with them and seeded too.
pub(crate) async fn departments_where(
    ctx: &Context<'_>,
    condition: Condition,
    aliases: bool,
) -> ApiResult<Vec<(department::Model, county::Model)>> {
    let found = db(find(conn(ctx), condition, aliases).await)?;
    Ok(seed_found(ctx, found))
}

/// The departments `name` denotes in `scope` ([`named`]: one statement, two
/// after a reform), seeded as [`departments_where`] seeds them.
pub(crate) async fn departments_named(
    ctx: &Context<'_>,
    name: &str,
    scope: Scope,
    aliases: bool,
) -> ApiResult<Vec<(department::Model, county::Model)>> {
    let found = db(named(conn(ctx), name, scope, aliases).await)?;
    Ok(seed_found(ctx, found))
}

/// Seed departments found with their counties (and aliases, if read).
fn seed_found(ctx: &Context<'_>, found: Found) -> Vec<(department::Model, county::Model)> {
    seed_rows::<county::Entity>(ctx, found.departments.iter().map(|(_, c)| c.clone()));
    seed_rows::<department::Entity>(ctx, found.departments.iter().map(|(d, _)| d.clone()));
    if let Some(aliases) = found.aliases {
        seed::<AliasLoader, _>(ctx, aliases);
    }
    found.departments
}

/// The department with database key `key`, with what `selection` (of that
/// `Department`, seen in `scope`) asks of it seeded. The key is known before
/// the department is read, so its statement and [`departments`]' two run at once.
pub(crate) async fn department_by_id(
    ctx: &Context<'_>,
    key: i32,
    scope: Scope,
    selection: &Lookahead<'_>,
) -> ApiResult<Option<department::Model>> {
    let aliases = selection.field("aliases").exists();
    let (found, ()) = futures_util::future::try_join(
        departments_where(ctx, crate::domain::department::with_id(key), aliases),
        departments(ctx, &[key], scope, selection),
    )
    .await?;
    Ok(found.into_iter().next().map(|(d, _)| d))
}

/// The scopes these selections of `cooperations` or `reclaimedDuties` ask
/// for: the list of a `listId` argument, else the department's `scope` (also
/// for an argument that is not a list ID, which the resolver then refuses).
fn asked_scopes(selections: &[&Lookahead<'_>], scope: Scope) -> BTreeSet<Scope> {
    selections
        .iter()
        .flat_map(|s| s.selection_fields())
        .map(|field| {
            let list =
                field
                    .arguments()
                    .ok()
                    .into_iter()
                    .flatten()
                    .find_map(|(name, value)| match (name.as_str(), value) {
                        ("listId", async_graphql::Value::String(s)) => Some(s),
                        _ => None,
                    });
            list.and_then(|l| id::decode(&ID(l), "DutyList").ok())
                .map_or(scope, Scope::List)
        })
        .collect()
}

/// What `selection`, a selection of `Department` objects, asks of their duties.
fn department_needs(selection: &Lookahead<'_>) -> Needs {
    let cooperations = selection.field("cooperations");
    let department_items = cooperations.field("departmentItems");
    let town_items = cooperations.field("townItems");
    duty_needs(&cooperations.field("duty"))
        | duty_needs(&selection.field("reclaimedDuties"))
        | Needs {
            departments: cooperations.field("partners").exists(),
            town_items: town_items.exists(),
            attributed_items: department_items.exists(),
            item_departments: department_items.field("departments").exists()
                || town_items.field("departments").exists(),
            ..Needs::default()
        }
}

/// Which duties of `departments` `selection` (of those `Department`s, seen in
/// `scope`) asks for, in the scopes asked; `None` when it asks for none.
fn linked(
    departments: &[i32],
    scope: Scope,
    selection: &Lookahead<'_>,
    needs: Needs,
) -> Option<Linked> {
    let cooperations = selection.field("cooperations");
    let reclaimed = selection.field("reclaimedDuties");
    if departments.is_empty() || !(cooperations.exists() || reclaimed.exists()) {
        return None;
    }
    let counts = asks_counts(selection);
    // Fetch the scopes asked only. Counts are in the department's scope: they
    // come from the duties when these are fetched in it, else from their loader.
    let scopes = asked_scopes(&[&cooperations, &reclaimed], scope);
    let counts_from_duties = counts && scopes.contains(&scope);
    let kinds = [
        (DutyKind::Cooperative, cooperations.exists()),
        (DutyKind::Reclaimed, reclaimed.exists()),
    ]
    .into_iter()
    .filter(|&(_, asked)| asked || counts_from_duties)
    .map(|(kind, _)| kind)
    .collect();
    Some(Linked {
        departments: departments.to_vec(),
        scopes,
        counted: counts_from_duties.then_some(scope),
        kinds,
        categories: needs.category,
        all_departments: needs.departments,
    })
}

/// Whether `selection`, a selection of `Department` objects, asks for counts.
pub(crate) fn asks_counts(selection: &Lookahead<'_>) -> bool {
    selection.field("cooperationCount").exists() || selection.field("reclaimedCount").exists()
}

/// The counts of `departments` in `scope`, seeded for their fields: those
/// [`departments`] took from the duties it fetched, else one statement for all
/// of them. Through the loader, thousands of departments would be thousands
/// of keys split into batches that compete for connections.
pub(crate) async fn department_counts(
    ctx: &Context<'_>,
    departments: &[i32],
    scope: Scope,
) -> ApiResult<HashMap<i32, Counts>> {
    let keys: Vec<CountsKey> = departments.iter().map(|&d| (d, scope)).collect();
    if let Some(seeded) = seeded_all::<DepartmentCountLoader, _>(ctx, &keys) {
        return Ok(seeded.into_iter().map(|((d, _), c)| (d, c)).collect());
    }
    let counts = db(crate::domain::department::counts(conn(ctx), &keys).await)?;
    let found = counts.iter().map(|(&(d, _), &c)| (d, c)).collect();
    seed::<DepartmentCountLoader, _>(ctx, counts);
    Ok(found)
}

/// Fetch what `selection`, a selection of `Department` objects, asks of the
/// duties of `departments`, and seed the loaders with it so the nested fields
/// resolve without SQL: one statement for the duties (with their categories and
/// all their departments, as asked) and one for their items (with their
/// attributions), run concurrently. Counts come from the fetched duties when
/// these are fetched anyway; alone they stay a GROUP BY of their loader.
pub(crate) async fn departments(
    ctx: &Context<'_>,
    departments: &[i32],
    scope: Scope,
    selection: &Lookahead<'_>,
) -> ApiResult<()> {
    let needs = department_needs(selection);
    let Some(asked) = linked(departments, scope, selection, needs) else {
        return Ok(());
    };
    let db_conn = conn(ctx);
    let duties = asked.duties();
    let (mut linked, related) = db(futures_util::future::try_join(
        crate::domain::department::linked_duties(db_conn, asked),
        // Department links come with the duties; only the items are left.
        related(
            db_conn,
            &duties,
            Needs {
                departments: false,
                ..needs
            },
            departments,
        ),
    )
    .await)?;
    if let Some(counts) = linked.counts() {
        seed::<DepartmentCountLoader, _>(ctx, counts);
    }
    if let Some(all) = linked.all_departments() {
        seed::<DutyDepartmentsLoader, _>(ctx, all);
    }
    seed_rows::<category::Entity>(ctx, std::mem::take(&mut linked.categories));
    seed::<DepartmentDutiesLoader, _>(ctx, linked.by_key());
    seed_related(ctx, related.by_key(&linked.ids(), &linked.links()));
    Ok(())
}
