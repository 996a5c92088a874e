//! The HPKE KEMs: DHKEM(X25519, HKDF-SHA256) and DHKEM(P-256, HKDF-SHA256)
//! built here from RFC 9180 section 4.1 on libcrux's X25519, P-256 and HKDF;
//! X-Wing through `libcrux-kem`; ML-KEM-1024 through `libcrux-ml-kem`.

use cohort_traits::{CryptoError, KdfId, KemId, KemOutput, Secret};
use zeroize::{Zeroize, Zeroizing};

use crate::hash::labeled;

/// `DeriveKeyPair(ikm)`: the serialized private and public keys.
pub(crate) fn derive_key_pair(kem: KemId, ikm: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
    match kem {
        KemId::DHKEM_X25519 => dhkem::derive_key_pair(dhkem::Curve::X25519, ikm),
        KemId::DHKEM_P256 => dhkem::derive_key_pair(dhkem::Curve::P256, ikm),
        KemId::XWING => xwing::derive_key_pair(ikm),
        KemId::ML_KEM_1024 => mlkem::derive_key_pair(ikm),
        other => Err(CryptoError::UnsupportedKem(other)),
    }
}

/// The public key of a serialized private key.
pub(crate) fn public_key(kem: KemId, private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    match kem {
        KemId::DHKEM_X25519 => dhkem::Curve::X25519.public_key(private_key),
        KemId::DHKEM_P256 => dhkem::Curve::P256.public_key(private_key),
        KemId::XWING => xwing::public_key(private_key),
        KemId::ML_KEM_1024 => mlkem::public_key(private_key),
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
        KemId::DHKEM_X25519 => dhkem::encap(dhkem::Curve::X25519, public_key, randomness),
        KemId::DHKEM_P256 => dhkem::encap(dhkem::Curve::P256, public_key, randomness),
        KemId::XWING => xwing::encap(public_key, randomness),
        KemId::ML_KEM_1024 => mlkem::encap(public_key, randomness),
        other => Err(CryptoError::UnsupportedKem(other)),
    }
}

/// `Decap(enc, skR)`; the DHKEMs use `known_public_key` (`pkR`) instead of
/// recomputing it, the other KEMs ignore it.
pub(crate) fn decap(
    kem: KemId,
    enc: &[u8],
    private_key: &[u8],
    known_public_key: Option<&[u8]>,
) -> Result<Secret, CryptoError> {
    match kem {
        KemId::DHKEM_X25519 => {
            dhkem::decap(dhkem::Curve::X25519, enc, private_key, known_public_key)
        }
        KemId::DHKEM_P256 => dhkem::decap(dhkem::Curve::P256, enc, private_key, known_public_key),
        KemId::XWING => xwing::decap(enc, private_key),
        KemId::ML_KEM_1024 => mlkem::decap(enc, private_key),
        other => Err(CryptoError::UnsupportedKem(other)),
    }
}

/// Copies a library-owned secret into a [`Secret`] and wipes the original.
fn take_secret(mut bytes: Vec<u8>) -> Secret {
    let out = Secret::from_slice(&bytes);
    bytes.zeroize();
    out
}

/// `DeriveKeyPair(ikm)` of draft-ietf-hpke-pq: the `Nsk`-byte seed
/// `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", Nsk)`.
fn pq_seed<const N: usize>(kem: KemId, ikm: &[u8]) -> Result<Zeroizing<[u8; N]>, CryptoError> {
    let mut seed = Zeroizing::new([0u8; N]);
    labeled::shake256_derive(kem, ikm, b"DeriveKeyPair", b"", seed.as_mut_slice())?;
    Ok(seed)
}

/// DHKEM(X25519, HKDF-SHA256) and DHKEM(P-256, HKDF-SHA256) (RFC 9180
/// section 4.1). Both curves have 32-byte private keys and shared secrets.
mod dhkem {
    use super::*;

    /// `Nsk` = `Ndh` = `Nsecret` for both curves.
    const N: usize = 32;
    /// Both DHKEMs use HKDF-SHA256.
    const KDF: KdfId = KdfId::HKDF_SHA256;

    #[derive(Clone, Copy)]
    pub(super) enum Curve {
        X25519,
        P256,
    }

    impl Curve {
        fn kem(self) -> KemId {
            match self {
                Curve::X25519 => KemId::DHKEM_X25519,
                Curve::P256 => KemId::DHKEM_P256,
            }
        }

        /// `Npk` (= `Nenc`).
        fn public_len(self) -> usize {
            match self {
                Curve::X25519 => 32,
                Curve::P256 => 65,
            }
        }

        /// A private key: exactly 32 bytes, and for P-256 a scalar in
        /// `[1, n-1]`.
        fn private(self, bytes: &[u8]) -> Option<Zeroizing<[u8; N]>> {
            let sk = Zeroizing::new(<[u8; N]>::try_from(bytes).ok()?);
            match self {
                Curve::X25519 => Some(sk),
                Curve::P256 => libcrux_p256::validate_private_key(sk.as_slice()).then_some(sk),
            }
        }

        /// `SerializePublicKey(pk(sk))`.
        fn public_of(self, sk: &[u8; N]) -> Option<Vec<u8>> {
            match self {
                Curve::X25519 => {
                    let mut pk = [0u8; 32];
                    libcrux_curve25519::secret_to_public(&mut pk, sk);
                    Some(pk.to_vec())
                }
                Curve::P256 => {
                    let mut raw = [0u8; 64];
                    if !libcrux_p256::dh_initiator(&mut raw, sk) {
                        return None;
                    }
                    let mut pk = Vec::with_capacity(65);
                    pk.push(0x04);
                    pk.extend_from_slice(&raw);
                    Some(pk)
                }
            }
        }

        /// The public key of a serialized private key.
        pub(super) fn public_key(self, private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
            let sk = self
                .private(private_key)
                .ok_or(CryptoError::InvalidPrivateKey)?;
            self.public_of(&sk).ok_or(CryptoError::InvalidPrivateKey)
        }

        /// `DeserializePublicKey`: the key in the form libcrux takes (the
        /// raw `X || Y` for P-256, after checking it is on the curve).
        fn parse_public(self, bytes: &[u8]) -> Option<PublicKey> {
            match self {
                Curve::X25519 => <[u8; 32]>::try_from(bytes).ok().map(PublicKey::X25519),
                Curve::P256 => {
                    let (tag, raw) = bytes.split_first()?;
                    let raw = <[u8; 64]>::try_from(raw).ok()?;
                    (*tag == 0x04 && libcrux_p256::validate_public_key(&raw))
                        .then_some(PublicKey::P256(raw))
                }
            }
        }

        /// `DH(sk, pk)`; `None` for an invalid point or an all-zero X25519
        /// output (RFC 9180 section 7.1.4).
        fn dh(self, sk: &[u8; N], pk: &PublicKey) -> Option<Zeroizing<[u8; N]>> {
            let mut out = Zeroizing::new([0u8; N]);
            match pk {
                PublicKey::X25519(pk) => {
                    libcrux_curve25519::ecdh(&mut out, pk, sk).ok()?;
                }
                PublicKey::P256(pk) => {
                    // libcrux returns the shared point; DH is its x-coordinate.
                    let mut point = Zeroizing::new([0u8; 64]);
                    if !libcrux_p256::dh_responder(point.as_mut_slice(), pk, sk) {
                        return None;
                    }
                    let (x, _) = point.split_first_chunk::<N>()?;
                    out.copy_from_slice(x);
                }
            }
            Some(out)
        }
    }

    /// A deserialized public key.
    enum PublicKey {
        X25519([u8; 32]),
        P256([u8; 64]),
    }

    /// `DeriveKeyPair(ikm)` (RFC 9180 section 7.1.3). X25519 returns the
    /// `LabeledExpand` output unclamped, as the RFC's vectors do; P-256
    /// draws candidates until one is a valid scalar.
    pub(super) fn derive_key_pair(
        curve: Curve,
        ikm: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        let kem = curve.kem();
        let dkp_prk = labeled::extract(kem, KDF, b"", b"dkp_prk", ikm)?;
        let sk = match curve {
            Curve::X25519 => labeled::expand(kem, KDF, dkp_prk.as_bytes(), b"sk", b"", 32)?,
            Curve::P256 => {
                let mut found = None;
                for counter in 0..=255u8 {
                    let candidate = labeled::expand(
                        kem,
                        KDF,
                        dkp_prk.as_bytes(),
                        b"candidate",
                        &[counter],
                        32,
                    )?;
                    // The bitmask of P-256 is 0xff: no bits are cleared.
                    if curve.private(candidate.as_bytes()).is_some() {
                        found = Some(candidate);
                        break;
                    }
                }
                // Probability about 2^-8192: DeriveKeyPairError.
                found.ok_or(CryptoError::InvalidPrivateKey)?
            }
        };
        let pk = curve.public_key(sk.as_bytes())?;
        Ok((sk, pk))
    }

    /// `ExtractAndExpand(dh, kem_context)` with `kem_context = enc || pkRm`.
    fn extract_and_expand(
        kem: KemId,
        dh: &[u8],
        enc: &[u8],
        pk_rm: &[u8],
    ) -> Result<Secret, CryptoError> {
        let eae_prk = labeled::extract(kem, KDF, b"", b"eae_prk", dh)?;
        let mut kem_context = Vec::with_capacity(enc.len() + pk_rm.len());
        kem_context.extend_from_slice(enc);
        kem_context.extend_from_slice(pk_rm);
        labeled::expand(
            kem,
            KDF,
            eae_prk.as_bytes(),
            b"shared_secret",
            &kem_context,
            N as u16,
        )
    }

    /// `Encap(pkR)` with the ephemeral key `DeriveKeyPair(randomness)`.
    pub(super) fn encap(
        curve: Curve,
        public_key: &[u8],
        randomness: &[u8],
    ) -> Result<KemOutput, CryptoError> {
        if public_key.len() != curve.public_len() {
            return Err(CryptoError::InvalidPublicKey);
        }
        let pk_r = curve
            .parse_public(public_key)
            .ok_or(CryptoError::InvalidPublicKey)?;
        if randomness.len() != N {
            return Err(CryptoError::InvalidLength);
        }
        let (sk_e, enc) = derive_key_pair(curve, randomness)?;
        let sk_e = curve
            .private(sk_e.as_bytes())
            .ok_or(CryptoError::KemEncapFailed)?;
        let dh = curve.dh(&sk_e, &pk_r).ok_or(CryptoError::KemEncapFailed)?;
        let shared_secret = extract_and_expand(curve.kem(), dh.as_slice(), &enc, public_key)?;
        Ok(KemOutput { shared_secret, enc })
    }

    /// `Decap(enc, skR)`; `pkRm` is recomputed unless the caller gives it.
    pub(super) fn decap(
        curve: Curve,
        enc: &[u8],
        private_key: &[u8],
        known_public_key: Option<&[u8]>,
    ) -> Result<Secret, CryptoError> {
        let sk_r = curve
            .private(private_key)
            .ok_or(CryptoError::InvalidPrivateKey)?;
        let pk_e = curve.parse_public(enc).ok_or(CryptoError::KemDecapFailed)?;
        let dh = curve.dh(&sk_r, &pk_e).ok_or(CryptoError::KemDecapFailed)?;
        match known_public_key {
            Some(pk_rm) if pk_rm.len() == curve.public_len() => {
                extract_and_expand(curve.kem(), dh.as_slice(), enc, pk_rm)
            }
            Some(_) => Err(CryptoError::InvalidPublicKey),
            None => {
                let pk_rm = curve
                    .public_of(&sk_r)
                    .ok_or(CryptoError::InvalidPrivateKey)?;
                extract_and_expand(curve.kem(), dh.as_slice(), enc, &pk_rm)
            }
        }
    }
}

/// X-Wing (draft-connolly-cfrg-xwing-kem) through `libcrux-kem`, with the
/// HPKE `DeriveKeyPair` of draft-ietf-hpke-pq.
mod xwing {
    use super::*;
    use libcrux_kem::{Algorithm, Ct, PrivateKey, PublicKey};

    const ALG: Algorithm = Algorithm::XWingKemDraft06;
    /// `Nsk`: the decapsulation key is a 32-byte seed.
    const NSK: usize = 32;
    /// Encapsulation randomness: ML-KEM-768's `m`, then the ephemeral X25519
    /// key.
    const ENCAP_RANDOMNESS: usize = 64;

    /// Wipes the seed inside a libcrux private key.
    fn wipe(sk: &mut PrivateKey) {
        if let PrivateKey::XWingKemDraft06(k) = sk {
            k.seed.zeroize();
        }
    }

    /// The public key of a 32-byte seed.
    pub(super) fn public_key(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if private_key.len() != NSK {
            return Err(CryptoError::InvalidPrivateKey);
        }
        let (mut sk, pk) = libcrux_kem::key_gen_derand(ALG, private_key)
            .map_err(|_| CryptoError::InvalidPrivateKey)?;
        wipe(&mut sk);
        Ok(pk.encode())
    }

    pub(super) fn derive_key_pair(ikm: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
        let seed = pq_seed::<NSK>(KemId::XWING, ikm)?;
        let pk = public_key(seed.as_slice())?;
        Ok((Secret::from_slice(seed.as_slice()), pk))
    }

    pub(super) fn encap(public_key: &[u8], randomness: &[u8]) -> Result<KemOutput, CryptoError> {
        let pk = PublicKey::decode(ALG, public_key).map_err(|_| CryptoError::InvalidPublicKey)?;
        if randomness.len() != ENCAP_RANDOMNESS {
            return Err(CryptoError::InvalidLength);
        }
        let (ss, ct) = pk
            .encapsulate_derand(randomness)
            .map_err(|_| CryptoError::KemEncapFailed)?;
        Ok(KemOutput {
            shared_secret: take_secret(ss.encode()),
            enc: ct.encode(),
        })
    }

    pub(super) fn decap(enc: &[u8], private_key: &[u8]) -> Result<Secret, CryptoError> {
        if private_key.len() != NSK {
            return Err(CryptoError::InvalidPrivateKey);
        }
        let mut sk =
            PrivateKey::decode(ALG, private_key).map_err(|_| CryptoError::InvalidPrivateKey)?;
        let result = Ct::decode(ALG, enc)
            .map_err(|_| CryptoError::KemDecapFailed)
            .and_then(|ct| ct.decapsulate(&sk).map_err(|_| CryptoError::KemDecapFailed))
            .map(|ss| take_secret(ss.encode()));
        wipe(&mut sk);
        result
    }
}

/// ML-KEM-1024 (FIPS 203) through `libcrux-ml-kem`, with the HPKE
/// conventions of draft-ietf-hpke-pq: the private key is the 64-byte seed
/// `d || z`, expanded on every use.
mod mlkem {
    use super::*;
    use libcrux_ml_kem::mlkem1024::{self, MlKem1024Ciphertext, MlKem1024PublicKey};
    use libcrux_ml_kem::{ENCAPS_SEED_SIZE, KEY_GENERATION_SEED_SIZE};

    /// The expanded key pair of a 64-byte seed.
    fn expand(private_key: &[u8]) -> Result<mlkem1024::MlKem1024KeyPair, CryptoError> {
        let seed = Zeroizing::new(
            <[u8; KEY_GENERATION_SEED_SIZE]>::try_from(private_key)
                .map_err(|_| CryptoError::InvalidPrivateKey)?,
        );
        Ok(mlkem1024::generate_key_pair(*seed))
    }

    /// Wipes the expanded decapsulation key of a key pair and returns the
    /// public key.
    fn split(key_pair: mlkem1024::MlKem1024KeyPair) -> Vec<u8> {
        let (sk, pk) = key_pair.into_parts();
        let mut sk: [u8; mlkem1024::MlKem1024PrivateKey::len()] = sk.into();
        sk.zeroize();
        pk.as_slice().to_vec()
    }

    pub(super) fn public_key(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(split(expand(private_key)?))
    }

    pub(super) fn derive_key_pair(ikm: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
        let seed = pq_seed::<KEY_GENERATION_SEED_SIZE>(KemId::ML_KEM_1024, ikm)?;
        let pk = public_key(seed.as_slice())?;
        Ok((Secret::from_slice(seed.as_slice()), pk))
    }

    pub(super) fn encap(public_key: &[u8], randomness: &[u8]) -> Result<KemOutput, CryptoError> {
        let pk =
            MlKem1024PublicKey::try_from(public_key).map_err(|_| CryptoError::InvalidPublicKey)?;
        // The encapsulation key check of FIPS 203 section 7.2.
        if !mlkem1024::validate_public_key(&pk) {
            return Err(CryptoError::InvalidPublicKey);
        }
        let m = Zeroizing::new(
            <[u8; ENCAPS_SEED_SIZE]>::try_from(randomness)
                .map_err(|_| CryptoError::InvalidLength)?,
        );
        let (ct, mut ss) = mlkem1024::encapsulate(&pk, *m);
        let shared_secret = Secret::from_slice(&ss);
        ss.zeroize();
        Ok(KemOutput {
            shared_secret,
            enc: ct.as_slice().to_vec(),
        })
    }

    pub(super) fn decap(enc: &[u8], private_key: &[u8]) -> Result<Secret, CryptoError> {
        let key_pair = expand(private_key)?;
        let result = MlKem1024Ciphertext::try_from(enc)
            .map_err(|_| CryptoError::KemDecapFailed)
            .map(|ct| {
                let mut ss = mlkem1024::decapsulate(key_pair.private_key(), &ct);
                let out = Secret::from_slice(&ss);
                ss.zeroize();
                out
            });
        split(key_pair);
        result
    }
}
