//! External commits (RFC 9420 section 12.4.3.2) and external proposals
//! (section 12.1.8), end to end: every member agrees on the epoch
//! authenticator after every commit; every refused message leaves the group
//! unchanged.

mod group_common;

use cohort::framing::{
    self, FramedContent, FramedContentAuthData, FramedContentBody, MlsMessage, MlsMessageBody,
    PublicMessage, Sender, WireFormat,
};
use cohort::group::{Group, GroupConfig, ProcessedMessage, external_proposal, new_member_proposal};
use cohort::messages::{
    Add, Commit, Credential, Extensions, ExternalInit, ExternalPub, GroupContext, GroupInfo,
    Proposal, ProposalOrRef, Remove,
};
use cohort::schedule::sign_group_info;
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort::{Error, MisuseError, ValidationError};
use cohort_traits::Ciphersuite;
use group_common::*;
use std::sync::Arc;

/// A fresh GroupInfo of `members[who]`'s current epoch (from a self-update
/// commit everyone applies).
fn fresh_group_info(p: &TestProvider, members: &mut [Member], who: usize) -> GroupInfo {
    commit_all(p, members, who, |g| g.commit().force_path(true));
    let m = &members[who];
    let with_tree = m.group.config().ratchet_tree_extension;
    let msg = m.group.group_info(p, &m.signer, with_tree).unwrap();
    group_info_of(&msg).clone()
}

fn body_commit(msg: &MlsMessage) -> &Commit {
    match &public_of(msg).content.body {
        FramedContentBody::Commit(c) => c,
        _ => panic!("not a commit"),
    }
}

/// `msg` with its content changed by `f` and signed again by `signer`
/// (the confirmation tag is kept).
fn resign(
    p: &TestProvider,
    msg: &MlsMessage,
    signer: &Signer,
    context: &GroupContext,
    f: impl FnOnce(&mut FramedContent),
) -> MlsMessage {
    let pm = public_of(msg);
    let mut content = pm.content.clone();
    f(&mut content);
    let ac = framing::sign_content(
        &cs(p, context.cipher_suite),
        signer,
        WireFormat::PUBLIC_MESSAGE,
        content,
        Some(context),
    )
    .unwrap();
    MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
        content: ac.content,
        auth: FramedContentAuthData {
            signature: ac.auth.signature,
            confirmation_tag: pm.auth.confirmation_tag.clone(),
        },
        membership_tag: None,
    }))
}

fn with_commit(content: &mut FramedContent, f: impl FnOnce(&mut Commit)) {
    match &mut content.body {
        FramedContentBody::Commit(c) => f(c),
        _ => panic!("not a commit"),
    }
}

fn external_join_scenario(suite: Ciphersuite, config: GroupConfig) {
    let p = provider(0xe0 + u64::from(suite.0));
    let mut members = group_with(
        &p,
        suite,
        &["alice", "bob"],
        Extensions::default(),
        config.clone(),
    );
    let gi = fresh_group_info(&p, &mut members, 1);
    let out_of_band = (!config.ratchet_tree_extension).then(|| members[0].group.tree().to_nodes());

    // Carol joins by external commit.
    let (carol_signer, carol_kp) = client(&p, suite, "carol");
    let (carol, commit) = Group::join_external(
        &p,
        &carol_signer,
        &gi,
        out_of_band,
        &carol_kp,
        config.clone(),
        None,
    )
    .unwrap();
    assert_eq!(commit.wire_format(), WireFormat::PUBLIC_MESSAGE, "C-EXT-03");
    assert_eq!(public_of(&commit).content.sender, Sender::NewMemberCommit);
    assert_eq!(carol.own_leaf(), LeafIndex(2));
    for m in &mut members {
        let staged = stage(&p, &mut m.group, &commit);
        assert_eq!(staged.sender(), Sender::NewMemberCommit);
        assert_eq!(
            staged.path_leaf().unwrap().credential,
            Credential::basic("carol")
        );
        m.group.merge_staged_commit(staged).unwrap();
    }
    members.push(Member {
        name: "carol".into(),
        signer: carol_signer,
        group: carol,
    });
    all_agree(&p, &members);

    // Carol talks and commits like any member.
    let carol = &mut members[2];
    let msg = carol
        .group
        .encrypt(&p, &carol.signer, b"hello from carol", b"")
        .unwrap();
    for m in &mut members[..2] {
        match m.group.process(&p, &msg).unwrap() {
            ProcessedMessage::Application { data, sender, .. } => {
                assert_eq!(data, b"hello from carol");
                assert_eq!(sender, LeafIndex(2));
            }
            other => panic!("{other:?}"),
        }
    }
    commit_all(&p, &mut members, 2, |g| g.commit().force_path(true));
    all_agree(&p, &members);
    commit_all(&p, &mut members, 0, |g| {
        g.commit().remove_member(LeafIndex(1))
    });
    all_agree(&p, &members);
}

#[test]
fn a_non_member_joins_by_external_commit_in_every_suite() {
    for suite in Ciphersuite::RFC9420 {
        external_join_scenario(suite, GroupConfig::default());
    }
}

#[test]
fn external_join_with_the_tree_out_of_band() {
    let config = GroupConfig {
        ratchet_tree_extension: false,
        ..GroupConfig::default()
    };
    external_join_scenario(SUITE, config);
}

#[test]
fn external_join_without_a_tree_is_refused_c_wel_06() {
    let p = provider(1);
    let config = GroupConfig {
        ratchet_tree_extension: false,
        ..GroupConfig::default()
    };
    let mut members = group_with(&p, SUITE, &["alice", "bob"], Extensions::default(), config);
    let gi = fresh_group_info(&p, &mut members, 0);
    let (s, kp) = client(&p, SUITE, "carol");
    let err =
        Group::join_external(&p, &s, &gi, None, &kp, GroupConfig::default(), None).unwrap_err();
    assert_eq!(err, Error::Validation(ValidationError::RatchetTreeMissing));
}

#[test]
fn a_member_resyncs_by_external_commit() {
    let p = provider(2);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let gi = fresh_group_info(&p, &mut members, 0);

    // Bob lost his state: he rejoins with a new key, removing his old leaf.
    let new_signer = signer(&p, SUITE);
    let kp = key_package_for(&p, SUITE, "bob", &new_signer);
    let (bob, commit) = Group::join_external(
        &p,
        &new_signer,
        &gi,
        None,
        &kp,
        GroupConfig::default(),
        Some(LeafIndex(1)),
    )
    .unwrap();
    // The removed leaf is the leftmost blank one: Bob takes it back.
    assert_eq!(bob.own_leaf(), LeafIndex(1));
    for i in [0, 2] {
        let staged = stage(&p, &mut members[i].group, &commit);
        assert_eq!(staged.removed().len(), 1);
        assert_eq!(staged.removed()[0].0, LeafIndex(1));
        members[i].group.merge_staged_commit(staged).unwrap();
    }
    // Bob's old state learns that it was replaced.
    let staged = stage(&p, &mut members[1].group, &commit);
    assert!(staged.removes_self());
    members[1].group.merge_staged_commit(staged).unwrap();
    assert!(!members[1].group.is_active());
    members[1] = Member {
        name: "bob".into(),
        signer: new_signer,
        group: bob,
    };
    all_agree(&p, &members);
    assert_eq!(members[0].group.tree().members().len(), 3);
    commit_all(&p, &mut members, 1, |g| g.commit().force_path(true));
    all_agree(&p, &members);
}

/// A group of alice and bob, a GroupInfo of its epoch, and carol's valid
/// external commit for it (not yet delivered).
struct ExternalSetup {
    p: TestProvider,
    members: Vec<Member>,
    gi: GroupInfo,
    carol_signer: Signer,
    commit: MlsMessage,
}

fn external_setup(seed: u64) -> ExternalSetup {
    let p = provider(seed);
    let mut members = group(&p, &["alice", "bob"]);
    let gi = fresh_group_info(&p, &mut members, 0);
    let (carol_signer, carol_kp) = client(&p, SUITE, "carol");
    let (_, commit) = Group::join_external(
        &p,
        &carol_signer,
        &gi,
        None,
        &carol_kp,
        GroupConfig::default(),
        None,
    )
    .unwrap();
    ExternalSetup {
        p,
        members,
        gi,
        carol_signer,
        commit,
    }
}

#[test]
fn group_info_without_external_pub_c_ext_16() {
    let s = external_setup(3);
    let mut gi = s.gi.clone();
    gi.extensions
        .0
        .retain(|e| e.extension_type != cohort::messages::ExtensionType::EXTERNAL_PUB);
    assert!(gi.extensions.get::<ExternalPub>().unwrap().is_none());
    // Unsigned change: the GroupInfo signature fails (C-GI-01).
    let (signer, kp) = client(&s.p, SUITE, "dave");
    let err = Group::join_external(&s.p, &signer, &gi, None, &kp, GroupConfig::default(), None)
        .unwrap_err();
    assert_eq!(err, Error::Validation(ValidationError::InvalidSignature));
    // Signed by the member: no external_pub, no external join.
    sign_group_info(&cs(&s.p, SUITE), &s.members[0].signer, &mut gi).unwrap();
    let err = Group::join_external(&s.p, &signer, &gi, None, &kp, GroupConfig::default(), None)
        .unwrap_err();
    assert_eq!(err, Error::Validation(ValidationError::MissingExternalPub));
}

#[test]
fn joiner_must_hold_its_leaf_key() {
    let s = external_setup(4);
    let (_, kp) = client(&s.p, SUITE, "dave");
    let other = signer(&s.p, SUITE);
    let err = Group::join_external(&s.p, &other, &s.gi, None, &kp, GroupConfig::default(), None)
        .unwrap_err();
    assert_eq!(err, Error::Misuse(MisuseError::SignerKeyMismatch));
}

#[test]
fn external_commit_without_path_c_ext_06() {
    let mut s = external_setup(5);
    let mut msg = s.commit.clone();
    with_commit(&mut public_mut(&mut msg).content, |c| c.path = None);
    refused(
        &s.p,
        &mut s.members[0].group,
        &msg,
        Error::Validation(ValidationError::PathRequired),
    );
}

#[test]
fn external_commit_with_a_reference_c_ext_07() {
    let mut s = external_setup(6);
    let context = s.members[0].group.context().clone();
    let msg = resign(&s.p, &s.commit, &s.carol_signer, &context, |c| {
        with_commit(c, |c| {
            c.proposals
                .0
                .push(ProposalOrRef::Reference(vec![7; 32].into()))
        })
    });
    refused(
        &s.p,
        &mut s.members[0].group,
        &msg,
        Error::Validation(ValidationError::ExternalCommitReference),
    );
}

#[test]
fn external_commit_signed_by_another_key_c_ext_08() {
    let mut s = external_setup(7);
    let context = s.members[0].group.context().clone();
    let mallory = signer(&s.p, SUITE);
    let msg = resign(&s.p, &s.commit, &mallory, &context, |_| {});
    refused(
        &s.p,
        &mut s.members[0].group,
        &msg,
        Error::Validation(ValidationError::InvalidSignature),
    );
}

#[test]
fn external_init_in_a_member_commit_c_ext_09() {
    let s = external_setup(8);
    let mut members = s.members;
    let kem_output = match &body_commit(&s.commit).proposals.0[0] {
        ProposalOrRef::Proposal(p) => match &**p {
            Proposal::ExternalInit(e) => e.kem_output.clone(),
            _ => panic!(),
        },
        _ => panic!(),
    };
    let hook = Arc::new(move |c: &mut Commit| {
        c.proposals
            .0
            .push(ProposalOrRef::Proposal(Box::new(Proposal::ExternalInit(
                ExternalInit {
                    kem_output: kem_output.clone(),
                },
            ))))
    });
    let bob = &mut members[1];
    let b = bob.group.commit().force_path(true).tamper_commit(hook);
    let (out, _) = bob.group.create_commit(&s.p, &bob.signer, b).unwrap();
    assert_eq!(public_of(&out.commit).content.sender, Sender::Member(1));
    refused(
        &s.p,
        &mut members[0].group,
        &out.commit,
        Error::Validation(ValidationError::ExternalInitInMemberCommit),
    );
}

/// Proposals of an external commit changed and the commit signed again by
/// the joiner: the list rules of RFC 9420 section 12.2.
fn refused_list(
    seed: u64,
    change: impl FnOnce(&mut Vec<ProposalOrRef>),
    expected: ValidationError,
) {
    let mut s = external_setup(seed);
    let context = s.members[0].group.context().clone();
    let msg = resign(&s.p, &s.commit, &s.carol_signer, &context, |c| {
        with_commit(c, |c| change(&mut c.proposals.0))
    });
    refused(
        &s.p,
        &mut s.members[0].group,
        &msg,
        Error::Validation(expected),
    );
}

fn by_value(p: Proposal) -> ProposalOrRef {
    ProposalOrRef::Proposal(Box::new(p))
}

#[test]
fn external_commit_without_external_init_c_ext_10() {
    refused_list(
        9,
        |l| l.clear(),
        ValidationError::ExternalCommitWithoutExternalInit,
    );
}

#[test]
fn external_commit_with_two_external_inits_c_ext_11() {
    refused_list(
        10,
        |l| l.push(l[0].clone()),
        ValidationError::MultipleExternalInits,
    );
}

#[test]
fn external_commit_with_two_removes_c_ext_12() {
    refused_list(
        11,
        |l| {
            l.push(by_value(Proposal::Remove(Remove { removed: 0 })));
            l.push(by_value(Proposal::Remove(Remove { removed: 1 })));
        },
        ValidationError::ExternalCommitMultipleRemoves,
    );
}

#[test]
fn external_commit_with_an_add_c_ext_13() {
    let p = provider(12);
    let (_, kp) = client(&p, SUITE, "dave");
    refused_list(
        12,
        move |l| {
            l.push(by_value(Proposal::Add(Box::new(Add {
                key_package: kp.key_package,
            }))))
        },
        ValidationError::ProposalNotAllowedInExternalCommit { proposal_type: 1 },
    );
}

#[test]
fn resync_reusing_the_removed_encryption_key_c_ext_14() {
    let mut s = external_setup(13);
    let context = s.members[0].group.context().clone();
    let bob_key = s.members[0]
        .group
        .tree()
        .leaf(LeafIndex(1))
        .unwrap()
        .encryption_key
        .clone();
    // Carol's external commit turned into a resync of bob with bob's
    // credential and bob's encryption key.
    let msg = resign(&s.p, &s.commit, &s.carol_signer, &context, |c| {
        with_commit(c, |c| {
            c.proposals
                .0
                .push(by_value(Proposal::Remove(Remove { removed: 1 })));
            let leaf = &mut c.path.as_mut().unwrap().leaf_node;
            leaf.encryption_key = bob_key;
            leaf.credential = Credential::basic("bob");
        })
    });
    refused(
        &s.p,
        &mut s.members[0].group,
        &msg,
        Error::Validation(ValidationError::UpdateReusesEncryptionKey),
    );
}

#[test]
fn resync_with_another_identity_c_ext_15() {
    // Receiver side: carol's commit removing bob.
    refused_list(
        14,
        |l| l.push(by_value(Proposal::Remove(Remove { removed: 1 }))),
        ValidationError::ResyncIdentityMismatch,
    );
    // Sender side: the joiner checks its own commit.
    let s = external_setup(15);
    let (signer, kp) = client(&s.p, SUITE, "carol");
    let err = Group::join_external(
        &s.p,
        &signer,
        &s.gi,
        None,
        &kp,
        GroupConfig::default(),
        Some(LeafIndex(1)),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::ResyncIdentityMismatch)
    );
}

#[test]
fn external_init_with_a_wrong_kem_output_c_ext_17() {
    refused_list(
        16,
        |l| {
            l[0] = by_value(Proposal::ExternalInit(ExternalInit {
                kem_output: vec![0x42; 32].into(),
            }))
        },
        ValidationError::ConfirmationTagMismatch,
    );
}

#[test]
fn path_leaf_signed_for_another_leaf_index_c_ext_18() {
    let mut s = external_setup(17);
    let context = s.members[0].group.context().clone();
    let cs = cs(&s.p, SUITE);
    let signer = &s.carol_signer;
    let msg = resign(&s.p, &s.commit, signer, &context, |c| {
        with_commit(c, |c| {
            let leaf = &mut c.path.as_mut().unwrap().leaf_node;
            let tbs = leaf
                .to_be_signed(Some((context.group_id.as_slice(), LeafIndex(5))))
                .unwrap();
            leaf.signature = cs
                .sign_with_label(signer, b"LeafNodeTBS", &tbs)
                .unwrap()
                .into();
        })
    });
    refused(
        &s.p,
        &mut s.members[0].group,
        &msg,
        Error::Validation(ValidationError::LeafSignatureInvalid { leaf: 2 }),
    );
}

#[test]
fn external_commit_for_another_epoch_is_refused_c_commit_01() {
    let mut s = external_setup(18);
    // The group moves on; carol's commit is for the old epoch.
    commit_all(&s.p, &mut s.members, 1, |g| g.commit().force_path(true));
    let epoch = s.gi.group_context.epoch;
    refused(
        &s.p,
        &mut s.members[0].group,
        &s.commit,
        Error::Validation(ValidationError::WrongEpoch { epoch }),
    );
}

// External proposals (RFC 9420 section 12.1.8).

fn deliver_proposal(p: &TestProvider, members: &mut [Member], msg: &MlsMessage, sender: Sender) {
    for m in members.iter_mut() {
        match m.group.process(p, msg).unwrap() {
            ProcessedMessage::Proposal { sender: s, .. } => assert_eq!(s, sender),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn external_sender_proposals_are_committed_by_reference() {
    let p = provider(20);
    let ds = signer(&p, SUITE);
    let other = signer(&p, SUITE);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob", "carol"],
        external_senders(&[&other, &ds]),
        GroupConfig::default(),
    );
    let gid = members[0].group.group_id().to_vec();

    // The delivery service (external sender 1) removes bob.
    let epoch = members[0].group.epoch();
    let msg = external_proposal(
        &p,
        &ds,
        SUITE,
        &gid,
        epoch,
        1,
        Proposal::Remove(Remove { removed: 1 }),
    )
    .unwrap();
    assert_eq!(msg.wire_format(), WireFormat::PUBLIC_MESSAGE, "C-EXT-03");
    assert!(public_of(&msg).membership_tag.is_none());
    deliver_proposal(&p, &mut members, &msg, Sender::External(1));
    let out = commit_all(&p, &mut members, 2, |g| g.commit());
    match &body_commit(&out.commit).proposals.0[..] {
        [ProposalOrRef::Reference(_)] => {}
        other => panic!("{other:?}"),
    }
    assert!(!members[1].group.is_active());
    members.remove(1);
    all_agree(&p, &members);

    // And adds dave, who joins by Welcome.
    let (dave_signer, dave_kp) = client(&p, SUITE, "dave");
    let epoch = members[0].group.epoch();
    let msg = external_proposal(
        &p,
        &ds,
        SUITE,
        &gid,
        epoch,
        1,
        Proposal::Add(Box::new(Add {
            key_package: dave_kp.key_package.clone(),
        })),
    )
    .unwrap();
    deliver_proposal(&p, &mut members, &msg, Sender::External(1));
    let out = commit_all(&p, &mut members, 0, |g| g.commit());
    members.push(welcomed(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        "dave",
        dave_signer,
        &dave_kp,
        GroupConfig::default(),
    ));
    all_agree(&p, &members);
}

#[test]
fn external_sender_cannot_propose_an_update_c_frame_13() {
    let p = provider(21);
    let ds = signer(&p, SUITE);
    let members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        external_senders(&[&ds]),
        GroupConfig::default(),
    );
    let leaf = members[0].group.tree().leaf(LeafIndex(0)).unwrap().clone();
    let err = external_proposal(
        &p,
        &ds,
        SUITE,
        members[0].group.group_id(),
        members[0].group.epoch(),
        0,
        Proposal::Update(Box::new(cohort::messages::Update { leaf_node: leaf })),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::SenderContentMismatch { .. })
    ));
}

#[test]
fn external_proposal_from_an_unknown_sender_c_ext_01_c_ext_02() {
    let p = provider(22);
    let ds = signer(&p, SUITE);
    // No external_senders extension (C-EXT-01).
    let mut members = group(&p, &["alice", "bob"]);
    let msg = external_proposal(
        &p,
        &ds,
        SUITE,
        members[0].group.group_id(),
        members[0].group.epoch(),
        0,
        Proposal::Remove(Remove { removed: 1 }),
    )
    .unwrap();
    refused(
        &p,
        &mut members[0].group,
        &msg,
        Error::Validation(ValidationError::UnknownExternalSender),
    );
    // An index past the list (C-EXT-02).
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        external_senders(&[&ds]),
        GroupConfig::default(),
    );
    let msg = external_proposal(
        &p,
        &ds,
        SUITE,
        members[0].group.group_id(),
        members[0].group.epoch(),
        1,
        Proposal::Remove(Remove { removed: 1 }),
    )
    .unwrap();
    refused(
        &p,
        &mut members[0].group,
        &msg,
        Error::Validation(ValidationError::UnknownExternalSender),
    );
    // Signed by a key other than the listed one (C-FRAME-08).
    let mallory = signer(&p, SUITE);
    let msg = external_proposal(
        &p,
        &mallory,
        SUITE,
        members[0].group.group_id(),
        members[0].group.epoch(),
        0,
        Proposal::Remove(Remove { removed: 1 }),
    )
    .unwrap();
    refused(
        &p,
        &mut members[0].group,
        &msg,
        Error::Validation(ValidationError::InvalidSignature),
    );
}

#[test]
fn a_new_member_proposes_to_add_itself() {
    let p = provider(23);
    // Self-Adds are refused unless the application authorizes them
    // (C-EXT-04): this group's policy does.
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        Extensions::default(),
        open_config(),
    );
    let (erin_signer, erin_kp) = client(&p, SUITE, "erin");
    let msg = new_member_proposal(
        &p,
        &erin_signer,
        members[0].group.group_id(),
        members[0].group.epoch(),
        &erin_kp.key_package,
    )
    .unwrap();
    assert_eq!(msg.wire_format(), WireFormat::PUBLIC_MESSAGE, "C-EXT-03");
    assert!(public_of(&msg).membership_tag.is_none());
    deliver_proposal(&p, &mut members, &msg, Sender::NewMemberProposal);
    let out = commit_all(&p, &mut members, 1, |g| g.commit());
    members.push(welcomed(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        "erin",
        erin_signer,
        &erin_kp,
        GroupConfig::default(),
    ));
    all_agree(&p, &members);
}

#[test]
fn new_member_proposal_signed_by_another_key_c_ext_05() {
    let p = provider(24);
    let mut members = group(&p, &["alice", "bob"]);
    let (erin_signer, erin_kp) = client(&p, SUITE, "erin");
    // The builder refuses a signer that does not hold the leaf key.
    let (_, frank_kp) = client(&p, SUITE, "frank");
    let err = new_member_proposal(
        &p,
        &erin_signer,
        members[0].group.group_id(),
        members[0].group.epoch(),
        &frank_kp.key_package,
    )
    .unwrap_err();
    assert_eq!(err, Error::Misuse(MisuseError::SignerKeyMismatch));
    // A self-Add whose KeyPackage was swapped after signing.
    let mut msg = new_member_proposal(
        &p,
        &erin_signer,
        members[0].group.group_id(),
        members[0].group.epoch(),
        &erin_kp.key_package,
    )
    .unwrap();
    public_mut(&mut msg).content.body = FramedContentBody::Proposal(Proposal::Add(Box::new(Add {
        key_package: frank_kp.key_package.clone(),
    })));
    refused(
        &p,
        &mut members[0].group,
        &msg,
        Error::Validation(ValidationError::InvalidSignature),
    );
}

#[test]
fn new_member_proposal_can_only_add_c_frame_15() {
    let p = provider(25);
    let mut members = group(&p, &["alice", "bob"]);
    let (erin_signer, erin_kp) = client(&p, SUITE, "erin");
    let mut msg = new_member_proposal(
        &p,
        &erin_signer,
        members[0].group.group_id(),
        members[0].group.epoch(),
        &erin_kp.key_package,
    )
    .unwrap();
    public_mut(&mut msg).content.body =
        FramedContentBody::Proposal(Proposal::Remove(Remove { removed: 1 }));
    refused(
        &p,
        &mut members[0].group,
        &msg,
        Error::Validation(ValidationError::SenderContentMismatch {
            sender_type: 3,
            content_type: 2,
        }),
    );
}

/// C-CAP-08: an external joiner refuses a GroupInfo with two extensions of
/// one type (two external_pub), even properly signed.
#[test]
fn duplicate_group_info_extension_c_cap_08() {
    let p = provider(0xe9);
    let mut members = group(&p, &["alice", "bob"]);
    let mut gi = fresh_group_info(&p, &mut members, 0);
    let external_pub = cohort::messages::ExtensionType::EXTERNAL_PUB;
    let dup = gi
        .extensions
        .0
        .iter()
        .find(|e| e.extension_type == external_pub)
        .unwrap()
        .clone();
    gi.extensions.0.push(dup);
    resign_group_info(&p, &mut gi, &members[0].signer);
    let (carol_signer, carol) = client(&p, SUITE, "carol");
    let err = Group::join_external(
        &p,
        &carol_signer,
        &gi,
        None,
        &carol,
        GroupConfig::default(),
        None,
    )
    .map(|_| ())
    .unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::DuplicateExtension {
            extension_type: external_pub.0
        })
    );
}
