//! Reinitialization (RFC 9420 section 11.2) and subgroup branching (section
//! 11.3) end to end, with the joiners' checks of section 12.4.3.1: every
//! member agrees on the epoch authenticator after every commit.

mod group_common;

use cohort::codec::VarVec;
use cohort::group::{
    Group, GroupConfig, KeyPackageBundle, ProcessedMessage, ResumptionSpec, external_proposal,
};
use cohort::messages::{
    Credential, Extensions, ExternalSender, ExternalSenders, Proposal, ProtocolVersion, Psk,
    ReInit, Remove, ResumptionPskUsage,
};
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort::{Error, MisuseError, ValidationError};
use cohort_traits::{Ciphersuite, Signer as _};
use group_common::*;
use std::collections::BTreeMap;

const NEW_SUITE: Ciphersuite = Ciphersuite(2);
const NEW_ID: &[u8] = b"reinitialized group";

fn reinit_proposal() -> ReInit {
    ReInit {
        group_id: NEW_ID.to_vec().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: NEW_SUITE,
        extensions: Extensions::default(),
    }
}

/// A member's identity in the new suite: a new signer, same credential.
struct NewIdentity {
    signer: Signer,
    kp: KeyPackageBundle,
}

fn new_identity(p: &TestProvider, name: &str, suite: Ciphersuite) -> NewIdentity {
    let signer = signer(p, suite);
    let kp = key_package_for(p, suite, name, &signer);
    NewIdentity { signer, kp }
}

/// alice, bob and carol; alice commits a ReInit and everyone merges it.
fn reinit_committed(seed: u64) -> (TestProvider, Vec<Member>) {
    let p = provider(seed);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    commit_all(&p, &mut members, 1, |g| g.commit().force_path(true));
    commit_all(&p, &mut members, 0, |g| {
        g.commit().reinit(reinit_proposal())
    });
    for m in &members {
        assert_eq!(m.group.pending_reinit(), Some(&reinit_proposal()));
    }
    all_agree(&p, &members);
    (p, members)
}

#[test]
fn reinit_into_a_new_group_with_a_new_suite() {
    let (p, members) = reinit_committed(0x70);
    let ids: Vec<NewIdentity> = members
        .iter()
        .map(|m| new_identity(&p, &m.name, NEW_SUITE))
        .collect();
    let (new_alice, out) = members[0]
        .group
        .reinit(
            &p,
            &ids[0].signer,
            &ids[0].kp,
            vec![ids[1].kp.key_package.clone(), ids[2].kp.key_package.clone()],
        )
        .unwrap();
    assert_eq!(new_alice.epoch(), 1);
    assert_eq!(new_alice.group_id(), NEW_ID);
    assert_eq!(new_alice.ciphersuite(), NEW_SUITE);
    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    assert_eq!(welcome.cipher_suite, NEW_SUITE);
    // The Welcome names the reinit PSK of the old group's current epoch
    // (C-REINIT-03).
    let secrets = group_secrets(&p, welcome, &ids[1].kp);
    match &secrets.psks.0[..] {
        [id] => assert_eq!(
            id.psk,
            Psk::Resumption {
                usage: ResumptionPskUsage::Reinit,
                psk_group_id: members[0].group.group_id().to_vec().into(),
                psk_epoch: members[0].group.epoch(),
            }
        ),
        other => panic!("{other:?}"),
    }
    // Without the old group the PSK is unknown (C-PSK-07).
    let err = Group::join(
        &p,
        welcome,
        &ids[1].kp,
        None,
        BTreeMap::new(),
        GroupConfig::default(),
    )
    .unwrap_err();
    assert_eq!(err, Error::Validation(ValidationError::PskNotFound));

    let mut new_members = vec![Member {
        name: "alice".into(),
        signer: ids[0].signer.clone(),
        group: new_alice,
    }];
    for i in 1..3 {
        let g = Group::join_with_resumption(
            &p,
            welcome,
            &ids[i].kp,
            None,
            BTreeMap::new(),
            &members[i].group,
            GroupConfig::default(),
        )
        .unwrap();
        new_members.push(Member {
            name: members[i].name.clone(),
            signer: ids[i].signer.clone(),
            group: g,
        });
    }
    all_agree(&p, &new_members);
    commit_all(&p, &mut new_members, 2, |g| g.commit().force_path(true));
    all_agree(&p, &new_members);
}

#[test]
fn the_old_group_is_closed_after_a_reinit_c_reinit_02() {
    let p = provider(0x71);
    let ds = signer(&p, SUITE);
    let mut ext = Extensions::default();
    ext.push(&ExternalSenders(VarVec(vec![ExternalSender {
        signature_key: ds.public_key().to_vec().into(),
        credential: Credential::basic("ds"),
    }])))
    .unwrap();
    let mut members = group_with(&p, SUITE, &["alice", "bob"], ext, GroupConfig::default());
    // A message of the epoch before the ReInit, delivered late, and a
    // competing commit of that epoch.
    let late = {
        let bob = &mut members[1];
        bob.group.encrypt(&p, &bob.signer, b"late", b"").unwrap()
    };
    let competing = {
        let bob = &mut members[1];
        let b = bob.group.commit().force_path(true);
        bob.group
            .create_commit(&p, &bob.signer, b)
            .unwrap()
            .0
            .commit
    };
    commit_all(&p, &mut members, 0, |g| {
        g.commit().reinit(reinit_proposal())
    });

    // Sending is refused.
    let alice = &mut members[0];
    let before = snapshot(&alice.group);
    let misuse = Error::Misuse(MisuseError::ReInitPending);
    assert_eq!(
        alice
            .group
            .encrypt(&p, &alice.signer, b"x", b"")
            .unwrap_err(),
        misuse
    );
    assert_eq!(
        alice
            .group
            .propose(&p, &alice.signer, Proposal::Remove(Remove { removed: 1 }))
            .unwrap_err(),
        misuse
    );
    let b = alice.group.commit().force_path(true);
    assert_eq!(
        alice.group.create_commit(&p, &alice.signer, b).unwrap_err(),
        misuse
    );
    assert_eq!(snapshot(&alice.group), before);

    // Receiving anything of the current epoch is refused.
    let closed = Error::Validation(ValidationError::GroupReinitialized);
    refused(&p, &mut members[0].group, &competing, closed.clone());
    let proposal = external_proposal(
        &p,
        &ds,
        SUITE,
        members[0].group.group_id(),
        members[0].group.epoch(),
        0,
        Proposal::Remove(Remove { removed: 1 }),
    )
    .unwrap();
    refused(&p, &mut members[0].group, &proposal, closed);
    // A late application message of an earlier epoch still decrypts.
    match members[0].group.process(&p, &late).unwrap() {
        ProcessedMessage::Application { data, .. } => assert_eq!(data, b"late"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reinit_sender_checks_c_reinit_03() {
    let p = provider(0x72);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let ids: Vec<NewIdentity> = members
        .iter()
        .map(|m| new_identity(&p, &m.name, NEW_SUITE))
        .collect();
    let all = vec![ids[1].kp.key_package.clone(), ids[2].kp.key_package.clone()];
    // No ReInit committed yet.
    let err = members[0]
        .group
        .reinit(&p, &ids[0].signer, &ids[0].kp, all.clone())
        .err()
        .unwrap();
    assert_eq!(err, Error::Misuse(MisuseError::NoPendingReInit));
    commit_all(&p, &mut members, 0, |g| {
        g.commit().reinit(reinit_proposal())
    });
    // A member missing.
    let err = members[0]
        .group
        .reinit(&p, &ids[0].signer, &ids[0].kp, vec![all[0].clone()])
        .err()
        .unwrap();
    assert!(matches!(
        err,
        Error::Misuse(MisuseError::ResumptionMismatch(_))
    ));
    // The creator's KeyPackage in another suite than the ReInit's.
    let old_suite = new_identity(&p, "alice", SUITE);
    let err = members[0]
        .group
        .reinit(&p, &old_suite.signer, &old_suite.kp, all)
        .err()
        .unwrap();
    assert!(matches!(
        err,
        Error::Misuse(MisuseError::ResumptionMismatch(_))
    ));
}

/// A resumed group made by alice from `members[0]` with `spec`; returns the
/// Welcome and bob's KeyPackage in it.
fn resumed_welcome(
    p: &TestProvider,
    members: &[Member],
    spec: &ResumptionSpec,
    suite: Ciphersuite,
    names: &[&str],
) -> (cohort::messages::Welcome, KeyPackageBundle) {
    let alice = new_identity(p, "alice", suite);
    let others: Vec<NewIdentity> = names.iter().map(|n| new_identity(p, n, suite)).collect();
    let (_, out) = members[0]
        .group
        .create_resumed_unchecked(
            p,
            &alice.signer,
            &alice.kp,
            spec,
            others.iter().map(|i| i.kp.key_package.clone()).collect(),
        )
        .unwrap();
    let welcome = welcome_of(out.welcome.as_ref().unwrap()).clone();
    (welcome, others[0].kp.clone())
}

fn reinit_spec(members: &[Member]) -> ResumptionSpec {
    ResumptionSpec {
        usage: ResumptionPskUsage::Reinit,
        group_id: NEW_ID.to_vec(),
        extensions: Extensions::default(),
        psk_epoch: members[0].group.epoch(),
        commits_before: 0,
    }
}

fn join_bob(
    p: &TestProvider,
    welcome: &cohort::messages::Welcome,
    kp: &KeyPackageBundle,
    old: &Group,
) -> Result<Group, Error> {
    Group::join_with_resumption(
        p,
        welcome,
        kp,
        None,
        BTreeMap::new(),
        old,
        GroupConfig::default(),
    )
}

#[test]
fn reinit_welcome_not_at_epoch_1_c_reinit_04() {
    let (p, members) = reinit_committed(0x73);
    let spec = ResumptionSpec {
        commits_before: 1,
        ..reinit_spec(&members)
    };
    let (welcome, kp) = resumed_welcome(&p, &members, &spec, NEW_SUITE, &["bob", "carol"]);
    let err = join_bob(&p, &welcome, &kp, &members[1].group).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::ResumptionEpochNotOne { epoch: 2 })
    );
}

#[test]
fn reinit_psk_for_an_epoch_without_reinit_c_reinit_05() {
    // The PSK names the epoch before the ReInit commit.
    let (p, members) = reinit_committed(0x74);
    let spec = ResumptionSpec {
        psk_epoch: members[0].group.epoch() - 1,
        ..reinit_spec(&members)
    };
    let (welcome, kp) = resumed_welcome(&p, &members, &spec, NEW_SUITE, &["bob", "carol"]);
    let err = join_bob(&p, &welcome, &kp, &members[1].group).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::ReInitPskWithoutReInit)
    );

    // The joiner never saw the ReInit commit.
    let p = provider(0x75);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob_before = members[1].group.clone();
    commit_all(&p, &mut members, 0, |g| {
        g.commit().reinit(reinit_proposal())
    });
    let (welcome, kp) = resumed_welcome(
        &p,
        &members,
        &reinit_spec(&members),
        NEW_SUITE,
        &["bob", "carol"],
    );
    let err = join_bob(&p, &welcome, &kp, &bob_before).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::ReInitPskWithoutReInit)
    );
    // With the ReInit merged it works.
    join_bob(&p, &welcome, &kp, &members[1].group).unwrap();
}

#[test]
fn reinit_group_differs_from_the_reinit_c_reinit_06() {
    let (p, members) = reinit_committed(0x76);
    let spec = ResumptionSpec {
        group_id: b"another id".to_vec(),
        ..reinit_spec(&members)
    };
    let (welcome, kp) = resumed_welcome(&p, &members, &spec, NEW_SUITE, &["bob", "carol"]);
    let err = join_bob(&p, &welcome, &kp, &members[1].group).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::ReInitParametersMismatch)
    );
    // Same id, but the old suite.
    let (welcome, kp) = resumed_welcome(
        &p,
        &members,
        &reinit_spec(&members),
        SUITE,
        &["bob", "carol"],
    );
    let err = join_bob(&p, &welcome, &kp, &members[1].group).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::ReInitParametersMismatch)
    );
}

#[test]
fn reinit_group_missing_a_member_c_reinit_07() {
    let (p, members) = reinit_committed(0x77);
    let (welcome, kp) = resumed_welcome(&p, &members, &reinit_spec(&members), NEW_SUITE, &["bob"]);
    let err = join_bob(&p, &welcome, &kp, &members[1].group).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::ReInitMemberMissing { leaf: 2 })
    );
}

#[test]
fn two_reinit_or_branch_psks_in_group_secrets_c_psk_08() {
    let (p, members) = reinit_committed(0x78);
    let (welcome, kp) = resumed_welcome(
        &p,
        &members,
        &reinit_spec(&members),
        NEW_SUITE,
        &["bob", "carol"],
    );
    let forged = reseal_secrets(&p, &welcome, &kp, |s| {
        let mut second = s.psks.0[0].clone();
        second.psk_nonce = vec![9; second.psk_nonce.0.len()].into();
        s.psks.0.push(second);
    });
    let err = join_bob(&p, &forged, &kp, &members[1].group).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::MultipleReinitOrBranchPsks)
    );
}

// Branching (RFC 9420 section 11.3).

#[test]
fn branch_a_subgroup() {
    let p = provider(0x79);
    let mut members = group(&p, &["alice", "bob", "carol", "dave"]);
    commit_all(&p, &mut members, 3, |g| g.commit().force_path(true));
    let alice_kp = members[0].key_package(&p, SUITE);
    let bob_kp = members[1].key_package(&p, SUITE);
    let carol_kp = members[2].key_package(&p, SUITE);
    let (sub_alice, out) = members[0]
        .group
        .branch(
            &p,
            &members[0].signer,
            &alice_kp,
            b"subgroup".to_vec(),
            Extensions::default(),
            vec![bob_kp.key_package.clone(), carol_kp.key_package.clone()],
        )
        .unwrap();
    assert_eq!(sub_alice.epoch(), 1);
    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    let mut sub = vec![Member {
        name: "alice".into(),
        signer: members[0].signer.clone(),
        group: sub_alice,
    }];
    for (i, kp) in [(1, &bob_kp), (2, &carol_kp)] {
        let g = join_bob(&p, welcome, kp, &members[i].group).unwrap();
        sub.push(Member {
            name: members[i].name.clone(),
            signer: members[i].signer.clone(),
            group: g,
        });
    }
    all_agree(&p, &sub);
    assert_eq!(sub[0].group.tree().members().len(), 3);
    commit_all(&p, &mut sub, 1, |g| g.commit().remove_member(LeafIndex(2)));
    all_agree(&p, &sub);
    // The old group goes on.
    commit_all(&p, &mut members, 2, |g| g.commit().force_path(true));
    all_agree(&p, &members);
}

fn branch_spec(members: &[Member]) -> ResumptionSpec {
    ResumptionSpec {
        usage: ResumptionPskUsage::Branch,
        group_id: b"subgroup".to_vec(),
        extensions: Extensions::default(),
        psk_epoch: members[0].group.epoch(),
        commits_before: 0,
    }
}

#[test]
fn branch_welcome_not_at_epoch_1_c_reinit_08() {
    let p = provider(0x7a);
    let members = group(&p, &["alice", "bob"]);
    let spec = ResumptionSpec {
        commits_before: 1,
        ..branch_spec(&members)
    };
    let (welcome, kp) = resumed_welcome(&p, &members, &spec, SUITE, &["bob"]);
    let err = join_bob(&p, &welcome, &kp, &members[1].group).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::ResumptionEpochNotOne { epoch: 2 })
    );
}

#[test]
fn branch_into_another_suite_c_reinit_09() {
    let p = provider(0x7b);
    let members = group(&p, &["alice", "bob"]);
    // Sender side.
    let other = new_identity(&p, "alice", NEW_SUITE);
    let err = members[0]
        .group
        .branch(
            &p,
            &other.signer,
            &other.kp,
            b"subgroup".to_vec(),
            Extensions::default(),
            vec![],
        )
        .err()
        .unwrap();
    assert!(matches!(
        err,
        Error::Misuse(MisuseError::ResumptionMismatch(_))
    ));
    // Joiner side.
    let (welcome, kp) = resumed_welcome(&p, &members, &branch_spec(&members), NEW_SUITE, &["bob"]);
    let err = join_bob(&p, &welcome, &kp, &members[1].group).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::BranchParametersMismatch)
    );
}

#[test]
fn branch_with_a_non_member_c_reinit_10() {
    let p = provider(0x7c);
    let members = group(&p, &["alice", "bob"]);
    // Sender side.
    let alice_kp = members[0].key_package(&p, SUITE);
    let (_, erin) = client(&p, SUITE, "erin");
    let err = members[0]
        .group
        .branch(
            &p,
            &members[0].signer,
            &alice_kp,
            b"subgroup".to_vec(),
            Extensions::default(),
            vec![erin.key_package.clone()],
        )
        .err()
        .unwrap();
    assert!(matches!(
        err,
        Error::Misuse(MisuseError::ResumptionMismatch(_))
    ));
    // Joiner side: erin is leaf 2 of the branch.
    let (welcome, kp) = resumed_welcome(
        &p,
        &members,
        &branch_spec(&members),
        SUITE,
        &["bob", "erin"],
    );
    let err = join_bob(&p, &welcome, &kp, &members[1].group).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::BranchNonMember { leaf: 2 })
    );
}

#[test]
fn reinit_proposed_then_committed_by_reference() {
    let p = provider(0x7d);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let bob = &mut members[1];
    let proposal = bob
        .group
        .propose(&p, &bob.signer, Proposal::ReInit(reinit_proposal()))
        .unwrap();
    for i in [0, 2] {
        members[i].group.process(&p, &proposal).unwrap();
    }
    let alice = &mut members[0];
    let b = alice.group.commit();
    let (out, staged) = alice.group.create_commit(&p, &alice.signer, b).unwrap();
    assert_eq!(staged.reinit(), Some(&reinit_proposal()));
    alice.group.merge_staged_commit(staged).unwrap();
    for i in [1, 2] {
        apply(&p, &mut members[i].group, &out.commit);
    }
    all_agree(&p, &members);
    // Carol, not the committer, creates the new group.
    let ids: Vec<NewIdentity> = members
        .iter()
        .map(|m| new_identity(&p, &m.name, NEW_SUITE))
        .collect();
    let (new_carol, out) = members[2]
        .group
        .reinit(
            &p,
            &ids[2].signer,
            &ids[2].kp,
            vec![ids[0].kp.key_package.clone(), ids[1].kp.key_package.clone()],
        )
        .unwrap();
    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    let mut groups = vec![new_carol];
    for i in [0, 1] {
        groups.push(join_bob(&p, welcome, &ids[i].kp, &members[i].group).unwrap());
    }
    agree(&p, &groups.iter().collect::<Vec<_>>());
}
