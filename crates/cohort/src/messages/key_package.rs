//! Key packages (RFC 9420 section 10).

use super::{Extensions, HpkePublicKey, LeafNode, ProtocolVersion};
use crate::Error;
use crate::codec::{VarBytes, append};
use alloc::vec::Vec;
use cohort_traits::Ciphersuite;
use tls_codec::{Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize};

/// `KeyPackage` (RFC 9420 section 10).
///
/// As received, a key package is unvalidated (section 10.1). Strict decoding
/// makes the encoding canonical, so [`KeyPackage::to_be_signed`] and the
/// KeyPackageRef (RFC 9420 section 5.2, over the encoded key package) are
/// re-derived exactly from a decoded value.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct KeyPackage {
    /// The protocol version.
    pub version: ProtocolVersion,
    /// The cipher suite.
    pub cipher_suite: Ciphersuite,
    /// The HPKE public key that Welcome secrets are encrypted to.
    pub init_key: HpkePublicKey,
    /// The leaf node the client will occupy.
    pub leaf_node: LeafNode,
    /// Key package extensions.
    pub extensions: Extensions,
    /// `SignWithLabel(., "KeyPackageTBS", KeyPackageTBS)`.
    pub signature: VarBytes,
}

impl KeyPackage {
    /// The encoded `KeyPackageTBS` (RFC 9420 section 10): every field but
    /// the signature.
    pub fn to_be_signed(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.version)?;
        append(&mut out, &self.cipher_suite)?;
        append(&mut out, &self.init_key)?;
        append(&mut out, &self.leaf_node)?;
        append(&mut out, &self.extensions)?;
        Ok(out)
    }
}
