//! What a member sends besides commits: application messages and
//! proposals (RFC 9420 sections 6, 12.1), signed and protected as its
//! wire-format policy says.

use super::proposals::QueuedProposal;
use super::state::{Group, PendingUpdate};
use crate::crypto::SuiteCrypto;
use crate::framing::{
    self, AuthenticatedContent, FramedContent, FramedContentBody, MlsMessage, MlsMessageBody,
    Sender, WireFormat,
};
use crate::messages::{LeafNodeSource, Proposal};
use crate::tree::TreeView;
use crate::tree::math::LeafIndex;
use crate::{Error, MisuseError, ValidationError};
use alloc::vec::Vec;
use cohort_traits::{Provider, Rand, Secret, Signer};

impl Group {
    /// Signs content of this member for the current epoch.
    pub(crate) fn sign_own<P: Provider>(
        &self,
        cs: &SuiteCrypto<'_, P::Crypto>,
        signer: &dyn Signer,
        wire_format: WireFormat,
        body: FramedContentBody,
        authenticated_data: Vec<u8>,
    ) -> Result<AuthenticatedContent, Error> {
        // The group's Safe AAD and framing rules hold for what it sends.
        let application = match &body {
            FramedContentBody::Application(data) => Some(data.as_slice()),
            _ => None,
        };
        let authenticated_data = super::app::outgoing_aad(&self.context, authenticated_data)?;
        super::app::check_content(&self.context, &authenticated_data, application)?;
        let content = FramedContent {
            group_id: self.context.group_id.clone(),
            epoch: self.context.epoch,
            sender: Sender::Member(self.own_leaf.0),
            authenticated_data: authenticated_data.into(),
            body,
        };
        framing::sign_content(cs, signer, wire_format, content, Some(&self.context))
    }

    /// Protects signed content of this member as the wire format it was
    /// signed for; private messages consume a ratchet generation.
    pub(crate) fn protect_own<P: Provider>(
        &mut self,
        cs: &SuiteCrypto<'_, P::Crypto>,
        provider: &P,
        ac: AuthenticatedContent,
    ) -> Result<MlsMessage, Error> {
        let body = if ac.wire_format == WireFormat::PRIVATE_MESSAGE {
            let mut plain_len = Vec::new();
            ac.content.body.encode_body(&mut plain_len)?;
            let padding = self
                .config
                .padding_for(plain_len.len().saturating_add(ac.auth.signature.0.len()));
            let (msg, update) = framing::protect_private(
                cs,
                provider.rand(),
                &self.keys.secret_tree,
                &self.keys.secrets.sender_data_secret,
                &ac,
                padding,
            )?;
            let kind = match ac.content.body {
                FramedContentBody::Application(_) => crate::schedule::ContentKind::Application,
                _ => crate::schedule::ContentKind::Handshake,
            };
            self.apply_sent(kind, update);
            MlsMessageBody::PrivateMessage(msg)
        } else {
            MlsMessageBody::PublicMessage(framing::protect_public(
                cs,
                &self.keys.secrets.membership_key,
                &self.context,
                ac,
            )?)
        };
        Ok(MlsMessage::new(body))
    }

    /// Encrypts application data as a PrivateMessage (RFC 9420 section 6.3).
    /// Refused while proposals of this epoch are pending: they must be
    /// committed first (RFC 9420 section 12.4; C-COMMIT-10).
    pub fn encrypt<P: Provider>(
        &mut self,
        provider: &P,
        signer: &dyn Signer,
        data: &[u8],
        authenticated_data: &[u8],
    ) -> Result<MlsMessage, Error> {
        self.ensure_can_send()?;
        if !self.proposals.is_empty() {
            return Err(MisuseError::PendingProposals.into());
        }
        let cs = self.cs(provider.crypto())?;
        let ac = self.sign_own::<P>(
            &cs,
            signer,
            WireFormat::PRIVATE_MESSAGE,
            FramedContentBody::Application(data.to_vec().into()),
            authenticated_data.to_vec(),
        )?;
        self.protect_own(&cs, provider, ac)
    }

    /// Sends a proposal (RFC 9420 section 12.1) and caches it, so this
    /// member's next commit includes it by reference.
    pub fn propose<P: Provider>(
        &mut self,
        provider: &P,
        signer: &dyn Signer,
        proposal: Proposal,
    ) -> Result<MlsMessage, Error> {
        self.ensure_can_send()?;
        let cs = self.cs(provider.crypto())?;
        self.check_sendable(&proposal)?;
        // A SelfRemove is always public, so external joiners can include
        // it (extensions draft, "SelfRemove Proposal").
        let wire_format = if matches!(proposal, Proposal::SelfRemove(_)) {
            crate::framing::WireFormat::PUBLIC_MESSAGE
        } else {
            self.config.handshake_wire_format()
        };
        let ac = self.sign_own::<P>(
            &cs,
            signer,
            wire_format,
            FramedContentBody::Proposal(proposal.clone()),
            Vec::new(),
        )?;
        let reference = super::proposals::proposal_ref(&cs, &ac)?;
        if !self.proposals.contains(&reference)
            && self.proposals.len() >= self.config.limits.max_cached_proposals
        {
            return Err(crate::LimitError::ProposalCacheFull {
                max: self.config.limits.max_cached_proposals,
            }
            .into());
        }
        let msg = self.protect_own(&cs, provider, ac)?;
        self.proposals.insert(
            QueuedProposal {
                proposal,
                sender: Sender::Member(self.own_leaf.0),
                reference: Some(reference),
            },
            self.config.limits.max_cached_proposals,
        )?;
        self.unsaved.state = true;
        Ok(msg)
    }

    /// Proposes this member's own removal with a SelfRemove (extensions
    /// draft, "SelfRemove Proposal"), sent as a PublicMessage whatever the
    /// wire-format policy. Any member's next commit, or an external
    /// joiner's, removes this member. The group must be
    /// self-remove-capable: every member lists `self_remove` in its
    /// capabilities ([`MisuseError::NotSupportedByGroup`] otherwise); one
    /// per epoch ([`MisuseError::SelfRemoveAlreadySent`]).
    pub fn propose_self_remove<P: Provider>(
        &mut self,
        provider: &P,
        signer: &dyn Signer,
    ) -> Result<MlsMessage, Error> {
        self.propose(
            provider,
            signer,
            Proposal::SelfRemove(crate::messages::SelfRemove),
        )
    }

    /// Checks a proposal this member is about to send: a non-default type
    /// is supported by every member (RFC 9420 section 12.2; C-PROP-19 on
    /// the sending side), a SelfRemove is the first of the epoch, and the
    /// application's components and custom types accept it.
    fn check_sendable(&self, proposal: &Proposal) -> Result<(), Error> {
        let t = proposal.proposal_type();
        if !t.is_default() {
            for l in 0..self.tree.n_leaves() {
                if let Some(leaf) = self.tree.leaf(LeafIndex(l))
                    && !leaf.capabilities.proposals.0.contains(&t)
                {
                    return Err(MisuseError::NotSupportedByGroup {
                        proposal_type: t.0,
                        leaf: l,
                    }
                    .into());
                }
            }
        }
        if matches!(proposal, Proposal::SelfRemove(_))
            && self.proposals.iter().any(|q| {
                matches!(q.proposal, Proposal::SelfRemove(_))
                    && q.sender == Sender::Member(self.own_leaf.0)
            })
        {
            return Err(MisuseError::SelfRemoveAlreadySent.into());
        }
        self.config.app.check_one(
            proposal,
            &super::AppProposalInfo {
                context: &self.context,
                sender: Sender::Member(self.own_leaf.0),
                external_commit: false,
            },
        )
    }

    /// Proposes an Update of this member's leaf (RFC 9420 section 12.1.2):
    /// a fresh HPKE key pair, with the credential, signature key,
    /// capabilities and extensions of the current leaf. The private key is
    /// kept until the epoch ends, so this member can process the commit of
    /// another member that includes the Update. (A member's own commit
    /// replaces its own Update by its UpdatePath.)
    pub fn propose_update<P: Provider>(
        &mut self,
        provider: &P,
        signer: &dyn Signer,
    ) -> Result<MlsMessage, Error> {
        self.ensure_can_send()?;
        let cs = self.cs(provider.crypto())?;
        let mut leaf = self
            .tree
            .leaf(self.own_leaf)
            .ok_or(ValidationError::SenderNotMember)?
            .clone();
        if signer.public_key() != leaf.signature_key.as_slice() {
            return Err(MisuseError::SignerMismatch.into());
        }
        let mut bytes = alloc::vec![0u8; cs.hash_len()];
        provider.rand().fill(&mut bytes)?;
        let ikm = Secret::new(bytes);
        let (private_key, public_key) = cs.derive_key_pair(ikm.as_bytes())?;
        leaf.encryption_key = public_key.clone().into();
        leaf.leaf_node_source = LeafNodeSource::Update;
        let tbs = leaf.to_be_signed(Some((self.context.group_id.as_slice(), self.own_leaf)))?;
        leaf.signature = cs
            .sign_with_label(signer, crate::tree::LEAF_LABEL, &tbs)?
            .into();
        let msg = self.propose(
            provider,
            signer,
            Proposal::Update(alloc::boxed::Box::new(crate::messages::Update {
                leaf_node: leaf,
            })),
        )?;
        self.pending_updates.push(PendingUpdate {
            encryption_key: public_key,
            private_key,
        });
        self.unsaved.state = true;
        Ok(msg)
    }
}
