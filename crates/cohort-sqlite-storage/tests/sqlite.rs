//! The SQLite backend: atomic batches, persistence across reopening,
//! migrations, and use from several threads.

use cohort_sqlite_storage::{SCHEMA_VERSION, SqliteStorage};
use cohort_traits::{RecordKind, Storage, StorageError, StorageOp};
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
