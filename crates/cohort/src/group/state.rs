//! The state a member keeps for its group (RFC 9420 sections 8 and 11).

use crate::crypto::SuiteCrypto;
use crate::framing::WireFormat;
use crate::messages::{Credential, GroupContext, ReInit};
use crate::schedule::{EpochSecrets, RatchetConfig, SecretTree};
use crate::tree::math::LeafIndex;
use crate::tree::{RatchetTree, TreePrivateKeys, TreeView};
use crate::{Error, MisuseError};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use cohort_traits::{Ciphersuite, Crypto, Provider, Rand, Secret};

use super::credentials::{CredentialValidator, SharedCredentialValidator};
use super::limits::{Limits, check_range};
use super::proposals::{ProposalCache, ProposalPolicy, QueuedProposal, SharedPolicy};

/// Which wire format a member sends its own handshake messages (proposals
/// and commits) in, and which it accepts from other members (RFC 9420
/// section 6; C-FRAME-07). Application messages are always PrivateMessage;
/// messages from non-members (external senders, new members) are always
/// PublicMessage and accepted under every policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireFormatPolicy {
    /// Send PrivateMessage; accept only PrivateMessage from members.
    AlwaysPrivate,
    /// Send PrivateMessage; accept both.
    MixedPrivate,
    /// Send PublicMessage; accept only PublicMessage from members.
    AlwaysPublic,
    /// Send PublicMessage; accept both. The default: a delivery service can
    /// read (and check) handshake messages, as RFC 9420 permits, and
    /// members that prefer privacy can still talk to this one.
    MixedPublic,
}

impl WireFormatPolicy {
    /// Whether own handshake messages go out as PrivateMessage.
    pub fn sends_private(self) -> bool {
        matches!(self, Self::AlwaysPrivate | Self::MixedPrivate)
    }

    /// Whether members' handshake messages are accepted as PublicMessage.
    pub fn accepts_public(self) -> bool {
        !matches!(self, Self::AlwaysPrivate)
    }

    /// Whether members' handshake messages are accepted as PrivateMessage.
    pub fn accepts_private(self) -> bool {
        !matches!(self, Self::AlwaysPublic)
    }
}

/// Policy of a group, with safe defaults. Everything but the
/// `proposal_policy`, the `credential_validator`, the `clock` and `grease`
/// is saved with the group.
///
/// Every numeric field has a documented range, checked by
/// [`GroupConfig::validate`] wherever a configuration enters a group
/// (create, joins, load): outside it,
/// [`MisuseError::ConfigOutOfRange`] names the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupConfig {
    /// Handshake wire format.
    pub wire_format: WireFormatPolicy,
    /// PrivateMessage contents are padded with zeros to a multiple of this
    /// many bytes (0 or 1: no padding) (RFC 9420 section 6.3.1). Range 0 to
    /// 2^20 (1 MiB).
    pub padding_block: usize,
    /// Out-of-order tolerance of sender ratchets:
    /// `out_of_order_tolerance` 0 to 4,096 skipped keys kept per ratchet,
    /// `maximum_forward_distance` 0 to 65,536 generations (each skipped
    /// generation costs three key derivations).
    pub ratchet: RatchetConfig,
    /// How many past epochs keep their secrets so late application messages
    /// still decrypt (RFC 9420 section 15.3). Range 0 to 256.
    pub max_past_epochs: usize,
    /// Limits on received input (tree size, message size, extensions,
    /// proposals); see [`Limits`].
    pub limits: Limits,
    /// Whether Welcome messages carry the ratchet tree in a `ratchet_tree`
    /// extension (RFC 9420 section 12.4.3.3).
    pub ratchet_tree_extension: bool,
    /// The application's rules on proposals (RFC 9420 sections 12.1.8,
    /// 12.2; C-PROP-21, C-EXT-04). The default, [`DefaultProposalPolicy`],
    /// accepts every proposal but refuses new members' self-Adds. Runtime
    /// only: it is not saved with the group (see
    /// [`Group::set_proposal_policy`]).
    ///
    /// [`DefaultProposalPolicy`]: super::DefaultProposalPolicy
    pub proposal_policy: SharedPolicy,
    /// The application's Authentication Service (RFC 9420 section 5.3.1;
    /// C-CRED-03 to C-CRED-10), consulted whenever a credential enters the
    /// group or replaces another (see [`CredentialValidator`]). The
    /// default, [`DefaultCredentialValidator`], accepts basic credentials,
    /// refuses every other type and lets no member change its credential.
    /// Runtime only: it is not saved with the group (see
    /// [`Group::set_credential_validator`]).
    ///
    /// [`CredentialValidator`]: super::CredentialValidator
    /// [`DefaultCredentialValidator`]: super::DefaultCredentialValidator
    pub credential_validator: SharedCredentialValidator,
    /// The application's clock for KeyPackage lifetimes (RFC 9420 section
    /// 7.3; C-LN-14, C-LN-15): with one, Adds outside their KeyPackage's
    /// lifetime are neither sent nor accepted. The core has no time source,
    /// so the default has no clock and checks no lifetime. Leaves of a tree
    /// being joined are not checked (members' KeyPackages expire while they
    /// stay members). Runtime only (see [`Group::set_clock`]).
    pub clock: super::SharedClock,
    /// Whether what this member generates carries random GREASE values
    /// (RFC 9420 section 13.5; C-GREASE-05): a GREASE extension with random
    /// data in each GroupInfo it signs (for a Welcome or an external join)
    /// and, through a [`Client`](crate::Client) or an external join, in its
    /// new leaves and KeyPackages as [`KeyPackageBuilder::grease`] adds
    /// them. On by default, as the RFC recommends, so peers that wrongly
    /// refuse unknown values fail early; with `false` nothing is added.
    /// Runtime only: [`Group::load`] gives `true` (see
    /// [`Group::set_grease`]; a `Client` installs its own).
    ///
    /// [`KeyPackageBuilder::grease`]: super::KeyPackageBuilder::grease
    pub grease: bool,
    /// The application's components and custom proposal types, with their
    /// logic (see [`AppRegistry`]): AppDataUpdate and AppEphemeral
    /// proposals of the MLS extensions draft name a registered component,
    /// and a registered custom type is validated and applied by its
    /// handler. Empty by default. Runtime only (see
    /// [`Group::set_app_registry`]).
    ///
    /// [`AppRegistry`]: super::AppRegistry
    pub app: super::AppRegistry,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            wire_format: WireFormatPolicy::MixedPublic,
            padding_block: 32,
            ratchet: RatchetConfig::default(),
            max_past_epochs: 3,
            limits: Limits::default(),
            ratchet_tree_extension: true,
            proposal_policy: SharedPolicy::default(),
            credential_validator: SharedCredentialValidator::default(),
            clock: super::SharedClock::default(),
            grease: true,
            app: super::AppRegistry::default(),
        }
    }
}

impl GroupConfig {
    /// The largest `padding_block`.
    pub const MAX_PADDING_BLOCK: usize = 1 << 20;
    /// The largest `ratchet.out_of_order_tolerance`.
    pub const MAX_OUT_OF_ORDER_TOLERANCE: u32 = 4096;
    /// The largest `ratchet.maximum_forward_distance`.
    pub const MAX_FORWARD_DISTANCE: u32 = 1 << 16;
    /// The largest `max_past_epochs`.
    pub const MAX_PAST_EPOCHS: usize = 256;

    /// Checks every numeric field against its documented range.
    ///
    /// Errors: [`MisuseError::ConfigOutOfRange`] naming the first field
    /// outside its range.
    pub fn validate(&self) -> Result<(), Error> {
        check_range(
            "padding_block",
            self.padding_block as u64,
            0,
            Self::MAX_PADDING_BLOCK as u64,
        )?;
        check_range(
            "ratchet.out_of_order_tolerance",
            self.ratchet.out_of_order_tolerance.into(),
            0,
            Self::MAX_OUT_OF_ORDER_TOLERANCE.into(),
        )?;
        check_range(
            "ratchet.maximum_forward_distance",
            self.ratchet.maximum_forward_distance.into(),
            0,
            Self::MAX_FORWARD_DISTANCE.into(),
        )?;
        check_range(
            "max_past_epochs",
            self.max_past_epochs as u64,
            0,
            Self::MAX_PAST_EPOCHS as u64,
        )?;
        self.limits.validate()
    }

    /// This configuration with `app` as its components and custom proposal
    /// types.
    pub fn with_app_registry(mut self, app: super::AppRegistry) -> Self {
        self.app = app;
        self
    }

    /// This configuration with `limits`.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// This configuration with `clock` for KeyPackage lifetimes.
    pub fn with_clock<T: super::Clock + 'static>(mut self, clock: T) -> Self {
        self.clock = super::SharedClock::new(clock);
        self
    }

    /// This configuration with `policy` as its proposal policy.
    pub fn with_proposal_policy<T: ProposalPolicy + 'static>(mut self, policy: T) -> Self {
        self.proposal_policy = SharedPolicy::new(policy);
        self
    }

    /// This configuration with `validator` as its Authentication Service
    /// (RFC 9420 section 5.3.1).
    pub fn with_credential_validator<T: CredentialValidator + 'static>(
        mut self,
        validator: T,
    ) -> Self {
        self.credential_validator = SharedCredentialValidator::new(validator);
        self
    }

    /// The wire format of handshake messages this member sends.
    pub fn handshake_wire_format(&self) -> WireFormat {
        if self.wire_format.sends_private() {
            WireFormat::PRIVATE_MESSAGE
        } else {
            WireFormat::PUBLIC_MESSAGE
        }
    }

    /// Padding for a PrivateMessage content of `len` bytes.
    pub fn padding_for(&self, len: usize) -> usize {
        match self.padding_block {
            0 | 1 => 0,
            b => (b - len % b) % b,
        }
    }
}

/// The secrets and key material of one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EpochKeys {
    /// Every epoch secret; `encryption_secret` is moved into the secret tree
    /// and left empty here.
    pub secrets: EpochSecrets,
    /// The secret tree of the epoch.
    pub secret_tree: SecretTree,
    /// The epoch's Exporter Tree (MLS extensions draft); its root,
    /// `application_export_secret`, is moved here from `secrets`.
    pub exporter: crate::schedule::SafeExporter,
}

impl EpochKeys {
    pub(crate) fn new(
        mut secrets: EpochSecrets,
        n_leaves: u32,
        config: RatchetConfig,
    ) -> Result<Self, Error> {
        let encryption = core::mem::take(&mut secrets.encryption_secret);
        let secret_tree = SecretTree::new(encryption, n_leaves, config)?;
        let exporter = crate::schedule::SafeExporter::new(core::mem::take(
            &mut secrets.application_export_secret,
        ));
        Ok(EpochKeys {
            secrets,
            secret_tree,
            exporter,
        })
    }
}

impl EpochKeys {
    /// Keys that hold nothing: what a member removed from its group keeps.
    pub(crate) fn wiped(config: RatchetConfig) -> Self {
        let empty = || Secret::new(Vec::new());
        EpochKeys {
            secrets: EpochSecrets {
                sender_data_secret: empty(),
                encryption_secret: empty(),
                exporter_secret: empty(),
                external_secret: empty(),
                confirmation_key: empty(),
                membership_key: empty(),
                resumption_psk: empty(),
                epoch_authenticator: empty(),
                init_secret: empty(),
                application_export_secret: empty(),
            },
            secret_tree: SecretTree::from_parts(1, BTreeMap::new(), BTreeMap::new(), config),
            exporter: crate::schedule::SafeExporter::unavailable(),
        }
    }
}

/// What a past epoch keeps: enough to decrypt and authenticate late
/// application messages (RFC 9420 section 15.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PastEpoch {
    pub epoch: u64,
    pub context: GroupContext,
    pub sender_data_secret: Secret,
    pub secret_tree: SecretTree,
    /// The leaves whose member differs from the current tree's, as they were
    /// in that epoch: `Some` with the member's signature key and credential
    /// (members since removed or whose leaf changed), `None` where the leaf
    /// was blank (filled since). Other leaves are as in the current tree.
    pub changed_members: BTreeMap<u32, Option<PastMember>>,
}

/// A member as it was in a past epoch: what authenticates its late
/// messages and what the application is told about their sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PastMember {
    pub signature_key: Vec<u8>,
    pub credential: Credential,
}

impl PastMember {
    pub(crate) fn of(leaf: &crate::messages::LeafNode) -> Self {
        PastMember {
            signature_key: leaf.signature_key.0.clone(),
            credential: leaf.credential.clone(),
        }
    }
}

/// A member of a group, as [`Group::roster`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its leaf.
    pub index: LeafIndex,
    /// Its credential.
    pub credential: Credential,
    /// Its signature public key.
    pub signature_key: Vec<u8>,
}

/// The private key of a leaf this member proposed in an Update (RFC 9420
/// section 12.1.2), kept until the epoch ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingUpdate {
    /// The new leaf's HPKE public key.
    pub encryption_key: Vec<u8>,
    /// Its private key.
    pub private_key: Secret,
}

/// A member's view of one MLS group.
#[derive(Debug, Clone)]
pub struct Group {
    pub(crate) suite: Ciphersuite,
    pub(crate) context: GroupContext,
    pub(crate) tree: RatchetTree,
    pub(crate) own_leaf: LeafIndex,
    pub(crate) private_keys: TreePrivateKeys,
    pub(crate) keys: EpochKeys,
    pub(crate) interim_transcript_hash: Vec<u8>,
    pub(crate) confirmation_tag: Vec<u8>,
    pub(crate) proposals: ProposalCache,
    pub(crate) past_epochs: VecDeque<PastEpoch>,
    pub(crate) resumption_psks: BTreeMap<u64, Secret>,
    pub(crate) external_psks: BTreeMap<Vec<u8>, Secret>,
    pub(crate) config: GroupConfig,
    pub(crate) active: bool,
    /// The ReInit of the last merged commit: the group is closed and waits
    /// for the new group (RFC 9420 sections 11.2, 12.4.2).
    pub(crate) pending_reinit: Option<ReInit>,
    /// Keys of this member's Update proposals of the current epoch.
    pub(crate) pending_updates: Vec<PendingUpdate>,
    /// This member's own commit, sent and not yet merged.
    pub(crate) pending_commit: Option<super::pending::PendingCommit>,
    /// What changed since the records were last written (runtime only).
    pub(crate) unsaved: super::persist::Unsaved,
    /// The generations of this member's own (handshake, application)
    /// ratchets stored durably: it sends below them (see
    /// [`Group::save_changes_as`]).
    pub(crate) reserved: [u32; 2],
}

impl Group {
    /// A fresh group id for [`Group::create`]: `KDF.Nh` bytes of `suite`
    /// from the provider's random source, so that group ids are unique
    /// with overwhelming probability (RFC 9420 section 11; C-GRP-02).
    /// `Group::create` takes any id; an application without unique ids of
    /// its own should use this one.
    pub fn fresh_group_id<P: Provider>(provider: &P, suite: Ciphersuite) -> Result<Vec<u8>, Error> {
        let cs = SuiteCrypto::new(provider.crypto(), suite)?;
        let mut id = alloc::vec![0u8; cs.hash_len()];
        provider.rand().fill(&mut id)?;
        Ok(id)
    }

    /// The cipher suite.
    pub fn ciphersuite(&self) -> Ciphersuite {
        self.suite
    }

    /// The group id.
    pub fn group_id(&self) -> &[u8] {
        self.context.group_id.as_slice()
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.context.epoch
    }

    /// The current GroupContext.
    pub fn context(&self) -> &GroupContext {
        &self.context
    }

    /// The ratchet tree.
    pub fn tree(&self) -> &RatchetTree {
        &self.tree
    }

    /// This member's leaf index.
    pub fn own_leaf(&self) -> LeafIndex {
        self.own_leaf
    }

    /// The policy.
    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// Installs the application's proposal policy (C-PROP-21, C-EXT-04),
    /// consulted from the next message on. A policy is runtime
    /// configuration: [`Group::load`] gives a group with the default policy
    /// ([`DefaultProposalPolicy`](super::DefaultProposalPolicy)), so an
    /// application with rules of its own installs them after each load.
    pub fn set_proposal_policy(&mut self, policy: SharedPolicy) {
        self.config.proposal_policy = policy;
    }

    /// Installs the application's clock for KeyPackage lifetimes (see
    /// [`GroupConfig::clock`]); runtime configuration, not saved.
    pub fn set_clock(&mut self, clock: super::SharedClock) {
        self.config.clock = clock;
    }

    /// Whether this member's GroupInfos and new leaves carry GREASE values
    /// from now on (see [`GroupConfig::grease`]). Runtime configuration:
    /// [`Group::load`] gives a group with GREASE on.
    pub fn set_grease(&mut self, grease: bool) {
        self.config.grease = grease;
    }

    /// Installs the application's credential validator, its
    /// Authentication Service (RFC 9420 section 5.3.1; C-CRED-03 to
    /// C-CRED-10), consulted from the next message on. Like the proposal
    /// policy it is runtime configuration: [`Group::load`] gives a group
    /// with the [`DefaultCredentialValidator`](super::DefaultCredentialValidator),
    /// so an application with a validator of its own installs it again
    /// after each load.
    pub fn set_credential_validator(&mut self, validator: SharedCredentialValidator) {
        self.config.credential_validator = validator;
    }

    /// Installs the application's components and custom proposal types
    /// (see [`GroupConfig::app`]). A loaded group has none until the
    /// application installs them again.
    pub fn set_app_registry(&mut self, app: super::AppRegistry) {
        self.config.app = app;
    }

    /// The epoch authenticator (RFC 9420 section 8.7).
    pub fn epoch_authenticator(&self) -> &[u8] {
        self.keys.secrets.epoch_authenticator.as_bytes()
    }

    /// Whether this member is still in the group (false once a commit
    /// removing it was merged).
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Leaves the group for good: every secret of it is wiped (the epoch
    /// secrets, the init secret that would lead to the next epoch, the
    /// secret tree, the tree private keys, past epochs, resumption PSKs,
    /// pending proposals and Update keys); the public state stays.
    pub(crate) fn deactivate(&mut self) {
        self.unsaved = super::persist::Unsaved::everything();
        self.active = false;
        self.proposals.clear();
        self.pending_updates.clear();
        self.keys = EpochKeys::wiped(self.config.ratchet);
        self.private_keys = TreePrivateKeys::new(self.own_leaf, Secret::new(Vec::new()));
        self.past_epochs.clear();
        self.resumption_psks.clear();
    }

    /// `MLS-Exporter(label, context, length)` of the current epoch
    /// (RFC 9420 section 8.5).
    pub fn export_secret<C: Crypto + ?Sized>(
        &self,
        crypto: &C,
        label: &[u8],
        context: &[u8],
        length: u16,
    ) -> Result<Secret, Error> {
        self.ensure_active()?;
        let cs = SuiteCrypto::new(crypto, self.suite)?;
        self.keys.secrets.export(&cs, label, context, length)
    }

    /// `SafeExportSecret(component_id)` of the current epoch (MLS
    /// extensions draft, "Exported Secrets"; provisional): a
    /// forward-secure secret per component, `KDF.Nh` bytes, from the
    /// epoch's Exporter Tree. It is consumed: the tree deletes it and the
    /// nodes above it, so a second call for the component fails with
    /// [`MisuseError::SafeExportUnavailable`](crate::MisuseError), and the
    /// group must be saved so the deletion reaches storage.
    pub fn safe_export_secret<C: Crypto + ?Sized>(
        &mut self,
        crypto: &C,
        component_id: u16,
    ) -> Result<Secret, Error> {
        self.ensure_active()?;
        let cs = SuiteCrypto::new(crypto, self.suite)?;
        let secret = self.keys.exporter.export(&cs, component_id)?;
        self.unsaved.state = true;
        Ok(secret)
    }

    /// The ReInit committed by the last merged commit, if any: the group is
    /// then closed, and [`Group::reinit`] creates its successor (RFC 9420
    /// section 11.2).
    pub fn pending_reinit(&self) -> Option<&ReInit> {
        self.pending_reinit.as_ref()
    }

    /// Proposals received (or sent) this epoch, which this member's next
    /// commit includes by reference.
    pub fn pending_proposals(&self) -> &[QueuedProposal] {
        &self.proposals
    }

    /// Drops the pending proposal whose ProposalRef is `reference`, so no
    /// commit of this member includes it; whether it was pending.
    pub fn remove_pending_proposal(&mut self, reference: &[u8]) -> bool {
        let removed = self.proposals.remove(reference);
        self.unsaved.state |= removed;
        removed
    }

    /// Drops every pending proposal.
    pub fn clear_pending_proposals(&mut self) {
        if !self.proposals.is_empty() {
            self.proposals.clear();
            self.unsaved.state = true;
        }
    }

    /// The members: leaf index, credential and signature key of every
    /// occupied leaf, in leaf order.
    pub fn roster(&self) -> Vec<Member> {
        self.tree
            .members()
            .into_iter()
            .filter_map(|index| {
                self.tree.leaf(index).map(|leaf| Member {
                    index,
                    credential: leaf.credential.clone(),
                    signature_key: leaf.signature_key.0.clone(),
                })
            })
            .collect()
    }

    /// This group's `resumption_psk` of `epoch`: the current one or a
    /// retained past one (RFC 9420 section 8.6; C-PSK-10).
    pub(crate) fn resumption_psk(&self, epoch: u64) -> Option<&Secret> {
        if epoch == self.context.epoch {
            Some(&self.keys.secrets.resumption_psk)
        } else {
            self.resumption_psks.get(&epoch)
        }
    }

    /// Registers an external PSK by id so commits and Welcomes naming it can
    /// be processed (RFC 9420 section 8.4).
    pub fn add_external_psk(&mut self, psk_id: Vec<u8>, psk: Secret) {
        self.external_psks.insert(psk_id, psk);
        self.unsaved.state = true;
    }

    pub(crate) fn cs<'a, C: Crypto + ?Sized>(
        &self,
        crypto: &'a C,
    ) -> Result<SuiteCrypto<'a, C>, Error> {
        SuiteCrypto::new(crypto, self.suite)
    }

    pub(crate) fn ensure_active(&self) -> Result<(), Error> {
        if self.active {
            Ok(())
        } else {
            Err(MisuseError::GroupInactive.into())
        }
    }

    /// A member sends only while active and before a ReInit is merged
    /// (RFC 9420 section 12.4.2; C-COMMIT-13, C-REINIT-02).
    pub(crate) fn ensure_can_send(&self) -> Result<(), Error> {
        self.ensure_active()?;
        if self.pending_reinit.is_some() {
            return Err(MisuseError::ReInitPending.into());
        }
        Ok(())
    }
}
