//! The group state machine (RFC 9420 sections 10 to 14): KeyPackages,
//! proposals, commits, Welcome, external joins and proposals, PSKs,
//! reinitialization and branching.

pub(crate) mod app;
mod clock;
mod commit;
mod create;
mod credentials;
mod epoch;
mod external;
mod grease;
mod group_info;
mod join;
mod key_package;
mod key_package_store;
mod limits;
mod pending;
mod persist;
mod process;
mod proposals;
mod psk;
mod public;
mod resume;
mod send;
mod state;
#[cfg(feature = "test-utils")]
mod test_utils;
#[cfg(test)]
mod tests;

pub use app::{
    AppAckHandler, AppProposalInfo, AppRegistry, ComponentHandler, CustomProposalHandler,
};
#[cfg(feature = "std")]
pub use clock::SystemClock;
pub use clock::{Clock, SharedClock};
pub use commit::{CommitBuilder, CommitOutput};
#[cfg(feature = "test-utils")]
pub use commit::{CommitHook, TagHook};
pub use credentials::{
    CredentialEvent, CredentialInfo, CredentialValidator, DefaultCredentialValidator,
    SharedCredentialValidator,
};
pub use external::ExternalJoinOptions;
pub(crate) use external::join_external_as_inner;
pub use external::{external_proposal, new_member_proposal};
pub(crate) use join::{OutOfBandTree, join_inner};
pub use key_package::*;
pub use key_package_store::{KEY_PACKAGE_RECORD_VERSION, key_package_key};
pub use limits::Limits;
pub use pending::PendingCommit;
pub use persist::{
    GROUP_STATE_VERSION, PAST_EPOCH_VERSION, RESERVED_GENERATIONS, SECRET_TREE_RECORD_VERSION,
    SENDER_RATCHETS_VERSION, TREE_RECORD_VERSION, group_state_key, past_epoch_key,
    sender_ratchets_key,
};
pub(crate) use persist::{apply_batch, state_batch};
pub use process::{ProcessedMessage, StagedCommit};
pub use proposals::{
    DefaultProposalPolicy, ProposalInfo, ProposalPolicy, QueuedProposal, SharedPolicy,
    check_policy, path_required,
};
pub use public::{CommitSummary, MessageInfo, PUBLIC_GROUP_VERSION, PublicGroup, PublicProcessed};
// Proposal-list validation and application are the group's business;
// `hazmat` exposes them.
#[cfg(feature = "hazmat")]
pub use proposals::{
    AppliedProposals, ListOptions, ProposalCheck, apply_proposals, proposal_ref,
    validate_proposal_list, validate_proposal_list_with,
};
#[cfg(feature = "test-utils")]
pub use resume::ResumptionSpec;
pub use state::{Group, GroupConfig, Member, WireFormatPolicy};
