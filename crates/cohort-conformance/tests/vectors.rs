//! Every case of every implemented vector file passes with each provider,
//! for every suite the provider supports, and is reported as unsupported
//! (never as passed) for the suites it does not; all fifteen files are
//! present.
//!
//! The directory comes from `COHORT_TEST_VECTORS` (default: `../shared/test-vectors`
//! beside the checkout). Without it the test is skipped loudly, unless
//! `COHORT_REQUIRE_VECTORS=1`, which `.ci/run` sets.

use cohort_conformance::{KNOWN_FILES, files_in, run_file};
use cohort_libcrux::LibcruxCrypto;
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{Ciphersuite, Crypto, Rand};
use std::path::PathBuf;

/// The providers under test, each with itself as random source.
fn providers() -> [(&'static str, &'static dyn Crypto, &'static dyn Rand); 2] {
    static RUST_CRYPTO: RustCrypto = RustCrypto::new();
    static LIBCRUX: LibcruxCrypto = LibcruxCrypto::new();
    [
        ("rust-crypto", &RUST_CRYPTO, &RUST_CRYPTO),
        ("libcrux", &LIBCRUX, &LIBCRUX),
    ]
}

fn dir() -> Option<PathBuf> {
    let dir = std::env::var_os(cohort_conformance::VECTORS_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/test-vectors")
        });
    let required = std::env::var("COHORT_REQUIRE_VECTORS").as_deref() == Ok("1");
    if dir.is_dir() {
        if required {
            for f in KNOWN_FILES {
                assert!(
                    dir.join(f).is_file(),
                    "COHORT_REQUIRE_VECTORS=1 but {f} is missing"
                );
            }
        }
        Some(dir)
    } else if required {
        panic!(
            "COHORT_REQUIRE_VECTORS=1 but {} is not a directory",
            dir.display()
        );
    } else {
        eprintln!(
            "SKIPPED: test vectors not found at {}; set COHORT_TEST_VECTORS",
            dir.display()
        );
        None
    }
}

#[test]
fn all_implemented_vectors_pass() {
    let Some(dir) = dir() else { return };
    for (provider, crypto, rand) in providers() {
        let mut implemented = 0;
        for path in files_in(&dir) {
            let rows = run_file(crypto, rand, &path)
                .unwrap_or_else(|e| panic!("{provider} {}: {e}", path.display()));
            for row in rows {
                if !row.implemented {
                    continue;
                }
                implemented += 1;
                let what = format!("{provider} {} suite {:?}", row.file, row.cipher_suite);
                eprintln!(
                    "{what}: {} passed, {} unsupported",
                    row.passed, row.unsupported
                );
                assert_eq!(row.failed, 0, "{what}: {:?}", row.first_failure);
                match row.cipher_suite {
                    Some(suite) if !crypto.supports(Ciphersuite(suite)) => {
                        // Never counted as passed.
                        assert_eq!(row.passed, 0, "{what}");
                        assert!(row.unsupported > 0, "{what}");
                    }
                    _ => {
                        assert_eq!(row.unsupported, 0, "{what} unsupported");
                        assert!(row.passed > 0, "{what} ran no case");
                    }
                }
            }
        }
        assert!(implemented > 0);
    }
}

#[test]
fn libcrux_runs_suites_1_to_3_and_reports_the_others_unsupported() {
    let Some(dir) = dir() else { return };
    let crypto = LibcruxCrypto::new();
    let rows = run_file(&crypto, &crypto, &dir.join("crypto-basics.json")).unwrap();
    let passed: Vec<_> = rows
        .iter()
        .filter(|r| r.passed == 1 && r.failed == 0)
        .filter_map(|r| r.cipher_suite)
        .collect();
    assert_eq!(passed, [1, 2, 3]);
    let unsupported: Vec<_> = rows
        .iter()
        .filter(|r| r.passed == 0 && r.unsupported == 1)
        .filter_map(|r| r.cipher_suite)
        .collect();
    assert_eq!(unsupported, [4, 5, 6, 7]);
}

#[test]
fn foundation_files_cover_every_suite() {
    let Some(dir) = dir() else { return };
    let crypto = RustCrypto::new();
    let rows = run_file(&crypto, &crypto, &dir.join("crypto-basics.json")).unwrap();
    let suites: Vec<_> = rows
        .iter()
        .filter(|r| r.passed == 1)
        .filter_map(|r| r.cipher_suite)
        .collect();
    assert_eq!(suites, [1, 2, 3, 4, 5, 6, 7]);
    let rows = run_file(&crypto, &crypto, &dir.join("tree-math.json")).unwrap();
    assert_eq!((rows[0].passed, rows[0].failed), (10, 0));
    let rows = run_file(&crypto, &crypto, &dir.join("deserialization.json")).unwrap();
    assert_eq!((rows[0].passed, rows[0].failed), (14, 0));
}

#[test]
fn a_failing_case_is_reported_not_passed() {
    let Some(dir) = dir() else { return };
    // Corrupt one expected output and check the runner counts a failure.
    let text = std::fs::read_to_string(dir.join("tree-math.json")).unwrap();
    let mut cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    cases[3]["root"] = serde_json::json!(0);
    let tmp = std::env::temp_dir().join(format!("cohort-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let path = tmp.join("tree-math.json");
    std::fs::write(&path, cases.to_string()).unwrap();
    let crypto = RustCrypto::new();
    let rows = run_file(&crypto, &crypto, &path).unwrap();
    std::fs::remove_dir_all(&tmp).unwrap();
    assert_eq!((rows[0].passed, rows[0].failed), (9, 1));
    assert!(rows[0].first_failure.as_deref().unwrap().contains("root"));
}

#[test]
fn messages_file_passes_and_truncated_messages_fail() {
    let Some(dir) = dir() else { return };
    let crypto = RustCrypto::new();
    let path = dir.join("messages.json");
    let rows = run_file(&crypto, &crypto, &path).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].cipher_suite, rows[0].passed, rows[0].failed),
        (None, 300, 0),
        "{:?}",
        rows[0].first_failure
    );
    // Every strict prefix of the MLSMessages of a few cases is rejected.
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for case in cases.iter().take(10) {
        for name in [
            "mls_welcome",
            "mls_group_info",
            "mls_key_package",
            "public_message_commit",
            "private_message",
        ] {
            let bytes = hex::decode(case[name].as_str().unwrap()).unwrap();
            for cut in 0..bytes.len() {
                assert!(
                    cohort::codec::decode_exact::<cohort::framing::MlsMessage>(&bytes[..cut])
                        .is_err(),
                    "{name}: prefix of {cut} bytes decoded"
                );
            }
        }
    }
}
