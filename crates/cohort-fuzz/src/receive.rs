//! Receiving: `process` on the fixed group, `join` from a Welcome,
//! `join_external` from a GroupInfo.

use crate::Outcome;
use crate::fixture::{self, FuzzProvider, RECEIVER, WITNESSES, fixture, provider};
use cohort::codec::decode_exact;
use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, Sender};
use cohort::group::{Group, ProcessedMessage, group_state_key, key_package_key, key_package_ref};
use cohort::messages::{ExternalPub, GroupInfo, RatchetTreeExtension, Welcome};
use cohort_traits::{RecordKind, Storage};

/// The record kinds a group is saved as.
const GROUP_RECORD_KINDS: [RecordKind; 5] = [
    RecordKind::GroupState,
    RecordKind::Tree,
    RecordKind::SecretTree,
    RecordKind::SenderRatchets,
    RecordKind::PastEpoch,
];

/// Everything a group saves: every record of every group record kind
/// (state, tree, secret tree, sender ratchets, past epochs), with its key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Snapshot(Vec<(RecordKind, Vec<u8>, Vec<u8>)>);

/// The records `group` saves, written to fresh storage.
pub(crate) fn snapshot(group: &Group) -> Snapshot {
    let p = provider();
    if let Err(e) = group.save(&p) {
        panic!("a group state does not save: {e}");
    }
    stored(&p, group.group_id()).unwrap_or_else(|| panic!("a saved group has no state record"))
}

/// The group records in `p`'s storage, which holds no group but
/// `group_id`; `None` without a state record for it.
fn stored(p: &FuzzProvider, group_id: &[u8]) -> Option<Snapshot> {
    let state_key = group_state_key(&[], group_id).ok()?;
    match p.storage.get(RecordKind::GroupState, &state_key) {
        Ok(Some(_)) => {}
        Ok(None) => return None,
        Err(e) => panic!("memory storage failed: {e}"),
    }
    let mut records = Vec::new();
    for kind in GROUP_RECORD_KINDS {
        let keys = match p.storage.list_keys(kind, b"") {
            Ok(keys) => keys,
            Err(e) => panic!("memory storage failed: {e}"),
        };
        for key in keys {
            match p.storage.get(kind, &key) {
                Ok(Some(value)) => records.push((kind, key, value)),
                Ok(None) => panic!("a listed record is missing"),
                Err(e) => panic!("memory storage failed: {e}"),
            }
        }
    }
    Some(Snapshot(records))
}

/// A state reached by accepting input saves, loads back, and saves again
/// to the same records.
pub(crate) fn check_round_trip(group: &Group) {
    let p = provider();
    if let Err(e) = group.save(&p) {
        panic!("an accepted state does not save: {e}");
    }
    let loaded = match Group::load(&p, group.group_id()) {
        Ok(Some(g)) => g,
        Ok(None) => panic!("a saved group is not found"),
        Err(e) => panic!("a saved group does not load: {e}"),
    };
    assert_eq!(loaded.epoch(), group.epoch(), "epoch after a reload");
    assert_eq!(
        loaded.epoch_authenticator(),
        group.epoch_authenticator(),
        "epoch authenticator after a reload"
    );
    assert!(
        snapshot(&loaded) == snapshot(group),
        "a reloaded group saves differently"
    );
}

/// The message's sender leaf, as the receiver saw it.
fn sender_of(result: &ProcessedMessage) -> Sender {
    match result {
        ProcessedMessage::Application { sender, .. } => Sender::Member(sender.0),
        ProcessedMessage::Proposal { sender, .. } => *sender,
        ProcessedMessage::Commit(staged) => staged.sender(),
    }
}

/// A member that did not send the message, to check that it agrees.
fn witness(sender: Sender) -> usize {
    WITNESSES
        .into_iter()
        .find(|w| sender.leaf_index().map(|l| l.0 as usize) != Some(*w))
        .unwrap_or(WITNESSES[0])
}

/// The receiver processes `msg`: a refused message leaves it unchanged, a
/// staged commit too; an accepted message is accepted alike by another
/// member, and the states reached save and load back.
pub(crate) fn process_message(msg: &MlsMessage) -> Outcome {
    let f = fixture();
    let p = provider();
    let mut group = f.receiver().clone();
    let before = snapshot(&group);
    let result = match group.process(&p, msg) {
        Ok(r) => r,
        Err(e) => {
            assert!(
                snapshot(&group) == before,
                "a refused message changed the group ({e})"
            );
            return Outcome::Rejected;
        }
    };
    let other = witness(sender_of(&result));
    let mut w = f.members[other].group.clone();
    let seen = w.process(&p, msg);
    match (result, seen) {
        (ProcessedMessage::Commit(staged), Ok(ProcessedMessage::Commit(theirs))) => {
            assert!(
                snapshot(&group) == before,
                "staging a commit changed the group"
            );
            if !theirs.removes_self() && !staged.removes_self() {
                assert_eq!(
                    staged.epoch_authenticator(),
                    theirs.epoch_authenticator(),
                    "two members reach different epochs"
                );
            }
            let removed = staged.removes_self();
            if let Err(e) = group.merge_staged_commit(*staged) {
                panic!("a staged commit does not merge: {e}");
            }
            assert_eq!(group.is_active(), !removed, "removal after a merge");
            check_round_trip(&group);
        }
        (
            ProcessedMessage::Application {
                data,
                epoch,
                sender,
                ..
            },
            Ok(ProcessedMessage::Application {
                data: d2,
                epoch: e2,
                sender: s2,
                ..
            }),
        ) => {
            assert_eq!(
                (data, epoch, sender),
                (d2, e2, s2),
                "members read differently"
            );
            check_round_trip(&group);
        }
        (
            ProcessedMessage::Proposal { reference, .. },
            Ok(ProcessedMessage::Proposal { reference: r2, .. }),
        ) => {
            assert_eq!(reference, r2, "members see different proposal references");
            check_round_trip(&group);
        }
        (mine, theirs) => panic!(
            "member {RECEIVER} accepted what member {other} did not take alike:\n{mine:?}\n{theirs:?}"
        ),
    }
    Outcome::Accepted
}

/// Decodes an `MLSMessage` and has the fixed group's receiver process it
/// (see [`fixture`](crate::fixture)): a refused message leaves the group's
/// saved state unchanged, and so does staging a commit; an accepted message
/// is accepted alike by another member (commits lead both to the same epoch
/// authenticator), and the state reached saves and loads back unchanged.
pub fn process(data: &[u8]) -> Outcome {
    match decode_exact::<MlsMessage>(data) {
        Ok(msg) => process_message(&msg),
        Err(_) => Outcome::Malformed,
    }
}

/// Erin joins with `welcome`, directly and from storage: both agree; a
/// refused Welcome leaves storage as it was; a joined group is in an epoch
/// a member reached, and saves and loads back.
pub(crate) fn join_welcome(welcome: &Welcome) -> Outcome {
    let f = fixture();
    let joiner = &f.joiner().key_package;
    let direct = Group::join(
        &provider(),
        welcome,
        joiner,
        None,
        fixture::psks(),
        fixture::config(),
    );
    let p = provider();
    if let Err(e) = joiner.store(&p) {
        panic!("a KeyPackage does not store: {e}");
    }
    let cs = match SuiteCrypto::new(&p.crypto, joiner.key_package.cipher_suite) {
        Ok(cs) => cs,
        Err(e) => panic!("the joiner's suite: {e}"),
    };
    let kp_key =
        match key_package_ref(&cs, &joiner.key_package).and_then(|r| key_package_key(&[], &r)) {
            Ok(k) => k,
            Err(e) => panic!("the joiner's KeyPackage reference: {e}"),
        };
    let from_storage =
        Group::join_from_storage(&p, welcome, None, fixture::psks(), fixture::config());
    let kp_left = matches!(p.storage.get(RecordKind::KeyPackage, &kp_key), Ok(Some(_)));
    match (direct, from_storage) {
        (Ok(a), Ok(b)) => {
            assert!(
                snapshot(&a) == snapshot(&b),
                "joining directly and from storage differ"
            );
            assert!(
                stored(&p, b.group_id()) == Some(snapshot(&b)),
                "a join from storage saved another state"
            );
            assert!(!kp_left, "a join from storage kept its KeyPackage");
            assert!(
                f.welcome_epochs
                    .iter()
                    .any(|e| e.as_slice() == a.epoch_authenticator()),
                "a Welcome led to an epoch no member reached"
            );
            check_round_trip(&a);
            Outcome::Accepted
        }
        (Err(_), Err(_)) => {
            assert!(
                kp_left && p.storage.len() == 1,
                "a refused join changed storage"
            );
            Outcome::Rejected
        }
        (a, b) => panic!(
            "joining directly and from storage disagree: {:?} / {:?}",
            a.map(|g| g.epoch()),
            b.map(|g| g.epoch())
        ),
    }
}

/// Decodes a `Welcome` and has Erin join with it, directly and from
/// storage (her KeyPackage stored): the two agree, a refused Welcome leaves
/// the KeyPackage stored and saves no group, and a joined group is in an
/// epoch that the committer reached and saves and loads back unchanged.
pub fn join(data: &[u8]) -> Outcome {
    match decode_exact::<Welcome>(data) {
        Ok(w) => join_welcome(&w),
        Err(_) => Outcome::Malformed,
    }
}

/// Heidi joins by external commit with `gi` (the fixture's tree given out
/// of band when it carries none): the new state saves and loads back, and
/// when the GroupInfo says what the group's members hold, the receiver
/// accepts the commit into the same epoch.
pub(crate) fn join_external_group_info(gi: &GroupInfo) -> Outcome {
    let f = fixture();
    let p = provider();
    let heidi = f.external_joiner();
    let has_tree = gi
        .extensions
        .get::<RatchetTreeExtension>()
        .is_ok_and(|t| t.is_some());
    let tree = (!has_tree).then(|| f.receiver().tree().to_nodes());
    let (group, commit) = match Group::join_external(
        &p,
        &heidi.signer,
        gi,
        tree,
        &heidi.key_package,
        fixture::config(),
        None,
    ) {
        Ok(r) => r,
        Err(_) => return Outcome::Rejected,
    };
    check_round_trip(&group);
    if genuine(gi) {
        let mut bob = f.receiver().clone();
        match bob.process(&p, &commit) {
            Ok(ProcessedMessage::Commit(staged)) => assert_eq!(
                staged.epoch_authenticator(),
                Some(group.epoch_authenticator()),
                "the external joiner and a member reach different epochs"
            ),
            other => {
                panic!("a member refused an external commit made from its own GroupInfo: {other:?}")
            }
        }
    }
    Outcome::Accepted
}

/// Whether `gi` holds what the members hold for the current epoch (the
/// context, the confirmation tag and the external public key): then their
/// external commits must be accepted. A member can sign anything else, and
/// what a joiner makes of it is refused later by the others.
fn genuine(gi: &GroupInfo) -> bool {
    let f = fixture();
    let Some(reference) = f.group_infos.first() else {
        return false;
    };
    let r = &reference.group_info;
    let key = |g: &GroupInfo| g.extensions.get::<ExternalPub>().ok().flatten();
    gi.group_context == *f.receiver().context()
        && gi.confirmation_tag == r.confirmation_tag
        && key(gi).is_some()
        && key(gi) == key(r)
}

/// Decodes a `GroupInfo` and has Heidi join the fixed group by external
/// commit: an accepted GroupInfo gives a state that saves and loads back,
/// and when it is the members' own (current context, confirmation tag and
/// external key), the receiver accepts the commit into the same epoch.
pub fn join_external(data: &[u8]) -> Outcome {
    match decode_exact::<GroupInfo>(data) {
        Ok(gi) => join_external_group_info(&gi),
        Err(_) => Outcome::Malformed,
    }
}
