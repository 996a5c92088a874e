//! Writing and loading one member's state (`Group::save_as` /
//! `Group::load_as`) in a SQLite file, for groups of 128, 1,024 and 10,000
//! members (suite 0x0001). Prints each state record's size and the
//! database's size on disk beside the timings.
//!
//! A save is one transaction with `synchronous = FULL` (an fsync per
//! commit in WAL mode), writing every record of the group; a load decodes
//! them and recomputes every tree hash. Beside them, what a member writes
//! per message (`Group::save_changes_as`): reading one writes the sender's
//! ratchet record, sending one writes its own reserved ratchet once every
//! 32 messages.

use cohort::crypto::SuiteCrypto;
use cohort::group::{Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, group_state_key};
use cohort::messages::{Credential, Extensions};
use cohort_basic_credential::SignatureKeyPair;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_sqlite_storage::SqliteStorage;
use cohort_traits::{Ciphersuite, ProviderBundle, RecordKind, Storage};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

type P = ProviderBundle<RustCrypto, SeededRand, SqliteStorage>;
const SUITE: Ciphersuite = Ciphersuite(1);
const SIZES: [usize; 3] = [128, 1024, 10_000];
const CLIENT: &[u8] = b"bench client";

fn db_path(n: usize) -> PathBuf {
    std::env::temp_dir().join(format!(
        "cohort-bench-storage-{}-{n}.db",
        std::process::id()
    ))
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.to_path_buf().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}

fn file_len(path: &Path, suffix: &str) -> u64 {
    let mut name = path.to_path_buf().into_os_string();
    name.push(suffix);
    std::fs::metadata(name).map_or(0, |m| m.len())
}

/// The creator's state of a group of `n` members, made by one commit that
/// adds everyone else, with its signer and the signer of member 1.
fn member_state(
    p: &P,
    n: usize,
) -> (
    Group,
    SignatureKeyPair<RustCrypto>,
    SignatureKeyPair<RustCrypto>,
) {
    let cs = SuiteCrypto::new(&p.crypto, SUITE).unwrap();
    let kp = |i: usize| -> (SignatureKeyPair<RustCrypto>, KeyPackageBundle) {
        let s =
            SignatureKeyPair::generate(RustCrypto::new(), cs.params().signature, &p.rand).unwrap();
        let kp = KeyPackageBuilder::new(Credential::basic(format!("m{i}")))
            .build(&cs, &p.rand, &s)
            .unwrap();
        (s, kp)
    };
    let (signer, own) = kp(0);
    let mut g = Group::create(
        p,
        &own,
        b"bench".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let mut b = g.commit();
    let mut second = None;
    for i in 1..n {
        let (s, kp) = kp(i);
        if i == 1 {
            second = Some(s);
        }
        b = b.add_member(kp.key_package);
    }
    let (_, staged) = g.create_commit(p, &signer, b).unwrap();
    g.merge_staged_commit(staged).unwrap();
    (g, signer, second.unwrap())
}

fn storage(c: &mut Criterion) {
    let mut bench = c.benchmark_group("storage/sqlite");
    bench
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let path = db_path(n);
        remove_db(&path);
        let p: P = ProviderBundle::new(
            RustCrypto::new(),
            SeededRand::from_u64(n as u64),
            SqliteStorage::open(&path).unwrap(),
        );
        let (mut g, own_signer, second) = member_state(&p, n);
        let id = g.group_id().to_vec();
        g.save_as(&p, CLIENT).unwrap();
        g.save_changes_as(&p, CLIENT).unwrap();
        // Every record the save wrote: state, tree, secret tree, ratchets.
        let records: usize = [
            RecordKind::GroupState,
            RecordKind::Tree,
            RecordKind::SecretTree,
            RecordKind::SenderRatchets,
            RecordKind::PastEpoch,
        ]
        .into_iter()
        .flat_map(|kind| {
            let p = &p;
            p.storage
                .list_keys(kind, b"")
                .unwrap()
                .into_iter()
                .map(move |k| p.storage.get(kind, &k).unwrap().unwrap().len())
        })
        .sum();
        let state = p
            .storage
            .get(
                RecordKind::GroupState,
                &group_state_key(CLIENT, &id).unwrap(),
            )
            .unwrap()
            .unwrap()
            .len();
        bench.bench_with_input(BenchmarkId::new("save", n), &n, |b, _| {
            b.iter(|| g.save_as(&p, CLIENT).unwrap())
        });
        bench.bench_with_input(BenchmarkId::new("load", n), &n, |b, _| {
            b.iter(|| black_box(Group::load_as(&p, CLIENT, &id).unwrap().unwrap()))
        });
        // Member 1 sends; the member reads each message and stores it.
        let mut sender = g.impersonate(cohort::tree::math::LeafIndex(1)).unwrap();
        bench.bench_with_input(BenchmarkId::new("read_message_and_store", n), &n, |b, _| {
            b.iter_batched(
                || {
                    sender
                        .encrypt(&p, &second, b"a short message", b"")
                        .unwrap()
                },
                |msg| {
                    g.process(&p, &msg).unwrap();
                    g.save_changes_as(&p, CLIENT).unwrap();
                },
                BatchSize::SmallInput,
            )
        });
        bench.bench_with_input(BenchmarkId::new("send_message_and_store", n), &n, |b, _| {
            b.iter(|| {
                let m = g.encrypt(&p, &own_signer, b"a short message", b"").unwrap();
                g.save_changes_as(&p, CLIENT).unwrap();
                black_box(m)
            })
        });
        let wal = file_len(&path, "-wal");
        // Closing the last connection checkpoints the WAL into the file.
        drop(p);
        println!(
            "storage/sqlite/{n}: records {records} bytes (state record {state}); on disk: \
             database {} bytes after checkpoint (WAL {wal} bytes before)",
            file_len(&path, "") + file_len(&path, "-wal"),
        );
        remove_db(&path);
    }
    bench.finish();
}

criterion_group!(benches, storage);
criterion_main!(benches);
