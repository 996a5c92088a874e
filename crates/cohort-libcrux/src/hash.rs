//! SHA-2, HMAC and HKDF (RFC 5869) on libcrux, the labelled derivations of
//! RFC 9180 section 4 for the DHKEMs, and SHAKE256 `LabeledDerive` for the
//! post-quantum KEMs.

use cohort_traits::{CryptoError, HashAlgorithm, KdfId, KemId, Secret};
use zeroize::{Zeroize, Zeroizing};

/// libcrux's HACL* code takes lengths as `u32`; longer inputs are refused
/// here rather than left to panic there.
pub(crate) fn u32_len(bytes: &[u8]) -> Result<u32, CryptoError> {
    u32::try_from(bytes.len()).map_err(|_| CryptoError::InvalidLength)
}

/// The hash underlying a known KDF.
fn kdf_hash(kdf: KdfId) -> Result<HashAlgorithm, CryptoError> {
    kdf.hash().ok_or(CryptoError::UnsupportedKdf(kdf))
}

/// `Hash(data)`.
pub(crate) fn hash(alg: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    u32_len(data)?;
    Ok(match alg {
        HashAlgorithm::Sha256 => libcrux_sha2::sha256(data).to_vec(),
        HashAlgorithm::Sha384 => libcrux_sha2::sha384(data).to_vec(),
        HashAlgorithm::Sha512 => libcrux_sha2::sha512(data).to_vec(),
    })
}

/// Copies a fixed-size secret into a [`Secret`] and wipes the original.
fn take<const N: usize>(mut bytes: [u8; N]) -> Secret {
    let out = Secret::from_slice(&bytes);
    bytes.zeroize();
    out
}

/// `HMAC(key, data)`.
pub(crate) fn hmac(alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Result<Secret, CryptoError> {
    u32_len(key)?;
    u32_len(data)?;
    Ok(match alg {
        HashAlgorithm::Sha256 => {
            let mut tag = [0u8; 32];
            libcrux_hmac::hmac_sha2_256(&mut tag, key, data);
            take(tag)
        }
        HashAlgorithm::Sha384 => {
            let mut tag = [0u8; 48];
            libcrux_hmac::hmac_sha2_384(&mut tag, key, data);
            take(tag)
        }
        HashAlgorithm::Sha512 => {
            let mut tag = [0u8; 64];
            libcrux_hmac::hmac_sha2_512(&mut tag, key, data);
            take(tag)
        }
    })
}

/// `HKDF-Extract(salt, ikm)`.
pub(crate) fn hkdf_extract(kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
    let alg = match kdf_hash(kdf)? {
        HashAlgorithm::Sha256 => libcrux_hkdf::Algorithm::Sha256,
        HashAlgorithm::Sha384 => libcrux_hkdf::Algorithm::Sha384,
        HashAlgorithm::Sha512 => libcrux_hkdf::Algorithm::Sha512,
    };
    let mut prk = Zeroizing::new(vec![0u8; alg.hash_len()]);
    libcrux_hkdf::extract(alg, &mut prk, salt, ikm).map_err(|_| CryptoError::InvalidLength)?;
    Ok(Secret::from_slice(&prk))
}

/// `HKDF-Expand(prk, info, len)`.
///
/// `prk` must be at least `Nh` bytes long (RFC 5869 section 2.3), otherwise
/// this returns [`CryptoError::InvalidLength`]. The whole `prk` is the HMAC
/// key, as RFC 5869 specifies (HACL*'s expand is called directly because
/// libcrux's safe wrapper keeps only the first `Nh` bytes of a longer `prk`).
pub(crate) fn hkdf_expand(
    kdf: KdfId,
    prk: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Secret, CryptoError> {
    let alg = kdf_hash(kdf)?;
    let nh = alg.output_len();
    if len > 255 * nh {
        return Err(CryptoError::HkdfOutputTooLong);
    }
    if prk.len() < nh {
        return Err(CryptoError::InvalidLength);
    }
    let (prk_len, info_len) = (u32_len(prk)?, u32_len(info)?);
    // At most 255 * 64 bytes.
    let out_len = u32::try_from(len).map_err(|_| CryptoError::HkdfOutputTooLong)?;
    let mut okm = vec![0u8; len];
    if len > 0 {
        let expand = match alg {
            HashAlgorithm::Sha256 => libcrux_hkdf::hacl::expand_sha2_256,
            HashAlgorithm::Sha384 => libcrux_hkdf::hacl::expand_sha2_384,
            HashAlgorithm::Sha512 => libcrux_hkdf::hacl::expand_sha2_512,
        };
        expand(&mut okm, prk, prk_len, info, info_len, out_len);
    }
    Ok(Secret::new(okm))
}

/// `concat("KEM", I2OSP(kem_id, 2))`, the KEM's `suite_id` (RFC 9180
/// section 4.1).
fn kem_suite_id(kem: KemId) -> [u8; 5] {
    let [hi, lo] = kem.0.to_be_bytes();
    [b'K', b'E', b'M', hi, lo]
}

/// The version label of RFC 9180 section 4.
const HPKE_V1: &[u8] = b"HPKE-v1";

/// `LabeledExtract` and `LabeledExpand` of RFC 9180 section 4 with a KEM's
/// `suite_id`.
pub(crate) mod labeled {
    use super::*;

    /// `LabeledExtract(salt, label, ikm)`.
    pub(crate) fn extract(
        kem: KemId,
        kdf: KdfId,
        salt: &[u8],
        label: &[u8],
        ikm: &[u8],
    ) -> Result<Secret, CryptoError> {
        let mut labeled_ikm = Zeroizing::new(Vec::with_capacity(
            HPKE_V1.len() + 5 + label.len() + ikm.len(),
        ));
        labeled_ikm.extend_from_slice(HPKE_V1);
        labeled_ikm.extend_from_slice(&kem_suite_id(kem));
        labeled_ikm.extend_from_slice(label);
        labeled_ikm.extend_from_slice(ikm);
        hkdf_extract(kdf, salt, &labeled_ikm)
    }

    /// `LabeledExpand(prk, label, info, len)`.
    pub(crate) fn expand(
        kem: KemId,
        kdf: KdfId,
        prk: &[u8],
        label: &[u8],
        info: &[u8],
        len: u16,
    ) -> Result<Secret, CryptoError> {
        let mut labeled_info = Vec::with_capacity(2 + HPKE_V1.len() + 5 + label.len() + info.len());
        labeled_info.extend_from_slice(&len.to_be_bytes());
        labeled_info.extend_from_slice(HPKE_V1);
        labeled_info.extend_from_slice(&kem_suite_id(kem));
        labeled_info.extend_from_slice(label);
        labeled_info.extend_from_slice(info);
        hkdf_expand(kdf, prk, &labeled_info, usize::from(len))
    }

    /// `SHAKE256.LabeledDerive(ikm, label, context, L)` of draft-ietf-hpke-pq
    /// (the one-stage KDF form of draft-ietf-hpke-hpke):
    /// `SHAKE256(ikm || "HPKE-v1" || suite_id || I2OSP(len(label), 2) ||
    /// label || I2OSP(L, 2) || context, L)`.
    pub(crate) fn shake256_derive(
        kem: KemId,
        ikm: &[u8],
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) -> Result<(), CryptoError> {
        let label_len = u16::try_from(label.len()).map_err(|_| CryptoError::InvalidLength)?;
        let out_len = u16::try_from(out.len()).map_err(|_| CryptoError::InvalidLength)?;
        let mut input = Zeroizing::new(Vec::with_capacity(
            ikm.len() + HPKE_V1.len() + 5 + 2 + label.len() + 2 + context.len(),
        ));
        input.extend_from_slice(ikm);
        input.extend_from_slice(HPKE_V1);
        input.extend_from_slice(&kem_suite_id(kem));
        input.extend_from_slice(&label_len.to_be_bytes());
        input.extend_from_slice(label);
        input.extend_from_slice(&out_len.to_be_bytes());
        input.extend_from_slice(context);
        libcrux_sha3::shake256_ema(out, &input);
        Ok(())
    }
}
