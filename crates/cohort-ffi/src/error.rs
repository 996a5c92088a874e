//! The one error type of the interface.

use cohort::Error;

/// Why a call failed; thrown as an exception (`CohortException` in Kotlin,
/// `CohortError` in Swift and Python), one subclass per kind, whose
/// message names the check that failed. A call that fails changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum CohortError {
    /// Input bytes do not decode (a truncated or garbled message or
    /// KeyPackage).
    #[error("malformed input: {0}")]
    Malformed(String),
    /// Input decodes but breaks a rule of RFC 9420 (a bad signature, a
    /// message of another epoch or group, a generation already read...).
    #[error("validation failed: {0}")]
    Validation(String),
    /// A call the API does not allow in this state (a KeyPackage where a
    /// Welcome was expected, a merge without a pending commit...).
    #[error("API misuse: {0}")]
    Misuse(String),
    /// Input exceeds a configured limit.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A cryptographic primitive failed.
    #[error("crypto: {0}")]
    Crypto(String),
    /// The signer failed.
    #[error("signer: {0}")]
    Signer(String),
    /// The database failed, or holds a record that does not decode.
    #[error("storage: {0}")]
    Storage(String),
    /// The client has no group of this id (hex).
    #[error("unknown group {0}")]
    UnknownGroup(String),
    /// An argument is out of its range (an unsupported cipher suite, an
    /// export length too large...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The client was closed ([`crate::MlsClient::close`]).
    #[error("the client is closed")]
    Closed,
    /// A bug in this library, never the fault of the input; nothing
    /// changed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<Error> for CohortError {
    fn from(e: Error) -> Self {
        match e {
            Error::Malformed(e) => CohortError::Malformed(e.to_string()),
            Error::Validation(e) => CohortError::Validation(e.to_string()),
            Error::Misuse(e) => CohortError::Misuse(e.to_string()),
            Error::Limit(e) => CohortError::Limit(e.to_string()),
            Error::Crypto(e) => CohortError::Crypto(e.to_string()),
            Error::Signer(e) => CohortError::Signer(e.to_string()),
            Error::Storage(e) => CohortError::Storage(e.to_string()),
            Error::Internal(e) => CohortError::Internal(e.to_string()),
            other => CohortError::Internal(other.to_string()),
        }
    }
}

impl From<cohort_traits::StorageError> for CohortError {
    fn from(e: cohort_traits::StorageError) -> Self {
        CohortError::Storage(e.to_string())
    }
}

impl From<cohort_traits::CryptoError> for CohortError {
    fn from(e: cohort_traits::CryptoError) -> Self {
        CohortError::Crypto(e.to_string())
    }
}

/// Lower-case hex, for ids in messages.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use core::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
