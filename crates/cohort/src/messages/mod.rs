//! The wire structures of RFC 9420 sections 5.3, 7, 8.1, 8.4, 10 and 12,
//! with their codecs.
//!
//! Every type implements `tls_codec`'s [`Size`](tls_codec::Size),
//! [`SerializeBytes`](tls_codec::SerializeBytes) and
//! [`DeserializeBytes`](tls_codec::DeserializeBytes); decode a whole message
//! with [`codec::decode_exact`](crate::codec::decode_exact) and encode with
//! [`codec::encode`](crate::codec::encode).
//!
//! Decoding is strict (minimal vector headers, presence bytes 0 or 1, known
//! values of closed enums, no trailing bytes), so a decoded value re-encodes
//! to exactly the bytes it came from: signatures and hashes over received
//! structures (LeafNodeTBS, KeyPackageTBS, GroupInfoTBS, references) can be
//! recomputed from the decoded value. Decoding is total: any input gives a
//! value or an error, and no allocation exceeds the input's size.
//!
//! Open registries of RFC 9420 section 17 ([`ExtensionType`],
//! [`ProposalType`], [`CredentialType`], [`ProtocolVersion`]) are `u16`
//! newtypes: unknown values round-trip. Structures that `select` on such a
//! value ([`Credential`], [`Proposal`]) cannot be parsed for an unknown value
//! (the RFC gives no length) and fail with a named
//! [`DecodeError`](crate::DecodeError).

pub mod app;
mod credential;
mod encode_into;
mod extension;
mod key_package;
mod leaf_node;
mod node;
mod proposal;
mod psk;
mod welcome;

pub use app::{
    AppDataChange, AppDataDictionary, AppDataUpdate, AppEphemeral, ComponentId, SelfRemove,
};
pub use credential::{Certificate, Credential, CredentialBinding};
pub(crate) use encode_into::{EncodeInto, encode_nodes};
pub use extension::{
    ApplicationId, Extension, ExtensionContent, Extensions, ExternalPub, ExternalSender,
    ExternalSenders, RatchetTreeExtension, RequiredCapabilities,
};
pub use key_package::KeyPackage;
pub use leaf_node::{Capabilities, LeafNode, LeafNodeSource, Lifetime};
pub use node::{Node, NodeType, ParentNode, UpdatePath, UpdatePathNode};
pub use proposal::{
    Add, Commit, CustomProposal, ExternalInit, GroupContextExtensions, PreSharedKey, Proposal,
    ProposalOrRef, ProposalOrRefType, ReInit, Remove, Update,
};
pub use psk::{PreSharedKeyId, Psk, PskLabel, PskType, ResumptionPskUsage};
pub use welcome::{EncryptedGroupSecrets, GroupInfo, GroupSecrets, PathSecret, Welcome};

use crate::codec::{VarBytes, open_u16};
pub use crate::crypto::HpkeCiphertext;
use alloc::vec::Vec;
use cohort_traits::Ciphersuite;
use tls_codec::{TlsDeserializeBytes, TlsSerializeBytes, TlsSize};

/// `opaque HPKEPublicKey<V>` (RFC 9420 section 5.1.1).
pub type HpkePublicKey = VarBytes;
/// `opaque SignaturePublicKey<V>` (RFC 9420 section 5.1.1).
pub type SignaturePublicKey = VarBytes;
/// `opaque MAC<V>` (RFC 9420 section 6.1).
pub type Mac = VarBytes;
/// `opaque HashReference<V>` (RFC 9420 section 5.2).
pub type HashReference = VarBytes;
/// `HashReference KeyPackageRef` (RFC 9420 section 5.2).
pub type KeyPackageRef = VarBytes;
/// `HashReference ProposalRef` (RFC 9420 section 5.2).
pub type ProposalRef = VarBytes;

open_u16!(
    /// `ProtocolVersion` (RFC 9420 section 6).
    ProtocolVersion {
        /// `mls10(1)`
        MLS10 = 0x0001 => "mls10",
    }
);

open_u16!(
    /// `ExtensionType` (RFC 9420 sections 7.2, 17.3).
    ExtensionType {
        /// `application_id(1)`
        APPLICATION_ID = 0x0001 => "application_id",
        /// `ratchet_tree(2)`
        RATCHET_TREE = 0x0002 => "ratchet_tree",
        /// `required_capabilities(3)`
        REQUIRED_CAPABILITIES = 0x0003 => "required_capabilities",
        /// `external_pub(4)`
        EXTERNAL_PUB = 0x0004 => "external_pub",
        /// `external_senders(5)`
        EXTERNAL_SENDERS = 0x0005 => "external_senders",
    }
);

impl ExtensionType {
    /// Whether this is one of the "default" extension types that
    /// capabilities MUST NOT list (RFC 9420 section 7.2).
    pub fn is_default(self) -> bool {
        (1..=5).contains(&self.0)
    }
}

open_u16!(
    /// `ProposalType` (RFC 9420 sections 12.1, 17.4).
    ProposalType {
        /// `add(1)`
        ADD = 0x0001 => "add",
        /// `update(2)`
        UPDATE = 0x0002 => "update",
        /// `remove(3)`
        REMOVE = 0x0003 => "remove",
        /// `psk(4)`
        PSK = 0x0004 => "psk",
        /// `reinit(5)`
        REINIT = 0x0005 => "reinit",
        /// `external_init(6)`
        EXTERNAL_INIT = 0x0006 => "external_init",
        /// `group_context_extensions(7)`
        GROUP_CONTEXT_EXTENSIONS = 0x0007 => "group_context_extensions",
    }
);

impl ProposalType {
    /// Whether this is one of the "default" proposal types that
    /// capabilities MUST NOT list (RFC 9420 section 7.2).
    pub fn is_default(self) -> bool {
        (1..=7).contains(&self.0)
    }

    /// Whether a Commit covering a proposal of this type must carry a path
    /// (the "Path Required" column of RFC 9420 section 17.4); `None` for
    /// types this implementation does not know.
    pub fn path_required(self) -> Option<bool> {
        match self.0 {
            // 8 and 9: the extensions draft's app_data_update and
            // app_ephemeral; 10 its self_remove.
            1 | 4 | 5 | 8 | 9 => Some(false),
            2 | 3 | 6 | 7 | 10 => Some(true),
            _ => None,
        }
    }

    /// Whether an `external` sender may send a proposal of this type (the
    /// "Ext" column of RFC 9420 section 17.4); `None` for unknown types.
    pub fn external_sender_allowed(self) -> Option<bool> {
        match self.0 {
            1 | 3 | 4 | 5 | 7 | 8 | 9 => Some(true),
            2 | 6 | 10 => Some(false),
            _ => None,
        }
    }
}

open_u16!(
    /// `CredentialType` (RFC 9420 sections 5.3, 17.5).
    CredentialType {
        /// `basic(1)`
        BASIC = 0x0001 => "basic",
        /// `x509(2)`
        X509 = 0x0002 => "x509",
        /// `multi(3)` (extensions draft, provisional)
        MULTI = 0x0003 => "multi",
        /// `weak-multi(4)` (extensions draft, provisional)
        WEAK_MULTI = 0x0004 => "weak-multi",
    }
);

/// Whether `value` is one of the GREASE values `0x0A0A`, `0x1A1A`, ...,
/// `0xEAEA` reserved in the registries of RFC 9420 section 13.5.
pub fn is_grease(value: u16) -> bool {
    let [hi, lo] = value.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a && hi != 0xfa
}

/// `GroupContext` (RFC 9420 section 8.1).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct GroupContext {
    /// The protocol version (mls10).
    pub version: ProtocolVersion,
    /// The group's cipher suite.
    pub cipher_suite: Ciphersuite,
    /// The application-defined group identifier.
    pub group_id: VarBytes,
    /// The epoch.
    pub epoch: u64,
    /// The tree hash of the ratchet tree (RFC 9420 section 7.8).
    pub tree_hash: VarBytes,
    /// The confirmed transcript hash (RFC 9420 section 8.2).
    pub confirmed_transcript_hash: VarBytes,
    /// The group context extensions.
    pub extensions: Extensions,
}

#[cfg(test)]
pub(crate) mod tests;
