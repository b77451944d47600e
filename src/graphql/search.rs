//! `search`: duties by word, over names, items of both columns and working methods.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Enum, ErrorExtensions, Object, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::department::Department;
use super::duty::{Duty, DutyFilter, ResponsibilityItem, domain_filter};
use super::loaders::ItemDepartmentsLoader;
use super::{DEFAULT_PAGE_SIZE, conn, load_one, page_size};
use crate::domain::search::{self, Hit};
use crate::error::{ApiError, ApiResult, db};

/// Characters of context a snippet keeps around its first match.
const SNIPPET_CONTEXT: usize = 24;

/// Where a search hit matched.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::search::Source")]
pub enum MatchSource {
    /// The duty's name (事项名称).
    Name,
    /// An item of the department column (上级部门职责).
    DepartmentItem,
    /// An item of the town column (乡镇（街道）配合职责).
    TownItem,
    /// The working method (工作方式) of a reclaimed duty.
    WorkingMethod,
}

/// A stretch of a hit's text, in characters.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct TextRange {
    /// Offset of the first character.
    pub start: i32,
    /// Number of characters.
    pub length: i32,
}

impl TextRange {
    /// Character offsets and lengths, as the domain finds them → ranges.
    pub(crate) fn all(offsets: &[(usize, usize)]) -> Vec<TextRange> {
        offsets
            .iter()
            .map(|&(start, length)| TextRange {
                start: start as i32,
                length: length as i32,
            })
            .collect()
    }
}

/// One place a query matched.
pub struct SearchHit(Hit);

/// One place a query matched: the duty, where in it, and the matched text with
/// the match marked.
#[Object]
impl SearchHit {
    /// The duty.
    async fn duty(&self) -> Duty {
        Duty(self.0.duty.clone())
    }

    /// Where the query matched.
    async fn matched_in(&self) -> MatchSource {
        self.0.source.into()
    }

    /// The matched item, when the match is in an item.
    async fn item(&self) -> Option<ResponsibilityItem> {
        self.0.item.clone().map(ResponsibilityItem)
    }

    /// The departments of a matched department-side item; empty otherwise.
    async fn departments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Department>> {
        match (&self.0.item, self.0.source) {
            (Some(item), crate::search::Source::DepartmentItem) => {
                let departments = load_one::<ItemDepartmentsLoader, _>(ctx, item.id)
                    .await?
                    .unwrap_or_default();
                Ok(departments.into_iter().map(Department::from).collect())
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Relevance: name matches rank above item matches, denser matches higher.
    async fn score(&self) -> f64 {
        self.0.score
    }

    /// The whole matched text.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Where the query occurs in `text` (character offsets), for clients that mark
    /// matches themselves.
    async fn highlights(&self) -> Vec<TextRange> {
        TextRange::all(&self.0.matches)
    }

    /// The text around the first match, HTML-escaped, with every match in `<em>…</em>`.
    async fn snippet(&self) -> String {
        snippet(&self.0.text, &self.0.matches)
    }
}

/// The text around the first match, escaped, matches marked.
pub fn snippet(text: &str, matches: &[(usize, usize)]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let first = matches.first().map_or(0, |m| m.0);
    let start = first.saturating_sub(SNIPPET_CONTEXT);
    let end = matches
        .iter()
        .map(|m| m.0 + m.1)
        .filter(|e| *e <= first + 3 * SNIPPET_CONTEXT)
        .max()
        .unwrap_or(first)
        .saturating_add(SNIPPET_CONTEXT)
        .min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut i = start;
    while i < end {
        match matches.iter().find(|m| m.0 == i) {
            Some(&(s, len)) => {
                let stop = (s + len).min(end);
                out.push_str("<em>");
                chars[s..stop].iter().for_each(|c| escape(*c, &mut out));
                out.push_str("</em>");
                i = stop;
            }
            None => {
                escape(chars[i], &mut out);
                i += 1;
            }
        }
    }
    if end < chars.len() {
        out.push('…');
    }
    out
}

fn escape(c: char, out: &mut String) {
    match c {
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '"' => out.push_str("&quot;"),
        _ => out.push(c),
    }
}

/// A page of search hits.
#[derive(SimpleObject)]
pub struct SearchConnection {
    /// The page's hits, each with its cursor.
    pub edges: Vec<SearchEdge>,
    /// The page's hits.
    pub nodes: Vec<SearchHit>,
    /// Whether there are more pages, and the cursors at the page's ends.
    pub page_info: PageInfo,
    /// Number of hits across all pages.
    pub total_count: i32,
}

/// A search hit on a page, with its cursor.
#[derive(SimpleObject)]
pub struct SearchEdge {
    /// Pass as `after` to continue after this hit.
    pub cursor: String,
    /// The hit.
    pub node: SearchHit,
}

fn cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("s:{offset}"))
}

fn offset_of(cursor: &str) -> ApiResult<usize> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("s:")?.parse().ok())
        .ok_or_else(|| {
            ApiError::BadUserInput(format!("`{cursor}` is not a cursor of `search`")).extend()
        })
}

/// Search queries.
#[derive(Default)]
pub struct SearchQuery;

/// Search queries.
#[Object]
impl SearchQuery {
    /// Duties by word: over duty names, every responsibility item of both columns
    /// and working methods. Words separated by spaces must all occur in the same
    /// field (`燃气 入户`); one-character words work (`林`); full- and half-width
    /// forms match each other. Name matches rank first; ties keep list, kind and
    /// 序号 order. At most 100 hits a page (20 by default).
    #[graphql(complexity = "super::page_cost(first, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        filter: Option<DutyFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<SearchConnection> {
        let words = search::query_words(&query)
            .map_err(|e| ApiError::BadUserInput(e.to_string()).extend())?;
        let size = page_size(ctx, "first", first)?.unwrap_or(DEFAULT_PAGE_SIZE);
        let start = after
            .as_deref()
            .map(offset_of)
            .transpose()?
            .map_or(0, |o| o + 1);
        let filter = domain_filter(ctx, &filter.unwrap_or_default()).await?;
        let page = db(search::search(conn(ctx), &words, &filter, start, size).await)?;
        let total = page.total;
        let edges: Vec<SearchEdge> = page
            .hits
            .into_iter()
            .enumerate()
            .map(|(i, hit)| SearchEdge {
                cursor: cursor(start + i),
                node: SearchHit(hit),
            })
            .collect();
        let nodes = edges.iter().map(|e| SearchHit(e.node.0.clone())).collect();
        Ok(SearchConnection {
            page_info: PageInfo {
                has_previous_page: start > 0,
                has_next_page: start + edges.len() < total,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            nodes,
            edges,
            total_count: total as i32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_matches_escape_html_and_trim_long_text() {
        assert_eq!(
            snippet("督促燃气企业入户排查", &[(2, 2), (6, 2)]),
            "督促<em>燃气</em>企业<em>入户</em>排查"
        );
        assert_eq!(snippet("a<b燃气", &[(3, 2)]), "a&lt;b<em>燃气</em>");
        let long: String = "甲".repeat(100) + "燃气" + &"乙".repeat(100);
        let s = snippet(&long, &[(100, 2)]);
        assert!(
            s.starts_with('…') && s.ends_with('…') && s.contains("<em>燃气</em>"),
            "{s}"
        );
        assert_eq!(s.chars().count(), 1 + 24 + 4 + 2 + 5 + 24 + 1);
    }
}
