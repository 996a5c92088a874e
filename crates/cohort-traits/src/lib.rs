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
mod provider;
mod rand;
mod secret;
mod signer;
mod storage;
mod suite;

pub use crypto::{Crypto, CryptoError, KemOutput};
pub use provider::{Provider, ProviderBundle};
pub use rand::{Rand, RandError};
pub use secret::Secret;
pub use signer::{Signer, SignerError};
pub use storage::{RecordKind, Storage, StorageError, StorageOp};
pub use suite::{
    AeadId, Ciphersuite, CiphersuiteParams, HashAlgorithm, KdfId, KemId, SignatureScheme,
};
