//! Signature schemes with the encodings of RFC 9420 section 5.1: raw keys
//! and signatures for EdDSA; big-endian scalars, uncompressed SEC1 points and
//! DER signatures for ECDSA; the 32-byte seed and the FIPS 204 encodings for
//! ML-DSA-87.

use alloc::boxed::Box;
use alloc::vec::Vec;
use cohort_traits::{CryptoError, Rand, RandError, Secret, SignatureScheme};
use zeroize::Zeroizing;

/// Generates a key pair of `scheme`, drawing randomness only from `rand`.
pub(crate) fn generate(
    scheme: SignatureScheme,
    rand: &dyn Rand,
) -> Result<(Secret, Vec<u8>), CryptoError> {
    match scheme {
        SignatureScheme::ED25519 => ed25519::generate(rand),
        SignatureScheme::ED448 => ed448::generate(rand),
        SignatureScheme::ECDSA_SECP256R1_SHA256 => ecdsa_p256::generate(rand),
        SignatureScheme::ECDSA_SECP384R1_SHA384 => ecdsa_p384::generate(rand),
        SignatureScheme::ECDSA_SECP521R1_SHA512 => ecdsa_p521::generate(rand),
        SignatureScheme::MLDSA87 => mldsa87::generate(rand),
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}

/// The public key of a private key.
pub(crate) fn public_key(
    scheme: SignatureScheme,
    private_key: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    match scheme {
        SignatureScheme::ED25519 => ed25519::public_key(private_key),
        SignatureScheme::ED448 => ed448::public_key(private_key),
        SignatureScheme::ECDSA_SECP256R1_SHA256 => ecdsa_p256::public_key(private_key),
        SignatureScheme::ECDSA_SECP384R1_SHA384 => ecdsa_p384::public_key(private_key),
        SignatureScheme::ECDSA_SECP521R1_SHA512 => ecdsa_p521::public_key(private_key),
        SignatureScheme::MLDSA87 => mldsa87::public_key(private_key),
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}

/// A private key decoded once (for Ed25519 also hashed and its public key
/// computed; for ML-DSA expanded from the seed). Every variant's key type
/// wipes itself on drop.
enum PreparedKey {
    Ed25519(ed25519_dalek::SigningKey),
    Ed448(Box<ed448_goldilocks::SigningKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    MlDsa87(Box<ml_dsa::SigningKey<ml_dsa::MlDsa87>>),
}

/// A decoded signing key: [`cohort_traits::PreparedSigningKey`] for this
/// provider, and the one path every signature takes.
pub(crate) struct Prepared {
    scheme: SignatureScheme,
    key: PreparedKey,
}

/// Decodes `private_key` for signing with `scheme`.
pub(crate) fn prepare(
    scheme: SignatureScheme,
    private_key: &[u8],
) -> Result<Prepared, CryptoError> {
    let key = match scheme {
        SignatureScheme::ED25519 => PreparedKey::Ed25519(ed25519::signing_key(private_key)?),
        SignatureScheme::ED448 => PreparedKey::Ed448(Box::new(ed448::signing_key(private_key)?)),
        SignatureScheme::ECDSA_SECP256R1_SHA256 => {
            PreparedKey::P256(ecdsa_p256::signing_key(private_key)?)
        }
        SignatureScheme::ECDSA_SECP384R1_SHA384 => {
            PreparedKey::P384(ecdsa_p384::signing_key(private_key)?)
        }
        SignatureScheme::ECDSA_SECP521R1_SHA512 => {
            PreparedKey::P521(ecdsa_p521::signing_key(private_key)?)
        }
        SignatureScheme::MLDSA87 => {
            PreparedKey::MlDsa87(Box::new(mldsa87::signing_key(private_key)?))
        }
        other => return Err(CryptoError::UnsupportedSignatureScheme(other)),
    };
    Ok(Prepared { scheme, key })
}

impl cohort_traits::PreparedSigningKey for Prepared {
    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.key {
            PreparedKey::Ed25519(key) => ed25519::sign(key, message),
            PreparedKey::Ed448(key) => ed448::sign(key, message),
            PreparedKey::P256(key) => ecdsa_p256::sign(key, message),
            PreparedKey::P384(key) => ecdsa_p384::sign(key, message),
            PreparedKey::P521(key) => ecdsa_p521::sign(key, message),
            PreparedKey::MlDsa87(key) => mldsa87::sign(key, message),
        }
    }
}

/// Verifies `signature` over `message`.
pub(crate) fn verify(
    scheme: SignatureScheme,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    match scheme {
        SignatureScheme::ED25519 => ed25519::verify(public_key, message, signature),
        SignatureScheme::ED448 => ed448::verify(public_key, message, signature),
        SignatureScheme::ECDSA_SECP256R1_SHA256 => {
            ecdsa_p256::verify(public_key, message, signature)
        }
        SignatureScheme::ECDSA_SECP384R1_SHA384 => {
            ecdsa_p384::verify(public_key, message, signature)
        }
        SignatureScheme::ECDSA_SECP521R1_SHA512 => {
            ecdsa_p521::verify(public_key, message, signature)
        }
        SignatureScheme::MLDSA87 => mldsa87::verify(public_key, message, signature),
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}

/// Draws a raw EdDSA private key (any byte string of the right length is one).
fn random_seed<const N: usize>(rand: &dyn Rand) -> Result<Zeroizing<[u8; N]>, CryptoError> {
    let mut seed = Zeroizing::new([0u8; N]);
    rand.fill(seed.as_mut_slice())?;
    Ok(seed)
}

mod ed25519 {
    use super::*;
    use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

    pub(super) fn signing_key(private_key: &[u8]) -> Result<SigningKey, CryptoError> {
        let seed =
            <&[u8; 32]>::try_from(private_key).map_err(|_| CryptoError::InvalidPrivateKey)?;
        Ok(SigningKey::from_bytes(seed))
    }

    pub(super) fn generate(rand: &dyn Rand) -> Result<(Secret, Vec<u8>), CryptoError> {
        let seed = random_seed::<32>(rand)?;
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        Ok((Secret::from_slice(seed.as_slice()), public.to_vec()))
    }

    pub(super) fn public_key(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(signing_key(private_key)?
            .verifying_key()
            .to_bytes()
            .to_vec())
    }

    pub(super) fn sign(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let sig = key
            .try_sign(message)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(sig.to_bytes().to_vec())
    }

    /// The canonical encodings of the eight points of small order (the
    /// multiples of a point of order 8, identity first); checked against
    /// curve25519-dalek's `EIGHT_TORSION` in this module's tests.
    const SMALL_ORDER_ENCODINGS: [[u8; 32]; 8] = [
        [
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
        ],
        [
            0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10,
            0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
            0x92, 0xac, 0x03, 0x7a,
        ],
        [
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x80,
        ],
        [
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef,
            0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88,
            0x6d, 0x53, 0xfc, 0x05,
        ],
        [
            0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0x7f,
        ],
        [
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef,
            0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88,
            0x6d, 0x53, 0xfc, 0x85,
        ],
        [
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
        ],
        [
            0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10,
            0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
            0x92, 0xac, 0x03, 0xfa,
        ],
    ];

    /// Strict verification: exactly `ed25519-dalek`'s `verify_strict`,
    /// which accepts when (1) `R` decodes, (2) neither `R` nor `A` has small
    /// order and (3) the recomputed `R` compresses to the signature's `R`
    /// bytes (the same check its `verify` makes). When (3) holds, `R`'s
    /// bytes are a compressed point, so (1) holds and `R` has small order
    /// exactly when those bytes are one of the eight encodings of the
    /// small-order points: this checks `R`'s bytes against them instead of
    /// decompressing `R`, one field exponentiation less per signature
    /// (equivalence tested on crafted edge cases in `tests/ed25519_strict.rs`).
    pub(super) fn verify(
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        use ed25519_dalek::Verifier;
        let pk = <&[u8; 32]>::try_from(public_key).map_err(|_| CryptoError::InvalidPublicKey)?;
        let vk = VerifyingKey::from_bytes(pk).map_err(|_| CryptoError::InvalidPublicKey)?;
        let sig = Signature::from_slice(signature).map_err(|_| CryptoError::InvalidSignature)?;
        if vk.is_weak() || SMALL_ORDER_ENCODINGS.contains(sig.r_bytes()) {
            return Err(CryptoError::InvalidSignature);
        }
        vk.verify(message, &sig)
            .map_err(|_| CryptoError::InvalidSignature)
    }

    #[cfg(test)]
    mod tests {
        use super::SMALL_ORDER_ENCODINGS;

        #[test]
        fn small_order_encodings_are_the_eight_torsion_points() {
            let computed =
                curve25519_dalek::constants::EIGHT_TORSION.map(|point| point.compress().to_bytes());
            assert_eq!(computed, SMALL_ORDER_ENCODINGS);
        }
    }
}

mod ed448 {
    use super::*;
    use ed448_goldilocks::signature::Signer;
    use ed448_goldilocks::{
        PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH, Signature, SigningKey, VerifyingKey,
    };

    pub(super) fn signing_key(private_key: &[u8]) -> Result<SigningKey, CryptoError> {
        SigningKey::try_from(private_key).map_err(|_| CryptoError::InvalidPrivateKey)
    }

    pub(super) fn generate(rand: &dyn Rand) -> Result<(Secret, Vec<u8>), CryptoError> {
        let seed = random_seed::<SECRET_KEY_LENGTH>(rand)?;
        let public = public_key(seed.as_slice())?;
        Ok((Secret::from_slice(seed.as_slice()), public))
    }

    pub(super) fn public_key(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(signing_key(private_key)?
            .verifying_key()
            .to_bytes()
            .to_vec())
    }

    /// Pure Ed448 with an empty context (RFC 8032 section 5.2).
    pub(super) fn sign(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let sig: Signature = key
            .try_sign(message)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(sig.to_bytes().to_vec())
    }

    pub(super) fn verify(
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let pk = <&[u8; PUBLIC_KEY_LENGTH]>::try_from(public_key)
            .map_err(|_| CryptoError::InvalidPublicKey)?;
        let vk = VerifyingKey::from_bytes(pk).map_err(|_| CryptoError::InvalidPublicKey)?;
        let sig = Signature::from_slice(signature).map_err(|_| CryptoError::InvalidSignature)?;
        vk.verify_raw(&sig, message)
            .map_err(|_| CryptoError::InvalidSignature)
    }
}

/// How many scalar candidates key generation draws before giving up. A
/// candidate fails with probability below 2^-32 for every curve, so hitting
/// this bound means the random source is broken.
const MAX_SCALAR_ATTEMPTS: usize = 64;

/// ECDSA over one NIST curve, hashing with the curve's SHA-2 (RFC 6979
/// deterministic nonces).
macro_rules! ecdsa_module {
    ($module:ident, $curve:ident, $field_len:expr, $top_byte_mask:expr) => {
        mod $module {
            use super::*;
            use $curve::FieldBytes;
            use $curve::ecdsa::signature::{Signer, Verifier};
            use $curve::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};

            /// Length of a scalar (private key) and of a coordinate.
            const FIELD_LEN: usize = $field_len;

            /// Decodes a big-endian scalar. Encodings shorter than the field
            /// (leading zero bytes dropped, as some implementations write
            /// them) are left-padded; longer or empty ones are refused.
            pub(super) fn signing_key(private_key: &[u8]) -> Result<SigningKey, CryptoError> {
                let pad = FIELD_LEN
                    .checked_sub(private_key.len())
                    .filter(|_| !private_key.is_empty())
                    .ok_or(CryptoError::InvalidPrivateKey)?;
                let mut padded = Zeroizing::new([0u8; FIELD_LEN]);
                padded
                    .get_mut(pad..)
                    .ok_or(CryptoError::InvalidPrivateKey)?
                    .copy_from_slice(private_key);
                let bytes = <&FieldBytes>::try_from(padded.as_slice())
                    .map_err(|_| CryptoError::InvalidPrivateKey)?;
                SigningKey::from_bytes(bytes).map_err(|_| CryptoError::InvalidPrivateKey)
            }

            /// The uncompressed SEC1 encoding `0x04 || X || Y`.
            fn encode_public(key: &SigningKey) -> Vec<u8> {
                key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
            }

            pub(super) fn generate(rand: &dyn Rand) -> Result<(Secret, Vec<u8>), CryptoError> {
                let mut candidate = Zeroizing::new([0u8; FIELD_LEN]);
                for _ in 0..MAX_SCALAR_ATTEMPTS {
                    rand.fill(candidate.as_mut_slice())?;
                    if let Some(top) = candidate.first_mut() {
                        *top &= $top_byte_mask;
                    }
                    if let Ok(key) = signing_key(candidate.as_slice()) {
                        return Ok((
                            Secret::from_slice(candidate.as_slice()),
                            encode_public(&key),
                        ));
                    }
                }
                Err(CryptoError::Rand(RandError(
                    "random source keeps producing invalid ECDSA scalars",
                )))
            }

            pub(super) fn public_key(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
                Ok(encode_public(&signing_key(private_key)?))
            }

            pub(super) fn sign(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
                let sig: DerSignature = key
                    .try_sign(message)
                    .map_err(|_| CryptoError::SigningFailed)?;
                Ok(sig.as_bytes().to_vec())
            }

            pub(super) fn verify(
                public_key: &[u8],
                message: &[u8],
                signature: &[u8],
            ) -> Result<(), CryptoError> {
                if public_key.len() != 1 + 2 * FIELD_LEN || public_key.first() != Some(&0x04) {
                    return Err(CryptoError::InvalidPublicKey);
                }
                let vk = VerifyingKey::from_sec1_bytes(public_key)
                    .map_err(|_| CryptoError::InvalidPublicKey)?;
                let sig =
                    Signature::from_der(signature).map_err(|_| CryptoError::InvalidSignature)?;
                vk.verify(message, &sig)
                    .map_err(|_| CryptoError::InvalidSignature)
            }
        }
    };
}

ecdsa_module!(ecdsa_p256, p256, 32, 0xff);
ecdsa_module!(ecdsa_p384, p384, 48, 0xff);
// P-521 scalars are 521 bits in 66 bytes: keep only the low bit of the top
// byte so that almost every candidate is below the group order.
ecdsa_module!(ecdsa_p521, p521, 66, 0x01);

/// ML-DSA-87 (FIPS 204) on the `ml-dsa` crate: the private key is the
/// 32-byte seed `xi`; signatures use the pure mode with an empty context and
/// the deterministic variant (`rnd` = 32 zero bytes), so signing needs no
/// randomness and matches the libcrux provider byte for byte.
mod mldsa87 {
    use super::*;
    use ml_dsa::signature::Keypair;
    use ml_dsa::{
        EncodedSignature, EncodedVerifyingKey, MlDsa87, Signature, SigningKey, VerifyingKey,
    };

    /// The empty context string of pure ML-DSA as used by MLS.
    const CONTEXT: &[u8] = b"";

    /// The signing key of a 32-byte seed (exactly 32 bytes).
    pub(super) fn signing_key(private_key: &[u8]) -> Result<SigningKey<MlDsa87>, CryptoError> {
        let seed = <[u8; 32]>::try_from(private_key)
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::InvalidPrivateKey)?;
        Ok(SigningKey::from_seed(&ml_dsa::Seed::from(*seed)))
    }

    fn encode_public(key: &SigningKey<MlDsa87>) -> Vec<u8> {
        key.verifying_key().encode().to_vec()
    }

    pub(super) fn generate(rand: &dyn Rand) -> Result<(Secret, Vec<u8>), CryptoError> {
        let seed = random_seed::<32>(rand)?;
        let public = public_key(seed.as_slice())?;
        Ok((Secret::from_slice(seed.as_slice()), public))
    }

    pub(super) fn public_key(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(encode_public(&signing_key(private_key)?))
    }

    pub(super) fn sign(key: &SigningKey<MlDsa87>, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let sig = key
            .expanded_key()
            .sign_deterministic(message, CONTEXT)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(sig.encode().to_vec())
    }

    pub(super) fn verify(
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let pk = EncodedVerifyingKey::<MlDsa87>::try_from(public_key)
            .map_err(|_| CryptoError::InvalidPublicKey)?;
        let vk = VerifyingKey::<MlDsa87>::decode(&pk);
        let sig = EncodedSignature::<MlDsa87>::try_from(signature)
            .ok()
            .and_then(|s| Signature::<MlDsa87>::decode(&s))
            .ok_or(CryptoError::InvalidSignature)?;
        if vk.verify_with_context(message, CONTEXT, &sig) {
            Ok(())
        } else {
            Err(CryptoError::InvalidSignature)
        }
    }
}
