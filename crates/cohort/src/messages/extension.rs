//! Extensions (RFC 9420 sections 7.2 and 13.4) and the contents of the
//! extensions RFC 9420 defines.

use super::Credential;
use super::{CredentialType, ExtensionType, HpkePublicKey, Node, ProposalType, SignaturePublicKey};
use crate::Error;
use crate::codec::{
    VarBytes, VarVec, decode_exact, deserialize_vector, serialize_vector, vector_len,
};
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use tls_codec::{
    DeserializeBytes, SerializeBytes, Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize,
};

/// `Extension { extension_type, opaque extension_data<V> }` (RFC 9420
/// section 7.2). The data of an extension of any type, known or not, is
/// kept as received.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct Extension {
    /// The type.
    pub extension_type: ExtensionType,
    /// The encoded content.
    pub extension_data: VarBytes,
}

impl Extension {
    /// An extension holding `content`, typed by its [`ExtensionContent`].
    pub fn new<T: ExtensionContent>(content: &T) -> Result<Self, Error> {
        Ok(Extension {
            extension_type: T::EXTENSION_TYPE,
            extension_data: VarBytes(content.tls_serialize_bytes()?),
        })
    }

    /// Decodes the data as `T`, whatever the extension's type; the data must
    /// be exactly one `T`.
    pub fn parse<T: ExtensionContent>(&self) -> Result<T, Error> {
        decode_exact(self.extension_data.as_slice())
    }
}

/// `Extension extensions<V>`: a list of extensions in the order received
/// (RFC 9420 section 7.2).
///
/// The RFC forbids two extensions of one type in a list (section 13.4);
/// decoding keeps duplicates so that signatures over the list can still be
/// checked, and [`Extensions::duplicate`] finds them for validation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extensions(pub Vec<Extension>);

impl Extensions {
    /// An empty list.
    pub fn new() -> Self {
        Extensions(Vec::new())
    }

    /// The extensions, in order.
    pub fn iter(&self) -> core::slice::Iter<'_, Extension> {
        self.0.iter()
    }

    /// The number of extensions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first extension of type `extension_type`.
    pub fn find(&self, extension_type: ExtensionType) -> Option<&Extension> {
        self.0.iter().find(|e| e.extension_type == extension_type)
    }

    /// Whether an extension of type `extension_type` is present.
    pub fn contains(&self, extension_type: ExtensionType) -> bool {
        self.find(extension_type).is_some()
    }

    /// The first extension type that appears more than once, if any
    /// (forbidden by RFC 9420 section 13.4).
    pub fn duplicate(&self) -> Option<ExtensionType> {
        let mut seen = BTreeSet::new();
        self.0
            .iter()
            .map(|e| e.extension_type)
            .find(|t| !seen.insert(*t))
    }

    /// The content of the first extension of `T`'s type, decoded; `None`
    /// when absent.
    pub fn get<T: ExtensionContent>(&self) -> Result<Option<T>, Error> {
        self.find(T::EXTENSION_TYPE)
            .map(Extension::parse)
            .transpose()
    }

    /// Appends an extension holding `content`.
    pub fn push<T: ExtensionContent>(&mut self, content: &T) -> Result<(), Error> {
        self.0.push(Extension::new(content)?);
        Ok(())
    }

    /// Appends an extension whose content is already encoded.
    pub fn push_encoded(&mut self, extension_type: ExtensionType, data: Vec<u8>) {
        self.0.push(Extension {
            extension_type,
            extension_data: VarBytes(data),
        });
    }
}

impl From<Vec<Extension>> for Extensions {
    fn from(v: Vec<Extension>) -> Self {
        Extensions(v)
    }
}

impl Size for Extensions {
    fn tls_serialized_len(&self) -> usize {
        vector_len(&self.0)
    }
}

impl SerializeBytes for Extensions {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        serialize_vector(&self.0)
    }
}

impl DeserializeBytes for Extensions {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (items, rest) = deserialize_vector(bytes)?;
        Ok((Extensions(items), rest))
    }
}

/// The content of an extension of a known type (RFC 9420 section 13.4).
pub trait ExtensionContent: Sized + SerializeBytes + DeserializeBytes {
    /// The extension type that carries this content.
    const EXTENSION_TYPE: ExtensionType;
}

/// `application_id` content: `opaque application_id<V>` (RFC 9420 section
/// 5.3.3).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ApplicationId(pub VarBytes);

impl ExtensionContent for ApplicationId {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::APPLICATION_ID;
}

/// `ratchet_tree` content: `optional<Node> ratchet_tree<V>`, the nodes of
/// the tree in array order, blank nodes absent (RFC 9420 section 12.4.3.3).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct RatchetTreeExtension(pub VarVec<Option<Node>>);

impl ExtensionContent for RatchetTreeExtension {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::RATCHET_TREE;
}

/// `required_capabilities` content (RFC 9420 section 11.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct RequiredCapabilities {
    /// Extension types every member must support.
    pub extension_types: VarVec<ExtensionType>,
    /// Proposal types every member must support.
    pub proposal_types: VarVec<ProposalType>,
    /// Credential types every member must support.
    pub credential_types: VarVec<CredentialType>,
}

impl ExtensionContent for RequiredCapabilities {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::REQUIRED_CAPABILITIES;
}

/// `external_pub` content: `ExternalPub { HPKEPublicKey external_pub; }`
/// (RFC 9420 section 12.4.3.2).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ExternalPub {
    /// The public key for external joins.
    pub external_pub: HpkePublicKey,
}

impl ExtensionContent for ExternalPub {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::EXTERNAL_PUB;
}

/// `ExternalSender { signature_key, credential }` (RFC 9420 section
/// 12.1.8.1).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ExternalSender {
    /// The sender's signature key.
    pub signature_key: SignaturePublicKey,
    /// The sender's credential.
    pub credential: Credential,
}

/// `external_senders` content: `ExternalSender external_senders<V>`
/// (RFC 9420 section 12.1.8.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ExternalSenders(pub VarVec<ExternalSender>);

impl ExtensionContent for ExternalSenders {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::EXTERNAL_SENDERS;
}
