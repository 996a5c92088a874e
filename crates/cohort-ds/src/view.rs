//! The server-side view of a group: what a non-member can check of its
//! handshake messages, behind [`GroupView`] so the implementation can be
//! swapped without touching the HTTP layer or the storage.
//!
//! [`SignedContextView`] is the implementation in use: it verifies a
//! GroupInfo completely (ratchet tree decoded within the limits, tree hash,
//! the signer a member, the GroupInfo signature), then for each handshake
//! message checks the group id, the epoch (a past epoch is
//! [`ViewError::StaleEpoch`]), that the sender is a member leaf, and the
//! content signature over the epoch's GroupContext whenever the view knows
//! it. A commit's proposals (by value, or by reference to proposals the
//! view accepted in the epoch) are applied to the roster: Add (the
//! KeyPackage validated), Remove (an occupied leaf, not the committer),
//! Update and the path's new leaf (the sender's signature key replaced).
//! The next epoch's GroupContext needs the new tree hash and transcript
//! hash; the view learns it from a GroupInfo sent with the commit (checked
//! against the roster it computed) and otherwise checks the next epoch's
//! messages without the signature.

use cohort::codec::encode;
use cohort::crypto::SuiteCrypto;
use cohort::framing::{FramedContentBody, MlsMessage, MlsMessageBody, Sender};
use cohort::group::{Limits, validate_key_package};
use cohort::messages::{
    Credential, ExtensionType, GroupContext, GroupInfo, Proposal, ProposalOrRef,
};
use cohort::tree::{LeafPolicy, RatchetTree, TreeView};
use cohort::{Ciphersuite, Error, LeafIndex};
use cohort_rust_crypto::RustCrypto;
use serde::{Deserialize, Serialize};
use tls_codec::DeserializeBytes;

/// Label of GroupInfo signatures (RFC 9420 section 12.4.3).
const GROUP_INFO_LABEL: &[u8] = b"GroupInfoTBS";

/// One member as the view sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewMember {
    /// Its leaf index.
    pub leaf_index: u32,
    /// The basic credential's identity (lossy UTF-8; empty for other
    /// credential types).
    pub identity: String,
    /// Its signature public key.
    pub signature_key: Vec<u8>,
}

/// What a handshake message was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Processed {
    /// A proposal, kept as pending for the epoch.
    Proposal,
    /// A commit, applied: the view is in the next epoch.
    Commit,
}

/// Why the view refused a message.
#[derive(Debug)]
pub enum ViewError {
    /// The message is for an epoch the group has left (the group's current
    /// epoch is given).
    StaleEpoch(u64),
    /// The message breaks a check, named by `code` and `message`.
    Invalid {
        /// A snake_case name of the check.
        code: &'static str,
        /// The failed check in words.
        message: String,
    },
    /// The sender is not a member (or not the authenticated client).
    Forbidden(String),
}

impl ViewError {
    fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        ViewError::Invalid {
            code,
            message: message.into(),
        }
    }

    fn core(code: &'static str, e: Error) -> Self {
        ViewError::invalid(code, e.to_string())
    }
}

/// The server-side state of one group.
pub trait GroupView: Sized + Send + 'static {
    /// Builds the view from a GroupInfo (with its ratchet tree extension).
    fn from_group_info(group_info: &MlsMessage, limits: &Limits) -> Result<Self, ViewError>;
    /// Checks a handshake message (PublicMessage) and applies it. On error
    /// the view is unchanged.
    fn process(
        &mut self,
        message: &MlsMessage,
        group_info: Option<&MlsMessage>,
        limits: &Limits,
    ) -> Result<Processed, ViewError>;
    /// The members.
    fn members(&self) -> Vec<ViewMember>;
    /// The current epoch.
    fn epoch(&self) -> u64;
    /// The group id.
    fn group_id(&self) -> &[u8];
    /// Encodes the state for storage.
    fn to_bytes(&self) -> Result<Vec<u8>, ViewError>;
    /// Decodes stored state.
    fn from_bytes(bytes: &[u8], limits: &Limits) -> Result<Self, ViewError>;
}

/// See the module documentation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignedContextView {
    suite: u16,
    group_id: Vec<u8>,
    epoch: u64,
    /// The encoded GroupContext of the current epoch, when known.
    context: Option<Vec<u8>>,
    /// Leaves in index order; `None` is blank.
    leaves: Vec<Option<ViewMember>>,
    /// Encoded proposals accepted in this epoch, by ProposalRef.
    pending: Vec<(Vec<u8>, Vec<u8>)>,
}

fn identity_of(credential: &Credential) -> String {
    match credential {
        Credential::Basic { identity } => String::from_utf8_lossy(identity.as_slice()).into_owned(),
        _ => String::new(),
    }
}

fn suite_crypto<'a>(
    crypto: &'a RustCrypto,
    suite: u16,
) -> Result<SuiteCrypto<'a, RustCrypto>, ViewError> {
    SuiteCrypto::new(crypto, Ciphersuite(suite))
        .map_err(|e| ViewError::core("unsupported_ciphersuite", e))
}

impl SignedContextView {
    fn verified(gi: &GroupInfo, limits: &Limits) -> Result<Self, ViewError> {
        let crypto = RustCrypto::new();
        let ctx = &gi.group_context;
        let suite = ctx.cipher_suite.0;
        let cs = suite_crypto(&crypto, suite)?;
        let ext = gi
            .extensions
            .find(ExtensionType::RATCHET_TREE)
            .ok_or_else(|| {
                ViewError::invalid(
                    "ratchet_tree_missing",
                    "the GroupInfo has no ratchet_tree extension",
                )
            })?;
        let tree =
            RatchetTree::decode_extension(&cs, ext.extension_data.as_slice(), limits.max_leaves)
                .map_err(|e| ViewError::core("invalid_ratchet_tree", e))?;
        if tree.tree_hash() != ctx.tree_hash.as_slice() {
            return Err(ViewError::invalid(
                "tree_hash_mismatch",
                "the ratchet tree does not hash to the GroupContext's tree_hash",
            ));
        }
        let signer = tree.leaf(LeafIndex(gi.signer)).ok_or_else(|| {
            ViewError::invalid(
                "group_info_signer_not_member",
                format!("GroupInfo signer leaf {} is blank", gi.signer),
            )
        })?;
        let tbs = gi
            .to_be_signed()
            .map_err(|e| ViewError::core("invalid_group_info", e))?;
        cs.verify_with_label(
            signer.signature_key.as_slice(),
            GROUP_INFO_LABEL,
            &tbs,
            gi.signature.as_slice(),
        )
        .map_err(|_| {
            ViewError::invalid(
                "group_info_signature_invalid",
                "the GroupInfo signature does not verify",
            )
        })?;
        let mut leaves = Vec::new();
        for i in 0..tree.n_leaves() {
            leaves.push(tree.leaf(LeafIndex(i)).map(|leaf| ViewMember {
                leaf_index: i,
                identity: identity_of(&leaf.credential),
                signature_key: leaf.signature_key.as_slice().to_vec(),
            }));
        }
        while matches!(leaves.last(), Some(None)) {
            leaves.pop();
        }
        Ok(SignedContextView {
            suite,
            group_id: ctx.group_id.as_slice().to_vec(),
            epoch: ctx.epoch,
            context: Some(encode(ctx).map_err(|e| ViewError::core("invalid_group_info", e))?),
            leaves,
            pending: Vec::new(),
        })
    }

    fn member(&self, leaf: u32) -> Option<&ViewMember> {
        self.leaves.get(leaf as usize).and_then(Option::as_ref)
    }

    fn apply_proposal(
        &mut self,
        cs: &SuiteCrypto<'_, RustCrypto>,
        proposal: &Proposal,
        committer: u32,
        limits: &Limits,
    ) -> Result<(), ViewError> {
        match proposal {
            Proposal::Add(add) => {
                let policy = LeafPolicy {
                    max_extensions: limits.max_extensions_per_leaf,
                    ..LeafPolicy::default()
                };
                validate_key_package(cs, &add.key_package, &policy)
                    .map_err(|e| ViewError::core("invalid_key_package", e))?;
                let leaf = &add.key_package.leaf_node;
                let key = leaf.signature_key.as_slice().to_vec();
                if self.leaves.iter().flatten().any(|m| m.signature_key == key) {
                    return Err(ViewError::invalid(
                        "duplicate_signature_key",
                        "an Add's signature key is already in the group",
                    ));
                }
                let index = match self.leaves.iter().position(Option::is_none) {
                    Some(i) => i,
                    None => {
                        if self.leaves.len() >= limits.max_leaves as usize {
                            return Err(ViewError::invalid(
                                "too_many_members",
                                format!("the group would pass {} leaves", limits.max_leaves),
                            ));
                        }
                        self.leaves.push(None);
                        self.leaves.len() - 1
                    }
                };
                let member = ViewMember {
                    leaf_index: u32::try_from(index).unwrap_or(u32::MAX),
                    identity: identity_of(&leaf.credential),
                    signature_key: key,
                };
                if let Some(slot) = self.leaves.get_mut(index) {
                    *slot = Some(member);
                }
            }
            Proposal::Remove(remove) => {
                if remove.removed == committer {
                    return Err(ViewError::invalid(
                        "committer_removed",
                        "a commit removes its own sender",
                    ));
                }
                match self.leaves.get_mut(remove.removed as usize) {
                    Some(slot @ Some(_)) => *slot = None,
                    _ => {
                        return Err(ViewError::invalid(
                            "remove_blank_leaf",
                            format!("Remove of blank leaf {}", remove.removed),
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl GroupView for SignedContextView {
    fn from_group_info(group_info: &MlsMessage, limits: &Limits) -> Result<Self, ViewError> {
        match &group_info.body {
            MlsMessageBody::GroupInfo(gi) => Self::verified(gi, limits),
            _ => Err(ViewError::invalid(
                "not_a_group_info",
                "group_info is not an MLSMessage(GroupInfo)",
            )),
        }
    }

    fn process(
        &mut self,
        message: &MlsMessage,
        group_info: Option<&MlsMessage>,
        limits: &Limits,
    ) -> Result<Processed, ViewError> {
        let MlsMessageBody::PublicMessage(pm) = &message.body else {
            return Err(ViewError::invalid(
                "not_a_public_message",
                "a handshake message must be a PublicMessage",
            ));
        };
        let content = &pm.content;
        if content.group_id.as_slice() != self.group_id.as_slice() {
            return Err(ViewError::invalid(
                "wrong_group",
                "the message's group id is not the group's",
            ));
        }
        if content.epoch < self.epoch {
            return Err(ViewError::StaleEpoch(self.epoch));
        }
        if content.epoch > self.epoch {
            return Err(ViewError::invalid(
                "future_epoch",
                format!(
                    "message for epoch {}, the group is in epoch {}",
                    content.epoch, self.epoch
                ),
            ));
        }
        let Sender::Member(sender) = content.sender else {
            return Err(ViewError::invalid(
                "unsupported_sender",
                "only member senders are accepted for handshake messages",
            ));
        };
        let sender_key = self
            .member(sender)
            .map(|m| m.signature_key.clone())
            .ok_or_else(|| ViewError::Forbidden(format!("sender leaf {sender} is not a member")))?;
        let crypto = RustCrypto::new();
        let cs = suite_crypto(&crypto, self.suite)?;
        let ac = pm.authenticated_content();
        if let Some(context) = &self.context {
            let (ctx, _) = GroupContext::tls_deserialize_bytes(context)
                .map_err(|e| ViewError::invalid("corrupt_state", e.to_string()))?;
            cohort::framing::verify_content_signature(&cs, &sender_key, &ac, Some(&ctx))
                .map_err(|e| ViewError::core("invalid_signature", e))?;
        }
        let mut next = self.clone();
        match &content.body {
            FramedContentBody::Proposal(proposal) => {
                let reference = cs
                    .make_proposal_ref(
                        &encode(&ac).map_err(|e| ViewError::core("invalid_message", e))?,
                    )
                    .map_err(|e| ViewError::core("invalid_message", e))?;
                if self.pending.len() >= limits.max_cached_proposals {
                    return Err(ViewError::invalid(
                        "too_many_proposals",
                        "too many pending proposals in this epoch",
                    ));
                }
                let bytes = encode(proposal).map_err(|e| ViewError::core("invalid_message", e))?;
                self.pending.push((reference, bytes));
                Ok(Processed::Proposal)
            }
            FramedContentBody::Commit(commit) => {
                if commit.proposals.0.len() > limits.max_proposals_per_commit {
                    return Err(ViewError::invalid(
                        "too_many_proposals",
                        "the commit has too many proposals",
                    ));
                }
                for por in commit.proposals.0.iter() {
                    let proposal = match por {
                        ProposalOrRef::Proposal(p) => p.as_ref().clone(),
                        ProposalOrRef::Reference(r) => {
                            let bytes = self
                                .pending
                                .iter()
                                .find(|(reference, _)| reference.as_slice() == r.as_slice())
                                .map(|(_, b)| b)
                                .ok_or_else(|| {
                                    ViewError::invalid(
                                        "unknown_proposal_ref",
                                        "the commit references an unknown proposal",
                                    )
                                })?;
                            Proposal::tls_deserialize_exact_bytes(bytes)
                                .map_err(|e| ViewError::invalid("corrupt_state", e.to_string()))?
                        }
                    };
                    next.apply_proposal(&cs, &proposal, sender, limits)?;
                }
                if let Some(path) = &commit.path {
                    let key = path.leaf_node.signature_key.as_slice().to_vec();
                    if let Some(Some(m)) = next.leaves.get_mut(sender as usize) {
                        m.signature_key = key;
                        m.identity = identity_of(&path.leaf_node.credential);
                    }
                }
                while matches!(next.leaves.last(), Some(None)) {
                    next.leaves.pop();
                }
                next.epoch = self.epoch.saturating_add(1);
                next.context = None;
                next.pending.clear();
                if let Some(gi) = group_info {
                    let fresh = SignedContextView::from_group_info(gi, limits)?;
                    if fresh.group_id != next.group_id || fresh.epoch != next.epoch {
                        return Err(ViewError::invalid(
                            "group_info_mismatch",
                            "the GroupInfo is not for the commit's group and new epoch",
                        ));
                    }
                    if fresh.leaves != next.leaves {
                        return Err(ViewError::invalid(
                            "group_info_mismatch",
                            "the GroupInfo's tree does not hold the roster the commit makes",
                        ));
                    }
                    next = fresh;
                }
                *self = next;
                Ok(Processed::Commit)
            }
            FramedContentBody::Application(_) => Err(ViewError::invalid(
                "public_application_data",
                "application data must be a PrivateMessage",
            )),
        }
    }

    fn members(&self) -> Vec<ViewMember> {
        self.leaves.iter().flatten().cloned().collect()
    }

    fn epoch(&self) -> u64 {
        self.epoch
    }

    fn group_id(&self) -> &[u8] {
        &self.group_id
    }

    fn to_bytes(&self) -> Result<Vec<u8>, ViewError> {
        serde_json::to_vec(self).map_err(|e| ViewError::invalid("encode_state", e.to_string()))
    }

    fn from_bytes(bytes: &[u8], _limits: &Limits) -> Result<Self, ViewError> {
        serde_json::from_slice(bytes)
            .map_err(|e| ViewError::invalid("corrupt_state", e.to_string()))
    }
}
