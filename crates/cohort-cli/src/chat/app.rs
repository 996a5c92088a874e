//! One chat user: its MLS client on SQLite, its connection to the
//! delivery service, and what it does for each command and each message
//! it receives.

use super::ChatError;
use super::store::{ChatStore, Registration};
use cohort::codec::{decode_exact, encode};
use cohort::framing::{MlsMessage, MlsMessageBody, Sender};
use cohort::group::{GroupConfig, ProcessedMessage, SystemClock};
use cohort::messages::{Credential, ExtensionType, Extensions, Proposal, ProposalType};
use cohort::traits::{ProviderBundle, RecordKind, SignatureScheme, Storage, StorageOp};
use cohort::{
    Ciphersuite, Client, ClientConfig, ClientGroup, CreateOptions, JoinOptions, MisuseError, Secret,
};
use cohort_basic_credential::SignatureKeyPair;
use cohort_ds_client::{DsClient, Inbox, InboxKind, Outgoing};
use cohort_rust_crypto::RustCrypto;
use cohort_sqlite_storage::SqliteStorage;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The MLS state of a user and its provider.
pub(crate) type Provider = ProviderBundle<RustCrypto, RustCrypto, SqliteStorage>;

/// The chat's cipher suite: MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.
const SUITE: Ciphersuite = Ciphersuite(1);

/// A group context extension of private-use type carrying the group's
/// name as its creator chose it (UTF-8), so that joiners name it alike.
pub(crate) const GROUP_NAME_EXTENSION: ExtensionType = ExtensionType(0xF1C0);

/// Ordinary KeyPackages published at registration (beside one last-resort
/// KeyPackage); one more is published after each join.
const KEY_PACKAGES: usize = 5;

/// How many times a commit is rebuilt when another commit wins its epoch.
const COMMIT_ATTEMPTS: usize = 5;

/// What happened, one line each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// The user is registered.
    Registered { identity: String },
    /// A group was created.
    Created { group: String, group_id: Vec<u8> },
    /// This user joined a group from a Welcome.
    Joined {
        group: String,
        by: String,
        members: Vec<String>,
    },
    /// An application message.
    Message {
        group: String,
        sender: String,
        text: String,
    },
    /// A commit moved a group to a new epoch.
    Epoch {
        group: String,
        epoch: u64,
        by: String,
        added: Vec<String>,
        removed: Vec<String>,
    },
    /// A member asked to leave.
    LeaveRequested { group: String, member: String },
    /// This user is no longer in the group (removed, or its leave was
    /// committed); the group is forgotten.
    Left { group: String, by: String },
    /// A message was sent.
    Sent { group: String },
    /// Something received could not be used (the line says what).
    Warning(String),
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Registered { identity } => write!(f, "registered {identity}"),
            Event::Created { group, group_id } => {
                write!(f, "created {group} {}", hex::encode(group_id))
            }
            Event::Joined { group, by, members } => {
                write!(f, "joined {group} by {by} members={}", members.join(","))
            }
            Event::Message {
                group,
                sender,
                text,
            } => write!(f, "message {group} {sender}: {text}"),
            Event::Epoch {
                group,
                epoch,
                by,
                added,
                removed,
            } => write!(
                f,
                "epoch {group} {epoch} by {by} added={} removed={}",
                added.join(","),
                removed.join(",")
            ),
            Event::LeaveRequested { group, member } => write!(f, "leave-request {group} {member}"),
            Event::Left { group, by } => write!(f, "left {group} by {by}"),
            Event::Sent { group } => write!(f, "sent {group}"),
            Event::Warning(w) => write!(f, "warning {w}"),
        }
    }
}

/// Received text as it may be printed: lossy UTF-8 with control
/// characters escaped (`\n`, `\u{1b}`), so that a peer can neither forge
/// output lines nor send terminal escape sequences.
fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for c in String::from_utf8_lossy(bytes).chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The identity of a basic credential (printable), or a placeholder for
/// other types.
fn identity_of(credential: &Credential) -> String {
    match credential {
        Credential::Basic { identity } => printable(&identity.0),
        _ => "(not a basic credential)".to_string(),
    }
}

/// A user's chat: MLS client, delivery service, local names and cursor.
pub(crate) struct Chat {
    client: Client<Provider>,
    signer: Arc<SignatureKeyPair<RustCrypto>>,
    ds: Arc<DsClient>,
    store: ChatStore,
    identity: String,
    cursor: u64,
}

fn no_user(dir: &Path) -> ChatError {
    ChatError::new(format!(
        "no user in {}: run `cohort chat --dir {} --server URL register NAME` first",
        dir.display(),
        dir.display()
    ))
}

/// The database of a state directory.
fn db_path(dir: &Path) -> std::path::PathBuf {
    dir.join("chat.db")
}

fn client_config() -> ClientConfig {
    let mut config = ClientConfig {
        ciphersuite: SUITE,
        group: GroupConfig::default().with_clock(SystemClock),
        ..ClientConfig::default()
    };
    config.capabilities.extensions.0.push(GROUP_NAME_EXTENSION);
    // Members leave with a SelfRemove (MLS extensions draft) where every
    // member supports it.
    config
        .capabilities
        .proposals
        .0
        .push(ProposalType::SELF_REMOVE);
    config
}

fn open_provider(dir: &Path) -> Result<(Provider, ChatStore), ChatError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| ChatError::new(format!("creating {}: {e}", dir.display())))?;
    let path = db_path(dir);
    let storage = SqliteStorage::open(&path)?;
    let store = ChatStore::open(&path)?;
    Ok((
        ProviderBundle::new(RustCrypto::new(), RustCrypto::new(), storage),
        store,
    ))
}

impl Chat {
    /// Registers `identity` with the server at `server` and stores the
    /// user in `dir`: a new signature key, or the stored one when `dir`
    /// already holds this identity (registering again is harmless: it
    /// publishes fresh KeyPackages).
    pub(crate) fn register(
        dir: &Path,
        server: &str,
        identity: &str,
    ) -> Result<(Self, Vec<Event>), ChatError> {
        if identity.is_empty() || identity.chars().any(char::is_whitespace) {
            return Err(ChatError::new("an identity is one word"));
        }
        let (provider, store) = open_provider(dir)?;
        let signer = match store.registration()? {
            Some(reg) if reg.identity != identity => {
                return Err(ChatError::new(format!(
                    "{} already holds the user {}",
                    dir.display(),
                    reg.identity
                )));
            }
            Some(reg) => load_signer(&provider, &reg.public_key)?,
            None => SignatureKeyPair::generate(
                RustCrypto::new(),
                SignatureScheme::ED25519,
                &RustCrypto::new(),
            )?,
        };
        let signer = Arc::new(signer);
        let ds = Arc::new(DsClient::new(server, signer.clone(), SUITE)?);
        ds.register(identity)?;
        // Stored once the server has accepted the identity.
        provider.storage.apply(&[StorageOp::Put {
            kind: RecordKind::SignatureKey,
            key: cohort::Signer::public_key(&*signer).to_vec(),
            value: signer.private_key().as_bytes().to_vec(),
        }])?;
        store.set_registration(&Registration {
            identity: identity.to_string(),
            public_key: cohort::Signer::public_key(&*signer).to_vec(),
            server: server.to_string(),
        })?;
        let mut chat = Chat::assemble(provider, store, signer, ds, identity)?;
        let kps = (0..KEY_PACKAGES)
            .map(|_| chat.client.generate_key_package().and_then(|m| encode(&m)))
            .collect::<Result<Vec<_>, _>>()?;
        chat.ds.publish_key_packages(&kps, false)?;
        let last = encode(&chat.client.generate_last_resort_key_package()?)?;
        chat.ds.publish_key_packages(&[last], true)?;
        chat.cursor = chat.store.cursor()?;
        Ok((
            chat,
            vec![Event::Registered {
                identity: identity.to_string(),
            }],
        ))
    }

    /// The user stored in `dir`, talking to `server` (the one it
    /// registered with when `None`).
    pub(crate) fn open(dir: &Path, server: Option<&str>) -> Result<Self, ChatError> {
        if !db_path(dir).is_file() {
            return Err(no_user(dir));
        }
        let (provider, store) = open_provider(dir)?;
        let reg = store.registration()?.ok_or_else(|| no_user(dir))?;
        let server = server.unwrap_or(&reg.server).to_string();
        let signer = Arc::new(load_signer(&provider, &reg.public_key)?);
        let ds = Arc::new(DsClient::new(&server, signer.clone(), SUITE)?);
        let mut chat = Chat::assemble(provider, store, signer, ds, &reg.identity)?;
        chat.cursor = chat.store.cursor()?;
        Ok(chat)
    }

    fn assemble(
        provider: Provider,
        store: ChatStore,
        signer: Arc<SignatureKeyPair<RustCrypto>>,
        ds: Arc<DsClient>,
        identity: &str,
    ) -> Result<Self, ChatError> {
        let client = Client::new(
            provider,
            identity.as_bytes().to_vec(),
            (*signer).clone(),
            Credential::basic(identity),
            client_config(),
        )?;
        Ok(Chat {
            client,
            signer,
            ds,
            store,
            identity: identity.to_string(),
            cursor: 0,
        })
    }

    /// The user's identity.
    pub(crate) fn identity(&self) -> &str {
        &self.identity
    }

    /// The delivery service connection (shared with a receiver thread).
    pub(crate) fn ds(&self) -> Arc<DsClient> {
        self.ds.clone()
    }

    /// The inbox cursor.
    pub(crate) fn cursor(&self) -> u64 {
        self.cursor
    }

    fn group_id(&self, name: &str) -> Result<Vec<u8>, ChatError> {
        self.store
            .group_id(name)?
            .ok_or_else(|| ChatError::new(format!("no group named {name}")))
    }

    fn load(&self, group_id: &[u8]) -> Result<ClientGroup<'_, Provider>, ChatError> {
        self.client
            .load_group(group_id)?
            .ok_or_else(|| ChatError::new(format!("group {} is not stored", hex::encode(group_id))))
    }

    fn name_of(&self, group_id: &[u8]) -> String {
        self.store
            .group_name(group_id)
            .ok()
            .flatten()
            .unwrap_or_else(|| hex::encode(group_id))
    }

    /// Creates a group named `name` (kept in its context for joiners).
    pub(crate) fn create(&mut self, name: &str) -> Result<Vec<Event>, ChatError> {
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(ChatError::new("a group name is one word"));
        }
        if self.store.group_id(name)?.is_some() {
            return Err(ChatError::new(format!("a group named {name} exists")));
        }
        let mut extensions = Extensions::new();
        extensions.push_encoded(GROUP_NAME_EXTENSION, name.as_bytes().to_vec());
        let group = self.client.create_group_with(CreateOptions {
            group_id: None,
            extensions,
        })?;
        let group_id = group.group_id().to_vec();
        let info = encode(&group.group_info(true)?)?;
        drop(group);
        if let Err(e) = self.ds.create_group(&info) {
            self.client.delete_group(&group_id)?;
            return Err(e.into());
        }
        self.store.add_group(name, &group_id)?;
        Ok(vec![Event::Created {
            group: name.to_string(),
            group_id,
        }])
    }

    /// The GroupInfo (with the tree) of the epoch the pending commit of
    /// `group` leads to, for the server to keep for external joins.
    fn next_group_info(&self, group: &ClientGroup<'_, Provider>) -> Result<Vec<u8>, ChatError> {
        let mut next = group.group().clone();
        next.merge_pending_commit(self.client.provider())?;
        Ok(encode(&next.group_info(
            self.client.provider(),
            &*self.signer,
            true,
        )?)?)
    }

    /// Builds a commit of `build`'s proposals (plus the pending ones) and
    /// sends it with its Welcome and next GroupInfo; when another commit
    /// won the epoch, processes the inbox (the winner included) and tries
    /// again. `still_needed` says, before each try, whether the commit
    /// still has a reason to be (the winner may have done its work).
    /// Returns the events of the re-bases and of the commit; `None` in the
    /// last place when nothing was committed.
    fn commit_with_rebase(
        &mut self,
        group_id: &[u8],
        build: &dyn Fn(&ClientGroup<'_, Provider>) -> cohort::group::CommitBuilder,
        still_needed: &dyn Fn(&ClientGroup<'_, Provider>) -> bool,
    ) -> Result<(Vec<Event>, bool), ChatError> {
        let mut events = Vec::new();
        for _ in 0..COMMIT_ATTEMPTS {
            let mut group = self.load(group_id)?;
            if !group.is_active() || !still_needed(&group) {
                return Ok((events, false));
            }
            let before = group.roster();
            let out = group.commit(build(&group))?;
            let info = self.next_group_info(&group)?;
            let message = Outgoing {
                message: encode(&out.commit)?,
                welcome: out.welcome.as_ref().map(encode).transpose()?,
                group_info: Some(info),
            };
            match self.ds.send(group_id, &message) {
                Ok(_) => {
                    group.merge_pending_commit()?;
                    events.push(self.own_epoch_event(group_id, &before, &group));
                    return Ok((events, true));
                }
                Err(e) if e.is_stale_epoch() => {
                    group.clear_pending_commit()?;
                    drop(group);
                    let target = e.server_epoch();
                    events.extend(self.catch_up(group_id, target)?);
                }
                Err(e) => {
                    let sent = self.recover_pending(group_id)?;
                    if sent {
                        return Ok((events, true));
                    }
                    return Err(e.into());
                }
            }
        }
        Err(ChatError::new(format!(
            "{}: gave up after {COMMIT_ATTEMPTS} commits lost their epoch",
            self.name_of(group_id)
        )))
    }

    /// The event of this user's own commit, from the rosters before and
    /// after.
    fn own_epoch_event(
        &self,
        group_id: &[u8],
        before: &[cohort::group::Member],
        after: &ClientGroup<'_, Provider>,
    ) -> Event {
        let now = after.roster();
        let keys = |ms: &[cohort::group::Member]| {
            ms.iter()
                .map(|m| (m.index, m.signature_key.clone()))
                .collect::<Vec<_>>()
        };
        let (old, new) = (keys(before), keys(&now));
        Event::Epoch {
            group: self.name_of(group_id),
            epoch: after.epoch(),
            by: self.identity.clone(),
            added: now
                .iter()
                .filter(|m| !old.contains(&(m.index, m.signature_key.clone())))
                .map(|m| identity_of(&m.credential))
                .collect(),
            removed: before
                .iter()
                .filter(|m| !new.contains(&(m.index, m.signature_key.clone())))
                .map(|m| identity_of(&m.credential))
                .collect(),
        }
    }

    /// After a failed send of a commit whose fate is unknown (the request
    /// may have been stored before the answer was lost): merges it when
    /// the server's group is one epoch past ours, drops it otherwise.
    /// Returns whether it was merged.
    fn recover_pending(&mut self, group_id: &[u8]) -> Result<bool, ChatError> {
        let mut group = self.load(group_id)?;
        if group.pending_commit().is_none() {
            return Ok(false);
        }
        let server_epoch = self.ds.members(group_id).map(|m| m.epoch).ok();
        if server_epoch == Some(group.epoch().saturating_add(1)) {
            group.merge_pending_commit()?;
            Ok(true)
        } else {
            group.clear_pending_commit()?;
            Ok(false)
        }
    }

    /// Processes the inbox until group `group_id` reaches `epoch` (or, with
    /// `None`, once), waiting a little for what is on its way.
    fn catch_up(&mut self, group_id: &[u8], epoch: Option<u64>) -> Result<Vec<Event>, ChatError> {
        let mut events = self.sync(Duration::ZERO)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(target) = epoch {
            let Some(group) = self.client.load_group(group_id)? else {
                break;
            };
            if group.epoch() >= target || !group.is_active() || Instant::now() >= deadline {
                break;
            }
            drop(group);
            events.extend(self.sync(Duration::from_secs(2))?);
        }
        Ok(events)
    }

    /// Invites `identity` into group `name`: takes one of its KeyPackages
    /// from the server, commits its Add and sends the commit with the
    /// Welcome.
    pub(crate) fn invite(&mut self, name: &str, identity: &str) -> Result<Vec<Event>, ChatError> {
        let group_id = self.group_id(name)?;
        let group = self.load(&group_id)?;
        if group
            .roster()
            .iter()
            .any(|m| identity_of(&m.credential) == identity)
        {
            return Err(ChatError::new(format!("{identity} is already in {name}")));
        }
        drop(group);
        let bytes = self.ds.fetch_key_package(identity)?;
        let message: MlsMessage = decode_exact(&bytes)?;
        let MlsMessageBody::KeyPackage(kp) = message.body else {
            return Err(ChatError::new(
                "the server's KeyPackage is another kind of message",
            ));
        };
        let got = identity_of(&kp.leaf_node.credential);
        if got != identity {
            return Err(ChatError::new(format!(
                "the server gave a KeyPackage of {got:?} for {identity:?}"
            )));
        }
        let who = identity.to_string();
        let (events, committed) = self.commit_with_rebase(
            &group_id,
            &|g| g.commit_builder().add_member(kp.clone()),
            &|g| !g.roster().iter().any(|m| identity_of(&m.credential) == who),
        )?;
        if !committed {
            return Err(ChatError::new(format!(
                "{identity} was not added to {name} (no longer a member, or already added)"
            )));
        }
        Ok(events)
    }

    /// Sends `text` to group `name`.
    pub(crate) fn send(&mut self, name: &str, text: &str) -> Result<Vec<Event>, ChatError> {
        let group_id = self.group_id(name)?;
        let mut events = Vec::new();
        for attempt in 0..2 {
            let mut group = self.load(&group_id)?;
            if !group.is_active() {
                return Err(ChatError::new(format!("no longer a member of {name}")));
            }
            let message = group.encrypt(text.as_bytes(), b"")?;
            drop(group);
            let out = Outgoing {
                message: encode(&message)?,
                ..Outgoing::default()
            };
            match self.ds.send(&group_id, &out) {
                Ok(_) => {
                    events.push(Event::Sent {
                        group: name.to_string(),
                    });
                    return Ok(events);
                }
                // Refused for its epoch: catch up, then send again.
                Err(e) if attempt == 0 && e.status() == Some(409) => {
                    events.extend(self.catch_up(&group_id, e.server_epoch())?);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ChatError::new(format!(
            "{name}: the message was refused twice"
        )))
    }

    /// Asks to leave group `name` (a Remove proposal of this user's own
    /// leaf; another member commits it, and the user is out when that
    /// commit arrives).
    pub(crate) fn leave(&mut self, name: &str) -> Result<Vec<Event>, ChatError> {
        let group_id = self.group_id(name)?;
        let mut group = self.load(&group_id)?;
        if group.roster().len() < 2 {
            // Alone: nobody would commit it; forget the group.
            drop(group);
            self.client.delete_group(&group_id)?;
            self.store.remove_group(&group_id)?;
            return Ok(vec![Event::Left {
                group: name.to_string(),
                by: self.identity.clone(),
            }]);
        }
        // A SelfRemove where the group supports it, else a Remove of its
        // own leaf (both committed by the next member's commit).
        let proposal = match group.propose_self_remove() {
            Ok(p) => p,
            Err(cohort::Error::Misuse(MisuseError::NotSupportedByGroup { .. })) => {
                let own = group.own_index();
                group.propose_remove(own)?
            }
            Err(e) => return Err(e.into()),
        };
        drop(group);
        self.ds.send(
            &group_id,
            &Outgoing {
                message: encode(&proposal)?,
                ..Outgoing::default()
            },
        )?;
        Ok(vec![Event::LeaveRequested {
            group: name.to_string(),
            member: self.identity.clone(),
        }])
    }

    /// The members of group `name`, by leaf, as this user's state has them.
    pub(crate) fn members(&self, name: &str) -> Result<Vec<String>, ChatError> {
        let group = self.load(&self.group_id(name)?)?;
        Ok(group
            .roster()
            .iter()
            .map(|m| identity_of(&m.credential))
            .collect())
    }

    /// The members of group `name` as the server sees them.
    pub(crate) fn server_members(&self, name: &str) -> Result<(u64, Vec<String>), ChatError> {
        let m = self.ds.members(&self.group_id(name)?)?;
        Ok((m.epoch, m.members.into_iter().map(|e| e.identity).collect()))
    }

    /// Every group: name, epoch, member count.
    pub(crate) fn groups(&self) -> Result<Vec<(String, u64, usize)>, ChatError> {
        let mut out = Vec::new();
        for (name, id) in self.store.groups()? {
            if let Some(g) = self.client.load_group(&id)? {
                out.push((name, g.epoch(), g.roster().len()));
            }
        }
        Ok(out)
    }

    /// Reads the inbox once (waiting up to `wait` for something new) and
    /// handles what came.
    pub(crate) fn sync(&mut self, wait: Duration) -> Result<Vec<Event>, ChatError> {
        let inbox = self.ds.inbox(self.cursor, wait)?;
        self.apply(inbox)
    }

    /// Waits up to `wait` for the inbox to bring something, then handles
    /// everything there is.
    pub(crate) fn receive(&mut self, wait: Duration) -> Result<Vec<Event>, ChatError> {
        let deadline = Instant::now() + wait;
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let before = self.cursor;
            events.extend(self.sync(left)?);
            if self.cursor == before && (left.is_zero() || !events.is_empty()) {
                return Ok(events);
            }
            if self.cursor != before {
                // Something came: drain what is already there, then stop.
                loop {
                    let c = self.cursor;
                    events.extend(self.sync(Duration::ZERO)?);
                    if self.cursor == c {
                        return Ok(events);
                    }
                }
            }
        }
    }

    /// Handles inbox entries after the cursor, in order, moving the cursor
    /// past each; then commits the leave requests received.
    pub(crate) fn apply(&mut self, inbox: Inbox) -> Result<Vec<Event>, ChatError> {
        let mut events = Vec::new();
        let mut leave_requests: Vec<Vec<u8>> = Vec::new();
        for entry in inbox.messages {
            if entry.seq <= self.cursor {
                continue;
            }
            let handled = match entry.kind {
                InboxKind::Welcome => self.on_welcome(&entry.data),
                InboxKind::Message => {
                    self.on_message(&entry.group_id, &entry.data, &mut leave_requests)
                }
                InboxKind::Unknown => Ok(vec![Event::Warning(format!(
                    "inbox entry {} of an unknown kind skipped",
                    entry.seq
                ))]),
            };
            match handled {
                Ok(e) => events.extend(e),
                Err(e) => events.push(Event::Warning(format!(
                    "entry {} ({}) skipped: {e}",
                    entry.seq,
                    self.name_of(&entry.group_id)
                ))),
            }
            self.cursor = entry.seq;
            self.store.set_cursor(self.cursor)?;
        }
        leave_requests.dedup();
        for group_id in leave_requests {
            match self.commit_pending(&group_id) {
                Ok(e) => events.extend(e),
                Err(e) => events.push(Event::Warning(format!(
                    "committing the leave in {}: {e}",
                    self.name_of(&group_id)
                ))),
            }
        }
        Ok(events)
    }

    /// Commits the proposals pending in a group (a member's leave), unless
    /// another commit takes them first.
    fn commit_pending(&mut self, group_id: &[u8]) -> Result<Vec<Event>, ChatError> {
        let (events, _) = self.commit_with_rebase(group_id, &|g| g.commit_builder(), &|g| {
            !g.pending_proposals().is_empty()
        })?;
        Ok(events)
    }

    fn on_welcome(&mut self, data: &[u8]) -> Result<Vec<Event>, ChatError> {
        let welcome: MlsMessage = decode_exact(data)?;
        let staged = self
            .client
            .stage_welcome(&welcome, JoinOptions::default())?;
        let wanted = staged
            .extensions()
            .find(GROUP_NAME_EXTENSION)
            .map(|e| printable(&e.extension_data.0))
            .filter(|n| !n.is_empty() && !n.chars().any(|c| c.is_whitespace() || c == '\\'))
            .unwrap_or_else(|| "group".to_string());
        let by = staged
            .added_by()
            .map_or_else(|| "?".to_string(), |m| identity_of(&m.credential));
        let members: Vec<String> = staged
            .roster()
            .iter()
            .map(|m| identity_of(&m.credential))
            .collect();
        let group_id = staged.group_id().to_vec();
        // A group this user was removed from and is invited to again.
        if self.store.group_name(&group_id)?.is_some() {
            self.store.remove_group(&group_id)?;
        }
        self.client.join(staged)?;
        let name = self.store.free_name(&wanted)?;
        self.store.add_group(&name, &group_id)?;
        let mut events = vec![Event::Joined {
            group: name,
            by,
            members,
        }];
        // The Welcome used one KeyPackage: publish another.
        let kp = self.client.generate_key_package().and_then(|m| encode(&m));
        if let Err(e) = kp
            .map_err(ChatError::from)
            .and_then(|kp| Ok(self.ds.publish_key_packages(&[kp], false)?))
        {
            events.push(Event::Warning(format!("publishing a new KeyPackage: {e}")));
        }
        Ok(events)
    }

    fn on_message(
        &mut self,
        group_id: &[u8],
        data: &[u8],
        leave_requests: &mut Vec<Vec<u8>>,
    ) -> Result<Vec<Event>, ChatError> {
        let name = self.name_of(group_id);
        // A group this user is not in (yet, or any more): the commit that
        // adds it comes beside its Welcome, and a left group's traffic
        // may still be on its way.
        let Some(mut group) = self.client.load_group(group_id)? else {
            return Ok(Vec::new());
        };
        group
            .group()
            .config()
            .limits
            .check_message_size(data.len())?;
        let message: MlsMessage = decode_exact(data)?;
        // A handshake message of an epoch this user joined after (the
        // commit that added it, when the Welcome came first).
        if let MlsMessageBody::PublicMessage(m) = &message.body
            && m.content.epoch < group.epoch()
        {
            return Ok(Vec::new());
        }
        let roster = group.roster();
        let who = |leaf: u32| {
            roster
                .iter()
                .find(|m| m.index.0 == leaf)
                .map_or_else(|| format!("leaf {leaf}"), |m| identity_of(&m.credential))
        };
        match group.process(&message)? {
            ProcessedMessage::Application {
                credential, data, ..
            } => Ok(vec![Event::Message {
                group: name,
                sender: identity_of(&credential),
                text: printable(&data),
            }]),
            ProcessedMessage::Proposal {
                sender, proposal, ..
            } => match (sender, &*proposal) {
                (Sender::Member(s), Proposal::SelfRemove(_)) => {
                    leave_requests.push(group_id.to_vec());
                    Ok(vec![Event::LeaveRequested {
                        group: name,
                        member: who(s),
                    }])
                }
                (Sender::Member(s), Proposal::Remove(r)) if r.removed == s => {
                    leave_requests.push(group_id.to_vec());
                    Ok(vec![Event::LeaveRequested {
                        group: name,
                        member: who(s),
                    }])
                }
                _ => Ok(Vec::new()),
            },
            ProcessedMessage::Commit(staged) => {
                let by = match staged.sender() {
                    Sender::Member(s) => who(s),
                    _ => "(external)".to_string(),
                };
                let added = staged
                    .added()
                    .iter()
                    .map(|(_, kp)| identity_of(&kp.leaf_node.credential))
                    .collect();
                let removed = staged
                    .removed()
                    .iter()
                    .map(|(_, leaf)| identity_of(&leaf.credential))
                    .collect();
                let removes_self = staged.removes_self();
                group.merge_staged_commit(*staged)?;
                if removes_self || !group.is_active() {
                    drop(group);
                    self.client.delete_group(group_id)?;
                    self.store.remove_group(group_id)?;
                    return Ok(vec![Event::Left { group: name, by }]);
                }
                Ok(vec![Event::Epoch {
                    group: name,
                    epoch: group.epoch(),
                    by,
                    added,
                    removed,
                }])
            }
        }
    }
}

/// The stored signature key whose public key is `public_key`.
fn load_signer(
    provider: &Provider,
    public_key: &[u8],
) -> Result<SignatureKeyPair<RustCrypto>, ChatError> {
    let private = provider
        .storage
        .get(RecordKind::SignatureKey, public_key)?
        .ok_or_else(|| ChatError::new("the user's signature key is missing from the database"))?;
    let pair = SignatureKeyPair::from_private_key(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        Secret::new(private),
    )?;
    if cohort::Signer::public_key(&pair) != public_key {
        return Err(ChatError::new(
            "the stored signature key does not match the user's",
        ));
    }
    Ok(pair)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_text_cannot_forge_lines_or_drive_the_terminal() {
        assert_eq!(printable(b"hi there"), "hi there");
        assert_eq!(
            printable(b"hi\nmessage team bob: fake\x1b[2J\t"),
            "hi\\nmessage team bob: fake\\u{1b}[2J\\t"
        );
        assert_eq!(printable(&[0x66, 0xff, 0x6f]), "f\u{fffd}o");
        assert_eq!(identity_of(&Credential::basic("a\rb")), "a\\rb");
    }

    #[test]
    fn events_print_as_documented() {
        let lines: Vec<String> = [
            Event::Registered {
                identity: "alice".into(),
            },
            Event::Created {
                group: "team".into(),
                group_id: vec![0xab, 0x01],
            },
            Event::Joined {
                group: "team".into(),
                by: "alice".into(),
                members: vec!["alice".into(), "bob".into()],
            },
            Event::Message {
                group: "team".into(),
                sender: "bob".into(),
                text: "hi there".into(),
            },
            Event::Epoch {
                group: "team".into(),
                epoch: 2,
                by: "alice".into(),
                added: vec!["carol".into()],
                removed: vec![],
            },
            Event::LeaveRequested {
                group: "team".into(),
                member: "carol".into(),
            },
            Event::Left {
                group: "team".into(),
                by: "alice".into(),
            },
            Event::Sent {
                group: "team".into(),
            },
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            lines,
            [
                "registered alice",
                "created team ab01",
                "joined team by alice members=alice,bob",
                "message team bob: hi there",
                "epoch team 2 by alice added=carol removed=",
                "leave-request team carol",
                "left team by alice",
                "sent team",
            ]
        );
    }

    #[test]
    fn the_signature_key_is_restored_from_the_database() {
        let dir = std::env::temp_dir().join(format!("cohort-chat-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (provider, _store) = open_provider(&dir).unwrap();
        let pair = SignatureKeyPair::generate(
            RustCrypto::new(),
            SignatureScheme::ED25519,
            &RustCrypto::new(),
        )
        .unwrap();
        let public = cohort::Signer::public_key(&pair).to_vec();
        assert!(
            load_signer(&provider, &public).is_err(),
            "nothing stored yet"
        );
        provider
            .storage
            .apply(&[StorageOp::Put {
                kind: RecordKind::SignatureKey,
                key: public.clone(),
                value: pair.private_key().as_bytes().to_vec(),
            }])
            .unwrap();
        drop(provider);
        let (provider, _store) = open_provider(&dir).unwrap();
        let again = load_signer(&provider, &public).unwrap();
        assert_eq!(cohort::Signer::public_key(&again), &public[..]);
        // A record under another key than its own public key is refused.
        provider
            .storage
            .apply(&[StorageOp::Put {
                kind: RecordKind::SignatureKey,
                key: vec![1; 32],
                value: pair.private_key().as_bytes().to_vec(),
            }])
            .unwrap();
        assert!(load_signer(&provider, &[1; 32]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A client in memory with a fresh key.
    fn memory_client(
        name: &str,
        config: ClientConfig,
    ) -> Client<ProviderBundle<RustCrypto, RustCrypto, cohort_memory_storage::MemoryStorage>> {
        let provider = ProviderBundle::new(
            RustCrypto::new(),
            RustCrypto::new(),
            cohort_memory_storage::MemoryStorage::new(),
        );
        let signer = SignatureKeyPair::generate(
            RustCrypto::new(),
            SignatureScheme::ED25519,
            &RustCrypto::new(),
        )
        .unwrap();
        Client::new(provider, name, signer, Credential::basic(name), config).unwrap()
    }

    #[test]
    fn the_group_name_travels_in_the_group_context_to_joiners() {
        // Two clients in memory (no server): the creator's name extension
        // reaches the joiner's staged Welcome.
        let client = |name: &str| memory_client(name, client_config());
        let (alice, bob) = (client("alice"), client("bob"));
        let mut extensions = Extensions::new();
        extensions.push_encoded(GROUP_NAME_EXTENSION, b"team".to_vec());
        let mut a = alice
            .create_group_with(CreateOptions {
                group_id: None,
                extensions,
            })
            .unwrap();
        let MlsMessageBody::KeyPackage(kp) = bob.generate_key_package().unwrap().body else {
            panic!("not a KeyPackage")
        };
        let out = a.commit(a.commit_builder().add_member(kp)).unwrap();
        a.merge_pending_commit().unwrap();
        let staged = bob
            .stage_welcome(&out.welcome.unwrap(), JoinOptions::default())
            .unwrap();
        let name = staged.extensions().find(GROUP_NAME_EXTENSION).unwrap();
        assert_eq!(name.extension_data.0, b"team");
        let mut b = bob.join(staged).unwrap();
        // Bob's own leave request (a SelfRemove: both list it), committed
        // by alice, removes him.
        let proposal = b.propose_self_remove().unwrap();
        assert!(matches!(
            a.process(&proposal).unwrap(),
            ProcessedMessage::Proposal { proposal, .. } if matches!(*proposal, Proposal::SelfRemove(_))
        ));
        let commit = a.commit(a.commit_builder()).unwrap();
        a.merge_pending_commit().unwrap();
        assert_eq!(a.roster().len(), 1);
        let ProcessedMessage::Commit(staged) = b.process(&commit.commit).unwrap() else {
            panic!("not a commit")
        };
        assert!(staged.removes_self());
        b.merge_staged_commit(*staged).unwrap();
        assert!(!b.is_active());

        // With a member that does not list SelfRemove, the leave falls
        // back to a Remove of one's own leaf: the error the fallback
        // matches.
        let mut config = client_config();
        config.capabilities.proposals.0.clear();
        let old = memory_client("old", config);
        let MlsMessageBody::KeyPackage(kp) = old.generate_key_package().unwrap().body else {
            panic!("not a KeyPackage")
        };
        a.commit(a.commit_builder().add_member(kp)).unwrap();
        a.merge_pending_commit().unwrap();
        assert!(matches!(
            a.propose_self_remove(),
            Err(cohort::Error::Misuse(
                MisuseError::NotSupportedByGroup { .. }
            ))
        ));
    }
}
