use crate::SignatureScheme;
use alloc::vec::Vec;

/// A failure to produce a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// The key store refused or failed the operation.
    #[error("signer unavailable: {0}")]
    Unavailable(&'static str),
    /// The signature algorithm failed.
    #[error("signing failed")]
    SigningFailed,
}

/// Signs on behalf of a group member without exposing the private key.
///
/// The key may live in an HSM, a secure enclave or a platform keystore. The
/// core hands the signer the exact bytes to sign (the `SignContent` of
/// RFC 9420 section 5.1.2) and expects a signature in the encoding that
/// section 5.1 requires for [`SignatureScheme`].
pub trait Signer: Send + Sync {
    /// The signature scheme of the key.
    fn scheme(&self) -> SignatureScheme;
    /// The encoded public key (RFC 9420 section 5.1).
    fn public_key(&self) -> &[u8];
    /// Signs `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError>;
}
