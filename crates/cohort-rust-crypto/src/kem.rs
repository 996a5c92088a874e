//! The DHKEMs of RFC 9180 (X25519 and X448 through [`crate::dhkem`], the
//! NIST curves through `hpke`) and the post-quantum KEMs X-Wing and
//! ML-KEM-1024 through `hpke` (draft-ietf-hpke-pq: seed private keys,
//! `DeriveKeyPair` by SHAKE256 `LabeledDerive`).

use alloc::vec;
use alloc::vec::Vec;
use cohort_traits::{CryptoError, KemId, KemOutput, Secret};
use hpke::kem::{DhP256HkdfSha256, DhP384HkdfSha384, DhP521HkdfSha512, MlKem1024, XWing};
use hpke::{Deserializable, Kem, Serializable};
use zeroize::Zeroize;

use crate::dhkem::{self, X448, X25519};
use crate::rng::FixedBytes;

/// Copies a serialized private key into a [`Secret`] and wipes the original.
fn to_secret<T: Serializable>(value: &T) -> Secret {
    let mut bytes = value.to_bytes();
    let out = Secret::from_slice(&bytes);
    bytes.as_mut_slice().zeroize();
    out
}

fn hpke_derive<K: Kem>(ikm: &[u8]) -> (Secret, Vec<u8>) {
    let (sk, pk) = K::derive_keypair(ikm);
    (to_secret(&sk), pk.to_bytes().to_vec())
}

fn hpke_public_key<K: Kem>(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let sk = K::PrivateKey::from_bytes(private_key).map_err(|_| CryptoError::InvalidPrivateKey)?;
    Ok(K::sk_to_pk(&sk).to_bytes().to_vec())
}

fn hpke_encap<K: Kem>(public_key: &[u8], randomness: &[u8]) -> Result<KemOutput, CryptoError> {
    // hpke draws exactly the KEM's encapsulation randomness: Nsk bytes that
    // DeriveKeyPair turns into the ephemeral key for the DHKEMs, `m` for
    // ML-KEM, `m` and the ephemeral X25519 key for X-Wing.
    let expected = KemId(K::KEM_ID).encap_randomness_len();
    if Some(randomness.len()) != expected {
        return Err(CryptoError::InvalidLength);
    }
    let pk = K::PublicKey::from_bytes(public_key).map_err(|_| CryptoError::InvalidPublicKey)?;
    let mut rng = FixedBytes::new(randomness);
    let (shared, enc) =
        K::encap_with_rng(&pk, None, &mut rng).map_err(|_| CryptoError::KemEncapFailed)?;
    if !rng.fully_consumed() {
        return Err(CryptoError::KemEncapFailed);
    }
    Ok(KemOutput {
        shared_secret: Secret::from_slice(&shared.0),
        enc: enc.to_bytes().to_vec(),
    })
}

fn hpke_decap<K: Kem>(enc: &[u8], private_key: &[u8]) -> Result<Secret, CryptoError> {
    let sk = K::PrivateKey::from_bytes(private_key).map_err(|_| CryptoError::InvalidPrivateKey)?;
    let enc = K::EncappedKey::from_bytes(enc).map_err(|_| CryptoError::KemDecapFailed)?;
    let shared = K::decap(&sk, None, &enc).map_err(|_| CryptoError::KemDecapFailed)?;
    Ok(Secret::from_slice(&shared.0))
}

/// `DeriveKeyPair(ikm)`.
pub(crate) fn derive_key_pair(kem: KemId, ikm: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
    match kem {
        KemId::DHKEM_X25519 => dhkem::derive_key_pair::<X25519>(ikm),
        KemId::DHKEM_P256 => Ok(hpke_derive::<DhP256HkdfSha256>(ikm)),
        KemId::DHKEM_P384 => Ok(hpke_derive::<DhP384HkdfSha384>(ikm)),
        KemId::DHKEM_P521 => Ok(hpke_derive::<DhP521HkdfSha512>(ikm)),
        KemId::DHKEM_X448 => dhkem::derive_key_pair::<X448>(ikm),
        KemId::XWING => Ok(hpke_derive::<XWing>(ikm)),
        KemId::ML_KEM_1024 => Ok(hpke_derive::<MlKem1024>(ikm)),
        other => Err(CryptoError::UnsupportedKem(other)),
    }
}

/// A NIST-curve private key as the fixed-length big-endian scalar HPKE
/// serializes: encodings that dropped leading zero bytes (as some
/// implementations write them) are left-padded; longer or empty ones are
/// refused. Other KEMs' keys pass through unchanged.
fn normalize_private_key(kem: KemId, private_key: &[u8]) -> Result<Secret, CryptoError> {
    let nist = matches!(
        kem,
        KemId::DHKEM_P256 | KemId::DHKEM_P384 | KemId::DHKEM_P521
    );
    let len = kem.private_key_len().unwrap_or(private_key.len());
    if !nist || private_key.len() == len {
        return Ok(Secret::from_slice(private_key));
    }
    let pad = len
        .checked_sub(private_key.len())
        .filter(|_| !private_key.is_empty())
        .ok_or(CryptoError::InvalidPrivateKey)?;
    let mut out = vec![0u8; pad];
    out.extend_from_slice(private_key);
    Ok(Secret::new(out))
}

/// The public key of a serialized private key.
pub(crate) fn public_key(kem: KemId, private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let private_key = normalize_private_key(kem, private_key)?;
    let private_key = private_key.as_bytes();
    match kem {
        KemId::DHKEM_X25519 => dhkem::public_key::<X25519>(private_key),
        KemId::DHKEM_P256 => hpke_public_key::<DhP256HkdfSha256>(private_key),
        KemId::DHKEM_P384 => hpke_public_key::<DhP384HkdfSha384>(private_key),
        KemId::DHKEM_P521 => hpke_public_key::<DhP521HkdfSha512>(private_key),
        KemId::DHKEM_X448 => dhkem::public_key::<X448>(private_key),
        KemId::XWING => hpke_public_key::<XWing>(private_key),
        KemId::ML_KEM_1024 => hpke_public_key::<MlKem1024>(private_key),
        other => Err(CryptoError::UnsupportedKem(other)),
    }
}

/// `Encap(pkR)`, deterministic given `randomness`
/// (`KemId::encap_randomness_len` bytes).
pub(crate) fn encap(
    kem: KemId,
    public_key: &[u8],
    randomness: &[u8],
) -> Result<KemOutput, CryptoError> {
    match kem {
        KemId::DHKEM_X25519 => dhkem::encap::<X25519>(public_key, randomness),
        KemId::DHKEM_P256 => hpke_encap::<DhP256HkdfSha256>(public_key, randomness),
        KemId::DHKEM_P384 => hpke_encap::<DhP384HkdfSha384>(public_key, randomness),
        KemId::DHKEM_P521 => hpke_encap::<DhP521HkdfSha512>(public_key, randomness),
        KemId::DHKEM_X448 => dhkem::encap::<X448>(public_key, randomness),
        KemId::XWING => hpke_encap::<XWing>(public_key, randomness),
        KemId::ML_KEM_1024 => hpke_encap::<MlKem1024>(public_key, randomness),
        other => Err(CryptoError::UnsupportedKem(other)),
    }
}

/// `Decap(enc, skR)`; the Montgomery DHKEMs use `known_public_key`
/// (`pkR`) instead of recomputing it, the other KEMs ignore it.
pub(crate) fn decap(
    kem: KemId,
    enc: &[u8],
    private_key: &[u8],
    known_public_key: Option<&[u8]>,
) -> Result<Secret, CryptoError> {
    let private_key = normalize_private_key(kem, private_key)?;
    let private_key = private_key.as_bytes();
    match kem {
        KemId::DHKEM_X25519 => dhkem::decap::<X25519>(enc, private_key, known_public_key),
        KemId::DHKEM_P256 => hpke_decap::<DhP256HkdfSha256>(enc, private_key),
        KemId::DHKEM_P384 => hpke_decap::<DhP384HkdfSha384>(enc, private_key),
        KemId::DHKEM_P521 => hpke_decap::<DhP521HkdfSha512>(enc, private_key),
        KemId::DHKEM_X448 => dhkem::decap::<X448>(enc, private_key, known_public_key),
        KemId::XWING => hpke_decap::<XWing>(enc, private_key),
        KemId::ML_KEM_1024 => hpke_decap::<MlKem1024>(enc, private_key),
        other => Err(CryptoError::UnsupportedKem(other)),
    }
}
