//! Provider traits and algorithm identifiers for Cohort, an implementation of
//! Messaging Layer Security (RFC 9420).
//!
//! The protocol core (`cohort`) is generic over a [`Provider`] that bundles a
//! [`Crypto`] implementation (primitives only: hashes, HKDF, AEAD, KEM,
//! signatures), a [`Rand`] source and a [`Storage`] backend. Signing in the
//! group API goes through the [`Signer`] trait so that private keys can live
//! outside the process (HSM, enclave, platform keystore).
//!
//! This crate holds no protocol logic.
#![no_std]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;

mod crypto;

/// Re-exports for [`open_u16!`]; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use alloc::vec::Vec;
    pub use tls_codec;
}

/// Declares an open IANA registry as a `u16` newtype: named constants,
/// `name()`, `Debug`/`Display`, conversions and the TLS codec. Unknown values
/// decode and re-encode unchanged (RFC 9420 section 13.5). Shared by the
/// algorithm identifiers here and the MLS registries of the core.
#[doc(hidden)]
#[macro_export]
macro_rules! open_u16 {
    ($(#[$m:meta])* $name:ident { $($(#[$cm:meta])* $c:ident = $v:literal => $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u16);

        impl $name {
            $($(#[$cm])* pub const $c: $name = $name($v);)*

            /// The registered name, or `None` for an unknown value.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($v => Some($s),)*
                    _ => None,
                }
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}(0x{:04x})", n, self.0),
                    None => write!(f, "{}(0x{:04x})", stringify!($name), self.0),
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(self, f)
            }
        }

        impl From<u16> for $name {
            fn from(v: u16) -> Self {
                $name(v)
            }
        }

        impl From<$name> for u16 {
            fn from(v: $name) -> u16 {
                v.0
            }
        }

        impl $crate::__private::tls_codec::Size for $name {
            fn tls_serialized_len(&self) -> usize {
                2
            }
        }

        impl $crate::__private::tls_codec::SerializeBytes for $name {
            fn tls_serialize_bytes(
                &self,
            ) -> Result<$crate::__private::Vec<u8>, $crate::__private::tls_codec::Error> {
                $crate::__private::tls_codec::SerializeBytes::tls_serialize_bytes(&self.0)
            }
        }

        impl $crate::__private::tls_codec::DeserializeBytes for $name {
            fn tls_deserialize_bytes(
                bytes: &[u8],
            ) -> Result<(Self, &[u8]), $crate::__private::tls_codec::Error> {
                let (v, rest) =
                    <u16 as $crate::__private::tls_codec::DeserializeBytes>::tls_deserialize_bytes(bytes)?;
                Ok(($name(v), rest))
            }
        }
    };
}
mod provider;
mod rand;
mod secret;
mod signer;
mod storage;
mod suite;

pub use crypto::{Crypto, CryptoError, KemOutput, PreparedSigningKey};
pub use provider::{Provider, ProviderBundle};
pub use rand::{Rand, RandError};
pub use secret::Secret;
pub use signer::{Signer, SignerError};
pub use storage::{RecordKind, Storage, StorageError, StorageOp};
pub use suite::{
    AeadId, Ciphersuite, CiphersuiteParams, HashAlgorithm, KdfId, KemId, SignatureScheme,
};
