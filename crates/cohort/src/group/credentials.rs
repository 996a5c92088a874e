//! The Authentication Service hook (RFC 9420 section 5.3.1): the
//! application's [`CredentialValidator`], consulted whenever a credential
//! enters the group, and the places the group asks it.

use super::proposals::QueuedProposal;
use crate::framing::Sender;
use crate::messages::{Credential, Extensions, ExternalSenders, GroupContext, LeafNode, Proposal};
use crate::tree::math::LeafIndex;
use crate::tree::{RatchetTree, TreeView};
use crate::{Error, ValidationError};
use alloc::sync::Arc;

/// The event of RFC 9420 section 5.3.1 at which a credential is put to the
/// [`CredentialValidator`]. A rejection names it in
/// [`ValidationError::CredentialRejected`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CredentialEvent {
    /// The leaf at `leaf` of the tree of a group this client joins, by
    /// Welcome or by external commit (C-CRED-04).
    Join {
        /// The leaf index in the joined tree.
        leaf: u32,
    },
    /// The KeyPackage of an Add: one this member is about to commit
    /// (C-CRED-03), or one it received, on its own or in a commit, by value
    /// or by reference (C-CRED-05).
    Add,
    /// The new leaf of an Update proposal from the member at `leaf`
    /// (C-CRED-06).
    Update {
        /// The sender's leaf index.
        leaf: u32,
    },
    /// The leaf of a member's commit's UpdatePath; `leaf` is the
    /// committer's (C-CRED-07).
    CommitPath {
        /// The committer's leaf index.
        leaf: u32,
    },
    /// The leaf of an external commit's UpdatePath: the joiner's credential
    /// (C-CRED-07).
    ExternalCommit,
    /// Entry `index` of an `external_senders` extension: one a
    /// GroupContextExtensions proposal adds or changes (C-CRED-08,
    /// C-CRED-09), or one of a group this client joins (C-CRED-04).
    ExternalSender {
        /// The index in the `external_senders` list.
        index: u32,
    },
}

/// A credential put to a [`CredentialValidator`], with what the
/// Authentication Service needs to judge it (RFC 9420 section 5.3.1).
#[derive(Clone, Copy, Debug)]
pub struct CredentialInfo<'a> {
    /// Why it is asked.
    pub event: CredentialEvent,
    /// The credential.
    pub credential: &'a Credential,
    /// The signature key the credential must be bound to: the leaf's
    /// `signature_key`, or the external sender's.
    pub signature_key: &'a [u8],
    /// The leaf holding the credential; `None` for an external sender.
    ///
    /// Its `application_id` extension, if any, is *not* authenticated by
    /// the Authentication Service and need not be unique (RFC 9420 section
    /// 5.3.3; C-CRED-13): a validator must not accept a credential because
    /// of it.
    pub leaf_node: Option<&'a LeafNode>,
    /// The GroupContext of the group's current epoch; when joining, that of
    /// the group joined.
    pub context: &'a GroupContext,
}

/// The application's Authentication Service (RFC 9420 sections 5.3,
/// 5.3.1): whether a credential presents identifiers acceptable for its
/// holder and bound to its signature key, and whether a member's new
/// credential is an acceptable successor of its old one.
///
/// A [`Group`](super::Group) asks it, through its [`GroupConfig`]'s
/// `credential_validator` (see [`SharedCredentialValidator`]), at every
/// event of section 5.3.1:
///
/// - the KeyPackage of every Add of a commit this member builds
///   (C-CRED-03), and of every Add it receives, on its own or in a commit,
///   by value or by reference (C-CRED-05);
/// - every leaf of the tree, and every `external_senders` entry, of a group
///   it joins from a GroupInfo, by Welcome ([`Group::join`],
///   [`Group::join_from_storage`], [`Group::join_with_resumption`]) or by
///   external commit ([`Group::join_external`]) (C-CRED-04);
/// - the leaf of an Update proposal (C-CRED-06) and of a commit's
///   UpdatePath (C-CRED-07) when its credential or signature key differs
///   from the leaf it replaces, and always for an external commit's leaf
///   (a new member);
/// - every entry of an `external_senders` extension that a
///   GroupContextExtensions proposal adds or changes (C-CRED-08,
///   C-CRED-09).
///
/// When an Update or a commit path replaces a member's credential,
/// [`CredentialValidator::valid_successor`] is asked too (C-CRED-10); for
/// a resync (an external commit removing the joiner's old leaf) it decides
/// whether the new leaf presents an identity acceptable for the removed
/// member (C-EXT-15).
///
/// A credential is put to the validator once the message carrying it is
/// authenticated. In a commit, the structure around it is checked first:
/// an Add's KeyPackage (its signature included) and an Update's or a
/// member's path leaf pass the checks of RFC 9420 sections 7.3 and 10.1;
/// an external commit's leaf is asked about after the commit's signature
/// under that leaf's key verified. A joined group's credentials are asked
/// about after its tree, GroupInfo and confirmation tag verified. A
/// proposal received on its own is asked about when it arrives, so a
/// refused one is never cached (its contents are validated when a commit
/// holds it, and the validator is asked again then). A refusal makes
/// the message invalid: it is rejected with
/// [`ValidationError::CredentialRejected`] or
/// [`ValidationError::InvalidCredentialSuccessor`] (a resync with
/// [`ValidationError::ResyncIdentityMismatch`]), the group is unchanged,
/// and a refused proposal is not cached. A refused join creates no group
/// and consumes no KeyPackage. Every member must apply the same rules, or
/// they will disagree on which commits are valid.
///
/// [`DefaultCredentialValidator`] is used when the application installs
/// none.
///
/// [`GroupConfig`]: super::GroupConfig
/// [`Group::join`]: super::Group::join
/// [`Group::join_from_storage`]: super::Group::join_from_storage
/// [`Group::join_with_resumption`]: super::Group::join_with_resumption
/// [`Group::join_external`]: super::Group::join_external
pub trait CredentialValidator: Send + Sync {
    /// Whether `info.credential` is valid with the Authentication Service
    /// (for a multi-credential, asked about each binding's credential and
    /// `credential_key` in turn, never about the multi-credential itself):
    /// its presented identifiers are correctly bound to
    /// `info.signature_key` and match the application's reference
    /// identifiers for this member (RFC 9420 section 5.3.1; C-LN-03,
    /// C-CRED-03 to C-CRED-09).
    fn validate(&self, info: &CredentialInfo<'_>) -> bool;

    /// Whether `new.credential` is a valid successor of the credential of
    /// `old`, the leaf it replaces (RFC 9420 section 5.3.1; C-CRED-10).
    /// Asked after [`CredentialValidator::validate`] accepted `new`.
    ///
    /// The default requires the same credential: for a basic credential,
    /// the same identity (a new signature key is allowed). An application
    /// that lets members renew or change credentials (a renewed X.509
    /// certificate, C-CRED-11) overrides it.
    fn valid_successor(&self, old: &LeafNode, new: &CredentialInfo<'_>) -> bool {
        old.credential == *new.credential
    }

    /// Whether this Authentication Service understands credentials of
    /// `credential_type`. Asked for the bindings of a `weak-multi`
    /// credential (extensions draft): only those of supported types are
    /// put to [`CredentialValidator::validate`], and each of them must
    /// pass. The default supports every type, so every binding is checked.
    fn supports(&self, credential_type: crate::messages::CredentialType) -> bool {
        let _ = credential_type;
        true
    }
}

/// The validator a group uses when the application installs none.
///
/// It accepts `basic` credentials: they carry a bare identity with nothing
/// to verify, so binding it to the member is the application's business
/// (RFC 9420 section 5.3). It refuses every other type, `x509` included:
/// it cannot verify a certificate chain, and accepting one unverified
/// would pass off an unauthenticated identity as authenticated. An
/// application with X.509 credentials installs a validator of its own.
///
/// A member's credential may be replaced only by the same credential
/// ([`CredentialValidator::valid_successor`]'s default): a basic
/// credential keeps its identity, so an Update or commit path changing
/// `alice` into `mallory` is refused (C-CRED-10).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DefaultCredentialValidator;

impl CredentialValidator for DefaultCredentialValidator {
    fn validate(&self, info: &CredentialInfo<'_>) -> bool {
        matches!(info.credential, Credential::Basic { .. })
    }
}

static DEFAULT_VALIDATOR: DefaultCredentialValidator = DefaultCredentialValidator;

/// A [`CredentialValidator`] as a group's configuration holds it: shared,
/// and [`DefaultCredentialValidator`] when empty (the default).
///
/// The validator is runtime configuration: [`Group::save`] does not store
/// it, and a group loaded back ([`Group::load`]) has the default validator
/// until the application installs its own again with
/// [`Group::set_credential_validator`].
///
/// Two values are equal when both are the default or both hold the same
/// shared validator object.
///
/// [`Group::save`]: super::Group::save
/// [`Group::load`]: super::Group::load
/// [`Group::set_credential_validator`]: super::Group::set_credential_validator
#[derive(Clone, Default)]
pub struct SharedCredentialValidator(Option<Arc<dyn CredentialValidator>>);

impl SharedCredentialValidator {
    /// Holds `validator`.
    pub fn new<T: CredentialValidator + 'static>(validator: T) -> Self {
        SharedCredentialValidator(Some(Arc::new(validator)))
    }

    /// The validator in force.
    pub fn get(&self) -> &dyn CredentialValidator {
        match &self.0 {
            Some(v) => v.as_ref(),
            None => &DEFAULT_VALIDATOR,
        }
    }

    /// Whether this is the default validator (none installed).
    pub fn is_default(&self) -> bool {
        self.0.is_none()
    }
}

impl From<Arc<dyn CredentialValidator>> for SharedCredentialValidator {
    fn from(validator: Arc<dyn CredentialValidator>) -> Self {
        SharedCredentialValidator(Some(validator))
    }
}

impl PartialEq for SharedCredentialValidator {
    fn eq(&self, other: &Self) -> bool {
        super::clock::same_hook(&self.0, &other.0)
    }
}

impl Eq for SharedCredentialValidator {}

impl core::fmt::Debug for SharedCredentialValidator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(if self.is_default() {
            "SharedCredentialValidator(default)"
        } else {
            "SharedCredentialValidator(application)"
        })
    }
}

/// The validator `v`, or the default one.
pub(crate) fn or_default(v: Option<&dyn CredentialValidator>) -> &dyn CredentialValidator {
    v.unwrap_or(&DEFAULT_VALIDATOR)
}

/// Puts `info` to `v` (C-LN-03). A multi-credential is not put to it
/// whole: each binding's credential is, with the binding's
/// `credential_key` as the key it must be bound to (extensions draft,
/// "Verifying a Multi-Credential"): every binding of a `multi` credential,
/// and those of a `weak-multi` one whose credential type `v`
/// [supports](CredentialValidator::supports). The bindings' signatures
/// were verified with the leaf.
pub(crate) fn validate_credential(
    v: &dyn CredentialValidator,
    info: &CredentialInfo<'_>,
) -> Result<(), Error> {
    let rejected = || ValidationError::CredentialRejected { event: info.event }.into();
    let Some(bindings) = info.credential.bindings() else {
        return if v.validate(info) {
            Ok(())
        } else {
            Err(rejected())
        };
    };
    let weak = matches!(info.credential, Credential::WeakMulti { .. });
    for binding in bindings {
        if weak && !v.supports(binding.credential.credential_type()) {
            continue;
        }
        let inner = CredentialInfo {
            credential: &binding.credential,
            signature_key: binding.credential_key.as_slice(),
            ..*info
        };
        if !v.validate(&inner) {
            return Err(rejected());
        }
    }
    Ok(())
}

/// A leaf `new` replacing the member's leaf `old` at `leaf` (an Update or a
/// commit path): when its credential or signature key is new, the
/// credential is validated (C-CRED-06, C-CRED-07) and must be a valid
/// successor of the old one (C-CRED-10).
pub(crate) fn check_replacement(
    v: &dyn CredentialValidator,
    event: CredentialEvent,
    leaf: u32,
    old: &LeafNode,
    new: &LeafNode,
    context: &GroupContext,
) -> Result<(), Error> {
    if old.credential == new.credential && old.signature_key == new.signature_key {
        return Ok(());
    }
    let info = new_member_info(event, new, context);
    validate_credential(v, &info)?;
    if v.valid_successor(old, &info) {
        Ok(())
    } else {
        Err(ValidationError::InvalidCredentialSuccessor { leaf }.into())
    }
}

/// What the validator is asked about the credential of `leaf`.
pub(crate) fn new_member_info<'a>(
    event: CredentialEvent,
    leaf: &'a LeafNode,
    context: &'a GroupContext,
) -> CredentialInfo<'a> {
    CredentialInfo {
        event,
        credential: &leaf.credential,
        signature_key: leaf.signature_key.as_slice(),
        leaf_node: Some(leaf),
        context,
    }
}

/// The leaf `leaf` of a new member (an Add's KeyPackage, an external
/// commit's path, a leaf of a joined tree) is validated for `event`
/// (C-CRED-03, C-CRED-04, C-CRED-05, C-CRED-07).
pub(crate) fn check_new_member(
    v: &dyn CredentialValidator,
    event: CredentialEvent,
    leaf: &LeafNode,
    context: &GroupContext,
) -> Result<(), Error> {
    validate_credential(v, &new_member_info(event, leaf, context))
}

/// Every entry of `senders` is validated (C-CRED-04, C-CRED-08, C-CRED-09).
fn check_external_senders(
    v: &dyn CredentialValidator,
    senders: &ExternalSenders,
    context: &GroupContext,
) -> Result<(), Error> {
    for (i, sender) in senders.0.0.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        validate_credential(
            v,
            &CredentialInfo {
                event: CredentialEvent::ExternalSender { index },
                credential: &sender.credential,
                signature_key: sender.signature_key.as_slice(),
                leaf_node: None,
                context,
            },
        )?;
    }
    Ok(())
}

/// The credentials a proposal list brings into the group (RFC 9420 section
/// 5.3.1), with the group at `context` and `tree` before it: each Add's
/// KeyPackage (C-CRED-03, C-CRED-05); each Update's leaf when its
/// credential or signature key is new, and its successor rule (C-CRED-06,
/// C-CRED-10); and every external sender of a GroupContextExtensions
/// proposal that adds an `external_senders` extension or changes it
/// (C-CRED-08, C-CRED-09). Used for a proposal received on its own and for
/// a commit's list, built or received.
pub(crate) fn check_proposal_credentials(
    v: &dyn CredentialValidator,
    context: &GroupContext,
    tree: &RatchetTree,
    list: &[QueuedProposal],
) -> Result<(), Error> {
    for q in list {
        match &q.proposal {
            Proposal::Add(add) => {
                check_new_member(v, CredentialEvent::Add, &add.key_package.leaf_node, context)?;
            }
            Proposal::Update(update) => {
                let Sender::Member(s) = q.sender else {
                    continue;
                };
                let old = tree
                    .leaf(LeafIndex(s))
                    .ok_or(ValidationError::SenderNotMember)?;
                check_replacement(
                    v,
                    CredentialEvent::Update { leaf: s },
                    s,
                    old,
                    &update.leaf_node,
                    context,
                )?;
            }
            Proposal::GroupContextExtensions(gce) => {
                check_new_external_senders(v, context, &gce.extensions)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The external senders of `extensions`, replacing `context`'s, when the
/// list is added or differs from the current one (C-CRED-08, C-CRED-09).
fn check_new_external_senders(
    v: &dyn CredentialValidator,
    context: &GroupContext,
    extensions: &Extensions,
) -> Result<(), Error> {
    let Some(new) = extensions.get::<ExternalSenders>()? else {
        return Ok(());
    };
    if context.extensions.get::<ExternalSenders>()?.as_ref() == Some(&new) {
        return Ok(());
    }
    check_external_senders(v, &new, context)
}

/// Before joining a group from a GroupInfo (RFC 9420 section 5.3.1;
/// C-CRED-04): every leaf of its tree and every entry of its
/// `external_senders` extension is validated.
pub(crate) fn check_group_credentials(
    v: &dyn CredentialValidator,
    context: &GroupContext,
    tree: &RatchetTree,
) -> Result<(), Error> {
    for l in 0..tree.n_leaves() {
        if let Some(leaf) = tree.leaf(LeafIndex(l)) {
            check_new_member(v, CredentialEvent::Join { leaf: l }, leaf, context)?;
        }
    }
    if let Some(senders) = context.extensions.get::<ExternalSenders>()? {
        check_external_senders(v, &senders, context)?;
    }
    Ok(())
}
