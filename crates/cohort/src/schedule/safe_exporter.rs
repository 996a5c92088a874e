//! The forward-secure exporter of the MLS extensions draft
//! (draft-ietf-mls-extensions, editor's copy of 2026-07-01, "Exported
//! Secrets"; provisional): an Exporter Tree with the structure of RFC 9420's
//! secret tree (section 9) over 2^16 leaves, one per ComponentID, rooted
//! at `application_export_secret = DeriveSecret(epoch_secret,
//! "application_export")`.
//!
//! Exporting a component's secret consumes it: the tree keeps only the
//! secrets of the subtrees no export has entered yet, so once a node's
//! children are derived the node is deleted, as section 9.2 of RFC 9420
//! schedules for the secret tree. At most 16 node secrets are added per
//! export.

use crate::crypto::SuiteCrypto;
use crate::{Error, MisuseError};
use alloc::collections::BTreeMap;
use cohort_traits::{Crypto, Secret};

/// Leaves of the Exporter Tree: one per 16-bit ComponentID.
const LEAVES: u32 = 1 << 16;
/// Its root's node index (array representation, RFC 9420 appendix C).
const ROOT: u32 = LEAVES - 1;

/// The secrets of one epoch's Exporter Tree that are still unused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SafeExporter {
    nodes: BTreeMap<u32, Secret>,
}

impl SafeExporter {
    /// A tree holding only its root, `application_export_secret`.
    pub fn new(root: Secret) -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(ROOT, root);
        SafeExporter { nodes }
    }

    /// A tree with nothing left to export (a group loaded from a record
    /// written before the safe exporter existed, or a removed member).
    pub fn unavailable() -> Self {
        Self::default()
    }

    /// The node secrets kept, by node index (for storage).
    pub fn nodes(&self) -> &BTreeMap<u32, Secret> {
        &self.nodes
    }

    /// A tree from stored node secrets; `None` when an index is outside
    /// the tree.
    pub fn from_nodes(nodes: BTreeMap<u32, Secret>) -> Option<Self> {
        nodes
            .keys()
            .all(|&x| x <= 2 * ROOT)
            .then_some(SafeExporter { nodes })
    }

    /// `SafeExportSecret(component_id)`: the secret of the component's
    /// leaf, derived from its lowest kept ancestor and then deleted with
    /// every node on the way; the siblings of that path are kept.
    ///
    /// Errors: [`MisuseError::SafeExportUnavailable`] when the secret was
    /// exported before in this epoch (or the epoch has no Exporter Tree).
    pub fn export<C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
        component_id: u16,
    ) -> Result<Secret, Error> {
        let target = u32::from(component_id) * 2;
        let mut x = target;
        while !self.nodes.contains_key(&x) {
            if x == ROOT {
                return Err(MisuseError::SafeExportUnavailable { component_id }.into());
            }
            x = parent(x);
        }
        let mut secret = self
            .nodes
            .remove(&x)
            .ok_or(crate::Error::Internal("an exporter node vanished"))?;
        let nh = cs.hash_len_u16();
        while x != target {
            let k = level(x);
            let (left, right) = (x ^ (1 << (k - 1)), x ^ (3 << (k - 1)));
            let l = cs.expand_with_label(secret.as_bytes(), b"tree", b"left", nh)?;
            let r = cs.expand_with_label(secret.as_bytes(), b"tree", b"right", nh)?;
            if target < x {
                self.nodes.insert(right, r);
                (x, secret) = (left, l);
            } else {
                self.nodes.insert(left, l);
                (x, secret) = (right, r);
            }
        }
        Ok(secret)
    }
}

/// The level of node `x`: its count of trailing one bits.
fn level(x: u32) -> u32 {
    (!x).trailing_zeros()
}

/// The parent of node `x` below the root of a full tree.
fn parent(x: u32) -> u32 {
    let k = level(x);
    let b = (x >> (k + 1)) & 1;
    (x | (1 << k)) ^ (b << (k + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_math_of_the_full_tree() {
        assert_eq!(level(ROOT), 16);
        assert_eq!(parent(0), 1);
        assert_eq!(parent(2), 1);
        assert_eq!(parent(1), 3);
        assert_eq!(parent(5), 3);
        assert_eq!(parent(2 * 0xffff), 2 * 0xffff - 1);
        // Every leaf reaches the root in 16 steps.
        for leaf in [0u32, 2, 0x1234 * 2, 2 * 0xffff] {
            let mut x = leaf;
            for _ in 0..16 {
                x = parent(x);
            }
            assert_eq!(x, ROOT);
        }
    }
}
