//! The application's entry point: a [`Client`] holds the provider (crypto,
//! randomness, storage), the member's signing identity and its
//! configuration; it makes and stores KeyPackages, creates, joins, loads and
//! lists groups; and every state change of a [`ClientGroup`] is written to
//! storage by the call that makes it, in one batch, before the call returns
//! (see [`Group::save_changes_as`] for what each change writes).
//!
//! Concepts, for those who know other MLS libraries: a `Client` is like
//! mls-rs's `Client` (or OpenMLS's provider plus a signer and credential);
//! a [`ClientGroup`] is like OpenMLS's `MlsGroup`, with its own pending
//! commit ([`ClientGroup::commit`], then [`ClientGroup::merge_pending_commit`]
//! or the delivery service's echo) and other members' commits as a
//! [`StagedCommit`] to inspect and merge; [`StagedWelcome`] is OpenMLS's
//! staged welcome.

use crate::codec::{decode_exact, write_opaque};
use crate::crypto::SuiteCrypto;
use crate::framing::{MlsMessage, MlsMessageBody};
use crate::group::{
    CommitBuilder, CommitOutput, ExternalJoinOptions, Group, GroupConfig, KeyPackageBuilder,
    KeyPackageBundle, Member, OutOfBandTree, PendingCommit, ProcessedMessage, QueuedProposal,
    StagedCommit, group_state_key, key_package_key,
};
use crate::messages::{Add, Capabilities, Credential, Extensions, Lifetime, Proposal, Remove};
use crate::tree::math::LeafIndex;
use crate::{Error, MisuseError, ValidationError};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use cohort_traits::{Ciphersuite, Provider, RecordKind, Secret, Signer, Storage, StorageOp};

/// How a [`Client`] makes KeyPackages and groups.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The cipher suite of its KeyPackages and of the groups it creates.
    pub ciphersuite: Ciphersuite,
    /// The configuration of the groups it creates, joins and loads (the
    /// runtime hooks, such as the proposal policy and the clock, are
    /// installed on every group it loads).
    pub group: GroupConfig,
    /// What its KeyPackages and leaves list beyond what they need (see
    /// [`KeyPackageBuilder::capabilities`]); random GREASE values are added
    /// to what is sent when `group.grease` is on (the default; RFC 9420
    /// section 13.5), never to this list itself (C-GREASE-12).
    pub capabilities: Capabilities,
    /// How long its KeyPackages are valid, in seconds: the span from
    /// `not_before`, an hour before now (for peers' clock skew), to
    /// `not_after`, so a peer's maximum lifetime of the same value accepts
    /// them. Used when the group configuration has a clock; without one
    /// they carry no limit (the core reads no clock of its own).
    pub key_package_lifetime: u64,
    /// Application data its leaves and KeyPackages advertise in an
    /// `app_data_dictionary` leaf extension (MLS extensions draft), e.g.
    /// the `content_media_types` it can receive. Used when `capabilities`
    /// lists `app_data_dictionary`; the `app_components` entry is then
    /// filled in by the client: the draft's components it understands and
    /// those of `group.app`.
    pub app_data: crate::messages::AppDataDictionary,
    /// Further extensions its leaves and KeyPackages' leaves carry, such as
    /// RFC 9420's `application_id` or the extensions draft's
    /// `supported_wire_formats`. A non-default type must be listed in
    /// `capabilities` (RFC 9420 section 7.2; C-LN-13), and the
    /// `app_data_dictionary` comes from `app_data`, not from here: both are
    /// checked when the client is made.
    pub leaf_extensions: Extensions,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            ciphersuite: Ciphersuite(1),
            group: GroupConfig::default(),
            capabilities: Capabilities::default(),
            key_package_lifetime: 30 * 24 * 3600,
            app_data: crate::messages::AppDataDictionary::new(),
            leaf_extensions: Extensions::new(),
        }
    }
}

/// A member's identity and state in every group it is in, on one storage.
///
/// Several clients may share one storage: each stores its records under
/// its own id.
pub struct Client<P: Provider> {
    provider: P,
    id: Vec<u8>,
    signer: Box<dyn Signer>,
    credential: Credential,
    config: ClientConfig,
}

impl<P: Provider> core::fmt::Debug for Client<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("credential", &self.credential)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Options of a group a [`Client`] creates.
#[derive(Clone, Debug, Default)]
pub struct CreateOptions {
    /// The group id; a fresh random one (`KDF.Nh` bytes) when `None`
    /// (RFC 9420 section 11; C-GRP-02).
    pub group_id: Option<Vec<u8>>,
    /// The group context extensions.
    pub extensions: Extensions,
}

/// Options of a join by Welcome.
#[derive(Clone, Debug, Default)]
pub struct JoinOptions {
    /// The ratchet tree, when the Welcome does not carry it.
    pub ratchet_tree: Option<ExportedTree>,
    /// External PSKs the Welcome may name, by id.
    pub psks: BTreeMap<Vec<u8>, Secret>,
}

/// A ratchet tree for out-of-band delivery: the encoded content of a
/// `ratchet_tree` extension (RFC 9420 section 12.4.3.3), as
/// [`ClientGroup::export_ratchet_tree`] makes it. Its nodes are decoded,
/// within the joiner's limits, by the join that uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedTree(Vec<u8>);

impl ExportedTree {
    /// A tree received as bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        ExportedTree(bytes)
    }

    /// The encoded tree.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The tree for a join, decoded there within the joiner's limits
    /// (`max_message_size` on the bytes, `max_leaves` as it decodes).
    fn into_out_of_band(self) -> OutOfBandTree {
        OutOfBandTree::Encoded(self.0)
    }
}

/// A Welcome checked and decrypted, not yet joined: what the group is,
/// who is in it and who added this client. [`Client::join`] joins it; a
/// dropped one changes nothing (its KeyPackage stays stored).
#[derive(Debug)]
pub struct StagedWelcome {
    group: Group,
    added_by: LeafIndex,
    key_package_ref: Vec<u8>,
    last_resort: bool,
}

impl StagedWelcome {
    /// The group id.
    pub fn group_id(&self) -> &[u8] {
        self.group.group_id()
    }

    /// The epoch joined.
    pub fn epoch(&self) -> u64 {
        self.group.epoch()
    }

    /// The cipher suite.
    pub fn ciphersuite(&self) -> Ciphersuite {
        self.group.ciphersuite()
    }

    /// The group context extensions.
    pub fn extensions(&self) -> &Extensions {
        &self.group.context().extensions
    }

    /// The members, this client included.
    pub fn roster(&self) -> Vec<Member> {
        self.group.roster()
    }

    /// The member who added this client (the signer of the Welcome's
    /// GroupInfo).
    pub fn added_by(&self) -> Option<Member> {
        self.roster().into_iter().find(|m| m.index == self.added_by)
    }

    /// This client's leaf in the group.
    pub fn own_index(&self) -> LeafIndex {
        self.group.own_leaf()
    }
}

/// `config.leaf_extensions` can be sent: no duplicate type, no
/// `app_data_dictionary` (that one comes from `app_data`), and every
/// non-default type listed in the capabilities (C-LN-13).
fn check_leaf_extensions(config: &ClientConfig) -> Result<(), Error> {
    let extensions = &config.leaf_extensions;
    let listed = &config.capabilities.extensions.0;
    let bad = extensions.duplicate().is_some()
        || extensions.iter().any(|e| {
            let t = e.extension_type;
            t == crate::messages::ExtensionType::APP_DATA_DICTIONARY
                || (!t.is_default() && !listed.contains(&t))
        });
    if bad {
        return Err(MisuseError::ConfigOutOfRange {
            field: "leaf_extensions",
        }
        .into());
    }
    Ok(())
}

impl<P: Provider> Client<P> {
    /// A client with id `id` (its namespace in storage), signing with
    /// `signer` and presenting `credential`.
    ///
    /// Errors: a group configuration outside its ranges, or
    /// `leaf_extensions` with a duplicate type, an `app_data_dictionary`
    /// or a non-default type missing from `capabilities`
    /// ([`MisuseError::ConfigOutOfRange`]); a cipher suite the provider
    /// does not support; a signer of another scheme than the suite's.
    pub fn new(
        provider: P,
        id: impl Into<Vec<u8>>,
        signer: impl Signer + 'static,
        credential: Credential,
        config: ClientConfig,
    ) -> Result<Self, Error> {
        config.group.validate()?;
        check_leaf_extensions(&config)?;
        let cs = SuiteCrypto::new(provider.crypto(), config.ciphersuite)?;
        if signer.scheme() != cs.params().signature {
            return Err(MisuseError::SignerSchemeMismatch(signer.scheme()).into());
        }
        Ok(Client {
            provider,
            id: id.into(),
            signer: Box::new(signer),
            credential,
            config,
        })
    }

    /// The provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// The client's id (its namespace in storage).
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// The credential it presents.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// Its signature public key.
    pub fn signature_key(&self) -> &[u8] {
        self.signer.public_key()
    }

    /// Its configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn cs(&self) -> Result<SuiteCrypto<'_, P::Crypto>, Error> {
        SuiteCrypto::new(self.provider.crypto(), self.config.ciphersuite)
    }

    /// A fresh KeyPackage (RFC 9420 section 10), its private keys stored
    /// until a Welcome consumes them, as a KeyPackage MLSMessage to
    /// publish.
    pub fn generate_key_package(&self) -> Result<MlsMessage, Error> {
        self.key_package(false)
    }

    /// A "last resort" KeyPackage (RFC 9420 section 16.8): stored, and kept
    /// when a Welcome uses it, so joins still work once the others are
    /// used up.
    pub fn generate_last_resort_key_package(&self) -> Result<MlsMessage, Error> {
        self.key_package(true)
    }

    /// The extensions of this client's leaves: the configured
    /// `leaf_extensions`, and an `app_data_dictionary` when its
    /// capabilities list the extension (MLS extensions draft, "Negotiating
    /// Extensions and Components": an implementation advertising it
    /// advertises `app_components`).
    fn leaf_extensions(&self) -> Result<Extensions, Error> {
        use crate::messages::app::{ComponentsList, component};
        let mut extensions = self.config.leaf_extensions.clone();
        if !self
            .config
            .capabilities
            .extensions
            .0
            .contains(&crate::messages::ExtensionType::APP_DATA_DICTIONARY)
        {
            return Ok(extensions);
        }
        let mut ids: Vec<u16> = [
            component::APP_COMPONENTS,
            component::SAFE_AAD,
            component::CONTENT_MEDIA_TYPES,
        ]
        .into_iter()
        .chain(self.config.group.app.component_ids())
        .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut dictionary = self.config.app_data.clone();
        dictionary.set(
            component::APP_COMPONENTS,
            crate::codec::encode(&ComponentsList {
                component_ids: crate::codec::VarVec(ids),
            })?,
        );
        extensions.push(&dictionary)?;
        Ok(extensions)
    }

    fn key_package(&self, last_resort: bool) -> Result<MlsMessage, Error> {
        let mut builder = KeyPackageBuilder::new(self.credential.clone())
            .capabilities(self.config.capabilities.clone())
            .leaf_extensions(self.leaf_extensions()?)
            .grease(self.config.group.grease)
            .last_resort(last_resort);
        if let Some(now) = self.config.group.clock.now() {
            let not_before = now.saturating_sub(3600);
            builder = builder.lifetime(Lifetime {
                not_before,
                not_after: not_before.saturating_add(self.config.key_package_lifetime),
            });
        }
        let bundle = builder.build(&self.cs()?, self.provider.rand(), &*self.signer)?;
        bundle.store_as(&self.provider, &self.id)?;
        Ok(MlsMessage::new(MlsMessageBody::KeyPackage(
            bundle.key_package,
        )))
    }

    /// Creates a group with a fresh random id, this client its only member.
    pub fn create_group(&self) -> Result<ClientGroup<'_, P>, Error> {
        self.create_group_with(CreateOptions::default())
    }

    /// Creates a group with `options` (RFC 9420 section 11), stored at once.
    ///
    /// Errors: [`ValidationError::GroupIdInUse`] when this client already
    /// has a group of that id.
    pub fn create_group_with(&self, options: CreateOptions) -> Result<ClientGroup<'_, P>, Error> {
        let group_id = match options.group_id {
            Some(id) => id,
            None => Group::fresh_group_id(&self.provider, self.config.ciphersuite)?,
        };
        if self.has_group(&group_id)? {
            return Err(ValidationError::GroupIdInUse.into());
        }
        // The creator's leaf alone: no KeyPackage is needed for it.
        let leaf = KeyPackageBuilder::new(self.credential.clone())
            .capabilities(self.config.capabilities.clone())
            .leaf_extensions(self.leaf_extensions()?)
            .grease(self.config.group.grease);
        let group = Group::create_as(
            &self.provider,
            self.config.ciphersuite,
            &*self.signer,
            leaf,
            group_id,
            options.extensions,
            self.config.group.clone(),
        )?;
        self.opened(group)
    }

    /// Checks and decrypts a Welcome (an MLSMessage) addressed to one of
    /// this client's stored KeyPackages, with every check of
    /// [`Group::join`], without joining yet.
    ///
    /// Errors: [`MisuseError::UnexpectedMessageType`] for another kind of
    /// message; [`ValidationError::KeyPackageNotFound`] when no entry names
    /// a stored KeyPackage; the join's errors.
    pub fn stage_welcome(
        &self,
        welcome: &MlsMessage,
        options: JoinOptions,
    ) -> Result<StagedWelcome, Error> {
        let MlsMessageBody::Welcome(welcome) = &welcome.body else {
            return Err(MisuseError::UnexpectedMessageType {
                expected: "Welcome",
            }
            .into());
        };
        self.config
            .group
            .limits
            .check_message_size(tls_codec::Size::tls_serialized_len(welcome))?;
        let mut found = None;
        for entry in welcome.secrets.0.iter() {
            let kp_ref = entry.new_member.as_slice();
            if let Some(bundle) = KeyPackageBundle::load_as(&self.provider, &self.id, kp_ref)? {
                found = Some((kp_ref.to_vec(), bundle));
                break;
            }
        }
        let (key_package_ref, bundle) = found.ok_or(ValidationError::KeyPackageNotFound)?;
        let tree = options.ratchet_tree.map(ExportedTree::into_out_of_band);
        let (group, added_by) = crate::group::join_inner(
            &self.provider,
            welcome,
            &bundle,
            tree,
            options.psks,
            None,
            self.config.group.clone(),
        )?;
        Ok(StagedWelcome {
            group,
            added_by,
            key_package_ref,
            last_resort: bundle.last_resort,
        })
    }

    /// Joins a staged Welcome: the group is stored and the KeyPackage
    /// consumed (unless last resort) in one batch.
    ///
    /// Errors: [`ValidationError::GroupIdInUse`] when this client is still
    /// a member of a group of that id (C-GI-03); storage errors.
    pub fn join(&self, staged: StagedWelcome) -> Result<ClientGroup<'_, P>, Error> {
        let StagedWelcome {
            mut group,
            key_package_ref,
            last_resort,
            ..
        } = staged;
        if self.group_id_in_use(group.group_id())? {
            return Err(ValidationError::GroupIdInUse.into());
        }
        let mut batch = crate::group::state_batch(&self.provider, &self.id, &group)?;
        if !last_resort {
            batch.push(StorageOp::Delete {
                kind: RecordKind::KeyPackage,
                key: key_package_key(&self.id, &key_package_ref)?,
            });
        }
        crate::group::apply_batch(self.provider.storage(), batch)?;
        group.mark_saved();
        Ok(ClientGroup {
            client: self,
            group,
        })
    }

    /// Joins a group by external commit (RFC 9420 section 12.4.3.2) from
    /// its GroupInfo (an MLSMessage), presenting this client's credential;
    /// the tree from the GroupInfo or `ratchet_tree`. Returns the group,
    /// stored, and the commit to send. If the delivery service refuses the
    /// commit, delete the group ([`Client::delete_group`]) and retry with a
    /// newer GroupInfo. The leaf advertises `options`' capabilities when
    /// it names some, the configuration's otherwise. A group this client
    /// was removed from may be joined again; one it is in may not
    /// ([`ValidationError::GroupIdInUse`]).
    pub fn join_external(
        &self,
        group_info: &MlsMessage,
        ratchet_tree: Option<ExportedTree>,
        options: ExternalJoinOptions,
    ) -> Result<(ClientGroup<'_, P>, MlsMessage), Error> {
        let MlsMessageBody::GroupInfo(group_info) = &group_info.body else {
            return Err(MisuseError::UnexpectedMessageType {
                expected: "GroupInfo",
            }
            .into());
        };
        if self.group_id_in_use(group_info.group_context.group_id.as_slice())? {
            return Err(ValidationError::GroupIdInUse.into());
        }
        let tree = ratchet_tree.map(ExportedTree::into_out_of_band);
        // The configuration's capabilities unless the options name others.
        let options = match options.capabilities {
            Some(_) => options,
            None => options
                .capabilities(self.config.capabilities.clone())
                .leaf_extensions(self.leaf_extensions()?),
        };
        let (group, commit) = crate::group::join_external_as_inner(
            &self.provider,
            &*self.signer,
            self.credential.clone(),
            group_info,
            tree,
            self.config.group.clone(),
            options,
        )?;
        Ok((self.opened(group)?, commit))
    }

    /// Loads the group `group_id` of this client, with the configuration's
    /// runtime hooks installed; `None` when it has none.
    pub fn load_group(&self, group_id: &[u8]) -> Result<Option<ClientGroup<'_, P>>, Error> {
        let Some(mut group) = self.load_stored(group_id)? else {
            return Ok(None);
        };
        // A group of an older record format is written in the current one.
        group.save_changes_as(&self.provider, &self.id)?;
        Ok(Some(ClientGroup {
            client: self,
            group,
        }))
    }

    /// The ids of this client's stored groups, in byte order.
    pub fn group_ids(&self) -> Result<Vec<Vec<u8>>, Error> {
        let mut prefix = Vec::with_capacity(self.id.len() + 4);
        write_opaque(&self.id, &mut prefix)?;
        Ok(self
            .provider
            .storage()
            .list_keys(RecordKind::GroupState, &prefix)?
            .into_iter()
            .filter_map(|key| key.get(prefix.len()..).map(<[u8]>::to_vec))
            .collect())
    }

    /// Deletes every record of this client's group `group_id` (after
    /// leaving it, or when an external join was refused), in one batch.
    pub fn delete_group(&self, group_id: &[u8]) -> Result<(), Error> {
        let storage = self.provider.storage();
        let key = group_state_key(&self.id, group_id)?;
        let mut batch = alloc::vec![
            StorageOp::Delete {
                kind: RecordKind::GroupState,
                key: key.clone(),
            },
            StorageOp::Delete {
                kind: RecordKind::Tree,
                key,
            },
        ];
        let mut prefix = Vec::new();
        write_opaque(&self.id, &mut prefix)?;
        write_opaque(group_id, &mut prefix)?;
        for kind in [
            RecordKind::SecretTree,
            RecordKind::SenderRatchets,
            RecordKind::PastEpoch,
        ] {
            for key in storage.list_keys(kind, &prefix)? {
                batch.push(StorageOp::Delete { kind, key });
            }
        }
        Ok(storage.apply(&batch)?)
    }

    /// Whether a join would replace a group still in use: one stored under
    /// `group_id` that is active and not closed by a ReInit (C-GI-03). A
    /// group this client was removed from may be joined again.
    fn group_id_in_use(&self, group_id: &[u8]) -> Result<bool, Error> {
        Ok(Group::load_as(&self.provider, &self.id, group_id)?
            .is_some_and(|g| g.is_active() && g.pending_reinit().is_none()))
    }

    fn has_group(&self, group_id: &[u8]) -> Result<bool, Error> {
        Ok(self
            .provider
            .storage()
            .get(
                RecordKind::GroupState,
                &group_state_key(&self.id, group_id)?,
            )?
            .is_some())
    }

    /// A new group of this client, stored.
    /// The stored state of group `group_id`, with the configuration's
    /// runtime hooks installed.
    fn load_stored(&self, group_id: &[u8]) -> Result<Option<Group>, Error> {
        let Some(mut group) = Group::load_as(&self.provider, &self.id, group_id)? else {
            return Ok(None);
        };
        let config = &self.config.group;
        group.set_proposal_policy(config.proposal_policy.clone());
        group.set_credential_validator(config.credential_validator.clone());
        group.set_clock(config.clock.clone());
        group.set_grease(config.grease);
        group.set_app_registry(config.app.clone());
        Ok(Some(group))
    }

    fn opened(&self, mut group: Group) -> Result<ClientGroup<'_, P>, Error> {
        group.save_changes_as(&self.provider, &self.id)?;
        Ok(ClientGroup {
            client: self,
            group,
        })
    }
}

/// One group of a [`Client`]: every call that changes it writes the change
/// to storage before it returns.
pub struct ClientGroup<'c, P: Provider> {
    client: &'c Client<P>,
    group: Group,
}

impl<P: Provider> core::fmt::Debug for ClientGroup<'_, P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientGroup")
            .field("group_id", &self.group.group_id())
            .field("epoch", &self.group.epoch())
            .finish_non_exhaustive()
    }
}

impl<'c, P: Provider> ClientGroup<'c, P> {
    /// The group's state, read-only.
    pub fn group(&self) -> &Group {
        &self.group
    }

    /// The group id.
    pub fn group_id(&self) -> &[u8] {
        self.group.group_id()
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.group.epoch()
    }

    /// This client's leaf.
    pub fn own_index(&self) -> LeafIndex {
        self.group.own_leaf()
    }

    /// The members, by leaf (see [`Group::roster`]).
    pub fn roster(&self) -> Vec<Member> {
        self.group.roster()
    }

    /// Whether this client is still a member.
    pub fn is_active(&self) -> bool {
        self.group.is_active()
    }

    /// The epoch authenticator (RFC 9420 section 8.7).
    pub fn epoch_authenticator(&self) -> &[u8] {
        self.group.epoch_authenticator()
    }

    /// `MLS-Exporter(label, context, length)` of the current epoch.
    pub fn export_secret(
        &self,
        label: &[u8],
        context: &[u8],
        length: u16,
    ) -> Result<Secret, Error> {
        self.group
            .export_secret(self.client.provider.crypto(), label, context, length)
    }

    /// `SafeExportSecret(component_id)` of the current epoch (MLS
    /// extensions draft; see [`Group::safe_export_secret`]). The secret is
    /// returned only once its deletion is stored.
    pub fn safe_export_secret(&mut self, component_id: u16) -> Result<Secret, Error> {
        let secret = self
            .group
            .safe_export_secret(self.client.provider.crypto(), component_id)?;
        self.persist()?;
        Ok(secret)
    }

    /// `SafeSignWithLabel` with this client's signature key for
    /// `component_id` (MLS extensions draft, "Signature Keys"); members
    /// verify it with [`SuiteCrypto::safe_verify_with_label`] and this
    /// member's leaf signature key.
    ///
    /// [`SuiteCrypto::safe_verify_with_label`]: crate::crypto::SuiteCrypto::safe_verify_with_label
    pub fn safe_sign(
        &self,
        component_id: u16,
        label: &[u8],
        content: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let cs = crate::crypto::SuiteCrypto::new(
            self.client.provider.crypto(),
            self.group.context().cipher_suite,
        )?;
        cs.safe_sign_with_label(&*self.client.signer, component_id, label, content)
    }

    /// Stores the group's changes. When the write fails, the group goes
    /// back to its stored state (a write is one batch, applied whole or not
    /// at all, so storage still holds the state from before the call): the
    /// call changed nothing and can be retried. Only if that reload fails
    /// too does the group stay ahead of storage, and the next call's write
    /// carries the change.
    fn persist(&mut self) -> Result<(), Error> {
        let Err(e) = self
            .group
            .save_changes_as(&self.client.provider, &self.client.id)
        else {
            return Ok(());
        };
        let group_id = self.group.group_id().to_vec();
        if let Ok(Some(stored)) = self.client.load_stored(&group_id) {
            self.group = stored;
        }
        Err(e)
    }

    /// Encrypts application data; the sender generation it uses is stored
    /// as used before the message is returned.
    pub fn encrypt(&mut self, data: &[u8], authenticated_data: &[u8]) -> Result<MlsMessage, Error> {
        let msg = self.group.encrypt(
            &self.client.provider,
            &*self.client.signer,
            data,
            authenticated_data,
        )?;
        self.persist()?;
        Ok(msg)
    }

    /// Processes a message received for the group (see [`Group::process`]):
    /// application data and proposals are stored as read; a commit comes
    /// back staged, to inspect and then [`ClientGroup::merge_staged_commit`]
    /// (the echo of this client's own pending commit included).
    pub fn process(&mut self, message: &MlsMessage) -> Result<ProcessedMessage, Error> {
        let out = self.group.process(&self.client.provider, message)?;
        self.persist()?;
        Ok(out)
    }

    /// [`ClientGroup::process`] for a message as received, refused before
    /// decoding when over the configured message size.
    pub fn process_bytes(&mut self, bytes: &[u8]) -> Result<ProcessedMessage, Error> {
        self.group.config().limits.check_message_size(bytes.len())?;
        let message: MlsMessage = decode_exact(bytes)?;
        self.process(&message)
    }

    /// Merges a staged commit (see [`Group::merge_staged_commit`]) and
    /// stores the new epoch.
    pub fn merge_staged_commit(&mut self, staged: StagedCommit) -> Result<(), Error> {
        self.group.merge_staged_commit(staged)?;
        self.persist()
    }

    /// A builder for this client's next commit.
    pub fn commit_builder(&self) -> CommitBuilder {
        self.group.commit()
    }

    /// Builds, signs and stores this client's commit as pending (see
    /// [`Group::create_pending_commit`]); send its messages, then merge it
    /// when the delivery service accepts it.
    pub fn commit(&mut self, builder: CommitBuilder) -> Result<CommitOutput, Error> {
        let out = self.group.create_pending_commit(
            &self.client.provider,
            &*self.client.signer,
            builder,
        )?;
        self.persist()?;
        Ok(out)
    }

    /// This client's pending commit, if any.
    pub fn pending_commit(&self) -> Option<&PendingCommit> {
        self.group.pending_commit()
    }

    /// Merges the pending commit and stores the new epoch.
    pub fn merge_pending_commit(&mut self) -> Result<(), Error> {
        self.group.merge_pending_commit(&self.client.provider)?;
        self.persist()
    }

    /// Drops the pending commit (another commit won the epoch).
    pub fn clear_pending_commit(&mut self) -> Result<(), Error> {
        self.group.clear_pending_commit();
        self.persist()
    }

    /// Proposes `proposal` (any type, e.g. an AppDataUpdate or a custom
    /// one; see [`Group::propose`]).
    pub fn propose(&mut self, proposal: Proposal) -> Result<MlsMessage, Error> {
        let msg = self
            .group
            .propose(&self.client.provider, &*self.client.signer, proposal)?;
        self.persist()?;
        Ok(msg)
    }

    /// Proposes adding the client of `key_package` (a KeyPackage
    /// MLSMessage).
    pub fn propose_add(&mut self, key_package: &MlsMessage) -> Result<MlsMessage, Error> {
        let MlsMessageBody::KeyPackage(kp) = &key_package.body else {
            return Err(MisuseError::UnexpectedMessageType {
                expected: "KeyPackage",
            }
            .into());
        };
        self.propose(Proposal::Add(Box::new(Add {
            key_package: kp.clone(),
        })))
    }

    /// Proposes removing the member at `index`.
    pub fn propose_remove(&mut self, index: LeafIndex) -> Result<MlsMessage, Error> {
        self.propose(Proposal::Remove(Remove { removed: index.0 }))
    }

    /// Proposes this client's own removal with a SelfRemove (MLS
    /// extensions draft; see [`Group::propose_self_remove`]): sent as a
    /// PublicMessage, committed by the next member's commit or external
    /// join.
    pub fn propose_self_remove(&mut self) -> Result<MlsMessage, Error> {
        self.propose(Proposal::SelfRemove(crate::messages::SelfRemove))
    }

    /// Proposes an Update of this client's leaf (a fresh encryption key).
    pub fn propose_self_update(&mut self) -> Result<MlsMessage, Error> {
        let msg = self
            .group
            .propose_update(&self.client.provider, &*self.client.signer)?;
        self.persist()?;
        Ok(msg)
    }

    /// Proposals pending for the next commit.
    pub fn pending_proposals(&self) -> &[QueuedProposal] {
        self.group.pending_proposals()
    }

    /// Drops the pending proposal with ProposalRef `reference`; whether it
    /// was pending.
    pub fn remove_pending_proposal(&mut self, reference: &[u8]) -> Result<bool, Error> {
        let removed = self.group.remove_pending_proposal(reference);
        self.persist()?;
        Ok(removed)
    }

    /// Drops every pending proposal.
    pub fn clear_pending_proposals(&mut self) -> Result<(), Error> {
        self.group.clear_pending_proposals();
        self.persist()
    }

    /// A GroupInfo of the current epoch for external joins (with the tree
    /// when `with_ratchet_tree`).
    pub fn group_info(&self, with_ratchet_tree: bool) -> Result<MlsMessage, Error> {
        self.group.group_info(
            &self.client.provider,
            &*self.client.signer,
            with_ratchet_tree,
        )
    }

    /// The ratchet tree, for joiners who get it out of band.
    pub fn export_ratchet_tree(&self) -> Result<ExportedTree, Error> {
        Ok(ExportedTree(self.group.tree().encode_extension()?))
    }

    /// Registers an external PSK (stored with the group).
    pub fn add_external_psk(&mut self, psk_id: Vec<u8>, psk: Secret) -> Result<(), Error> {
        self.group.add_external_psk(psk_id, psk);
        self.persist()
    }
}
