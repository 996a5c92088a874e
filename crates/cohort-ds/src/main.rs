//! The `cohort-ds` server.

use clap::Parser;
use cohort::group::Limits;
use cohort_ds::Database;
use cohort_ds::server::Config;

/// A Delivery Service for Cohort MLS groups (HTTP API v1).
#[derive(Parser, Debug)]
#[command(name = "cohort-ds", version)]
struct Args {
    /// Address to listen on (port 0: any free port, printed on start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// `sqlite:/path/file.db` or `postgres://user@host:port/db`.
    #[arg(long, default_value = "sqlite:cohort-ds.db")]
    database: String,
    /// PostgreSQL connections per process.
    #[arg(long, default_value_t = 16)]
    pool_size: usize,
    /// Largest request body in bytes (413 body_too_large).
    #[arg(long, default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Largest MLS message in bytes (413 message_too_large).
    #[arg(long, default_value_t = 1 << 20)]
    max_message_bytes: usize,
    /// Messages per client per minute (429 rate_limited).
    #[arg(long, default_value_t = 6000)]
    messages_per_minute: u32,
    /// KeyPackages stored per client (429 too_many_key_packages).
    #[arg(long, default_value_t = 100)]
    max_key_packages: u64,
    /// Most members of a group (the core's Limits::max_leaves).
    #[arg(long, default_value_t = 1 << 16)]
    max_group_size: u32,
    /// How many epochs behind the group an application message may be.
    #[arg(long, default_value_t = 3)]
    max_past_epochs: u64,
    /// Token lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl: u64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let database = match Database::parse(&args.database) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cohort-ds: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let limits = Limits {
        max_leaves: args.max_group_size,
        max_message_size: args.max_message_bytes,
        ..Limits::default()
    };
    if let Err(e) = limits.validate() {
        eprintln!("cohort-ds: limits: {e}");
        return std::process::ExitCode::from(2);
    }
    let config = Config {
        max_body_bytes: args.max_body_bytes,
        messages_per_minute: args.messages_per_minute,
        max_key_packages: args.max_key_packages,
        max_past_epochs: args.max_past_epochs,
        token_ttl: args.token_ttl,
        limits,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cohort-ds: runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("listen on {}: {e}", args.listen))?;
        cohort_ds::serve(listener, &database, config, args.pool_size)
            .await
            .map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cohort-ds: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
