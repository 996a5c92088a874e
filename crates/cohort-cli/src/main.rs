//! The `cohort` command.

mod chat;
mod demo;

use clap::{Parser, Subcommand, ValueEnum};
use cohort_conformance::{Row, files_in, run_file, vectors_dir};
use cohort_traits::{Crypto, Rand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cohort",
    version,
    about = "Cohort: Messaging Layer Security (RFC 9420)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a group end to end: create it, add members, update, remove,
    /// inject a PSK and exchange messages, checking after every commit that
    /// every member has the same epoch authenticator; prints each
    /// operation's time and message size.
    Demo {
        /// Number of members (including the creator).
        #[arg(long, default_value_t = 100)]
        members: usize,
        /// Cipher suite (hex or decimal code point).
        #[arg(long, default_value = "0x0001", value_parser = parse_suite)]
        suite: u16,
        /// Crypto provider.
        #[arg(long, value_enum, default_value_t = ProviderChoice::RustCrypto)]
        provider: ProviderChoice,
        /// SQLite database holding every client (default: a temporary file,
        /// removed at the end).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Keep every client in memory instead of SQLite.
        #[arg(long)]
        memory: bool,
        /// Reload the clients of an earlier run from --db and carry on with
        /// more epochs (self-updates and messages).
        #[arg(long)]
        resume: bool,
    },
    /// A terminal chat on a Cohort delivery service (cohort-ds): one
    /// state directory per user; an interactive session, or one command
    /// (register, create, invite, send, recv, leave, members, groups).
    Chat(chat::ChatArgs),
    /// Run the MLS working group's test vectors and print a table per file
    /// and cipher suite.
    Conformance {
        /// Vector directory (default: $COHORT_TEST_VECTORS, else ../shared/test-vectors).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Print one JSON object per row instead of a table.
        #[arg(long)]
        json: bool,
        /// Crypto provider to run the vectors with.
        #[arg(long, value_enum, default_value_t = ProviderChoice::RustCrypto)]
        provider: ProviderChoice,
    },
}

fn parse_suite(s: &str) -> Result<u16, String> {
    match s.strip_prefix("0x") {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .map_err(|e| format!("invalid cipher suite {s}: {e}"))
}

#[derive(Clone, Copy, ValueEnum)]
enum ProviderChoice {
    /// Pure-Rust RustCrypto primitives (every RFC 9420 suite, 0x004D, 0x0906).
    RustCrypto,
    /// libcrux's formally verified primitives (0x0001-0x0003, 0x004D, 0x0906).
    Libcrux,
}

impl ProviderChoice {
    /// The provider, which is also its own random source.
    fn provider(self) -> (&'static dyn Crypto, &'static dyn Rand) {
        static RUST_CRYPTO: cohort_rust_crypto::RustCrypto = cohort_rust_crypto::RustCrypto::new();
        static LIBCRUX: cohort_libcrux::LibcruxCrypto = cohort_libcrux::LibcruxCrypto::new();
        match self {
            ProviderChoice::RustCrypto => (&RUST_CRYPTO, &RUST_CRYPTO),
            ProviderChoice::Libcrux => (&LIBCRUX, &LIBCRUX),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Chat(args) => chat::run(args),
        Command::Conformance {
            dir,
            json,
            provider,
        } => conformance(dir, json, provider),
        Command::Demo {
            members,
            suite,
            provider,
            db,
            memory,
            resume,
        } => {
            let (crypto, rand) = provider.provider();
            let options = demo::StorageOptions { db, memory, resume };
            match demo::run(
                crypto,
                rand,
                cohort_traits::Ciphersuite(suite),
                members,
                options,
            ) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("demo failed: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn conformance(dir: Option<PathBuf>, json: bool, provider: ProviderChoice) -> ExitCode {
    let dir = dir.unwrap_or_else(vectors_dir);
    if !dir.is_dir() {
        eprintln!(
            "error: test-vector directory {} not found; pass --dir or set COHORT_TEST_VECTORS \
             (the vectors are in github.com/mlswg/mls-implementations, folder test-vectors)",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    let (crypto, rand) = provider.provider();
    let mut rows: Vec<Row> = Vec::new();
    let mut errors = 0;
    for path in files_in(&dir) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !path.is_file() {
            eprintln!("missing: {name}");
            errors += 1;
            continue;
        }
        match run_file(crypto, rand, &path) {
            Ok(r) => rows.extend(r),
            Err(e) => {
                eprintln!("{name}: {e}");
                errors += 1;
            }
        }
    }
    if json {
        for row in &rows {
            println!("{}", row.to_json());
        }
    } else {
        print_table(&rows);
    }
    let failed: usize = rows.iter().map(|r| r.failed).sum();
    if failed > 0 || errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<38} {:>6} {:>7} {:>7}  status",
        "file", "suite", "passed", "failed"
    );
    for row in rows {
        let suite = row
            .cipher_suite
            .map_or_else(|| "-".to_string(), |s| format!("0x{s:04x}"));
        let status = if !row.implemented {
            "not implemented".to_string()
        } else if row.failed > 0 {
            format!("FAILED: {}", row.first_failure.as_deref().unwrap_or(""))
        } else if row.unsupported > 0 && row.passed == 0 {
            "suite not supported by provider".to_string()
        } else {
            "ok".to_string()
        };
        let (p, f) = if row.implemented {
            (row.passed.to_string(), row.failed.to_string())
        } else {
            ("-".to_string(), "-".to_string())
        };
        println!("{:<38} {:>6} {:>7} {:>7}  {status}", row.file, suite, p, f);
    }
    let passed: usize = rows.iter().map(|r| r.passed).sum();
    let failed: usize = rows.iter().map(|r| r.failed).sum();
    let missing = rows.iter().filter(|r| !r.implemented).count();
    println!("conformance: {passed} passed, {failed} failed, {missing} files not implemented");
}
