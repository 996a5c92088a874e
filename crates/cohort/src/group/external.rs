//! Joining by external commit (RFC 9420 section 12.4.3.2) and proposals from
//! non-members: external senders and new members (section 12.1.8).

use super::credentials::check_group_credentials;
use super::join::{OutOfBandTree, check_joiner_supports, verified_tree};
use super::key_package::KeyPackageBundle;
use super::proposals::{
    ListOptions, ProposalCheck, QueuedProposal, apply_proposals, validate_proposal_list_with,
};
use super::psk::{PskSources, fresh_nonce, resolve_psk_secret};
use super::state::{EpochKeys, Group, GroupConfig};
use crate::codec::{VarBytes, VarVec, encode};
use crate::crypto::SuiteCrypto;
use crate::framing::{
    self, FramedContent, FramedContentBody, MlsMessage, MlsMessageBody, PublicMessage, Sender,
    WireFormat,
};
use crate::messages::{
    Add, Capabilities, Commit, Credential, Extensions, ExternalInit, ExternalPub, GroupContext,
    GroupInfo, KeyPackage, LeafNode, LeafNodeSource, Node, PreSharedKey, PreSharedKeyId, Proposal,
    ProposalOrRef, Psk, Remove,
};
use crate::schedule::{
    JoinerSecret, confirmation_tag, external_init_send, interim_transcript_hash,
    next_confirmed_transcript_hash,
};
use crate::tree::math::LeafIndex;
use crate::tree::{
    LeafPolicy, LeafRole, TreePrivateKeys, TreeView, create_path, validate_leaf_node,
};
use crate::{Error, MisuseError, ValidationError};
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use cohort_traits::{Ciphersuite, Crypto, Provider, Secret, Signer};

/// Options of an external join ([`Group::join_external_with`]): a resync,
/// and external PSKs to inject (RFC 9420 section 12.4.3.2).
#[derive(Clone, Debug, Default)]
pub struct ExternalJoinOptions {
    resync: Option<LeafIndex>,
    psks: Vec<(Vec<u8>, Secret)>,
    pub(crate) capabilities: Option<Capabilities>,
    leaf_extensions: Extensions,
    self_removes: Vec<MlsMessage>,
}

impl ExternalJoinOptions {
    /// No resync, no PSK: a plain join.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the commit a resync that removes the joiner's old leaf `old`
    /// (RFC 9420 section 12.4.3.2).
    pub fn resync(mut self, old: LeafIndex) -> Self {
        self.resync = Some(old);
        self
    }

    /// Injects the external PSK `psk_id` with value `psk`, by value in a
    /// PreSharedKey proposal with a fresh nonce (RFC 9420 sections 8.4,
    /// 12.1.4, 12.4.3.2). Every member must hold the PSK, or it rejects the
    /// commit (C-PSK-06). The PSKs are injected in the order given and kept
    /// in the new group's external PSKs.
    pub fn external_psk(mut self, psk_id: Vec<u8>, psk: Secret) -> Self {
        self.psks.push((psk_id, psk));
        self
    }

    /// The joiner's capabilities, for [`Group::join_external_as`] (the
    /// joiner's leaf adds what it needs, as a KeyPackage's does: mls10, the
    /// suite, its credential type, its extension types).
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = Some(capabilities);
        self
    }

    /// SelfRemove proposals of the GroupInfo's epoch, fetched with the
    /// GroupInfo, to include by reference (extensions draft, "SelfRemove
    /// Proposal": a joiner of a self-remove-capable group must). Each is
    /// checked first: a PublicMessage SelfRemove of this group and epoch,
    /// from a member, with a valid signature (its membership tag cannot be
    /// checked by a non-member). A duplicate from one member is dropped.
    pub fn self_remove_proposals(mut self, proposals: Vec<MlsMessage>) -> Self {
        self.self_removes = proposals;
        self
    }

    /// The joiner's leaf extensions, for [`Group::join_external_as`].
    pub fn leaf_extensions(mut self, extensions: Extensions) -> Self {
        self.leaf_extensions = extensions;
        self
    }
}

impl Group {
    /// Joins a group by external commit (RFC 9420 section 12.4.3.2).
    ///
    /// The GroupInfo and its tree (from its `ratchet_tree` extension or
    /// `ratchet_tree`) are checked as for a Welcome (C-GI-01, C-GI-02,
    /// C-TREE-*, C-CAP-08, C-CAP-11), and every credential of the group
    /// (its leaves and external senders) is put to `config`'s
    /// [`CredentialValidator`](super::CredentialValidator) (C-CRED-04); the
    /// GroupInfo must carry `external_pub` (C-EXT-16). The commit holds an
    /// ExternalInit (section 8.3) and, for a resync, a Remove of the
    /// joiner's old leaf `resync`; it has a path
    /// computed from the joiner's leaf, placed at the leftmost blank leaf
    /// after the Remove (C-EXT-06, C-EXT-18); it is signed by that leaf's
    /// key with sender `new_member_commit` (C-EXT-08, C-EXT-09) and sent as
    /// a PublicMessage (C-EXT-03).
    ///
    /// `own` supplies the leaf's credential, capabilities and extensions and
    /// must be signed by `signer`; its private keys are not used (the path
    /// derives a fresh leaf key). Returns the group in the new epoch and the
    /// commit to send; if the delivery service refuses the commit, drop the
    /// group and retry with a newer GroupInfo.
    ///
    /// [`Group::join_external_with`] also injects PSKs.
    pub fn join_external<P: Provider>(
        provider: &P,
        signer: &dyn Signer,
        group_info: &GroupInfo,
        ratchet_tree: Option<Vec<Option<Node>>>,
        own: &KeyPackageBundle,
        config: GroupConfig,
        resync: Option<LeafIndex>,
    ) -> Result<(Group, MlsMessage), Error> {
        let options = ExternalJoinOptions {
            resync,
            ..ExternalJoinOptions::default()
        };
        Self::join_external_with(
            provider,
            signer,
            group_info,
            ratchet_tree,
            own,
            config,
            options,
        )
    }

    /// [`Group::join_external`] with `options`: a resync, and external PSKs
    /// the commit injects by value after its ExternalInit and Remove (RFC
    /// 9420 sections 8.4, 12.4.3.2). The joiner's own list passes the
    /// checks the members will make (C-EXT-10 to C-EXT-15, C-PSK-01) and
    /// `config`'s proposal policy (C-PROP-21).
    pub fn join_external_with<P: Provider>(
        provider: &P,
        signer: &dyn Signer,
        group_info: &GroupInfo,
        ratchet_tree: Option<Vec<Option<Node>>>,
        own: &KeyPackageBundle,
        config: GroupConfig,
        options: ExternalJoinOptions,
    ) -> Result<(Group, MlsMessage), Error> {
        let kp = &own.key_package;
        if kp.cipher_suite != group_info.group_context.cipher_suite {
            return Err(ValidationError::KeyPackageGroupMismatch.into());
        }
        if signer.public_key() != kp.leaf_node.signature_key.as_slice() {
            return Err(MisuseError::SignerKeyMismatch.into());
        }
        join_external_from(
            provider,
            signer,
            kp.leaf_node.clone(),
            group_info,
            ratchet_tree.map(OutOfBandTree::Nodes),
            config,
            options,
        )
    }

    /// Joins by external commit (see [`Group::join_external`]) presenting
    /// `credential` with the signature key of `signer`: the leaf is made
    /// here (capabilities and leaf extensions from `options`, completed as
    /// a KeyPackage's would be), no KeyPackage is needed.
    pub fn join_external_as<P: Provider>(
        provider: &P,
        signer: &dyn Signer,
        credential: Credential,
        group_info: &GroupInfo,
        ratchet_tree: Option<Vec<Option<Node>>>,
        config: GroupConfig,
        options: ExternalJoinOptions,
    ) -> Result<(Group, MlsMessage), Error> {
        join_external_as_inner(
            provider,
            signer,
            credential,
            group_info,
            ratchet_tree.map(OutOfBandTree::Nodes),
            config,
            options,
        )
    }
}

/// [`Group::join_external_as`] with the tree in either out-of-band form.
pub(crate) fn join_external_as_inner<P: Provider>(
    provider: &P,
    signer: &dyn Signer,
    credential: Credential,
    group_info: &GroupInfo,
    ratchet_tree: Option<OutOfBandTree>,
    config: GroupConfig,
    options: ExternalJoinOptions,
) -> Result<(Group, MlsMessage), Error> {
    {
        let cs = SuiteCrypto::new(provider.crypto(), group_info.group_context.cipher_suite)?;
        if signer.scheme() != cs.params().signature {
            return Err(MisuseError::SignerSchemeMismatch(signer.scheme()).into());
        }
        let mut leaf_extensions = options.leaf_extensions.clone();
        if config.grease {
            super::grease::grease_extension(&mut leaf_extensions, provider.rand())?;
        }
        let mut capabilities = super::key_package::complete_capabilities(
            options.capabilities.clone().unwrap_or_default(),
            &cs,
            &credential,
            [&Extensions::new(), &leaf_extensions],
        )?;
        if config.grease {
            super::grease::grease_capabilities(&mut capabilities, provider.rand())?;
        }
        let template = LeafNode {
            // Replaced by the path's leaf key.
            encryption_key: VarBytes::default(),
            signature_key: signer.public_key().to_vec().into(),
            credential,
            capabilities,
            leaf_node_source: LeafNodeSource::Update,
            extensions: leaf_extensions,
            signature: VarBytes::default(),
        };
        join_external_from(
            provider,
            signer,
            template,
            group_info,
            ratchet_tree,
            config,
            options,
        )
    }
}

/// An external join whose leaf is `template` (its signature key the
/// signer's; the path gives it its encryption key, source and signature).
fn join_external_from<P: Provider>(
    provider: &P,
    signer: &dyn Signer,
    template: LeafNode,
    group_info: &GroupInfo,
    ratchet_tree: Option<OutOfBandTree>,
    config: GroupConfig,
    options: ExternalJoinOptions,
) -> Result<(Group, MlsMessage), Error> {
    {
        let ExternalJoinOptions {
            resync,
            psks,
            self_removes,
            ..
        } = options;
        config.validate()?;
        config
            .limits
            .check_message_size(tls_codec::Size::tls_serialized_len(group_info))?;
        let context = &group_info.group_context;
        let cs = SuiteCrypto::new(provider.crypto(), context.cipher_suite)?;
        let tree = verified_tree(&cs, group_info, ratchet_tree, &config)?;
        check_joiner_supports(&template.capabilities, context)?;
        // The credentials of the group joined (C-CRED-04).
        check_group_credentials(config.credential_validator.get(), context, &tree)?;
        let external_pub = group_info
            .extensions
            .get::<ExternalPub>()?
            .ok_or(ValidationError::MissingExternalPub)?;
        let (kem_output, init_secret) =
            external_init_send(&cs, provider.rand(), external_pub.external_pub.as_slice())?;

        let by_value = |proposal| QueuedProposal {
            proposal,
            sender: Sender::NewMemberCommit,
            reference: None,
        };
        let mut list = vec![by_value(Proposal::ExternalInit(ExternalInit {
            kem_output: kem_output.into(),
        }))];
        if let Some(old) = resync {
            list.push(by_value(Proposal::Remove(Remove { removed: old.0 })));
        }
        let mut leaving = alloc::collections::BTreeSet::new();
        for message in &self_removes {
            let q = checked_self_remove(&cs, context, &tree, message)?;
            if let Sender::Member(l) = q.sender
                && Some(LeafIndex(l)) != resync
                && leaving.insert(l)
            {
                list.push(q);
            }
        }
        let mut psk_ids = Vec::with_capacity(psks.len());
        let mut external_psks = BTreeMap::new();
        for (psk_id, psk) in psks {
            let id = PreSharedKeyId {
                psk: Psk::External {
                    psk_id: psk_id.clone().into(),
                },
                psk_nonce: fresh_nonce(&cs, provider.rand())?.into(),
            };
            list.push(by_value(Proposal::PreSharedKey(PreSharedKey {
                psk: id.clone(),
            })));
            psk_ids.push(id);
            external_psks.insert(psk_id, psk);
        }
        let new_epoch = context
            .epoch
            .checked_add(1)
            .ok_or(MisuseError::EpochExhausted)?;
        let group_id = context.group_id.as_slice();

        let mut diff = tree.diff();
        apply_proposals(&mut diff, &list)?;
        let own_leaf = diff.add_leaf(template.clone())?;
        let pending = create_path(
            &cs,
            provider.rand(),
            &mut diff,
            own_leaf,
            template,
            signer,
            group_id,
        )?;

        // The joiner checks what the members will (C-EXT-10 to C-EXT-15),
        // and that its own leaf suits the group.
        let required = crate::tree::RequiredSet::of(&context.extensions)?;
        let policy = LeafPolicy {
            required: required.as_ref(),
            max_extensions: config.limits.max_extensions_per_leaf,
            ..Default::default()
        };
        let check = ProposalCheck {
            cs: &cs,
            context,
            tree: &tree,
            committer: Sender::NewMemberCommit,
            leaf_policy: policy,
        };
        let options = ListOptions {
            path_leaf: Some(pending.leaf_node()),
            policy: Some(config.proposal_policy.get()),
            credentials: Some(config.credential_validator.get()),
            app: Some(&config.app),
            ..Default::default()
        };
        validate_proposal_list_with(&check, &list, &options)?;
        validate_leaf_node(
            &cs,
            pending.leaf_node(),
            LeafRole::Commit,
            Some((group_id, own_leaf)),
            &policy,
        )?;

        let provisional = GroupContext {
            epoch: new_epoch,
            tree_hash: diff.tree_hash(&cs)?.into(),
            ..context.clone()
        };
        let path = pending.encrypt(&cs, provider.rand(), &diff, &encode(&provisional)?, &[])?;
        let commit = Commit {
            proposals: VarVec(
                list.into_iter()
                    .map(|q| match q.reference {
                        Some(r) => ProposalOrRef::Reference(r.into()),
                        None => ProposalOrRef::Proposal(Box::new(q.proposal)),
                    })
                    .collect(),
            ),
            path: Some(path),
        };
        let content = FramedContent {
            group_id: context.group_id.clone(),
            epoch: context.epoch,
            sender: Sender::NewMemberCommit,
            authenticated_data: VarBytes(super::app::outgoing_aad(context, Vec::new())?),
            body: FramedContentBody::Commit(commit),
        };
        let mut ac = framing::sign_content(
            &cs,
            signer,
            WireFormat::PUBLIC_MESSAGE,
            content,
            Some(context),
        )?;

        // The new epoch (RFC 9420 section 8), from the external init secret.
        let interim = interim_transcript_hash(
            &cs,
            context.confirmed_transcript_hash.as_slice(),
            group_info.confirmation_tag.as_slice(),
        )?;
        let confirmed =
            next_confirmed_transcript_hash(&cs, &interim, &ac.confirmed_transcript_hash_input()?)?;
        let new_context = GroupContext {
            epoch: new_epoch,
            tree_hash: diff.tree_hash(&cs)?.into(),
            confirmed_transcript_hash: confirmed.clone().into(),
            ..context.clone()
        };
        let gc = encode(&new_context)?;
        let joiner = JoinerSecret::derive(
            &cs,
            init_secret.as_bytes(),
            pending.commit_secret().as_bytes(),
            &gc,
        )?;
        let sources = PskSources {
            external: &external_psks,
            groups: &[],
        };
        let psk_secret = resolve_psk_secret(&cs, &psk_ids, &sources)?;
        let (_, secrets) = joiner.into_epoch(&cs, psk_secret.as_bytes(), &gc)?;
        let tag = confirmation_tag(&cs, &secrets.confirmation_key, &confirmed)?;
        ac.auth.confirmation_tag = Some(tag.clone().into());
        let new_interim = interim_transcript_hash(&cs, &confirmed, &tag)?;
        let message = MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
            content: ac.content,
            auth: ac.auth,
            membership_tag: None,
        }));

        let private_keys: TreePrivateKeys = pending.private_keys().clone();
        let changes = diff.into_changes(&cs)?;
        let mut tree = tree;
        tree.merge(changes);
        let mut resumption_psks = BTreeMap::new();
        resumption_psks.insert(new_epoch, secrets.resumption_psk.clone());
        let keys = EpochKeys::new(secrets, tree.n_leaves(), config.ratchet)?;
        let group = Group {
            suite: new_context.cipher_suite,
            context: new_context,
            tree,
            own_leaf,
            private_keys,
            keys,
            interim_transcript_hash: new_interim,
            confirmation_tag: tag,
            proposals: Default::default(),
            past_epochs: VecDeque::new(),
            resumption_psks,
            external_psks,
            config,
            active: true,
            pending_reinit: None,
            pending_updates: Vec::new(),
            pending_commit: None,
            unsaved: super::persist::Unsaved::everything(),
            reserved: [0, 0],
        };
        Ok((group, message))
    }
}

/// A SelfRemove fetched with a GroupInfo, checked as a non-member can
/// (extensions draft, "SelfRemove Proposal"): a PublicMessage of the
/// group's epoch holding a SelfRemove from a member of `tree`, its
/// signature valid (the membership tag needs the membership key). Returns
/// it queued by reference.
fn checked_self_remove<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    context: &GroupContext,
    tree: &crate::tree::RatchetTree,
    message: &MlsMessage,
) -> Result<QueuedProposal, Error> {
    let MlsMessageBody::PublicMessage(pm) = &message.body else {
        return Err(ValidationError::SelfRemoveMisused("in a PrivateMessage").into());
    };
    if pm.content.group_id != context.group_id {
        return Err(ValidationError::WrongGroup.into());
    }
    if pm.content.epoch != context.epoch {
        return Err(ValidationError::WrongEpoch {
            epoch: pm.content.epoch,
        }
        .into());
    }
    let FramedContentBody::Proposal(proposal @ Proposal::SelfRemove(_)) = &pm.content.body else {
        return Err(MisuseError::UnexpectedMessageType {
            expected: "SelfRemove proposal",
        }
        .into());
    };
    let Sender::Member(leaf) = pm.content.sender else {
        return Err(ValidationError::SelfRemoveMisused("from a non-member").into());
    };
    let key = tree
        .leaf(LeafIndex(leaf))
        .ok_or(ValidationError::SenderNotMember)?
        .signature_key
        .clone();
    let ac = crate::framing::AuthenticatedContent {
        wire_format: WireFormat::PUBLIC_MESSAGE,
        content: pm.content.clone(),
        auth: pm.auth.clone(),
    };
    framing::verify_content_signature(cs, key.as_slice(), &ac, Some(context))?;
    Ok(QueuedProposal {
        proposal: proposal.clone(),
        sender: Sender::Member(leaf),
        reference: Some(super::proposals::proposal_ref(cs, &ac)?),
    })
}

/// Signs a proposal from the external sender at `sender_index` of a
/// group's `external_senders` extension (RFC 9420 section 12.1.8), for
/// `epoch` of group `group_id` in `suite`. Only Add, Remove, PreSharedKey,
/// ReInit and GroupContextExtensions are allowed (C-FRAME-13); the message
/// is a PublicMessage without membership tag (C-EXT-03).
pub fn external_proposal<P: Provider>(
    provider: &P,
    signer: &dyn Signer,
    suite: Ciphersuite,
    group_id: &[u8],
    epoch: u64,
    sender_index: u32,
    proposal: Proposal,
) -> Result<MlsMessage, Error> {
    let cs = SuiteCrypto::new(provider.crypto(), suite)?;
    non_member_proposal(
        &cs,
        signer,
        group_id,
        epoch,
        Sender::External(sender_index),
        proposal,
    )
}

/// A new member's proposal to add itself with `key_package` to `epoch` of
/// group `group_id` (RFC 9420 section 12.1.8): sender `new_member_proposal`,
/// signed with the KeyPackage leaf's signature key, which `signer` must
/// hold (C-EXT-05), as a PublicMessage without membership tag (C-EXT-03).
pub fn new_member_proposal<P: Provider>(
    provider: &P,
    signer: &dyn Signer,
    group_id: &[u8],
    epoch: u64,
    key_package: &KeyPackage,
) -> Result<MlsMessage, Error> {
    if signer.public_key() != key_package.leaf_node.signature_key.as_slice() {
        return Err(MisuseError::SignerKeyMismatch.into());
    }
    let cs = SuiteCrypto::new(provider.crypto(), key_package.cipher_suite)?;
    non_member_proposal(
        &cs,
        signer,
        group_id,
        epoch,
        Sender::NewMemberProposal,
        Proposal::Add(Box::new(Add {
            key_package: key_package.clone(),
        })),
    )
}

/// Signs a proposal of a non-member as a PublicMessage (RFC 9420 sections
/// 6.1, 6.2): its signature does not cover the GroupContext.
fn non_member_proposal<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    signer: &dyn Signer,
    group_id: &[u8],
    epoch: u64,
    sender: Sender,
    proposal: Proposal,
) -> Result<MlsMessage, Error> {
    let content = FramedContent {
        group_id: group_id.to_vec().into(),
        epoch,
        sender,
        authenticated_data: VarBytes::default(),
        body: FramedContentBody::Proposal(proposal),
    };
    framing::check_sender_content(&content)?;
    let ac = framing::sign_content(cs, signer, WireFormat::PUBLIC_MESSAGE, content, None)?;
    Ok(MlsMessage::new(MlsMessageBody::PublicMessage(
        PublicMessage {
            content: ac.content,
            auth: ac.auth,
            membership_tag: None,
        },
    )))
}
