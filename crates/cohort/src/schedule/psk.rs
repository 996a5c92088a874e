use crate::Error;
use crate::crypto::SuiteCrypto;
use alloc::vec::Vec;
use cohort_traits::{Crypto, Secret};

/// One pre-shared key as input to the key schedule.
#[derive(Debug, Clone, Copy)]
pub struct PskInput<'a> {
    /// The encoded `PreSharedKeyID` naming the PSK.
    pub id: &'a [u8],
    /// The PSK value (for resumption PSKs, the named epoch's `resumption_psk`).
    pub psk: &'a [u8],
}

/// `psk_secret` over a list of PSKs, in order (RFC 9420 section 8.4):
///
/// ```text
/// psk_extracted_[i] = KDF.Extract(0, psk_[i])
/// psk_input_[i] = ExpandWithLabel(psk_extracted_[i], "derived psk", PSKLabel, KDF.Nh)
/// psk_secret_[0] = 0
/// psk_secret_[i] = KDF.Extract(psk_input_[i-1], psk_secret_[i-1])
/// ```
///
/// With no PSKs this is the all-zero vector of length `KDF.Nh`.
pub fn psk_secret<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    psks: &[PskInput<'_>],
) -> Result<Secret, Error> {
    let nh = cs.hash_len();
    let nh16 =
        u16::try_from(nh).map_err(|_| crate::Error::Internal("a length exceeds its field"))?;
    let count = u16::try_from(psks.len())
        .map_err(|_| crate::Error::Internal("a length exceeds its field"))?;
    let zero = Secret::zero(nh);
    let mut secret = Secret::zero(nh);
    for (index, psk) in (0u16..).zip(psks) {
        let extracted = cs.extract(zero.as_bytes(), psk.psk)?;
        // struct { PreSharedKeyID id; uint16 index; uint16 count; } PSKLabel;
        let mut label = Vec::with_capacity(psk.id.len().saturating_add(4));
        label.extend_from_slice(psk.id);
        label.extend_from_slice(&index.to_be_bytes());
        label.extend_from_slice(&count.to_be_bytes());
        let input = cs.expand_with_label(extracted.as_bytes(), b"derived psk", &label, nh16)?;
        secret = cs.extract(input.as_bytes(), secret.as_bytes())?;
    }
    Ok(secret)
}
