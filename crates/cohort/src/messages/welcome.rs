//! Joining a group: GroupInfo and Welcome (RFC 9420 section 12.4.3).

use super::{Extensions, GroupContext, HpkeCiphertext, KeyPackageRef, Mac, PreSharedKeyId};
use crate::Error;
use crate::codec::{SecretVarBytes, VarBytes, VarVec, append};
use crate::tree::math::LeafIndex;
use alloc::vec::Vec;
use cohort_traits::Ciphersuite;
use tls_codec::{Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize};

/// `GroupInfo` (RFC 9420 section 12.4.3).
///
/// Strict decoding makes the encoding canonical, so the GroupInfoTBS of a
/// received GroupInfo is re-derived exactly by [`GroupInfo::to_be_signed`].
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct GroupInfo {
    /// The group's current context.
    pub group_context: GroupContext,
    /// GroupInfo extensions (for example `ratchet_tree`, `external_pub`).
    pub extensions: Extensions,
    /// The confirmation tag of the epoch.
    pub confirmation_tag: Mac,
    /// The leaf index of the signer.
    pub signer: u32,
    /// `SignWithLabel(., "GroupInfoTBS", GroupInfoTBS)`.
    pub signature: VarBytes,
}

impl GroupInfo {
    /// The signer's leaf.
    pub fn signer_leaf(&self) -> LeafIndex {
        LeafIndex(self.signer)
    }

    /// The encoded `GroupInfoTBS` (RFC 9420 section 12.4.3): every field but
    /// the signature.
    pub fn to_be_signed(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.group_context)?;
        append(&mut out, &self.extensions)?;
        append(&mut out, &self.confirmation_tag)?;
        append(&mut out, &self.signer)?;
        Ok(out)
    }
}

/// `PathSecret { opaque path_secret<V>; }` (RFC 9420 section 12.4.3.1).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct PathSecret {
    /// The path secret (zeroized on drop).
    pub path_secret: SecretVarBytes,
}

/// `GroupSecrets` (RFC 9420 section 12.4.3.1): the plaintext of an
/// `EncryptedGroupSecrets`. Secrets are zeroized on drop.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct GroupSecrets {
    /// The joiner secret of the new epoch.
    pub joiner_secret: SecretVarBytes,
    /// The path secret of the lowest common ancestor of committer and joiner.
    pub path_secret: Option<PathSecret>,
    /// The PSKs of the epoch, in the order of the commit.
    pub psks: VarVec<PreSharedKeyId>,
}

/// `EncryptedGroupSecrets` (RFC 9420 section 12.4.3.1).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct EncryptedGroupSecrets {
    /// The KeyPackageRef of the new member's key package.
    pub new_member: KeyPackageRef,
    /// `EncryptWithLabel(init_key, "Welcome", encrypted_group_info,
    /// GroupSecrets)`.
    pub encrypted_group_secrets: HpkeCiphertext,
}

/// `Welcome` (RFC 9420 section 12.4.3.1).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct Welcome {
    /// The group's cipher suite.
    pub cipher_suite: Ciphersuite,
    /// The group secrets, encrypted to each new member.
    pub secrets: VarVec<EncryptedGroupSecrets>,
    /// The GroupInfo, encrypted with the welcome key and nonce.
    pub encrypted_group_info: VarBytes,
}

impl Welcome {
    /// The entry for the key package with reference `key_package_ref`.
    pub fn secrets_for(&self, key_package_ref: &[u8]) -> Option<&EncryptedGroupSecrets> {
        self.secrets
            .0
            .iter()
            .find(|s| s.new_member.as_slice() == key_package_ref)
    }
}
