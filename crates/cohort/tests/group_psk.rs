//! Pre-shared keys (RFC 9420 sections 8.4, 8.6, 12.1.4) end to end:
//! external and resumption PSKs in commits and Welcomes; every member agrees
//! on the epoch authenticator after every commit, and refused commits leave
//! the group unchanged.

mod group_common;

use cohort::framing::FramedContentBody;
use cohort::group::{Group, GroupConfig};
use cohort::messages::{
    Commit, Extensions, PreSharedKeyId, Proposal, ProposalOrRef, Psk, ResumptionPskUsage,
};
use cohort::{Error, ValidationError};
use cohort_traits::{Ciphersuite, Secret};
use group_common::*;
use std::collections::BTreeMap;
use std::sync::Arc;

const PSK_ID: &[u8] = b"psk one";
const PSK_ID_2: &[u8] = b"psk two";

fn psk_value() -> Secret {
    Secret::new(vec![0x5a; 32])
}

fn psks_of(commit: &Commit) -> Vec<PreSharedKeyId> {
    commit
        .proposals
        .0
        .iter()
        .filter_map(|p| match p {
            ProposalOrRef::Proposal(p) => match &**p {
                Proposal::PreSharedKey(psk) => Some(psk.psk.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn commit_of(msg: &cohort::framing::MlsMessage) -> &Commit {
    match &public_of(msg).content.body {
        FramedContentBody::Commit(c) => c,
        _ => panic!("not a commit"),
    }
}

/// Changes every PreSharedKeyID of a commit.
fn tamper_psks(
    f: impl Fn(&mut PreSharedKeyId) + Send + Sync + 'static,
) -> cohort::group::CommitHook {
    Arc::new(move |c: &mut Commit| {
        for p in &mut c.proposals.0 {
            if let ProposalOrRef::Proposal(p) = p
                && let Proposal::PreSharedKey(psk) = &mut **p
            {
                f(&mut psk.psk)
            }
        }
    })
}

fn external_psk_scenario(suite: Ciphersuite) {
    let p = provider(0x50 + u64::from(suite.0));
    let mut members = group_with(
        &p,
        suite,
        &["alice", "bob"],
        Extensions::default(),
        GroupConfig::default(),
    );
    for m in &mut members {
        m.group.add_external_psk(PSK_ID.to_vec(), psk_value());
        m.group
            .add_external_psk(PSK_ID_2.to_vec(), Secret::new(vec![7; 16]));
    }
    // A commit injecting one external PSK.
    let out = commit_all(&p, &mut members, 0, |g| {
        g.commit().external_psk(PSK_ID.to_vec())
    });
    let ids = psks_of(commit_of(&out.commit));
    assert_eq!(ids.len(), 1);
    assert_eq!(
        ids[0].psk_nonce.0.len(),
        cs(&p, suite).hash_len(),
        "C-PSK-01"
    );
    all_agree(&p, &members);

    // A commit adding carol with two PSKs: the Welcome names them in the
    // commit's order (C-PSK-09), and carol needs them (C-PSK-07).
    let (carol_signer, carol_kp) = client(&p, suite, "carol");
    let kp = carol_kp.key_package.clone();
    let out = commit_all(&p, &mut members, 1, move |g| {
        g.commit()
            .external_psk(PSK_ID_2.to_vec())
            .add_member(kp)
            .external_psk(PSK_ID.to_vec())
    });
    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    let err = Group::join(
        &p,
        welcome,
        &carol_kp,
        None,
        BTreeMap::from([(PSK_ID.to_vec(), psk_value())]),
        GroupConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::PskNotFound),
        "C-PSK-07"
    );
    let carol = Group::join(
        &p,
        welcome,
        &carol_kp,
        None,
        BTreeMap::from([
            (PSK_ID.to_vec(), psk_value()),
            (PSK_ID_2.to_vec(), Secret::new(vec![7; 16])),
        ]),
        GroupConfig::default(),
    )
    .unwrap();
    members.push(Member {
        name: "carol".into(),
        signer: carol_signer,
        group: carol,
    });
    all_agree(&p, &members);
}

#[test]
fn external_psks_in_commits_and_welcomes_in_every_suite() {
    for suite in Ciphersuite::RFC9420 {
        external_psk_scenario(suite);
    }
}

#[test]
fn resumption_psks_of_earlier_epochs() {
    let p = provider(0x51);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    for _ in 0..2 {
        commit_all(&p, &mut members, 1, |g| g.commit().force_path(true));
    }
    let now = members[0].group.epoch();
    let out = commit_all(&p, &mut members, 2, |g| {
        g.commit().resumption_psk(now).resumption_psk(now - 2)
    });
    let ids = psks_of(commit_of(&out.commit));
    assert_eq!(ids.len(), 2);
    for id in &ids {
        match &id.psk {
            Psk::Resumption {
                usage,
                psk_group_id,
                ..
            } => {
                assert_eq!(*usage, ResumptionPskUsage::Application);
                assert_eq!(psk_group_id.as_slice(), members[0].group.group_id());
            }
            other => panic!("{other:?}"),
        }
    }
    all_agree(&p, &members);
    // The staged commit reports the PSKs.
    let now = members[0].group.epoch();
    let b = members[0].group.commit().resumption_psk(now);
    let m = &mut members[0];
    let (out, _) = m.group.create_commit(&p, &m.signer, b).unwrap();
    let staged = stage(&p, &mut members[1].group, &out.commit);
    assert_eq!(staged.psks().len(), 1);
}

#[test]
fn fresh_psk_nonces_c_psk_02() {
    let p = provider(0x52);
    let mut members = group(&p, &["alice", "bob"]);
    for m in &mut members {
        m.group.add_external_psk(PSK_ID.to_vec(), psk_value());
    }
    let a = commit_all(&p, &mut members, 0, |g| {
        g.commit().external_psk(PSK_ID.to_vec())
    });
    let b = commit_all(&p, &mut members, 0, |g| {
        g.commit().external_psk(PSK_ID.to_vec())
    });
    assert_ne!(
        psks_of(commit_of(&a.commit))[0].psk_nonce,
        psks_of(commit_of(&b.commit))[0].psk_nonce
    );
}

#[test]
fn commit_with_an_unknown_psk_c_psk_06() {
    let p = provider(0x53);
    let mut members = group(&p, &["alice", "bob"]);
    members[0]
        .group
        .add_external_psk(PSK_ID.to_vec(), psk_value());
    let b = members[0].group.commit().external_psk(PSK_ID.to_vec());
    let m = &mut members[0];
    let (out, _) = m.group.create_commit(&p, &m.signer, b).unwrap();
    refused(
        &p,
        &mut members[1].group,
        &out.commit,
        Error::Validation(ValidationError::PskNotFound),
    );
}

#[test]
fn committer_without_the_psk_refuses_to_commit() {
    let p = provider(0x54);
    let mut members = group(&p, &["alice", "bob"]);
    let before = snapshot(&members[0].group);
    let b = members[0].group.commit().external_psk(PSK_ID.to_vec());
    let m = &mut members[0];
    let err = m.group.create_commit(&p, &m.signer, b).unwrap_err();
    assert_eq!(err, Error::Validation(ValidationError::PskNotFound));
    assert_eq!(snapshot(&members[0].group), before);
}

#[test]
fn resumption_psk_beyond_the_retention_bound_c_psk_10() {
    let p = provider(0x55);
    let alice_config = GroupConfig {
        max_past_epochs: 1,
        ..GroupConfig::default()
    };
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob"],
        Extensions::default(),
        alice_config,
    );
    for _ in 0..4 {
        commit_all(&p, &mut members, 1, |g| g.commit().force_path(true));
    }
    let now = members[0].group.epoch();
    // Sender side: epoch now - 3 is gone.
    let before = snapshot(&members[0].group);
    let b = members[0].group.commit().resumption_psk(now - 3);
    let m = &mut members[0];
    let err = m.group.create_commit(&p, &m.signer, b).unwrap_err();
    assert_eq!(err, Error::Validation(ValidationError::PskNotFound));
    assert_eq!(snapshot(&members[0].group), before);
    // Receiver side: a commit naming a PSK of an unknown epoch.
    let b = members[0].group.commit().resumption_psk(now);
    let hook = tamper_psks(move |id| {
        if let Psk::Resumption { psk_epoch, .. } = &mut id.psk {
            *psk_epoch = now + 5;
        }
    });
    let m = &mut members[0];
    let (out, _) = m
        .group
        .create_commit(&p, &m.signer, b.tamper_commit(hook))
        .unwrap();
    refused(
        &p,
        &mut members[1].group,
        &out.commit,
        Error::Validation(ValidationError::PskNotFound),
    );
}

#[test]
fn psk_nonce_of_the_wrong_length_c_psk_01() {
    let p = provider(0x56);
    let mut members = group(&p, &["alice", "bob"]);
    for m in &mut members {
        m.group.add_external_psk(PSK_ID.to_vec(), psk_value());
    }
    // Sender side (C-COMMIT-09): the committer refuses its own list.
    let before = snapshot(&members[0].group);
    let bad = PreSharedKeyId {
        psk: Psk::External {
            psk_id: PSK_ID.to_vec().into(),
        },
        psk_nonce: vec![1; 16].into(),
    };
    let b = members[0].group.commit().psk(bad);
    let m = &mut members[0];
    let err = m.group.create_commit(&p, &m.signer, b).unwrap_err();
    assert_eq!(err, Error::Validation(ValidationError::PskNonceLength));
    assert_eq!(snapshot(&members[0].group), before);
    // Receiver side.
    let hook = tamper_psks(|id| id.psk_nonce = vec![1; 16].into());
    let b = members[0]
        .group
        .commit()
        .external_psk(PSK_ID.to_vec())
        .tamper_commit(hook);
    let m = &mut members[0];
    let (out, _) = m.group.create_commit(&p, &m.signer, b).unwrap();
    refused(
        &p,
        &mut members[1].group,
        &out.commit,
        Error::Validation(ValidationError::PskNonceLength),
    );
}

fn reinit_or_branch_psk_in_a_regular_commit(usage: ResumptionPskUsage, seed: u64) {
    let p = provider(seed);
    let mut members = group(&p, &["alice", "bob"]);
    let now = members[0].group.epoch();
    let expected = Error::Validation(ValidationError::ResumptionPskUsageNotAllowed {
        usage: usage.into(),
    });
    // Sender side.
    let id = PreSharedKeyId {
        psk: Psk::Resumption {
            usage,
            psk_group_id: members[0].group.group_id().to_vec().into(),
            psk_epoch: now,
        },
        psk_nonce: vec![3; 32].into(),
    };
    let before = snapshot(&members[0].group);
    let b = members[0].group.commit().psk(id);
    let m = &mut members[0];
    assert_eq!(
        m.group.create_commit(&p, &m.signer, b).unwrap_err(),
        expected
    );
    assert_eq!(snapshot(&members[0].group), before);
    // Receiver side.
    let hook = tamper_psks(move |id| {
        if let Psk::Resumption { usage: u, .. } = &mut id.psk {
            *u = usage;
        }
    });
    let b = members[0]
        .group
        .commit()
        .resumption_psk(now)
        .tamper_commit(hook);
    let m = &mut members[0];
    let (out, _) = m.group.create_commit(&p, &m.signer, b).unwrap();
    refused(&p, &mut members[1].group, &out.commit, expected);
}

#[test]
fn reinit_psk_in_a_regular_commit_c_psk_04() {
    reinit_or_branch_psk_in_a_regular_commit(ResumptionPskUsage::Reinit, 0x57);
}

#[test]
fn branch_psk_in_a_regular_commit_c_psk_05() {
    reinit_or_branch_psk_in_a_regular_commit(ResumptionPskUsage::Branch, 0x58);
}
