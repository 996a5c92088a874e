//! This member's own commit, sent and not yet merged (RFC 9420 section
//! 12.4): it lives in the group (and in its stored state) until the
//! delivery service echoes it back, the application merges it, or the
//! application drops it because another commit won the epoch.

use super::commit::{CommitBuilder, CommitOutput};
use super::process::{OwnPath, ProcessedMessage, StagedCommit};
use super::state::Group;
use crate::framing::{AuthenticatedContent, FramedContentBody, MlsMessage};
use crate::{Error, MisuseError};
use alloc::boxed::Box;
use cohort_traits::{Provider, Signer};

/// This member's commit, sent and waiting for the delivery service (see
/// [`Group::create_pending_commit`]). The messages can be sent again after
/// a restart.
#[derive(Debug, Clone)]
pub struct PendingCommit {
    pub(crate) content: AuthenticatedContent,
    pub(crate) own: OwnPath,
    pub(crate) output: CommitOutput,
    /// The commit staged when it was made (runtime only; staged again from
    /// the rest after a load).
    pub(crate) staged: Option<Box<StagedCommit>>,
}

impl PendingCommit {
    /// The commit, as sent.
    pub fn commit(&self) -> &MlsMessage {
        &self.output.commit
    }

    /// The Welcome for the members it adds, if any.
    pub fn welcome(&self) -> Option<&MlsMessage> {
        self.output.welcome.as_ref()
    }

    /// The epoch the commit ends (the group's current epoch).
    pub fn epoch(&self) -> u64 {
        self.content.content.epoch
    }
}

impl Group {
    /// Builds and signs a commit (see [`Group::create_commit`]) and keeps it
    /// as this member's pending commit, in the group and (with the rest of
    /// its state) in storage: it is merged by
    /// [`Group::merge_pending_commit`], or when the delivery service echoes
    /// it back ([`Group::process`] returns it staged), and dropped by
    /// [`Group::clear_pending_commit`] when another commit won the epoch.
    ///
    /// Errors: [`MisuseError::CommitPending`] while a commit is pending.
    pub fn create_pending_commit<P: Provider>(
        &mut self,
        provider: &P,
        signer: &dyn Signer,
        builder: CommitBuilder,
    ) -> Result<CommitOutput, Error> {
        self.ensure_can_send()?;
        if self.pending_commit.is_some() {
            return Err(MisuseError::CommitPending.into());
        }
        let built = self.build_commit(provider, signer, builder, None, &[])?;
        let output = built.output.clone();
        self.pending_commit = Some(PendingCommit {
            content: built.content,
            own: built.own,
            output: built.output,
            staged: Some(Box::new(built.staged)),
        });
        self.unsaved.state = true;
        Ok(output)
    }

    /// This member's pending commit, if any.
    pub fn pending_commit(&self) -> Option<&PendingCommit> {
        self.pending_commit.as_ref()
    }

    /// Drops the pending commit (another member's commit won the epoch, or
    /// the delivery service refused it). Its handshake generation stays
    /// consumed.
    pub fn clear_pending_commit(&mut self) {
        if self.pending_commit.take().is_some() {
            self.unsaved.state = true;
        }
    }

    /// Merges the pending commit: the group moves to the epoch it makes.
    ///
    /// Errors: [`MisuseError::NoPendingCommit`]; an error of
    /// [`Group::merge_staged_commit`] (nothing changes then).
    pub fn merge_pending_commit<P: Provider>(&mut self, provider: &P) -> Result<(), Error> {
        let staged = self.staged_pending_commit(provider)?;
        self.merge_staged_commit(staged)
    }

    /// The pending commit, staged: as made, or staged again from what was
    /// kept of it (after a load).
    pub(crate) fn staged_pending_commit<P: Provider>(
        &self,
        provider: &P,
    ) -> Result<StagedCommit, Error> {
        let pending = self
            .pending_commit
            .as_ref()
            .ok_or(MisuseError::NoPendingCommit)?;
        if let Some(staged) = &pending.staged {
            return Ok((**staged).clone());
        }
        let FramedContentBody::Commit(commit) = &pending.content.content.body else {
            return Err(MisuseError::NoPendingCommit.into());
        };
        let cs = self.cs(provider.crypto())?;
        self.stage_commit(&cs, &pending.content, commit, None, Some(&pending.own))
    }

    /// The delivery service's echo of the pending commit, staged: what
    /// [`Group::process`] returns for it.
    pub(crate) fn echoed_pending_commit<P: Provider>(
        &self,
        provider: &P,
        message: &MlsMessage,
    ) -> Option<Result<ProcessedMessage, Error>> {
        let pending = self.pending_commit.as_ref()?;
        if &pending.output.commit != message {
            return None;
        }
        Some(
            self.staged_pending_commit(provider)
                .map(|s| ProcessedMessage::Commit(Box::new(s))),
        )
    }
}
