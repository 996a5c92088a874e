//! Hardening of state changes and received input: staged commits bound to
//! the state they were staged from, secret-tree updates that cannot bring
//! consumed keys back, late messages named as of their epoch, configured
//! limits and configuration ranges, removed members that keep no secret.

mod group_common;

use cohort::codec::{encode, read_length};
use cohort::framing::MlsMessage;
use cohort::group::{Group, GroupConfig, KeyPackageBuilder, Limits, ProcessedMessage};
use cohort::messages::{
    Capabilities, Credential, Extension, ExtensionType, Extensions, GroupSecrets, PathSecret,
    PreSharedKeyId, Proposal, Psk, Remove,
};
use cohort::schedule::{RatchetConfig, encode_group_secrets};
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort::{Error, LimitError, MisuseError, ValidationError};
use cohort_traits::{RecordKind, Storage, StorageError};
use group_common::*;
use std::collections::BTreeMap;

fn send(p: &TestProvider, m: &mut Member, data: &[u8]) -> MlsMessage {
    m.group.encrypt(p, &m.signer, data, b"").unwrap()
}

fn read(p: &TestProvider, g: &mut Group, msg: &MlsMessage) -> (LeafIndex, Credential, Vec<u8>) {
    match g.process(p, msg).unwrap() {
        ProcessedMessage::Application {
            sender,
            credential,
            data,
            ..
        } => (sender, credential, data),
        other => panic!("expected application data, got {other:?}"),
    }
}

/// Member `who` creates a commit of `builder` and merges it itself; the
/// commit is returned undelivered.
fn own_commit(
    p: &TestProvider,
    m: &mut Member,
    builder: impl FnOnce(&Group) -> cohort::group::CommitBuilder,
) -> cohort::group::CommitOutput {
    let b = builder(&m.group);
    let (out, staged) = m.group.create_commit(p, &m.signer, b).unwrap();
    m.group.merge_staged_commit(staged).unwrap();
    out
}

fn create(
    p: &TestProvider,
    m: &mut Member,
    b: cohort::group::CommitBuilder,
) -> (cohort::group::CommitOutput, cohort::group::StagedCommit) {
    m.group.create_commit(p, &m.signer, b).unwrap()
}

fn propose(p: &TestProvider, m: &mut Member, proposal: Proposal) -> MlsMessage {
    m.group.propose(p, &m.signer, proposal).unwrap()
}

fn mismatch(what: &'static str) -> Result<(), Error> {
    Err(Error::Misuse(MisuseError::StagedCommitMismatch { what }))
}

/// A commit processed twice and merged twice: the second merge is refused
/// and changes nothing (it used to reset the epoch's secret tree, so a
/// message already read was accepted again).
#[test]
fn a_commit_merged_twice_is_refused() {
    let p = provider(1);
    let mut ms = group(&p, &["a", "b", "c"]);
    let out = own_commit(&p, &mut ms[0], |g| g.commit().force_path(true));
    let first = stage(&p, &mut ms[1].group, &out.commit);
    let second = stage(&p, &mut ms[1].group, &out.commit);
    ms[1].group.merge_staged_commit(first).unwrap();
    apply(&p, &mut ms[2].group, &out.commit);
    let before = snapshot(&ms[1].group);
    assert_eq!(ms[1].group.merge_staged_commit(second), mismatch("epoch"));
    assert_eq!(snapshot(&ms[1].group), before);
    all_agree(&p, &ms);
}

/// Two competing commits of one epoch, both staged: once the winner is
/// merged, the loser is refused (it used to be merged too, silently forking
/// the member).
#[test]
fn a_competing_commit_after_the_winner_is_refused() {
    let p = provider(2);
    let mut ms = group(&p, &["a", "b", "c"]);
    let b_a = ms[0].group.commit().force_path(true);
    let (winner, staged_a) = create(&p, &mut ms[0], b_a);
    let b_c = ms[2].group.commit().force_path(true);
    let (loser, _) = create(&p, &mut ms[2], b_c);
    ms[0].group.merge_staged_commit(staged_a).unwrap();
    let win = stage(&p, &mut ms[1].group, &winner.commit);
    let lose = stage(&p, &mut ms[1].group, &loser.commit);
    ms[1].group.merge_staged_commit(win).unwrap();
    let before = snapshot(&ms[1].group);
    assert_eq!(ms[1].group.merge_staged_commit(lose), mismatch("epoch"));
    assert_eq!(snapshot(&ms[1].group), before);
    // c follows the winner too; everyone agrees and talks.
    apply(&p, &mut ms[2].group, &winner.commit);
    all_agree(&p, &ms);
    let m = send(&p, &mut ms[1], b"after");
    assert_eq!(read(&p, &mut ms[0].group, &m).2, b"after");
}

/// A commit staged in one group is refused by another group in the same
/// epoch, and a commit staged on a forked state of the same group and
/// epoch is refused for its transcript.
#[test]
fn a_staged_commit_of_another_group_or_fork_is_refused() {
    let p = provider(3);
    let mut ms = group(&p, &["a", "b", "c"]);
    let q = provider(4);
    let mut other = pair_with(&q, GroupConfig::default());
    let out = own_commit(&q, &mut other[0], |g| g.commit().force_path(true));
    let foreign = stage(&q, &mut other[1].group, &out.commit);
    assert_eq!(ms[1].group.epoch(), other[1].group.epoch());
    let before = snapshot(&ms[1].group);
    assert_eq!(
        ms[1].group.merge_staged_commit(foreign),
        mismatch("group id")
    );
    assert_eq!(snapshot(&ms[1].group), before);

    // Fork: b follows a's commit, b's copy follows c's competing one.
    let b_a = ms[0].group.commit().force_path(true);
    let (from_a, _) = create(&p, &mut ms[0], b_a);
    let from_c = own_commit(&p, &mut ms[2], |g| g.commit().force_path(true));
    let mut fork = ms[1].group.clone();
    apply(&p, &mut ms[1].group, &from_a.commit);
    apply(&p, &mut fork, &from_c.commit);
    // c, on the fork, commits again; the fork stages it.
    let again = own_commit(&p, &mut ms[2], |g| g.commit().force_path(true));
    let on_fork = stage(&p, &mut fork, &again.commit);
    assert_eq!(on_fork.base_epoch(), ms[1].group.epoch());
    let before = snapshot(&ms[1].group);
    assert_eq!(
        ms[1].group.merge_staged_commit(on_fork),
        mismatch("transcript hash")
    );
    assert_eq!(snapshot(&ms[1].group), before);
}

/// With handshake messages as PrivateMessage, staging a commit reads the
/// committer's handshake ratchet. Application messages read between
/// staging and merging stay consumed after the merge (RFC 9420 section
/// 9.2): replays are refused, late messages still read once.
#[test]
fn messages_read_while_a_commit_is_staged_stay_consumed() {
    let p = provider(5);
    let config = GroupConfig {
        wire_format: cohort::group::WireFormatPolicy::AlwaysPrivate,
        ..GroupConfig::default()
    };
    let mut ms = group_with(&p, SUITE, &["a", "b", "c"], Extensions::new(), config);
    let from_a = send(&p, &mut ms[0], b"a0");
    let late_a = send(&p, &mut ms[0], b"a1");
    let from_c = send(&p, &mut ms[2], b"c0");
    let out = own_commit(&p, &mut ms[0], |g| g.commit().force_path(true));
    let staged = stage(&p, &mut ms[1].group, &out.commit);
    assert_eq!(read(&p, &mut ms[1].group, &from_a).2, b"a0");
    assert_eq!(read(&p, &mut ms[1].group, &from_c).2, b"c0");
    ms[1].group.merge_staged_commit(staged).unwrap();
    for replay in [&from_a, &from_c] {
        refused(
            &p,
            &mut ms[1].group,
            replay,
            Error::Validation(ValidationError::GenerationConsumed { generation: 0 }),
        );
    }
    // a's second message of the old epoch still reads, once.
    assert_eq!(read(&p, &mut ms[1].group, &late_a).2, b"a1");
    refused(
        &p,
        &mut ms[1].group,
        &late_a,
        Error::Validation(ValidationError::GenerationConsumed { generation: 1 }),
    );
}

/// A late message of a past epoch from a leaf that was blank in that epoch
/// is refused, even signed by the key of whoever holds the leaf now
/// (C-FRAME-19); it used to be verified against the current tree.
#[test]
fn a_late_message_from_a_leaf_blank_then_is_refused_c_frame_19() {
    let p = provider(6);
    let mut ms = group(&p, &["a", "b", "c"]);
    // b, in epoch e, keeps a copy claiming leaf 3 (blank in e).
    let forger = ms[1].group.forge_as(LeafIndex(3));
    let (d_signer, d_kp) = client(&p, SUITE, "d");
    let d_kp_msg = d_kp.key_package.clone();
    commit_all(&p, &mut ms, 0, |g| g.commit().add_member(d_kp_msg));
    assert!(ms[0].group.tree().leaf(LeafIndex(3)).is_some());
    // Signed with the key leaf 3 holds now (d's, colluding).
    let mut forger = forger;
    let forged = forger.encrypt(&p, &d_signer, b"forged", b"").unwrap();
    refused(
        &p,
        &mut ms[2].group,
        &forged,
        Error::Validation(ValidationError::SenderNotMember),
    );
    let _ = d_kp;
}

/// A late message names its sender's credential as of its epoch, not the
/// credential of whoever holds the leaf now.
#[test]
fn a_late_message_names_its_sender_as_of_its_epoch() {
    let p = provider(7);
    let mut ms = group(&p, &["a", "b", "c"]);
    let from_b = send(&p, &mut ms[1], b"from b");
    let (_, d_kp) = client(&p, SUITE, "d");
    let b = ms.remove(1);
    let out = own_commit(&p, &mut ms[0], |g| {
        g.commit()
            .remove_member(LeafIndex(1))
            .add_member(d_kp.key_package.clone())
    });
    apply(&p, &mut ms[1].group, &out.commit);
    // d took leaf 1.
    let now = ms[1]
        .group
        .tree()
        .leaf(LeafIndex(1))
        .unwrap()
        .credential
        .clone();
    assert_eq!(now, Credential::basic("d"));
    let (sender, credential, data) = read(&p, &mut ms[1].group, &from_b);
    assert_eq!(
        (sender, credential, data),
        (LeafIndex(1), Credential::basic("b"), b"from b".to_vec())
    );
    drop(b);
}

fn create_err(config: GroupConfig) -> Error {
    let p = provider(8);
    let (_, kp) = client(&p, SUITE, "a");
    Group::create(&p, &kp, b"g".to_vec(), Extensions::new(), config).unwrap_err()
}

/// Every configuration value outside its documented range is refused by
/// name where a configuration enters a group.
#[test]
fn configuration_values_outside_their_ranges_are_named() {
    let d = GroupConfig::default();
    let limits = |f: fn(&mut Limits)| {
        let mut l = Limits::default();
        f(&mut l);
        GroupConfig {
            limits: l,
            ..GroupConfig::default()
        }
    };
    let ratchet = |out_of_order_tolerance, maximum_forward_distance| GroupConfig {
        ratchet: RatchetConfig {
            out_of_order_tolerance,
            maximum_forward_distance,
        },
        ..GroupConfig::default()
    };
    let cases: Vec<(GroupConfig, &str)> = vec![
        (
            GroupConfig {
                padding_block: usize::MAX >> 1,
                ..d.clone()
            },
            "padding_block",
        ),
        (
            GroupConfig {
                padding_block: (1 << 20) + 1,
                ..d.clone()
            },
            "padding_block",
        ),
        (ratchet(4097, 10), "ratchet.out_of_order_tolerance"),
        (ratchet(u32::MAX, 10), "ratchet.out_of_order_tolerance"),
        (
            ratchet(4, (1 << 16) + 1),
            "ratchet.maximum_forward_distance",
        ),
        (ratchet(4, u32::MAX), "ratchet.maximum_forward_distance"),
        (
            GroupConfig {
                max_past_epochs: 257,
                ..d.clone()
            },
            "max_past_epochs",
        ),
        (
            GroupConfig {
                max_past_epochs: usize::MAX,
                ..d.clone()
            },
            "max_past_epochs",
        ),
        (limits(|l| l.max_leaves = 0), "limits.max_leaves"),
        (
            limits(|l| l.max_leaves = (1 << 24) + 1),
            "limits.max_leaves",
        ),
        (
            limits(|l| l.max_message_size = 0),
            "limits.max_message_size",
        ),
        (
            limits(|l| l.max_extensions_per_leaf = 1 << 16),
            "limits.max_extensions_per_leaf",
        ),
        (
            limits(|l| l.max_proposals_per_commit = 0),
            "limits.max_proposals_per_commit",
        ),
        (
            limits(|l| l.max_cached_proposals = (1 << 20) + 1),
            "limits.max_cached_proposals",
        ),
    ];
    for (config, field) in cases {
        assert_eq!(
            create_err(config),
            Error::Misuse(MisuseError::ConfigOutOfRange { field })
        );
    }
    // The edges are allowed.
    let edges = GroupConfig {
        padding_block: 1 << 20,
        ratchet: RatchetConfig {
            out_of_order_tolerance: 4096,
            maximum_forward_distance: 1 << 16,
        },
        max_past_epochs: 256,
        limits: Limits {
            max_leaves: 1 << 24,
            max_message_size: 1 << 30,
            max_extensions_per_leaf: u16::MAX as usize,
            max_proposals_per_commit: 1 << 24,
            max_cached_proposals: 1 << 20,
        },
        ..GroupConfig::default()
    };
    let p = provider(9);
    let (_, kp) = client(&p, SUITE, "a");
    Group::create(&p, &kp, b"g".to_vec(), Extensions::new(), edges).unwrap();
}

/// Values read from a record are range-checked like configuration: a
/// padding block of 2^62 or a leaf limit of 0 in a state record, a secret
/// tree of 2^26 leaves in a past-epoch record, are refused by name instead
/// of costing gigabytes at the next save.
#[test]
fn record_values_outside_their_ranges_are_named() {
    let p = provider(10);
    let mut ms = group(&p, &["a", "b"]);
    commit_all(&p, &mut ms, 0, |g| g.commit().force_path(true));
    let g = &ms[1].group;
    g.save(&p).unwrap();
    let id = g.group_id().to_vec();
    let key = cohort::group::group_state_key(&[], &id).unwrap();
    let record = p
        .storage
        .get(RecordKind::GroupState, &key)
        .unwrap()
        .unwrap();
    let load = |bytes: Vec<u8>| {
        p.storage
            .apply(&[cohort_traits::StorageOp::Put {
                kind: RecordKind::GroupState,
                key: key.clone(),
                value: bytes,
            }])
            .unwrap();
        Group::load(&p, &id)
    };
    // The record ends: ... u8 wire format, u64 padding block, u32
    // tolerance, u32 distance, u64 max past epochs, u8 tree extension, the
    // limits (u32 + 4 x u64), u8 active, u8 no ReInit, len 0 Updates,
    // then (format 6) the Exporter Tree, here its root alone: len 1, u32
    // node, a 32-byte secret with its one-byte length.
    let exporter = 1 + 4 + 1 + 32;
    let limits_at = record.len() - exporter - 3 - 36;
    let padding_at = limits_at - 1 - 8 - 4 - 4 - 8;
    let mut bad = record.clone();
    bad[padding_at..padding_at + 8].copy_from_slice(&(1u64 << 62).to_be_bytes());
    fix_checksum(&mut bad);
    assert_eq!(
        load(bad).unwrap_err(),
        Error::Storage(StorageError::OutOfRange("padding_block"))
    );
    let mut bad = record.clone();
    bad[limits_at..limits_at + 4].copy_from_slice(&0u32.to_be_bytes());
    fix_checksum(&mut bad);
    assert_eq!(
        load(bad).unwrap_err(),
        Error::Storage(StorageError::OutOfRange("limits.max_leaves"))
    );
    assert!(load(record.clone()).unwrap().is_some());

    // The past-epoch record: header, epoch, tls(context), sender data
    // secret, then the secret tree's leaf count.
    let epoch = g.epoch() - 1;
    let past_key = cohort::group::past_epoch_key(&[], &id, epoch).unwrap();
    let past = p
        .storage
        .get(RecordKind::PastEpoch, &past_key)
        .unwrap()
        .unwrap();
    let (ctx_len, rest) = read_length(&past[18..]).unwrap();
    let after_ctx = past.len() - rest.len() + ctx_len;
    let (secret_len, rest) = read_length(&past[after_ctx..]).unwrap();
    let leaves_at = past.len() - rest.len() + secret_len;
    let mut bad = past.clone();
    bad[leaves_at..leaves_at + 4].copy_from_slice(&(1u32 << 26).to_be_bytes());
    fix_checksum(&mut bad);
    p.storage
        .apply(&[cohort_traits::StorageOp::Put {
            kind: RecordKind::PastEpoch,
            key: past_key,
            value: bad,
        }])
        .unwrap();
    assert_eq!(
        Group::load(&p, &id).unwrap_err(),
        Error::Storage(StorageError::OutOfRange("secret tree leaf count"))
    );
}

/// A two-member group whose second member joined with `config`; the first
/// keeps the default limits, so it sends what the second must refuse.
fn pair_with(p: &TestProvider, config: GroupConfig) -> Vec<Member> {
    let (a_signer, a_kp) = client(p, SUITE, "a");
    let mut a = Group::create(
        p,
        &a_kp,
        b"limits".to_vec(),
        Extensions::new(),
        GroupConfig::default(),
    )
    .unwrap();
    let (b_signer, b_kp) = client(p, SUITE, "b");
    let b = a.commit().add_member(b_kp.key_package.clone());
    let (out, staged) = a.create_commit(p, &a_signer, b).unwrap();
    a.merge_staged_commit(staged).unwrap();
    let joined = welcomed(
        p,
        welcome_of(&out.welcome.unwrap()),
        "b",
        b_signer,
        &b_kp,
        config,
    );
    vec![
        Member {
            name: "a".into(),
            signer: a_signer,
            group: a,
        },
        joined,
    ]
}

fn limited(f: fn(&mut Limits)) -> GroupConfig {
    let mut limits = Limits::default();
    f(&mut limits);
    GroupConfig::default().with_limits(limits)
}

/// A commit growing the tree past `max_leaves` is refused by a member with
/// that limit; a joiner refuses a tree over its limit before validating it.
#[test]
fn trees_over_the_leaf_limit_are_refused() {
    let p = provider(11);
    let mut ms = pair_with(&p, limited(|l| l.max_leaves = 2));
    let kps: Vec<_> = (0..2)
        .map(|i| client(&p, SUITE, &format!("n{i}")).1)
        .collect();
    let b = ms[0]
        .group
        .commit()
        .add_member(kps[0].key_package.clone())
        .add_member(kps[1].key_package.clone());
    let (out, _) = create(&p, &mut ms[0], b);
    refused(
        &p,
        &mut ms[1].group,
        &out.commit,
        Error::Limit(LimitError::TooManyLeaves { leaves: 4, max: 2 }),
    );
    // A joiner with a limit of 2 leaves and a Welcome into 4.
    let config = limited(|l| l.max_leaves = 2);
    let err = Group::join(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        &kps[0],
        None,
        BTreeMap::new(),
        config,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Limit(LimitError::TooManyLeaves { max: 2, .. })),
        "{err:?}"
    );
}

/// Messages over `max_message_size` are refused before any work.
#[test]
fn messages_over_the_size_limit_are_refused() {
    let p = provider(12);
    let mut ms = pair_with(&p, limited(|l| l.max_message_size = 3000));
    let big = send(&p, &mut ms[0], &[7; 4000]);
    let size = tls_codec::Size::tls_serialized_len(&big);
    assert!(size > 3000);
    refused(
        &p,
        &mut ms[1].group,
        &big,
        Error::Limit(LimitError::MessageTooLarge { size, max: 3000 }),
    );
    let small = send(&p, &mut ms[0], &[7; 1000]);
    assert_eq!(read(&p, &mut ms[1].group, &small).2, vec![7; 1000]);
}

/// A KeyPackage whose leaf carries more extensions than
/// `max_extensions_per_leaf` is refused in an Add.
#[test]
fn leaves_with_too_many_extensions_are_refused() {
    let p = provider(13);
    let mut ms = pair_with(&p, limited(|l| l.max_extensions_per_leaf = 1));
    let (signer, _) = client(&p, SUITE, "c");
    let extensions: Vec<Extension> = [0xF001u16, 0xF002]
        .iter()
        .map(|t| Extension {
            extension_type: ExtensionType(*t),
            extension_data: vec![1].into(),
        })
        .collect();
    let kp = KeyPackageBuilder::new(Credential::basic("c"))
        .capabilities(Capabilities::default())
        .leaf_extensions(Extensions(extensions))
        // Exactly the two extensions above (no GREASE one).
        .grease(false)
        .build(&cs(&p, SUITE), &p.rand, &signer)
        .unwrap();
    let b = ms[0].group.commit().add_member(kp.key_package.clone());
    let (out, _) = create(&p, &mut ms[0], b);
    refused(
        &p,
        &mut ms[1].group,
        &out.commit,
        Error::Limit(LimitError::TooManyExtensions { count: 2, max: 1 }),
    );
}

/// A commit with more proposals than `max_proposals_per_commit` is
/// refused.
#[test]
fn commits_with_too_many_proposals_are_refused() {
    let p = provider(14);
    let mut ms = pair_with(&p, limited(|l| l.max_proposals_per_commit = 2));
    let mut b = ms[0].group.commit();
    for i in 0..3 {
        b = b.add_member(client(&p, SUITE, &format!("n{i}")).1.key_package);
    }
    let (out, _) = create(&p, &mut ms[0], b);
    refused(
        &p,
        &mut ms[1].group,
        &out.commit,
        Error::Limit(LimitError::TooManyProposals { count: 3, max: 2 }),
    );
}

/// Proposals beyond `max_cached_proposals` are refused and not cached; a
/// proposal already cached is not counted twice.
#[test]
fn the_proposal_cache_is_bounded() {
    let p = provider(15);
    let mut ms = pair_with(&p, limited(|l| l.max_cached_proposals = 1));
    let (_, c_kp) = client(&p, SUITE, "c");
    let first = propose(
        &p,
        &mut ms[0],
        Proposal::Add(Box::new(cohort::messages::Add {
            key_package: c_kp.key_package,
        })),
    );
    let second = propose(&p, &mut ms[0], Proposal::Remove(Remove { removed: 1 }));
    assert!(matches!(
        ms[1].group.process(&p, &first).unwrap(),
        ProcessedMessage::Proposal { .. }
    ));
    refused(
        &p,
        &mut ms[1].group,
        &second,
        Error::Limit(LimitError::ProposalCacheFull { max: 1 }),
    );
    assert_eq!(ms[1].group.pending_proposals().len(), 1);
}

/// A member removed from its group wipes its secrets: none of its last
/// epoch's secrets remains in any record it saves, and exporting fails.
#[test]
fn a_removed_member_keeps_no_secret() {
    let p = provider(16);
    let mut ms = group(&p, &["a", "b", "c"]);
    let authenticator = ms[1].group.epoch_authenticator().to_vec();
    let secrets = ms[1].group.epoch_secret_values();
    assert_eq!(secrets.len(), 7);
    let out = own_commit(&p, &mut ms[0], |g| g.commit().remove_member(LeafIndex(1)));
    let staged = stage(&p, &mut ms[1].group, &out.commit);
    assert!(staged.removes_self());
    ms[1].group.merge_staged_commit(staged).unwrap();
    let g = &ms[1].group;
    assert!(!g.is_active());
    assert!(g.epoch_authenticator().is_empty());
    assert!(g.epoch_secret_values().is_empty());
    assert_eq!(
        g.export_secret(&p.crypto, b"label", b"", 32),
        Err(Error::Misuse(MisuseError::GroupInactive))
    );
    // Every record the removed member saves, of every kind.
    let holds = |records: &[(RecordKind, Vec<u8>, Vec<u8>)], needle: &[u8]| {
        records
            .iter()
            .any(|(_, _, value)| value.windows(needle.len()).any(|w| w == needle))
    };
    let after = snapshot(g).records;
    for secret in secrets.iter().chain([&authenticator]) {
        assert!(!holds(&after, secret), "a removed member saved a secret");
    }
    // The same scan finds them in the records of the member before its
    // removal (the scan can see them).
    let before = snapshot(&ms[2].group).records;
    for secret in ms[2].group.epoch_secret_values() {
        assert!(holds(&before, &secret));
    }
}

/// GroupSecrets are encoded into one zeroizing buffer, byte for byte as
/// the codec encodes them.
#[test]
fn group_secrets_encoding_matches_the_codec() {
    let psk = PreSharedKeyId {
        psk: Psk::External {
            psk_id: vec![1, 2, 3].into(),
        },
        psk_nonce: vec![9; 32].into(),
    };
    for (path, psks) in [
        (false, vec![]),
        (true, vec![]),
        (true, vec![psk.clone(), psk]),
    ] {
        let gs = GroupSecrets {
            joiner_secret: cohort::codec::SecretVarBytes(cohort::Secret::new(vec![5; 32])),
            path_secret: path.then(|| PathSecret {
                path_secret: cohort::codec::SecretVarBytes(cohort::Secret::new(vec![6; 32])),
            }),
            psks: psks.into(),
        };
        assert_eq!(
            encode_group_secrets(&gs).unwrap().as_bytes(),
            encode(&gs).unwrap()
        );
    }
}

/// C-CAP-06 in an UpdatePath: a committer's new leaf with two extensions of
/// one type is refused by name, the group unchanged.
#[test]
fn path_leaf_with_duplicate_extensions_c_cap_06() {
    let p = provider(19);
    let mut ms = group(&p, &["a", "b", "c"]);
    let hook = std::sync::Arc::new(|c: &mut cohort::messages::Commit| {
        if let Some(path) = c.path.as_mut() {
            let app_id = Extension {
                extension_type: ExtensionType::APPLICATION_ID,
                extension_data: vec![1].into(),
            };
            path.leaf_node.extensions = Extensions(vec![app_id.clone(), app_id]);
        }
    });
    let b = ms[0].group.commit().force_path(true).tamper_commit(hook);
    let (out, _) = create(&p, &mut ms[0], b);
    refused(
        &p,
        &mut ms[1].group,
        &out.commit,
        Error::Validation(ValidationError::DuplicateExtension {
            extension_type: 0x0001,
        }),
    );
}
