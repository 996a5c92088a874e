//! Hooks for tests and benchmarks (feature `test-utils`). Never enable the
//! feature in an application.

use super::state::Group;
use crate::framing::{self, AuthenticatedContent, MlsMessage, MlsMessageBody, WireFormat};
use crate::tree::math::LeafIndex;
use crate::tree::{TreePrivateKeys, TreeView};
use crate::{Error, MisuseError};
use alloc::vec::Vec;
use cohort_traits::{Provider, Secret};

impl Group {
    /// The current epoch's stored secrets (init, exporter, external,
    /// confirmation, membership, sender-data, resumption PSK), for tests
    /// that check they are wiped or never written.
    pub fn epoch_secret_values(&self) -> Vec<Vec<u8>> {
        let s = &self.keys.secrets;
        [
            &s.init_secret,
            &s.exporter_secret,
            &s.external_secret,
            &s.confirmation_key,
            &s.membership_key,
            &s.sender_data_secret,
            &s.resumption_psk,
        ]
        .into_iter()
        .map(|secret| secret.as_bytes().to_vec())
        .filter(|v| !v.is_empty())
        .collect()
    }

    /// A copy of this member's view that speaks as the member at `leaf`
    /// (which must be occupied): it shares this epoch's group secrets but
    /// holds no tree private keys, so it can build and send commits and
    /// messages as that member (given its signer) but not process commits.
    ///
    /// Benchmarks use it to bring a large group to a steady state (every
    /// member has committed once, so every parent node is set) without
    /// keeping a state per member. It grants nothing a member of the group
    /// could not do with that member's signature key.
    pub fn impersonate(&self, leaf: LeafIndex) -> Result<Group, Error> {
        if self.tree.leaf(leaf).is_none() {
            return Err(MisuseError::NodeOutsideTree.into());
        }
        let mut g = self.clone();
        g.own_leaf = leaf;
        g.private_keys = TreePrivateKeys::new(leaf, Secret::zero(0));
        g.proposals.clear();
        Ok(g)
    }

    /// A copy of this member's view that claims to be the member at `leaf`,
    /// occupied or blank, as a malicious member of this epoch could: it
    /// holds every secret of the epoch, so it can protect messages under
    /// any sender's ratchet (signed with whatever key it is given).
    pub fn forge_as(&self, leaf: LeafIndex) -> Group {
        let mut g = self.clone();
        g.own_leaf = leaf;
        g.private_keys = TreePrivateKeys::new(leaf, Secret::zero(0));
        g.proposals.clear();
        g
    }

    /// Protects `content`, signed as the caller chose, with this epoch's
    /// keys: a PublicMessage with the membership tag when its sender is a
    /// member, or a PrivateMessage under the sender leaf's next generation,
    /// as its wire format says. Nothing the content says is checked, so
    /// fuzzers and negative tests can deliver what a member holding the
    /// epoch's secrets could forge (another member's signature still needs
    /// that member's key). A PrivateMessage consumes the generation in this
    /// view.
    pub fn protect_content<P: Provider>(
        &mut self,
        provider: &P,
        content: AuthenticatedContent,
    ) -> Result<MlsMessage, Error> {
        let cs = self.cs(provider.crypto())?;
        let body = if content.wire_format == WireFormat::PRIVATE_MESSAGE {
            let (msg, update) = framing::protect_private(
                &cs,
                provider.rand(),
                &self.keys.secret_tree,
                &self.keys.secrets.sender_data_secret,
                &content,
                0,
            )?;
            let _ = self.keys.secret_tree.apply(update);
            MlsMessageBody::PrivateMessage(msg)
        } else {
            MlsMessageBody::PublicMessage(framing::protect_public(
                &cs,
                &self.keys.secrets.membership_key,
                &self.context,
                content,
            )?)
        };
        Ok(MlsMessage::new(body))
    }
}
