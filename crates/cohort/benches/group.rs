//! Group operations at 2 to 10,000 members (suite 0x0001), each beside the
//! cost of its unavoidable cryptography measured in the same run: signature
//! sign/verify, HPKE seal/open and DeriveKeyPair.
//!
//! Two kinds of groups: `group/` right after creation (one commit adding
//! everyone, so only the creator's path is set and the tree is as sparse as
//! MLS trees get), and `group_steady/` after every other member has
//! committed once, so every parent node is set and a path holds about
//! log2(N) ciphertexts. For the steady state the benchmark prints how many
//! public-key operations each measured operation performs (counted by a
//! wrapper around the provider), to set beside the `unavoidable_crypto/`
//! figures.

use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, ProcessedMessage};
use cohort::messages::LeafNode;
use cohort::messages::{Credential, Extensions, Welcome};
use cohort::tree::math::LeafIndex;
use cohort::tree::{TreeView, verify_leaf_signature};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};

use cohort_traits::{
    AeadId, Ciphersuite, Crypto, CryptoError, HashAlgorithm, KdfId, KemId, KemOutput,
    PreparedSigningKey, ProviderBundle, Rand, Secret, SignatureScheme, Signer,
};
use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main,
};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

type P = ProviderBundle<Counting, SeededRand, MemoryStorage>;
type Kp = SignatureKeyPair<Counting>;
const SUITE: Ciphersuite = Ciphersuite(1);
const SIZES: [usize; 6] = [2, 16, 128, 1024, 4096, 10_000];

/// How many public-key operations a provider performed.
#[derive(Default, Debug)]
struct Counts {
    sign: AtomicU64,
    verify: AtomicU64,
    encap: AtomicU64,
    decap: AtomicU64,
    derive: AtomicU64,
    signed_bytes: AtomicU64,
}

impl Counts {
    fn count_sign(&self, message: &[u8]) {
        Counting::bump(&self.sign);
        self.signed_bytes
            .fetch_add(message.len() as u64, Ordering::Relaxed);
    }
}

/// A prepared signing key whose signatures are counted.
struct CountingKey {
    inner: Arc<dyn PreparedSigningKey>,
    counts: Arc<Counts>,
}

impl PreparedSigningKey for CountingKey {
    fn scheme(&self) -> SignatureScheme {
        self.inner.scheme()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.counts.count_sign(message);
        self.inner.sign(message)
    }
}

/// RustCrypto, counting its public-key operations.
#[derive(Clone, Default)]
struct Counting {
    inner: RustCrypto,
    counts: Arc<Counts>,
}

impl Counting {
    fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    fn reset(&self) {
        for c in self.all() {
            c.store(0, Ordering::Relaxed);
        }
        self.counts.signed_bytes.store(0, Ordering::Relaxed);
    }

    fn all(&self) -> [&AtomicU64; 5] {
        let c = &self.counts;
        [&c.sign, &c.verify, &c.encap, &c.decap, &c.derive]
    }

    fn summary(&self) -> String {
        let [s, v, e, d, k] = self.all().map(|c| c.load(Ordering::Relaxed));
        let b = self.counts.signed_bytes.load(Ordering::Relaxed);
        format!(
            "sign {s} ({b} B signed), verify {v}, HPKE seal {e}, HPKE open {d}, DeriveKeyPair {k}"
        )
    }
}

impl Crypto for Counting {
    fn supports(&self, suite: Ciphersuite) -> bool {
        self.inner.supports(suite)
    }
    fn supported_ciphersuites(&self) -> Vec<Ciphersuite> {
        self.inner.supported_ciphersuites()
    }
    fn hash(&self, alg: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.inner.hash(alg, data)
    }
    fn hmac(&self, alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Result<Secret, CryptoError> {
        self.inner.hmac(alg, key, data)
    }
    fn hkdf_extract(&self, kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        self.inner.hkdf_extract(kdf, salt, ikm)
    }
    fn hkdf_expand(
        &self,
        kdf: KdfId,
        prk: &[u8],
        info: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError> {
        self.inner.hkdf_expand(kdf, prk, info, len)
    }
    fn aead_seal(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.inner.aead_seal(aead, key, nonce, aad, plaintext)
    }
    fn aead_open(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError> {
        self.inner.aead_open(aead, key, nonce, aad, ciphertext)
    }
    fn kem_derive_key_pair(
        &self,
        kem: KemId,
        ikm: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        Self::bump(&self.counts.derive);
        self.inner.kem_derive_key_pair(kem, ikm)
    }
    fn kem_public_key(&self, kem: KemId, private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.inner.kem_public_key(kem, private_key)
    }
    fn kem_encap(
        &self,
        kem: KemId,
        public_key: &[u8],
        randomness: &[u8],
    ) -> Result<KemOutput, CryptoError> {
        Self::bump(&self.counts.encap);
        self.inner.kem_encap(kem, public_key, randomness)
    }
    fn kem_decap(&self, kem: KemId, enc: &[u8], private_key: &[u8]) -> Result<Secret, CryptoError> {
        Self::bump(&self.counts.decap);
        self.inner.kem_decap(kem, enc, private_key)
    }
    fn kem_decap_with_public_key(
        &self,
        kem: KemId,
        enc: &[u8],
        private_key: &[u8],
        public_key: &[u8],
    ) -> Result<Secret, CryptoError> {
        Self::bump(&self.counts.decap);
        self.inner
            .kem_decap_with_public_key(kem, enc, private_key, public_key)
    }
    fn signature_key_generate(
        &self,
        scheme: SignatureScheme,
        rand: &dyn Rand,
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.inner.signature_key_generate(scheme, rand)
    }
    fn signature_public_key(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.inner.signature_public_key(scheme, private_key)
    }
    fn sign(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.counts.count_sign(message);
        self.inner.sign(scheme, private_key, message)
    }
    fn prepare_signing_key(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
    ) -> Result<Option<Arc<dyn PreparedSigningKey>>, CryptoError> {
        let inner = self.inner.prepare_signing_key(scheme, private_key)?;
        Ok(inner.map(|inner| {
            Arc::new(CountingKey {
                inner,
                counts: self.counts.clone(),
            }) as Arc<dyn PreparedSigningKey>
        }))
    }
    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        Self::bump(&self.counts.verify);
        self.inner.verify(scheme, public_key, message, signature)
    }
}

/// The group sizes to measure: `SIZES`, or the comma-separated list in
/// `COHORT_BENCH_SIZES` for a quicker run.
fn sizes() -> Vec<usize> {
    match std::env::var("COHORT_BENCH_SIZES") {
        Ok(list) => list
            .split(',')
            .filter_map(|v| v.trim().parse().ok())
            .collect(),
        Err(_) => SIZES.to_vec(),
    }
}

fn provider() -> P {
    ProviderBundle::new(
        Counting::default(),
        SeededRand::from_u64(9),
        MemoryStorage::new(),
    )
}

fn key_packages(p: &P, n: usize) -> Vec<(Kp, KeyPackageBundle)> {
    let cs = SuiteCrypto::new(&p.crypto, SUITE).unwrap();
    (0..n)
        .map(|i| {
            let s = SignatureKeyPair::generate(p.crypto.clone(), cs.params().signature, &p.rand)
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
fn create(p: &P, kps: &[(Kp, KeyPackageBundle)]) -> (Group, Welcome) {
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
    let big = vec![7u8; 1 << 20];
    g.bench_function("sign_1MiB", |b| {
        b.iter(|| black_box(signer.sign(&big).unwrap()))
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
                cs.decrypt_with_label_for(
                    sk.as_bytes(),
                    Some(&pk),
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
    for n in sizes() {
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
        // The join's unavoidable part, measured alone: every leaf signature
        // of the tree (on one core, and on all cores with `parallel`).
        let cs = SuiteCrypto::new(&p.crypto, SUITE).unwrap();
        let leaves: Vec<(LeafIndex, &LeafNode)> = (0..creator.tree().n_leaves())
            .map(LeafIndex)
            .filter_map(|l| creator.tree().leaf(l).map(|n| (l, n)))
            .collect();
        let gid = creator.group_id();
        g.bench_with_input(BenchmarkId::new("verify_leaf_signatures", n), &n, |b, _| {
            b.iter(|| {
                for (l, leaf) in &leaves {
                    verify_leaf_signature(&cs, leaf, gid, *l).unwrap();
                }
            })
        });
        #[cfg(feature = "parallel")]
        g.bench_with_input(
            BenchmarkId::new("verify_leaf_signatures_parallel", n),
            &n,
            |b, _| {
                use rayon::prelude::*;
                b.iter(|| {
                    leaves.par_iter().for_each(|(l, leaf)| {
                        verify_leaf_signature(&cs, leaf, gid, *l).unwrap();
                    })
                })
            },
        );
        let second = Group::join(
            &p,
            &welcome,
            joiner,
            None,
            BTreeMap::new(),
            GroupConfig::default(),
        )
        .unwrap();
        commit_ops(&mut g, &p, &kps, &creator, &second, "group");
        let s1 = &kps[1].0;

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

/// Self-update, add-one and remove-one commits in a group of `kps.len() - 1`
/// members (the last KeyPackage is the newcomer): each created by one
/// member and processed + merged by the other (members 0 and 1). The
/// public-key operations of each are printed once, to set beside the
/// `unavoidable_crypto/` figures.
fn commit_ops(
    g: &mut BenchmarkGroup<'_, WallTime>,
    p: &P,
    kps: &[(Kp, KeyPackageBundle)],
    creator: &Group,
    second: &Group,
    kind: &str,
) {
    let n = kps.len() - 1;
    let (s0, s1) = (&kps[0].0, &kps[1].0);

    // Self-update by member 1, processed by the creator (whose common
    // ancestor with member 1 is the lowest: the most derivations).
    let update = count_ops(p, &format!("{kind}/self_update_create"), n, || {
        let mut m = second.clone();
        let b = m.commit().force_path(true);
        m.create_commit(p, s1, b).unwrap().0.commit
    });
    g.bench_with_input(BenchmarkId::new("self_update_create", n), &n, |b, _| {
        b.iter_batched(
            || second.clone(),
            |mut m| {
                let builder = m.commit().force_path(true);
                let out = m.create_commit(p, s1, builder).unwrap();
                (m, out)
            },
            BatchSize::LargeInput,
        )
    });
    count_ops(p, &format!("{kind}/self_update_process_merge"), n, || {
        merge(p, &mut creator.clone(), &update)
    });
    g.bench_with_input(
        BenchmarkId::new("self_update_process_merge", n),
        &n,
        |b, _| {
            b.iter_batched(
                || creator.clone(),
                |mut m| {
                    merge(p, &mut m, &update);
                    m
                },
                BatchSize::LargeInput,
            )
        },
    );

    // Adding one member (commit + Welcome) by the creator; member 1
    // processes it.
    let newcomer = kps[n].1.key_package.clone();
    let add = count_ops(p, &format!("{kind}/add_one_create"), n, || {
        let mut m = creator.clone();
        let b = m.commit().add_member(newcomer.clone());
        m.create_commit(p, s0, b).unwrap().0.commit
    });
    g.bench_with_input(BenchmarkId::new("add_one_create", n), &n, |b, _| {
        b.iter_batched(
            || creator.clone(),
            |mut m| {
                let builder = m.commit().add_member(newcomer.clone());
                let out = m.create_commit(p, s0, builder).unwrap();
                (m, out)
            },
            BatchSize::LargeInput,
        )
    });
    count_ops(p, &format!("{kind}/add_one_process_merge"), n, || {
        merge(p, &mut second.clone(), &add)
    });
    g.bench_with_input(BenchmarkId::new("add_one_process_merge", n), &n, |b, _| {
        b.iter_batched(
            || second.clone(),
            |mut m| {
                merge(p, &mut m, &add);
                m
            },
            BatchSize::LargeInput,
        )
    });

    // Removing the last member, by the creator; member 1 processes it.
    if n > 2 {
        let last = LeafIndex(u32::try_from(n - 1).unwrap());
        let remove = count_ops(p, &format!("{kind}/remove_one_create"), n, || {
            let mut m = creator.clone();
            let b = m.commit().remove_member(last);
            m.create_commit(p, s0, b).unwrap().0.commit
        });
        g.bench_with_input(BenchmarkId::new("remove_one_create", n), &n, |b, _| {
            b.iter_batched(
                || creator.clone(),
                |mut m| {
                    let builder = m.commit().remove_member(last);
                    let out = m.create_commit(p, s0, builder).unwrap();
                    (m, out)
                },
                BatchSize::LargeInput,
            )
        });
        count_ops(p, &format!("{kind}/remove_one_process_merge"), n, || {
            merge(p, &mut second.clone(), &remove)
        });
        g.bench_with_input(
            BenchmarkId::new("remove_one_process_merge", n),
            &n,
            |b, _| {
                b.iter_batched(
                    || second.clone(),
                    |mut m| {
                        merge(p, &mut m, &remove);
                        m
                    },
                    BatchSize::LargeInput,
                )
            },
        );
    }
}

/// The even leaves other than 0, in an order that keeps every path
/// encryption small: all multiples of W/2, then of W/4, and so on (W the
/// tree width), so a committer's copath nodes are already set except within
/// its own, still untouched, subtree.
fn steady_order(n: usize) -> Vec<usize> {
    let width = n.next_power_of_two();
    let mut order = Vec::new();
    let mut step = width / 2;
    while step >= 2 {
        order.extend((step..n).step_by(2 * step));
        step /= 2;
    }
    order
}

/// A group of everyone in `kps` in steady state: created by member 0, then
/// every even member commits a self-update (through an impersonating view,
/// so only two real member states are kept: members 0 and 1, returned).
fn steady_group(p: &P, kps: &[(Kp, KeyPackageBundle)]) -> (Group, Group) {
    let (mut creator, welcome) = create(p, kps);
    let mut second = Group::join(
        p,
        &welcome,
        &kps[1].1,
        None,
        BTreeMap::new(),
        GroupConfig::default(),
    )
    .unwrap();
    for leaf in steady_order(kps.len()) {
        let mut view = second
            .impersonate(LeafIndex(u32::try_from(leaf).unwrap()))
            .unwrap();
        let builder = view.commit().force_path(true);
        let (out, _) = view.create_commit(p, &kps[leaf].0, builder).unwrap();
        merge(p, &mut creator, &out.commit);
        merge(p, &mut second, &out.commit);
    }
    assert_eq!(creator.epoch_authenticator(), second.epoch_authenticator());
    (creator, second)
}

/// Runs `op` once with the counters reset and prints what it performed.
fn count_ops<T>(p: &P, label: &str, n: usize, op: impl FnOnce() -> T) -> T {
    p.crypto.reset();
    let out = op();
    eprintln!("ops {label}/{n}: {}", p.crypto.summary());
    out
}

fn steady(c: &mut Criterion) {
    // `COHORT_BENCH_STEADY=0` skips the steady-state groups (their set-up
    // runs whatever criterion's filter says).
    if std::env::var("COHORT_BENCH_STEADY").is_ok_and(|v| v == "0") {
        return;
    }
    let p = provider();
    let mut g = c.benchmark_group("group_steady/0x0001");
    g.sample_size(10);
    for n in sizes() {
        let kps = key_packages(&p, n + 1);
        let members = &kps[..n];
        let (creator, second) = steady_group(&p, members);
        commit_ops(&mut g, &p, &kps, &creator, &second, "group_steady");
    }
    g.finish();
}

criterion_group!(benches, crypto_baseline, groups, steady);
criterion_main!(benches);
