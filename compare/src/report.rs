//! Statistics, the machine description and the Markdown table.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{Args, LIBS, Op, Prim};

/// The crates whose resolved versions the report names (from this crate's
/// Cargo.lock, embedded at build time).
const CRATES: [&str; 10] = [
    "cohort",
    "openmls",
    "openmls_rust_crypto",
    "openmls_basic_credential",
    "openmls_traits",
    "mls-rs",
    "mls-rs-core",
    "mls-rs-crypto-rustcrypto",
    "rayon",
    "ed25519-dalek",
];

const LOCK: &str = include_str!("../Cargo.lock");

#[derive(Default)]
pub struct Results {
    pub prims: Vec<(Prim, [Vec<Duration>; 3])>,
    pub ops: Vec<(Op, usize, [Vec<Duration>; 3])>,
}

pub struct SystemInfo {
    pub date: String,
    pub loadavg: String,
}

impl SystemInfo {
    pub fn now() -> Self {
        let loadavg = std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into());
        SystemInfo {
            date: utc_now(),
            loadavg,
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn command(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The versions of `CRATES` in Cargo.lock (every version, when a crate is
/// there twice).
fn versions() -> String {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut name: Option<&str> = None;
    for line in LOCK.lines() {
        if let Some(v) = line.strip_prefix("name = ") {
            name = Some(v.trim_matches('"'));
        } else if let Some(v) = line.strip_prefix("version = ")
            && let Some(n) = name.take()
            && CRATES.contains(&n)
        {
            found.push((n.to_string(), v.trim_matches('"').to_string()));
        }
    }
    CRATES
        .iter()
        .map(|c| {
            let vs: Vec<&str> = found
                .iter()
                .filter(|(n, _)| n == c)
                .map(|(_, v)| v.as_str())
                .collect();
            let mut s = format!(
                "{c} {}",
                if vs.is_empty() {
                    "?".into()
                } else {
                    vs.join("/")
                }
            );
            if *c == "cohort"
                && let Some(rev) = command("git", &["rev-parse", "--short", "HEAD"])
            {
                let dirty = command("git", &["status", "--porcelain", "--", "../crates"])
                    .is_some_and(|s| !s.is_empty());
                let _ = write!(
                    s,
                    " (path dependency, git {rev}{})",
                    if dirty { " + uncommitted changes" } else { "" }
                );
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn median(samples: &[Duration]) -> Duration {
    let mut v = samples.to_vec();
    v.sort();
    let n = v.len();
    if n == 0 {
        Duration::ZERO
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    }
}

/// A duration with three significant digits in ns, µs, ms or s.
pub fn fmt(d: Duration) -> String {
    let ns = d.as_secs_f64() * 1e9;
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {unit}")
}

/// Cohort's median over the faster peer's.
fn ratio(samples: &[Vec<Duration>; 3]) -> String {
    let [c, o, m] = [0, 1, 2].map(|i| median(&samples[i]).as_secs_f64());
    let best = o.min(m);
    if best > 0.0 {
        format!("{:.2}", c / best)
    } else {
        "-".into()
    }
}

pub fn summary(samples: &[Vec<Duration>; 3]) -> String {
    let mut s = String::new();
    for (i, lib) in LIBS.iter().enumerate() {
        let _ = write!(s, "{lib} {}  ", fmt(median(&samples[i])));
    }
    let _ = write!(s, "Cohort/best peer {}", ratio(samples));
    s
}

fn row(op: &str, n: &str, samples: &[Vec<Duration>; 3]) -> String {
    format!(
        "| {op} | {n} | {} | {} | {} | {} |\n",
        fmt(median(&samples[0])),
        fmt(median(&samples[1])),
        fmt(median(&samples[2])),
        ratio(samples)
    )
}

pub fn markdown(args: &Args, start: &SystemInfo, end: &SystemInfo, results: &Results) -> String {
    let arch = command("uname", &["-m"]).unwrap_or_else(|| std::env::consts::ARCH.into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "?".into());
    let rustc = command("rustc", &["--version"]).unwrap_or_else(|| "?".into());
    let mut s = String::new();
    let _ = writeln!(s, "# Cohort, OpenMLS and mls-rs side by side\n");
    let _ = writeln!(
        s,
        "{} · {arch} · {} · {cores} cores · load average {} at start, {} at end\n",
        start.date,
        cpu_model(),
        start.loadavg,
        end.loadavg
    );
    let _ = writeln!(s, "Versions: {}; {rustc}.\n", versions());
    let _ = writeln!(
        s,
        "Sizes {}; {} rounds per operation, the libraries' order rotated each round; \
         `message`: {} messages per round; primitives: {} operations per round. \
         Each cell is the median of the rounds (per message / per operation where \
         iterated). Suite 0x0001 (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519), \
         basic credentials, RustCrypto-based providers, in-memory storage. \
         Ratio below 1: Cohort is faster than the faster peer.\n",
        args.sizes
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        args.rounds,
        args.message_iters,
        args.prim_iters
    );
    let _ = writeln!(
        s,
        "| operation | N | Cohort | OpenMLS | mls-rs | Cohort / best peer |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    for op in Op::ALL {
        for (o, n, samples) in &results.ops {
            if *o == op {
                s.push_str(&row(op.name(), &n.to_string(), samples));
            }
        }
    }
    for (prim, samples) in &results.prims {
        s.push_str(&row(prim.name(), "-", samples));
    }
    s.push_str(NOTES);
    s
}

const NOTES: &str = "
## What each timed region holds

Everything else (KeyPackages of the members, signature keys, providers,
parsing of received Welcomes and commits, dropping the results) happens
outside the timing. Each member of OpenMLS and mls-rs has a provider or
client of its own, as those libraries keep per-client state there.

- `create`: the creator's one-member group (Cohort: `Group::create_as`;
  OpenMLS: `MlsGroup::new`; mls-rs: `Client::create_group`; each makes the
  creator's leaf, one HPKE key pair and one signature), one commit adding the N-1 members by their KeyPackages
  with the Welcome (ratchet tree in it), and the merge of that commit. No
  UpdatePath in that commit for any of the three (OpenMLS:
  `add_members_without_update`; Cohort and mls-rs: their default for an
  Add-only commit). The received KeyPackages are validated (signatures
  checked) in the timing for all three: Cohort and mls-rs do it inside the
  commit, OpenMLS takes validated `KeyPackage`s, so its timed region calls
  `KeyPackageIn::validate` on each first.
- `join`: one invited member joins from the Welcome of a group of N (Cohort:
  `Group::join`; OpenMLS: `StagedWelcome::new_from_welcome` +
  `into_group`; mls-rs: `Client::join_group`); each round another member.
- `self_update`: in a group of N created by one Add-only commit, the creator
  commits with an UpdatePath and merges (Cohort: `force_path(true)`;
  OpenMLS: `self_update`; mls-rs: an empty `commit`, which carries a path).
  Only the creator ever commits a path, so every round sees the same tree
  shape; member 1 processes each commit outside the timing.
- `process`: member 1 (leaf 1, whose common ancestor with the creator is
  the lowest, so it derives the most path secrets) processes and merges a
  fresh self-update commit of the creator (mls-rs applies a commit while
  processing it; OpenMLS and Cohort merge the staged commit).
- `add`: the creator validates one new member's KeyPackage, adds it
  (commit + Welcome, no UpdatePath) and merges; outside the timing it then removes that member again, so each
  round starts from N members.
- `message`: the creator encrypts 32 bytes, the message is serialized and
  parsed, member 1 decrypts it. Time per message.
- Primitives: Ed25519 sign (Cohort: `cohort_basic_credential::SignatureKeyPair`
  as a `Signer`, which keeps a prepared key; OpenMLS:
  `openmls_basic_credential::SignatureKeyPair` as a `Signer`; mls-rs:
  `CipherSuiteProvider::sign` with the secret key bytes) and verify of
  1 KiB; HPKE base-mode seal and open of 32 bytes (Cohort:
  `SuiteCrypto::encrypt_with_label` / `decrypt_with_label_for` with the
  recipient's public key; OpenMLS `OpenMlsCrypto::hpke_seal` / `hpke_open`;
  mls-rs `CipherSuiteProvider::hpke_seal` / `hpke_open`), all with the same
  EncryptContext bytes as HPKE info. Cohort encodes that EncryptContext
  inside the timing, the peers get it ready-made. Cohort's and mls-rs's open
  are given the recipient's public key; OpenMLS's `hpke_open` takes only the
  private key, so it recomputes the public key (one more fixed-base
  multiplication). OpenMLS's and mls-rs's `sign` decode the private key on
  every call (which derives the public key again); Cohort's prepared key
  does not. These are the APIs as a user calls them.

Library settings that differ: handshake messages are PublicMessages in all
three (OpenMLS is set to `MIXED_PLAINTEXT_WIRE_FORMAT_POLICY`; its default is
ciphertext). Application-message padding is each library's default (Cohort
pads to 32 bytes, OpenMLS not at all, mls-rs by its step function). All
three use rayon where they parallelize: Cohort with its `parallel` feature
(leaf-signature checks of a received tree, the HPKE encryptions of a path,
the GroupSecrets of a Welcome), OpenMLS always (UpdatePath encryption, path
key derivation), mls-rs with its default `rayon` feature (path encryption,
tree validation, proposal checks). OpenMLS writes group state to its
in-memory storage provider on every operation, as its API does; Cohort and
mls-rs keep the group in memory and write to storage only when asked.

Crypto crates: OpenMLS's provider uses ed25519-dalek 2, x25519-dalek 2 (through
hpke-rs) and aes-gcm 0.10; Cohort's and mls-rs's providers share one build of
ed25519-dalek 3, x25519-dalek 3 and aes-gcm 0.11. Cargo unifies features, so
the precomputed basepoint tables (`fast`, `precomputed-tables`) are on for all
three here, including for mls-rs, whose provider does not turn on
ed25519-dalek's default features by itself.
";
