//! Receiving messages: application data, proposals and commits (RFC 9420
//! sections 6, 12.1 and 12.4.2). Processing never changes the group when it
//! fails or when it returns a commit: a commit comes back as a
//! [`StagedCommit`] to inspect and then [`Group::merge_staged_commit`].

use super::credentials::{CredentialEvent, check_proposal_credentials, check_replacement};
use super::proposals::{
    AppliedProposals, ListOptions, ProposalCheck, QueuedProposal, apply_proposals_with,
    check_policy, path_required_with, proposal_ref, validate_proposal_list_with,
};
use super::state::{EpochKeys, Group, PastEpoch, PastMember};
use crate::codec::encode;
use crate::crypto::SuiteCrypto;
use crate::framing::{
    self, AuthenticatedContent, FramedContentBody, MlsMessage, MlsMessageBody, PrivateMessage,
    PublicMessage, Sender,
};
use crate::messages::{
    Commit, ExternalSenders, GroupContext, LeafNode, Node, Proposal, ProposalOrRef, ReInit,
    UpdatePath,
};
use crate::schedule::{
    EpochSecrets, SecretTreeUpdate, external_init_receive, interim_transcript_hash,
    verify_confirmation_tag,
};
use crate::tree::math::{self, LeafIndex};
use crate::tree::{
    LeafPolicy, LeafRole, TreeChanges, TreeDiff, TreePrivateKeys, TreeView, decrypt_path,
    merge_path, validate_leaf_node,
};
use crate::{Error, MisuseError, ValidationError};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use cohort_traits::{Crypto, Provider, Secret};

/// What processing a message gave.
#[derive(Debug)]
pub enum ProcessedMessage {
    /// Application data from a member.
    Application {
        /// The sender's leaf in the message's epoch.
        sender: LeafIndex,
        /// The sender's credential in the message's epoch (the leaf may
        /// hold someone else, or another credential, by now).
        credential: crate::messages::Credential,
        /// The epoch it was sent in (may be a past epoch).
        epoch: u64,
        /// The generation of the sender's application key it used (RFC
        /// 9420 section 9): with `sender` and `epoch` it names the message,
        /// e.g. in an AppAck ([`AppAck`](crate::messages::app::AppAck)).
        generation: u32,
        /// The data.
        data: Vec<u8>,
        /// The message's authenticated_data.
        authenticated_data: Vec<u8>,
    },
    /// A proposal, now cached for a commit to reference.
    Proposal {
        /// Its sender.
        sender: Sender,
        /// The proposal.
        proposal: alloc::boxed::Box<Proposal>,
        /// Its ProposalRef.
        reference: Vec<u8>,
    },
    /// A commit, staged: inspect it, then merge it or drop it.
    Commit(alloc::boxed::Box<StagedCommit>),
}

/// What a member keeps of its own commit to apply it later: its new tree
/// private keys and the commit secret of its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnPath {
    pub(crate) private_keys: TreePrivateKeys,
    pub(crate) commit_secret: Secret,
}

/// A validated commit and the epoch it leads to, not yet applied.
///
/// It is bound to the group state it was staged from (group id, epoch and
/// interim transcript hash): [`Group::merge_staged_commit`] refuses it in
/// any other state with [`MisuseError::StagedCommitMismatch`], so a commit
/// merged twice, a competing commit merged after the winner, or a staged
/// commit of another group changes nothing.
#[derive(Debug, Clone)]
pub struct StagedCommit {
    pub(crate) base: StagedBase,
    pub(crate) sender: Sender,
    pub(crate) applied: AppliedProposals,
    pub(crate) proposals: Vec<QueuedProposal>,
    pub(crate) tree_changes: TreeChanges,
    pub(crate) context: GroupContext,
    /// `None` when the commit removes this member, who cannot derive the
    /// new epoch.
    pub(crate) secrets: Option<EpochSecrets>,
    pub(crate) private_keys: Option<TreePrivateKeys>,
    pub(crate) interim_transcript_hash: Vec<u8>,
    pub(crate) confirmation_tag: Vec<u8>,
    pub(crate) old_epoch_update: Option<SecretTreeUpdate>,
    pub(crate) path_leaf: Option<LeafNode>,
}

/// The group state a commit was staged from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StagedBase {
    pub(crate) group_id: Vec<u8>,
    pub(crate) epoch: u64,
    pub(crate) interim_transcript_hash: Vec<u8>,
}

impl StagedBase {
    /// The binding of a commit staged from `group`'s current state.
    pub(crate) fn of(group: &Group) -> Self {
        StagedBase {
            group_id: group.context.group_id.0.clone(),
            epoch: group.context.epoch,
            interim_transcript_hash: group.interim_transcript_hash.clone(),
        }
    }

    /// Refuses a commit staged from another state than `group`'s.
    fn check(&self, group: &Group) -> Result<(), Error> {
        let what = if self.group_id != group.context.group_id.as_slice() {
            "group id"
        } else if self.epoch != group.context.epoch {
            "epoch"
        } else if self.interim_transcript_hash != group.interim_transcript_hash {
            "transcript hash"
        } else {
            return Ok(());
        };
        Err(MisuseError::StagedCommitMismatch { what }.into())
    }
}

impl StagedCommit {
    /// The epoch this commit was staged in (the new epoch is one more).
    pub fn base_epoch(&self) -> u64 {
        self.base.epoch
    }

    /// Who committed.
    pub fn sender(&self) -> Sender {
        self.sender
    }

    /// The proposals the commit applies, in order.
    pub fn proposals(&self) -> &[QueuedProposal] {
        &self.proposals
    }

    /// Members added, with their leaves: their credentials are for the
    /// application to validate.
    pub fn added(&self) -> &[(LeafIndex, crate::messages::KeyPackage)] {
        &self.applied.added
    }

    /// Members removed, with the leaves they had.
    pub fn removed(&self) -> &[(LeafIndex, LeafNode)] {
        &self.applied.removed
    }

    /// Members whose leaf an Update replaced.
    pub fn updated(&self) -> &[LeafIndex] {
        &self.applied.updated
    }

    /// The committer's new leaf, when the commit had a path.
    pub fn path_leaf(&self) -> Option<&LeafNode> {
        self.path_leaf.as_ref()
    }

    /// The PSKs injected.
    pub fn psks(&self) -> &[crate::messages::PreSharedKeyId] {
        &self.applied.psks
    }

    /// The new epoch's GroupContext.
    pub fn new_context(&self) -> &GroupContext {
        &self.context
    }

    /// The new epoch's epoch authenticator (`None` when the commit removes
    /// this member).
    pub fn epoch_authenticator(&self) -> Option<&[u8]> {
        self.secrets
            .as_ref()
            .map(|s| s.epoch_authenticator.as_bytes())
    }

    /// `MLS-Exporter` of the new epoch.
    pub fn export_secret<C: Crypto + ?Sized>(
        &self,
        crypto: &C,
        label: &[u8],
        context: &[u8],
        length: u16,
    ) -> Result<Secret, Error> {
        let cs = SuiteCrypto::new(crypto, self.context.cipher_suite)?;
        self.secrets
            .as_ref()
            .ok_or(MisuseError::GroupInactive)?
            .export(&cs, label, context, length)
    }

    /// The ReInit the commit carries: once merged, the group is closed and
    /// waits for its successor (RFC 9420 sections 11.2, 12.4.2).
    pub fn reinit(&self) -> Option<&ReInit> {
        self.applied.reinit.as_ref()
    }

    /// Whether the commit removes the member processing it.
    pub fn removes_self(&self) -> bool {
        self.private_keys.is_none()
    }
}

impl Group {
    /// Processes a received message (RFC 9420 sections 6 and 12): checks
    /// group (C-FRAME-04), epoch (C-FRAME-05, C-PROP-01), protection
    /// (C-FRAME-16 to C-FRAME-22), sender rules (C-FRAME-09, C-FRAME-12 to
    /// C-FRAME-15) and the signature (C-FRAME-08, C-FRAME-10, C-FRAME-11).
    /// The credentials that proposals (on their own or in a commit) and a
    /// commit's path bring in are put to the group's
    /// [`CredentialValidator`](super::CredentialValidator) (RFC 9420
    /// section 5.3.1; C-CRED-05 to C-CRED-10), and proposals to its
    /// [`ProposalPolicy`](super::ProposalPolicy) (C-PROP-21, C-EXT-04); a
    /// refused proposal is not cached.
    ///
    /// Once a commit with a ReInit is merged, only late application
    /// messages of earlier epochs are accepted (RFC 9420 section 12.4.2;
    /// C-REINIT-02).
    pub fn process<P: Provider>(
        &mut self,
        provider: &P,
        message: &MlsMessage,
    ) -> Result<ProcessedMessage, Error> {
        self.ensure_active()?;
        self.config
            .limits
            .check_message_size(tls_codec::Size::tls_serialized_len(message))?;
        if self.pending_reinit.is_some() {
            let late = matches!(&message.body,
                MlsMessageBody::PrivateMessage(m) if m.epoch < self.context.epoch);
            if !late {
                return Err(ValidationError::GroupReinitialized.into());
            }
        }
        // The delivery service's echo of this member's own pending commit.
        if let Some(own) = self.echoed_pending_commit(provider, message) {
            return own;
        }
        let cs = self.cs(provider.crypto())?;
        match &message.body {
            MlsMessageBody::PublicMessage(m) => self.process_public(&cs, m),
            MlsMessageBody::PrivateMessage(m) => self.process_private(&cs, m),
            _ => Err(MisuseError::NotAGroupMessage.into()),
        }
    }

    fn process_public<C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
        msg: &PublicMessage,
    ) -> Result<ProcessedMessage, Error> {
        if msg.content.group_id != self.context.group_id {
            return Err(ValidationError::WrongGroup.into());
        }
        if msg.content.epoch != self.context.epoch {
            return Err(ValidationError::WrongEpoch {
                epoch: msg.content.epoch,
            }
            .into());
        }
        // A SelfRemove is public whatever the policy (extensions draft).
        if !self.config.wire_format.accepts_public()
            && matches!(msg.content.sender, Sender::Member(_))
            && !matches!(
                msg.content.body,
                FramedContentBody::Proposal(Proposal::SelfRemove(_))
            )
        {
            return Err(ValidationError::WireFormatNotAllowed.into());
        }
        let ac =
            framing::unprotect_public(cs, &self.keys.secrets.membership_key, &self.context, msg)?;
        self.accept(cs, ac, None)
    }

    fn process_private<C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
        msg: &PrivateMessage,
    ) -> Result<ProcessedMessage, Error> {
        if msg.group_id != self.context.group_id {
            return Err(ValidationError::WrongGroup.into());
        }
        if !self.config.wire_format.accepts_private()
            && msg.content_type != framing::ContentType::Application
        {
            return Err(ValidationError::WireFormatNotAllowed.into());
        }
        if msg.epoch != self.context.epoch {
            // Late application messages of a retained past epoch.
            return self.process_past_application(cs, msg);
        }
        let (ac, update) = framing::unprotect_private(
            cs,
            &self.keys.secret_tree,
            &self.keys.secrets.sender_data_secret,
            msg,
        )?;
        self.accept(cs, ac, Some(update))
    }

    fn process_past_application<C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
        msg: &PrivateMessage,
    ) -> Result<ProcessedMessage, Error> {
        if msg.content_type != framing::ContentType::Application {
            return Err(ValidationError::WrongEpoch { epoch: msg.epoch }.into());
        }
        let past = self
            .past_epochs
            .iter()
            .position(|p| p.epoch == msg.epoch)
            .ok_or(ValidationError::WrongEpoch { epoch: msg.epoch })?;
        let p = self
            .past_epochs
            .get(past)
            .ok_or(ValidationError::WrongEpoch { epoch: msg.epoch })?;
        let (ac, update) =
            framing::unprotect_private(cs, &p.secret_tree, &p.sender_data_secret, msg)?;
        let Sender::Member(leaf) = ac.content.sender else {
            return Err(ValidationError::SenderNotMember.into());
        };
        // The sender as it was in that epoch (C-FRAME-19): a leaf blank
        // then sent nothing, whoever holds it now.
        let member = match p.changed_members.get(&leaf) {
            Some(Some(m)) => m.clone(),
            Some(None) => return Err(ValidationError::SenderNotMember.into()),
            None => PastMember::of(
                self.tree
                    .leaf(LeafIndex(leaf))
                    .ok_or(ValidationError::SenderNotMember)?,
            ),
        };
        framing::verify_content_signature(cs, &member.signature_key, &ac, Some(&p.context))?;
        if let FramedContentBody::Application(data) = &ac.content.body {
            super::app::check_content(
                &p.context,
                ac.content.authenticated_data.as_slice(),
                Some(data.as_slice()),
            )?;
        }
        let FramedContentBody::Application(data) = ac.content.body else {
            return Err(ValidationError::WrongEpoch { epoch: msg.epoch }.into());
        };
        let generation = update.generation();
        if let Some(p) = self.past_epochs.get_mut(past) {
            p.secret_tree.apply(update);
            self.unsaved.past.insert(p.epoch);
        }
        Ok(ProcessedMessage::Application {
            sender: LeafIndex(leaf),
            credential: member.credential,
            epoch: msg.epoch,
            generation,
            data: data.0,
            authenticated_data: ac.content.authenticated_data.0,
        })
    }

    /// The key that must have signed content from `sender` (RFC 9420
    /// section 6.1; C-FRAME-08).
    fn signature_key_of(&self, ac: &AuthenticatedContent) -> Result<Vec<u8>, Error> {
        sender_signature_key(&self.context, &self.tree, ac)
    }

    fn accept<C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
        ac: AuthenticatedContent,
        update: Option<SecretTreeUpdate>,
    ) -> Result<ProcessedMessage, Error> {
        framing::check_sender_content(&ac.content)?;
        let key = self.signature_key_of(&ac)?;
        framing::verify_content_signature(cs, &key, &ac, Some(&self.context))?;
        // The group's Safe AAD and framing rules (extensions draft).
        let application = match &ac.content.body {
            FramedContentBody::Application(data) => Some(data.as_slice()),
            _ => None,
        };
        super::app::check_content(
            &self.context,
            ac.content.authenticated_data.as_slice(),
            application,
        )?;
        match &ac.content.body {
            FramedContentBody::Application(data) => {
                let Sender::Member(leaf) = ac.content.sender else {
                    return Err(ValidationError::SenderNotMember.into());
                };
                let credential = self
                    .tree
                    .leaf(LeafIndex(leaf))
                    .ok_or(ValidationError::SenderNotMember)?
                    .credential
                    .clone();
                let generation = update
                    .as_ref()
                    .map(SecretTreeUpdate::generation)
                    .ok_or(ValidationError::ApplicationDataInPublicMessage)?;
                let out = ProcessedMessage::Application {
                    sender: LeafIndex(leaf),
                    credential,
                    epoch: ac.content.epoch,
                    generation,
                    data: data.0.clone(),
                    authenticated_data: ac.content.authenticated_data.0.clone(),
                };
                if let Some(u) = update {
                    self.apply_received(leaf, u);
                }
                Ok(out)
            }
            FramedContentBody::Proposal(p) => {
                // A non-default type this member does not support cannot
                // be committed (C-PROP-19), nor a GREASE one (C-GREASE-07).
                let t = p.proposal_type();
                if let Proposal::Custom(t, _) = p {
                    super::proposals::check_custom_type(*t)?;
                }
                if !t.is_default() {
                    let own = self
                        .tree
                        .leaf(self.own_leaf)
                        .ok_or(ValidationError::SenderNotMember)?;
                    if !own.capabilities.proposals.0.contains(&t) {
                        return Err(ValidationError::UnsupportedProposalType {
                            proposal_type: t.0,
                        }
                        .into());
                    }
                }
                let (reference, queued) =
                    check_received_proposal(cs, &self.config, &self.context, &self.tree, &ac, p)?;
                // The cache limit is checked before anything changes.
                let max = self.config.limits.max_cached_proposals;
                if !self.proposals.contains(&reference) && self.proposals.len() >= max {
                    return Err(crate::LimitError::ProposalCacheFull { max }.into());
                }
                if let (Some(u), Sender::Member(leaf)) = (update, ac.content.sender) {
                    self.apply_received(leaf, u);
                }
                self.proposals.insert(queued, max)?;
                self.unsaved.state = true;
                Ok(ProcessedMessage::Proposal {
                    sender: ac.content.sender,
                    proposal: alloc::boxed::Box::new(p.clone()),
                    reference,
                })
            }
            FramedContentBody::Commit(commit) => {
                let staged = self.stage_commit(cs, &ac, commit, update, None)?;
                Ok(ProcessedMessage::Commit(alloc::boxed::Box::new(staged)))
            }
        }
    }

    /// Validates a received commit and computes the epoch it leads to
    /// (RFC 9420 section 12.4.2), without changing the group (C-COMMIT-08):
    /// references resolve to proposals of this epoch (C-COMMIT-02; none in
    /// an external commit, C-EXT-07); the list is valid (C-PROP-*, C-EXT-10
    /// to C-EXT-15) and the credentials it brings in are valid for the
    /// application's Authentication Service (C-CRED-05 to C-CRED-09); a
    /// path is present when required (C-COMMIT-03, C-COMMIT-04, C-EXT-06),
    /// its leaf valid (C-LN-*, C-EXT-18) with a new encryption key
    /// (C-COMMIT-05), a new credential valid and a valid successor
    /// (C-CRED-07, C-CRED-10), and its keys new to the tree
    /// (C-COMMIT-06); every PSK is known (C-PSK-06); an external commit's
    /// init secret comes from its ExternalInit (C-EXT-17); and the
    /// confirmation tag verifies (C-COMMIT-07).
    ///
    /// `own` stages this member's own commit from what it kept when it made
    /// it (its new private keys and commit secret), instead of decrypting a
    /// path sent to others.
    pub(crate) fn stage_commit<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        ac: &AuthenticatedContent,
        commit: &Commit,
        update: Option<SecretTreeUpdate>,
        own: Option<&OwnPath>,
    ) -> Result<StagedCommit, Error> {
        let committer = ac.content.sender;
        let mine = committer == Sender::Member(self.own_leaf.0);
        if mine != own.is_some() {
            return Err(MisuseError::OwnCommit.into());
        }
        let ProposalsApplied {
            list,
            mut diff,
            applied,
            extensions,
            new_leaves,
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

        let new_epoch = self
            .context
            .epoch
            .checked_add(1)
            .ok_or(MisuseError::EpochExhausted)?;
        if applied.removed.iter().any(|(l, _)| *l == self.own_leaf) {
            // A removed member cannot derive the new epoch; the commit's
            // signature (and membership tag) were verified.
            return Ok(StagedCommit {
                base: StagedBase::of(self),
                sender: committer,
                applied,
                proposals: list,
                tree_changes: diff.into_changes(cs)?,
                context: GroupContext {
                    epoch: new_epoch,
                    ..self.context.clone()
                },
                secrets: None,
                private_keys: None,
                interim_transcript_hash: Vec::new(),
                confirmation_tag: Vec::new(),
                old_epoch_update: update,
                path_leaf: commit.path.as_ref().map(|p| p.leaf_node.clone()),
            });
        }
        // A commit of another member that applies this member's Update:
        // its leaf key is the one kept when proposing (RFC 9420 section
        // 12.1.2), and its direct path was blanked.
        let updated_keys = if applied.updated.contains(&self.own_leaf) {
            let new_key = diff
                .leaf(self.own_leaf)
                .ok_or(ValidationError::BlankLeaf {
                    leaf: self.own_leaf.0,
                })?
                .encryption_key
                .as_slice();
            let pending = self
                .pending_updates
                .iter()
                .find(|u| u.encryption_key == new_key)
                .ok_or(ValidationError::OwnUpdateKeyUnknown)?;
            Some(TreePrivateKeys::new(
                self.own_leaf,
                pending.private_key.clone(),
            ))
        } else {
            None
        };
        let own_keys = updated_keys.as_ref().unwrap_or(&self.private_keys);
        let mut private_keys = Some(own_keys.clone());
        let (commit_secret, path_leaf) = match &commit.path {
            Some(path) => {
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
                    own.is_none(),
                )?;
                if let Some(own) = own {
                    private_keys = Some(own.private_keys.clone());
                    (own.commit_secret.clone(), Some(path.leaf_node.clone()))
                } else {
                    let provisional = GroupContext {
                        epoch: new_epoch,
                        tree_hash: diff.tree_hash(cs)?.into(),
                        extensions: extensions.clone(),
                        ..self.context.clone()
                    };
                    let gc = encode(&provisional)?;
                    let (keys, _, commit_secret) =
                        decrypt_path(cs, &diff, sender_leaf, path, own_keys, &gc, &new_leaves)?;
                    private_keys = Some(keys);
                    (commit_secret, Some(path.leaf_node.clone()))
                }
            }
            None => (Secret::zero(cs.hash_len()), None),
        };

        let init_secret = match &applied.external_init {
            Some(kem_output) => {
                let (external_priv, _) = self.keys.secrets.external_key_pair(cs)?;
                external_init_receive(cs, external_priv.as_bytes(), kem_output)?
            }
            None => self.keys.secrets.init_secret.clone(),
        };
        let super::epoch::NextEpoch {
            context,
            confirmed,
            secrets,
            ..
        } = self.next_epoch(
            cs,
            ac,
            diff.tree_hash(cs)?,
            extensions,
            &init_secret,
            &commit_secret,
            &applied.psks,
            &[],
        )?;
        let tag = ac
            .auth
            .confirmation_tag
            .as_ref()
            .ok_or(ValidationError::ConfirmationTagMismatch)?;
        verify_confirmation_tag(cs, &secrets.confirmation_key, &confirmed, tag.as_slice())?;
        let interim = interim_transcript_hash(cs, &confirmed, tag.as_slice())?;
        Ok(StagedCommit {
            base: StagedBase::of(self),
            sender: committer,
            applied,
            proposals: list,
            tree_changes: diff.into_changes(cs)?,
            context,
            secrets: Some(secrets),
            private_keys,
            interim_transcript_hash: interim,
            confirmation_tag: tag.0.clone(),
            old_epoch_update: update,
            path_leaf,
        })
    }

    /// Applies a staged commit: the group moves to the new epoch. The
    /// current epoch's secrets are kept for late application messages up to
    /// `max_past_epochs`, older ones are deleted (RFC 9420 section 9.2).
    ///
    /// All or nothing: the commit must have been staged from this group's
    /// current state (same group id, epoch and interim transcript hash;
    /// [`MisuseError::StagedCommitMismatch`] otherwise), and every step that
    /// can fail runs before the group changes.
    pub fn merge_staged_commit(&mut self, staged: StagedCommit) -> Result<(), Error> {
        staged.base.check(self)?;
        let Some(secrets) = staged.secrets else {
            // Removed: the group is over for this member, and its secrets
            // are wiped.
            self.pending_commit = None;
            self.deactivate();
            return Ok(());
        };
        let new_keys =
            EpochKeys::new(secrets, staged.tree_changes.n_leaves(), self.config.ratchet)?;
        // Nothing below can fail. Every record changes with the epoch, and
        // the new epoch's own ratchets start unreserved.
        self.unsaved = super::persist::Unsaved::everything();
        self.reserved = [0, 0];
        // A commit of this member for the epoch that ends is moot.
        self.pending_commit = None;
        //
        // The members of the leaves this commit changes (removes, replaces,
        // fills), as they are in the epoch that ends, so late messages of
        // that epoch verify against the right key and name their sender as
        // it was, and none verifies from a leaf blank then.
        let path_sender = match staged.sender {
            Sender::Member(l) if staged.path_leaf.is_some() => Some(LeafIndex(l)),
            _ => None,
        };
        let changed: BTreeMap<u32, Option<PastMember>> = staged
            .applied
            .removed
            .iter()
            .map(|(l, _)| *l)
            .chain(staged.applied.updated.iter().copied())
            .chain(path_sender)
            .chain(staged.tree_changes.changed_leaves())
            .map(|l| (l.0, self.tree.leaf(l).map(PastMember::of)))
            .collect();
        // Earlier retained epochs had the same members at these leaves as
        // the epoch that ends now, unless a later commit changed them
        // already.
        for past in &mut self.past_epochs {
            for (leaf, member) in &changed {
                past.changed_members
                    .entry(*leaf)
                    .or_insert_with(|| member.clone());
            }
        }
        let mut old_keys = core::mem::replace(&mut self.keys, new_keys);
        if let Some(u) = staged.old_epoch_update {
            // Merged into the old epoch's tree as it is now: messages read
            // since the commit was staged stay consumed.
            old_keys.secret_tree.apply(u);
        }
        if self.config.max_past_epochs > 0 {
            self.past_epochs.push_back(PastEpoch {
                epoch: self.context.epoch,
                context: self.context.clone(),
                sender_data_secret: old_keys.secrets.sender_data_secret.clone(),
                secret_tree: old_keys.secret_tree,
                changed_members: changed,
            });
        }
        while self.past_epochs.len() > self.config.max_past_epochs {
            self.past_epochs.pop_front();
        }
        self.resumption_psks
            .insert(self.context.epoch, old_keys.secrets.resumption_psk.clone());
        while self.resumption_psks.len() > self.config.max_past_epochs.saturating_add(1) {
            self.resumption_psks.pop_first();
        }
        self.tree.merge(staged.tree_changes);
        self.context = staged.context;
        self.interim_transcript_hash = staged.interim_transcript_hash;
        self.confirmation_tag = staged.confirmation_tag;
        self.proposals.clear();
        self.pending_updates.clear();
        self.pending_reinit = staged.applied.reinit;
        match staged.private_keys {
            Some(k) => self.private_keys = k,
            None => self.deactivate(),
        }
        Ok(())
    }
}

impl Group {
    /// Applies the secret-tree update of a message read from member `leaf`
    /// in the current epoch, noting the records it changes.
    fn apply_received(&mut self, leaf: u32, update: crate::schedule::SecretTreeUpdate) {
        if self.keys.secret_tree.apply(update) {
            self.unsaved.nodes = true;
        }
        self.unsaved.ratchets.insert(leaf);
    }

    /// Applies the secret-tree update of a message this member sends,
    /// reserving further generations of its ratchet of `kind` when it
    /// passed the last reserved one (see
    /// [`RESERVED_GENERATIONS`](super::persist::RESERVED_GENERATIONS)).
    pub(crate) fn apply_sent(
        &mut self,
        kind: crate::schedule::ContentKind,
        update: crate::schedule::SecretTreeUpdate,
    ) {
        let own = self.own_leaf.0;
        if self.keys.secret_tree.apply(update) {
            self.unsaved.nodes = true;
        }
        let next = self.keys.secret_tree.next_generation(own, kind);
        let slot = match kind {
            crate::schedule::ContentKind::Handshake => 0,
            crate::schedule::ContentKind::Application => 1,
        };
        if let Some(reserved) = self.reserved.get_mut(slot)
            && next > *reserved
        {
            *reserved = next.saturating_add(super::persist::RESERVED_GENERATIONS);
            self.unsaved.ratchets.insert(own);
        }
    }
}

/// The checks of a proposal received on its own (RFC 9420 sections 12.1,
/// 12.1.8; extensions draft) that a member and a delivery service's public
/// view of the group ([`PublicGroup`](super::PublicGroup)) both make: not
/// a GREASE type (C-GREASE-07); a SelfRemove only from a member in a
/// PublicMessage (extensions draft, "SelfRemove Proposal"); the
/// application's components and custom types accept it; then the
/// Authentication Service (C-CRED-05, C-CRED-06, C-CRED-08 to C-CRED-10)
/// and the application's rules (C-PROP-21, C-EXT-04): a refused proposal
/// is not cached, so no commit can include it. Returns its ProposalRef and
/// the proposal queued with it.
pub(crate) fn check_received_proposal<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    config: &super::GroupConfig,
    context: &GroupContext,
    tree: &crate::tree::RatchetTree,
    ac: &AuthenticatedContent,
    p: &Proposal,
) -> Result<(Vec<u8>, QueuedProposal), Error> {
    if let Proposal::Custom(t, _) = p {
        super::proposals::check_custom_type(*t)?;
    }
    // A SelfRemove comes from a member in a PublicMessage
    // (extensions draft, "SelfRemove Proposal").
    if let Proposal::SelfRemove(_) = p {
        if !matches!(ac.content.sender, Sender::Member(_)) {
            return Err(ValidationError::SelfRemoveMisused("from a non-member").into());
        }
        if ac.wire_format != crate::framing::WireFormat::PUBLIC_MESSAGE {
            return Err(ValidationError::SelfRemoveMisused("in a PrivateMessage").into());
        }
    }
    // The application's components and custom types.
    config.app.check_one(
        p,
        &super::AppProposalInfo {
            context,
            sender: ac.content.sender,
            external_commit: false,
        },
    )?;
    let reference = proposal_ref(cs, ac)?;
    let queued = QueuedProposal {
        proposal: p.clone(),
        sender: ac.content.sender,
        reference: Some(reference.clone()),
    };
    check_proposal_credentials(
        config.credential_validator.get(),
        context,
        tree,
        core::slice::from_ref(&queued),
    )?;
    check_policy(
        config.proposal_policy.get(),
        context,
        tree,
        core::slice::from_ref(&queued),
        None,
        None,
    )?;
    Ok((reference, queued))
}

/// A received commit's proposals applied to a diff of `tree` (RFC 9420
/// sections 12.3, 12.4.2), before its path: what a member and a delivery
/// service's public view of the group ([`PublicGroup`](super::PublicGroup))
/// compute alike.
pub(crate) struct ProposalsApplied<'t> {
    /// The proposal list, resolved and validated.
    pub(crate) list: Vec<QueuedProposal>,
    /// The tree with the proposals applied (and an external joiner's leaf).
    pub(crate) diff: TreeDiff<'t>,
    /// What the proposals did.
    pub(crate) applied: AppliedProposals,
    /// The group context extensions of the new epoch.
    pub(crate) extensions: crate::messages::Extensions,
    /// The leaves the Adds filled.
    pub(crate) new_leaves: Vec<LeafIndex>,
    /// The committer's leaf in the new tree.
    pub(crate) sender_leaf: LeafIndex,
}

/// Resolves and validates a received commit's proposal list
/// ([`resolve_commit_proposals`]), applies it with the application's
/// proposals (`config.app`) to a diff of `tree`, places an external
/// joiner's leaf (RFC 9420 section 12.4.3.2) and checks the new tree
/// against the leaf limit.
pub(crate) fn apply_received_proposals<'t, C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    context: &GroupContext,
    tree: &'t crate::tree::RatchetTree,
    cached: &super::proposals::ProposalCache,
    config: &super::GroupConfig,
    committer: Sender,
    commit: &Commit,
) -> Result<ProposalsApplied<'t>, Error> {
    let list = resolve_commit_proposals(cs, context, tree, cached, config, committer, commit)?;
    let mut diff = tree.diff();
    let applied = apply_proposals_with(
        &mut diff,
        &list,
        context,
        &config.app,
        committer == Sender::NewMemberCommit,
    )?;
    let extensions = applied
        .extensions
        .clone()
        .unwrap_or_else(|| context.extensions.clone());
    let new_leaves = applied.added.iter().map(|(l, _)| *l).collect();
    let sender_leaf = match committer {
        Sender::Member(l) => LeafIndex(l),
        Sender::NewMemberCommit => {
            let path = commit.path.as_ref().ok_or(ValidationError::PathRequired)?;
            diff.add_leaf(path.leaf_node.clone())?
        }
        _ => return Err(ValidationError::SenderNotMember.into()),
    };
    config.limits.check_leaves(diff.n_leaves().into())?;
    Ok(ProposalsApplied {
        list,
        diff,
        applied,
        extensions,
        new_leaves,
        sender_leaf,
    })
}

/// Resolves a received commit's proposal list (its references against
/// `cached`, the proposals of the epoch) and validates it for the epoch of
/// `context` and `tree` under `config`'s limits, clock, Authentication
/// Service and proposal policy (RFC 9420 sections 12.2, 12.4.2): the
/// checks a member and a delivery service's public view of the group
/// ([`PublicGroup`](super::PublicGroup)) both make. Also refuses a
/// missing path where the list requires one (C-COMMIT-03, C-COMMIT-04).
pub(crate) fn resolve_commit_proposals<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    context: &GroupContext,
    tree: &crate::tree::RatchetTree,
    cached: &super::proposals::ProposalCache,
    config: &super::GroupConfig,
    committer: Sender,
    commit: &Commit,
) -> Result<Vec<QueuedProposal>, Error> {
    config.limits.check_proposals(commit.proposals.0.len())?;
    let mut list = Vec::with_capacity(commit.proposals.0.len());
    for p in &commit.proposals.0 {
        match p {
            ProposalOrRef::Proposal(p) => list.push(QueuedProposal {
                proposal: (**p).clone(),
                sender: committer,
                reference: None,
            }),
            ProposalOrRef::Reference(r) => {
                let q = cached.get(r.as_slice());
                // An external joiner cannot know the group's proposals
                // (C-EXT-07), but for the SelfRemoves it fetched with the
                // GroupInfo (extensions draft, "SelfRemove Proposal").
                if committer == Sender::NewMemberCommit
                    && !q.is_some_and(|q| matches!(q.proposal, Proposal::SelfRemove(_)))
                {
                    return Err(ValidationError::ExternalCommitReference.into());
                }
                list.push(
                    q.cloned()
                        .ok_or(ValidationError::UnknownProposalReference)?,
                )
            }
        }
    }
    let required = crate::tree::RequiredSet::of(&context.extensions)?;
    let check = ProposalCheck {
        cs,
        context,
        tree,
        committer,
        leaf_policy: LeafPolicy {
            required: required.as_ref(),
            now: config.clock.now(),
            max_extensions: config.limits.max_extensions_per_leaf,
            ..Default::default()
        },
    };
    let options = ListOptions {
        path_leaf: commit.path.as_ref().map(|p| &p.leaf_node),
        policy: Some(config.proposal_policy.get()),
        credentials: Some(config.credential_validator.get()),
        app: Some(&config.app),
        ..Default::default()
    };
    // The leaf limit before the Adds' signatures: the new tree holds at
    // least every remaining and every added member.
    let (adds, removes) = list
        .iter()
        .fold((0u64, 0u64), |(a, r), q| match q.proposal {
            Proposal::Add(_) => (a.saturating_add(1), r),
            Proposal::Remove(_) => (a, r.saturating_add(1)),
            _ => (a, r),
        });
    let joiner = u64::from(committer == Sender::NewMemberCommit);
    if adds > 0 {
        let n = tree.n_leaves();
        let members = (0..n)
            .filter(|l| tree.leaf(LeafIndex(*l)).is_some())
            .count();
        config.limits.check_leaves(
            u64::try_from(members)
                .unwrap_or(u64::MAX)
                .saturating_sub(removes)
                .saturating_add(adds)
                .saturating_add(joiner),
        )?;
    }
    validate_proposal_list_with(&check, &list, &options)?;
    if path_required_with(&list, &config.app) && commit.path.is_none() {
        return Err(ValidationError::PathRequired.into());
    }
    Ok(list)
}

/// Checks the public part of a received commit's UpdatePath and merges it
/// into `diff`, which holds the tree with the commit's proposals applied
/// (RFC 9420 sections 7.5, 7.9, 12.4.2): the path leaf is valid for the
/// group after the commit (`extensions`) (C-LN-*, C-EXT-18); with
/// `check_old_leaf`, a member committer's leaf gets a new encryption key
/// (C-COMMIT-05) and a new credential is a valid successor (C-CRED-07,
/// C-CRED-10); the path's keys are new to the tree (C-COMMIT-06); the path
/// has one node per filtered-direct-path node and one ciphertext per
/// resolution node, and the parent hashes verify (C-TREE-13, C-TREE-14,
/// C-TREE-17). The encrypted path secrets are the receiving member's
/// business.
#[allow(clippy::too_many_arguments)]
pub(crate) fn merge_received_path<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    context: &GroupContext,
    config: &super::GroupConfig,
    diff: &mut TreeDiff<'_>,
    committer: Sender,
    sender_leaf: LeafIndex,
    path: &UpdatePath,
    extensions: &crate::messages::Extensions,
    applied: &AppliedProposals,
    new_leaves: &[LeafIndex],
    check_old_leaf: bool,
) -> Result<(), Error> {
    let required = crate::tree::RequiredSet::of(extensions)?;
    let policy = LeafPolicy {
        required: required.as_ref(),
        max_extensions: config.limits.max_extensions_per_leaf,
        ..Default::default()
    };
    validate_leaf_node(
        cs,
        &path.leaf_node,
        LeafRole::Commit,
        Some((context.group_id.as_slice(), sender_leaf)),
        &policy,
    )?;
    if let Some(old) = diff.base().leaf(sender_leaf)
        && committer != Sender::NewMemberCommit
        && check_old_leaf
    {
        if old.encryption_key == path.leaf_node.encryption_key {
            return Err(ValidationError::UpdateReusesEncryptionKey.into());
        }
        // A new credential or signature key of the committer
        // (C-CRED-07, C-CRED-10); an external commit's leaf was
        // put to the validator with the proposal list.
        check_replacement(
            config.credential_validator.get(),
            CredentialEvent::CommitPath {
                leaf: sender_leaf.0,
            },
            sender_leaf.0,
            old,
            &path.leaf_node,
            context,
        )?;
    }
    check_path_keys_fresh(diff, sender_leaf, path, applied)?;
    merge_path(cs, diff, sender_leaf, path, new_leaves)?;
    Ok(())
}

/// The key that must have signed content from `ac`'s sender in the epoch
/// of `context` and `tree` (RFC 9420 section 6.1; C-FRAME-08): a member's
/// leaf key, an external sender's key from the `external_senders`
/// extension, a new member's key from its commit's path leaf or its Add's
/// KeyPackage.
pub(crate) fn sender_signature_key(
    context: &GroupContext,
    tree: &crate::tree::RatchetTree,
    ac: &AuthenticatedContent,
) -> Result<Vec<u8>, Error> {
    match (&ac.content.sender, &ac.content.body) {
        (Sender::Member(leaf), _) => Ok(tree
            .leaf(LeafIndex(*leaf))
            .ok_or(ValidationError::SenderNotMember)?
            .signature_key
            .0
            .clone()),
        (Sender::External(index), _) => {
            let senders = context
                .extensions
                .get::<ExternalSenders>()?
                .ok_or(ValidationError::UnknownExternalSender)?;
            Ok(senders
                .0
                .0
                .get(*index as usize)
                .ok_or(ValidationError::UnknownExternalSender)?
                .signature_key
                .0
                .clone())
        }
        (Sender::NewMemberCommit, FramedContentBody::Commit(c)) => Ok(c
            .path
            .as_ref()
            .ok_or(ValidationError::PathRequired)?
            .leaf_node
            .signature_key
            .0
            .clone()),
        (Sender::NewMemberProposal, FramedContentBody::Proposal(Proposal::Add(add))) => {
            Ok(add.key_package.leaf_node.signature_key.0.clone())
        }
        _ => Err(ValidationError::SenderContentMismatch {
            sender_type: ac.content.sender.sender_type().into(),
            content_type: ac.content.content_type().into(),
        }
        .into()),
    }
}

/// The HPKE public key of a node.
fn node_key(node: &Node) -> &[u8] {
    match node {
        Node::Leaf(l) => l.encryption_key.as_slice(),
        Node::Parent(p) => p.encryption_key.as_slice(),
    }
}

/// Checks that no public key of `path` appears twice in it or in a node of
/// the tree after the commit (RFC 9420 sections 12.4.2, 16.7; C-COMMIT-06).
/// `diff` holds the tree with the proposals applied; the committer's leaf
/// and direct path, which the path replaces, do not count.
///
/// The base tree's nodes are found by their key tags (no pass over the
/// nodes themselves); the leaves the proposals added or replaced are
/// checked on their own.
pub(crate) fn check_path_keys_fresh(
    diff: &TreeDiff<'_>,
    sender: LeafIndex,
    path: &UpdatePath,
    applied: &AppliedProposals,
) -> Result<(), Error> {
    let mut keys: Vec<&[u8]> = Vec::with_capacity(path.nodes.0.len().saturating_add(1));
    keys.push(path.leaf_node.encryption_key.as_slice());
    keys.extend(path.nodes.0.iter().map(|n| n.encryption_key.as_slice()));
    keys.sort_unstable();
    if keys.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
        return Err(ValidationError::PathKeyNotFresh.into());
    }
    let sender_node = sender
        .node_index()
        .ok_or(crate::Error::Internal("a node index outside the tree"))?;
    let replaced = |i: u32| -> bool {
        i == sender_node || math::direct_path(sender_node, diff.n_leaves()).contains(&i)
    };
    let base = diff.base();
    // Nodes of the base tree with one of the keys (found through its key
    // tags): a match counts only if the node is still there after the
    // proposals (same key) and the path does not replace it.
    for i in base.nodes_with_any_encryption_key(&keys) {
        let same = match (diff.node(i), base.node(i)) {
            (Some(now), Some(before)) => node_key(now) == node_key(before),
            _ => false,
        };
        if same && !replaced(i) {
            return Err(ValidationError::PathKeyNotFresh.into());
        }
    }
    let changed = applied
        .added
        .iter()
        .map(|(l, _)| *l)
        .chain(applied.updated.iter().copied());
    for leaf in changed {
        if let Some(node) = diff.leaf(leaf)
            && keys.binary_search(&node.encryption_key.as_slice()).is_ok()
        {
            return Err(ValidationError::PathKeyNotFresh.into());
        }
    }
    Ok(())
}
