//! Signature schemes with the encodings of RFC 9420 section 5.1: Ed25519
//! (raw keys), ECDSA P-256/SHA-256 (big-endian scalars, uncompressed SEC1
//! points, DER signatures, RFC 6979 nonces) and ML-DSA-87 (32-byte seed,
//! pure mode, empty context, deterministic variant).

use cohort_traits::{CryptoError, Rand, RandError, Secret, SignatureScheme};
use zeroize::Zeroizing;

/// Generates a key pair of `scheme`, drawing randomness only from `rand`.
pub(crate) fn generate(
    scheme: SignatureScheme,
    rand: &dyn Rand,
) -> Result<(Secret, Vec<u8>), CryptoError> {
    match scheme {
        SignatureScheme::ED25519 => ed25519::generate(rand),
        SignatureScheme::ECDSA_SECP256R1_SHA256 => ecdsa_p256::generate(rand),
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
        SignatureScheme::ECDSA_SECP256R1_SHA256 => ecdsa_p256::public_key(private_key),
        SignatureScheme::MLDSA87 => mldsa87::public_key(private_key),
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}

/// Signs `message`.
pub(crate) fn sign(
    scheme: SignatureScheme,
    private_key: &[u8],
    message: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    match scheme {
        SignatureScheme::ED25519 => ed25519::sign(private_key, message),
        SignatureScheme::ECDSA_SECP256R1_SHA256 => ecdsa_p256::sign(private_key, message),
        SignatureScheme::MLDSA87 => mldsa87::sign(private_key, message),
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}

/// A key prepared for repeated signing: ML-DSA-87 seeds are expanded once.
/// Ed25519 and ECDSA keys gain nothing here (`libcrux-ed25519` exposes no
/// expanded-key signing), so they sign through [`sign`].
pub(crate) fn prepare(
    scheme: SignatureScheme,
    private_key: &[u8],
) -> Result<Option<std::sync::Arc<dyn cohort_traits::PreparedSigningKey>>, CryptoError> {
    match scheme {
        SignatureScheme::MLDSA87 => Ok(Some(std::sync::Arc::new(mldsa87::prepare(private_key)?))),
        SignatureScheme::ED25519 | SignatureScheme::ECDSA_SECP256R1_SHA256 => Ok(None),
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
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
        SignatureScheme::ECDSA_SECP256R1_SHA256 => {
            ecdsa_p256::verify(public_key, message, signature)
        }
        SignatureScheme::MLDSA87 => mldsa87::verify(public_key, message, signature),
        other => Err(CryptoError::UnsupportedSignatureScheme(other)),
    }
}

/// Draws a 32-byte private key or seed.
fn random_32(rand: &dyn Rand) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    rand.fill(seed.as_mut_slice())?;
    Ok(seed)
}

/// A 32-byte private key or seed, exactly.
fn key_32(private_key: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    <[u8; 32]>::try_from(private_key)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::InvalidPrivateKey)
}

mod ed25519 {
    use super::*;

    fn public_of(sk: &[u8; 32]) -> Vec<u8> {
        let mut pk = [0u8; 32];
        libcrux_ed25519::secret_to_public(&mut pk, sk);
        pk.to_vec()
    }

    pub(super) fn generate(rand: &dyn Rand) -> Result<(Secret, Vec<u8>), CryptoError> {
        let seed = random_32(rand)?;
        Ok((Secret::from_slice(seed.as_slice()), public_of(&seed)))
    }

    pub(super) fn public_key(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(public_of(&*key_32(private_key)?))
    }

    pub(super) fn sign(private_key: &[u8], message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let sk = key_32(private_key)?;
        let sig = libcrux_ed25519::sign(message, &sk).map_err(|_| CryptoError::SigningFailed)?;
        Ok(sig.to_vec())
    }

    pub(super) fn verify(
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let pk = <&[u8; 32]>::try_from(public_key).map_err(|_| CryptoError::InvalidPublicKey)?;
        let sig = <&[u8; 64]>::try_from(signature).map_err(|_| CryptoError::InvalidSignature)?;
        libcrux_ed25519::verify(message, pk, sig).map_err(|_| CryptoError::InvalidSignature)
    }
}

/// How many scalar candidates key generation draws before giving up. A
/// candidate fails with probability below 2^-32, so hitting this bound means
/// the random source is broken.
const MAX_SCALAR_ATTEMPTS: usize = 64;

/// ECDSA over P-256 with SHA-256, with RFC 6979 deterministic nonces.
mod ecdsa_p256 {
    use super::*;
    use libcrux_ecdsa::DigestAlgorithm;
    use libcrux_ecdsa::p256::{PublicKey, Signature};

    /// Length of a scalar and of a coordinate.
    const N: usize = 32;

    /// The order `q` of the P-256 group, big-endian.
    const ORDER: [u8; N] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];

    /// Decodes a big-endian scalar in `[1, q-1]`. Encodings shorter than 32
    /// bytes (leading zeros dropped) are left-padded; longer or empty ones
    /// are refused.
    fn scalar(private_key: &[u8]) -> Result<Zeroizing<[u8; N]>, CryptoError> {
        let pad = N
            .checked_sub(private_key.len())
            .filter(|_| !private_key.is_empty())
            .ok_or(CryptoError::InvalidPrivateKey)?;
        let mut sk = Zeroizing::new([0u8; N]);
        sk.get_mut(pad..)
            .ok_or(CryptoError::InvalidPrivateKey)?
            .copy_from_slice(private_key);
        if !libcrux_p256::validate_private_key(sk.as_slice()) {
            return Err(CryptoError::InvalidPrivateKey);
        }
        Ok(sk)
    }

    /// The uncompressed SEC1 encoding `0x04 || X || Y`.
    fn public_of(sk: &[u8; N]) -> Result<Vec<u8>, CryptoError> {
        let mut raw = [0u8; 2 * N];
        if !libcrux_p256::dh_initiator(&mut raw, sk) {
            return Err(CryptoError::InvalidPrivateKey);
        }
        let mut pk = Vec::with_capacity(1 + 2 * N);
        pk.push(0x04);
        pk.extend_from_slice(&raw);
        Ok(pk)
    }

    pub(super) fn generate(rand: &dyn Rand) -> Result<(Secret, Vec<u8>), CryptoError> {
        for _ in 0..MAX_SCALAR_ATTEMPTS {
            let candidate = random_32(rand)?;
            if let Ok(sk) = scalar(candidate.as_slice()) {
                return Ok((Secret::from_slice(sk.as_slice()), public_of(&sk)?));
            }
        }
        Err(CryptoError::Rand(RandError(
            "random source keeps producing invalid ECDSA scalars",
        )))
    }

    pub(super) fn public_key(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        public_of(&*scalar(private_key)?)
    }

    /// `HMAC-SHA256(key, parts...)`.
    fn hmac(key: &[u8; N], parts: &[&[u8]]) -> Result<Zeroizing<[u8; N]>, CryptoError> {
        let mut data = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
        for part in parts {
            data.extend_from_slice(part);
        }
        let mut tag = Zeroizing::new([0u8; N]);
        tag.copy_from_slice(
            crate::hash::hmac(cohort_traits::HashAlgorithm::Sha256, key, &data)?.as_bytes(),
        );
        Ok(tag)
    }

    /// `bits2octets(h1)` for P-256 with SHA-256 (RFC 6979 section 2.3.4):
    /// `h1 mod q`, which for a 256-bit `h1` is at most one subtraction.
    fn reduce(h1: &[u8; N]) -> [u8; N] {
        if h1.as_slice() < ORDER.as_slice() {
            return *h1;
        }
        let mut out = [0u8; N];
        let mut borrow = 0u16;
        for ((o, a), b) in out.iter_mut().zip(h1).zip(ORDER).rev() {
            let diff = u16::from(*a)
                .wrapping_sub(u16::from(b))
                .wrapping_sub(borrow);
            *o = diff.to_be_bytes()[1];
            borrow = u16::from(diff > 0xff);
        }
        out
    }

    /// The deterministic nonce `k` of RFC 6979 section 3.2 for private key
    /// `x` and message hash `h1` (qlen = hlen = 256, so `bits2int` is the
    /// identity and one HMAC block is one candidate).
    fn nonce(x: &[u8; N], h1: &[u8; N]) -> Result<Zeroizing<[u8; N]>, CryptoError> {
        let h1 = reduce(h1);
        let mut v = Zeroizing::new([0x01u8; N]);
        let mut k = Zeroizing::new([0x00u8; N]);
        k = hmac(&k, &[v.as_slice(), &[0x00], x, &h1])?;
        v = hmac(&k, &[v.as_slice()])?;
        k = hmac(&k, &[v.as_slice(), &[0x01], x, &h1])?;
        v = hmac(&k, &[v.as_slice()])?;
        for _ in 0..MAX_SCALAR_ATTEMPTS {
            v = hmac(&k, &[v.as_slice()])?;
            if libcrux_p256::validate_private_key(v.as_slice()) {
                return Ok(v);
            }
            k = hmac(&k, &[v.as_slice(), &[0x00]])?;
            v = hmac(&k, &[v.as_slice()])?;
        }
        // Each candidate fails with probability below 2^-32.
        Err(CryptoError::SigningFailed)
    }

    pub(super) fn sign(private_key: &[u8], message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let sk = scalar(private_key)?;
        let len = crate::hash::u32_len(message)?;
        let h1 = libcrux_sha2::sha256(message);
        let k = nonce(&sk, &h1)?;
        let mut raw = [0u8; 2 * N];
        if !libcrux_p256::ecdsa_sign_p256_sha2(&mut raw, len, message, sk.as_slice(), k.as_slice())
        {
            return Err(CryptoError::SigningFailed);
        }
        let (r, s) = raw.split_at(N);
        let r = <[u8; N]>::try_from(r).map_err(|_| CryptoError::SigningFailed)?;
        let s = <[u8; N]>::try_from(s).map_err(|_| CryptoError::SigningFailed)?;
        Ok(Signature::from_raw(r, s).to_der().as_bytes().to_vec())
    }

    pub(super) fn verify(
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        // Only the uncompressed form is the RFC 9420 encoding.
        let raw = match public_key.split_first() {
            Some((0x04, raw)) => {
                <[u8; 2 * N]>::try_from(raw).map_err(|_| CryptoError::InvalidPublicKey)?
            }
            _ => return Err(CryptoError::InvalidPublicKey),
        };
        if !libcrux_p256::validate_public_key(&raw) {
            return Err(CryptoError::InvalidPublicKey);
        }
        let sig = Signature::from_der(signature).map_err(|_| CryptoError::InvalidSignature)?;
        libcrux_ecdsa::p256::verify(DigestAlgorithm::Sha256, message, &sig, &PublicKey(raw))
            .map_err(|_| CryptoError::InvalidSignature)
    }
}

/// ML-DSA-87 (FIPS 204): the private key is the 32-byte seed `xi`; signing
/// expands it, and uses the pure mode with an empty context and the
/// deterministic variant (`rnd` = 32 zero bytes).
mod mldsa87 {
    use super::*;
    use libcrux_ml_dsa::ml_dsa_87::{self, MLDSA87Signature, MLDSA87VerificationKey};

    /// Encoded verification key length.
    const PK_LEN: usize = 2592;
    /// Encoded signature length.
    const SIG_LEN: usize = 4627;
    /// The empty context string of pure ML-DSA as used by MLS.
    const CONTEXT: &[u8] = b"";

    pub(super) fn generate(rand: &dyn Rand) -> Result<(Secret, Vec<u8>), CryptoError> {
        let seed = random_32(rand)?;
        let pk = public_key(seed.as_slice())?;
        Ok((Secret::from_slice(seed.as_slice()), pk))
    }

    fn expand(private_key: &[u8]) -> Result<ml_dsa_87::MLDSA87KeyPair, CryptoError> {
        let seed = key_32(private_key)?;
        Ok(ml_dsa_87::generate_key_pair(*seed))
    }

    /// Wipes the expanded signing key.
    fn wipe(key_pair: &mut ml_dsa_87::MLDSA87KeyPair) {
        zeroize::Zeroize::zeroize(key_pair.signing_key.as_ref_mut());
    }

    pub(super) fn public_key(private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut key_pair = expand(private_key)?;
        wipe(&mut key_pair);
        Ok(key_pair.verification_key.as_slice().to_vec())
    }

    pub(super) fn sign(private_key: &[u8], message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        cohort_traits::PreparedSigningKey::sign(&prepare(private_key)?, message)
    }

    /// A seed expanded once into its key pair (the costly part of an
    /// ML-DSA signature from a seed), wiped on drop.
    pub(crate) struct Prepared(Box<ml_dsa_87::MLDSA87KeyPair>);

    /// Expands `private_key` for repeated signing.
    pub(crate) fn prepare(private_key: &[u8]) -> Result<Prepared, CryptoError> {
        Ok(Prepared(Box::new(expand(private_key)?)))
    }

    impl Drop for Prepared {
        fn drop(&mut self) {
            wipe(&mut self.0);
        }
    }

    impl cohort_traits::PreparedSigningKey for Prepared {
        fn scheme(&self) -> SignatureScheme {
            SignatureScheme::MLDSA87
        }

        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
            Ok(
                ml_dsa_87::sign(&self.0.signing_key, message, CONTEXT, [0u8; 32])
                    .map_err(|_| CryptoError::SigningFailed)?
                    .as_slice()
                    .to_vec(),
            )
        }
    }

    pub(super) fn verify(
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let pk = <[u8; PK_LEN]>::try_from(public_key).map_err(|_| CryptoError::InvalidPublicKey)?;
        let sig =
            <[u8; SIG_LEN]>::try_from(signature).map_err(|_| CryptoError::InvalidSignature)?;
        ml_dsa_87::verify(
            &MLDSA87VerificationKey::new(pk),
            message,
            CONTEXT,
            &MLDSA87Signature::new(sig),
        )
        .map_err(|_| CryptoError::InvalidSignature)
    }
}
