//! What can go wrong talking to the delivery service.

use core::fmt;

/// The error code of a refusal, as the server names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// `identity_taken`: another signature key holds the identity.
    IdentityTaken,
    /// `no_key_package`: the identity has no KeyPackage left.
    NoKeyPackage,
    /// `group_exists`: the group id is taken.
    GroupExists,
    /// `stale_epoch`: another commit won the epoch; process it and commit
    /// again.
    StaleEpoch,
    /// `body_too_large`: the request is over the server's size limit.
    BodyTooLarge,
    /// `rate_limited`: too many messages; try again later.
    RateLimited,
    /// `too_many_key_packages`: the server keeps no more for this client.
    TooManyKeyPackages,
    /// Another code (the server's text as received).
    Other(String),
}

impl ErrorCode {
    /// The code as the server writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::IdentityTaken => "identity_taken",
            ErrorCode::NoKeyPackage => "no_key_package",
            ErrorCode::GroupExists => "group_exists",
            ErrorCode::StaleEpoch => "stale_epoch",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::TooManyKeyPackages => "too_many_key_packages",
            ErrorCode::Other(code) => code,
        }
    }

    /// The code named `code`.
    pub fn parse(code: &str) -> Self {
        match code {
            "identity_taken" => ErrorCode::IdentityTaken,
            "no_key_package" => ErrorCode::NoKeyPackage,
            "group_exists" => ErrorCode::GroupExists,
            "stale_epoch" => ErrorCode::StaleEpoch,
            "body_too_large" => ErrorCode::BodyTooLarge,
            "rate_limited" => ErrorCode::RateLimited,
            "too_many_key_packages" => ErrorCode::TooManyKeyPackages,
            other => ErrorCode::Other(other.to_string()),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed call to the delivery service; each names the operation.
#[derive(Debug, thiserror::Error)]
pub enum DsError {
    /// The server refused the request.
    #[error("{operation}: the server refused it with {code} (HTTP {status}): {message}")]
    Server {
        /// The operation.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The error code.
        code: ErrorCode,
        /// The server's explanation.
        message: String,
        /// The group's current epoch, with [`ErrorCode::StaleEpoch`].
        epoch: Option<u64>,
    },
    /// The request did not reach the server or its answer was cut.
    #[error("{operation}: {detail}")]
    Transport {
        /// The operation.
        operation: &'static str,
        /// What failed.
        detail: String,
    },
    /// The server's answer is not what the API describes.
    #[error("{operation}: invalid response from the server: {detail}")]
    InvalidResponse {
        /// The operation.
        operation: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The signer failed to sign the authentication challenge.
    #[error("signing the authentication challenge: {0}")]
    Signing(String),
    /// The server URL is not an `http://` or `https://` URL.
    #[error("invalid server URL {0:?}: expected http://host:port or https://host")]
    InvalidUrl(String),
}

impl DsError {
    /// The server's error code, when the server refused the request.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            DsError::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status, when the server refused the request.
    pub fn status(&self) -> Option<u16> {
        match self {
            DsError::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether a commit lost its epoch ([`ErrorCode::StaleEpoch`]): process
    /// the winning commit from the inbox, then commit again.
    pub fn is_stale_epoch(&self) -> bool {
        self.code() == Some(&ErrorCode::StaleEpoch)
    }

    /// The group's current epoch on the server, when a refusal names it
    /// (as [`ErrorCode::StaleEpoch`] does).
    pub fn server_epoch(&self) -> Option<u64> {
        match self {
            DsError::Server { epoch, .. } => *epoch,
            _ => None,
        }
    }
}
