//! Storage behind [`Store`]: every state change is one transaction, and a
//! call returns only once it has committed.
//!
//! Two backends: [`sqlite::SqliteStore`] (one file, WAL,
//! `synchronous=FULL`, calls on blocking threads) and
//! [`postgres::PgStore`] (a pool; several server processes may share one
//! database: group changes use optimistic concurrency on the epoch,
//! KeyPackages are consumed with `DELETE ... RETURNING` over
//! `FOR UPDATE SKIP LOCKED`, sequence numbers come from a counter row
//! locked until commit, so they are handed out in commit order).

pub mod postgres;
pub mod sqlite;

use std::future::Future;

use crate::view::ViewMember;

/// A storage failure (the database, a corrupt row).
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "storage: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// A storage result.
pub type StoreResult<T> = Result<T, StoreError>;

/// The outcome of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// A new binding.
    Created,
    /// The same binding existed.
    Same,
    /// Another key holds the identity (or this key holds another identity).
    Taken,
}

/// A KeyPackage to store.
#[derive(Debug, Clone)]
pub struct NewKeyPackage {
    /// Its KeyPackageRef.
    pub reference: Vec<u8>,
    /// The encoded MLSMessage.
    pub data: Vec<u8>,
    /// Handed out without being consumed when it is the last one.
    pub last_resort: bool,
}

/// A group as stored.
#[derive(Debug, Clone)]
pub struct GroupRow {
    /// The current epoch.
    pub epoch: u64,
    /// The encoded server-side view.
    pub state: Vec<u8>,
    /// The latest GroupInfo (encoded MLSMessage), if any.
    pub group_info: Option<Vec<u8>>,
    /// Grows with every change of `state` (commits and proposals).
    pub version: u64,
}

/// A new state of a group, written only if the group's state is still
/// the one it was computed from (`from_version`).
#[derive(Debug, Clone)]
pub struct EpochChange {
    /// The version of the state the change was computed from.
    pub from_version: u64,
    /// The new epoch.
    pub epoch: u64,
    /// The new view.
    pub state: Vec<u8>,
    /// The members after the change.
    pub members: Vec<ViewMember>,
}

/// One accepted message and everything written with it.
#[derive(Debug, Clone)]
pub struct Append {
    /// The group.
    pub group_id: Vec<u8>,
    /// A new group state (commits; proposals change the pending list).
    pub change: Option<EpochChange>,
    /// A new GroupInfo for external joins.
    pub group_info: Option<Vec<u8>>,
    /// The message (encoded MLSMessage).
    pub message: Vec<u8>,
    /// Its SHA-256, to answer a resent message with the original's answer.
    pub digest: Vec<u8>,
    /// The group's epoch once the message is accepted.
    pub epoch: u64,
    /// Its recipients (signature keys).
    pub recipients: Vec<Vec<u8>>,
    /// A Welcome and its recipients.
    pub welcome: Option<(Vec<u8>, Vec<Vec<u8>>)>,
}

/// The outcome of [`Store::append`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored under this sequence number.
    Stored(u64),
    /// The group's state changed meanwhile; nothing was written.
    EpochMoved,
}

/// One inbox entry.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    /// Its sequence number.
    pub seq: u64,
    /// The group.
    pub group_id: Vec<u8>,
    /// `message` or `welcome`.
    pub kind: String,
    /// The encoded MLSMessage.
    pub data: Vec<u8>,
}

/// The storage operations of the delivery service. Each is one
/// transaction.
pub trait Store: Send + Sync + 'static {
    /// Stores a challenge.
    fn put_challenge(
        &self,
        challenge: Vec<u8>,
        signature_key: Vec<u8>,
        suite: u16,
        expires: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes a challenge; true if it existed for this key and suite and
    /// had not expired at `now`.
    fn take_challenge(
        &self,
        challenge: Vec<u8>,
        signature_key: Vec<u8>,
        suite: u16,
        now: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Stores a token (by its hash).
    fn put_token(
        &self,
        token_hash: Vec<u8>,
        signature_key: Vec<u8>,
        suite: u16,
        expires: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The key and suite of a token valid at `now`.
    fn token(
        &self,
        token_hash: Vec<u8>,
        now: i64,
    ) -> impl Future<Output = StoreResult<Option<(Vec<u8>, u16)>>> + Send;
    /// Binds an identity to a key.
    fn register(
        &self,
        signature_key: Vec<u8>,
        identity: String,
    ) -> impl Future<Output = StoreResult<Registered>> + Send;
    /// The identity registered for a key.
    fn identity_of(
        &self,
        signature_key: Vec<u8>,
    ) -> impl Future<Output = StoreResult<Option<String>>> + Send;
    /// Stores KeyPackages unless the owner would then hold more than `max`;
    /// returns the count stored, or `None` when over the limit.
    fn store_key_packages(
        &self,
        owner: Vec<u8>,
        identity: String,
        suite: u16,
        key_packages: Vec<NewKeyPackage>,
        max: u64,
    ) -> impl Future<Output = StoreResult<Option<u64>>> + Send;
    /// Consumes one ordinary KeyPackage of `identity` (or returns a last
    /// resort one without consuming it).
    fn take_key_package(
        &self,
        identity: String,
        suite: u16,
    ) -> impl Future<Output = StoreResult<Option<Vec<u8>>>> + Send;
    /// The owners (signature keys) of KeyPackageRefs, where known.
    fn key_package_owners(
        &self,
        references: Vec<Vec<u8>>,
    ) -> impl Future<Output = StoreResult<Vec<Vec<u8>>>> + Send;
    /// Creates a group; false if the id is taken.
    fn create_group(
        &self,
        group_id: Vec<u8>,
        epoch: u64,
        state: Vec<u8>,
        group_info: Vec<u8>,
        members: Vec<ViewMember>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// A group.
    fn group(
        &self,
        group_id: Vec<u8>,
    ) -> impl Future<Output = StoreResult<Option<GroupRow>>> + Send;
    /// The members of a group.
    fn members(
        &self,
        group_id: Vec<u8>,
    ) -> impl Future<Output = StoreResult<Vec<ViewMember>>> + Send;
    /// The sequence number and epoch of a message already accepted in the
    /// group, by its SHA-256.
    fn find_message(
        &self,
        group_id: Vec<u8>,
        digest: Vec<u8>,
    ) -> impl Future<Output = StoreResult<Option<(u64, u64)>>> + Send;
    /// Stores an accepted message with its recipients (and a group change).
    fn append(&self, append: Append) -> impl Future<Output = StoreResult<Appended>> + Send;
    /// A recipient's entries after `after`, oldest first, at most `limit`.
    fn inbox(
        &self,
        recipient: Vec<u8>,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<InboxEntry>>> + Send;
    /// A counter that grows whenever a message is stored (by any node, as
    /// far as this backend can tell); long polls wait on it.
    fn changes(&self) -> tokio::sync::watch::Receiver<u64>;
}

/// The tables, for both backends: `{blob}` is the bytes type, `{int}` the
/// 64-bit integer, `{serial}` an auto-increment primary key, `{bool}` the
/// boolean.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS challenges (challenge {blob} PRIMARY KEY, signature_key {blob} NOT NULL,
  suite INTEGER NOT NULL, expires {int} NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (token_hash {blob} PRIMARY KEY, signature_key {blob} NOT NULL,
  suite INTEGER NOT NULL, expires {int} NOT NULL);
CREATE TABLE IF NOT EXISTS clients (signature_key {blob} PRIMARY KEY, identity TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS key_packages (id {serial}, owner {blob} NOT NULL,
  identity TEXT NOT NULL, suite INTEGER NOT NULL, reference {blob} NOT NULL, data {blob} NOT NULL,
  last_resort {bool} NOT NULL);
CREATE INDEX IF NOT EXISTS key_packages_by_identity ON key_packages (identity, suite, last_resort, id);
CREATE INDEX IF NOT EXISTS key_packages_by_owner ON key_packages (owner);
CREATE TABLE IF NOT EXISTS key_package_refs (reference {blob} PRIMARY KEY, owner {blob} NOT NULL);
CREATE TABLE IF NOT EXISTS groups (group_id {blob} PRIMARY KEY, epoch {int} NOT NULL,
  state {blob} NOT NULL, group_info {blob}, version {int} NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS group_members (group_id {blob} NOT NULL, signature_key {blob} NOT NULL,
  leaf_index {int} NOT NULL, identity TEXT NOT NULL, PRIMARY KEY (group_id, signature_key));
CREATE TABLE IF NOT EXISTS messages (seq {int} PRIMARY KEY, group_id {blob} NOT NULL,
  kind TEXT NOT NULL, data {blob} NOT NULL, digest {blob}, epoch {int});
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_digest ON messages (group_id, digest);
CREATE TABLE IF NOT EXISTS inbox (recipient {blob} NOT NULL, seq {int} NOT NULL,
  PRIMARY KEY (recipient, seq));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value {int} NOT NULL);
INSERT INTO counters (name, value) VALUES ('seq', 0) ON CONFLICT DO NOTHING;
";

/// The schema in a backend's types.
pub(crate) fn schema(blob: &str, int: &str, serial: &str, boolean: &str) -> String {
    SCHEMA
        .replace("{blob}", blob)
        .replace("{int}", int)
        .replace("{serial}", serial)
        .replace("{bool}", boolean)
}

pub(crate) fn to_i64(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| StoreError(format!("{v} does not fit a signed 64-bit column")))
}

pub(crate) fn to_u64(v: i64) -> StoreResult<u64> {
    u64::try_from(v).map_err(|_| StoreError(format!("negative value {v} in the database")))
}
