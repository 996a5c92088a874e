//! Reinitialization (RFC 9420 section 11.2) and subgroup branching (section
//! 11.3): a new group whose first commit injects a resumption PSK of the
//! old group. The joiners' checks are in `join`.

use super::commit::CommitOutput;
use super::key_package::KeyPackageBundle;
use super::psk::fresh_nonce;
use super::state::Group;
use crate::codec::encode;
use crate::messages::{
    Extensions, KeyPackage, PreSharedKeyId, ProtocolVersion, Psk, ResumptionPskUsage,
};
use crate::tree::TreeView;
use crate::{Error, MisuseError};
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use cohort_traits::{Provider, Signer};

/// What a resumed group is made of (see `Group::create_resumed_unchecked`,
/// feature `test-utils`).
#[derive(Clone, Debug)]
pub struct ResumptionSpec {
    /// `reinit` or `branch`.
    pub usage: ResumptionPskUsage,
    /// The new group's id.
    pub group_id: Vec<u8>,
    /// The new group's context extensions.
    pub extensions: Extensions,
    /// The old group's epoch whose resumption PSK is injected.
    pub psk_epoch: u64,
    /// Self-updates the creator commits before the one with the PSK.
    pub commits_before: u32,
}

impl Group {
    /// Creates the group that the merged ReInit asks for (RFC 9420 sections
    /// 11.2, 12.4.2): its group id, version, suite and extensions, created
    /// from `own` (a KeyPackage of the creator in the new suite), whose first
    /// commit adds `members` (KeyPackages of every other member of this
    /// group) and injects this group's resumption PSK of the current epoch
    /// (the epoch after the ReInit commit) with usage `reinit` (C-REINIT-03).
    ///
    /// Returns the new group at epoch 1, and the commit output whose Welcome
    /// the members join with [`Group::join_with_resumption`]. The policy is
    /// this group's.
    pub fn reinit<P: Provider>(
        &self,
        provider: &P,
        signer: &dyn Signer,
        own: &KeyPackageBundle,
        members: Vec<KeyPackage>,
    ) -> Result<(Group, CommitOutput), Error> {
        self.ensure_active()?;
        let reinit = self
            .pending_reinit
            .as_ref()
            .ok_or(MisuseError::NoPendingReInit)?;
        if reinit.version != ProtocolVersion::MLS10 {
            return Err(MisuseError::ResumptionMismatch("unsupported protocol version").into());
        }
        if own.key_package.cipher_suite != reinit.cipher_suite {
            return Err(
                MisuseError::ResumptionMismatch("KeyPackage not in the ReInit's suite").into(),
            );
        }
        let mut offered = BTreeSet::new();
        for kp in core::iter::once(&own.key_package).chain(&members) {
            offered.insert(encode(&kp.leaf_node.credential)?);
        }
        if offered != self.member_credentials()? {
            return Err(MisuseError::ResumptionMismatch(
                "the new group must have the old group's members",
            )
            .into());
        }
        let spec = ResumptionSpec {
            usage: ResumptionPskUsage::Reinit,
            group_id: reinit.group_id.0.clone(),
            extensions: reinit.extensions.clone(),
            psk_epoch: self.epoch(),
            commits_before: 0,
        };
        self.create_resumed(provider, signer, own, &spec, members)
    }

    /// Creates a subgroup of this group (RFC 9420 section 11.3): a new group
    /// `group_id` with `extensions` in this group's version and suite,
    /// created from `own`, whose first commit adds `members` (KeyPackages of
    /// members of this group) and injects this group's current resumption
    /// PSK with usage `branch` and a fresh nonce.
    ///
    /// Returns the new group at epoch 1, and the commit output whose Welcome
    /// the members join with [`Group::join_with_resumption`]. The policy is
    /// this group's.
    pub fn branch<P: Provider>(
        &self,
        provider: &P,
        signer: &dyn Signer,
        own: &KeyPackageBundle,
        group_id: Vec<u8>,
        extensions: Extensions,
        members: Vec<KeyPackage>,
    ) -> Result<(Group, CommitOutput), Error> {
        self.ensure_active()?;
        if own.key_package.cipher_suite != self.suite {
            return Err(MisuseError::ResumptionMismatch("a branch keeps the suite").into());
        }
        let old = self.member_credentials()?;
        for kp in core::iter::once(&own.key_package).chain(&members) {
            if !old.contains(&encode(&kp.leaf_node.credential)?) {
                return Err(
                    MisuseError::ResumptionMismatch("branch member not in the group").into(),
                );
            }
        }
        let spec = ResumptionSpec {
            usage: ResumptionPskUsage::Branch,
            group_id,
            extensions,
            psk_epoch: self.epoch(),
            commits_before: 0,
        };
        self.create_resumed(provider, signer, own, &spec, members)
    }

    /// Creates a group resuming this one as `spec` says, without the checks
    /// of [`Group::reinit`] and [`Group::branch`]: for negative tests of
    /// the joiners' checks (feature `test-utils`).
    #[cfg(feature = "test-utils")]
    pub fn create_resumed_unchecked<P: Provider>(
        &self,
        provider: &P,
        signer: &dyn Signer,
        own: &KeyPackageBundle,
        spec: &ResumptionSpec,
        members: Vec<KeyPackage>,
    ) -> Result<(Group, CommitOutput), Error> {
        self.create_resumed(provider, signer, own, spec, members)
    }

    /// Creates a group resuming this one as `spec` says.
    fn create_resumed<P: Provider>(
        &self,
        provider: &P,
        signer: &dyn Signer,
        own: &KeyPackageBundle,
        spec: &ResumptionSpec,
        members: Vec<KeyPackage>,
    ) -> Result<(Group, CommitOutput), Error> {
        let mut new = Group::create(
            provider,
            own,
            spec.group_id.clone(),
            spec.extensions.clone(),
            self.config.clone(),
        )?;
        for _ in 0..spec.commits_before {
            let (_, staged) = new.create_commit(provider, signer, new.commit().force_path(true))?;
            new.merge_staged_commit(staged)?;
        }
        let cs = new.cs(provider.crypto())?;
        let psk = PreSharedKeyId {
            psk: Psk::Resumption {
                usage: spec.usage,
                psk_group_id: self.context.group_id.clone(),
                psk_epoch: spec.psk_epoch,
            },
            psk_nonce: fresh_nonce(&cs, provider.rand())?.into(),
        };
        let mut builder = new.commit().psk(psk);
        for kp in members {
            builder = builder.add_member(kp);
        }
        let built = new.build_commit(provider, signer, builder, Some(spec.usage), &[self])?;
        new.merge_staged_commit(built.staged)?;
        Ok((new, built.output))
    }

    /// The encoded credentials of the members.
    fn member_credentials(&self) -> Result<BTreeSet<Vec<u8>>, Error> {
        self.tree
            .members()
            .into_iter()
            .filter_map(|l| self.tree.leaf(l))
            .map(|leaf| encode(&leaf.credential))
            .collect()
    }
}
