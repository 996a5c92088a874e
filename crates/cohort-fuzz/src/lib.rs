//! Fuzz targets for Cohort, as plain functions of the input bytes.
//!
//! Each target takes any byte string, must never panic on it, and panics
//! (with a message naming the broken invariant) when the library misbehaves:
//!
//! - decoders: a value that decodes re-encodes to exactly the input, since
//!   decoding is strict;
//! - receivers (`process`, `join`, `join_external`, `load`): a refused input
//!   leaves the group and its storage as they were, an accepted one leads to
//!   a state that saves and loads back unchanged, and a commit, Welcome or
//!   external commit that one member accepts brings it to the epoch the
//!   others reach.
//!
//! The receivers work on one fixed group (see [`fixture`]), built once per
//! process from a seeded random source, so inputs replay exactly. The
//! `*_mutated` targets read their input as an [`arbitrary`] description of
//! one change to a valid message, which they then sign again with the key of
//! whoever could have sent it, so the input reaches the checks behind the
//! signature.
//!
//! `fuzz/` runs these functions under cargo-fuzz; `tests/replay.rs` runs
//! every committed corpus and regression input through them on stable.

pub mod fixture;
mod load;
mod mutate;
mod receive;
mod wire;

pub use load::load;
pub use mutate::{join_external_mutated, join_mutated, process_mutated};
pub use receive::{join, join_external, process};
pub use wire::{
    decode_group_info, decode_group_secrets, decode_key_package, decode_mls_message,
    decode_ratchet_tree, decode_welcome,
};

/// What a target made of one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The input did not decode (or the harness could not use it).
    Malformed,
    /// It decoded, and the library refused it.
    Rejected,
    /// The library accepted it.
    Accepted,
}

/// A fuzz target: any input, never a panic unless an invariant breaks.
pub type Target = fn(&[u8]) -> Outcome;

/// Every target by name, the names of `fuzz/fuzz_targets/` and of the corpus
/// directories.
pub const TARGETS: &[(&str, Target)] = &[
    ("decode_mls_message", decode_mls_message),
    ("decode_key_package", decode_key_package),
    ("decode_welcome", decode_welcome),
    ("decode_group_info", decode_group_info),
    ("decode_ratchet_tree", decode_ratchet_tree),
    ("decode_group_secrets", decode_group_secrets),
    ("process", process),
    ("join", join),
    ("join_external", join_external),
    ("load", load),
    ("process_mutated", process_mutated),
    ("join_mutated", join_mutated),
    ("join_external_mutated", join_external_mutated),
];
