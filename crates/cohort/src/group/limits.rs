//! Limits on what a member accepts from outside its group, and the ranges
//! of every configuration value.
//!
//! Everything that arrives from outside (a KeyPackage, a Welcome, a
//! GroupInfo and its tree, a commit) costs time near-linear in its size.
//! These limits bound the size itself, so a member decides before doing
//! the work whether it will do it at all; each has a named
//! [`LimitError`].

use crate::{Error, LimitError, MisuseError};

/// Configured limits on received input, with safe defaults. Part of
/// [`GroupConfig`](super::GroupConfig) and saved with the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most leaves a tree may have: a received tree (Welcome, GroupInfo,
    /// out of band) and the tree after a commit's Adds. Counted as the
    /// tree's width in leaves (a power of two), so a tree with 10,000
    /// members has 16,384. Default 65,536; range 1 to 2^24.
    pub max_leaves: u32,
    /// The largest encoded message [`Group::process`](super::Group::process)
    /// and the joins accept. Default 32 MiB (a GroupInfo with 65,536
    /// members is about 16 MiB); range 1 to 2^30.
    pub max_message_size: usize,
    /// The most extensions of one LeafNode, and of one KeyPackage besides
    /// its leaf's. Default 64; range 0 to 65,535.
    pub max_extensions_per_leaf: usize,
    /// The most proposals one commit may hold (by value and by reference).
    /// Default 65,536 (a commit adding every member of a full default-size
    /// group); range 1 to 2^24.
    pub max_proposals_per_commit: usize,
    /// The most proposals received on their own that an epoch caches for a
    /// commit to reference. Default 1,024; range 0 to 2^20.
    pub max_cached_proposals: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_leaves: 1 << 16,
            max_message_size: 32 << 20,
            max_extensions_per_leaf: 64,
            max_proposals_per_commit: 1 << 16,
            max_cached_proposals: 1024,
        }
    }
}

impl Limits {
    /// The largest allowed `max_leaves`.
    pub const MAX_LEAVES_CEILING: u32 = 1 << 24;

    /// Checks every field against its documented range.
    ///
    /// Errors: [`MisuseError::ConfigOutOfRange`] naming the first field
    /// outside its range.
    pub fn validate(&self) -> Result<(), Error> {
        check_range(
            "limits.max_leaves",
            self.max_leaves.into(),
            1,
            Self::MAX_LEAVES_CEILING.into(),
        )?;
        check_range(
            "limits.max_message_size",
            self.max_message_size as u64,
            1,
            1 << 30,
        )?;
        check_range(
            "limits.max_extensions_per_leaf",
            self.max_extensions_per_leaf as u64,
            0,
            u16::MAX.into(),
        )?;
        check_range(
            "limits.max_proposals_per_commit",
            self.max_proposals_per_commit as u64,
            1,
            1 << 24,
        )?;
        check_range(
            "limits.max_cached_proposals",
            self.max_cached_proposals as u64,
            0,
            1 << 20,
        )
    }

    /// Refuses a message of `size` encoded bytes above `max_message_size`.
    pub fn check_message_size(&self, size: usize) -> Result<(), Error> {
        if size > self.max_message_size {
            return Err(LimitError::MessageTooLarge {
                size,
                max: self.max_message_size,
            }
            .into());
        }
        Ok(())
    }

    /// Refuses a tree of `leaves` leaves above `max_leaves`.
    pub fn check_leaves(&self, leaves: u64) -> Result<(), Error> {
        if leaves > u64::from(self.max_leaves) {
            return Err(LimitError::TooManyLeaves {
                leaves,
                max: self.max_leaves,
            }
            .into());
        }
        Ok(())
    }

    /// Refuses a list of `count` extensions above `max_extensions_per_leaf`.
    pub fn check_extensions(&self, count: usize) -> Result<(), Error> {
        if count > self.max_extensions_per_leaf {
            return Err(LimitError::TooManyExtensions {
                count,
                max: self.max_extensions_per_leaf,
            }
            .into());
        }
        Ok(())
    }

    /// Refuses a commit of `count` proposals above
    /// `max_proposals_per_commit`.
    pub fn check_proposals(&self, count: usize) -> Result<(), Error> {
        if count > self.max_proposals_per_commit {
            return Err(LimitError::TooManyProposals {
                count,
                max: self.max_proposals_per_commit,
            }
            .into());
        }
        Ok(())
    }
}

/// `Ok` when `lo <= value <= hi`, else [`MisuseError::ConfigOutOfRange`]
/// naming `field`.
pub(crate) fn check_range(field: &'static str, value: u64, lo: u64, hi: u64) -> Result<(), Error> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(MisuseError::ConfigOutOfRange { field }.into())
    }
}
