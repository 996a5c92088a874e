use cohort_traits::{Ciphersuite, CryptoError, RandError, SignerError, StorageError};

/// Every failure the library reports.
///
/// Each kind nests a more precise error; validation errors name the RFC check
/// that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input bytes do not decode.
    #[error("malformed input: {0}")]
    Malformed(#[from] DecodeError),
    /// Input decodes but breaks a rule of RFC 9420.
    #[error("validation failed: {0}")]
    Validation(#[from] ValidationError),
    /// The API was used in a way it does not allow.
    #[error("API misuse: {0}")]
    Misuse(#[from] MisuseError),
    /// A cryptographic primitive failed.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// The signer failed.
    #[error("signer: {0}")]
    Signer(#[from] SignerError),
    /// The storage backend failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
}

impl From<RandError> for Error {
    fn from(e: RandError) -> Self {
        Error::Crypto(CryptoError::Rand(e))
    }
}

impl From<tls_codec::Error> for Error {
    fn from(e: tls_codec::Error) -> Self {
        Error::Malformed(DecodeError::from(e))
    }
}

/// Why bytes failed to decode (RFC 9420 section 2.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the value did.
    #[error("unexpected end of input")]
    EndOfInput,
    /// Bytes remain after the value.
    #[error("trailing bytes after the value")]
    TrailingBytes,
    /// A variable-length header is not in its minimal form, is reserved
    /// (prefix 0b11) or exceeds 2^30 - 1.
    #[error("invalid variable-length vector header")]
    InvalidLength,
    /// An optional value's presence byte is neither 0 nor 1.
    #[error("invalid optional presence byte")]
    InvalidOptional,
    /// A value is outside its allowed range.
    #[error("invalid value: {0}")]
    InvalidValue(&'static str),
    /// Any other codec failure.
    #[error("codec error: {0}")]
    Codec(alloc::string::String),
}

impl From<tls_codec::Error> for DecodeError {
    fn from(e: tls_codec::Error) -> Self {
        use tls_codec::Error as E;
        match e {
            E::EndOfStream => DecodeError::EndOfInput,
            E::TrailingData => DecodeError::TrailingBytes,
            E::InvalidVectorLength => DecodeError::InvalidLength,
            E::InvalidInput => DecodeError::InvalidLength,
            other => DecodeError::Codec(alloc::format!("{other:?}")),
        }
    }
}

/// A rule of RFC 9420 that received data breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A signature does not verify (RFC 9420 section 5.1.2).
    #[error("signature does not verify")]
    InvalidSignature,
    /// HPKE decryption failed (RFC 9420 section 5.1.3).
    #[error("HPKE decryption failed")]
    HpkeDecryptionFailed,
}

/// A use of the API that it does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MisuseError {
    /// The cipher suite is unknown or not supported by the crypto provider.
    #[error("unsupported cipher suite {0}")]
    UnsupportedCiphersuite(Ciphersuite),
    /// A requested output length does not fit its field.
    #[error("requested length too large")]
    LengthTooLarge,
    /// The HPKE context has used up its sequence numbers.
    #[error("HPKE sequence number overflow")]
    HpkeSequenceOverflow,
    /// The operation is not available for an export-only HPKE AEAD.
    #[error("HPKE AEAD is export-only")]
    HpkeExportOnly,
    /// A signer's scheme does not match the cipher suite's.
    #[error("signer scheme {0} does not match the cipher suite")]
    SignerSchemeMismatch(cohort_traits::SignatureScheme),
}
