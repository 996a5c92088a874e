//! A group as a delivery service sees it: its public state, followed from
//! the group's PublicMessages without any secret (RFC 9420 sections 6.1,
//! 6.2, 8.2, 12.2, 12.4.2, 12.4.3).
//!
//! A [`PublicGroup`] starts from a GroupInfo and its ratchet tree, checked
//! as a joiner checks them, and then follows the group: it verifies each
//! PublicMessage proposal and commit of the current epoch as far as a
//! non-member can, keeps proposals for the next commit and applies commits
//! to the public ratchet tree and the GroupContext. What it cannot check,
//! for want of the epoch's secrets, is listed on [`PublicGroup::process`].

use super::credentials::check_group_credentials;
use super::join::{OutOfBandTree, verified_tree};
use super::process::{
    ProposalsApplied, apply_received_proposals, check_received_proposal, merge_received_path,
    sender_signature_key,
};
use super::proposals::{ProposalCache, QueuedProposal};
use super::{GroupConfig, Limits, Member};
use crate::client::ExportedTree;
use crate::codec::{VarBytes, VarVec, decode_exact, encode};
use crate::crypto::SuiteCrypto;
use crate::framing::{
    self, AuthenticatedContent, ContentType, FramedContentBody, MlsMessage, MlsMessageBody,
    PublicMessage, Sender, WireFormat,
};
use crate::messages::{Commit, GroupContext, Proposal, ReInit};
use crate::schedule::{interim_transcript_hash, next_confirmed_transcript_hash};
use crate::tree::math::LeafIndex;
use crate::tree::{RatchetTree, TreeView};
use crate::{Error, LimitError, MisuseError, ValidationError};
use alloc::boxed::Box;
use alloc::vec::Vec;
use cohort_traits::{Ciphersuite, Crypto, StorageError};
use tls_codec::{DeserializeBytes, Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize};

/// The format version [`PublicGroup::to_bytes`] writes and
/// [`PublicGroup::from_bytes`] reads.
pub const PUBLIC_GROUP_VERSION: u16 = 1;

/// The public state of a group, for a delivery service (RFC 9420 sections
/// 6.2, 12.4.2): the GroupContext, the ratchet tree with public keys only,
/// the interim transcript hash and the proposals of the current epoch.
///
/// It holds no secret and cannot read PrivateMessages: a group whose
/// members send handshake messages as PrivateMessages (see
/// [`WireFormatPolicy`](super::WireFormatPolicy)) cannot be followed; route
/// PrivateMessages with [`MessageInfo`] instead.
///
/// Every call that fails leaves the group as it was.
#[derive(Clone, Debug)]
pub struct PublicGroup {
    context: GroupContext,
    tree: RatchetTree,
    interim_transcript_hash: Vec<u8>,
    confirmation_tag: Vec<u8>,
    proposals: ProposalCache,
    reinit: Option<ReInit>,
    config: GroupConfig,
}

/// What [`PublicGroup::process`] accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicProcessed {
    /// A proposal, now pending until the epoch ends: the next commit may
    /// include it by reference.
    Proposal {
        /// Its sender.
        sender: Sender,
        /// Its ProposalRef (RFC 9420 section 5.2).
        reference: Vec<u8>,
        /// The proposal.
        proposal: Box<Proposal>,
        /// `false` when a proposal with this reference was pending already
        /// (a message delivered twice); nothing changed then.
        new: bool,
    },
    /// A commit, applied: the group is in the next epoch.
    Commit(Box<CommitSummary>),
}

/// What an applied commit changed (RFC 9420 section 12.4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitSummary {
    /// Who committed: a member, or a new member joining by external
    /// commit (RFC 9420 section 12.4.3.2).
    pub sender: Sender,
    /// The committer's leaf in the new epoch (for an external commit, the
    /// leaf the joiner took).
    pub committer: LeafIndex,
    /// The new epoch.
    pub epoch: u64,
    /// The members the commit's Adds put in, then the joiner of an external
    /// commit, with their leaves in the new epoch.
    pub added: Vec<Member>,
    /// The members removed, as they were before the commit.
    pub removed: Vec<Member>,
    /// The leaves whose member replaced its leaf by an Update proposal.
    pub updated: Vec<LeafIndex>,
    /// Whether the commit carried an UpdatePath (the committer's leaf and
    /// direct path replaced).
    pub path: bool,
    /// The references of the pending proposals the commit included.
    pub committed_references: Vec<Vec<u8>>,
    /// The ReInit committed, if any: the group takes no handshake message
    /// after this commit (RFC 9420 section 11.2).
    pub reinit: Option<ReInit>,
}

impl PublicGroup {
    /// The public state of the group of `group_info` (an MLSMessage
    /// carrying a GroupInfo), with the default [`GroupConfig`] hooks and
    /// `limits` (see [`PublicGroup::from_group_info_with`]).
    pub fn from_group_info<C: Crypto + ?Sized>(
        crypto: &C,
        group_info: &MlsMessage,
        tree: Option<&ExportedTree>,
        limits: &Limits,
    ) -> Result<Self, Error> {
        Self::from_group_info_with(
            crypto,
            group_info,
            tree,
            GroupConfig::default().with_limits(*limits),
        )
    }

    /// The public state of the group of `group_info`, checked as a joiner
    /// checks a GroupInfo (RFC 9420 sections 12.4.3.1, 12.4.3.2) but with
    /// no private key: the message size against the limit; the group
    /// context extensions well formed and the GroupInfo extensions unique
    /// (C-CAP-07, C-CAP-08); the tree from its `ratchet_tree` extension or
    /// `tree` (C-WEL-06), decoded within `max_leaves`, hashes to the
    /// context's tree hash (C-TREE-05); the signer is a member whose
    /// signature over the GroupInfo verifies (C-GI-01, C-GI-02), before
    /// the tree's own checks (leaf signatures, parent hashes, key
    /// uniqueness; RFC 9420 section 7.9; C-TREE-*); last every credential
    /// in the group is put to `config`'s
    /// [`CredentialValidator`](super::CredentialValidator) (C-CRED-04).
    /// The cost is linear in the size of the GroupInfo and tree.
    ///
    /// Of `config`, the limits, the proposal policy, the credential
    /// validator, the clock and the application settings are used, for
    /// this call and the ones after; members of the group should use the
    /// same, or the two will disagree on which commits are valid.
    ///
    /// The confirmation tag cannot be verified without the epoch's
    /// confirmation key: a GroupInfo whose signer lies about it is taken,
    /// and then commits of the group's members do not give the transcript
    /// hashes this view computes. The GroupInfo signer is trusted for it
    /// as a joiner by external commit trusts it.
    pub fn from_group_info_with<C: Crypto + ?Sized>(
        crypto: &C,
        group_info: &MlsMessage,
        tree: Option<&ExportedTree>,
        config: GroupConfig,
    ) -> Result<Self, Error> {
        config.validate()?;
        let MlsMessageBody::GroupInfo(info) = &group_info.body else {
            return Err(MisuseError::UnexpectedMessageType {
                expected: "GroupInfo",
            }
            .into());
        };
        config
            .limits
            .check_message_size(group_info.tls_serialized_len())?;
        let context = &info.group_context;
        let cs = SuiteCrypto::new(crypto, context.cipher_suite)?;
        let out_of_band = tree.map(|t| OutOfBandTree::Encoded(t.as_bytes().to_vec()));
        let tree = verified_tree(&cs, info, out_of_band, &config)?;
        check_group_credentials(config.credential_validator.get(), context, &tree)?;
        let interim = interim_transcript_hash(
            &cs,
            context.confirmed_transcript_hash.as_slice(),
            info.confirmation_tag.as_slice(),
        )?;
        Ok(PublicGroup {
            context: context.clone(),
            tree,
            interim_transcript_hash: interim,
            confirmation_tag: info.confirmation_tag.0.clone(),
            proposals: ProposalCache::default(),
            reinit: None,
            config,
        })
    }

    /// The group id.
    pub fn group_id(&self) -> &[u8] {
        self.context.group_id.as_slice()
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.context.epoch
    }

    /// The cipher suite.
    pub fn ciphersuite(&self) -> Ciphersuite {
        self.context.cipher_suite
    }

    /// The GroupContext of the current epoch (RFC 9420 section 8.1): its
    /// tree hash and confirmed transcript hash are the members'.
    pub fn context(&self) -> &GroupContext {
        &self.context
    }

    /// The public ratchet tree of the current epoch.
    pub fn tree(&self) -> &RatchetTree {
        &self.tree
    }

    /// The interim transcript hash of the current epoch (RFC 9420 section
    /// 8.2), which the next commit's confirmed transcript hash extends.
    pub fn interim_transcript_hash(&self) -> &[u8] {
        &self.interim_transcript_hash
    }

    /// The confirmation tag of the commit (or GroupInfo) that started the
    /// current epoch, as received: this view cannot verify it.
    pub fn confirmation_tag(&self) -> &[u8] {
        &self.confirmation_tag
    }

    /// The configuration in use (see [`PublicGroup::from_group_info_with`]).
    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// The member at `leaf`, if the leaf is occupied.
    pub fn member(&self, leaf: LeafIndex) -> Option<Member> {
        self.tree.leaf(leaf).map(|node| Member {
            index: leaf,
            credential: node.credential.clone(),
            signature_key: node.signature_key.0.clone(),
        })
    }

    /// The members, in leaf order.
    pub fn members(&self) -> Vec<Member> {
        self.tree
            .members()
            .into_iter()
            .filter_map(|leaf| self.member(leaf))
            .collect()
    }

    /// The leaf of the member whose signature key is `signature_key`
    /// (signature keys are unique in a valid tree, RFC 9420 section 7.9).
    pub fn member_by_signature_key(&self, signature_key: &[u8]) -> Option<LeafIndex> {
        self.tree.leaves_with_signature_key(signature_key).next()
    }

    /// The proposals of the current epoch, in arrival order, for the next
    /// commit to include by reference.
    pub fn pending_proposals(&self) -> &[QueuedProposal] {
        &self.proposals
    }

    /// The ReInit the last commit carried: a group reinitialized takes no
    /// further handshake message (RFC 9420 sections 11.2, 12.4.2).
    pub fn pending_reinit(&self) -> Option<&ReInit> {
        self.reinit.as_ref()
    }

    /// Checks a PublicMessage (an MLSMessage) of the current epoch and
    /// takes it in: a proposal is kept as pending, a commit is applied and
    /// the group moves to the next epoch. On any error nothing changes.
    ///
    /// Checked, in order (RFC 9420 sections 6, 6.1, 12.1, 12.2, 12.4.2):
    /// the message size; a PublicMessage (a PrivateMessage cannot be
    /// read without the epoch's keys); the group id (C-FRAME-04); the
    /// epoch ([`ValidationError::EpochNotCurrent`], naming the current
    /// one); no ReInit committed before; no application data
    /// (C-FRAME-06); what each sender type may send (C-FRAME-12 to
    /// C-FRAME-15); the signature under the sender's key: a member's leaf,
    /// an external sender's entry, the path leaf of an external commit, the
    /// KeyPackage of a new member's Add (C-FRAME-08, C-FRAME-10,
    /// C-FRAME-11); the `authenticated_data` is one SafeAAD when the group
    /// context requires it (extensions draft). A proposal: the checks a member makes on a proposal it
    /// receives, by the same code (not a GREASE type, C-GREASE-07; a
    /// SelfRemove only from a member; the application's components and
    /// custom types of `config.app`; the credentials it brings for the
    /// configured Authentication Service and the proposal policy,
    /// C-CRED-05, C-CRED-06, C-CRED-08, C-PROP-21), but for the member's
    /// own capabilities (that every member supports a non-default type is
    /// checked when a commit includes it, C-PROP-19), and the cache has
    /// room. A commit: every check a member makes on its proposal list,
    /// by the same code (references resolve to pending proposals, list
    /// validity, credentials, policy, limits; C-COMMIT-02 to C-COMMIT-04,
    /// C-PROP-*, C-EXT-*); the public part of the UpdatePath (its leaf is
    /// valid with a new encryption key, its keys are new to the tree, its
    /// length matches the filtered direct path, its ciphertext counts the
    /// resolutions, its parent hashes verify; C-LN-*, C-COMMIT-05,
    /// C-COMMIT-06, C-TREE-13, C-TREE-14, C-TREE-17). Then the new
    /// GroupContext: epoch + 1, the new tree's hash, the extensions of a
    /// GroupContextExtensions, the confirmed transcript hash over the
    /// commit's content and signature, and the interim transcript hash
    /// over its confirmation tag (RFC 9420 section 8.2).
    ///
    /// Not checked, for want of the epoch's secrets: the membership tag of
    /// a member's PublicMessage (RFC 9420 section 6.2; it is present, the
    /// decoder makes sure, but keyed by the membership key), the
    /// confirmation tag of a commit (section 6.1), the encrypted path
    /// secrets (section 12.4.2), an ExternalInit's KEM output
    /// (section 8.3) and whether the PSKs a commit names exist (section
    /// 8.4). A member who holds the secrets refuses a commit that fails
    /// one of these; the committer's signature makes the committer
    /// accountable for it.
    pub fn process<C: Crypto + ?Sized>(
        &mut self,
        crypto: &C,
        message: &MlsMessage,
    ) -> Result<PublicProcessed, Error> {
        self.config
            .limits
            .check_message_size(message.tls_serialized_len())?;
        let msg = match &message.body {
            MlsMessageBody::PublicMessage(m) => m,
            MlsMessageBody::PrivateMessage(_) => {
                return Err(MisuseError::UnexpectedMessageType {
                    expected: "PublicMessage (a PrivateMessage cannot be read without the epoch's keys)",
                }
                .into());
            }
            _ => return Err(MisuseError::NotAGroupMessage.into()),
        };
        let cs = SuiteCrypto::new(crypto, self.context.cipher_suite)?;
        let ac = self.authenticate(&cs, msg)?;
        match &ac.content.body {
            FramedContentBody::Proposal(p) => self.take_proposal(&cs, &ac, p),
            FramedContentBody::Commit(c) => self.take_commit(&cs, &ac, c),
            FramedContentBody::Application(_) => {
                Err(ValidationError::ApplicationDataInPublicMessage.into())
            }
        }
    }

    /// The framing checks and the signature of a PublicMessage of this
    /// epoch (RFC 9420 sections 6, 6.1).
    fn authenticate<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        msg: &PublicMessage,
    ) -> Result<AuthenticatedContent, Error> {
        if msg.content.group_id != self.context.group_id {
            return Err(ValidationError::WrongGroup.into());
        }
        if msg.content.epoch != self.context.epoch {
            return Err(ValidationError::EpochNotCurrent {
                epoch: msg.content.epoch,
                current: self.context.epoch,
            }
            .into());
        }
        if self.reinit.is_some() {
            return Err(ValidationError::GroupReinitialized.into());
        }
        if msg.content.content_type() == ContentType::Application {
            return Err(ValidationError::ApplicationDataInPublicMessage.into());
        }
        let ac = msg.authenticated_content();
        framing::check_sender_content(&ac.content)?;
        let key = sender_signature_key(&self.context, &self.tree, &ac)?;
        framing::verify_content_signature(cs, &key, &ac, Some(&self.context))?;
        // The group's Safe AAD rules (extensions draft).
        super::app::check_content(
            &self.context,
            ac.content.authenticated_data.as_slice(),
            None,
        )?;
        Ok(ac)
    }

    /// Keeps a proposal for the epoch's commit, after the checks a member
    /// makes on a proposal it receives (RFC 9420 section 12.1).
    fn take_proposal<C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
        ac: &AuthenticatedContent,
        proposal: &Proposal,
    ) -> Result<PublicProcessed, Error> {
        let (reference, queued) =
            check_received_proposal(cs, &self.config, &self.context, &self.tree, ac, proposal)?;
        let new = self
            .proposals
            .insert(queued, self.config.limits.max_cached_proposals)?;
        Ok(PublicProcessed::Proposal {
            sender: ac.content.sender,
            reference,
            proposal: Box::new(proposal.clone()),
            new,
        })
    }

    /// Validates a commit as far as its public part goes and applies it
    /// (RFC 9420 section 12.4.2); every step that can fail runs before the
    /// group changes.
    fn take_commit<C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
        ac: &AuthenticatedContent,
        commit: &Commit,
    ) -> Result<PublicProcessed, Error> {
        let committer = ac.content.sender;
        let ProposalsApplied {
            list,
            mut diff,
            applied,
            extensions,
            mut new_leaves,
            sender_leaf,
        } = apply_received_proposals(
            cs,
            &self.context,
            &self.tree,
            &self.proposals,
            &self.config,
            committer,
            commit,
        )?;
        let epoch = self
            .context
            .epoch
            .checked_add(1)
            .ok_or(MisuseError::EpochExhausted)?;
        if let Some(path) = &commit.path {
            merge_received_path(
                cs,
                &self.context,
                &self.config,
                &mut diff,
                committer,
                sender_leaf,
                path,
                &extensions,
                &applied,
                &new_leaves,
                true,
            )?;
        }
        let tag = ac
            .auth
            .confirmation_tag
            .as_ref()
            .ok_or(ValidationError::ConfirmationTagMismatch)?;
        let confirmed = next_confirmed_transcript_hash(
            cs,
            &self.interim_transcript_hash,
            &ac.confirmed_transcript_hash_input()?,
        )?;
        let interim = interim_transcript_hash(cs, &confirmed, tag.as_slice())?;
        let context = GroupContext {
            epoch,
            tree_hash: diff.tree_hash(cs)?.into(),
            confirmed_transcript_hash: confirmed.into(),
            extensions,
            ..self.context.clone()
        };
        let changes = diff.into_changes(cs)?;

        // Nothing below fails.
        let removed = applied
            .removed
            .iter()
            .map(|(index, leaf)| Member {
                index: *index,
                credential: leaf.credential.clone(),
                signature_key: leaf.signature_key.0.clone(),
            })
            .collect();
        if committer == Sender::NewMemberCommit {
            new_leaves.push(sender_leaf);
        }
        self.tree.merge(changes);
        self.context = context;
        self.interim_transcript_hash = interim;
        self.confirmation_tag = tag.0.clone();
        self.proposals.clear();
        self.reinit = applied.reinit.clone();
        let summary = CommitSummary {
            sender: committer,
            committer: sender_leaf,
            epoch,
            added: new_leaves
                .into_iter()
                .filter_map(|l| self.member(l))
                .collect(),
            removed,
            updated: applied.updated,
            path: commit.path.is_some(),
            committed_references: list.into_iter().filter_map(|q| q.reference).collect(),
            reinit: applied.reinit,
        };
        Ok(PublicProcessed::Commit(Box::new(summary)))
    }

    /// The state, for storage (format [`PUBLIC_GROUP_VERSION`]): u16
    /// version, then the TLS encoding of the GroupContext, the tree (as a
    /// `ratchet_tree` extension's content), the interim transcript hash,
    /// the confirmation tag, the pending proposals (proposal, sender,
    /// reference) and an optional pending ReInit. The configuration is not
    /// stored.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let record = Record {
            context: self.context.clone(),
            tree: self.tree.encode_extension()?.into(),
            interim_transcript_hash: self.interim_transcript_hash.clone().into(),
            confirmation_tag: self.confirmation_tag.clone().into(),
            proposals: self
                .proposals
                .iter()
                .map(|q| StoredProposal {
                    proposal: q.proposal.clone(),
                    sender: q.sender,
                    reference: q.reference.clone().unwrap_or_default().into(),
                })
                .collect::<Vec<_>>()
                .into(),
            reinit: self.reinit.clone(),
        };
        let mut out = PUBLIC_GROUP_VERSION.to_be_bytes().to_vec();
        out.extend_from_slice(&encode(&record)?);
        Ok(out)
    }

    /// A state stored by [`PublicGroup::to_bytes`], with the default
    /// configuration hooks and `limits` (see
    /// [`PublicGroup::from_bytes_with`]).
    pub fn from_bytes<C: Crypto + ?Sized>(
        crypto: &C,
        bytes: &[u8],
        limits: &Limits,
    ) -> Result<Self, Error> {
        Self::from_bytes_with(crypto, bytes, GroupConfig::default().with_limits(*limits))
    }

    /// A state stored by [`PublicGroup::to_bytes`], with `config` (which
    /// is not stored). `crypto` rehashes the tree.
    ///
    /// Errors: [`StorageError::UnsupportedVersion`] for another format
    /// version; [`Error::Malformed`] for bytes that do not decode
    /// (truncated: [`DecodeError::EndOfInput`](crate::DecodeError), bytes
    /// left over: [`DecodeError::TrailingBytes`](crate::DecodeError));
    /// [`LimitError`]s for a tree or proposal cache beyond `config`'s
    /// limits; [`ValidationError::TreeHashMismatch`] for a tree that is not
    /// the context's; [`StorageError::Corrupt`] for proposals stored twice
    /// or without their reference.
    pub fn from_bytes_with<C: Crypto + ?Sized>(
        crypto: &C,
        bytes: &[u8],
        config: GroupConfig,
    ) -> Result<Self, Error> {
        config.validate()?;
        let (version, rest) = u16::tls_deserialize_bytes(bytes)?;
        if version != PUBLIC_GROUP_VERSION {
            return Err(StorageError::UnsupportedVersion(version).into());
        }
        let record: Record = decode_exact(rest)?;
        let cs = SuiteCrypto::new(crypto, record.context.cipher_suite)?;
        config.limits.check_message_size(record.tree.0.len())?;
        let tree =
            RatchetTree::decode_extension(&cs, record.tree.as_slice(), config.limits.max_leaves)?;
        if tree.tree_hash() != record.context.tree_hash.as_slice() {
            return Err(ValidationError::TreeHashMismatch.into());
        }
        let max = config.limits.max_cached_proposals;
        if record.proposals.0.len() > max {
            return Err(LimitError::ProposalCacheFull { max }.into());
        }
        let mut proposals = ProposalCache::default();
        for p in record.proposals.0 {
            if p.reference.0.is_empty() {
                return Err(StorageError::Corrupt.into());
            }
            let q = QueuedProposal {
                proposal: p.proposal,
                sender: p.sender,
                reference: Some(p.reference.0),
            };
            if !proposals.insert(q, max)? {
                return Err(StorageError::Corrupt.into());
            }
        }
        Ok(PublicGroup {
            context: record.context,
            tree,
            interim_transcript_hash: record.interim_transcript_hash.0,
            confirmation_tag: record.confirmation_tag.0,
            proposals,
            reinit: record.reinit,
            config,
        })
    }
}

/// The stored form of [`PublicGroup`] after its version.
#[derive(TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
struct Record {
    context: GroupContext,
    tree: VarBytes,
    interim_transcript_hash: VarBytes,
    confirmation_tag: VarBytes,
    proposals: VarVec<StoredProposal>,
    reinit: Option<ReInit>,
}

/// A pending proposal as stored.
#[derive(TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
struct StoredProposal {
    proposal: Proposal,
    sender: Sender,
    reference: VarBytes,
}

/// What anyone can read of an MLSMessage without keys (RFC 9420 section
/// 6): enough for a delivery service to route it. A PrivateMessage shows
/// its group, epoch and content type but not its sender; a Welcome shows
/// nothing of its group (see
/// [`Welcome::secrets`](crate::messages::Welcome) for the KeyPackages it
/// is for).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageInfo<'a> {
    /// The wire format.
    pub wire_format: WireFormat,
    /// The group, for a PublicMessage, a PrivateMessage or a GroupInfo.
    pub group_id: Option<&'a [u8]>,
    /// The epoch, for a PublicMessage, a PrivateMessage or a GroupInfo.
    pub epoch: Option<u64>,
    /// The content type, for a PublicMessage or a PrivateMessage.
    pub content_type: Option<ContentType>,
    /// The sender, for a PublicMessage (a PrivateMessage encrypts it).
    pub sender: Option<Sender>,
}

impl<'a> MessageInfo<'a> {
    /// What `message` shows.
    pub fn of(message: &'a MlsMessage) -> Self {
        let mut info = MessageInfo {
            wire_format: message.wire_format(),
            group_id: None,
            epoch: None,
            content_type: None,
            sender: None,
        };
        match &message.body {
            MlsMessageBody::PublicMessage(m) => {
                info.group_id = Some(m.content.group_id.as_slice());
                info.epoch = Some(m.content.epoch);
                info.content_type = Some(m.content.content_type());
                info.sender = Some(m.content.sender);
            }
            MlsMessageBody::PrivateMessage(m) => {
                info.group_id = Some(m.group_id.as_slice());
                info.epoch = Some(m.epoch);
                info.content_type = Some(m.content_type);
            }
            MlsMessageBody::GroupInfo(g) => {
                info.group_id = Some(g.group_context.group_id.as_slice());
                info.epoch = Some(g.group_context.epoch);
            }
            MlsMessageBody::Welcome(_) | MlsMessageBody::KeyPackage(_) => {}
        }
        info
    }
}
