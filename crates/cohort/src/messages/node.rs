//! Tree nodes as sent on the wire (RFC 9420 sections 7.1, 7.6 and 12.4.3.3).

use super::{HpkeCiphertext, HpkePublicKey, LeafNode};
use crate::codec::{VarBytes, VarVec, append, closed_u8};
use crate::tree::math::LeafIndex;
use alloc::vec::Vec;
use tls_codec::{
    DeserializeBytes, SerializeBytes, Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize,
};

/// `ParentNode` (RFC 9420 section 7.1).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ParentNode {
    /// The node's HPKE public key.
    pub encryption_key: HpkePublicKey,
    /// The hash of the node's parent (RFC 9420 section 7.9).
    pub parent_hash: VarBytes,
    /// `uint32 unmerged_leaves<V>`: leaf indices, which the RFC requires in
    /// increasing order (checked by tree validation, not by decoding).
    pub unmerged_leaves: VarVec<u32>,
}

impl ParentNode {
    /// The unmerged leaves as leaf indices.
    pub fn unmerged(&self) -> impl Iterator<Item = LeafIndex> + '_ {
        self.unmerged_leaves.0.iter().copied().map(LeafIndex)
    }
}

closed_u8!(
    /// `NodeType` (RFC 9420 section 7.8).
    NodeType / InvalidNodeType {
        /// `leaf(1)`
        Leaf = 1,
        /// `parent(2)`
        Parent = 2,
    }
);

/// `Node`: a leaf or a parent (RFC 9420 section 12.4.3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// `leaf(1)`
    Leaf(LeafNode),
    /// `parent(2)`
    Parent(ParentNode),
}

impl Node {
    /// The node type.
    pub fn node_type(&self) -> NodeType {
        match self {
            Node::Leaf(_) => NodeType::Leaf,
            Node::Parent(_) => NodeType::Parent,
        }
    }
}

impl Size for Node {
    fn tls_serialized_len(&self) -> usize {
        let body = match self {
            Node::Leaf(n) => n.tls_serialized_len(),
            Node::Parent(n) => n.tls_serialized_len(),
        };
        body.saturating_add(1)
    }
}

impl SerializeBytes for Node {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.node_type())?;
        match self {
            Node::Leaf(n) => append(&mut out, n)?,
            Node::Parent(n) => append(&mut out, n)?,
        }
        Ok(out)
    }
}

impl DeserializeBytes for Node {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (node_type, rest) = NodeType::tls_deserialize_bytes(bytes)?;
        match node_type {
            NodeType::Leaf => {
                let (n, rest) = LeafNode::tls_deserialize_bytes(rest)?;
                Ok((Node::Leaf(n), rest))
            }
            NodeType::Parent => {
                let (n, rest) = ParentNode::tls_deserialize_bytes(rest)?;
                Ok((Node::Parent(n), rest))
            }
        }
    }
}

/// `UpdatePathNode` (RFC 9420 section 7.6).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct UpdatePathNode {
    /// The new public key of the path node.
    pub encryption_key: HpkePublicKey,
    /// The path secret encrypted to each node of the copath node's
    /// resolution, in order.
    pub encrypted_path_secret: VarVec<HpkeCiphertext>,
}

/// `UpdatePath` (RFC 9420 section 7.6).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct UpdatePath {
    /// The committer's new leaf node.
    pub leaf_node: LeafNode,
    /// One node per entry of the committer's filtered direct path.
    pub nodes: VarVec<UpdatePathNode>,
}
