//! Hooks for tests and benchmarks (feature `test-utils`). Never enable the
//! feature in an application.

use super::state::Group;
use crate::tree::math::LeafIndex;
use crate::tree::{TreePrivateKeys, TreeView};
use crate::{Error, MisuseError};
use cohort_traits::Secret;

impl Group {
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
}
