//! The group state machine (RFC 9420 sections 10 to 14): KeyPackages,
//! proposals, commits, Welcome and external joins.

mod commit;
mod join;
mod key_package;
mod process;
mod proposals;
mod psk;
mod state;

pub use commit::{CommitBuilder, CommitOutput};
pub use key_package::*;
pub use process::{ProcessedMessage, StagedCommit};
pub use proposals::*;
pub use state::{Group, GroupConfig, WireFormatPolicy};
