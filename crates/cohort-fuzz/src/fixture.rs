//! The fixed group every receiving target works on, built once per process
//! from a seeded random source, so the same input always meets the same
//! state.
//!
//! Suite 0x0001. Alice creates the group (with one external sender, the
//! "server") and adds Bob, Carol and Dave (leaves 0 to 3); Dave sends (and
//! accepts) handshake messages only as PrivateMessages, the others send
//! PublicMessages and accept both. Dave sends an application message in
//! epoch 1 and commits a self-update; in epoch 2 Carol proposes an Update
//! and Alice the Remove of Dave, which Alice, Bob and Carol cache. Bob is
//! the receiver: his state at that point is what `process` and `load` start
//! from. Erin, Frank, Grace and Heidi are clients outside the group.
//!
//! From clones of those states the fixture also makes one valid message of
//! each kind for Bob (application messages of the current and a past epoch,
//! every proposal type and sender type, commits by reference and by value,
//! with and without a path, public and private, an external commit), two
//! Welcomes for Erin and two GroupInfos: the seeds of the corpus and the
//! templates of the `*_mutated` targets.

use cohort::codec::{VarBytes, encode};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{FramedContent, FramedContentBody, MlsMessage, MlsMessageBody, Sender};
use cohort::group::{
    CommitOutput, Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, ProcessedMessage,
    ProposalInfo, ProposalPolicy, external_proposal, group_state_key, key_package_key,
    key_package_ref, new_member_proposal, past_epoch_key,
};
use cohort::messages::{
    Add, Credential, Extensions, ExternalSender, ExternalSenders, GroupContextExtensions,
    GroupInfo, PreSharedKey, PreSharedKeyId, Proposal, ProtocolVersion, Psk, ReInit, Remove,
    Welcome,
};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, ProviderBundle, Rand, RecordKind, Secret, Signer as _, Storage};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The provider of every target: RustCrypto, a seeded random source and
/// storage in memory.
pub type FuzzProvider = ProviderBundle<RustCrypto, SeededRand, MemoryStorage>;
/// A signature key pair.
pub type Signer = SignatureKeyPair<RustCrypto>;

/// The group's cipher suite.
pub const SUITE: Ciphersuite = Ciphersuite(1);
/// The group's id.
pub const GROUP_ID: &[u8] = b"cohort fuzz group";
/// The external PSK every member and Erin hold.
pub const PSK_ID: &[u8] = b"fuzz psk";
/// The receiver's leaf (Bob).
pub const RECEIVER: usize = 1;
/// The members that must agree with the receiver on what it accepts (Alice
/// and Carol; Dave accepts only PrivateMessages).
pub const WITNESSES: [usize; 2] = [0, 2];

/// Seed of the random source the fixture is built from.
const BUILD_SEED: u64 = 0x00c0_4047_f022;
/// Seed of the random source of each run of a target.
const RUN_SEED: u64 = 0x00c0_4047_0001;

/// A member of the group: its signature key pair and its view of the
/// current epoch.
#[derive(Debug, Clone)]
pub struct Member {
    /// The member's name (its basic credential).
    pub name: &'static str,
    /// Its signature key pair.
    pub signer: Signer,
    /// Its view of the group.
    pub group: Group,
}

/// A client outside the group: its signature key pair and a KeyPackage.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client's name (its basic credential).
    pub name: &'static str,
    /// Its signature key pair.
    pub signer: Signer,
    /// Its KeyPackage with the private keys.
    pub key_package: KeyPackageBundle,
}

/// A valid handshake or application content the `process_mutated` target
/// changes, signs again and protects.
#[derive(Debug, Clone)]
pub struct Template {
    /// What it is.
    pub name: &'static str,
    /// The content as sent.
    pub content: FramedContent,
    /// Its signature as sent.
    pub signature: VarBytes,
    /// The confirmation tag of a commit.
    pub confirmation_tag: Option<VarBytes>,
}

/// A GroupInfo with what a joiner needs beside it.
#[derive(Debug, Clone)]
pub struct GroupInfoSeed {
    /// What it is.
    pub name: &'static str,
    /// The GroupInfo.
    pub group_info: GroupInfo,
}

/// The fixed group and everything made from it.
#[derive(Debug)]
pub struct Fixture {
    /// Alice, Bob, Carol and Dave (leaves 0 to 3), in epoch 2; all but
    /// Dave have two cached proposals.
    pub members: Vec<Member>,
    /// Erin, Frank, Grace and Heidi.
    pub clients: Vec<Client>,
    /// The group's external sender (index 0 of `external_senders`).
    pub server: Signer,
    /// Valid messages for the receiver, by name.
    pub messages: Vec<(&'static str, MlsMessage)>,
    /// Valid Welcomes for Erin, by name.
    pub welcomes: Vec<(&'static str, Welcome)>,
    /// The epoch authenticators of the epochs those Welcomes lead to.
    pub welcome_epochs: Vec<Vec<u8>>,
    /// GroupInfos of the current epoch, by name.
    pub group_infos: Vec<GroupInfoSeed>,
    /// The contents `process_mutated` starts from.
    pub templates: Vec<Template>,
    /// The receiver's state record.
    pub state_record: Vec<u8>,
    /// The receiver's past-epoch records, by epoch.
    pub past_epoch_records: Vec<(u64, Vec<u8>)>,
    /// Every record the receiver's save wrote: kind, key, value.
    pub group_records: Vec<(RecordKind, Vec<u8>, Vec<u8>)>,
    /// Erin's KeyPackage record.
    pub key_package_record: Vec<u8>,
}

/// Index of Erin in [`Fixture::clients`]: the joiner of every Welcome.
pub const JOINER: usize = 0;
/// Index of Heidi in [`Fixture::clients`]: the external joiner.
pub const EXTERNAL_JOINER: usize = 3;

/// A proposal policy that lets new members propose to add themselves.
#[derive(Debug, Clone, Copy, Default)]
struct OpenDoor;

impl ProposalPolicy for OpenDoor {
    fn allow_new_member_add(&self, _info: &ProposalInfo<'_>) -> bool {
        true
    }
}

/// The configuration of every member and joiner (public handshakes; new
/// members may propose themselves; no GREASE values sent, so the fixture,
/// and the seed corpus written from it, stay the same bytes for the same
/// seeds; receiving GREASE is what the mutators exercise).
pub fn config() -> GroupConfig {
    GroupConfig {
        grease: false,
        ..GroupConfig::default().with_proposal_policy(OpenDoor)
    }
}

/// The configuration of a member that sends private handshakes.
fn private_config() -> GroupConfig {
    GroupConfig {
        wire_format: cohort::group::WireFormatPolicy::AlwaysPrivate,
        ..config()
    }
}

/// The external PSKs every member and joiner hold.
pub fn psks() -> BTreeMap<Vec<u8>, Secret> {
    let mut m = BTreeMap::new();
    m.insert(PSK_ID.to_vec(), psk_value());
    m
}

fn psk_value() -> Secret {
    Secret::from_slice(&[0x5a; 32])
}

/// A fresh provider for one run of a target: the same random stream every
/// time, empty storage.
pub fn provider() -> FuzzProvider {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(RUN_SEED),
        MemoryStorage::new(),
    )
}

/// The fixture, built on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

impl Fixture {
    /// The receiver's view.
    pub fn receiver(&self) -> &Group {
        &self.members[RECEIVER].group
    }

    /// The signature key pair whose public key is `public_key`, among the
    /// members, the clients and the server.
    pub fn signer_for(&self, public_key: &[u8]) -> Option<&Signer> {
        self.members
            .iter()
            .map(|m| &m.signer)
            .chain(self.clients.iter().map(|c| &c.signer))
            .chain(std::iter::once(&self.server))
            .find(|s| s.public_key() == public_key)
    }

    /// Every signature public key the fixture holds a key pair for.
    pub fn signature_keys(&self) -> Vec<&[u8]> {
        self.members
            .iter()
            .map(|m| m.signer.public_key())
            .chain(self.clients.iter().map(|c| c.signer.public_key()))
            .chain(std::iter::once(self.server.public_key()))
            .collect()
    }

    /// The joiner of the Welcomes (Erin).
    pub fn joiner(&self) -> &Client {
        &self.clients[JOINER]
    }

    /// The external joiner (Heidi).
    pub fn external_joiner(&self) -> &Client {
        &self.clients[EXTERNAL_JOINER]
    }
}

fn cs(p: &FuzzProvider) -> SuiteCrypto<'_, RustCrypto> {
    SuiteCrypto::new(&p.crypto, SUITE).expect("suite 0x0001 is supported")
}

fn new_client(p: &FuzzProvider, name: &'static str) -> Client {
    let scheme = cs(p).params().signature;
    let signer =
        SignatureKeyPair::generate(RustCrypto::new(), scheme, &p.rand).expect("key generation");
    let key_package = KeyPackageBuilder::new(Credential::basic(name))
        .grease(false)
        .build(&cs(p), &p.rand, &signer)
        .expect("KeyPackage");
    Client {
        name,
        signer,
        key_package,
    }
}

fn welcome_of(msg: &MlsMessage) -> Welcome {
    match &msg.body {
        MlsMessageBody::Welcome(w) => w.clone(),
        other => panic!("expected a Welcome, got {other:?}"),
    }
}

fn group_info_of(msg: &MlsMessage) -> GroupInfo {
    match &msg.body {
        MlsMessageBody::GroupInfo(g) => g.clone(),
        other => panic!("expected a GroupInfo, got {other:?}"),
    }
}

/// The template of a PublicMessage.
fn public_template(name: &'static str, msg: &MlsMessage) -> Template {
    match &msg.body {
        MlsMessageBody::PublicMessage(m) => Template {
            name,
            content: m.content.clone(),
            signature: m.auth.signature.clone(),
            confirmation_tag: m.auth.confirmation_tag.clone(),
        },
        other => panic!("expected a PublicMessage, got {other:?}"),
    }
}

/// A template of content built here (for what the fixture sends privately).
fn member_template(
    name: &'static str,
    group: &Group,
    signer: &Signer,
    body: FramedContentBody,
) -> Template {
    let p = provider();
    let content = FramedContent {
        group_id: group.group_id().to_vec().into(),
        epoch: group.epoch(),
        sender: Sender::Member(group.own_leaf().0),
        authenticated_data: VarBytes::default(),
        body,
    };
    let ac = cohort::framing::sign_content(
        &cs(&p),
        signer,
        cohort::framing::WireFormat::PUBLIC_MESSAGE,
        content,
        Some(group.context()),
    )
    .expect("signing");
    Template {
        name,
        content: ac.content,
        signature: ac.auth.signature,
        confirmation_tag: None,
    }
}

/// `member` processes `msg` and, for a commit, merges it.
fn deliver(p: &FuzzProvider, member: &mut Member, msg: &MlsMessage) {
    match member.group.process(p, msg) {
        Ok(ProcessedMessage::Commit(staged)) => member
            .group
            .merge_staged_commit(*staged)
            .expect("merging a valid commit"),
        Ok(_) => {}
        Err(e) => panic!("{} refused a fixture message: {e}", member.name),
    }
}

/// Member `who` commits what `build` makes of its builder; everyone else
/// receives the commit.
fn commit_all(
    p: &FuzzProvider,
    members: &mut [Member],
    who: usize,
    build: impl FnOnce(cohort::group::CommitBuilder) -> cohort::group::CommitBuilder,
) -> CommitOutput {
    let m = &mut members[who];
    let b = build(m.group.commit());
    let (out, staged) = m.group.create_commit(p, &m.signer, b).expect("commit");
    m.group.merge_staged_commit(staged).expect("merge");
    for (i, other) in members.iter_mut().enumerate() {
        if i != who {
            deliver(p, other, &out.commit);
        }
    }
    out
}

/// A commit of `who` on a copy of its state, not delivered: the commit and
/// the epoch authenticator it leads to.
fn side_commit(
    p: &FuzzProvider,
    member: &Member,
    build: impl FnOnce(cohort::group::CommitBuilder) -> cohort::group::CommitBuilder,
) -> (CommitOutput, Vec<u8>) {
    let mut g = member.group.clone();
    let b = build(g.commit());
    let (out, staged) = g.create_commit(p, &member.signer, b).expect("commit");
    let authenticator = staged
        .epoch_authenticator()
        .expect("the committer stays")
        .to_vec();
    (out, authenticator)
}

fn psk_proposal(p: &FuzzProvider) -> Proposal {
    let mut nonce = vec![0u8; cs(p).hash_len()];
    p.rand.fill(&mut nonce).expect("randomness");
    Proposal::PreSharedKey(PreSharedKey {
        psk: PreSharedKeyId {
            psk: Psk::External {
                psk_id: PSK_ID.to_vec().into(),
            },
            psk_nonce: nonce.into(),
        },
    })
}

fn build() -> Fixture {
    let p = ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(BUILD_SEED),
        MemoryStorage::new(),
    );
    let names = ["alice", "bob", "carol", "dave"];
    let founders: Vec<Client> = names.iter().map(|n| new_client(&p, n)).collect();
    let clients: Vec<Client> = ["erin", "frank", "grace", "heidi"]
        .iter()
        .map(|n| new_client(&p, n))
        .collect();
    let server = SignatureKeyPair::generate(RustCrypto::new(), cs(&p).params().signature, &p.rand)
        .expect("key generation");

    // Epoch 0 to 1: Alice creates the group and adds the others.
    let mut extensions = Extensions::default();
    extensions
        .push(&ExternalSenders(
            vec![ExternalSender {
                signature_key: server.public_key().to_vec().into(),
                credential: Credential::basic("server"),
            }]
            .into(),
        ))
        .expect("extension");
    let mut alice = Group::create(
        &p,
        &founders[0].key_package,
        GROUP_ID.to_vec(),
        extensions,
        config(),
    )
    .expect("create");
    let mut b = alice.commit();
    for c in &founders[1..] {
        b = b.add_member(c.key_package.key_package.clone());
    }
    let (out, staged) = alice
        .create_commit(&p, &founders[0].signer, b)
        .expect("commit");
    alice.merge_staged_commit(staged).expect("merge");
    let welcome = welcome_of(out.welcome.as_ref().expect("a Welcome"));
    let mut members = vec![Member {
        name: founders[0].name,
        signer: founders[0].signer.clone(),
        group: alice,
    }];
    for (i, c) in founders.iter().enumerate().skip(1) {
        let config = if i == 3 { private_config() } else { config() };
        let group = Group::join(&p, &welcome, &c.key_package, None, psks(), config).expect("join");
        members.push(Member {
            name: c.name,
            signer: c.signer.clone(),
            group,
        });
    }
    for m in &mut members {
        m.group.add_external_psk(PSK_ID.to_vec(), psk_value());
    }

    // Epoch 1: Dave's message arrives late, in epoch 2.
    let late = {
        let dave = &mut members[3];
        dave.group
            .encrypt(&p, &dave.signer, b"sent in epoch 1", b"late")
            .expect("encrypt")
    };
    // Epoch 1 to 2: Dave updates his keys (a private commit).
    commit_all(&p, &mut members, 3, |b| b.force_path(true));

    // Epoch 2, before any proposal is cached.
    let application = {
        let mut dave = members[3].group.clone();
        dave.encrypt(&p, &members[3].signer, b"hello bob", b"aad")
            .expect("encrypt")
    };
    let app_template = member_template(
        "application",
        &members[3].group,
        &members[3].signer,
        FramedContentBody::Application(b"hello bob".to_vec().into()),
    );
    let add_frank = Proposal::Add(Box::new(Add {
        key_package: clients[1].key_package.key_package.clone(),
    }));
    let add_grace = Proposal::Add(Box::new(Add {
        key_package: clients[2].key_package.key_package.clone(),
    }));
    let reinit = Proposal::ReInit(ReInit {
        group_id: b"cohort fuzz group, again".to_vec().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: SUITE,
        extensions: Extensions::default(),
    });
    let dave_add = {
        let mut dave = members[3].group.clone();
        dave.propose(&p, &members[3].signer, add_frank.clone())
            .expect("propose")
    };
    let dave_reinit = {
        let mut dave = members[3].group.clone();
        dave.propose(&p, &members[3].signer, reinit.clone())
            .expect("propose")
    };
    let dave_add_template = member_template(
        "proposal-add",
        &members[3].group,
        &members[3].signer,
        FramedContentBody::Proposal(add_frank.clone()),
    );
    let dave_reinit_template = member_template(
        "proposal-reinit",
        &members[3].group,
        &members[3].signer,
        FramedContentBody::Proposal(reinit),
    );
    let alice_psk = {
        let mut alice = members[0].group.clone();
        let proposal = psk_proposal(&p);
        alice
            .propose(&p, &members[0].signer, proposal)
            .expect("propose")
    };
    let carol_gce = {
        let mut carol = members[2].group.clone();
        let extensions = carol.context().extensions.clone();
        carol
            .propose(
                &p,
                &members[2].signer,
                Proposal::GroupContextExtensions(GroupContextExtensions { extensions }),
            )
            .expect("propose")
    };
    let server_add = external_proposal(&p, &server, SUITE, GROUP_ID, 2, 0, add_grace)
        .expect("external proposal");
    let server_remove = external_proposal(
        &p,
        &server,
        SUITE,
        GROUP_ID,
        2,
        0,
        Proposal::Remove(Remove { removed: 2 }),
    )
    .expect("external proposal");
    let grace_self = new_member_proposal(
        &p,
        &clients[2].signer,
        GROUP_ID,
        2,
        &clients[2].key_package.key_package,
    )
    .expect("new member proposal");

    // Proposals every member caches: Carol's Update, Alice's Remove of Dave.
    let carol_update = {
        let carol = &mut members[2];
        carol
            .group
            .propose_update(&p, &carol.signer)
            .expect("update")
    };
    let alice_remove = {
        let alice = &mut members[0];
        alice
            .group
            .propose(&p, &alice.signer, Proposal::Remove(Remove { removed: 3 }))
            .expect("propose")
    };
    // Dave accepts only private handshakes: his commit below leaves them out.
    for (i, m) in members.iter_mut().enumerate() {
        if i != 2 && i != 3 {
            deliver(&p, m, &carol_update);
        }
        if i != 0 && i != 3 {
            deliver(&p, m, &alice_remove);
        }
    }

    // Commits, each on a copy of its committer's state.
    let (pending, _) = side_commit(&p, &members[0], |b| {
        b.add_member(clients[1].key_package.key_package.clone())
    });
    let (dave_commit, _) = side_commit(&p, &members[3], |b| {
        b.include_pending_proposals(false).force_path(true)
    });
    let (carol_add, carol_epoch) = side_commit(&p, &members[2], |b| {
        b.include_pending_proposals(false)
            .add_member(clients[0].key_package.key_package.clone())
    });
    let (alice_psk_commit, alice_epoch) = side_commit(&p, &members[0], |b| {
        b.include_pending_proposals(false)
            .force_path(true)
            .external_psk(PSK_ID.to_vec())
            .add_member(clients[0].key_package.key_package.clone())
    });
    let group_info = group_info_of(
        &members[0]
            .group
            .group_info(&p, &members[0].signer, true)
            .expect("GroupInfo"),
    );
    let group_info_no_tree = group_info_of(
        &members[2]
            .group
            .group_info(&p, &members[2].signer, false)
            .expect("GroupInfo"),
    );
    let heidi = &clients[EXTERNAL_JOINER];
    let (_, external_commit) = Group::join_external(
        &p,
        &heidi.signer,
        &group_info,
        None,
        &heidi.key_package,
        config(),
        None,
    )
    .expect("external join");

    // The receiver's records.
    let storage_p = provider();
    let bob = &members[RECEIVER].group;
    bob.save(&storage_p).expect("save");
    let state_record = storage_p
        .storage
        .get(
            RecordKind::GroupState,
            &group_state_key(&[], GROUP_ID).expect("key"),
        )
        .expect("storage")
        .expect("the state record");
    let past_epoch_records = (0..bob.epoch())
        .filter_map(|e| {
            let key = past_epoch_key(&[], GROUP_ID, e).expect("key");
            storage_p
                .storage
                .get(RecordKind::PastEpoch, &key)
                .expect("storage")
                .map(|r| (e, r))
        })
        .collect();
    let mut group_records = Vec::new();
    for kind in [
        RecordKind::GroupState,
        RecordKind::Tree,
        RecordKind::SecretTree,
        RecordKind::SenderRatchets,
        RecordKind::PastEpoch,
    ] {
        for key in storage_p.storage.list_keys(kind, b"").expect("storage") {
            let value = storage_p
                .storage
                .get(kind, &key)
                .expect("storage")
                .expect("listed");
            group_records.push((kind, key, value));
        }
    }
    let erin = &clients[JOINER];
    erin.key_package.store(&storage_p).expect("store");
    let kp_ref = key_package_ref(&cs(&p), &erin.key_package.key_package).expect("reference");
    let key_package_record = storage_p
        .storage
        .get(
            RecordKind::KeyPackage,
            &key_package_key(&[], &kp_ref).expect("key"),
        )
        .expect("storage")
        .expect("the KeyPackage record");

    let templates = vec![
        app_template,
        public_template("proposal-update", &carol_update),
        public_template("proposal-remove", &alice_remove),
        dave_add_template,
        public_template("proposal-psk", &alice_psk),
        public_template("proposal-gce", &carol_gce),
        dave_reinit_template,
        public_template("external-proposal-add", &server_add),
        public_template("external-proposal-remove", &server_remove),
        public_template("new-member-proposal", &grace_self),
        public_template("commit-pending", &pending.commit),
        public_template("commit-add", &carol_add.commit),
        public_template("commit-psk-path", &alice_psk_commit.commit),
        public_template("external-commit", &external_commit),
    ];
    let messages = vec![
        ("application", application),
        ("late-application", late),
        ("proposal-update", carol_update),
        ("proposal-remove", alice_remove),
        ("proposal-add-private", dave_add),
        ("proposal-reinit-private", dave_reinit),
        ("proposal-psk", alice_psk),
        ("proposal-gce", carol_gce),
        ("external-proposal-add", server_add),
        ("external-proposal-remove", server_remove),
        ("new-member-proposal", grace_self),
        ("commit-pending", pending.commit),
        ("commit-private-path", dave_commit.commit),
        ("commit-add", carol_add.commit),
        ("commit-psk-path", alice_psk_commit.commit),
        ("external-commit", external_commit),
    ];
    let welcomes = vec![
        (
            "welcome-add",
            welcome_of(carol_add.welcome.as_ref().expect("a Welcome")),
        ),
        (
            "welcome-psk-path",
            welcome_of(alice_psk_commit.welcome.as_ref().expect("a Welcome")),
        ),
    ];
    Fixture {
        members,
        clients,
        server,
        messages,
        welcomes,
        welcome_epochs: vec![carol_epoch, alice_epoch],
        group_infos: vec![
            GroupInfoSeed {
                name: "group-info",
                group_info,
            },
            GroupInfoSeed {
                name: "group-info-no-tree",
                group_info: group_info_no_tree,
            },
        ],
        templates,
        state_record,
        past_epoch_records,
        group_records,
        key_package_record,
    }
}

/// The seed corpus: `(target, name, bytes)` for every valid input the
/// fixture makes, and the structure-aware targets' descriptions of them.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let f = fixture();
    let mut out = Vec::new();
    let mut add = |target: &'static str, name: String, bytes: Vec<u8>| {
        out.push((target, name, bytes));
    };
    let enc = |v: &dyn Fn() -> Result<Vec<u8>, cohort::Error>| v().expect("encoding");
    for (name, msg) in &f.messages {
        let bytes = enc(&|| encode(msg));
        add("decode_mls_message", name.to_string(), bytes.clone());
        add("process", name.to_string(), bytes);
    }
    for (name, w) in &f.welcomes {
        let bytes = enc(&|| encode(w));
        let wrapped = enc(&|| encode(&MlsMessage::new(MlsMessageBody::Welcome(w.clone()))));
        add("decode_mls_message", name.to_string(), wrapped);
        add("decode_welcome", name.to_string(), bytes.clone());
        add("join", name.to_string(), bytes);
        let secrets = crate::wire::group_secrets_for(w, &f.joiner().key_package);
        add(
            "decode_group_secrets",
            name.to_string(),
            enc(&|| encode(&secrets)),
        );
    }
    for g in &f.group_infos {
        let bytes = enc(&|| encode(&g.group_info));
        let wrapped = enc(&|| {
            encode(&MlsMessage::new(MlsMessageBody::GroupInfo(
                g.group_info.clone(),
            )))
        });
        add("decode_mls_message", g.name.to_string(), wrapped);
        add("decode_group_info", g.name.to_string(), bytes.clone());
        add("join_external", g.name.to_string(), bytes);
    }
    for c in &f.clients {
        let kp = &c.key_package.key_package;
        add(
            "decode_key_package",
            c.name.to_string(),
            enc(&|| encode(kp)),
        );
        add(
            "decode_mls_message",
            format!("key-package-{}", c.name),
            enc(&|| encode(&MlsMessage::new(MlsMessageBody::KeyPackage(kp.clone())))),
        );
    }
    add(
        "decode_ratchet_tree",
        "tree".into(),
        enc(&|| f.receiver().tree().encode_extension()),
    );
    for (name, bytes) in crate::load::seeds(f) {
        add("load", name, bytes);
    }
    for (target, name, bytes) in crate::mutate::seeds(f) {
        add(target, name, bytes);
    }
    out
}
