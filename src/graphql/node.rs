//! Refetching any object by its ID (the Relay `Node` interface). A duty or a
//! department is fetched as `duty(id)` and `department(id)` fetch it, with what
//! the selection asks of it fetched ahead.

use async_graphql::{Context, ID, Interface, Object};

use super::category::Category;
use super::department::Department;
use super::duty::{Duty, ResponsibilityItem};
use super::list::DutyList;
use super::loaders::{CategoryLoader, CountyLoader, ListLoader, load};
use super::{conn, id, must, prefetch};
use crate::domain;
use crate::error::{ApiResult, db};

/// An object with a stable, opaque ID that `node(id:)` fetches again.
// One node per `node(id:)` call, returned at once: a list with its edition
// columns is larger than the other variants, and boxing it would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque ID of the object."))]
pub enum Node {
    /// A duty list.
    DutyList(DutyList),
    /// A duty.
    Duty(Duty),
    /// A category.
    Category(Category),
    /// A department.
    Department(Department),
    /// A responsibility item.
    ResponsibilityItem(ResponsibilityItem),
}

/// Queries by ID.
#[derive(Default)]
pub struct NodeQuery;

/// Queries by ID.
#[Object]
impl NodeQuery {
    /// Any object by its ID; null if it does not exist or the ID is not lvzhi's.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Node>> {
        let Some((type_name, key)) = id::decode_any(&id) else {
            return Ok(None);
        };
        Ok(match type_name.as_str() {
            "DutyList" => match load::<ListLoader, _>(ctx, key).await? {
                Some(list) => {
                    let county = must(
                        load::<CountyLoader, _>(ctx, list.county_id).await?,
                        "county",
                    )?;
                    Some(Node::DutyList(DutyList::new(list, county)))
                }
                None => None,
            },
            "Duty" => {
                let needs = prefetch::duty_needs(&ctx.look_ahead());
                prefetch::duties(ctx, &[key], needs)
                    .await?
                    .pop()
                    .map(|d| Node::Duty(Duty(d)))
            }
            "Category" => load::<CategoryLoader, _>(ctx, key)
                .await?
                .map(|c| Node::Category(Category::new(c))),
            "Department" => {
                let scope = crate::domain::scope::Scope::Current;
                prefetch::department_by_id(ctx, key, scope, &ctx.look_ahead()).await?
            }
            .map(|d| Node::Department(Department::from(d))),
            "ResponsibilityItem" => db(domain::duty::item(conn(ctx), key).await)?
                .map(|i| Node::ResponsibilityItem(ResponsibilityItem(i))),
            _ => None,
        })
    }
}
