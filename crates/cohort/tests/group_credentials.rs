//! The Authentication Service hook (RFC 9420 section 5.3.1): the
//! application's `CredentialValidator` is asked at every event where a
//! credential enters the group (C-CRED-03 to C-CRED-09, C-LN-03) and when a
//! member's credential is replaced (C-CRED-10). Every refusal names its
//! check and leaves the group (and, for joins, the storage) unchanged.
//! Check IDs refer to `checks.md`.

mod group_common;

use cohort::codec::{VarBytes, VarVec};
use cohort::crypto::SuiteCrypto;
use cohort::framing::MlsMessage;
use cohort::group::{
    CommitHook, CredentialEvent, CredentialInfo, CredentialValidator, DefaultCredentialValidator,
    Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, ProcessedMessage,
    SharedCredentialValidator, key_package_ref, new_member_proposal,
};
use cohort::messages::{
    Add, ApplicationId, Capabilities, Certificate, Commit, Credential, CredentialType, Extensions,
    ExternalSender, ExternalSenders, LeafNode, LeafNodeSource, Proposal, Update,
};
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort::{Error, ValidationError};
use cohort_rust_crypto::RustCrypto;
use cohort_traits::Signer as _;
use group_common::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A test Authentication Service: refuses the basic identities in
/// `refused` and every non-basic credential, accepts any successor when
/// `any_successor` (else the default rule), and counts its calls.
#[derive(Default)]
struct TestAs {
    refused: Vec<&'static str>,
    any_successor: bool,
    validated: AtomicUsize,
    successors: AtomicUsize,
}

impl CredentialValidator for TestAs {
    fn validate(&self, info: &CredentialInfo<'_>) -> bool {
        self.validated.fetch_add(1, Ordering::SeqCst);
        match info.credential {
            Credential::Basic { identity } => !self
                .refused
                .iter()
                .any(|r| identity.as_slice() == r.as_bytes()),
            _ => !self.refused.contains(&"x509"),
        }
    }

    fn valid_successor(&self, old: &LeafNode, new: &CredentialInfo<'_>) -> bool {
        self.successors.fetch_add(1, Ordering::SeqCst);
        self.any_successor || old.credential == *new.credential
    }
}

/// `validator` as a group's configuration holds it, and a handle to it.
fn shared(validator: TestAs) -> (SharedCredentialValidator, Arc<TestAs>) {
    let handle = Arc::new(validator);
    let dynamic: Arc<dyn CredentialValidator> = handle.clone();
    (SharedCredentialValidator::from(dynamic), handle)
}

/// Refuses the basic identities `names` (and keeps identities unchanged).
fn refusing(names: &[&'static str]) -> SharedCredentialValidator {
    shared(TestAs {
        refused: names.to_vec(),
        ..Default::default()
    })
    .0
}

/// Refuses the basic identities `names`; any credential may replace
/// another.
fn refusing_lenient(names: &[&'static str]) -> SharedCredentialValidator {
    shared(TestAs {
        refused: names.to_vec(),
        any_successor: true,
        ..Default::default()
    })
    .0
}

/// Accepts every credential (x509 included) and every successor.
fn lenient() -> SharedCredentialValidator {
    refusing_lenient(&[])
}

fn config_with(v: SharedCredentialValidator) -> GroupConfig {
    GroupConfig {
        credential_validator: v,
        ..GroupConfig::default()
    }
}

fn rejected(event: CredentialEvent) -> Error {
    Error::Validation(ValidationError::CredentialRejected { event })
}

fn not_successor(leaf: u32) -> Error {
    Error::Validation(ValidationError::InvalidCredentialSuccessor { leaf })
}

/// `members[who]` builds `builder` without merging it.
fn build(
    p: &TestProvider,
    members: &mut [Member],
    who: usize,
    builder: impl FnOnce(&Group) -> cohort::group::CommitBuilder,
) -> MlsMessage {
    let b = builder(&members[who].group);
    let m = &mut members[who];
    let (out, _) = m.group.create_commit(p, &m.signer, b).unwrap();
    out.commit
}

/// Processes a proposal message, which must be accepted.
fn take_proposal(p: &TestProvider, group: &mut Group, msg: &MlsMessage) {
    match group.process(p, msg).unwrap() {
        ProcessedMessage::Proposal { .. } => {}
        other => panic!("expected a proposal, got {other:?}"),
    }
}

/// An Update of `m`'s leaf presenting `credential`, with a fresh
/// encryption key from `seed`, signed by `m`.
fn update_presenting(p: &TestProvider, m: &Member, credential: Credential, seed: u8) -> Proposal {
    let cs = cs(p, SUITE);
    let g = &m.group;
    let mut leaf = g.tree().leaf(g.own_leaf()).unwrap().clone();
    let (_, public) = cs.derive_key_pair(&[seed; 32]).unwrap();
    leaf.encryption_key = public.into();
    leaf.leaf_node_source = LeafNodeSource::Update;
    leaf.credential = credential;
    let tbs = leaf
        .to_be_signed(Some((g.group_id(), g.own_leaf())))
        .unwrap();
    leaf.signature = cs
        .sign_with_label(&m.signer, b"LeafNodeTBS", &tbs)
        .unwrap()
        .into();
    Proposal::Update(Box::new(Update { leaf_node: leaf }))
}

/// A commit hook (feature `test-utils`) giving the path leaf of `m`'s next
/// commit the credential `credential`, signed again by `m`.
fn path_presenting(m: &Member, credential: Credential) -> CommitHook {
    let signer = m.signer.clone();
    let group_id = m.group.group_id().to_vec();
    let leaf = m.group.own_leaf();
    Arc::new(move |c: &mut Commit| {
        let crypto = RustCrypto::new();
        let cs = SuiteCrypto::new(&crypto, SUITE).unwrap();
        let node = &mut c.path.as_mut().unwrap().leaf_node;
        node.credential = credential.clone();
        let tbs = node
            .to_be_signed(Some((group_id.as_slice(), leaf)))
            .unwrap();
        node.signature = cs
            .sign_with_label(&signer, b"LeafNodeTBS", &tbs)
            .unwrap()
            .into();
    })
}

fn external_senders(names: &[&str], p: &TestProvider) -> Extensions {
    let senders = names
        .iter()
        .map(|n| ExternalSender {
            signature_key: signer(p, SUITE).public_key().to_vec().into(),
            credential: Credential::basic(*n),
        })
        .collect();
    let mut e = Extensions::default();
    e.push(&ExternalSenders(VarVec(senders))).unwrap();
    e
}

// ---- the default Authentication Service ------------------------------------

/// Asks `f` about `leaf`'s credential, as met in an Add.
fn ask(leaf: &LeafNode, g: &Group, f: impl Fn(&CredentialInfo<'_>) -> bool) -> bool {
    f(&CredentialInfo {
        event: CredentialEvent::Add,
        credential: &leaf.credential,
        signature_key: leaf.signature_key.as_slice(),
        leaf_node: Some(leaf),
        context: g.context(),
    })
}

/// The default accepts basic credentials and refuses x509, which it cannot
/// verify (C-LN-03); a member keeps its credential (C-CRED-10), though its
/// signature key may change.
#[test]
fn default_validator_accepts_basic_refuses_x509_and_keeps_identities_c_cred_10() {
    let p = provider(0xc0);
    let members = group(&p, &["alice"]);
    let g = &members[0].group;
    let leaf = g.tree().leaf(LeafIndex(0)).unwrap().clone();
    let v = DefaultCredentialValidator;
    assert!(ask(&leaf, g, |i| v.validate(i)));
    assert!(ask(&leaf, g, |i| v.valid_successor(&leaf, i)));
    let mut x509 = leaf.clone();
    x509.credential = certificate();
    assert!(!ask(&x509, g, |i| v.validate(i)));
    let mut mallory = leaf.clone();
    mallory.credential = Credential::basic("mallory");
    assert!(ask(&mallory, g, |i| v.validate(i)));
    assert!(!ask(&mallory, g, |i| v.valid_successor(&leaf, i)));
    let mut new_key = leaf.clone();
    new_key.signature_key = signer(&p, SUITE).public_key().to_vec().into();
    assert!(ask(&new_key, g, |i| v.valid_successor(&leaf, i)));

    let config = GroupConfig::default();
    assert!(config.credential_validator.is_default());
    assert_eq!(
        format!("{:?}", config.credential_validator),
        "SharedCredentialValidator(default)"
    );
}

// ---- C-CRED-03: a KeyPackage this member commits ----------------------------

#[test]
fn committing_an_add_validates_the_key_package_c_cred_03() {
    let p = provider(0xc1);
    let mut members = group(&p, &["alice", "bob"]);
    members[0]
        .group
        .set_credential_validator(refusing(&["mallory"]));
    let (_, mallory) = client(&p, SUITE, "mallory");
    let before = snapshot(&members[0].group);
    let alice = &mut members[0];
    let err = alice
        .group
        .create_commit(
            &p,
            &alice.signer,
            alice.group.commit().add_member(mallory.key_package.clone()),
        )
        .unwrap_err();
    assert_eq!(err, rejected(CredentialEvent::Add));
    assert_eq!(snapshot(&members[0].group), before);

    // A KeyPackage the Authentication Service accepts goes in.
    let (_, carol) = client(&p, SUITE, "carol");
    commit_all(&p, &mut members, 0, |g| {
        g.commit().add_member(carol.key_package.clone())
    });
}

/// A client listing basic and x509.
fn x509_capable(p: &TestProvider, credential: Credential) -> (Signer, KeyPackageBundle) {
    let s = signer(p, SUITE);
    let kp = KeyPackageBuilder::new(credential)
        .capabilities(Capabilities {
            credentials: VarVec(vec![CredentialType::BASIC, CredentialType::X509]),
            ..Default::default()
        })
        .build(&cs(p, SUITE), &p.rand, &s)
        .unwrap();
    (s, kp)
}

fn certificate() -> Credential {
    Credential::X509 {
        certificates: VarVec(vec![Certificate {
            cert_data: VarBytes(vec![0x30, 0x03, 0x02, 0x01, 0x01]),
        }]),
    }
}

/// The default validator refuses an x509 KeyPackage, in a commit being
/// built (C-CRED-03), in a commit received (C-CRED-05) and in the tree of a
/// group being joined (C-CRED-04); an application validator may accept it.
#[test]
fn default_validator_refuses_x509_credentials_c_cred_03_c_cred_04_c_cred_05() {
    let p = provider(0xc2);
    let (alice_signer, alice_kp) = x509_capable(&p, Credential::basic("alice"));
    let (_, bob_kp) = x509_capable(&p, Credential::basic("bob"));
    let (_, xavier_kp) = x509_capable(&p, certificate());
    let mut alice = Group::create(
        &p,
        &alice_kp,
        b"x509 group".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let (out, staged) = alice
        .create_commit(
            &p,
            &alice_signer,
            alice.commit().add_member(bob_kp.key_package.clone()),
        )
        .unwrap();
    alice.merge_staged_commit(staged).unwrap();
    let mut bob = Group::join(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        &bob_kp,
        None,
        BTreeMap::new(),
        GroupConfig::default(),
    )
    .unwrap();

    // C-CRED-03: the default refuses to commit the x509 KeyPackage.
    let before = snapshot(&alice);
    let add = |g: &Group| g.commit().add_member(xavier_kp.key_package.clone());
    let builder = add(&alice);
    let err = alice.create_commit(&p, &alice_signer, builder);
    assert_eq!(err.unwrap_err(), rejected(CredentialEvent::Add));
    assert_eq!(snapshot(&alice), before);

    // With an application validator that accepts it, alice commits it;
    // bob, on the default, refuses the commit (C-CRED-05).
    alice.set_credential_validator(lenient());
    let builder = add(&alice);
    let (out, staged) = alice.create_commit(&p, &alice_signer, builder).unwrap();
    refused(&p, &mut bob, &out.commit, rejected(CredentialEvent::Add));
    bob.set_credential_validator(lenient());
    apply(&p, &mut bob, &out.commit);
    alice.merge_staged_commit(staged).unwrap();
    agree(&p, &[&alice, &bob]);

    // xavier joins only with a validator for his own x509 credential
    // (C-CRED-04).
    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    let join = |config| Group::join(&p, welcome, &xavier_kp, None, BTreeMap::new(), config);
    assert_eq!(
        join(GroupConfig::default()).unwrap_err(),
        rejected(CredentialEvent::Join { leaf: 2 })
    );
    let xavier = join(config_with(lenient())).unwrap();
    agree(&p, &[&alice, &bob, &xavier]);
}

// ---- C-CRED-05: received Adds, by value and by reference ---------------------

#[test]
fn received_add_by_value_is_validated_c_cred_05() {
    let p = provider(0xc3);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let (_, mallory) = client(&p, SUITE, "mallory");
    let commit = build(&p, &mut members, 1, |g| {
        g.commit().add_member(mallory.key_package.clone())
    });
    refused_by(
        &p,
        &mut members[0],
        &["mallory"],
        &commit,
        CredentialEvent::Add,
    );
    // carol's Authentication Service accepts it.
    stage(&p, &mut members[2].group, &commit);
}

#[test]
fn received_add_by_reference_is_validated_c_cred_05() {
    let p = provider(0xc4);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let (_, mallory) = client(&p, SUITE, "mallory");
    let bob = &mut members[1];
    let proposal = bob
        .group
        .propose(
            &p,
            &bob.signer,
            Proposal::Add(Box::new(Add {
                key_package: mallory.key_package.clone(),
            })),
        )
        .unwrap();
    // On its own: refused, and not cached.
    refused_by(
        &p,
        &mut members[0],
        &["mallory"],
        &proposal,
        CredentialEvent::Add,
    );
    assert!(members[0].group.pending_proposals().is_empty());

    // Cached while alice's Authentication Service accepted it, then
    // committed by reference after it changed its mind: the commit is
    // refused.
    members[0]
        .group
        .set_credential_validator(SharedCredentialValidator::default());
    take_proposal(&p, &mut members[0].group, &proposal);
    take_proposal(&p, &mut members[2].group, &proposal);
    let commit = build(&p, &mut members, 2, |g| g.commit());
    refused_by(
        &p,
        &mut members[0],
        &["mallory"],
        &commit,
        CredentialEvent::Add,
    );
    members[0]
        .group
        .set_credential_validator(SharedCredentialValidator::default());
    stage(&p, &mut members[0].group, &commit);
}

/// A new member's Add of itself (sender `new_member_proposal`) is an Add
/// too (C-CRED-05): its credential is validated before the policy is asked.
#[test]
fn new_member_self_add_is_validated_c_cred_05() {
    let p = provider(0xc5);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        Extensions::default(),
        open_config(),
    );
    let (mallory_signer, mallory) = client(&p, SUITE, "mallory");
    let g = &members[0].group;
    let msg = new_member_proposal(
        &p,
        &mallory_signer,
        g.group_id(),
        g.epoch(),
        &mallory.key_package,
    )
    .unwrap();
    refused_by(
        &p,
        &mut members[0],
        &["mallory"],
        &msg,
        CredentialEvent::Add,
    );
    take_proposal(&p, &mut members[1].group, &msg);
}

// ---- C-CRED-04: joining from a GroupInfo -----------------------------------

/// `member`, whose Authentication Service now refuses `names`, refuses
/// `msg` as `event` with its group unchanged.
fn refused_by(
    p: &TestProvider,
    member: &mut Member,
    names: &[&'static str],
    msg: &MlsMessage,
    event: CredentialEvent,
) {
    member.group.set_credential_validator(refusing(names));
    refused(p, &mut member.group, msg, rejected(event));
}

/// A GroupInfo with the ratchet tree, as `member` publishes it.
fn published_group_info(p: &TestProvider, member: &Member) -> MlsMessage {
    member.group.group_info(p, &member.signer, true).unwrap()
}

/// A join by external commit from `gi` (no PSK, no resync) with `config`.
fn join_externally(
    p: &TestProvider,
    signer: &Signer,
    gi: &MlsMessage,
    kp: &KeyPackageBundle,
    config: GroupConfig,
) -> Result<(Group, MlsMessage), cohort::Error> {
    Group::join_external(p, signer, group_info_of(gi), None, kp, config, None)
}

/// alice, bob and mallory, and a Welcome of alice adding dave.
fn welcome_for_dave(p: &TestProvider) -> (Vec<Member>, KeyPackageBundle, MlsMessage) {
    let mut members = group(p, &["alice", "bob", "mallory"]);
    let (_, dave) = client(p, SUITE, "dave");
    let out = commit_all(p, &mut members, 0, |g| {
        g.commit().add_member(dave.key_package.clone())
    });
    (members, dave, out.welcome.unwrap())
}

#[test]
fn join_by_welcome_validates_every_leaf_c_cred_04() {
    let p = provider(0xc6);
    let (members, dave, welcome) = welcome_for_dave(&p);
    let join = |config| {
        Group::join(
            &p,
            welcome_of(&welcome),
            &dave,
            None,
            BTreeMap::new(),
            config,
        )
    };
    assert_eq!(
        join(config_with(refusing(&["mallory"]))).unwrap_err(),
        rejected(CredentialEvent::Join { leaf: 2 })
    );
    // Its own leaf is in the tree too.
    assert_eq!(
        join(config_with(refusing(&["dave"]))).unwrap_err(),
        rejected(CredentialEvent::Join { leaf: 3 })
    );
    let (v, handle) = shared(TestAs::default());
    let dave = join(config_with(v)).unwrap();
    assert_eq!(handle.validated.load(Ordering::SeqCst), 4);
    agree(&p, &[&members[0].group, &dave]);
}

#[test]
fn join_from_storage_refused_keeps_the_key_package_c_cred_04() {
    let p = provider(0xc7);
    let (members, dave, welcome) = welcome_for_dave(&p);
    dave.store(&p).unwrap();
    let r = key_package_ref(&cs(&p, SUITE), &dave.key_package).unwrap();
    let records = p.storage.len();
    let group_id = members[0].group.group_id().to_vec();
    let join =
        |config| Group::join_from_storage(&p, welcome_of(&welcome), None, BTreeMap::new(), config);
    assert_eq!(
        join(config_with(refusing(&["mallory"]))).unwrap_err(),
        rejected(CredentialEvent::Join { leaf: 2 })
    );
    // Storage unchanged: the KeyPackage is still there, no group written.
    assert_eq!(p.storage.len(), records);
    assert_eq!(KeyPackageBundle::load(&p, &r).unwrap(), Some(dave.clone()));
    assert!(Group::load(&p, &group_id).unwrap().is_none());
    // Accepted: the join consumes it.
    let joined = join(GroupConfig::default()).unwrap();
    agree(&p, &[&members[0].group, &joined]);
    assert!(KeyPackageBundle::load(&p, &r).unwrap().is_none());
}

#[test]
fn join_with_resumption_validates_every_leaf_c_cred_04() {
    let p = provider(0xc8);
    let members = group(&p, &["alice", "bob", "mallory"]);
    let alice_kp = members[0].key_package(&p, SUITE);
    let bob_kp = members[1].key_package(&p, SUITE);
    let mallory_kp = members[2].key_package(&p, SUITE);
    let (sub_alice, out) = members[0]
        .group
        .branch(
            &p,
            &members[0].signer,
            &alice_kp,
            b"subgroup".to_vec(),
            Extensions::default(),
            vec![bob_kp.key_package.clone(), mallory_kp.key_package.clone()],
        )
        .unwrap();
    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    let join = |config| {
        Group::join_with_resumption(
            &p,
            welcome,
            &bob_kp,
            None,
            BTreeMap::new(),
            &members[1].group,
            config,
        )
    };
    assert_eq!(
        join(config_with(refusing(&["mallory"]))).unwrap_err(),
        rejected(CredentialEvent::Join { leaf: 2 })
    );
    let sub_bob = join(GroupConfig::default()).unwrap();
    agree(&p, &[&sub_alice, &sub_bob]);
}

#[test]
fn join_by_external_commit_validates_every_leaf_c_cred_04() {
    let p = provider(0xc9);
    let members = group(&p, &["alice", "bob", "mallory"]);
    let gi = published_group_info(&p, &members[0]);
    let (carol_signer, carol) = client(&p, SUITE, "carol");
    let join = |config| join_externally(&p, &carol_signer, &gi, &carol, config);
    assert_eq!(
        join(config_with(refusing(&["mallory"]))).map(|_| ()),
        Err(rejected(CredentialEvent::Join { leaf: 2 }))
    );
    let (joined, commit) = join(GroupConfig::default()).unwrap();
    let mut alice = members[0].group.clone();
    apply(&p, &mut alice, &commit);
    agree(&p, &[&alice, &joined]);
}

/// The external senders of a group being joined are credentials of that
/// group too (C-CRED-04).
#[test]
fn join_validates_the_external_senders_c_cred_04() {
    let p = provider(0xca);
    let extensions = external_senders(&["ds", "mallory-ds"], &p);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        extensions,
        GroupConfig::default(),
    );
    let (_, dave) = client(&p, SUITE, "dave");
    let out = commit_all(&p, &mut members, 0, |g| {
        g.commit().add_member(dave.key_package.clone())
    });
    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    let join = |config| Group::join(&p, welcome, &dave, None, BTreeMap::new(), config);
    assert_eq!(
        join(config_with(refusing(&["mallory-ds"]))).unwrap_err(),
        rejected(CredentialEvent::ExternalSender { index: 1 })
    );
    join(GroupConfig::default()).unwrap();
}

// ---- C-CRED-06 and C-CRED-10: Update proposals -----------------------------

#[test]
fn update_with_a_rejected_credential_c_cred_06() {
    let p = provider(0xcb);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let update = update_presenting(&p, &members[1], Credential::basic("mallory"), 1);
    let bob = &mut members[1];
    let msg = bob.group.propose(&p, &bob.signer, update).unwrap();
    members[0]
        .group
        .set_credential_validator(refusing_lenient(&["mallory"]));
    refused(
        &p,
        &mut members[0].group,
        &msg,
        rejected(CredentialEvent::Update { leaf: 1 }),
    );
    assert!(members[0].group.pending_proposals().is_empty());

    // Cached under a lenient Authentication Service, committed by carol,
    // then refused at commit time.
    members[0].group.set_credential_validator(lenient());
    take_proposal(&p, &mut members[0].group, &msg);
    members[2].group.set_credential_validator(lenient());
    take_proposal(&p, &mut members[2].group, &msg);
    let commit = build(&p, &mut members, 2, |g| g.commit());
    members[0]
        .group
        .set_credential_validator(refusing_lenient(&["mallory"]));
    refused(
        &p,
        &mut members[0].group,
        &commit,
        rejected(CredentialEvent::Update { leaf: 1 }),
    );
}

/// C-CRED-10: an Update changing bob's identity is refused by the default
/// successor rule (on receipt and in a commit); an application may allow
/// it.
#[test]
fn update_changing_the_identity_c_cred_10() {
    let p = provider(0xcc);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let update = update_presenting(&p, &members[1], Credential::basic("robert"), 2);
    let bob = &mut members[1];
    let msg = bob.group.propose(&p, &bob.signer, update).unwrap();
    refused(&p, &mut members[0].group, &msg, not_successor(1));

    members[0].group.set_credential_validator(lenient());
    take_proposal(&p, &mut members[0].group, &msg);
    members[2].group.set_credential_validator(lenient());
    take_proposal(&p, &mut members[2].group, &msg);
    let commit = build(&p, &mut members, 2, |g| g.commit());
    members[0]
        .group
        .set_credential_validator(SharedCredentialValidator::default());
    refused(&p, &mut members[0].group, &commit, not_successor(1));

    // With the application's consent the identity changes.
    members[0].group.set_credential_validator(lenient());
    apply(&p, &mut members[0].group, &commit);
    assert_eq!(
        members[0]
            .group
            .tree()
            .leaf(LeafIndex(1))
            .unwrap()
            .credential,
        Credential::basic("robert")
    );
}

/// The validator is asked only about new credentials: an Update or a
/// commit path keeping the credential and signature key is not put to it.
#[test]
fn unchanged_credentials_are_not_validated_again() {
    let p = provider(0xcd);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let (v, handle) = shared(TestAs::default());
    members[0].group.set_credential_validator(v);
    let bob = &mut members[1];
    let msg = bob.group.propose_update(&p, &bob.signer).unwrap();
    take_proposal(&p, &mut members[0].group, &msg);
    take_proposal(&p, &mut members[2].group, &msg);
    let commit = build(&p, &mut members, 2, |g| g.commit().force_path(true));
    apply(&p, &mut members[0].group, &commit);
    assert_eq!(handle.validated.load(Ordering::SeqCst), 0);
    assert_eq!(handle.successors.load(Ordering::SeqCst), 0);
}

/// C-CRED-12: bob's credential stops being valid (his certificate
/// expires: alice's Authentication Service now refuses it) after he sent a
/// message; alice, processing it late, in a later epoch, still accepts his
/// signature. Messages are checked against the sender's key as of their
/// epoch, and the validator is not asked about credentials it has already
/// accepted.
#[test]
fn late_message_from_a_since_expired_credential_c_cred_12() {
    let p = provider(0xce);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob = &mut members[1];
    let late = bob.group.encrypt(&p, &bob.signer, b"before", b"").unwrap();
    let sent_in = members[1].group.epoch();
    let (v, handle) = shared(TestAs {
        refused: vec!["bob"],
        ..Default::default()
    });
    members[0].group.set_credential_validator(v);
    commit_all(&p, &mut members, 2, |g| g.commit().force_path(true));
    assert!(members[0].group.epoch() > sent_in);
    match members[0].group.process(&p, &late).unwrap() {
        ProcessedMessage::Application {
            sender,
            credential,
            epoch,
            data,
            ..
        } => {
            assert_eq!(sender, LeafIndex(1));
            assert_eq!(credential, Credential::basic("bob"));
            assert_eq!(epoch, sent_in);
            assert_eq!(data, b"before");
        }
        other => panic!("expected an application message, got {other:?}"),
    }
    assert_eq!(handle.validated.load(Ordering::SeqCst), 0);
    // The refusal is real: bob's credential would not be admitted now.
    let (_, again) = client(&p, SUITE, "bob");
    let alice = &mut members[0];
    let b = alice.group.commit().add_member(again.key_package);
    assert_eq!(
        alice.group.create_commit(&p, &alice.signer, b).unwrap_err(),
        rejected(CredentialEvent::Add)
    );
}

// ---- C-CRED-07 and C-CRED-10: commit paths ---------------------------------

#[test]
fn path_leaf_with_a_rejected_credential_c_cred_07() {
    let p = provider(0xce);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let hook = path_presenting(&members[1], Credential::basic("mallory"));
    let commit = build(&p, &mut members, 1, |g| {
        g.commit().force_path(true).tamper_commit(hook)
    });
    members[0]
        .group
        .set_credential_validator(refusing_lenient(&["mallory"]));
    refused(
        &p,
        &mut members[0].group,
        &commit,
        rejected(CredentialEvent::CommitPath { leaf: 1 }),
    );
    // C-CRED-10: the default successor rule refuses the new identity.
    refused(&p, &mut members[2].group, &commit, not_successor(1));
}

#[test]
fn external_commit_leaf_is_validated_c_cred_07() {
    let p = provider(0xcf);
    let mut members = group(&p, &["alice", "bob"]);
    let gi = published_group_info(&p, &members[0]);
    let (carol_signer, carol) = client(&p, SUITE, "carol");
    let join = |config| join_externally(&p, &carol_signer, &gi, &carol, config);
    // The joiner checks its own leaf as the members will.
    assert_eq!(
        join(config_with(refusing(&["carol"]))).map(|_| ()),
        Err(rejected(CredentialEvent::ExternalCommit))
    );
    let (_, commit) = join(GroupConfig::default()).unwrap();
    refused_by(
        &p,
        &mut members[0],
        &["carol"],
        &commit,
        CredentialEvent::ExternalCommit,
    );
    stage(&p, &mut members[1].group, &commit);
}

/// A resync presents an identity the validator accepts as a successor of
/// the removed member's (C-EXT-15, C-CRED-10): the default wants the same
/// credential, an application may accept another.
#[test]
fn resync_identity_is_the_validators_call_c_cred_10() {
    let p = provider(0xd0);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let gi = published_group_info(&p, &members[0]);
    let (robert_signer, robert) = client(&p, SUITE, "robert");
    let (_, commit) = Group::join_external(
        &p,
        &robert_signer,
        group_info_of(&gi),
        None,
        &robert,
        config_with(lenient()),
        Some(LeafIndex(1)),
    )
    .unwrap();
    refused(
        &p,
        &mut members[2].group,
        &commit,
        Error::Validation(ValidationError::ResyncIdentityMismatch),
    );
    refused_by(
        &p,
        &mut members[0],
        &["robert"],
        &commit,
        CredentialEvent::ExternalCommit,
    );
    members[0].group.set_credential_validator(lenient());
    stage(&p, &mut members[0].group, &commit);

    // bob coming back as bob passes the default.
    let (bob_signer, bob) = client(&p, SUITE, "bob");
    let (_, commit) = Group::join_external(
        &p,
        &bob_signer,
        group_info_of(&gi),
        None,
        &bob,
        GroupConfig::default(),
        Some(LeafIndex(1)),
    )
    .unwrap();
    stage(&p, &mut members[2].group, &commit);
}

// ---- C-CRED-08 and C-CRED-09: external senders -----------------------------

#[test]
fn gce_adding_external_senders_c_cred_08() {
    let p = provider(0xd1);
    let mut members = group(&p, &["alice", "bob"]);
    let extensions = external_senders(&["mallory-ds"], &p);
    // The committer's own check.
    members[0]
        .group
        .set_credential_validator(refusing(&["mallory-ds"]));
    let before = snapshot(&members[0].group);
    let alice = &mut members[0];
    let err = alice
        .group
        .create_commit(
            &p,
            &alice.signer,
            alice
                .group
                .commit()
                .group_context_extensions(extensions.clone()),
        )
        .unwrap_err();
    assert_eq!(err, rejected(CredentialEvent::ExternalSender { index: 0 }));
    assert_eq!(snapshot(&members[0].group), before);

    members[0]
        .group
        .set_credential_validator(SharedCredentialValidator::default());
    let commit = build(&p, &mut members, 0, |g| {
        g.commit().group_context_extensions(extensions.clone())
    });
    refused_by(
        &p,
        &mut members[1],
        &["mallory-ds"],
        &commit,
        CredentialEvent::ExternalSender { index: 0 },
    );
}

#[test]
fn gce_changing_external_senders_c_cred_09() {
    let p = provider(0xd2);
    let current = external_senders(&["ds"], &p);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        current.clone(),
        GroupConfig::default(),
    );
    let mut senders: ExternalSenders = current.get().unwrap().unwrap();
    senders.0.0.push(ExternalSender {
        signature_key: signer(&p, SUITE).public_key().to_vec().into(),
        credential: Credential::basic("mallory-ds"),
    });
    let mut changed = Extensions::default();
    changed.push(&senders).unwrap();
    let commit = build(&p, &mut members, 0, |g| {
        g.commit().group_context_extensions(changed.clone())
    });
    let (v, handle) = shared(TestAs {
        refused: vec!["mallory-ds"],
        ..Default::default()
    });
    members[1].group.set_credential_validator(v);
    refused(
        &p,
        &mut members[1].group,
        &commit,
        rejected(CredentialEvent::ExternalSender { index: 1 }),
    );
    // The whole changed list was validated again.
    assert_eq!(handle.validated.load(Ordering::SeqCst), 2);

    // A GroupContextExtensions keeping the list unchanged is not put to
    // the validator (nothing new enters the group).
    let (v, handle) = shared(TestAs {
        refused: vec!["ds"],
        ..Default::default()
    });
    members[1].group.set_credential_validator(v);
    let commit = build(&p, &mut members, 0, |g| {
        g.commit().group_context_extensions(current.clone())
    });
    stage(&p, &mut members[1].group, &commit);
    assert_eq!(handle.validated.load(Ordering::SeqCst), 0);
}

// ---- C-CRED-13: application_id ---------------------------------------------

/// C-CRED-13: `application_id` is not an authenticated identity, and two
/// leaves with the same value are accepted.
#[test]
fn duplicate_application_ids_are_accepted_c_cred_13() {
    let p = provider(0xd3);
    let mut members = group(&p, &["alice"]);
    let mut leaf_extensions = Extensions::default();
    leaf_extensions
        .push(&ApplicationId(VarBytes(b"device-1".to_vec())))
        .unwrap();
    let with_app_id = |name: &str| {
        let s = signer(&p, SUITE);
        let kp = KeyPackageBuilder::new(Credential::basic(name))
            .leaf_extensions(leaf_extensions.clone())
            .build(&cs(&p, SUITE), &p.rand, &s)
            .unwrap();
        (s, kp)
    };
    let (bob_signer, bob) = with_app_id("bob");
    let (carol_signer, carol) = with_app_id("carol");
    let out = commit_all(&p, &mut members, 0, |g| {
        g.commit()
            .add_member(bob.key_package.clone())
            .add_member(carol.key_package.clone())
    });
    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    for (name, s, kp) in [("bob", bob_signer, bob), ("carol", carol_signer, carol)] {
        members.push(welcomed(&p, welcome, name, s, &kp, GroupConfig::default()));
    }
    all_agree(&p, &members);
    let tree = members[0].group.tree();
    let ids: Vec<ApplicationId> = [1, 2]
        .iter()
        .map(|l| {
            tree.leaf(LeafIndex(*l))
                .unwrap()
                .extensions
                .get::<ApplicationId>()
                .unwrap()
                .unwrap()
        })
        .collect();
    assert_eq!(ids[0], ids[1]);
    commit_all(&p, &mut members, 2, |g| g.commit().force_path(true));
    all_agree(&p, &members);
}

// ---- runtime configuration -------------------------------------------------

/// The validator is not saved with the group: a loaded group has the
/// default until the application installs its own again.
#[test]
fn validator_is_runtime_configuration() {
    let p = provider(0xd4);
    let mut members = group(&p, &["alice", "bob"]);
    let v = refusing(&["mallory"]);
    members[1].group.set_credential_validator(v.clone());
    assert_eq!(members[1].group.config().credential_validator, v);
    assert_ne!(
        members[1].group.config().credential_validator,
        refusing(&[])
    );
    members[1].group.save(&p).unwrap();
    let mut loaded = Group::load(&p, members[1].group.group_id())
        .unwrap()
        .unwrap();
    assert!(loaded.config().credential_validator.is_default());
    loaded.set_credential_validator(v);
    let (_, mallory) = client(&p, SUITE, "mallory");
    let commit = build(&p, &mut members, 0, |g| {
        g.commit().add_member(mallory.key_package.clone())
    });
    refused(&p, &mut loaded, &commit, rejected(CredentialEvent::Add));
    let config = GroupConfig::default().with_credential_validator(DefaultCredentialValidator);
    assert!(!config.credential_validator.is_default());
}

/// C-CRED-11 through a commit path: a member renews its credential and
/// signature key with `CommitBuilder::renew_credential`. The commit is
/// signed with the old key and its path leaf with the new one; receivers
/// whose Authentication Service accepts the successor merge it, and the
/// member then signs with the new key. Where the new credential is no
/// valid successor, the committer refuses to build the commit (C-CRED-10)
/// and its group is unchanged.
#[test]
fn commit_path_renews_credential_and_key_c_cred_11() {
    let p = provider(11);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        Extensions::default(),
        config_with(lenient()),
    );
    let new_signer = signer(&p, SUITE);
    let new_key = new_signer.public_key().to_vec();
    let renewed = Credential::basic("alice (renewed)");
    let shared: Arc<dyn cohort_traits::Signer> = Arc::new(new_signer.clone());
    let b = members[0]
        .group
        .commit()
        .renew_credential(renewed.clone(), shared);
    let m = &mut members[0];
    let (out, staged) = m.group.create_commit(&p, &m.signer, b).unwrap();
    m.group.merge_staged_commit(staged).unwrap();
    let leaf = m.group.tree().leaf(m.group.own_leaf()).unwrap().clone();
    assert_eq!(leaf.credential, renewed);
    assert_eq!(leaf.signature_key.as_slice(), new_key.as_slice());
    apply(&p, &mut members[1].group, &out.commit);
    let seen = members[1].group.tree().leaf(LeafIndex(0)).unwrap().clone();
    assert_eq!(seen, leaf);
    // Alice now signs with the new key; Bob accepts it.
    let msg = members[0]
        .group
        .encrypt(&p, &new_signer, b"renewed", b"")
        .unwrap();
    match members[1].group.process(&p, &msg).unwrap() {
        ProcessedMessage::Application { data, .. } => assert_eq!(data, b"renewed"),
        other => panic!("expected application data, got {other:?}"),
    }

    // Bob's default Authentication Service keeps identities: a renewal to
    // another identity is refused before anything is sent.
    members[1]
        .group
        .set_credential_validator(SharedCredentialValidator::default());
    let before = snapshot(&members[1].group);
    let b = members[1]
        .group
        .commit()
        .renew_credential(Credential::basic("mallory"), Arc::new(signer(&p, SUITE)));
    let m = &mut members[1];
    assert_eq!(
        m.group.create_commit(&p, &m.signer, b).unwrap_err(),
        not_successor(1)
    );
    assert_eq!(snapshot(&members[1].group), before);
}
