//! Loading stored records: a group's state, a past epoch, a KeyPackage.
//!
//! The first input byte picks the record (its value modulo 6: group state,
//! the past-epoch record of epoch 1, Erin's KeyPackage record, the tree,
//! the secret tree, a sender-ratchet record) and, with its top bit set,
//! takes the rest as the whole record; otherwise the rest is the record's
//! body and the harness writes the format version and the checksum before
//! it, so that mutations reach the decoder rather than the checksum check.
//! The other records the load reads are the fixture's.

use crate::Outcome;
use crate::fixture::{self, Fixture, FuzzProvider, GROUP_ID, fixture, provider};
use crate::receive::check_round_trip;
use cohort::codec::{decode_exact, read_opaque};
use cohort::crypto::SuiteCrypto;
use cohort::group::{
    GROUP_STATE_VERSION, Group, KEY_PACKAGE_RECORD_VERSION, KeyPackageBundle, PAST_EPOCH_VERSION,
    ProcessedMessage, SECRET_TREE_RECORD_VERSION, SENDER_RATCHETS_VERSION, TREE_RECORD_VERSION,
    key_package_key, key_package_ref, past_epoch_key,
};
use cohort::messages::KeyPackage;
use cohort_traits::{RecordKind, Storage, StorageOp};

/// Length of a record's header: format version and checksum.
const HEADER_LEN: usize = 10;

/// FNV-1a, 64 bits: the records' checksum over every byte after the
/// header.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A record of format `version` with `body` and its checksum.
fn record(version: u16, body: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(HEADER_LEN + body.len());
    r.extend_from_slice(&version.to_be_bytes());
    r.extend_from_slice(&fnv1a64(body).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn put(p: &FuzzProvider, kind: RecordKind, key: Vec<u8>, value: Vec<u8>) {
    if let Err(e) = p.storage.apply(&[StorageOp::Put { kind, key, value }]) {
        panic!("memory storage failed: {e}");
    }
}

fn past_key(epoch: u64) -> Vec<u8> {
    past_epoch_key(&[], GROUP_ID, epoch).unwrap_or_default()
}

/// The message named `name` of the fixture.
fn message<'a>(f: &'a Fixture, name: &str) -> Option<&'a cohort::framing::MlsMessage> {
    f.messages.iter().find(|(n, _)| *n == name).map(|(_, m)| m)
}

/// A loaded group is used: it processes the fixture's messages and exports
/// a secret, none of which may panic, whatever the record said.
fn exercise(f: &Fixture, group: &Group) {
    let p = provider();
    let _ = group.export_secret(&p.crypto, b"fuzz", b"", 32);
    for name in ["application", "late-application", "commit-pending"] {
        let Some(msg) = message(f, name) else {
            continue;
        };
        let mut g = group.clone();
        if let Ok(ProcessedMessage::Commit(staged)) = g.process(&p, msg) {
            let _ = g.merge_staged_commit(*staged);
        }
    }
}

/// Loads a group whose record of `kind` (the first one of that kind; for
/// past epochs the one of epoch 1) is `bytes`, every other record the
/// fixture's.
fn load_group(f: &Fixture, kind: RecordKind, bytes: Vec<u8>) -> Outcome {
    let p = provider();
    let mut replaced = false;
    for (k, key, value) in &f.group_records {
        let mine =
            *k == kind && !replaced && (kind != RecordKind::PastEpoch || *key == past_key(1));
        let value = if mine {
            replaced = true;
            bytes.clone()
        } else {
            value.clone()
        };
        put(&p, *k, key.clone(), value);
    }
    match Group::load(&p, GROUP_ID) {
        Ok(Some(group)) => {
            check_round_trip(&group);
            exercise(f, &group);
            Outcome::Accepted
        }
        Ok(None) => panic!("a stored state record was not found"),
        Err(_) => Outcome::Rejected,
    }
}

/// The fixture's first record of `kind` (for past epochs, epoch 1's).
fn fixture_record(f: &Fixture, kind: RecordKind) -> Vec<u8> {
    f.group_records
        .iter()
        .find(|(k, key, _)| *k == kind && (kind != RecordKind::PastEpoch || *key == past_key(1)))
        .map(|(_, _, v)| v.clone())
        .unwrap_or_default()
}

/// The key a KeyPackage record is stored under: the reference of the
/// KeyPackage it holds when that can be read, else Erin's.
fn key_package_record_ref(f: &Fixture, record: &[u8]) -> Vec<u8> {
    let kp = record
        .get(HEADER_LEN + 2..)
        .and_then(|rest| read_opaque(rest).ok())
        .and_then(|(kp, _)| decode_exact::<KeyPackage>(kp).ok())
        .unwrap_or_else(|| f.joiner().key_package.key_package.clone());
    let p = provider();
    SuiteCrypto::new(&p.crypto, kp.cipher_suite)
        .and_then(|cs| key_package_ref(&cs, &kp))
        .unwrap_or_default()
}

/// Loads a KeyPackage record; one that loads stores back to the same bytes
/// (the record is canonical) and can be joined with (which must not panic).
fn load_key_package(f: &Fixture, bytes: Vec<u8>) -> Outcome {
    let p = provider();
    let kp_ref = key_package_record_ref(f, &bytes);
    let key = key_package_key(&[], &kp_ref).unwrap_or_default();
    put(&p, RecordKind::KeyPackage, key.clone(), bytes.clone());
    match KeyPackageBundle::load(&p, &kp_ref) {
        Ok(Some(bundle)) => {
            let q = provider();
            if let Err(e) = bundle.store(&q) {
                panic!("a loaded KeyPackage does not store: {e}");
            }
            let again = match q.storage.get(RecordKind::KeyPackage, &key) {
                Ok(r) => r,
                Err(e) => panic!("memory storage failed: {e}"),
            };
            assert!(
                again.as_deref() == Some(bytes.as_slice()),
                "a loaded KeyPackage record stores differently"
            );
            for (_, welcome) in &f.welcomes {
                if let Ok(g) = Group::join(
                    &provider(),
                    welcome,
                    &bundle,
                    None,
                    fixture::psks(),
                    fixture::config(),
                ) {
                    check_round_trip(&g);
                }
            }
            Outcome::Accepted
        }
        Ok(None) => panic!("a stored KeyPackage record was not found"),
        Err(_) => Outcome::Rejected,
    }
}

/// Loads a stored record built from the input (see the module's docs): a
/// group state, a past-epoch record or a KeyPackage record. A group that
/// loads saves and loads back to the same records and processes the
/// fixture's messages without panicking; a KeyPackage record that loads
/// stores back to exactly its bytes.
pub fn load(data: &[u8]) -> Outcome {
    let f = fixture();
    let Some((&selector, body)) = data.split_first() else {
        return Outcome::Malformed;
    };
    let raw = selector & 0x80 != 0;
    let build = |version: u16| {
        if raw {
            body.to_vec()
        } else {
            record(version, body)
        }
    };
    match (selector & 0x7f) % 6 {
        0 => load_group(f, RecordKind::GroupState, build(GROUP_STATE_VERSION)),
        1 => load_group(f, RecordKind::PastEpoch, build(PAST_EPOCH_VERSION)),
        2 => load_key_package(f, build(KEY_PACKAGE_RECORD_VERSION)),
        3 => load_group(f, RecordKind::Tree, build(TREE_RECORD_VERSION)),
        4 => load_group(f, RecordKind::SecretTree, build(SECRET_TREE_RECORD_VERSION)),
        _ => load_group(
            f,
            RecordKind::SenderRatchets,
            build(SENDER_RATCHETS_VERSION),
        ),
    }
}

/// Seeds: each record's body behind its selector, and each whole record.
pub(crate) fn seeds(f: &Fixture) -> Vec<(String, Vec<u8>)> {
    let records = [
        ("state", 0u8, fixture_record(f, RecordKind::GroupState)),
        ("past-epoch", 1, fixture_record(f, RecordKind::PastEpoch)),
        ("key-package", 2, f.key_package_record.clone()),
        ("tree", 3, fixture_record(f, RecordKind::Tree)),
        ("secret-tree", 4, fixture_record(f, RecordKind::SecretTree)),
        (
            "sender-ratchets",
            5,
            fixture_record(f, RecordKind::SenderRatchets),
        ),
    ];
    let mut out = Vec::new();
    for (name, selector, r) in records {
        let body = r.get(HEADER_LEN..).unwrap_or_default();
        out.push((name.to_string(), [&[selector], body].concat()));
        out.push((
            format!("{name}-whole"),
            [&[selector | 0x80], r.as_slice()].concat(),
        ));
    }
    out
}
