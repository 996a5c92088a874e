//! The SQLite backend: one file in WAL mode with `synchronous=FULL` (a
//! committed transaction survives a crash of the process or the machine),
//! one writer connection and one reader connection, each used on a
//! blocking thread.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::watch;

use super::{
    Append, Appended, GroupRow, InboxEntry, NewKeyPackage, Registered, Store, StoreError,
    StoreResult, schema, to_i64, to_u64,
};
use crate::view::ViewMember;

/// See the module documentation.
#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    changes: Arc<watch::Sender<u64>>,
}

fn open(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (and creates) the database file.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let writer = open(path)?;
        writer.execute_batch(&schema(
            "BLOB",
            "INTEGER",
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "INTEGER",
        ))?;
        let reader = open(path)?;
        Ok(SqliteStore {
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
            changes: Arc::new(watch::channel(0).0),
        })
    }

    async fn with<T: Send + 'static>(
        conn: &Arc<Mutex<Connection>>,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let conn = Arc::clone(conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StoreError("a database thread panicked".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError(format!("database task: {e}")))?
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        Self::with(&self.writer, move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        Self::with(&self.reader, move |c| f(c)).await
    }
}

fn write_members(
    tx: &rusqlite::Transaction<'_>,
    group_id: &[u8],
    members: &[ViewMember],
) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM group_members WHERE group_id = ?1",
        params![group_id],
    )?;
    let mut stmt = tx.prepare(
        "INSERT INTO group_members (group_id, signature_key, leaf_index, identity) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for m in members {
        stmt.execute(params![group_id, m.signature_key, m.leaf_index, m.identity])?;
    }
    Ok(())
}

fn next_seq(tx: &rusqlite::Transaction<'_>) -> StoreResult<u64> {
    let v: i64 = tx.query_row(
        "UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value",
        [],
        |r| r.get(0),
    )?;
    to_u64(v)
}

/// A stored message: its group, kind, bytes and, for messages (not
/// Welcomes), digest and resulting epoch.
struct Row<'a> {
    group_id: &'a [u8],
    kind: &'a str,
    data: &'a [u8],
    digest: Option<(&'a [u8], i64)>,
}

fn deliver(
    tx: &rusqlite::Transaction<'_>,
    row: Row<'_>,
    recipients: &[Vec<u8>],
) -> StoreResult<u64> {
    let seq = next_seq(tx)?;
    let s = to_i64(seq)?;
    tx.execute(
        "INSERT INTO messages (seq, group_id, kind, data, digest, epoch) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![s, row.group_id, row.kind, row.data, row.digest.map(|d| d.0), row.digest.map(|d| d.1)],
    )?;
    let mut stmt = tx.prepare("INSERT OR IGNORE INTO inbox (recipient, seq) VALUES (?1, ?2)")?;
    for r in recipients {
        stmt.execute(params![r, s])?;
    }
    Ok(seq)
}

impl Store for SqliteStore {
    async fn put_challenge(
        &self,
        challenge: Vec<u8>,
        signature_key: Vec<u8>,
        suite: u16,
        expires: i64,
    ) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute("DELETE FROM challenges WHERE expires < ?1", params![expires - 3600])?;
            tx.execute(
                "INSERT INTO challenges (challenge, signature_key, suite, expires) VALUES (?1, ?2, ?3, ?4)",
                params![challenge, signature_key, suite, expires],
            )?;
            Ok(())
        })
        .await
    }

    async fn take_challenge(
        &self,
        challenge: Vec<u8>,
        signature_key: Vec<u8>,
        suite: u16,
        now: i64,
    ) -> StoreResult<bool> {
        self.write(move |tx| {
            let row: Option<(Vec<u8>, u16, i64)> = tx
                .query_row(
                    "DELETE FROM challenges WHERE challenge = ?1 RETURNING signature_key, suite, expires",
                    params![challenge],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            Ok(matches!(row, Some((k, s, e)) if k == signature_key && s == suite && e >= now))
        })
        .await
    }

    async fn put_token(
        &self,
        token_hash: Vec<u8>,
        signature_key: Vec<u8>,
        suite: u16,
        expires: i64,
    ) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute("DELETE FROM tokens WHERE expires < ?1", params![expires - 86_400])?;
            tx.execute(
                "INSERT INTO tokens (token_hash, signature_key, suite, expires) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, signature_key, suite, expires],
            )?;
            Ok(())
        })
        .await
    }

    async fn token(&self, token_hash: Vec<u8>, now: i64) -> StoreResult<Option<(Vec<u8>, u16)>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT signature_key, suite FROM tokens WHERE token_hash = ?1 AND expires >= ?2",
                params![token_hash, now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
        .await
    }

    async fn register(&self, signature_key: Vec<u8>, identity: String) -> StoreResult<Registered> {
        self.write(move |tx| {
            let n = tx.execute(
                "INSERT INTO clients (signature_key, identity) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![signature_key, identity],
            )?;
            if n == 1 {
                return Ok(Registered::Created);
            }
            let same: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM clients WHERE signature_key = ?1 AND identity = ?2",
                    params![signature_key, identity],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(if same.is_some() { Registered::Same } else { Registered::Taken })
        })
        .await
    }

    async fn identity_of(&self, signature_key: Vec<u8>) -> StoreResult<Option<String>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT identity FROM clients WHERE signature_key = ?1",
                params![signature_key],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }

    async fn store_key_packages(
        &self,
        owner: Vec<u8>,
        identity: String,
        suite: u16,
        key_packages: Vec<NewKeyPackage>,
        max: u64,
    ) -> StoreResult<Option<u64>> {
        self.write(move |tx| {
            let held: i64 = tx.query_row(
                "SELECT COUNT(*) FROM key_packages WHERE owner = ?1",
                params![owner],
                |r| r.get(0),
            )?;
            let count = key_packages.len() as u64;
            if to_u64(held)?.saturating_add(count) > max {
                return Ok(None);
            }
            for kp in &key_packages {
                tx.execute(
                    "INSERT INTO key_packages (owner, identity, suite, reference, data, last_resort)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![owner, identity, suite, kp.reference, kp.data, kp.last_resort],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO key_package_refs (reference, owner) VALUES (?1, ?2)",
                    params![kp.reference, owner],
                )?;
            }
            Ok(Some(count))
        })
        .await
    }

    async fn take_key_package(&self, identity: String, suite: u16) -> StoreResult<Option<Vec<u8>>> {
        self.write(move |tx| {
            let ordinary: Option<Vec<u8>> = tx
                .query_row(
                    "DELETE FROM key_packages WHERE id = (SELECT id FROM key_packages
                       WHERE identity = ?1 AND suite = ?2 AND last_resort = 0 ORDER BY id LIMIT 1)
                     RETURNING data",
                    params![identity, suite],
                    |r| r.get(0),
                )
                .optional()?;
            if ordinary.is_some() {
                return Ok(ordinary);
            }
            Ok(tx
                .query_row(
                    "SELECT data FROM key_packages WHERE identity = ?1 AND suite = ?2 AND last_resort = 1
                     ORDER BY id DESC LIMIT 1",
                    params![identity, suite],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn key_package_owners(&self, references: Vec<Vec<u8>>) -> StoreResult<Vec<Vec<u8>>> {
        self.read(move |c| {
            let mut stmt = c.prepare("SELECT owner FROM key_package_refs WHERE reference = ?1")?;
            let mut out = Vec::new();
            for r in &references {
                if let Some(owner) = stmt
                    .query_row(params![r], |row| row.get::<_, Vec<u8>>(0))
                    .optional()?
                {
                    out.push(owner);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn create_group(
        &self,
        group_id: Vec<u8>,
        epoch: u64,
        state: Vec<u8>,
        group_info: Vec<u8>,
        members: Vec<ViewMember>,
    ) -> StoreResult<bool> {
        self.write(move |tx| {
            let n = tx.execute(
                "INSERT INTO groups (group_id, epoch, state, group_info) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                params![group_id, to_i64(epoch)?, state, group_info],
            )?;
            if n == 0 {
                return Ok(false);
            }
            write_members(tx, &group_id, &members)?;
            Ok(true)
        })
        .await
    }

    async fn group(&self, group_id: Vec<u8>) -> StoreResult<Option<GroupRow>> {
        self.read(move |c| {
            type Columns = (i64, Vec<u8>, Option<Vec<u8>>, i64);
            let row: Option<Columns> = c
                .query_row(
                    "SELECT epoch, state, group_info, version FROM groups WHERE group_id = ?1",
                    params![group_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            row.map(|(epoch, state, group_info, version)| {
                Ok(GroupRow {
                    epoch: to_u64(epoch)?,
                    state,
                    group_info,
                    version: to_u64(version)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn members(&self, group_id: Vec<u8>) -> StoreResult<Vec<ViewMember>> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT leaf_index, identity, signature_key FROM group_members WHERE group_id = ?1
                 ORDER BY leaf_index",
            )?;
            let rows = stmt.query_map(params![group_id], |r| {
                Ok(ViewMember {
                    leaf_index: r.get(0)?,
                    identity: r.get(1)?,
                    signature_key: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn find_message(
        &self,
        group_id: Vec<u8>,
        digest: Vec<u8>,
    ) -> StoreResult<Option<(u64, u64)>> {
        self.read(move |c| {
            let row: Option<(i64, i64)> = c
                .query_row(
                    "SELECT seq, epoch FROM messages WHERE group_id = ?1 AND digest = ?2",
                    params![group_id, digest],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            row.map(|(s, e)| Ok((to_u64(s)?, to_u64(e)?))).transpose()
        })
        .await
    }

    async fn append(&self, append: Append) -> StoreResult<Appended> {
        let out = self
            .write(move |tx| {
                if let Some(change) = &append.change {
                    let n = tx.execute(
                        "UPDATE groups SET state = ?1, epoch = ?2, version = version + 1 WHERE group_id = ?3 AND version = ?4",
                        params![
                            change.state,
                            to_i64(change.epoch)?,
                            append.group_id,
                            to_i64(change.from_version)?
                        ],
                    )?;
                    if n == 0 {
                        return Ok(Appended::EpochMoved);
                    }
                    write_members(tx, &append.group_id, &change.members)?;
                }
                if let Some(gi) = &append.group_info {
                    tx.execute(
                        "UPDATE groups SET group_info = ?1 WHERE group_id = ?2",
                        params![gi, append.group_id],
                    )?;
                }
                let message = Row {
                    group_id: &append.group_id,
                    kind: "message",
                    data: &append.message,
                    digest: Some((&append.digest, to_i64(append.epoch)?)),
                };
                let seq = deliver(tx, message, &append.recipients)?;
                if let Some((welcome, recipients)) = &append.welcome {
                    let row = Row {
                        group_id: &append.group_id,
                        kind: "welcome",
                        data: welcome,
                        digest: None,
                    };
                    deliver(tx, row, recipients)?;
                }
                Ok(Appended::Stored(seq))
            })
            .await?;
        if matches!(out, Appended::Stored(_)) {
            self.changes.send_modify(|v| *v = v.wrapping_add(1));
        }
        Ok(out)
    }

    async fn inbox(
        &self,
        recipient: Vec<u8>,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<InboxEntry>> {
        let after = to_i64(after)?;
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT m.seq, m.group_id, m.kind, m.data FROM inbox i JOIN messages m ON m.seq = i.seq
                 WHERE i.recipient = ?1 AND i.seq > ?2 ORDER BY i.seq LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![recipient, after, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, group_id, kind, data) = row?;
                out.push(InboxEntry {
                    seq: to_u64(seq)?,
                    group_id,
                    kind,
                    data,
                });
            }
            Ok(out)
        })
        .await
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}
