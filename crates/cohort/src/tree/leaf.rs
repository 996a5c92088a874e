//! LeafNode validation (RFC 9420 section 7.3): the checks that depend on the
//! leaf alone and on the group's parameters. Checks across members
//! (credential types in use, key uniqueness) are made where the whole group
//! is known.

use super::math::LeafIndex;
use super::validate::verify_leaf_signature;
use crate::crypto::SuiteCrypto;
use crate::messages::{LeafNode, LeafNodeSource, ProtocolVersion, RequiredCapabilities};
use crate::{Error, ValidationError};
use cohort_traits::Crypto;

/// Where a LeafNode appears, which fixes the source it must have.
#[derive(Clone, Copy, Debug)]
pub enum LeafRole<'a> {
    /// Inside a KeyPackage: source `key_package` (C-LN-17).
    KeyPackage,
    /// In an Update proposal: source `update`, with a new encryption key
    /// (C-LN-18, C-LN-19).
    Update {
        /// The leaf it replaces.
        replaced: &'a LeafNode,
    },
    /// In a commit's UpdatePath: source `commit` (C-LN-20).
    Commit,
    /// Already in a tree: any source.
    Tree,
}

/// The group parameters a LeafNode is checked against.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeafPolicy<'a> {
    /// The group's `required_capabilities` extension, if any.
    pub required: Option<&'a RequiredCapabilities>,
    /// The current time in seconds since the Unix epoch, to check lifetimes
    /// of `key_package` leaves; `None` skips the check (RFC 9420 section 7.3
    /// only recommends it for received leaves).
    pub now: Option<u64>,
    /// The longest lifetime (`not_after - not_before`) accepted (C-LN-16).
    pub max_lifetime: Option<u64>,
}

/// Validates `leaf` for a group of `cs`'s suite (RFC 9420 section 7.3):
/// signature (C-LN-01, C-LN-02; `position` is the group id and leaf index
/// for update and commit leaves), encryption key shape (C-LN-05), the
/// group's version and suite in the capabilities (C-LN-06), required
/// capabilities (C-LN-07 to C-LN-09), its own credential type
/// (C-LN-12), its extensions (C-LN-13), lifetime (C-LN-15, C-LN-16) and
/// source (C-LN-17 to C-LN-20).
pub fn validate_leaf_node<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    leaf: &LeafNode,
    role: LeafRole<'_>,
    position: Option<(&[u8], LeafIndex)>,
    policy: &LeafPolicy<'_>,
) -> Result<(), Error> {
    let source_ok = matches!(
        (&role, &leaf.leaf_node_source),
        (LeafRole::KeyPackage, LeafNodeSource::KeyPackage(_))
            | (LeafRole::Update { .. }, LeafNodeSource::Update)
            | (LeafRole::Commit, LeafNodeSource::Commit(_))
            | (LeafRole::Tree, _)
    );
    if !source_ok {
        return Err(ValidationError::LeafNodeSourceMismatch.into());
    }
    if let LeafRole::Update { replaced } = role
        && replaced.encryption_key == leaf.encryption_key
    {
        return Err(ValidationError::UpdateReusesEncryptionKey.into());
    }
    if Some(leaf.encryption_key.0.len()) != cs.params().kem.public_key_len() {
        return Err(ValidationError::InvalidEncryptionKey.into());
    }
    let caps = &leaf.capabilities;
    if !caps.versions.0.contains(&ProtocolVersion::MLS10)
        || !caps.cipher_suites.0.contains(&cs.suite())
    {
        return Err(ValidationError::LeafLacksGroupCapabilities.into());
    }
    if let Some(req) = policy.required {
        let missing = req
            .extension_types
            .0
            .iter()
            .any(|e| !e.is_default() && !caps.extensions.0.contains(e))
            || req
                .proposal_types
                .0
                .iter()
                .any(|p| !p.is_default() && !caps.proposals.0.contains(p))
            || req
                .credential_types
                .0
                .iter()
                .any(|c| !caps.credentials.0.contains(c));
        if missing {
            return Err(ValidationError::LeafLacksRequiredCapabilities.into());
        }
    }
    if !caps
        .credentials
        .0
        .contains(&leaf.credential.credential_type())
    {
        return Err(ValidationError::CredentialTypeNotInCapabilities.into());
    }
    if leaf
        .extensions
        .iter()
        .any(|e| !e.extension_type.is_default() && !caps.extensions.0.contains(&e.extension_type))
    {
        return Err(ValidationError::UnsupportedLeafExtension.into());
    }
    if let LeafNodeSource::KeyPackage(lifetime) = &leaf.leaf_node_source {
        let span = lifetime.not_after.checked_sub(lifetime.not_before);
        if span.is_none() || matches!((span, policy.max_lifetime), (Some(s), Some(m)) if s > m) {
            return Err(ValidationError::LifetimeInvalid.into());
        }
        if let Some(now) = policy.now
            && (now < lifetime.not_before || now > lifetime.not_after)
        {
            return Err(ValidationError::LifetimeInvalid.into());
        }
    }
    let (group_id, index) = position.unwrap_or((&[], LeafIndex(0)));
    verify_leaf_signature(cs, leaf, group_id, index)
}
