//! Reading GraphQL answers: the first error's code, the names and texts of a
//! list of objects, and typed views of the shapes many tests look at (a page,
//! a search hit), so assertions say what they check instead of digging
//! through `body["data"]["x"][0]["y"]`.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The `code` of the first error of `body`, or `""` when it has none.
pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// The message of the first error of `body`, or `""` when it has none.
pub fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or("")
}

/// The `name` of every object of the array `objects`.
pub fn names(objects: &Value) -> Vec<&str> {
    strings(objects, "name")
}

/// The `text` of every object of the array `objects`.
pub fn texts(objects: &Value) -> Vec<&str> {
    strings(objects, "text")
}

/// Field `field` (a string) of every object of the array `objects`.
pub fn strings<'a>(objects: &'a Value, field: &str) -> Vec<&'a str> {
    array(objects)
        .iter()
        .map(|o| {
            o[field]
                .as_str()
                .unwrap_or_else(|| panic!("no string {field} in {o}"))
        })
        .collect()
}

/// `value` as an array; panics, showing it, when it is not one.
pub fn array(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
}

/// The `data` of an answer without errors, read as `T`.
pub fn data<T: DeserializeOwned>(body: &Value) -> T {
    assert!(body["errors"].is_null(), "errors in {body}");
    T::deserialize(&body["data"]).unwrap_or_else(|e| panic!("{e}: the data of {body}"))
}

/// A page of a connection.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// Rows matching the filter, on every page.
    pub total_count: Option<i64>,
    /// This page's rows.
    #[serde(default = "Vec::new")]
    pub nodes: Vec<T>,
    /// Where the page is.
    pub page_info: Option<PageInfo>,
}

/// `pageInfo` of a connection.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// More rows after this page.
    #[serde(default)]
    pub has_next_page: bool,
    /// More rows before this page.
    #[serde(default)]
    pub has_previous_page: bool,
    /// The cursor of the first row.
    pub start_cursor: Option<String>,
    /// The cursor of the last row.
    pub end_cursor: Option<String>,
}

/// A duty as `{ kind seq }` and optionally its name.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct DutyKey {
    /// `BASIC`, `COOPERATIVE` or `RECLAIMED`.
    pub kind: String,
    /// 序号.
    pub seq: i64,
    /// 事项名称, when asked for.
    pub name: Option<String>,
}

/// A search hit as the `SEARCH` queries of the tests ask for it; the whole hit
/// stays as JSON too, for comparing pages with the unpaged answer.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hit {
    /// The duty matched.
    pub duty: DutyKey,
    /// `NAME`, `DEPARTMENT_ITEM`, `TOWN_ITEM` or `WORKING_METHOD`.
    pub matched_in: String,
    /// The text matched, whole.
    pub text: String,
    /// The text with the matches marked.
    pub snippet: String,
    /// Where the matches are in `text`, in characters.
    pub highlights: Vec<Highlight>,
    /// The departments of the matched item or duty.
    #[serde(default)]
    pub departments: Vec<Named>,
}

/// A stretch of a text, in characters.
#[derive(Clone, Debug, Deserialize)]
pub struct Highlight {
    /// First character.
    pub start: usize,
    /// Characters.
    pub length: usize,
}

/// Anything with a name.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Named {
    /// Its name.
    pub name: String,
}
