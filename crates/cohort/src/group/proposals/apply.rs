//! Applying a validated proposal list (RFC 9420 sections 12.3, 12.4).

use super::super::app::{AppRegistry, EMPTY_APP};
use crate::messages::{
    Extensions, GroupContext, KeyPackage, LeafNode, PreSharedKeyId, Proposal, ReInit,
};
use crate::tree::math::LeafIndex;
use crate::tree::{TreeDiff, TreeView};
use crate::{Error, ValidationError};
use alloc::vec::Vec;

use super::QueuedProposal;

/// Whether a commit covering `list` must carry an UpdatePath (RFC 9420
/// section 12.4): when the list is empty, or holds a proposal of a type
/// whose "Path Required" registry column says Y (update, remove,
/// external_init, group_context_extensions); unknown types count as
/// requiring one.
pub fn path_required(list: &[QueuedProposal]) -> bool {
    path_required_with(list, &EMPTY_APP)
}

/// [`path_required`], with the "Path Required" answers of the custom types
/// `app` registers.
pub fn path_required_with(list: &[QueuedProposal], app: &AppRegistry) -> bool {
    list.is_empty()
        || list
            .iter()
            .any(|q| app.path_required(q.proposal.proposal_type()))
}

/// What applying a proposal list did (RFC 9420 section 12.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppliedProposals {
    /// The new group context extensions, if the list replaces them.
    pub extensions: Option<Extensions>,
    /// The leaves replaced by Updates.
    pub updated: Vec<LeafIndex>,
    /// The removed leaves, with the leaf nodes they held.
    pub removed: Vec<(LeafIndex, LeafNode)>,
    /// The added members' leaves and KeyPackages, in list order.
    pub added: Vec<(LeafIndex, KeyPackage)>,
    /// The PSKs to inject, in list order.
    pub psks: Vec<PreSharedKeyId>,
    /// The ExternalInit's `kem_output`, for the init secret (section 8.3).
    pub external_init: Option<Vec<u8>>,
    /// The ReInit to carry out after the commit (section 11.2).
    pub reinit: Option<ReInit>,
}

/// Applies a validated proposal list to `diff` in the order of RFC 9420
/// section 12.3 (C-PROP-23): GroupContextExtensions, Updates (each
/// replacing its sender's leaf), Removes, Adds in list order (each taking
/// the leftmost blank leaf), then PSKs in list order, ExternalInit and
/// ReInit are noted. The base tree is not touched. A list with an
/// AppDataUpdate is refused: it needs the application's components (see
/// [`apply_proposals_with`]).
pub fn apply_proposals(
    diff: &mut TreeDiff<'_>,
    list: &[QueuedProposal],
) -> Result<AppliedProposals, Error> {
    let out = apply_tree_proposals(diff, list)?;
    if let Some(component_id) = list.iter().find_map(|q| match &q.proposal {
        Proposal::AppDataUpdate(u) => Some(u.component_id),
        _ => None,
    }) {
        return Err(ValidationError::UnknownComponent { component_id }.into());
    }
    Ok(out)
}

/// [`apply_proposals`], then the application's proposals (extensions
/// draft; RFC 9420 section 17.4) with the logic `app` registers: the
/// custom types' effects, then the AppDataUpdates by component, on the
/// group context extensions (`context`'s, or the GroupContextExtensions'
/// when the list has one). `extensions` of the result is set whenever
/// they change.
pub fn apply_proposals_with(
    diff: &mut TreeDiff<'_>,
    list: &[QueuedProposal],
    context: &GroupContext,
    app: &AppRegistry,
    external_commit: bool,
) -> Result<AppliedProposals, Error> {
    let mut out = apply_tree_proposals(diff, list)?;
    let mut extensions = out
        .extensions
        .clone()
        .unwrap_or_else(|| context.extensions.clone());
    if app.apply(list, &mut extensions, context, external_commit)? {
        out.extensions = Some(extensions);
    }
    Ok(out)
}

fn apply_tree_proposals(
    diff: &mut TreeDiff<'_>,
    list: &[QueuedProposal],
) -> Result<AppliedProposals, Error> {
    let mut out = AppliedProposals::default();
    for q in list {
        if let Proposal::GroupContextExtensions(gce) = &q.proposal {
            out.extensions = Some(gce.extensions.clone());
        }
    }
    for q in list {
        if let Proposal::Update(update) = &q.proposal {
            let leaf = q
                .sender
                .leaf_index()
                .ok_or(ValidationError::SenderNotMember)?;
            diff.update_leaf(leaf, update.leaf_node.clone())?;
            out.updated.push(leaf);
        }
    }
    // SelfRemoves after the Updates and before the Removes (extensions
    // draft, "SelfRemove Proposal"): each removes its sender's leaf.
    let mut remove = |leaf: LeafIndex| -> Result<(), Error> {
        let old = diff
            .leaf(leaf)
            .cloned()
            .ok_or(ValidationError::RemovedLeafBlank { leaf: leaf.0 })?;
        diff.remove_leaf(leaf)?;
        out.removed.push((leaf, old));
        Ok(())
    };
    for q in list {
        if let Proposal::SelfRemove(_) = &q.proposal {
            remove(
                q.sender
                    .leaf_index()
                    .ok_or(ValidationError::SelfRemoveMisused("from a non-member"))?,
            )?;
        }
    }
    for q in list {
        if let Proposal::Remove(r) = &q.proposal {
            remove(r.leaf())?;
        }
    }
    for q in list {
        if let Proposal::Add(add) = &q.proposal {
            let leaf = diff.add_leaf(add.key_package.leaf_node.clone())?;
            out.added.push((leaf, add.key_package.clone()));
        }
    }
    for q in list {
        match &q.proposal {
            Proposal::PreSharedKey(psk) => out.psks.push(psk.psk.clone()),
            Proposal::ExternalInit(init) => out.external_init = Some(init.kem_output.0.clone()),
            Proposal::ReInit(reinit) => out.reinit = Some(reinit.clone()),
            _ => {}
        }
    }
    Ok(out)
}
