//! [`MlsClient`]: a member's identity on one database.

use crate::CohortError;
use crate::error::hex;
use crate::group::{MlsGroup, ProcessedMessage, StagedWelcome, decode_message, process_in};
use crate::signer::load_or_create;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{GroupConfig, SystemClock};
use cohort::traits::ProviderBundle;
use cohort::{Ciphersuite, Client, ClientConfig, ClientGroup, JoinOptions};
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::RustCrypto;
use cohort_sqlite_storage::SqliteStorage;
use cohort_traits::{Signer, Storage};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The provider of every client: RustCrypto for primitives and randomness,
/// SQLite or memory for storage.
pub(crate) type FfiProvider = ProviderBundle<RustCrypto, RustCrypto, Box<dyn Storage>>;

/// The cipher suite of [`MlsClient::open`] and [`MlsClient::in_memory`]:
/// MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.
const DEFAULT_CIPHERSUITE: u16 = 0x0001;

/// The group a PublicMessage or PrivateMessage is for.
fn group_id_of(message: &MlsMessage) -> Result<Vec<u8>, CohortError> {
    match &message.body {
        MlsMessageBody::PublicMessage(m) => Ok(m.content.group_id.as_slice().to_vec()),
        MlsMessageBody::PrivateMessage(m) => Ok(m.group_id.as_slice().to_vec()),
        _ => Err(CohortError::Misuse(
            "expected a PublicMessage or PrivateMessage".into(),
        )),
    }
}

type SharedClient = Arc<Client<FfiProvider>>;
type GroupOf<'c> = ClientGroup<'c, FfiProvider>;

self_cell::self_cell!(
    /// A group of the client, loaded, beside the client it borrows.
    struct OpenGroup {
        owner: SharedClient,
        #[covariant]
        dependent: GroupOf,
    }
);

/// An open client and the groups it has loaded.
///
/// A loaded group stays in memory: reloading it for every call would
/// restart its sender ratchets at their stored reservation each time
/// (skipping up to a block of generations per message).
struct State {
    client: SharedClient,
    groups: HashMap<Vec<u8>, OpenGroup>,
}

impl State {
    /// Keeps `group` open and returns its id.
    fn keep(&mut self, group: OpenGroup) -> Vec<u8> {
        let id = group.borrow_dependent().group_id().to_vec();
        self.groups.insert(id.clone(), group);
        id
    }

    /// Opens a new group made by `make` (a create or a join).
    fn open_new(
        &mut self,
        make: impl for<'c> FnOnce(&'c SharedClient) -> Result<GroupOf<'c>, cohort::Error>,
    ) -> Result<Vec<u8>, CohortError> {
        let group = OpenGroup::try_new(self.client.clone(), |c| make(c))?;
        Ok(self.keep(group))
    }

    /// The open group `group_id`, loaded from storage at its first use.
    fn group(&mut self, group_id: &[u8]) -> Result<&mut OpenGroup, CohortError> {
        if !self.groups.contains_key(group_id) {
            let group = OpenGroup::try_new(self.client.clone(), |c| {
                c.load_group(group_id)?
                    .ok_or_else(|| CohortError::UnknownGroup(hex(group_id)))
            })?;
            self.groups.insert(group_id.to_vec(), group);
        }
        self.groups
            .get_mut(group_id)
            .ok_or_else(|| CohortError::Internal("an open group went missing".into()))
    }
}

/// The client behind its lock, shared by the client object and its
/// groups and staged Welcomes; `None` once closed.
pub(crate) struct Shared {
    state: Mutex<Option<State>>,
}

impl Shared {
    /// Runs `f` on the open state, holding the lock.
    fn with_state<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, CohortError>,
    ) -> Result<T, CohortError> {
        // A panic cannot leave a group half-changed in memory: every call
        // of a group either completes or leaves it as stored.
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(guard.as_mut().ok_or(CohortError::Closed)?)
    }

    /// Runs `f` on the client, holding the lock.
    pub(crate) fn with_client<T>(
        &self,
        f: impl FnOnce(&Client<FfiProvider>) -> Result<T, CohortError>,
    ) -> Result<T, CohortError> {
        self.with_state(|state| f(&state.client))
    }

    /// Runs `f` on the group `group_id`, holding the lock.
    pub(crate) fn with_group<T>(
        &self,
        group_id: &[u8],
        f: impl FnOnce(&mut ClientGroup<'_, FfiProvider>) -> Result<T, CohortError>,
    ) -> Result<T, CohortError> {
        self.with_state(|state| state.group(group_id)?.with_dependent_mut(|_, g| f(g)))
    }

    /// Opens a new group made by `make` and returns its id.
    pub(crate) fn open_new(
        &self,
        make: impl for<'c> FnOnce(&'c SharedClient) -> Result<GroupOf<'c>, cohort::Error>,
    ) -> Result<Vec<u8>, CohortError> {
        self.with_state(|state| state.open_new(make))
    }

    fn close(&self) {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        *guard = None;
    }
}

/// A member's identity and its groups, on a SQLite database or in memory.
///
/// Its signature key pair and basic credential (naming `identity`) are
/// made at the first open of the identity and stored in the database,
/// so opening the same database with the same identity again restores the
/// same client with its groups.
#[derive(uniffi::Object)]
pub struct MlsClient {
    shared: Arc<Shared>,
    identity: Vec<u8>,
    ciphersuite: u16,
    signature_key: Vec<u8>,
}

impl core::fmt::Debug for MlsClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MlsClient")
            .field("identity", &self.identity)
            .field("ciphersuite", &self.ciphersuite)
            .finish_non_exhaustive()
    }
}

impl MlsClient {
    fn with_storage(
        identity: Vec<u8>,
        storage: Box<dyn Storage>,
        ciphersuite: u16,
    ) -> Result<Arc<Self>, CohortError> {
        let suite = Ciphersuite(ciphersuite);
        let signer = load_or_create(&*storage, &identity, suite)?;
        let signature_key = signer.key_pair.public_key().to_vec();
        let provider = ProviderBundle::new(RustCrypto::new(), RustCrypto::new(), storage);
        let config = ClientConfig {
            ciphersuite: suite,
            group: GroupConfig::default().with_clock(SystemClock),
            ..ClientConfig::default()
        };
        let client = Client::new(
            provider,
            identity.clone(),
            signer.key_pair,
            signer.credential,
            config,
        )?;
        Ok(Arc::new(MlsClient {
            shared: Arc::new(Shared {
                state: Mutex::new(Some(State {
                    client: Arc::new(client),
                    groups: HashMap::new(),
                })),
            }),
            identity,
            ciphersuite,
            signature_key,
        }))
    }

    fn group(&self, group_id: Vec<u8>) -> Arc<MlsGroup> {
        Arc::new(MlsGroup::new(self.shared.clone(), group_id))
    }
}

#[uniffi::export]
impl MlsClient {
    /// The client of `identity` on the SQLite database at `database_path`
    /// (created if needed), with cipher suite 0x0001: restored when the
    /// database holds it, made and stored otherwise.
    #[uniffi::constructor]
    pub fn open(identity: Vec<u8>, database_path: String) -> Result<Arc<Self>, CohortError> {
        Self::open_with_ciphersuite(identity, Some(database_path), DEFAULT_CIPHERSUITE)
    }

    /// A client of `identity` in memory (gone when closed), with cipher
    /// suite 0x0001.
    #[uniffi::constructor]
    pub fn in_memory(identity: Vec<u8>) -> Result<Arc<Self>, CohortError> {
        Self::open_with_ciphersuite(identity, None, DEFAULT_CIPHERSUITE)
    }

    /// [`MlsClient::open`] (or [`MlsClient::in_memory`] without a path)
    /// with another of RFC 9420's cipher suites.
    ///
    /// Errors: [`CohortError::InvalidArgument`] for an unknown suite;
    /// [`CohortError::Misuse`] when the database holds this identity with
    /// another suite; [`CohortError::Storage`] when the database cannot be
    /// opened.
    #[uniffi::constructor]
    pub fn open_with_ciphersuite(
        identity: Vec<u8>,
        database_path: Option<String>,
        ciphersuite: u16,
    ) -> Result<Arc<Self>, CohortError> {
        let storage: Box<dyn Storage> = match database_path {
            Some(path) => Box::new(SqliteStorage::open(path)?),
            None => Box::new(MemoryStorage::new()),
        };
        Self::with_storage(identity, storage, ciphersuite)
    }

    /// The identity its credential names.
    pub fn identity(&self) -> Vec<u8> {
        self.identity.clone()
    }

    /// Its cipher suite.
    pub fn ciphersuite(&self) -> u16 {
        self.ciphersuite
    }

    /// Its signature public key.
    pub fn signature_public_key(&self) -> Vec<u8> {
        self.signature_key.clone()
    }

    /// A fresh KeyPackage (an encoded MLSMessage) to publish; its private
    /// keys are stored until a Welcome uses them.
    pub fn generate_key_package(&self) -> Result<Vec<u8>, CohortError> {
        self.shared
            .with_client(|c| Ok(cohort::codec::encode(&c.generate_key_package()?)?))
    }

    /// Creates a group with a fresh random id, this client its only member.
    pub fn create_group(&self) -> Result<Arc<MlsGroup>, CohortError> {
        let id = self.shared.open_new(|c| c.create_group())?;
        Ok(self.group(id))
    }

    /// Creates a group with id `group_id`.
    ///
    /// Errors: [`CohortError::Validation`] when this client already has a
    /// group of that id.
    pub fn create_group_with_id(&self, group_id: Vec<u8>) -> Result<Arc<MlsGroup>, CohortError> {
        let options = cohort::CreateOptions {
            group_id: Some(group_id),
            ..Default::default()
        };
        let id = self.shared.open_new(|c| c.create_group_with(options))?;
        Ok(self.group(id))
    }

    /// Checks and decrypts a Welcome (an encoded MLSMessage) addressed to
    /// one of this client's KeyPackages, without joining yet.
    ///
    /// Errors: [`CohortError::Malformed`] for bytes that do not decode;
    /// [`CohortError::Misuse`] for another kind of message;
    /// [`CohortError::Validation`] when it names none of this client's
    /// KeyPackages or fails a check of RFC 9420.
    pub fn stage_welcome(&self, welcome: Vec<u8>) -> Result<Arc<StagedWelcome>, CohortError> {
        let staged = self.shared.with_client(|c| {
            let message = decode_message(&c.config().group.limits, &welcome)?;
            Ok(c.stage_welcome(&message, JoinOptions::default())?)
        })?;
        Ok(Arc::new(StagedWelcome::new(self.shared.clone(), staged)))
    }

    /// Stages and joins a Welcome in one call.
    pub fn join_welcome(&self, welcome: Vec<u8>) -> Result<Arc<MlsGroup>, CohortError> {
        self.stage_welcome(welcome)?.join()
    }

    /// The group `group_id`, or `None` when this client has none of that
    /// id.
    pub fn load_group(&self, group_id: Vec<u8>) -> Result<Option<Arc<MlsGroup>>, CohortError> {
        match self.shared.with_group(&group_id, |_| Ok(())) {
            Ok(()) => Ok(Some(self.group(group_id))),
            Err(CohortError::UnknownGroup(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The ids of this client's groups, in byte order.
    pub fn group_ids(&self) -> Result<Vec<Vec<u8>>, CohortError> {
        self.shared.with_client(|c| Ok(c.group_ids()?))
    }

    /// The id of the group a PublicMessage or PrivateMessage (encoded
    /// MLSMessage) is for.
    pub fn message_group_id(&self, message: Vec<u8>) -> Result<Vec<u8>, CohortError> {
        self.shared
            .with_client(|c| group_id_of(&decode_message(&c.config().group.limits, &message)?))
    }

    /// Processes a message (encoded MLSMessage) in the group it names,
    /// like [`MlsGroup::process`].
    ///
    /// Errors: [`CohortError::UnknownGroup`] when this client has no such
    /// group; those of [`MlsGroup::process`].
    pub fn process_message(&self, message: Vec<u8>) -> Result<ProcessedMessage, CohortError> {
        let (group_id, message) = self.shared.with_client(|c| {
            let message = decode_message(&c.config().group.limits, &message)?;
            Ok((group_id_of(&message)?, message))
        })?;
        self.shared
            .with_group(&group_id, |g| process_in(g, &message))
    }

    /// Closes the client and its database; every later call on it, its
    /// groups or its staged Welcomes fails with [`CohortError::Closed`].
    /// (Dropping every object closes it too.)
    pub fn close(&self) {
        self.shared.close();
    }
}
