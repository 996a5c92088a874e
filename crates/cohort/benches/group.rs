//! Group operations at 2 to 10,000 members (suite 0x0001), each beside the
//! cost of its unavoidable cryptography measured in the same run: signature
//! sign/verify, HPKE seal/open and DeriveKeyPair.

use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, ProcessedMessage};
use cohort::messages::{Credential, Extensions, Welcome};
use cohort::tree::math::LeafIndex;
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, Crypto, ProviderBundle, Signer};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::hint::black_box;

type P = ProviderBundle<RustCrypto, SeededRand, MemoryStorage>;
const SUITE: Ciphersuite = Ciphersuite(1);
const SIZES: [usize; 6] = [2, 16, 128, 1024, 4096, 10_000];

fn provider() -> P {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(9),
        MemoryStorage::new(),
    )
}

fn key_packages(p: &P, n: usize) -> Vec<(SignatureKeyPair<RustCrypto>, KeyPackageBundle)> {
    let cs = SuiteCrypto::new(&p.crypto, SUITE).unwrap();
    (0..n)
        .map(|i| {
            let s = SignatureKeyPair::generate(RustCrypto::new(), cs.params().signature, &p.rand)
                .unwrap();
            let kp = KeyPackageBuilder::new(Credential::basic(format!("m{i}")))
                .build(&cs, &p.rand, &s)
                .unwrap();
            (s, kp)
        })
        .collect()
}

/// Creates a group of everyone in `kps` in one commit; returns the creator's
/// group and the Welcome.
fn create(p: &P, kps: &[(SignatureKeyPair<RustCrypto>, KeyPackageBundle)]) -> (Group, Welcome) {
    let (signer, own) = &kps[0];
    let mut g = Group::create(
        p,
        own,
        b"bench".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let mut b = g.commit();
    for (_, kp) in &kps[1..] {
        b = b.add_member(kp.key_package.clone());
    }
    let (out, staged) = g.create_commit(p, signer, b).unwrap();
    g.merge_staged_commit(staged).unwrap();
    let MlsMessageBody::Welcome(w) = out.welcome.unwrap().body else {
        panic!()
    };
    (g, w)
}

fn merge(p: &P, g: &mut Group, msg: &MlsMessage) {
    match g.process(p, msg).unwrap() {
        ProcessedMessage::Commit(s) => g.merge_staged_commit(*s).unwrap(),
        _ => unreachable!(),
    }
}

fn crypto_baseline(c: &mut Criterion) {
    let p = provider();
    let cs = SuiteCrypto::new(&p.crypto, SUITE).unwrap();
    let mut g = c.benchmark_group("unavoidable_crypto/0x0001");
    let kps = key_packages(&p, 1);
    let signer = &kps[0].0;
    let msg = vec![7u8; 1024];
    let sig = signer.sign(&msg).unwrap();
    g.bench_function("sign_1KiB", |b| {
        b.iter(|| black_box(signer.sign(&msg).unwrap()))
    });
    g.bench_function("verify_1KiB", |b| {
        b.iter(|| {
            p.crypto
                .verify(cs.params().signature, signer.public_key(), &msg, &sig)
                .unwrap()
        })
    });
    let (sk, pk) = cs.derive_key_pair(&[3; 32]).unwrap();
    let ct = cs
        .encrypt_with_label(&p.rand, &pk, b"x", b"ctx", &[1; 32])
        .unwrap();
    g.bench_function("hpke_seal", |b| {
        b.iter(|| {
            black_box(
                cs.encrypt_with_label(&p.rand, &pk, b"x", b"ctx", &[1; 32])
                    .unwrap(),
            )
        })
    });
    g.bench_function("hpke_open", |b| {
        b.iter(|| {
            black_box(
                cs.decrypt_with_label(
                    sk.as_bytes(),
                    b"x",
                    b"ctx",
                    ct.kem_output.as_slice(),
                    ct.ciphertext.as_slice(),
                )
                .unwrap(),
            )
        })
    });
    g.bench_function("derive_key_pair", |b| {
        b.iter(|| black_box(cs.derive_key_pair(&[5; 32]).unwrap()))
    });
    g.finish();
}

fn groups(c: &mut Criterion) {
    let p = provider();
    let mut g = c.benchmark_group("group/0x0001");
    g.sample_size(10);
    for n in SIZES {
        let kps = key_packages(&p, n + 1);
        let members = &kps[..n];
        g.bench_with_input(BenchmarkId::new("create_with_adds", n), &n, |b, _| {
            b.iter(|| black_box(create(&p, members)))
        });
        let (creator, welcome) = create(&p, members);
        let joiner = &kps[1].1;
        g.bench_with_input(BenchmarkId::new("join_by_welcome", n), &n, |b, _| {
            b.iter(|| {
                black_box(
                    Group::join(
                        &p,
                        &welcome,
                        joiner,
                        None,
                        BTreeMap::new(),
                        GroupConfig::default(),
                    )
                    .unwrap(),
                )
            })
        });
        let second = Group::join(
            &p,
            &welcome,
            joiner,
            None,
            BTreeMap::new(),
            GroupConfig::default(),
        )
        .unwrap();
        let (s0, s1) = (&kps[0].0, &kps[1].0);

        // Self-update by member 1, processed by the creator.
        g.bench_with_input(BenchmarkId::new("self_update_create", n), &n, |b, _| {
            b.iter_batched(
                || second.clone(),
                |mut m| {
                    black_box(
                        m.create_commit(&p, s1, m.commit().force_path(true))
                            .unwrap(),
                    )
                },
                BatchSize::LargeInput,
            )
        });
        let update = second
            .clone()
            .create_commit(&p, s1, second.commit().force_path(true))
            .unwrap()
            .0
            .commit;
        g.bench_with_input(
            BenchmarkId::new("self_update_process_merge", n),
            &n,
            |b, _| {
                b.iter_batched(
                    || creator.clone(),
                    |mut m| merge(&p, &mut m, &update),
                    BatchSize::LargeInput,
                )
            },
        );

        // Adding one member (commit + Welcome) by the creator.
        let newcomer = kps[n].1.key_package.clone();
        g.bench_with_input(BenchmarkId::new("add_one_create", n), &n, |b, _| {
            b.iter_batched(
                || creator.clone(),
                |mut m| {
                    black_box(
                        m.create_commit(&p, s0, m.commit().add_member(newcomer.clone()))
                            .unwrap(),
                    )
                },
                BatchSize::LargeInput,
            )
        });

        if n > 2 {
            let last = LeafIndex(u32::try_from(n - 1).unwrap());
            g.bench_with_input(BenchmarkId::new("remove_one_create", n), &n, |b, _| {
                b.iter_batched(
                    || creator.clone(),
                    |mut m| {
                        black_box(
                            m.create_commit(&p, s0, m.commit().remove_member(last))
                                .unwrap(),
                        )
                    },
                    BatchSize::LargeInput,
                )
            });
            let remove = creator
                .clone()
                .create_commit(&p, s0, creator.commit().remove_member(last))
                .unwrap()
                .0
                .commit;
            g.bench_with_input(
                BenchmarkId::new("remove_one_process_merge", n),
                &n,
                |b, _| {
                    b.iter_batched(
                        || second.clone(),
                        |mut m| merge(&p, &mut m, &remove),
                        BatchSize::LargeInput,
                    )
                },
            );
        }

        // A 1 KiB application message.
        let data = vec![0x42u8; 1024];
        let mut sender = second.clone();
        g.bench_with_input(BenchmarkId::new("app_message_encrypt", n), &n, |b, _| {
            b.iter(|| black_box(sender.encrypt(&p, s1, &data, b"").unwrap()))
        });
        let mut sender = second.clone();
        let mut receiver = creator.clone();
        g.bench_with_input(BenchmarkId::new("app_message_decrypt", n), &n, |b, _| {
            b.iter_batched(
                || sender.encrypt(&p, s1, &data, b"").unwrap(),
                |msg| black_box(receiver.process(&p, &msg).unwrap()),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, crypto_baseline, groups);
criterion_main!(benches);
