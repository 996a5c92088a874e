//! `cohort demo`: a group run end to end, with timings and message sizes.
//!
//! Every client's state lives in one database (SQLite by default, a
//! temporary file unless `--db` names one; in memory with `--memory`), each
//! client in its own namespace ([`Group::save_as`]), saved after every
//! state change. A client's signature key is a [`RecordKind::SignatureKey`]
//! record keyed by its public key (see [`encode_client`]), which is how a
//! `--resume` run finds the clients of an earlier run's database.

use cohort::codec::encode;
use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{
    Clock, Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, ProcessedMessage, SharedClock,
    SystemClock,
};
use cohort::messages::{Credential, Extensions, Lifetime, PreSharedKeyId, Psk};
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_sqlite_storage::SqliteStorage;
use cohort_traits::{
    Ciphersuite, Crypto, ProviderBundle, Rand, RecordKind, Secret, Signer, Storage, StorageError,
    StorageOp,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

type Provider<'a> = ProviderBundle<&'a dyn Crypto, &'a dyn Rand, DemoStorage>;

/// The demo's group id.
const GROUP_ID: &[u8] = b"cohort demo group";

/// The format version of the demo's signature key records.
const CLIENT_RECORD_VERSION: u16 = 1;

/// Where the demo keeps its clients.
pub enum DemoStorage {
    /// In memory, gone when the demo ends.
    Memory(MemoryStorage),
    /// One SQLite database file.
    Sqlite(SqliteStorage),
}

impl Storage for DemoStorage {
    fn get(&self, kind: RecordKind, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        match self {
            DemoStorage::Memory(s) => s.get(kind, key),
            DemoStorage::Sqlite(s) => s.get(kind, key),
        }
    }

    fn apply(&self, batch: &[StorageOp]) -> Result<(), StorageError> {
        match self {
            DemoStorage::Memory(s) => s.apply(batch),
            DemoStorage::Sqlite(s) => s.apply(batch),
        }
    }

    fn list_keys(&self, kind: RecordKind, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StorageError> {
        match self {
            DemoStorage::Memory(s) => s.list_keys(kind, prefix),
            DemoStorage::Sqlite(s) => s.list_keys(kind, prefix),
        }
    }
}

/// How the demo stores its clients.
pub struct StorageOptions {
    /// The SQLite database; a temporary file when `None`.
    pub db: Option<PathBuf>,
    /// Keep everything in memory instead.
    pub memory: bool,
    /// Reload the clients of an earlier run from `db` and carry on.
    pub resume: bool,
}

/// Removes the temporary database (and its WAL files) when dropped.
struct TempDb(PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = self.0.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}

/// The record of a client's signature key: `u16` format version, `u32`
/// position in the demo, then the client's name and the private key, each
/// as a `u16` length and the bytes.
fn encode_client(index: u32, name: &str, private_key: &Secret) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    out.extend_from_slice(&CLIENT_RECORD_VERSION.to_be_bytes());
    out.extend_from_slice(&index.to_be_bytes());
    for field in [name.as_bytes(), private_key.as_bytes()] {
        let len = u16::try_from(field.len()).map_err(err)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(field);
    }
    Ok(out)
}

/// Decodes [`encode_client`]'s record: position, name, private key.
fn decode_client(bytes: &[u8]) -> Result<(u32, String, Secret), String> {
    fn take<'b>(bytes: &mut &'b [u8], n: usize) -> Result<&'b [u8], String> {
        if bytes.len() < n {
            return Err("truncated client record".into());
        }
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        Ok(head)
    }
    fn array<const N: usize>(bytes: &mut &[u8]) -> Result<[u8; N], String> {
        take(bytes, N)?
            .try_into()
            .map_err(|_| "truncated client record".to_string())
    }
    fn field<'b>(bytes: &mut &'b [u8]) -> Result<&'b [u8], String> {
        let len = usize::from(u16::from_be_bytes(array(bytes)?));
        take(bytes, len)
    }
    let mut rest = bytes;
    let version = u16::from_be_bytes(array(&mut rest)?);
    if version != CLIENT_RECORD_VERSION {
        return Err(format!("client record of unknown version {version}"));
    }
    let index = u32::from_be_bytes(array(&mut rest)?);
    let name = String::from_utf8(field(&mut rest)?.to_vec()).map_err(err)?;
    let key = Secret::from_slice(field(&mut rest)?);
    if !rest.is_empty() {
        return Err("trailing bytes in a client record".into());
    }
    Ok((index, name, key))
}

/// Stores the signature keys of `clients` (in one batch).
fn save_signers(p: &Provider<'_>, clients: &[Client<'_>], first: usize) -> Result<(), String> {
    let mut batch = Vec::new();
    for (i, c) in clients.iter().enumerate().skip(first) {
        batch.push(StorageOp::Put {
            kind: RecordKind::SignatureKey,
            key: c.signer.public_key().to_vec(),
            value: encode_client(
                u32::try_from(i).map_err(err)?,
                &c.name,
                c.signer.private_key(),
            )?,
        });
    }
    p.storage.apply(&batch).map_err(err)
}

/// Saves every client that is in the group, each in its own namespace.
fn save_all(p: &Provider<'_>, clients: &[Client<'_>]) -> Result<(), String> {
    let started = Instant::now();
    let mut saved = 0;
    for c in clients {
        if let Some(g) = &c.group {
            g.save_as(p, c.name.as_bytes()).map_err(err)?;
            saved += 1;
        }
    }
    report(&format!("  save {saved} clients"), started, None);
    Ok(())
}

struct Client<'a> {
    name: String,
    signer: SignatureKeyPair<&'a dyn Crypto>,
    group: Option<Group>,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The demo's group policy: the defaults, with the system clock.
fn config() -> GroupConfig {
    GroupConfig::default().with_clock(SystemClock)
}

/// A KeyPackage lifetime from an hour ago to 30 days from now.
fn lifetime() -> Lifetime {
    let now = SystemClock.now();
    Lifetime {
        not_before: now.saturating_sub(3600),
        not_after: now.saturating_add(30 * 24 * 3600),
    }
}

fn size(msg: &MlsMessage) -> Result<usize, String> {
    Ok(encode(msg).map_err(err)?.len())
}

/// Prints one line of the report.
fn report(op: &str, started: Instant, bytes: Option<usize>) {
    let ms = started.elapsed().as_secs_f64() * 1e3;
    match bytes {
        Some(b) => println!("{op:<70} {ms:>10.2} ms {b:>10} B"),
        None => println!("{op:<70} {ms:>10.2} ms {:>12}", "-"),
    }
}

/// Every active member has the same epoch and epoch authenticator.
fn check_agreement(clients: &[Client<'_>]) -> Result<u64, String> {
    let groups: Vec<&Group> = clients
        .iter()
        .filter_map(|c| c.group.as_ref())
        .filter(|g| g.is_active())
        .collect();
    let first = groups.first().ok_or("no member left")?;
    for g in &groups {
        if g.epoch() != first.epoch() || g.epoch_authenticator() != first.epoch_authenticator() {
            return Err(format!("members disagree at epoch {}", first.epoch()));
        }
    }
    Ok(first.epoch())
}

/// Commit by `committer`, processed and merged by every other member.
fn commit_round(
    p: &Provider<'_>,
    clients: &mut [Client<'_>],
    committer: usize,
    label: &str,
    build: impl FnOnce(&Group) -> cohort::group::CommitBuilder,
) -> Result<(), String> {
    let started = Instant::now();
    let c = clients.get_mut(committer).ok_or("no such member")?;
    let group = c.group.as_mut().ok_or("not in the group")?;
    let builder = build(group);
    let (out, staged) = group.create_commit(p, &c.signer, builder).map_err(err)?;
    group.merge_staged_commit(staged).map_err(err)?;
    report(
        &format!("{label}: create commit ({})", c.name),
        started,
        Some(size(&out.commit)?),
    );
    let started = Instant::now();
    let mut processed = 0;
    for (i, m) in clients.iter_mut().enumerate() {
        let Some(g) = m.group.as_mut().filter(|g| g.is_active()) else {
            continue;
        };
        if i == committer {
            continue;
        }
        match g.process(p, &out.commit).map_err(err)? {
            ProcessedMessage::Commit(staged) => g.merge_staged_commit(*staged).map_err(err)?,
            _ => return Err("expected a commit".into()),
        }
        processed += 1;
    }
    report(
        &format!("{label}: process + merge, {processed} members (total)"),
        started,
        None,
    );
    let epoch = check_agreement(clients)?;
    println!(
        "{:<70} epoch {epoch}: all members agree on the epoch authenticator",
        ""
    );
    save_all(p, clients)?;
    Ok(())
}

/// Client `from` sends the message `send` makes (reported as `sent`); every
/// other active member processes it, `expected` must hold of each result
/// (reported as `received`), and every client is saved.
fn broadcast_round(
    p: &Provider<'_>,
    clients: &mut [Client<'_>],
    from: usize,
    sent: &str,
    received: &str,
    send: impl FnOnce(&mut Group, &dyn cohort_traits::Signer) -> Result<MlsMessage, cohort::Error>,
    expected: impl Fn(&ProcessedMessage) -> bool,
) -> Result<(), String> {
    let started = Instant::now();
    let sender = clients.get_mut(from).ok_or("no such member")?;
    let name = sender.name.clone();
    let group = sender.group.as_mut().ok_or("no group")?;
    let msg = send(group, &sender.signer).map_err(err)?;
    report(&format!("{sent} ({name})"), started, Some(size(&msg)?));
    let started = Instant::now();
    let mut count = 0;
    for (i, c) in clients.iter_mut().enumerate() {
        let Some(g) = c.group.as_mut().filter(|g| g.is_active()) else {
            continue;
        };
        if i == from {
            continue;
        }
        if !expected(&g.process(p, &msg).map_err(err)?) {
            return Err(format!("{sent}: not received as expected"));
        }
        count += 1;
    }
    report(
        &format!("{received} at {count} members (total)"),
        started,
        None,
    );
    save_all(p, clients)
}

/// Client `from` sends `data`; every other active member decrypts it.
fn message_round(
    p: &Provider<'_>,
    clients: &mut [Client<'_>],
    from: usize,
    data: &[u8],
) -> Result<(), String> {
    broadcast_round(
        p,
        clients,
        from,
        "encrypt an application message",
        "decrypt it",
        |g, s| g.encrypt(p, s, data, b""),
        |r| matches!(r, ProcessedMessage::Application { data: got, .. } if got == data),
    )
}

/// Client `from` proposes an Update of its leaf (a fresh encryption key);
/// every other active member caches the proposal for the next commit.
fn update_proposal_round(
    p: &Provider<'_>,
    clients: &mut [Client<'_>],
    from: usize,
) -> Result<(), String> {
    broadcast_round(
        p,
        clients,
        from,
        "propose an Update of its leaf",
        "verify and cache it",
        |g, s| g.propose_update(p, s),
        |r| matches!(r, ProcessedMessage::Proposal { .. }),
    )
}

/// Opens the storage `options` ask for; the guard removes a temporary file.
fn open_storage(options: &StorageOptions) -> Result<(DemoStorage, Option<TempDb>, String), String> {
    if options.memory {
        if options.resume || options.db.is_some() {
            return Err("--memory cannot be combined with --db or --resume".into());
        }
        return Ok((
            DemoStorage::Memory(MemoryStorage::new()),
            None,
            "in memory".into(),
        ));
    }
    let (path, guard) = match &options.db {
        Some(path) => (path.clone(), None),
        None if options.resume => return Err("--resume needs --db PATH".into()),
        None => {
            let path = std::env::temp_dir().join(format!("cohort-demo-{}.db", std::process::id()));
            let guard = TempDb(path.clone());
            // A leftover of an earlier process with the same id.
            drop(TempDb(path.clone()));
            (path, Some(guard))
        }
    };
    let storage = SqliteStorage::open(&path).map_err(err)?;
    let described = format!(
        "SQLite {}{}",
        path.display(),
        if guard.is_some() { " (temporary)" } else { "" }
    );
    Ok((DemoStorage::Sqlite(storage), guard, described))
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|suffix| {
            let mut name = path.to_path_buf().into_os_string();
            name.push(suffix);
            std::fs::metadata(name).map_or(0, |m| m.len())
        })
        .sum()
}

/// Runs the demo for `members` clients on `suite`, storing them as
/// `options` say.
pub fn run(
    crypto: &dyn Crypto,
    rand: &dyn Rand,
    suite: Ciphersuite,
    members: usize,
    options: StorageOptions,
) -> Result<(), String> {
    let (storage, temp, described) = open_storage(&options)?;
    let p: Provider<'_> = ProviderBundle::new(crypto, rand, storage);
    let result = if options.resume {
        resume(&p, crypto, &described)
    } else {
        fresh(&p, crypto, rand, suite, members, &described)
    };
    if let (Ok(()), DemoStorage::Sqlite(_)) = (&result, &p.storage) {
        let path = options
            .db
            .clone()
            .or_else(|| temp.as_ref().map(|t| t.0.clone()));
        if let Some(path) = path {
            println!(
                "database: {} ({} bytes with its WAL){}",
                path.display(),
                file_size(&path),
                if temp.is_some() {
                    ", removed now"
                } else {
                    "; `cohort demo --db PATH --resume` carries on"
                }
            );
        }
    }
    drop(p);
    drop(temp);
    result
}

/// Reloads every client of an earlier run and carries on: self-updates
/// and messages, checking agreement after each commit.
fn resume(p: &Provider<'_>, crypto: &dyn Crypto, described: &str) -> Result<(), String> {
    let DemoStorage::Sqlite(db) = &p.storage else {
        return Err("--resume needs a SQLite database".into());
    };
    let started = Instant::now();
    let mut found = Vec::new();
    for key in db.keys(RecordKind::SignatureKey).map_err(err)? {
        let value = db
            .get(RecordKind::SignatureKey, &key)
            .map_err(err)?
            .ok_or("a signature key record vanished")?;
        found.push(decode_client(&value)?);
    }
    if found.is_empty() {
        return Err(format!("no demo clients in {described}"));
    }
    found.sort_by_key(|(index, _, _)| *index);
    let mut clients = Vec::with_capacity(found.len());
    for (_, name, key) in found {
        let mut group = Group::load_as(p, name.as_bytes(), GROUP_ID).map_err(err)?;
        // The clock is runtime configuration: installed again after a load.
        if let Some(g) = group.as_mut() {
            g.set_clock(SharedClock::new(SystemClock));
        }
        let suite = group
            .as_ref()
            .map_or(Ciphersuite(1), |g: &Group| g.ciphersuite());
        let cs = SuiteCrypto::new(crypto, suite).map_err(err)?;
        let signer =
            SignatureKeyPair::from_private_key(crypto, cs.params().signature, key).map_err(err)?;
        clients.push(Client {
            name,
            signer,
            group,
        });
    }
    let active: Vec<usize> = clients
        .iter()
        .enumerate()
        .filter(|(_, c)| c.group.as_ref().is_some_and(|g| g.is_active()))
        .map(|(i, _)| i)
        .collect();
    report(
        &format!(
            "reload {} clients ({} in the group) from {described}",
            clients.len(),
            active.len()
        ),
        started,
        None,
    );
    let first_epoch = check_agreement(&clients)?;
    println!(
        "{:<70} epoch {first_epoch}: all members agree on the epoch authenticator",
        ""
    );
    for round in 0..3 {
        let len = active.len();
        let pick = usize::try_from(first_epoch)
            .map_err(err)?
            .wrapping_add(round)
            % len.max(1);
        let who = *active.get(pick).ok_or("no active member")?;
        let name = clients.get(who).map(|c| c.name.clone()).unwrap_or_default();
        commit_round(
            p,
            &mut clients,
            who,
            &format!("self-update of {name}"),
            |g| g.commit().force_path(true),
        )?;
        message_round(
            p,
            &mut clients,
            who,
            format!("resumed, round {round}").as_bytes(),
        )?;
    }
    let epoch = check_agreement(&clients)?;
    println!(
        "done: resumed at epoch {first_epoch}, now at epoch {epoch}, every commit agreed on by every member"
    );
    Ok(())
}

/// A new run: `members` clients on `suite`.
fn fresh(
    p: &Provider<'_>,
    crypto: &dyn Crypto,
    rand: &dyn Rand,
    suite: Ciphersuite,
    members: usize,
    described: &str,
) -> Result<(), String> {
    if members < 3 {
        return Err("--members must be at least 3".into());
    }
    if let DemoStorage::Sqlite(db) = &p.storage
        && db.count(RecordKind::SignatureKey).map_err(err)? > 0
    {
        return Err(format!(
            "{described} already holds a demo run: pass --resume, or another --db"
        ));
    }
    let cs = SuiteCrypto::new(crypto, suite).map_err(err)?;
    println!("cohort demo: {members} members, cipher suite {suite}, storage: {described}");
    println!("{:<70} {:>13} {:>12}", "operation", "time", "size");

    let started = Instant::now();
    let mut clients = Vec::with_capacity(members);
    let mut bundles: Vec<KeyPackageBundle> = Vec::with_capacity(members);
    for i in 0..members {
        let signer =
            SignatureKeyPair::generate(crypto, cs.params().signature, rand).map_err(err)?;
        let name = format!("member-{i}");
        bundles.push(
            KeyPackageBuilder::new(Credential::basic(name.clone()))
                .lifetime(lifetime())
                .build(&cs, rand, &signer)
                .map_err(err)?,
        );
        clients.push(Client {
            name,
            signer,
            group: None,
        });
    }
    report(
        &format!("generate {members} signature keys + KeyPackages"),
        started,
        None,
    );
    let started = Instant::now();
    save_signers(p, &clients, 0)?;
    report(&format!("  save {members} signature keys"), started, None);

    let started = Instant::now();
    let first = bundles.first().ok_or("no KeyPackage")?;
    let group =
        Group::create(p, first, GROUP_ID.to_vec(), Extensions::default(), config()).map_err(err)?;
    if let Some(c) = clients.first_mut() {
        c.group = Some(group);
    }
    report("create group", started, None);
    save_all(p, &clients)?;

    // Add everyone else in one commit.
    let started = Instant::now();
    let creator = clients.first_mut().ok_or("no creator")?;
    let group = creator.group.as_mut().ok_or("creator has no group")?;
    let mut builder = group.commit();
    for b in bundles.iter().skip(1) {
        builder = builder.add_member(b.key_package.clone());
    }
    let (out, staged) = group
        .create_commit(p, &creator.signer, builder)
        .map_err(err)?;
    group.merge_staged_commit(staged).map_err(err)?;
    let welcome = out.welcome.ok_or("no Welcome")?;
    report(
        &format!(
            "add {} members in one commit (commit + Welcome)",
            members - 1
        ),
        started,
        Some(size(&out.commit)? + size(&welcome)?),
    );
    let MlsMessageBody::Welcome(welcome) = welcome.body else {
        return Err("not a Welcome".into());
    };
    let started = Instant::now();
    for (c, b) in clients.iter_mut().zip(&bundles).skip(1) {
        c.group = Some(Group::join(p, &welcome, b, None, BTreeMap::new(), config()).map_err(err)?);
    }
    report(
        &format!("{} members join by Welcome (total)", members - 1),
        started,
        None,
    );
    let epoch = check_agreement(&clients)?;
    println!(
        "{:<70} epoch {epoch}: all members agree on the epoch authenticator",
        ""
    );
    save_all(p, &clients)?;

    // Application messages.
    let started = Instant::now();
    let sender = clients.get_mut(1).ok_or("no member 1")?;
    let msg = sender
        .group
        .as_mut()
        .ok_or("no group")?
        .encrypt(p, &sender.signer, b"hello, group", b"")
        .map_err(err)?;
    report("encrypt an application message", started, Some(size(&msg)?));
    let started = Instant::now();
    for c in clients.iter_mut().filter(|c| c.name != "member-1") {
        match c
            .group
            .as_mut()
            .ok_or("no group")?
            .process(p, &msg)
            .map_err(err)?
        {
            ProcessedMessage::Application { data, .. } if data == b"hello, group" => {}
            _ => return Err("application message not delivered".into()),
        }
    }
    report(
        &format!("decrypt it at {} members (total)", members - 1),
        started,
        None,
    );
    save_all(p, &clients)?;

    // Updates, a remove, a PSK.
    commit_round(p, &mut clients, 2, "self-update of member-2", |g| {
        g.commit().force_path(true)
    })?;
    commit_round(
        p,
        &mut clients,
        members - 1,
        "self-update of the last member",
        |g| g.commit().force_path(true),
    )?;
    update_proposal_round(p, &mut clients, if members > 4 { 4 } else { 1 })?;
    commit_round(
        p,
        &mut clients,
        0,
        "commit the Update (by reference)",
        |g| g.commit(),
    )?;
    let removed = LeafIndex(3);
    commit_round(p, &mut clients, 0, "remove member-3", |g| {
        g.commit().remove_member(removed)
    })?;
    let mut nonce = vec![0u8; cs.hash_len()];
    rand.fill(&mut nonce).map_err(err)?;
    let psk_id = b"demo external psk".to_vec();
    for c in clients.iter_mut() {
        if let Some(g) = c.group.as_mut() {
            g.add_external_psk(psk_id.clone(), Secret::new(vec![0x42; 32]));
        }
    }
    save_all(p, &clients)?;
    let psk = PreSharedKeyId {
        psk: Psk::External {
            psk_id: psk_id.into(),
        },
        psk_nonce: nonce.into(),
    };
    commit_round(p, &mut clients, 1, "commit an external PSK", |g| {
        g.commit().psk(psk)
    })?;

    // A newcomer joins by external commit from a GroupInfo member-1 publishes.
    let publisher = clients.get(1).ok_or("no such member")?;
    let group_info = publisher
        .group
        .as_ref()
        .ok_or("not in the group")?
        .group_info(p, &publisher.signer, true)
        .map_err(err)?;
    let MlsMessageBody::GroupInfo(group_info) = group_info.body else {
        return Err("not a GroupInfo".into());
    };
    let started = Instant::now();
    let signer = SignatureKeyPair::generate(crypto, cs.params().signature, rand).map_err(err)?;
    let bundle = KeyPackageBuilder::new(Credential::basic("newcomer"))
        .lifetime(lifetime())
        .build(&cs, rand, &signer)
        .map_err(err)?;
    let (group, commit) =
        Group::join_external(p, &signer, &group_info, None, &bundle, config(), None)
            .map_err(err)?;
    report(
        "external join: create external commit (newcomer)",
        started,
        Some(size(&commit)?),
    );
    let started = Instant::now();
    let mut processed = 0;
    for c in clients.iter_mut() {
        let Some(g) = c.group.as_mut().filter(|g| g.is_active()) else {
            continue;
        };
        match g.process(p, &commit).map_err(err)? {
            ProcessedMessage::Commit(staged) => g.merge_staged_commit(*staged).map_err(err)?,
            _ => return Err("expected a commit".into()),
        }
        processed += 1;
    }
    report(
        &format!("external join: process + merge, {processed} members (total)"),
        started,
        None,
    );
    clients.push(Client {
        name: "newcomer".into(),
        signer,
        group: Some(group),
    });
    save_signers(p, &clients, clients.len() - 1)?;
    save_all(p, &clients)?;
    let epoch = check_agreement(&clients)?;
    println!(
        "{:<70} epoch {epoch}: all members agree on the epoch authenticator",
        ""
    );

    // The newcomer talks to the group.
    let newcomer = clients.last_mut().ok_or("no newcomer")?;
    let msg = newcomer
        .group
        .as_mut()
        .ok_or("no group")?
        .encrypt(p, &newcomer.signer, b"hi, I am new", b"")
        .map_err(err)?;
    for c in clients.iter_mut().filter(|c| c.name != "newcomer") {
        let Some(g) = c.group.as_mut().filter(|g| g.is_active()) else {
            continue;
        };
        match g.process(p, &msg).map_err(err)? {
            ProcessedMessage::Application { data, .. } if data == b"hi, I am new" => {}
            _ => return Err("the newcomer's message was not delivered".into()),
        }
    }
    println!("{:<70} the newcomer's message reached every member", "");
    save_all(p, &clients)?;
    let members_now = clients
        .first()
        .and_then(|c| c.group.as_ref())
        .map_or(0, |g| g.tree().members().len());
    println!("done: {members_now} members, every commit agreed on by every member");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_record_round_trips_and_rejects_damage() {
        let key = Secret::from_slice(&[7u8; 32]);
        let rec = encode_client(5, "member-5", &key).unwrap();
        let (index, name, back) = decode_client(&rec).unwrap();
        assert_eq!((index, name.as_str()), (5, "member-5"));
        assert_eq!(back.as_bytes(), key.as_bytes());
        for len in 0..rec.len() {
            assert!(decode_client(&rec[..len]).is_err());
        }
        let mut long = rec.clone();
        long.push(0);
        assert!(decode_client(&long).is_err());
        let mut other = rec;
        other[1] = 9;
        assert!(decode_client(&other).is_err());
    }

    #[test]
    fn fresh_run_then_two_resumes_on_one_database() {
        static CRYPTO: cohort_rust_crypto::RustCrypto = cohort_rust_crypto::RustCrypto::new();
        let path = std::env::temp_dir().join(format!("cohort-demo-test-{}.db", std::process::id()));
        let _guard = TempDb(path.clone());
        drop(TempDb(path.clone()));
        let options = |resume| StorageOptions {
            db: Some(path.clone()),
            memory: false,
            resume,
        };
        run(&CRYPTO, &CRYPTO, Ciphersuite(1), 4, options(false)).unwrap();
        // A second fresh run on the same database is refused.
        assert!(run(&CRYPTO, &CRYPTO, Ciphersuite(1), 4, options(false)).is_err());
        run(&CRYPTO, &CRYPTO, Ciphersuite(1), 4, options(true)).unwrap();
        run(&CRYPTO, &CRYPTO, Ciphersuite(1), 4, options(true)).unwrap();
        let db = SqliteStorage::open(&path).unwrap();
        // Five clients (four members and the newcomer), one record each.
        assert_eq!(db.count(RecordKind::SignatureKey).unwrap(), 5);
        assert_eq!(db.count(RecordKind::GroupState).unwrap(), 5);
        let p = ProviderBundle::new(
            &CRYPTO as &dyn Crypto,
            &CRYPTO as &dyn Rand,
            DemoStorage::Sqlite(db),
        );
        let g = Group::load_as(&p, b"newcomer", GROUP_ID).unwrap().unwrap();
        // 7 epochs in the fresh run, 3 more per resume.
        assert_eq!(g.epoch(), 13);
    }

    #[test]
    fn memory_and_resume_do_not_mix() {
        static CRYPTO: cohort_rust_crypto::RustCrypto = cohort_rust_crypto::RustCrypto::new();
        let bad = StorageOptions {
            db: None,
            memory: true,
            resume: true,
        };
        assert!(run(&CRYPTO, &CRYPTO, Ciphersuite(1), 4, bad).is_err());
        let mem = StorageOptions {
            db: None,
            memory: false,
            resume: true,
        };
        assert!(run(&CRYPTO, &CRYPTO, Ciphersuite(1), 4, mem).is_err());
        let ok = StorageOptions {
            db: None,
            memory: true,
            resume: false,
        };
        run(&CRYPTO, &CRYPTO, Ciphersuite(1), 4, ok).unwrap();
    }
}
