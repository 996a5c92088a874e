//! OpenMLS, through its public API: `MlsGroup`, `StagedWelcome`,
//! `openmls_rust_crypto::OpenMlsRustCrypto` (RustCrypto primitives and its
//! in-memory storage) and `openmls_basic_credential` signature keys. Every
//! member has a provider of its own (OpenMLS keeps group state in it).

use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use openmls::prelude::tls_codec::{Deserialize as _, Serialize as _};
use openmls::prelude::{
    BasicCredential, Ciphersuite, CredentialWithKey, KeyPackage, KeyPackageIn, LeafNodeIndex,
    LeafNodeParameters, MIXED_PLAINTEXT_WIRE_FORMAT_POLICY, MlsGroup, MlsGroupCreateConfig,
    MlsGroupJoinConfig, MlsMessageBodyIn, MlsMessageIn, MlsMessageOut, ProcessedMessageContent,
    ProtocolMessage, ProtocolVersion, StagedWelcome, Welcome,
};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use openmls_traits::OpenMlsProvider;
use openmls_traits::crypto::OpenMlsCrypto;
use openmls_traits::signatures::Signer;
use openmls_traits::types::HpkeCiphertext;

use crate::{Op, Prim, timed};

const SUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

fn identity(name: &str) -> (SignatureKeyPair, CredentialWithKey) {
    let signer = SignatureKeyPair::new(SUITE.signature_algorithm()).unwrap();
    let cred = CredentialWithKey {
        credential: BasicCredential::new(name.as_bytes().to_vec()).into(),
        signature_key: signer.public().into(),
    };
    (signer, cred)
}

/// A client with a fresh KeyPackage (its private keys in the client's own
/// provider), as others receive it: a `KeyPackageIn`, not yet validated.
fn key_package(name: &str) -> (OpenMlsRustCrypto, KeyPackageIn) {
    let provider = OpenMlsRustCrypto::default();
    let (signer, cred) = identity(name);
    let bundle = KeyPackage::builder()
        .build(SUITE, &provider, &signer, cred)
        .unwrap();
    (provider, KeyPackageIn::from(bundle.key_package().clone()))
}

/// Validates a received KeyPackage (its signatures and fields), as the
/// committer must before adding it. Cohort and mls-rs do this inside their
/// add; OpenMLS's `add_members` takes KeyPackages validated beforehand.
fn validate(provider: &OpenMlsRustCrypto, kp: &KeyPackageIn) -> KeyPackage {
    kp.clone()
        .validate(provider.crypto(), ProtocolVersion::Mls10)
        .unwrap()
}

fn to_in(msg: &MlsMessageOut) -> MlsMessageIn {
    let bytes = msg.tls_serialize_detached().unwrap();
    MlsMessageIn::tls_deserialize_exact(bytes.as_slice()).unwrap()
}

fn welcome_of(msg: &MlsMessageOut) -> Welcome {
    match to_in(msg).extract() {
        MlsMessageBodyIn::Welcome(w) => w,
        _ => panic!("not a Welcome"),
    }
}

fn protocol_message(msg: &MlsMessageOut) -> ProtocolMessage {
    to_in(msg).try_into_protocol_message().unwrap()
}

fn create_config() -> MlsGroupCreateConfig {
    MlsGroupCreateConfig::builder()
        .ciphersuite(SUITE)
        .use_ratchet_tree_extension(true)
        .wire_format_policy(MIXED_PLAINTEXT_WIRE_FORMAT_POLICY)
        .build()
}

fn join_config() -> MlsGroupJoinConfig {
    MlsGroupJoinConfig::builder()
        .use_ratchet_tree_extension(true)
        .wire_format_policy(MIXED_PLAINTEXT_WIRE_FORMAT_POLICY)
        .build()
}

/// The creator's whole `create` operation (the timed region): validation of
/// the received KeyPackages, the one-member group (its leaf), one commit
/// adding everyone in `members` (`add_members_without_update`: no
/// UpdatePath, as in the other two), the merge.
fn create_group(
    provider: &OpenMlsRustCrypto,
    signer: &SignatureKeyPair,
    cred: &CredentialWithKey,
    config: &MlsGroupCreateConfig,
    members: &[KeyPackageIn],
) -> (MlsGroup, MlsMessageOut) {
    let members: Vec<KeyPackage> = members.iter().map(|kp| validate(provider, kp)).collect();
    let mut g = MlsGroup::new(provider, signer, config, cred.clone()).unwrap();
    let (_commit, welcome, _group_info) = g
        .add_members_without_update(provider, signer, &members)
        .unwrap();
    g.merge_pending_commit(provider).unwrap();
    (g, welcome)
}

fn join(provider: &OpenMlsRustCrypto, config: &MlsGroupJoinConfig, welcome: Welcome) -> MlsGroup {
    StagedWelcome::new_from_welcome(provider, config, welcome, None)
        .unwrap()
        .into_group(provider)
        .unwrap()
}

fn process_commit(provider: &OpenMlsRustCrypto, g: &mut MlsGroup, msg: ProtocolMessage) {
    let processed = g.process_message(provider, msg).unwrap();
    match processed.into_content() {
        ProcessedMessageContent::StagedCommitMessage(staged) => {
            g.merge_staged_commit(provider, *staged).unwrap()
        }
        _ => panic!("not a commit"),
    }
}

struct Joiner {
    welcome: Rc<Welcome>,
    provider: OpenMlsRustCrypto,
}

pub struct OpenMlsBench {
    n: usize,
    create_config: MlsGroupCreateConfig,
    join_config: MlsGroupJoinConfig,
    creator_signer: SignatureKeyPair,
    creator_cred: CredentialWithKey,
    creator_provider: OpenMlsRustCrypto,
    members: Vec<KeyPackageIn>,
    creator: MlsGroup,
    member_provider: OpenMlsRustCrypto,
    member: MlsGroup,
    join_pool: Vec<Joiner>,
    newcomers: Vec<KeyPackageIn>,
    made: usize,
}

impl OpenMlsBench {
    pub fn new(n: usize, rounds: usize) -> Self {
        let (creator_signer, creator_cred) = identity("creator");
        let create_config = create_config();
        let join_config = join_config();
        let (providers, members): (Vec<_>, Vec<_>) =
            (1..n).map(|i| key_package(&format!("m{i}"))).unzip();
        let creator_provider = OpenMlsRustCrypto::default();
        let (creator, welcome) = create_group(
            &creator_provider,
            &creator_signer,
            &creator_cred,
            &create_config,
            &members,
        );
        let welcome = Rc::new(welcome_of(&welcome));
        let mut providers = providers.into_iter();
        let member_provider = providers.next().expect("n >= 2");
        let member = join(&member_provider, &join_config, (*welcome).clone());
        let join_pool = providers
            .rev()
            .map(|provider| Joiner {
                welcome: welcome.clone(),
                provider,
            })
            .collect();
        let newcomers = (0..rounds)
            .map(|i| key_package(&format!("new{i}")).1)
            .collect();
        OpenMlsBench {
            n,
            create_config,
            join_config,
            creator_signer,
            creator_cred,
            creator_provider,
            members,
            creator,
            member_provider,
            member,
            join_pool,
            newcomers,
            made: 0,
        }
    }

    fn refill_join_pool(&mut self) {
        self.made += 1;
        let made = self.made;
        let (providers, kps): (Vec<_>, Vec<_>) = (1..self.n)
            .map(|i| key_package(&format!("pool{made}-{i}")))
            .unzip();
        let provider = OpenMlsRustCrypto::default();
        let (_, welcome) = create_group(
            &provider,
            &self.creator_signer,
            &self.creator_cred,
            &self.create_config,
            &kps,
        );
        let welcome = Rc::new(welcome_of(&welcome));
        self.join_pool = providers
            .into_iter()
            .map(|provider| Joiner {
                welcome: welcome.clone(),
                provider,
            })
            .collect();
    }

    /// A self-update of the creator: an empty commit, which carries an
    /// UpdatePath, merged.
    fn self_update(&mut self) -> MlsMessageOut {
        let bundle = self
            .creator
            .self_update(
                &self.creator_provider,
                &self.creator_signer,
                LeafNodeParameters::default(),
            )
            .unwrap();
        self.creator
            .merge_pending_commit(&self.creator_provider)
            .unwrap();
        bundle.commit().clone()
    }
}

impl crate::Contender for OpenMlsBench {
    fn run(&mut self, op: Op, iters: usize) -> Duration {
        match op {
            Op::Create => {
                // A fresh provider (storage) per group, outside the timing.
                let provider = OpenMlsRustCrypto::default();
                let (t, out) = timed(|| {
                    create_group(
                        &provider,
                        &self.creator_signer,
                        &self.creator_cred,
                        &self.create_config,
                        &self.members,
                    )
                });
                drop(black_box(out));
                drop(provider);
                t
            }
            Op::Join => {
                if self.join_pool.is_empty() {
                    self.refill_join_pool();
                }
                let joiner = self.join_pool.pop().unwrap();
                let welcome = (*joiner.welcome).clone();
                let (t, g) = timed(|| join(&joiner.provider, &self.join_config, welcome));
                assert_eq!(g.epoch().as_u64(), 1);
                drop(black_box(g));
                drop(joiner);
                t
            }
            Op::SelfUpdate => {
                let (t, commit) = timed(|| self.self_update());
                process_commit(
                    &self.member_provider,
                    &mut self.member,
                    protocol_message(&commit),
                );
                t
            }
            Op::Process => {
                let commit = protocol_message(&self.self_update());
                let (t, ()) =
                    timed(|| process_commit(&self.member_provider, &mut self.member, commit));
                assert_eq!(self.member.epoch(), self.creator.epoch());
                t
            }
            Op::Add => {
                let newcomer = self.newcomers.pop().expect("one newcomer per round");
                let (t, (commit, welcome)) = timed(|| {
                    let newcomer = validate(&self.creator_provider, &newcomer);
                    let (commit, welcome, _group_info) = self
                        .creator
                        .add_members_without_update(
                            &self.creator_provider,
                            &self.creator_signer,
                            std::slice::from_ref(&newcomer),
                        )
                        .unwrap();
                    self.creator
                        .merge_pending_commit(&self.creator_provider)
                        .unwrap();
                    (commit, welcome)
                });
                drop(black_box(welcome));
                let (remove, _, _) = self
                    .creator
                    .remove_members(
                        &self.creator_provider,
                        &self.creator_signer,
                        &[LeafNodeIndex::new(u32::try_from(self.n).unwrap())],
                    )
                    .unwrap();
                self.creator
                    .merge_pending_commit(&self.creator_provider)
                    .unwrap();
                process_commit(
                    &self.member_provider,
                    &mut self.member,
                    protocol_message(&commit),
                );
                process_commit(
                    &self.member_provider,
                    &mut self.member,
                    protocol_message(&remove),
                );
                assert_eq!(self.member.epoch(), self.creator.epoch());
                t
            }
            Op::Message => {
                let data = [0x42u8; 32];
                let (t, ()) = timed(|| {
                    for _ in 0..iters {
                        let msg = self
                            .creator
                            .create_message(&self.creator_provider, &self.creator_signer, &data)
                            .unwrap();
                        let bytes = msg.tls_serialize_detached().unwrap();
                        let received = MlsMessageIn::tls_deserialize_exact(bytes.as_slice())
                            .unwrap()
                            .try_into_protocol_message()
                            .unwrap();
                        let processed = self
                            .member
                            .process_message(&self.member_provider, received)
                            .unwrap();
                        match processed.into_content() {
                            ProcessedMessageContent::ApplicationMessage(m) => {
                                assert_eq!(black_box(m.into_bytes()).len(), 32)
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

/// The primitives through OpenMLS's crypto provider.
pub struct OpenMlsPrims {
    provider: OpenMlsRustCrypto,
    signer: SignatureKeyPair,
    msg: Vec<u8>,
    sig: Vec<u8>,
    info: Vec<u8>,
    hpke_sk: Vec<u8>,
    hpke_pk: Vec<u8>,
    ct: HpkeCiphertext,
}

impl OpenMlsPrims {
    pub fn new(info: Vec<u8>) -> Self {
        let provider = OpenMlsRustCrypto::default();
        let (signer, _) = identity("prims");
        let msg = vec![0x5au8; 1024];
        let sig = signer.sign(&msg).unwrap();
        let crypto = provider.crypto();
        let mut ikm = [0u8; 32];
        openmls_traits::random::OpenMlsRand::random_array::<32>(provider.rand())
            .map(|r| ikm = r)
            .unwrap();
        let kp = crypto
            .derive_hpke_keypair(SUITE.hpke_config(), &ikm)
            .unwrap();
        let hpke_sk = kp.private.as_ref().to_vec();
        let hpke_pk = kp.public.clone();
        let ct = crypto
            .hpke_seal(SUITE.hpke_config(), &hpke_pk, &info, &[], &[1; 32])
            .unwrap();
        OpenMlsPrims {
            provider,
            signer,
            msg,
            sig,
            info,
            hpke_sk,
            hpke_pk,
            ct,
        }
    }
}

impl crate::PrimContender for OpenMlsPrims {
    fn run(&mut self, prim: Prim, iters: usize) -> Duration {
        let crypto = self.provider.crypto();
        let scheme = SUITE.signature_algorithm();
        let (t, ()) = timed(|| {
            for _ in 0..iters {
                match prim {
                    Prim::Sign => {
                        black_box(self.signer.sign(black_box(&self.msg)).unwrap());
                    }
                    Prim::Verify => crypto
                        .verify_signature(
                            scheme,
                            black_box(&self.msg),
                            self.signer.public(),
                            &self.sig,
                        )
                        .unwrap(),
                    Prim::HpkeSeal => {
                        black_box(
                            crypto
                                .hpke_seal(
                                    SUITE.hpke_config(),
                                    &self.hpke_pk,
                                    &self.info,
                                    &[],
                                    black_box(&[1; 32]),
                                )
                                .unwrap(),
                        );
                    }
                    Prim::HpkeOpen => {
                        let pt = crypto
                            .hpke_open(
                                SUITE.hpke_config(),
                                black_box(&self.ct),
                                &self.hpke_sk,
                                &self.info,
                                &[],
                            )
                            .unwrap();
                        assert_eq!(black_box(pt).len(), 32);
                    }
                }
            }
        });
        t / u32::try_from(iters).unwrap()
    }
}
