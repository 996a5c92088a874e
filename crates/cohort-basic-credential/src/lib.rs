//! Signature key pairs held in memory, usable as a [`Signer`], and basic
//! credentials (RFC 9420 section 5.3) for Cohort.
//!
//! Keys that must not live in process memory (HSM, enclave, platform
//! keystore) implement [`Signer`] themselves instead.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use cohort::messages::Credential;
use cohort_traits::{
    Crypto, CryptoError, PreparedSigningKey, Rand, Secret, SignatureScheme, Signer, SignerError,
};
use std::fmt;
use std::sync::Arc;

/// A signature key pair in memory, signing with a crypto provider.
///
/// The key is decoded once, when the pair is made, into the provider's
/// [`PreparedSigningKey`] (for Ed25519 the hashed, expanded key), so a
/// signature costs only the signing itself. The private key and its
/// expanded form are zeroized on drop and redacted from `Debug`; clones
/// share the expanded key.
#[derive(Clone)]
pub struct SignatureKeyPair<C: Crypto> {
    crypto: C,
    scheme: SignatureScheme,
    private_key: Secret,
    public_key: Vec<u8>,
    prepared: Option<Arc<dyn PreparedSigningKey>>,
}

impl<C: Crypto> SignatureKeyPair<C> {
    /// Generates a key pair for `scheme` with randomness from `rand`.
    pub fn generate(
        crypto: C,
        scheme: SignatureScheme,
        rand: &dyn Rand,
    ) -> Result<Self, CryptoError> {
        let (private_key, public_key) = crypto.signature_key_generate(scheme, rand)?;
        let prepared = crypto.prepare_signing_key(scheme, private_key.as_bytes())?;
        Ok(SignatureKeyPair {
            crypto,
            scheme,
            private_key,
            public_key,
            prepared,
        })
    }

    /// Restores a key pair from its private key (the public key is derived).
    pub fn from_private_key(
        crypto: C,
        scheme: SignatureScheme,
        private_key: Secret,
    ) -> Result<Self, CryptoError> {
        let public_key = crypto.signature_public_key(scheme, private_key.as_bytes())?;
        let prepared = crypto.prepare_signing_key(scheme, private_key.as_bytes())?;
        Ok(SignatureKeyPair {
            crypto,
            scheme,
            private_key,
            public_key,
            prepared,
        })
    }

    /// The private key, for storage.
    pub fn private_key(&self) -> &Secret {
        &self.private_key
    }

    /// A basic credential naming `identity`, to present with this key.
    pub fn basic_credential(identity: impl Into<Vec<u8>>) -> Credential {
        Credential::basic(identity)
    }
}

impl<C: Crypto> Signer for SignatureKeyPair<C> {
    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        match &self.prepared {
            Some(key) => key.sign(message),
            None => self
                .crypto
                .sign(self.scheme, self.private_key.as_bytes(), message),
        }
        .map_err(|_| SignerError::SigningFailed)
    }
}

impl<C: Crypto> fmt::Debug for SignatureKeyPair<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureKeyPair")
            .field("scheme", &self.scheme)
            .field("public_key", &self.public_key)
            .field("private_key", &"[redacted]")
            .field("prepared", &self.prepared.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_rust_crypto::RustCrypto;

    #[test]
    fn signs_and_restores_for_every_rfc_suite_scheme() {
        let c = RustCrypto::new();
        for suite in cohort_traits::Ciphersuite::RFC9420 {
            let scheme = suite.params().unwrap().signature;
            let kp = SignatureKeyPair::generate(c, scheme, &c).unwrap();
            let sig = kp.sign(b"m").unwrap();
            c.verify(scheme, kp.public_key(), b"m", &sig).unwrap();
            let again =
                SignatureKeyPair::from_private_key(c, scheme, kp.private_key().clone()).unwrap();
            assert_eq!(again.public_key(), kp.public_key());
            assert!(!format!("{kp:?}").contains(&format!("{:?}", kp.private_key().as_bytes())));
        }
    }
}
