//! Unit tests of the bindings' Rust side (the Python suite is in
//! tests/python).

use crate::{CohortError, MlsClient, MlsGroup, ProcessedMessage};
use cohort::codec::write_opaque;
use cohort_sqlite_storage::SqliteStorage;
use cohort_traits::{RecordKind, Storage, StorageOp};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cohort-ffi-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn db(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn client(name: &str) -> Arc<MlsClient> {
    MlsClient::in_memory(name.as_bytes().to_vec()).unwrap()
}

/// Alice's group with bob in it.
fn pair() -> (Arc<MlsClient>, Arc<MlsClient>, Arc<MlsGroup>, Arc<MlsGroup>) {
    let (alice, bob) = (client("alice"), client("bob"));
    let a = alice.create_group().unwrap();
    let out = a
        .add_members(vec![bob.generate_key_package().unwrap()])
        .unwrap();
    a.merge_pending_commit().unwrap();
    let b = bob.join_welcome(out.welcome.unwrap()).unwrap();
    (alice, bob, a, b)
}

fn data_of(processed: ProcessedMessage) -> Vec<u8> {
    match processed {
        ProcessedMessage::Application { data, .. } => data,
        other => panic!("expected application data, got {other:?}"),
    }
}

fn assert_in_step(a: &MlsGroup, b: &MlsGroup) {
    assert_eq!(a.epoch().unwrap(), b.epoch().unwrap());
    assert_eq!(
        a.epoch_authenticator().unwrap(),
        b.epoch_authenticator().unwrap()
    );
    let m = a.encrypt(b"in step".to_vec()).unwrap();
    assert_eq!(data_of(b.process(m).unwrap()), b"in step");
}

#[test]
fn the_signer_and_groups_come_back_from_the_database() {
    let dir = TempDir::new();
    let db = dir.db("alice.db");
    let alice = MlsClient::open(b"alice".to_vec(), db.clone()).unwrap();
    let key = alice.signature_public_key();
    let group_id = alice.create_group().unwrap().group_id();
    alice.close();
    drop(alice);

    let alice = MlsClient::open(b"alice".to_vec(), db.clone()).unwrap();
    assert_eq!(alice.signature_public_key(), key);
    assert_eq!(alice.group_ids().unwrap(), vec![group_id.clone()]);
    let g = alice.load_group(group_id).unwrap().unwrap();
    assert_eq!(g.roster().unwrap()[0].signature_key, key);
    // One record of the identity, keyed opaque(identity) || public key.
    alice.close();
    let storage = SqliteStorage::open(&db).unwrap();
    let mut expected = Vec::new();
    write_opaque(b"alice", &mut expected).unwrap();
    expected.extend_from_slice(&key);
    assert_eq!(
        storage.keys(RecordKind::SignatureKey).unwrap(),
        vec![expected]
    );
}

#[test]
fn a_bad_signer_record_is_a_storage_error_naming_it() {
    let dir = TempDir::new();
    let db = dir.db("bad.db");
    let mut key = Vec::new();
    write_opaque(b"mallory", &mut key).unwrap();
    key.extend_from_slice(&[7; 32]);
    let mut credential = Vec::new();
    let encoded = cohort::codec::encode(&cohort::messages::Credential::basic("mallory")).unwrap();
    write_opaque(&encoded, &mut credential).unwrap();
    for (value, expected) in [
        (vec![0, 1], "truncated"),
        (vec![0, 9, 0, 1], "unknown format version 9"),
        (vec![0, 1, 0, 1, 0x20, 1, 2], "truncated private key"),
        (
            [&[0, 1, 0, 1, 0x20][..], &[1; 32]].concat(),
            "truncated credential",
        ),
        (
            [&[0, 1, 0, 1, 0x20][..], &[1; 32], &[0]].concat(),
            "credential: malformed input",
        ),
        (
            [&[0, 1, 0, 1, 0x20][..], &[1; 32], &credential].concat(),
            "public key differs from its record key",
        ),
        (
            [&[0, 1, 0, 1, 0x20][..], &[1; 32], &credential, &[0]].concat(),
            "trailing bytes",
        ),
    ] {
        let storage = SqliteStorage::open(&db).unwrap();
        storage
            .apply(&[StorageOp::Put {
                kind: RecordKind::SignatureKey,
                key: key.clone(),
                value,
            }])
            .unwrap();
        drop(storage);
        let err = MlsClient::open(b"mallory".to_vec(), db.clone()).unwrap_err();
        assert!(
            matches!(&err, CohortError::Storage(m) if m.contains(expected)),
            "{err}"
        );
    }
}

#[test]
fn a_second_signer_record_of_an_identity_is_refused() {
    let dir = TempDir::new();
    let db = dir.db("two.db");
    let alice = MlsClient::open(b"alice".to_vec(), db.clone()).unwrap();
    alice.close();
    let storage = SqliteStorage::open(&db).unwrap();
    let mut key = Vec::new();
    write_opaque(b"alice", &mut key).unwrap();
    key.push(0);
    storage
        .apply(&[StorageOp::Put {
            kind: RecordKind::SignatureKey,
            key,
            value: vec![0, 1],
        }])
        .unwrap();
    drop(storage);
    let err = MlsClient::open(b"alice".to_vec(), db).unwrap_err();
    assert_eq!(
        err,
        CohortError::Storage(
            "signature key record: several signature keys stored for this identity".into()
        )
    );
}

#[test]
fn every_truncation_of_every_input_is_an_error_and_changes_nothing() {
    let (alice, bob, a, b) = pair();
    let carol = client("carol");
    let kp = carol.generate_key_package().unwrap();
    let app = a.encrypt(b"hello".to_vec()).unwrap();
    for cut in 0..kp.len() {
        let err = a.add_members(vec![kp[..cut].to_vec()]).unwrap_err();
        assert!(matches!(err, CohortError::Malformed(_)), "{cut}: {err}");
    }
    for cut in 0..app.len() {
        let err = b.process(app[..cut].to_vec()).unwrap_err();
        assert!(matches!(err, CohortError::Malformed(_)), "{cut}: {err}");
        let err = bob.process_message(app[..cut].to_vec()).unwrap_err();
        assert!(matches!(err, CohortError::Malformed(_)), "{cut}: {err}");
    }
    assert_eq!(data_of(b.process(app).unwrap()), b"hello");

    let out = a.add_members(vec![kp]).unwrap();
    let welcome = out.welcome.unwrap();
    for cut in 0..welcome.len() {
        let err = carol.stage_welcome(welcome[..cut].to_vec()).unwrap_err();
        assert!(matches!(err, CohortError::Malformed(_)), "{cut}: {err}");
    }
    for cut in 0..out.commit.len() {
        assert!(b.process(out.commit[..cut].to_vec()).is_err(), "{cut}");
    }
    assert!(!b.has_pending_commit().unwrap());
    assert_eq!(b.epoch().unwrap(), 1);
    a.merge_pending_commit().unwrap();
    assert!(matches!(
        b.process(out.commit).unwrap(),
        ProcessedMessage::Commit { epoch: 2, .. }
    ));
    let c = carol.join_welcome(welcome).unwrap();
    assert_in_step(&a, &b);
    assert_in_step(&a, &c);
    drop((alice, bob));
}

#[test]
fn every_flipped_byte_of_a_message_is_refused() {
    let (_alice, _bob, a, b) = pair();
    let msg = a
        .encrypt_with_aad(b"payload".to_vec(), b"aad".to_vec())
        .unwrap();
    for i in 0..msg.len() {
        let mut bad = msg.clone();
        bad[i] ^= 0xff;
        assert!(b.process(bad).is_err(), "byte {i}");
    }
    match b.process(msg).unwrap() {
        ProcessedMessage::Application {
            sender,
            data,
            authenticated_data,
            epoch,
        } => {
            assert_eq!((sender.leaf_index, sender.identity), (0, b"alice".to_vec()));
            assert_eq!(
                (data, authenticated_data, epoch),
                (b"payload".to_vec(), b"aad".to_vec(), 1)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_in_step(&a, &b);
}

#[test]
fn a_message_for_another_group_names_it() {
    let (alice, bob, a, b) = pair();
    let other = alice.create_group().unwrap();
    let msg = other.encrypt(b"x".to_vec()).unwrap();
    let hex: String = other
        .group_id()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    assert_eq!(
        bob.process_message(msg.clone()).unwrap_err(),
        CohortError::UnknownGroup(hex)
    );
    assert!(matches!(
        b.process(msg).unwrap_err(),
        CohortError::Validation(_)
    ));
    assert_in_step(&a, &b);
}

#[test]
fn errors_keep_the_core_kind_and_message() {
    let e: CohortError = cohort::Error::Validation(cohort::ValidationError::GroupIdInUse).into();
    assert!(matches!(&e, CohortError::Validation(_)));
    assert_eq!(
        e.to_string(),
        format!(
            "validation failed: {}",
            cohort::ValidationError::GroupIdInUse
        )
    );
    let e: CohortError = cohort::Error::Malformed(cohort::DecodeError::EndOfInput).into();
    assert_eq!(e.to_string(), "malformed input: unexpected end of input");
}

#[test]
fn a_group_stays_open_between_calls() {
    // The open group keeps its place in its sender ratchet: messages sent
    // in a row use consecutive generations, so the receiver reads them in
    // reverse within its out-of-order tolerance (16 by default). Reloading
    // the group for every call would resume each time at the stored
    // reservation, a block (32) of generations further on.
    let (_alice, _bob, a, b) = pair();
    let msgs: Vec<_> = (0..16u8).map(|i| a.encrypt(vec![i]).unwrap()).collect();
    for (i, m) in (0..16u8).zip(msgs).rev() {
        assert_eq!(data_of(b.process(m).unwrap()), vec![i]);
    }
}

#[test]
fn a_closed_client_fails_with_closed() {
    let (alice, _bob, a, _b) = pair();
    alice.close();
    assert_eq!(a.epoch().unwrap_err(), CohortError::Closed);
    assert_eq!(alice.group_ids().unwrap_err(), CohortError::Closed);
    assert_eq!(alice.create_group().unwrap_err(), CohortError::Closed);
}
