//! Saving groups to storage and loading them back (`Group::save`,
//! `Group::load`): a reloaded member keeps working, every member survives
//! being dropped and reloaded between epochs (in memory and on SQLite), and
//! records of an unknown version, truncated or corrupted are rejected with a
//! named error, never a panic.

mod group_common;

use cohort::ValidationError;
use cohort::framing::MlsMessage;
use cohort::group::{
    GROUP_STATE_VERSION, Group, PAST_EPOCH_VERSION, ProcessedMessage, group_state_key,
    past_epoch_key,
};
use cohort::{Error, Provider};
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_sqlite_storage::SqliteStorage;
use cohort_traits::{ProviderBundle, RecordKind, Storage, StorageError, StorageOp};
use group_common::*;
use std::borrow::Borrow;
use std::path::PathBuf;

/// A member's own provider: its storage holds its own record of the group.
type Store<S> = ProviderBundle<RustCrypto, SeededRand, S>;

fn mem_store(seed: u64) -> Store<MemoryStorage> {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(seed),
        MemoryStorage::new(),
    )
}

fn record<S: Storage>(store: &Store<S>, group_id: &[u8]) -> Vec<u8> {
    store
        .storage
        .get(
            RecordKind::GroupState,
            &group_state_key(b"", group_id).unwrap(),
        )
        .unwrap()
        .expect("a saved record")
}

fn put_record<S: Storage>(store: &Store<S>, group_id: &[u8], value: Vec<u8>) {
    store
        .storage
        .apply(&[StorageOp::Put {
            kind: RecordKind::GroupState,
            key: group_state_key(b"", group_id).unwrap(),
            value,
        }])
        .unwrap();
}

/// What a reloaded group must share with the original.
fn assert_same(p: &TestProvider, a: &Group, b: &Group) {
    assert_eq!(a.epoch(), b.epoch());
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    assert_eq!(a.tree().tree_hash(), b.tree().tree_hash());
    assert_eq!(a.context(), b.context());
    assert_eq!(a.own_leaf(), b.own_leaf());
    assert_eq!(a.is_active(), b.is_active());
    assert_eq!(a.config(), b.config());
    assert_eq!(a.pending_proposals(), b.pending_proposals());
    assert_eq!(
        a.export_secret(&p.crypto, b"x", b"y", 32).unwrap(),
        b.export_secret(&p.crypto, b"x", b"y", 32).unwrap()
    );
    // And everything else: secret tree, private keys, past epochs.
    assert_eq!(snapshot(a), snapshot(b));
}

/// Saves `g` to `store`, loads it back, checks it is the same group and
/// that saving the loaded group writes the very same record.
fn reload<S: Storage>(p: &TestProvider, store: &Store<S>, g: &Group) -> Group {
    g.save(store).unwrap();
    let loaded = Group::load(store, g.group_id()).unwrap().expect("saved");
    assert_same(p, g, &loaded);
    let again = mem_store(0);
    loaded.save(&again).unwrap();
    assert_eq!(record(store, g.group_id()), record(&again, g.group_id()));
    loaded
}

fn send(p: &TestProvider, m: &mut Member, data: &[u8]) -> MlsMessage {
    m.group.encrypt(p, &m.signer, data, b"").unwrap()
}

fn receive(p: &TestProvider, g: &mut Group, msg: &MlsMessage, expected: &[u8]) {
    match g.process(p, msg).unwrap() {
        ProcessedMessage::Application { data, .. } => assert_eq!(data, expected),
        other => panic!("expected an application message, got {other:?}"),
    }
}

/// Every member but `from` receives `msg`.
fn broadcast(p: &TestProvider, members: &mut [Member], from: usize, msg: &MlsMessage, data: &[u8]) {
    for (i, m) in members.iter_mut().enumerate() {
        if i != from && m.group.is_active() {
            receive(p, &mut m.group, msg, data);
        }
    }
}

/// The snapshot the negative tests compare is the whole state: the same
/// state always gives the same bytes, and it sees what the group's public
/// accessors do not (a ratchet generation consumed, in the current epoch
/// or a past one).
#[test]
fn snapshots_are_deterministic_and_see_the_secret_tree() {
    let p = provider(0x5a);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let late = send(&p, &mut members[1], b"late");
    commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
    let msg = send(&p, &mut members[1], b"now");

    // Same state, same bytes: twice, from a clone, after a reload.
    let alice = &members[0].group;
    let first = snapshot(alice);
    assert_eq!(snapshot(alice), first);
    assert_eq!(snapshot(&alice.clone()), first);
    assert_eq!(first.past_epochs().len(), 2);
    let store = mem_store(1);
    alice.save(&store).unwrap();
    let loaded = Group::load(&store, alice.group_id()).unwrap().unwrap();
    assert_eq!(snapshot(&loaded), first);

    // Decrypting one message moves bob's ratchet at alice: every public
    // view of the group stays the same, the snapshot does not.
    let alice = &mut members[0].group;
    let visible = |g: &Group| {
        (
            g.epoch(),
            g.epoch_authenticator().to_vec(),
            g.tree().tree_hash().to_vec(),
            g.context().clone(),
            g.pending_proposals().len(),
            g.is_active(),
        )
    };
    let seen = visible(alice);
    receive(&p, alice, &msg, b"now");
    assert_eq!(visible(alice), seen);
    let after = snapshot(alice);
    assert_ne!(
        after.of(RecordKind::SenderRatchets),
        first.of(RecordKind::SenderRatchets)
    );
    assert_eq!(
        after.of(RecordKind::GroupState),
        first.of(RecordKind::GroupState)
    );
    assert_eq!(after.past_epochs(), first.past_epochs());

    // A late message of the previous epoch changes that epoch's record
    // only.
    receive(&p, alice, &late, b"late");
    assert_eq!(visible(alice), seen);
    let later = snapshot(alice);
    assert_eq!(
        later.of(RecordKind::GroupState),
        after.of(RecordKind::GroupState)
    );
    assert_eq!(
        later.of(RecordKind::SenderRatchets),
        after.of(RecordKind::SenderRatchets)
    );
    assert_ne!(later.past_epochs(), after.past_epochs());
    assert_ne!(later, after);
}

#[test]
fn load_of_unknown_group_is_none() {
    let store = mem_store(1);
    assert!(Group::load(&store, b"nothing here").unwrap().is_none());
}

#[test]
fn reloaded_group_keeps_working() {
    let p = provider(11);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let stores: Vec<_> = (0..3).map(|i| mem_store(100 + i)).collect();

    // Ratchets with state: bob sends twice, alice receives only the
    // second (the first stays a skipped key), carol both.
    let m1 = send(&p, &mut members[1], b"one");
    let m2 = send(&p, &mut members[1], b"two");
    receive(&p, &mut members[0].group, &m2, b"two");
    receive(&p, &mut members[2].group, &m1, b"one");
    receive(&p, &mut members[2].group, &m2, b"two");
    // A message of this epoch that arrives after the next commit.
    let late = send(&p, &mut members[2], b"late");
    commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));

    for (m, s) in members.iter_mut().zip(&stores) {
        m.group = reload(&p, s, &m.group);
    }
    all_agree(&p, &members);

    // Old-epoch keys survived: the skipped key and the past epoch.
    receive(&p, &mut members[0].group, &m1, b"one");
    receive(&p, &mut members[0].group, &late, b"late");
    receive(&p, &mut members[1].group, &late, b"late");

    // A message sent after the reload decrypts everywhere.
    let m3 = send(&p, &mut members[1], b"after reload");
    broadcast(&p, &mut members, 1, &m3, b"after reload");

    // Processing a commit, and committing.
    commit_all(&p, &mut members, 1, |g| g.commit().force_path(true));
    all_agree(&p, &members);
    commit_all(&p, &mut members, 2, |g| g.commit().force_path(true));
    all_agree(&p, &members);
    let m4 = send(&p, &mut members[0], b"still here");
    broadcast(&p, &mut members, 0, &m4, b"still here");

    // The reloaded state saves and loads again after more epochs.
    for (m, s) in members.iter_mut().zip(&stores) {
        m.group = reload(&p, s, &m.group);
    }
    all_agree(&p, &members);
}

/// Drops and reloads every member between epochs, each member with its
/// own storage handle made by `open(i)` (reopened for every reload).
fn reload_every_member_between_epochs<P: Provider, H: Borrow<P>>(open: impl Fn(usize) -> H) {
    let p = provider(23);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    for round in 0..6 {
        let who = round % members.len();
        commit_all(&p, &mut members, who, |g| g.commit().force_path(true));
        for (i, m) in members.iter().enumerate() {
            m.group.save(open(i).borrow()).unwrap();
        }
        for (i, m) in members.iter_mut().enumerate() {
            let id = m.group.group_id().to_vec();
            let before = snapshot(&m.group);
            // Drop the in-memory state, then reload from a fresh handle:
            // the whole state comes back.
            m.group = Group::load(open(i).borrow(), &id).unwrap().expect("saved");
            assert_eq!(snapshot(&m.group), before);
        }
        all_agree(&p, &members);
        let data = format!("round {round}");
        let msg = send(&p, &mut members[who], data.as_bytes());
        broadcast(&p, &mut members, who, &msg, data.as_bytes());
    }
    assert_eq!(members[0].group.epoch(), 7);
}

#[test]
fn reload_every_member_between_epochs_in_memory() {
    let stores: Vec<_> = (0..3).map(|i| mem_store(200 + i)).collect();
    reload_every_member_between_epochs::<Store<MemoryStorage>, _>(|i| &stores[i]);
}

struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "cohort-group-storage-{}-{name}.db",
            std::process::id()
        ));
        let db = TempDb(path);
        db.remove();
        db
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.remove();
    }
}

#[test]
fn reload_every_member_between_epochs_on_sqlite() {
    let dbs: Vec<TempDb> = (0..3).map(|i| TempDb::new(&format!("m{i}"))).collect();
    reload_every_member_between_epochs::<Store<SqliteStorage>, _>(|i| {
        ProviderBundle::new(
            RustCrypto::new(),
            SeededRand::from_u64(300 + i as u64),
            SqliteStorage::open(&dbs[i].0).unwrap(),
        )
    });
}

/// A small group's record, in `store`.
fn small_record(store: &Store<MemoryStorage>) -> (Vec<u8>, Vec<u8>) {
    let p = provider(31);
    let mut members = group(&p, &["alice", "bob"]);
    let m = send(&p, &mut members[1], b"hello");
    receive(&p, &mut members[0].group, &m, b"hello");
    let g = &members[0].group;
    g.save(store).unwrap();
    let id = g.group_id().to_vec();
    let rec = record(store, &id);
    (id, rec)
}

fn load_err(store: &Store<MemoryStorage>, id: &[u8], value: Vec<u8>) -> Error {
    put_record(store, id, value);
    match Group::load(store, id) {
        Ok(_) => panic!("a damaged record loaded"),
        Err(e) => e,
    }
}

#[test]
fn unknown_format_version_is_named() {
    let store = mem_store(2);
    let (id, rec) = small_record(&store);
    assert_eq!(rec[..2], GROUP_STATE_VERSION.to_be_bytes());
    // (Formats 4 and 5 are read too: a format-6 body under their numbers
    // is corrupt.)
    for v in [4u16, 5] {
        let mut bad = rec.clone();
        bad[..2].copy_from_slice(&v.to_be_bytes());
        assert_eq!(
            load_err(&store, &id, bad),
            Error::Storage(StorageError::Corrupt)
        );
    }
    for v in [0u16, 1, 2, 3, 7, 0x1234, u16::MAX] {
        let mut bad = rec.clone();
        bad[..2].copy_from_slice(&v.to_be_bytes());
        assert_eq!(
            load_err(&store, &id, bad),
            Error::Storage(StorageError::UnsupportedVersion(v))
        );
    }
}

#[test]
fn every_truncation_is_corrupt() {
    let store = mem_store(3);
    let (id, rec) = small_record(&store);
    for len in 0..rec.len() {
        assert_eq!(
            load_err(&store, &id, rec[..len].to_vec()),
            Error::Storage(StorageError::Corrupt),
            "truncated to {len} of {} bytes",
            rec.len()
        );
    }
    // Trailing garbage too.
    let mut long = rec.clone();
    long.push(0);
    assert_eq!(
        load_err(&store, &id, long),
        Error::Storage(StorageError::Corrupt)
    );
}

#[test]
fn every_flipped_byte_is_named() {
    let store = mem_store(4);
    let (id, rec) = small_record(&store);
    for i in 0..rec.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = rec.clone();
            bad[i] ^= mask;
            let version = u16::from_be_bytes([bad[0], bad[1]]);
            let expected = if i < 2 && version != 4 {
                StorageError::UnsupportedVersion(version)
            } else {
                StorageError::Corrupt
            };
            assert_eq!(
                load_err(&store, &id, bad),
                Error::Storage(expected),
                "byte {i} ^ {mask:#x}"
            );
        }
    }
    // The intact record still loads.
    put_record(&store, &id, rec);
    assert!(Group::load(&store, &id).unwrap().is_some());
}

#[test]
fn damaged_bodies_with_valid_checksum_never_panic() {
    let store = mem_store(5);
    let (id, rec) = small_record(&store);
    let mut fixed = rec.clone();
    fix_checksum(&mut fixed);
    assert_eq!(fixed, rec, "the test's checksum matches the format's");
    // Every truncation of the body fails to decode.
    for len in 10..rec.len() {
        let mut bad = rec[..len].to_vec();
        fix_checksum(&mut bad);
        assert_eq!(
            load_err(&store, &id, bad),
            Error::Storage(StorageError::Corrupt),
            "body truncated to {len}"
        );
    }
    // Every flipped body byte either decodes (a changed secret, say) or is
    // rejected as corrupt or out of range (a configuration value or a
    // count beyond its limit); nothing panics.
    let mut rejected = 0;
    for i in 10..rec.len() {
        for mask in [0x01u8, 0xff] {
            let mut bad = rec.clone();
            bad[i] ^= mask;
            fix_checksum(&mut bad);
            put_record(&store, &id, bad);
            match Group::load(&store, &id) {
                Ok(_) => {}
                Err(e) => {
                    assert!(
                        matches!(
                            e,
                            Error::Storage(StorageError::Corrupt | StorageError::OutOfRange(_))
                        ),
                        "byte {i}: {e:?}"
                    );
                    rejected += 1;
                }
            }
        }
    }
    assert!(rejected > 0);
}

#[test]
fn state_keys_are_unambiguous() {
    // The same concatenated bytes split differently give different keys.
    let a = group_state_key(b"ab", b"c").unwrap();
    let b = group_state_key(b"a", b"bc").unwrap();
    let c = group_state_key(b"", b"abc").unwrap();
    assert_ne!(a, b);
    assert_ne!(a, c);
    assert_ne!(b, c);
    // A group id that looks like another client's key names its own record.
    let inner = group_state_key(b"bob", b"g").unwrap();
    assert_ne!(group_state_key(b"", &inner).unwrap(), inner);
}

/// Three members of one group, all in one SQLite file, each in its own
/// client namespace: saved, dropped and reloaded between epochs; the
/// database reopened each time.
#[test]
fn three_members_in_one_sqlite_file() {
    let db = TempDb::new("shared");
    let open = || {
        ProviderBundle::new(
            RustCrypto::new(),
            SeededRand::from_u64(400),
            SqliteStorage::open(&db.0).unwrap(),
        )
    };
    let p = provider(41);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let id = members[0].group.group_id().to_vec();
    for round in 0..4 {
        let who = round % members.len();
        commit_all(&p, &mut members, who, |g| g.commit().force_path(true));
        {
            let store = open();
            for m in &members {
                m.group.save_as(&store, m.name.as_bytes()).unwrap();
            }
        }
        let store = open();
        assert_eq!(store.storage.count(RecordKind::GroupState).unwrap(), 3);
        // Nothing under the default (empty) client, nor under a stranger.
        assert!(Group::load(&store, &id).unwrap().is_none());
        assert!(Group::load_as(&store, b"mallory", &id).unwrap().is_none());
        for m in members.iter_mut() {
            let before = snapshot(&m.group);
            m.group = Group::load_as(&store, m.name.as_bytes(), &id)
                .unwrap()
                .expect("saved");
            assert_eq!(snapshot(&m.group), before);
        }
        // Each client got its own state back, not a neighbour's.
        let leaves: Vec<_> = members.iter().map(|m| m.group.own_leaf()).collect();
        assert_eq!(leaves.len(), 3);
        assert!(leaves[0] != leaves[1] && leaves[1] != leaves[2] && leaves[0] != leaves[2]);
        all_agree(&p, &members);
        let data = format!("round {round}");
        let msg = send(&p, &mut members[who], data.as_bytes());
        broadcast(&p, &mut members, who, &msg, data.as_bytes());
    }
    // save and load (the empty client id) live beside the namespaced ones.
    let store = open();
    members[0].group.save(&store).unwrap();
    assert_eq!(store.storage.count(RecordKind::GroupState).unwrap(), 4);
    let plain = Group::load(&store, &id).unwrap().expect("saved");
    assert_eq!(plain.own_leaf(), members[0].group.own_leaf());
}

/// The epochs of `group_id` below `below` that have a past-epoch record.
fn past_epoch_records<S: Storage>(store: &Store<S>, group_id: &[u8], below: u64) -> Vec<u64> {
    (0..below)
        .filter(|e| {
            store
                .storage
                .get(
                    RecordKind::PastEpoch,
                    &past_epoch_key(b"", group_id, *e).unwrap(),
                )
                .unwrap()
                .is_some()
        })
        .collect()
}

/// Past epochs are records of their own, written and expired in the batch
/// that saves the group: after k commits exactly min(k, max_past_epochs)
/// exist, and a late message of the oldest one still decrypts after a
/// reload while one of an expired epoch does not (C-FRAME-27: skipped keys
/// are kept for a bounded number of epochs).
#[test]
fn past_epochs_kept_for_exactly_max_past_epochs() {
    let p = provider(71);
    let mut members = group(&p, &["alice", "bob"]);
    let max = members[1].group.config().max_past_epochs as u64;
    assert_eq!(max, 3);
    let store = mem_store(7);
    let id = members[1].group.group_id().to_vec();
    let joined = members[1].group.epoch();
    members[1].group.save(&store).unwrap();
    assert!(past_epoch_records(&store, &id, joined + 10).is_empty());

    // late[i]: alice's message of epoch joined + i, delivered late.
    let mut late = Vec::new();
    for k in 1..=6u64 {
        let data = format!("epoch {}", members[0].group.epoch());
        late.push((send(&p, &mut members[0], data.as_bytes()), data));
        commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
        let bob = &members[1].group;
        let epoch = bob.epoch();
        assert_eq!(epoch, joined + k);
        bob.save(&store).unwrap();
        let kept = k.min(max);
        let expected: Vec<u64> = (epoch - kept..epoch).collect();
        assert_eq!(
            past_epoch_records(&store, &id, epoch + 5),
            expected,
            "k = {k}"
        );
        // The state, tree and secret-tree records, and the past epochs.
        assert_eq!(store.storage.len() as u64, 3 + kept);
        members[1].group = Group::load(&store, &id).unwrap().expect("saved");
    }
    all_agree(&p, &members);

    // The oldest retained epoch's late message decrypts after the reload.
    let epoch = members[1].group.epoch();
    let oldest = (epoch - max - joined) as usize;
    let (msg, data) = &late[oldest];
    receive(&p, &mut members[1].group, msg, data.as_bytes());
    // The epoch before it has expired, in memory and on disk.
    let (msg, _) = &late[oldest - 1];
    assert!(matches!(
        members[1].group.process(&p, msg),
        Err(Error::Validation(ValidationError::WrongEpoch { .. }))
    ));

    // Saving less often still leaves exactly the retained epochs.
    for _ in 0..2 {
        commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
    }
    let bob = &members[1].group;
    bob.save(&store).unwrap();
    let epoch = bob.epoch();
    let expected: Vec<u64> = (epoch - max..epoch).collect();
    assert_eq!(past_epoch_records(&store, &id, epoch + 5), expected);
    // The state, tree and secret-tree records, and the past epochs: the
    // secret-tree records of the epochs in between are gone.
    assert_eq!(store.storage.len() as u64, 3 + max);
}

/// A damaged or missing past-epoch record makes the group fail to load
/// with a named error.
#[test]
fn damaged_past_epoch_records_are_named() {
    let p = provider(72);
    let mut members = group(&p, &["alice", "bob"]);
    commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
    let store = mem_store(8);
    let g = &members[1].group;
    g.save(&store).unwrap();
    let id = g.group_id().to_vec();
    let key = past_epoch_key(b"", &id, g.epoch() - 1).unwrap();
    let rec = store
        .storage
        .get(RecordKind::PastEpoch, &key)
        .unwrap()
        .expect("a past epoch");
    assert_eq!(rec[..2], PAST_EPOCH_VERSION.to_be_bytes());
    let put = |value: Vec<u8>| {
        store
            .storage
            .apply(&[StorageOp::Put {
                kind: RecordKind::PastEpoch,
                key: key.clone(),
                value,
            }])
            .unwrap()
    };
    let load = || Group::load(&store, &id).map(|_| ());
    let mut bad = rec.clone();
    bad[..2].copy_from_slice(&7u16.to_be_bytes());
    put(bad);
    assert_eq!(
        load(),
        Err(Error::Storage(StorageError::UnsupportedVersion(7)))
    );
    for len in [0, 5, 10, rec.len() / 2, rec.len() - 1] {
        put(rec[..len].to_vec());
        assert_eq!(load(), Err(Error::Storage(StorageError::Corrupt)));
    }
    for i in 2..rec.len() {
        let mut bad = rec.clone();
        bad[i] ^= 0x01;
        put(bad);
        assert_eq!(
            load(),
            Err(Error::Storage(StorageError::Corrupt)),
            "byte {i}"
        );
    }
    store
        .storage
        .apply(&[StorageOp::Delete {
            kind: RecordKind::PastEpoch,
            key: key.clone(),
        }])
        .unwrap();
    assert_eq!(load(), Err(Error::Storage(StorageError::Corrupt)));
    put(rec);
    assert_eq!(load(), Ok(()));
}

/// The ready provider bundle takes any storage: RustCrypto with SQLite.
#[test]
fn rust_crypto_provider_with_sqlite_storage() {
    use cohort::crypto::SuiteCrypto;
    use cohort::group::{GroupConfig, KeyPackageBuilder};
    use cohort::messages::{Credential, Extensions};
    use cohort_basic_credential::SignatureKeyPair;
    use cohort_rust_crypto::RustCryptoProvider;
    use cohort_traits::Ciphersuite;

    let p: RustCryptoProvider<SqliteStorage> = ProviderBundle::new(
        RustCrypto::new(),
        RustCrypto::new(),
        SqliteStorage::open_in_memory().unwrap(),
    );
    let cs = SuiteCrypto::new(&p.crypto, Ciphersuite(1)).unwrap();
    let signer =
        SignatureKeyPair::generate(RustCrypto::new(), cs.params().signature, &p.rand).unwrap();
    let own = KeyPackageBuilder::new(Credential::basic("solo"))
        .build(&cs, &p.rand, &signer)
        .unwrap();
    let group = Group::create(
        &p,
        &own,
        b"solo group".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    group.save(&p).unwrap();
    let loaded = Group::load(&p, b"solo group").unwrap().unwrap();
    assert_eq!(loaded.epoch_authenticator(), group.epoch_authenticator());
}
