//! Commit processing (RFC 9420 sections 12.4, 12.4.1, 12.4.2): each
//! C-COMMIT check fed a commit that breaks it, expecting the named error
//! with the group unchanged (C-COMMIT-08), and the sender-side rules.
//!
//! Faulty commits are built by a member through the test hooks of
//! `CommitBuilder`, which change the commit before it is signed, as a
//! faulty or malicious member could.

mod group_common;

use cohort::framing::{FramedContentBody, MlsMessage, MlsMessageBody};
use cohort::group::ProcessedMessage;
use cohort::messages::{Commit, Proposal, ProposalOrRef, Remove};
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort::{Error, MisuseError, ValidationError};
use cohort_rust_crypto::RustCrypto;
use group_common::*;
use std::sync::Arc;

static CRYPTO: RustCrypto = RustCrypto::new();

fn commit_of(msg: &MlsMessage) -> &Commit {
    match &public_of(msg).content.body {
        FramedContentBody::Commit(c) => c,
        _ => panic!("not a commit"),
    }
}

#[test]
fn commit_from_a_past_or_future_epoch_c_commit_01() {
    let p = provider(0xc1);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let alice = &mut members[0];
    let b = alice.group.commit().force_path(true);
    let (first, staged) = alice.group.create_commit(&p, &alice.signer, b).unwrap();
    alice.group.merge_staged_commit(staged).unwrap();
    apply(&p, &mut members[2].group, &first.commit);
    let alice = &mut members[0];
    let b = alice.group.commit().force_path(true);
    let (second, staged) = alice.group.create_commit(&p, &alice.signer, b).unwrap();
    alice.group.merge_staged_commit(staged).unwrap();
    // Bob missed the first commit: the second is from his future.
    let epoch = members[1].group.epoch() + 1;
    refused(
        &p,
        &mut members[1].group,
        &second.commit,
        Error::Validation(ValidationError::WrongEpoch { epoch }),
    );
    // Carol applied the first: delivered again, it is from her past.
    let epoch = members[2].group.epoch() - 1;
    refused(
        &p,
        &mut members[2].group,
        &first.commit,
        Error::Validation(ValidationError::WrongEpoch { epoch }),
    );
}

#[test]
fn reference_to_an_unknown_proposal_c_commit_02() {
    let p = provider(0xc2);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let msg = faulty(
        &p,
        &mut members,
        0,
        |g| g.commit().force_path(true),
        |c| {
            c.proposals
                .0
                .push(ProposalOrRef::Reference(vec![0xab; 32].into()))
        },
    );
    refused(
        &p,
        &mut members[1].group,
        &msg,
        Error::Validation(ValidationError::UnknownProposalReference),
    );
}

#[test]
fn reference_to_a_proposal_of_the_previous_epoch_c_commit_02() {
    let p = provider(0xc3);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob = &mut members[1];
    let proposal = bob
        .group
        .propose(&p, &bob.signer, Proposal::Remove(Remove { removed: 2 }))
        .unwrap();
    let mut reference = Vec::new();
    for i in [0, 2] {
        match members[i].group.process(&p, &proposal).unwrap() {
            ProcessedMessage::Proposal { reference: r, .. } => reference = r,
            other => panic!("{other:?}"),
        }
    }
    // A commit leaving it out moves the group on.
    commit_all(&p, &mut members, 0, |g| {
        g.commit().include_pending_proposals(false).force_path(true)
    });
    all_agree(&p, &members);
    let msg = faulty(
        &p,
        &mut members,
        0,
        |g| g.commit().force_path(true),
        move |c| {
            c.proposals
                .0
                .push(ProposalOrRef::Reference(reference.clone().into()))
        },
    );
    refused(
        &p,
        &mut members[1].group,
        &msg,
        Error::Validation(ValidationError::UnknownProposalReference),
    );
}

#[test]
fn proposal_failing_verification_is_not_cached_c_prop_02() {
    let p = provider(0xc4);
    let mut members = group(&p, &["alice", "bob", "carol", "dave"]);
    let bob = &mut members[1];
    let proposal = bob
        .group
        .propose(&p, &bob.signer, Proposal::Remove(Remove { removed: 3 }))
        .unwrap();
    let mut broken = proposal.clone();
    if let MlsMessageBody::PublicMessage(m) = &mut broken.body {
        m.membership_tag.as_mut().unwrap().0[0] ^= 1;
    }
    refused(
        &p,
        &mut members[0].group,
        &broken,
        Error::Validation(ValidationError::MembershipTagMismatch),
    );
    // Carol got the real one and commits it by reference; alice cannot
    // resolve it.
    members[2].group.process(&p, &proposal).unwrap();
    let carol = &mut members[2];
    let b = carol.group.commit();
    let (out, _) = carol.group.create_commit(&p, &carol.signer, b).unwrap();
    assert!(matches!(
        commit_of(&out.commit).proposals.0[..],
        [ProposalOrRef::Reference(_)]
    ));
    refused(
        &p,
        &mut members[0].group,
        &out.commit,
        Error::Validation(ValidationError::UnknownProposalReference),
    );
}

#[test]
fn empty_commit_without_path_c_commit_03() {
    let p = provider(0xc5);
    let mut members = group(&p, &["alice", "bob"]);
    let msg = faulty(
        &p,
        &mut members,
        0,
        |g| g.commit().force_path(true),
        |c| c.path = None,
    );
    assert!(commit_of(&msg).proposals.0.is_empty());
    refused(
        &p,
        &mut members[1].group,
        &msg,
        Error::Validation(ValidationError::PathRequired),
    );
}

#[test]
fn remove_without_path_c_commit_04() {
    let p = provider(0xc6);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let msg = faulty(
        &p,
        &mut members,
        0,
        |g| g.commit().remove_member(LeafIndex(2)),
        |c| c.path = None,
    );
    refused(
        &p,
        &mut members[1].group,
        &msg,
        Error::Validation(ValidationError::PathRequired),
    );
}

#[test]
fn add_only_commit_may_omit_the_path_c_commit_04() {
    let p = provider(0xc7);
    let mut members = group(&p, &["alice", "bob"]);
    let (_, kp) = client(&p, SUITE, "carol");
    let out = commit_all(&p, &mut members, 1, |g| {
        g.commit().add_member(kp.key_package.clone())
    });
    assert!(commit_of(&out.commit).path.is_none());
    all_agree(&p, &members);
}

/// A hook that sets the path leaf's encryption key to `key` and signs the
/// leaf again for leaf 0 of the test group.
fn path_leaf_key(key: Vec<u8>, signer: Signer, group_id: Vec<u8>) -> impl Fn(&mut Commit) {
    move |c: &mut Commit| {
        let cs = cohort::crypto::SuiteCrypto::new(&CRYPTO, SUITE).unwrap();
        let leaf = &mut c.path.as_mut().unwrap().leaf_node;
        leaf.encryption_key = key.clone().into();
        let tbs = leaf
            .to_be_signed(Some((group_id.as_slice(), LeafIndex(0))))
            .unwrap();
        leaf.signature = cs
            .sign_with_label(&signer, b"LeafNodeTBS", &tbs)
            .unwrap()
            .into();
    }
}

#[test]
fn path_leaf_reusing_the_encryption_key_c_commit_05() {
    let p = provider(0xc8);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let g = &members[0].group;
    let own = g
        .tree()
        .leaf(LeafIndex(0))
        .unwrap()
        .encryption_key
        .0
        .clone();
    let hook = path_leaf_key(own, members[0].signer.clone(), g.group_id().to_vec());
    let msg = faulty(&p, &mut members, 0, |g| g.commit().force_path(true), hook);
    refused(
        &p,
        &mut members[1].group,
        &msg,
        Error::Validation(ValidationError::UpdateReusesEncryptionKey),
    );
}

#[test]
fn path_keys_already_in_the_tree_c_commit_06() {
    let p = provider(0xc9);
    let mut members = group(&p, &["alice", "bob", "carol", "dave"]);
    commit_all(&p, &mut members, 3, |g| g.commit().force_path(true));
    let expected = Error::Validation(ValidationError::PathKeyNotFresh);
    let tree = members[0].group.tree().clone();
    let carol_key = tree.leaf(LeafIndex(2)).unwrap().encryption_key.0.clone();

    // A parent node of the path with another member's leaf key.
    let key = carol_key.clone();
    let msg = faulty(
        &p,
        &mut members,
        0,
        |g| g.commit().force_path(true),
        move |c| c.path.as_mut().unwrap().nodes.0[0].encryption_key = key.clone().into(),
    );
    refused(&p, &mut members[1].group, &msg, expected.clone());

    // The path leaf with another member's leaf key.
    let hook = path_leaf_key(
        carol_key,
        members[0].signer.clone(),
        members[0].group.group_id().to_vec(),
    );
    let msg = faulty(&p, &mut members, 0, |g| g.commit().force_path(true), hook);
    refused(&p, &mut members[1].group, &msg, expected.clone());

    // Two nodes of the path with one key.
    let msg = faulty(
        &p,
        &mut members,
        0,
        |g| g.commit().force_path(true),
        |c| {
            let nodes = &mut c.path.as_mut().unwrap().nodes.0;
            nodes[1].encryption_key = nodes[0].encryption_key.clone();
        },
    );
    refused(&p, &mut members[1].group, &msg, expected);
}

#[test]
fn flipped_confirmation_tag_c_commit_07() {
    let p = provider(0xcb);
    let mut members = group(&p, &["alice", "bob"]);
    let b = members[0]
        .group
        .commit()
        .force_path(true)
        .tamper_confirmation_tag(Arc::new(|t: &mut Vec<u8>| t[0] ^= 1));
    let m = &mut members[0];
    let (out, _) = m.group.create_commit(&p, &m.signer, b).unwrap();
    refused(
        &p,
        &mut members[1].group,
        &out.commit,
        Error::Validation(ValidationError::ConfirmationTagMismatch),
    );
}

#[test]
fn committer_refuses_an_invalid_list_c_commit_09() {
    let p = provider(0xcc);
    let mut members = group(&p, &["alice", "bob"]);
    let before = snapshot(&members[0].group);
    let b = members[0].group.commit().remove_member(LeafIndex(0));
    let m = &mut members[0];
    assert_eq!(
        m.group.create_commit(&p, &m.signer, b).unwrap_err(),
        Error::Validation(ValidationError::CommitterRemoved)
    );
    assert_eq!(snapshot(&members[0].group), before);
}

#[test]
fn commit_before_sending_application_data_c_commit_10() {
    let p = provider(0xcd);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob = &mut members[1];
    let proposal = bob
        .group
        .propose(&p, &bob.signer, Proposal::Remove(Remove { removed: 2 }))
        .unwrap();
    members[0].group.process(&p, &proposal).unwrap();
    for i in [0, 1] {
        let m = &mut members[i];
        let before = snapshot(&m.group);
        assert_eq!(
            m.group.encrypt(&p, &m.signer, b"data", b"").unwrap_err(),
            Error::Misuse(MisuseError::PendingProposals)
        );
        // No ratchet generation was consumed.
        assert_eq!(snapshot(&m.group), before);
    }
    members[2].group.process(&p, &proposal).unwrap();
    commit_all(&p, &mut members, 0, |g| g.commit());
    let alice = &mut members[0];
    alice
        .group
        .encrypt(&p, &alice.signer, b"data", b"")
        .unwrap();
}

#[test]
fn pending_proposals_are_committed_c_commit_11() {
    let p = provider(0xce);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob = &mut members[1];
    let proposal = bob
        .group
        .propose(&p, &bob.signer, Proposal::Remove(Remove { removed: 2 }))
        .unwrap();
    for i in [0, 2] {
        members[i].group.process(&p, &proposal).unwrap();
    }
    let out = commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
    assert!(matches!(
        commit_of(&out.commit).proposals.0[..],
        [ProposalOrRef::Reference(_)]
    ));
    assert!(!members[2].group.is_active());
    all_agree(&p, &members[..2]);
}

#[test]
fn commit_leaving_out_a_pending_proposal_is_accepted_c_commit_12() {
    let p = provider(0xcf);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob = &mut members[1];
    let proposal = bob
        .group
        .propose(&p, &bob.signer, Proposal::Remove(Remove { removed: 2 }))
        .unwrap();
    for i in [0, 2] {
        members[i].group.process(&p, &proposal).unwrap();
    }
    let out = commit_all(&p, &mut members, 0, |g| {
        g.commit().include_pending_proposals(false).force_path(true)
    });
    assert!(commit_of(&out.commit).proposals.0.is_empty());
    all_agree(&p, &members);
}

#[test]
fn removed_member_sends_nothing_more_c_commit_13() {
    let p = provider(0xd0);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let out = commit_all(&p, &mut members, 0, |g| {
        g.commit().remove_member(LeafIndex(1))
    });
    let bob = &mut members[1];
    assert!(!bob.group.is_active());
    let before = snapshot(&bob.group);
    let inactive = Error::Misuse(MisuseError::GroupInactive);
    assert_eq!(
        bob.group.encrypt(&p, &bob.signer, b"x", b"").unwrap_err(),
        inactive
    );
    let b = bob.group.commit().force_path(true);
    assert_eq!(
        bob.group.create_commit(&p, &bob.signer, b).unwrap_err(),
        inactive
    );
    assert_eq!(bob.group.process(&p, &out.commit).unwrap_err(), inactive);
    assert_eq!(snapshot(&bob.group), before);
}

#[test]
fn building_a_commit_leaves_the_group_unchanged_c_grp_03() {
    let p = provider(0xd1);
    let mut members = group(&p, &["alice", "bob"]);
    let before = snapshot(&members[0].group);
    let alice = &mut members[0];
    let b = alice.group.commit().force_path(true);
    let (_mine, _staged) = alice.group.create_commit(&p, &alice.signer, b).unwrap();
    assert_eq!(snapshot(&members[0].group), before);
    // Bob's competing commit wins at the delivery service.
    let bob = &mut members[1];
    let b = bob.group.commit().force_path(true);
    let (theirs, staged) = bob.group.create_commit(&p, &bob.signer, b).unwrap();
    bob.group.merge_staged_commit(staged).unwrap();
    apply(&p, &mut members[0].group, &theirs.commit);
    all_agree(&p, &members);
}

#[test]
fn own_commit_is_merged_not_processed() {
    let p = provider(0xd2);
    let mut members = group(&p, &["alice", "bob"]);
    let alice = &mut members[0];
    let b = alice.group.commit().force_path(true);
    let (out, _) = alice.group.create_commit(&p, &alice.signer, b).unwrap();
    refused(
        &p,
        &mut members[0].group,
        &out.commit,
        Error::Misuse(MisuseError::OwnCommit),
    );
}
