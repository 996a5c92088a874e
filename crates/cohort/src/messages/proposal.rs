//! Proposals and commits (RFC 9420 sections 12.1 and 12.4).

use super::{
    AppDataUpdate, AppEphemeral, Extensions, KeyPackage, LeafNode, PreSharedKeyId, ProposalRef,
    ProposalType, ProtocolVersion, SelfRemove, UpdatePath,
};
use crate::codec::{VarBytes, VarVec, append, closed_u8};
use crate::tree::math::LeafIndex;
use alloc::boxed::Box;
use alloc::vec::Vec;
use cohort_traits::Ciphersuite;
use tls_codec::{
    DeserializeBytes, SerializeBytes, Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize,
};

/// `Add { KeyPackage key_package; }` (RFC 9420 section 12.1.1).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct Add {
    /// The key package of the client to add.
    pub key_package: KeyPackage,
}

/// `Update { LeafNode leaf_node; }` (RFC 9420 section 12.1.2).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct Update {
    /// The sender's new leaf node.
    pub leaf_node: LeafNode,
}

/// `Remove { uint32 removed; }` (RFC 9420 section 12.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct Remove {
    /// The leaf index of the member to remove.
    pub removed: u32,
}

impl Remove {
    /// The removed leaf.
    pub fn leaf(&self) -> LeafIndex {
        LeafIndex(self.removed)
    }
}

/// `PreSharedKey { PreSharedKeyID psk; }` (RFC 9420 section 12.1.4).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct PreSharedKey {
    /// The PSK to inject.
    pub psk: PreSharedKeyId,
}

/// `ReInit` (RFC 9420 section 12.1.5).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ReInit {
    /// The new group's identifier.
    pub group_id: VarBytes,
    /// The new group's protocol version.
    pub version: ProtocolVersion,
    /// The new group's cipher suite.
    pub cipher_suite: Ciphersuite,
    /// The new group's extensions.
    pub extensions: Extensions,
}

/// `ExternalInit { opaque kem_output<V>; }` (RFC 9420 section 12.1.6).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct ExternalInit {
    /// The KEM output for the external init secret (section 8.3).
    pub kem_output: VarBytes,
}

/// `GroupContextExtensions { Extension extensions<V>; }` (RFC 9420 section
/// 12.1.7).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct GroupContextExtensions {
    /// The new group context extensions (a wholesale replacement).
    pub extensions: Extensions,
}

/// A proposal of a type other than the seven of RFC 9420 (sections 12.1,
/// 13.2, 17.4): an application-defined type, carried as `opaque
/// data<V>` after the type. RFC 9420 leaves a new type's body to its
/// definition; Cohort frames every custom type this way, the framing the
/// MLS ecosystem uses for application-defined proposals, so any member
/// can decode a commit holding one and check that every member supports
/// its type (C-PROP-19). Its meaning is the application's: it changes
/// nothing in the tree or the key schedule, and the application applies
/// it from the staged commit's proposal list.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct CustomProposal {
    /// The body, as the application encodes it.
    pub data: VarBytes,
}

/// `Proposal` (RFC 9420 section 12.1).
///
/// A proposal's body `select`s on its type with no length prefix. The
/// seven types of RFC 9420 and the three of the MLS extensions draft
/// decode into their variants; every other type is [`Proposal::Custom`]
/// with an `opaque data<V>` body (see [`CustomProposal`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proposal {
    /// `add` (boxed, like `update`: the other proposals are far smaller,
    /// and a commit may hold tens of thousands of them)
    Add(Box<Add>),
    /// `update`
    Update(Box<Update>),
    /// `remove`
    Remove(Remove),
    /// `psk`
    PreSharedKey(PreSharedKey),
    /// `reinit`
    ReInit(ReInit),
    /// `external_init`
    ExternalInit(ExternalInit),
    /// `group_context_extensions`
    GroupContextExtensions(GroupContextExtensions),
    /// `app_data_update` (extensions draft; provisional code point).
    AppDataUpdate(AppDataUpdate),
    /// `app_ephemeral` (extensions draft; provisional code point).
    AppEphemeral(AppEphemeral),
    /// `self_remove` (extensions draft; provisional code point).
    SelfRemove(SelfRemove),
    /// A type outside RFC 9420's seven and the draft's three (GREASE
    /// values included, which receivers refuse as unsupported, RFC 9420
    /// section 13.5).
    Custom(ProposalType, CustomProposal),
}

impl CustomProposal {
    /// The body decoded as exactly one `T` (the application's encoding of
    /// its type, in the TLS presentation language).
    pub fn parse<T: DeserializeBytes>(&self) -> Result<T, crate::Error> {
        crate::codec::decode_exact(self.data.as_slice())
    }
}

impl Proposal {
    /// A proposal of the custom type `proposal_type` whose body is `body`
    /// TLS-encoded (see [`CustomProposal`]; its logic is registered with
    /// [`AppRegistry::with_proposal_type`](crate::group::AppRegistry::with_proposal_type)).
    pub fn custom<T: SerializeBytes>(
        proposal_type: ProposalType,
        body: &T,
    ) -> Result<Self, crate::Error> {
        Ok(Proposal::Custom(
            proposal_type,
            CustomProposal {
                data: VarBytes(body.tls_serialize_bytes()?),
            },
        ))
    }

    /// The proposal type.
    pub fn proposal_type(&self) -> ProposalType {
        match self {
            Proposal::Custom(t, _) => *t,
            Proposal::Add(_) => ProposalType::ADD,
            Proposal::Update(_) => ProposalType::UPDATE,
            Proposal::Remove(_) => ProposalType::REMOVE,
            Proposal::PreSharedKey(_) => ProposalType::PSK,
            Proposal::ReInit(_) => ProposalType::REINIT,
            Proposal::ExternalInit(_) => ProposalType::EXTERNAL_INIT,
            Proposal::GroupContextExtensions(_) => ProposalType::GROUP_CONTEXT_EXTENSIONS,
            Proposal::AppDataUpdate(_) => ProposalType::APP_DATA_UPDATE,
            Proposal::AppEphemeral(_) => ProposalType::APP_EPHEMERAL,
            Proposal::SelfRemove(_) => ProposalType::SELF_REMOVE,
        }
    }
}

impl Size for Proposal {
    fn tls_serialized_len(&self) -> usize {
        let body = match self {
            Proposal::Add(p) => p.tls_serialized_len(),
            Proposal::Update(p) => p.tls_serialized_len(),
            Proposal::Remove(p) => p.tls_serialized_len(),
            Proposal::PreSharedKey(p) => p.tls_serialized_len(),
            Proposal::ReInit(p) => p.tls_serialized_len(),
            Proposal::ExternalInit(p) => p.tls_serialized_len(),
            Proposal::GroupContextExtensions(p) => p.tls_serialized_len(),
            Proposal::AppDataUpdate(p) => p.tls_serialized_len(),
            Proposal::AppEphemeral(p) => p.tls_serialized_len(),
            Proposal::SelfRemove(p) => p.tls_serialized_len(),
            Proposal::Custom(_, p) => p.tls_serialized_len(),
        };
        body.saturating_add(2)
    }
}

impl SerializeBytes for Proposal {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.proposal_type())?;
        match self {
            Proposal::Add(p) => append(&mut out, p)?,
            Proposal::Update(p) => append(&mut out, p)?,
            Proposal::Remove(p) => append(&mut out, p)?,
            Proposal::PreSharedKey(p) => append(&mut out, p)?,
            Proposal::ReInit(p) => append(&mut out, p)?,
            Proposal::ExternalInit(p) => append(&mut out, p)?,
            Proposal::GroupContextExtensions(p) => append(&mut out, p)?,
            Proposal::AppDataUpdate(p) => append(&mut out, p)?,
            Proposal::AppEphemeral(p) => append(&mut out, p)?,
            Proposal::SelfRemove(p) => append(&mut out, p)?,
            Proposal::Custom(_, p) => append(&mut out, p)?,
        }
        Ok(out)
    }
}

/// Decodes a `T` and wraps it in a proposal variant.
fn body<T: DeserializeBytes>(
    bytes: &[u8],
    wrap: impl FnOnce(T) -> Proposal,
) -> Result<(Proposal, &[u8]), tls_codec::Error> {
    let (value, rest) = T::tls_deserialize_bytes(bytes)?;
    Ok((wrap(value), rest))
}

impl DeserializeBytes for Proposal {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (proposal_type, rest) = ProposalType::tls_deserialize_bytes(bytes)?;
        match proposal_type {
            ProposalType::ADD => body(rest, |p| Proposal::Add(Box::new(p))),
            ProposalType::UPDATE => body(rest, |p| Proposal::Update(Box::new(p))),
            ProposalType::REMOVE => body(rest, Proposal::Remove),
            ProposalType::PSK => body(rest, Proposal::PreSharedKey),
            ProposalType::REINIT => body(rest, Proposal::ReInit),
            ProposalType::EXTERNAL_INIT => body(rest, Proposal::ExternalInit),
            ProposalType::GROUP_CONTEXT_EXTENSIONS => body(rest, Proposal::GroupContextExtensions),
            ProposalType::APP_DATA_UPDATE => body(rest, Proposal::AppDataUpdate),
            ProposalType::APP_EPHEMERAL => body(rest, Proposal::AppEphemeral),
            ProposalType::SELF_REMOVE => body(rest, Proposal::SelfRemove),
            other => body(rest, |p| Proposal::Custom(other, p)),
        }
    }
}

closed_u8!(
    /// `ProposalOrRefType` (RFC 9420 section 12.4).
    ProposalOrRefType / InvalidProposalOrRefType {
        /// `proposal(1)`
        Proposal = 1,
        /// `reference(2)`
        Reference = 2,
    }
);

/// `ProposalOrRef` (RFC 9420 section 12.4): a proposal by value or by
/// reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposalOrRef {
    /// `proposal(1)`: by value (boxed: a proposal is far larger than a
    /// reference).
    Proposal(Box<Proposal>),
    /// `reference(2)`: the ProposalRef of the AuthenticatedContent that
    /// carried the proposal (RFC 9420 section 5.2).
    Reference(ProposalRef),
}

impl ProposalOrRef {
    /// The type.
    pub fn or_ref_type(&self) -> ProposalOrRefType {
        match self {
            ProposalOrRef::Proposal(_) => ProposalOrRefType::Proposal,
            ProposalOrRef::Reference(_) => ProposalOrRefType::Reference,
        }
    }
}

impl Size for ProposalOrRef {
    fn tls_serialized_len(&self) -> usize {
        let body = match self {
            ProposalOrRef::Proposal(p) => p.tls_serialized_len(),
            ProposalOrRef::Reference(r) => r.tls_serialized_len(),
        };
        body.saturating_add(1)
    }
}

impl SerializeBytes for ProposalOrRef {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.or_ref_type())?;
        match self {
            ProposalOrRef::Proposal(p) => append(&mut out, p)?,
            ProposalOrRef::Reference(r) => append(&mut out, r)?,
        }
        Ok(out)
    }
}

impl DeserializeBytes for ProposalOrRef {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (kind, rest) = ProposalOrRefType::tls_deserialize_bytes(bytes)?;
        match kind {
            ProposalOrRefType::Proposal => {
                let (p, rest) = Proposal::tls_deserialize_bytes(rest)?;
                Ok((ProposalOrRef::Proposal(Box::new(p)), rest))
            }
            ProposalOrRefType::Reference => {
                let (r, rest) = ProposalRef::tls_deserialize_bytes(rest)?;
                Ok((ProposalOrRef::Reference(r), rest))
            }
        }
    }
}

/// `Commit { ProposalOrRef proposals<V>; optional<UpdatePath> path; }`
/// (RFC 9420 section 12.4).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct Commit {
    /// The committed proposals, in order.
    pub proposals: VarVec<ProposalOrRef>,
    /// The committer's update path, if any.
    pub path: Option<UpdatePath>,
}
