//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`
//! (or under the directory given as the first argument).
//!
//! Each seed is run through its target first: one the target accepts is
//! written as `valid-<name>` (the replay test then requires that it stays
//! accepted), any other, and every pseudo-random one, as `seed-<name>`. Files of those two prefixes that
//! this run did not write are removed; other files (minimized inputs found
//! by fuzzing) are left alone.

use cohort_fuzz::{Outcome, TARGETS, fixture};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            crate_dir
                .parent()
                .and_then(|p| p.parent())
                .map(|root| root.join("fuzz/corpus"))
                .unwrap_or_else(|| crate_dir.join("fuzz/corpus"))
        });
    let mut written: BTreeSet<PathBuf> = BTreeSet::new();
    for (target, name, bytes) in fixture::seeds() {
        let Some((_, run)) = TARGETS.iter().find(|(t, _)| *t == target) else {
            panic!("a seed for an unknown target: {target}");
        };
        // Pseudo-random seeds are kept for variety, not held to an outcome.
        let accepted = run(&bytes) == Outcome::Accepted;
        let prefix = if accepted && !name.starts_with("random-") {
            "valid"
        } else {
            "seed"
        };
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{prefix}-{name}"));
        std::fs::write(&path, &bytes)?;
        println!("{}: {} bytes", path.display(), bytes.len());
        written.insert(path);
    }
    for (target, _) in TARGETS {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let ours = name.starts_with("valid-") || name.starts_with("seed-");
            if ours && !written.contains(&path) {
                std::fs::remove_file(&path)?;
                println!("removed stale {}", path.display());
            }
        }
    }
    Ok(())
}
