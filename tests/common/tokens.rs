//! Tokens for tests: made through `lvzhi::auth::token::create` on the app's
//! database (as the command line makes them), and requests that carry one.

use entity::Role;
use lvzhi::auth::Actor;
use lvzhi::auth::token::{NewToken, create};
use serde_json::Value;

use super::app::TestApp;

/// The county of the bundled list.
pub const COUNTY: &str = "乌恰县";

/// The town of the bundled list.
pub const TOWN: &str = "乌恰镇";

/// A token's scope: county, town and department, by name.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scope<'a> {
    /// The county it is confined to.
    pub county: Option<&'a str>,
    /// The town it is confined to.
    pub town: Option<&'a str>,
    /// The department it acts for.
    pub department: Option<&'a str>,
}

impl Scope<'static> {
    /// Every county.
    pub const EVERYWHERE: Scope<'static> = Scope {
        county: None,
        town: None,
        department: None,
    };

    /// The bundled list's county.
    pub const COUNTY: Scope<'static> = Scope {
        county: Some(COUNTY),
        town: None,
        department: None,
    };
}

/// The `Authorization` header value of `token`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl TestApp {
    /// A new token named `name` with `role` and `scope`; its secret.
    pub async fn token_named(&self, name: &str, role: Role, scope: Scope<'_>) -> String {
        let new = NewToken {
            name: name.to_owned(),
            role,
            county: scope.county.map(str::to_owned),
            town: scope.town.map(str::to_owned),
            department: scope.department.map(str::to_owned),
            expires_at: None,
        };
        create(&self.db.db, new, &Actor::command_line())
            .await
            .expect("the token is made")
            .secret
    }

    /// A new token with `role` and `scope`, named after them; its secret.
    pub async fn token(&self, role: Role, scope: Scope<'_>) -> String {
        let name = format!(
            "{role:?} {} {}",
            scope.county.unwrap_or("*"),
            lvzhi::auth::token::generate().unwrap()
        );
        self.token_named(&name, role, scope).await
    }

    /// POST `body` to `/graphql` with `token` as the bearer token.
    pub async fn post_with_token(&self, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/graphql", self.address))
            .header("authorization", bearer(token))
            .json(body)
            .send()
            .await
            .expect("the request is answered")
    }

    /// POST the bytes `body` to `/graphql` with `token` and `Idempotency-Key: key`.
    pub async fn post_keyed(&self, token: &str, key: &str, body: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/graphql", self.address))
            .header("authorization", bearer(token))
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the request is answered")
    }

    /// GET `path` with `token` as the bearer token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .header("authorization", bearer(token))
            .send()
            .await
            .expect("the request is answered")
    }
}
