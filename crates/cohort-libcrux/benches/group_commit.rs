//! A self-update commit in a group of 1,024 members on each provider:
//! creating it (one member) and processing + merging it (another member),
//! for suite 0x0001 and the post-quantum suite 0x004D.

use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Group, GroupConfig, KeyPackageBuilder, ProcessedMessage};
use cohort::messages::{Credential, Extensions};
use cohort_basic_credential::SignatureKeyPair;
use cohort_libcrux::LibcruxCrypto;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, Crypto, ProviderBundle};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::hint::black_box;

const MEMBERS: usize = 1024;

type P<C> = ProviderBundle<C, SeededRand, MemoryStorage>;

/// Two members (leaf 0, the creator, and leaf 1) of a group of `MEMBERS`.
fn two_members<C: Crypto + Copy>(
    crypto: C,
    suite: Ciphersuite,
) -> (P<C>, [(Group, SignatureKeyPair<C>); 2]) {
    let p = ProviderBundle::new(crypto, SeededRand::from_u64(1), MemoryStorage::new());
    let cs = SuiteCrypto::new(&p.crypto, suite).unwrap();
    let scheme = cs.params().signature;
    let mut signers = Vec::new();
    let mut bundles = Vec::new();
    for i in 0..MEMBERS {
        let s = SignatureKeyPair::generate(crypto, scheme, &p.rand).unwrap();
        bundles.push(
            KeyPackageBuilder::new(Credential::basic(format!("m{i}")))
                .build(&cs, &p.rand, &s)
                .unwrap(),
        );
        signers.push(s);
    }
    let mut creator = Group::create(
        &p,
        &bundles[0],
        b"bench".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let mut builder = creator.commit();
    for b in &bundles[1..] {
        builder = builder.add_member(b.key_package.clone());
    }
    let (out, staged) = creator.create_commit(&p, &signers[0], builder).unwrap();
    creator.merge_staged_commit(staged).unwrap();
    let MlsMessageBody::Welcome(w) = out.welcome.unwrap().body else {
        panic!()
    };
    let second = Group::join(
        &p,
        &w,
        &bundles[1],
        None,
        BTreeMap::new(),
        GroupConfig::default(),
    )
    .unwrap();
    let mut signers = signers.into_iter();
    let s0 = signers.next().unwrap();
    let s1 = signers.next().unwrap();
    (p, [(creator, s0), (second, s1)])
}

fn bench_provider<C: Crypto + Copy>(c: &mut Criterion, name: &str, crypto: C, suite: Ciphersuite) {
    let (p, [(committer, signer), (receiver, _)]) = two_members(crypto, suite);
    let mut g = c.benchmark_group(format!("commit_1024/{name}/0x{:04x}", suite.0));
    g.sample_size(10);
    g.bench_function("create", |b| {
        b.iter_batched(
            || committer.clone(),
            |mut group| {
                black_box(
                    group
                        .create_commit(&p, &signer, group.commit().force_path(true))
                        .unwrap(),
                )
            },
            BatchSize::LargeInput,
        )
    });
    let commit: MlsMessage = {
        let mut group = committer.clone();
        group
            .create_commit(&p, &signer, group.commit().force_path(true))
            .unwrap()
            .0
            .commit
    };
    g.bench_function("process_and_merge", |b| {
        b.iter_batched(
            || receiver.clone(),
            |mut group| match group.process(&p, &commit).unwrap() {
                ProcessedMessage::Commit(staged) => group.merge_staged_commit(*staged).unwrap(),
                _ => unreachable!(),
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    for suite in [Ciphersuite(1), Ciphersuite(0x004d)] {
        bench_provider(c, "rust-crypto", RustCrypto::new(), suite);
        bench_provider(c, "libcrux", LibcruxCrypto, suite);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
