//! KeyPackage private keys kept in storage (RFC 9420 section 10): a join
//! from storage consumes the KeyPackage in the same batch that writes the
//! new group, a second Welcome for it fails with a named error and changes
//! nothing, a last-resort KeyPackage survives its joins (C-KP-09), and a
//! damaged KeyPackage record is rejected with a named error, never a panic.

mod group_common;

use cohort::group::{
    Group, GroupConfig, KEY_PACKAGE_RECORD_VERSION, KeyPackageBuilder, KeyPackageBundle,
    group_state_key, key_package_key, key_package_ref,
};
use cohort::messages::{Credential, Extensions, Welcome};
use cohort::{Error, ValidationError};
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{ProviderBundle, RecordKind, Storage, StorageError, StorageOp};
use group_common::*;
use std::collections::BTreeMap;

type Store = ProviderBundle<RustCrypto, SeededRand, MemoryStorage>;

fn mem_store(seed: u64) -> Store {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(seed),
        MemoryStorage::new(),
    )
}

fn kp_ref(p: &TestProvider, kp: &KeyPackageBundle) -> Vec<u8> {
    key_package_ref(&cs(p, SUITE), &kp.key_package).unwrap()
}

fn kp_record(store: &Store, client: &[u8], r: &[u8]) -> Option<Vec<u8>> {
    store
        .storage
        .get(RecordKind::KeyPackage, &key_package_key(client, r).unwrap())
        .unwrap()
}

fn state_record(store: &Store, client: &[u8], group_id: &[u8]) -> Option<Vec<u8>> {
    store
        .storage
        .get(
            RecordKind::GroupState,
            &group_state_key(client, group_id).unwrap(),
        )
        .unwrap()
}

/// A new group `group_id` of `creator` that adds `kp`; the creator's group
/// and the Welcome.
fn add_to_new_group(
    p: &TestProvider,
    creator: &str,
    group_id: &[u8],
    kp: &KeyPackageBundle,
) -> (Group, Welcome) {
    let (signer, own) = client(p, SUITE, creator);
    let mut g = Group::create(
        p,
        &own,
        group_id.to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let b = g.commit().add_member(kp.key_package.clone());
    let (out, staged) = g.create_commit(p, &signer, b).unwrap();
    g.merge_staged_commit(staged).unwrap();
    let welcome = welcome_of(&out.welcome.unwrap()).clone();
    (g, welcome)
}

fn join(store: &Store, welcome: &Welcome) -> Result<Group, Error> {
    Group::join_from_storage(
        store,
        welcome,
        None,
        BTreeMap::new(),
        GroupConfig::default(),
    )
}

const NOT_FOUND: Error = Error::Validation(ValidationError::KeyPackageNotFound);

#[test]
fn stored_key_package_loads_back() {
    let p = provider(61);
    let store = mem_store(1);
    let (_, kp) = client(&p, SUITE, "bob");
    let r = kp_ref(&p, &kp);
    assert!(KeyPackageBundle::load(&store, &r).unwrap().is_none());
    kp.store(&store).unwrap();
    assert_eq!(store.storage.len(), 1);
    assert_eq!(
        KeyPackageBundle::load(&store, &r).unwrap(),
        Some(kp.clone())
    );
    // Another client's namespace does not see it.
    assert!(
        KeyPackageBundle::load_as(&store, b"mallory", &r)
            .unwrap()
            .is_none()
    );
    let rec = kp_record(&store, b"", &r).unwrap();
    assert_eq!(rec[..2], KEY_PACKAGE_RECORD_VERSION.to_be_bytes());
}

#[test]
fn join_consumes_the_key_package() {
    let p = provider(62);
    let store = mem_store(2);
    let (_, kp) = client(&p, SUITE, "bob");
    let r = kp_ref(&p, &kp);
    kp.store(&store).unwrap();

    let (alice, welcome) = add_to_new_group(&p, "alice", b"first", &kp);
    let bob = join(&store, &welcome).unwrap();
    agree(&p, &[&alice, &bob]);

    // One batch wrote the group (its state, tree and secret tree) and
    // deleted the KeyPackage.
    assert!(kp_record(&store, b"", &r).is_none());
    assert_eq!(store.storage.len(), 3);
    let loaded = Group::load(&store, b"first").unwrap().expect("joined");
    agree(&p, &[&alice, &loaded]);
    let state = state_record(&store, b"", b"first").unwrap();

    // The same Welcome again: the KeyPackage is gone.
    assert_eq!(join(&store, &welcome).unwrap_err(), NOT_FOUND);
    // A second Welcome for the same KeyPackage, from another group.
    let (_, second) = add_to_new_group(&p, "carol", b"second", &kp);
    assert_eq!(join(&store, &second).unwrap_err(), NOT_FOUND);
    // Nothing changed.
    assert_eq!(store.storage.len(), 3);
    assert_eq!(state_record(&store, b"", b"first").unwrap(), state);
    assert!(state_record(&store, b"", b"second").is_none());
}

#[test]
fn join_from_storage_keeps_clients_apart() {
    let p = provider(63);
    let store = mem_store(3);
    let (_, kp) = client(&p, SUITE, "bob");
    let r = kp_ref(&p, &kp);
    kp.store_as(&store, b"bob").unwrap();
    let (alice, welcome) = add_to_new_group(&p, "alice", b"g", &kp);

    // Under the default client or a stranger there is nothing to join with.
    assert_eq!(join(&store, &welcome).unwrap_err(), NOT_FOUND);
    let as_client = |client: &[u8]| {
        Group::join_from_storage_as(
            &store,
            client,
            &welcome,
            None,
            BTreeMap::new(),
            GroupConfig::default(),
        )
    };
    assert_eq!(as_client(b"carol").unwrap_err(), NOT_FOUND);
    let bob = as_client(b"bob").unwrap();
    agree(&p, &[&alice, &bob]);
    assert!(kp_record(&store, b"bob", &r).is_none());
    assert!(Group::load(&store, b"g").unwrap().is_none());
    let loaded = Group::load_as(&store, b"bob", b"g")
        .unwrap()
        .expect("saved");
    agree(&p, &[&alice, &loaded]);
    assert_eq!(as_client(b"bob").unwrap_err(), NOT_FOUND);
}

#[test]
fn last_resort_key_package_survives_two_joins() {
    let p = provider(64);
    let store = mem_store(4);
    let s = signer(&p, SUITE);
    let kp = KeyPackageBuilder::new(Credential::basic("bob"))
        .last_resort(true)
        .build(&cs(&p, SUITE), &p.rand, &s)
        .unwrap();
    assert!(kp.last_resort && kp.key_package.is_last_resort());
    let r = kp_ref(&p, &kp);
    kp.store(&store).unwrap();
    let rec = kp_record(&store, b"", &r).unwrap();

    let (alice, w1) = add_to_new_group(&p, "alice", b"first", &kp);
    let bob1 = join(&store, &w1).unwrap();
    agree(&p, &[&alice, &bob1]);
    assert_eq!(kp_record(&store, b"", &r).unwrap(), rec);

    let (carol, w2) = add_to_new_group(&p, "carol", b"second", &kp);
    let bob2 = join(&store, &w2).unwrap();
    agree(&p, &[&carol, &bob2]);
    assert_eq!(kp_record(&store, b"", &r).unwrap(), rec);

    // Two groups (state, tree and secret tree each) and the KeyPackage.
    assert_eq!(store.storage.len(), 7);
    assert!(Group::load(&store, b"first").unwrap().is_some());
    assert!(Group::load(&store, b"second").unwrap().is_some());
}

/// Puts `value` as the record of `r`, then checks that both loading it and
/// joining with it fail with `expected` and leave no group state behind.
fn rejected(store: &Store, r: &[u8], welcome: &Welcome, value: Vec<u8>, expected: StorageError) {
    store
        .storage
        .apply(&[StorageOp::Put {
            kind: RecordKind::KeyPackage,
            key: key_package_key(b"", r).unwrap(),
            value: value.clone(),
        }])
        .unwrap();
    assert_eq!(
        KeyPackageBundle::load(store, r).unwrap_err(),
        Error::Storage(expected.clone())
    );
    assert_eq!(join(store, welcome).unwrap_err(), Error::Storage(expected));
    assert_eq!(store.storage.len(), 1);
    assert_eq!(kp_record(store, b"", r).unwrap(), value);
}

#[test]
fn damaged_key_package_records_are_named() {
    let p = provider(65);
    let store = mem_store(5);
    let (_, kp) = client(&p, SUITE, "bob");
    let r = kp_ref(&p, &kp);
    kp.store(&store).unwrap();
    let rec = kp_record(&store, b"", &r).unwrap();
    let (_, welcome) = add_to_new_group(&p, "alice", b"g", &kp);

    let mut fixed = rec.clone();
    fix_checksum(&mut fixed);
    assert_eq!(fixed, rec, "the test's checksum matches the format's");

    for v in [0u16, 2, 0x1234, u16::MAX] {
        let mut bad = rec.clone();
        bad[..2].copy_from_slice(&v.to_be_bytes());
        rejected(
            &store,
            &r,
            &welcome,
            bad,
            StorageError::UnsupportedVersion(v),
        );
    }
    for len in 0..rec.len() {
        rejected(
            &store,
            &r,
            &welcome,
            rec[..len].to_vec(),
            StorageError::Corrupt,
        );
    }
    let mut long = rec.clone();
    long.push(0);
    rejected(&store, &r, &welcome, long, StorageError::Corrupt);
    for i in 2..rec.len() {
        let mut bad = rec.clone();
        bad[i] ^= 0x01;
        rejected(&store, &r, &welcome, bad, StorageError::Corrupt);
    }
    // A well-formed record of another KeyPackage under this reference.
    let (_, other) = client(&p, SUITE, "mallory");
    let elsewhere = mem_store(6);
    other.store(&elsewhere).unwrap();
    let other_rec = kp_record(&elsewhere, b"", &kp_ref(&p, &other)).unwrap();
    rejected(&store, &r, &welcome, other_rec, StorageError::Corrupt);
    // A valid checksum over a bad last-resort flag.
    let mut bad_flag = rec.clone();
    *bad_flag.last_mut().unwrap() = 2;
    fix_checksum(&mut bad_flag);
    rejected(&store, &r, &welcome, bad_flag, StorageError::Corrupt);

    // The intact record still joins.
    store
        .storage
        .apply(&[StorageOp::Put {
            kind: RecordKind::KeyPackage,
            key: key_package_key(b"", &r).unwrap(),
            value: rec,
        }])
        .unwrap();
    join(&store, &welcome).unwrap();
    assert!(kp_record(&store, b"", &r).is_none());
}
