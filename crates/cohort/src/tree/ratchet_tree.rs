//! The ratchet tree (RFC 9420 section 7): a flat array of nodes addressed by
//! the array-tree math, with a cached tree hash per node, and [`TreeDiff`],
//! a copy-on-write overlay that stages changes without copying the tree.

use super::math::{self, LeafIndex};
use crate::codec::VarVec;
use crate::crypto::SuiteCrypto;
use crate::messages::{EncodeInto, LeafNode, Node, ParentNode};
use crate::{DecodeError, Error, LimitError, MisuseError, ValidationError};
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use cohort_traits::Crypto;

/// Read access to a ratchet tree: a [`RatchetTree`] or a [`TreeDiff`] over one.
///
/// Trees are always full: `n_leaves` is a power of two and every node index
/// below `node_width(n_leaves)` exists (blank or not).
pub trait TreeView {
    /// The number of leaves (a power of two).
    fn n_leaves(&self) -> u32;

    /// The node at `index`, `None` when blank or outside the tree.
    fn node(&self, index: u32) -> Option<&Node>;

    /// The tree hash of `index` if it is known without computation.
    fn known_hash(&self, index: u32) -> Option<&[u8]>;

    /// `Some(true)` if every node of the subtree under `index` is known to
    /// be blank without visiting them, `Some(false)` if one is known not to
    /// be, `None` if unknown (the caller visits the nodes). Resolutions use
    /// it to skip large blank regions (the right end of a tree whose size is
    /// not a power of two).
    fn subtree_is_blank(&self, _index: u32) -> Option<bool> {
        None
    }

    /// The number of nodes.
    fn width(&self) -> u32 {
        math::node_width(self.n_leaves()).unwrap_or(0)
    }

    /// The root index.
    fn root(&self) -> u32 {
        math::root(self.n_leaves()).unwrap_or(0)
    }

    /// The leaf node at `leaf`, `None` when blank or outside the tree.
    fn leaf(&self, leaf: LeafIndex) -> Option<&LeafNode> {
        match self.node(leaf.node_index()?) {
            Some(Node::Leaf(l)) => Some(l),
            _ => None,
        }
    }

    /// The parent node at `index`, `None` when blank or not a parent.
    fn parent_node(&self, index: u32) -> Option<&ParentNode> {
        match self.node(index) {
            Some(Node::Parent(p)) => Some(p),
            _ => None,
        }
    }

    /// The resolution of `index` (RFC 9420 section 4.1.1): the non-blank
    /// nodes covering its subtree, each non-blank parent followed by its
    /// unmerged leaves (as node indices).
    fn resolution(&self, index: u32) -> Vec<u32> {
        let mut out = Vec::new();
        resolve(self, index, &mut out);
        out
    }

    /// Whether the resolution of `index` is empty (no non-blank node below).
    fn resolution_is_empty(&self, index: u32) -> bool {
        if let Some(blank) = self.subtree_is_blank(index) {
            return blank;
        }
        match self.node(index) {
            Some(_) => false,
            None => match (math::left(index), math::right(index)) {
                (Some(l), Some(r)) => self.resolution_is_empty(l) && self.resolution_is_empty(r),
                _ => true,
            },
        }
    }

    /// The filtered direct path of `leaf` (RFC 9420 section 4.1.2): its
    /// direct path without the nodes whose copath child has an empty
    /// resolution.
    fn filtered_direct_path(&self, leaf: LeafIndex) -> Vec<u32> {
        let n = self.n_leaves();
        let Some(start) = leaf.node_index() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut child = start;
        while let Some(p) = math::parent(child, n) {
            if let Some(s) = math::sibling(child, n)
                && !self.resolution_is_empty(s)
            {
                out.push(p);
            }
            child = p;
        }
        out
    }

    /// The leaf indices of non-blank leaves.
    fn members(&self) -> Vec<LeafIndex> {
        (0..self.n_leaves())
            .map(LeafIndex)
            .filter(|l| self.leaf(*l).is_some())
            .collect()
    }
}

fn resolve<T: TreeView + ?Sized>(tree: &T, index: u32, out: &mut Vec<u32>) {
    match tree.node(index) {
        Some(Node::Leaf(_)) => out.push(index),
        Some(Node::Parent(p)) => {
            out.push(index);
            out.extend(p.unmerged_leaves.0.iter().filter_map(|l| l.checked_mul(2)));
        }
        None => {
            if tree.subtree_is_blank(index) == Some(true) {
                return;
            }
            if let (Some(l), Some(r)) = (math::left(index), math::right(index)) {
                resolve(tree, l, out);
                resolve(tree, r, out);
            }
        }
    }
}

/// Refuses `count` nodes when the smallest full tree holding them has more
/// than `max_leaves` leaves (the count is of a tree's array form, whose
/// leaves number `count / 2 + 1`).
fn check_node_count(count: usize, max_leaves: u32) -> Result<(), Error> {
    let leaves = (count as u64 / 2).saturating_add(1);
    if leaves > u64::from(max_leaves) {
        return Err(LimitError::TooManyLeaves {
            leaves,
            max: max_leaves,
        }
        .into());
    }
    Ok(())
}

/// The node indices `lo..=hi` of the subtree under `index` (a subtree is
/// contiguous in the array layout).
fn subtree_range(index: u32) -> (u32, u32) {
    let half = (1u32 << math::level(index).min(31)).saturating_sub(1);
    (index.saturating_sub(half), index.saturating_add(half))
}

/// The tree hash of one node from its content and its children's hashes
/// (RFC 9420 section 7.8); `children` is required for parent positions.
pub fn node_hash<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    index: u32,
    node: Option<&Node>,
    children: Option<(&[u8], &[u8])>,
) -> Result<Vec<u8>, Error> {
    let mut input = Vec::with_capacity(256);
    if math::is_leaf(index) {
        // TreeHashInput { node_type = leaf, LeafNodeHashInput { leaf_index, optional<LeafNode> } }
        input.push(1);
        input.extend_from_slice(&(index / 2).to_be_bytes());
        match node {
            Some(Node::Leaf(l)) => {
                input.push(1);
                l.encode_into(&mut input)?;
            }
            None => input.push(0),
            Some(Node::Parent(_)) => {
                return Err(DecodeError::InvalidValue("parent node at a leaf position").into());
            }
        }
    } else {
        let (left, right) = children.ok_or(crate::Error::Internal("a length exceeds its field"))?;
        input.push(2);
        match node {
            Some(Node::Parent(p)) => {
                input.push(1);
                p.encode_into(&mut input)?;
            }
            None => input.push(0),
            Some(Node::Leaf(_)) => {
                return Err(DecodeError::InvalidValue("leaf node at a parent position").into());
            }
        }
        crate::codec::write_opaque(left, &mut input)?;
        crate::codec::write_opaque(right, &mut input)?;
    }
    cs.hash(&input)
}

/// A ratchet tree with the tree hash of every node cached.
///
/// Memory is a small constant per node position: a pointer per node (the
/// nodes themselves are boxed, so a blank costs 8 bytes), the hashes in one
/// flat array of `KDF.Nh` bytes per node, and 64-bit key tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatchetTree {
    n_leaves: u32,
    /// `KDF.Nh` of the suite: the length of every tree hash.
    hash_len: usize,
    nodes: Vec<Option<Box<Node>>>,
    /// The tree hash of node `i` at `i * hash_len..(i + 1) * hash_len`.
    hashes: Vec<u8>,
    /// A 64-bit tag of every node's encryption key and of every leaf's
    /// signature key (0: blank). The key-uniqueness checks of every commit
    /// (RFC 9420 sections 7.3, 12.2, 12.4.2) scan these contiguous arrays
    /// instead of following a pointer per node, and compare whole keys only
    /// where a tag matches.
    encryption_tags: Vec<u64>,
    signature_tags: Vec<u64>,
    /// Per leaf: its credential type and the credential types below 64 its
    /// capabilities list, as a bit mask (`None`: blank). Checking that every
    /// member supports the credential types in use (RFC 9420 section
    /// 12.1.1) then reads one contiguous array.
    credential_summaries: Vec<Option<CredentialSummary>>,
}

/// A leaf's credential type and supported credential types (see
/// [`RatchetTree::credential_summary`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialSummary {
    /// The type of the leaf's credential.
    pub credential_type: u16,
    /// Bit `t` is set when `capabilities.credentials` lists type `t < 64`.
    pub supported_below_64: u64,
}

impl CredentialSummary {
    /// The summary of `leaf`.
    pub fn of(leaf: &LeafNode) -> Self {
        let supported_below_64 = leaf
            .capabilities
            .credentials
            .0
            .iter()
            .filter(|t| t.0 < 64)
            .fold(0u64, |m, t| m | (1u64 << t.0));
        CredentialSummary {
            credential_type: leaf.credential.credential_type().0,
            supported_below_64,
        }
    }
}

/// The tag of a key: its last eight bytes (public keys end in random-looking
/// bytes for every suite), never 0.
fn key_tag(key: &[u8]) -> u64 {
    let mut tail = [0u8; 8];
    let start = key.len().saturating_sub(8);
    if let (Some(src), Some(dst)) = (key.get(start..), tail.get_mut(..key.len().min(8))) {
        dst.copy_from_slice(src);
    }
    u64::from_le_bytes(tail).max(1)
}

/// The HPKE public key of a node.
fn node_encryption_key(node: &Node) -> &[u8] {
    match node {
        Node::Leaf(l) => l.encryption_key.as_slice(),
        Node::Parent(p) => p.encryption_key.as_slice(),
    }
}

impl TreeView for RatchetTree {
    fn n_leaves(&self) -> u32 {
        self.n_leaves
    }

    fn node(&self, index: u32) -> Option<&Node> {
        self.nodes.get(index as usize).and_then(|n| n.as_deref())
    }

    fn known_hash(&self, index: u32) -> Option<&[u8]> {
        let start = (index as usize).checked_mul(self.hash_len)?;
        self.hashes.get(start..start.checked_add(self.hash_len)?)
    }

    fn subtree_is_blank(&self, index: u32) -> Option<bool> {
        let (lo, hi) = subtree_range(index);
        Some(self.range_is_blank(lo, hi))
    }
}

impl RatchetTree {
    /// A one-member tree.
    pub fn new<C: Crypto + ?Sized>(cs: &SuiteCrypto<'_, C>, leaf: LeafNode) -> Result<Self, Error> {
        Self::from_nodes(cs, alloc::vec![Some(Node::Leaf(leaf))])
    }

    /// Builds a tree from the nodes of a `ratchet_tree` extension (RFC 9420
    /// section 12.4.3.3), as [`RatchetTree::decode_extension`] does, with
    /// the largest leaf limit ([`Limits::MAX_LEAVES_CEILING`]).
    ///
    /// [`Limits::MAX_LEAVES_CEILING`]: crate::group::Limits::MAX_LEAVES_CEILING
    pub fn from_nodes<C: Crypto + ?Sized>(
        cs: &SuiteCrypto<'_, C>,
        nodes: Vec<Option<Node>>,
    ) -> Result<Self, Error> {
        Self::from_nodes_limited(cs, nodes, crate::group::Limits::MAX_LEAVES_CEILING)
    }

    /// [`RatchetTree::from_nodes`] refusing a tree of more than
    /// `max_leaves` leaves ([`LimitError::TooManyLeaves`]) before any
    /// allocation or hash.
    pub fn from_nodes_limited<C: Crypto + ?Sized>(
        cs: &SuiteCrypto<'_, C>,
        nodes: Vec<Option<Node>>,
        max_leaves: u32,
    ) -> Result<Self, Error> {
        check_node_count(nodes.len(), max_leaves)?;
        Self::build(
            cs,
            nodes.into_iter().map(|n| n.map(Box::new)).collect(),
            max_leaves,
        )
    }

    /// Decodes the content of a `ratchet_tree` extension (`optional<Node>
    /// ratchet_tree<V>`, RFC 9420 section 12.4.3.3) straight into a tree,
    /// refusing one wider than `max_leaves` leaves
    /// ([`LimitError::TooManyLeaves`]) as soon as the count passes it, so
    /// a blank node (one byte of input) costs a pointer, not a decoded
    /// node. Decoding is as strict as the codec's (minimal length, presence
    /// byte 0 or 1, no trailing bytes). The shape checks and hashes are
    /// [`RatchetTree::from_nodes`]'s.
    pub fn decode_extension<C: Crypto + ?Sized>(
        cs: &SuiteCrypto<'_, C>,
        data: &[u8],
        max_leaves: u32,
    ) -> Result<Self, Error> {
        let (len, rest) = crate::codec::read_length(data)?;
        let mut body = rest.get(..len).ok_or(DecodeError::EndOfInput)?;
        if rest.len() > len {
            return Err(DecodeError::TrailingBytes.into());
        }
        let mut nodes: Vec<Option<Box<Node>>> = Vec::new();
        while let Some((&presence, after)) = body.split_first() {
            check_node_count(nodes.len().saturating_add(1), max_leaves)?;
            match presence {
                0 => {
                    nodes.push(None);
                    body = after;
                }
                1 => {
                    let (node, after) =
                        <Node as tls_codec::DeserializeBytes>::tls_deserialize_bytes(after)
                            .map_err(DecodeError::from)?;
                    nodes.push(Some(Box::new(node)));
                    body = after;
                }
                _ => return Err(DecodeError::InvalidOptional.into()),
            }
        }
        Self::build(cs, nodes, max_leaves)
    }

    /// The shape checks of a received tree: non-empty, last node non-blank
    /// (C-TREE-02), leaves at even and parents at odd positions (C-TREE-03),
    /// rightmost node a leaf (C-TREE-04), unmerged leaves sorted
    /// (C-TREE-01). The tree is extended with blanks to the next full size
    /// (at most `max_leaves` leaves) and every tree hash is computed.
    /// Signatures and parent hashes are checked by
    /// [`RatchetTree::validate`].
    fn build<C: Crypto + ?Sized>(
        cs: &SuiteCrypto<'_, C>,
        mut nodes: Vec<Option<Box<Node>>>,
        max_leaves: u32,
    ) -> Result<Self, Error> {
        match nodes.last() {
            None | Some(None) => return Err(ValidationError::TreeTrailingBlank.into()),
            Some(Some(n)) if matches!(**n, Node::Parent(_)) => {
                return Err(ValidationError::TreeMalformed.into());
            }
            Some(Some(_)) => {}
        }
        let len = u32::try_from(nodes.len()).map_err(|_| ValidationError::TreeMalformed)?;
        for (i, node) in (0u32..).zip(&nodes) {
            match node.as_deref() {
                Some(Node::Leaf(_)) if !math::is_leaf(i) => {
                    return Err(ValidationError::TreeMalformed.into());
                }
                Some(Node::Parent(_)) if math::is_leaf(i) => {
                    return Err(ValidationError::TreeMalformed.into());
                }
                Some(Node::Parent(p))
                    if p.unmerged_leaves
                        .0
                        .windows(2)
                        .any(|w| matches!(w, [a, b] if a >= b)) =>
                {
                    return Err(ValidationError::UnmergedLeavesNotSorted.into());
                }
                _ => {}
            }
        }
        // An odd number of entries whose last is a leaf: smallest full tree.
        let leaves_needed = len / 2 + 1;
        let n_leaves = leaves_needed
            .checked_next_power_of_two()
            .ok_or(ValidationError::TreeMalformed)?;
        if n_leaves > max_leaves {
            return Err(LimitError::TooManyLeaves {
                leaves: n_leaves.into(),
                max: max_leaves,
            }
            .into());
        }
        let width = math::node_width(n_leaves).ok_or(ValidationError::TreeMalformed)?;
        nodes.resize(width as usize, None);
        let mut tree = RatchetTree {
            n_leaves,
            hash_len: cs.hash_len(),
            nodes,
            hashes: Vec::new(),
            encryption_tags: Vec::new(),
            signature_tags: Vec::new(),
            credential_summaries: Vec::new(),
        };
        tree.rehash_all(cs)?;
        tree.encryption_tags = alloc::vec![0; width as usize];
        tree.signature_tags = alloc::vec![0; n_leaves as usize];
        tree.credential_summaries = alloc::vec![None; n_leaves as usize];
        for i in 0..width {
            tree.retag(i);
        }
        Ok(tree)
    }

    /// Whether nodes `lo..=hi` are all blank (read from the key tags; nodes
    /// beyond the tree count as blank).
    fn range_is_blank(&self, lo: u32, hi: u32) -> bool {
        let end = (hi as usize).min(self.encryption_tags.len().saturating_sub(1));
        self.encryption_tags
            .get(lo as usize..=end)
            .is_none_or(|tags| tags.iter().all(|t| *t == 0))
    }

    /// Recomputes the key tags of node `index`.
    fn retag(&mut self, index: u32) {
        let node = self.nodes.get(index as usize).and_then(|n| n.as_deref());
        let enc = node.map_or(0, |n| key_tag(node_encryption_key(n)));
        let sig = match node {
            Some(Node::Leaf(l)) => key_tag(l.signature_key.as_slice()),
            _ => 0,
        };
        if let Some(t) = self.encryption_tags.get_mut(index as usize) {
            *t = enc;
        }
        if math::is_leaf(index)
            && let Some(t) = self.signature_tags.get_mut((index / 2) as usize)
        {
            *t = sig;
        }
        if math::is_leaf(index) {
            let summary = match node {
                Some(Node::Leaf(l)) => Some(CredentialSummary::of(l)),
                _ => None,
            };
            if let Some(c) = self.credential_summaries.get_mut((index / 2) as usize) {
                *c = summary;
            }
        }
    }

    /// The credential summary of `leaf` (`None`: blank or outside).
    pub fn credential_summary(&self, leaf: LeafIndex) -> Option<CredentialSummary> {
        self.credential_summaries
            .get(leaf.0 as usize)
            .copied()
            .flatten()
    }

    /// The nodes whose HPKE public key is `key`, in index order.
    pub fn nodes_with_encryption_key<'a>(
        &'a self,
        key: &'a [u8],
    ) -> impl Iterator<Item = u32> + 'a {
        let tag = key_tag(key);
        (0u32..)
            .zip(&self.encryption_tags)
            .filter(move |(_, t)| **t == tag)
            .map(|(i, _)| i)
            .filter(move |&i| self.node(i).map(node_encryption_key) == Some(key))
    }

    /// The nodes whose HPKE public key is one of `keys`, in index order
    /// (one pass over the key tags, whatever the number of keys).
    pub fn nodes_with_any_encryption_key(&self, keys: &[&[u8]]) -> Vec<u32> {
        let mut tags: Vec<u64> = keys.iter().map(|k| key_tag(k)).collect();
        tags.sort_unstable();
        (0u32..)
            .zip(&self.encryption_tags)
            .filter(|(_, t)| **t != 0 && tags.binary_search(t).is_ok())
            .map(|(i, _)| i)
            .filter(|&i| {
                self.node(i)
                    .is_some_and(|n| keys.contains(&node_encryption_key(n)))
            })
            .collect()
    }

    /// The leaves whose signature key is `key`, in index order.
    pub fn leaves_with_signature_key<'a>(
        &'a self,
        key: &'a [u8],
    ) -> impl Iterator<Item = LeafIndex> + 'a {
        let tag = key_tag(key);
        (0u32..)
            .zip(&self.signature_tags)
            .filter(move |(_, t)| **t == tag)
            .map(|(l, _)| LeafIndex(l))
            .filter(move |&l| self.leaf(l).map(|n| n.signature_key.as_slice()) == Some(key))
    }

    /// Computes every tree hash bottom-up, one level at a time, into the
    /// flat hash array.
    fn rehash_all<C: Crypto + ?Sized>(&mut self, cs: &SuiteCrypto<'_, C>) -> Result<(), Error> {
        let width = self.width();
        self.hashes = alloc::vec![0u8; (width as usize).saturating_mul(self.hash_len)];
        let top = math::level(self.root());
        for level in 0..=top {
            let step = 1u32 << (level + 1);
            let mut i = (1u32 << level) - 1;
            while i < width {
                let children = match (math::left(i), math::right(i)) {
                    (Some(l), Some(r)) => Some((
                        self.known_hash(l).unwrap_or_default(),
                        self.known_hash(r).unwrap_or_default(),
                    )),
                    _ => None,
                };
                let h = node_hash(cs, i, self.node(i), children)?;
                self.set_hash(i, &h);
                i = i.saturating_add(step);
            }
        }
        Ok(())
    }

    /// Stores the tree hash of node `index` (ignored outside the tree or
    /// when `hash` has another length).
    fn set_hash(&mut self, index: u32, hash: &[u8]) {
        let start = (index as usize).saturating_mul(self.hash_len);
        if let Some(slot) = self
            .hashes
            .get_mut(start..start.saturating_add(self.hash_len))
            .filter(|s| s.len() == hash.len())
        {
            slot.copy_from_slice(hash);
        }
    }

    /// The root tree hash (RFC 9420 section 7.8).
    pub fn tree_hash(&self) -> &[u8] {
        self.known_hash(self.root()).unwrap_or_default()
    }

    /// The nodes in `ratchet_tree` extension form: trailing blanks removed.
    pub fn to_nodes(&self) -> Vec<Option<Node>> {
        let end = self
            .nodes
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        self.nodes
            .iter()
            .take(end)
            .map(|n| n.as_deref().cloned())
            .collect()
    }

    /// The `ratchet_tree` extension content.
    pub fn to_extension(&self) -> crate::messages::RatchetTreeExtension {
        crate::messages::RatchetTreeExtension(VarVec(self.to_nodes()))
    }

    /// The encoded `ratchet_tree` extension content (the encoding of
    /// [`RatchetTree::to_extension`], written without copying the nodes).
    pub fn encode_extension(&self) -> Result<Vec<u8>, Error> {
        let end = self
            .nodes
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        crate::messages::encode_nodes(self.nodes.iter().take(end).map(|n| n.as_deref()))
    }

    /// A diff over this tree to stage changes.
    pub fn diff(&self) -> TreeDiff<'_> {
        TreeDiff {
            base: self,
            n_leaves: self.n_leaves,
            nodes: BTreeMap::new(),
            dirty: BTreeSet::new(),
            hashes: BTreeMap::new(),
            grown: None,
            blank_hint: 0,
        }
    }

    /// Applies staged changes (from [`TreeDiff::into_changes`]).
    pub fn merge(&mut self, changes: TreeChanges) {
        let width = math::node_width(changes.n_leaves).unwrap_or(0) as usize;
        self.nodes.resize(width, None);
        self.hashes.resize(width.saturating_mul(self.hash_len), 0);
        self.encryption_tags.resize(width, 0);
        self.signature_tags.resize(changes.n_leaves as usize, 0);
        self.credential_summaries
            .resize(changes.n_leaves as usize, None);
        self.n_leaves = changes.n_leaves;
        for (i, node) in changes.nodes {
            if let Some(slot) = self.nodes.get_mut(i as usize) {
                *slot = node.map(Box::new);
            }
            self.retag(i);
        }
        for (i, h) in changes.hashes {
            self.set_hash(i, &h);
        }
    }
}

/// Staged changes to a [`RatchetTree`], detached from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeChanges {
    n_leaves: u32,
    nodes: BTreeMap<u32, Option<Node>>,
    hashes: BTreeMap<u32, Vec<u8>>,
}

impl TreeChanges {
    /// The number of leaves of the changed tree.
    pub fn n_leaves(&self) -> u32 {
        self.n_leaves
    }

    /// The leaves whose node the changes set (added, replaced or blanked;
    /// not those cut off by truncation), ascending.
    pub fn changed_leaves(&self) -> impl Iterator<Item = LeafIndex> + '_ {
        self.nodes
            .keys()
            .filter(|i| math::is_leaf(**i))
            .map(|i| LeafIndex(i / 2))
    }
}

/// A copy-on-write overlay over a [`RatchetTree`]: changed nodes and
/// recomputed hashes only. Reading falls through to the base tree.
#[derive(Debug, Clone)]
pub struct TreeDiff<'a> {
    base: &'a RatchetTree,
    n_leaves: u32,
    nodes: BTreeMap<u32, Option<Node>>,
    dirty: BTreeSet<u32>,
    hashes: BTreeMap<u32, Vec<u8>>,
    /// Nodes `start..end` added by extending the tree, whose hashes are yet
    /// to be computed (kept as a range rather than in `dirty`: doubling a
    /// tree of N leaves adds 2N nodes).
    grown: Option<(u32, u32)>,
    /// Every leaf below this index is known to be occupied, so the search
    /// for the leftmost blank leaf starts here: k adds in one diff cost
    /// O(N + k) leaf checks, not O(N * k).
    blank_hint: u32,
}

impl TreeView for TreeDiff<'_> {
    fn n_leaves(&self) -> u32 {
        self.n_leaves
    }

    fn node(&self, index: u32) -> Option<&Node> {
        if !math::in_tree(index, self.n_leaves) {
            return None;
        }
        match self.nodes.get(&index) {
            Some(n) => n.as_ref(),
            None => self.base.node(index),
        }
    }

    fn known_hash(&self, index: u32) -> Option<&[u8]> {
        if self.dirty.contains(&index) || !math::in_tree(index, self.n_leaves) {
            return None;
        }
        if matches!(self.grown, Some((start, end)) if (start..end).contains(&index)) {
            return None;
        }
        match self.hashes.get(&index) {
            Some(h) => Some(h),
            None => self.base.known_hash(index),
        }
    }

    fn subtree_is_blank(&self, index: u32) -> Option<bool> {
        let (lo, hi) = subtree_range(index);
        let mut changed = self.nodes.range(lo..=hi);
        match changed.next() {
            // Unchanged here: the base tree knows (nodes beyond its width
            // are blank).
            None => Some(self.base.range_is_blank(lo, hi)),
            Some(_) if self.nodes.range(lo..=hi).any(|(_, n)| n.is_some()) => Some(false),
            // Only blankings here: unknown without visiting.
            Some(_) => None,
        }
    }
}

impl<'a> TreeDiff<'a> {
    /// The base tree.
    pub fn base(&self) -> &'a RatchetTree {
        self.base
    }

    /// Sets node `index`, invalidating the hashes on its path to the root.
    pub fn set_node(&mut self, index: u32, node: Option<Node>) -> Result<(), Error> {
        if !math::in_tree(index, self.n_leaves) {
            return Err(MisuseError::NodeOutsideTree.into());
        }
        if node.is_none() && math::is_leaf(index) {
            self.blank_hint = self.blank_hint.min(index / 2);
        }
        self.nodes.insert(index, node);
        self.dirty.insert(index);
        self.dirty.extend(math::direct_path(index, self.n_leaves));
        Ok(())
    }

    /// Blanks the direct path of `leaf` (not the leaf itself).
    pub fn blank_direct_path(&mut self, leaf: LeafIndex) -> Result<(), Error> {
        let node = leaf
            .node_index()
            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
        for p in math::direct_path(node, self.n_leaves) {
            if self.node(p).is_some() {
                self.set_node(p, None)?;
            }
        }
        Ok(())
    }

    /// Doubles the tree: the old tree becomes the left subtree of a new blank
    /// root, with an all-blank right subtree (RFC 9420 section 7.7).
    fn extend(&mut self) -> Result<(), Error> {
        let old_width = self.width();
        let n = self
            .n_leaves
            .checked_mul(2)
            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
        let new_width =
            math::node_width(n).ok_or(crate::Error::Internal("a node index outside the tree"))?;
        self.n_leaves = n;
        for i in old_width..new_width {
            // The new nodes are blank. Nodes the diff had beyond the old
            // width were removed by truncation; the base tree's nodes there
            // (if this diff truncated it) must read as blank.
            if self.base.node(i).is_some() {
                self.nodes.insert(i, None);
            }
        }
        let start = self.grown.map_or(old_width, |(s, _)| s.min(old_width));
        self.grown = Some((start, new_width));
        Ok(())
    }

    /// Halves the tree while its right half is blank (RFC 9420 section 7.7).
    fn truncate(&mut self) {
        while self.n_leaves > 1 {
            let half = self.n_leaves / 2;
            let right_blank = (half..self.n_leaves).all(|l| self.leaf(LeafIndex(l)).is_none());
            if !right_blank {
                break;
            }
            self.n_leaves = half;
            let width = self.width();
            self.nodes.retain(|i, _| *i < width);
            self.hashes.retain(|i, _| *i < width);
            self.dirty.retain(|i| *i < width);
            self.grown = self
                .grown
                .and_then(|(s, e)| (s < width).then_some((s, e.min(width))));
        }
    }

    /// The leftmost blank leaf at or after the hint: the base tree's blank
    /// leaves are found in its signature-key tags (no visit of occupied
    /// leaves), the leaves this diff blanked in its own map.
    fn leftmost_blank_leaf(&self) -> Option<LeafIndex> {
        let mut from = self.blank_hint;
        while from < self.n_leaves {
            let in_base = self
                .base
                .signature_tags
                .get(from as usize..)
                .and_then(|tags| tags.iter().position(|t| *t == 0))
                .map_or(self.base.n_leaves.max(from), |p| {
                    from.saturating_add(u32::try_from(p).unwrap_or(u32::MAX))
                });
            let blanked_here = self
                .nodes
                .range(from.saturating_mul(2)..)
                .find(|(i, n)| math::is_leaf(**i) && n.is_none())
                .map_or(u32::MAX, |(i, _)| i / 2);
            let candidate = in_base.min(blanked_here);
            if candidate >= self.n_leaves {
                return None;
            }
            if self.leaf(LeafIndex(candidate)).is_none() {
                return Some(LeafIndex(candidate));
            }
            // Blank in the base but filled by this diff.
            from = candidate.saturating_add(1);
        }
        None
    }

    /// Adds `leaf` at the leftmost blank leaf, extending the tree if there is
    /// none, and records it as unmerged at every non-blank parent on its
    /// direct path (RFC 9420 section 12.1.1). Returns its index.
    pub fn add_leaf(&mut self, leaf: LeafNode) -> Result<LeafIndex, Error> {
        let index = match self.leftmost_blank_leaf() {
            Some(i) => i,
            None => {
                let i = LeafIndex(self.n_leaves);
                self.extend()?;
                i
            }
        };
        let node = index
            .node_index()
            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
        self.set_node(node, Some(Node::Leaf(leaf)))?;
        self.blank_hint = index.0.saturating_add(1);
        for p in math::direct_path(node, self.n_leaves) {
            if let Some(Node::Parent(parent)) = self.node(p) {
                let mut parent = parent.clone();
                let pos = parent.unmerged_leaves.0.partition_point(|&u| u < index.0);
                parent.unmerged_leaves.0.insert(pos, index.0);
                self.set_node(p, Some(Node::Parent(parent)))?;
            }
        }
        Ok(index)
    }

    /// Replaces the leaf of `leaf` and blanks its direct path (RFC 9420
    /// section 12.1.2).
    pub fn update_leaf(&mut self, leaf: LeafIndex, node: LeafNode) -> Result<(), Error> {
        if self.leaf(leaf).is_none() {
            return Err(ValidationError::BlankLeaf { leaf: leaf.0 }.into());
        }
        let index = leaf
            .node_index()
            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
        self.set_node(index, Some(Node::Leaf(node)))?;
        self.blank_direct_path(leaf)
    }

    /// Blanks `leaf` and its direct path, then truncates trailing blank
    /// halves (RFC 9420 section 12.1.3).
    pub fn remove_leaf(&mut self, leaf: LeafIndex) -> Result<(), Error> {
        if self.leaf(leaf).is_none() {
            return Err(ValidationError::BlankLeaf { leaf: leaf.0 }.into());
        }
        let index = leaf
            .node_index()
            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
        self.set_node(index, None)?;
        self.blank_direct_path(leaf)?;
        self.truncate();
        Ok(())
    }

    /// Recomputes the hashes of every changed subtree, bottom-up.
    pub fn rehash<C: Crypto + ?Sized>(&mut self, cs: &SuiteCrypto<'_, C>) -> Result<(), Error> {
        let grown = self.grown.take().unwrap_or((0, 0));
        let (start, end) = grown;
        let mut order: Vec<u32> = core::mem::take(&mut self.dirty).into_iter().collect();
        order.extend(start..end);
        order.sort_unstable_by_key(|i| (math::level(*i), *i));
        order.dedup();
        // Hashes of the grown range go to a dense scratch and into the map
        // in one bulk append at the end.
        let mut scratch: Vec<Vec<u8>> = alloc::vec![Vec::new(); end.saturating_sub(start) as usize];
        for i in order {
            if !math::in_tree(i, self.n_leaves) {
                continue;
            }
            let h = {
                let hash_of = |c: u32| -> Result<&[u8], Error> {
                    if (start..end).contains(&c) {
                        scratch
                            .get(c.saturating_sub(start) as usize)
                            .map(Vec::as_slice)
                            .filter(|h| !h.is_empty())
                            .ok_or(crate::Error::Internal("a node index outside the tree"))
                    } else {
                        self.known_hash(c)
                            .ok_or(crate::Error::Internal("a node index outside the tree"))
                    }
                };
                let children = match (math::left(i), math::right(i)) {
                    (Some(l), Some(r)) => Some((hash_of(l)?, hash_of(r)?)),
                    _ => None,
                };
                node_hash(cs, i, self.node(i), children)?
            };
            if (start..end).contains(&i) {
                if let Some(slot) = scratch.get_mut(i.saturating_sub(start) as usize) {
                    *slot = h;
                }
            } else {
                self.hashes.insert(i, h);
            }
        }
        let mut grown_hashes: BTreeMap<u32, Vec<u8>> = (start..)
            .zip(scratch)
            .filter(|(i, h)| !h.is_empty() && math::in_tree(*i, self.n_leaves))
            .collect();
        self.hashes.append(&mut grown_hashes);
        Ok(())
    }

    /// The root tree hash of the staged tree.
    pub fn tree_hash<C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
    ) -> Result<Vec<u8>, Error> {
        self.rehash(cs)?;
        Ok(self
            .known_hash(self.root())
            .ok_or(crate::Error::Internal("a node index outside the tree"))?
            .to_vec())
    }

    /// The encoded `ratchet_tree` extension content of the staged tree
    /// (trailing blanks removed), written without copying the nodes.
    pub fn encode_extension(&self) -> Result<Vec<u8>, Error> {
        let end = (0..self.width())
            .rev()
            .find(|&i| self.node(i).is_some())
            .map_or(0, |i| i.saturating_add(1));
        crate::messages::encode_nodes((0..end).map(|i| self.node(i)))
    }

    /// Detaches the staged changes, hashes up to date, for
    /// [`RatchetTree::merge`].
    pub fn into_changes<C: Crypto + ?Sized>(
        mut self,
        cs: &SuiteCrypto<'_, C>,
    ) -> Result<TreeChanges, Error> {
        self.rehash(cs)?;
        Ok(TreeChanges {
            n_leaves: self.n_leaves,
            nodes: self.nodes,
            hashes: self.hashes,
        })
    }
}
