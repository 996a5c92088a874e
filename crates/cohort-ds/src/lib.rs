//! `cohort-ds`: a Delivery Service (RFC 9750) for Cohort MLS groups.
//!
//! An HTTP server ([`server::router`], the `cohort-ds` binary) that
//! authenticates clients by their MLS signature keys, stores and hands out
//! KeyPackages, keeps a server-side view of each group
//! ([`view::GroupView`]) to check handshake messages and order commits (the
//! first valid commit of an epoch wins), and delivers messages and Welcomes
//! to inboxes with long polling. Storage ([`store::Store`]) is SQLite (one
//! file) or PostgreSQL (several server processes on one database).
//! A message is acknowledged only once its transaction has committed.
//!
//! Where the contract leaves a choice: handshake messages must be
//! PublicMessages (a PrivateMessage proposal or commit is 400
//! `private_handshake`); a message sent again with the same bytes gets the
//! first answer and is delivered once (so a client resends after a lost
//! response, to any node); a refused commit or proposal names the failed
//! check of the core in snake_case (`invalid_signature`, ...); rate limits
//! are counted per node; inbox entries are not pruned.
//!
//! The HTTP API follows; it is the contract with clients.
//!
#![doc = include_str!("../API.md")]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod server;
pub mod store;
pub mod view;

use std::net::SocketAddr;

use store::postgres::PgStore;
use store::sqlite::SqliteStore;
use store::{Store, StoreError};

/// Where the data lives, from a `--database` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// `sqlite:/path/file.db`
    Sqlite(std::path::PathBuf),
    /// `postgres://...` or `postgresql://...`
    Postgres(String),
}

impl Database {
    /// Parses a database URL.
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err("sqlite: needs a file path".into());
            }
            Ok(Database::Sqlite(path.into()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Database::Postgres(url.to_string()))
        } else {
            Err(format!(
                "unsupported database URL {url:?} (sqlite:/path or postgres://...)"
            ))
        }
    }
}

/// Serves the API on `listener` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    database: &Database,
    config: server::Config,
    pool_size: usize,
) -> Result<(), StoreError> {
    match database {
        Database::Sqlite(path) => run(listener, SqliteStore::open(path)?, config).await,
        Database::Postgres(url) => {
            run(listener, PgStore::connect(url, pool_size).await?, config).await
        }
    }
}

async fn run<S: Store>(
    listener: tokio::net::TcpListener,
    store: S,
    config: server::Config,
) -> Result<(), StoreError> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    if let Some(addr) = addr {
        // Read by scripts and tests to find the port.
        println!("cohort-ds listening on {addr}");
    }
    axum::serve(listener, server::router(store, config))
        .await
        .map_err(|e| StoreError(format!("server: {e}")))
}
