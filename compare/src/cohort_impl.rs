//! Cohort, through its public API: `Group`, `KeyPackageBuilder`, the
//! RustCrypto provider with OS randomness, in-memory storage, basic
//! credentials; the `parallel` feature is on.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use cohort::LeafIndex;
use cohort::codec;
use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, ProcessedMessage};
use cohort::messages::{Credential, Extensions, KeyPackage, Welcome};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{Ciphersuite, Crypto, ProviderBundle, Rand, Signer};

use crate::{HPKE_CONTEXT, HPKE_LABEL, Op, Prim, timed};

type P = ProviderBundle<RustCrypto, RustCrypto, MemoryStorage>;
type Kp = SignatureKeyPair<RustCrypto>;

/// MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.
const SUITE: Ciphersuite = Ciphersuite(1);

fn provider() -> P {
    // OS randomness (RustCrypto is also the `Rand`), in-memory storage.
    ProviderBundle::new(RustCrypto::new(), RustCrypto::new(), MemoryStorage::new())
}

fn signer(p: &P) -> Kp {
    let cs = SuiteCrypto::new(&p.crypto, SUITE).unwrap();
    SignatureKeyPair::generate(p.crypto, cs.params().signature, &p.rand).unwrap()
}

fn key_package(p: &P, name: String) -> KeyPackageBundle {
    let cs = SuiteCrypto::new(&p.crypto, SUITE).unwrap();
    let s = signer(p);
    KeyPackageBuilder::new(Credential::basic(name))
        .build(&cs, &p.rand, &s)
        .unwrap()
}

fn group_id(p: &P) -> Vec<u8> {
    let mut id = vec![0u8; 16];
    p.rand.fill(&mut id).unwrap();
    id
}

fn welcome_of(msg: MlsMessage) -> Welcome {
    match msg.body {
        MlsMessageBody::Welcome(w) => w,
        _ => panic!("not a Welcome"),
    }
}

/// The creator's whole `create` operation (the timed region): its leaf
/// and the one-member group (`Group::create_as`), one commit adding
/// everyone in `members`, the merge.
fn create_group(p: &P, signer: &Kp, gid: Vec<u8>, members: &[KeyPackage]) -> (Group, MlsMessage) {
    let leaf = KeyPackageBuilder::new(Credential::basic("creator"));
    let mut g = Group::create_as(
        p,
        SUITE,
        signer,
        leaf,
        gid,
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let mut b = g.commit();
    for kp in members {
        b = b.add_member(kp.clone());
    }
    let (out, staged) = g.create_commit(p, signer, b).unwrap();
    g.merge_staged_commit(staged).unwrap();
    (g, out.welcome.expect("a Welcome"))
}

fn join(p: &P, welcome: &Welcome, kp: &KeyPackageBundle) -> Group {
    Group::join(
        p,
        welcome,
        kp,
        None,
        BTreeMap::new(),
        GroupConfig::default(),
    )
    .unwrap()
}

fn process_commit(p: &P, g: &mut Group, msg: &MlsMessage) {
    match g.process(p, msg).unwrap() {
        ProcessedMessage::Commit(s) => g.merge_staged_commit(*s).unwrap(),
        _ => panic!("not a commit"),
    }
}

pub struct CohortBench {
    p: P,
    n: usize,
    creator_signer: Kp,
    /// The KeyPackages of members 1..n, added by every `create`.
    members: Vec<KeyPackage>,
    /// The creator of the standing group, and member 1 (leaf 1) of it.
    creator: Group,
    member: Group,
    /// Invited members of a group of n who have not joined yet, each with
    /// the Welcome that invites them.
    join_pool: Vec<(std::rc::Rc<Welcome>, KeyPackageBundle)>,
    /// Fresh KeyPackages for `add`.
    newcomers: Vec<KeyPackage>,
    made: usize,
}

impl CohortBench {
    pub fn new(n: usize, rounds: usize) -> Self {
        let p = provider();
        let creator_signer = signer(&p);
        let bundles: Vec<KeyPackageBundle> =
            (1..n).map(|i| key_package(&p, format!("m{i}"))).collect();
        let members: Vec<KeyPackage> = bundles.iter().map(|b| b.key_package.clone()).collect();
        let (creator, welcome) = create_group(&p, &creator_signer, group_id(&p), &members);
        let welcome = std::rc::Rc::new(welcome_of(welcome));
        let mut bundles = bundles.into_iter();
        let first = bundles.next().expect("n >= 2");
        let member = join(&p, &welcome, &first);
        let join_pool = bundles.rev().map(|b| (welcome.clone(), b)).collect();
        let newcomers = (0..rounds)
            .map(|i| key_package(&p, format!("new{i}")).key_package)
            .collect();
        CohortBench {
            p,
            n,
            creator_signer,
            members,
            creator,
            member,
            join_pool,
            newcomers,
            made: 0,
        }
    }

    /// Another group of n (not timed), whose invited members refill the
    /// join pool.
    fn refill_join_pool(&mut self) {
        self.made += 1;
        let made = self.made;
        let bundles: Vec<KeyPackageBundle> = (1..self.n)
            .map(|i| key_package(&self.p, format!("pool{made}-{i}")))
            .collect();
        let kps: Vec<KeyPackage> = bundles.iter().map(|b| b.key_package.clone()).collect();
        let (_, welcome) = create_group(&self.p, &self.creator_signer, group_id(&self.p), &kps);
        let welcome = std::rc::Rc::new(welcome_of(welcome));
        self.join_pool = bundles.into_iter().map(|b| (welcome.clone(), b)).collect();
    }

    /// A self-update of the creator: commit with an UpdatePath, merged.
    fn self_update(&mut self) -> MlsMessage {
        let b = self.creator.commit().force_path(true);
        let (out, staged) = self
            .creator
            .create_commit(&self.p, &self.creator_signer, b)
            .unwrap();
        self.creator.merge_staged_commit(staged).unwrap();
        out.commit
    }
}

impl crate::Contender for CohortBench {
    fn run(&mut self, op: Op, iters: usize) -> Duration {
        match op {
            Op::Create => {
                let gid = group_id(&self.p);
                let (t, out) =
                    timed(|| create_group(&self.p, &self.creator_signer, gid, &self.members));
                drop(black_box(out));
                t
            }
            Op::Join => {
                if self.join_pool.is_empty() {
                    self.refill_join_pool();
                }
                let (welcome, kp) = self.join_pool.pop().unwrap();
                let (t, g) = timed(|| join(&self.p, &welcome, &kp));
                assert_eq!(g.epoch(), 1);
                drop(black_box(g));
                t
            }
            Op::SelfUpdate => {
                let (t, commit) = timed(|| self.self_update());
                // Not timed: member 1 follows.
                process_commit(&self.p, &mut self.member, &commit);
                t
            }
            Op::Process => {
                let commit = self.self_update();
                let (t, ()) = timed(|| process_commit(&self.p, &mut self.member, &commit));
                assert_eq!(self.member.epoch(), self.creator.epoch());
                t
            }
            Op::Add => {
                let newcomer = self.newcomers.pop().expect("one newcomer per round");
                let (t, (commit, welcome)) = timed(|| {
                    let b = self.creator.commit().add_member(newcomer);
                    let (out, staged) = self
                        .creator
                        .create_commit(&self.p, &self.creator_signer, b)
                        .unwrap();
                    self.creator.merge_staged_commit(staged).unwrap();
                    (out.commit, out.welcome.expect("a Welcome"))
                });
                drop(black_box(welcome));
                // Not timed: back to n members (the new leaf is removed) and
                // member 1 follows both commits.
                let b = self
                    .creator
                    .commit()
                    .remove_member(LeafIndex(u32::try_from(self.n).unwrap()));
                let (out, staged) = self
                    .creator
                    .create_commit(&self.p, &self.creator_signer, b)
                    .unwrap();
                self.creator.merge_staged_commit(staged).unwrap();
                process_commit(&self.p, &mut self.member, &commit);
                process_commit(&self.p, &mut self.member, &out.commit);
                assert_eq!(self.member.epoch(), self.creator.epoch());
                t
            }
            Op::Message => {
                let data = [0x42u8; 32];
                let (t, ()) = timed(|| {
                    for _ in 0..iters {
                        let msg = self
                            .creator
                            .encrypt(&self.p, &self.creator_signer, &data, b"")
                            .unwrap();
                        let bytes = codec::encode(&msg).unwrap();
                        let received: MlsMessage = codec::decode_exact(&bytes).unwrap();
                        match self.member.process(&self.p, &received).unwrap() {
                            ProcessedMessage::Application { data, .. } => {
                                assert_eq!(black_box(data).len(), 32)
                            }
                            _ => panic!("not application data"),
                        }
                    }
                });
                t / u32::try_from(iters).unwrap()
            }
        }
    }
}

/// The primitives through Cohort's provider.
pub struct CohortPrims {
    p: P,
    signer: Kp,
    msg: Vec<u8>,
    sig: Vec<u8>,
    hpke_sk: cohort_traits::Secret,
    hpke_pk: Vec<u8>,
    kem_output: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl CohortPrims {
    pub fn new() -> Self {
        let p = provider();
        let signer = signer(&p);
        let msg = vec![0x5au8; 1024];
        let sig = signer.sign(&msg).unwrap();
        let cs = SuiteCrypto::new(&p.crypto, SUITE).unwrap();
        let mut ikm = [0u8; 32];
        p.rand.fill(&mut ikm).unwrap();
        let (hpke_sk, hpke_pk) = cs.derive_key_pair(&ikm).unwrap();
        let ct = cs
            .encrypt_with_label(&p.rand, &hpke_pk, HPKE_LABEL, HPKE_CONTEXT, &[1; 32])
            .unwrap();
        CohortPrims {
            kem_output: ct.kem_output.as_slice().to_vec(),
            ciphertext: ct.ciphertext.as_slice().to_vec(),
            p,
            signer,
            msg,
            sig,
            hpke_sk,
            hpke_pk,
        }
    }
}

impl crate::PrimContender for CohortPrims {
    fn run(&mut self, prim: Prim, iters: usize) -> Duration {
        let cs = SuiteCrypto::new(&self.p.crypto, SUITE).unwrap();
        let scheme = cs.params().signature;
        let (t, ()) = timed(|| {
            for _ in 0..iters {
                match prim {
                    Prim::Sign => {
                        black_box(self.signer.sign(black_box(&self.msg)).unwrap());
                    }
                    Prim::Verify => self
                        .p
                        .crypto
                        .verify(
                            scheme,
                            self.signer.public_key(),
                            black_box(&self.msg),
                            &self.sig,
                        )
                        .unwrap(),
                    Prim::HpkeSeal => {
                        black_box(
                            cs.encrypt_with_label(
                                &self.p.rand,
                                &self.hpke_pk,
                                HPKE_LABEL,
                                HPKE_CONTEXT,
                                black_box(&[1; 32]),
                            )
                            .unwrap(),
                        );
                    }
                    Prim::HpkeOpen => {
                        let pt = cs
                            .decrypt_with_label_for(
                                self.hpke_sk.as_bytes(),
                                Some(&self.hpke_pk),
                                HPKE_LABEL,
                                HPKE_CONTEXT,
                                &self.kem_output,
                                black_box(&self.ciphertext),
                            )
                            .unwrap();
                        assert_eq!(black_box(pt).as_bytes().len(), 32);
                    }
                }
            }
        });
        t / u32::try_from(iters).unwrap()
    }
}

/// The `info` that EncryptWithLabel gives HPKE, so the peers' raw HPKE
/// calls get the same bytes.
pub fn encrypt_context() -> Vec<u8> {
    SuiteCrypto::<RustCrypto>::encrypt_context(HPKE_LABEL, HPKE_CONTEXT).unwrap()
}
