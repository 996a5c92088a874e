//! A [`Crypto`] and [`Rand`] provider for Cohort built on
//! [libcrux](https://github.com/cryspen/libcrux), a library of formally
//! verified cryptographic primitives (HACL*, hax).
//!
//! [`LibcruxCrypto`] supports the cipher suites whose every algorithm libcrux
//! implements:
//!
//! | code   | suite                                                  |
//! |--------|--------------------------------------------------------|
//! | 0x0001 | MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519           |
//! | 0x0002 | MLS_128_DHKEMP256_AES128GCM_SHA256_P256                |
//! | 0x0003 | MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519    |
//! | 0x004D | MLS_256_XWING_CHACHA20POLY1305_SHA256_Ed25519          |
//! | 0x0906 | MLS_256_MLKEM1024_AES256GCM_SHA512_MLDSA87 (provisional) |
//!
//! Every other suite, KEM and signature scheme is reported as unsupported
//! (`CryptoError::Unsupported*`); the provider never falls back to another
//! library. SHA-384 and HKDF-SHA384 are implemented (libcrux has them) even
//! though no supported suite uses them.
//!
//! Key encodings are those of the RustCrypto provider, so keys and
//! signatures move freely between the two:
//! - DHKEM(X25519): raw 32-byte keys; `DeriveKeyPair` returns the private key
//!   as RFC 9180's `LabeledExpand` produced it (unclamped; clamping happens on
//!   use). DHKEM(P-256): 32-byte big-endian scalars and uncompressed SEC1
//!   points. Both KEMs are built here from RFC 9180 section 4.1 on libcrux's
//!   X25519, P-256 and HKDF.
//! - X-Wing (KEM 0x647a): 32-byte seed private keys, `libcrux-kem`'s
//!   X-Wing; ML-KEM-1024 (KEM 0x0042): 64-byte `d || z` seed private keys,
//!   `libcrux-ml-kem`. `DeriveKeyPair(ikm)` is draft-ietf-hpke-pq's
//!   `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", Nsk)` followed by the
//!   KEM's key generation from that seed.
//! - Ed25519: raw 32-byte keys. ECDSA P-256/SHA-256: big-endian scalars
//!   (shorter encodings left-padded), uncompressed SEC1 public keys, DER
//!   signatures with RFC 6979 deterministic nonces (implemented here on
//!   libcrux's HMAC). ML-DSA-87: the 32-byte seed `xi` as private key, pure
//!   ML-DSA with an empty context, and the deterministic signing variant of
//!   FIPS 204 (`rnd` = 32 zero bytes), so signing needs no randomness and a
//!   seeded run replays exactly.
//!
//! [`LibcruxCrypto`] implements [`Rand`] from the operating system's
//! generator.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod aead;
mod hash;
mod kem;
mod sig;

use cohort_traits::{
    AeadId, Ciphersuite, Crypto, CryptoError, HashAlgorithm, KdfId, KemId, KemOutput, Rand,
    RandError, Secret, SignatureScheme,
};
use rand::TryRng;

/// The suites this provider implements, in order of preference.
const SUPPORTED: [Ciphersuite; 5] = [
    Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    Ciphersuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
    Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    Ciphersuite::MLS_256_XWING_CHACHA20POLY1305_SHA256_ED25519,
    Ciphersuite::MLS_256_MLKEM1024_AES256GCM_SHA512_MLDSA87,
];

/// The libcrux-based provider: suites 0x0001, 0x0002, 0x0003, 0x004D and
/// 0x0906, and the operating system's random generator as [`Rand`].
///
/// The type is stateless; it is cheap to construct and to share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LibcruxCrypto;

/// A ready [`cohort_traits::Provider`]: libcrux primitives and OS
/// randomness with any storage backend `S` (memory, SQLite, ...).
pub type LibcruxProvider<S> = cohort_traits::ProviderBundle<LibcruxCrypto, LibcruxCrypto, S>;

impl LibcruxCrypto {
    /// Creates the provider.
    pub const fn new() -> Self {
        LibcruxCrypto
    }
}

impl Rand for LibcruxCrypto {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandError> {
        rand::rngs::SysRng
            .try_fill_bytes(buf)
            .map_err(|_| RandError("operating system RNG failed"))
    }
}

impl Crypto for LibcruxCrypto {
    fn supports(&self, suite: Ciphersuite) -> bool {
        SUPPORTED.contains(&suite)
    }

    fn supported_ciphersuites(&self) -> Vec<Ciphersuite> {
        SUPPORTED.to_vec()
    }

    fn hash(&self, alg: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        hash::hash(alg, data)
    }

    fn hmac(&self, alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Result<Secret, CryptoError> {
        hash::hmac(alg, key, data)
    }

    fn hkdf_extract(&self, kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        hash::hkdf_extract(kdf, salt, ikm)
    }

    fn hkdf_expand(
        &self,
        kdf: KdfId,
        prk: &[u8],
        info: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError> {
        hash::hkdf_expand(kdf, prk, info, len)
    }

    fn aead_seal(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        aead::seal(aead, key, nonce, aad, plaintext)
    }

    fn aead_open(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError> {
        aead::open(aead, key, nonce, aad, ciphertext)
    }

    fn kem_derive_key_pair(
        &self,
        kem: KemId,
        ikm: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        kem::derive_key_pair(kem, ikm)
    }

    fn kem_public_key(&self, kem: KemId, private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        kem::public_key(kem, private_key)
    }

    fn kem_encap(
        &self,
        kem: KemId,
        public_key: &[u8],
        randomness: &[u8],
    ) -> Result<KemOutput, CryptoError> {
        kem::encap(kem, public_key, randomness)
    }

    fn kem_decap(&self, kem: KemId, enc: &[u8], private_key: &[u8]) -> Result<Secret, CryptoError> {
        kem::decap(kem, enc, private_key, None)
    }

    fn kem_decap_with_public_key(
        &self,
        kem: KemId,
        enc: &[u8],
        private_key: &[u8],
        public_key: &[u8],
    ) -> Result<Secret, CryptoError> {
        kem::decap(kem, enc, private_key, Some(public_key))
    }

    fn signature_key_generate(
        &self,
        scheme: SignatureScheme,
        rand: &dyn Rand,
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        sig::generate(scheme, rand)
    }

    fn signature_public_key(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        sig::public_key(scheme, private_key)
    }

    fn sign(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        sig::sign(scheme, private_key, message)
    }

    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        sig::verify(scheme, public_key, message, signature)
    }

    fn prepare_signing_key(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
    ) -> Result<Option<std::sync::Arc<dyn cohort_traits::PreparedSigningKey>>, CryptoError> {
        sig::prepare(scheme, private_key)
    }
}
