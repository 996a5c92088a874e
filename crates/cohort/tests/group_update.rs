//! Update proposals end to end (RFC 9420 section 12.1.2): a member proposes
//! a new leaf key, another member commits it, and the proposer keeps
//! working with the new key (it decrypts later paths and survives a reload).

mod group_common;

use cohort::group::{Group, ProcessedMessage};
use cohort::tree::TreeView;
use cohort::{Error, MisuseError, ValidationError};
use group_common::*;

/// Delivers a proposal message to every member but the sender.
fn deliver_proposal(
    p: &TestProvider,
    members: &mut [Member],
    from: usize,
    msg: &cohort::framing::MlsMessage,
) {
    for (i, m) in members.iter_mut().enumerate() {
        if i != from {
            match m.group.process(p, msg).unwrap() {
                ProcessedMessage::Proposal { .. } => {}
                other => panic!("expected a proposal, got {other:?}"),
            }
        }
    }
}

#[test]
fn an_update_committed_by_another_member_replaces_the_proposers_leaf_key() {
    let p = provider(31);
    let mut members = group(&p, &["alice", "bob", "carol", "dave"]);
    let bob_leaf = members[1].group.own_leaf();
    let old_key = members[1]
        .group
        .tree()
        .leaf(bob_leaf)
        .unwrap()
        .encryption_key
        .clone();
    let bob = &mut members[1];
    let msg = bob.group.propose_update(&p, &bob.signer).unwrap();
    deliver_proposal(&p, &mut members, 1, &msg);

    // Alice commits the Update by reference; everyone, Bob included, agrees.
    let out = commit_all(&p, &mut members, 0, |g| g.commit());
    assert!(out.welcome.is_none());
    all_agree(&p, &members);
    let new_key = &members[1]
        .group
        .tree()
        .leaf(bob_leaf)
        .unwrap()
        .encryption_key;
    assert_ne!(*new_key, old_key);

    // Bob needs the new leaf key to decrypt the next paths: commits by
    // members on both sides of the tree.
    commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
    all_agree(&p, &members);
    commit_all(&p, &mut members, 3, |g| g.commit().force_path(true));
    all_agree(&p, &members);
}

#[test]
fn several_updates_and_a_remove_in_one_commit() {
    let p = provider(32);
    let mut members = group(&p, &["alice", "bob", "carol", "dave", "erin"]);
    for who in [1, 3] {
        let m = &mut members[who];
        let msg = m.group.propose_update(&p, &m.signer).unwrap();
        deliver_proposal(&p, &mut members, who, &msg);
    }
    let erin = members[4].group.own_leaf();
    commit_all(&p, &mut members, 2, |g| g.commit().remove_member(erin));
    all_agree(&p, &members);
    for who in [1, 3] {
        commit_all(&p, &mut members, who, |g| g.commit().force_path(true));
        all_agree(&p, &members);
    }
}

#[test]
fn the_update_key_survives_a_reload() {
    let p = provider(33);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob = &mut members[1];
    let msg = bob.group.propose_update(&p, &bob.signer).unwrap();
    deliver_proposal(&p, &mut members, 1, &msg);
    let gid = members[1].group.group_id().to_vec();
    members[1].group.save_as(&p, b"bob").unwrap();
    members[1].group = Group::load_as(&p, b"bob", &gid).unwrap().unwrap();
    commit_all(&p, &mut members, 2, |g| g.commit());
    all_agree(&p, &members);
    commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
    all_agree(&p, &members);
}

/// A member that lost the key of its own Update (here: it reloaded a state
/// saved before proposing) cannot process the commit applying it: named
/// error, state unchanged.
#[test]
fn a_commit_applying_an_unknown_own_update_is_refused() {
    let p = provider(34);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let gid = members[1].group.group_id().to_vec();
    members[1].group.save_as(&p, b"bob").unwrap();
    let bob = &mut members[1];
    let msg = bob.group.propose_update(&p, &bob.signer).unwrap();
    deliver_proposal(&p, &mut members, 1, &msg);
    let alice = &mut members[0];
    let (out, staged) = alice
        .group
        .create_commit(&p, &alice.signer, alice.group.commit())
        .unwrap();
    alice.group.merge_staged_commit(staged).unwrap();

    let mut stale = Group::load_as(&p, b"bob", &gid).unwrap().unwrap();
    // The stale state learns of its own proposal from the wire (as after a
    // crash between sending and saving), but not its key.
    let _ = stale.process(&p, &msg);
    refused(
        &p,
        &mut stale,
        &out.commit,
        Error::Validation(ValidationError::OwnUpdateKeyUnknown),
    );
}

#[test]
fn an_update_must_be_signed_by_the_leafs_own_key() {
    let p = provider(35);
    let mut members = group(&p, &["alice", "bob"]);
    let carol = signer(&p, SUITE);
    let bob = &mut members[1];
    let before = snapshot(&bob.group);
    assert_eq!(
        bob.group.propose_update(&p, &carol).unwrap_err(),
        Error::Misuse(MisuseError::SignerMismatch)
    );
    assert!(bob.group.pending_proposals().is_empty());
    assert_eq!(snapshot(&bob.group), before);
}

/// C-PROP-11: of competing proposals for one leaf the committer picks the
/// Remove; the Update is left out and the commit is valid.
#[test]
fn a_remove_wins_over_an_update_of_the_same_leaf_c_prop_11() {
    let p = provider(36);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob_leaf = members[1].group.own_leaf();
    let bob = &mut members[1];
    let update = bob.group.propose_update(&p, &bob.signer).unwrap();
    deliver_proposal(&p, &mut members, 1, &update);
    let alice = &mut members[0];
    let remove = alice
        .group
        .propose(
            &p,
            &alice.signer,
            cohort::messages::Proposal::Remove(cohort::messages::Remove {
                removed: bob_leaf.0,
            }),
        )
        .unwrap();
    deliver_proposal(&p, &mut members, 0, &remove);
    commit_all(&p, &mut members, 2, |g| g.commit());
    assert!(!members[1].group.is_active());
    assert!(members[2].group.tree().leaf(bob_leaf).is_none());
    all_agree(&p, &members);
}

/// C-PROP-11: of two Updates from one member the committer picks the newer.
#[test]
fn the_newest_update_of_a_member_is_committed_c_prop_11() {
    let p = provider(37);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob_leaf = members[1].group.own_leaf();
    for _ in 0..2 {
        let bob = &mut members[1];
        let msg = bob.group.propose_update(&p, &bob.signer).unwrap();
        deliver_proposal(&p, &mut members, 1, &msg);
    }
    let newest = match &members[0].group.pending_proposals()[1].proposal {
        cohort::messages::Proposal::Update(u) => u.leaf_node.encryption_key.clone(),
        _ => panic!("expected an Update"),
    };
    commit_all(&p, &mut members, 2, |g| g.commit());
    all_agree(&p, &members);
    let key = &members[0]
        .group
        .tree()
        .leaf(bob_leaf)
        .unwrap()
        .encryption_key;
    assert_eq!(*key, newest);
    // Bob holds the newer key: he decrypts the next path.
    commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
    all_agree(&p, &members);
}
