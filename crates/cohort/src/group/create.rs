//! Creating a group (RFC 9420 section 11).

use super::key_package::{KeyPackageBuilder, KeyPackageBundle};
use super::state::{EpochKeys, Group, GroupConfig};
use crate::Error;
use crate::codec::VarBytes;
use crate::crypto::SuiteCrypto;
use crate::messages::{Extensions, GroupContext, LeafNode, ProtocolVersion};
use crate::schedule::{EpochSecrets, confirmation_tag, interim_transcript_hash};
use crate::tree::math::LeafIndex;
use crate::tree::{LeafPolicy, RatchetTree, TreePrivateKeys, TreeView};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use cohort_traits::{Ciphersuite, Provider, Rand, Secret, Signer};

impl Group {
    /// Creates a one-member group (RFC 9420 section 11) from the creator's
    /// KeyPackage: its leaf is leaf 0, and the first epoch secret is fresh
    /// randomness.
    pub fn create<P: Provider>(
        provider: &P,
        own: &KeyPackageBundle,
        group_id: Vec<u8>,
        extensions: Extensions,
        config: GroupConfig,
    ) -> Result<Group, Error> {
        Self::create_from_leaf(
            provider,
            own.key_package.cipher_suite,
            own.key_package.leaf_node.clone(),
            own.encryption_private_key.clone(),
            group_id,
            extensions,
            config,
        )
    }

    /// Creates a one-member group (RFC 9420 section 11) whose creator's
    /// leaf is made here from `leaf` (its credential, capabilities,
    /// lifetime and leaf extensions; KeyPackage extensions are unused):
    /// one HPKE key pair and one signature by `signer`, without the init
    /// key and KeyPackage signature a KeyPackage would add. The suite is
    /// `suite`, whose signature scheme must be `signer`'s.
    pub fn create_as<P: Provider>(
        provider: &P,
        suite: Ciphersuite,
        signer: &dyn Signer,
        leaf: KeyPackageBuilder,
        group_id: Vec<u8>,
        extensions: Extensions,
        config: GroupConfig,
    ) -> Result<Group, Error> {
        let cs = SuiteCrypto::new(provider.crypto(), suite)?;
        let (leaf_node, encryption_private_key, _, _) =
            leaf.build_leaf(&cs, provider.rand(), signer)?;
        Self::create_from_leaf(
            provider,
            suite,
            leaf_node,
            encryption_private_key,
            group_id,
            extensions,
            config,
        )
    }

    fn create_from_leaf<P: Provider>(
        provider: &P,
        suite: Ciphersuite,
        leaf_node: LeafNode,
        encryption_private_key: Secret,
        group_id: Vec<u8>,
        extensions: Extensions,
        config: GroupConfig,
    ) -> Result<Group, Error> {
        config.validate()?;
        let cs = SuiteCrypto::new(provider.crypto(), suite)?;
        let tree = RatchetTree::new(&cs, leaf_node)?;
        let required = crate::tree::RequiredSet::of(&extensions)?;
        let policy = LeafPolicy {
            required: required.as_ref(),
            max_extensions: config.limits.max_extensions_per_leaf,
            ..Default::default()
        };
        tree.validate_with(&cs, &group_id, &policy)?;
        let context = GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: suite,
            group_id: group_id.into(),
            epoch: 0,
            tree_hash: tree.tree_hash().to_vec().into(),
            confirmed_transcript_hash: VarBytes::default(),
            extensions,
        };
        let mut epoch_secret = alloc::vec![0u8; cs.hash_len()];
        provider.rand().fill(&mut epoch_secret)?;
        let secrets = EpochSecrets::derive(&cs, &Secret::new(epoch_secret))?;
        let tag = confirmation_tag(&cs, &secrets.confirmation_key, &[])?;
        let interim = interim_transcript_hash(&cs, &[], &tag)?;
        let mut resumption_psks = BTreeMap::new();
        resumption_psks.insert(0, secrets.resumption_psk.clone());
        let keys = EpochKeys::new(secrets, tree.n_leaves(), config.ratchet)?;
        Ok(Group {
            suite,
            context,
            tree,
            own_leaf: LeafIndex(0),
            private_keys: TreePrivateKeys::new(LeafIndex(0), encryption_private_key),
            keys,
            interim_transcript_hash: interim,
            confirmation_tag: tag,
            proposals: Default::default(),
            past_epochs: VecDeque::new(),
            resumption_psks,
            external_psks: BTreeMap::new(),
            config,
            active: true,
            pending_reinit: None,
            pending_updates: Vec::new(),
            pending_commit: None,
            unsaved: super::persist::Unsaved::everything(),
            reserved: [0, 0],
        })
    }
}
