//! C-GI-03 (RFC 9420 sections 12.4.3, 12.4.3.1): a Welcome's group_id must
//! differ from every group the client is already in. A join from storage
//! checks the client's stored groups; a join resuming an old group checks
//! that group. A refused join changes nothing: the stored state stays, the
//! KeyPackage is not consumed, the old group is unchanged. The state of a
//! group the client was removed from, or that a ReInit closed, does not
//! count.

mod group_common;

use cohort::group::{Group, GroupConfig, KeyPackageBundle, group_state_key, key_package_key};
use cohort::messages::{Extensions, ProtocolVersion, ReInit, Welcome};
use cohort::tree::math::LeafIndex;
use cohort::{Error, ValidationError};
use cohort_traits::{RecordKind, Storage};
use group_common::*;
use std::collections::BTreeMap;

const GROUP_ID: &[u8] = b"test group";
const IN_USE: Error = Error::Validation(ValidationError::GroupIdInUse);

/// Every record of `store`'s client `client` that a join touches.
#[derive(Debug, PartialEq, Eq)]
struct Records {
    state: Option<Vec<u8>>,
    key_package: Option<Vec<u8>>,
    len: usize,
}

fn records(store: &TestProvider, client: &[u8], kp: &KeyPackageBundle) -> Records {
    let kp_ref = cohort::group::key_package_ref(&cs(store, SUITE), &kp.key_package).unwrap();
    Records {
        state: store
            .storage
            .get(
                RecordKind::GroupState,
                &group_state_key(client, GROUP_ID).unwrap(),
            )
            .unwrap(),
        key_package: store
            .storage
            .get(
                RecordKind::KeyPackage,
                &key_package_key(client, &kp_ref).unwrap(),
            )
            .unwrap(),
        len: store.storage.len(),
    }
}

fn join_stored(store: &TestProvider, client: &[u8], welcome: &Welcome) -> Result<Group, Error> {
    Group::join_from_storage_as(
        store,
        client,
        welcome,
        None,
        BTreeMap::new(),
        GroupConfig::default(),
    )
}

/// A group of alice and `names` made by `creator`, with id [`GROUP_ID`],
/// that also adds `kp`; returns the members and the Welcome for `kp`.
fn group_adding(p: &TestProvider, creator: &str, kp: &KeyPackageBundle) -> (Vec<Member>, Welcome) {
    let mut members = group(p, &[creator]);
    let k = kp.key_package.clone();
    let out = commit_all(p, &mut members, 0, move |g| g.commit().add_member(k));
    (members, welcome_of(out.welcome.as_ref().unwrap()).clone())
}

/// C-GI-03: bob is in group "test group"; a Welcome from mallory's own
/// group with the same id is refused, and bob's stored state and new
/// KeyPackage are untouched.
#[test]
fn welcome_for_a_group_id_already_held_c_gi_03() {
    let p = provider(0xa001);
    let store = provider(0xa002);
    let (bob_signer, bob_kp) = client(&p, SUITE, "bob");
    bob_kp.store_as(&store, b"bob").unwrap();
    let (mut alice, welcome) = group_adding(&p, "alice", &bob_kp);
    let bob = join_stored(&store, b"bob", &welcome).unwrap();
    agree(&p, &[&alice[0].group, &bob]);

    // Mallory makes a group with the same id and adds bob.
    let second = key_package_for(&p, SUITE, "bob", &bob_signer);
    second.store_as(&store, b"bob").unwrap();
    let (_, hijack) = group_adding(&p, "mallory", &second);
    let before = records(&store, b"bob", &second);
    assert!(before.state.is_some() && before.key_package.is_some());
    assert_eq!(join_stored(&store, b"bob", &hijack).unwrap_err(), IN_USE);
    assert_eq!(records(&store, b"bob", &second), before);
    // Bob's stored group is still the one with alice.
    let loaded = Group::load_as(&store, b"bob", GROUP_ID)
        .unwrap()
        .expect("kept");
    agree(&p, &[&alice[0].group, &loaded]);
    // Another client of the same storage is not in that group: it joins.
    let (_, carol_kp) = client(&p, SUITE, "carol");
    carol_kp.store_as(&store, b"carol").unwrap();
    let k = carol_kp.key_package.clone();
    let out = commit_all(&p, &mut alice, 0, move |g| g.commit().add_member(k));
    join_stored(&store, b"carol", welcome_of(out.welcome.as_ref().unwrap())).unwrap();
}

/// A client removed from a group may be added to it again: its stored
/// state is inactive and the new join replaces it.
#[test]
fn rejoining_a_group_after_removal() {
    let p = provider(0xa003);
    let store = provider(0xa004);
    let (bob_signer, bob_kp) = client(&p, SUITE, "bob");
    bob_kp.store_as(&store, b"bob").unwrap();
    let (mut alice, welcome) = group_adding(&p, "alice", &bob_kp);
    let mut bob = join_stored(&store, b"bob", &welcome).unwrap();

    let a = &mut alice[0];
    let b = a.group.commit().remove_member(LeafIndex(1));
    let (out, staged) = a.group.create_commit(&p, &a.signer, b).unwrap();
    a.group.merge_staged_commit(staged).unwrap();
    apply(&p, &mut bob, &out.commit);
    assert!(!bob.is_active());
    bob.save_as(&store, b"bob").unwrap();

    let again = key_package_for(&p, SUITE, "bob", &bob_signer);
    again.store_as(&store, b"bob").unwrap();
    let k = again.key_package.clone();
    let out = commit_all(&p, &mut alice, 0, move |g| g.commit().add_member(k));
    let bob = join_stored(&store, b"bob", welcome_of(out.welcome.as_ref().unwrap())).unwrap();
    agree(&p, &[&alice[0].group, &bob]);
    let loaded = Group::load_as(&store, b"bob", GROUP_ID)
        .unwrap()
        .expect("saved");
    assert!(loaded.is_active());
    agree(&p, &[&alice[0].group, &loaded]);
}

/// C-GI-03 on a resumption: a branch that reuses the old group's id, which
/// is still in use, is refused and leaves the old group unchanged.
#[test]
fn branch_with_the_old_group_id_c_gi_03() {
    let p = provider(0xa005);
    let members = group(&p, &["alice", "bob"]);
    let alice_kp = members[0].key_package(&p, SUITE);
    let bob_kp = members[1].key_package(&p, SUITE);
    let (_, out) = members[0]
        .group
        .branch(
            &p,
            &members[0].signer,
            &alice_kp,
            GROUP_ID.to_vec(),
            Extensions::default(),
            vec![bob_kp.key_package.clone()],
        )
        .unwrap();
    let before = snapshot(&members[1].group);
    let err = Group::join_with_resumption(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        &bob_kp,
        None,
        BTreeMap::new(),
        &members[1].group,
        GroupConfig::default(),
    )
    .unwrap_err();
    assert_eq!(err, IN_USE);
    assert_eq!(snapshot(&members[1].group), before);
}

/// A ReInit may keep the group id (RFC 9420 section 11.2): the old group
/// is closed, so the new one joins under the same id.
#[test]
fn reinit_keeping_the_group_id() {
    let p = provider(0xa006);
    let mut members = group(&p, &["alice", "bob"]);
    let reinit = ReInit {
        group_id: GROUP_ID.to_vec().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: SUITE,
        extensions: Extensions::default(),
    };
    commit_all(&p, &mut members, 0, move |g| g.commit().reinit(reinit));
    let alice_kp = members[0].key_package(&p, SUITE);
    let bob_kp = members[1].key_package(&p, SUITE);
    let (new_alice, out) = members[0]
        .group
        .reinit(
            &p,
            &members[0].signer,
            &alice_kp,
            vec![bob_kp.key_package.clone()],
        )
        .unwrap();
    assert_eq!(new_alice.group_id(), GROUP_ID);
    let new_bob = Group::join_with_resumption(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        &bob_kp,
        None,
        BTreeMap::new(),
        &members[1].group,
        GroupConfig::default(),
    )
    .unwrap();
    agree(&p, &[&new_alice, &new_bob]);
}
