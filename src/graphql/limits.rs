//! Request limits that async-graphql does not enforce itself, checked by
//! [`check`] before a request executes: lexical tokens (counted before
//! parsing), aliases, root fields, and the size of a document once its
//! fragments are expanded. Depth, complexity and directives per field are
//! async-graphql's own limits, set in [`super::schema_builder_with`];
//! [`crate::error::fill_codes`] gives all of them the code `LIMIT_EXCEEDED`.
//! List lengths are checked by the resolvers whose lists grow with the data
//! ([`super::within_ceiling`]), not by a hook on every field, which would cost
//! every request a little.
//!
//! The fragment check runs before async-graphql's own walks of the document,
//! which expand fragment spreads without memoising: a few fragments that each
//! spread the next ten times would otherwise cost 10ⁿ steps.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned, Request, ServerError, ServerResult};

use crate::config::Limits;
use crate::error::ErrorCode;

/// A request-level error with the code `LIMIT_EXCEEDED`.
pub fn exceeded(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", ErrorCode::LimitExceeded);
    error
}

/// Check `request` against lvzhi's own limits. It is parsed here, once:
/// async-graphql executes the parsed document without parsing it again.
pub fn check(request: &mut Request, limits: &Limits) -> ServerResult<()> {
    if count_tokens(&request.query, limits.tokens) > limits.tokens {
        return Err(exceeded(format!(
            "the document has more than {} lexical tokens (LVZHI_MAX_TOKENS)",
            limits.tokens
        )));
    }
    let doc = request.parsed_query()?;
    check_document(doc, limits)
}

/// Aliases, root fields and the expanded size of a parsed document.
fn check_document(doc: &ExecutableDocument, limits: &Limits) -> ServerResult<()> {
    let mut aliases = 0;
    let mut sets: Vec<&SelectionSet> = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(doc.fragments.values().map(|f| &f.node.selection_set.node))
        .collect();
    while let Some(set) = sets.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    aliases += usize::from(field.node.alias.is_some());
                    sets.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => sets.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    if aliases > limits.aliases {
        return Err(exceeded(format!(
            "the document has {aliases} aliases, more than {} (LVZHI_MAX_ALIASES)",
            limits.aliases
        )));
    }

    let mut sizes = Expansion {
        doc,
        memo: HashMap::new(),
        visiting: Vec::new(),
    };
    for (_, op) in doc.operations.iter() {
        let roots = sizes.root_fields(&op.node.selection_set.node);
        if roots > limits.root_fields as u64 {
            return Err(exceeded(format!(
                "the operation selects {roots} root fields, more than {} (LVZHI_MAX_ROOT_FIELDS)",
                limits.root_fields
            )));
        }
        let fields = sizes.fields(&op.node.selection_set.node);
        if fields > limits.complexity as u64 {
            return Err(exceeded(format!(
                "the operation has {fields} fields once its fragments are expanded, more than {} (LVZHI_MAX_COMPLEXITY)",
                limits.complexity
            )));
        }
    }
    Ok(())
}

/// Field counts with fragments expanded, memoised per fragment. A fragment
/// cycle counts as empty here; validation rejects it with its own message.
struct Expansion<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a Name, u64>,
    visiting: Vec<&'a Name>,
}

impl<'a> Expansion<'a> {
    /// Every field of `set` and below.
    fn fields(&mut self, set: &'a SelectionSet) -> u64 {
        let mut total = 0u64;
        for selection in &set.items {
            let n = match &selection.node {
                Selection::Field(field) => 1 + self.fields(&field.node.selection_set.node),
                Selection::InlineFragment(inline) => self.fields(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => self.fragment(&spread.node.fragment_name),
            };
            total = total.saturating_add(n);
        }
        total
    }

    /// The fields directly in `set` (through fragments, not into sub-selections).
    fn root_fields(&mut self, set: &'a SelectionSet) -> u64 {
        let mut total = 0u64;
        let mut stack: Vec<&SelectionSet> = vec![set];
        let mut seen: Vec<&Name> = Vec::new();
        while let Some(set) = stack.pop() {
            for selection in &set.items {
                match &selection.node {
                    Selection::Field(_) => total += 1,
                    Selection::InlineFragment(inline) => {
                        stack.push(&inline.node.selection_set.node)
                    }
                    Selection::FragmentSpread(spread) => {
                        let name = &spread.node.fragment_name.node;
                        // Each fragment once: spreading one twice selects the same fields.
                        if !seen.contains(&name)
                            && let Some(fragment) = self.doc.fragments.get(name)
                        {
                            seen.push(name);
                            stack.push(&fragment.node.selection_set.node);
                        }
                    }
                }
            }
        }
        total
    }

    fn fragment(&mut self, name: &'a Positioned<Name>) -> u64 {
        let name = &name.node;
        if let Some(&n) = self.memo.get(name) {
            return n;
        }
        let Some(fragment) = self.doc.fragments.get(name) else {
            return 0;
        };
        if self.visiting.contains(&name) {
            return 0;
        }
        self.visiting.push(name);
        let n = self.fields(&fragment.node.selection_set.node);
        self.visiting.pop();
        self.memo.insert(name, n);
        n
    }
}

/// GraphQL lexical tokens in `source`, counting stops just past `limit`. Runs in
/// one pass over the bytes, before any parsing; anything the lexer would reject
/// counts as one token per byte.
pub fn count_tokens(source: &str, limit: usize) -> usize {
    let bytes = source.as_bytes();
    let mut i = 0;
    let mut count = 0;
    while i < bytes.len() && count <= limit {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                loop {
                    if i >= bytes.len() {
                        break;
                    }
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
                count += 1;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                count += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                i += 3;
                count += 1;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'.' | b'+'))
                {
                    i += 1;
                }
                count += 1;
            }
            _ => {
                i += 1;
                count += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_counted_as_the_graphql_lexer_sees_them() {
        assert_eq!(count_tokens("{ a }", 100), 3);
        assert_eq!(
            count_tokens(
                "query Q($x: Int = -1.5e3) { f(s: \"a \\\" b\", b: \"\"\"x\ny\"\"\") ...F }",
                100
            ),
            23
        );
        assert_eq!(count_tokens("# only a comment\n,,,", 100), 0);
        // Stops counting once past the limit.
        assert_eq!(count_tokens(&"a ".repeat(1_000_000), 10), 11);
    }

    fn check(query: &str, limits: &Limits) -> Result<(), String> {
        let doc = async_graphql::parser::parse_query(query).map_err(|e| e.to_string())?;
        check_document(&doc, limits).map_err(|e| e.message)
    }

    #[test]
    fn exponential_fragments_are_refused_before_they_are_expanded() {
        let mut query = String::from("{ ...F0 }\n");
        for i in 0..40 {
            query += &format!(
                "fragment F{i} on Query {{ {} }}\n",
                format!("...F{} ", i + 1).repeat(10)
            );
        }
        query += "fragment F40 on Query { __typename }";
        let err = check(&query, &Limits::default()).unwrap_err();
        assert!(err.contains("LVZHI_MAX_COMPLEXITY"), "{err}");
    }

    #[test]
    fn cyclic_fragments_do_not_loop() {
        let query = "{ ...A } fragment A on Query { ...B __typename } fragment B on Query { ...A }";
        assert_eq!(check(query, &Limits::default()), Ok(()));
    }

    #[test]
    fn aliases_and_root_fields_are_counted_through_fragments() {
        let limits = Limits {
            aliases: 2,
            root_fields: 3,
            ..Limits::default()
        };
        assert!(check("{ a: __typename b: __typename }", &limits).is_ok());
        let err = check("{ a: __typename b: __typename c: __typename }", &limits).unwrap_err();
        assert!(err.contains("LVZHI_MAX_ALIASES"), "{err}");
        let err = check(
            "{ __typename ...F ... on Query { __typename } } fragment F on Query { x y }",
            &limits,
        )
        .unwrap_err();
        assert!(err.contains("4 root fields"), "{err}");
    }
}
