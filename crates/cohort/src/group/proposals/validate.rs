//! Proposal-list validation (RFC 9420 sections 12.1, 12.2, 12.3).

use super::super::credentials::{
    CredentialEvent, CredentialValidator, check_new_member, check_proposal_credentials,
    new_member_info, or_default, validate_credential,
};
use super::super::key_package::{ExtensionContext, check_extension_list, validate_key_package};
use crate::crypto::SuiteCrypto;
use crate::framing::{ContentType, Sender};
use crate::messages::{
    Capabilities, Credential, CredentialType, ExtensionType, Extensions, ExternalSenders,
    GroupContext, KeyPackage, LeafNode, PreSharedKeyId, Proposal, ProposalType, Psk,
    RequiredCapabilities, ResumptionPskUsage,
};
use crate::tree::math::{self, LeafIndex};
use crate::tree::{
    LeafPolicy, LeafRole, RatchetTree, RequiredSet, SortedSet, TreeView, supports_bindings,
};
use crate::{Error, MisuseError, ValidationError};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use cohort_traits::Crypto;

use super::super::app::{AppProposalInfo, AppRegistry, EMPTY_APP};
use super::QueuedProposal;
use super::policy::{DEFAULT_POLICY, ProposalPolicy, check_policy};

/// What a proposal list is validated against (RFC 9420 section 12.2): the
/// group's state before the commit and who commits.
pub struct ProposalCheck<'a, C: Crypto + ?Sized> {
    /// The group's suite.
    pub cs: &'a SuiteCrypto<'a, C>,
    /// The GroupContext of the current epoch.
    pub context: &'a GroupContext,
    /// The ratchet tree of the current epoch.
    pub tree: &'a RatchetTree,
    /// The committer: `Sender::Member` for a regular commit,
    /// `Sender::NewMemberCommit` for an external one.
    pub committer: Sender,
    /// Lifetime rules for new leaves. Its `required` field is ignored: the
    /// required capabilities are read from the group context extensions in
    /// force after the list's GroupContextExtensions (RFC 9420 section 12.3).
    pub leaf_policy: LeafPolicy<'a>,
}

/// Options of [`validate_proposal_list_with`] for the special commits.
#[derive(Clone, Copy, Default)]
pub struct ListOptions<'a> {
    /// The resumption PSK usage allowed besides `application`:
    /// `Some(Reinit)` for the first commit of a group created by a
    /// reinitialization, `Some(Branch)` for one created by branching
    /// (RFC 9420 sections 11.2, 11.3, 12.1.4). `None` otherwise.
    pub psk_usage: Option<ResumptionPskUsage>,
    /// The leaf node of the commit's UpdatePath, when known. For an external
    /// commit with a Remove (a resync) it is checked against the removed
    /// leaf (RFC 9420 section 12.2; C-EXT-14, C-EXT-15).
    pub path_leaf: Option<&'a LeafNode>,
    /// The application's Authentication Service (RFC 9420 section 5.3.1;
    /// C-CRED-03 to C-CRED-10): it validates the credentials the list
    /// brings in (see [`CredentialValidator`]) and, for a resync, decides
    /// whether the path leaf presents an identity acceptable for the
    /// removed member (C-EXT-15). `None` applies
    /// [`DefaultCredentialValidator`](crate::group::DefaultCredentialValidator).
    pub credentials: Option<&'a dyn CredentialValidator>,
    /// The application's proposal policy (C-PROP-21, C-EXT-04). `None`
    /// applies [`DefaultProposalPolicy`](crate::group::DefaultProposalPolicy), which refuses new members'
    /// self-Adds.
    pub policy: Option<&'a dyn ProposalPolicy>,
    /// The application's components and custom proposal types (extensions
    /// draft; RFC 9420 section 17.4). `None`: none registered, so every
    /// AppDataUpdate and AppEphemeral is refused and custom types are
    /// only checked for support.
    pub app: Option<&'a AppRegistry>,
}

impl core::fmt::Debug for ListOptions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ListOptions")
            .field("psk_usage", &self.psk_usage)
            .field("path_leaf", &self.path_leaf)
            .field(
                "credentials",
                &self.credentials.map(|_| "dyn CredentialValidator"),
            )
            .field("policy", &self.policy.map(|_| "dyn ProposalPolicy"))
            .field("app", &self.app)
            .finish()
    }
}

/// Validates a commit's proposal list (RFC 9420 section 12.2) with default
/// [`ListOptions`]; see [`validate_proposal_list_with`].
#[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
pub fn validate_proposal_list<C: Crypto + ?Sized>(
    check: &ProposalCheck<'_, C>,
    list: &[QueuedProposal],
) -> Result<(), Error> {
    validate_proposal_list_with(check, list, &ListOptions::default())
}

/// Validates a commit's proposal list (RFC 9420 sections 12.1, 12.2, 12.3).
///
/// Who sent what: a commit comes from a member or a new member
/// (C-FRAME-12, C-FRAME-14); a proposal by value has the committer as
/// sender; an external sender exists (C-EXT-01, C-EXT-02) and sends only the
/// types its registry column allows (C-FRAME-13); a new-member proposal is
/// an Add (C-FRAME-15).
///
/// Each proposal (C-PROP-07): an Add's KeyPackage is valid (C-PROP-04,
/// C-KP-*) and supports the group's extensions (C-CAP-09); an Update's leaf
/// is valid for its sender's leaf (C-PROP-05, C-LN-*, C-CAP-10); a Remove
/// names a member (C-PROP-06); a PreSharedKey has a `KDF.Nh` nonce
/// (C-PSK-01) and no reinit or branch usage outside those operations
/// (C-PSK-04, C-PSK-05); a ReInit does not lower the version (C-REINIT-01);
/// extension lists of GroupContextExtensions and ReInit are well formed
/// (C-CAP-07, C-CAP-17, C-GREASE-10).
///
/// The list, for a member's commit: no Update (C-PROP-08) or Remove
/// (C-PROP-09) of the committer; one change per leaf (C-PROP-10); no two
/// Adds of one client (C-PROP-12); no Add of a member not removed
/// (C-PROP-13); distinct PSKs (C-PROP-14); one GroupContextExtensions at
/// most (C-PROP-15); a ReInit alone (C-PROP-16); no ExternalInit
/// (C-PROP-18). For an external commit: no references (C-EXT-07), exactly
/// one ExternalInit (C-EXT-10, C-EXT-11), at most one Remove (C-EXT-12),
/// nothing but ExternalInit, Remove and PreSharedKey (C-EXT-13), and for a
/// resync the path leaf replaces the removed one like an Update (C-EXT-14,
/// C-EXT-15).
///
/// The resulting group (C-PROP-20, C-PROP-22): new leaves are checked
/// against the extensions in force after the GroupContextExtensions; their
/// keys are unique (C-LN-21, C-LN-22); every credential type in use is
/// supported by every member (C-LN-10, C-LN-11); every remaining member
/// meets a new `required_capabilities` (C-CAP-12) and supports the new
/// extensions (C-CAP-13); non-default proposal types are supported by the
/// members processing the commit (C-PROP-19).
///
/// Then the Authentication Service, `options.credentials`
/// ([`DefaultCredentialValidator`](crate::group::DefaultCredentialValidator) when
/// none is given; RFC 9420 section 5.3.1): each Add's credential
/// (C-CRED-03, C-CRED-05), each Update's new credential and its successor
/// rule (C-CRED-06, C-CRED-10), the external senders a
/// GroupContextExtensions adds or changes (C-CRED-08, C-CRED-09), and an
/// external commit's path leaf (C-CRED-07). (A member commit's path leaf
/// is checked where the commit is processed, after the leaf itself.)
///
/// Last, the application's rules (C-PROP-21, C-EXT-04: who may add, which
/// new members may add themselves): every proposal is put to
/// `options.policy` (see [`check_policy`]), [`DefaultProposalPolicy`](crate::group::DefaultProposalPolicy) when
/// none is given.
pub fn validate_proposal_list_with<C: Crypto + ?Sized>(
    check: &ProposalCheck<'_, C>,
    list: &[QueuedProposal],
    options: &ListOptions<'_>,
) -> Result<(), Error> {
    let external = match check.committer {
        Sender::Member(c) => {
            if check.tree.leaf(LeafIndex(c)).is_none() {
                return Err(ValidationError::SenderNotMember.into());
            }
            false
        }
        Sender::NewMemberCommit => true,
        other => {
            return Err(ValidationError::SenderContentMismatch {
                sender_type: other.sender_type().into(),
                content_type: ContentType::Commit.into(),
            }
            .into());
        }
    };
    let app = options.app.unwrap_or(&EMPTY_APP);
    if external {
        check_external_shape(list)?;
    } else if list.len() > 1
        && list
            .iter()
            .any(|q| matches!(q.proposal, Proposal::ReInit(_)))
    {
        return Err(ValidationError::ReInitNotAlone.into());
    }

    let mut found = Collected::default();
    for q in list {
        check_sender(check, app, q)?;
        collect(check, options, external, q, &mut found)?;
        let info = AppProposalInfo {
            context: check.context,
            sender: q.sender,
            external_commit: external,
        };
        app.check_one(&q.proposal, &info)?;
    }
    if external {
        check_resync(check, options, &found)?;
    }

    let extensions = found.gce.unwrap_or(&check.context.extensions);
    check_app_data_rules(check.context, found.gce)?;
    app.check_app_data_updates(list, extensions, check.context, external)?;
    let required = crate::tree::RequiredSet::of(extensions)?;
    let group_extensions: SortedSet<ExtensionType> = SortedSet::new(
        extensions
            .iter()
            .map(|e| e.extension_type)
            .filter(|t| !t.is_default()),
    );
    let policy = LeafPolicy {
        required: required.as_ref(),
        ..check.leaf_policy
    };
    check_new_leaves(check, &found, &policy, &group_extensions)?;
    check_key_uniqueness(check.tree, &found)?;
    let path = PathLeaf::of(check.tree, check.committer, options.path_leaf);
    check_members(
        check.tree,
        &found,
        path,
        required.as_ref(),
        &group_extensions,
    )?;
    // The Authentication Service (C-CRED-03, C-CRED-05 to C-CRED-09), once
    // everything else holds: a resync's path leaf was put to it above.
    let validator = or_default(options.credentials);
    check_proposal_credentials(validator, check.context, check.tree, list)?;
    if external
        && found.first_remove.is_none()
        && let Some(leaf) = options.path_leaf
    {
        check_new_member(
            validator,
            CredentialEvent::ExternalCommit,
            leaf,
            check.context,
        )?;
    }
    check_policy(
        options.policy.unwrap_or(&DEFAULT_POLICY),
        check.context,
        check.tree,
        list,
        Some(check.committer),
        options.path_leaf,
    )
}

/// The list of an external commit holds exactly one ExternalInit, at most
/// one Remove, PreSharedKeys, and nothing else, all by value (RFC 9420
/// sections 12.2, 12.4.3.2; C-EXT-07, C-EXT-10 to C-EXT-13). The
/// extensions draft adds SelfRemoves, by reference (the one exception to
/// C-EXT-07), and AppDataUpdates and AppEphemerals by value.
fn check_external_shape(list: &[QueuedProposal]) -> Result<(), Error> {
    let (mut inits, mut removes) = (0usize, 0usize);
    for q in list {
        if q.reference.is_some() && !matches!(q.proposal, Proposal::SelfRemove(_)) {
            return Err(ValidationError::ExternalCommitReference.into());
        }
        match q.proposal {
            Proposal::ExternalInit(_) => inits = inits.saturating_add(1),
            Proposal::Remove(_) => removes = removes.saturating_add(1),
            Proposal::PreSharedKey(_)
            | Proposal::SelfRemove(_)
            | Proposal::AppDataUpdate(_)
            | Proposal::AppEphemeral(_) => {}
            ref other => {
                return Err(ValidationError::ProposalNotAllowedInExternalCommit {
                    proposal_type: other.proposal_type().0,
                }
                .into());
            }
        }
    }
    match inits {
        0 => Err(ValidationError::ExternalCommitWithoutExternalInit.into()),
        1 if removes > 1 => Err(ValidationError::ExternalCommitMultipleRemoves.into()),
        1 => Ok(()),
        _ => Err(ValidationError::MultipleExternalInits.into()),
    }
}

/// Checks that the sender may send the proposal (RFC 9420 sections 6.1,
/// 12.1.8).
fn check_sender<C: Crypto + ?Sized>(
    check: &ProposalCheck<'_, C>,
    app: &AppRegistry,
    q: &QueuedProposal,
) -> Result<(), Error> {
    if q.reference.is_none() && q.sender != check.committer {
        return Err(MisuseError::InconsistentFields(
            "a proposal by value must have the committer as sender",
        )
        .into());
    }
    let proposal_type = q.proposal.proposal_type();
    let allowed = match q.sender {
        Sender::Member(i) => {
            if check.tree.leaf(LeafIndex(i)).is_none() {
                return Err(ValidationError::SenderNotMember.into());
            }
            true
        }
        Sender::External(i) => {
            let senders = check
                .context
                .extensions
                .get::<ExternalSenders>()?
                .ok_or(ValidationError::UnknownExternalSender)?;
            if usize::try_from(i).map_or(true, |i| i >= senders.0.0.len()) {
                return Err(ValidationError::UnknownExternalSender.into());
            }
            app.external_sender_allowed(proposal_type)
        }
        Sender::NewMemberProposal => proposal_type == ProposalType::ADD,
        Sender::NewMemberCommit => q.reference.is_none(),
    };
    if allowed {
        Ok(())
    } else {
        Err(ValidationError::ProposalNotAllowedForSender {
            sender_type: q.sender.sender_type().into(),
            proposal_type: proposal_type.0,
        }
        .into())
    }
}

/// What the list does, gathered in one pass.
#[derive(Default)]
struct Collected<'l> {
    gce: Option<&'l Extensions>,
    /// Leaves removed by Removes and SelfRemoves.
    removed: BTreeSet<u32>,
    /// Leaves removed by SelfRemoves.
    self_removed: BTreeSet<u32>,
    /// The first leaf a Remove proposal removes (an external commit's
    /// resync has at most one).
    first_remove: Option<u32>,
    updated: BTreeMap<u32, &'l LeafNode>,
    adds: Vec<&'l KeyPackage>,
    psks: BTreeSet<&'l PreSharedKeyId>,
    custom_types: BTreeSet<ProposalType>,
}

/// The per-proposal checks of RFC 9420 section 12.1 and the counting rules
/// of section 12.2.
fn collect<'l, C: Crypto + ?Sized>(
    check: &ProposalCheck<'_, C>,
    options: &ListOptions<'_>,
    external: bool,
    q: &'l QueuedProposal,
    found: &mut Collected<'l>,
) -> Result<(), Error> {
    match &q.proposal {
        Proposal::Add(add) => found.adds.push(&add.key_package),
        Proposal::Update(update) => {
            let Sender::Member(s) = q.sender else {
                return Err(ValidationError::ProposalNotAllowedForSender {
                    sender_type: q.sender.sender_type().into(),
                    proposal_type: ProposalType::UPDATE.0,
                }
                .into());
            };
            if q.sender == check.committer {
                return Err(ValidationError::CommitterUpdate.into());
            }
            if found.removed.contains(&s) || found.updated.contains_key(&s) {
                return Err(ValidationError::MultipleChangesToLeaf { leaf: s }.into());
            }
            found.updated.insert(s, &update.leaf_node);
        }
        Proposal::Remove(remove) => {
            let leaf = remove.removed;
            if check.tree.leaf(LeafIndex(leaf)).is_none() {
                return Err(ValidationError::RemovedLeafBlank { leaf }.into());
            }
            if check.committer == Sender::Member(leaf) {
                return Err(ValidationError::CommitterRemoved.into());
            }
            // A Remove of a leaf that removes itself is invalid (extensions
            // draft, "SelfRemove Proposal").
            if found.self_removed.contains(&leaf) {
                return Err(ValidationError::SelfRemoveConflict { leaf }.into());
            }
            if found.updated.contains_key(&leaf) || !found.removed.insert(leaf) {
                return Err(ValidationError::MultipleChangesToLeaf { leaf }.into());
            }
            found.first_remove.get_or_insert(leaf);
        }
        // Extensions draft, "SelfRemove Proposal": by reference only, from
        // a member (never external), one per member and epoch, never with
        // a Remove of the same leaf, and not the committer's own.
        Proposal::SelfRemove(_) => {
            if q.reference.is_none() {
                return Err(ValidationError::SelfRemoveMisused("by value in a commit").into());
            }
            let Sender::Member(leaf) = q.sender else {
                return Err(ValidationError::SelfRemoveMisused("from a non-member").into());
            };
            if check.committer == Sender::Member(leaf) {
                return Err(ValidationError::CommitterRemoved.into());
            }
            if found.updated.contains_key(&leaf) {
                return Err(ValidationError::MultipleChangesToLeaf { leaf }.into());
            }
            if !found.self_removed.insert(leaf) || !found.removed.insert(leaf) {
                return Err(ValidationError::SelfRemoveConflict { leaf }.into());
            }
        }
        // Checked with the registry (component known, data valid) and,
        // for AppDataUpdate, with the whole list.
        Proposal::AppDataUpdate(_) | Proposal::AppEphemeral(_) => {}
        Proposal::PreSharedKey(psk) => {
            let id = &psk.psk;
            if id.psk_nonce.0.len() != check.cs.hash_len() {
                return Err(ValidationError::PskNonceLength.into());
            }
            if let Psk::Resumption { usage, .. } = &id.psk
                && *usage != ResumptionPskUsage::Application
                && options.psk_usage != Some(*usage)
            {
                return Err(ValidationError::ResumptionPskUsageNotAllowed {
                    usage: (*usage).into(),
                }
                .into());
            }
            if !found.psks.insert(id) {
                return Err(ValidationError::DuplicatePsk.into());
            }
        }
        Proposal::ReInit(reinit) => {
            if reinit.version.0 < check.context.version.0 {
                return Err(ValidationError::ReInitVersionDowngrade.into());
            }
            check_extension_list(&reinit.extensions, ExtensionContext::GroupContext)?;
        }
        Proposal::ExternalInit(_) => {
            if !external {
                return Err(ValidationError::ExternalInitInMemberCommit.into());
            }
        }
        Proposal::GroupContextExtensions(gce) => {
            if found.gce.is_some() {
                return Err(ValidationError::MultipleGroupContextExtensions.into());
            }
            check_extension_list(&gce.extensions, ExtensionContext::GroupContext)?;
            // The contents of the known extensions must decode.
            gce.extensions.get::<RequiredCapabilities>()?;
            gce.extensions.get::<ExternalSenders>()?;
            found.gce = Some(&gce.extensions);
        }
        // A custom type is checked against every member's support with the
        // whole list (C-PROP-19); a GREASE type is never a real proposal
        // (RFC 9420 section 13.5; C-GREASE-07).
        Proposal::Custom(t, _) => check_custom_type(*t)?,
    }
    let proposal_type = q.proposal.proposal_type();
    if !proposal_type.is_default() {
        found.custom_types.insert(proposal_type);
    }
    Ok(())
}

/// A custom proposal type may be a real proposal unless it is GREASE (RFC
/// 9420 section 13.5; C-GREASE-07) or the reserved 0 (section 17.4):
/// receivers refuse those as unsupported.
pub(crate) fn check_custom_type(t: ProposalType) -> Result<(), Error> {
    if t.0 == 0 || crate::messages::is_grease(t.0) {
        return Err(ValidationError::UnsupportedProposalType { proposal_type: t.0 }.into());
    }
    Ok(())
}

/// For a resync (an external commit with a Remove), the path leaf must
/// replace the removed leaf as an Update would: a new encryption key
/// (C-EXT-14, C-LN-19), a credential the Authentication Service accepts
/// (C-CRED-07) and an identity acceptable for the removed member, that is a
/// valid successor of its credential (C-EXT-15, C-CRED-10) (RFC 9420
/// sections 5.3.1, 12.2).
fn check_resync<C: Crypto + ?Sized>(
    check: &ProposalCheck<'_, C>,
    options: &ListOptions<'_>,
    found: &Collected<'_>,
) -> Result<(), Error> {
    let (Some(path_leaf), Some(removed)) = (options.path_leaf, found.first_remove.as_ref()) else {
        return Ok(());
    };
    let old = check
        .tree
        .leaf(LeafIndex(*removed))
        .ok_or(ValidationError::RemovedLeafBlank { leaf: *removed })?;
    if path_leaf.encryption_key == old.encryption_key {
        return Err(ValidationError::UpdateReusesEncryptionKey.into());
    }
    let validator = or_default(options.credentials);
    let info = new_member_info(CredentialEvent::ExternalCommit, path_leaf, check.context);
    validate_credential(validator, &info)?;
    if validator.valid_successor(old, &info) {
        Ok(())
    } else {
        Err(ValidationError::ResyncIdentityMismatch.into())
    }
}

/// While the group requires AppDataUpdate support, a
/// GroupContextExtensions leaves `app_data_dictionary` as it was
/// (extensions draft, "Updating Application Data in the GroupContext").
fn check_app_data_rules(context: &GroupContext, gce: Option<&Extensions>) -> Result<(), Error> {
    let Some(gce) = gce else { return Ok(()) };
    let required = context
        .extensions
        .get::<RequiredCapabilities>()?
        .is_some_and(|r| r.proposal_types.0.contains(&ProposalType::APP_DATA_UPDATE));
    let data = |e: &Extensions| {
        e.find(ExtensionType::APP_DATA_DICTIONARY)
            .map(|x| x.extension_data.clone())
    };
    if required && data(&context.extensions) != data(gce) {
        return Err(ValidationError::GceChangesAppData.into());
    }
    Ok(())
}

/// The first non-default group context extension type `leaf` does not
/// support (RFC 9420 section 13.4).
fn unsupported_extension(
    caps: &Capabilities,
    group_extensions: &SortedSet<ExtensionType>,
) -> Option<u16> {
    group_extensions
        .first_missing_from(&caps.extensions.0)
        .map(|t| t.0)
}

/// Validates each added KeyPackage (C-PROP-04) and updated leaf (C-PROP-05)
/// under the extensions in force after the list's GroupContextExtensions
/// (C-PROP-22), and their support of those extensions (C-CAP-09, C-CAP-10).
fn check_new_leaves<C: Crypto + ?Sized>(
    check: &ProposalCheck<'_, C>,
    found: &Collected<'_>,
    policy: &LeafPolicy<'_>,
    group_extensions: &SortedSet<ExtensionType>,
) -> Result<(), Error> {
    let unsupported = |caps: &Capabilities| -> Result<(), Error> {
        match unsupported_extension(caps, group_extensions) {
            Some(extension_type) => {
                Err(ValidationError::LeafLacksGroupExtension { extension_type }.into())
            }
            None => Ok(()),
        }
    };
    // Two signatures per KeyPackage: in parallel with the `parallel`
    // feature, the first failure in list order either way.
    crate::par::check_all(&found.adds, |kp| {
        validate_key_package(check.cs, kp, policy)?;
        unsupported(&kp.leaf_node.capabilities)
    })?;
    for (&s, leaf) in &found.updated {
        let replaced = check
            .tree
            .leaf(LeafIndex(s))
            .ok_or(ValidationError::SenderNotMember)?;
        check_extension_list(&leaf.extensions, ExtensionContext::LeafNode)?;
        crate::tree::validate_leaf_node(
            check.cs,
            leaf,
            LeafRole::Update { replaced },
            Some((check.context.group_id.as_slice(), LeafIndex(s))),
            policy,
        )?;
        unsupported(&leaf.capabilities)?;
    }
    Ok(())
}

/// Where a new signature key comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Add,
    Update(u32),
}

/// The signature and encryption keys of added and updated leaves are unique
/// in the resulting tree (RFC 9420 sections 7.3, 12.2; C-PROP-12,
/// C-PROP-13, C-LN-21, C-LN-22). Removed leaves, the old leaves of updated
/// members and the parent nodes the commit blanks do not count.
///
/// One pass over the tree with lookups in the (small) set of new keys.
fn check_key_uniqueness(tree: &RatchetTree, found: &Collected<'_>) -> Result<(), Error> {
    if found.adds.is_empty() && found.updated.is_empty() {
        return Ok(());
    }
    let mut signature_keys: BTreeMap<&[u8], Origin> = BTreeMap::new();
    let mut encryption_keys: BTreeSet<&[u8]> = BTreeSet::new();
    let new_leaves = found
        .adds
        .iter()
        .map(|kp| (&kp.leaf_node, Origin::Add))
        .chain(found.updated.iter().map(|(s, l)| (*l, Origin::Update(*s))));
    for (leaf, origin) in new_leaves {
        if let Some(previous) = signature_keys.insert(leaf.signature_key.as_slice(), origin) {
            return Err(if previous == Origin::Add && origin == Origin::Add {
                ValidationError::DuplicateAdd
            } else {
                ValidationError::DuplicateSignatureKey
            }
            .into());
        }
        if !encryption_keys.insert(leaf.encryption_key.as_slice()) {
            return Err(ValidationError::DuplicateEncryptionKey.into());
        }
    }
    // Against the tree: only the nodes holding one of the new keys are
    // visited (found through the tree's key tags).
    for (key, origin) in &signature_keys {
        for l in tree.leaves_with_signature_key(key) {
            if found.removed.contains(&l.0) {
                continue;
            }
            match origin {
                Origin::Add => return Err(ValidationError::AddOfExistingMember.into()),
                Origin::Update(s) if *s != l.0 => {
                    return Err(ValidationError::DuplicateSignatureKey.into());
                }
                _ => {}
            }
        }
    }
    let mut blanked = BTreeSet::new();
    for &l in found.removed.iter().chain(found.updated.keys()) {
        if let Some(x) = LeafIndex(l).node_index() {
            blanked.extend(math::direct_path(x, tree.n_leaves()));
        }
    }
    for key in &encryption_keys {
        for i in tree.nodes_with_encryption_key(key) {
            // Removed and updated leaves, and the direct paths they blank,
            // no longer hold their keys.
            let gone = if math::is_leaf(i) {
                found.removed.contains(&(i / 2)) || found.updated.contains_key(&(i / 2))
            } else {
                blanked.contains(&i)
            };
            if !gone {
                return Err(ValidationError::DuplicateEncryptionKey.into());
            }
        }
    }
    Ok(())
}

/// A commit's path leaf as the credential-type rule sees it.
#[derive(Clone, Copy)]
enum PathLeaf<'a> {
    /// No path, or a member's path leaf with the credential and
    /// capabilities of the leaf it replaces (nothing to check again).
    Unchanged,
    /// A member's path leaf with a new credential or capabilities.
    Member(u32, &'a LeafNode),
    /// The joiner's leaf in an external commit.
    Joiner(&'a LeafNode),
}

impl<'a> PathLeaf<'a> {
    fn of(tree: &RatchetTree, committer: Sender, leaf: Option<&'a LeafNode>) -> Self {
        match (committer, leaf) {
            (Sender::Member(c), Some(leaf)) => match tree.leaf(LeafIndex(c)) {
                Some(old)
                    if old.credential == leaf.credential
                        && old.capabilities == leaf.capabilities =>
                {
                    PathLeaf::Unchanged
                }
                _ => PathLeaf::Member(c, leaf),
            },
            (Sender::NewMemberCommit, Some(leaf)) => PathLeaf::Joiner(leaf),
            _ => PathLeaf::Unchanged,
        }
    }
}

/// The credential-type rule of RFC 9420 sections 7.3 and 12.1.1 for a
/// commit that adds or replaces leaves (Adds, Updates, a path leaf with a
/// new credential or capabilities, an external joiner's leaf): every
/// member after the commit supports every credential type in use after it
/// (C-LN-10, C-LN-11), and the bindings of multi-credentials are
/// supported both ways (extensions draft). The members the commit leaves
/// alone are read from
/// the tree's credential summaries (one contiguous array) instead of
/// their leaf nodes.
fn check_credential_types(
    tree: &RatchetTree,
    found: &Collected<'_>,
    path: PathLeaf<'_>,
) -> Result<(), Error> {
    // The types in use: those below 64 as a mask, any other in a set.
    let mut mask = 0u64;
    let mut wide: BTreeSet<u16> = BTreeSet::new();
    let mut note = |t: u16| {
        if t < 64 {
            mask |= 1u64 << t;
        } else {
            wide.insert(t);
        }
    };
    // The common case (only adds) reads the summaries without a lookup per
    // leaf.
    let untouched = found.removed.is_empty() && found.updated.is_empty();
    let replaced = |l: u32| -> Option<&LeafNode> {
        match path {
            PathLeaf::Member(c, leaf) if c == l => Some(leaf),
            _ if untouched => None,
            _ => found.updated.get(&l).copied(),
        }
    };
    let joiner = match path {
        PathLeaf::Joiner(leaf) => Some(leaf),
        _ => None,
    };
    let new_leaves = || found.adds.iter().map(|kp| &kp.leaf_node).chain(joiner);
    for l in 0..tree.n_leaves() {
        if !untouched && found.removed.contains(&l) {
            continue;
        }
        match replaced(l) {
            Some(node) => note(node.credential.credential_type().0),
            None => {
                if let Some(s) = tree.credential_summary(LeafIndex(l)) {
                    note(s.credential_type);
                }
            }
        }
    }
    for leaf in new_leaves() {
        note(leaf.credential.credential_type().0);
    }
    let in_use: SortedSet<CredentialType> = SortedSet::new(
        (0u16..64)
            .filter(|t| mask & (1u64 << t) != 0)
            .chain(wide.iter().copied())
            .map(CredentialType),
    );
    let lacking = |caps: &Capabilities| -> Option<CredentialType> {
        in_use.first_missing_from(&caps.credentials.0)
    };
    for l in 0..tree.n_leaves() {
        if !untouched && found.removed.contains(&l) {
            continue;
        }
        if let Some(node) = replaced(l) {
            if let Some(t) = lacking(&node.capabilities) {
                return Err(ValidationError::LeafLacksMemberCredentialType {
                    credential_type: t.0,
                }
                .into());
            }
            continue;
        }
        let Some(summary) = tree.credential_summary(LeafIndex(l)) else {
            continue;
        };
        let supported = if wide.is_empty() {
            summary.supported_below_64 & mask == mask
        } else {
            tree.leaf(LeafIndex(l))
                .is_none_or(|n| lacking(&n.capabilities).is_none())
        };
        if !supported {
            return Err(ValidationError::CredentialTypeUnsupportedByMember { leaf: l }.into());
        }
    }
    for leaf in new_leaves() {
        if let Some(t) = lacking(&leaf.capabilities) {
            return Err(ValidationError::LeafLacksMemberCredentialType {
                credential_type: t.0,
            }
            .into());
        }
    }

    // Multi-credentials (extensions draft, "Verifying a Multi-Credential"):
    // the bindings of each new or replaced leaf's multi-credential are
    // supported by every member after the commit, and each new or replaced
    // leaf supports the bindings of every other member's. Two unchanged
    // members were checked against each other when the later one arrived.
    let mut changed: Vec<&LeafNode> = new_leaves().collect();
    changed.extend(found.updated.values().copied());
    if let PathLeaf::Member(_, leaf) = path {
        changed.push(leaf);
    }
    let new_multis: Vec<&Credential> = changed
        .iter()
        .map(|l| &l.credential)
        .filter(|c| c.bindings().is_some())
        .collect();
    let stays = |l: &u32| untouched || !found.removed.contains(l);
    if !new_multis.is_empty() {
        for l in (0..tree.n_leaves()).filter(stays) {
            let Some(node) = replaced(l).or_else(|| tree.leaf(LeafIndex(l))) else {
                continue;
            };
            if new_multis
                .iter()
                .any(|c| !supports_bindings(&node.capabilities, c))
            {
                return Err(
                    ValidationError::CredentialBindingUnsupportedByMember { leaf: l }.into(),
                );
            }
        }
        if new_leaves().any(|n| {
            new_multis
                .iter()
                .any(|c| !supports_bindings(&n.capabilities, c))
        }) {
            return Err(ValidationError::LeafLacksCredentialBindingSupport.into());
        }
    }
    let multi_types = [CredentialType::MULTI.0, CredentialType::WEAK_MULTI.0];
    for l in (0..tree.n_leaves()).filter(stays) {
        if replaced(l).is_some()
            || !tree
                .credential_summary(LeafIndex(l))
                .is_some_and(|s| multi_types.contains(&s.credential_type))
        {
            continue;
        }
        let Some(member) = tree.leaf(LeafIndex(l)) else {
            continue;
        };
        if changed
            .iter()
            .any(|n| !supports_bindings(&n.capabilities, &member.credential))
        {
            return Err(ValidationError::LeafLacksCredentialBindingSupport.into());
        }
    }
    Ok(())
}

/// Checks across the members after the commit (RFC 9420 sections 7.3,
/// 11.1, 12.1.7, 12.2, 13.4): credential types in use supported by all,
/// the commit's path leaf included (C-LN-10, C-LN-11); a new `required_capabilities` and new extensions
/// supported by the members that stay (C-CAP-12, C-CAP-13); non-default
/// proposal types supported by the members processing the commit
/// (C-PROP-19). Skipped when the list changes none of these.
fn check_members(
    tree: &RatchetTree,
    found: &Collected<'_>,
    path: PathLeaf<'_>,
    required: Option<&RequiredSet>,
    group_extensions: &SortedSet<ExtensionType>,
) -> Result<(), Error> {
    if !found.adds.is_empty() || !found.updated.is_empty() || !matches!(path, PathLeaf::Unchanged) {
        check_credential_types(tree, found, path)?;
    }
    if found.gce.is_none() && found.custom_types.is_empty() {
        return Ok(());
    }
    // The members who stay and process the commit (new leaves were checked
    // against the new extensions with the list; added members do not
    // process it).
    let custom_types: SortedSet<ProposalType> = SortedSet::new(found.custom_types.iter().copied());
    for l in (0..tree.n_leaves()).filter(|l| !found.removed.contains(l)) {
        let (node, updated) = match found.updated.get(&l) {
            Some(node) => (*node, true),
            None => match tree.leaf(LeafIndex(l)) {
                Some(node) => (node, false),
                None => continue,
            },
        };
        let caps = &node.capabilities;
        if found.gce.is_some() && !updated {
            if let Some(r) = required {
                if !r.met_by(caps) {
                    return Err(ValidationError::GceRequiredCapabilitiesUnmet { leaf: l }.into());
                }
                r.check_draft(node)?;
            }
            if unsupported_extension(caps, group_extensions).is_some() {
                return Err(ValidationError::GceExtensionUnsupported { leaf: l }.into());
            }
        }
        if let Some(t) = custom_types.first_missing_from(&caps.proposals.0) {
            return Err(ValidationError::UnsupportedProposalType { proposal_type: t.0 }.into());
        }
    }
    Ok(())
}
