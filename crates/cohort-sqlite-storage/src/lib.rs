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
//!
//! # Deleted secrets
//!
//! The library deletes records as their secrets expire (past epochs beyond
//! `max_past_epochs`, a KeyPackage consumed by a join) and replaces a
//! group's state record at every save, dropping the previous epoch's
//! secrets. This backend keeps those bytes out of its files:
//!
//! - Every connection runs with `PRAGMA secure_delete = ON` (opening fails
//!   if it does not take): SQLite overwrites a deleted row's bytes in its
//!   b-tree page with zeros, and zeroes every page it frees.
//! - `secure_delete` misses one place: when SQLite rebalances a b-tree it
//!   rebuilds pages without clearing their unused space, which keeps stale
//!   copies of the rows moved away, and those copies survive the rows'
//!   deletion. So no value byte is kept in a b-tree cell: each row stores a
//!   run of zeros (`pad`, about a quarter of a page) between its key and
//!   its value, longer than the part of a row SQLite keeps in its cell, so
//!   the whole value lies in overflow pages. Rebalancing moves only cells
//!   (key, zeros, a page number); overflow pages never move and are zeroed
//!   when freed. A put deletes the row it replaces first.
//! - Old page images also sit in the write-ahead log until a checkpoint.
//!   After every batch that deletes or replaces a row, and after a batch
//!   that fails (its rolled-back writes may have reached the log), the
//!   backend runs `PRAGMA wal_checkpoint(TRUNCATE)`: the current pages are
//!   copied into the database file and the `-wal` file is cut to zero
//!   bytes. Opening a database does the same, for what a crash left in the
//!   log. A batch that only inserts (storing a KeyPackage) skips it.
//!
//! Guaranteed, once [`Storage::apply`] has returned: no byte of a deleted
//! or replaced value remains in the database file or in the `-wal` file
//! (the `-shm` file holds an index of the log, never row contents).
//!
//! Not guaranteed:
//!
//! - Copies below the files: blocks the filesystem freed when the log was
//!   truncated are not overwritten, and journaling or copy-on-write
//!   filesystems, snapshots, backups and SSD wear levelling may keep old
//!   data. Full-disk encryption, or SQLCipher with its key kept elsewhere,
//!   covers these.
//! - Memory: the OS page cache, swap, and SQLite's own page cache.
//! - A checkpoint that another connection to the same file blocks (a read
//!   still running after the 5 s busy timeout): [`Storage::apply`] still
//!   succeeds, since its batch is committed, and the log is truncated after
//!   the next batch; [`SqliteStorage::truncate_wal`] reports the failure.
//! - Keys: a row's key (client and group ids, epochs, KeyPackage
//!   references) stays in its cell, so stale copies of the keys of deleted
//!   rows may remain. Keys name records; they hold no secret.
//! - Records that are still live are stored in clear unless the database
//!   is encrypted.
//!
//! Cost. Checkpointing adds fsyncs to nearly every save (each save replaces
//! the group's state record): the checkpoint syncs the log and the
//! database file, and the next commit syncs the restarted log's header,
//! four fsyncs per save instead of one, so on storage with slow fsyncs a
//! save costs several of them; the copying itself is small next to that.
//! `cargo bench -p cohort --bench storage` measures saves and message
//! reads with all of this included (the README's storage table gives its
//! figures for the machine it names). The padding costs space, not
//! time: about a quarter of a page of zeros per record, and every record
//! takes at least one overflow page (4 KiB by default), so a 450-byte
//! KeyPackage record takes about 5 KiB.
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
pub const SCHEMA_VERSION: i64 = 2;

/// Storage in a SQLite database.
#[derive(Debug)]
pub struct SqliteStorage {
    inner: Mutex<Inner>,
}

/// The connection and what the backend knows of its write-ahead log.
#[derive(Debug)]
struct Inner {
    conn: Connection,
    /// Whether the database is a file with a write-ahead log.
    on_disk: bool,
    /// Whether the log may still hold bytes of deleted or replaced records
    /// (a truncation that was blocked or failed), so the next batch
    /// truncates it whatever it writes.
    wal_dirty: bool,
    /// Zero bytes stored before each value, enough to fill the part of a
    /// row kept in its b-tree cell, so every value byte lies in overflow
    /// pages (see the crate documentation).
    pad: i64,
}

/// The least byte string greater than every string that starts with
/// `prefix` (the prefix with trailing 0xff bytes dropped and its last
/// byte incremented); `None` when there is none.
fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let keep = prefix.iter().rposition(|&b| b != 0xff)?;
    let mut end = prefix.get(..=keep)?.to_vec();
    let last = end.last_mut()?;
    *last = last.checked_add(1)?;
    Some(end)
}

fn backend(e: rusqlite::Error) -> StorageError {
    StorageError::Backend(e.to_string())
}

/// The records table of [`SCHEMA_VERSION`] 2. Columns are stored in this
/// order, so `pad` (zeros) comes between the key and the value.
const CREATE_RECORDS: &str = "CREATE TABLE records (
    kind INTEGER NOT NULL,
    key BLOB NOT NULL,
    pad BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;";

/// The padding that pushes every value byte of a row out of its b-tree
/// cell into overflow pages, for pages of `page_size` bytes: at least the
/// most payload a cell of a `WITHOUT ROWID` table keeps in its page
/// (`(usable - 12) * 64 / 255 - 23` bytes, where `usable` is at most the
/// page size). `None` for a page size SQLite does not use.
fn cell_pad(page_size: i64) -> Option<i64> {
    if !(512..=65_536).contains(&page_size) {
        return None;
    }
    page_size.checked_sub(12)?.checked_mul(64)?.checked_div(255)
}

/// The stable number of a record kind in the database.
fn kind_code(kind: RecordKind) -> i64 {
    i64::from(kind.code())
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
        // Deleted and replaced records, and freed pages, are overwritten
        // with zeros; refuse a build where the setting does not take.
        let secure: i64 = conn
            .pragma_update_and_check(None, "secure_delete", true, |r| r.get(0))
            .map_err(backend)?;
        if secure != 1 {
            return Err(StorageError::Backend(
                "PRAGMA secure_delete is not available".into(),
            ));
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        let page_size: i64 = conn
            .pragma_query_value(None, "page_size", |r| r.get(0))
            .map_err(backend)?;
        let pad = cell_pad(page_size)
            .ok_or_else(|| StorageError::Backend(format!("unexpected page size {page_size}")))?;
        let storage = SqliteStorage {
            inner: Mutex::new(Inner {
                conn,
                on_disk,
                wal_dirty: false,
                pad,
            }),
        };
        storage.migrate()?;
        // What a crash or a blocked checkpoint left in the log goes now.
        storage.lock().settle_wal(true);
        Ok(storage)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock happens outside any open
        // transaction's commit, and SQLite rolls back unfinished ones.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Copies the write-ahead log into the database file and truncates it
    /// to zero bytes (`PRAGMA wal_checkpoint(TRUNCATE)`), as
    /// [`Storage::apply`] does after every batch that deletes or replaces
    /// a record. Does nothing for an in-memory database.
    ///
    /// Errors: [`StorageError::Backend`] when another connection to the
    /// same file keeps the checkpoint from completing within the busy
    /// timeout (5 s), or on an I/O failure; the log is then truncated by
    /// the next batch or call that succeeds.
    pub fn truncate_wal(&self) -> Result<(), StorageError> {
        let mut inner = self.lock();
        if !inner.on_disk {
            return Ok(());
        }
        let result = checkpoint_truncate(&inner.conn);
        inner.wal_dirty = result.is_err();
        result
    }

    /// Brings the schema to [`SCHEMA_VERSION`]; refuses a newer database.
    fn migrate(&self) -> Result<(), StorageError> {
        let mut inner = self.lock();
        let version: i64 = inner
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(backend)?;
        if version > SCHEMA_VERSION {
            return Err(StorageError::UnsupportedVersion(
                u16::try_from(version).unwrap_or(u16::MAX),
            ));
        }
        if version == SCHEMA_VERSION {
            // Nothing to write: opening a current database commits nothing.
            return Ok(());
        }
        let pad = inner.pad;
        let tx = inner.conn.transaction().map_err(backend)?;
        if version < 1 {
            tx.execute_batch(CREATE_RECORDS).map_err(backend)?;
        } else if version < 2 {
            // Version 1 kept values in their cells, unpadded: move every
            // record to a padded table; dropping the old one zeroes its
            // pages.
            tx.execute_batch("ALTER TABLE records RENAME TO records_v1;")
                .map_err(backend)?;
            tx.execute_batch(CREATE_RECORDS).map_err(backend)?;
            tx.execute(
                "INSERT INTO records (kind, key, pad, value)
                 SELECT kind, key, zeroblob(?1), value FROM records_v1",
                params![pad],
            )
            .map_err(backend)?;
            tx.execute_batch("DROP TABLE records_v1;")
                .map_err(backend)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(backend)?;
        tx.commit().map_err(backend)
    }

    /// The number of records of `kind`.
    pub fn count(&self, kind: RecordKind) -> Result<u64, StorageError> {
        let inner = self.lock();
        let n: i64 = inner
            .conn
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
        let inner = self.lock();
        let mut stmt = inner
            .conn
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
        let inner = self.lock();
        inner
            .conn
            .query_row(
                "SELECT value FROM records WHERE kind = ?1 AND key = ?2",
                params![kind_code(kind), key],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
    }

    fn list_keys(&self, kind: RecordKind, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StorageError> {
        let inner = self.lock();
        // The keys from the prefix up to (not including) the prefix's
        // successor, the first key that no longer starts with it: an index
        // range scan that stops there. A prefix of only 0xff bytes (or an
        // empty one) has no successor and reads to the end of the kind.
        let kind = kind_code(kind);
        let rows = match prefix_successor(prefix) {
            Some(end) => {
                let mut stmt = inner
                    .conn
                    .prepare(
                        "SELECT key FROM records WHERE kind = ?1 AND key >= ?2 AND key < ?3 \
                         ORDER BY key",
                    )
                    .map_err(backend)?;
                stmt.query_map(params![kind, prefix, end], |r| r.get::<_, Vec<u8>>(0))
                    .map_err(backend)?
                    .collect::<Result<_, _>>()
            }
            None => {
                let mut stmt = inner
                    .conn
                    .prepare("SELECT key FROM records WHERE kind = ?1 AND key >= ?2 ORDER BY key")
                    .map_err(backend)?;
                stmt.query_map(params![kind, prefix], |r| r.get::<_, Vec<u8>>(0))
                    .map_err(backend)?
                    .collect::<Result<_, _>>()
            }
        };
        rows.map_err(backend)
    }

    fn apply(&self, batch: &[StorageOp]) -> Result<(), StorageError> {
        let mut inner = self.lock();
        let pad = inner.pad;
        let result = write_batch(&mut inner.conn, pad, batch);
        // A failed batch may have spilled pages of its rolled-back writes
        // into the log: truncate then too.
        inner.settle_wal(!matches!(result, Ok(false)));
        result.map(|_| ())
    }
}

impl Inner {
    /// Truncates the write-ahead log when `wiped` (the last batch deleted
    /// or replaced a record, or failed) or an earlier truncation did not
    /// complete. A failure is remembered, not reported: the batch before it
    /// is committed, and the next batch tries again.
    fn settle_wal(&mut self, wiped: bool) {
        if self.on_disk && (wiped || self.wal_dirty) {
            self.wal_dirty = checkpoint_truncate(&self.conn).is_err();
        }
    }
}

/// Runs `PRAGMA wal_checkpoint(TRUNCATE)`; an error unless it completed.
fn checkpoint_truncate(conn: &Connection) -> Result<(), StorageError> {
    let blocked: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .map_err(backend)?;
    if blocked != 0 {
        return Err(StorageError::Backend(
            "WAL checkpoint blocked by another connection".into(),
        ));
    }
    Ok(())
}

/// Applies every op of `batch` in one transaction; whether it deleted or
/// replaced a record. A put deletes the record it replaces first, so
/// `secure_delete` wipes the old bytes wherever they lay.
fn write_batch(conn: &mut Connection, pad: i64, batch: &[StorageOp]) -> Result<bool, StorageError> {
    let tx = conn.transaction().map_err(backend)?;
    let mut wiped = false;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO records (kind, key, pad, value) VALUES (?1, ?2, zeroblob(?3), ?4)",
            )
            .map_err(backend)?;
        let mut delete = tx
            .prepare("DELETE FROM records WHERE kind = ?1 AND key = ?2")
            .map_err(backend)?;
        for op in batch {
            match op {
                StorageOp::Put { kind, key, value } => {
                    let code = kind_code(*kind);
                    if delete.execute(params![code, key]).map_err(backend)? > 0 {
                        wiped = true;
                    }
                    insert
                        .execute(params![code, key, pad, value])
                        .map_err(backend)?;
                }
                StorageOp::Delete { kind, key } => {
                    if delete
                        .execute(params![kind_code(*kind), key])
                        .map_err(backend)?
                        > 0
                    {
                        wiped = true;
                    }
                }
            }
        }
    }
    // Dropping the transaction without commit rolls every op back.
    tx.commit().map_err(backend)?;
    Ok(wiped)
}
