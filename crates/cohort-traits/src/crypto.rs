use crate::{
    AeadId, Ciphersuite, HashAlgorithm, KdfId, KemId, Rand, RandError, Secret, SignatureScheme,
};
use alloc::sync::Arc;
use alloc::vec::Vec;

/// A failure of a cryptographic primitive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The cipher suite is unknown or not supported by this provider.
    #[error("unsupported cipher suite {0}")]
    UnsupportedCiphersuite(Ciphersuite),
    /// The KEM is not supported by this provider.
    #[error("unsupported KEM {0}")]
    UnsupportedKem(KemId),
    /// The KDF is not supported by this provider.
    #[error("unsupported KDF {0}")]
    UnsupportedKdf(KdfId),
    /// The AEAD is not supported by this provider.
    #[error("unsupported AEAD {0}")]
    UnsupportedAead(AeadId),
    /// The signature scheme is not supported by this provider.
    #[error("unsupported signature scheme {0}")]
    UnsupportedSignatureScheme(SignatureScheme),
    /// A key, nonce or input has the wrong length.
    #[error("invalid length")]
    InvalidLength,
    /// A public key does not decode or is not a valid point.
    #[error("invalid public key")]
    InvalidPublicKey,
    /// A private key does not decode or is out of range.
    #[error("invalid private key")]
    InvalidPrivateKey,
    /// AEAD decryption failed: wrong key, nonce, AAD or a tampered ciphertext.
    #[error("AEAD decryption failed")]
    AeadOpenFailed,
    /// A signature does not verify (or does not decode).
    #[error("invalid signature")]
    InvalidSignature,
    /// KEM encapsulation failed.
    #[error("KEM encapsulation failed")]
    KemEncapFailed,
    /// KEM decapsulation failed.
    #[error("KEM decapsulation failed")]
    KemDecapFailed,
    /// HKDF-Expand was asked for more than 255 * Nh bytes.
    #[error("HKDF output too long")]
    HkdfOutputTooLong,
    /// A signature could not be produced.
    #[error("signing failed")]
    SigningFailed,
    /// The random source failed.
    #[error(transparent)]
    Rand(#[from] RandError),
}

/// The result of a KEM encapsulation.
#[derive(Debug)]
pub struct KemOutput {
    /// The shared secret.
    pub shared_secret: Secret,
    /// The encapsulated key `enc`, sent to the recipient.
    pub enc: Vec<u8>,
}

/// A private signature key decoded and expanded once, for repeated signing.
///
/// Decoding a key can cost as much as a signature (an Ed25519 key is hashed
/// and its public key recomputed; an ML-DSA key is expanded from its seed).
/// Implementations wipe the expanded key when dropped.
pub trait PreparedSigningKey: Send + Sync {
    /// The signature scheme of the key.
    fn scheme(&self) -> SignatureScheme;
    /// Signs `message`, exactly as [`Crypto::sign`] would with the key this
    /// was prepared from.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// Cryptographic primitives for the cipher suites a provider supports.
///
/// Byte slices in, owned buffers out; secrets in [`Secret`]. The provider
/// implements primitives only. The MLS constructions (`ExpandWithLabel`,
/// `SignWithLabel`, ...) and HPKE (RFC 9180 section 5) are built once in the
/// core on top of these.
///
/// Key encodings are those of RFC 9420 section 5.1 and RFC 9180 section 7.1:
/// `SerializePublicKey`/`SerializePrivateKey` for KEM keys, the raw key for
/// EdDSA, uncompressed SEC1 points and big-endian scalars for ECDSA, and DER
/// for ECDSA signatures. The post-quantum KEMs (X-Wing, ML-KEM) use seed
/// private keys as draft-ietf-hpke-pq specifies, and ML-DSA the 32-byte seed
/// `xi` with FIPS 204's encodings.
pub trait Crypto: Send + Sync {
    /// Whether every algorithm of `suite` is implemented.
    fn supports(&self, suite: Ciphersuite) -> bool;

    /// The suites this provider supports, in order of preference.
    fn supported_ciphersuites(&self) -> Vec<Ciphersuite>;

    /// `Hash(data)`.
    fn hash(&self, alg: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// `HMAC(key, data)` with the given hash.
    fn hmac(&self, alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Result<Secret, CryptoError>;

    /// `HKDF-Extract(salt, ikm)` (RFC 5869).
    fn hkdf_extract(&self, kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError>;

    /// `HKDF-Expand(prk, info, len)` (RFC 5869).
    fn hkdf_expand(
        &self,
        kdf: KdfId,
        prk: &[u8],
        info: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError>;

    /// AEAD encryption; returns ciphertext with the tag appended.
    fn aead_seal(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// AEAD decryption of ciphertext with the tag appended.
    fn aead_open(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError>;

    /// `DeriveKeyPair(ikm)` (RFC 9180 section 4): returns the serialized
    /// private and public keys.
    fn kem_derive_key_pair(&self, kem: KemId, ikm: &[u8])
    -> Result<(Secret, Vec<u8>), CryptoError>;

    /// The serialized public key of a serialized private key.
    fn kem_public_key(&self, kem: KemId, private_key: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// `Encap(pkR)` with the ephemeral key derived from `randomness`
    /// (`KemId::encap_randomness_len` bytes, drawn by the caller).
    fn kem_encap(
        &self,
        kem: KemId,
        public_key: &[u8],
        randomness: &[u8],
    ) -> Result<KemOutput, CryptoError>;

    /// `Decap(enc, skR)`.
    fn kem_decap(&self, kem: KemId, enc: &[u8], private_key: &[u8]) -> Result<Secret, CryptoError>;

    /// `Decap(enc, skR)` for a caller that also holds `pkR`, the public key
    /// of `private_key`, so that a DHKEM need not recompute it for its KEM
    /// context (RFC 9180 section 4.1). A `public_key` that is not the one of
    /// `private_key` gives a wrong shared secret, never a weaker one. The
    /// default ignores `public_key`.
    fn kem_decap_with_public_key(
        &self,
        kem: KemId,
        enc: &[u8],
        private_key: &[u8],
        public_key: &[u8],
    ) -> Result<Secret, CryptoError> {
        let _ = public_key;
        self.kem_decap(kem, enc, private_key)
    }

    /// Generates a signature key pair: (private key, public key).
    fn signature_key_generate(
        &self,
        scheme: SignatureScheme,
        rand: &dyn Rand,
    ) -> Result<(Secret, Vec<u8>), CryptoError>;

    /// The public key of a private signature key.
    fn signature_public_key(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Signs `message` (ECDSA hashes with the scheme's hash; EdDSA is pure;
    /// ML-DSA is pure with an empty context).
    fn sign(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Verifies `signature` over `message`.
    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError>;

    /// Decodes `private_key` once for repeated signing, or `None` when this
    /// provider has nothing to gain from it (callers then use
    /// [`Crypto::sign`]). The default returns `None`.
    fn prepare_signing_key(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
    ) -> Result<Option<Arc<dyn PreparedSigningKey>>, CryptoError> {
        let _ = (scheme, private_key);
        Ok(None)
    }
}

/// Shared references to and boxes of a provider are providers (a box lets
/// an application pick the provider at run time).
macro_rules! delegate_crypto {
    ($($wrapper:tt)*) => {
impl<T: Crypto + ?Sized> Crypto for $($wrapper)* {
    fn supports(&self, suite: Ciphersuite) -> bool {
        (**self).supports(suite)
    }
    fn supported_ciphersuites(&self) -> Vec<Ciphersuite> {
        (**self).supported_ciphersuites()
    }
    fn hash(&self, alg: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        (**self).hash(alg, data)
    }
    fn hmac(&self, alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Result<Secret, CryptoError> {
        (**self).hmac(alg, key, data)
    }
    fn hkdf_extract(&self, kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        (**self).hkdf_extract(kdf, salt, ikm)
    }
    fn hkdf_expand(
        &self,
        kdf: KdfId,
        prk: &[u8],
        info: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError> {
        (**self).hkdf_expand(kdf, prk, info, len)
    }
    fn aead_seal(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        (**self).aead_seal(aead, key, nonce, aad, plaintext)
    }
    fn aead_open(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError> {
        (**self).aead_open(aead, key, nonce, aad, ciphertext)
    }
    fn kem_derive_key_pair(
        &self,
        kem: KemId,
        ikm: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        (**self).kem_derive_key_pair(kem, ikm)
    }
    fn kem_public_key(&self, kem: KemId, private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        (**self).kem_public_key(kem, private_key)
    }
    fn kem_encap(
        &self,
        kem: KemId,
        public_key: &[u8],
        randomness: &[u8],
    ) -> Result<KemOutput, CryptoError> {
        (**self).kem_encap(kem, public_key, randomness)
    }
    fn kem_decap(&self, kem: KemId, enc: &[u8], private_key: &[u8]) -> Result<Secret, CryptoError> {
        (**self).kem_decap(kem, enc, private_key)
    }
    fn kem_decap_with_public_key(
        &self,
        kem: KemId,
        enc: &[u8],
        private_key: &[u8],
        public_key: &[u8],
    ) -> Result<Secret, CryptoError> {
        (**self).kem_decap_with_public_key(kem, enc, private_key, public_key)
    }
    fn signature_key_generate(
        &self,
        scheme: SignatureScheme,
        rand: &dyn Rand,
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        (**self).signature_key_generate(scheme, rand)
    }
    fn signature_public_key(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        (**self).signature_public_key(scheme, private_key)
    }
    fn sign(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        (**self).sign(scheme, private_key, message)
    }
    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        (**self).verify(scheme, public_key, message, signature)
    }
    fn prepare_signing_key(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
    ) -> Result<Option<Arc<dyn PreparedSigningKey>>, CryptoError> {
        (**self).prepare_signing_key(scheme, private_key)
    }
}
    };
}

delegate_crypto!(&T);
delegate_crypto!(alloc::boxed::Box<T>);
