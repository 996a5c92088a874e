//! Credentials (RFC 9420 section 5.3).

use super::CredentialType;
use crate::DecodeError;
use crate::codec::{VarBytes, VarVec, append, to_codec_error};
use alloc::vec::Vec;
use tls_codec::{
    DeserializeBytes, SerializeBytes, Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize,
};

/// `Certificate { opaque cert_data<V>; }`: one DER-encoded X.509
/// certificate (RFC 9420 section 5.3).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct Certificate {
    /// The DER encoding.
    pub cert_data: VarBytes,
}

/// `Credential` (RFC 9420 section 5.3).
///
/// The body of a credential `select`s on its type with no length prefix.
/// `basic` and `x509` decode into their variants. Every other type the
/// application may define is [`Credential::Custom`], framed as `opaque
/// data<V>` after the type (the layout MLS implementations use for
/// application-defined credentials); its meaning and validity are the
/// application's Authentication Service's
/// ([`CredentialValidator`](crate::group::CredentialValidator)), which
/// refuses it by default. A GREASE type decodes like any other unknown
/// type (C-GREASE-11) and is refused when the leaf carrying it is
/// validated ([`ValidationError::GreaseCredentialType`], RFC 9420 section
/// 13.5; C-GREASE-08). The reserved 0 fails with
/// [`DecodeError::UnknownCredentialType`]. The extensions draft's `multi`
/// (3) and `weak-multi` (4) types are [`Credential::Multi`] and
/// [`Credential::WeakMulti`]; a binding inside one may not hold another
/// ([`DecodeError::NestedMultiCredential`]), which bounds the nesting.
///
/// [`ValidationError::GreaseCredentialType`]: crate::ValidationError::GreaseCredentialType
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// `basic`: an application-defined identity.
    Basic {
        /// The identity.
        identity: VarBytes,
    },
    /// `x509`: a certificate chain, end-entity certificate first.
    X509 {
        /// The chain.
        certificates: VarVec<Certificate>,
    },
    /// `multi` (extensions draft, "Multi-Credentials"; provisional type
    /// 3): every binding must be valid and supported by every member.
    Multi {
        /// The credential bindings.
        bindings: VarVec<CredentialBinding>,
    },
    /// `weak-multi` (provisional type 4): every member supports at least
    /// one binding, and every binding a member supports is valid.
    WeakMulti {
        /// The credential bindings.
        bindings: VarVec<CredentialBinding>,
    },
    /// An application-defined credential type.
    Custom {
        /// Its type.
        credential_type: CredentialType,
        /// Its content, as the application encodes it.
        data: VarBytes,
    },
}

impl Credential {
    /// A basic credential.
    pub fn basic(identity: impl Into<Vec<u8>>) -> Self {
        Credential::Basic {
            identity: VarBytes(identity.into()),
        }
    }

    /// A credential of the application-defined type `credential_type`
    /// holding `content` TLS-encoded. Types that cannot be custom (see
    /// [`Credential`]) and GREASE types, which are never sent as a
    /// credential type (C-GREASE-08), are refused.
    pub fn custom<T: SerializeBytes>(
        credential_type: CredentialType,
        content: &T,
    ) -> Result<Self, crate::Error> {
        if !custom_type(credential_type) || super::is_grease(credential_type.0) {
            return Err(DecodeError::UnknownCredentialType(credential_type.0).into());
        }
        Ok(Credential::Custom {
            credential_type,
            data: VarBytes(content.tls_serialize_bytes()?),
        })
    }

    /// The bindings of a `multi` or `weak-multi` credential; `None` for
    /// the other types.
    pub fn bindings(&self) -> Option<&[CredentialBinding]> {
        match self {
            Credential::Multi { bindings } | Credential::WeakMulti { bindings } => {
                Some(&bindings.0)
            }
            _ => None,
        }
    }

    /// The content of a custom credential decoded as exactly one `T`;
    /// `None` for `basic` and `x509`.
    pub fn parse_custom<T: DeserializeBytes>(&self) -> Option<Result<T, crate::Error>> {
        match self {
            Credential::Custom { data, .. } => Some(crate::codec::decode_exact(data.as_slice())),
            _ => None,
        }
    }

    /// The credential type.
    pub fn credential_type(&self) -> CredentialType {
        match self {
            Credential::Basic { .. } => CredentialType::BASIC,
            Credential::X509 { .. } => CredentialType::X509,
            Credential::Multi { .. } => CredentialType::MULTI,
            Credential::WeakMulti { .. } => CredentialType::WEAK_MULTI,
            Credential::Custom {
                credential_type, ..
            } => *credential_type,
        }
    }
}

/// Whether `t` decodes as an application-defined credential type: not 0,
/// not `basic`, `x509` or the draft's `multi` and `weak-multi` (3, 4). GREASE
/// types decode here too, like any unknown type (C-GREASE-11).
fn custom_type(t: CredentialType) -> bool {
    t.0 > 4
}

impl Size for Credential {
    fn tls_serialized_len(&self) -> usize {
        let body = match self {
            Credential::Basic { identity } => identity.tls_serialized_len(),
            Credential::X509 { certificates } => certificates.tls_serialized_len(),
            Credential::Multi { bindings } | Credential::WeakMulti { bindings } => {
                bindings.tls_serialized_len()
            }
            Credential::Custom { data, .. } => data.tls_serialized_len(),
        };
        body.saturating_add(2)
    }
}

impl SerializeBytes for Credential {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.credential_type())?;
        match self {
            Credential::Basic { identity } => append(&mut out, identity)?,
            Credential::X509 { certificates } => append(&mut out, certificates)?,
            Credential::Multi { bindings } | Credential::WeakMulti { bindings } => {
                append(&mut out, bindings)?
            }
            Credential::Custom { data, .. } => append(&mut out, data)?,
        }
        Ok(out)
    }
}

impl DeserializeBytes for Credential {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (credential_type, rest) = CredentialType::tls_deserialize_bytes(bytes)?;
        match credential_type {
            CredentialType::BASIC => {
                let (identity, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                Ok((Credential::Basic { identity }, rest))
            }
            CredentialType::X509 => {
                let (certificates, rest) = VarVec::tls_deserialize_bytes(rest)?;
                Ok((Credential::X509 { certificates }, rest))
            }
            t @ (CredentialType::MULTI | CredentialType::WEAK_MULTI) => {
                let (bindings, rest) = VarVec::tls_deserialize_bytes(rest)?;
                let credential = if t == CredentialType::MULTI {
                    Credential::Multi { bindings }
                } else {
                    Credential::WeakMulti { bindings }
                };
                Ok((credential, rest))
            }
            t if custom_type(t) => {
                let (data, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                Ok((
                    Credential::Custom {
                        credential_type: t,
                        data,
                    },
                    rest,
                ))
            }
            CredentialType(other) => Err(to_codec_error(DecodeError::UnknownCredentialType(other))),
        }
    }
}

/// `CredentialBinding` (extensions draft, "Credential Bindings";
/// provisional): a statement, signed with `credential_key`, that the
/// holder of `credential` holds the signature key of the leaf the binding
/// sits in. `cipher_suite` need not be the group's; it fixes the signature
/// scheme of `credential_key`.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes)]
pub struct CredentialBinding {
    /// The suite whose signature scheme `credential_key` uses.
    pub cipher_suite: cohort_traits::Ciphersuite,
    /// The bound credential (never a multi-credential itself).
    pub credential: Credential,
    /// The key `credential` is bound to.
    pub credential_key: VarBytes,
    /// `SignWithLabel(credential_key, "CredentialBindingTBS",
    /// CredentialBindingTBS)`.
    pub signature: VarBytes,
}

impl DeserializeBytes for CredentialBinding {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (cipher_suite, rest) = cohort_traits::Ciphersuite::tls_deserialize_bytes(bytes)?;
        // One level of nesting only: the type is read before the body, so
        // a deep nest is refused at its second level, not recursed into.
        let (inner_type, _) = CredentialType::tls_deserialize_bytes(rest)?;
        if matches!(
            inner_type,
            CredentialType::MULTI | CredentialType::WEAK_MULTI
        ) {
            return Err(to_codec_error(DecodeError::NestedMultiCredential));
        }
        let (credential, rest) = Credential::tls_deserialize_bytes(rest)?;
        let (credential_key, rest) = VarBytes::tls_deserialize_bytes(rest)?;
        let (signature, rest) = VarBytes::tls_deserialize_bytes(rest)?;
        Ok((
            CredentialBinding {
                cipher_suite,
                credential,
                credential_key,
                signature,
            },
            rest,
        ))
    }
}

/// The label of a credential binding's signature.
const BINDING_LABEL: &[u8] = b"CredentialBindingTBS";

impl CredentialBinding {
    /// `CredentialBindingTBS`: the binding without its signature, then the
    /// leaf's `signature_key`.
    fn to_be_signed(
        cipher_suite: cohort_traits::Ciphersuite,
        credential: &Credential,
        credential_key: &[u8],
        signature_key: &[u8],
    ) -> Result<Vec<u8>, crate::Error> {
        let mut out = cipher_suite.tls_serialize_bytes()?;
        append(&mut out, credential)?;
        crate::codec::write_opaque(credential_key, &mut out)?;
        crate::codec::write_opaque(signature_key, &mut out)?;
        Ok(out)
    }

    /// Binds `credential`, whose key `credential_signer` holds, to the leaf
    /// signature key `signature_key`; `cs` is the binding's suite (its
    /// signature scheme must be `credential_signer`'s). A multi-credential
    /// cannot be bound.
    pub fn new<C: cohort_traits::Crypto + ?Sized>(
        cs: &crate::crypto::SuiteCrypto<'_, C>,
        credential: Credential,
        credential_signer: &dyn cohort_traits::Signer,
        signature_key: &[u8],
    ) -> Result<Self, crate::Error> {
        if credential.bindings().is_some() {
            return Err(DecodeError::NestedMultiCredential.into());
        }
        let credential_key = credential_signer.public_key().to_vec();
        let tbs = Self::to_be_signed(cs.suite(), &credential, &credential_key, signature_key)?;
        let signature = cs.sign_with_label(credential_signer, BINDING_LABEL, &tbs)?;
        Ok(CredentialBinding {
            cipher_suite: cs.suite(),
            credential,
            credential_key: VarBytes(credential_key),
            signature: VarBytes(signature),
        })
    }

    /// Verifies the binding's signature for a leaf whose signature key is
    /// `signature_key`; `cs` is the binding's suite.
    pub fn verify<C: cohort_traits::Crypto + ?Sized>(
        &self,
        cs: &crate::crypto::SuiteCrypto<'_, C>,
        signature_key: &[u8],
    ) -> Result<(), crate::Error> {
        let tbs = Self::to_be_signed(
            self.cipher_suite,
            &self.credential,
            self.credential_key.as_slice(),
            signature_key,
        )?;
        cs.verify_with_label(
            self.credential_key.as_slice(),
            BINDING_LABEL,
            &tbs,
            self.signature.as_slice(),
        )
    }
}
