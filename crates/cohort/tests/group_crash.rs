//! Crash safety of a SQLite-backed member: a child process applies a list
//! of commits (process, merge, save after each) and is killed with SIGKILL
//! at random moments. After every kill the member reloaded from the
//! database is in one of the states the commits lead through, exactly
//! (its records equal byte for byte), never a state in between; at the end it
//! processes the remaining commits and agrees with the rest of the group.
//!
//! The child is this test binary itself, re-executed with the environment
//! variable `COHORT_CRASH_CHILD` set to `DB_PATH;COMMITS_PATH`; it runs only
//! the `crash_child` test, which does nothing when the variable is unset.
//! `COHORT_CRASH_SEED` replays the kill delays of an earlier run (the
//! moments they hit depend on timing too).
//!
//! SIGKILL ends the process but not the operating system, so this checks
//! that an interrupted state change is all or nothing (SQLite's
//! transactions); power loss is SQLite's `synchronous = FULL` concern.

mod group_common;

use cohort::Provider;
use cohort::codec::{decode_exact, encode};
use cohort::framing::MlsMessage;
use cohort::group::{Group, ProcessedMessage};
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_sqlite_storage::SqliteStorage;
use cohort_traits::ProviderBundle;
use group_common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "COHORT_CRASH_CHILD";
const CLIENT: &[u8] = b"carol";
const COMMITS: usize = 10;
const KILLS: usize = 200;

type SqliteProvider = ProviderBundle<RustCrypto, SeededRand, SqliteStorage>;

fn open(db: &Path) -> SqliteProvider {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(7),
        SqliteStorage::open(db).unwrap(),
    )
}

/// Processes and merges one commit.
fn apply_commit<P: Provider>(p: &P, g: &mut Group, msg: &MlsMessage) {
    match g.process(p, msg).unwrap() {
        ProcessedMessage::Commit(staged) => g.merge_staged_commit(*staged).unwrap(),
        other => panic!("expected a commit, got {other:?}"),
    }
}

fn write_commits(path: &Path, commits: &[MlsMessage]) {
    let mut out = Vec::new();
    for c in commits {
        let bytes = encode(c).unwrap();
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    std::fs::write(path, out).unwrap();
}

fn read_commits(path: &Path) -> Vec<MlsMessage> {
    let bytes = std::fs::read(path).unwrap();
    let mut rest = bytes.as_slice();
    let mut commits = Vec::new();
    while !rest.is_empty() {
        let (len, tail) = rest.split_at(4);
        let len = u32::from_be_bytes(len.try_into().unwrap()) as usize;
        let (msg, tail) = tail.split_at(len);
        commits.push(decode_exact(msg).unwrap());
        rest = tail;
    }
    commits
}

/// The child's role: load the member, apply every commit it has not yet
/// applied, saving after each. Does nothing in a normal test run.
#[test]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (db, commits) = spec.split_once(';').unwrap();
    let commits = read_commits(Path::new(commits));
    let group_id = std::env::var("COHORT_CRASH_GROUP").unwrap();
    let group_id = hex::decode(group_id).unwrap();
    let p = open(Path::new(db));
    let mut g = Group::load_as(&p, CLIENT, &group_id).unwrap().unwrap();
    let first_epoch = std::env::var("COHORT_CRASH_FIRST_EPOCH")
        .unwrap()
        .parse::<u64>()
        .unwrap();
    println!("CRASH-READY");
    let done = (g.epoch() - first_epoch) as usize;
    for msg in &commits[done..] {
        apply_commit(&p, &mut g, msg);
        g.save_as(&p, CLIENT).unwrap();
    }
    println!("CRASH-DONE");
}

struct TempFiles(Vec<PathBuf>);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            for suffix in ["", "-wal", "-shm"] {
                let mut name = p.clone().into_os_string();
                name.push(suffix);
                let _ = std::fs::remove_file(name);
            }
        }
    }
}

/// xorshift64*, for the kill schedule.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A command that runs this test binary again. Under an emulator (a
/// foreign target run by `scripts/cross-test`), the binary is started
/// through the runner named in `COHORT_TEST_RUNNER`, as cargo started this one.
fn this_test_binary() -> Command {
    let exe = std::env::current_exe().unwrap();
    let runner = std::env::var("COHORT_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(exe);
            command
        }
        None => Command::new(exe),
    }
}

/// Starts the child and waits until it has loaded the member.
fn spawn_child(
    db: &Path,
    commits: &Path,
    group_id: &[u8],
    first_epoch: u64,
) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = this_test_binary()
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{};{}", db.display(), commits.display()))
        .env("COHORT_CRASH_GROUP", hex::encode(group_id))
        .env("COHORT_CRASH_FIRST_EPOCH", first_epoch.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "child died early: {:?}", child.wait());
        if line.contains("CRASH-READY") {
            break;
        }
    }
    (child, out)
}

#[test]
fn sigkill_leaves_old_or_new_epoch() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let started = Instant::now();
    let tag = format!("{}-{}", std::process::id(), started.elapsed().as_nanos());
    let dir = std::env::temp_dir();
    let db = dir.join(format!("cohort-crash-{tag}.db"));
    let commits_path = dir.join(format!("cohort-crash-{tag}.commits"));
    let _cleanup = TempFiles(vec![db.clone(), commits_path.clone()]);

    // The group, and the commits carol will apply, generated once.
    let p = provider(77);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let carol_start = members.remove(2);
    let group_id = carol_start.group.group_id().to_vec();
    let first_epoch = carol_start.group.epoch();
    let mut commits = Vec::new();
    for i in 0..COMMITS {
        let out = commit_all(&p, &mut members, i % 2, |g| g.commit().force_path(true));
        commits.push(out.commit);
    }
    // carol's whole state at each of those epochs, reached in memory.
    let mut expected = vec![snapshot(&carol_start.group)];
    let mut in_memory = carol_start.group.clone();
    for msg in &commits {
        apply_commit(&p, &mut in_memory, msg);
        expected.push(snapshot(&in_memory));
    }
    write_commits(&commits_path, &commits);
    let reset = || {
        carol_start.group.save_as(&open(&db), CLIENT).unwrap();
    };
    // Where the reloaded member is; panics on any state that is not
    // exactly (every record byte for byte) one of the expected states.
    let check = || -> usize {
        let g = Group::load_as(&open(&db), CLIENT, &group_id)
            .unwrap()
            .expect("the member's record survives");
        let k = usize::try_from(g.epoch() - first_epoch).unwrap();
        assert!(k <= COMMITS, "epoch {} beyond the last commit", g.epoch());
        assert!(
            snapshot(&g) == expected[k],
            "epoch {} in a state the commits do not lead to",
            g.epoch()
        );
        k
    };

    // Calibration: how long an uninterrupted child takes to apply them all.
    reset();
    let (mut child, mut out) = spawn_child(&db, &commits_path, &group_id, first_epoch);
    let t0 = Instant::now();
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 && !line.contains("CRASH-DONE") {
        line.clear();
    }
    let work = t0.elapsed();
    assert!(child.wait().unwrap().success());
    assert_eq!(check(), COMMITS);

    let seed = std::env::var("COHORT_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test: seed {seed} (COHORT_CRASH_SEED replays), one run {work:?}");
    let mut rng = Rng(seed);
    let window = u64::try_from(work.as_micros()).unwrap().max(1000) * 11 / 10;

    reset();
    let mut at = 0;
    let mut kills = 0;
    let mut finished = 0;
    let mut seen = vec![0usize; COMMITS + 1];
    while kills < KILLS {
        if at == COMMITS {
            reset();
            at = 0;
        }
        let (mut child, out) = spawn_child(&db, &commits_path, &group_id, first_epoch);
        std::thread::sleep(Duration::from_micros(rng.below(window)));
        let killed = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        drop(out);
        if killed {
            kills += 1;
        } else {
            assert!(status.success(), "the child failed: {status}");
            finished += 1;
        }
        let now = check();
        assert!(now >= at, "the member went back from {at} to {now}");
        if killed {
            seen[now] += 1;
        }
        at = now;
        assert!(started.elapsed() < Duration::from_secs(120), "too slow");
    }
    eprintln!(
        "crash test: {kills} kills, {finished} runs finished, epochs seen after a kill: {seen:?}"
    );
    let intermediate: usize = seen[1..COMMITS].iter().sum();
    assert!(intermediate > 0, "no kill landed between commits: {seen:?}");

    // The member carries on from wherever the last kill left it.
    let store = open(&db);
    let mut carol = Group::load_as(&store, CLIENT, &group_id).unwrap().unwrap();
    for msg in &commits[at..] {
        apply_commit(&store, &mut carol, msg);
        carol.save_as(&store, CLIENT).unwrap();
    }
    assert_eq!(carol.epoch(), members[0].group.epoch());
    assert_eq!(
        carol.epoch_authenticator(),
        members[0].group.epoch_authenticator()
    );
    let mut signer_carol = carol_start;
    signer_carol.group = carol;
    members.push(signer_carol);
    all_agree(&p, &members);
    let back = &mut members[2];
    let msg = back
        .group
        .encrypt(&p, &back.signer, b"back again", b"")
        .unwrap();
    for m in members.iter_mut().take(2) {
        match m.group.process(&p, &msg).unwrap() {
            ProcessedMessage::Application { data, .. } => assert_eq!(data, b"back again"),
            other => panic!("expected an application message, got {other:?}"),
        }
    }
}

const SENDER_ENV: &str = "COHORT_CRASH_SENDER";
/// Messages per sender run; every tenth is followed by a commit.
const SENDER_MESSAGES: usize = 40;
const SENDER_KILLS: usize = 100;

/// The sender's provider: the operating system's randomness, as in an
/// application (a seeded source would draw the same "fresh" keys again
/// after every restart).
type ClientProvider = ProviderBundle<RustCrypto, RustCrypto, SqliteStorage>;

/// Carol as a client on the database at `db` (the same signature key
/// every run).
fn carol_client(db: &Path) -> cohort::Client<ClientProvider> {
    let signer = cohort_basic_credential::SignatureKeyPair::generate(
        RustCrypto::new(),
        cohort_traits::SignatureScheme::ED25519,
        &SeededRand::from_u64(0xca401),
    )
    .unwrap();
    cohort::Client::new(
        ProviderBundle::new(
            RustCrypto::new(),
            RustCrypto::new(),
            SqliteStorage::open(db).unwrap(),
        ),
        CLIENT.to_vec(),
        signer,
        cohort::messages::Credential::basic("carol"),
        cohort::ClientConfig::default(),
    )
    .unwrap()
}

/// One line of the sender's output, written through to the pipe before
/// the sender goes on: a message or a commit it sent.
fn emit(kind: &str, msg: &MlsMessage) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{kind} {}", hex::encode(encode(msg).unwrap())).unwrap();
    out.flush().unwrap();
}

/// The sender's role: load carol's group from the database, send again a
/// commit left pending by a kill (and merge it), then send a stream of
/// application messages with a commit after every tenth, each stored by
/// the call that makes it before it is printed. Does nothing in a normal
/// test run.
#[test]
fn crash_sender() {
    let Ok(db) = std::env::var(SENDER_ENV) else {
        return;
    };
    let group_id = hex::decode(std::env::var("COHORT_CRASH_GROUP").unwrap()).unwrap();
    // The test harness has begun a line ("test crash_sender ... "): end it,
    // so every emitted line stands alone.
    println!();
    let client = carol_client(Path::new(&db));
    let mut g = client.load_group(&group_id).unwrap().unwrap();
    if let Some(p) = g.pending_commit() {
        emit("COMMIT", p.commit());
        g.merge_pending_commit().unwrap();
    }
    println!("CRASH-READY");
    for i in 0..SENDER_MESSAGES {
        let data = format!("{} {i}", g.epoch());
        let m = g.encrypt(data.as_bytes(), b"").unwrap();
        emit("MSG", &m);
        if i % 10 == 9 {
            let b = g.commit_builder().force_path(true);
            let out = g.commit(b).unwrap();
            emit("COMMIT", &out.commit);
            g.merge_pending_commit().unwrap();
        }
    }
    println!("CRASH-DONE");
}

/// A sender killed at random moments, restarted from its database each
/// time: the receivers accept every message it sent (no generation used
/// twice, so never `GenerationConsumed`), every commit it sent (once, even
/// when a kill left it pending and the restart sends it again), and the
/// member reloaded after each kill is exactly at an epoch the receivers
/// reached (same epoch authenticator): never half an epoch.
#[test]
fn sigkill_of_a_sender_never_reuses_a_generation() {
    if std::env::var(CHILD_ENV).is_ok() || std::env::var(SENDER_ENV).is_ok() {
        return;
    }
    let started = Instant::now();
    let tag = format!("{}-sender", std::process::id());
    let db = std::env::temp_dir().join(format!("cohort-crash-{tag}.db"));
    let _cleanup = TempFiles(vec![db.clone()]);

    // Alice and bob in memory; carol a client on the database.
    let p = provider(78);
    let mut members = group(&p, &["alice", "bob"]);
    let group_id = members[0].group.group_id().to_vec();
    {
        let carol = carol_client(&db);
        let kp = match carol.generate_key_package().unwrap().body {
            cohort::framing::MlsMessageBody::KeyPackage(kp) => kp,
            _ => unreachable!(),
        };
        let out = commit_all(&p, &mut members, 0, |g| g.commit().add_member(kp));
        let staged = carol
            .stage_welcome(out.welcome.as_ref().unwrap(), Default::default())
            .unwrap();
        carol.join(staged).unwrap();
    }
    let mut receivers = Receivers {
        members,
        authenticators: Default::default(),
        delivered_commits: Default::default(),
        messages: 0,
        commits: 0,
        log: Vec::new(),
    };
    receivers.note_epoch();
    let spawn = || {
        this_test_binary()
            .args(["crash_sender", "--exact", "--nocapture", "--test-threads=1"])
            .env(SENDER_ENV, db.display().to_string())
            .env("COHORT_CRASH_GROUP", hex::encode(&group_id))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    // Calibration: one uninterrupted run.
    let mut child = spawn();
    let t0 = Instant::now();
    let out = BufReader::new(child.stdout.take().unwrap());
    for line in out.lines() {
        receivers.deliver(&p, &line.unwrap());
    }
    let work = t0.elapsed();
    assert!(child.wait().unwrap().success());

    let seed = std::env::var("COHORT_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| started.elapsed().as_nanos() as u64 | 1);
    eprintln!("sender crash test: seed {seed} (COHORT_CRASH_SEED replays), one run {work:?}");
    let mut rng = Rng(seed);
    let window = u64::try_from(work.as_micros()).unwrap().max(1000) * 11 / 10;
    let mut kills = 0;
    while kills < SENDER_KILLS {
        let mut child = spawn();
        let out = child.stdout.take().unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(window)));
        if child.try_wait().unwrap().is_none() {
            kills += 1;
        }
        receivers.log.push(format!("-- kill {kills}"));
        child.kill().unwrap();
        child.wait().unwrap();
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            receivers.deliver(&p, &line);
        }
        // The member as stored: exactly at an epoch the receivers reached.
        let reloaded = Group::load_as(&open(&db), CLIENT, &group_id)
            .unwrap()
            .expect("carol's group survives");
        assert_eq!(
            receivers
                .authenticators
                .get(&reloaded.epoch())
                .map(Vec::as_slice),
            Some(reloaded.epoch_authenticator()),
            "carol stored at epoch {} in a state the group never had",
            reloaded.epoch()
        );
        assert!(started.elapsed() < Duration::from_secs(240), "too slow");
    }
    let (messages, commits) = (receivers.messages, receivers.commits);
    eprintln!(
        "sender crash test: {kills} kills, {messages} messages and {commits} commits delivered"
    );
    assert!(commits > 0 && messages > SENDER_KILLS);
    // Carol goes on once more and everyone agrees.
    let mut child = spawn();
    let out = BufReader::new(child.stdout.take().unwrap());
    for line in out.lines() {
        receivers.deliver(&p, &line.unwrap());
    }
    assert!(child.wait().unwrap().success());
    let carol = Group::load_as(&open(&db), CLIENT, &group_id)
        .unwrap()
        .unwrap();
    assert_eq!(
        carol.epoch_authenticator(),
        receivers.members[0].group.epoch_authenticator()
    );
}

/// Alice and bob, receiving what the sender printed.
struct Receivers {
    members: Vec<Member>,
    /// Every epoch they reached, with its authenticator.
    authenticators: std::collections::BTreeMap<u64, Vec<u8>>,
    delivered_commits: std::collections::BTreeSet<Vec<u8>>,
    messages: usize,
    commits: usize,
    log: Vec<String>,
}

impl Receivers {
    fn note_epoch(&mut self) {
        let g = &self.members[0].group;
        self.authenticators
            .insert(g.epoch(), g.epoch_authenticator().to_vec());
    }

    /// Delivers one printed line: every message must be accepted, a commit
    /// is applied once.
    fn deliver(&mut self, p: &TestProvider, line: &str) {
        // Other lines are the test harness's.
        let Some((kind @ ("MSG" | "COMMIT"), hex)) = line.trim().split_once(' ') else {
            return;
        };
        let bytes = hex::decode(hex).unwrap();
        let msg: MlsMessage = decode_exact(&bytes).unwrap();
        let epoch = match &msg.body {
            cohort::framing::MlsMessageBody::PrivateMessage(m) => m.epoch,
            cohort::framing::MlsMessageBody::PublicMessage(m) => m.content.epoch,
            _ => u64::MAX,
        };
        self.log.push(format!("{kind} {epoch}"));
        match kind {
            "MSG" => {
                for m in self.members.iter_mut() {
                    match m.group.process(p, &msg) {
                        Ok(ProcessedMessage::Application { .. }) => {}
                        other => panic!(
                            "{} (epoch {}) refused a message: {other:?}; history {:?}",
                            m.name,
                            m.group.epoch(),
                            self.log
                        ),
                    }
                }
                self.messages += 1;
            }
            "COMMIT" if self.delivered_commits.insert(bytes) => {
                for m in self.members.iter_mut() {
                    apply_commit(p, &mut m.group, &msg);
                }
                self.note_epoch();
                self.commits += 1;
            }
            _ => {}
        }
    }
}
