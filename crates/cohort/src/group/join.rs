//! Joining a group from a Welcome (RFC 9420 section 12.4.3.1), including
//! the checks of a Welcome that resumes an old group by a reinit or branch
//! PSK (sections 11.2, 11.3).

use super::credentials::check_group_credentials;
use super::key_package::{
    ExtensionContext, KeyPackageBundle, check_extension_list, key_package_ref,
};
use super::psk::{PskSources, resolve_psk_secret};
use super::state::{EpochKeys, Group, GroupConfig};
use crate::codec::encode;
use crate::crypto::SuiteCrypto;
use crate::messages::{
    Capabilities, ExtensionType, GroupContext, GroupInfo, Node, PreSharedKeyId, Psk,
    ResumptionPskUsage, Welcome,
};
use crate::schedule::{
    JoinerSecret, decrypt_group_info, decrypt_group_secrets, interim_transcript_hash,
    verify_confirmation_tag, verify_group_info,
};
use crate::tree::math::{self, LeafIndex};
use crate::tree::{LeafPolicy, RatchetTree, TreePrivateKeys, TreeView};
use crate::{Error, ValidationError};
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;
use cohort_traits::{Crypto, Provider, Secret};
use tls_codec::Size;

impl Group {
    /// Joins a group from a Welcome addressed to `key_package` (RFC 9420
    /// section 12.4.3.1), with every check of that section:
    /// the Welcome names the KeyPackage (C-WEL-01) in its suite (C-WEL-02);
    /// GroupSecrets and GroupInfo decrypt (C-WEL-03, C-WEL-04); the PSK
    /// nonces have `KDF.Nh` bytes (C-PSK-03), at most one is a reinit or
    /// branch PSK (C-PSK-08) and every PSK is known (C-PSK-07); the GroupInfo
    /// suite matches (C-WEL-05), its group context extensions are well
    /// formed (C-CAP-07, C-GREASE-09) and supported by the joiner
    /// (C-CAP-11), its GroupInfo extensions unique (C-CAP-08); a ratchet
    /// tree is at hand (C-WEL-06), valid (C-TREE-*) and hashes to the
    /// GroupContext's tree hash (C-TREE-05); the GroupInfo
    /// signer is a member (C-GI-02) whose signature verifies (C-GI-01); the
    /// tree holds the joiner's leaf (C-WEL-07); the path secret matches the
    /// tree (C-WEL-08); the confirmation tag verifies (C-WEL-09); and last
    /// every credential of the group (each leaf, each external sender) is
    /// valid for `config`'s
    /// [`CredentialValidator`](super::CredentialValidator) (C-CRED-04).
    ///
    /// `ratchet_tree` is the tree when it is not in the Welcome's GroupInfo;
    /// `psks` holds the external PSKs the Welcome may name. A Welcome naming
    /// a resumption PSK needs [`Group::join_with_resumption`].
    ///
    /// The client's other groups are not known here, so the check that the
    /// group_id is new to the client (C-GI-03) is the caller's;
    /// [`Group::join_from_storage`] makes it against the groups in storage.
    pub fn join<P: Provider>(
        provider: &P,
        welcome: &Welcome,
        key_package: &KeyPackageBundle,
        ratchet_tree: Option<Vec<Option<Node>>>,
        psks: BTreeMap<Vec<u8>, Secret>,
        config: GroupConfig,
    ) -> Result<Group, Error> {
        join_inner(
            provider,
            welcome,
            key_package,
            ratchet_tree.map(OutOfBandTree::Nodes),
            psks,
            None,
            config,
        )
        .map(|(group, _)| group)
    }

    /// [`Group::join`] for a Welcome that may name resumption PSKs of
    /// `old_group`: a reinitialized group (RFC 9420 section 11.2), a branch
    /// of it (section 11.3), or a PSK of usage application.
    ///
    /// With a reinit PSK the joiner checks that it names the epoch that
    /// `old_group`'s ReInit commit produced (C-REINIT-05), that the new group
    /// is at epoch 1 (C-REINIT-04), has the ReInit's group id, version, suite
    /// and extensions (C-REINIT-06), and holds every member of the old group
    /// (C-REINIT-07). With a branch PSK: epoch 1 (C-REINIT-08), the old
    /// group's version and suite (C-REINIT-09), and only members of the old
    /// group (C-REINIT-10). Members are matched by credential. The new
    /// group's id differs from `old_group`'s unless a ReInit closed it
    /// (C-GI-03).
    pub fn join_with_resumption<P: Provider>(
        provider: &P,
        welcome: &Welcome,
        key_package: &KeyPackageBundle,
        ratchet_tree: Option<Vec<Option<Node>>>,
        psks: BTreeMap<Vec<u8>, Secret>,
        old_group: &Group,
        config: GroupConfig,
    ) -> Result<Group, Error> {
        join_inner(
            provider,
            welcome,
            key_package,
            ratchet_tree.map(OutOfBandTree::Nodes),
            psks,
            Some(old_group),
            config,
        )
        .map(|(group, _)| group)
    }
}

/// A ratchet tree delivered out of band, when the GroupInfo does not carry
/// it: decoded nodes, or the encoded content of a `ratchet_tree` extension
/// (decoded within the joiner's limits, like the extension's).
pub(crate) enum OutOfBandTree {
    /// Nodes the caller decoded.
    Nodes(Vec<Option<Node>>),
    /// `optional<Node> ratchet_tree<V>` as received.
    Encoded(Vec<u8>),
}

/// A join from a Welcome (see [`Group::join`]), with the leaf of the
/// member whose GroupInfo it carries (the member who added the joiner).
pub(crate) fn join_inner<P: Provider>(
    provider: &P,
    welcome: &Welcome,
    key_package: &KeyPackageBundle,
    ratchet_tree: Option<OutOfBandTree>,
    psks: BTreeMap<Vec<u8>, Secret>,
    old_group: Option<&Group>,
    config: GroupConfig,
) -> Result<(Group, LeafIndex), Error> {
    config.validate()?;
    config
        .limits
        .check_message_size(welcome.tls_serialized_len())?;
    let kp = &key_package.key_package;
    if welcome.cipher_suite != kp.cipher_suite {
        return Err(ValidationError::WelcomeSuiteMismatch.into());
    }
    let cs = SuiteCrypto::new(provider.crypto(), welcome.cipher_suite)?;
    let kp_ref = key_package_ref(&cs, kp)?;
    let secrets = welcome
        .secrets_for(&kp_ref)
        .ok_or(ValidationError::WelcomeNotForKeyPackage)?;
    let group_secrets = decrypt_group_secrets(
        &cs,
        key_package.init_private_key.as_bytes(),
        Some(kp.init_key.as_slice()),
        secrets,
        welcome.encrypted_group_info.as_slice(),
    )?;

    let psk_ids: &[PreSharedKeyId] = &group_secrets.psks.0;
    let resumed = check_welcome_psks(&cs, psk_ids, old_group)?;
    let groups: Vec<&Group> = old_group.into_iter().collect();
    let sources = PskSources {
        external: &psks,
        groups: &groups,
    };
    let psk_secret = resolve_psk_secret(&cs, psk_ids, &sources)?;

    let joiner = JoinerSecret::from_secret(group_secrets.joiner_secret.0.clone());
    let welcome_secret = joiner.welcome_secret(&cs, psk_secret.as_bytes())?;
    let group_info = decrypt_group_info(
        &cs,
        &welcome_secret,
        welcome.encrypted_group_info.as_slice(),
    )?;
    let context = group_info.group_context.clone();
    if context.cipher_suite != kp.cipher_suite {
        return Err(ValidationError::WelcomeSuiteMismatch.into());
    }
    let tree = verified_tree(&cs, &group_info, ratchet_tree, &config)?;
    // C-GI-03: the only other group known here is `old_group`; one still in
    // use (not closed by a ReInit) cannot share the new group's id.
    if let Some(old) = old_group
        && old.group_id() == context.group_id.as_slice()
        && old.is_active()
        && old.pending_reinit.is_none()
    {
        return Err(ValidationError::GroupIdInUse.into());
    }
    check_joiner_supports(&kp.leaf_node.capabilities, &context)?;

    let own_leaf = (0..tree.n_leaves())
        .map(LeafIndex)
        .find(|l| tree.leaf(*l) == Some(&kp.leaf_node))
        .ok_or(ValidationError::JoinerNotInTree)?;
    let mut private_keys =
        TreePrivateKeys::new(own_leaf, key_package.encryption_private_key.clone());
    if let Some(path_secret) = &group_secrets.path_secret {
        let (me, them) = (
            own_leaf
                .node_index()
                .ok_or(ValidationError::JoinerNotInTree)?,
            LeafIndex(group_info.signer)
                .node_index()
                .ok_or(ValidationError::GroupInfoSignerNotMember)?,
        );
        let ancestor = math::common_ancestor(me, them);
        private_keys.set_path_secret(&cs, &tree, ancestor, path_secret.path_secret.0.clone())?;
    }

    let gc = encode(&context)?;
    let (_, secrets) = joiner.into_epoch(&cs, psk_secret.as_bytes(), &gc)?;
    verify_confirmation_tag(
        &cs,
        &secrets.confirmation_key,
        context.confirmed_transcript_hash.as_slice(),
        group_info.confirmation_tag.as_slice(),
    )?;
    if let (Some(usage), Some(old)) = (resumed, old_group) {
        check_resumed_group(usage, &context, &tree, old)?;
    }
    // Last, once the group is authentic, the Authentication Service on
    // every credential in it (C-CRED-04).
    check_group_credentials(config.credential_validator.get(), &context, &tree)?;
    let interim = interim_transcript_hash(
        &cs,
        context.confirmed_transcript_hash.as_slice(),
        group_info.confirmation_tag.as_slice(),
    )?;
    let mut resumption_psks = BTreeMap::new();
    resumption_psks.insert(context.epoch, secrets.resumption_psk.clone());
    let keys = EpochKeys::new(secrets, tree.n_leaves(), config.ratchet)?;
    let signer = LeafIndex(group_info.signer);
    let group = Group {
        suite: context.cipher_suite,
        context,
        tree,
        own_leaf,
        private_keys,
        keys,
        interim_transcript_hash: interim,
        confirmation_tag: group_info.confirmation_tag.0,
        proposals: Default::default(),
        past_epochs: VecDeque::new(),
        resumption_psks,
        external_psks: psks,
        config,
        active: true,
        pending_reinit: None,
        pending_updates: Vec::new(),
        pending_commit: None,
        unsaved: super::persist::Unsaved::everything(),
        reserved: [0, 0],
    };
    Ok((group, signer))
}

/// The PSKs of a Welcome's GroupSecrets: each nonce has `KDF.Nh` bytes
/// (C-PSK-03); at most one is a reinit or branch PSK (C-PSK-08), whose
/// usage is returned;
/// a reinit PSK names the epoch `old_group`'s ReInit commit produced
/// (C-REINIT-05).
fn check_welcome_psks<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    ids: &[PreSharedKeyId],
    old_group: Option<&Group>,
) -> Result<Option<ResumptionPskUsage>, Error> {
    let mut resumed = None;
    for id in ids {
        if id.psk_nonce.0.len() != cs.hash_len() {
            return Err(ValidationError::PskNonceLength.into());
        }
        let Psk::Resumption {
            usage,
            psk_group_id,
            psk_epoch,
        } = &id.psk
        else {
            continue;
        };
        if *usage == ResumptionPskUsage::Application {
            continue;
        }
        if resumed.is_some() {
            return Err(ValidationError::MultipleReinitOrBranchPsks.into());
        }
        let old = old_group
            .filter(|g| g.group_id() == psk_group_id.as_slice())
            .ok_or(ValidationError::PskNotFound)?;
        if *usage == ResumptionPskUsage::Reinit
            && (old.pending_reinit.is_none() || *psk_epoch != old.epoch())
        {
            return Err(ValidationError::ReInitPskWithoutReInit.into());
        }
        resumed = Some(*usage);
    }
    Ok(resumed)
}

/// The checks of a group joined with a reinit or branch PSK of `old`
/// (RFC 9420 sections 11.2, 11.3, 12.4.3.1; C-REINIT-04, C-REINIT-06 to
/// C-REINIT-10).
fn check_resumed_group(
    usage: ResumptionPskUsage,
    context: &GroupContext,
    tree: &RatchetTree,
    old: &Group,
) -> Result<(), Error> {
    if context.epoch != 1 {
        return Err(ValidationError::ResumptionEpochNotOne {
            epoch: context.epoch,
        }
        .into());
    }
    let credentials = |t: &RatchetTree| -> Result<BTreeSet<Vec<u8>>, Error> {
        t.members()
            .into_iter()
            .filter_map(|l| t.leaf(l))
            .map(|leaf| encode(&leaf.credential))
            .collect()
    };
    match usage {
        ResumptionPskUsage::Reinit => {
            let reinit = old
                .pending_reinit
                .as_ref()
                .ok_or(ValidationError::ReInitPskWithoutReInit)?;
            if context.group_id != reinit.group_id
                || context.version != reinit.version
                || context.cipher_suite != reinit.cipher_suite
                || context.extensions != reinit.extensions
            {
                return Err(ValidationError::ReInitParametersMismatch.into());
            }
            let new = credentials(tree)?;
            for l in old.tree.members() {
                if let Some(leaf) = old.tree.leaf(l)
                    && !new.contains(&encode(&leaf.credential)?)
                {
                    return Err(ValidationError::ReInitMemberMissing { leaf: l.0 }.into());
                }
            }
        }
        ResumptionPskUsage::Branch => {
            if context.version != old.context.version || context.cipher_suite != old.suite {
                return Err(ValidationError::BranchParametersMismatch.into());
            }
            let previous = credentials(&old.tree)?;
            for l in tree.members() {
                if let Some(leaf) = tree.leaf(l)
                    && !previous.contains(&encode(&leaf.credential)?)
                {
                    return Err(ValidationError::BranchNonMember { leaf: l.0 }.into());
                }
            }
        }
        ResumptionPskUsage::Application => {}
    }
    Ok(())
}

/// The joiner supports every non-default group context extension (RFC 9420
/// sections 12.4.3, 13.4; C-CAP-11).
pub(crate) fn check_joiner_supports(
    caps: &Capabilities,
    context: &GroupContext,
) -> Result<(), Error> {
    let group_extensions = crate::tree::SortedSet::new(
        context
            .extensions
            .iter()
            .map(|e| e.extension_type)
            .filter(|t| !t.is_default()),
    );
    match group_extensions.first_missing_from(&caps.extensions.0) {
        Some(t) => Err(ValidationError::LeafLacksGroupExtension {
            extension_type: t.0,
        }
        .into()),
        None => Ok(()),
    }
}

/// The ratchet tree of a GroupInfo, checked as a joiner must (RFC 9420
/// sections 12.4.3.1, 12.4.3.2): the group context extensions are well
/// formed (C-CAP-07, C-CAP-17, C-GREASE-09) and the GroupInfo extensions
/// hold each type at most once (C-CAP-08); the tree comes from the
/// `ratchet_tree` extension or `ratchet_tree` (C-WEL-06), is valid
/// (C-TREE-*) and hashes to the context's tree hash (C-TREE-05); the signer
/// is a member (C-GI-02) whose signature verifies (C-GI-01).
pub(crate) fn verified_tree<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    group_info: &GroupInfo,
    ratchet_tree: Option<OutOfBandTree>,
    config: &GroupConfig,
) -> Result<RatchetTree, Error> {
    let context = &group_info.group_context;
    let limits = &config.limits;
    check_extension_list(&context.extensions, ExtensionContext::GroupContext)?;
    // C-CAP-08: at most one GroupInfo extension of each type.
    if let Some(t) = group_info.extensions.duplicate() {
        return Err(ValidationError::DuplicateExtension {
            extension_type: t.0,
        }
        .into());
    }
    // The tree is decoded straight from the extension's bytes, refused as
    // soon as it passes the leaf limit.
    let tree = match (
        group_info.extensions.find(ExtensionType::RATCHET_TREE),
        ratchet_tree,
    ) {
        (Some(ext), _) => {
            RatchetTree::decode_extension(cs, ext.extension_data.as_slice(), limits.max_leaves)?
        }
        (None, Some(OutOfBandTree::Nodes(nodes))) => {
            RatchetTree::from_nodes_limited(cs, nodes, limits.max_leaves)?
        }
        (None, Some(OutOfBandTree::Encoded(bytes))) => {
            limits.check_message_size(bytes.len())?;
            RatchetTree::decode_extension(cs, &bytes, limits.max_leaves)?
        }
        (None, None) => return Err(ValidationError::RatchetTreeMissing.into()),
    };
    if tree.tree_hash() != context.tree_hash.as_slice() {
        return Err(ValidationError::TreeHashMismatch.into());
    }
    // The GroupInfo's signature, one verification, before the tree's N
    // leaf signatures.
    let signer = tree
        .leaf(LeafIndex(group_info.signer))
        .ok_or(ValidationError::GroupInfoSignerNotMember)?;
    verify_group_info(cs, signer.signature_key.as_slice(), group_info)?;
    let required = crate::tree::RequiredSet::of(&context.extensions)?;
    let policy = LeafPolicy {
        required: required.as_ref(),
        max_extensions: limits.max_extensions_per_leaf,
        ..Default::default()
    };
    tree.validate_with(cs, context.group_id.as_slice(), &policy)?;
    Ok(tree)
}
