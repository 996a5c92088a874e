//! The application's rules on proposals (RFC 9420 sections 12.1.8, 12.2;
//! C-PROP-21, C-EXT-04).

use crate::framing::Sender;
use crate::messages::{GroupContext, LeafNode, Proposal};
use crate::tree::math::LeafIndex;
use crate::tree::{RatchetTree, TreeView};
use crate::{Error, ValidationError};
use alloc::sync::Arc;

use super::QueuedProposal;

/// The application's rules on proposals (RFC 9420 sections 12.1.8, 12.2):
/// who may propose what, and which new members may add themselves.
///
/// A [`Group`](crate::group::Group) consults its policy ([`GroupConfig`]'s
/// `proposal_policy`, see [`SharedPolicy`]) wherever a proposal can enter an
/// epoch: when it receives a proposal on its own, when it builds a commit
/// (its own proposals and those it includes by reference), when it processes
/// a commit (every proposal, by value or by reference), and when it joins
/// by external commit. A refusal makes the proposal, and so any commit
/// holding it, invalid (C-PROP-21, C-EXT-04): the message is rejected with
/// [`ValidationError::RejectedByPolicy`] or
/// [`ValidationError::NewMemberAddNotAuthorized`] and the group is
/// unchanged. The policy sees only proposals that passed every check of RFC
/// 9420 section 12.2. Every member must apply the same rules, or they will
/// disagree on which commits are valid.
///
/// External commits: every proposal of an external commit (its
/// ExternalInit, a resync's Remove, its PreSharedKeys) is put to
/// [`ProposalPolicy::allow_proposal`] with sender `new_member_commit` and
/// the joiner's path leaf; refusing the ExternalInit refuses external joins.
///
/// Both methods have defaults ([`DefaultProposalPolicy`]): every proposal
/// of a member, an external sender or an external joiner is accepted, and a
/// new member's Add of itself is refused, since RFC 9420 section 12.1.8
/// makes it invalid unless the application authorizes it.
///
/// [`GroupConfig`]: crate::group::GroupConfig
pub trait ProposalPolicy: Send + Sync {
    /// Whether `info.proposal` from `info.sender` is acceptable (C-PROP-21).
    /// Called for every proposal except a `new_member_proposal` Add. The
    /// default accepts.
    fn allow_proposal(&self, info: &ProposalInfo<'_>) -> bool {
        let _ = info;
        true
    }

    /// Whether a new member may add itself with the Add `info.proposal`
    /// (sender `new_member_proposal`; RFC 9420 section 12.1.8, C-EXT-04).
    /// `info.sender_leaf` is the leaf of the KeyPackage. The default
    /// refuses.
    fn allow_new_member_add(&self, info: &ProposalInfo<'_>) -> bool {
        let _ = info;
        false
    }
}

/// The policy a group uses when the application installs none: accept
/// every proposal but a new member's Add of itself (see [`ProposalPolicy`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DefaultProposalPolicy;

impl ProposalPolicy for DefaultProposalPolicy {}

pub(crate) static DEFAULT_POLICY: DefaultProposalPolicy = DefaultProposalPolicy;

/// A [`ProposalPolicy`] as a group's configuration holds it: shared, and
/// [`DefaultProposalPolicy`] when empty (the default).
///
/// The policy is runtime configuration: [`Group::save`](crate::group::Group::save)
/// does not store it, and a group loaded back has the default policy until
/// the application installs its own with
/// [`Group::set_proposal_policy`](crate::group::Group::set_proposal_policy).
///
/// Two values are equal when both are the default or both hold the same
/// shared policy object.
#[derive(Clone, Default)]
pub struct SharedPolicy(Option<Arc<dyn ProposalPolicy>>);

impl SharedPolicy {
    /// Holds `policy`.
    pub fn new<T: ProposalPolicy + 'static>(policy: T) -> Self {
        SharedPolicy(Some(Arc::new(policy)))
    }

    /// The policy in force.
    pub fn get(&self) -> &dyn ProposalPolicy {
        match &self.0 {
            Some(p) => p.as_ref(),
            None => &DEFAULT_POLICY,
        }
    }

    /// Whether this is the default policy (none installed).
    pub fn is_default(&self) -> bool {
        self.0.is_none()
    }
}

impl From<Arc<dyn ProposalPolicy>> for SharedPolicy {
    fn from(policy: Arc<dyn ProposalPolicy>) -> Self {
        SharedPolicy(Some(policy))
    }
}

impl PartialEq for SharedPolicy {
    fn eq(&self, other: &Self) -> bool {
        super::super::clock::same_hook(&self.0, &other.0)
    }
}

impl Eq for SharedPolicy {}

impl core::fmt::Debug for SharedPolicy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(if self.is_default() {
            "SharedPolicy(default)"
        } else {
            "SharedPolicy(application)"
        })
    }
}

/// A proposal put to a [`ProposalPolicy`], with what the application needs
/// to judge it: its sender and the sender's leaf, the commit it is part of,
/// and the group's current epoch.
#[derive(Clone, Copy, Debug)]
pub struct ProposalInfo<'a> {
    /// The proposal.
    pub proposal: &'a Proposal,
    /// Who sent it (for a proposal by value, the committer).
    pub sender: Sender,
    /// The sender's leaf: a member's current leaf; for `new_member_proposal`
    /// the leaf of the KeyPackage it adds; for `new_member_commit` the leaf
    /// of the commit's UpdatePath (`None` when unknown). `None` for an
    /// `external` sender, whose credential is in the group's
    /// `external_senders` extension.
    pub sender_leaf: Option<&'a LeafNode>,
    /// Whether it came by reference.
    pub by_reference: bool,
    /// The committer when the proposal is checked as part of a commit;
    /// `None` when it arrives on its own.
    pub committer: Option<Sender>,
    /// The commit's whole proposal list (this proposal included), or just
    /// this proposal when it arrives on its own.
    pub list: &'a [QueuedProposal],
    /// The GroupContext of the current epoch.
    pub context: &'a GroupContext,
    /// The ratchet tree of the current epoch.
    pub tree: &'a RatchetTree,
}

/// Puts every proposal of `list` to `policy` (RFC 9420 sections 12.1.8,
/// 12.2; C-PROP-21, C-EXT-04): a `new_member_proposal` Add to
/// [`ProposalPolicy::allow_new_member_add`], every other proposal to
/// [`ProposalPolicy::allow_proposal`]. `committer` is `None` for a proposal
/// received on its own; `path_leaf` is the leaf of an external commit's
/// UpdatePath.
///
/// Errors: [`ValidationError::NewMemberAddNotAuthorized`] or
/// [`ValidationError::RejectedByPolicy`] for the first refused proposal.
pub fn check_policy(
    policy: &dyn ProposalPolicy,
    context: &GroupContext,
    tree: &RatchetTree,
    list: &[QueuedProposal],
    committer: Option<Sender>,
    path_leaf: Option<&LeafNode>,
) -> Result<(), Error> {
    for q in list {
        let sender_leaf = match (&q.sender, &q.proposal) {
            (Sender::Member(l), _) => tree.leaf(LeafIndex(*l)),
            (Sender::NewMemberProposal, Proposal::Add(add)) => Some(&add.key_package.leaf_node),
            (Sender::NewMemberCommit, _) => path_leaf,
            _ => None,
        };
        let info = ProposalInfo {
            proposal: &q.proposal,
            sender: q.sender,
            sender_leaf,
            by_reference: q.reference.is_some(),
            committer,
            list,
            context,
            tree,
        };
        if q.sender == Sender::NewMemberProposal && matches!(q.proposal, Proposal::Add(_)) {
            if !policy.allow_new_member_add(&info) {
                return Err(ValidationError::NewMemberAddNotAuthorized.into());
            }
        } else if !policy.allow_proposal(&info) {
            return Err(ValidationError::RejectedByPolicy {
                sender_type: q.sender.sender_type().into(),
                proposal_type: q.proposal.proposal_type().0,
            }
            .into());
        }
    }
    Ok(())
}
