//! What changed between two editions of a list.
//!
//! SKELETON — the diff helper implements this module.
