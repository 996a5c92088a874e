//! A delivery service's public view of a group ([`PublicGroup`]) beside
//! the real members: after every commit it has the members' epoch, tree
//! hash, confirmed transcript hash, GroupContext and roster; every message
//! it refuses is refused by name and leaves it unchanged, byte for byte.

mod group_common;

use cohort::framing::{ContentType, MlsMessage, MlsMessageBody, Sender};
use cohort::group::{
    CommitBuilder, CommitSummary, Group, GroupConfig, Limits, MessageInfo, PUBLIC_GROUP_VERSION,
    ProcessedMessage, PublicProcessed, external_proposal,
};
use cohort::messages::ProtocolVersion;
use cohort::messages::{Credential, Extensions, Proposal, ProposalOrRef, ReInit, Remove};
use cohort::tree::math::LeafIndex;
use cohort::{DecodeError, Error, ExportedTree, MisuseError, PublicGroup, ValidationError};
use cohort_traits::StorageError;
use group_common::*;
use std::collections::BTreeMap;

/// The public view of `m`'s group from its GroupInfo (tree inside).
fn view_of(p: &TestProvider, m: &Member) -> PublicGroup {
    let gi = m.group.group_info(p, &m.signer, true).unwrap();
    PublicGroup::from_group_info(&p.crypto, &gi, None, &Limits::default()).unwrap()
}

/// The view agrees with every active member: epoch, tree hash, confirmed
/// transcript hash, the whole GroupContext and the roster.
fn agrees(view: &PublicGroup, members: &[Member]) {
    let mut seen = 0;
    for g in members.iter().map(|m| &m.group).filter(|g| g.is_active()) {
        assert_eq!(view.epoch(), g.epoch());
        assert_eq!(view.context().tree_hash.as_slice(), g.tree().tree_hash());
        assert_eq!(view.tree().tree_hash(), g.tree().tree_hash());
        assert_eq!(
            view.context().confirmed_transcript_hash,
            g.context().confirmed_transcript_hash
        );
        assert_eq!(view.context(), g.context());
        assert_eq!(view.members(), g.roster());
        seen += 1;
    }
    assert!(seen > 0);
}

/// Member `who` commits `builder`; the view takes the commit first, then
/// the committer merges it, the other active members apply it and the new
/// members join from the Welcome. Returns what the view reported.
fn commit_via_view(
    p: &TestProvider,
    view: &mut PublicGroup,
    members: &mut Vec<Member>,
    who: usize,
    joiners: Vec<(String, Signer, cohort::group::KeyPackageBundle)>,
    builder: impl FnOnce(&Group) -> CommitBuilder,
) -> CommitSummary {
    let mut b = builder(&members[who].group);
    for (_, _, kp) in &joiners {
        b = b.add_member(kp.key_package.clone());
    }
    let m = &mut members[who];
    let (out, staged) = m.group.create_commit(p, &m.signer, b).unwrap();
    let summary = match view.process(&p.crypto, &out.commit).unwrap() {
        PublicProcessed::Commit(s) => *s,
        other => panic!("expected a commit, got {other:?}"),
    };
    m.group.merge_staged_commit(staged).unwrap();
    for (i, other) in members.iter_mut().enumerate() {
        if i != who && other.group.is_active() {
            apply(p, &mut other.group, &out.commit);
        }
    }
    for (name, signer, kp) in joiners {
        let welcome = out.welcome.as_ref().unwrap();
        let group = Group::join(
            p,
            welcome_of(welcome),
            &kp,
            None,
            BTreeMap::new(),
            GroupConfig::default(),
        )
        .unwrap();
        members.push(Member {
            name,
            signer,
            group,
        });
    }
    summary
}

/// New clients named `names`.
fn joiners(
    p: &TestProvider,
    names: &[&str],
) -> Vec<(String, Signer, cohort::group::KeyPackageBundle)> {
    names
        .iter()
        .map(|n| {
            let (s, kp) = client(p, SUITE, n);
            (n.to_string(), s, kp)
        })
        .collect()
}

/// A one-member group of `name` and its public view at epoch 0.
fn start(p: &TestProvider, name: &str) -> (Vec<Member>, PublicGroup) {
    let (signer, kp) = client(p, SUITE, name);
    let group = Group::create(
        p,
        &kp,
        b"public group test".to_vec(),
        Default::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let members = vec![Member {
        name: name.into(),
        signer,
        group,
    }];
    let view = view_of(p, &members[0]);
    assert_eq!(view.epoch(), 0);
    agrees(&view, &members);
    (members, view)
}

/// A group of `names` grown by one commit through the view.
fn grown(p: &TestProvider, names: &[&str]) -> (Vec<Member>, PublicGroup) {
    let (mut members, mut view) = start(p, names[0]);
    let js = joiners(p, &names[1..]);
    commit_via_view(p, &mut view, &mut members, 0, js, |g| g.commit());
    agrees(&view, &members);
    (members, view)
}

/// The view refuses `msg` with `expected` and stays the same.
fn refused_by_view(p: &TestProvider, view: &mut PublicGroup, msg: &MlsMessage, expected: Error) {
    let before = view.to_bytes().unwrap();
    assert_eq!(view.process(&p.crypto, msg).unwrap_err(), expected);
    assert_eq!(view.to_bytes().unwrap(), before);
}

/// A proposal message delivered to the view and every member but its
/// sender; returns its reference.
fn propose_via_view(
    p: &TestProvider,
    view: &mut PublicGroup,
    members: &mut [Member],
    who: usize,
    msg: &MlsMessage,
) -> Vec<u8> {
    let reference = match view.process(&p.crypto, msg).unwrap() {
        PublicProcessed::Proposal { reference, new, .. } => {
            assert!(new);
            reference
        }
        other => panic!("expected a proposal, got {other:?}"),
    };
    for (i, m) in members.iter_mut().enumerate() {
        if i != who {
            match m.group.process(p, msg).unwrap() {
                ProcessedMessage::Proposal { reference: r, .. } => assert_eq!(r, reference),
                other => panic!("expected a proposal, got {other:?}"),
            }
        }
    }
    reference
}

/// A self-update commit of `m` with a path, not merged.
fn self_update(p: &TestProvider, m: &mut Member) -> MlsMessage {
    let b = m.group.commit().force_path(true);
    m.group.create_commit(p, &m.signer, b).unwrap().0.commit
}

#[test]
fn follows_adds_updates_and_removes() {
    let p = provider(0x9b01);
    let (mut members, mut view) = start(&p, "alice");

    // Adds with a Welcome.
    let s = commit_via_view(
        &p,
        &mut view,
        &mut members,
        0,
        joiners(&p, &["bob", "carol"]),
        |g| g.commit(),
    );
    assert_eq!(s.epoch, 1);
    assert_eq!(s.sender, Sender::Member(0));
    assert_eq!(s.committer, LeafIndex(0));
    let added: Vec<(LeafIndex, Credential)> = s
        .added
        .iter()
        .map(|m| (m.index, m.credential.clone()))
        .collect();
    assert_eq!(
        added,
        vec![
            (LeafIndex(1), Credential::basic("bob")),
            (LeafIndex(2), Credential::basic("carol"))
        ]
    );
    assert!(s.removed.is_empty() && s.updated.is_empty());
    agrees(&view, &members);

    // A self-update with a path.
    let s = commit_via_view(&p, &mut view, &mut members, 1, vec![], |g| {
        g.commit().force_path(true)
    });
    assert_eq!((s.epoch, s.committer, s.path), (2, LeafIndex(1), true));
    assert!(s.added.is_empty() && s.removed.is_empty());
    agrees(&view, &members);

    // An Update proposal, committed by reference.
    let msg = {
        let carol = &mut members[2];
        carol.group.propose_update(&p, &carol.signer).unwrap()
    };
    let reference = propose_via_view(&p, &mut view, &mut members, 2, &msg);
    assert_eq!(view.pending_proposals().len(), 1);
    let s = commit_via_view(&p, &mut view, &mut members, 0, vec![], |g| g.commit());
    assert_eq!(s.updated, vec![LeafIndex(2)]);
    assert_eq!(s.committed_references, vec![reference]);
    assert!(view.pending_proposals().is_empty());
    agrees(&view, &members);

    // A Remove by value: the view names the member removed.
    let bob_key = members[1].group.roster()[1].signature_key.clone();
    assert_eq!(view.member_by_signature_key(&bob_key), Some(LeafIndex(1)));
    let s = commit_via_view(&p, &mut view, &mut members, 2, vec![], |g| {
        g.commit().remove_member(LeafIndex(1))
    });
    assert_eq!(s.removed.len(), 1);
    assert_eq!(s.removed[0].index, LeafIndex(1));
    assert_eq!(s.removed[0].signature_key, bob_key);
    assert_eq!(s.removed[0].credential, Credential::basic("bob"));
    assert!(!members[1].group.is_active());
    assert_eq!(view.member_by_signature_key(&bob_key), None);
    agrees(&view, &members);

    // An Add into the blank leaf.
    let s = commit_via_view(
        &p,
        &mut view,
        &mut members,
        0,
        joiners(&p, &["dave"]),
        |g| g.commit(),
    );
    assert_eq!(s.added[0].index, LeafIndex(1));
    assert_eq!(view.epoch(), 5);
    agrees(&view, &members);
}

#[test]
fn follows_an_external_join() {
    let p = provider(0x9b02);
    let (mut members, mut view) = grown(&p, &["alice", "bob"]);
    let gi = members[1]
        .group
        .group_info(&p, &members[1].signer, true)
        .unwrap();
    let MlsMessageBody::GroupInfo(info) = &gi.body else {
        unreachable!()
    };
    let (signer, kp) = client(&p, SUITE, "carol");
    let (carol, commit) =
        Group::join_external(&p, &signer, info, None, &kp, GroupConfig::default(), None).unwrap();
    let s = match view.process(&p.crypto, &commit).unwrap() {
        PublicProcessed::Commit(s) => s,
        other => panic!("expected a commit, got {other:?}"),
    };
    assert_eq!(s.sender, Sender::NewMemberCommit);
    assert_eq!(s.committer, LeafIndex(2));
    assert_eq!(s.added.len(), 1);
    assert_eq!(s.added[0].credential, Credential::basic("carol"));
    assert_eq!(
        s.added[0].signature_key,
        kp.key_package.leaf_node.signature_key.0
    );
    for m in &mut members {
        apply(&p, &mut m.group, &commit);
    }
    members.push(Member {
        name: "carol".into(),
        signer,
        group: carol,
    });
    agrees(&view, &members);

    // The joiner commits like any member.
    commit_via_view(&p, &mut view, &mut members, 2, vec![], |g| {
        g.commit().force_path(true)
    });
    agrees(&view, &members);
}

#[test]
fn a_view_from_an_out_of_band_tree_and_from_storage() {
    let p = provider(0x9b03);
    let (members, _) = grown(&p, &["alice", "bob", "carol"]);
    let m = &members[2];
    let gi = m.group.group_info(&p, &m.signer, false).unwrap();
    let limits = Limits::default();
    let err = PublicGroup::from_group_info(&p.crypto, &gi, None, &limits).unwrap_err();
    assert_eq!(err, Error::Validation(ValidationError::RatchetTreeMissing));
    let tree = ExportedTree::from_bytes(m.group.tree().encode_extension().unwrap());
    let view = PublicGroup::from_group_info(&p.crypto, &gi, Some(&tree), &limits).unwrap();
    agrees(&view, &members);

    let bytes = view.to_bytes().unwrap();
    assert_eq!(bytes[..2], PUBLIC_GROUP_VERSION.to_be_bytes());
    let back = PublicGroup::from_bytes(&p.crypto, &bytes, &limits).unwrap();
    assert_eq!(back.to_bytes().unwrap(), bytes);
    agrees(&back, &members);
    assert_eq!(
        back.interim_transcript_hash(),
        view.interim_transcript_hash()
    );

    // Not a GroupInfo.
    let kp = client(&p, SUITE, "x").1.key_package;
    let err = PublicGroup::from_group_info(
        &p.crypto,
        &MlsMessage::new(MlsMessageBody::KeyPackage(kp)),
        None,
        &limits,
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::Misuse(MisuseError::UnexpectedMessageType {
            expected: "GroupInfo"
        })
    );
}

#[test]
fn proposals_by_reference_and_a_restart_in_between() {
    let p = provider(0x9b04);
    let (mut members, mut view) = grown(&p, &["alice", "bob", "carol", "dave"]);
    // Bob proposes removing Dave; Carol proposes her update.
    let remove = {
        let bob = &mut members[1];
        bob.group
            .propose(&p, &bob.signer, Proposal::Remove(Remove { removed: 3 }))
            .unwrap()
    };
    let r1 = propose_via_view(&p, &mut view, &mut members, 1, &remove);
    let update = {
        let carol = &mut members[2];
        carol.group.propose_update(&p, &carol.signer).unwrap()
    };
    let r2 = propose_via_view(&p, &mut view, &mut members, 2, &update);
    // A proposal delivered twice is pending once.
    match view.process(&p.crypto, &remove).unwrap() {
        PublicProcessed::Proposal { reference, new, .. } => {
            assert_eq!(reference, r1);
            assert!(!new);
        }
        other => panic!("expected a proposal, got {other:?}"),
    }
    assert_eq!(view.pending_proposals().len(), 2);

    // The delivery service restarts from its stored state.
    let mut view =
        PublicGroup::from_bytes(&p.crypto, &view.to_bytes().unwrap(), &Limits::default()).unwrap();
    assert_eq!(view.pending_proposals().len(), 2);
    assert_eq!(
        view.pending_proposals()[0].reference.as_deref(),
        Some(&r1[..])
    );

    let s = commit_via_view(&p, &mut view, &mut members, 0, vec![], |g| g.commit());
    assert_eq!(s.committed_references, vec![r1, r2]);
    assert_eq!(s.removed.len(), 1);
    assert_eq!(s.removed[0].credential, Credential::basic("dave"));
    assert_eq!(s.updated, vec![LeafIndex(2)]);
    agrees(&view, &members);
}

#[test]
fn a_fifty_member_group() {
    let p = provider(0x9b05);
    let names: Vec<String> = (0..50).map(|i| format!("member{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (mut members, mut view) = grown(&p, &refs);
    assert_eq!(view.members().len(), 50);
    // Updates from members across the tree.
    for who in [0usize, 17, 49, 33] {
        commit_via_view(&p, &mut view, &mut members, who, vec![], |g| {
            g.commit().force_path(true)
        });
        agrees(&view, &members);
    }
    // Ten removed in one commit, by a member in the middle.
    let s = commit_via_view(&p, &mut view, &mut members, 25, vec![], |g| {
        (1..=10).fold(g.commit(), |b, l| b.remove_member(LeafIndex(l)))
    });
    assert_eq!(s.removed.len(), 10);
    assert_eq!(view.members().len(), 40);
    agrees(&view, &members);
    // Three added back into the blank leaves.
    let s = commit_via_view(
        &p,
        &mut view,
        &mut members,
        40,
        joiners(&p, &["x", "y", "z"]),
        |g| g.commit(),
    );
    let leaves: Vec<LeafIndex> = s.added.iter().map(|m| m.index).collect();
    assert_eq!(leaves, vec![LeafIndex(1), LeafIndex(2), LeafIndex(3)]);
    agrees(&view, &members);
    let back =
        PublicGroup::from_bytes(&p.crypto, &view.to_bytes().unwrap(), &Limits::default()).unwrap();
    agrees(&back, &members);
}

#[test]
fn bad_signature_is_refused() {
    let p = provider(0x9b06);
    let (mut members, mut view) = grown(&p, &["alice", "bob", "carol"]);
    let commit = self_update(&p, &mut members[1]);
    let mut msg = commit.clone();
    let sig = &mut public_mut(&mut msg).auth.signature.0;
    sig[3] ^= 1;
    refused_by_view(
        &p,
        &mut view,
        &msg,
        ValidationError::InvalidSignature.into(),
    );
    // The untouched commit goes through.
    assert!(matches!(
        view.process(&p.crypto, &commit).unwrap(),
        PublicProcessed::Commit(_)
    ));
}

#[test]
fn commit_from_a_non_member_is_refused() {
    let p = provider(0x9b07);
    let (mut members, mut view) = grown(&p, &["alice", "bob", "carol"]);
    commit_via_view(&p, &mut view, &mut members, 0, vec![], |g| {
        g.commit().remove_member(LeafIndex(1))
    });
    // Carol's commit, claiming to come from Bob's blank leaf or from a leaf
    // outside the tree.
    let commit = self_update(&p, &mut members[2]);
    for leaf in [1, 7] {
        let mut msg = commit.clone();
        public_mut(&mut msg).content.sender = Sender::Member(leaf);
        refused_by_view(&p, &mut view, &msg, ValidationError::SenderNotMember.into());
    }
}

#[test]
fn stale_epoch_names_the_current_one() {
    let p = provider(0x9b08);
    let (mut members, mut view) = grown(&p, &["alice", "bob", "carol"]);
    // Alice and Bob commit in the same epoch; Alice's arrives first.
    let late = self_update(&p, &mut members[1]);
    commit_via_view(&p, &mut view, &mut members, 0, vec![], |g| {
        g.commit().force_path(true)
    });
    refused_by_view(
        &p,
        &mut view,
        &late,
        ValidationError::EpochNotCurrent {
            epoch: 1,
            current: 2,
        }
        .into(),
    );
    agrees(&view, &members);
}

#[test]
fn invalid_proposal_list_is_refused_like_members_refuse_it() {
    let p = provider(0x9b09);
    let (mut members, mut view) = grown(&p, &["alice", "bob", "carol"]);
    commit_via_view(&p, &mut view, &mut members, 0, vec![], |g| {
        g.commit().remove_member(LeafIndex(1))
    });
    // Carol removes the blank leaf 1 (added to her list after it was built).
    let msg = faulty(
        &p,
        &mut members,
        2,
        |g| g.commit().force_path(true),
        |c| {
            c.proposals
                .0
                .push(ProposalOrRef::Proposal(Box::new(Proposal::Remove(
                    Remove { removed: 1 },
                ))))
        },
    );
    let expected: Error = ValidationError::RemovedLeafBlank { leaf: 1 }.into();
    refused(&p, &mut members[0].group, &msg, expected.clone());
    refused_by_view(&p, &mut view, &msg, expected);
    agrees(&view, &members);
}

#[test]
fn tampered_path_is_refused() {
    let p = provider(0x9b0a);
    let (mut members, mut view) = grown(&p, &["alice", "bob", "carol", "dave"]);
    // A parent node's key replaced after the path was made: the parent
    // hash the leaf carries no longer holds.
    let msg = faulty(
        &p,
        &mut members,
        1,
        |g| g.commit().force_path(true),
        |c| {
            let node = &mut c.path.as_mut().unwrap().nodes.0[0];
            node.encryption_key.0[5] ^= 0x40;
        },
    );
    let expected: Error = ValidationError::ParentHashMismatch.into();
    refused(&p, &mut members[0].group, &msg, expected.clone());
    refused_by_view(&p, &mut view, &msg, expected);
    // A path one node short.
    let msg = faulty(
        &p,
        &mut members,
        1,
        |g| g.commit().force_path(true),
        |c| {
            c.path.as_mut().unwrap().nodes.0.pop();
        },
    );
    refused_by_view(
        &p,
        &mut view,
        &msg,
        ValidationError::UpdatePathLength.into(),
    );
    agrees(&view, &members);
}

#[test]
fn tampered_group_info_is_refused() {
    let p = provider(0x9b0b);
    let (members, _) = grown(&p, &["alice", "bob"]);
    let mut gi = members[0]
        .group
        .group_info(&p, &members[0].signer, true)
        .unwrap();
    let MlsMessageBody::GroupInfo(info) = &mut gi.body else {
        unreachable!()
    };
    info.signature.0[0] ^= 1;
    let err = PublicGroup::from_group_info(&p.crypto, &gi, None, &Limits::default()).unwrap_err();
    assert_eq!(err, Error::Validation(ValidationError::InvalidSignature));
    // A signer outside the tree.
    let MlsMessageBody::GroupInfo(info) = &mut gi.body else {
        unreachable!()
    };
    info.signer = 9;
    let err = PublicGroup::from_group_info(&p.crypto, &gi, None, &Limits::default()).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::GroupInfoSignerNotMember)
    );
    // A tree too large for the limits.
    let gi = members[0]
        .group
        .group_info(&p, &members[0].signer, true)
        .unwrap();
    let limits = Limits {
        max_leaves: 1,
        ..Limits::default()
    };
    let err = PublicGroup::from_group_info(&p.crypto, &gi, None, &limits).unwrap_err();
    assert!(matches!(err, Error::Limit(_)), "{err:?}");
}

#[test]
fn stored_bytes_are_checked() {
    let p = provider(0x9b0c);
    let (mut members, mut view) = grown(&p, &["alice", "bob", "carol"]);
    let msg = {
        let bob = &mut members[1];
        bob.group.propose_update(&p, &bob.signer).unwrap()
    };
    propose_via_view(&p, &mut view, &mut members, 1, &msg);
    let bytes = view.to_bytes().unwrap();
    let limits = Limits::default();
    // Every truncation is refused.
    for len in 0..bytes.len() {
        assert!(
            PublicGroup::from_bytes(&p.crypto, &bytes[..len], &limits).is_err(),
            "{len} of {} bytes",
            bytes.len()
        );
    }
    let err = PublicGroup::from_bytes(&p.crypto, &bytes[..bytes.len() - 1], &limits).unwrap_err();
    assert_eq!(err, Error::Malformed(DecodeError::EndOfInput));
    // Trailing bytes.
    let mut longer = bytes.clone();
    longer.push(0);
    let err = PublicGroup::from_bytes(&p.crypto, &longer, &limits).unwrap_err();
    assert_eq!(err, Error::Malformed(DecodeError::TrailingBytes));
    // Another version.
    let mut other = bytes.clone();
    other[1] = 2;
    let err = PublicGroup::from_bytes(&p.crypto, &other, &limits).unwrap_err();
    assert_eq!(err, Error::Storage(StorageError::UnsupportedVersion(2)));
    // A cache beyond the limits.
    let small = Limits {
        max_cached_proposals: 0,
        ..Limits::default()
    };
    let err = PublicGroup::from_bytes(&p.crypto, &bytes, &small).unwrap_err();
    assert!(matches!(err, Error::Limit(_)), "{err:?}");
    // The state itself loads.
    let back = PublicGroup::from_bytes(&p.crypto, &bytes, &limits).unwrap();
    assert_eq!(back.to_bytes().unwrap(), bytes);
}

#[test]
fn private_messages_are_routed_not_read() {
    let p = provider(0x9b0d);
    let (mut members, mut view) = grown(&p, &["alice", "bob"]);
    let alice = &mut members[0];
    let msg = alice.group.encrypt(&p, &alice.signer, b"hi", b"").unwrap();
    let info = MessageInfo::of(&msg);
    assert_eq!(info.group_id, Some(view.group_id()));
    assert_eq!(info.epoch, Some(view.epoch()));
    assert_eq!(info.content_type, Some(ContentType::Application));
    assert_eq!(info.sender, None);
    refused_by_view(
        &p,
        &mut view,
        &msg,
        MisuseError::UnexpectedMessageType {
            expected: "PublicMessage (a PrivateMessage cannot be read without the epoch's keys)",
        }
        .into(),
    );
    // A PublicMessage shows its sender too.
    let commit = self_update(&p, alice);
    let info = MessageInfo::of(&commit);
    assert_eq!(info.sender, Some(Sender::Member(0)));
    assert_eq!(info.content_type, Some(ContentType::Commit));
    assert_eq!(info.epoch, Some(view.epoch()));
    // A GroupInfo shows its group and epoch; a KeyPackage nothing.
    let gi = alice.group.group_info(&p, &alice.signer, false).unwrap();
    let info = MessageInfo::of(&gi);
    assert_eq!(
        (info.group_id, info.epoch),
        (Some(view.group_id()), Some(view.epoch()))
    );
    assert_eq!((info.content_type, info.sender), (None, None));
    let kp = MlsMessage::new(MlsMessageBody::KeyPackage(
        client(&p, SUITE, "x").1.key_package,
    ));
    let info = MessageInfo::of(&kp);
    assert_eq!(info.wire_format, kp.wire_format());
    assert_eq!((info.group_id, info.epoch, info.sender), (None, None, None));
}

#[test]
fn wrong_group_is_refused() {
    let p = provider(0x9b0e);
    let (mut members, mut view) = grown(&p, &["alice", "bob"]);
    let mut msg = self_update(&p, &mut members[1]);
    public_mut(&mut msg).content.group_id.0.push(1);
    refused_by_view(&p, &mut view, &msg, ValidationError::WrongGroup.into());
}

#[test]
fn external_senders_group_context_extensions_and_reinit() {
    let p = provider(0x9b0f);
    let (mut members, mut view) = grown(&p, &["alice", "bob", "carol"]);
    let ds = signer(&p, SUITE);
    let extensions = external_senders(&[&ds]);

    // A GroupContextExtensions: the view's context follows.
    let ext = extensions.clone();
    let s = commit_via_view(&p, &mut view, &mut members, 1, vec![], move |g| {
        g.commit().group_context_extensions(ext)
    });
    assert!(s.path);
    assert_eq!(view.context().extensions, extensions);
    agrees(&view, &members);

    // The external sender removes Bob; Carol commits it by reference.
    let gid = view.group_id().to_vec();
    let remove = |epoch, key: &Signer| {
        external_proposal(
            &p,
            key,
            SUITE,
            &gid,
            epoch,
            0,
            Proposal::Remove(Remove { removed: 1 }),
        )
        .unwrap()
    };
    let forged = remove(view.epoch(), &signer(&p, SUITE));
    refused_by_view(
        &p,
        &mut view,
        &forged,
        ValidationError::InvalidSignature.into(),
    );
    let msg = remove(view.epoch(), &ds);
    match view.process(&p.crypto, &msg).unwrap() {
        PublicProcessed::Proposal { sender, new, .. } => {
            assert_eq!(sender, Sender::External(0));
            assert!(new);
        }
        other => panic!("expected a proposal, got {other:?}"),
    }
    for m in &mut members {
        assert!(matches!(
            m.group.process(&p, &msg).unwrap(),
            ProcessedMessage::Proposal { .. }
        ));
    }
    let s = commit_via_view(&p, &mut view, &mut members, 2, vec![], |g| g.commit());
    assert_eq!(s.removed[0].credential, Credential::basic("bob"));
    assert_eq!(s.committed_references.len(), 1);
    agrees(&view, &members);

    // A ReInit: the view takes nothing more in the group.
    let reinit = ReInit {
        group_id: b"the successor".to_vec().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: SUITE,
        extensions: Extensions::default(),
    };
    let r = reinit.clone();
    let s = commit_via_view(&p, &mut view, &mut members, 0, vec![], move |g| {
        g.commit().reinit(r)
    });
    assert_eq!(s.reinit.as_ref(), Some(&reinit));
    assert_eq!(view.pending_reinit(), Some(&reinit));
    agrees(&view, &members);
    let view_bytes = view.to_bytes().unwrap();
    let mut back = PublicGroup::from_bytes(&p.crypto, &view_bytes, &Limits::default()).unwrap();
    assert_eq!(back.pending_reinit(), Some(&reinit));
    let late = remove(back.epoch(), &ds);
    refused_by_view(
        &p,
        &mut back,
        &late,
        ValidationError::GroupReinitialized.into(),
    );
}
