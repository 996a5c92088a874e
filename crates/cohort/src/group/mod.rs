//! The group state machine (RFC 9420 sections 10 to 14): KeyPackages,
//! proposals, commits, Welcome, external joins and proposals, PSKs,
//! reinitialization and branching.

mod commit;
mod external;
mod join;
mod key_package;
mod persist;
mod process;
mod proposals;
mod psk;
mod resume;
mod state;

pub use commit::{CommitBuilder, CommitHook, CommitOutput, TagHook};
pub use external::{external_proposal, new_member_proposal};
pub use key_package::*;
pub use persist::{GROUP_STATE_VERSION, group_state_key};
pub use process::{ProcessedMessage, StagedCommit};
pub use proposals::*;
pub use resume::ResumptionSpec;
pub use state::{Group, GroupConfig, WireFormatPolicy};
