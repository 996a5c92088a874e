//! PreSharedKey proposals in external commits (RFC 9420 sections 8.4,
//! 12.4.3.2): a joiner injects external PSKs it shares with the members,
//! every member agrees on the new epoch, and a member without the PSK
//! refuses the commit with a named error and an unchanged group (C-PSK-06).

mod group_common;

use cohort::framing::{FramedContentBody, MlsMessage};
use cohort::group::{ExternalJoinOptions, Group, GroupConfig};
use cohort::messages::{Extensions, GroupInfo, Proposal, ProposalOrRef, Psk};
use cohort::tree::math::LeafIndex;
use cohort::{Error, ValidationError};
use cohort_traits::{Ciphersuite, Secret};
use group_common::*;

const PSK_ID: &[u8] = b"external join psk";
const PSK_ID_2: &[u8] = b"second psk";

fn psk_value() -> Secret {
    Secret::new(vec![0x42; 32])
}

fn psk_value_2() -> Secret {
    Secret::new(vec![0x17; 24])
}

/// A GroupInfo of `members[who]`'s current epoch, with the ratchet tree.
fn group_info(p: &TestProvider, members: &[Member], who: usize) -> GroupInfo {
    let m = &members[who];
    group_info_of(&m.group.group_info(p, &m.signer, true).unwrap()).clone()
}

/// The PSK ids (with nonces) an external commit carries, in order.
fn psk_ids(commit: &MlsMessage) -> Vec<cohort::messages::PreSharedKeyId> {
    let FramedContentBody::Commit(c) = &public_of(commit).content.body else {
        panic!("not a commit")
    };
    c.proposals
        .0
        .iter()
        .filter_map(|p| match p {
            ProposalOrRef::Proposal(p) => match &**p {
                Proposal::PreSharedKey(psk) => Some(psk.psk.clone()),
                _ => None,
            },
            ProposalOrRef::Reference(_) => None,
        })
        .collect()
}

fn scenario(suite: Ciphersuite) {
    let p = provider(0xb000 + u64::from(suite.0));
    let mut members = group_with(
        &p,
        suite,
        &["alice", "bob", "carol"],
        Extensions::default(),
        GroupConfig::default(),
    );
    for m in &mut members {
        m.group.add_external_psk(PSK_ID.to_vec(), psk_value());
        m.group.add_external_psk(PSK_ID_2.to_vec(), psk_value_2());
    }
    commit_all(&p, &mut members, 1, |g| g.commit().force_path(true));
    let gi = group_info(&p, &members, 1);

    // Dave joins with two external PSKs.
    let (dave_signer, dave_kp) = client(&p, suite, "dave");
    let options = ExternalJoinOptions::new()
        .external_psk(PSK_ID.to_vec(), psk_value())
        .external_psk(PSK_ID_2.to_vec(), psk_value_2());
    let (dave, commit) = Group::join_external_with(
        &p,
        &dave_signer,
        &gi,
        None,
        &dave_kp,
        GroupConfig::default(),
        options,
    )
    .unwrap();
    let ids = psk_ids(&commit);
    assert_eq!(ids.len(), 2);
    assert_eq!(
        ids[0].psk,
        Psk::External {
            psk_id: PSK_ID.to_vec().into()
        }
    );
    assert_eq!(
        ids[1].psk,
        Psk::External {
            psk_id: PSK_ID_2.to_vec().into()
        }
    );
    for id in &ids {
        assert_eq!(id.psk_nonce.0.len(), cs(&p, suite).hash_len(), "C-PSK-01");
    }
    for m in &mut members {
        let staged = stage(&p, &mut m.group, &commit);
        assert_eq!(staged.psks(), &ids[..]);
        m.group.merge_staged_commit(staged).unwrap();
    }
    members.push(Member {
        name: "dave".into(),
        signer: dave_signer,
        group: dave,
    });
    all_agree(&p, &members);

    // Dave keeps the PSKs: his own commit injects one.
    commit_all(&p, &mut members, 3, |g| {
        g.commit().external_psk(PSK_ID.to_vec())
    });
    all_agree(&p, &members);
}

#[test]
fn external_commit_with_psks_in_every_suite() {
    for suite in Ciphersuite::RFC9420 {
        scenario(suite);
    }
}

/// A resync carrying a PSK, as RFC 9420 section 12.4.3.2 suggests for
/// proving the rejoining member's presence.
#[test]
fn resync_with_a_psk() {
    let p = provider(0xb101);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    for m in &mut members {
        m.group.add_external_psk(PSK_ID.to_vec(), psk_value());
    }
    let gi = group_info(&p, &members, 0);
    let new_signer = signer(&p, SUITE);
    let kp = key_package_for(&p, SUITE, "bob", &new_signer);
    let options = ExternalJoinOptions::new()
        .resync(LeafIndex(1))
        .external_psk(PSK_ID.to_vec(), psk_value());
    let (bob, commit) = Group::join_external_with(
        &p,
        &new_signer,
        &gi,
        None,
        &kp,
        GroupConfig::default(),
        options,
    )
    .unwrap();
    assert_eq!(bob.own_leaf(), LeafIndex(1));
    for i in [0, 2] {
        let staged = stage(&p, &mut members[i].group, &commit);
        assert_eq!(staged.removed().len(), 1);
        assert_eq!(staged.psks().len(), 1);
        members[i].group.merge_staged_commit(staged).unwrap();
    }
    members[1] = Member {
        name: "bob".into(),
        signer: new_signer,
        group: bob,
    };
    all_agree(&p, &members);
}

/// C-PSK-06: a member without the joiner's PSK refuses the external commit
/// with `PskNotFound`; one with another value for it cannot confirm the new
/// epoch. Both groups are unchanged, and the members holding the right PSK
/// accept the commit.
#[test]
fn external_commit_with_an_unknown_psk_c_psk_06() {
    let p = provider(0xb102);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    members[0]
        .group
        .add_external_psk(PSK_ID.to_vec(), psk_value());
    members[2]
        .group
        .add_external_psk(PSK_ID.to_vec(), Secret::new(vec![0x43; 32]));
    let gi = group_info(&p, &members, 0);
    let (dave_signer, dave_kp) = client(&p, SUITE, "dave");
    let (dave, commit) = Group::join_external_with(
        &p,
        &dave_signer,
        &gi,
        None,
        &dave_kp,
        GroupConfig::default(),
        ExternalJoinOptions::new().external_psk(PSK_ID.to_vec(), psk_value()),
    )
    .unwrap();
    refused(
        &p,
        &mut members[1].group,
        &commit,
        Error::Validation(ValidationError::PskNotFound),
    );
    refused(
        &p,
        &mut members[2].group,
        &commit,
        Error::Validation(ValidationError::ConfirmationTagMismatch),
    );
    apply(&p, &mut members[0].group, &commit);
    agree(&p, &[&members[0].group, &dave]);
}
