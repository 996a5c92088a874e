//! Proposals (RFC 9420 sections 12.1 to 12.3): the cache of a member's
//! pending proposals and their references ([`proposal_ref`]), the
//! application's policy ([`policy`]), proposal-list validation
//! ([`validate`]) and application ([`apply`]).

mod apply;
mod policy;
mod validate;

pub use apply::{
    AppliedProposals, apply_proposals, apply_proposals_with, path_required, path_required_with,
};
pub use policy::{DefaultProposalPolicy, ProposalInfo, ProposalPolicy, SharedPolicy, check_policy};
pub(crate) use validate::check_custom_type;
#[cfg_attr(not(feature = "hazmat"), allow(unused_imports))]
pub use validate::{
    ListOptions, ProposalCheck, validate_proposal_list, validate_proposal_list_with,
};

use crate::Error;
use crate::codec::encode;
use crate::crypto::SuiteCrypto;
use crate::framing::{AuthenticatedContent, Sender};
use crate::messages::Proposal;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use cohort_traits::Crypto;

/// A proposal to commit, with its sender: the committer for a proposal by
/// value, the original sender for one by reference (RFC 9420 section 12.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedProposal {
    /// The proposal.
    pub proposal: Proposal,
    /// Who sent it.
    pub sender: Sender,
    /// Its ProposalRef when it came by reference; `None` when by value.
    pub reference: Option<Vec<u8>>,
}

/// The proposals of the current epoch that arrived (or were sent) on their
/// own, for a commit to include by reference (RFC 9420 section 12.4): in
/// arrival order, indexed by ProposalRef, so a lookup or a duplicate check
/// costs O(log P). Bounded by
/// [`Limits::max_cached_proposals`](super::super::Limits).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ProposalCache {
    items: Vec<QueuedProposal>,
    by_ref: BTreeMap<Vec<u8>, usize>,
}

impl ProposalCache {
    /// Adds `q` (which has a reference) unless a proposal with its
    /// reference is cached already: `Ok(false)` then. A new proposal
    /// beyond `max` is refused with [`crate::LimitError::ProposalCacheFull`].
    pub(crate) fn insert(&mut self, q: QueuedProposal, max: usize) -> Result<bool, Error> {
        let reference = q.reference.clone().unwrap_or_default();
        if self.by_ref.contains_key(&reference) {
            return Ok(false);
        }
        if self.items.len() >= max {
            return Err(crate::LimitError::ProposalCacheFull { max }.into());
        }
        self.by_ref.insert(reference, self.items.len());
        self.items.push(q);
        Ok(true)
    }

    /// The cached proposal whose ProposalRef is `reference`.
    pub(crate) fn get(&self, reference: &[u8]) -> Option<&QueuedProposal> {
        self.by_ref.get(reference).and_then(|&i| self.items.get(i))
    }

    /// Whether `reference` is cached.
    pub(crate) fn contains(&self, reference: &[u8]) -> bool {
        self.by_ref.contains_key(reference)
    }

    /// Removes the proposal whose ProposalRef is `reference`; whether it
    /// was cached.
    pub(crate) fn remove(&mut self, reference: &[u8]) -> bool {
        let Some(i) = self.by_ref.remove(reference) else {
            return false;
        };
        if i < self.items.len() {
            self.items.remove(i);
        }
        for slot in self.by_ref.values_mut() {
            if *slot > i {
                *slot -= 1;
            }
        }
        true
    }

    /// Empties the cache (a new epoch).
    pub(crate) fn clear(&mut self) {
        self.items.clear();
        self.by_ref.clear();
    }
}

impl core::ops::Deref for ProposalCache {
    type Target = [QueuedProposal];

    fn deref(&self) -> &[QueuedProposal] {
        &self.items
    }
}

/// The ProposalRef of a proposal: `MakeProposalRef` over the encoded
/// AuthenticatedContent that carried it (RFC 9420 section 5.2).
pub fn proposal_ref<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    ac: &AuthenticatedContent,
) -> Result<Vec<u8>, Error> {
    cs.make_proposal_ref(&encode(ac)?)
}
