//! A SQLite [`Storage`] backend for Cohort, the embedded default.
//!
//! - One table of records keyed by (kind, key); each [`Storage::apply`] batch
//!   runs in one transaction, so a crash leaves either the whole state
//!   change or none of it.
//! - WAL journal mode with `synchronous = FULL`: a committed transaction
//!   survives power loss.
//! - Schema migrations by `PRAGMA user_version`.
//! - Usable from several threads: the connection sits behind a mutex.
//!
//! Secrets at rest (epoch secrets, private keys) are stored as the records
//! the library hands over. Protecting the file is the application's concern:
//! full-disk or file encryption, or the `sqlcipher` feature, which builds
//! SQLCipher and lets [`SqliteStorage::open_encrypted`] key the database.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use cohort_traits::{RecordKind, Storage, StorageError, StorageOp};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = 1;

/// Storage in a SQLite database.
#[derive(Debug)]
pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

fn backend(e: rusqlite::Error) -> StorageError {
    StorageError::Backend(e.to_string())
}

/// The stable number of a record kind in the database.
fn kind_code(kind: RecordKind) -> i64 {
    match kind {
        RecordKind::GroupState => 1,
        RecordKind::PastEpoch => 2,
        RecordKind::KeyPackage => 3,
        RecordKind::Psk => 4,
        RecordKind::SignatureKey => 5,
        _ => 0,
    }
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let conn = Connection::open(path).map_err(backend)?;
        Self::init(conn, true)
    }

    /// An in-memory database (for tests).
    pub fn open_in_memory() -> Result<Self, StorageError> {
        let conn = Connection::open_in_memory().map_err(backend)?;
        Self::init(conn, false)
    }

    /// Opens an encrypted database with SQLCipher.
    #[cfg(feature = "sqlcipher")]
    pub fn open_encrypted(path: impl AsRef<Path>, key: &str) -> Result<Self, StorageError> {
        let conn = Connection::open(path).map_err(backend)?;
        conn.pragma_update(None, "key", key).map_err(backend)?;
        Self::init(conn, true)
    }

    fn init(conn: Connection, on_disk: bool) -> Result<Self, StorageError> {
        if on_disk {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(backend)?;
            conn.pragma_update(None, "synchronous", "FULL")
                .map_err(backend)?;
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        let storage = SqliteStorage {
            conn: Mutex::new(conn),
        };
        storage.migrate()?;
        Ok(storage)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock happens outside any open
        // transaction's commit, and SQLite rolls back unfinished ones.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the schema to [`SCHEMA_VERSION`]; refuses a newer database.
    fn migrate(&self) -> Result<(), StorageError> {
        let mut conn = self.lock();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(backend)?;
        if version > SCHEMA_VERSION {
            return Err(StorageError::UnsupportedVersion(
                u16::try_from(version).unwrap_or(u16::MAX),
            ));
        }
        let tx = conn.transaction().map_err(backend)?;
        if version < 1 {
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS records (
                     kind INTEGER NOT NULL,
                     key BLOB NOT NULL,
                     value BLOB NOT NULL,
                     PRIMARY KEY (kind, key)
                 ) WITHOUT ROWID;",
            )
            .map_err(backend)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(backend)?;
        tx.commit().map_err(backend)
    }

    /// The number of records of `kind`.
    pub fn count(&self, kind: RecordKind) -> Result<u64, StorageError> {
        let conn = self.lock();
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM records WHERE kind = ?1",
                params![kind_code(kind)],
                |r| r.get(0),
            )
            .map_err(backend)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The keys of all records of `kind`, in key order.
    pub fn keys(&self, kind: RecordKind) -> Result<Vec<Vec<u8>>, StorageError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT key FROM records WHERE kind = ?1 ORDER BY key")
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![kind_code(kind)], |r| r.get::<_, Vec<u8>>(0))
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
}

impl Storage for SqliteStorage {
    fn get(&self, kind: RecordKind, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let conn = self.lock();
        conn.query_row(
            "SELECT value FROM records WHERE kind = ?1 AND key = ?2",
            params![kind_code(kind), key],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)
    }

    fn apply(&self, batch: &[StorageOp]) -> Result<(), StorageError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(backend)?;
        {
            let mut put = tx
                .prepare("INSERT OR REPLACE INTO records (kind, key, value) VALUES (?1, ?2, ?3)")
                .map_err(backend)?;
            let mut delete = tx
                .prepare("DELETE FROM records WHERE kind = ?1 AND key = ?2")
                .map_err(backend)?;
            for op in batch {
                match op {
                    StorageOp::Put { kind, key, value } => {
                        put.execute(params![kind_code(*kind), key, value])
                            .map_err(backend)?;
                    }
                    StorageOp::Delete { kind, key } => {
                        delete
                            .execute(params![kind_code(*kind), key])
                            .map_err(backend)?;
                    }
                }
            }
        }
        // Dropping the transaction without commit rolls every op back.
        tx.commit().map_err(backend)
    }
}
