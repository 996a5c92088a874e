//! Replays every committed fuzz input on stable: the seed corpus
//! (`fuzz/corpus/<target>/`) and every input that once broke a target
//! (`fuzz/regressions/<target>/`). A target that panics fails the test, and
//! so does a `valid-*` seed that its target no longer accepts (the fixture
//! changed: rewrite the corpus with
//! `cargo run -p cohort-fuzz --bin write-corpus`).

use cohort_fuzz::{Outcome, TARGETS};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir`, sorted (none when it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// Runs every file under `kind/<target>/` through its target; returns the
/// failures and the number of files run.
fn replay(kind: &str) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, target) in TARGETS {
        for path in files(&fuzz_dir().join(kind).join(name)) {
            let data = std::fs::read(&path).expect("readable input");
            count += 1;
            let shown = path
                .strip_prefix(fuzz_dir())
                .unwrap_or(&path)
                .display()
                .to_string();
            match catch_unwind(AssertUnwindSafe(|| target(&data))) {
                Ok(outcome) => {
                    let valid = path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("valid-"));
                    if valid && outcome != Outcome::Accepted {
                        failures.push(format!("{shown}: expected Accepted, got {outcome:?}"));
                    }
                }
                Err(_) => failures.push(format!("{shown}: the target panicked")),
            }
        }
    }
    (failures, count)
}

#[test]
fn seed_corpus_replays() {
    let (failures, count) = replay("corpus");
    assert!(count > 0, "no corpus found under {}", fuzz_dir().display());
    assert!(
        failures.is_empty(),
        "{} of {count} corpus inputs failed (after a fixture change, rewrite the corpus with \
         `cargo run -p cohort-fuzz --bin write-corpus`):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn regressions_replay() {
    let (failures, _) = replay("regressions");
    assert!(
        failures.is_empty(),
        "regression inputs failed:\n{}",
        failures.join("\n")
    );
}

/// Every target has a cargo-fuzz entry point and a seed corpus, and every
/// corpus directory belongs to a target.
#[test]
fn targets_match_the_fuzz_package() {
    for (name, _) in TARGETS {
        let entry = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(entry.is_file(), "missing {}", entry.display());
        let corpus = files(&fuzz_dir().join("corpus").join(name));
        assert!(
            corpus.iter().any(|p| p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("valid-"))),
            "target {name} has no valid seed"
        );
    }
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind)) else {
            continue;
        };
        for e in entries {
            let e = e.expect("directory entry");
            let name = e.file_name().to_string_lossy().to_string();
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name),
                "{kind}/{name} names no target"
            );
        }
    }
}
