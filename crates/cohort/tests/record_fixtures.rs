//! Stored records written by earlier versions of the library still load.
//!
//! `tests/fixtures/records-v4/` holds records written by the code of group
//! state format 4, past-epoch format 2 and KeyPackage format 1, with the
//! messages and values that prove the loaded state is the saved one: alice's
//! group state and past epochs (carol's late message of a past epoch, a
//! message of the current epoch, a cached proposal), and bob's stored
//! KeyPackage with a Welcome for it. Each later format must keep loading
//! them. `cargo test -p cohort --test record_fixtures -- --ignored
//! write_v4_fixtures` wrote them (with the format-4 code; running it with a
//! later one writes later records and must not be used to replace these).

mod group_common;

use cohort::codec::{decode_exact, encode};
use cohort::framing::MlsMessage;
use cohort::group::{Group, GroupConfig, ProcessedMessage};
use cohort::messages::{Proposal, Remove};
use cohort_traits::{RecordKind, Storage, StorageOp};
use group_common::*;
use std::path::PathBuf;

fn dir(version: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(version)
}

fn read(version: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir(version).join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn read_hex(version: &str, name: &str) -> Vec<u8> {
    hex::decode(String::from_utf8(read(version, name)).unwrap().trim()).unwrap()
}

/// The record files of a fixture: `<kind>.<hex key>`.
fn records(version: &str) -> Vec<(RecordKind, Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir(version)).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some((kind, key)) = name.split_once('.') else {
            continue;
        };
        let kind = match kind {
            "state" => RecordKind::GroupState,
            "past" => RecordKind::PastEpoch,
            "keypackage" => RecordKind::KeyPackage,
            _ => continue,
        };
        out.push((kind, hex::decode(key).unwrap(), read(version, &name)));
    }
    out
}

#[test]
fn format_4_records_load() {
    let v = "records-v4";
    let p = provider(0xf1);
    let ops: Vec<StorageOp> = records(v)
        .into_iter()
        .map(|(kind, key, value)| StorageOp::Put { kind, key, value })
        .collect();
    assert_eq!(ops.len(), 4, "a state, two past epochs and a KeyPackage");
    p.storage.apply(&ops).unwrap();
    let group_id = read_hex(v, "group_id.hex");
    let mut alice = Group::load_as(&p, b"alice", &group_id).unwrap().unwrap();
    assert_eq!(
        alice.epoch_authenticator(),
        read_hex(v, "alice_authenticator.hex")
    );
    assert_eq!(
        alice
            .export_secret(&p.crypto, b"fixture", b"", 32)
            .unwrap()
            .as_bytes(),
        read_hex(v, "alice_export.hex")
    );
    assert_eq!(alice.pending_proposals().len(), 1);
    for (msg, text) in [("message_now.bin", "now"), ("message_late.bin", "late")] {
        let msg: MlsMessage = decode_exact(&read(v, msg)).unwrap();
        match alice.process(&p, &msg).unwrap() {
            ProcessedMessage::Application { data, .. } => assert_eq!(data, text.as_bytes()),
            other => panic!("{other:?}"),
        }
    }
    // Bob joins with the stored KeyPackage.
    let welcome: MlsMessage = decode_exact(&read(v, "welcome.bin")).unwrap();
    let bob = Group::join_from_storage_as(
        &p,
        b"bob",
        welcome_of(&welcome),
        None,
        Default::default(),
        GroupConfig::default(),
    )
    .unwrap();
    assert_eq!(
        bob.epoch_authenticator(),
        read_hex(v, "bob_authenticator.hex")
    );
}

/// Writes the fixture of the current formats into `tests/fixtures/<dir>`
/// (`COHORT_FIXTURE_DIR`, default `records-new`).
#[test]
#[ignore]
fn write_v4_fixtures() {
    let out = dir(&std::env::var("COHORT_FIXTURE_DIR").unwrap_or("records-new".into()));
    std::fs::create_dir_all(&out).unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(out.join(name), bytes).unwrap();
    let write_hex = |name: &str, bytes: &[u8]| write(name, hex::encode(bytes).as_bytes());
    let p = provider(0xf1);
    let config = GroupConfig {
        max_past_epochs: 2,
        ..GroupConfig::default()
    };
    let mut ms = group_with(
        &p,
        SUITE,
        &["alice", "carol", "dave"],
        Default::default(),
        config,
    );
    let mut late = None;
    for round in 0..3 {
        commit_all(&p, &mut ms, round % 3, |g| g.commit().force_path(true));
        if round == 1 {
            let c = &mut ms[1];
            late = Some(c.group.encrypt(&p, &c.signer, b"late", b"").unwrap());
        }
    }
    // A proposal alice has cached.
    let proposal = {
        let c = &mut ms[1];
        c.group
            .propose(&p, &c.signer, Proposal::Remove(Remove { removed: 2 }))
            .unwrap()
    };
    assert!(matches!(
        ms[0].group.process(&p, &proposal).unwrap(),
        ProcessedMessage::Proposal { .. }
    ));
    let alice = &ms[0].group;
    alice.save_as(&p, b"alice").unwrap();
    let id = alice.group_id().to_vec();
    write_hex("group_id.hex", &id);
    write_hex("alice_authenticator.hex", alice.epoch_authenticator());
    write_hex(
        "alice_export.hex",
        alice
            .export_secret(&p.crypto, b"fixture", b"", 32)
            .unwrap()
            .as_bytes(),
    );
    let key = cohort::group::group_state_key(b"alice", &id).unwrap();
    let state = p
        .storage
        .get(RecordKind::GroupState, &key)
        .unwrap()
        .unwrap();
    write(&format!("state.{}", hex::encode(&key)), &state);
    for epoch in [alice.epoch() - 2, alice.epoch() - 1] {
        let key = cohort::group::past_epoch_key(b"alice", &id, epoch).unwrap();
        let past = p.storage.get(RecordKind::PastEpoch, &key).unwrap().unwrap();
        write(&format!("past.{}", hex::encode(&key)), &past);
    }
    // Dave sends the current epoch's message (carol, with a proposal
    // pending, cannot send before a commit).
    let now = {
        let d = &mut ms[2];
        d.group.encrypt(&p, &d.signer, b"now", b"").unwrap()
    };
    write("message_now.bin", &encode(&now).unwrap());
    write("message_late.bin", &encode(&late.unwrap()).unwrap());
    // Bob's KeyPackage, stored; dave adds him (a commit alice never sees).
    let (_, bob_kp) = client(&p, SUITE, "bob");
    bob_kp.store_as(&p, b"bob").unwrap();
    let r = cohort::group::key_package_ref(&cs(&p, SUITE), &bob_kp.key_package).unwrap();
    let key = cohort::group::key_package_key(b"bob", &r).unwrap();
    let record = p
        .storage
        .get(RecordKind::KeyPackage, &key)
        .unwrap()
        .unwrap();
    write(&format!("keypackage.{}", hex::encode(&key)), &record);
    let d = &mut ms[2];
    let b = d.group.commit().add_member(bob_kp.key_package.clone());
    let (out, staged) = d.group.create_commit(&p, &d.signer, b).unwrap();
    d.group.merge_staged_commit(staged).unwrap();
    write("welcome.bin", &encode(&out.welcome.unwrap()).unwrap());
    write_hex("bob_authenticator.hex", d.group.epoch_authenticator());
}
