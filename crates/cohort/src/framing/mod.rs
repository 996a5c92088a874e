//! Message framing (RFC 9420 section 6): the data types of `MLSMessage`,
//! `PublicMessage`, `PrivateMessage`, `AuthenticatedContent` and sender
//! data, with their codecs and the to-be-signed and AAD encodings.
//!
//! Two structures `select` on a field outside themselves: the
//! `FramedContentAuthData` carries a confirmation tag only when the
//! enclosing content is a commit, and a `PrivateMessageContent` body follows
//! `PrivateMessage.content_type`. Both therefore decode through functions
//! that take the [`ContentType`]
//! ([`FramedContentAuthData::decode`], [`PrivateMessageContent::decode`])
//! rather than through `DeserializeBytes`. Encoders check that such fields
//! agree (a confirmation tag exactly on commits, a membership tag exactly
//! for member senders), so every value they accept decodes back to itself.
//!
//! Decoding is strict, so re-encoding a decoded value gives back the bytes
//! received; the signature, membership tag and transcript hashes over a
//! received message are computed over re-encoded fields.

use crate::codec::{VarBytes, append, closed_u8, open_u16, to_codec_error};
use crate::messages::{
    Commit, GroupContext, GroupInfo, KeyPackage, Mac, Proposal, ProtocolVersion, Welcome,
};
use crate::tree::math::LeafIndex;
use crate::{DecodeError, Error, MisuseError};
use alloc::vec::Vec;
use tls_codec::{
    DeserializeBytes, SerializeBytes, Size, TlsDeserializeBytes, TlsSerializeBytes, TlsSize,
};

open_u16!(
    /// `WireFormat` (RFC 9420 sections 6, 17.2).
    WireFormat {
        /// `mls_public_message(1)`
        PUBLIC_MESSAGE = 0x0001 => "mls_public_message",
        /// `mls_private_message(2)`
        PRIVATE_MESSAGE = 0x0002 => "mls_private_message",
        /// `mls_welcome(3)`
        WELCOME = 0x0003 => "mls_welcome",
        /// `mls_group_info(4)`
        GROUP_INFO = 0x0004 => "mls_group_info",
        /// `mls_key_package(5)`
        KEY_PACKAGE = 0x0005 => "mls_key_package",
    }
);

closed_u8!(
    /// `ContentType` (RFC 9420 section 6).
    ContentType / InvalidContentType {
        /// `application(1)`
        Application = 1,
        /// `proposal(2)`
        Proposal = 2,
        /// `commit(3)`
        Commit = 3,
    }
);

closed_u8!(
    /// `SenderType` (RFC 9420 section 6).
    SenderType / InvalidSenderType {
        /// `member(1)`
        Member = 1,
        /// `external(2)`
        External = 2,
        /// `new_member_proposal(3)`
        NewMemberProposal = 3,
        /// `new_member_commit(4)`
        NewMemberCommit = 4,
    }
);

/// `Sender` (RFC 9420 section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sender {
    /// `member(1)`: the sender's leaf index.
    Member(u32),
    /// `external(2)`: the index into the `external_senders` extension.
    External(u32),
    /// `new_member_proposal(3)`
    NewMemberProposal,
    /// `new_member_commit(4)`
    NewMemberCommit,
}

impl Sender {
    /// The sender type.
    pub fn sender_type(&self) -> SenderType {
        match self {
            Sender::Member(_) => SenderType::Member,
            Sender::External(_) => SenderType::External,
            Sender::NewMemberProposal => SenderType::NewMemberProposal,
            Sender::NewMemberCommit => SenderType::NewMemberCommit,
        }
    }

    /// The member's leaf, for a member sender.
    pub fn leaf_index(&self) -> Option<LeafIndex> {
        match self {
            Sender::Member(i) => Some(LeafIndex(*i)),
            _ => None,
        }
    }

    /// Whether a FramedContentTBS from this sender covers the GroupContext
    /// (member and new_member_commit, RFC 9420 section 6.1).
    pub fn signs_group_context(&self) -> bool {
        matches!(self, Sender::Member(_) | Sender::NewMemberCommit)
    }
}

impl Size for Sender {
    fn tls_serialized_len(&self) -> usize {
        match self {
            Sender::Member(_) | Sender::External(_) => 5,
            Sender::NewMemberProposal | Sender::NewMemberCommit => 1,
        }
    }
}

impl SerializeBytes for Sender {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(5);
        out.push(self.sender_type().into());
        if let Sender::Member(i) | Sender::External(i) = self {
            out.extend_from_slice(&i.to_be_bytes());
        }
        Ok(out)
    }
}

impl DeserializeBytes for Sender {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (sender_type, rest) = SenderType::tls_deserialize_bytes(bytes)?;
        Ok(match sender_type {
            SenderType::Member => {
                let (i, rest) = u32::tls_deserialize_bytes(rest)?;
                (Sender::Member(i), rest)
            }
            SenderType::External => {
                let (i, rest) = u32::tls_deserialize_bytes(rest)?;
                (Sender::External(i), rest)
            }
            SenderType::NewMemberProposal => (Sender::NewMemberProposal, rest),
            SenderType::NewMemberCommit => (Sender::NewMemberCommit, rest),
        })
    }
}

/// The `content_type` of a FramedContent with the field that `select`s on
/// it (RFC 9420 section 6). Its codec writes the content type, then the
/// body; [`FramedContentBody::encode_body`] and
/// [`FramedContentBody::decode_body`] handle the body alone, as in a
/// PrivateMessageContent.
// One per message, never in large arrays: the commit's size is not worth
// a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FramedContentBody {
    /// `application`: `opaque application_data<V>`.
    Application(VarBytes),
    /// `proposal`
    Proposal(Proposal),
    /// `commit`
    Commit(Commit),
}

impl FramedContentBody {
    /// The content type.
    pub fn content_type(&self) -> ContentType {
        match self {
            FramedContentBody::Application(_) => ContentType::Application,
            FramedContentBody::Proposal(_) => ContentType::Proposal,
            FramedContentBody::Commit(_) => ContentType::Commit,
        }
    }

    fn body_len(&self) -> usize {
        match self {
            FramedContentBody::Application(d) => d.tls_serialized_len(),
            FramedContentBody::Proposal(p) => p.tls_serialized_len(),
            FramedContentBody::Commit(c) => c.tls_serialized_len(),
        }
    }

    /// Appends the body without its content type.
    pub fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        Ok(self.append_body(out)?)
    }

    fn append_body(&self, out: &mut Vec<u8>) -> Result<(), tls_codec::Error> {
        match self {
            FramedContentBody::Application(d) => append(out, d),
            FramedContentBody::Proposal(p) => append(out, p),
            FramedContentBody::Commit(c) => append(out, c),
        }
    }

    /// Decodes a body of type `content_type` (without a content type
    /// prefix); returns it and the bytes after it.
    pub fn decode_body(
        content_type: ContentType,
        bytes: &[u8],
    ) -> Result<(Self, &[u8]), DecodeError> {
        Ok(Self::deserialize_body(content_type, bytes)?)
    }

    fn deserialize_body(
        content_type: ContentType,
        bytes: &[u8],
    ) -> Result<(Self, &[u8]), tls_codec::Error> {
        Ok(match content_type {
            ContentType::Application => {
                let (d, rest) = VarBytes::tls_deserialize_bytes(bytes)?;
                (FramedContentBody::Application(d), rest)
            }
            ContentType::Proposal => {
                let (p, rest) = Proposal::tls_deserialize_bytes(bytes)?;
                (FramedContentBody::Proposal(p), rest)
            }
            ContentType::Commit => {
                let (c, rest) = Commit::tls_deserialize_bytes(bytes)?;
                (FramedContentBody::Commit(c), rest)
            }
        })
    }
}

impl Size for FramedContentBody {
    fn tls_serialized_len(&self) -> usize {
        self.body_len().saturating_add(1)
    }
}

impl SerializeBytes for FramedContentBody {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        out.push(self.content_type().into());
        self.append_body(&mut out)?;
        Ok(out)
    }
}

impl DeserializeBytes for FramedContentBody {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (content_type, rest) = ContentType::tls_deserialize_bytes(bytes)?;
        Self::deserialize_body(content_type, rest)
    }
}

/// `FramedContent` (RFC 9420 section 6).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct FramedContent {
    /// The group.
    pub group_id: VarBytes,
    /// The epoch the content was sent in.
    pub epoch: u64,
    /// The sender.
    pub sender: Sender,
    /// Application-chosen data authenticated with the content.
    pub authenticated_data: VarBytes,
    /// `content_type` and the content.
    pub body: FramedContentBody,
}

impl FramedContent {
    /// The content type.
    pub fn content_type(&self) -> ContentType {
        self.body.content_type()
    }
}

/// `FramedContentTBS` (RFC 9420 section 6.1): what a FramedContent's
/// signature covers.
#[derive(Clone, Copy, Debug)]
pub struct FramedContentTbs<'a> {
    /// The protocol version (mls10).
    pub version: ProtocolVersion,
    /// The wire format the content is sent in.
    pub wire_format: WireFormat,
    /// The content.
    pub content: &'a FramedContent,
    /// The GroupContext of the epoch; required when the sender is a member
    /// or a new member committing, ignored otherwise.
    pub context: Option<&'a GroupContext>,
}

impl FramedContentTbs<'_> {
    /// The encoded FramedContentTBS. Fails with
    /// [`MisuseError::MissingTbsContext`] when the sender signs the
    /// GroupContext and none was given.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.append_to(&mut out)?;
        Ok(out)
    }

    fn append_to(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        append(out, &self.version)?;
        append(out, &self.wire_format)?;
        append(out, self.content)?;
        if self.content.sender.signs_group_context() {
            let context = self.context.ok_or(MisuseError::MissingTbsContext)?;
            append(out, context)?;
        }
        Ok(())
    }
}

/// `FramedContentAuthData` (RFC 9420 section 6.1): the signature, and the
/// confirmation tag when the content is a commit.
///
/// Its encoding depends on the enclosing content's type, so it implements
/// `SerializeBytes` but decodes with [`FramedContentAuthData::decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FramedContentAuthData {
    /// `SignWithLabel(., "FramedContentTBS", FramedContentTBS)`.
    pub signature: VarBytes,
    /// `MAC(confirmation_key, confirmed_transcript_hash)`: present exactly
    /// when the content type is commit.
    pub confirmation_tag: Option<Mac>,
}

impl FramedContentAuthData {
    /// Decodes the auth data of content of type `content_type`; returns it
    /// and the bytes after it.
    pub fn decode(content_type: ContentType, bytes: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        Ok(Self::deserialize(content_type, bytes)?)
    }

    fn deserialize(
        content_type: ContentType,
        bytes: &[u8],
    ) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (signature, rest) = VarBytes::tls_deserialize_bytes(bytes)?;
        let (confirmation_tag, rest) = if content_type == ContentType::Commit {
            let (tag, rest) = Mac::tls_deserialize_bytes(rest)?;
            (Some(tag), rest)
        } else {
            (None, rest)
        };
        Ok((
            FramedContentAuthData {
                signature,
                confirmation_tag,
            },
            rest,
        ))
    }

    /// Whether the tag's presence fits content of type `content_type`.
    fn fits(&self, content_type: ContentType) -> bool {
        self.confirmation_tag.is_some() == (content_type == ContentType::Commit)
    }
}

impl Size for FramedContentAuthData {
    fn tls_serialized_len(&self) -> usize {
        let tag = self
            .confirmation_tag
            .as_ref()
            .map_or(0, Size::tls_serialized_len);
        self.signature.tls_serialized_len().saturating_add(tag)
    }
}

impl SerializeBytes for FramedContentAuthData {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.signature)?;
        if let Some(tag) = &self.confirmation_tag {
            append(&mut out, tag)?;
        }
        Ok(out)
    }
}

fn inconsistent(what: &str) -> tls_codec::Error {
    tls_codec::Error::EncodingError(alloc::format!("inconsistent fields: {what}"))
}

const TAG_MISMATCH: &str = "confirmation tag must be present exactly for commits";
const MEMBERSHIP_TAG_MISMATCH: &str = "membership tag must be present exactly for member senders";

/// `AuthenticatedContent` (RFC 9420 section 6).
///
/// Its encoding is the input of a ProposalRef (RFC 9420 section 5.2);
/// strict decoding makes it canonical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatedContent {
    /// The wire format the content is sent in.
    pub wire_format: WireFormat,
    /// The content.
    pub content: FramedContent,
    /// The signature and, for commits, the confirmation tag.
    pub auth: FramedContentAuthData,
}

impl AuthenticatedContent {
    /// The FramedContentTBS of this content (see [`FramedContentTbs`]).
    pub fn to_be_signed(&self, context: Option<&GroupContext>) -> Result<Vec<u8>, Error> {
        FramedContentTbs {
            version: ProtocolVersion::MLS10,
            wire_format: self.wire_format,
            content: &self.content,
            context,
        }
        .encode()
    }

    /// The encoded `AuthenticatedContentTBM { FramedContentTBS content_tbs;
    /// FramedContentAuthData auth; }`, the input of a PublicMessage's
    /// membership tag (RFC 9420 section 6.2).
    pub fn to_be_maced(&self, context: &GroupContext) -> Result<Vec<u8>, Error> {
        let mut out = self.to_be_signed(Some(context))?;
        append(&mut out, &self.auth)?;
        Ok(out)
    }

    /// The encoded `ConfirmedTranscriptHashInput { wire_format, content,
    /// signature }` (RFC 9420 section 8.2).
    pub fn confirmed_transcript_hash_input(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        append(&mut out, &self.wire_format)?;
        append(&mut out, &self.content)?;
        append(&mut out, &self.auth.signature)?;
        Ok(out)
    }
}

impl Size for AuthenticatedContent {
    fn tls_serialized_len(&self) -> usize {
        self.wire_format
            .tls_serialized_len()
            .saturating_add(self.content.tls_serialized_len())
            .saturating_add(self.auth.tls_serialized_len())
    }
}

impl SerializeBytes for AuthenticatedContent {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        if !self.auth.fits(self.content.content_type()) {
            return Err(inconsistent(TAG_MISMATCH));
        }
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.wire_format)?;
        append(&mut out, &self.content)?;
        append(&mut out, &self.auth)?;
        Ok(out)
    }
}

impl DeserializeBytes for AuthenticatedContent {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (wire_format, rest) = WireFormat::tls_deserialize_bytes(bytes)?;
        let (content, rest) = FramedContent::tls_deserialize_bytes(rest)?;
        let (auth, rest) = FramedContentAuthData::deserialize(content.content_type(), rest)?;
        Ok((
            AuthenticatedContent {
                wire_format,
                content,
                auth,
            },
            rest,
        ))
    }
}

/// `PublicMessage` (RFC 9420 section 6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicMessage {
    /// The content.
    pub content: FramedContent,
    /// The signature and, for commits, the confirmation tag.
    pub auth: FramedContentAuthData,
    /// `MAC(membership_key, AuthenticatedContentTBM)`: present exactly when
    /// the sender is a member.
    pub membership_tag: Option<Mac>,
}

impl PublicMessage {
    /// The AuthenticatedContent the message carries (wire format
    /// `mls_public_message`).
    pub fn authenticated_content(&self) -> AuthenticatedContent {
        AuthenticatedContent {
            wire_format: WireFormat::PUBLIC_MESSAGE,
            content: self.content.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl Size for PublicMessage {
    fn tls_serialized_len(&self) -> usize {
        let tag = self
            .membership_tag
            .as_ref()
            .map_or(0, Size::tls_serialized_len);
        self.content
            .tls_serialized_len()
            .saturating_add(self.auth.tls_serialized_len())
            .saturating_add(tag)
    }
}

impl SerializeBytes for PublicMessage {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        if !self.auth.fits(self.content.content_type()) {
            return Err(inconsistent(TAG_MISMATCH));
        }
        let member = matches!(self.content.sender, Sender::Member(_));
        if self.membership_tag.is_some() != member {
            return Err(inconsistent(MEMBERSHIP_TAG_MISMATCH));
        }
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.content)?;
        append(&mut out, &self.auth)?;
        if let Some(tag) = &self.membership_tag {
            append(&mut out, tag)?;
        }
        Ok(out)
    }
}

impl DeserializeBytes for PublicMessage {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (content, rest) = FramedContent::tls_deserialize_bytes(bytes)?;
        let (auth, rest) = FramedContentAuthData::deserialize(content.content_type(), rest)?;
        let (membership_tag, rest) = if let Sender::Member(_) = content.sender {
            let (tag, rest) = Mac::tls_deserialize_bytes(rest)?;
            (Some(tag), rest)
        } else {
            (None, rest)
        };
        Ok((
            PublicMessage {
                content,
                auth,
                membership_tag,
            },
            rest,
        ))
    }
}

/// `PrivateMessage` (RFC 9420 section 6.3).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct PrivateMessage {
    /// The group.
    pub group_id: VarBytes,
    /// The epoch.
    pub epoch: u64,
    /// The type of the encrypted content.
    pub content_type: ContentType,
    /// Application-chosen data authenticated with the content.
    pub authenticated_data: VarBytes,
    /// The encrypted SenderData.
    pub encrypted_sender_data: VarBytes,
    /// The encrypted PrivateMessageContent.
    pub ciphertext: VarBytes,
}

impl PrivateMessage {
    /// The AAD of the content encryption.
    pub fn content_aad(&self) -> PrivateContentAad {
        PrivateContentAad {
            group_id: self.group_id.clone(),
            epoch: self.epoch,
            content_type: self.content_type,
            authenticated_data: self.authenticated_data.clone(),
        }
    }

    /// The AAD of the sender data encryption.
    pub fn sender_data_aad(&self) -> SenderDataAad {
        SenderDataAad {
            group_id: self.group_id.clone(),
            epoch: self.epoch,
            content_type: self.content_type,
        }
    }
}

/// `PrivateMessageContent` (RFC 9420 section 6.3.1): the plaintext of a
/// PrivateMessage's ciphertext, without its padding.
///
/// Its layout follows `PrivateMessage.content_type`, and its padding runs to
/// the end of the plaintext, so it encodes and decodes through
/// [`PrivateMessageContent::encode`] and [`PrivateMessageContent::decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivateMessageContent {
    /// The content (its type is the PrivateMessage's `content_type`).
    pub body: FramedContentBody,
    /// The signature and, for commits, the confirmation tag.
    pub auth: FramedContentAuthData,
}

impl PrivateMessageContent {
    /// Encodes the content, the auth data and `padding` zero bytes.
    pub fn encode(&self, padding: usize) -> Result<Vec<u8>, Error> {
        if !self.auth.fits(self.body.content_type()) {
            return Err(MisuseError::InconsistentFields(TAG_MISMATCH).into());
        }
        let mut out = Vec::with_capacity(
            self.body
                .body_len()
                .saturating_add(self.auth.tls_serialized_len()),
        );
        self.body.encode_body(&mut out)?;
        append(&mut out, &self.auth)?;
        let len = out
            .len()
            .checked_add(padding)
            .ok_or(MisuseError::LengthTooLarge)?;
        out.resize(len, 0);
        Ok(out)
    }

    /// Decodes a plaintext of content type `content_type`: the content, the
    /// auth data, then padding that must be all zero
    /// ([`DecodeError::NonZeroPadding`] otherwise).
    pub fn decode(content_type: ContentType, bytes: &[u8]) -> Result<Self, DecodeError> {
        let (body, rest) = FramedContentBody::decode_body(content_type, bytes)?;
        let (auth, padding) = FramedContentAuthData::decode(content_type, rest)?;
        if padding.iter().any(|&b| b != 0) {
            return Err(DecodeError::NonZeroPadding);
        }
        Ok(PrivateMessageContent { body, auth })
    }
}

/// `SenderData` (RFC 9420 section 6.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct SenderData {
    /// The sender's leaf index.
    pub leaf_index: u32,
    /// The generation of the sender's ratchet.
    pub generation: u32,
    /// The random value XORed into the content nonce.
    pub reuse_guard: [u8; 4],
}

/// `SenderDataAAD` (RFC 9420 section 6.3.2): the first three fields of a
/// PrivateMessage.
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct SenderDataAad {
    /// The group.
    pub group_id: VarBytes,
    /// The epoch.
    pub epoch: u64,
    /// The content type.
    pub content_type: ContentType,
}

/// `PrivateContentAAD` (RFC 9420 section 6.3.1).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct PrivateContentAad {
    /// The group.
    pub group_id: VarBytes,
    /// The epoch.
    pub epoch: u64,
    /// The content type.
    pub content_type: ContentType,
    /// Application-chosen data authenticated with the content.
    pub authenticated_data: VarBytes,
}

/// The `wire_format` of an MLSMessage with the message that `select`s on it
/// (RFC 9420 section 6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MlsMessageBody {
    /// `mls_public_message`
    PublicMessage(PublicMessage),
    /// `mls_private_message`
    PrivateMessage(PrivateMessage),
    /// `mls_welcome`
    Welcome(Welcome),
    /// `mls_group_info`
    GroupInfo(GroupInfo),
    /// `mls_key_package`
    KeyPackage(KeyPackage),
}

impl MlsMessageBody {
    /// The wire format.
    pub fn wire_format(&self) -> WireFormat {
        match self {
            MlsMessageBody::PublicMessage(_) => WireFormat::PUBLIC_MESSAGE,
            MlsMessageBody::PrivateMessage(_) => WireFormat::PRIVATE_MESSAGE,
            MlsMessageBody::Welcome(_) => WireFormat::WELCOME,
            MlsMessageBody::GroupInfo(_) => WireFormat::GROUP_INFO,
            MlsMessageBody::KeyPackage(_) => WireFormat::KEY_PACKAGE,
        }
    }

    fn body_len(&self) -> usize {
        match self {
            MlsMessageBody::PublicMessage(m) => m.tls_serialized_len(),
            MlsMessageBody::PrivateMessage(m) => m.tls_serialized_len(),
            MlsMessageBody::Welcome(m) => m.tls_serialized_len(),
            MlsMessageBody::GroupInfo(m) => m.tls_serialized_len(),
            MlsMessageBody::KeyPackage(m) => m.tls_serialized_len(),
        }
    }
}

/// `MLSMessage` (RFC 9420 section 6): the unit of transmission.
///
/// Decoding rejects a version other than mls10
/// ([`DecodeError::UnsupportedVersion`]; C-FRAME-01), since the layout of
/// other versions is unknown, a wire format other than the five of RFC 9420
/// ([`DecodeError::UnknownWireFormat`]; C-FRAME-02), and a KeyPackage whose
/// version differs from the message's
/// ([`DecodeError::KeyPackageVersionMismatch`]; RFC 9420 section 10,
/// C-KP-01).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MlsMessage {
    /// The protocol version (mls10).
    pub version: ProtocolVersion,
    /// The wire format and the message.
    pub body: MlsMessageBody,
}

impl MlsMessage {
    /// An mls10 message.
    pub fn new(body: MlsMessageBody) -> Self {
        MlsMessage {
            version: ProtocolVersion::MLS10,
            body,
        }
    }

    /// The wire format.
    pub fn wire_format(&self) -> WireFormat {
        self.body.wire_format()
    }
}

impl Size for MlsMessage {
    fn tls_serialized_len(&self) -> usize {
        self.body.body_len().saturating_add(4)
    }
}

impl SerializeBytes for MlsMessage {
    fn tls_serialize_bytes(&self) -> Result<Vec<u8>, tls_codec::Error> {
        let mut out = Vec::with_capacity(self.tls_serialized_len());
        append(&mut out, &self.version)?;
        append(&mut out, &self.wire_format())?;
        match &self.body {
            MlsMessageBody::PublicMessage(m) => append(&mut out, m)?,
            MlsMessageBody::PrivateMessage(m) => append(&mut out, m)?,
            MlsMessageBody::Welcome(m) => append(&mut out, m)?,
            MlsMessageBody::GroupInfo(m) => append(&mut out, m)?,
            MlsMessageBody::KeyPackage(m) => append(&mut out, m)?,
        }
        Ok(out)
    }
}

/// Decodes a `T` and wraps it in a message body.
fn message<T: DeserializeBytes>(
    bytes: &[u8],
    wrap: impl FnOnce(T) -> MlsMessageBody,
) -> Result<(MlsMessageBody, &[u8]), tls_codec::Error> {
    let (value, rest) = T::tls_deserialize_bytes(bytes)?;
    Ok((wrap(value), rest))
}

impl DeserializeBytes for MlsMessage {
    fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
        let (version, rest) = ProtocolVersion::tls_deserialize_bytes(bytes)?;
        if version != ProtocolVersion::MLS10 {
            return Err(to_codec_error(DecodeError::UnsupportedVersion(version.0)));
        }
        let (wire_format, rest) = WireFormat::tls_deserialize_bytes(rest)?;
        let (body, rest) = match wire_format {
            WireFormat::PUBLIC_MESSAGE => message(rest, MlsMessageBody::PublicMessage)?,
            WireFormat::PRIVATE_MESSAGE => message(rest, MlsMessageBody::PrivateMessage)?,
            WireFormat::WELCOME => message(rest, MlsMessageBody::Welcome)?,
            WireFormat::GROUP_INFO => message(rest, MlsMessageBody::GroupInfo)?,
            WireFormat::KEY_PACKAGE => {
                let (kp, rest) = KeyPackage::tls_deserialize_bytes(rest)?;
                // The KeyPackage's version is the MLSMessage's (RFC 9420
                // section 10; C-KP-01).
                if kp.version != version {
                    return Err(to_codec_error(DecodeError::KeyPackageVersionMismatch(
                        kp.version.0,
                    )));
                }
                (MlsMessageBody::KeyPackage(kp), rest)
            }
            WireFormat(other) => {
                return Err(to_codec_error(DecodeError::UnknownWireFormat(other)));
            }
        };
        Ok((MlsMessage { version, body }, rest))
    }
}

#[cfg(test)]
mod tests;

mod protect;
// Message protection is the group's business; `hazmat` exposes it.
#[cfg(feature = "hazmat")]
pub use protect::{
    check_sender_content, decrypt_sender_data, membership_tag, protect_private, protect_public,
    sign_content, unprotect_private, unprotect_public, verify_content_signature,
};
#[cfg(not(feature = "hazmat"))]
#[allow(unused_imports)]
pub(crate) use protect::{
    check_sender_content, decrypt_sender_data, membership_tag, protect_private, protect_public,
    sign_content, unprotect_private, unprotect_public, verify_content_signature,
};
