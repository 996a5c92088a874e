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
/// The body of a credential `select`s on its type with no length prefix, so
/// a credential of a type other than `basic` or `x509` cannot be parsed:
/// decoding fails with [`DecodeError::UnknownCredentialType`].
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
}

impl Credential {
    /// A basic credential.
    pub fn basic(identity: impl Into<Vec<u8>>) -> Self {
        Credential::Basic {
            identity: VarBytes(identity.into()),
        }
    }

    /// The credential type.
    pub fn credential_type(&self) -> CredentialType {
        match self {
            Credential::Basic { .. } => CredentialType::BASIC,
            Credential::X509 { .. } => CredentialType::X509,
        }
    }
}

impl Size for Credential {
    fn tls_serialized_len(&self) -> usize {
        let body = match self {
            Credential::Basic { identity } => identity.tls_serialized_len(),
            Credential::X509 { certificates } => certificates.tls_serialized_len(),
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
            CredentialType(other) => Err(to_codec_error(DecodeError::UnknownCredentialType(other))),
        }
    }
}
