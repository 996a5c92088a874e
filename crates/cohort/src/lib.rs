//! Cohort: Messaging Layer Security (RFC 9420).
//!
//! The protocol core is sans-IO and generic over a
//! [`Provider`](cohort_traits::Provider): it never names a concrete crypto
//! library, random source or database. Modules follow the RFC:
//!
//! | module | RFC | holds |
//! |---|---|---|
//! | [`codec`] | 2.1 | helpers on top of `tls_codec` |
//! | [`crypto`] | 5, RFC 9180 | suite parameters, labelled derivations and signatures, HPKE |
//! | [`framing`] | 6 | `MlsMessage`, `PublicMessage`, `PrivateMessage`, `AuthenticatedContent`, sender data |
//! | [`group`] | 10 to 14 | KeyPackage builder and validation, proposal-list validation and application |
//! | [`messages`] | 5.3, 7, 8.1, 8.4, 10, 12 | key packages, leaf nodes, proposals, commits, Welcome, GroupInfo, extensions |
//! | [`schedule`] | 8, 9 | key schedule, PSKs, transcript hashes, exporter, secret tree |
//! | [`tree`] | Appendix C | array-tree index arithmetic |
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

#[macro_use]
extern crate alloc;

pub mod client;
pub mod codec;
#[cfg(feature = "hazmat")]
pub mod crypto;
#[cfg(not(feature = "hazmat"))]
pub(crate) mod crypto;
mod error;
pub mod framing;
pub mod group;
pub mod messages;
mod par;
#[cfg(feature = "hazmat")]
pub mod schedule;
#[cfg(not(feature = "hazmat"))]
pub(crate) mod schedule;
#[cfg(feature = "hazmat")]
pub mod tree;
#[cfg(not(feature = "hazmat"))]
pub(crate) mod tree;

pub use schedule::RatchetConfig;
pub use tree::math::LeafIndex;

pub use client::{
    Client, ClientConfig, ClientGroup, CreateOptions, ExportedTree, JoinOptions, StagedWelcome,
};
pub use cohort_traits as traits;
pub use cohort_traits::{Ciphersuite, Crypto, Provider, Rand, Secret, SignatureScheme, Signer};
pub use error::{DecodeError, Error, LimitError, MisuseError, ValidationError};
