//! Deleted secrets leave the SQLite files: a group runs through several
//! epochs with application messages, every member saved after every change
//! so past epochs expire, and a KeyPackage is consumed by a join from
//! storage. Every secret field of every record written is collected; the
//! database file, its write-ahead log and its shared-memory file then hold
//! none of those that no live record holds any more (overwritten epoch
//! secrets, expired past epochs, the consumed KeyPackage's private keys),
//! while every live one is found, so the scan is shown to see secrets.

mod group_common;

use cohort::framing::MlsMessage;
use cohort::group::{
    Group, GroupConfig, KeyPackageBundle, ProcessedMessage, group_state_key, key_package_ref,
};
use cohort::messages::Extensions;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_sqlite_storage::SqliteStorage;
use cohort_traits::{ProviderBundle, RecordKind, Storage};
use group_common::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

type Store = ProviderBundle<RustCrypto, SeededRand, SqliteStorage>;

/// A directory of its own under the system's temporary directory, removed
/// on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "cohort-sqlite-secrets-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a secret field is, for the assertions on each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    LeafKey,
    PathKey,
    /// One of the nine epoch secrets; 7 is the epoch authenticator, 8 the
    /// init secret.
    Epoch(usize),
    SenderData,
    /// A node secret, ratchet secret or skipped key of a secret tree.
    Tree,
    KeyPackageInit,
    KeyPackageEncryption,
}

/// Reads the fields of a record (layouts in `cohort::group::persist`).
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take(4).try_into().unwrap())
    }

    /// A variable-length header (RFC 9420 section 2.1.2).
    fn len(&mut self) -> usize {
        let first = self.0[0];
        let n = 1usize << (first >> 6);
        assert!(n <= 4, "not a variable-length header");
        let bytes = self.take(n);
        let mut v = usize::from(first & 0x3f);
        for b in &bytes[1..] {
            v = (v << 8) | usize::from(*b);
        }
        v
    }

    fn opaque(&mut self) -> &'a [u8] {
        let n = self.len();
        self.take(n)
    }

    fn secret(&mut self, field: Field, out: &mut Vec<(Field, Vec<u8>)>) {
        let s = self.opaque();
        // Nonces (12 bytes) are too short to search for.
        if s.len() >= 16 {
            out.push((field, s.to_vec()));
        }
    }

    fn ratchet(&mut self, out: &mut Vec<(Field, Vec<u8>)>) {
        self.secret(Field::Tree, out);
        self.u32();
        for _ in 0..self.len() {
            self.u32();
            self.secret(Field::Tree, out);
            self.secret(Field::Tree, out);
        }
    }

    /// A secret tree's size, policy and node secrets.
    fn secret_nodes(&mut self, out: &mut Vec<(Field, Vec<u8>)>) {
        self.take(12);
        for _ in 0..self.len() {
            self.u32();
            self.secret(Field::Tree, out);
        }
    }

    fn secret_tree(&mut self, out: &mut Vec<(Field, Vec<u8>)>) {
        self.secret_nodes(out);
        for _ in 0..self.len() {
            self.u32();
            self.ratchet(out);
            self.ratchet(out);
        }
    }
}

/// The secret fields of a group state record (format 5), up to its epoch
/// secrets.
fn state_secrets(record: &[u8], out: &mut Vec<(Field, Vec<u8>)>) {
    let mut r = Reader(record);
    r.take(2 + 8 + 8);
    let past = r.len();
    r.take(past * 8);
    r.take(2);
    r.opaque(); // GroupContext
    r.take(4 + 4);
    r.secret(Field::LeafKey, out);
    for _ in 0..r.len() {
        r.u32();
        r.secret(Field::PathKey, out);
    }
    for i in 0..9 {
        r.secret(Field::Epoch(i), out);
    }
}

/// The node secrets of a secret-tree record.
fn secret_tree_secrets(record: &[u8], out: &mut Vec<(Field, Vec<u8>)>) {
    let mut r = Reader(record);
    r.take(2 + 8);
    r.secret_nodes(out);
}

/// The ratchet secrets and kept keys of a sender-ratchet record.
fn ratchet_secrets(record: &[u8], out: &mut Vec<(Field, Vec<u8>)>) {
    let mut r = Reader(record);
    r.take(2 + 8);
    r.ratchet(out);
    r.ratchet(out);
}

/// The secret fields of a past-epoch record (all of it but the members).
fn past_epoch_secrets(record: &[u8], out: &mut Vec<(Field, Vec<u8>)>) {
    let mut r = Reader(record);
    r.take(2 + 8 + 8);
    r.opaque(); // GroupContext
    r.secret(Field::SenderData, out);
    r.secret_tree(out);
}

/// Every record of `kind` in `store`.
fn records(store: &Store, kind: RecordKind) -> Vec<Vec<u8>> {
    store
        .storage
        .keys(kind)
        .unwrap()
        .iter()
        .map(|k| store.storage.get(kind, k).unwrap().unwrap())
        .collect()
}

/// Every secret field of the group state and past-epoch records now in
/// `store`.
fn stored_secrets(store: &Store) -> Vec<(Field, Vec<u8>)> {
    let mut out = Vec::new();
    for rec in records(store, RecordKind::GroupState) {
        state_secrets(&rec, &mut out);
    }
    for rec in records(store, RecordKind::SecretTree) {
        secret_tree_secrets(&rec, &mut out);
    }
    for rec in records(store, RecordKind::SenderRatchets) {
        ratchet_secrets(&rec, &mut out);
    }
    for rec in records(store, RecordKind::PastEpoch) {
        past_epoch_secrets(&rec, &mut out);
    }
    out
}

/// The bytes of every record now in `store`.
fn live_records(store: &Store) -> Vec<Vec<u8>> {
    [
        RecordKind::GroupState,
        RecordKind::Tree,
        RecordKind::SecretTree,
        RecordKind::SenderRatchets,
        RecordKind::PastEpoch,
        RecordKind::KeyPackage,
    ]
    .into_iter()
    .flat_map(|kind| records(store, kind))
    .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every 16-byte window of the database file, its log and its
/// shared-memory file (those that exist), by file suffix.
fn windows(db: &Path) -> Vec<(&'static str, HashSet<[u8; 16]>)> {
    ["", "-wal", "-shm"]
        .into_iter()
        .filter_map(|suffix| {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            let bytes = std::fs::read(p).ok()?;
            let set = bytes
                .windows(16)
                .map(|w| <[u8; 16]>::try_from(w).unwrap())
                .collect();
            Some((suffix, set))
        })
        .collect()
}

/// The file (by suffix) holding the first or the last 16 bytes of `secret`
/// (a secret split across two pages keeps one of them whole).
fn holder(files: &[(&'static str, HashSet<[u8; 16]>)], secret: &[u8]) -> Option<&'static str> {
    let first = <[u8; 16]>::try_from(&secret[..16]).unwrap();
    let last = <[u8; 16]>::try_from(&secret[secret.len() - 16..]).unwrap();
    files
        .iter()
        .find(|(_, set)| set.contains(&first) || set.contains(&last))
        .map(|(suffix, _)| *suffix)
}

/// Every secret written, with what it was (the root of a secret tree is
/// also an epoch's encryption secret, a past epoch's sender-data secret
/// was its epoch's first epoch secret).
type Seen = BTreeMap<Vec<u8>, BTreeSet<Field>>;

/// The members' states written to `store` (each as its own client), and
/// every secret field of the records then stored added to `seen`.
fn save_all(store: &Store, members: &[Member], seen: &mut Seen) {
    for m in members {
        m.group.save_as(store, m.name.as_bytes()).unwrap();
    }
    for (field, secret) in stored_secrets(store) {
        seen.entry(secret).or_default().insert(field);
    }
}

/// Every member sends one message, which every other member receives.
fn chat(p: &TestProvider, members: &mut [Member], round: usize) {
    for from in 0..members.len() {
        let data = format!("round {round} from {from}");
        let msg: MlsMessage = {
            let m = &mut members[from];
            m.group.encrypt(p, &m.signer, data.as_bytes(), b"").unwrap()
        };
        for (i, m) in members.iter_mut().enumerate() {
            if i != from {
                match m.group.process(p, &msg).unwrap() {
                    ProcessedMessage::Application { data: got, .. } => {
                        assert_eq!(got, data.as_bytes())
                    }
                    other => panic!("expected an application message, got {other:?}"),
                }
            }
        }
    }
}

/// Epochs with commits (everyone's path renewed in turn) and messages, all
/// saved after every change.
fn run_epochs(
    p: &TestProvider,
    store: &Store,
    members: &mut [Member],
    rounds: std::ops::Range<usize>,
    seen: &mut Seen,
) {
    for round in rounds {
        let who = round % members.len();
        commit_all(p, members, who, |g| g.commit().force_path(true));
        save_all(store, members, seen);
        chat(p, members, round);
        save_all(store, members, seen);
    }
}

#[test]
fn deleted_secrets_leave_no_bytes_in_the_files() {
    let dir = TempDir::new("group");
    let db = dir.0.join("cohort.db");
    let store: Store = ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(901),
        SqliteStorage::open(&db).unwrap(),
    );
    let p = provider(902);
    let config = GroupConfig {
        max_past_epochs: 1,
        ..GroupConfig::default()
    };
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob", "dave", "erin"],
        Extensions::default(),
        config.clone(),
    );
    let mut seen = Seen::new();
    save_all(&store, &members, &mut seen);
    let first_authenticator = members[0].group.epoch_authenticator().to_vec();
    // The reader finds the fields where the layout puts them.
    assert!(seen[&first_authenticator].contains(&Field::Epoch(7)));
    run_epochs(&p, &store, &mut members, 0..3, &mut seen);

    // A KeyPackage kept in storage: its private keys are in the files.
    let (carol_signer, carol_kp) = client(&p, SUITE, "carol");
    carol_kp.store_as(&store, b"carol").unwrap();
    let kp_init = carol_kp.init_private_key.as_bytes().to_vec();
    let kp_encryption = carol_kp.encryption_private_key.as_bytes().to_vec();
    assert_eq!(kp_init.len(), 32);
    let files = windows(&db);
    assert!(holder(&files, &kp_init).is_some(), "the scan sees a key");
    assert!(holder(&files, &kp_encryption).is_some());

    // Alice adds carol, who joins with the stored KeyPackage: the join
    // deletes its record.
    let out = commit_all(&p, &mut members, 0, |g| {
        g.commit().add_member(carol_kp.key_package.clone())
    });
    let carol = Group::join_from_storage_as(
        &store,
        b"carol",
        welcome_of(&out.welcome.unwrap()),
        None,
        BTreeMap::new(),
        config.clone(),
    )
    .unwrap();
    let kp_ref = key_package_ref(&cs(&p, SUITE), &carol_kp.key_package).unwrap();
    assert_eq!(
        KeyPackageBundle::load_as(&store, b"carol", &kp_ref).unwrap(),
        None
    );
    members.push(Member {
        name: "carol".into(),
        signer: carol_signer,
        group: carol,
    });
    save_all(&store, &members, &mut seen);
    // Carol's leaf key is still the KeyPackage's until she commits.
    let carol_state = store
        .storage
        .get(
            RecordKind::GroupState,
            &group_state_key(b"carol", members[4].group.group_id()).unwrap(),
        )
        .unwrap()
        .unwrap();
    assert!(contains(&carol_state, &kp_encryption));
    // Rounds 3 to 17: each member commits three times, carol first at
    // round 4.
    run_epochs(&p, &store, &mut members, 3..18, &mut seen);
    all_agree(&p, &members);
    assert_eq!(members[0].group.epoch(), 20);
    seen.entry(kp_init.clone())
        .or_default()
        .insert(Field::KeyPackageInit);
    seen.entry(kp_encryption.clone())
        .or_default()
        .insert(Field::KeyPackageEncryption);

    // Split what was written into what live records still hold and what
    // they no longer do.
    let live = live_records(&store);
    let (kept, gone): (Vec<_>, Vec<_>) = seen
        .iter()
        .partition(|(secret, _)| live.iter().any(|rec| contains(rec, secret)));
    assert_eq!(
        store.storage.count(RecordKind::PastEpoch).unwrap(),
        5,
        "one past epoch per member"
    );
    // What must be gone is gone from the records: every kind of field.
    let gone_fields: BTreeSet<Field> = gone.iter().flat_map(|(_, f)| f.iter().copied()).collect();
    for field in [
        Field::LeafKey,
        Field::PathKey,
        Field::Epoch(0),
        Field::Epoch(7),
        Field::Epoch(8),
        Field::SenderData,
        Field::Tree,
        Field::KeyPackageInit,
        Field::KeyPackageEncryption,
    ] {
        assert!(gone_fields.contains(&field), "no {field:?} was deleted");
    }
    assert!(gone.iter().any(|(s, _)| **s == first_authenticator));
    let kept_fields: BTreeSet<Field> = kept.iter().flat_map(|(_, f)| f.iter().copied()).collect();
    assert!(kept_fields.contains(&Field::Epoch(8)));
    assert!(kept_fields.contains(&Field::SenderData));

    // While the database is open, and after it is closed (which
    // checkpoints and removes the log), the files hold every live secret
    // and none of the others.
    let scan = |when: &str| {
        let files = windows(&db);
        for (secret, field) in &gone {
            if let Some(file) = holder(&files, secret) {
                panic!("{when}: a deleted {field:?} secret is in cohort.db{file}");
            }
        }
        for (secret, field) in &kept {
            if secret.len() >= 32 {
                assert!(
                    holder(&files, secret).is_some(),
                    "{when}: a live {field:?} secret is not found"
                );
            }
        }
    };
    scan("open");
    drop(store);
    scan("closed");
    assert!(gone.len() > 100, "{} secrets deleted", gone.len());
}
