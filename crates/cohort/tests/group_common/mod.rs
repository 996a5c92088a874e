//! Helpers shared by the `group_*` end-to-end tests: members with a seeded
//! provider, a group grown by one commit, commits delivered to everyone,
//! and snapshots that show a group unchanged after an error.
#![allow(dead_code)]

use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody, PrivateMessage, PublicMessage};
use cohort::group::{
    CommitBuilder, CommitOutput, Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle,
    ProcessedMessage, ProposalInfo, ProposalPolicy, StagedCommit,
};
use cohort::messages::{
    Commit, Credential, Extensions, ExternalSender, ExternalSenders, GroupInfo, Welcome,
};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, ProviderBundle, RecordKind, Signer as _, Storage};
use std::collections::BTreeMap;
use std::sync::Arc;

pub type TestProvider = ProviderBundle<RustCrypto, SeededRand, MemoryStorage>;
pub type Signer = SignatureKeyPair<RustCrypto>;

pub const SUITE: Ciphersuite = Ciphersuite(1);

pub fn provider(seed: u64) -> TestProvider {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(seed),
        MemoryStorage::new(),
    )
}

pub fn cs(p: &TestProvider, suite: Ciphersuite) -> SuiteCrypto<'_, RustCrypto> {
    SuiteCrypto::new(&p.crypto, suite).unwrap()
}

/// A fresh signature key pair of `suite`'s scheme.
pub fn signer(p: &TestProvider, suite: Ciphersuite) -> Signer {
    SignatureKeyPair::generate(RustCrypto::new(), cs(p, suite).params().signature, &p.rand).unwrap()
}

/// A KeyPackage of `name` signed by `signer`.
pub fn key_package_for(
    p: &TestProvider,
    suite: Ciphersuite,
    name: &str,
    signer: &Signer,
) -> KeyPackageBundle {
    KeyPackageBuilder::new(Credential::basic(name))
        .build(&cs(p, suite), &p.rand, signer)
        .unwrap()
}

/// A client: its signer and a KeyPackage.
pub fn client(p: &TestProvider, suite: Ciphersuite, name: &str) -> (Signer, KeyPackageBundle) {
    let s = signer(p, suite);
    let kp = key_package_for(p, suite, name, &s);
    (s, kp)
}

/// A member of a test group.
pub struct Member {
    pub name: String,
    pub signer: Signer,
    pub group: Group,
}

impl Member {
    /// A new KeyPackage of this member (same signer and credential).
    pub fn key_package(&self, p: &TestProvider, suite: Ciphersuite) -> KeyPackageBundle {
        key_package_for(p, suite, &self.name, &self.signer)
    }
}

pub fn welcome_of(msg: &MlsMessage) -> &Welcome {
    match &msg.body {
        MlsMessageBody::Welcome(w) => w,
        _ => panic!("not a Welcome"),
    }
}

pub fn group_info_of(msg: &MlsMessage) -> &GroupInfo {
    match &msg.body {
        MlsMessageBody::GroupInfo(g) => g,
        _ => panic!("not a GroupInfo"),
    }
}

pub fn public_of(msg: &MlsMessage) -> &PublicMessage {
    match &msg.body {
        MlsMessageBody::PublicMessage(m) => m,
        _ => panic!("not a PublicMessage"),
    }
}

pub fn public_mut(msg: &mut MlsMessage) -> &mut PublicMessage {
    match &mut msg.body {
        MlsMessageBody::PublicMessage(m) => m,
        _ => panic!("not a PublicMessage"),
    }
}

pub fn private_mut(msg: &mut MlsMessage) -> &mut PrivateMessage {
    match &mut msg.body {
        MlsMessageBody::PrivateMessage(m) => m,
        _ => panic!("not a PrivateMessage"),
    }
}

/// Group context extensions naming `signers` as the external senders
/// 0, 1, ... (RFC 9420 section 12.1.8.1).
pub fn external_senders(signers: &[&Signer]) -> Extensions {
    let mut ext = Extensions::default();
    ext.push(&ExternalSenders(
        signers
            .iter()
            .enumerate()
            .map(|(i, s)| ExternalSender {
                signature_key: s.public_key().to_vec().into(),
                credential: Credential::basic(format!("external sender {i}")),
            })
            .collect::<Vec<_>>()
            .into(),
    ))
    .unwrap();
    ext
}

/// Creates a group of `names` (the first creates it and adds the others in
/// one commit) with `extensions` and `config`.
pub fn group_with(
    p: &TestProvider,
    suite: Ciphersuite,
    names: &[&str],
    extensions: Extensions,
    config: GroupConfig,
) -> Vec<Member> {
    let (creator_signer, creator_kp) = client(p, suite, names[0]);
    let mut creator = Group::create(
        p,
        &creator_kp,
        b"test group".to_vec(),
        extensions,
        config.clone(),
    )
    .unwrap();
    let others: Vec<(Signer, KeyPackageBundle)> =
        names[1..].iter().map(|n| client(p, suite, n)).collect();
    let mut members = Vec::new();
    if !others.is_empty() {
        let mut b = creator.commit();
        for (_, kp) in &others {
            b = b.add_member(kp.key_package.clone());
        }
        let (out, staged) = creator.create_commit(p, &creator_signer, b).unwrap();
        creator.merge_staged_commit(staged).unwrap();
        let welcome = out.welcome.unwrap();
        let tree = (!config.ratchet_tree_extension).then(|| creator.tree().to_nodes());
        for ((s, kp), name) in others.into_iter().zip(&names[1..]) {
            let group = Group::join(
                p,
                welcome_of(&welcome),
                &kp,
                tree.clone(),
                BTreeMap::new(),
                config.clone(),
            )
            .unwrap();
            members.push(Member {
                name: name.to_string(),
                signer: s,
                group,
            });
        }
    }
    members.insert(
        0,
        Member {
            name: names[0].to_string(),
            signer: creator_signer,
            group: creator,
        },
    );
    members
}

/// [`group_with`] in suite 1 with default extensions and config.
pub fn group(p: &TestProvider, names: &[&str]) -> Vec<Member> {
    group_with(
        p,
        SUITE,
        names,
        Extensions::default(),
        GroupConfig::default(),
    )
}

/// Processes a commit and returns the staged result.
pub fn stage(p: &TestProvider, group: &mut Group, msg: &MlsMessage) -> StagedCommit {
    match group.process(p, msg).unwrap() {
        ProcessedMessage::Commit(staged) => *staged,
        other => panic!("expected a commit, got {other:?}"),
    }
}

/// Processes and merges a commit.
pub fn apply(p: &TestProvider, group: &mut Group, msg: &MlsMessage) {
    let staged = stage(p, group, msg);
    group.merge_staged_commit(staged).unwrap();
}

/// Member `who` commits `builder`; the commit is merged by the committer and
/// delivered to every other active member.
pub fn commit_all(
    p: &TestProvider,
    members: &mut [Member],
    who: usize,
    builder: impl FnOnce(&Group) -> CommitBuilder,
) -> CommitOutput {
    let b = builder(&members[who].group);
    let m = &mut members[who];
    let (out, staged) = m.group.create_commit(p, &m.signer, b).unwrap();
    m.group.merge_staged_commit(staged).unwrap();
    for (i, other) in members.iter_mut().enumerate() {
        if i != who && other.group.is_active() {
            apply(p, &mut other.group, &out.commit);
        }
    }
    out
}

/// Member `who` builds `builder`, changed by `hook` before it is signed
/// (as a faulty or malicious member could), without merging it.
pub fn faulty(
    p: &TestProvider,
    members: &mut [Member],
    who: usize,
    builder: impl FnOnce(&Group) -> CommitBuilder,
    hook: impl Fn(&mut Commit) + Send + Sync + 'static,
) -> MlsMessage {
    let b = builder(&members[who].group).tamper_commit(Arc::new(hook));
    let m = &mut members[who];
    m.group.create_commit(p, &m.signer, b).unwrap().0.commit
}

/// Every active member is in the same epoch with the same epoch
/// authenticator, tree hash and exporter output.
pub fn agree(p: &TestProvider, groups: &[&Group]) {
    let first = groups[0];
    let export = |g: &Group| g.export_secret(&p.crypto, b"agree", b"", 32).unwrap();
    for g in groups {
        assert_eq!(g.epoch(), first.epoch());
        assert_eq!(g.epoch_authenticator(), first.epoch_authenticator());
        assert_eq!(g.tree().tree_hash(), first.tree().tree_hash());
        assert_eq!(g.context(), first.context());
        assert_eq!(export(g), export(first));
    }
}

/// [`agree`] over the active members.
pub fn all_agree(p: &TestProvider, members: &[Member]) {
    let groups: Vec<&Group> = members
        .iter()
        .filter(|m| m.group.is_active())
        .map(|m| &m.group)
        .collect();
    agree(p, &groups);
}

/// The whole state of a group, as [`Group::save`] writes it to a fresh
/// store: every record (the state record with the context, own leaf and
/// private keys, epoch secrets, transcript hashes, cached proposals, PSKs,
/// configuration, pending ReInit and Update keys; the tree; the current
/// epoch's secret-tree nodes and every sender ratchet with its generation
/// and kept keys; every retained past epoch with its context, sender-data
/// secret, secret tree and members as they were). Records are
/// deterministic encodings, so two snapshots are equal exactly when the
/// saved states are. The tree hash the group has cached is kept too: the
/// records hold the tree's nodes, not its hashes. Not compared: the
/// runtime configuration a save leaves out (proposal policy, credential
/// validator, clock).
///
/// What must not change when processing fails (C-COMMIT-08).
#[derive(PartialEq, Eq)]
pub struct Snapshot {
    pub records: Vec<(RecordKind, Vec<u8>, Vec<u8>)>,
    pub tree_hash: Vec<u8>,
}

impl Snapshot {
    /// The past-epoch records, by key.
    pub fn past_epochs(&self) -> Vec<&[u8]> {
        self.of(RecordKind::PastEpoch)
    }

    /// The values of the records of `kind`, in key order.
    pub fn of(&self, kind: RecordKind) -> Vec<&[u8]> {
        self.records
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, _, v)| v.as_slice())
            .collect()
    }
}

impl std::fmt::Debug for Snapshot {
    /// Sizes and digests: the records hold secrets and run to kilobytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digest = |b: &[u8]| {
            let mut h = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(b, &mut h);
            format!(
                "{} bytes, digest {:016x}",
                b.len(),
                std::hash::Hasher::finish(&h)
            )
        };
        let records: Vec<String> = self
            .records
            .iter()
            .map(|(kind, key, value)| format!("{kind:?} {}: {}", hex::encode(key), digest(value)))
            .collect();
        f.debug_struct("Snapshot")
            .field("records", &records)
            .field("tree_hash", &self.tree_hash)
            .finish()
    }
}

/// The record kinds a group is saved as.
pub const GROUP_RECORD_KINDS: [RecordKind; 5] = [
    RecordKind::GroupState,
    RecordKind::Tree,
    RecordKind::SecretTree,
    RecordKind::SenderRatchets,
    RecordKind::PastEpoch,
];

/// The whole state of `g` (see [`Snapshot`]).
pub fn snapshot(g: &Group) -> Snapshot {
    let store = provider(0);
    g.save(&store).unwrap();
    let mut records = Vec::new();
    for kind in GROUP_RECORD_KINDS {
        for key in store.storage.list_keys(kind, b"").unwrap() {
            let value = store.storage.get(kind, &key).unwrap().unwrap();
            records.push((kind, key, value));
        }
    }
    // Nothing else was written.
    assert_eq!(store.storage.len(), records.len());
    Snapshot {
        records,
        tree_hash: g.tree().tree_hash().to_vec(),
    }
}

/// Processing `msg` fails with `expected` and leaves `group` unchanged.
pub fn refused(p: &TestProvider, group: &mut Group, msg: &MlsMessage, expected: cohort::Error) {
    let before = snapshot(group);
    let err = group.process(p, msg).unwrap_err();
    assert_eq!(err, expected);
    assert_eq!(snapshot(group), before);
}

/// The GroupSecrets of `welcome` for `kp`.
pub fn group_secrets(
    p: &TestProvider,
    welcome: &Welcome,
    kp: &KeyPackageBundle,
) -> cohort::messages::GroupSecrets {
    let cs = cs(p, welcome.cipher_suite);
    let kp_ref = cohort::group::key_package_ref(&cs, &kp.key_package).unwrap();
    cohort::schedule::decrypt_group_secrets(
        &cs,
        kp.init_private_key.as_bytes(),
        None,
        welcome.secrets_for(&kp_ref).unwrap(),
        welcome.encrypted_group_info.as_slice(),
    )
    .unwrap()
}

/// A Welcome for `kp` alone with the GroupSecrets `secrets` and the
/// encrypted GroupInfo `encrypted_group_info`, sealed as a committer would.
pub fn seal_welcome(
    p: &TestProvider,
    suite: Ciphersuite,
    kp: &KeyPackageBundle,
    secrets: &cohort::messages::GroupSecrets,
    encrypted_group_info: Vec<u8>,
) -> Welcome {
    let cs = cs(p, suite);
    let kp_ref = cohort::group::key_package_ref(&cs, &kp.key_package).unwrap();
    let prepared = cohort::schedule::prepare_group_secrets(&cs, &encrypted_group_info).unwrap();
    let entry = cohort::schedule::encrypt_group_secrets(
        &cs,
        &p.rand,
        &prepared,
        kp_ref.into(),
        kp.key_package.init_key.as_slice(),
        secrets,
    )
    .unwrap();
    Welcome {
        cipher_suite: suite,
        secrets: vec![entry].into(),
        encrypted_group_info: encrypted_group_info.into(),
    }
}

/// `welcome` for `kp` with its GroupSecrets changed by `f`.
pub fn reseal_secrets(
    p: &TestProvider,
    welcome: &Welcome,
    kp: &KeyPackageBundle,
    f: impl FnOnce(&mut cohort::messages::GroupSecrets),
) -> Welcome {
    let mut secrets = group_secrets(p, welcome, kp);
    f(&mut secrets);
    seal_welcome(
        p,
        welcome.cipher_suite,
        kp,
        &secrets,
        welcome.encrypted_group_info.0.clone(),
    )
}

/// The welcome secret of `welcome` (without PSKs) for `kp`.
fn welcome_secret(
    p: &TestProvider,
    welcome: &Welcome,
    kp: &KeyPackageBundle,
) -> cohort::schedule::WelcomeSecret {
    let cs = cs(p, welcome.cipher_suite);
    let secrets = group_secrets(p, welcome, kp);
    let no_psk = cohort::schedule::psk_secret(&cs, &[]).unwrap();
    cohort::schedule::JoinerSecret::from_secret(secrets.joiner_secret.0.clone())
        .welcome_secret(&cs, no_psk.as_bytes())
        .unwrap()
}

/// The GroupInfo `welcome` (without PSKs) carries, as `kp` decrypts it.
pub fn welcome_group_info(p: &TestProvider, welcome: &Welcome, kp: &KeyPackageBundle) -> GroupInfo {
    cohort::schedule::decrypt_group_info(
        &cs(p, welcome.cipher_suite),
        &welcome_secret(p, welcome, kp),
        welcome.encrypted_group_info.as_slice(),
    )
    .unwrap()
}

/// `welcome` (without PSKs) for `kp` with its GroupInfo changed by `f` and
/// sealed again under the same welcome secret.
pub fn reseal_group_info(
    p: &TestProvider,
    welcome: &Welcome,
    kp: &KeyPackageBundle,
    f: impl FnOnce(&mut GroupInfo),
) -> Welcome {
    let cs = cs(p, welcome.cipher_suite);
    let secrets = group_secrets(p, welcome, kp);
    let mut gi = welcome_group_info(p, welcome, kp);
    f(&mut gi);
    let egi =
        cohort::schedule::encrypt_group_info(&cs, &welcome_secret(p, welcome, kp), &gi).unwrap();
    seal_welcome(p, welcome.cipher_suite, kp, &secrets, egi)
}

/// Signs a GroupInfo again with `signer`.
pub fn resign_group_info(p: &TestProvider, gi: &mut GroupInfo, signer: &Signer) {
    let cs = cs(p, gi.group_context.cipher_suite);
    cohort::schedule::sign_group_info(&cs, signer, gi).unwrap();
}

/// A proposal policy that authorizes new members' self-Adds (C-EXT-04) and
/// accepts every other proposal.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowNewMembers;

impl ProposalPolicy for AllowNewMembers {
    fn allow_new_member_add(&self, _info: &ProposalInfo<'_>) -> bool {
        true
    }
}

/// The default config with [`AllowNewMembers`] as its proposal policy.
pub fn open_config() -> GroupConfig {
    GroupConfig::default().with_proposal_policy(AllowNewMembers)
}

/// The member `name` made by joining with `welcome` (no PSKs, the tree in
/// the Welcome) under `config`.
pub fn welcomed(
    p: &TestProvider,
    welcome: &Welcome,
    name: &str,
    signer: Signer,
    kp: &KeyPackageBundle,
    config: GroupConfig,
) -> Member {
    let group = Group::join(p, welcome, kp, None, Default::default(), config).unwrap();
    Member {
        name: name.into(),
        signer,
        group,
    }
}

/// Fills in the checksum of a stored record (FNV-1a, 64 bits, over the
/// bytes after the 10-byte header: version and checksum), so a damaged body
/// reaches the structural decoder.
pub fn fix_checksum(record: &mut [u8]) {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in &record[10..] {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    record[2..10].copy_from_slice(&h.to_be_bytes());
}
