//! What each state change writes (`Group::save_changes_as`): one small
//! sender-ratchet record for a message read, the whole group for a new
//! epoch, and a member's own generations reserved in blocks before a
//! message leaves, so a restart never reuses one.

mod group_common;

use cohort::group::{Group, RESERVED_GENERATIONS, sender_ratchets_key};
use cohort::tree::math::LeafIndex;
use cohort_memory_storage::MemoryStorage;
use cohort_traits::{RecordKind, Storage, StorageError, StorageOp};
use group_common::*;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Memory storage that keeps the batches it applied.
#[derive(Default)]
struct Recording {
    inner: MemoryStorage,
    batches: Mutex<Vec<Vec<(RecordKind, bool)>>>,
}

impl Recording {
    /// The (kind, is a put) of every operation of the batches since the
    /// last call.
    fn take(&self) -> Vec<Vec<(RecordKind, bool)>> {
        std::mem::take(&mut *self.batches.lock().unwrap())
    }

    /// Every record, by kind and key.
    fn all(&self) -> BTreeMap<(RecordKind, Vec<u8>), Vec<u8>> {
        let mut out = BTreeMap::new();
        for kind in GROUP_RECORD_KINDS {
            for key in self.inner.list_keys(kind, b"").unwrap() {
                let v = self.inner.get(kind, &key).unwrap().unwrap();
                out.insert((kind, key), v);
            }
        }
        out
    }
}

impl Storage for Recording {
    fn get(&self, kind: RecordKind, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(kind, key)
    }

    fn apply(&self, batch: &[StorageOp]) -> Result<(), StorageError> {
        self.batches.lock().unwrap().push(
            batch
                .iter()
                .map(|op| match op {
                    StorageOp::Put { kind, .. } => (*kind, true),
                    StorageOp::Delete { kind, .. } => (*kind, false),
                })
                .collect(),
        );
        self.inner.apply(batch)
    }

    fn list_keys(&self, kind: RecordKind, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StorageError> {
        self.inner.list_keys(kind, prefix)
    }
}

type Store = cohort_traits::ProviderBundle<
    cohort_rust_crypto::RustCrypto,
    cohort_rust_crypto::SeededRand,
    Recording,
>;

fn store(seed: u64) -> Store {
    cohort_traits::ProviderBundle::new(
        cohort_rust_crypto::RustCrypto::new(),
        cohort_rust_crypto::SeededRand::from_u64(seed),
        Recording::default(),
    )
}

/// The generation a stored sender-ratchet record's ratchet of `kind`
/// (0 handshake, 1 application) resumes at.
fn stored_generation(record: &[u8], kind: usize) -> u32 {
    // Header (10 bytes); per ratchet: bytes secret (1 + 32), u32
    // generation, len skipped (0 for own ratchets).
    let mut at = 10;
    for _ in 0..kind {
        at += 1 + 32 + 4 + 1;
    }
    at += 1 + 32;
    u32::from_be_bytes(record[at..at + 4].try_into().unwrap())
}

#[test]
fn reading_a_message_writes_one_sender_ratchet_record() {
    let p = provider(1);
    let mut ms = group(&p, &["alice", "bob", "carol"]);
    let s = store(2);
    let bob = &mut ms[1].group;
    bob.save_changes_as(&s, b"bob").unwrap();
    assert_eq!(
        s.storage.take().len(),
        1,
        "a new group writes everything once"
    );
    bob.save_changes_as(&s, b"bob").unwrap();
    assert!(
        s.storage.take().is_empty(),
        "nothing changed, nothing written"
    );

    // The first message from alice derives her ratchets from the secret
    // tree's nodes: the nodes and her ratchets. The second only her
    // ratchets.
    for (i, expected) in [(0, 2), (1, 1)] {
        let m = {
            let a = &mut ms[0];
            a.group.encrypt(&p, &a.signer, b"hi", b"").unwrap()
        };
        let bob = &mut ms[1].group;
        let before = s.storage.all();
        bob.process(&p, &m).unwrap();
        bob.save_changes_as(&s, b"bob").unwrap();
        let batches = s.storage.take();
        assert_eq!(batches.len(), 1, "message {i}: one batch");
        assert_eq!(batches[0].len(), expected, "message {i}: {:?}", batches[0]);
        let after = s.storage.all();
        let changed: Vec<RecordKind> = after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(*v))
            .map(|((kind, _), _)| *kind)
            .collect();
        assert!(changed.contains(&RecordKind::SenderRatchets));
        assert!(
            changed
                .iter()
                .all(|k| matches!(k, RecordKind::SenderRatchets | RecordKind::SecretTree)),
            "{changed:?}"
        );
        // What was written loads back to the state in memory.
        let loaded = Group::load_as(&s, b"bob", bob.group_id()).unwrap().unwrap();
        assert_eq!(snapshot(&loaded), snapshot(bob));
    }

    // A commit writes the whole group and removes the old epoch's secret
    // tree records.
    commit_all(&p, &mut ms, 0, |g| g.commit().force_path(true));
    let bob = &mut ms[1].group;
    bob.save_changes_as(&s, b"bob").unwrap();
    let batches = s.storage.take();
    assert_eq!(batches.len(), 1);
    assert!(batches[0].contains(&(RecordKind::SecretTree, false)));
    assert!(batches[0].contains(&(RecordKind::SenderRatchets, false)));
    let loaded = Group::load_as(&s, b"bob", bob.group_id()).unwrap().unwrap();
    assert_eq!(snapshot(&loaded), snapshot(bob));
}

#[test]
fn own_generations_are_reserved_in_blocks_before_sending() {
    let p = provider(3);
    let mut ms = group(&p, &["alice", "bob"]);
    let s = store(4);
    let id = ms[0].group.group_id().to_vec();
    ms[0].group.save_changes_as(&s, b"alice").unwrap();
    s.storage.take();
    let key = sender_ratchets_key(b"alice", &id, ms[0].group.epoch(), 0).unwrap();
    let mut sent = Vec::new();
    for i in 0..=RESERVED_GENERATIONS + 1 {
        let a = &mut ms[0];
        sent.push(a.group.encrypt(&p, &a.signer, b"m", b"").unwrap());
        a.group.save_changes_as(&s, b"alice").unwrap();
        let writes = s.storage.take();
        // Sending generation 0 stores the ratchet at 33: generations up
        // to 32 go out without a write, 33 reserves the next block.
        let reserving = i == 0 || i == RESERVED_GENERATIONS + 1;
        assert_eq!(writes.len(), usize::from(reserving), "message {i}");
        if reserving {
            let record = s
                .storage
                .get(RecordKind::SenderRatchets, &key)
                .unwrap()
                .unwrap();
            assert_eq!(stored_generation(&record, 1), i + 1 + RESERVED_GENERATIONS);
        }
    }
    for m in &sent {
        ms[1].group.process(&p, m).unwrap();
    }
    // A restart from storage resumes past every generation used: bob
    // accepts its next message (a gap, no reuse).
    let mut restarted = Group::load_as(&s, b"alice", &id).unwrap().unwrap();
    assert_eq!(restarted.own_leaf(), LeafIndex(0));
    let m = restarted.encrypt(&p, &ms[0].signer, b"after", b"").unwrap();
    match ms[1].group.process(&p, &m).unwrap() {
        cohort::group::ProcessedMessage::Application { data, .. } => assert_eq!(data, b"after"),
        other => panic!("{other:?}"),
    }
}
