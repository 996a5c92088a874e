//! Hostile input: about 1 MB of each kind of input an outsider (or a
//! member) can send that once cost seconds or gigabytes, fed to the entry
//! point that receives it, and refused. For each the benchmark measures the
//! time to refusal (criterion) and the peak heap the refusal allocates
//! beyond the input itself (a counting allocator), and prints a table:
//!
//! ```text
//! cargo bench -p cohort --bench hostile
//! ```
//!
//! Rows marked "limits at maximum" raise every configured limit to the top
//! of its range, to show the cost of the validation itself rather than of
//! the limit that refuses the input first.

use cohort::codec::{VarBytes, VarVec, decode_exact, encode};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{
    ExternalJoinOptions, Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, Limits,
    validate_key_package,
};
use cohort::messages::{
    Capabilities, Credential, CredentialType, Extension, ExtensionType, Extensions, GroupInfo,
    GroupSecrets, KeyPackage, LeafNode, LeafNodeSource, Lifetime, Node, ParentNode, Proposal,
    ProtocolVersion, RatchetTreeExtension, RequiredCapabilities, Welcome,
};
use cohort::tree::{LeafPolicy, RatchetTree};
use cohort::{Error, schedule};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, ProviderBundle, Secret};
use criterion::Criterion;
use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use std::alloc::System;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The system allocator, with the peak of the bytes allocated since a
/// reset.
#[global_allocator]
static ALLOCATOR: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

type P = ProviderBundle<RustCrypto, SeededRand, MemoryStorage>;
type Keys = SignatureKeyPair<RustCrypto>;
const SUITE: Ciphersuite = Ciphersuite(1);
const MB: usize = 1 << 20;

fn provider(seed: u64) -> P {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(seed),
        MemoryStorage::new(),
    )
}

fn cs(p: &P) -> SuiteCrypto<'_, RustCrypto> {
    SuiteCrypto::new(&p.crypto, SUITE).unwrap()
}

fn client(p: &P, name: &str) -> (Keys, KeyPackageBundle) {
    let keys =
        SignatureKeyPair::generate(RustCrypto::new(), cs(p).params().signature, &p.rand).unwrap();
    let kp = KeyPackageBuilder::new(Credential::basic(name))
        .build(&cs(p), &p.rand, &keys)
        .unwrap();
    (keys, kp)
}

/// A two-member group: alice (who signs GroupInfos) and bob.
struct Fixture {
    p: P,
    alice: Group,
    alice_keys: Keys,
    /// Alice's GroupInfo with the tree and `external_pub`.
    group_info: GroupInfo,
    /// A newcomer who joins by external commit or Welcome.
    carol_keys: Keys,
    carol: KeyPackageBundle,
}

fn fixture() -> Fixture {
    let p = provider(1);
    let (alice_keys, alice_kp) = client(&p, "alice");
    let mut alice = Group::create(
        &p,
        &alice_kp,
        b"hostile".to_vec(),
        Extensions::new(),
        GroupConfig::default(),
    )
    .unwrap();
    let (_, bob_kp) = client(&p, "bob");
    let b = alice.commit().add_member(bob_kp.key_package);
    let (_, staged) = alice.create_commit(&p, &alice_keys, b).unwrap();
    alice.merge_staged_commit(staged).unwrap();
    let group_info = match alice.group_info(&p, &alice_keys, true).unwrap().body {
        MlsMessageBody::GroupInfo(gi) => gi,
        _ => unreachable!(),
    };
    let (carol_keys, carol) = client(&p, "carol");
    Fixture {
        p,
        alice,
        alice_keys,
        group_info,
        carol_keys,
        carol,
    }
}

impl Fixture {
    /// `gi` signed again by alice.
    fn resign(&self, mut gi: GroupInfo) -> GroupInfo {
        schedule::sign_group_info(&cs(&self.p), &self.alice_keys, &mut gi).unwrap();
        gi
    }

    /// The GroupInfo with its `ratchet_tree` extension replaced by `tree`
    /// (encoded extension content) and the context's tree hash by `hash`.
    fn with_tree(&self, tree: Vec<u8>, hash: Option<Vec<u8>>) -> GroupInfo {
        let mut gi = self.group_info.clone();
        for e in &mut gi.extensions.0 {
            if e.extension_type == ExtensionType::RATCHET_TREE {
                e.extension_data = VarBytes(tree.clone());
            }
        }
        if let Some(h) = hash {
            gi.group_context.tree_hash = VarBytes(h);
        }
        self.resign(gi)
    }

    fn join_external(&self, gi: &GroupInfo, config: GroupConfig) -> Error {
        Group::join_external(
            &self.p,
            &self.carol_keys,
            gi,
            None,
            &self.carol,
            config,
            None,
        )
        .map(|_| ())
        .unwrap_err()
    }

    /// A Welcome for carol (sealed to her KeyPackage, as anyone holding it
    /// can) whose GroupInfo is `gi`.
    fn welcome(&self, gi: &GroupInfo) -> Welcome {
        let cs = cs(&self.p);
        let joiner = Secret::new(vec![7; 32]);
        let no_psk = schedule::psk_secret(&cs, &[]).unwrap();
        let welcome_secret = schedule::JoinerSecret::from_secret(joiner.clone())
            .welcome_secret(&cs, no_psk.as_bytes())
            .unwrap();
        let egi = schedule::encrypt_group_info(&cs, &welcome_secret, gi).unwrap();
        let prepared = schedule::prepare_group_secrets(&cs, &egi).unwrap();
        let secrets = GroupSecrets {
            joiner_secret: cohort::codec::SecretVarBytes(joiner),
            path_secret: None,
            psks: VarVec(vec![]),
        };
        let kp_ref = cohort::group::key_package_ref(&cs, &self.carol.key_package).unwrap();
        let entry = schedule::encrypt_group_secrets(
            &cs,
            &self.p.rand,
            &prepared,
            kp_ref.into(),
            self.carol.key_package.init_key.as_slice(),
            &secrets,
        )
        .unwrap();
        Welcome {
            cipher_suite: SUITE,
            secrets: VarVec(vec![entry]),
            encrypted_group_info: egi.into(),
        }
    }
}

/// Every limit at the top of its range.
fn max_limits() -> GroupConfig {
    GroupConfig::default().with_limits(Limits {
        max_leaves: Limits::MAX_LEAVES_CEILING,
        max_message_size: 1 << 30,
        max_extensions_per_leaf: u16::MAX as usize,
        max_proposals_per_commit: 1 << 24,
        max_cached_proposals: 1 << 20,
    })
}

/// The `ratchet_tree` extension content: alice's leaf, `blanks` blank
/// nodes, and a last leaf (a tree must end in one).
fn blank_tree(f: &Fixture, blanks: usize) -> Vec<u8> {
    let alice_leaf = f.alice.tree().to_nodes()[0].clone().unwrap();
    let mut body = Vec::new();
    body.push(1);
    body.extend_from_slice(&encode(&alice_leaf).unwrap());
    // A blank after the first leaf, then an even count so that the last
    // node lands on a leaf position.
    let blanks = blanks | 1;
    body.extend(std::iter::repeat_n(0u8, blanks));
    body.push(1);
    body.extend_from_slice(&encode(&alice_leaf).unwrap());
    let mut out = Vec::new();
    cohort::codec::write_opaque(&body, &mut out).unwrap();
    out
}

/// A leaf with fresh-looking keys `i` that passes every check short of its
/// signature.
fn crafted_leaf(i: u32) -> LeafNode {
    let key = |tag: u8| {
        let mut k = vec![tag; 32];
        k[..4].copy_from_slice(&i.to_be_bytes());
        VarBytes(k)
    };
    LeafNode {
        encryption_key: key(0xe0),
        signature_key: key(0x51),
        credential: Credential::basic("x"),
        capabilities: Capabilities {
            versions: VarVec(vec![ProtocolVersion::MLS10]),
            cipher_suites: VarVec(vec![SUITE]),
            extensions: VarVec(vec![]),
            proposals: VarVec(vec![]),
            credentials: VarVec(vec![CredentialType::BASIC]),
        },
        leaf_node_source: LeafNodeSource::KeyPackage(Lifetime {
            not_before: 0,
            not_after: u64::MAX,
        }),
        extensions: Extensions::new(),
        signature: VarBytes(vec![0x5a; 64]),
    }
}

/// A tree of about `bytes` bytes: alice's leaf and crafted leaves at every
/// leaf position, a non-blank root, every other parent blank. Every leaf's
/// lowest non-blank ancestor is the root, the shape that made validation
/// quadratic (one resolution of half the tree per leaf).
fn crafted_tree(f: &Fixture, bytes: usize) -> (Vec<u8>, Vec<u8>) {
    let per_leaf = encode(&crafted_leaf(0)).unwrap().len() + 2;
    let leaves = (bytes / per_leaf).next_power_of_two() as u32;
    let width = 2 * leaves - 1;
    let root = leaves - 1;
    let alice_leaf = f.alice.tree().to_nodes()[0].clone().unwrap();
    let nodes: Vec<Option<Node>> = (0..width)
        .map(|i| {
            if i == 0 {
                Some(alice_leaf.clone())
            } else if i % 2 == 0 {
                Some(Node::Leaf(crafted_leaf(i / 2)))
            } else if i == root {
                Some(Node::Parent(ParentNode {
                    encryption_key: VarBytes(vec![0xaa; 32]),
                    parent_hash: VarBytes(vec![]),
                    unmerged_leaves: VarVec(vec![]),
                }))
            } else {
                None
            }
        })
        .collect();
    let hash = RatchetTree::from_nodes(&cs(&f.p), nodes.clone())
        .unwrap()
        .tree_hash()
        .to_vec();
    (encode(&RatchetTreeExtension(VarVec(nodes))).unwrap(), hash)
}

/// One hostile input: its name, size, the operation that refuses it, and
/// how the refusal must look.
struct Case {
    name: &'static str,
    size: usize,
    run: Box<dyn Fn() -> Error>,
    expect: fn(&Error) -> bool,
}

fn cases(f: &'static Fixture) -> Vec<Case> {
    let mut out = Vec::new();

    // A mostly blank tree, external join and Welcome.
    let gi = f.with_tree(blank_tree(f, MB), None);
    let size = encode(&gi).unwrap().len();
    let g = gi.clone();
    out.push(Case {
        name: "blank tree, GroupInfo (external join)",
        size,
        run: Box::new(move || f.join_external(&g, GroupConfig::default())),
        expect: |e| matches!(e, Error::Limit(cohort::LimitError::TooManyLeaves { .. })),
    });
    let g = gi.clone();
    out.push(Case {
        name: "blank tree, GroupInfo (external join), limits at maximum",
        size,
        run: Box::new(move || f.join_external(&g, max_limits())),
        expect: |e| {
            matches!(
                e,
                Error::Validation(cohort::ValidationError::TreeHashMismatch)
            )
        },
    });
    let welcome = f.welcome(&gi);
    let size = encode(&welcome).unwrap().len();
    out.push(Case {
        name: "blank tree, Welcome",
        size,
        run: Box::new(move || {
            Group::join(
                &f.p,
                &welcome,
                &f.carol,
                None,
                BTreeMap::new(),
                GroupConfig::default(),
            )
            .map(|_| ())
            .unwrap_err()
        }),
        expect: |e| matches!(e, Error::Limit(cohort::LimitError::TooManyLeaves { .. })),
    });

    // A KeyPackage with many extensions (listed in its capabilities).
    let kp_with = |n: usize, distinct: bool| -> KeyPackage {
        let mut kp = f.carol.key_package.clone();
        let t = |i: usize| ExtensionType(0x1000 + (if distinct { i } else { i % 4096 }) as u16);
        kp.leaf_node.extensions = Extensions(
            (0..n)
                .map(|i| Extension {
                    extension_type: t(i),
                    extension_data: VarBytes(vec![]),
                })
                .collect(),
        );
        kp.leaf_node.capabilities.extensions = VarVec((0..n).map(t).collect());
        kp
    };
    // KeyPackages are timed from their bytes: decoding, then validation.
    let bytes = encode(&kp_with(MB / 5, false)).unwrap();
    let size = bytes.len();
    out.push(Case {
        name: "KeyPackage with many extensions",
        size,
        run: Box::new(move || {
            let kp: KeyPackage = decode_exact(&bytes).unwrap();
            validate_key_package(&cs(&f.p), &kp, &LeafPolicy::default()).unwrap_err()
        }),
        expect: |e| {
            matches!(
                e,
                Error::Limit(cohort::LimitError::TooManyExtensions { .. })
            )
        },
    });
    // At the limit's maximum: 65,535 distinct extensions, then 1 MB of
    // capabilities; refused for its (unchecked) signature after the
    // extension checks.
    let mut kp = kp_with(u16::MAX as usize - 0x1000, true);
    kp.leaf_node.capabilities.proposals = VarVec(
        (0..MB / 4)
            .map(|i| cohort::messages::ProposalType(0x8000 + (i % 0x7000) as u16))
            .collect(),
    );
    let bytes = encode(&kp).unwrap();
    let size = bytes.len();
    out.push(Case {
        name: "KeyPackage with many extensions, limits at maximum",
        size,
        run: Box::new(move || {
            let kp: KeyPackage = decode_exact(&bytes).unwrap();
            let policy = LeafPolicy {
                max_extensions: u16::MAX as usize,
                ..LeafPolicy::default()
            };
            validate_key_package(&cs(&f.p), &kp, &policy).unwrap_err()
        }),
        expect: |e| {
            matches!(
                e,
                Error::Validation(cohort::ValidationError::LeafSignatureInvalid { .. })
            )
        },
    });

    // A GroupInfo requiring many capabilities the members lack.
    let mut gi = f.group_info.clone();
    let required = RequiredCapabilities {
        extension_types: VarVec(
            (0..MB / 2)
                .map(|i| ExtensionType(0x0100 + (i % 0xfe00) as u16))
                .collect(),
        ),
        proposal_types: VarVec(vec![]),
        credential_types: VarVec(vec![]),
    };
    gi.group_context.extensions.push(&required).unwrap();
    let gi = f.resign(gi);
    let size = encode(&gi).unwrap().len();
    out.push(Case {
        name: "GroupInfo with huge required_capabilities (external join)",
        size,
        run: Box::new(move || f.join_external(&gi, GroupConfig::default())),
        expect: |e| {
            matches!(
                e,
                Error::Validation(cohort::ValidationError::LeafLacksRequiredCapabilities)
            )
        },
    });

    // A crafted tree (quadratic for the old validation), then the same
    // tree under a bad GroupInfo signature (refused before the tree's
    // leaf signatures).
    let (tree, hash) = crafted_tree(f, MB);
    let gi = f.with_tree(tree, Some(hash));
    let size = encode(&gi).unwrap().len();
    let g = gi.clone();
    out.push(Case {
        name: "crafted tree, every leaf under one parent (external join)",
        size,
        run: Box::new(move || f.join_external(&g, GroupConfig::default())),
        expect: |e| {
            matches!(
                e,
                Error::Validation(cohort::ValidationError::ParentHashMismatch)
            )
        },
    });
    let mut bad = gi;
    bad.signature.0[0] ^= 1;
    out.push(Case {
        name: "crafted tree, bad GroupInfo signature (external join)",
        size,
        run: Box::new(move || f.join_external(&bad, GroupConfig::default())),
        expect: |e| {
            matches!(
                e,
                Error::Validation(cohort::ValidationError::InvalidSignature)
            )
        },
    });

    // An external commit with many PreSharedKey proposals, processed by a
    // member who holds none of the PSKs.
    let psks = MB / 48;
    let mut options = ExternalJoinOptions::new();
    for i in 0..psks {
        options = options.external_psk((i as u32).to_be_bytes().to_vec(), Secret::new(vec![1; 32]));
    }
    let (_, commit) = Group::join_external_with(
        &f.p,
        &f.carol_keys,
        &f.group_info,
        None,
        &f.carol,
        GroupConfig::default(),
        options,
    )
    .unwrap();
    let size = encode(&commit).unwrap().len();
    out.push(Case {
        name: "external commit with many PreSharedKey proposals",
        size,
        run: Box::new(move || {
            let mut g = f.alice.clone();
            g.process(&f.p, &commit).map(|_| ()).unwrap_err()
        }),
        expect: |e| matches!(e, Error::Validation(cohort::ValidationError::PskNotFound)),
    });

    // Proposals beyond the cache's limit: one more when it is full.
    let mut receiver = f.alice.forge_as(cohort::tree::math::LeafIndex(1));
    let limit = receiver.config().limits.max_cached_proposals;
    let mut last = None;
    for i in 0..=limit {
        let psk = cohort::messages::PreSharedKeyId {
            psk: cohort::messages::Psk::External {
                psk_id: VarBytes((i as u32).to_be_bytes().to_vec()),
            },
            psk_nonce: VarBytes(vec![3; 32]),
        };
        // A fresh sender each time: its own cache has the same limit.
        let mut sender = f.alice.forge_as(cohort::tree::math::LeafIndex(0));
        let m = sender
            .propose(
                &f.p,
                &f.alice_keys,
                Proposal::PreSharedKey(cohort::messages::PreSharedKey { psk }),
            )
            .unwrap();
        if i < limit {
            let _ = receiver.process(&f.p, &m);
        }
        last = Some(m);
    }
    let last: MlsMessage = last.unwrap();
    // Refusing changes nothing, so one group serves every run.
    let full = Mutex::new(receiver);
    out.push(Case {
        name: "one proposal more than the cache holds",
        size: encode(&last).unwrap().len(),
        run: Box::new(move || {
            let mut g = full.lock().unwrap();
            g.process(&f.p, &last).map(|_| ()).unwrap_err()
        }),
        expect: |e| {
            matches!(
                e,
                Error::Limit(cohort::LimitError::ProposalCacheFull { .. })
            )
        },
    });
    out
}

/// A byte count in MB, or in KB below 0.1 MB.
fn human(bytes: usize) -> String {
    if bytes < MB / 10 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.2} MB", bytes as f64 / MB as f64)
    }
}

/// Per case: the sample means criterion measured.
static SAMPLES: Mutex<BTreeMap<&'static str, Vec<f64>>> = Mutex::new(BTreeMap::new());

fn main() {
    let f: &'static Fixture = Box::leak(Box::new(fixture()));
    let cases = cases(f);
    let mut rows = Vec::new();
    for case in &cases {
        let err = (case.run)();
        assert!((case.expect)(&err), "{}: refused with {err:?}", case.name);
        // Peak heap of one refusal beyond what was live before it.
        ALLOCATOR.reset_peak_memory();
        black_box((case.run)());
        let peak = ALLOCATOR.get_peak_memory();
        rows.push((case.name, case.size, err, peak));
    }
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    {
        let mut group = c.benchmark_group("hostile");
        for case in &cases {
            group.bench_function(case.name, |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box((case.run)());
                    }
                    let t = start.elapsed();
                    SAMPLES
                        .lock()
                        .unwrap()
                        .entry(case.name)
                        .or_default()
                        .push(t.as_secs_f64() / iters as f64);
                    t
                })
            });
        }
        group.finish();
    }
    c.final_summary();
    println!("\n| hostile input | size | refused with | time (median) | peak heap | heap / size |");
    println!("|---|---|---|---|---|---|");
    let samples = SAMPLES.lock().unwrap();
    for (name, size, err, peak) in rows {
        let median = samples.get(name).map(|v| {
            let mut v = v.clone();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        });
        let time = median.map_or("-".to_string(), |m| {
            if m < 1e-6 {
                format!("{:.0} ns", m * 1e9)
            } else if m < 1e-3 {
                format!("{:.1} µs", m * 1e6)
            } else {
                format!("{:.2} ms", m * 1e3)
            }
        });
        // The error's variant: `Limit(TooManyLeaves { .. })` -> TooManyLeaves.
        let debug = format!("{err:?}");
        let inner = debug.split_once('(').map_or(debug.as_str(), |(_, r)| r);
        let reason = inner
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or_default();
        println!(
            "| {name} | {} | {reason} | {time} | {} | {:.1}x |",
            human(size),
            human(peak),
            peak as f64 / size as f64
        );
    }
}
