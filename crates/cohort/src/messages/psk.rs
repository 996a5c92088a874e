//! Pre-shared key identifiers (RFC 9420 section 8.4).

use crate::codec::{VarBytes, append, closed_u8};
use alloc::vec::Vec;
use tls_codec::{
    DeserializeBytes, SerializeBytes, Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize,
};

closed_u8!(
    /// `PSKType` (RFC 9420 section 8.4).
    PskType / InvalidPskType {
        /// `external(1)`: provided by the application.
        External = 1,
        /// `resumption(2)`: a past epoch's `resumption_psk`.
        Resumption = 2,
    }
);

closed_u8!(
    /// `ResumptionPSKUsage` (RFC 9420 section 8.4).
    ResumptionPskUsage / InvalidResumptionPskUsage {
        /// `application(1)`
        Application = 1,
        /// `reinit(2)`
        Reinit = 2,
        /// `branch(3)`
        Branch = 3,
    }
);

/// The `psktype` of a `PreSharedKeyID` with the fields that `select` on it
/// (RFC 9420 section 8.4).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Psk {
    /// `external`
    External {
        /// The application's identifier of the PSK.
        psk_id: VarBytes,
    },
    /// `resumption`
    Resumption {
        /// Why the resumption PSK is used.
        usage: ResumptionPskUsage,
        /// The group the PSK comes from.
        psk_group_id: VarBytes,
        /// The epoch the PSK comes from.
        psk_epoch: u64,
    },
}

impl Psk {
    /// The PSK type.
    pub fn psk_type(&self) -> PskType {
        match self {
            Psk::External { .. } => PskType::External,
            Psk::Resumption { .. } => PskType::Resumption,
        }
    }
}

impl Size for Psk {
    fn tls_serialized_len(&self) -> usize {
        let body = match self {
            Psk::External { psk_id } => psk_id.tls_serialized_len(),
            Psk::Resumption { psk_group_id, .. } => {
                psk_group_id.tls_serialized_len().saturating_add(1 + 8)
            }
        };
        body.saturating_add(1)
    }
}

impl SerializeBytes for Psk {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.psk_type())?;
        match self {
            Psk::External { psk_id } => append(&mut out, psk_id)?,
            Psk::Resumption {
                usage,
                psk_group_id,
                psk_epoch,
            } => {
                append(&mut out, usage)?;
                append(&mut out, psk_group_id)?;
                append(&mut out, psk_epoch)?;
            }
        }
        Ok(out)
    }
}

impl DeserializeBytes for Psk {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (psk_type, rest) = PskType::tls_deserialize_bytes(bytes)?;
        match psk_type {
            PskType::External => {
                let (psk_id, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                Ok((Psk::External { psk_id }, rest))
            }
            PskType::Resumption => {
                let (usage, rest) = ResumptionPskUsage::tls_deserialize_bytes(rest)?;
                let (psk_group_id, rest) = VarBytes::tls_deserialize_bytes(rest)?;
                let (psk_epoch, rest) = u64::tls_deserialize_bytes(rest)?;
                Ok((
                    Psk::Resumption {
                        usage,
                        psk_group_id,
                        psk_epoch,
                    },
                    rest,
                ))
            }
        }
    }
}

/// `PreSharedKeyID` (RFC 9420 section 8.4).
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, TlsSize, TlsSerializeBytes, TlsDeserializeBytes,
)]
pub struct PreSharedKeyId {
    /// The PSK type and its identifying fields.
    pub psk: Psk,
    /// A fresh random value of length `KDF.Nh`.
    pub psk_nonce: VarBytes,
}

/// `PSKLabel { PreSharedKeyID id; uint16 index; uint16 count; }`, the
/// context of `ExpandWithLabel(., "derived psk", PSKLabel, KDF.Nh)` in the
/// PSK secret chain (RFC 9420 section 8.4).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct PskLabel {
    /// The PSK.
    pub id: PreSharedKeyId,
    /// Its position in the list of PSKs.
    pub index: u16,
    /// The number of PSKs.
    pub count: u16,
}
