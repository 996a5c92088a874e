//! `cohort chat`: a terminal chat client on the Cohort delivery service.
//!
//! One state directory per user (`--dir`) holds a SQLite database with the
//! user's MLS state (through the `Client` API), its signature key, the
//! local names of its groups and its inbox cursor, so the user survives
//! restarts. Without a subcommand it runs an interactive session; with one
//! it does that one thing and prints one line per event:
//!
//! A group's name travels to joiners in a private-use group context
//! extension; members leave with a SelfRemove proposal (MLS extensions
//! draft) that the next member to read it commits (a Remove of one's own
//! leaf where a member does not support SelfRemove). A commit that loses
//! its epoch to another (`stale_epoch`) is re-based: the winner is
//! processed from the inbox and the commit built again. Received text is
//! printed with control characters escaped. One process per state
//! directory at a time.
//!
//! ```text
//! registered alice
//! created team 4f1c...
//! epoch team 1 by alice added=bob removed=
//! joined team by alice members=alice,bob
//! message team alice: hello
//! sent team
//! leave-request team carol
//! left team by alice
//! members team alice,bob
//! group team epoch=2 members=2
//! warning ...
//! ```

mod app;
mod repl;
mod store;

use app::{Chat, Event};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What went wrong, in words.
#[derive(Debug)]
pub(crate) struct ChatError(String);

impl ChatError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ChatError(message.into())
    }
}

impl std::fmt::Display for ChatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! from_error {
    ($($t:ty),*) => {$(
        impl From<$t> for ChatError {
            fn from(e: $t) -> Self {
                ChatError(e.to_string())
            }
        }
    )*};
}

from_error!(
    cohort::Error,
    cohort_ds_client::DsError,
    rusqlite::Error,
    cohort::traits::StorageError,
    cohort::traits::CryptoError
);

/// `cohort chat` arguments.
#[derive(Args)]
pub(crate) struct ChatArgs {
    /// The user's state directory (created if needed).
    #[arg(long)]
    dir: PathBuf,
    /// The delivery service, e.g. http://127.0.0.1:8080 (default: the one
    /// the user registered with).
    #[arg(long)]
    server: Option<String>,
    /// One command to run (without: an interactive session).
    #[command(subcommand)]
    command: Option<ChatCommand>,
}

#[derive(Subcommand)]
enum ChatCommand {
    /// Creates the user: a signature key and basic credential for
    /// IDENTITY, registered with the server, with KeyPackages published
    /// (one of them last-resort).
    Register {
        /// The user's identity.
        identity: String,
    },
    /// Creates a group named NAME.
    Create {
        /// The group's name.
        name: String,
    },
    /// Adds IDENTITY to group NAME.
    Invite {
        /// The group.
        name: String,
        /// The user to add.
        identity: String,
    },
    /// Sends TEXT to group NAME.
    Send {
        /// The group.
        name: String,
        /// The message.
        text: String,
    },
    /// Receives: joins groups from Welcomes, applies commits, prints
    /// messages; waits up to --wait seconds for something to arrive.
    Recv {
        /// Seconds to wait for a first message.
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
    /// Asks to leave group NAME (another member commits the removal).
    Leave {
        /// The group.
        name: String,
    },
    /// Lists the members of group NAME.
    Members {
        /// The group.
        name: String,
        /// The server's view instead of this user's.
        #[arg(long)]
        server_view: bool,
    },
    /// Lists the groups.
    Groups,
    /// Prints the user's identity.
    Whoami,
}

fn print(events: &[Event]) {
    for e in events {
        match e {
            Event::Warning(_) => eprintln!("{e}"),
            _ => println!("{e}"),
        }
    }
}

/// Runs `cohort chat`.
pub(crate) fn run(args: ChatArgs) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: ChatArgs) -> Result<(), ChatError> {
    let server = args.server.as_deref();
    let Some(command) = args.command else {
        return repl::run(&args.dir, server);
    };
    if let ChatCommand::Register { identity } = &command {
        let server = server.ok_or_else(|| ChatError::new("register needs --server URL"))?;
        let (_, events) = Chat::register(&args.dir, server, identity)?;
        print(&events);
        return Ok(());
    }
    let mut chat = Chat::open(&args.dir, server)?;
    match command {
        ChatCommand::Register { .. } => {}
        ChatCommand::Create { name } => print(&chat.create(&name)?),
        ChatCommand::Invite { name, identity } => print(&chat.invite(&name, &identity)?),
        ChatCommand::Send { name, text } => print(&chat.send(&name, &text)?),
        ChatCommand::Recv { wait } => print(&chat.receive(Duration::from_secs(wait))?),
        ChatCommand::Leave { name } => print(&chat.leave(&name)?),
        ChatCommand::Members { name, server_view } => {
            if server_view {
                let (epoch, members) = chat.server_members(&name)?;
                println!("members {name} {} epoch={epoch}", members.join(","));
            } else {
                println!("members {name} {}", chat.members(&name)?.join(","));
            }
        }
        ChatCommand::Groups => {
            for (name, epoch, count) in chat.groups()? {
                println!("group {name} epoch={epoch} members={count}");
            }
        }
        ChatCommand::Whoami => println!("user {}", chat.identity()),
    }
    Ok(())
}
