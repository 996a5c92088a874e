//! Saving a group to a [`Storage`] backend and loading it back.
//!
//! A group's current state is one record of kind [`RecordKind::GroupState`]
//! keyed by a client id and its group id ([`group_state_key`]); each past
//! epoch kept for late messages (its secret tree and sender-data secret) is
//! one record of kind [`RecordKind::PastEpoch`] keyed by client, group and
//! epoch ([`past_epoch_key`]). A save writes the state, every retained
//! past epoch, and deletes the past epochs the previous save kept that have
//! since expired, all in one [`Storage::apply`] batch: exactly the retained
//! past epochs (at most `max_past_epochs`) have records.
//!
//! # Group state record layout (format version 4)
//!
//! Integers are big-endian. `len` is an RFC 9420 variable-length header
//! (section 2.1.2), `bytes` is `len` followed by that many bytes, `tls(T)` is
//! `bytes` holding the TLS presentation encoding of `T`, and `map<K, V>` is
//! `len` (the number of entries) followed by the entries in key order.
//!
//! ```text
//! u16    format version (4)
//! u64    FNV-1a-64 checksum of every byte after it
//! len    n, then n x u64 epoch         the past-epoch records, ascending
//! u16    cipher suite
//! tls(GroupContext)
//! tls(RatchetTreeExtension)            the tree's nodes, rehashed on load
//! u32    own leaf
//! u32    private keys: leaf; bytes leaf key; map<u32 node, bytes key>
//! 9 x bytes                            EpochSecrets, in declaration order
//! SecretTree                           see below
//! bytes  interim transcript hash
//! bytes  confirmation tag
//! len    n, then n x (tls(Proposal), tls(Sender), u8 has_ref, [bytes ref])
//! map<u64 epoch, bytes>                resumption PSKs
//! map<bytes id, bytes>                 external PSKs
//! GroupConfig: u8 wire format (0 always private, 1 always public, 2 mixed
//!          public, 3 mixed private), u64 padding block, u32 out-of-order
//!          tolerance, u32 maximum forward distance, u64 max past epochs,
//!          u8 ratchet tree extension (the proposal policy is runtime
//!          configuration and is not stored)
//! u8     active
//! u8     has ReInit, [tls(ReInit)]
//! len    n, then n x (bytes public key, bytes private key): the keys of
//!          this member's Update proposals of the current epoch
//! Limits: u32 max leaves, u64 max message size, u64 max extensions per
//!          leaf, u64 max proposals per commit, u64 max cached proposals
//!
//! SecretTree: u32 n_leaves, u32 out-of-order tolerance, u32 maximum
//!   forward distance, map<u32 node, bytes secret>,
//!   map<u32 leaf, (Ratchet handshake, Ratchet application)>
//! Ratchet: bytes secret, u32 generation,
//!   map<u32 generation, (bytes key, bytes nonce)>
//! ```
//!
//! # Past-epoch record layout (format version 2)
//!
//! ```text
//! u16    format version (2)
//! u64    FNV-1a-64 checksum of every byte after it
//! u64    epoch
//! tls(GroupContext)                    the context of that epoch
//! bytes  sender_data_secret
//! SecretTree
//! map<u32 leaf, member>                members that differ from the
//!          current tree's, as they were: u8 0 (the leaf was blank) or
//!          u8 1, bytes signature key, tls(Credential)
//! ```
//!
//! Decoding is total, for both kinds: an unknown version is
//! [`StorageError::UnsupportedVersion`]; a checksum mismatch, truncation,
//! trailing bytes, any field that does not decode, or a past-epoch record
//! that is missing or names another group or epoch is
//! [`StorageError::Corrupt`]; a value outside its documented range (a
//! configuration value, see [`GroupConfig`]; a tree beyond its leaf limit; a
//! secret tree whose size is not the tree's; more past epochs than
//! retained) is [`StorageError::OutOfRange`] naming the field. The checksum
//! detects accidental corruption
//! (every single changed byte, for instance), not tampering: protecting
//! secrets at rest is the storage backend's concern.

use super::Limits;
use super::credentials::SharedCredentialValidator;
use super::proposals::{QueuedProposal, SharedPolicy};
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
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use cohort_traits::{Ciphersuite, Provider, RecordKind, Secret, Storage, StorageError, StorageOp};
use tls_codec::{DeserializeBytes, SerializeBytes};
use zeroize::{Zeroize, Zeroizing};

/// The format version this build writes and reads.
pub const GROUP_STATE_VERSION: u16 = 4;

/// The format version of past-epoch records this build writes and reads.
pub const PAST_EPOCH_VERSION: u16 = 2;

/// Bytes before the checksummed body: version and checksum.
pub(crate) const HEADER_LEN: usize = 2 + 8;

/// The key of the [`RecordKind::GroupState`] record of group `group_id`
/// in the namespace of client `client_id`: the client id as a
/// variable-length vector (RFC 9420 section 2.1.2: its length, then its
/// bytes) followed by the group id. The length prefix makes the split
/// unambiguous, so no (client, group) pair can name another pair's record,
/// whatever bytes either id holds. [`Group::save`] and [`Group::load`] use
/// the empty client id.
///
/// Errors: a client id too long for a variable-length vector (2^30 bytes
/// or more).
pub fn group_state_key(client_id: &[u8], group_id: &[u8]) -> Result<Vec<u8>, Error> {
    namespaced_key(client_id, group_id)
}

/// The key of the [`RecordKind::PastEpoch`] record of epoch `epoch` of
/// group `group_id` of client `client_id`: the client id and the group id,
/// each as a variable-length vector, then the epoch (u64, big-endian).
///
/// Errors: an id of 2^30 bytes or more.
pub fn past_epoch_key(client_id: &[u8], group_id: &[u8], epoch: u64) -> Result<Vec<u8>, Error> {
    let mut key = Vec::with_capacity(8 + client_id.len() + group_id.len() + 8);
    write_opaque(client_id, &mut key)?;
    write_opaque(group_id, &mut key)?;
    key.extend_from_slice(&epoch.to_be_bytes());
    Ok(key)
}

/// The writes that store `g` for client `client_id` in `storage`: its state
/// record, a record per retained past epoch, and the deletion of every
/// past-epoch record the previous state record lists that is no longer
/// retained. A previous record that does not decode lists nothing.
pub(crate) fn state_batch<S: Storage + ?Sized>(
    storage: &S,
    client_id: &[u8],
    g: &Group,
) -> Result<Vec<StorageOp>, Error> {
    let key = group_state_key(client_id, g.group_id())?;
    let previous = storage
        .get(RecordKind::GroupState, &key)?
        .map(Zeroizing::new)
        .and_then(|bytes| listed_past_epochs(&bytes).ok())
        .unwrap_or_default();
    let mut batch = Vec::with_capacity(1 + g.past_epochs.len() + previous.len());
    batch.push(StorageOp::Put {
        kind: RecordKind::GroupState,
        key,
        value: encode_group(g)?,
    });
    for p in &g.past_epochs {
        batch.push(StorageOp::Put {
            kind: RecordKind::PastEpoch,
            key: past_epoch_key(client_id, g.group_id(), p.epoch)?,
            value: encode_past_epoch(p)?,
        });
    }
    for epoch in previous {
        if !g.past_epochs.iter().any(|p| p.epoch == epoch) {
            batch.push(StorageOp::Delete {
                kind: RecordKind::PastEpoch,
                key: past_epoch_key(client_id, g.group_id(), epoch)?,
            });
        }
    }
    Ok(batch)
}

/// Overwrites the encoded records of `batch`, which hold secrets.
pub(crate) fn zeroize_batch(batch: &mut [StorageOp]) {
    for op in batch {
        if let StorageOp::Put { value, .. } = op {
            value.zeroize();
        }
    }
}

/// The past epochs a group state record lists.
fn listed_past_epochs(bytes: &[u8]) -> Result<Vec<u64>, StorageError> {
    let mut r = Reader { bytes };
    let version = r.u16()?;
    if version != GROUP_STATE_VERSION {
        return Err(StorageError::UnsupportedVersion(version));
    }
    let sum = r.u64()?;
    if fnv1a64(r.bytes) != sum {
        return Err(CORRUPT);
    }
    r.past_epoch_list()
}

/// `client_id` as a variable-length vector followed by `id`: the key
/// scheme every record kind of a client shares.
pub(crate) fn namespaced_key(client_id: &[u8], id: &[u8]) -> Result<Vec<u8>, Error> {
    let mut key = Vec::with_capacity(4 + client_id.len() + id.len());
    write_opaque(client_id, &mut key)?;
    key.extend_from_slice(id);
    Ok(key)
}

impl Group {
    /// Writes this group's whole state to `provider`'s storage as one
    /// [`RecordKind::GroupState`] record, in one atomic [`Storage::apply`]
    /// batch; the record is keyed by the group id in the namespace of the
    /// empty client id (see [`group_state_key`]). The same batch writes a
    /// [`RecordKind::PastEpoch`] record per retained past epoch and deletes
    /// those of epochs that have expired since the previous save.
    pub fn save<P: Provider>(&self, provider: &P) -> Result<(), Error> {
        self.save_as(provider, &[])
    }

    /// Like [`Group::save`], in the namespace of client `client_id`, so
    /// several clients (each a member of the same group, say) share one
    /// database without overwriting each other's state.
    pub fn save_as<P: Provider>(&self, provider: &P, client_id: &[u8]) -> Result<(), Error> {
        let mut batch = state_batch(provider.storage(), client_id, self)?;
        let result = provider.storage().apply(&batch);
        zeroize_batch(&mut batch);
        Ok(result?)
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
    /// not decode (both inside [`Error::Storage`]); a backend failure.
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
        let storage = provider.storage();
        let group = decode_group(provider.crypto(), &bytes, |epoch| {
            let key = past_epoch_key(client_id, group_id, epoch)?;
            Ok(storage
                .get(RecordKind::PastEpoch, &key)?
                .map(Zeroizing::new))
        })?;
        if group.group_id() != group_id {
            return Err(StorageError::Corrupt.into());
        }
        Ok(Some(group))
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

/// The encoded record of `group`.
pub(crate) fn encode_group(g: &Group) -> Result<Vec<u8>, Error> {
    // Records run about 170 bytes per member; the writer grows (wiping
    // what it leaves) if that is short.
    let estimate = (g.tree.n_leaves() as usize)
        .saturating_mul(256)
        .saturating_add(4096);
    let mut w = RecordWriter::new(GROUP_STATE_VERSION, estimate);
    w.len(g.past_epochs.len())?;
    for p in &g.past_epochs {
        w.u64(p.epoch);
    }
    w.u16(g.suite.0);
    w.tls(&g.context)?;
    w.opaque(&g.tree.encode_extension()?)?;
    w.u32(g.own_leaf.0);
    // Private keys.
    w.u32(g.private_keys.leaf.0);
    w.secret(&g.private_keys.leaf_key)?;
    w.len(g.private_keys.path_keys.len())?;
    for (node, key) in &g.private_keys.path_keys {
        w.u32(*node);
        w.secret(key)?;
    }
    // Epoch secrets and secret tree.
    for s in epoch_secret_fields(&g.keys.secrets) {
        w.secret(s)?;
    }
    put_secret_tree(&g.keys.secret_tree, &mut w)?;
    w.opaque(&g.interim_transcript_hash)?;
    w.opaque(&g.confirmation_tag)?;
    // Cached proposals.
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
    // PSKs.
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
    // Config and flags.
    let c = &g.config;
    w.u8(match c.wire_format {
        WireFormatPolicy::AlwaysPrivate => 0,
        WireFormatPolicy::AlwaysPublic => 1,
        WireFormatPolicy::MixedPublic => 2,
        WireFormatPolicy::MixedPrivate => 3,
    });
    w.u64(c.padding_block as u64);
    put_ratchet_config(&c.ratchet, &mut w);
    w.u64(c.max_past_epochs as u64);
    w.u8(u8::from(c.ratchet_tree_extension));
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
    let l = &c.limits;
    w.u32(l.max_leaves);
    w.u64(l.max_message_size as u64);
    w.u64(l.max_extensions_per_leaf as u64);
    w.u64(l.max_proposals_per_commit as u64);
    w.u64(l.max_cached_proposals as u64);
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

/// Decodes a past-epoch record, which must be of epoch `epoch` of group
/// `group_id`.
fn decode_past_epoch(
    bytes: &[u8],
    group_id: &[u8],
    epoch: u64,
    max_leaves: u32,
) -> Result<PastEpoch, StorageError> {
    let mut r = Reader { bytes };
    let version = r.u16()?;
    if version != PAST_EPOCH_VERSION {
        return Err(StorageError::UnsupportedVersion(version));
    }
    let sum = r.u64()?;
    if fnv1a64(r.bytes) != sum || r.u64()? != epoch {
        return Err(CORRUPT);
    }
    let context: GroupContext = r.tls()?;
    if context.group_id.as_slice() != group_id {
        return Err(CORRUPT);
    }
    let sender_data_secret = r.secret()?;
    let secret_tree = r.secret_tree(max_leaves)?;
    let mut changed_members = BTreeMap::new();
    for _ in 0..r.len()? {
        let leaf = r.u32()?;
        let member = if r.bool()? {
            Some(PastMember {
                signature_key: r.vec()?,
                credential: r.tls()?,
            })
        } else {
            None
        };
        changed_members.insert(leaf, member);
    }
    if !r.bytes.is_empty() {
        return Err(CORRUPT);
    }
    Ok(PastEpoch {
        epoch,
        context,
        sender_data_secret,
        secret_tree,
        changed_members,
    })
}

/// Fills the checksum slot of a record whose header (version, then eight
/// placeholder bytes) has been written, from every byte after the header.
pub(crate) fn write_checksum(w: &mut [u8]) {
    let sum = fnv1a64(w.get(HEADER_LEN..).unwrap_or_default());
    if let Some(slot) = w.get_mut(2..HEADER_LEN) {
        slot.copy_from_slice(&sum.to_be_bytes());
    }
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

fn put_secret_tree(t: &SecretTree, w: &mut RecordWriter) -> Result<(), Error> {
    w.u32(t.n_leaves());
    put_ratchet_config(&t.config(), w);
    w.len(t.node_secrets().len())?;
    for (node, secret) in t.node_secrets() {
        w.u32(*node);
        w.secret(secret)?;
    }
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

    fn usize(&mut self) -> Result<usize, StorageError> {
        usize::try_from(self.u64()?).map_err(|_| CORRUPT)
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

    fn ratchet_config(&mut self) -> Result<RatchetConfig, StorageError> {
        Ok(RatchetConfig {
            out_of_order_tolerance: self.u32()?,
            maximum_forward_distance: self.u32()?,
        })
    }

    fn ratchet(&mut self) -> Result<SenderRatchet, StorageError> {
        let secret = self.secret()?;
        let generation = self.u32()?;
        let mut skipped = BTreeMap::new();
        for _ in 0..self.len()? {
            let g = self.u32()?;
            let key = self.secret()?;
            let nonce = self.secret()?;
            skipped.insert(g, (key, nonce));
        }
        Ok(SenderRatchet::from_parts(secret, generation, skipped))
    }

    fn past_epoch_list(&mut self) -> Result<Vec<u64>, StorageError> {
        let mut epochs: Vec<u64> = Vec::new();
        for _ in 0..self.len()? {
            let epoch = self.u64()?;
            if epochs.last().is_some_and(|last| *last >= epoch) {
                return Err(CORRUPT);
            }
            epochs.push(epoch);
        }
        Ok(epochs)
    }

    fn secret_tree(&mut self, max_leaves: u32) -> Result<SecretTree, StorageError> {
        let n_leaves = self.u32()?;
        if math::root(n_leaves).is_none() {
            return Err(CORRUPT);
        }
        if n_leaves > max_leaves {
            return Err(StorageError::OutOfRange("secret tree leaf count"));
        }
        let config = self.ratchet_config()?;
        check_ratchet_config(&config)?;
        let mut nodes = BTreeMap::new();
        for _ in 0..self.len()? {
            let node = self.u32()?;
            if !math::in_tree(node, n_leaves) {
                return Err(CORRUPT);
            }
            nodes.insert(node, self.secret()?);
        }
        let mut ratchets = BTreeMap::new();
        for _ in 0..self.len()? {
            let leaf = self.u32()?;
            if leaf >= n_leaves {
                return Err(CORRUPT);
            }
            let handshake = self.ratchet()?;
            let application = self.ratchet()?;
            ratchets.insert(leaf, (handshake, application));
        }
        Ok(SecretTree::from_parts(n_leaves, nodes, ratchets, config))
    }
}

/// Decodes a record written by [`encode_group`], with the past-epoch
/// records it lists read by `past_epoch`.
pub(crate) fn decode_group<C, F, B>(
    crypto: &C,
    bytes: &[u8],
    mut past_epoch: F,
) -> Result<Group, Error>
where
    C: cohort_traits::Crypto + ?Sized,
    F: FnMut(u64) -> Result<Option<B>, Error>,
    B: core::ops::Deref<Target = Vec<u8>>,
{
    let mut r = Reader { bytes };
    let version = r.u16()?;
    if version != GROUP_STATE_VERSION {
        return Err(StorageError::UnsupportedVersion(version).into());
    }
    let sum = r.u64()?;
    if fnv1a64(r.bytes) != sum {
        return Err(CORRUPT.into());
    }
    let past_epoch_list = r.past_epoch_list()?;
    let suite = Ciphersuite(r.u16()?);
    let context: GroupContext = r.tls()?;
    if context.cipher_suite != suite {
        return Err(CORRUPT.into());
    }
    // The tree's nodes: decoded once the limits (stored last) are known.
    let tree_bytes = r.bytes()?;
    let own_leaf = LeafIndex(r.u32()?);
    let leaf = LeafIndex(r.u32()?);
    let leaf_key = r.secret()?;
    let mut path_keys = BTreeMap::new();
    for _ in 0..r.len()? {
        let node = r.u32()?;
        path_keys.insert(node, r.secret()?);
    }
    let private_keys = TreePrivateKeys {
        leaf,
        leaf_key,
        path_keys,
    };
    let secrets = EpochSecrets {
        sender_data_secret: r.secret()?,
        encryption_secret: r.secret()?,
        exporter_secret: r.secret()?,
        external_secret: r.secret()?,
        confirmation_key: r.secret()?,
        membership_key: r.secret()?,
        resumption_psk: r.secret()?,
        epoch_authenticator: r.secret()?,
        init_secret: r.secret()?,
    };
    let secret_tree = r.secret_tree(Limits::MAX_LEAVES_CEILING)?;
    let interim_transcript_hash = r.vec()?;
    let confirmation_tag = r.vec()?;
    let mut proposals = super::proposals::ProposalCache::default();
    for _ in 0..r.len()? {
        let proposal: Proposal = r.tls()?;
        let sender: Sender = r.tls()?;
        let reference = if r.bool()? { Some(r.vec()?) } else { None };
        proposals.insert(
            QueuedProposal {
                proposal,
                sender,
                reference,
            },
            usize::MAX,
        )?;
    }
    let mut resumption_psks = BTreeMap::new();
    for _ in 0..r.len()? {
        let epoch = r.u64()?;
        resumption_psks.insert(epoch, r.secret()?);
    }
    let mut external_psks = BTreeMap::new();
    for _ in 0..r.len()? {
        let id = r.vec()?;
        external_psks.insert(id, r.secret()?);
    }
    let wire_format = match r.u8()? {
        0 => WireFormatPolicy::AlwaysPrivate,
        1 => WireFormatPolicy::AlwaysPublic,
        2 => WireFormatPolicy::MixedPublic,
        3 => WireFormatPolicy::MixedPrivate,
        _ => return Err(CORRUPT.into()),
    };
    let mut config = GroupConfig {
        wire_format,
        padding_block: r.usize()?,
        ratchet: r.ratchet_config()?,
        max_past_epochs: r.usize()?,
        limits: Limits::default(),
        ratchet_tree_extension: r.bool()?,
        // Runtime configuration, not stored: the application installs its
        // own after loading (Group::set_proposal_policy).
        proposal_policy: SharedPolicy::default(),
        // Likewise (Group::set_credential_validator).
        credential_validator: SharedCredentialValidator::default(),
        // Likewise (Group::set_clock).
        clock: super::SharedClock::default(),
    };
    let active = r.bool()?;
    let pending_reinit: Option<ReInit> = if r.bool()? { Some(r.tls()?) } else { None };
    let mut pending_updates = Vec::new();
    for _ in 0..r.len()? {
        pending_updates.push(PendingUpdate {
            encryption_key: r.vec()?,
            private_key: r.secret()?,
        });
    }
    config.limits = Limits {
        max_leaves: r.u32()?,
        max_message_size: r.usize()?,
        max_extensions_per_leaf: r.usize()?,
        max_proposals_per_commit: r.usize()?,
        max_cached_proposals: r.usize()?,
    };
    if !r.bytes.is_empty() {
        return Err(CORRUPT.into());
    }
    config.validate().map_err(|e| match e {
        Error::Misuse(crate::MisuseError::ConfigOutOfRange { field }) => {
            StorageError::OutOfRange(field)
        }
        _ => CORRUPT,
    })?;
    if past_epoch_list.len() > config.max_past_epochs {
        return Err(StorageError::OutOfRange("past epoch count").into());
    }
    if past_epoch_list.last().is_some_and(|e| *e >= context.epoch) {
        return Err(CORRUPT.into());
    }
    let mut past_epochs = VecDeque::with_capacity(past_epoch_list.len());
    for epoch in past_epoch_list {
        let record = past_epoch(epoch)?.ok_or(CORRUPT)?;
        past_epochs.push_back(decode_past_epoch(
            &record,
            context.group_id.as_slice(),
            epoch,
            config.limits.max_leaves,
        )?);
    }

    // The tree: its shape is checked and every hash recomputed; it must be
    // the tree the GroupContext commits to.
    let cs = SuiteCrypto::new(crypto, suite)?;
    let tree =
        RatchetTree::decode_extension(&cs, tree_bytes, config.limits.max_leaves).map_err(|e| {
            match e {
                Error::Limit(_) => StorageError::OutOfRange("tree leaf count"),
                _ => CORRUPT,
            }
        })?;
    if active && secret_tree.n_leaves() != tree.n_leaves() {
        return Err(StorageError::OutOfRange("secret tree leaf count").into());
    }
    if tree.tree_hash() != context.tree_hash.as_slice()
        || (active && (tree.leaf(own_leaf).is_none() || private_keys.leaf != own_leaf))
    {
        return Err(CORRUPT.into());
    }
    Ok(Group {
        suite,
        context,
        tree,
        own_leaf,
        private_keys,
        keys: EpochKeys {
            secrets,
            secret_tree,
        },
        interim_transcript_hash,
        confirmation_tag,
        proposals,
        past_epochs,
        resumption_psks,
        external_psks,
        config,
        active,
        pending_reinit,
        pending_updates,
    })
}
