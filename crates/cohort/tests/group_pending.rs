//! A member's own pending commit: kept in the group and in storage,
//! merged when the delivery service echoes it back or on request, dropped
//! when another commit wins, and still mergeable after a restart (staged
//! again from what was kept), under public and private handshakes.

mod group_common;

use cohort::group::{Group, GroupConfig, ProcessedMessage, WireFormatPolicy};
use cohort::messages::Extensions;
use cohort::{Error, MisuseError};
use group_common::*;

fn members(p: &TestProvider, wire_format: WireFormatPolicy) -> Vec<Member> {
    let config = GroupConfig {
        wire_format,
        ..GroupConfig::default()
    };
    group_with(
        p,
        SUITE,
        &["alice", "bob", "carol"],
        Extensions::new(),
        config,
    )
}

fn pending(p: &TestProvider, m: &mut Member) -> cohort::group::CommitOutput {
    let b = m.group.commit().force_path(true);
    m.group.create_pending_commit(p, &m.signer, b).unwrap()
}

/// Processing the echo of one's own pending commit gives it staged; merged,
/// the member agrees with the others.
#[test]
fn the_echo_of_a_pending_commit_is_merged() {
    for wire_format in [
        WireFormatPolicy::MixedPublic,
        WireFormatPolicy::AlwaysPrivate,
    ] {
        let p = provider(1);
        let mut ms = members(&p, wire_format);
        let out = pending(&p, &mut ms[0]);
        assert_eq!(ms[0].group.pending_commit().unwrap().commit(), &out.commit);
        // A second commit is refused while one is pending.
        let a = &mut ms[0];
        let b = a.group.commit();
        assert_eq!(
            a.group.create_pending_commit(&p, &a.signer, b).unwrap_err(),
            Error::Misuse(MisuseError::CommitPending)
        );
        for m in &mut ms[1..] {
            apply(&p, &mut m.group, &out.commit);
        }
        apply(&p, &mut ms[0].group, &out.commit);
        assert!(ms[0].group.pending_commit().is_none());
        all_agree(&p, &ms);
    }
}

/// `merge_pending_commit` merges without the echo.
#[test]
fn a_pending_commit_merges_on_request() {
    let p = provider(2);
    let mut ms = members(&p, WireFormatPolicy::MixedPublic);
    let out = pending(&p, &mut ms[0]);
    ms[0].group.merge_pending_commit(&p).unwrap();
    assert_eq!(
        ms[0].group.merge_pending_commit(&p).unwrap_err(),
        Error::Misuse(MisuseError::NoPendingCommit)
    );
    for m in &mut ms[1..] {
        apply(&p, &mut m.group, &out.commit);
    }
    all_agree(&p, &ms);
}

/// When another member's commit wins the epoch, merging it drops the
/// pending commit; clearing it by hand works too.
#[test]
fn a_losing_pending_commit_is_dropped() {
    let p = provider(3);
    let mut ms = members(&p, WireFormatPolicy::MixedPublic);
    let _lost = pending(&p, &mut ms[0]);
    let won = pending(&p, &mut ms[1]);
    apply(&p, &mut ms[0].group, &won.commit);
    assert!(ms[0].group.pending_commit().is_none());
    apply(&p, &mut ms[1].group, &won.commit);
    apply(&p, &mut ms[2].group, &won.commit);
    all_agree(&p, &ms);
    let _ = pending(&p, &mut ms[2]);
    ms[2].group.clear_pending_commit();
    assert!(ms[2].group.pending_commit().is_none());
}

/// A pending commit survives a restart: stored with the group, it is
/// staged again from what was kept and merged on its echo.
#[test]
fn a_pending_commit_survives_a_restart() {
    for wire_format in [
        WireFormatPolicy::MixedPublic,
        WireFormatPolicy::AlwaysPrivate,
    ] {
        let p = provider(4);
        let mut ms = members(&p, wire_format);
        let (_, d_kp) = client(&p, SUITE, "dave");
        let a = &mut ms[0];
        let b = a
            .group
            .commit()
            .add_member(d_kp.key_package.clone())
            .force_path(true);
        let out = a.group.create_pending_commit(&p, &a.signer, b).unwrap();
        let store = provider(5);
        ms[0].group.save_changes_as(&store, b"alice").unwrap();
        let id = ms[0].group.group_id().to_vec();
        let mut restarted = Group::load_as(&store, b"alice", &id).unwrap().unwrap();
        let kept = restarted.pending_commit().expect("stored with the group");
        assert_eq!(kept.commit(), &out.commit);
        assert_eq!(kept.welcome(), out.welcome.as_ref());
        match restarted.process(&p, &out.commit).unwrap() {
            ProcessedMessage::Commit(staged) => restarted.merge_staged_commit(*staged).unwrap(),
            other => panic!("{other:?}"),
        }
        ms[0].group = restarted;
        for m in &mut ms[1..] {
            apply(&p, &mut m.group, &out.commit);
        }
        all_agree(&p, &ms);
        let dave = welcomed(
            &p,
            welcome_of(out.welcome.as_ref().unwrap()),
            "dave",
            signer(&p, SUITE),
            &d_kp,
            GroupConfig {
                wire_format,
                ..GroupConfig::default()
            },
        );
        agree(&p, &[&ms[0].group, &dave.group]);
    }
}
