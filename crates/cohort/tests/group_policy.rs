//! The application's proposal policy (RFC 9420 sections 12.1.8, 12.2):
//! a policy rule makes a proposal list invalid (C-PROP-21), and a new
//! member's self-Add is invalid unless the application authorizes it
//! (C-EXT-04). The policy is consulted when a proposal arrives on its own,
//! when a member builds a commit, when it processes one, and on external
//! joins; every refusal names its check and leaves the group unchanged.

mod group_common;

use cohort::framing::{MlsMessage, Sender};
use cohort::group::{
    DefaultProposalPolicy, Group, GroupConfig, ProcessedMessage, ProposalInfo, ProposalPolicy,
    SharedPolicy, external_proposal, new_member_proposal,
};
use cohort::messages::{Credential, Extensions, ExternalSender, ExternalSenders, Proposal, Remove};
use cohort::tree::math::LeafIndex;
use cohort::{Error, ValidationError};
use cohort_traits::Signer as _;
use group_common::*;
use std::sync::{Arc, Mutex};

// Wire values of RFC 9420 sections 6 and 12.1 used in the errors.
const MEMBER: u8 = 1;
const EXTERNAL: u8 = 2;
const NEW_MEMBER_COMMIT: u8 = 4;
const ADD: u16 = 1;
const REMOVE: u16 = 3;
const EXTERNAL_INIT: u16 = 6;

/// Only members whose credential names an admin may propose Adds; every
/// other proposal is accepted.
struct AdminsAdd(Vec<Credential>);

impl ProposalPolicy for AdminsAdd {
    fn allow_proposal(&self, info: &ProposalInfo<'_>) -> bool {
        match info.proposal {
            Proposal::Add(_) => info
                .sender_leaf
                .is_some_and(|leaf| self.0.contains(&leaf.credential)),
            _ => true,
        }
    }
}

fn admins(names: &[&str]) -> GroupConfig {
    GroupConfig::default().with_proposal_policy(AdminsAdd(
        names.iter().map(|n| Credential::basic(*n)).collect(),
    ))
}

/// New members may add themselves if their credential is on the list.
struct InvitedJoiners(Vec<Credential>);

impl ProposalPolicy for InvitedJoiners {
    fn allow_new_member_add(&self, info: &ProposalInfo<'_>) -> bool {
        info.sender_leaf
            .is_some_and(|leaf| self.0.contains(&leaf.credential))
    }
}

/// Refuses external joins (their ExternalInit) and accepts the rest.
struct NoExternalJoins;

impl ProposalPolicy for NoExternalJoins {
    fn allow_proposal(&self, info: &ProposalInfo<'_>) -> bool {
        !matches!(info.proposal, Proposal::ExternalInit(_))
    }
}

/// Refuses Removes from external senders.
struct NoExternalRemoves;

impl ProposalPolicy for NoExternalRemoves {
    fn allow_proposal(&self, info: &ProposalInfo<'_>) -> bool {
        !matches!(
            (info.sender, info.proposal),
            (Sender::External(_), Proposal::Remove(_))
        )
    }
}

fn rejected(sender_type: u8, proposal_type: u16) -> Error {
    Error::Validation(ValidationError::RejectedByPolicy {
        sender_type,
        proposal_type,
    })
}

const NOT_AUTHORIZED: Error = Error::Validation(ValidationError::NewMemberAddNotAuthorized);

/// Building `builder` as `members[who]` fails with `expected`, and the
/// member's group is unchanged.
fn build_refused(
    p: &TestProvider,
    members: &mut [Member],
    who: usize,
    builder: impl FnOnce(&Group) -> cohort::group::CommitBuilder,
    expected: Error,
) {
    let b = builder(&members[who].group);
    let m = &mut members[who];
    let before = snapshot(&m.group);
    let err = m.group.create_commit(p, &m.signer, b).unwrap_err();
    assert_eq!(err, expected);
    assert_eq!(snapshot(&m.group), before);
}

/// `members[who]` builds `builder` under `policy` (its own is restored
/// afterwards); the commit is returned unmerged.
fn commit_under(
    p: &TestProvider,
    members: &mut [Member],
    who: usize,
    policy: SharedPolicy,
    builder: impl FnOnce(&Group) -> cohort::group::CommitBuilder,
) -> MlsMessage {
    let m = &mut members[who];
    let own = m.group.config().proposal_policy.clone();
    m.group.set_proposal_policy(policy);
    let b = builder(&m.group);
    let (out, _staged) = m.group.create_commit(p, &m.signer, b).unwrap();
    m.group.set_proposal_policy(own);
    out.commit
}

fn self_add(p: &TestProvider, g: &Group, name: &str) -> MlsMessage {
    let (s, kp) = client(p, SUITE, name);
    new_member_proposal(p, &s, g.group_id(), g.epoch(), &kp.key_package).unwrap()
}

/// C-PROP-21: an Add by a member without add permission is refused by the
/// member who would build it and by every member processing it, by value
/// or as a proposal of its own; the group is unchanged.
#[test]
fn add_by_a_member_without_permission_c_prop_21() {
    let p = provider(0x9001);
    let config = admins(&["alice"]);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob", "carol"],
        Extensions::default(),
        config,
    );
    let (_, dave) = client(&p, SUITE, "dave");

    // Bob's own build refuses it.
    let kp = dave.key_package.clone();
    build_refused(
        &p,
        &mut members,
        1,
        move |g| g.commit().add_member(kp),
        rejected(MEMBER, ADD),
    );

    // A commit bob built under a laxer policy is refused by the others.
    let kp = dave.key_package.clone();
    let commit = commit_under(&p, &mut members, 1, SharedPolicy::default(), move |g| {
        g.commit().add_member(kp)
    });
    for i in [0, 2] {
        refused(&p, &mut members[i].group, &commit, rejected(MEMBER, ADD));
    }

    // The same Add as a proposal: refused on arrival and not cached.
    let b = &mut members[1];
    let proposal = b
        .group
        .propose(
            &p,
            &b.signer,
            Proposal::Add(Box::new(cohort::messages::Add {
                key_package: dave.key_package.clone(),
            })),
        )
        .unwrap();
    for i in [0, 2] {
        refused(&p, &mut members[i].group, &proposal, rejected(MEMBER, ADD));
        assert!(members[i].group.pending_proposals().is_empty());
    }
    // Bob's cached proposal makes his own next commit invalid too.
    build_refused(&p, &mut members, 1, |g| g.commit(), rejected(MEMBER, ADD));
    all_agree(&p, &members);
}

/// C-PROP-21: a proposal cached under one policy and committed by
/// reference after the application tightened its rules is refused by the
/// committer's build and by a receiver; the groups are unchanged.
#[test]
fn add_by_reference_after_the_policy_changed_c_prop_21() {
    let p = provider(0x9002);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let (_, dave) = client(&p, SUITE, "dave");
    let b = &mut members[1];
    let proposal = b
        .group
        .propose(
            &p,
            &b.signer,
            Proposal::Add(Box::new(cohort::messages::Add {
                key_package: dave.key_package.clone(),
            })),
        )
        .unwrap();
    for i in [0, 2] {
        members[i].group.process(&p, &proposal).unwrap();
    }
    // Carol commits it by reference; alice now applies the admins rule.
    let commit = commit_under(&p, &mut members, 2, SharedPolicy::default(), |g| g.commit());
    members[0]
        .group
        .set_proposal_policy(admins(&["alice"]).proposal_policy);
    refused(&p, &mut members[0].group, &commit, rejected(MEMBER, ADD));
    assert_eq!(members[0].group.pending_proposals().len(), 1);
    // Under the same rule carol would not build it either.
    members[2]
        .group
        .set_proposal_policy(admins(&["alice"]).proposal_policy);
    build_refused(&p, &mut members, 2, |g| g.commit(), rejected(MEMBER, ADD));
}

/// An admin's Add passes the admins rule, and so does a non-admin's commit
/// of an admin's Add by reference: the rule is on the proposer. Members
/// without the permission still remove, update and commit.
#[test]
fn the_admins_rule_accepts_what_it_allows() {
    let p = provider(0x9003);
    let config = admins(&["alice"]);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob", "carol"],
        Extensions::default(),
        config.clone(),
    );
    let (dave_signer, dave) = client(&p, SUITE, "dave");
    let kp = dave.key_package.clone();
    let out = commit_all(&p, &mut members, 0, move |g| g.commit().add_member(kp));
    members.push(welcomed(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        "dave",
        dave_signer,
        &dave,
        config.clone(),
    ));
    all_agree(&p, &members);

    // Alice proposes erin; bob (no permission) commits it by reference.
    let (erin_signer, erin) = client(&p, SUITE, "erin");
    let a = &mut members[0];
    let proposal = a
        .group
        .propose(
            &p,
            &a.signer,
            Proposal::Add(Box::new(cohort::messages::Add {
                key_package: erin.key_package.clone(),
            })),
        )
        .unwrap();
    for m in &mut members[1..] {
        m.group.process(&p, &proposal).unwrap();
    }
    let out = commit_all(&p, &mut members, 1, |g| g.commit());
    members.push(welcomed(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        "erin",
        erin_signer,
        &erin,
        config,
    ));
    all_agree(&p, &members);

    // Carol removes dave and updates.
    commit_all(&p, &mut members, 2, |g| {
        g.commit().remove_member(LeafIndex(3)).force_path(true)
    });
    members.remove(3);
    all_agree(&p, &members);
}

/// C-EXT-04: by default a new member's self-Add is refused on arrival; the
/// group is unchanged and nothing is cached.
#[test]
fn unauthorized_self_add_is_refused_c_ext_04() {
    let p = provider(0x9004);
    let mut members = group(&p, &["alice", "bob"]);
    assert!(members[0].group.config().proposal_policy.is_default());
    let msg = self_add(&p, &members[0].group, "erin");
    for m in &mut members {
        refused(&p, &mut m.group, &msg, NOT_AUTHORIZED);
        assert!(m.group.pending_proposals().is_empty());
    }
}

/// C-EXT-04: a self-Add cached while it was authorized, then committed by
/// reference once the application withdrew the authorization, is refused by
/// a receiver and by the committer's build; the groups are unchanged.
#[test]
fn self_add_committed_after_authorization_was_withdrawn_c_ext_04() {
    let p = provider(0x9005);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        Extensions::default(),
        open_config(),
    );
    let msg = self_add(&p, &members[0].group, "erin");
    for m in &mut members {
        match m.group.process(&p, &msg).unwrap() {
            ProcessedMessage::Proposal { sender, .. } => {
                assert_eq!(sender, Sender::NewMemberProposal)
            }
            other => panic!("{other:?}"),
        }
    }
    let commit = commit_under(&p, &mut members, 1, open_config().proposal_policy, |g| {
        g.commit()
    });
    members[0]
        .group
        .set_proposal_policy(SharedPolicy::new(DefaultProposalPolicy));
    refused(&p, &mut members[0].group, &commit, NOT_AUTHORIZED);
    members[1]
        .group
        .set_proposal_policy(SharedPolicy::default());
    build_refused(&p, &mut members, 1, |g| g.commit(), NOT_AUTHORIZED);
}

/// An application that authorizes some joiners: erin's self-Add is
/// accepted and committed, mallory's is refused (C-EXT-04).
#[test]
fn authorized_self_add_is_committed() {
    let p = provider(0x9006);
    let config = GroupConfig::default()
        .with_proposal_policy(InvitedJoiners(vec![Credential::basic("erin")]));
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        Extensions::default(),
        config.clone(),
    );
    let mallory = self_add(&p, &members[0].group, "mallory");
    for m in &mut members {
        refused(&p, &mut m.group, &mallory, NOT_AUTHORIZED);
    }
    let (erin_signer, erin_kp) = client(&p, SUITE, "erin");
    let g = &members[0].group;
    let msg = new_member_proposal(
        &p,
        &erin_signer,
        g.group_id(),
        g.epoch(),
        &erin_kp.key_package,
    )
    .unwrap();
    for m in &mut members {
        m.group.process(&p, &msg).unwrap();
    }
    let out = commit_all(&p, &mut members, 0, |g| g.commit());
    members.push(welcomed(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        "erin",
        erin_signer,
        &erin_kp,
        config,
    ));
    all_agree(&p, &members);
}

/// C-PROP-21 for external commits: a group that refuses external joins
/// refuses the ExternalInit; a joiner applying that rule to itself does not
/// build the commit. The default policy accepts external joins.
#[test]
fn external_joins_refused_by_policy_c_prop_21() {
    let p = provider(0x9007);
    let config = GroupConfig::default().with_proposal_policy(NoExternalJoins);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        Extensions::default(),
        config.clone(),
    );
    commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
    let a = &members[0];
    let gi = group_info_of(&a.group.group_info(&p, &a.signer, true).unwrap()).clone();
    let (s, kp) = client(&p, SUITE, "carol");
    let err = Group::join_external(&p, &s, &gi, None, &kp, config, None).unwrap_err();
    assert_eq!(err, rejected(NEW_MEMBER_COMMIT, EXTERNAL_INIT));
    let (carol, commit) =
        Group::join_external(&p, &s, &gi, None, &kp, GroupConfig::default(), None).unwrap();
    for m in &mut members {
        refused(
            &p,
            &mut m.group,
            &commit,
            rejected(NEW_MEMBER_COMMIT, EXTERNAL_INIT),
        );
    }
    // Under the default policy the same commit is accepted.
    for m in &mut members {
        m.group.set_proposal_policy(SharedPolicy::default());
        apply(&p, &mut m.group, &commit);
    }
    members.push(Member {
        name: "carol".into(),
        signer: s,
        group: carol,
    });
    all_agree(&p, &members);
}

/// C-PROP-21 for external senders: a Remove from the delivery service is
/// refused on arrival by a group whose policy forbids it.
#[test]
fn external_sender_proposal_refused_by_policy_c_prop_21() {
    let p = provider(0x9008);
    let ds = signer(&p, SUITE);
    let mut ext = Extensions::default();
    ext.push(&ExternalSenders(
        vec![ExternalSender {
            signature_key: ds.public_key().to_vec().into(),
            credential: Credential::basic("delivery service"),
        }]
        .into(),
    ))
    .unwrap();
    let config = GroupConfig::default().with_proposal_policy(NoExternalRemoves);
    let mut members = group_with(&p, SUITE, &["alice", "bob", "carol"], ext, config);
    let g = &members[0].group;
    let msg = external_proposal(
        &p,
        &ds,
        SUITE,
        g.group_id(),
        g.epoch(),
        0,
        Proposal::Remove(Remove { removed: 2 }),
    )
    .unwrap();
    for m in &mut members {
        refused(&p, &mut m.group, &msg, rejected(EXTERNAL, REMOVE));
    }
    // With the default policy it is cached and committed.
    for m in &mut members {
        m.group.set_proposal_policy(SharedPolicy::default());
        m.group.process(&p, &msg).unwrap();
    }
    commit_all(&p, &mut members, 0, |g| g.commit());
    members.truncate(2);
    all_agree(&p, &members);
}

/// What the policy is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    sender: Sender,
    has_leaf: bool,
    by_reference: bool,
    committer: Option<Sender>,
    list_len: usize,
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Seen>>);

impl ProposalPolicy for Recorder {
    fn allow_proposal(&self, info: &ProposalInfo<'_>) -> bool {
        self.0.lock().unwrap().push(Seen {
            sender: info.sender,
            has_leaf: info.sender_leaf.is_some(),
            by_reference: info.by_reference,
            committer: info.committer,
            list_len: info.list.len(),
        });
        true
    }
}

/// The policy sees the sender and its leaf, whether the proposal came by
/// reference, the committer and the whole list, at arrival and at commit.
#[test]
fn the_policy_sees_sender_committer_and_list() {
    let p = provider(0x9009);
    let recorder = Arc::new(Recorder::default());
    let shared = SharedPolicy::from(recorder.clone() as Arc<dyn ProposalPolicy>);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    members[0].group.set_proposal_policy(shared.clone());
    assert_eq!(members[0].group.config().proposal_policy, shared);
    assert_ne!(
        members[0].group.config().proposal_policy,
        SharedPolicy::default()
    );
    let b = &mut members[1];
    let remove = b
        .group
        .propose(&p, &b.signer, Proposal::Remove(Remove { removed: 2 }))
        .unwrap();
    members[0].group.process(&p, &remove).unwrap();
    members[2].group.process(&p, &remove).unwrap();
    let bob_remove = Seen {
        sender: Sender::Member(1),
        has_leaf: true,
        by_reference: true,
        committer: None,
        list_len: 1,
    };
    assert_eq!(*recorder.0.lock().unwrap(), vec![bob_remove.clone()]);
    recorder.0.lock().unwrap().clear();
    // Bob commits it by reference with a PSK of his own by value.
    for m in &mut members {
        m.group
            .add_external_psk(b"psk".to_vec(), cohort_traits::Secret::new(vec![1; 32]));
    }
    commit_all(&p, &mut members, 1, |g| {
        g.commit().external_psk(b"psk".to_vec())
    });
    let in_commit = |s: Seen| Seen {
        committer: Some(Sender::Member(1)),
        list_len: 2,
        ..s
    };
    assert_eq!(
        *recorder.0.lock().unwrap(),
        vec![
            in_commit(bob_remove),
            in_commit(Seen {
                sender: Sender::Member(1),
                has_leaf: true,
                by_reference: false,
                committer: None,
                list_len: 0,
            }),
        ]
    );
}

/// The policy is runtime configuration: a saved group loads back with the
/// default policy, and the application installs its own again.
#[test]
fn the_policy_is_not_saved() {
    let p = provider(0x900a);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        Extensions::default(),
        admins(&["alice"]),
    );
    members[1].group.save(&p).unwrap();
    let mut loaded = Group::load(&p, members[1].group.group_id())
        .unwrap()
        .expect("saved");
    assert!(loaded.config().proposal_policy.is_default());
    assert_eq!(
        GroupConfig {
            proposal_policy: SharedPolicy::default(),
            ..members[1].group.config().clone()
        },
        *loaded.config()
    );
    loaded.set_proposal_policy(admins(&["alice"]).proposal_policy);
    members[1].group = loaded;
    let (_, dave) = client(&p, SUITE, "dave");
    let kp = dave.key_package.clone();
    build_refused(
        &p,
        &mut members,
        1,
        move |g| g.commit().add_member(kp),
        rejected(MEMBER, ADD),
    );
    all_agree(&p, &members);
}
