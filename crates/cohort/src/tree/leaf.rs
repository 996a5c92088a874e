//! LeafNode validation (RFC 9420 section 7.3): the checks that depend on the
//! leaf alone and on the group's parameters. Checks across members
//! (credential types in use, key uniqueness) are made where the whole group
//! is known.
//!
//! Every membership test of one list in another (extensions in
//! capabilities, required capabilities) sorts the smaller side once and
//! scans the other, so a leaf costs O(S log S) in its size S whatever its
//! lists hold.

use super::math::LeafIndex;
use super::validate::verify_leaf_signature;
use crate::crypto::SuiteCrypto;
use crate::messages::{
    Credential, CredentialType, ExtensionType, LeafNode, LeafNodeSource, ProposalType,
    ProtocolVersion, RequiredCapabilities,
};
use crate::{Error, LimitError, ValidationError};
use alloc::vec::Vec;
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

/// A set of values held sorted and without duplicates, to test another
/// list against it in one pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortedSet<T>(Vec<T>);

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        SortedSet(Vec::new())
    }
}

impl<T: Ord + Copy> SortedSet<T> {
    /// The set of `values` (O(n log n)).
    pub fn new(values: impl IntoIterator<Item = T>) -> Self {
        let mut v: Vec<T> = values.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        SortedSet(v)
    }

    /// Whether `value` is in the set (O(log n)).
    pub fn contains(&self, value: &T) -> bool {
        self.0.binary_search(value).is_ok()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values, ascending.
    pub fn iter(&self) -> core::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// The smallest value of the set that `list` does not hold, if any:
    /// one pass over `list` with a lookup each (O(|list| log n + n)).
    pub fn first_missing_from(&self, list: &[T]) -> Option<T> {
        if self.0.is_empty() {
            return None;
        }
        let mut found = alloc::vec![false; self.0.len()];
        for v in list {
            if let Ok(i) = self.0.binary_search(v)
                && let Some(f) = found.get_mut(i)
            {
                *f = true;
            }
        }
        self.0.iter().zip(found).find(|(_, f)| !f).map(|(v, _)| *v)
    }
}

/// A group's `required_capabilities` (RFC 9420 section 11.1) prepared for
/// checking many leaves: each list sorted and deduplicated, default
/// extension and proposal types left out (they count as supported;
/// credential types always count, C-CAP-14). Prepared once per group
/// context, so checking N leaves against R requirements costs
/// O((N + R) log R) plus the leaves' sizes, not O(N R).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequiredSet {
    extensions: SortedSet<ExtensionType>,
    proposals: SortedSet<ProposalType>,
    credentials: SortedSet<CredentialType>,
    /// The extensions draft's requirements (components, media types, wire
    /// formats), checked on the same leaves.
    draft: Option<crate::group::app::RequiredComponents>,
}

impl RequiredSet {
    /// The prepared form of `required`.
    pub fn new(required: &RequiredCapabilities) -> Self {
        RequiredSet {
            extensions: SortedSet::new(
                required
                    .extension_types
                    .0
                    .iter()
                    .copied()
                    .filter(|t| !t.is_default()),
            ),
            proposals: SortedSet::new(
                required
                    .proposal_types
                    .0
                    .iter()
                    .copied()
                    .filter(|t| !t.is_default()),
            ),
            credentials: SortedSet::new(required.credential_types.0.iter().copied()),
            draft: None,
        }
    }

    /// The prepared `required_capabilities` of a group context extension
    /// list, with what the extensions draft's extensions there require
    /// (`app_data_dictionary`'s required components and media types,
    /// `required_wire_formats`); `None` when it has neither.
    pub fn of(extensions: &crate::messages::Extensions) -> Result<Option<Self>, Error> {
        let capabilities = extensions.get::<RequiredCapabilities>()?;
        let draft = crate::group::app::RequiredComponents::of(extensions)?;
        if capabilities.is_none() && draft.is_none() {
            return Ok(None);
        }
        let mut set = capabilities.as_ref().map(Self::new).unwrap_or_default();
        set.draft = draft;
        Ok(Some(set))
    }

    /// Whether `leaf` meets the extensions draft's requirements (the
    /// components, media types and wire formats the group context
    /// requires), each failure with its named error.
    pub(crate) fn check_draft(&self, leaf: &LeafNode) -> Result<(), Error> {
        match &self.draft {
            Some(draft) => draft.check(leaf),
            None => Ok(()),
        }
    }

    /// Whether `caps` meet the requirements (RFC 9420 section 11.1;
    /// C-LN-07 to C-LN-09, C-CAP-14).
    pub fn met_by(&self, caps: &crate::messages::Capabilities) -> bool {
        self.extensions
            .first_missing_from(&caps.extensions.0)
            .is_none()
            && self
                .proposals
                .first_missing_from(&caps.proposals.0)
                .is_none()
            && self
                .credentials
                .first_missing_from(&caps.credentials.0)
                .is_none()
    }
}

/// The group parameters a LeafNode is checked against.
#[derive(Clone, Copy, Debug)]
pub struct LeafPolicy<'a> {
    /// The group's `required_capabilities` extension, if any, prepared
    /// ([`RequiredSet::of`]).
    pub required: Option<&'a RequiredSet>,
    /// The current time in seconds since the Unix epoch, to check lifetimes
    /// of `key_package` leaves; `None` skips the check (RFC 9420 section 7.3
    /// only recommends it for received leaves).
    pub now: Option<u64>,
    /// The longest lifetime (`not_after - not_before`) accepted (C-LN-16).
    pub max_lifetime: Option<u64>,
    /// The most extensions a leaf may carry
    /// ([`Limits::max_extensions_per_leaf`](crate::group::Limits)).
    pub max_extensions: usize,
}

impl Default for LeafPolicy<'_> {
    fn default() -> Self {
        LeafPolicy {
            required: None,
            now: None,
            max_lifetime: None,
            max_extensions: crate::group::Limits::default().max_extensions_per_leaf,
        }
    }
}

/// Whether `caps` support the bindings of `credential` (extensions draft,
/// "Verifying a Multi-Credential"): the cipher suite and credential type
/// of every binding of a `multi` credential, of at least one binding of a
/// `weak-multi` one. Other credentials have no bindings to support.
pub(crate) fn supports_bindings(
    caps: &crate::messages::Capabilities,
    credential: &Credential,
) -> bool {
    let supported = |b: &crate::messages::CredentialBinding| {
        caps.cipher_suites.0.contains(&b.cipher_suite)
            && caps.credentials.0.contains(&b.credential.credential_type())
    };
    match credential {
        Credential::Multi { bindings } => bindings.0.iter().all(supported),
        Credential::WeakMulti { bindings } => bindings.0.iter().any(supported),
        _ => true,
    }
}

/// Validates `leaf` for a group of `cs`'s suite (RFC 9420 section 7.3):
/// the cheap checks of [`check_leaf_node`], then the signature (C-LN-01,
/// C-LN-02; `position` is the group id and leaf index for update and
/// commit leaves).
pub fn validate_leaf_node<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    leaf: &LeafNode,
    role: LeafRole<'_>,
    position: Option<(&[u8], LeafIndex)>,
    policy: &LeafPolicy<'_>,
) -> Result<(), Error> {
    check_leaf_node(cs, leaf, role, policy)?;
    let (group_id, index) = position.unwrap_or((&[], LeafIndex(0)));
    verify_leaf_signature(cs, leaf, group_id, index)
}

/// The checks of a LeafNode short of its signature (RFC 9420 sections 7.3,
/// 13.4), each O(S log S) in the leaf's size: the extension count limit
/// ([`LimitError::TooManyExtensions`]), extension types unique (C-CAP-06),
/// source (C-LN-17 to C-LN-20), encryption key shape (C-LN-05), the
/// group's version and suite in the capabilities (C-LN-06), required
/// capabilities (C-LN-07 to C-LN-09) and the extensions draft's required
/// components, media types and wire formats, a credential type that is not
/// GREASE (C-GREASE-08), its own credential type (C-LN-12),
/// its extensions listed in its capabilities (C-LN-13), lifetime (C-LN-15,
/// C-LN-16).
pub fn check_leaf_node<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    leaf: &LeafNode,
    role: LeafRole<'_>,
    policy: &LeafPolicy<'_>,
) -> Result<(), Error> {
    if leaf.extensions.len() > policy.max_extensions {
        return Err(LimitError::TooManyExtensions {
            count: leaf.extensions.len(),
            max: policy.max_extensions,
        }
        .into());
    }
    if let Some(t) = leaf.extensions.duplicate() {
        return Err(ValidationError::DuplicateExtension {
            extension_type: t.0,
        }
        .into());
    }
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
        if !req.met_by(caps) {
            return Err(ValidationError::LeafLacksRequiredCapabilities.into());
        }
        req.check_draft(leaf)?;
    }
    let credential_type = leaf.credential.credential_type();
    if crate::messages::is_grease(credential_type.0) {
        return Err(ValidationError::GreaseCredentialType {
            credential_type: credential_type.0,
        }
        .into());
    }
    if let Some(bindings) = leaf.credential.bindings() {
        if bindings.is_empty() {
            return Err(ValidationError::MultiCredentialEmpty.into());
        }
        if !supports_bindings(caps, &leaf.credential) {
            return Err(ValidationError::LeafLacksCredentialBindingSupport.into());
        }
    }
    if !caps.credentials.0.contains(&credential_type) {
        return Err(ValidationError::CredentialTypeNotInCapabilities.into());
    }
    let carried = SortedSet::new(
        leaf.extensions
            .iter()
            .map(|e| e.extension_type)
            .filter(|t| !t.is_default()),
    );
    if carried.first_missing_from(&caps.extensions.0).is_some() {
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
    Ok(())
}
