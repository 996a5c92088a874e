//! Cohort: Messaging Layer Security (RFC 9420), end-to-end encrypted group
//! key agreement.
//!
//! The core is sans-IO and generic over a [`Provider`]: crypto
//! primitives, a random source and a storage backend, which the
//! application picks (`cohort-rust-crypto` or `cohort-libcrux`;
//! `cohort-memory-storage` or `cohort-sqlite-storage`). It signs through a
//! [`Signer`], so a key can live in an HSM or a platform keystore.
//!
//! # The life of a group
//!
//! A [`Client`] holds the provider, the member's signer and credential and
//! its [`ClientConfig`]. It publishes KeyPackages
//! ([`Client::generate_key_package`]), creates groups
//! ([`Client::create_group`]), checks and inspects a Welcome before joining
//! ([`Client::stage_welcome`], then [`Client::join`]), joins by external
//! commit from a published GroupInfo ([`Client::join_external`]), and
//! loads and lists its groups.
//!
//! A [`ClientGroup`] is one group: [`ClientGroup::encrypt`] application
//! data; [`ClientGroup::process`] what arrives (application data, a
//! proposal, which it caches for the next commit, or a commit, which comes
//! back as a [`StagedCommit`](group::StagedCommit) to inspect (who was
//! added and removed, the new epoch's exporter) and then
//! [`ClientGroup::merge_staged_commit`]). A member's own commit
//! ([`ClientGroup::commit`] with a [`CommitBuilder`](group::CommitBuilder))
//! is pending until the delivery service echoes it back (processing the
//! echo returns it staged) or [`ClientGroup::merge_pending_commit`]; when
//! another member's commit wins the epoch, merging that one drops it.
//! [`ClientGroup::propose_add`], [`ClientGroup::propose_remove`] and
//! [`ClientGroup::propose_self_update`] send proposals for another member
//! to commit.
//!
//! A delivery service follows a group without its secrets with a
//! [`PublicGroup`]: built from a GroupInfo, it checks each PublicMessage
//! proposal and commit as far as a non-member can and tracks the members,
//! the tree and the GroupContext, so it can order commits (the first valid
//! one of an epoch wins) and refuse invalid ones before they reach the
//! members.
//!
//! # Persistence
//!
//! Every call of a [`ClientGroup`] that changes it writes the change to
//! storage before it returns, in one atomic batch: a new epoch writes the
//! group's records, reading a message writes one small sender-ratchet
//! record, and the generations a member sends are reserved durably in
//! blocks before a message leaves, so a crash never reuses one. A restarted
//! client loads its groups ([`Client::load_group`]) and goes on, its
//! pending commit included. Records carry a format version; older formats
//! load, newer ones are refused by name.
//!
//! # Policies
//!
//! What RFC 9420 leaves to the application is configuration, with safe
//! defaults ([`GroupConfig`](group::GroupConfig)): the wire format of
//! handshake messages, padding, the out-of-order window, past epochs kept
//! for late messages, [`Limits`](group::Limits) on received input, and
//! three hooks: a [`ProposalPolicy`](group::ProposalPolicy) (who may
//! propose what), a [`CredentialValidator`](group::CredentialValidator)
//! (the Authentication Service of RFC 9420 section 5.3.1) and a
//! [`Clock`](group::Clock) for KeyPackage lifetimes.
//!
//! # Errors
//!
//! One [`Error`] with a kind per cause: [`DecodeError`] (bytes that do not
//! decode), [`ValidationError`] (a rule of RFC 9420 broken, each variant
//! naming the check), [`LimitError`] (a configured limit), [`MisuseError`]
//! (a call the API does not allow), crypto, signer and storage failures,
//! and `Internal` (a bug in this library). A failed call changes nothing.
//!
//! # Example
//!
//! ```
//! use cohort::framing::MlsMessageBody;
//! use cohort::group::ProcessedMessage;
//! use cohort::messages::Credential;
//! use cohort::traits::{ProviderBundle, SignatureScheme};
//! use cohort::{Client, ClientConfig, Error, JoinOptions};
//! use cohort_basic_credential::SignatureKeyPair;
//! use cohort_memory_storage::MemoryStorage;
//! use cohort_rust_crypto::RustCrypto;
//!
//! # fn main() -> Result<(), Error> {
//! let client = |name: &str| -> Result<_, Error> {
//!     let provider = ProviderBundle::new(RustCrypto::new(), RustCrypto::new(), MemoryStorage::new());
//!     let signer =
//!         SignatureKeyPair::generate(RustCrypto::new(), SignatureScheme::ED25519, &RustCrypto::new())?;
//!     Client::new(provider, name, signer, Credential::basic(name), ClientConfig::default())
//! };
//! let (alice, bob) = (client("alice")?, client("bob")?);
//!
//! let mut a = alice.create_group()?;
//! let MlsMessageBody::KeyPackage(key_package) = bob.generate_key_package()?.body else {
//!     unreachable!()
//! };
//! let out = a.commit(a.commit_builder().add_member(key_package))?;
//! a.merge_pending_commit()?; // once the delivery service accepted out.commit
//!
//! let staged = bob.stage_welcome(&out.welcome.unwrap(), JoinOptions::default())?;
//! let mut b = bob.join(staged)?;
//!
//! let message = a.encrypt(b"hello", b"")?;
//! match b.process(&message)? {
//!     ProcessedMessage::Application { data, .. } => assert_eq!(data, b"hello"),
//!     ProcessedMessage::Proposal { .. } => { /* cached for the next commit */ }
//!     ProcessedMessage::Commit(staged) => b.merge_staged_commit(*staged)?,
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Modules
//!
//! Named after the RFC: [`messages`] (every wire structure, RFC 9420
//! sections 5.3, 7, 8, 10, 12), [`framing`] (section 6: `MLSMessage`,
//! `PublicMessage`, `PrivateMessage`), [`group`] (sections 10 to 14: the
//! group state machine), [`client`], [`codec`] (section 2.1). With the
//! `hazmat` feature, the building blocks are public too: `crypto`
//! (section 5, HPKE), `schedule` (sections 8, 9: key schedule, secret
//! tree), `tree` (sections 4, 7: ratchet tree, TreeKEM), message
//! protection and proposal-list validation.
//!
//! [`Provider`]: cohort_traits::Provider
//! [`Signer`]: cohort_traits::Signer
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
#[cfg(feature = "std")]
extern crate std;

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

/// The README's example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctest;

pub use client::{
    Client, ClientConfig, ClientGroup, CreateOptions, ExportedTree, JoinOptions, StagedWelcome,
};
pub use cohort_traits as traits;
pub use cohort_traits::{Ciphersuite, Crypto, Provider, Rand, Secret, SignatureScheme, Signer};
pub use error::{DecodeError, Error, LimitError, MisuseError, ValidationError};
pub use group::PublicGroup;
