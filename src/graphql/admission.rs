//! `admissionCheck` and `admissionChecks`: is a task the town's, by its duty
//! list? A thin caller of [`crate::admission`]: it resolves the list (by ID, or
//! by town and county with the rule `department(name:, county:)` uses: the
//! town's current edition, or its edition in force on `asOf`) and the
//! sending department, runs the check and maps its plain structs to output
//! types. A check runs three statements (four with `department`) whatever the
//! number of tasks: the list, the data version, and — unless the list is in
//! the API's [`admission::ListCache`] at that version — its duties with their
//! departments and their items.

use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object};
use entity::{county, duty_list};

use super::department::{Department, resolve_department};
use super::duty::{Duty, ResponsibilityItem};
use super::list::DutyList;
use super::loaders::{DutyDepartmentsLoader, seed, seed_rows};
use super::scope::scope;
use super::search::{MatchSource, TextRange, snippet};
use super::{conn, id, in_one_county};
use crate::admission::{self, InputError, Lexicon, VerdictKind, matcher::Side};
use crate::date::Date;
use crate::domain;
use crate::domain::list::{ListName, lists_named};
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult, db};

/// What a town's list says about a task (事项准入).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::admission::VerdictKind")]
pub enum AdmissionVerdict {
    /// A basic duty (基本履职事项): the town's own; it may be given the task.
    Basic,
    /// A cooperative duty (配合履职事项), and the task asks for what the town's
    /// column (乡镇（街道）配合职责) says: the town does its side, the lead
    /// departments lead.
    CooperativeTownSide,
    /// A cooperative duty, but the task asks the town to do what the list gives
    /// the department (上级部门职责), such as approving, licensing or
    /// penalising: work pushed down; the department keeps it.
    CooperativeDepartmentSide,
    /// A duty the department took back (上级部门收回事项): it may not be handed
    /// down; `matches[0].departments` received it, `duty.workingMethod` says how.
    Reclaimed,
    /// In no table of the list: the task needs admission approval (准入审批)
    /// before the town may be given it.
    NotListed,
}

/// Which column of a cooperative duty a task asks for.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::admission::matcher::Side")]
pub enum CooperationSide {
    /// The town's column (乡镇（街道）配合职责).
    Town,
    /// The department's column (上级部门职责).
    Department,
}

/// The check of one task against one list.
pub struct AdmissionCheck {
    list: Arc<DutyList>,
    verdict: admission::Verdict,
    department: Option<entity::department::Model>,
}

/// The check of one task against one town's duty list: the verdict, how sure it
/// is, and the duties it rests on with the text that matched.
#[Object]
impl AdmissionCheck {
    /// The task as checked (trimmed; for a notice, one of its points).
    async fn task(&self) -> &str {
        &self.verdict.task
    }

    /// The list the task was checked against.
    async fn list(&self) -> &DutyList {
        &self.list
    }

    /// What the list says about the task.
    async fn verdict(&self) -> AdmissionVerdict {
        self.verdict.kind.into()
    }

    /// How sure the verdict is, from 0 to 1: how much of the task the best duty
    /// accounts for, against the threshold below which a task is `NOT_LISTED`,
    /// and how far ahead of the second duty it is. Below 0.5, have a person look.
    async fn confidence(&self) -> f64 {
        self.verdict.confidence
    }

    /// The duty the verdict rests on (`matches[0]`); null for `NOT_LISTED`.
    async fn duty(&self) -> Option<Duty> {
        if self.verdict.kind == VerdictKind::NotListed {
            return None;
        }
        self.verdict.matches.first().map(|m| Duty(m.duty.clone()))
    }

    /// The verdict in one Chinese sentence, for an OA system to show beside the
    /// task, e.g. `配合履职事项第32项“…”：由乌恰县住房和城乡建设局等牵头负责，乡镇（街道）承担配合职责。`
    async fn reason(&self) -> String {
        reason(&self.verdict)
    }

    /// The duties matched, best first (at most 3), each with its score and the
    /// text that matched. For `NOT_LISTED` they are the nearest duties, none
    /// close enough.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn matches(&self) -> Vec<AdmissionMatch> {
        self.verdict
            .matches
            .iter()
            .cloned()
            .map(AdmissionMatch)
            .collect()
    }

    /// The sending department, when `department` was given, as resolved in the
    /// list's county.
    async fn department(&self) -> Option<Department> {
        self.department.clone().map(Department::from)
    }
}

/// The verdict in one Chinese sentence.
fn reason(v: &admission::Verdict) -> String {
    let Some(m) = v
        .matches
        .first()
        .filter(|_| v.kind != VerdictKind::NotListed)
    else {
        return "未在本乡镇（街道）履职事项清单中找到对应事项，需履行准入审批程序后方可交由乡镇（街道）承担。".into();
    };
    let departments = m
        .departments
        .iter()
        .map(|d| d.name.as_str())
        .collect::<Vec<_>>()
        .join("、");
    let duty = format!("{}第{}项“{}”", m.duty.kind.label(), m.duty.seq, m.duty.name);
    match v.kind {
        VerdictKind::Basic => format!("{duty}：属乡镇（街道）必须为、负全责的事项。"),
        VerdictKind::CooperativeTownSide => {
            format!("{duty}：由{departments}牵头负责，乡镇（街道）承担配合职责。")
        }
        VerdictKind::CooperativeDepartmentSide => format!(
            "{duty}：所交办内容属上级部门职责（{departments}），乡镇（街道）仅承担配合职责，不应交由乡镇（街道）承担。"
        ),
        VerdictKind::Reclaimed => {
            format!("{duty}：已由{departments}收回承接，不得再交由乡镇（街道）承担。")
        }
        VerdictKind::NotListed => String::new(),
    }
}

/// One duty a task matched.
pub struct AdmissionMatch(admission::Match);

/// One duty a task matched: how well, and where — the name or working method,
/// and for a cooperative duty the matching items of both columns.
#[Object]
impl AdmissionMatch {
    /// The duty.
    async fn duty(&self) -> Duty {
        Duty(self.0.duty.clone())
    }

    /// Relevance (BM25F over the list's own statistics); comparable only among
    /// the matches of one task.
    async fn score(&self) -> f64 {
        self.0.score
    }

    /// How much of the task the duty accounts for, from 0 to 1 (shared words and
    /// phrases, rare ones weighing most); below the threshold the verdict is `NOT_LISTED`.
    async fn coverage(&self) -> f64 {
        self.0.coverage
    }

    /// For a cooperative duty, the column the task asks for; null otherwise.
    async fn side(&self) -> Option<CooperationSide> {
        self.0.side.map(|s: Side| s.into())
    }

    /// The lead departments: counterparts (对应上级部门) of a cooperative duty,
    /// receiving departments (承接部门) of a reclaimed one; empty for a basic duty.
    async fn departments(&self) -> Vec<Department> {
        self.0
            .departments
            .iter()
            .cloned()
            .map(Department::from)
            .collect()
    }

    /// Where the task matched the duty's name (or working method), with highlights.
    async fn evidence(&self) -> Vec<AdmissionEvidence> {
        evidence(&self.0.evidence)
    }

    /// The town column's items (乡镇（街道）配合职责) that match the task, best first (at most 3).
    async fn town_items(&self) -> Vec<AdmissionEvidence> {
        evidence(&self.0.town_items)
    }

    /// The department column's items (上级部门职责) that match the task, best first
    /// (at most 3), each with the departments it is attributed to.
    async fn department_items(&self) -> Vec<AdmissionEvidence> {
        evidence(&self.0.department_items)
    }

    /// With `department`: whether the sending department is a counterpart of this
    /// (cooperative) duty; null without `department`.
    async fn department_is_counterpart(&self) -> Option<bool> {
        self.0.department_is_counterpart
    }

    /// With `department`: whether the sending department received this
    /// (reclaimed) duty back; null without `department`.
    async fn department_is_receiver(&self) -> Option<bool> {
        self.0.department_is_receiver
    }
}

fn evidence(list: &[admission::Evidence]) -> Vec<AdmissionEvidence> {
    list.iter().cloned().map(AdmissionEvidence).collect()
}

/// A text of a duty a task matched.
pub struct AdmissionEvidence(admission::Evidence);

/// A text of a duty a task matched — its name, working method or one item —
/// with the matched stretches marked.
#[Object]
impl AdmissionEvidence {
    /// Where it is.
    async fn matched_in(&self) -> MatchSource {
        self.0.source.into()
    }

    /// The item, for a match in an item.
    async fn item(&self) -> Option<ResponsibilityItem> {
        self.0.item.clone().map(ResponsibilityItem)
    }

    /// The departments a department-column item is attributed to; empty otherwise.
    async fn departments(&self) -> Vec<Department> {
        self.0
            .departments
            .iter()
            .cloned()
            .map(Department::from)
            .collect()
    }

    /// The whole text.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Stretches of `text` the task shares (character offsets).
    async fn highlights(&self) -> Vec<TextRange> {
        TextRange::all(&self.0.highlights)
    }

    /// The text around the first highlight, HTML-escaped, highlights in `<em>…</em>`.
    async fn snippet(&self) -> String {
        snippet(&self.0.text, &self.0.highlights)
    }

    /// How much of the task this text holds (the task's rare words weigh most).
    async fn score(&self) -> f64 {
        self.0.score
    }
}

/// Admission queries.
#[derive(Default)]
pub struct AdmissionQuery;

/// Admission queries.
// A resolver's parameters are its GraphQL arguments: a check's list can be
// named three ways and dated, so the argument count is the API's.
#[allow(clippy::too_many_arguments)]
#[Object]
impl AdmissionQuery {
    /// Check one task a county department hands to a town against the town's duty
    /// list (事项准入): is it the town's basic duty, the town's side of a
    /// cooperative duty, the department's side pushed down, a duty the department
    /// took back, or in no table (needs admission approval)? Name the list by
    /// `listId`, or by `town` and `county` (the town's current edition, or its
    /// edition in force on `asOf`; `county` is needed when several counties
    /// have a town of that name). `department` (a name or
    /// alias in the list's county) is the sending department: each match says
    /// whether it is the duty's counterpart or receiving department. `task` has
    /// at most 500 characters.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn admission_check(
        &self,
        ctx: &Context<'_>,
        task: String,
        list_id: Option<ID>,
        town: Option<String>,
        county: Option<String>,
        department: Option<String>,
        as_of: Option<Date>,
    ) -> ApiResult<AdmissionCheck> {
        let task = admission::task(&task, "task").map_err(input)?;
        let list = ListArgs {
            list_id,
            town,
            county,
            as_of,
        };
        let mut checks = run(ctx, vec![task], list, department).await?;
        checks.pop().ok_or_else(|| ApiError::Internal.extend())
    }

    /// Check every task of a notice (通知) at once: one check per numbered point
    /// (`一、`, `（一）`, `1.`, `1、`, `（1）`, `①`; a point with points under it is a
    /// heading) or, without numbers, per line; the salutation, preamble and
    /// closing lines are skipped. Arguments as `admissionCheck`; a notice has at
    /// most 20,000 characters and 100 tasks.
    #[graphql(complexity = "super::list_cost(child_complexity)")]
    async fn admission_checks(
        &self,
        ctx: &Context<'_>,
        notice: String,
        list_id: Option<ID>,
        town: Option<String>,
        county: Option<String>,
        department: Option<String>,
        as_of: Option<Date>,
    ) -> ApiResult<Vec<AdmissionCheck>> {
        let tasks = admission::notice_tasks(&notice).map_err(input)?;
        let list = ListArgs {
            list_id,
            town,
            county,
            as_of,
        };
        run(ctx, tasks, list, department).await
    }
}

fn input(e: InputError) -> async_graphql::Error {
    if e.is_limit() {
        ApiError::LimitExceeded(e.to_string()).extend()
    } else {
        ApiError::BadUserInput(e.to_string()).extend()
    }
}

/// How a check names its list: `listId`, or `town` (and `county`) with the
/// edition current or in force on `asOf`.
pub(crate) struct ListArgs {
    list_id: Option<ID>,
    town: Option<String>,
    county: Option<String>,
    as_of: Option<Date>,
}

/// Resolve the list and department, check `tasks`, seed what the duties'
/// fields will ask.
async fn run(
    ctx: &Context<'_>,
    tasks: Vec<String>,
    list: ListArgs,
    department: Option<String>,
) -> ApiResult<Vec<AdmissionCheck>> {
    let (list, list_county) = resolve_list(ctx, list).await?;
    let department = match department.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => Some(
            resolve_department(ctx, name, None, Scope::List(list.id))
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("department `{name}`")).extend())?,
        ),
    };
    let lexicon = ctx
        .data_opt::<Arc<Lexicon>>()
        .map_or_else(|| Lexicon::bundled(), |l| l.as_ref());
    let prepared = match ctx.data_opt::<Arc<admission::ListCache>>() {
        Some(cache) => db(cache.get(conn(ctx), list.id).await)?,
        None => Arc::new(admission::Prepared::new(
            db(admission::fetch(conn(ctx), list.id).await)?,
            admission::matcher::Params::default(),
        )),
    };
    let checker = admission::Checker::new(&prepared, lexicon);
    let verdicts: Vec<admission::Verdict> = tasks
        .iter()
        .map(|t| checker.judge(t, department.as_ref().map(|d| d.id)))
        .collect();
    // The duties' own fields read these without SQL.
    seed_rows::<entity::duty_list::Entity>(ctx, [list.clone()]);
    seed_rows::<entity::county::Entity>(ctx, [list_county.clone()]);
    let matched = verdicts.iter().flat_map(|v| v.matches.iter());
    seed_rows::<entity::category::Entity>(ctx, matched.clone().map(|m| m.category.clone()));
    seed::<DutyDepartmentsLoader, _>(ctx, domain::duty::departments_of_matches(matched));
    let list = Arc::new(DutyList::new(list, list_county));
    Ok(verdicts
        .into_iter()
        .map(|verdict| AdmissionCheck {
            list: Arc::clone(&list),
            verdict,
            department: department.clone(),
        })
        .collect())
}

/// The list named by `listId`, or by `town` and `county`: that town's current
/// edition, or its edition in force on `asOf`, narrowed to `county` and refused
/// as `AMBIGUOUS_NAME` when towns of several counties have the name (the rule
/// of `department(name:, county:)`).
pub(crate) async fn resolve_list(
    ctx: &Context<'_>,
    args: ListArgs,
) -> ApiResult<(duty_list::Model, county::Model)> {
    let ListArgs {
        list_id,
        town,
        county,
        as_of,
    } = args;
    let scope = scope(list_id.as_ref().map(|l| (l, "listId")), as_of)?;
    let town = town.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let named = match (list_id, town) {
        (Some(id), None) => ListName::Key(id::decode(&id, "DutyList")?),
        (None, Some(town)) => ListName::Town(town),
        _ => {
            return Err(ApiError::BadUserInput(
                "name the list: pass `listId`, or `town` (and `county`)".into(),
            )
            .extend());
        }
    };
    let found = db(lists_named(conn(ctx), named, scope).await)?;
    let name = town.unwrap_or_default();
    let found = in_one_county(found, name, county.as_deref(), |l, c| {
        format!("{}{} ({})", c.name, l.town, l.published_on)
    })?;
    found
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::NotFound(format!("list of `{}`", name_or_id(name))).extend())
}

fn name_or_id(name: &str) -> &str {
    if name.is_empty() { "that ID" } else { name }
}
