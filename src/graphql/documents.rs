//! Parsed documents kept across requests. Clients send the same few documents
//! again and again with other variables (a dashboard's questions, an OA
//! system's checks), and parsing one costs about a tenth of answering it
//! (the profile in `bench/results/2026-11-30-profile-page.md`). A document
//! that parsed and passed lvzhi's own limits ([`super::limits::check`]) is
//! kept, keyed by its text, and a later request with the same text gets a
//! copy of it instead of parsing again. A document that does not parse, or
//! that breaks a limit, is never kept: each request with it gets its error.
//!
//! The limits are the API's and do not change while it runs, so a document
//! that passed them once passes them again. async-graphql's own validation
//! (depth, complexity, the schema's rules) still runs on every request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerResult};
use quick_cache::Weighter;

use super::limits;
use crate::config::Limits;

/// The weight the kept documents may add up to: a document weighs its text
/// times [`BYTES_PER_CHARACTER`], so about 16 MiB of syntax trees.
const CAPACITY: u64 = 16 << 20;

/// Roughly what a syntax tree costs per byte of its text (positions, names,
/// maps of arguments and directives); a document weighs its text times this.
const BYTES_PER_CHARACTER: u64 = 32;

/// A document longer than this is parsed every time: so long a text is rarely
/// a repeated question, and one would push out many short ones.
const LONGEST: usize = 16 << 10;

/// A kept document weighs its text times [`BYTES_PER_CHARACTER`].
#[derive(Clone)]
struct TextSize;

impl Weighter<Box<str>, Arc<ExecutableDocument>> for TextSize {
    fn weight(&self, text: &Box<str>, _: &Arc<ExecutableDocument>) -> u64 {
        text.len() as u64 * BYTES_PER_CHARACTER
    }
}

/// The documents that parsed and passed the limits, by text.
pub struct Documents {
    kept: quick_cache::sync::Cache<Box<str>, Arc<ExecutableDocument>, TextSize>,
    hits: AtomicU64,
}

impl Default for Documents {
    fn default() -> Self {
        Documents {
            kept: quick_cache::sync::Cache::with_weighter(1_024, CAPACITY, TextSize),
            hits: AtomicU64::new(0),
        }
    }
}

impl Documents {
    /// Give `request` its parsed document, checked against `limits`: a copy
    /// of the one kept for its text, or one parsed and checked now (and kept
    /// if it passes). The error is the parser's or the broken limit's.
    pub fn prepare(&self, request: &mut Request, limits: &Limits) -> ServerResult<()> {
        if let Some(doc) = self.kept.get(request.query.as_str()) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            request.set_parsed_query(ExecutableDocument::clone(&doc));
            return Ok(());
        }
        limits::check(request, limits)?;
        if request.query.len() <= LONGEST {
            let doc = Arc::new(request.parsed_query()?.clone());
            self.kept.insert(request.query.as_str().into(), doc);
        }
        Ok(())
    }

    /// Requests whose document was kept from an earlier one.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(documents: &Documents, query: &str, limits: &Limits) -> ServerResult<()> {
        documents.prepare(&mut Request::new(query), limits)
    }

    #[test]
    fn a_document_asked_again_is_not_parsed_again() {
        let documents = Documents::default();
        let limits = Limits::default();
        let query = "query Q($id: ID!) { duty(id: $id) { name } }";
        checked(&documents, query, &limits).unwrap();
        assert_eq!(documents.hits(), 0);

        let mut again = Request::new(query).operation_name("Q");
        documents.prepare(&mut again, &limits).unwrap();
        assert_eq!(documents.hits(), 1);
        let doc = again.parsed_query().unwrap();
        assert_eq!(doc.operations.iter().count(), 1);
    }

    #[test]
    fn a_document_that_does_not_parse_fails_every_time() {
        let documents = Documents::default();
        let limits = Limits::default();
        for _ in 0..2 {
            assert!(checked(&documents, "{ duty(id: ", &limits).is_err());
        }
        assert_eq!(documents.hits(), 0);
    }

    #[test]
    fn a_document_over_a_limit_is_refused_every_time() {
        let documents = Documents::default();
        let limits = Limits {
            aliases: 1,
            ..Limits::default()
        };
        let query = "{ a: __typename b: __typename }";
        for _ in 0..2 {
            let refused = checked(&documents, query, &limits).unwrap_err();
            assert!(refused.message.contains("aliases"), "{}", refused.message);
        }
        assert_eq!(documents.hits(), 0);
    }

    #[test]
    fn a_very_long_document_is_parsed_every_time() {
        let documents = Documents::default();
        let limits = Limits::default();
        let query = format!("{{ __typename }}{}", " ".repeat(LONGEST));
        for _ in 0..2 {
            checked(&documents, &query, &limits).unwrap();
        }
        assert_eq!(documents.hits(), 0);
    }
}
