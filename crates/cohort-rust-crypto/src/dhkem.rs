//! The DHKEMs of RFC 9180 section 4.1 on the Montgomery curves, written
//! once over [`Curve`]: DHKEM(X25519, HKDF-SHA256) (KEM id 0x0020) on
//! `x25519-dalek`, DHKEM(X448, HKDF-SHA512) (0x0021) on `x448`.
//!
//! `Nsk` = `Npk` = `Nenc` = `Ndh`. Private keys are the raw strings of
//! RFC 7748; clamping happens when a key is used, so `DeriveKeyPair`
//! returns the unclamped `LabeledExpand` output (as the RFC 9180 test
//! vectors do). Public keys are fixed-base multiplications (precomputed
//! tables for X25519), each computed once per operation: `Encap` derives
//! the ephemeral public key once, and `Decap` takes the recipient's public
//! key when the caller has it.

use alloc::vec::Vec;
use cohort_traits::{CryptoError, KdfId, KemId, KemOutput, Secret};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::hash::labeled;

/// A Montgomery curve's Diffie-Hellman function and the DHKEM parameters
/// that go with it.
pub(crate) trait Curve {
    /// The KEM id.
    const KEM: KemId;
    /// The KDF of the KEM.
    const KDF: KdfId;
    /// `Nsk` = `Npk` = `Nenc` = `Ndh`.
    const N: usize;
    /// `Nsecret`.
    const NSECRET: u16;
    /// `X(sk, pk)` on `N`-byte inputs; `None` when the result is the
    /// all-zero value (a low-order `pk`).
    fn x(sk: &[u8], pk: &[u8]) -> Option<Zeroizing<Vec<u8>>>;
    /// `pk(sk)`, a fixed-base multiplication, on an `N`-byte key.
    fn base(sk: &[u8]) -> Option<Vec<u8>>;
}

/// X25519 (RFC 7748) on `x25519-dalek`.
pub(crate) struct X25519;

impl Curve for X25519 {
    const KEM: KemId = KemId::DHKEM_X25519;
    const KDF: KdfId = KdfId::HKDF_SHA256;
    const N: usize = 32;
    const NSECRET: u16 = 32;

    fn x(sk: &[u8], pk: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let sk = x25519_dalek::StaticSecret::from(<[u8; 32]>::try_from(sk).ok()?);
        let pk = x25519_dalek::PublicKey::from(<[u8; 32]>::try_from(pk).ok()?);
        let shared = sk.diffie_hellman(&pk);
        shared
            .was_contributory()
            .then(|| Zeroizing::new(shared.as_bytes().to_vec()))
    }

    fn base(sk: &[u8]) -> Option<Vec<u8>> {
        let sk = x25519_dalek::StaticSecret::from(<[u8; 32]>::try_from(sk).ok()?);
        Some(x25519_dalek::PublicKey::from(&sk).as_bytes().to_vec())
    }
}

/// X448 (RFC 7748) on `x448`.
pub(crate) struct X448;

impl Curve for X448 {
    const KEM: KemId = KemId::DHKEM_X448;
    const KDF: KdfId = KdfId::HKDF_SHA512;
    const N: usize = 56;
    const NSECRET: u16 = 64;

    fn x(sk: &[u8], pk: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let sk = Zeroizing::new(<[u8; 56]>::try_from(sk).ok()?);
        let pk = <[u8; 56]>::try_from(pk).ok()?;
        let shared = Zeroizing::new(x448::x448(*sk, pk)?);
        // `x448` already refuses low-order points; the all-zero check of
        // RFC 9180 section 7.1.4 stays as a second line.
        (!bool::from(shared.ct_eq(&[0u8; 56]))).then(|| Zeroizing::new(shared.to_vec()))
    }

    fn base(sk: &[u8]) -> Option<Vec<u8>> {
        let sk = Zeroizing::new(<[u8; 56]>::try_from(sk).ok()?);
        x448::x448(*sk, x448::X448_BASEPOINT_BYTES).map(|pk| pk.to_vec())
    }
}

/// `ExtractAndExpand(dh, kem_context)` with `kem_context = enc || pkRm`.
fn extract_and_expand<C: Curve>(
    dh: &[u8],
    enc: &[u8],
    pk_rm: &[u8],
) -> Result<Secret, CryptoError> {
    let eae_prk = labeled::extract(C::KEM, C::KDF, b"", b"eae_prk", dh)?;
    let mut kem_context = Vec::with_capacity(enc.len() + pk_rm.len());
    kem_context.extend_from_slice(enc);
    kem_context.extend_from_slice(pk_rm);
    labeled::expand(
        C::KEM,
        C::KDF,
        eae_prk.as_bytes(),
        b"shared_secret",
        &kem_context,
        C::NSECRET,
    )
}

/// `DeriveKeyPair(ikm)` (RFC 9180 section 7.1.3).
pub(crate) fn derive_key_pair<C: Curve>(ikm: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
    let n = u16::try_from(C::N).map_err(|_| CryptoError::InvalidLength)?;
    let dkp_prk = labeled::extract(C::KEM, C::KDF, b"", b"dkp_prk", ikm)?;
    let sk = labeled::expand(C::KEM, C::KDF, dkp_prk.as_bytes(), b"sk", b"", n)?;
    let pk = public_key::<C>(sk.as_bytes())?;
    Ok((sk, pk))
}

/// The public key of a private key.
pub(crate) fn public_key<C: Curve>(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    C::base(private_key).ok_or(CryptoError::InvalidPrivateKey)
}

/// `Encap(pkR)` with the ephemeral key `DeriveKeyPair(randomness)`.
pub(crate) fn encap<C: Curve>(
    public_key: &[u8],
    randomness: &[u8],
) -> Result<KemOutput, CryptoError> {
    if public_key.len() != C::N {
        return Err(CryptoError::InvalidPublicKey);
    }
    if randomness.len() != C::N {
        return Err(CryptoError::InvalidLength);
    }
    let (sk_e, enc) = derive_key_pair::<C>(randomness)?;
    let dh = C::x(sk_e.as_bytes(), public_key).ok_or(CryptoError::KemEncapFailed)?;
    let shared_secret = extract_and_expand::<C>(&dh, &enc, public_key)?;
    Ok(KemOutput { shared_secret, enc })
}

/// `Decap(enc, skR)`; `pkRm` is recomputed unless the caller gives it.
pub(crate) fn decap<C: Curve>(
    enc: &[u8],
    private_key: &[u8],
    known_public_key: Option<&[u8]>,
) -> Result<Secret, CryptoError> {
    if private_key.len() != C::N {
        return Err(CryptoError::InvalidPrivateKey);
    }
    if enc.len() != C::N {
        return Err(CryptoError::KemDecapFailed);
    }
    let dh = C::x(private_key, enc).ok_or(CryptoError::KemDecapFailed)?;
    match known_public_key {
        Some(pk_rm) if pk_rm.len() == C::N => extract_and_expand::<C>(&dh, enc, pk_rm),
        Some(_) => Err(CryptoError::InvalidPublicKey),
        None => extract_and_expand::<C>(&dh, enc, &public_key::<C>(private_key)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

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
        check_diffie_hellman::<X448>(&a, &a_pub, &b, &b_pub, &k);
    }

    /// RFC 7748 section 6.1.
    #[test]
    fn rfc7748_x25519_diffie_hellman() {
        let a = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let a_pub = h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let b = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        let b_pub = h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        let k = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        check_diffie_hellman::<X25519>(&a, &a_pub, &b, &b_pub, &k);
    }

    fn check_diffie_hellman<C: Curve>(a: &[u8], a_pub: &[u8], b: &[u8], b_pub: &[u8], k: &[u8]) {
        assert_eq!(public_key::<C>(a).unwrap(), a_pub);
        assert_eq!(public_key::<C>(b).unwrap(), b_pub);
        assert_eq!(C::x(a, b_pub).unwrap().as_slice(), k);
        assert_eq!(C::x(b, a_pub).unwrap().as_slice(), k);
    }

    /// RFC 9180 appendix A.1.1: DHKEM(X25519, HKDF-SHA256) key derivation,
    /// `Encap` and `Decap` (with and without the known public key).
    #[test]
    fn rfc9180_x25519_vector() {
        let ikm_e = h("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234");
        let pk_em = h("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
        let sk_em = h("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736");
        let ikm_r = h("6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037");
        let pk_rm = h("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d");
        let sk_rm = h("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8");
        let shared = h("fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc");

        let (sk, pk) = derive_key_pair::<X25519>(&ikm_e).unwrap();
        assert_eq!((sk.as_bytes(), pk.as_slice()), (&sk_em[..], &pk_em[..]));
        let (sk, pk) = derive_key_pair::<X25519>(&ikm_r).unwrap();
        assert_eq!((sk.as_bytes(), pk.as_slice()), (&sk_rm[..], &pk_rm[..]));

        let out = encap::<X25519>(&pk_rm, &ikm_e).unwrap();
        assert_eq!(out.enc, pk_em);
        assert_eq!(out.shared_secret.as_bytes(), &shared[..]);
        assert_eq!(
            decap::<X25519>(&pk_em, &sk_rm, None).unwrap().as_bytes(),
            &shared[..]
        );
        assert_eq!(
            decap::<X25519>(&pk_em, &sk_rm, Some(&pk_rm))
                .unwrap()
                .as_bytes(),
            &shared[..]
        );
        // A wrong known public key changes the KEM context, so the secret.
        assert_ne!(
            decap::<X25519>(&pk_em, &sk_rm, Some(&pk_em))
                .unwrap()
                .as_bytes(),
            &shared[..]
        );
    }

    fn round_trip<C: Curve>() {
        let n = C::N;
        let (sk, pk) = derive_key_pair::<C>(b"recipient ikm").unwrap();
        assert_eq!(sk.len(), n);
        assert_eq!(pk.len(), n);
        assert_eq!(
            derive_key_pair::<C>(b"recipient ikm").unwrap(),
            (sk.clone(), pk.clone())
        );
        assert_ne!(derive_key_pair::<C>(b"other ikm").unwrap().1, pk);
        assert_eq!(public_key::<C>(sk.as_bytes()).unwrap(), pk);

        let randomness = vec![9u8; n];
        let out = encap::<C>(&pk, &randomness).unwrap();
        assert_eq!(out.enc.len(), n);
        assert_eq!(out.shared_secret.len(), usize::from(C::NSECRET));
        let again = encap::<C>(&pk, &randomness).unwrap();
        assert_eq!(again.enc, out.enc);
        assert_eq!(again.shared_secret, out.shared_secret);
        assert_eq!(
            decap::<C>(&out.enc, sk.as_bytes(), None).unwrap(),
            out.shared_secret
        );
        assert_eq!(
            decap::<C>(&out.enc, sk.as_bytes(), Some(&pk)).unwrap(),
            out.shared_secret
        );

        let (other_sk, _) = derive_key_pair::<C>(b"someone else").unwrap();
        assert_ne!(
            decap::<C>(&out.enc, other_sk.as_bytes(), None).unwrap(),
            out.shared_secret
        );
    }

    #[test]
    fn encap_decap_round_trip_and_determinism() {
        round_trip::<X25519>();
        round_trip::<X448>();
    }

    /// Low-order points (0, 1, and a non-canonical encoding of 0 or 1) give
    /// the all-zero secret and are refused (RFC 9180 section 7.1.4); wrong
    /// lengths are refused by name.
    fn rejects_bad_inputs<C: Curve>(p: Vec<u8>) {
        let n = C::N;
        let (sk, pk) = derive_key_pair::<C>(b"recipient ikm").unwrap();
        let mut one = vec![0u8; n];
        one[0] = 1;
        for bad in [vec![0u8; n], one, p] {
            assert_eq!(
                encap::<C>(&bad, &vec![1u8; n]).unwrap_err(),
                CryptoError::KemEncapFailed
            );
            assert_eq!(
                decap::<C>(&bad, sk.as_bytes(), None).unwrap_err(),
                CryptoError::KemDecapFailed
            );
            assert_eq!(
                decap::<C>(&bad, sk.as_bytes(), Some(&pk)).unwrap_err(),
                CryptoError::KemDecapFailed
            );
        }
        assert_eq!(
            encap::<C>(&pk[1..], &vec![1u8; n]).unwrap_err(),
            CryptoError::InvalidPublicKey
        );
        assert_eq!(
            encap::<C>(&pk, &vec![1u8; n - 1]).unwrap_err(),
            CryptoError::InvalidLength
        );
        assert_eq!(
            decap::<C>(&pk, &sk.as_bytes()[1..], None).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        assert_eq!(
            decap::<C>(&pk, sk.as_bytes(), Some(&pk[1..])).unwrap_err(),
            CryptoError::InvalidPublicKey
        );
        assert_eq!(
            public_key::<C>(&sk.as_bytes()[1..]).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
    }

    #[test]
    fn x25519_rejects_bad_inputs() {
        // p = 2^255 - 19, little-endian: a non-canonical encoding of 0.
        let mut p = vec![0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        rejects_bad_inputs::<X25519>(p);
    }

    #[test]
    fn x448_rejects_bad_inputs() {
        // p = 2^448 - 2^224 - 1, little-endian: a non-canonical encoding of 0.
        let mut p = vec![0xffu8; 56];
        p[28] = 0xfe;
        rejects_bad_inputs::<X448>(p);
    }
}
