//! [`MlsGroup`], [`StagedWelcome`] and the records they return.

use crate::CohortError;
use crate::client::{FfiProvider, Shared};
use cohort::codec::{decode_exact, encode};
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Limits, ProcessedMessage as CoreProcessed};
use cohort::messages::{Credential, KeyPackage, LeafNode};
use cohort::{ClientGroup, LeafIndex};
use std::sync::{Arc, Mutex, PoisonError};

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Member {
    /// Its leaf index.
    pub leaf_index: u32,
    /// The identity its credential names (a basic credential's identity;
    /// for an X.509 chain, the end-entity certificate's DER).
    pub identity: Vec<u8>,
    /// Its signature public key.
    pub signature_key: Vec<u8>,
}

/// Who sent an application message.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MessageSender {
    /// Its leaf index in the message's epoch.
    pub leaf_index: u32,
    /// The identity its credential named in that epoch.
    pub identity: Vec<u8>,
}

/// What [`MlsGroup::process`] found in a message.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ProcessedMessage {
    /// Application data from a member.
    Application {
        /// The sender.
        sender: MessageSender,
        /// The epoch it was sent in (a past epoch for a late message).
        epoch: u64,
        /// The data.
        data: Vec<u8>,
        /// The message's authenticated data.
        authenticated_data: Vec<u8>,
    },
    /// A proposal, kept for the next commit.
    Proposal {
        /// The proposer's leaf, when a member sent it.
        sender_leaf_index: Option<u32>,
        /// Its type (RFC 9420 section 17.4: 1 add, 2 update, 3 remove...).
        proposal_type: u16,
        /// Its ProposalRef.
        reference: Vec<u8>,
    },
    /// A commit, checked and applied: the group is in its new epoch.
    Commit {
        /// The committer's leaf, when a member sent it.
        sender_leaf_index: Option<u32>,
        /// The new epoch.
        epoch: u64,
        /// The members it added.
        added: Vec<Member>,
        /// The members it removed (as they were).
        removed: Vec<Member>,
        /// Whether this client is still a member (false when the commit
        /// removed it).
        still_member: bool,
    },
}

/// A commit of this client, pending until merged
/// ([`MlsGroup::merge_pending_commit`]) or echoed back.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CommitBundle {
    /// The commit (an encoded MLSMessage), for the group.
    pub commit: Vec<u8>,
    /// The Welcome (an encoded MLSMessage) for the members it adds.
    pub welcome: Option<Vec<u8>>,
}

/// The identity a credential names (for a multi-credential, that of its
/// first binding).
fn identity_of(credential: &Credential) -> Vec<u8> {
    match credential {
        Credential::Multi { bindings } | Credential::WeakMulti { bindings } => bindings
            .0
            .first()
            .map(|b| identity_of(&b.credential))
            .unwrap_or_default(),
        Credential::Basic { identity } => identity.as_slice().to_vec(),
        Credential::X509 { certificates } => certificates
            .0
            .first()
            .map(|c| c.cert_data.as_slice().to_vec())
            .unwrap_or_default(),
        Credential::Custom { data, .. } => data.as_slice().to_vec(),
    }
}

fn leaf_member(index: LeafIndex, leaf: &LeafNode) -> Member {
    Member {
        leaf_index: index.0,
        identity: identity_of(&leaf.credential),
        signature_key: leaf.signature_key.as_slice().to_vec(),
    }
}

fn member(m: cohort::group::Member) -> Member {
    Member {
        leaf_index: m.index.0,
        identity: identity_of(&m.credential),
        signature_key: m.signature_key,
    }
}

/// Decodes an MLSMessage received from outside, within the client's
/// message size limit.
pub(crate) fn decode_message(limits: &Limits, bytes: &[u8]) -> Result<MlsMessage, CohortError> {
    limits.check_message_size(bytes.len())?;
    Ok(decode_exact(bytes)?)
}

/// Decodes a KeyPackage MLSMessage.
fn decode_key_package(limits: &Limits, bytes: &[u8]) -> Result<KeyPackage, CohortError> {
    match decode_message(limits, bytes)?.body {
        MlsMessageBody::KeyPackage(kp) => Ok(kp),
        _ => Err(CohortError::Misuse(
            "unexpected message type: expected a KeyPackage".into(),
        )),
    }
}

/// Processes `message` in `group`; a commit is merged at once.
pub(crate) fn process_in(
    group: &mut ClientGroup<'_, FfiProvider>,
    message: &MlsMessage,
) -> Result<ProcessedMessage, CohortError> {
    Ok(match group.process(message)? {
        CoreProcessed::Application {
            sender,
            credential,
            epoch,
            data,
            authenticated_data,
            ..
        } => ProcessedMessage::Application {
            sender: MessageSender {
                leaf_index: sender.0,
                identity: identity_of(&credential),
            },
            epoch,
            data,
            authenticated_data,
        },
        CoreProcessed::Proposal {
            sender,
            proposal,
            reference,
        } => ProcessedMessage::Proposal {
            sender_leaf_index: sender.leaf_index().map(|l| l.0),
            proposal_type: proposal.proposal_type().0,
            reference,
        },
        CoreProcessed::Commit(staged) => {
            let sender_leaf_index = staged.sender().leaf_index().map(|l| l.0);
            let added = staged
                .added()
                .iter()
                .map(|(i, kp)| leaf_member(*i, &kp.leaf_node))
                .collect();
            let removed = staged
                .removed()
                .iter()
                .map(|(i, leaf)| leaf_member(*i, leaf))
                .collect();
            group.merge_staged_commit(*staged)?;
            ProcessedMessage::Commit {
                sender_leaf_index,
                epoch: group.epoch(),
                added,
                removed,
                still_member: group.is_active(),
            }
        }
    })
}

/// One group of a client. Every call stores what it changes before it
/// returns.
#[derive(uniffi::Object)]
pub struct MlsGroup {
    shared: Arc<Shared>,
    group_id: Vec<u8>,
}

impl core::fmt::Debug for MlsGroup {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MlsGroup")
            .field("group_id", &self.group_id)
            .finish_non_exhaustive()
    }
}

impl MlsGroup {
    pub(crate) fn new(shared: Arc<Shared>, group_id: Vec<u8>) -> Self {
        MlsGroup { shared, group_id }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut ClientGroup<'_, FfiProvider>) -> Result<T, CohortError>,
    ) -> Result<T, CohortError> {
        self.shared.with_group(&self.group_id, f)
    }
}

#[uniffi::export]
impl MlsGroup {
    /// The group id.
    pub fn group_id(&self) -> Vec<u8> {
        self.group_id.clone()
    }

    /// The current epoch.
    pub fn epoch(&self) -> Result<u64, CohortError> {
        self.with(|g| Ok(g.epoch()))
    }

    /// This client's leaf index.
    pub fn own_leaf_index(&self) -> Result<u32, CohortError> {
        self.with(|g| Ok(g.own_index().0))
    }

    /// Whether this client is still a member.
    pub fn is_active(&self) -> Result<bool, CohortError> {
        self.with(|g| Ok(g.is_active()))
    }

    /// The members, by leaf index.
    pub fn roster(&self) -> Result<Vec<Member>, CohortError> {
        self.with(|g| Ok(g.roster().into_iter().map(member).collect()))
    }

    /// The epoch authenticator (RFC 9420 section 8.7): equal for every
    /// member in the same epoch.
    pub fn epoch_authenticator(&self) -> Result<Vec<u8>, CohortError> {
        self.with(|g| Ok(g.epoch_authenticator().to_vec()))
    }

    /// `MLS-Exporter(label, context, length)` of the current epoch
    /// (RFC 9420 section 8.5).
    pub fn export_secret(
        &self,
        label: String,
        context: Vec<u8>,
        length: u16,
    ) -> Result<Vec<u8>, CohortError> {
        self.with(|g| {
            Ok(g.export_secret(label.as_bytes(), &context, length)?
                .as_bytes()
                .to_vec())
        })
    }

    /// Encrypts application data into a PrivateMessage (an encoded
    /// MLSMessage).
    pub fn encrypt(&self, data: Vec<u8>) -> Result<Vec<u8>, CohortError> {
        self.encrypt_with_aad(data, Vec::new())
    }

    /// [`MlsGroup::encrypt`] with authenticated data sent in the clear.
    pub fn encrypt_with_aad(
        &self,
        data: Vec<u8>,
        authenticated_data: Vec<u8>,
    ) -> Result<Vec<u8>, CohortError> {
        self.with(|g| Ok(encode(&g.encrypt(&data, &authenticated_data)?)?))
    }

    /// Processes a message received for this group (an encoded
    /// MLSMessage): application data is returned, a proposal kept for the
    /// next commit, and a commit (this client's own echoed back included)
    /// checked and merged.
    ///
    /// Errors: [`CohortError::Malformed`] for bytes that do not decode;
    /// [`CohortError::Validation`] for a message that fails a check (of
    /// another group or epoch, read already, badly signed...); the group
    /// is then unchanged.
    pub fn process(&self, message: Vec<u8>) -> Result<ProcessedMessage, CohortError> {
        self.with(|g| {
            let message = decode_message(&g.group().config().limits, &message)?;
            process_in(g, &message)
        })
    }

    /// Commits: adds the clients of `add_key_packages` (encoded KeyPackage
    /// MLSMessages), removes the members at `remove_leaf_indices`, with a
    /// fresh path when `self_update`, and every proposal received since
    /// the last commit. The commit is pending: send it, then
    /// [`MlsGroup::merge_pending_commit`] (or process its echo).
    ///
    /// Errors: [`CohortError::Malformed`] or [`CohortError::Misuse`] for a
    /// KeyPackage that does not decode; [`CohortError::Validation`] for
    /// one that fails a check, a leaf that holds no member, removing
    /// oneself; the group is then unchanged.
    pub fn commit(
        &self,
        add_key_packages: Vec<Vec<u8>>,
        remove_leaf_indices: Vec<u32>,
        self_update: bool,
    ) -> Result<CommitBundle, CohortError> {
        self.with(|g| {
            let mut builder = g.commit_builder();
            for bytes in &add_key_packages {
                builder =
                    builder.add_member(decode_key_package(&g.group().config().limits, bytes)?);
            }
            for leaf in remove_leaf_indices {
                builder = builder.remove_member(LeafIndex(leaf));
            }
            if self_update {
                builder = builder.force_path(true);
            }
            let out = g.commit(builder)?;
            Ok(CommitBundle {
                commit: encode(&out.commit)?,
                welcome: out.welcome.as_ref().map(encode).transpose()?,
            })
        })
    }

    /// A commit adding the clients of `key_packages`.
    pub fn add_members(&self, key_packages: Vec<Vec<u8>>) -> Result<CommitBundle, CohortError> {
        self.commit(key_packages, Vec::new(), false)
    }

    /// A commit removing the members at `leaf_indices`.
    pub fn remove_members(&self, leaf_indices: Vec<u32>) -> Result<CommitBundle, CohortError> {
        self.commit(Vec::new(), leaf_indices, false)
    }

    /// A commit that updates this client's keys (a fresh path).
    pub fn self_update(&self) -> Result<CommitBundle, CohortError> {
        self.commit(Vec::new(), Vec::new(), true)
    }

    /// A proposal (an encoded MLSMessage) to add the client of
    /// `key_package`, for a member to commit.
    pub fn propose_add(&self, key_package: Vec<u8>) -> Result<Vec<u8>, CohortError> {
        self.with(|g| {
            let message = decode_message(&g.group().config().limits, &key_package)?;
            Ok(encode(&g.propose_add(&message)?)?)
        })
    }

    /// A proposal (an encoded MLSMessage) to remove the member at
    /// `leaf_index`, for a member to commit.
    pub fn propose_remove(&self, leaf_index: u32) -> Result<Vec<u8>, CohortError> {
        self.with(|g| Ok(encode(&g.propose_remove(LeafIndex(leaf_index))?)?))
    }

    /// A proposal (an encoded MLSMessage) to update this client's keys,
    /// for another member to commit.
    pub fn propose_self_update(&self) -> Result<Vec<u8>, CohortError> {
        self.with(|g| Ok(encode(&g.propose_self_update()?)?))
    }

    /// Whether a commit of this client is pending.
    pub fn has_pending_commit(&self) -> Result<bool, CohortError> {
        self.with(|g| Ok(g.pending_commit().is_some()))
    }

    /// Merges this client's pending commit: the group moves to its epoch.
    ///
    /// Errors: [`CohortError::Misuse`] when none is pending.
    pub fn merge_pending_commit(&self) -> Result<(), CohortError> {
        self.with(|g| Ok(g.merge_pending_commit()?))
    }

    /// Drops this client's pending commit (another commit won the epoch).
    pub fn clear_pending_commit(&self) -> Result<(), CohortError> {
        self.with(|g| Ok(g.clear_pending_commit()?))
    }

    /// A GroupInfo of the current epoch (an encoded MLSMessage), with the
    /// ratchet tree when `with_ratchet_tree`.
    pub fn group_info(&self, with_ratchet_tree: bool) -> Result<Vec<u8>, CohortError> {
        self.with(|g| Ok(encode(&g.group_info(with_ratchet_tree)?)?))
    }
}

/// A Welcome checked and decrypted, to inspect before
/// [`StagedWelcome::join`]; dropping it changes nothing.
#[derive(uniffi::Object)]
pub struct StagedWelcome {
    shared: Arc<Shared>,
    group_id: Vec<u8>,
    epoch: u64,
    ciphersuite: u16,
    own_leaf_index: u32,
    roster: Vec<Member>,
    added_by: Option<Member>,
    staged: Mutex<Option<cohort::StagedWelcome>>,
}

impl core::fmt::Debug for StagedWelcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StagedWelcome")
            .field("group_id", &self.group_id)
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl StagedWelcome {
    pub(crate) fn new(shared: Arc<Shared>, staged: cohort::StagedWelcome) -> Self {
        StagedWelcome {
            shared,
            group_id: staged.group_id().to_vec(),
            epoch: staged.epoch(),
            ciphersuite: staged.ciphersuite().0,
            own_leaf_index: staged.own_index().0,
            roster: staged.roster().into_iter().map(member).collect(),
            added_by: staged.added_by().map(member),
            staged: Mutex::new(Some(staged)),
        }
    }
}

#[uniffi::export]
impl StagedWelcome {
    /// The group id.
    pub fn group_id(&self) -> Vec<u8> {
        self.group_id.clone()
    }

    /// The epoch it joins.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The group's cipher suite.
    pub fn ciphersuite(&self) -> u16 {
        self.ciphersuite
    }

    /// This client's leaf index in the group.
    pub fn own_leaf_index(&self) -> u32 {
        self.own_leaf_index
    }

    /// The members, this client included.
    pub fn roster(&self) -> Vec<Member> {
        self.roster.clone()
    }

    /// The member who added this client.
    pub fn added_by(&self) -> Option<Member> {
        self.added_by.clone()
    }

    /// Joins the group: it is stored and the KeyPackage used up.
    ///
    /// Errors: [`CohortError::Misuse`] when this Welcome was used
    /// already (joined, or a join of it failed); [`CohortError::Validation`] when the client is still in a
    /// group of that id.
    pub fn join(&self) -> Result<Arc<MlsGroup>, CohortError> {
        let mut slot = self.staged.lock().unwrap_or_else(PoisonError::into_inner);
        let staged = slot
            .take()
            .ok_or_else(|| CohortError::Misuse("this Welcome was used already".into()))?;
        let id = self.shared.open_new(|c| c.join(staged))?;
        Ok(Arc::new(MlsGroup::new(self.shared.clone(), id)))
    }
}
