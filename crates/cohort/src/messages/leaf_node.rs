//! Leaf nodes (RFC 9420 section 7.2).

use super::{
    Credential, CredentialType, ExtensionType, Extensions, HpkePublicKey, ProposalType,
    ProtocolVersion, SignaturePublicKey,
};
use crate::codec::{VarBytes, VarVec, append, to_codec_error, write_opaque};
use crate::tree::math::LeafIndex;
use crate::{DecodeError, Error, MisuseError};
use alloc::vec::Vec;
use cohort_traits::Ciphersuite;
use tls_codec::{
    DeserializeBytes, SerializeBytes, Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize,
};

/// `Capabilities` (RFC 9420 section 7.2): what a client supports. Unknown
/// values are kept (and must be ignored by the receiver).
#[derive(Clone, Debug, Default, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct Capabilities {
    /// Supported protocol versions.
    pub versions: VarVec<ProtocolVersion>,
    /// Supported cipher suites.
    pub cipher_suites: VarVec<Ciphersuite>,
    /// Supported non-default extension types.
    pub extensions: VarVec<ExtensionType>,
    /// Supported non-default proposal types.
    pub proposals: VarVec<ProposalType>,
    /// Supported credential types.
    pub credentials: VarVec<CredentialType>,
}

/// `Lifetime { uint64 not_before; uint64 not_after; }`, in seconds since the
/// Unix epoch (RFC 9420 section 7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct Lifetime {
    /// First valid second.
    pub not_before: u64,
    /// Last valid second.
    pub not_after: u64,
}

/// `LeafNodeSource` with the fields that `select` on it (RFC 9420 section
/// 7.2): how the leaf node came to be in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeafNodeSource {
    /// `key_package(1)`: from a KeyPackage, with its lifetime.
    KeyPackage(Lifetime),
    /// `update(2)`: from an Update proposal.
    Update,
    /// `commit(3)`: from a Commit's UpdatePath, with the leaf's parent hash.
    Commit(VarBytes),
}

impl LeafNodeSource {
    /// The wire value of the source: 1, 2 or 3.
    pub fn value(&self) -> u8 {
        match self {
            LeafNodeSource::KeyPackage(_) => 1,
            LeafNodeSource::Update => 2,
            LeafNodeSource::Commit(_) => 3,
        }
    }
}

impl Size for LeafNodeSource {
    fn tls_serialized_len(&self) -> usize {
        let body = match self {
            LeafNodeSource::KeyPackage(l) => l.tls_serialized_len(),
            LeafNodeSource::Update => 0,
            LeafNodeSource::Commit(h) => h.tls_serialized_len(),
        };
        body.saturating_add(1)
    }
}

impl SerializeBytes for LeafNodeSource {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        out.push(self.value());
        match self {
            LeafNodeSource::KeyPackage(l) => append(&mut out, l)?,
            LeafNodeSource::Update => {}
            LeafNodeSource::Commit(h) => append(&mut out, h)?,
        }
        Ok(out)
    }
}

impl DeserializeBytes for LeafNodeSource {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (source, rest) = u8::tls_deserialize_bytes(bytes)?;
        match source {
            1 => {
                let (lifetime, rest) = Lifetime::tls_deserialize_bytes(rest)?;
                Ok((LeafNodeSource::KeyPackage(lifetime), rest))
            }
            2 => Ok((LeafNodeSource::Update, rest)),
            3 => {
                let (parent_hash, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                Ok((LeafNodeSource::Commit(parent_hash), rest))
            }
            other => Err(to_codec_error(DecodeError::InvalidLeafNodeSource(other))),
        }
    }
}

/// `LeafNode` (RFC 9420 section 7.2).
///
/// Strict decoding makes the encoding canonical, so the LeafNodeTBS of a
/// received leaf node is re-derived exactly by [`LeafNode::to_be_signed`].
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct LeafNode {
    /// The member's HPKE public key.
    pub encryption_key: HpkePublicKey,
    /// The member's signature public key.
    pub signature_key: SignaturePublicKey,
    /// The member's credential.
    pub credential: Credential,
    /// What the member supports.
    pub capabilities: Capabilities,
    /// How the leaf node was created, with the source's fields.
    pub leaf_node_source: LeafNodeSource,
    /// Leaf node extensions.
    pub extensions: Extensions,
    /// `SignWithLabel(., "LeafNodeTBS", LeafNodeTBS)`.
    pub signature: VarBytes,
}

impl LeafNode {
    /// The encoded `LeafNodeTBS` (RFC 9420 section 7.2): every field above
    /// the signature, then, for the `update` and `commit` sources, the
    /// `group_id<V>` and `uint32 leaf_index` given in `group`.
    ///
    /// `group` is ignored for the `key_package` source and required for the
    /// others ([`MisuseError::MissingTbsContext`] without it).
    pub fn to_be_signed(&self, group: Option<(&[u8], LeafIndex)>) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.encryption_key)?;
        append(&mut out, &self.signature_key)?;
        append(&mut out, &self.credential)?;
        append(&mut out, &self.capabilities)?;
        append(&mut out, &self.leaf_node_source)?;
        append(&mut out, &self.extensions)?;
        match self.leaf_node_source {
            LeafNodeSource::KeyPackage(_) => {}
            LeafNodeSource::Update | LeafNodeSource::Commit(_) => {
                let (group_id, leaf_index) = group.ok_or(MisuseError::MissingTbsContext)?;
                write_opaque(group_id, &mut out)?;
                out.extend_from_slice(&leaf_index.0.to_be_bytes());
            }
        }
        Ok(out)
    }
}
