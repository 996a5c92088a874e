//! DHKEM(X448, HKDF-SHA512), KEM id 0x0021 (RFC 9180 section 4.1), on the
//! `x448` crate.
//!
//! `Nsecret` = 64, `Nenc` = `Npk` = `Nsk` = 56. Private keys are the raw
//! 56-byte strings of RFC 7748; clamping happens when a key is used, so
//! `DeriveKeyPair` returns the unclamped `LabeledExpand` output (as the
//! RFC 9180 test vectors do for X25519).

use cohort_traits::{CryptoError, KdfId, KemId, KemOutput, Secret};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::hash::labeled;

const KEM: KemId = KemId::DHKEM_X448;
const KDF: KdfId = KdfId::HKDF_SHA512;
/// `Nsk` = `Npk` = `Nenc` = `Ndh`.
const N: usize = 56;
/// `Nsecret`.
const NSECRET: u16 = 64;

/// Copies a 56-byte string into an array.
fn to_array(bytes: &[u8]) -> Option<Zeroizing<[u8; N]>> {
    <[u8; N]>::try_from(bytes).ok().map(Zeroizing::new)
}

/// `DH(sk, pk)`, rejecting low-order points and an all-zero output
/// (RFC 9180 section 7.1.4).
fn dh(sk: &[u8; N], pk: &[u8; N]) -> Option<Zeroizing<[u8; N]>> {
    let shared = Zeroizing::new(x448::x448(*sk, *pk)?);
    if bool::from(shared.ct_eq(&[0u8; N])) {
        return None;
    }
    Some(shared)
}

/// `pk(sk)`: X448(sk, 5).
fn pk(sk: &[u8; N]) -> Result<[u8; N], CryptoError> {
    x448::x448(*sk, x448::X448_BASEPOINT_BYTES).ok_or(CryptoError::InvalidPrivateKey)
}

/// `ExtractAndExpand(dh, kem_context)`.
fn extract_and_expand(dh: &[u8], enc: &[u8], pk_rm: &[u8]) -> Result<Secret, CryptoError> {
    let eae_prk = labeled::extract(KEM, KDF, b"", b"eae_prk", dh)?;
    let mut kem_context = Vec::with_capacity(2 * N);
    kem_context.extend_from_slice(enc);
    kem_context.extend_from_slice(pk_rm);
    labeled::expand(
        KEM,
        KDF,
        eae_prk.as_bytes(),
        b"shared_secret",
        &kem_context,
        NSECRET,
    )
}

/// `DeriveKeyPair(ikm)` (RFC 9180 section 7.1.3).
pub(crate) fn derive_key_pair(ikm: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
    let dkp_prk = labeled::extract(KEM, KDF, b"", b"dkp_prk", ikm)?;
    let sk = labeled::expand(KEM, KDF, dkp_prk.as_bytes(), b"sk", b"", N as u16)?;
    let pk = public_key(sk.as_bytes())?;
    Ok((sk, pk))
}

/// The public key of a private key.
pub(crate) fn public_key(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let sk = to_array(private_key).ok_or(CryptoError::InvalidPrivateKey)?;
    Ok(pk(&sk)?.to_vec())
}

/// `Encap(pkR)` with the ephemeral key `DeriveKeyPair(randomness)`.
pub(crate) fn encap(public_key: &[u8], randomness: &[u8]) -> Result<KemOutput, CryptoError> {
    let pk_r = to_array(public_key).ok_or(CryptoError::InvalidPublicKey)?;
    if randomness.len() != N {
        return Err(CryptoError::InvalidLength);
    }
    let (sk_e, enc) = derive_key_pair(randomness)?;
    let sk_e = to_array(sk_e.as_bytes()).ok_or(CryptoError::KemEncapFailed)?;
    let dh = dh(&sk_e, &pk_r).ok_or(CryptoError::KemEncapFailed)?;
    let shared_secret = extract_and_expand(dh.as_slice(), &enc, public_key)?;
    Ok(KemOutput { shared_secret, enc })
}

/// `Decap(enc, skR)`.
pub(crate) fn decap(enc: &[u8], private_key: &[u8]) -> Result<Secret, CryptoError> {
    let sk_r = to_array(private_key).ok_or(CryptoError::InvalidPrivateKey)?;
    let pk_e = to_array(enc).ok_or(CryptoError::KemDecapFailed)?;
    let dh = dh(&sk_r, &pk_e).ok_or(CryptoError::KemDecapFailed)?;
    let pk_rm = pk(&sk_r)?;
    extract_and_expand(dh.as_slice(), enc, &pk_rm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 7748 section 6.2.
    #[test]
    fn rfc7748_x448_diffie_hellman() {
        let a = h(
            "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b",
        );
        let a_pub = h(
            "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0",
        );
        let b = h(
            "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d",
        );
        let b_pub = h(
            "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609",
        );
        let k = h(
            "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d",
        );
        assert_eq!(public_key(&a).unwrap(), a_pub);
        assert_eq!(public_key(&b).unwrap(), b_pub);
        let a: [u8; N] = a.try_into().unwrap();
        let b: [u8; N] = b.try_into().unwrap();
        let k1 = dh(&a, &b_pub.clone().try_into().unwrap()).unwrap();
        let k2 = dh(&b, &a_pub.clone().try_into().unwrap()).unwrap();
        assert_eq!(k1.as_slice(), k.as_slice());
        assert_eq!(k2.as_slice(), k.as_slice());
    }

    #[test]
    fn encap_decap_round_trip_and_determinism() {
        let (sk, pk) = derive_key_pair(b"recipient ikm").unwrap();
        assert_eq!(sk.len(), N);
        assert_eq!(pk.len(), N);
        assert_eq!(
            derive_key_pair(b"recipient ikm").unwrap(),
            (sk.clone(), pk.clone())
        );
        assert_ne!(derive_key_pair(b"other ikm").unwrap().1, pk);
        assert_eq!(public_key(sk.as_bytes()).unwrap(), pk);

        let out = encap(&pk, &[9u8; N]).unwrap();
        assert_eq!(out.enc.len(), N);
        assert_eq!(out.shared_secret.len(), 64);
        let again = encap(&pk, &[9u8; N]).unwrap();
        assert_eq!(again.enc, out.enc);
        assert_eq!(again.shared_secret, out.shared_secret);
        assert_eq!(decap(&out.enc, sk.as_bytes()).unwrap(), out.shared_secret);

        let (other_sk, _) = derive_key_pair(b"someone else").unwrap();
        assert_ne!(
            decap(&out.enc, other_sk.as_bytes()).unwrap(),
            out.shared_secret
        );
    }

    #[test]
    fn rejects_bad_inputs() {
        let (sk, pk) = derive_key_pair(b"recipient ikm").unwrap();
        // p = 2^448 - 2^224 - 1, little-endian: a non-canonical encoding of 0.
        let mut p = [0xffu8; N];
        p[28] = 0xfe;
        let mut one = [0u8; N];
        one[0] = 1;
        for bad in [[0u8; N], one, p] {
            assert_eq!(
                encap(&bad, &[1u8; N]).unwrap_err(),
                CryptoError::KemEncapFailed
            );
            assert_eq!(
                decap(&bad, sk.as_bytes()).unwrap_err(),
                CryptoError::KemDecapFailed
            );
        }
        assert_eq!(
            encap(&pk[1..], &[1u8; N]).unwrap_err(),
            CryptoError::InvalidPublicKey
        );
        assert_eq!(
            encap(&pk, &[1u8; 55]).unwrap_err(),
            CryptoError::InvalidLength
        );
        assert_eq!(
            decap(&pk, &sk.as_bytes()[1..]).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
    }
}
