//! What a member sends, end to end: the "(send)" checks of `checks.md`
//! that concern a whole group (C-FRAME-24, C-FRAME-29, C-GRP-02,
//! C-CAP-15) and the committer's behaviour with a ReInit (C-PROP-17).

mod group_common;

use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Group, GroupConfig, ProcessedMessage};
use cohort::messages::{Extensions, ProtocolVersion, ReInit};
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort::{Error, ValidationError};
use cohort_traits::Ciphersuite;
use group_common::*;

fn data_of(p: &TestProvider, group: &mut Group, msg: &MlsMessage) -> Vec<u8> {
    match group.process(p, msg).unwrap() {
        ProcessedMessage::Application { data, .. } => data,
        other => panic!("expected application data, got {other:?}"),
    }
}

/// C-FRAME-24 (send), across restarts: a member that saves its state after
/// each message and reloads it never reuses a generation, so every message
/// decrypts. A state saved *before* a message was sent would reuse its
/// generation, and receivers drop the second message as a replay
/// (C-FRAME-25): an application saves the group after `encrypt` and before
/// sending.
#[test]
fn no_generation_is_reused_across_a_reload_c_frame_24() {
    let p = provider(0x51);
    let mut members = group(&p, &["alice", "bob"]);
    let gid = members[0].group.group_id().to_vec();
    members[0].group.save_as(&p, b"alice before").unwrap();
    let alice = &mut members[0];
    let first = alice.group.encrypt(&p, &alice.signer, b"one", b"").unwrap();
    alice.group.save_as(&p, b"alice").unwrap();
    alice.group = Group::load_as(&p, b"alice", &gid).unwrap().unwrap();
    let second = alice.group.encrypt(&p, &alice.signer, b"two", b"").unwrap();
    assert_eq!(data_of(&p, &mut members[1].group, &first), b"one");
    assert_eq!(data_of(&p, &mut members[1].group, &second), b"two");

    let mut stale = Group::load_as(&p, b"alice before", &gid).unwrap().unwrap();
    let reused = stale
        .encrypt(&p, &members[0].signer, b"three", b"")
        .unwrap();
    refused(
        &p,
        &mut members[1].group,
        &reused,
        Error::Validation(ValidationError::GenerationConsumed { generation: 0 }),
    );
}

/// C-FRAME-29 (send): once a commit is merged, application messages use
/// the new epoch's keys: a member still in the old epoch cannot read them.
#[test]
fn messages_after_a_merge_use_the_new_epoch_c_frame_29() {
    let p = provider(0x52);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let old_epoch = members[0].group.epoch();
    let alice = &mut members[0];
    let (out, staged) = alice
        .group
        .create_commit(&p, &alice.signer, alice.group.commit().force_path(true))
        .unwrap();
    // Until the commit is merged, the old epoch's keys are used.
    let before = alice.group.encrypt(&p, &alice.signer, b"old", b"").unwrap();
    alice.group.merge_staged_commit(staged).unwrap();
    let after = alice.group.encrypt(&p, &alice.signer, b"new", b"").unwrap();
    let epoch_of = |m: &MlsMessage| match &m.body {
        MlsMessageBody::PrivateMessage(pm) => pm.epoch,
        _ => panic!("not a PrivateMessage"),
    };
    assert_eq!(epoch_of(&before), old_epoch);
    assert_eq!(epoch_of(&after), old_epoch + 1);
    apply(&p, &mut members[1].group, &out.commit);
    assert_eq!(data_of(&p, &mut members[1].group, &after), b"new");
    assert_eq!(data_of(&p, &mut members[1].group, &before), b"old");
    refused(
        &p,
        &mut members[2].group,
        &after,
        Error::Validation(ValidationError::WrongEpoch {
            epoch: old_epoch + 1,
        }),
    );
}

/// C-GRP-02 (send): `Group::fresh_group_id` gives `KDF.Nh` random bytes.
#[test]
fn fresh_group_ids_are_random_c_grp_02() {
    let p = provider(0x53);
    for (suite, len) in [(Ciphersuite(1), 32), (Ciphersuite(5), 64)] {
        let a = Group::fresh_group_id(&p, suite).unwrap();
        let b = Group::fresh_group_id(&p, suite).unwrap();
        assert_eq!((a.len(), b.len()), (len, len));
        assert_ne!(a, b);
    }
    let (_, kp) = client(&p, SUITE, "alice");
    let id = Group::fresh_group_id(&p, SUITE).unwrap();
    let g = Group::create(
        &p,
        &kp,
        id.clone(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    assert_eq!(g.group_id(), id);
}

/// C-CAP-15 (send): a group created in suite 0x0003 cannot take in an
/// invitee whose KeyPackage is for 0x0001 (C-KP-02): the commit is refused
/// and the group unchanged.
#[test]
fn invitees_must_support_the_groups_suite_c_cap_15() {
    let p = provider(0x54);
    let suite = Ciphersuite(3);
    let (signer, kp) = client(&p, suite, "alice");
    let mut g = Group::create(
        &p,
        &kp,
        b"suite 3".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let (_, bob) = client(&p, Ciphersuite(1), "bob");
    let before = snapshot(&g);
    let b = g.commit().add_member(bob.key_package.clone());
    assert_eq!(
        g.create_commit(&p, &signer, b).map(|_| ()),
        Err(Error::Validation(ValidationError::KeyPackageGroupMismatch))
    );
    assert_eq!(snapshot(&g), before);
    let (_, bob) = client(&p, suite, "bob");
    let b = g.commit().add_member(bob.key_package.clone());
    g.create_commit(&p, &signer, b).unwrap();
}

/// C-PROP-17 (send): with other proposals pending, a ReInit cannot be
/// committed together with them (C-PROP-16), so the committer commits the
/// pending proposals first and the ReInit after.
#[test]
fn pending_proposals_are_committed_before_a_reinit_c_prop_17() {
    let p = provider(0x55);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob = &mut members[1];
    let remove = bob
        .group
        .propose(
            &p,
            &bob.signer,
            cohort::messages::Proposal::Remove(cohort::messages::Remove { removed: 2 }),
        )
        .unwrap();
    match members[0].group.process(&p, &remove).unwrap() {
        ProcessedMessage::Proposal { .. } => {}
        other => panic!("{other:?}"),
    }
    let reinit = ReInit {
        group_id: b"next".to_vec().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: SUITE,
        extensions: Extensions::default(),
    };
    let before = snapshot(&members[0].group);
    let alice = &mut members[0];
    let b = alice.group.commit().reinit(reinit.clone());
    assert_eq!(
        alice.group.create_commit(&p, &alice.signer, b).map(|_| ()),
        Err(Error::Validation(ValidationError::ReInitNotAlone))
    );
    assert_eq!(snapshot(&members[0].group), before);
    // The pending Remove first, then the ReInit.
    let alice = &mut members[0];
    let (out, staged) = alice
        .group
        .create_commit(&p, &alice.signer, alice.group.commit())
        .unwrap();
    alice.group.merge_staged_commit(staged).unwrap();
    apply(&p, &mut members[1].group, &out.commit);
    assert!(members[0].group.tree().leaf(LeafIndex(2)).is_none());
    let alice = &mut members[0];
    let b = alice.group.commit().reinit(reinit);
    let (_, staged) = alice.group.create_commit(&p, &alice.signer, b).unwrap();
    alice.group.merge_staged_commit(staged).unwrap();
    assert!(members[0].group.pending_reinit().is_some());
}
