//! The PostgreSQL backend. Several server processes may use one database:
//! a group's epoch changes with `UPDATE ... WHERE epoch = $from` (the
//! first commit of an epoch wins, the others see the epoch moved), a
//! KeyPackage is consumed with `DELETE ... RETURNING` on a row picked
//! `FOR UPDATE SKIP LOCKED`, and sequence numbers come from a counter row
//! updated last in each transaction, so its lock orders them by commit.
//! Each transaction ends with `NOTIFY cohort_ds`; every node listens and
//! wakes its long polls (which also re-read the database every second, in
//! case the listening connection is down).

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, NoTls, Transaction};

use super::{
    Append, Appended, GroupRow, InboxEntry, NewKeyPackage, Registered, Store, StoreError,
    StoreResult, schema, to_i64, to_u64,
};
use crate::view::ViewMember;

const CHANNEL: &str = "cohort_ds";

/// See the module documentation.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    changes: Arc<watch::Sender<u64>>,
}

fn pool_error(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("postgres pool: {e}"))
}

impl PgStore {
    /// Connects (a pool of `pool_size`), creates the schema and starts
    /// listening for other nodes' messages.
    pub async fn connect(url: &str, pool_size: usize) -> StoreResult<Self> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError(format!("database URL: {e}")))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .build()
            .map_err(pool_error)?;
        {
            let mut client = pool.get().await.map_err(pool_error)?;
            let tx = client.transaction().await?;
            // Nodes starting together create the schema one at a time.
            tx.execute("SELECT pg_advisory_xact_lock(7428001)", &[])
                .await?;
            tx.batch_execute(&schema(
                "BYTEA",
                "BIGINT",
                "BIGSERIAL PRIMARY KEY",
                "BOOLEAN",
            ))
            .await?;
            tx.commit().await?;
        }
        let changes = Arc::new(watch::channel(0).0);
        tokio::spawn(listen(config, Arc::clone(&changes)));
        Ok(PgStore { pool, changes })
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }
}

/// Keeps a connection listening on the channel, reconnecting after a loss.
async fn listen(config: tokio_postgres::Config, changes: Arc<watch::Sender<u64>>) {
    loop {
        if let Ok((client, mut connection)) = config.connect(NoTls).await {
            let bump = Arc::clone(&changes);
            let driver = tokio::spawn(async move {
                while let Some(Ok(message)) =
                    std::future::poll_fn(|cx| connection.poll_message(cx)).await
                {
                    if let AsyncMessage::Notification(_) = message {
                        bump.send_modify(|v| *v = v.wrapping_add(1));
                    }
                }
            });
            if client
                .batch_execute(&format!("LISTEN {CHANNEL}"))
                .await
                .is_ok()
            {
                let _ = driver.await;
            } else {
                driver.abort();
            }
            // A reconnection may have missed notifications.
            changes.send_modify(|v| *v = v.wrapping_add(1));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn write_members(
    tx: &Transaction<'_>,
    group_id: &[u8],
    members: &[ViewMember],
) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM group_members WHERE group_id = $1",
        &[&group_id],
    )
    .await?;
    let stmt = tx
        .prepare("INSERT INTO group_members (group_id, signature_key, leaf_index, identity) VALUES ($1, $2, $3, $4)")
        .await?;
    for m in members {
        let leaf = i64::from(m.leaf_index);
        tx.execute(&stmt, &[&group_id, &m.signature_key, &leaf, &m.identity])
            .await?;
    }
    Ok(())
}

/// A stored message: its group, kind, bytes and, for messages (not
/// Welcomes), digest and resulting epoch.
struct Row<'a> {
    group_id: &'a [u8],
    kind: &'a str,
    data: &'a [u8],
    digest: Option<(&'a [u8], i64)>,
}

async fn deliver(
    tx: &Transaction<'_>,
    seq: i64,
    row: Row<'_>,
    recipients: &[Vec<u8>],
) -> StoreResult<()> {
    let digest = row.digest.map(|d| d.0);
    let epoch = row.digest.map(|d| d.1);
    tx.execute(
        "INSERT INTO messages (seq, group_id, kind, data, digest, epoch) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&seq, &row.group_id, &row.kind, &row.data, &digest, &epoch],
    )
    .await?;
    if !recipients.is_empty() {
        tx.execute(
            "INSERT INTO inbox (recipient, seq) SELECT r, $2 FROM unnest($1::bytea[]) AS r ON CONFLICT DO NOTHING",
            &[&recipients, &seq],
        )
        .await?;
    }
    Ok(())
}

impl Store for PgStore {
    async fn put_challenge(
        &self,
        challenge: Vec<u8>,
        signature_key: Vec<u8>,
        suite: u16,
        expires: i64,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        let old = expires - 3600;
        client
            .execute("DELETE FROM challenges WHERE expires < $1", &[&old])
            .await?;
        client
            .execute(
                "INSERT INTO challenges (challenge, signature_key, suite, expires) VALUES ($1, $2, $3, $4)",
                &[&challenge, &signature_key, &i32::from(suite), &expires],
            )
            .await?;
        Ok(())
    }

    async fn take_challenge(
        &self,
        challenge: Vec<u8>,
        signature_key: Vec<u8>,
        suite: u16,
        now: i64,
    ) -> StoreResult<bool> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "DELETE FROM challenges WHERE challenge = $1 RETURNING signature_key, suite, expires",
                &[&challenge],
            )
            .await?;
        Ok(match row {
            Some(r) => {
                let k: Vec<u8> = r.try_get(0)?;
                let s: i32 = r.try_get(1)?;
                let e: i64 = r.try_get(2)?;
                k == signature_key && s == i32::from(suite) && e >= now
            }
            None => false,
        })
    }

    async fn put_token(
        &self,
        token_hash: Vec<u8>,
        signature_key: Vec<u8>,
        suite: u16,
        expires: i64,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        let old = expires - 86_400;
        client
            .execute("DELETE FROM tokens WHERE expires < $1", &[&old])
            .await?;
        client
            .execute(
                "INSERT INTO tokens (token_hash, signature_key, suite, expires) VALUES ($1, $2, $3, $4)",
                &[&token_hash, &signature_key, &i32::from(suite), &expires],
            )
            .await?;
        Ok(())
    }

    async fn token(&self, token_hash: Vec<u8>, now: i64) -> StoreResult<Option<(Vec<u8>, u16)>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT signature_key, suite FROM tokens WHERE token_hash = $1 AND expires >= $2",
                &[&token_hash, &now],
            )
            .await?;
        match row {
            Some(r) => {
                let suite: i32 = r.try_get(1)?;
                let suite =
                    u16::try_from(suite).map_err(|_| StoreError("suite out of range".into()))?;
                Ok(Some((r.try_get(0)?, suite)))
            }
            None => Ok(None),
        }
    }

    async fn register(&self, signature_key: Vec<u8>, identity: String) -> StoreResult<Registered> {
        let client = self.client().await?;
        let n = client
            .execute(
                "INSERT INTO clients (signature_key, identity) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&signature_key, &identity],
            )
            .await?;
        if n == 1 {
            return Ok(Registered::Created);
        }
        let same = client
            .query_opt(
                "SELECT 1 FROM clients WHERE signature_key = $1 AND identity = $2",
                &[&signature_key, &identity],
            )
            .await?;
        Ok(if same.is_some() {
            Registered::Same
        } else {
            Registered::Taken
        })
    }

    async fn identity_of(&self, signature_key: Vec<u8>) -> StoreResult<Option<String>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT identity FROM clients WHERE signature_key = $1",
                &[&signature_key],
            )
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    async fn store_key_packages(
        &self,
        owner: Vec<u8>,
        identity: String,
        suite: u16,
        key_packages: Vec<NewKeyPackage>,
        max: u64,
    ) -> StoreResult<Option<u64>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // One owner's uploads one at a time, so the limit holds.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(encode($1, 'hex'), 1))",
            &[&owner],
        )
        .await?;
        let held: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM key_packages WHERE owner = $1",
                &[&owner],
            )
            .await?
            .try_get(0)?;
        let count = key_packages.len() as u64;
        if to_u64(held)?.saturating_add(count) > max {
            return Ok(None);
        }
        let suite = i32::from(suite);
        for kp in &key_packages {
            tx.execute(
                "INSERT INTO key_packages (owner, identity, suite, reference, data, last_resort)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &owner,
                    &identity,
                    &suite,
                    &kp.reference,
                    &kp.data,
                    &kp.last_resort,
                ],
            )
            .await?;
            tx.execute(
                "INSERT INTO key_package_refs (reference, owner) VALUES ($1, $2)
                 ON CONFLICT (reference) DO UPDATE SET owner = EXCLUDED.owner",
                &[&kp.reference, &owner],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Some(count))
    }

    async fn take_key_package(&self, identity: String, suite: u16) -> StoreResult<Option<Vec<u8>>> {
        let client = self.client().await?;
        let suite = i32::from(suite);
        let row = client
            .query_opt(
                "DELETE FROM key_packages WHERE id = (SELECT id FROM key_packages
                   WHERE identity = $1 AND suite = $2 AND NOT last_resort ORDER BY id LIMIT 1
                   FOR UPDATE SKIP LOCKED)
                 RETURNING data",
                &[&identity, &suite],
            )
            .await?;
        if let Some(r) = row {
            return Ok(Some(r.try_get(0)?));
        }
        let row = client
            .query_opt(
                "SELECT data FROM key_packages WHERE identity = $1 AND suite = $2 AND last_resort
                 ORDER BY id DESC LIMIT 1",
                &[&identity, &suite],
            )
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    async fn key_package_owners(&self, references: Vec<Vec<u8>>) -> StoreResult<Vec<Vec<u8>>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT owner FROM key_package_refs WHERE reference = ANY($1::bytea[])",
                &[&references],
            )
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    async fn create_group(
        &self,
        group_id: Vec<u8>,
        epoch: u64,
        state: Vec<u8>,
        group_info: Vec<u8>,
        members: Vec<ViewMember>,
    ) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "INSERT INTO groups (group_id, epoch, state, group_info) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&group_id, &to_i64(epoch)?, &state, &group_info],
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        write_members(&tx, &group_id, &members).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn group(&self, group_id: Vec<u8>) -> StoreResult<Option<GroupRow>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT epoch, state, group_info, version FROM groups WHERE group_id = $1",
                &[&group_id],
            )
            .await?;
        match row {
            Some(r) => Ok(Some(GroupRow {
                epoch: to_u64(r.try_get(0)?)?,
                state: r.try_get(1)?,
                group_info: r.try_get(2)?,
                version: to_u64(r.try_get(3)?)?,
            })),
            None => Ok(None),
        }
    }

    async fn members(&self, group_id: Vec<u8>) -> StoreResult<Vec<ViewMember>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT leaf_index, identity, signature_key FROM group_members WHERE group_id = $1
                 ORDER BY leaf_index",
                &[&group_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let leaf: i64 = r.try_get(0)?;
                Ok(ViewMember {
                    leaf_index: u32::try_from(leaf)
                        .map_err(|_| StoreError("leaf index out of range".into()))?,
                    identity: r.try_get(1)?,
                    signature_key: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn find_message(
        &self,
        group_id: Vec<u8>,
        digest: Vec<u8>,
    ) -> StoreResult<Option<(u64, u64)>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT seq, epoch FROM messages WHERE group_id = $1 AND digest = $2",
                &[&group_id, &digest],
            )
            .await?;
        match row {
            Some(r) => Ok(Some((to_u64(r.try_get(0)?)?, to_u64(r.try_get(1)?)?))),
            None => Ok(None),
        }
    }

    async fn append(&self, append: Append) -> StoreResult<Appended> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        if let Some(change) = &append.change {
            let n = tx
                .execute(
                    "UPDATE groups SET state = $1, epoch = $2, version = version + 1 WHERE group_id = $3 AND version = $4",
                    &[
                        &change.state,
                        &to_i64(change.epoch)?,
                        &append.group_id,
                        &to_i64(change.from_version)?,
                    ],
                )
                .await?;
            if n == 0 {
                return Ok(Appended::EpochMoved);
            }
            write_members(&tx, &append.group_id, &change.members).await?;
        }
        if let Some(gi) = &append.group_info {
            tx.execute(
                "UPDATE groups SET group_info = $1 WHERE group_id = $2",
                &[gi, &append.group_id],
            )
            .await?;
        }
        // Last: the counter row stays locked until commit, so sequence
        // numbers become visible in order.
        let n_seq: i64 = if append.welcome.is_some() { 2 } else { 1 };
        let last: i64 = tx
            .query_one(
                "UPDATE counters SET value = value + $1 WHERE name = 'seq' RETURNING value",
                &[&n_seq],
            )
            .await?
            .try_get(0)?;
        let seq = last - n_seq + 1;
        let message = Row {
            group_id: &append.group_id,
            kind: "message",
            data: &append.message,
            digest: Some((&append.digest, to_i64(append.epoch)?)),
        };
        deliver(&tx, seq, message, &append.recipients).await?;
        if let Some((welcome, recipients)) = &append.welcome {
            let row = Row {
                group_id: &append.group_id,
                kind: "welcome",
                data: welcome,
                digest: None,
            };
            deliver(&tx, seq + 1, row, recipients).await?;
        }
        tx.execute(&format!("NOTIFY {CHANNEL}"), &[]).await?;
        tx.commit().await?;
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
        Ok(Appended::Stored(to_u64(seq)?))
    }

    async fn inbox(
        &self,
        recipient: Vec<u8>,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<InboxEntry>> {
        let client = self.client().await?;
        let after = to_i64(after)?;
        let limit = i64::from(limit);
        let rows = client
            .query(
                "SELECT m.seq, m.group_id, m.kind, m.data FROM inbox i JOIN messages m ON m.seq = i.seq
                 WHERE i.recipient = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3",
                &[&recipient, &after, &limit],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(InboxEntry {
                    seq: to_u64(r.try_get(0)?)?,
                    group_id: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    data: r.try_get(3)?,
                })
            })
            .collect()
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}
