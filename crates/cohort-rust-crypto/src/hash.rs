//! SHA-2 hashes, HMAC and HKDF (RFC 5869).

use alloc::vec;
use alloc::vec::Vec;
use cohort_traits::{CryptoError, HashAlgorithm, KdfId, Secret};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Digest;
use zeroize::Zeroize;

/// Runs `$body` with `$h` bound to the SHA-2 type of `$alg`.
macro_rules! with_hash {
    ($alg:expr, $h:ident => $body:expr) => {
        match $alg {
            HashAlgorithm::Sha256 => {
                type $h = sha2::Sha256;
                $body
            }
            HashAlgorithm::Sha384 => {
                type $h = sha2::Sha384;
                $body
            }
            HashAlgorithm::Sha512 => {
                type $h = sha2::Sha512;
                $body
            }
        }
    };
}

/// The hash underlying a known KDF.
fn kdf_hash(kdf: KdfId) -> Result<HashAlgorithm, CryptoError> {
    kdf.hash().ok_or(CryptoError::UnsupportedKdf(kdf))
}

/// `Hash(data)`.
pub(crate) fn hash(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    with_hash!(alg, H => H::digest(data).to_vec())
}

/// `HMAC(key, data)`.
pub(crate) fn hmac(alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Result<Secret, CryptoError> {
    with_hash!(alg, H => {
        let mut mac =
            <Hmac<H> as KeyInit>::new_from_slice(key).map_err(|_| CryptoError::InvalidLength)?;
        mac.update(data);
        let mut tag = mac.finalize().into_bytes();
        let out = Secret::from_slice(&tag);
        tag.as_mut_slice().zeroize();
        Ok(out)
    })
}

/// `HKDF-Extract(salt, ikm)`: `HMAC-Hash(salt, IKM)` (RFC 5869 section
/// 2.2). An empty salt is the same HMAC key as `HashLen` zero bytes, since
/// HMAC pads its key with zeros. Computed as that one HMAC: `hkdf`'s
/// `Hkdf::extract` also keys an expander the caller would discard.
pub(crate) fn hkdf_extract(kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
    hmac(kdf_hash(kdf)?, salt, ikm)
}

/// `HKDF-Expand(prk, info, len)`.
///
/// `prk` must be at least `Nh` bytes long (RFC 5869 section 2.3), otherwise
/// this returns [`CryptoError::InvalidLength`].
pub(crate) fn hkdf_expand(
    kdf: KdfId,
    prk: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Secret, CryptoError> {
    let alg = kdf_hash(kdf)?;
    if len > 255 * alg.output_len() {
        return Err(CryptoError::HkdfOutputTooLong);
    }
    with_hash!(alg, H => {
        let hkdf = Hkdf::<H>::from_prk(prk).map_err(|_| CryptoError::InvalidLength)?;
        let mut okm = vec![0u8; len];
        match hkdf.expand(info, &mut okm) {
            Ok(()) => Ok(Secret::new(okm)),
            Err(_) => {
                okm.zeroize();
                Err(CryptoError::HkdfOutputTooLong)
            }
        }
    })
}

/// `LabeledExtract` and `LabeledExpand` of RFC 9180 section 4, for the
/// DHKEMs this crate implements itself.
pub(crate) mod labeled {
    use super::{hkdf_expand, hkdf_extract};
    use alloc::vec::Vec;
    use cohort_traits::{CryptoError, KdfId, KemId, Secret};

    /// `concat("KEM", I2OSP(kem_id, 2))`.
    fn suite_id(kem: KemId) -> [u8; 5] {
        let [hi, lo] = kem.0.to_be_bytes();
        [b'K', b'E', b'M', hi, lo]
    }

    /// `LabeledExtract(salt, label, ikm)` with the KEM's `suite_id`.
    pub(crate) fn extract(
        kem: KemId,
        kdf: KdfId,
        salt: &[u8],
        label: &[u8],
        ikm: &[u8],
    ) -> Result<Secret, CryptoError> {
        let mut labeled_ikm = Vec::with_capacity(7 + 5 + label.len() + ikm.len());
        labeled_ikm.extend_from_slice(b"HPKE-v1");
        labeled_ikm.extend_from_slice(&suite_id(kem));
        labeled_ikm.extend_from_slice(label);
        labeled_ikm.extend_from_slice(ikm);
        let labeled_ikm = Secret::new(labeled_ikm);
        hkdf_extract(kdf, salt, labeled_ikm.as_bytes())
    }

    /// `LabeledExpand(prk, label, info, len)` with the KEM's `suite_id`.
    pub(crate) fn expand(
        kem: KemId,
        kdf: KdfId,
        prk: &[u8],
        label: &[u8],
        info: &[u8],
        len: u16,
    ) -> Result<Secret, CryptoError> {
        let mut labeled_info = Vec::with_capacity(2 + 7 + 5 + label.len() + info.len());
        labeled_info.extend_from_slice(&len.to_be_bytes());
        labeled_info.extend_from_slice(b"HPKE-v1");
        labeled_info.extend_from_slice(&suite_id(kem));
        labeled_info.extend_from_slice(label);
        labeled_info.extend_from_slice(info);
        hkdf_expand(kdf, prk, &labeled_info, usize::from(len))
    }
}
