//! Runs the MLS working group's test vectors
//! (github.com/mlswg/mls-implementations, folder `test-vectors`) against
//! Cohort with any crypto provider.
//!
//! [`run_file`] runs one vector file, recognised by its name, and returns
//! pass/fail counts per cipher suite with the first failure's reason. Both
//! `cargo test` and `cohort conformance` call it.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod crypto_basics;
mod deserialization;
mod json;
mod key_schedule;
mod message_protection;
mod messages;
mod passive_client;
mod psk;
mod secret_tree;
mod transcript;
mod tree_files;
mod tree_math;
mod welcome;

use cohort_traits::{Ciphersuite, Crypto, Rand};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The vector files published by the MLS working group.
pub const KNOWN_FILES: [&str; 15] = [
    "crypto-basics.json",
    "deserialization.json",
    "key-schedule.json",
    "message-protection.json",
    "messages.json",
    "passive-client-handling-commit.json",
    "passive-client-welcome.json",
    "psk_secret.json",
    "secret-tree.json",
    "transcript-hashes.json",
    "tree-math.json",
    "tree-operations.json",
    "tree-validation.json",
    "treekem.json",
    "welcome.json",
];

/// The environment variable naming the vector directory.
pub const VECTORS_ENV: &str = "COHORT_TEST_VECTORS";

/// The vector directory: `$COHORT_TEST_VECTORS`, else `../shared/test-vectors`
/// relative to the current directory.
pub fn vectors_dir() -> PathBuf {
    std::env::var_os(VECTORS_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/test-vectors"))
}

/// One row of a conformance report: one file and one cipher suite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// File name.
    pub file: String,
    /// Cipher suite, `None` for files without suites.
    pub cipher_suite: Option<u16>,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Whether Cohort implements this kind of vector yet.
    pub implemented: bool,
    /// Cases skipped because the provider does not support the suite.
    pub unsupported: usize,
    /// Reason of the first failure.
    pub first_failure: Option<String>,
}

impl Row {
    fn new(file: &str, cipher_suite: Option<u16>) -> Self {
        Row {
            file: file.to_string(),
            cipher_suite,
            passed: 0,
            failed: 0,
            implemented: true,
            unsupported: 0,
            first_failure: None,
        }
    }

    /// The row as one JSON object:
    /// `{"file", "cipher_suite", "passed", "failed", "implemented",
    /// "unsupported"}`, where `unsupported` counts the cases skipped because
    /// the provider does not implement the suite.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "file": self.file,
            "cipher_suite": self.cipher_suite,
            "passed": self.passed,
            "failed": self.failed,
            "implemented": self.implemented,
            "unsupported": self.unsupported,
        })
        .to_string()
    }
}

/// Why a vector file could not be run at all.
#[derive(Debug)]
pub enum RunError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The file is not a JSON array.
    Json(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Io(e) => write!(f, "cannot read vector file: {e}"),
            RunError::Json(e) => write!(f, "vector file is not valid JSON: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Outcome of one test case.
pub(crate) enum Outcome {
    Pass,
    Fail(String),
    Unsupported,
}

impl From<Result<(), String>> for Outcome {
    fn from(r: Result<(), String>) -> Self {
        match r {
            Ok(()) => Outcome::Pass,
            Err(e) => Outcome::Fail(e),
        }
    }
}

/// Accumulates outcomes per cipher suite.
#[derive(Default)]
pub(crate) struct Tally {
    rows: BTreeMap<Option<u16>, Row>,
}

impl Tally {
    pub(crate) fn record(
        &mut self,
        file: &str,
        suite: Option<u16>,
        index: usize,
        outcome: Outcome,
    ) {
        let row = self
            .rows
            .entry(suite)
            .or_insert_with(|| Row::new(file, suite));
        match outcome {
            Outcome::Pass => row.passed += 1,
            Outcome::Unsupported => row.unsupported += 1,
            Outcome::Fail(reason) => {
                row.failed += 1;
                if row.first_failure.is_none() {
                    row.first_failure = Some(format!("case {index}: {reason}"));
                }
            }
        }
    }

    pub(crate) fn into_rows(self) -> Vec<Row> {
        self.rows.into_values().collect()
    }
}

/// Runs `check` on every case of a file whose cases carry `cipher_suite`,
/// recording each outcome under its suite.
pub(crate) fn per_suite<C: Crypto + ?Sized>(
    crypto: &C,
    file: &str,
    cases: &[serde_json::Value],
    mut check: impl FnMut(&cohort::crypto::SuiteCrypto<'_, C>, &serde_json::Value) -> Result<(), String>,
) -> Tally {
    let mut tally = Tally::default();
    for (i, case) in cases.iter().enumerate() {
        let suite = match json::u16_of(case, "cipher_suite") {
            Ok(s) => s,
            Err(e) => {
                tally.record(file, None, i, Outcome::Fail(e));
                continue;
            }
        };
        let outcome = if !supported(crypto, suite) {
            Outcome::Unsupported
        } else {
            match cohort::crypto::SuiteCrypto::new(crypto, Ciphersuite(suite)) {
                Ok(cs) => Outcome::from(check(&cs, case)),
                Err(e) => Outcome::Fail(e.to_string()),
            }
        };
        tally.record(file, Some(suite), i, outcome);
    }
    tally
}

/// A GroupContext with empty extensions, as the vectors define it.
pub(crate) fn group_context<C: Crypto + ?Sized>(
    cs: &cohort::crypto::SuiteCrypto<'_, C>,
    group_id: &[u8],
    epoch: u64,
    tree_hash: Vec<u8>,
    confirmed_transcript_hash: Vec<u8>,
) -> cohort::messages::GroupContext {
    cohort::messages::GroupContext {
        version: cohort::messages::ProtocolVersion::MLS10,
        cipher_suite: cs.suite(),
        group_id: group_id.to_vec().into(),
        epoch,
        tree_hash: tree_hash.into(),
        confirmed_transcript_hash: confirmed_transcript_hash.into(),
        extensions: Default::default(),
    }
}

/// A signer over a raw private key from a vector.
pub(crate) type KeySigner<'a, C> = cohort_basic_credential::SignatureKeyPair<&'a C>;

/// The vector's signature key as a signer.
pub(crate) fn key_signer<'a, C: Crypto + ?Sized>(
    cs: &cohort::crypto::SuiteCrypto<'a, C>,
    private_key: Vec<u8>,
) -> Result<KeySigner<'a, C>, String> {
    cohort_basic_credential::SignatureKeyPair::from_private_key(
        cs.provider(),
        cs.params().signature,
        cohort_traits::Secret::new(private_key),
    )
    .map_err(|e| format!("signature key: {e}"))
}

/// Whether the provider supports the suite; vectors of unsupported suites
/// are reported as such, never as passed.
pub(crate) fn supported<C: Crypto + ?Sized>(crypto: &C, suite: u16) -> bool {
    crypto.supports(Ciphersuite(suite))
}

/// A runner for one kind of vector file.
type Runner<C> = fn(&C, &dyn Rand, &str, &[serde_json::Value]) -> Tally;

/// Runs one vector file, recognised by its file name.
///
/// Files whose kind Cohort does not implement yet give one row with
/// `implemented: false` and no counts.
pub fn run_file<C: Crypto + ?Sized>(
    crypto: &C,
    rand: &dyn Rand,
    path: &Path,
) -> Result<Vec<Row>, RunError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let runner: Option<Runner<C>> = match name.as_str() {
        "crypto-basics.json" => Some(crypto_basics::run),
        "tree-math.json" => Some(tree_math::run),
        "deserialization.json" => Some(deserialization::run),
        "messages.json" => Some(messages::run),
        "secret-tree.json" => Some(secret_tree::run),
        "key-schedule.json" => Some(key_schedule::run),
        "psk_secret.json" => Some(psk::run),
        "message-protection.json" => Some(message_protection::run),
        "transcript-hashes.json" => Some(transcript::run),
        "welcome.json" => Some(welcome::run),
        "tree-validation.json" => Some(tree_files::run_validation),
        "tree-operations.json" => Some(tree_files::run_operations),
        "treekem.json" => Some(tree_files::run_treekem),
        n if n.starts_with("passive-client-") && n.ends_with(".json") => Some(passive_client::run),
        _ => None,
    };
    let Some(runner) = runner else {
        let mut row = Row::new(&name, None);
        row.implemented = false;
        return Ok(vec![row]);
    };
    let text = std::fs::read_to_string(path).map_err(RunError::Io)?;
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| RunError::Json(e.to_string()))?;
    Ok(runner(crypto, rand, &name, &cases).into_rows())
}

/// The vector files to run in `dir`: the fifteen known files (whether present
/// or not) and any further `passive-client-*.json` files.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = KNOWN_FILES.iter().map(|f| dir.join(f)).collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut extra: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("passive-client-") && n.ends_with(".json"))
            })
            .filter(|p| !files.contains(p))
            .collect();
        extra.sort();
        files.extend(extra);
    }
    files
}
