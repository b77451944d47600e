//! Who is asking and what they may do: the [`Principal`] a request's token
//! stands for, the [`Actor`] the audit log records, and the one rule of
//! permissions ([`permit`]): a role allows some [`Action`]s, and a token
//! confined to a county, town or department acts only on targets inside it.
//! [`token`] makes, checks and revokes tokens; [`throttle`] slows down an
//! address that keeps presenting wrong ones.

pub mod throttle;
pub mod token;

use entity::Role;

use crate::error::ErrorCode;

/// The token a request carries, as checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's id.
    pub token_id: i32,
    /// Its name, as the audit log records it.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The county it is confined to; `None` for every county.
    pub county_id: Option<i32>,
    /// The town (of its county) it is confined to.
    pub town: Option<String>,
    /// The department (of its county) it acts for.
    pub department_id: Option<i32>,
}

/// Who does something, for permissions and the audit log: a token's holder over
/// HTTP, or the operator at the command line.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    /// The request's checked token; `None` without one (and at the command line).
    pub principal: Option<Principal>,
    /// The client's address.
    pub client: Option<String>,
    /// The request's ID.
    pub request_id: Option<String>,
    /// How the actor reached lvzhi.
    pub channel: Channel,
}

/// How an actor reached lvzhi.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Channel {
    /// Over HTTP, with or without a token.
    #[default]
    Http,
    /// The command line: trusted (its operator holds the database), recorded as `cli`.
    CommandLine,
    /// lvzhi itself, seeding the bundled list at start-up: recorded as `system`.
    Startup,
}

impl Actor {
    /// The operator at the command line.
    pub fn command_line() -> Self {
        Actor {
            channel: Channel::CommandLine,
            ..Actor::default()
        }
    }

    /// lvzhi itself at start-up.
    pub fn system() -> Self {
        Actor {
            channel: Channel::Startup,
            ..Actor::default()
        }
    }

    /// The name the audit log records: the token's, `cli`, `system`, or `anonymous`.
    pub fn name(&self) -> &str {
        match (&self.principal, self.channel) {
            (Some(p), _) => &p.name,
            (None, Channel::CommandLine) => "cli",
            (None, Channel::Startup) => "system",
            (None, Channel::Http) => "anonymous",
        }
    }

    /// The role the audit log records.
    pub fn role(&self) -> Option<Role> {
        self.principal.as_ref().map(|p| p.role)
    }
}

/// What an actor asks to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read lists (only checked where reads require a token).
    Read,
    /// Submit an adjustment request.
    Submit,
    /// Withdraw a request before its approval.
    Withdraw,
    /// Review a submitted request.
    Review,
    /// Approve a reviewed request.
    Approve,
    /// Reject a request before its approval.
    Reject,
    /// Publish approved requests as an edition.
    Publish,
    /// Apply changes an OA system approved itself, as one edition.
    Apply,
    /// Make, list and revoke tokens.
    ManageTokens,
    /// Read the audit log.
    ReadAudit,
    /// Make, change and read webhook subscriptions and their deliveries.
    ManageWebhooks,
}

impl Action {
    /// Every action, for the permission matrix.
    pub const ALL: [Action; 11] = [
        Action::Read,
        Action::Submit,
        Action::Withdraw,
        Action::Review,
        Action::Approve,
        Action::Reject,
        Action::Publish,
        Action::Apply,
        Action::ManageTokens,
        Action::ReadAudit,
        Action::ManageWebhooks,
    ];
}

/// Whether `role` may ever do `action` (inside its scope).
pub fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    match action {
        Read => true,
        Submit | Withdraw => role == Role::Applicant,
        Review => role == Role::Reviewer,
        Approve | Apply => role == Role::Approver,
        Reject => matches!(role, Role::Reviewer | Role::Approver),
        Publish => role == Role::Publisher,
        ManageTokens | ReadAudit | ManageWebhooks => role == Role::Admin,
    }
}

/// What an action is done to, for scope checks.
#[derive(Clone, Copy, Debug, Default)]
pub struct Target<'a> {
    /// The county of the list or object (`None`: county-independent, e.g. a
    /// token listing).
    pub county_id: Option<i32>,
    /// The town of the list.
    pub town: Option<&'a str>,
    /// The departments the change concerns: a duty's counterparts or receivers
    /// before and after the change, or a reformed department. A department's
    /// token acts only where its department is among them.
    pub departments: &'a [i32],
}

/// Why an actor may not do something.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// No token, or none that is valid.
    #[error("this operation needs a token (`Authorization: Bearer …`)")]
    Unauthenticated,
    /// The role does not allow it.
    #[error("a {role} token may not {action}")]
    Role {
        /// The token's role.
        role: &'static str,
        /// What was asked, in words.
        action: &'static str,
    },
    /// The target lies outside the token's county, town or department.
    #[error("the token is confined to {scope}, which does not include this {what}")]
    Scope {
        /// The token's scope, in words.
        scope: String,
        /// What the target is.
        what: &'static str,
    },
}

impl Denied {
    /// `UNAUTHENTICATED` or `FORBIDDEN`.
    pub fn code(&self) -> ErrorCode {
        match self {
            Denied::Unauthenticated => ErrorCode::Unauthenticated,
            Denied::Role { .. } | Denied::Scope { .. } => ErrorCode::Forbidden,
        }
    }
}

/// The one rule of permissions: may `actor` do `action` to `target`? The
/// command line may do anything (its operator holds the database).
pub fn permit(actor: &Actor, action: Action, target: &Target<'_>) -> Result<(), Denied> {
    if actor.channel != Channel::Http {
        return Ok(());
    }
    let principal = actor.principal.as_ref().ok_or(Denied::Unauthenticated)?;
    if !role_allows(principal.role, action) {
        return Err(Denied::Role {
            role: role_name(principal.role),
            action: action_words(action),
        });
    }
    in_scope(principal, target)
}

/// Whether `target` lies inside the principal's county, town and department.
fn in_scope(principal: &Principal, target: &Target<'_>) -> Result<(), Denied> {
    let outside = |what| Denied::Scope {
        scope: scope_words(principal),
        what,
    };
    if let Some(county) = principal.county_id
        && target.county_id != Some(county)
    {
        return Err(outside("county"));
    }
    if let Some(town) = &principal.town
        && target.town != Some(town.as_str())
    {
        return Err(outside("town"));
    }
    if let Some(department) = principal.department_id
        && !target.departments.contains(&department)
    {
        return Err(outside("duty's departments"));
    }
    Ok(())
}

/// A principal's scope in words, without names (ids only: no database here).
fn scope_words(principal: &Principal) -> String {
    let mut parts = Vec::new();
    if let Some(county) = principal.county_id {
        parts.push(format!("county {county}"));
    }
    if let Some(town) = &principal.town {
        parts.push(format!("town {town}"));
    }
    if let Some(department) = principal.department_id {
        parts.push(format!("department {department}"));
    }
    if parts.is_empty() {
        "every county".to_owned()
    } else {
        parts.join(", ")
    }
}

/// A role as the API spells it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Reader => "READER",
        Role::Applicant => "APPLICANT",
        Role::Reviewer => "REVIEWER",
        Role::Approver => "APPROVER",
        Role::Publisher => "PUBLISHER",
        Role::Admin => "ADMIN",
    }
}

fn action_words(action: Action) -> &'static str {
    match action {
        Action::Read => "read",
        Action::Submit => "submit adjustment requests",
        Action::Withdraw => "withdraw adjustment requests",
        Action::Review => "review adjustment requests",
        Action::Approve => "approve adjustment requests",
        Action::Reject => "reject adjustment requests",
        Action::Publish => "publish editions",
        Action::Apply => "apply approved changes",
        Action::ManageTokens => "manage tokens",
        Action::ReadAudit => "read the audit log",
        Action::ManageWebhooks => "manage webhooks",
    }
}
