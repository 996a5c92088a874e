//! GroupInfo for Welcomes and external joins (RFC 9420 section 12.4.3).

use super::state::Group;
use crate::Error;
use crate::codec::VarBytes;
use crate::crypto::SuiteCrypto;
use crate::framing::{MlsMessage, MlsMessageBody};
use crate::messages::{
    ExtensionContent, Extensions, ExternalPub, GroupContext, GroupInfo, RatchetTreeExtension,
};
use crate::schedule::{EpochSecrets, sign_group_info};
use crate::tree::math::LeafIndex;
use alloc::vec::Vec;
use cohort_traits::{Provider, Rand, Signer};

impl Group {
    /// A GroupInfo of the current epoch signed by this member (RFC 9420
    /// section 12.4.3), for new members joining by external commit: it
    /// carries the `external_pub` extension and, when `with_ratchet_tree`,
    /// the tree in a `ratchet_tree` extension (otherwise the joiner gets the
    /// tree out of band), and a GREASE extension when the configuration's
    /// [`grease`](super::GroupConfig::grease) is on.
    pub fn group_info<P: Provider>(
        &self,
        provider: &P,
        signer: &dyn Signer,
        with_ratchet_tree: bool,
    ) -> Result<MlsMessage, Error> {
        self.ensure_active()?;
        let cs = self.cs(provider.crypto())?;
        let tree_nodes = with_ratchet_tree
            .then(|| self.tree.encode_extension())
            .transpose()?;
        let gi = signed_group_info(
            &cs,
            signer,
            self.own_leaf,
            self.context.clone(),
            Optional {
                tree_nodes,
                grease: self.config.grease.then_some(provider.rand()),
            },
            &self.keys.secrets,
            &self.confirmation_tag,
        )?;
        Ok(MlsMessage::new(MlsMessageBody::GroupInfo(gi)))
    }
}

/// The optional extensions of a GroupInfo.
pub(crate) struct Optional<'a> {
    /// The encoded content of a `ratchet_tree` extension.
    pub tree_nodes: Option<Vec<u8>>,
    /// The random source of a GREASE extension (RFC 9420 section 13.5;
    /// C-GREASE-05), when one is sent.
    pub grease: Option<&'a dyn Rand>,
}

/// A GroupInfo for `context` (RFC 9420 section 12.4.3): the ratchet tree
/// extension when `optional` has its encoded content, the epoch's
/// `external_pub`, a GREASE extension with random data when `optional`
/// has a random source for it, the confirmation tag, signed by the member
/// at `leaf` (C-GI-04).
pub(crate) fn signed_group_info<C: cohort_traits::Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    signer: &dyn Signer,
    leaf: LeafIndex,
    context: GroupContext,
    optional: Optional<'_>,
    secrets: &EpochSecrets,
    tag: &[u8],
) -> Result<GroupInfo, Error> {
    let Optional { tree_nodes, grease } = optional;
    let mut extensions = Extensions::default();
    if let Some(nodes) = tree_nodes {
        extensions.push_encoded(
            <RatchetTreeExtension as ExtensionContent>::EXTENSION_TYPE,
            nodes,
        );
    }
    let (_, external_pub) = secrets.external_key_pair(cs)?;
    extensions.push(&ExternalPub {
        external_pub: external_pub.into(),
    })?;
    if let Some(rand) = grease {
        super::grease::grease_extension(&mut extensions, rand)?;
    }
    let mut group_info = GroupInfo {
        group_context: context,
        extensions,
        confirmation_tag: tag.to_vec().into(),
        signer: leaf.0,
        signature: VarBytes::default(),
    };
    sign_group_info(cs, signer, &mut group_info)?;
    Ok(group_info)
}
