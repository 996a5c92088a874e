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
/// 13.5; C-GREASE-08). The reserved 0 and the extensions draft's
/// multi-credential types 3 and 4 (a different layout, not implemented)
/// fail with [`DecodeError::UnknownCredentialType`].
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
            Credential::Custom {
                credential_type, ..
            } => *credential_type,
        }
    }
}

/// Whether `t` decodes as an application-defined credential type: not 0,
/// not `basic`, `x509` or the draft's multi-credentials (3, 4). GREASE
/// types decode here too, like any unknown type (C-GREASE-11).
fn custom_type(t: CredentialType) -> bool {
    t.0 > 4
}

impl Size for Credential {
    fn tls_serialized_len(&self) -> usize {
        let body = match self {
            Credential::Basic { identity } => identity.tls_serialized_len(),
            Credential::X509 { certificates } => certificates.tls_serialized_len(),
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
