//! Joining a group from a Welcome (RFC 9420 section 12.4.3.1).

use super::key_package::{KeyPackageBundle, key_package_ref};
use super::psk::{PskSources, resolve_psk_secret};
use super::state::{EpochKeys, Group, GroupConfig};
use crate::codec::encode;
use crate::messages::{Node, RatchetTreeExtension, RequiredCapabilities, Welcome};
use crate::schedule::{
    JoinerSecret, decrypt_group_info, decrypt_group_secrets, interim_transcript_hash,
    verify_confirmation_tag, verify_group_info,
};
use crate::tree::math::{self, LeafIndex};
use crate::tree::{LeafPolicy, RatchetTree, TreePrivateKeys, TreeView};
use crate::{Error, ValidationError};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use cohort_traits::{Provider, Secret};

impl Group {
    /// Joins a group from a Welcome addressed to `key_package` (RFC 9420
    /// section 12.4.3.1), with every check of that section:
    /// the Welcome names the KeyPackage (C-WEL-01) in its suite (C-WEL-02);
    /// GroupSecrets and GroupInfo decrypt (C-WEL-03, C-WEL-04); the GroupInfo
    /// suite matches (C-WEL-05) and its signature verifies; a ratchet tree
    /// is at hand (C-WEL-06), valid (C-TREE-*) and hashes to the
    /// GroupContext's tree hash (C-TREE-05); it holds the joiner's leaf
    /// (C-WEL-07); the path secret matches the tree (C-WEL-08); and the
    /// confirmation tag verifies (C-WEL-09).
    ///
    /// `ratchet_tree` is the tree when it is not in the Welcome's GroupInfo;
    /// `psks` holds the external PSKs the Welcome may name.
    pub fn join<P: Provider>(
        provider: &P,
        welcome: &Welcome,
        key_package: &KeyPackageBundle,
        ratchet_tree: Option<Vec<Option<Node>>>,
        psks: BTreeMap<Vec<u8>, Secret>,
        config: GroupConfig,
    ) -> Result<Group, Error> {
        let kp = &key_package.key_package;
        if welcome.cipher_suite != kp.cipher_suite {
            return Err(ValidationError::WelcomeSuiteMismatch.into());
        }
        let cs = crate::crypto::SuiteCrypto::new(provider.crypto(), welcome.cipher_suite)?;
        let kp_ref = key_package_ref(&cs, kp)?;
        let secrets = welcome
            .secrets_for(&kp_ref)
            .ok_or(ValidationError::WelcomeNotForKeyPackage)?;
        let group_secrets = decrypt_group_secrets(
            &cs,
            key_package.init_private_key.as_bytes(),
            secrets,
            welcome.encrypted_group_info.as_slice(),
        )?;

        // PSKs named in GroupSecrets; resumption PSKs of other groups are
        // not known to a new member.
        let no_resumption = BTreeMap::new();
        let psk_ids: Vec<_> = group_secrets.psks.0.clone();
        let sources = PskSources {
            external: &psks,
            group_id: &[],
            resumption: &no_resumption,
        };
        let psk_secret = resolve_psk_secret(&cs, &psk_ids, &sources)?;

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

        let nodes = match (
            group_info.extensions.get::<RatchetTreeExtension>()?,
            ratchet_tree,
        ) {
            (Some(ext), _) => ext.0.0,
            (None, Some(nodes)) => nodes,
            (None, None) => return Err(ValidationError::RatchetTreeMissing.into()),
        };
        let tree = RatchetTree::from_nodes(&cs, nodes)?;
        if tree.tree_hash() != context.tree_hash.as_slice() {
            return Err(ValidationError::TreeHashMismatch.into());
        }
        let required = context.extensions.get::<RequiredCapabilities>()?;
        let policy = LeafPolicy {
            required: required.as_ref(),
            ..Default::default()
        };
        tree.validate_with(&cs, context.group_id.as_slice(), &policy)?;

        let signer = tree
            .leaf(LeafIndex(group_info.signer))
            .ok_or(ValidationError::GroupInfoSignerNotMember)?;
        verify_group_info(&cs, signer.signature_key.as_slice(), &group_info)?;

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
            private_keys.set_path_secret(
                &cs,
                &tree,
                ancestor,
                path_secret.path_secret.0.clone(),
            )?;
        }

        let gc = encode(&context)?;
        let (_, secrets) = joiner.into_epoch(&cs, psk_secret.as_bytes(), &gc)?;
        verify_confirmation_tag(
            &cs,
            &secrets.confirmation_key,
            context.confirmed_transcript_hash.as_slice(),
            group_info.confirmation_tag.as_slice(),
        )?;
        let interim = interim_transcript_hash(
            &cs,
            context.confirmed_transcript_hash.as_slice(),
            group_info.confirmation_tag.as_slice(),
        )?;
        let mut resumption_psks = BTreeMap::new();
        resumption_psks.insert(context.epoch, secrets.resumption_psk.clone());
        let keys = EpochKeys::new(secrets, tree.n_leaves(), config.ratchet)?;
        Ok(Group {
            suite: context.cipher_suite,
            context,
            tree,
            own_leaf,
            private_keys,
            keys,
            interim_transcript_hash: interim,
            confirmation_tag: group_info.confirmation_tag.0,
            proposals: Vec::new(),
            past_epochs: VecDeque::new(),
            resumption_psks,
            external_psks: psks,
            config,
            active: true,
        })
    }
}
