//! A [`Crypto`] and [`Rand`] provider for Cohort built on the RustCrypto
//! crates (plus `hpke` for the DHKEMs over the NIST curves and the
//! post-quantum KEMs).
//!
//! [`RustCrypto`] implements every algorithm of the seven RFC 9420 cipher
//! suites (0x0001 to 0x0007) and of the post-quantum suites 0x004D (X-Wing)
//! and 0x0906 (ML-KEM-1024 with ML-DSA-87, a provisional code point):
//!
//! | Kind       | Algorithms                                                      |
//! |------------|-----------------------------------------------------------------|
//! | Hash/KDF   | SHA-256/384/512, HMAC, HKDF                                     |
//! | AEAD       | AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305                     |
//! | KEM        | DHKEM(X25519, P-256, P-384, P-521, X448), X-Wing, ML-KEM-1024   |
//! | Signature  | Ed25519, Ed448, ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, ML-DSA-87 |
//!
//! The post-quantum KEMs follow draft-ietf-hpke-pq (through `hpke`): seed
//! private keys (32 bytes for X-Wing, the 64-byte `d || z` for ML-KEM) and
//! `DeriveKeyPair(ikm)` = `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "",
//! Nsk)`. ML-DSA-87 (`ml-dsa`) keys are the 32-byte seed; signing is pure
//! ML-DSA with an empty context, deterministic variant.
//!
//! DHKEM(X25519, HKDF-SHA256) and DHKEM(X448, HKDF-SHA512) are implemented
//! in this crate from RFC 9180 section 4.1 on `x25519-dalek` and `x448`:
//! one fixed-base multiplication per `Encap` (the ephemeral public key),
//! none in `Decap` when the caller gives the recipient's public key
//! ([`Crypto::kem_decap_with_public_key`]).
//!
//! Randomness: [`RustCrypto`] itself implements [`Rand`] from the operating
//! system's generator; [`SeededRand`] is a deterministic ChaCha20 generator for
//! reproducible tests and simulations.
//!
//! Without its default `std` feature the crate is `no_std` + `alloc` (for
//! embedded targets such as `thumbv7em-none-eabihf`): everything but the
//! operating system's generator is there, and the application supplies a
//! [`Rand`] (its hardware generator, or [`SeededRand`] keyed from it).
#![no_std]
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

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod aead;
mod dhkem;
mod hash;
mod kem;
mod rng;
mod sig;

use alloc::sync::Arc;
use alloc::vec::Vec;
use cohort_traits::{
    AeadId, Ciphersuite, Crypto, CryptoError, HashAlgorithm, KdfId, KemId, KemOutput,
    PreparedSigningKey, Rand, Secret, SignatureScheme,
};

pub use rng::SeededRand;

/// A ready [`cohort_traits::Provider`]: RustCrypto primitives and OS
/// randomness with any storage backend `S` (memory, SQLite, ...).
pub type RustCryptoProvider<S> = cohort_traits::ProviderBundle<RustCrypto, RustCrypto, S>;

/// The RustCrypto-based provider: all seven RFC 9420 cipher suites and the
/// post-quantum suites 0x004D and 0x0906, and the operating system's random
/// generator as [`Rand`].
///
/// The type is stateless; it is cheap to construct and to share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RustCrypto;

impl RustCrypto {
    /// Creates the provider.
    pub const fn new() -> Self {
        RustCrypto
    }
}

/// The operating system's generator (`getrandom`).
#[cfg(feature = "std")]
impl Rand for RustCrypto {
    fn fill(&self, buf: &mut [u8]) -> Result<(), cohort_traits::RandError> {
        rng::fill_from_os(buf)
    }
}

impl Crypto for RustCrypto {
    fn supports(&self, suite: Ciphersuite) -> bool {
        Ciphersuite::RFC9420.contains(&suite) || Ciphersuite::POST_QUANTUM.contains(&suite)
    }

    fn supported_ciphersuites(&self) -> Vec<Ciphersuite> {
        let mut suites = Ciphersuite::RFC9420.to_vec();
        suites.extend_from_slice(&Ciphersuite::POST_QUANTUM);
        suites
    }

    fn hash(&self, alg: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(hash::hash(alg, data))
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
        sig::prepare(scheme, private_key)?.sign(message)
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
    ) -> Result<Option<Arc<dyn PreparedSigningKey>>, CryptoError> {
        Ok(Some(Arc::new(sig::prepare(scheme, private_key)?)))
    }
}
