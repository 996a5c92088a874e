//! JavaScript bindings of Cohort (MLS, RFC 9420) for web pages and
//! Node.js, built for `wasm32-unknown-unknown` with `wasm-bindgen`.
//!
//! A [`CohortClient`] wraps a [`cohort::Client`] on the RustCrypto provider
//! and an in-memory storage; randomness comes from the platform
//! (`crypto.getRandomValues`). Every method that changes a group stores the
//! change before it returns, and [`CohortClient::export_state`] gives the
//! whole client (signature key, credential and every stored record) as one
//! `Uint8Array` that [`CohortClient::import_state`] turns back into a
//! client, so a page can keep it in IndexedDB. Messages, KeyPackages and
//! Welcomes go in and out as `Uint8Array`s of encoded MLSMessages; errors
//! are thrown as JavaScript `Error`s whose message names the check that
//! failed.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod state;

use cohort::framing::{MlsMessage, MlsMessageBody, Sender};
use cohort::group::{Clock, GroupConfig, Member, ProcessedMessage};
use cohort::messages::Credential;
use cohort::traits::ProviderBundle;
use cohort::{Ciphersuite, Client, ClientConfig, ClientGroup, JoinOptions, LeafIndex};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::RustCrypto;
use cohort_traits::Storage;
use js_sys::{Array, Object, Reflect, Uint8Array};
use state::Identity;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// The provider of every client: RustCrypto for crypto and randomness, an
/// exportable in-memory storage.
type WebProvider = ProviderBundle<RustCrypto, RustCrypto, MemoryStorage>;

/// The default cipher suite: MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.
const DEFAULT_SUITE: u16 = 0x0001;

/// What failed, as thrown to JavaScript (each variant's message names the
/// step or check).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The MLS library refused: the operation and its error.
    #[error("{0}: {1}")]
    Mls(&'static str, cohort::Error),
    /// A cipher suite the provider does not support.
    #[error("unsupported cipher suite {0:#06x}")]
    UnsupportedCiphersuite(u16),
    /// No group of that id.
    #[error("no group with this id")]
    UnknownGroup,
    /// Bytes that hold another kind of MLSMessage than the one expected.
    #[error("expected a {0} message")]
    UnexpectedMessage(&'static str),
    /// The storage snapshot could not be written or read.
    #[error("client state: {0}")]
    Snapshot(#[from] cohort_memory_storage::SnapshotError),
    /// The storage failed.
    #[error("client state: storage: {0}")]
    Storage(String),
    /// The state holds no client identity record, or several.
    #[error("client state: {0} identity records, expected 1")]
    IdentityCount(usize),
    /// An identity record of a version this build does not read.
    #[error("client state: unsupported identity record version {0}")]
    IdentityVersion(u16),
    /// A field of the identity record that does not decode.
    #[error("client state: identity record field {0} malformed")]
    IdentityField(&'static str),
    /// The stored private key does not give the public key it is filed
    /// under.
    #[error("client state: signature key does not match its record")]
    SignatureKeyMismatch,
    /// A number beyond JavaScript's safe integers.
    #[error("{0} exceeds Number.MAX_SAFE_INTEGER")]
    NumberTooLarge(&'static str),
}

impl From<Error> for JsValue {
    /// A JavaScript `Error` carrying the message.
    fn from(e: Error) -> JsValue {
        JsError::new(&e.to_string()).into()
    }
}

/// Attaches the operation's name to a library error.
fn mls<T>(op: &'static str, r: Result<T, cohort::Error>) -> Result<T, Error> {
    r.map_err(|e| Error::Mls(op, e))
}

/// A `u64` as a JavaScript number, refused beyond 2^53 - 1.
fn js_u64(value: u64, what: &'static str) -> Result<f64, Error> {
    const MAX_SAFE: u64 = (1 << 53) - 1;
    if value > MAX_SAFE {
        return Err(Error::NumberTooLarge(what));
    }
    // Exact: at most 53 bits.
    #[allow(clippy::cast_precision_loss)]
    Ok(value as f64)
}

/// Sets `obj[key] = value` on a plain object (which cannot refuse it).
fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// The identity of a basic credential, as bytes; `undefined` for others.
fn identity_value(credential: &Credential) -> JsValue {
    match credential {
        Credential::Basic { identity } => Uint8Array::from(identity.as_ref()).into(),
        _ => JsValue::UNDEFINED,
    }
}

/// A member as `{ index, identity, credentialType, signatureKey }`.
fn member_object(m: &Member) -> Object {
    let obj = Object::new();
    set(&obj, "index", m.index.0);
    set(&obj, "identity", identity_value(&m.credential));
    set(&obj, "credentialType", m.credential.credential_type().0);
    set(
        &obj,
        "signatureKey",
        Uint8Array::from(m.signature_key.as_slice()),
    );
    obj
}

/// Members as an array of [`member_object`]s.
fn roster_array(members: &[Member]) -> Array {
    members.iter().map(member_object).collect()
}

/// Sets `sender` (a leaf index, for members) and `senderType`.
fn set_sender(obj: &Object, sender: Sender) {
    let (kind, index) = match sender {
        Sender::Member(i) => ("member", Some(i)),
        Sender::External(i) => ("external", Some(i)),
        Sender::NewMemberProposal => ("new_member_proposal", None),
        Sender::NewMemberCommit => ("new_member_commit", None),
    };
    set(obj, "senderType", kind);
    set(
        obj,
        "sender",
        index.map_or(JsValue::UNDEFINED, JsValue::from),
    );
}

/// Leaf indices as a JavaScript array of numbers.
fn indices(leaves: impl Iterator<Item = LeafIndex>) -> Array {
    leaves.map(|l| JsValue::from(l.0)).collect()
}

/// Processes `message` in `group` and describes it (see
/// [`CohortClient::process`]); a commit is merged.
fn process_into(group: &mut GroupOf<'_>, message: &[u8]) -> Result<Object, Error> {
    let obj = Object::new();
    match mls("process", group.process_bytes(message))? {
        ProcessedMessage::Application {
            sender,
            credential,
            epoch,
            generation,
            data,
            authenticated_data,
        } => {
            set(&obj, "type", "application");
            set_sender(&obj, Sender::Member(sender.0));
            set(&obj, "identity", identity_value(&credential));
            set(&obj, "epoch", js_u64(epoch, "epoch")?);
            set(&obj, "generation", generation);
            set(&obj, "data", Uint8Array::from(data.as_slice()));
            set(
                &obj,
                "authenticatedData",
                Uint8Array::from(authenticated_data.as_slice()),
            );
        }
        ProcessedMessage::Proposal {
            sender,
            proposal,
            reference,
        } => {
            set(&obj, "type", "proposal");
            set_sender(&obj, sender);
            set(&obj, "proposalType", proposal.proposal_type().0);
            set(&obj, "reference", Uint8Array::from(reference.as_slice()));
        }
        ProcessedMessage::Commit(staged) => {
            set(&obj, "type", "commit");
            set_sender(&obj, staged.sender());
            set(&obj, "added", indices(staged.added().iter().map(|a| a.0)));
            set(
                &obj,
                "removed",
                indices(staged.removed().iter().map(|r| r.0)),
            );
            mls("merge commit", group.merge_staged_commit(*staged))?;
            set(&obj, "epoch", js_u64(group.epoch(), "epoch")?);
            set(&obj, "active", group.is_active());
        }
    }
    Ok(obj)
}

/// The platform's clock (JavaScript's `Date.now()` in WebAssembly), so
/// KeyPackages carry a lifetime and received ones are checked against it
/// (RFC 9420 section 7.2; C-LN-14, C-LN-15).
struct PlatformClock;

impl Clock for PlatformClock {
    fn now(&self) -> u64 {
        #[cfg(target_arch = "wasm32")]
        {
            // Milliseconds since the Unix epoch, as a float; a negative or
            // NaN reading saturates to 0.
            (js_sys::Date::now() / 1000.0) as u64
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            cohort::group::SystemClock.now()
        }
    }
}

/// The client, shared with the groups it has open.
type SharedClient = Rc<Client<WebProvider>>;
/// A group of the client.
type GroupOf<'c> = ClientGroup<'c, WebProvider>;

self_cell::self_cell!(
    /// A loaded group kept beside the client it borrows.
    struct OpenGroup {
        owner: SharedClient,
        #[covariant]
        dependent: GroupOf,
    }
);

/// An MLS client in WebAssembly: its signing identity, its KeyPackages and
/// every group it is in.
///
/// Groups stay open in memory once loaded (every change is still stored
/// by the call that makes it): loading a group for each call would decode
/// its whole state every time and restart its sender ratchets at their
/// stored reservation, skipping a block of generations per message.
#[wasm_bindgen]
pub struct CohortClient {
    client: SharedClient,
    groups: RefCell<BTreeMap<Vec<u8>, OpenGroup>>,
}

impl CohortClient {
    /// A client on `storage` from its identity (the storage must hold the
    /// identity's record, or get it from the caller).
    fn open(storage: MemoryStorage, identity: &Identity) -> Result<Self, Error> {
        let suite = identity.ciphersuite;
        let params = suite
            .params()
            .ok_or(Error::UnsupportedCiphersuite(suite.0))?;
        let signer = mls(
            "restore signature key",
            SignatureKeyPair::from_private_key(
                RustCrypto::new(),
                params.signature,
                identity.private_key.clone(),
            )
            .map_err(cohort::Error::from),
        )?;
        if cohort_traits::Signer::public_key(&signer) != identity.public_key.as_slice() {
            return Err(Error::SignatureKeyMismatch);
        }
        let provider = ProviderBundle::new(RustCrypto::new(), RustCrypto::new(), storage);
        let config = ClientConfig {
            ciphersuite: suite,
            group: GroupConfig::default().with_clock(PlatformClock),
            ..ClientConfig::default()
        };
        let client = mls(
            "create client",
            Client::new(
                provider,
                identity.id.clone(),
                signer,
                identity.credential.clone(),
                config,
            ),
        )?;
        Ok(CohortClient {
            client: Rc::new(client),
            groups: RefCell::new(BTreeMap::new()),
        })
    }

    /// Runs `f` on group `group_id`, loading it from storage at its first
    /// use.
    fn with_group<T>(
        &self,
        group_id: &[u8],
        f: impl FnOnce(&mut GroupOf<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut groups = self.groups.borrow_mut();
        if !groups.contains_key(group_id) {
            let open = OpenGroup::try_new(self.client.clone(), |c| {
                mls("load group", c.load_group(group_id))?.ok_or(Error::UnknownGroup)
            })?;
            groups.insert(group_id.to_vec(), open);
        }
        let open = groups.get_mut(group_id).ok_or(Error::UnknownGroup)?;
        open.with_dependent_mut(|_, group| f(group))
    }

    /// Keeps a group just created or joined open; returns its id.
    fn open_new(
        &self,
        make: impl for<'c> FnOnce(&'c SharedClient) -> Result<GroupOf<'c>, Error>,
    ) -> Result<Vec<u8>, Error> {
        let open = OpenGroup::try_new(self.client.clone(), make)?;
        let id = open.borrow_dependent().group_id().to_vec();
        self.groups.borrow_mut().insert(id.clone(), open);
        Ok(id)
    }

    /// Decodes an MLSMessage received from outside, within the size limit.
    fn decode(&self, bytes: &[u8]) -> Result<MlsMessage, Error> {
        mls(
            "decode message",
            self.client
                .config()
                .group
                .limits
                .check_message_size(bytes.len()),
        )?;
        mls("decode message", cohort::codec::decode_exact(bytes))
    }

    /// Builds and stores a commit; `{ commit, welcome }` (the Welcome is
    /// `undefined` when nobody is added).
    fn commit_with(
        &self,
        group_id: &[u8],
        add: &[Uint8Array],
        remove: &[u32],
        force_path: bool,
    ) -> Result<Object, Error> {
        let mut key_packages = Vec::with_capacity(add.len());
        for kp in add {
            let MlsMessageBody::KeyPackage(kp) = self.decode(&kp.to_vec())?.body else {
                return Err(Error::UnexpectedMessage("KeyPackage"));
            };
            key_packages.push(kp);
        }
        let out = self.with_group(group_id, |group| {
            let mut builder = group.commit_builder().force_path(force_path);
            for kp in key_packages {
                builder = builder.add_member(kp);
            }
            for &leaf in remove {
                builder = builder.remove_member(LeafIndex(leaf));
            }
            mls("commit", group.commit(builder))
        })?;
        let commit = mls("encode commit", cohort::codec::encode(&out.commit))?;
        let obj = Object::new();
        set(&obj, "commit", Uint8Array::from(commit.as_slice()));
        let welcome = match &out.welcome {
            Some(w) => {
                Uint8Array::from(mls("encode welcome", cohort::codec::encode(w))?.as_slice()).into()
            }
            None => JsValue::UNDEFINED,
        };
        set(&obj, "welcome", welcome);
        Ok(obj)
    }
}

#[wasm_bindgen]
impl CohortClient {
    /// A new client named `identity` (its basic credential and its id in
    /// storage), with a fresh signature key, in cipher suite `ciphersuite`
    /// (0x0001, X25519 + AES-128-GCM + Ed25519, by default).
    #[wasm_bindgen(constructor)]
    pub fn new(identity: &str, ciphersuite: Option<u16>) -> Result<CohortClient, Error> {
        let suite = Ciphersuite(ciphersuite.unwrap_or(DEFAULT_SUITE));
        let params = suite
            .params()
            .ok_or(Error::UnsupportedCiphersuite(suite.0))?;
        let crypto = RustCrypto::new();
        let signer = mls(
            "generate signature key",
            SignatureKeyPair::generate(crypto, params.signature, &crypto)
                .map_err(cohort::Error::from),
        )?;
        let identity = Identity {
            ciphersuite: suite,
            id: identity.as_bytes().to_vec(),
            public_key: cohort_traits::Signer::public_key(&signer).to_vec(),
            private_key: signer.private_key().clone(),
            credential: Credential::basic(identity.as_bytes()),
        };
        let storage = MemoryStorage::new();
        storage
            .apply(&[identity.record()?])
            .map_err(|e| Error::Storage(e.to_string()))?;
        Self::open(storage, &identity)
    }

    /// The whole client (signature key, credential, KeyPackages, groups and
    /// their secrets) as one byte string for [`CohortClient::import_state`].
    /// It holds private keys: keep it as secret as the client.
    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(&self) -> Result<Vec<u8>, Error> {
        Ok(self.client.provider().storage.export()?)
    }

    /// A client from a state made by [`CohortClient::export_state`].
    ///
    /// Errors name the part that failed: the snapshot (truncated, bad
    /// magic, unknown version or record kind, duplicate record, trailing
    /// bytes), the identity record, or a key that does not match.
    #[wasm_bindgen(js_name = importState)]
    pub fn import_state(state: &[u8]) -> Result<CohortClient, Error> {
        let storage = MemoryStorage::import(state)?;
        let identity = Identity::load(&storage)?;
        Self::open(storage, &identity)
    }

    /// The identity of its basic credential.
    #[wasm_bindgen(getter)]
    pub fn identity(&self) -> JsValue {
        identity_value(self.client.credential())
    }

    /// Its signature public key.
    #[wasm_bindgen(getter, js_name = signatureKey)]
    pub fn signature_key(&self) -> Vec<u8> {
        self.client.signature_key().to_vec()
    }

    /// Its cipher suite.
    #[wasm_bindgen(getter)]
    pub fn ciphersuite(&self) -> u16 {
        self.client.config().ciphersuite.0
    }

    /// A fresh KeyPackage (an encoded MLSMessage) to publish; its private
    /// keys are stored until a Welcome uses them.
    #[wasm_bindgen(js_name = generateKeyPackage)]
    pub fn generate_key_package(&self) -> Result<Vec<u8>, Error> {
        let kp = mls("generate KeyPackage", self.client.generate_key_package())?;
        mls("encode KeyPackage", cohort::codec::encode(&kp))
    }

    /// Creates a group with this client its only member; returns its id (a
    /// fresh random one unless `group_id` is given).
    #[wasm_bindgen(js_name = createGroup)]
    pub fn create_group(&self, group_id: Option<Vec<u8>>) -> Result<Vec<u8>, Error> {
        let options = cohort::CreateOptions {
            group_id,
            ..Default::default()
        };
        self.open_new(|c| mls("create group", c.create_group_with(options)))
    }

    /// Checks and decrypts a Welcome without joining, to inspect who the
    /// group is and who added this client; `ratchetTree` when the Welcome
    /// does not carry the tree.
    #[wasm_bindgen(js_name = stageWelcome)]
    pub fn stage_welcome(
        &self,
        welcome: &[u8],
        ratchet_tree: Option<Vec<u8>>,
    ) -> Result<StagedWelcome, Error> {
        let msg = self.decode(welcome)?;
        let options = JoinOptions {
            ratchet_tree: ratchet_tree.map(cohort::ExportedTree::from_bytes),
            ..Default::default()
        };
        let inner = mls("stage Welcome", self.client.stage_welcome(&msg, options))?;
        Ok(StagedWelcome { inner })
    }

    /// Joins a staged Welcome (the JavaScript object is used up); returns
    /// the group id.
    pub fn join(&self, staged: StagedWelcome) -> Result<Vec<u8>, Error> {
        self.open_new(|c| mls("join", c.join(staged.inner)))
    }

    /// Stages and joins a Welcome in one step; returns the group id.
    #[wasm_bindgen(js_name = joinWelcome)]
    pub fn join_welcome(
        &self,
        welcome: &[u8],
        ratchet_tree: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, Error> {
        let staged = self.stage_welcome(welcome, ratchet_tree)?;
        self.join(staged)
    }

    /// Commits: adds the clients of `add` (KeyPackage messages), removes
    /// the members at the leaves of `remove`, with a fresh path of this
    /// member's keys when `forcePath` (always, when the commit needs one).
    /// The commit is pending: send `{ commit, welcome }` (the Welcome only
    /// when someone is added), then merge it
    /// ([`CohortClient::merge_pending_commit`], or by processing its echo).
    pub fn commit(
        &self,
        group_id: &[u8],
        add: Vec<Uint8Array>,
        remove: &[u32],
        force_path: bool,
    ) -> Result<Object, Error> {
        self.commit_with(group_id, &add, remove, force_path)
    }

    /// A commit adding the clients of `keyPackages`; `{ commit, welcome }`.
    #[wasm_bindgen(js_name = addMembers)]
    pub fn add_members(
        &self,
        group_id: &[u8],
        key_packages: Vec<Uint8Array>,
    ) -> Result<Object, Error> {
        self.commit_with(group_id, &key_packages, &[], false)
    }

    /// A commit removing the members at `leaves`; `{ commit }`.
    #[wasm_bindgen(js_name = removeMembers)]
    pub fn remove_members(&self, group_id: &[u8], leaves: &[u32]) -> Result<Object, Error> {
        self.commit_with(group_id, &[], leaves, false)
    }

    /// A commit renewing this member's keys (an update path); `{ commit }`.
    #[wasm_bindgen(js_name = selfUpdate)]
    pub fn self_update(&self, group_id: &[u8]) -> Result<Object, Error> {
        self.commit_with(group_id, &[], &[], true)
    }

    /// Merges this client's pending commit; returns the new epoch.
    #[wasm_bindgen(js_name = mergePendingCommit)]
    pub fn merge_pending_commit(&self, group_id: &[u8]) -> Result<f64, Error> {
        self.with_group(group_id, |group| {
            mls("merge pending commit", group.merge_pending_commit())?;
            js_u64(group.epoch(), "epoch")
        })
    }

    /// Drops this client's pending commit (another commit won the epoch).
    #[wasm_bindgen(js_name = clearPendingCommit)]
    pub fn clear_pending_commit(&self, group_id: &[u8]) -> Result<(), Error> {
        self.with_group(group_id, |group| {
            mls("clear pending commit", group.clear_pending_commit())
        })
    }

    /// Proposes a fresh leaf key for this member (an Update proposal
    /// message to send).
    #[wasm_bindgen(js_name = proposeSelfUpdate)]
    pub fn propose_self_update(&self, group_id: &[u8]) -> Result<Vec<u8>, Error> {
        let msg = self.with_group(group_id, |group| {
            mls("propose update", group.propose_self_update())
        })?;
        mls("encode proposal", cohort::codec::encode(&msg))
    }

    /// Proposes removing the member at `leaf` (a Remove proposal message).
    #[wasm_bindgen(js_name = proposeRemove)]
    pub fn propose_remove(&self, group_id: &[u8], leaf: u32) -> Result<Vec<u8>, Error> {
        let msg = self.with_group(group_id, |group| {
            mls("propose remove", group.propose_remove(LeafIndex(leaf)))
        })?;
        mls("encode proposal", cohort::codec::encode(&msg))
    }

    /// Encrypts application data (with optional authenticated data) into a
    /// PrivateMessage to send.
    pub fn encrypt(
        &self,
        group_id: &[u8],
        data: &[u8],
        authenticated_data: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, Error> {
        let aad = authenticated_data.unwrap_or_default();
        let msg = self.with_group(group_id, |group| mls("encrypt", group.encrypt(data, &aad)))?;
        mls("encode message", cohort::codec::encode(&msg))
    }

    /// Processes a message received for the group and says what it was:
    ///
    /// - `{ type: "application", sender, senderType, identity, epoch,
    ///   data, authenticatedData }`;
    /// - `{ type: "proposal", sender, senderType, proposalType, reference }`
    ///   (kept for the next commit);
    /// - `{ type: "commit", sender, senderType, epoch, added, removed,
    ///   active }`: the commit is checked and applied (merged), `epoch` is
    ///   the new one; `active` is false when it removed this member.
    ///
    /// Errors name the check the message failed; the group is unchanged.
    pub fn process(&self, group_id: &[u8], message: &[u8]) -> Result<Object, Error> {
        self.with_group(group_id, |group| process_into(group, message))
    }

    /// The members: `[{ index, identity, credentialType, signatureKey }]`.
    pub fn roster(&self, group_id: &[u8]) -> Result<Array, Error> {
        self.with_group(group_id, |group| Ok(roster_array(&group.roster())))
    }

    /// The current epoch.
    pub fn epoch(&self, group_id: &[u8]) -> Result<f64, Error> {
        self.with_group(group_id, |group| js_u64(group.epoch(), "epoch"))
    }

    /// The epoch authenticator (RFC 9420 section 8.7): equal for every
    /// member in the same epoch.
    #[wasm_bindgen(js_name = epochAuthenticator)]
    pub fn epoch_authenticator(&self, group_id: &[u8]) -> Result<Vec<u8>, Error> {
        self.with_group(group_id, |group| Ok(group.epoch_authenticator().to_vec()))
    }

    /// This member's leaf index.
    #[wasm_bindgen(js_name = ownIndex)]
    pub fn own_index(&self, group_id: &[u8]) -> Result<u32, Error> {
        self.with_group(group_id, |group| Ok(group.own_index().0))
    }

    /// Whether this client is still a member (false once removed).
    #[wasm_bindgen(js_name = isActive)]
    pub fn is_active(&self, group_id: &[u8]) -> Result<bool, Error> {
        self.with_group(group_id, |group| Ok(group.is_active()))
    }

    /// A secret of `length` bytes exported from the current epoch (RFC
    /// 9420 section 8.5, MLS-Exporter).
    #[wasm_bindgen(js_name = exportSecret)]
    pub fn export_secret(
        &self,
        group_id: &[u8],
        label: &str,
        context: &[u8],
        length: u16,
    ) -> Result<Vec<u8>, Error> {
        self.with_group(group_id, |group| {
            let secret = mls(
                "export secret",
                group.export_secret(label.as_bytes(), context, length),
            )?;
            Ok(secret.as_bytes().to_vec())
        })
    }

    /// The ids of this client's groups, in byte order.
    #[wasm_bindgen(js_name = groupIds)]
    pub fn group_ids(&self) -> Result<Array, Error> {
        let ids = mls("list groups", self.client.group_ids())?;
        Ok(ids
            .iter()
            .map(|id| JsValue::from(Uint8Array::from(id.as_slice())))
            .collect())
    }

    /// Deletes every record of group `groupId` (after leaving it).
    #[wasm_bindgen(js_name = deleteGroup)]
    pub fn delete_group(&self, group_id: &[u8]) -> Result<(), Error> {
        self.groups.borrow_mut().remove(group_id);
        mls("delete group", self.client.delete_group(group_id))
    }
}

/// A Welcome checked and decrypted, not joined yet: inspect it, then pass
/// it to [`CohortClient::join`].
#[wasm_bindgen]
pub struct StagedWelcome {
    inner: cohort::StagedWelcome,
}

#[wasm_bindgen]
impl StagedWelcome {
    /// The group id.
    #[wasm_bindgen(getter, js_name = groupId)]
    pub fn group_id(&self) -> Vec<u8> {
        self.inner.group_id().to_vec()
    }

    /// The epoch it joins.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> Result<f64, Error> {
        js_u64(self.inner.epoch(), "epoch")
    }

    /// The cipher suite.
    #[wasm_bindgen(getter)]
    pub fn ciphersuite(&self) -> u16 {
        self.inner.ciphersuite().0
    }

    /// This client's leaf in the group.
    #[wasm_bindgen(getter, js_name = ownIndex)]
    pub fn own_index(&self) -> u32 {
        self.inner.own_index().0
    }

    /// The members, this client included (as [`CohortClient::roster`]).
    pub fn roster(&self) -> Array {
        roster_array(&self.inner.roster())
    }

    /// The member who added this client, or `undefined`.
    #[wasm_bindgen(js_name = addedBy)]
    pub fn added_by(&self) -> JsValue {
        self.inner
            .added_by()
            .map_or(JsValue::UNDEFINED, |m| member_object(&m).into())
    }
}
