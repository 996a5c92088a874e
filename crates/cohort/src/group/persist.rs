//! Saving a group to a [`Storage`] backend and loading it back.
//!
//! A group is several records, so that each state change writes only what
//! it changed, in one [`Storage::apply`] batch:
//!
//! | kind | key | holds | written when |
//! |---|---|---|---|
//! | [`RecordKind::GroupState`] | [`group_state_key`] | everything but the tree and the current epoch's secret tree | a new epoch, a cached proposal, a PSK |
//! | [`RecordKind::Tree`] | [`group_state_key`] | the public ratchet tree | a new epoch |
//! | [`RecordKind::SecretTree`] | [`past_epoch_key`] of the current epoch | the secret tree's node secrets | a member's first message of the epoch |
//! | [`RecordKind::SenderRatchets`] | [`sender_ratchets_key`] | one member's two sender ratchets | every message it sends or this member reads |
//! | [`RecordKind::PastEpoch`] | [`past_epoch_key`] | a retained past epoch (RFC 9420 section 15.3) | a new epoch, a late message |
//!
//! So reading an application message writes one small ratchet record, not
//! the group (O(1), not O(N)), and a new epoch writes the state, the tree,
//! the past epoch and deletes the old epoch's secret-tree records. A
//! member's own ratchets are stored ahead of where it is by up to
//! [`RESERVED_GENERATIONS`]: the generations it sends are reserved
//! durably before a message leaves, so a crash never reuses one and costs
//! at most the rest of a block (receivers see a gap, within
//! `maximum_forward_distance`).
//!
//! # Record layouts
//!
//! Integers are big-endian. `len` is an RFC 9420 variable-length header
//! (section 2.1.2), `bytes` is `len` followed by that many bytes, `tls(T)` is
//! `bytes` holding the TLS presentation encoding of `T`, and `map<K, V>` is
//! `len` (the number of entries) followed by the entries in strictly
//! ascending key order. Every record starts with `u16` format version and
//! `u64` FNV-1a-64 checksum of every byte after it.
//!
//! ```text
//! GroupState (format 5):
//!   u64    epoch
//!   len    n, then n x u64 epoch         the past-epoch records, ascending
//!   u16    cipher suite
//!   tls(GroupContext)
//!   u32    own leaf
//!   u32    private keys: leaf; bytes leaf key; map<u32 node, bytes key>
//!   9 x bytes                            EpochSecrets, in declaration order
//!   bytes  interim transcript hash
//!   bytes  confirmation tag
//!   len    n, then n x (tls(Proposal), tls(Sender), u8 has_ref, [bytes ref])
//!   map<u64 epoch, bytes>                resumption PSKs
//!   map<bytes id, bytes>                 external PSKs
//!   Config
//!   u8     active
//!   u8     has ReInit, [tls(ReInit)]
//!   len    n, then n x (bytes public key, bytes private key): the keys of
//!            this member's Update proposals of the current epoch
//!   u8     has a pending commit, [PendingCommit]
//! PendingCommit: tls(AuthenticatedContent) as signed; tls(MLSMessage) the
//!   commit as sent; u8 has Welcome, [tls(MLSMessage)]; u32 leaf, bytes leaf
//!   key, map<u32 node, bytes key> (its new tree private keys); bytes
//!   commit secret
//! Config: u8 wire format (0 always private, 1 always public, 2 mixed
//!   public, 3 mixed private), u64 padding block, u32 out-of-order
//!   tolerance, u32 maximum forward distance, u64 max past epochs, u8
//!   ratchet tree extension, u32 max leaves, u64 max message size, u64 max
//!   extensions per leaf, u64 max proposals per commit, u64 max cached
//!   proposals (the proposal policy, credential validator, clock and
//!   GREASE setting are runtime configuration and are not stored)
//!
//! Tree (format 1): u64 epoch; tls(RatchetTreeExtension), rehashed on load.
//!
//! SecretTree (format 1): u32 n_leaves, u32 out-of-order tolerance, u32
//!   maximum forward distance, map<u32 node, bytes secret>.
//!
//! SenderRatchets (format 1): Ratchet handshake, Ratchet application.
//! Ratchet: bytes secret, u32 generation,
//!   map<u32 generation, (bytes key, bytes nonce)>
//!
//! PastEpoch (format 2):
//!   u64    epoch
//!   tls(GroupContext)                    the context of that epoch
//!   bytes  sender_data_secret
//!   SecretTree, then map<u32 leaf, (Ratchet, Ratchet)>
//!   map<u32 leaf, member>                members that differ from the
//!            current tree's, as they were: u8 0 (the leaf was blank) or
//!            u8 1, bytes signature key, tls(Credential)
//! ```
//!
//! Group state format 4, which held the tree and the secret tree in the
//! state record, still loads; the next save writes format 5.
//!
//! Decoding is total: an unknown version is
//! [`StorageError::UnsupportedVersion`]; a checksum mismatch, truncation,
//! trailing bytes, map keys out of order, any field that does not decode,
//! or a record that is missing or names another group or epoch is
//! [`StorageError::Corrupt`]; a value outside its documented range (a
//! configuration value, see [`GroupConfig`]; a tree beyond its leaf limit; a
//! secret tree whose size is not the tree's; more past epochs than
//! retained) is [`StorageError::OutOfRange`] naming the field. The checksum
//! detects accidental corruption (every single changed byte, for
//! instance), not tampering: protecting secrets at rest is the storage
//! backend's concern.

use super::Limits;
use super::credentials::SharedCredentialValidator;
use super::proposals::{ProposalCache, QueuedProposal, SharedPolicy};
use super::state::{
    EpochKeys, Group, GroupConfig, PastEpoch, PastMember, PendingUpdate, WireFormatPolicy,
};
use crate::Error;
use crate::codec::{decode_exact, encode, read_length, read_opaque, write_length, write_opaque};
use crate::crypto::SuiteCrypto;
use crate::framing::Sender;
use crate::messages::{GroupContext, Proposal, ReInit};
use crate::schedule::{EpochSecrets, RatchetConfig, SecretTree, SenderRatchet};
use crate::tree::math::{self, LeafIndex};
use crate::tree::{RatchetTree, TreePrivateKeys, TreeView};
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;
use cohort_traits::{
    Ciphersuite, Crypto, Provider, RecordKind, Secret, Storage, StorageError, StorageOp,
};
use tls_codec::{DeserializeBytes, SerializeBytes};
use zeroize::{Zeroize, Zeroizing};

/// The format version of group state records this build writes; it also
/// reads format 4.
pub const GROUP_STATE_VERSION: u16 = 6;

/// The format version of past-epoch records this build writes and reads.
pub const PAST_EPOCH_VERSION: u16 = 2;

/// The format version of tree records.
pub const TREE_RECORD_VERSION: u16 = 1;

/// The format version of secret-tree records.
pub const SECRET_TREE_RECORD_VERSION: u16 = 1;

/// The format version of sender-ratchet records.
pub const SENDER_RATCHETS_VERSION: u16 = 1;

/// How many generations of each of its own sender ratchets a member
/// reserves with one write: after a crash it resumes at most this many
/// generations ahead of the last one it used.
pub const RESERVED_GENERATIONS: u32 = 32;

/// Bytes before the checksummed body: version and checksum.
pub(crate) const HEADER_LEN: usize = 2 + 8;

/// The key of the [`RecordKind::GroupState`] (and [`RecordKind::Tree`])
/// record of group `group_id` in the namespace of client `client_id`: the
/// client id as a variable-length vector (RFC 9420 section 2.1.2: its
/// length, then its bytes) followed by the group id. The length prefix
/// makes the split unambiguous, so no (client, group) pair can name another
/// pair's record, whatever bytes either id holds. [`Group::save`] and
/// [`Group::load`] use the empty client id.
///
/// Errors: a client id too long for a variable-length vector (2^30 bytes
/// or more).
pub fn group_state_key(client_id: &[u8], group_id: &[u8]) -> Result<Vec<u8>, Error> {
    namespaced_key(client_id, group_id)
}

/// The key of the [`RecordKind::PastEpoch`] record of epoch `epoch` of
/// group `group_id` of client `client_id` (and of the
/// [`RecordKind::SecretTree`] record of that epoch while it is current):
/// the client id and the group id, each as a variable-length vector, then
/// the epoch (u64, big-endian).
///
/// Errors: an id of 2^30 bytes or more.
pub fn past_epoch_key(client_id: &[u8], group_id: &[u8], epoch: u64) -> Result<Vec<u8>, Error> {
    let mut key = group_prefix(client_id, group_id)?;
    key.extend_from_slice(&epoch.to_be_bytes());
    Ok(key)
}

/// The key of the [`RecordKind::SenderRatchets`] record of leaf `leaf` in
/// epoch `epoch`: [`past_epoch_key`] followed by the leaf index (u32,
/// big-endian).
pub fn sender_ratchets_key(
    client_id: &[u8],
    group_id: &[u8],
    epoch: u64,
    leaf: u32,
) -> Result<Vec<u8>, Error> {
    let mut key = past_epoch_key(client_id, group_id, epoch)?;
    key.extend_from_slice(&leaf.to_be_bytes());
    Ok(key)
}

/// The client id and the group id, each as a variable-length vector: the
/// prefix of every per-epoch record of a group.
fn group_prefix(client_id: &[u8], group_id: &[u8]) -> Result<Vec<u8>, Error> {
    let mut key = Vec::with_capacity(8 + client_id.len() + group_id.len() + 12);
    write_opaque(client_id, &mut key)?;
    write_opaque(group_id, &mut key)?;
    Ok(key)
}

/// `client_id` as a variable-length vector followed by `id`: the key
/// scheme every record kind of a client shares.
pub(crate) fn namespaced_key(client_id: &[u8], id: &[u8]) -> Result<Vec<u8>, Error> {
    let mut key = Vec::with_capacity(4 + client_id.len() + id.len());
    write_opaque(client_id, &mut key)?;
    key.extend_from_slice(id);
    Ok(key)
}

/// What changed in a group since its records were last written (runtime
/// only): the writes of [`Group::save_changes_as`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Unsaved {
    /// Everything: a new group, a new epoch, a loaded older format.
    pub all: bool,
    /// The group state record (cached proposals, PSKs, Update keys).
    pub state: bool,
    /// The current epoch's secret-tree node secrets.
    pub nodes: bool,
    /// The current epoch's sender ratchets of these leaves.
    pub ratchets: BTreeSet<u32>,
    /// These past epochs' records.
    pub past: BTreeSet<u64>,
}

impl Unsaved {
    /// Everything to write.
    pub(crate) fn everything() -> Self {
        Unsaved {
            all: true,
            ..Unsaved::default()
        }
    }

    /// Whether nothing is to be written.
    pub(crate) fn is_empty(&self) -> bool {
        *self == Unsaved::default()
    }
}

/// The writes that store `g`'s whole state for client `client_id`: every
/// record of the group, and the deletion of every record of it in storage
/// that this state no longer has (secret-tree records of other epochs,
/// expired past epochs).
pub(crate) fn state_batch<P: Provider>(
    provider: &P,
    client_id: &[u8],
    g: &Group,
) -> Result<Vec<StorageOp>, Error> {
    let storage = provider.storage();
    let cs = g.cs(provider.crypto())?;
    let id = g.group_id();
    let key = group_state_key(client_id, id)?;
    let prefix = group_prefix(client_id, id)?;
    let epoch = g.context.epoch;
    let mut batch = Vec::with_capacity(4 + g.past_epochs.len());
    batch.push(put(RecordKind::GroupState, key.clone(), encode_state(g)?));
    batch.push(put(RecordKind::Tree, key, encode_tree(g)?));
    let epoch_key = past_epoch_key(client_id, id, epoch)?;
    batch.push(put(
        RecordKind::SecretTree,
        epoch_key.clone(),
        encode_secret_nodes(&g.keys.secret_tree)?,
    ));
    let mut written = BTreeSet::new();
    for (leaf, _, _) in g.keys.secret_tree.leaf_ratchets() {
        let key = sender_ratchets_key(client_id, id, epoch, leaf)?;
        batch.push(put(
            RecordKind::SenderRatchets,
            key.clone(),
            encode_ratchets(&cs, g, leaf)?,
        ));
        written.insert(key);
    }
    for p in &g.past_epochs {
        batch.push(put(
            RecordKind::PastEpoch,
            past_epoch_key(client_id, id, p.epoch)?,
            encode_past_epoch(p)?,
        ));
    }
    // What storage holds of this group beyond this state.
    for stale in storage.list_keys(RecordKind::SecretTree, &prefix)? {
        if stale != epoch_key {
            batch.push(delete(RecordKind::SecretTree, stale));
        }
    }
    for stale in storage.list_keys(RecordKind::SenderRatchets, &prefix)? {
        if !written.contains(&stale) {
            batch.push(delete(RecordKind::SenderRatchets, stale));
        }
    }
    let retained: BTreeSet<Vec<u8>> = g
        .past_epochs
        .iter()
        .map(|p| past_epoch_key(client_id, id, p.epoch))
        .collect::<Result<_, _>>()?;
    for stale in storage.list_keys(RecordKind::PastEpoch, &prefix)? {
        if !retained.contains(&stale) {
            batch.push(delete(RecordKind::PastEpoch, stale));
        }
    }
    Ok(batch)
}

/// The writes of what changed in `g` since its last write ([`Unsaved`]).
fn unsaved_batch<P: Provider>(
    provider: &P,
    client_id: &[u8],
    g: &Group,
) -> Result<Vec<StorageOp>, Error> {
    let u = &g.unsaved;
    if u.all {
        return state_batch(provider, client_id, g);
    }
    let cs = g.cs(provider.crypto())?;
    let id = g.group_id();
    let epoch = g.context.epoch;
    let mut batch = Vec::new();
    if u.state {
        batch.push(put(
            RecordKind::GroupState,
            group_state_key(client_id, id)?,
            encode_state(g)?,
        ));
    }
    if u.nodes {
        batch.push(put(
            RecordKind::SecretTree,
            past_epoch_key(client_id, id, epoch)?,
            encode_secret_nodes(&g.keys.secret_tree)?,
        ));
    }
    for &leaf in &u.ratchets {
        if g.keys.secret_tree.leaf_ratchet_pair(leaf).is_some() {
            batch.push(put(
                RecordKind::SenderRatchets,
                sender_ratchets_key(client_id, id, epoch, leaf)?,
                encode_ratchets(&cs, g, leaf)?,
            ));
        }
    }
    for p in g.past_epochs.iter().filter(|p| u.past.contains(&p.epoch)) {
        batch.push(put(
            RecordKind::PastEpoch,
            past_epoch_key(client_id, id, p.epoch)?,
            encode_past_epoch(p)?,
        ));
    }
    Ok(batch)
}

fn put(kind: RecordKind, key: Vec<u8>, value: Vec<u8>) -> StorageOp {
    StorageOp::Put { kind, key, value }
}

fn delete(kind: RecordKind, key: Vec<u8>) -> StorageOp {
    StorageOp::Delete { kind, key }
}

/// Overwrites the encoded records of `batch`, which hold secrets.
pub(crate) fn zeroize_batch(batch: &mut [StorageOp]) {
    for op in batch {
        if let StorageOp::Put { value, .. } = op {
            value.zeroize();
        }
    }
}

/// Applies `batch` and wipes its records, whatever the outcome.
pub(crate) fn apply_batch<S: Storage + ?Sized>(
    storage: &S,
    mut batch: Vec<StorageOp>,
) -> Result<(), Error> {
    let result = if batch.is_empty() {
        Ok(())
    } else {
        storage.apply(&batch)
    };
    zeroize_batch(&mut batch);
    Ok(result?)
}

impl Group {
    /// Writes this group's whole state to `provider`'s storage in one
    /// atomic [`Storage::apply`] batch, in the namespace of the empty client
    /// id (see [`group_state_key`]): its state, tree, secret tree, sender
    /// ratchets and retained past epochs, deleting the records of epochs it
    /// no longer has.
    pub fn save<P: Provider>(&self, provider: &P) -> Result<(), Error> {
        self.save_as(provider, &[])
    }

    /// Like [`Group::save`], in the namespace of client `client_id`, so
    /// several clients (each a member of the same group, say) share one
    /// database without overwriting each other's state.
    pub fn save_as<P: Provider>(&self, provider: &P, client_id: &[u8]) -> Result<(), Error> {
        let batch = state_batch(provider, client_id, self)?;
        apply_batch(provider.storage(), batch)
    }

    /// Writes what changed since the group was created, loaded or last
    /// written this way, in one atomic batch, for client `client_id`:
    /// nothing when nothing changed, one small sender-ratchet record after
    /// reading an application message, the whole state after a new epoch.
    /// A member's own ratchets are written reserved ahead (see the module
    /// documentation), so this must run before a sent message leaves.
    pub fn save_changes_as<P: Provider>(
        &mut self,
        provider: &P,
        client_id: &[u8],
    ) -> Result<(), Error> {
        if self.unsaved.is_empty() {
            return Ok(());
        }
        let batch = unsaved_batch(provider, client_id, self)?;
        apply_batch(provider.storage(), batch)?;
        self.unsaved = Unsaved::default();
        Ok(())
    }

    /// Notes that every record of this group was just written.
    pub(crate) fn mark_saved(&mut self) {
        self.unsaved = Unsaved::default();
    }

    /// Loads the group `group_id` from `provider`'s storage, as
    /// [`Group::save`] wrote it; `None` when no such record exists.
    ///
    /// The application's proposal policy and credential validator are not
    /// stored: the loaded group has
    /// [`DefaultProposalPolicy`](super::DefaultProposalPolicy) and
    /// [`DefaultCredentialValidator`](super::DefaultCredentialValidator)
    /// until [`Group::set_proposal_policy`] and
    /// [`Group::set_credential_validator`] install the application's.
    ///
    /// Errors: [`StorageError::UnsupportedVersion`] for a record of an
    /// unknown format version, [`StorageError::Corrupt`] for one that does
    /// not decode, [`StorageError::OutOfRange`] for a value beyond its
    /// range (all inside [`Error::Storage`]); a backend failure.
    pub fn load<P: Provider>(provider: &P, group_id: &[u8]) -> Result<Option<Group>, Error> {
        Self::load_as(provider, &[], group_id)
    }

    /// Loads the group `group_id` of client `client_id`, as
    /// [`Group::save_as`] wrote it; `None` when that client has no record
    /// of that group. Errors as for [`Group::load`].
    pub fn load_as<P: Provider>(
        provider: &P,
        client_id: &[u8],
        group_id: &[u8],
    ) -> Result<Option<Group>, Error> {
        let key = group_state_key(client_id, group_id)?;
        let Some(bytes) = provider.storage().get(RecordKind::GroupState, &key)? else {
            return Ok(None);
        };
        let bytes = Zeroizing::new(bytes);
        let source = Source {
            storage: provider.storage(),
            client_id,
            group_id,
        };
        let group = decode_group(provider.crypto(), &bytes, &source)?;
        if group.group_id() != group_id {
            return Err(StorageError::Corrupt.into());
        }
        Ok(Some(group))
    }
}

/// Where the records of one group are read from.
struct Source<'a, S: Storage + ?Sized> {
    storage: &'a S,
    client_id: &'a [u8],
    group_id: &'a [u8],
}

impl<S: Storage + ?Sized> Source<'_, S> {
    fn get(&self, kind: RecordKind, key: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        Ok(Zeroizing::new(self.storage.get(kind, key)?.ok_or(CORRUPT)?))
    }

    fn past_epoch(&self, epoch: u64) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.get(
            RecordKind::PastEpoch,
            &past_epoch_key(self.client_id, self.group_id, epoch)?,
        )
    }
}

/// FNV-1a, 64 bits. Each step is a bijection of the state for a fixed input
/// byte, so two inputs of the same length that differ in one byte always
/// hash differently.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A record being written into a buffer that wipes every allocation it
/// leaves behind: when it must grow, the bytes move to a new buffer and the
/// old one is zeroized, so a record holding secrets never leaves a copy in
/// freed memory, however far its size estimate was off.
pub(crate) struct RecordWriter {
    buf: Zeroizing<Vec<u8>>,
}

impl RecordWriter {
    /// A record of format `version`: the version, then a checksum slot
    /// ([`RecordWriter::finish`] fills it), with room for about `estimate`
    /// bytes.
    pub(crate) fn new(version: u16, estimate: usize) -> Self {
        let mut w = RecordWriter {
            buf: Zeroizing::new(Vec::with_capacity(estimate.clamp(64, 1 << 20))),
        };
        w.bytes(&version.to_be_bytes());
        w.bytes(&[0u8; 8]);
        w
    }

    fn reserve(&mut self, n: usize) {
        let needed = self.buf.len().saturating_add(n);
        if needed <= self.buf.capacity() {
            return;
        }
        let mut next = Vec::with_capacity(needed.max(self.buf.capacity().saturating_mul(2)));
        next.extend_from_slice(&self.buf);
        // The old buffer is zeroized (its whole capacity) as it drops.
        self.buf = Zeroizing::new(next);
    }

    /// Appends raw bytes.
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.reserve(b.len());
        self.buf.extend_from_slice(b);
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }

    /// A variable-length header (RFC 9420 section 2.1.2).
    pub(crate) fn len(&mut self, n: usize) -> Result<(), Error> {
        let mut header = Vec::with_capacity(4);
        write_length(n, &mut header)?;
        self.bytes(&header);
        Ok(())
    }

    /// A variable-length vector of bytes.
    pub(crate) fn opaque(&mut self, b: &[u8]) -> Result<(), Error> {
        self.len(b.len())?;
        self.bytes(b);
        Ok(())
    }

    pub(crate) fn secret(&mut self, s: &Secret) -> Result<(), Error> {
        self.opaque(s.as_bytes())
    }

    /// The TLS encoding of a value that holds no secret, as `bytes`.
    pub(crate) fn tls<T: SerializeBytes + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.opaque(&encode(value)?)
    }

    /// The record, its checksum filled in.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        write_checksum(&mut self.buf);
        core::mem::take(&mut *self.buf)
    }
}

/// Fills the checksum slot of a record whose header (version, then eight
/// placeholder bytes) has been written, from every byte after the header.
pub(crate) fn write_checksum(w: &mut [u8]) {
    let sum = fnv1a64(w.get(HEADER_LEN..).unwrap_or_default());
    if let Some(slot) = w.get_mut(2..HEADER_LEN) {
        slot.copy_from_slice(&sum.to_be_bytes());
    }
}

/// The group state record of `g` (format 5).
fn encode_state(g: &Group) -> Result<Vec<u8>, Error> {
    let estimate = g
        .proposals
        .len()
        .saturating_add(g.private_keys.path_keys.len())
        .saturating_add(g.past_epochs.len())
        .saturating_mul(128)
        .saturating_add(2048);
    let mut w = RecordWriter::new(GROUP_STATE_VERSION, estimate);
    w.u64(g.context.epoch);
    w.len(g.past_epochs.len())?;
    for p in &g.past_epochs {
        w.u64(p.epoch);
    }
    w.u16(g.suite.0);
    w.tls(&g.context)?;
    w.u32(g.own_leaf.0);
    w.u32(g.private_keys.leaf.0);
    w.secret(&g.private_keys.leaf_key)?;
    w.len(g.private_keys.path_keys.len())?;
    for (node, key) in &g.private_keys.path_keys {
        w.u32(*node);
        w.secret(key)?;
    }
    for s in epoch_secret_fields(&g.keys.secrets) {
        w.secret(s)?;
    }
    w.opaque(&g.interim_transcript_hash)?;
    w.opaque(&g.confirmation_tag)?;
    w.len(g.proposals.len())?;
    for q in g.proposals.iter() {
        w.tls(&q.proposal)?;
        w.tls(&q.sender)?;
        match &q.reference {
            Some(r) => {
                w.u8(1);
                w.opaque(r)?;
            }
            None => w.u8(0),
        }
    }
    w.len(g.resumption_psks.len())?;
    for (epoch, psk) in &g.resumption_psks {
        w.u64(*epoch);
        w.secret(psk)?;
    }
    w.len(g.external_psks.len())?;
    for (id, psk) in &g.external_psks {
        w.opaque(id)?;
        w.secret(psk)?;
    }
    put_config(&g.config, &mut w);
    w.u8(u8::from(g.active));
    match &g.pending_reinit {
        Some(r) => {
            w.u8(1);
            w.tls(r)?;
        }
        None => w.u8(0),
    }
    w.len(g.pending_updates.len())?;
    for u in &g.pending_updates {
        w.opaque(&u.encryption_key)?;
        w.secret(&u.private_key)?;
    }
    match &g.pending_commit {
        Some(p) => {
            w.u8(1);
            w.tls(&p.content)?;
            w.tls(&p.output.commit)?;
            match &p.output.welcome {
                Some(welcome) => {
                    w.u8(1);
                    w.tls(welcome)?;
                }
                None => w.u8(0),
            }
            let keys = &p.own.private_keys;
            w.u32(keys.leaf.0);
            w.secret(&keys.leaf_key)?;
            w.len(keys.path_keys.len())?;
            for (node, key) in &keys.path_keys {
                w.u32(*node);
                w.secret(key)?;
            }
            w.secret(&p.own.commit_secret)?;
        }
        None => w.u8(0),
    }
    // Format 6: the Exporter Tree's unused node secrets.
    let exporter = g.keys.exporter.nodes();
    w.len(exporter.len())?;
    for (node, secret) in exporter {
        w.u32(*node);
        w.secret(secret)?;
    }
    Ok(w.finish())
}

fn put_config(c: &GroupConfig, w: &mut RecordWriter) {
    w.u8(match c.wire_format {
        WireFormatPolicy::AlwaysPrivate => 0,
        WireFormatPolicy::AlwaysPublic => 1,
        WireFormatPolicy::MixedPublic => 2,
        WireFormatPolicy::MixedPrivate => 3,
    });
    w.u64(c.padding_block as u64);
    put_ratchet_config(&c.ratchet, w);
    w.u64(c.max_past_epochs as u64);
    w.u8(u8::from(c.ratchet_tree_extension));
    put_limits(&c.limits, w);
}

fn put_limits(l: &Limits, w: &mut RecordWriter) {
    w.u32(l.max_leaves);
    w.u64(l.max_message_size as u64);
    w.u64(l.max_extensions_per_leaf as u64);
    w.u64(l.max_proposals_per_commit as u64);
    w.u64(l.max_cached_proposals as u64);
}

/// The tree record of `g` (holds no secret).
fn encode_tree(g: &Group) -> Result<Vec<u8>, Error> {
    let nodes = g.tree.encode_extension()?;
    let mut w = RecordWriter::new(TREE_RECORD_VERSION, nodes.len().saturating_add(32));
    w.u64(g.context.epoch);
    w.opaque(&nodes)?;
    Ok(w.finish())
}

/// The secret-tree record: the node secrets of `t`.
fn encode_secret_nodes(t: &SecretTree) -> Result<Vec<u8>, Error> {
    let estimate = t
        .stored_node_secrets()
        .saturating_mul(48)
        .saturating_add(64);
    let mut w = RecordWriter::new(SECRET_TREE_RECORD_VERSION, estimate);
    put_secret_nodes(t, &mut w)?;
    Ok(w.finish())
}

/// The sender-ratchet record of `leaf` in `g`'s current epoch. This
/// member's own ratchets are written at the generations it reserved (see
/// the module documentation), so a restart never sends under a generation
/// it may have used.
fn encode_ratchets<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    g: &Group,
    leaf: u32,
) -> Result<Vec<u8>, Error> {
    let (handshake, application) = g
        .keys
        .secret_tree
        .leaf_ratchet_pair(leaf)
        .ok_or(crate::Error::Internal("a node index outside the tree"))?;
    let mut w = RecordWriter::new(SENDER_RATCHETS_VERSION, 512);
    if leaf == g.own_leaf.0 {
        let [h, a] = g.reserved;
        put_ratchet(&handshake.advanced_to(cs, h)?, &mut w)?;
        put_ratchet(&application.advanced_to(cs, a)?, &mut w)?;
    } else {
        put_ratchet(handshake, &mut w)?;
        put_ratchet(application, &mut w)?;
    }
    Ok(w.finish())
}

/// The encoded record of past epoch `p`.
fn encode_past_epoch(p: &PastEpoch) -> Result<Vec<u8>, Error> {
    let estimate = p
        .secret_tree
        .stored_node_secrets()
        .saturating_add(p.changed_members.len())
        .saturating_mul(64)
        .saturating_add(2048);
    let mut w = RecordWriter::new(PAST_EPOCH_VERSION, estimate);
    w.u64(p.epoch);
    w.tls(&p.context)?;
    w.secret(&p.sender_data_secret)?;
    put_secret_tree(&p.secret_tree, &mut w)?;
    w.len(p.changed_members.len())?;
    for (leaf, member) in &p.changed_members {
        w.u32(*leaf);
        match member {
            Some(m) => {
                w.u8(1);
                w.opaque(&m.signature_key)?;
                w.tls(&m.credential)?;
            }
            None => w.u8(0),
        }
    }
    Ok(w.finish())
}

/// The epoch secrets in record order.
fn epoch_secret_fields(s: &EpochSecrets) -> [&Secret; 9] {
    [
        &s.sender_data_secret,
        &s.encryption_secret,
        &s.exporter_secret,
        &s.external_secret,
        &s.confirmation_key,
        &s.membership_key,
        &s.resumption_psk,
        &s.epoch_authenticator,
        &s.init_secret,
    ]
}

fn put_ratchet_config(c: &RatchetConfig, w: &mut RecordWriter) {
    w.u32(c.out_of_order_tolerance);
    w.u32(c.maximum_forward_distance);
}

fn put_ratchet(r: &SenderRatchet, w: &mut RecordWriter) -> Result<(), Error> {
    w.secret(r.secret())?;
    w.u32(r.generation());
    w.len(r.skipped().len())?;
    for (generation, (key, nonce)) in r.skipped() {
        w.u32(*generation);
        w.secret(key)?;
        w.secret(nonce)?;
    }
    Ok(())
}

fn put_secret_nodes(t: &SecretTree, w: &mut RecordWriter) -> Result<(), Error> {
    w.u32(t.n_leaves());
    put_ratchet_config(&t.config(), w);
    w.len(t.node_secrets().len())?;
    for (node, secret) in t.node_secrets() {
        w.u32(*node);
        w.secret(secret)?;
    }
    Ok(())
}

/// A whole secret tree: its nodes, then every leaf's ratchets.
fn put_secret_tree(t: &SecretTree, w: &mut RecordWriter) -> Result<(), Error> {
    put_secret_nodes(t, w)?;
    let ratchets = t.leaf_ratchets();
    w.len(ratchets.len())?;
    for (leaf, handshake, application) in ratchets {
        w.u32(leaf);
        put_ratchet(handshake, w)?;
        put_ratchet(application, w)?;
    }
    Ok(())
}

/// The ranges of [`GroupConfig::validate`] for a secret tree's stored
/// out-of-order policy.
fn check_ratchet_config(c: &RatchetConfig) -> Result<(), StorageError> {
    if c.out_of_order_tolerance > GroupConfig::MAX_OUT_OF_ORDER_TOLERANCE {
        return Err(StorageError::OutOfRange("ratchet.out_of_order_tolerance"));
    }
    if c.maximum_forward_distance > GroupConfig::MAX_FORWARD_DISTANCE {
        return Err(StorageError::OutOfRange("ratchet.maximum_forward_distance"));
    }
    Ok(())
}

/// Reads a record; every failure is [`StorageError::Corrupt`].
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
}

pub(crate) const CORRUPT: StorageError = StorageError::Corrupt;

impl<'a> Reader<'a> {
    /// A record of format `version` (refused otherwise) whose checksum
    /// holds, positioned after its header.
    fn record(bytes: &'a [u8], version: u16) -> Result<Self, StorageError> {
        let mut r = Reader { bytes };
        let v = r.u16()?;
        if v != version {
            return Err(StorageError::UnsupportedVersion(v));
        }
        r.checksum()?;
        Ok(r)
    }

    /// Checks the checksum of the rest of the record.
    fn checksum(&mut self) -> Result<(), StorageError> {
        let sum = self.u64()?;
        if fnv1a64(self.bytes) != sum {
            return Err(CORRUPT);
        }
        Ok(())
    }

    /// Refuses bytes left over.
    fn end(&self) -> Result<(), StorageError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(CORRUPT)
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], StorageError> {
        if self.bytes.len() < n {
            return Err(CORRUPT);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StorageError> {
        self.take(N)?.try_into().map_err(|_| CORRUPT)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, StorageError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, StorageError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, StorageError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, StorageError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A stored `usize` setting; one that does not fit this platform's
    /// `usize` (a 64-bit value read on a 32-bit target) is out of the
    /// setting's range, named as configuration validation names it.
    fn usize(&mut self, field: &'static str) -> Result<usize, StorageError> {
        usize::try_from(self.u64()?).map_err(|_| StorageError::OutOfRange(field))
    }

    pub(crate) fn bool(&mut self) -> Result<bool, StorageError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(CORRUPT),
        }
    }

    fn len(&mut self) -> Result<usize, StorageError> {
        let (len, rest) = read_length(self.bytes).map_err(|_| CORRUPT)?;
        self.bytes = rest;
        // Every counted item takes at least one byte.
        if len > self.bytes.len() {
            return Err(CORRUPT);
        }
        Ok(len)
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], StorageError> {
        let (value, rest) = read_opaque(self.bytes).map_err(|_| CORRUPT)?;
        self.bytes = rest;
        Ok(value)
    }

    fn vec(&mut self) -> Result<Vec<u8>, StorageError> {
        Ok(self.bytes()?.to_vec())
    }

    pub(crate) fn secret(&mut self) -> Result<Secret, StorageError> {
        Ok(Secret::from_slice(self.bytes()?))
    }

    pub(crate) fn tls<T: DeserializeBytes>(&mut self) -> Result<T, StorageError> {
        decode_exact(self.bytes()?).map_err(|_| CORRUPT)
    }

    /// A `map<K, V>`: a count, then entries whose keys (read by `entry`
    /// with their values) ascend strictly.
    fn map<K: Ord, V>(
        &mut self,
        mut entry: impl FnMut(&mut Self) -> Result<(K, V), StorageError>,
    ) -> Result<BTreeMap<K, V>, StorageError> {
        let mut out = BTreeMap::new();
        for _ in 0..self.len()? {
            let (k, v) = entry(self)?;
            if out.last_key_value().is_some_and(|(last, _)| *last >= k) {
                return Err(CORRUPT);
            }
            out.insert(k, v);
        }
        Ok(out)
    }

    fn ratchet_config(&mut self) -> Result<RatchetConfig, StorageError> {
        let c = RatchetConfig {
            out_of_order_tolerance: self.u32()?,
            maximum_forward_distance: self.u32()?,
        };
        check_ratchet_config(&c)?;
        Ok(c)
    }

    fn ratchet(&mut self) -> Result<SenderRatchet, StorageError> {
        let secret = self.secret()?;
        let generation = self.u32()?;
        let skipped = self.map(|r| {
            let g = r.u32()?;
            Ok((g, (r.secret()?, r.secret()?)))
        })?;
        Ok(SenderRatchet::from_parts(secret, generation, skipped))
    }

    fn past_epoch_list(&mut self) -> Result<Vec<u64>, StorageError> {
        Ok(self.map(|r| Ok((r.u64()?, ())))?.into_keys().collect())
    }

    /// A secret tree's size, policy and node secrets.
    fn secret_nodes(
        &mut self,
        max_leaves: u32,
    ) -> Result<(u32, RatchetConfig, BTreeMap<u32, Secret>), StorageError> {
        let n_leaves = self.u32()?;
        if math::root(n_leaves).is_none() {
            return Err(CORRUPT);
        }
        if n_leaves > max_leaves {
            return Err(StorageError::OutOfRange("secret tree leaf count"));
        }
        let config = self.ratchet_config()?;
        let nodes = self.map(|r| {
            let node = r.u32()?;
            if !math::in_tree(node, n_leaves) {
                return Err(CORRUPT);
            }
            Ok((node, r.secret()?))
        })?;
        Ok((n_leaves, config, nodes))
    }

    /// A whole secret tree (nodes, then ratchets).
    fn secret_tree(&mut self, max_leaves: u32) -> Result<SecretTree, StorageError> {
        let (n_leaves, config, nodes) = self.secret_nodes(max_leaves)?;
        let ratchets = self.map(|r| {
            let leaf = r.u32()?;
            if leaf >= n_leaves {
                return Err(CORRUPT);
            }
            Ok((leaf, (r.ratchet()?, r.ratchet()?)))
        })?;
        Ok(SecretTree::from_parts(n_leaves, nodes, ratchets, config))
    }

    fn private_keys(&mut self) -> Result<TreePrivateKeys, StorageError> {
        let leaf = LeafIndex(self.u32()?);
        let leaf_key = self.secret()?;
        let path_keys = self.map(|r| Ok((r.u32()?, r.secret()?)))?;
        Ok(TreePrivateKeys {
            leaf,
            leaf_key,
            path_keys,
        })
    }

    fn epoch_secrets(&mut self) -> Result<EpochSecrets, StorageError> {
        Ok(EpochSecrets {
            sender_data_secret: self.secret()?,
            encryption_secret: self.secret()?,
            exporter_secret: self.secret()?,
            external_secret: self.secret()?,
            confirmation_key: self.secret()?,
            membership_key: self.secret()?,
            resumption_psk: self.secret()?,
            epoch_authenticator: self.secret()?,
            init_secret: self.secret()?,
            application_export_secret: Secret::default(),
        })
    }

    fn proposals(&mut self) -> Result<ProposalCache, Error> {
        let mut proposals = ProposalCache::default();
        for _ in 0..self.len()? {
            let proposal: Proposal = self.tls()?;
            let sender: Sender = self.tls()?;
            let reference = if self.bool()? {
                Some(self.vec()?)
            } else {
                None
            };
            let q = QueuedProposal {
                proposal,
                sender,
                reference,
            };
            if !proposals.insert(q, usize::MAX)? {
                return Err(CORRUPT.into());
            }
        }
        Ok(proposals)
    }

    fn psks(&mut self) -> Result<Psks, StorageError> {
        let resumption = self.map(|r| Ok((r.u64()?, r.secret()?)))?;
        let external = self.map(|r| Ok((r.vec()?, r.secret()?)))?;
        Ok((resumption, external))
    }

    /// The stored part of a [`GroupConfig`] up to the ratchet-tree flag
    /// (the limits follow in format 5, come last in format 4).
    fn config_head(&mut self) -> Result<GroupConfig, StorageError> {
        let wire_format = match self.u8()? {
            0 => WireFormatPolicy::AlwaysPrivate,
            1 => WireFormatPolicy::AlwaysPublic,
            2 => WireFormatPolicy::MixedPublic,
            3 => WireFormatPolicy::MixedPrivate,
            _ => return Err(CORRUPT),
        };
        Ok(GroupConfig {
            wire_format,
            padding_block: self.usize("padding_block")?,
            ratchet: self.ratchet_config()?,
            max_past_epochs: self.usize("max_past_epochs")?,
            limits: Limits::default(),
            ratchet_tree_extension: self.bool()?,
            // Runtime configuration, not stored: the application installs
            // its own after loading (Group::set_proposal_policy,
            // Group::set_credential_validator, Group::set_clock).
            proposal_policy: SharedPolicy::default(),
            credential_validator: SharedCredentialValidator::default(),
            clock: super::SharedClock::default(),
            grease: true,
            app: super::AppRegistry::default(),
        })
    }

    fn limits(&mut self) -> Result<Limits, StorageError> {
        Ok(Limits {
            max_leaves: self.u32()?,
            max_message_size: self.usize("limits.max_message_size")?,
            max_extensions_per_leaf: self.usize("limits.max_extensions_per_leaf")?,
            max_proposals_per_commit: self.usize("limits.max_proposals_per_commit")?,
            max_cached_proposals: self.usize("limits.max_cached_proposals")?,
        })
    }

    fn pending_commit(&mut self) -> Result<super::pending::PendingCommit, StorageError> {
        let content = self.tls()?;
        let commit = self.tls()?;
        let welcome = if self.bool()? {
            Some(self.tls()?)
        } else {
            None
        };
        let private_keys = self.private_keys()?;
        let commit_secret = self.secret()?;
        Ok(super::pending::PendingCommit {
            content,
            own: super::process::OwnPath {
                private_keys,
                commit_secret,
            },
            output: super::commit::CommitOutput { commit, welcome },
            staged: None,
        })
    }

    fn tail(&mut self) -> Result<(bool, Option<ReInit>, Vec<PendingUpdate>), StorageError> {
        let active = self.bool()?;
        let pending_reinit = if self.bool()? {
            Some(self.tls()?)
        } else {
            None
        };
        let mut pending_updates = Vec::new();
        for _ in 0..self.len()? {
            pending_updates.push(PendingUpdate {
                encryption_key: self.vec()?,
                private_key: self.secret()?,
            });
        }
        Ok((active, pending_reinit, pending_updates))
    }
}

/// Resumption PSKs by epoch and external PSKs by id.
type Psks = (BTreeMap<u64, Secret>, BTreeMap<Vec<u8>, Secret>);

/// The fields every group state format holds, before the tree and the
/// secret tree are attached.
struct StateFields {
    pending_commit: Option<super::pending::PendingCommit>,
    past_epoch_list: Vec<u64>,
    suite: Ciphersuite,
    context: GroupContext,
    own_leaf: LeafIndex,
    private_keys: TreePrivateKeys,
    secrets: EpochSecrets,
    interim_transcript_hash: Vec<u8>,
    confirmation_tag: Vec<u8>,
    proposals: ProposalCache,
    resumption_psks: BTreeMap<u64, Secret>,
    external_psks: BTreeMap<Vec<u8>, Secret>,
    config: GroupConfig,
    active: bool,
    pending_reinit: Option<ReInit>,
    pending_updates: Vec<PendingUpdate>,
    exporter: crate::schedule::SafeExporter,
}

/// Decodes a group state record of format 4, 5 or 6 with the records it
/// refers to, read from `source`.
fn decode_group<C, S>(crypto: &C, bytes: &[u8], source: &Source<'_, S>) -> Result<Group, Error>
where
    C: Crypto + ?Sized,
    S: Storage + ?Sized,
{
    let mut r = Reader { bytes };
    match r.u16()? {
        GROUP_STATE_VERSION => decode_v5(crypto, r, source, true),
        5 => decode_v5(crypto, r, source, false),
        4 => decode_v4(crypto, r, source),
        v => Err(StorageError::UnsupportedVersion(v).into()),
    }
}

/// Formats 5 and 6: the state record, then its tree, secret-tree and
/// sender-ratchet records. Format 6 (`with_exporter`) ends the state
/// record with the Exporter Tree; a group of format 5 has none until its
/// next epoch.
fn decode_v5<C, S>(
    crypto: &C,
    mut r: Reader<'_>,
    source: &Source<'_, S>,
    with_exporter: bool,
) -> Result<Group, Error>
where
    C: Crypto + ?Sized,
    S: Storage + ?Sized,
{
    r.checksum()?;
    let epoch = r.u64()?;
    let past_epoch_list = r.past_epoch_list()?;
    let suite = Ciphersuite(r.u16()?);
    let context: GroupContext = r.tls()?;
    if context.epoch != epoch {
        return Err(CORRUPT.into());
    }
    let own_leaf = LeafIndex(r.u32()?);
    let private_keys = r.private_keys()?;
    let secrets = r.epoch_secrets()?;
    let interim_transcript_hash = r.vec()?;
    let confirmation_tag = r.vec()?;
    let proposals = r.proposals()?;
    let (resumption_psks, external_psks) = r.psks()?;
    let mut config = r.config_head()?;
    config.limits = r.limits()?;
    let (active, pending_reinit, pending_updates) = r.tail()?;
    let pending_commit = if r.bool()? {
        Some(r.pending_commit()?)
    } else {
        None
    };
    let exporter = if with_exporter {
        let nodes = r.map(|r| Ok((r.u32()?, r.secret()?)))?;
        crate::schedule::SafeExporter::from_nodes(nodes).ok_or(CORRUPT)?
    } else {
        crate::schedule::SafeExporter::unavailable()
    };
    r.end()?;
    let fields = StateFields {
        exporter,
        pending_commit,
        past_epoch_list,
        suite,
        context,
        own_leaf,
        private_keys,
        secrets,
        interim_transcript_hash,
        confirmation_tag,
        proposals,
        resumption_psks,
        external_psks,
        config,
        active,
        pending_reinit,
        pending_updates,
    };
    check_config(&fields.config)?;
    let max_leaves = fields.config.limits.max_leaves;

    let state_key = group_state_key(source.client_id, source.group_id)?;
    let tree_record = source.get(RecordKind::Tree, &state_key)?;
    let mut t = Reader::record(&tree_record, TREE_RECORD_VERSION)?;
    if t.u64()? != epoch {
        return Err(CORRUPT.into());
    }
    let tree_bytes = t.bytes()?;
    t.end()?;

    let epoch_key = past_epoch_key(source.client_id, source.group_id, epoch)?;
    let nodes_record = source.get(RecordKind::SecretTree, &epoch_key)?;
    let mut n = Reader::record(&nodes_record, SECRET_TREE_RECORD_VERSION)?;
    let (n_leaves, ratchet_config, nodes) = n.secret_nodes(max_leaves)?;
    n.end()?;
    let mut ratchets = BTreeMap::new();
    for key in source
        .storage
        .list_keys(RecordKind::SenderRatchets, &epoch_key)?
    {
        let leaf = key
            .get(epoch_key.len()..)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or(CORRUPT)?;
        if leaf >= n_leaves {
            return Err(CORRUPT.into());
        }
        let record = source.get(RecordKind::SenderRatchets, &key)?;
        let mut q = Reader::record(&record, SENDER_RATCHETS_VERSION)?;
        let pair = (q.ratchet()?, q.ratchet()?);
        q.end()?;
        ratchets.insert(leaf, pair);
    }
    let secret_tree = SecretTree::from_parts(n_leaves, nodes, ratchets, ratchet_config);
    assemble(crypto, fields, tree_bytes, secret_tree, source, false)
}

/// Format 4 (earlier builds): the tree and the whole secret tree inside
/// the state record, the limits last. The group loads marked unsaved, so
/// the next save writes format 5.
fn decode_v4<C, S>(crypto: &C, mut r: Reader<'_>, source: &Source<'_, S>) -> Result<Group, Error>
where
    C: Crypto + ?Sized,
    S: Storage + ?Sized,
{
    r.checksum()?;
    let past_epoch_list = r.past_epoch_list()?;
    let suite = Ciphersuite(r.u16()?);
    let context: GroupContext = r.tls()?;
    let tree_bytes = r.bytes()?;
    let own_leaf = LeafIndex(r.u32()?);
    let private_keys = r.private_keys()?;
    let secrets = r.epoch_secrets()?;
    let secret_tree = r.secret_tree(Limits::MAX_LEAVES_CEILING)?;
    let interim_transcript_hash = r.vec()?;
    let confirmation_tag = r.vec()?;
    let proposals = r.proposals()?;
    let (resumption_psks, external_psks) = r.psks()?;
    let mut config = r.config_head()?;
    let (active, pending_reinit, pending_updates) = r.tail()?;
    config.limits = r.limits()?;
    r.end()?;
    let fields = StateFields {
        exporter: crate::schedule::SafeExporter::unavailable(),
        pending_commit: None,
        past_epoch_list,
        suite,
        context,
        own_leaf,
        private_keys,
        secrets,
        interim_transcript_hash,
        confirmation_tag,
        proposals,
        resumption_psks,
        external_psks,
        config,
        active,
        pending_reinit,
        pending_updates,
    };
    check_config(&fields.config)?;
    assemble(crypto, fields, tree_bytes, secret_tree, source, true)
}

/// Refuses a stored configuration outside its documented ranges.
fn check_config(config: &GroupConfig) -> Result<(), StorageError> {
    config.validate().map_err(|e| match e {
        Error::Misuse(crate::MisuseError::ConfigOutOfRange { field }) => {
            StorageError::OutOfRange(field)
        }
        _ => CORRUPT,
    })
}

/// The group from its decoded fields, tree and secret tree, with its past
/// epochs read from `source`; `older` marks it for a full write.
fn assemble<C, S>(
    crypto: &C,
    f: StateFields,
    tree_bytes: &[u8],
    secret_tree: SecretTree,
    source: &Source<'_, S>,
    older: bool,
) -> Result<Group, Error>
where
    C: Crypto + ?Sized,
    S: Storage + ?Sized,
{
    if f.context.cipher_suite != f.suite {
        return Err(CORRUPT.into());
    }
    if f.past_epoch_list.len() > f.config.max_past_epochs {
        return Err(StorageError::OutOfRange("past epoch count").into());
    }
    if f.past_epoch_list
        .last()
        .is_some_and(|e| *e >= f.context.epoch)
    {
        return Err(CORRUPT.into());
    }
    let max_leaves = f.config.limits.max_leaves;
    let mut past_epochs = VecDeque::with_capacity(f.past_epoch_list.len());
    for &epoch in &f.past_epoch_list {
        let record = source.past_epoch(epoch)?;
        past_epochs.push_back(decode_past_epoch(
            &record,
            f.context.group_id.as_slice(),
            epoch,
            max_leaves,
        )?);
    }
    // The tree: its shape is checked and every hash recomputed; it must be
    // the tree the GroupContext commits to.
    let cs = SuiteCrypto::new(crypto, f.suite)?;
    let tree = RatchetTree::decode_extension(&cs, tree_bytes, max_leaves).map_err(|e| match e {
        Error::Limit(_) => StorageError::OutOfRange("tree leaf count"),
        _ => CORRUPT,
    })?;
    if f.active && secret_tree.n_leaves() != tree.n_leaves() {
        return Err(StorageError::OutOfRange("secret tree leaf count").into());
    }
    if tree.tree_hash() != f.context.tree_hash.as_slice()
        || (f.active && (tree.leaf(f.own_leaf).is_none() || f.private_keys.leaf != f.own_leaf))
    {
        return Err(CORRUPT.into());
    }
    // The own ratchets were stored at the generations reserved: they are
    // the reservation.
    let reserved = match secret_tree.leaf_ratchet_pair(f.own_leaf.0) {
        Some((h, a)) => [h.generation(), a.generation()],
        None => [0, 0],
    };
    Ok(Group {
        suite: f.suite,
        context: f.context,
        tree,
        own_leaf: f.own_leaf,
        private_keys: f.private_keys,
        keys: EpochKeys {
            secrets: f.secrets,
            secret_tree,
            exporter: f.exporter,
        },
        interim_transcript_hash: f.interim_transcript_hash,
        confirmation_tag: f.confirmation_tag,
        proposals: f.proposals,
        past_epochs,
        resumption_psks: f.resumption_psks,
        external_psks: f.external_psks,
        config: f.config,
        active: f.active,
        pending_reinit: f.pending_reinit,
        pending_updates: f.pending_updates,
        pending_commit: f.pending_commit,
        unsaved: if older {
            Unsaved::everything()
        } else {
            Unsaved::default()
        },
        reserved,
    })
}

/// Decodes a past-epoch record, which must be of epoch `epoch` of group
/// `group_id`.
fn decode_past_epoch(
    bytes: &[u8],
    group_id: &[u8],
    epoch: u64,
    max_leaves: u32,
) -> Result<PastEpoch, StorageError> {
    let mut r = Reader::record(bytes, PAST_EPOCH_VERSION)?;
    if r.u64()? != epoch {
        return Err(CORRUPT);
    }
    let context: GroupContext = r.tls()?;
    if context.group_id.as_slice() != group_id {
        return Err(CORRUPT);
    }
    let sender_data_secret = r.secret()?;
    let secret_tree = r.secret_tree(max_leaves)?;
    let changed_members = r.map(|r| {
        let leaf = r.u32()?;
        let member = if r.bool()? {
            Some(PastMember {
                signature_key: r.vec()?,
                credential: r.tls()?,
            })
        } else {
            None
        };
        Ok((leaf, member))
    })?;
    r.end()?;
    Ok(PastEpoch {
        epoch,
        context,
        sender_data_secret,
        secret_tree,
        changed_members,
    })
}
