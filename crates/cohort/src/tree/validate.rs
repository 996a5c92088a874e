//! Validation of a received ratchet tree (RFC 9420 sections 7.3, 7.9.2 and
//! 12.4.3.1) and parent hashes (section 7.9).

use super::leaf::{LeafPolicy, LeafRole, check_leaf_node};
use super::math::{self, LeafIndex};
use super::ratchet_tree::{RatchetTree, TreeView, node_hash};
use crate::codec::write_opaque;
use crate::crypto::SuiteCrypto;
use crate::messages::{Credential, LeafNode, LeafNodeSource, Node};
use crate::{Error, ValidationError};
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use cohort_traits::{Crypto, CryptoError};

/// The `SignWithLabel` label of LeafNodeTBS.
pub(crate) const LEAF_LABEL: &[u8] = b"LeafNodeTBS";

/// Whether node `x` is in the subtree rooted at `top`.
pub(crate) fn in_subtree(x: u32, top: u32) -> bool {
    let k = math::level(top) + 1;
    let shift = |v: u32| if k >= 32 { 0 } else { v >> k };
    math::level(x) < k && shift(x) == shift(top)
}

/// Verifies a leaf's signature (RFC 9420 section 7.3; C-LN-01, C-LN-02):
/// leaves from updates and commits are signed with the group id and their
/// leaf index. A `signature_key` that is not a well-formed key of the
/// suite's signature scheme (RFC 9420 sections 5.1.1, 10; C-LN-04), as the
/// provider judges it, is [`ValidationError::InvalidSignatureKey`].
pub fn verify_leaf_signature<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    leaf: &LeafNode,
    group_id: &[u8],
    index: LeafIndex,
) -> Result<(), Error> {
    let tbs = leaf.to_be_signed(Some((group_id, index)))?;
    cs.verify_with_label(
        leaf.signature_key.as_slice(),
        LEAF_LABEL,
        &tbs,
        leaf.signature.as_slice(),
    )
    .map_err(|e| match e {
        Error::Validation(ValidationError::InvalidSignature) => {
            ValidationError::LeafSignatureInvalid { leaf: index.0 }.into()
        }
        Error::Crypto(CryptoError::InvalidPublicKey) => {
            ValidationError::InvalidSignatureKey { leaf: index.0 }.into()
        }
        other => other,
    })?;
    verify_credential_bindings(cs, leaf)
}

/// The bindings of a multi-credential verify against the leaf's signature
/// key (extensions draft, "Verifying a Multi-Credential"): each one of a
/// `multi` credential, and each one of a `weak-multi` credential whose
/// suite this client's provider implements (the bindings it supports).
/// One signature verification per binding, after the leaf's own.
fn verify_credential_bindings<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    leaf: &LeafNode,
) -> Result<(), Error> {
    let weak = matches!(leaf.credential, Credential::WeakMulti { .. });
    let Some(bindings) = leaf.credential.bindings() else {
        return Ok(());
    };
    for (i, binding) in (0u32..).zip(bindings) {
        let invalid = || ValidationError::CredentialBindingInvalid { binding: i };
        let bcs = match SuiteCrypto::new(cs.provider(), binding.cipher_suite) {
            Ok(bcs) => bcs,
            Err(_) if weak => continue,
            Err(_) => return Err(invalid().into()),
        };
        binding
            .verify(&bcs, leaf.signature_key.as_slice())
            .map_err(|e| match e {
                Error::Validation(ValidationError::InvalidSignature)
                | Error::Crypto(CryptoError::InvalidPublicKey) => invalid().into(),
                other => other,
            })?;
    }
    Ok(())
}

/// The leaf indices `lo..=hi` under node `index`.
fn leaf_range(index: u32) -> (u32, u32) {
    let half = (1u64 << math::level(index).min(31)) - 1;
    let lo = (u64::from(index).saturating_sub(half) / 2) as u32;
    let hi = (u64::from(index).saturating_add(half) / 2).min(u64::from(u32::MAX)) as u32;
    (lo, hi)
}

/// The part of the sorted leaf list `leaves` under node `index`.
fn leaves_under(leaves: &[u32], index: u32) -> &[u32] {
    let (lo, hi) = leaf_range(index);
    let start = leaves.partition_point(|l| *l < lo);
    let end = leaves.partition_point(|l| *l <= hi);
    leaves.get(start..end).unwrap_or_default()
}

/// The tree hash of `index` with the leaves of `excluded` (sorted
/// ascending) blanked and removed from every `unmerged_leaves` list: the
/// `original_sibling_tree_hash` of RFC 9420 section 7.9. Subtrees that hold
/// none of them use cached hashes, so the cost is O(|excluded| log N)
/// node hashes, each lookup in `excluded` a binary search.
fn hash_excluding<T: TreeView + ?Sized, C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    tree: &T,
    index: u32,
    excluded: &[u32],
) -> Result<Vec<u8>, Error> {
    let excluded = leaves_under(excluded, index);
    if excluded.is_empty()
        && let Some(h) = tree.known_hash(index)
    {
        return Ok(h.to_vec());
    }
    match (math::left(index), math::right(index)) {
        (Some(l), Some(r)) => {
            let lh = hash_excluding(cs, tree, l, excluded)?;
            let rh = hash_excluding(cs, tree, r, excluded)?;
            let node = match tree.node(index) {
                Some(Node::Parent(p)) => {
                    let mut p = p.clone();
                    p.unmerged_leaves
                        .0
                        .retain(|u| excluded.binary_search(u).is_err());
                    Some(Node::Parent(p))
                }
                other => other.cloned(),
            };
            node_hash(cs, index, node.as_ref(), Some((&lh, &rh)))
        }
        _ => {
            let blank = excluded.binary_search(&(index / 2)).is_ok();
            node_hash(cs, index, if blank { None } else { tree.node(index) }, None)
        }
    }
}

/// The parent hash of parent node `p` with copath child `sibling` (RFC 9420
/// section 7.9): `Hash(ParentHashInput { encryption_key, parent_hash,
/// original_sibling_tree_hash })`.
pub fn parent_hash<T: TreeView + ?Sized, C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    tree: &T,
    p: u32,
    sibling: u32,
) -> Result<Vec<u8>, Error> {
    let node = tree
        .parent_node(p)
        .ok_or(ValidationError::ParentHashMismatch)?;
    let sibling_hash = hash_excluding(cs, tree, sibling, &node.unmerged_leaves.0)?;
    let mut input = Vec::with_capacity(
        node.encryption_key.0.len() + node.parent_hash.0.len() + sibling_hash.len() + 8,
    );
    write_opaque(node.encryption_key.as_slice(), &mut input)?;
    write_opaque(node.parent_hash.as_slice(), &mut input)?;
    write_opaque(&sibling_hash, &mut input)?;
    cs.hash(&input)
}

/// The `parent_hash` a node carries, if it carries one.
fn carried_parent_hash(node: &Node) -> Option<&[u8]> {
    match node {
        Node::Leaf(l) => match &l.leaf_node_source {
            LeafNodeSource::Commit(ph) => Some(ph.as_slice()),
            _ => None,
        },
        Node::Parent(p) => Some(p.parent_hash.as_slice()),
    }
}

/// The one node `d` of `resolution(c)` that can carry a parent hash valid
/// for `p` (RFC 9420 section 7.9.2; C-TREE-08): P's unmerged leaves under C
/// must equal the resolution of C without D, so D is the resolution's only
/// node outside those unmerged leaves. `None` when no node fits.
fn link_candidate<T: TreeView + ?Sized>(tree: &T, unmerged: &[u32], c: u32) -> Option<u32> {
    let mut resolution = tree.resolution(c);
    resolution.sort_unstable();
    // P's unmerged leaves under C, as node indices (ascending, since the
    // leaf indices are).
    let under: Vec<u32> = leaves_under(unmerged, c)
        .iter()
        .filter_map(|u| u.checked_mul(2))
        .collect();
    if resolution.len() != under.len().saturating_add(1) {
        return None;
    }
    // Walk both sorted lists: every unmerged leaf must be in the
    // resolution, which then has exactly one node more.
    let mut candidate = None;
    let mut rest = under.iter().peekable();
    for x in resolution {
        if rest.peek() == Some(&&x) {
            rest.next();
        } else if candidate.replace(x).is_some() {
            return None;
        }
    }
    if rest.next().is_some() {
        return None;
    }
    candidate
}

impl RatchetTree {
    /// Validates a tree received from outside (RFC 9420 section 12.4.3.1),
    /// beyond the shape checks of [`RatchetTree::from_nodes`]:
    /// - unmerged leaves name non-blank leaves below their parent (C-TREE-09)
    ///   and every non-blank node between them lists them too (C-TREE-10);
    /// - every non-blank parent is parent-hash valid through exactly one
    ///   chain (C-TREE-06, C-TREE-07, C-TREE-08);
    /// - encryption keys are unique among all nodes (C-TREE-11, C-LN-22) and
    ///   signature keys among leaves (C-LN-21);
    /// - every leaf signature verifies (C-TREE-12, C-LN-01, C-LN-02).
    ///
    /// The caller compares [`RatchetTree::tree_hash`] with the GroupContext
    /// (C-TREE-05).
    pub fn validate<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        group_id: &[u8],
    ) -> Result<(), Error> {
        self.validate_with(cs, group_id, &LeafPolicy::default())
    }

    /// [`RatchetTree::validate`] with every leaf also checked against the
    /// group's parameters in `policy` (RFC 9420 section 7.3, C-TREE-12).
    ///
    /// The cheap checks run first (unmerged leaves, key uniqueness, each
    /// leaf's fields, parent hashes), the N leaf signatures last. Each
    /// check is O(S log S) in the tree's size S.
    pub fn validate_with<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        group_id: &[u8],
        policy: &LeafPolicy<'_>,
    ) -> Result<(), Error> {
        self.check_unmerged_leaves()?;
        self.check_unique_keys()?;
        let leaves: Vec<(LeafIndex, &LeafNode)> = (0..self.n_leaves())
            .map(LeafIndex)
            .filter_map(|l| self.leaf(l).map(|n| (l, n)))
            .collect();
        for (_, leaf) in &leaves {
            check_leaf_node(cs, leaf, LeafRole::Tree, policy)?;
        }
        self.check_parent_hashes(cs)?;
        crate::par::check_all(&leaves, |(index, leaf)| {
            verify_leaf_signature(cs, leaf, group_id, *index)
        })
    }

    fn check_unmerged_leaves(&self) -> Result<(), Error> {
        let n = self.n_leaves();
        for p in (1..self.width()).step_by(2) {
            let Some(parent) = self.parent_node(p) else {
                continue;
            };
            for &u in &parent.unmerged_leaves.0 {
                let node = u
                    .checked_mul(2)
                    .ok_or(ValidationError::InvalidUnmergedLeaf { leaf: u })?;
                if !in_subtree(node, p) || self.leaf(LeafIndex(u)).is_none() {
                    return Err(ValidationError::InvalidUnmergedLeaf { leaf: u }.into());
                }
                for q in math::direct_path(node, n)
                    .into_iter()
                    .take_while(|q| *q != p)
                {
                    if let Some(mid) = self.parent_node(q)
                        && mid.unmerged_leaves.0.binary_search(&u).is_err()
                    {
                        return Err(ValidationError::InvalidUnmergedLeaf { leaf: u }.into());
                    }
                }
            }
        }
        Ok(())
    }

    fn check_unique_keys(&self) -> Result<(), Error> {
        let mut encryption = BTreeSet::new();
        let mut signature = BTreeSet::new();
        for i in 0..self.width() {
            match self.node(i) {
                Some(Node::Leaf(l)) => {
                    if !encryption.insert(l.encryption_key.as_slice()) {
                        return Err(ValidationError::DuplicateEncryptionKey.into());
                    }
                    if !signature.insert(l.signature_key.as_slice()) {
                        return Err(ValidationError::DuplicateSignatureKey.into());
                    }
                }
                Some(Node::Parent(p)) if !encryption.insert(p.encryption_key.as_slice()) => {
                    return Err(ValidationError::DuplicateEncryptionKey.into());
                }
                Some(Node::Parent(_)) | None => {}
            }
        }
        Ok(())
    }

    /// Every non-blank parent P has exactly one descendant D whose parent
    /// hash is valid with respect to P (RFC 9420 section 7.9.2, "top
    /// down"): then every parent chains down to a leaf (C-TREE-06) through
    /// exactly one chain (C-TREE-07). For each child C of P only one node
    /// of C's resolution can link (C-TREE-08, [`link_candidate`]), so each
    /// P costs one resolution per child and at most two parent hashes:
    /// O(S log S) for the whole tree.
    fn check_parent_hashes<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
    ) -> Result<(), Error> {
        for p in (1..self.width()).step_by(2) {
            let Some(parent) = self.parent_node(p) else {
                continue;
            };
            let (Some(l), Some(r)) = (math::left(p), math::right(p)) else {
                continue;
            };
            let mut links = 0u32;
            for (c, s) in [(l, r), (r, l)] {
                let Some(d) = link_candidate(self, &parent.unmerged_leaves.0, c) else {
                    continue;
                };
                let Some(carried) = self.node(d).and_then(carried_parent_hash) else {
                    continue;
                };
                if parent_hash(cs, self, p, s)? == carried {
                    links = links.saturating_add(1);
                }
            }
            match links {
                0 => return Err(ValidationError::ParentHashMismatch.into()),
                1 => {}
                _ => return Err(ValidationError::ParentHashChainsOverlap.into()),
            }
        }
        Ok(())
    }
}
