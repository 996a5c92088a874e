//! The SQLite backend: atomic batches, persistence across reopening,
//! migrations, use from several threads, and deleted records wiped from
//! the database file and its write-ahead log.

use cohort_sqlite_storage::{SCHEMA_VERSION, SqliteStorage};
use cohort_traits::{RecordKind, Storage, StorageError, StorageOp};
use std::collections::HashSet;
use std::sync::Arc;

fn put(kind: RecordKind, key: &[u8], value: &[u8]) -> StorageOp {
    StorageOp::Put {
        kind,
        key: key.to_vec(),
        value: value.to_vec(),
    }
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cohort-sqlite-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.db")
}

#[test]
fn records_survive_reopening() {
    let path = temp_db("reopen");
    {
        let s = SqliteStorage::open(&path).unwrap();
        s.apply(&[
            put(RecordKind::GroupState, b"g1", b"state"),
            put(RecordKind::PastEpoch, b"g1/3", b"old"),
        ])
        .unwrap();
    }
    let s = SqliteStorage::open(&path).unwrap();
    assert_eq!(
        s.get(RecordKind::GroupState, b"g1").unwrap(),
        Some(b"state".to_vec())
    );
    assert_eq!(
        s.get(RecordKind::PastEpoch, b"g1/3").unwrap(),
        Some(b"old".to_vec())
    );
    assert_eq!(
        s.get(RecordKind::Psk, b"g1").unwrap(),
        None,
        "kinds are separate key spaces"
    );
    s.apply(&[StorageOp::Delete {
        kind: RecordKind::PastEpoch,
        key: b"g1/3".to_vec(),
    }])
    .unwrap();
    assert_eq!(s.count(RecordKind::PastEpoch).unwrap(), 0);
    assert_eq!(
        s.keys(RecordKind::GroupState).unwrap(),
        vec![b"g1".to_vec()]
    );
}

#[test]
fn a_failing_batch_applies_nothing() {
    // Make the second write of a batch fail: a trigger refuses one key.
    // Any backend error inside the transaction rolls back the whole batch.
    let path = temp_db("atomic");
    let s = SqliteStorage::open(&path).unwrap();
    s.apply(&[put(RecordKind::GroupState, b"g", b"epoch 1")])
        .unwrap();
    drop(s);
    {
        let conn = rusqlite_conn(&path);
        conn.execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.key = X'626164'
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        )
        .unwrap();
    }
    let s = SqliteStorage::open(&path).unwrap();
    let err = s
        .apply(&[
            put(RecordKind::GroupState, b"g", b"epoch 2"),
            put(RecordKind::PastEpoch, b"bad", b"x"),
        ])
        .unwrap_err();
    assert!(matches!(err, StorageError::Backend(_)));
    assert_eq!(
        s.get(RecordKind::GroupState, b"g").unwrap(),
        Some(b"epoch 1".to_vec())
    );
}

fn rusqlite_conn(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn newer_schema_is_refused() {
    let path = temp_db("newer");
    drop(SqliteStorage::open(&path).unwrap());
    rusqlite_conn(&path)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    assert_eq!(
        SqliteStorage::open(&path).unwrap_err(),
        StorageError::UnsupportedVersion(u16::try_from(SCHEMA_VERSION + 1).unwrap())
    );
}

#[test]
fn in_memory_database_works() {
    let s = SqliteStorage::open_in_memory().unwrap();
    s.apply(&[put(RecordKind::Psk, b"id", b"psk")]).unwrap();
    assert_eq!(
        s.get(RecordKind::Psk, b"id").unwrap(),
        Some(b"psk".to_vec())
    );
}

#[test]
fn usable_from_several_threads() {
    let s = Arc::new(SqliteStorage::open(temp_db("threads")).unwrap());
    let handles: Vec<_> = (0..4u8)
        .map(|t| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                for i in 0..25u8 {
                    s.apply(&[put(RecordKind::KeyPackage, &[t, i], &[i])])
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(s.count(RecordKind::KeyPackage).unwrap(), 100);
}

/// A deterministic byte stream (xorshift64*), so a failure reproduces.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn fill(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Every 16-byte window of the database file, its log and its shared
/// memory file (those that exist), by file suffix.
fn windows(path: &std::path::Path) -> Vec<(&'static str, HashSet<[u8; 16]>)> {
    ["", "-wal", "-shm"]
        .into_iter()
        .filter_map(|suffix| {
            let mut p = path.as_os_str().to_owned();
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

/// The file (by suffix) holding the first or last 16 bytes of `secret`
/// (a 32-byte secret split across two pages keeps one of them whole).
fn holder(files: &[(&'static str, HashSet<[u8; 16]>)], secret: &[u8]) -> Option<&'static str> {
    let first = <[u8; 16]>::try_from(&secret[..16]).unwrap();
    let last = <[u8; 16]>::try_from(&secret[secret.len() - 16..]).unwrap();
    files
        .iter()
        .find(|(_, set)| set.contains(&first) || set.contains(&last))
        .map(|(suffix, _)| *suffix)
}

fn wal_len(path: &std::path::Path) -> u64 {
    let mut p = path.as_os_str().to_owned();
    p.push("-wal");
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Records of varied sizes (inline in a b-tree page, or spilling into
/// overflow pages) are written, replaced and deleted over many batches,
/// splitting and merging pages; after every batch no deleted or replaced
/// secret is in any file while every live one is.
#[test]
fn deleted_and_replaced_values_leave_no_bytes() {
    let path = temp_db("secure-delete");
    let s = SqliteStorage::open(&path).unwrap();
    let mut rng = Bytes(0x9e37_79b9_7f4a_7c15);
    // key -> the secrets its current value holds.
    let mut live: std::collections::BTreeMap<Vec<u8>, Vec<Vec<u8>>> = Default::default();
    let mut dead: Vec<Vec<u8>> = Vec::new();
    let value = |rng: &mut Bytes| -> (Vec<u8>, Vec<Vec<u8>>) {
        let len = 64 + (rng.next() % 6000) as usize;
        let mut v = vec![0x5a; len];
        let secrets: Vec<Vec<u8>> = (0..len / 200 + 1).map(|_| rng.fill(32)).collect();
        let step = len / secrets.len();
        for (i, secret) in secrets.iter().enumerate() {
            let at = (i * step).min(len - 32);
            v[at..at + 32].copy_from_slice(secret);
        }
        (v, secrets)
    };
    for round in 0..100u64 {
        let mut batch = Vec::new();
        for _ in 0..1 + rng.next() % 6 {
            let key = (rng.next() % 40).to_be_bytes().to_vec();
            if rng.next().is_multiple_of(3) {
                batch.push(StorageOp::Delete {
                    kind: RecordKind::PastEpoch,
                    key: key.clone(),
                });
                if let Some(old) = live.remove(&key) {
                    dead.extend(old);
                }
            } else if !batch
                .iter()
                .any(|op| matches!(op, StorageOp::Put { key: k, .. } if *k == key))
            {
                let (v, secrets) = value(&mut rng);
                batch.push(put(RecordKind::PastEpoch, &key, &v));
                if let Some(old) = live.insert(key, secrets) {
                    dead.extend(old);
                }
            }
        }
        s.apply(&batch).unwrap();
        let files = windows(&path);
        for secret in &dead {
            if let Some(file) = holder(&files, secret) {
                panic!("round {round}: a deleted secret survives in state.db{file}");
            }
        }
        for secret in live.values().flatten() {
            assert!(
                holder(&files, secret).is_some(),
                "round {round}: a live secret is missing"
            );
        }
    }
    assert!(dead.len() > 100, "{} secrets deleted", dead.len());
    assert!(!live.is_empty());
}

/// A batch that only inserts leaves its frames in the log; one that
/// deletes or replaces truncates the log to zero bytes, as does
/// `truncate_wal`.
#[test]
fn the_log_is_truncated_after_deletes_and_replacements() {
    let path = temp_db("truncate");
    let s = SqliteStorage::open(&path).unwrap();
    assert_eq!(wal_len(&path), 0, "opening truncates the log");
    s.apply(&[put(RecordKind::KeyPackage, b"a", b"first")])
        .unwrap();
    assert!(wal_len(&path) > 0, "an insert stays in the log");
    s.apply(&[put(RecordKind::KeyPackage, b"a", b"second")])
        .unwrap();
    assert_eq!(wal_len(&path), 0, "a replacement truncates it");
    s.apply(&[put(RecordKind::KeyPackage, b"b", b"third")])
        .unwrap();
    assert!(wal_len(&path) > 0);
    s.apply(&[StorageOp::Delete {
        kind: RecordKind::KeyPackage,
        key: b"b".to_vec(),
    }])
    .unwrap();
    assert_eq!(wal_len(&path), 0, "a deletion truncates it");
    // Deleting what is not there wipes nothing and keeps the log.
    s.apply(&[put(RecordKind::KeyPackage, b"c", b"fourth")])
        .unwrap();
    s.apply(&[StorageOp::Delete {
        kind: RecordKind::KeyPackage,
        key: b"absent".to_vec(),
    }])
    .unwrap();
    assert!(wal_len(&path) > 0);
    s.truncate_wal().unwrap();
    assert_eq!(wal_len(&path), 0);
    assert_eq!(
        s.get(RecordKind::KeyPackage, b"a").unwrap(),
        Some(b"second".to_vec())
    );
    assert_eq!(
        s.keys(RecordKind::KeyPackage).unwrap(),
        vec![b"a".to_vec(), b"c".to_vec()]
    );
}

/// A failed batch truncates the log too: the pages its rolled-back writes
/// spilled there go with it.
#[test]
fn a_failing_batch_truncates_the_log() {
    let path = temp_db("failing-truncate");
    let s = SqliteStorage::open(&path).unwrap();
    s.apply(&[put(RecordKind::GroupState, b"g", b"kept")])
        .unwrap();
    drop(s);
    rusqlite_conn(&path)
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.key = X'626164'
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        )
        .unwrap();
    let s = SqliteStorage::open(&path).unwrap();
    s.apply(&[put(RecordKind::Psk, b"p", b"inserted")]).unwrap();
    assert!(wal_len(&path) > 0);
    let big = vec![0x33; 1 << 20];
    s.apply(&[
        put(RecordKind::Psk, b"q", &big),
        put(RecordKind::Psk, b"bad", b"x"),
    ])
    .unwrap_err();
    assert_eq!(wal_len(&path), 0);
    assert_eq!(s.get(RecordKind::Psk, b"q").unwrap(), None);
    assert_eq!(
        s.get(RecordKind::Psk, b"p").unwrap(),
        Some(b"inserted".to_vec())
    );
}

/// A version 1 database (values kept unpadded in their cells) is moved to
/// the padded table: its records read back, and a record deleted after the
/// migration leaves no bytes behind, from either table.
#[test]
fn version_1_database_is_migrated() {
    let path = temp_db("v1");
    let mut rng = Bytes(7);
    let (kept, gone) = (rng.fill(32), rng.fill(32));
    {
        let conn = rusqlite_conn(&path);
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch(
            "CREATE TABLE records (
                 kind INTEGER NOT NULL,
                 key BLOB NOT NULL,
                 value BLOB NOT NULL,
                 PRIMARY KEY (kind, key)
             ) WITHOUT ROWID;
             PRAGMA user_version = 1;",
        )
        .unwrap();
        for (kind, key, value) in [(1, b"g", &kept), (2, b"e", &gone)] {
            conn.execute(
                "INSERT INTO records (kind, key, value) VALUES (?1, ?2, ?3)",
                rusqlite::params![kind, key, value],
            )
            .unwrap();
        }
    }
    let s = SqliteStorage::open(&path).unwrap();
    let version: i64 = rusqlite_conn(&path)
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(
        s.get(RecordKind::GroupState, b"g").unwrap(),
        Some(kept.clone())
    );
    assert_eq!(
        s.get(RecordKind::PastEpoch, b"e").unwrap(),
        Some(gone.clone())
    );
    s.apply(&[StorageOp::Delete {
        kind: RecordKind::PastEpoch,
        key: b"e".to_vec(),
    }])
    .unwrap();
    let files = windows(&path);
    assert_eq!(holder(&files, &gone), None);
    assert_eq!(holder(&files, &kept), Some(""));
}

#[test]
fn keys_are_listed_by_kind_and_prefix() {
    let s = SqliteStorage::open(temp_db("list-keys")).unwrap();
    s.apply(&[
        put(RecordKind::GroupState, b"ab", b"1"),
        put(RecordKind::GroupState, b"ab\xff\x00", b"1"),
        put(RecordKind::GroupState, b"ac", b"1"),
        put(RecordKind::Tree, b"abd", b"1"),
        put(RecordKind::GroupState, b"a", b"1"),
    ])
    .unwrap();
    assert_eq!(
        s.list_keys(RecordKind::GroupState, b"ab").unwrap(),
        vec![b"ab".to_vec(), b"ab\xff\x00".to_vec()]
    );
    assert_eq!(s.list_keys(RecordKind::GroupState, b"").unwrap().len(), 4);
    assert_eq!(
        s.list_keys(RecordKind::Tree, b"ab").unwrap(),
        vec![b"abd".to_vec()]
    );
    assert!(s.list_keys(RecordKind::Psk, b"").unwrap().is_empty());
    // Prefixes ending in 0xff bytes (the range ends at "b\x00"... "c"),
    // and one of only 0xff bytes (no end: to the end of the kind).
    s.apply(&[
        put(RecordKind::Psk, b"b\xfe", b"1"),
        put(RecordKind::Psk, b"b\xff", b"1"),
        put(RecordKind::Psk, b"b\xff\xff\x01", b"1"),
        put(RecordKind::Psk, b"c", b"1"),
        put(RecordKind::Psk, b"\xff\xff", b"1"),
        put(RecordKind::Psk, b"\xff\xff\xff", b"1"),
    ])
    .unwrap();
    assert_eq!(
        s.list_keys(RecordKind::Psk, b"b\xff").unwrap(),
        vec![b"b\xff".to_vec(), b"b\xff\xff\x01".to_vec()]
    );
    assert_eq!(
        s.list_keys(RecordKind::Psk, b"b\xff\xff").unwrap(),
        vec![b"b\xff\xff\x01".to_vec()]
    );
    assert_eq!(
        s.list_keys(RecordKind::Psk, b"\xff\xff").unwrap(),
        vec![b"\xff\xff".to_vec(), b"\xff\xff\xff".to_vec()]
    );
}
