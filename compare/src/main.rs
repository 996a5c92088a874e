//! Side-by-side timings of Cohort, OpenMLS and mls-rs: the same MLS
//! operations (suite 0x0001, basic credentials, each library's
//! RustCrypto-based provider and in-memory storage), rounds interleaved
//! between the three libraries. See README.md.

mod cohort_impl;
mod mlsrs_impl;
mod openmls_impl;
mod report;

use std::time::{Duration, Instant};

/// The label and context of the EncryptWithLabel measured as `hpke_seal` /
/// `hpke_open` (the peers get the same EncryptContext bytes as HPKE info).
pub const HPKE_LABEL: &[u8] = b"bench";
pub const HPKE_CONTEXT: &[u8] = b"context";

/// The libraries, in table order.
pub const LIBS: [&str; 3] = ["Cohort", "OpenMLS", "mls-rs"];

/// A group operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    Create,
    Join,
    SelfUpdate,
    Process,
    Add,
    Message,
}

impl Op {
    pub const ALL: [Op; 6] = [
        Op::Create,
        Op::Join,
        Op::SelfUpdate,
        Op::Process,
        Op::Add,
        Op::Message,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Join => "join",
            Op::SelfUpdate => "self_update",
            Op::Process => "process",
            Op::Add => "add",
            Op::Message => "message",
        }
    }
}

/// A primitive through a library's crypto provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prim {
    Sign,
    Verify,
    HpkeSeal,
    HpkeOpen,
}

impl Prim {
    pub const ALL: [Prim; 4] = [Prim::Sign, Prim::Verify, Prim::HpkeSeal, Prim::HpkeOpen];

    pub fn name(self) -> &'static str {
        match self {
            Prim::Sign => "ed25519 sign 1 KiB",
            Prim::Verify => "ed25519 verify 1 KiB",
            Prim::HpkeSeal => "hpke seal 32 B",
            Prim::HpkeOpen => "hpke open 32 B",
        }
    }
}

/// One library's fixture for one group size.
pub trait Contender {
    /// Runs one round of `op` and returns the time of its timed region
    /// (for `Op::Message`: per message, over `iters` messages).
    fn run(&mut self, op: Op, iters: usize) -> Duration;
}

/// One library's primitives.
pub trait PrimContender {
    /// The time per operation over `iters` operations.
    fn run(&mut self, prim: Prim, iters: usize) -> Duration;
}

/// Runs `f`, timing it; what it returns is dropped by the caller, outside
/// the timing.
pub fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

pub struct Args {
    pub sizes: Vec<usize>,
    pub rounds: usize,
    pub message_iters: usize,
    pub prim_iters: usize,
    pub out: String,
    pub skip_primitives: bool,
}

const USAGE: &str = "\
usage: cohort-compare [--sizes 2,16,128,1024,4096] [--rounds 5]
                      [--message-iters 200] [--prim-iters 200]
                      [--out FILE (default: results.md in the compare crate)] [--no-primitives]";

fn parse_args() -> Args {
    let mut args = Args {
        sizes: vec![2, 16, 128, 1024, 4096],
        rounds: 5,
        message_iters: 200,
        prim_iters: 200,
        out: concat!(env!("CARGO_MANIFEST_DIR"), "/results.md").to_string(),
        skip_primitives: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next().unwrap_or_else(|| {
                eprintln!("{name} needs a value\n{USAGE}");
                std::process::exit(2)
            })
        };
        let number = |name: &str, v: String| -> usize {
            v.trim().parse().unwrap_or_else(|_| {
                eprintln!("{name}: not a number: {v}\n{USAGE}");
                std::process::exit(2)
            })
        };
        match flag.as_str() {
            "--sizes" => {
                let v = value("--sizes");
                args.sizes = v
                    .split(',')
                    .map(|s| number("--sizes", s.to_string()))
                    .collect();
            }
            "--rounds" => args.rounds = number("--rounds", value("--rounds")),
            "--message-iters" => {
                args.message_iters = number("--message-iters", value("--message-iters"))
            }
            "--prim-iters" => args.prim_iters = number("--prim-iters", value("--prim-iters")),
            "--out" => args.out = value("--out"),
            "--no-primitives" => args.skip_primitives = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0)
            }
            other => {
                eprintln!("unknown argument {other}\n{USAGE}");
                std::process::exit(2)
            }
        }
    }
    if args.sizes.iter().any(|&n| n < 2) || args.rounds == 0 {
        eprintln!("sizes must be at least 2 and rounds at least 1\n{USAGE}");
        std::process::exit(2)
    }
    if args.message_iters == 0 || args.prim_iters == 0 {
        eprintln!("iteration counts must be at least 1\n{USAGE}");
        std::process::exit(2)
    }
    args
}

/// The order of the three libraries in round `r`: rotated each round.
fn order(r: usize) -> [usize; 3] {
    [r % 3, (r + 1) % 3, (r + 2) % 3]
}

fn main() {
    let args = parse_args();
    let start_info = report::SystemInfo::now();
    eprintln!(
        "cohort-compare: sizes {:?}, {} rounds; load average {}",
        args.sizes, args.rounds, start_info.loadavg
    );
    let mut results = report::Results::default();

    if !args.skip_primitives {
        let info = cohort_impl::encrypt_context();
        let mut prims: [Box<dyn PrimContender>; 3] = [
            Box::new(cohort_impl::CohortPrims::new()),
            Box::new(openmls_impl::OpenMlsPrims::new(info.clone())),
            Box::new(mlsrs_impl::MlsRsPrims::new(info)),
        ];
        // Warm-up, not recorded: first calls pay for page faults, lazy
        // initialization and the CPU's frequency ramp.
        for prim in Prim::ALL {
            for p in prims.iter_mut() {
                p.run(prim, args.prim_iters.div_ceil(10));
            }
        }
        for prim in Prim::ALL {
            let mut samples: [Vec<Duration>; 3] = Default::default();
            for r in 0..args.rounds {
                for i in order(r) {
                    samples[i].push(prims[i].run(prim, args.prim_iters));
                }
            }
            eprintln!("{:<22} {}", prim.name(), report::summary(&samples));
            results.prims.push((prim, samples));
        }
    }

    for &n in &args.sizes {
        eprintln!("N = {n}: setting up (KeyPackages, a group of {n}, one joined member)...");
        let mut libs: Vec<Box<dyn Contender>> = Vec::with_capacity(3);
        let (t, c) = timed(|| cohort_impl::CohortBench::new(n, args.rounds));
        eprintln!("  Cohort set up in {}", report::fmt(t));
        libs.push(Box::new(c));
        let (t, o) = timed(|| openmls_impl::OpenMlsBench::new(n, args.rounds));
        eprintln!("  OpenMLS set up in {}", report::fmt(t));
        libs.push(Box::new(o));
        let (t, m) = timed(|| mlsrs_impl::MlsRsBench::new(n, args.rounds));
        eprintln!("  mls-rs set up in {}", report::fmt(t));
        libs.push(Box::new(m));

        for op in Op::ALL {
            let iters = if op == Op::Message {
                args.message_iters
            } else {
                1
            };
            let mut samples: [Vec<Duration>; 3] = Default::default();
            for r in 0..args.rounds {
                let mut line = format!("  N={n} {} round {}/{}:", op.name(), r + 1, args.rounds);
                for i in order(r) {
                    let d = libs[i].run(op, iters);
                    line.push_str(&format!(" {} {}", LIBS[i], report::fmt(d)));
                    samples[i].push(d);
                }
                eprintln!("{line}");
            }
            eprintln!("N={n} {:<12} {}", op.name(), report::summary(&samples));
            results.ops.push((op, n, samples));
        }
        drop(libs);
    }

    let end_info = report::SystemInfo::now();
    let md = report::markdown(&args, &start_info, &end_info, &results);
    if let Some(dir) = std::path::Path::new(&args.out).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).expect("creating the output directory");
    }
    std::fs::write(&args.out, &md).expect("writing the results");
    eprintln!("results written to {}", args.out);
    print!("{md}");
}
