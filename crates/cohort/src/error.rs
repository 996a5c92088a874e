use cohort_traits::{Ciphersuite, CryptoError, RandError, SignerError, StorageError};

/// Every failure the library reports.
///
/// Each kind nests a more precise error; validation errors name the RFC check
/// that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input bytes do not decode.
    #[error("malformed input: {0}")]
    Malformed(#[from] DecodeError),
    /// Input decodes but breaks a rule of RFC 9420.
    #[error("validation failed: {0}")]
    Validation(#[from] ValidationError),
    /// The API was used in a way it does not allow.
    #[error("API misuse: {0}")]
    Misuse(#[from] MisuseError),
    /// A cryptographic primitive failed.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// The signer failed.
    #[error("signer: {0}")]
    Signer(#[from] SignerError),
    /// The storage backend failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// Input exceeds a configured limit ([`Limits`](crate::group::Limits)).
    #[error("limit exceeded: {0}")]
    Limit(#[from] LimitError),
    /// An internal invariant does not hold: a bug in this library, never
    /// the fault of the input or the caller. Nothing changed.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// A configured limit that input exceeds (see
/// [`Limits`](crate::group::Limits)). Each is checked before the work the
/// input would cost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// A received ratchet tree, or the tree a commit would grow, has more
    /// leaves than `max_leaves`.
    #[error("tree of {leaves} leaves exceeds the limit of {max}")]
    TooManyLeaves {
        /// The leaves the tree has or would have (at least).
        leaves: u64,
        /// The limit.
        max: u32,
    },
    /// A message is larger than `max_message_size`.
    #[error("message of {size} bytes exceeds the limit of {max}")]
    MessageTooLarge {
        /// The message's encoded size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A LeafNode or KeyPackage carries more extensions than
    /// `max_extensions_per_leaf`.
    #[error("{count} extensions exceed the limit of {max}")]
    TooManyExtensions {
        /// The number of extensions.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A commit holds more proposals than `max_proposals_per_commit`.
    #[error("commit of {count} proposals exceeds the limit of {max}")]
    TooManyProposals {
        /// The number of proposals.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The epoch's proposal cache already holds `max_cached_proposals`.
    #[error("proposal cache full ({max} proposals)")]
    ProposalCacheFull {
        /// The limit.
        max: usize,
    },
}

impl From<RandError> for Error {
    fn from(e: RandError) -> Self {
        Error::Crypto(CryptoError::Rand(e))
    }
}

impl From<tls_codec::Error> for Error {
    fn from(e: tls_codec::Error) -> Self {
        Error::Malformed(DecodeError::from(e))
    }
}

/// Why bytes failed to decode (RFC 9420 section 2.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the value did.
    #[error("unexpected end of input")]
    EndOfInput,
    /// Bytes remain after the value.
    #[error("trailing bytes after the value")]
    TrailingBytes,
    /// A variable-length header is not in its minimal form, is reserved
    /// (prefix 0b11) or exceeds 2^30 - 1.
    #[error("invalid variable-length vector header")]
    InvalidLength,
    /// An optional value's presence byte is neither 0 nor 1.
    #[error("invalid optional presence byte")]
    InvalidOptional,
    /// A value is outside its allowed range.
    #[error("invalid value: {0}")]
    InvalidValue(&'static str),
    /// Any other codec failure.
    #[error("codec error: {0}")]
    Codec(alloc::string::String),
    /// A credential of a type whose encoding is unknown, so it cannot be
    /// parsed (RFC 9420 section 5.3).
    #[error("unknown credential type {0:#06x}")]
    UnknownCredentialType(u16),
    /// A proposal of a type whose encoding is unknown (RFC 9420 section 12.1).
    #[error("unknown proposal type {0:#06x}")]
    UnknownProposalType(u16),
    /// An MLSMessage with a wire format this version does not define
    /// (RFC 9420 section 6).
    #[error("unknown wire format {0:#06x}")]
    UnknownWireFormat(u16),
    /// An MLSMessage of a protocol version other than mls10 (RFC 9420
    /// section 6), whose layout is unknown.
    #[error("unsupported protocol version {0:#06x}")]
    UnsupportedVersion(u16),
    /// A ContentType other than application, proposal or commit (RFC 9420
    /// section 6).
    #[error("invalid content type {0}")]
    InvalidContentType(u8),
    /// A SenderType outside 1..=4 (RFC 9420 section 6).
    #[error("invalid sender type {0}")]
    InvalidSenderType(u8),
    /// A PSKType other than external or resumption (RFC 9420 section 8.4).
    #[error("invalid PSK type {0}")]
    InvalidPskType(u8),
    /// A ResumptionPSKUsage outside 1..=3 (RFC 9420 section 8.4).
    #[error("invalid resumption PSK usage {0}")]
    InvalidResumptionPskUsage(u8),
    /// A LeafNodeSource outside 1..=3 (RFC 9420 section 7.2).
    #[error("invalid leaf node source {0}")]
    InvalidLeafNodeSource(u8),
    /// A NodeType other than leaf or parent (RFC 9420 section 7.8).
    #[error("invalid node type {0}")]
    InvalidNodeType(u8),
    /// A ProposalOrRefType other than proposal or reference (RFC 9420
    /// section 12.4).
    #[error("invalid ProposalOrRef type {0}")]
    InvalidProposalOrRefType(u8),
    /// An AppDataUpdateOperation other than update or remove (extensions
    /// draft, "Updating Application Data in the GroupContext").
    #[error("invalid AppDataUpdate operation {0}")]
    InvalidAppDataUpdateOperation(u8),
    /// The padding of a PrivateMessageContent holds a non-zero byte
    /// (RFC 9420 section 6.3.1).
    #[error("non-zero padding in PrivateMessageContent")]
    NonZeroPadding,
    /// A KeyPackage carried in an MLSMessage has a version other than the
    /// MLSMessage's (RFC 9420 section 10; C-KP-01). The value is the
    /// KeyPackage's version.
    #[error("KeyPackage version {0:#06x} differs from its MLSMessage's")]
    KeyPackageVersionMismatch(u16),
    /// A credential binding holds a multi-credential (extensions draft,
    /// "Multi-Credentials"): one level of bindings only.
    #[error("multi-credential inside a credential binding")]
    NestedMultiCredential,
}

impl From<tls_codec::Error> for DecodeError {
    fn from(e: tls_codec::Error) -> Self {
        use tls_codec::Error as E;
        match e {
            E::EndOfStream => DecodeError::EndOfInput,
            E::TrailingData => DecodeError::TrailingBytes,
            E::InvalidVectorLength => DecodeError::InvalidLength,
            E::InvalidInput => DecodeError::InvalidLength,
            E::UnknownValue(v) => crate::codec::named_error(v)
                .unwrap_or_else(|| DecodeError::Codec(alloc::format!("unknown value {v}"))),
            E::DecodingError(s) if s.starts_with(crate::codec::TLS_CODEC_OPTION_ERROR) => {
                DecodeError::InvalidOptional
            }
            other => DecodeError::Codec(alloc::format!("{other:?}")),
        }
    }
}

/// A rule of RFC 9420 that received data breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A signature does not verify (RFC 9420 section 5.1.2).
    #[error("signature does not verify")]
    InvalidSignature,
    /// HPKE decryption failed (RFC 9420 section 5.1.3).
    #[error("HPKE decryption failed")]
    HpkeDecryptionFailed,
    /// A confirmation tag does not match (RFC 9420 sections 6.1, 12.4.2).
    #[error("confirmation tag mismatch")]
    ConfirmationTagMismatch,
    /// A message's generation is further ahead of the sender's ratchet than
    /// the configured maximum forward distance (RFC 9420 section 9).
    #[error("generation {generation} too far ahead of {next_expected}")]
    GenerationTooFarAhead {
        /// The generation in the message.
        generation: u32,
        /// The next generation the ratchet expected.
        next_expected: u32,
    },
    /// The key of this generation was already consumed (a replay) or has left
    /// the out-of-order window (RFC 9420 section 9.2).
    #[error("generation {generation} already consumed or expired")]
    GenerationConsumed {
        /// The generation in the message.
        generation: u32,
    },
    /// Application data arrived in a PublicMessage (RFC 9420 section 6;
    /// C-FRAME-06).
    #[error("application data in a PublicMessage")]
    ApplicationDataInPublicMessage,
    /// A member's PublicMessage lacks a valid membership tag (RFC 9420
    /// section 6.2; C-FRAME-16).
    #[error("membership tag missing or wrong")]
    MembershipTagMismatch,
    /// A PrivateMessage's sender data does not decrypt (RFC 9420 section
    /// 6.3.2; C-FRAME-18).
    #[error("sender data does not decrypt")]
    SenderDataDecryptionFailed,
    /// A PrivateMessage's content does not decrypt with the sender's ratchet
    /// key (RFC 9420 section 6.3.1; C-FRAME-17).
    #[error("content does not decrypt")]
    ContentDecryptionFailed,
    /// A Welcome's GroupSecrets do not open with the KeyPackage's init key
    /// (RFC 9420 section 12.4.3.1; C-WEL-03).
    #[error("GroupSecrets do not decrypt")]
    GroupSecretsDecryptionFailed,
    /// A Welcome's GroupInfo does not open with the welcome key (RFC 9420
    /// section 12.4.3.1; C-WEL-04).
    #[error("GroupInfo does not decrypt")]
    GroupInfoDecryptionFailed,
    /// The sender type may not send this content (RFC 9420 sections 6.1,
    /// 12.1.8; C-FRAME-12 to C-FRAME-15).
    #[error("sender type {sender_type} may not send content type {content_type}")]
    SenderContentMismatch {
        /// The sender type's wire value.
        sender_type: u8,
        /// The content type's wire value.
        content_type: u8,
    },
    /// An Update leaf keeps the encryption key of the leaf it replaces
    /// (RFC 9420 section 7.3; C-LN-19).
    #[error("update reuses the replaced leaf's encryption key")]
    UpdateReusesEncryptionKey,
    /// A commit applies an Update of this member's leaf whose private key
    /// this member does not hold (it proposed no such Update this epoch, or
    /// lost it) (RFC 9420 section 12.1.2).
    #[error("a committed Update of this member's leaf has an unknown key")]
    OwnUpdateKeyUnknown,
    /// A leaf's encryption key is not a public key of the suite's KEM
    /// (C-LN-05).
    #[error("invalid encryption key")]
    InvalidEncryptionKey,
    /// A leaf's capabilities lack the group's protocol version or cipher
    /// suite (C-LN-06).
    #[error("leaf lacks the group's version or cipher suite")]
    LeafLacksGroupCapabilities,
    /// A leaf's capabilities lack a type the group's required_capabilities
    /// names (C-LN-07, C-LN-08, C-LN-09).
    #[error("leaf lacks a required capability")]
    LeafLacksRequiredCapabilities,
    /// A leaf's credential type is not in its own capabilities (C-LN-12).
    #[error("credential type not in the leaf's capabilities")]
    CredentialTypeNotInCapabilities,
    /// A `multi` or `weak-multi` credential without bindings (extensions
    /// draft, "Multi-Credentials").
    #[error("multi-credential without bindings")]
    MultiCredentialEmpty,
    /// Binding `binding` of a multi-credential does not verify against the
    /// leaf's signature key, or (for `multi`) its cipher suite is one this
    /// client cannot verify (extensions draft, "Verifying a
    /// Multi-Credential").
    #[error("credential binding {binding} invalid")]
    CredentialBindingInvalid {
        /// The binding's index.
        binding: u32,
    },
    /// A leaf's capabilities do not support the bindings of a
    /// multi-credential in use: every binding's cipher suite and credential
    /// type for `multi`, at least one binding for `weak-multi` (extensions
    /// draft, "Verifying a Multi-Credential"). The leaf is a new one (an
    /// Add, an Update, a commit path, a joiner) or the credential's own.
    #[error("leaf lacks support for a multi-credential's bindings")]
    LeafLacksCredentialBindingSupport,
    /// The member at `leaf` does not support the bindings of a
    /// multi-credential the commit brings in.
    #[error("member at leaf {leaf} does not support a new multi-credential's bindings")]
    CredentialBindingUnsupportedByMember {
        /// The member's leaf index.
        leaf: u32,
    },
    /// A leaf's credential is of a GREASE type, which no client supports
    /// (RFC 9420 section 13.5; C-GREASE-08).
    #[error("credential type {credential_type:#06x} is a GREASE value")]
    GreaseCredentialType {
        /// The GREASE type.
        credential_type: u16,
    },
    /// A leaf carries an extension its capabilities do not list (C-LN-13).
    #[error("leaf extension not in its capabilities")]
    UnsupportedLeafExtension,
    /// A key_package leaf's lifetime is inverted, too long, or does not
    /// cover the current time (C-LN-15, C-LN-16).
    #[error("leaf lifetime invalid")]
    LifetimeInvalid,
    /// A PSK named by a commit or Welcome is not known (RFC 9420 section 8.4).
    #[error("pre-shared key not found")]
    PskNotFound,
    /// The Welcome's or GroupInfo's cipher suite differs from the
    /// KeyPackage's (RFC 9420 section 12.4.3.1; C-WEL-02, C-WEL-05).
    #[error("Welcome cipher suite does not match the KeyPackage")]
    WelcomeSuiteMismatch,
    /// No entry of the Welcome is for this KeyPackage (C-WEL-01).
    #[error("Welcome not addressed to this KeyPackage")]
    WelcomeNotForKeyPackage,
    /// No entry of a Welcome names a KeyPackage whose private keys are in
    /// storage: it was never stored, or an earlier join consumed it (RFC
    /// 9420 section 10; C-KP-09).
    #[error("no stored KeyPackage for this Welcome (never stored or already consumed)")]
    KeyPackageNotFound,
    /// No ratchet tree: not in the GroupInfo and none supplied (C-WEL-06).
    #[error("ratchet tree missing")]
    RatchetTreeMissing,
    /// The ratchet tree does not hash to the GroupContext's tree_hash
    /// (RFC 9420 section 12.4.3.1; C-TREE-05).
    #[error("tree hash mismatch")]
    TreeHashMismatch,
    /// The GroupInfo signer is not a member of the tree.
    #[error("GroupInfo signer is not a member")]
    GroupInfoSignerNotMember,
    /// The joiner's leaf is not in the tree (C-WEL-07).
    #[error("joiner's leaf not in the tree")]
    JoinerNotInTree,
    /// A Welcome is for a group_id of a group the client is already in
    /// (RFC 9420 sections 12.4.3, 12.4.3.1; C-GI-03).
    #[error("already a member of a group with this group_id")]
    GroupIdInUse,
    /// The message is for another group (C-FRAME-04).
    #[error("message for another group")]
    WrongGroup,
    /// The message's epoch is not the current one (or a retained past one
    /// for application data) (C-FRAME-05, C-PROP-01).
    #[error("message from epoch {epoch} cannot be processed")]
    WrongEpoch {
        /// The message's epoch.
        epoch: u64,
    },
    /// A handshake message for another epoch than the current one of a
    /// delivery service's public view of the group
    /// ([`PublicGroup`](crate::group::PublicGroup)): a commit that lost the
    /// race for its epoch to another (the sender processes the winner and
    /// commits again), or one from an epoch not reached yet (RFC 9420
    /// sections 6, 14).
    #[error("message from epoch {epoch}; the group is at epoch {current}")]
    EpochNotCurrent {
        /// The message's epoch.
        epoch: u64,
        /// The group's current epoch.
        current: u64,
    },
    /// The wire format is not allowed by the group's policy (C-FRAME-07).
    #[error("wire format not allowed by policy")]
    WireFormatNotAllowed,
    /// The sender is not a member: a blank leaf, or, in a PublicMessage,
    /// a leaf outside the tree (C-FRAME-09, C-FRAME-19). A PrivateMessage
    /// naming a leaf outside the tree fails earlier, with
    /// [`ValidationError::SenderLeafOutsideTree`].
    #[error("sender is not a member")]
    SenderNotMember,
    /// An external sender index names no entry of external_senders, or
    /// the group has no external_senders extension (RFC 9420 sections 6.1,
    /// 12.1.8; C-EXT-01, C-EXT-02).
    #[error("unknown external sender")]
    UnknownExternalSender,
    /// A commit that must carry an UpdatePath has none (RFC 9420 section
    /// 12.4).
    #[error("commit requires a path")]
    PathRequired,
    /// A commit references a proposal this member does not have
    /// (RFC 9420 section 12.4.2).
    #[error("unknown proposal reference")]
    UnknownProposalReference,
    /// A received ratchet tree is empty or ends in a blank node (RFC 9420
    /// section 12.4.3.3; C-TREE-02).
    #[error("ratchet tree empty or ending in a blank node")]
    TreeTrailingBlank,
    /// A received ratchet tree has a leaf at an odd or a parent at an even
    /// position, or ends in a parent (C-TREE-03, C-TREE-04).
    #[error("malformed ratchet tree")]
    TreeMalformed,
    /// A parent's unmerged leaves are not strictly increasing (RFC 9420
    /// section 7.1; C-TREE-01).
    #[error("unmerged leaves not sorted")]
    UnmergedLeavesNotSorted,
    /// An unmerged leaf is blank, outside its parent's subtree, or missing
    /// from a non-blank node between it and that parent (C-TREE-09, C-TREE-10).
    #[error("invalid unmerged leaf {leaf}")]
    InvalidUnmergedLeaf {
        /// The leaf index.
        leaf: u32,
    },
    /// A parent hash does not verify: a non-blank parent with no valid
    /// chain, or a committer's leaf with a wrong parent hash (RFC 9420
    /// section 7.9.2; C-TREE-06, C-TREE-08, C-TREE-17).
    #[error("parent hash mismatch")]
    ParentHashMismatch,
    /// A non-blank parent is covered by more than one parent-hash chain
    /// (C-TREE-07).
    #[error("parent covered by more than one parent-hash chain")]
    ParentHashChainsOverlap,
    /// Two nodes share an encryption key (C-TREE-11, C-LN-22).
    #[error("duplicate encryption key")]
    DuplicateEncryptionKey,
    /// Two leaves share a signature key (C-LN-21).
    #[error("duplicate signature key")]
    DuplicateSignatureKey,
    /// A leaf's `signature_key` is not a well-formed public key of the
    /// group suite's signature scheme (RFC 9420 sections 5.1.1, 10;
    /// C-LN-04): a key of another scheme, a compressed or off-curve point.
    #[error("leaf {leaf} signature key is not a key of the suite's scheme")]
    InvalidSignatureKey {
        /// The leaf index.
        leaf: u32,
    },
    /// A leaf's signature does not verify (C-LN-01, C-LN-02, C-TREE-12).
    #[error("leaf {leaf} signature does not verify")]
    LeafSignatureInvalid {
        /// The leaf index.
        leaf: u32,
    },
    /// An operation names a blank leaf.
    #[error("leaf {leaf} is blank")]
    BlankLeaf {
        /// The leaf index.
        leaf: u32,
    },
    /// An UpdatePath does not have one node per filtered-direct-path node
    /// (C-TREE-13).
    #[error("UpdatePath length does not match the filtered direct path")]
    UpdatePathLength,
    /// An UpdatePath node does not have one ciphertext per copath resolution
    /// node (C-TREE-14).
    #[error("UpdatePath ciphertext count does not match the resolution")]
    UpdatePathCiphertextCount,
    /// No path secret in an UpdatePath decrypts for this member (C-TREE-15).
    #[error("path secret does not decrypt")]
    PathSecretUndecryptable,
    /// A public key derived from a path secret differs from the tree's
    /// (C-TREE-16, C-WEL-08).
    #[error("derived public key does not match")]
    PathSecretMismatch,
    /// A leaf node's source is not the one its context requires (C-LN-17,
    /// C-LN-18, C-LN-20).
    #[error("leaf node source mismatch")]
    LeafNodeSourceMismatch,
    /// A sender's leaf index is outside the tree (RFC 9420 section 6.3.2).
    #[error("sender leaf {leaf} is outside the tree")]
    SenderLeafOutsideTree {
        /// The leaf index.
        leaf: u32,
    },

    // KeyPackages (RFC 9420 section 10).
    /// A KeyPackage's version or cipher suite differs from the group's
    /// (RFC 9420 section 10.1; C-KP-02).
    #[error("KeyPackage version or cipher suite differs from the group's")]
    KeyPackageGroupMismatch,
    /// A KeyPackage's signature (label KeyPackageTBS) does not verify under
    /// its leaf's signature key (RFC 9420 sections 10, 10.1; C-KP-03).
    #[error("KeyPackage signature does not verify")]
    KeyPackageSignatureInvalid,
    /// A KeyPackage's init_key equals its leaf's encryption_key (RFC 9420
    /// section 10.1; C-KP-05).
    #[error("KeyPackage init_key equals the leaf encryption_key")]
    InitKeyEqualsEncryptionKey,
    /// A KeyPackage's init_key is not a public key of the suite's KEM
    /// (RFC 9420 section 10; C-KP-06).
    #[error("invalid KeyPackage init_key")]
    InvalidInitKey,
    /// A non-default KeyPackage extension is not listed in the leaf's
    /// capabilities (RFC 9420 section 10; C-KP-07).
    #[error("KeyPackage extension {extension_type:#06x} not in the leaf's capabilities")]
    UnsupportedKeyPackageExtension {
        /// The extension type.
        extension_type: u16,
    },

    // Credentials and the Authentication Service (RFC 9420 section 5.3).
    /// The application's Authentication Service (its
    /// [`CredentialValidator`](crate::group::CredentialValidator)) refuses
    /// a credential entering the group (RFC 9420 section 5.3.1; C-LN-03,
    /// C-CRED-03 to C-CRED-09). `event` says where it was met.
    #[error("credential rejected by the Authentication Service ({event:?})")]
    CredentialRejected {
        /// The event of RFC 9420 section 5.3.1.
        event: crate::group::CredentialEvent,
    },
    /// The new credential of the member at `leaf` (an Update or a commit
    /// path) is not a valid successor of its old credential (RFC 9420
    /// section 5.3.1; C-CRED-10).
    #[error("new credential of member {leaf} is not a valid successor of its old one")]
    InvalidCredentialSuccessor {
        /// The member's leaf index.
        leaf: u32,
    },

    // Extensions and capabilities (RFC 9420 sections 7.2, 11.1, 13.4, 17.3).
    /// An extension list holds two extensions of one type (RFC 9420 section
    /// 13.4; C-CAP-05 KeyPackage, C-CAP-06 LeafNode, C-CAP-07 GroupContext,
    /// C-CAP-08 GroupInfo).
    #[error("duplicate extension type {extension_type:#06x}")]
    DuplicateExtension {
        /// The repeated type.
        extension_type: u16,
    },
    /// A known extension type appears in an object its registry entry does
    /// not allow (RFC 9420 section 17.3; C-CAP-17).
    #[error("extension type {extension_type:#06x} not allowed in this object")]
    ExtensionNotAllowed {
        /// The extension type.
        extension_type: u16,
    },
    /// A GroupContextExtensions proposal or ReInit holds a GREASE extension
    /// (RFC 9420 section 13.5; C-GREASE-09, C-GREASE-10).
    #[error("GREASE extension {extension_type:#06x} in group context extensions")]
    GreaseGroupContextExtension {
        /// The GREASE value.
        extension_type: u16,
    },
    /// An added or updated leaf does not support a non-default group context
    /// extension (RFC 9420 section 13.4; C-CAP-09, C-CAP-10).
    #[error("leaf lacks support for group context extension {extension_type:#06x}")]
    LeafLacksGroupExtension {
        /// The unsupported extension type.
        extension_type: u16,
    },
    /// A GroupContextExtensions proposal's required_capabilities is not met
    /// by a member remaining after the commit (RFC 9420 sections 11.1,
    /// 12.1.7; C-CAP-12).
    #[error("member {leaf} does not meet the proposed required_capabilities")]
    GceRequiredCapabilitiesUnmet {
        /// The member's leaf index.
        leaf: u32,
    },
    /// A GroupContextExtensions proposal installs a non-default extension
    /// that a remaining member does not support (RFC 9420 section 13.4;
    /// C-CAP-13).
    #[error("member {leaf} does not support a proposed group context extension")]
    GceExtensionUnsupported {
        /// The member's leaf index.
        leaf: u32,
    },
    /// A new leaf's credential type is not supported by member `leaf`
    /// (RFC 9420 sections 7.3, 13.3; C-LN-10).
    #[error("credential type not supported by member {leaf}")]
    CredentialTypeUnsupportedByMember {
        /// The member's leaf index.
        leaf: u32,
    },
    /// A new leaf's capabilities lack a credential type another member uses
    /// (RFC 9420 sections 7.3, 13.3; C-LN-11).
    #[error("leaf lacks credential type {credential_type:#06x} used in the group")]
    LeafLacksMemberCredentialType {
        /// The credential type in use.
        credential_type: u16,
    },

    // Proposals and proposal lists (RFC 9420 sections 12.1 to 12.3).
    /// A proposal type the sender type may not send (RFC 9420 sections 6.1,
    /// 12.1.8; C-FRAME-13, C-FRAME-15).
    #[error("sender type {sender_type} may not send proposal type {proposal_type:#06x}")]
    ProposalNotAllowedForSender {
        /// The sender type's wire value.
        sender_type: u8,
        /// The proposal type.
        proposal_type: u16,
    },
    /// A Remove names a blank leaf or one outside the tree (RFC 9420 section
    /// 12.1.3; C-PROP-06).
    #[error("Remove of blank leaf {leaf}")]
    RemovedLeafBlank {
        /// The leaf index.
        leaf: u32,
    },
    /// The list holds an Update from the committer (RFC 9420 section 12.2;
    /// C-PROP-08).
    #[error("commit includes the committer's own Update")]
    CommitterUpdate,
    /// The list holds a Remove of the committer (RFC 9420 section 12.2;
    /// C-PROP-09).
    #[error("commit removes the committer")]
    CommitterRemoved,
    /// Two Update or Remove proposals apply to one leaf (RFC 9420 section
    /// 12.2; C-PROP-10).
    #[error("several Update or Remove proposals for leaf {leaf}")]
    MultipleChangesToLeaf {
        /// The leaf index.
        leaf: u32,
    },
    /// Two Adds carry KeyPackages of the same client, i.e. the same
    /// signature key (RFC 9420 section 12.2; C-PROP-12).
    #[error("two Adds for the same client")]
    DuplicateAdd,
    /// An Add brings in a client already in the group (same signature key)
    /// that the list does not remove (RFC 9420 section 12.2; C-PROP-13).
    #[error("Add of a client already in the group")]
    AddOfExistingMember,
    /// Two PreSharedKey proposals name the same PreSharedKeyID (RFC 9420
    /// section 12.2; C-PROP-14).
    #[error("duplicate PreSharedKeyID")]
    DuplicatePsk,
    /// More than one GroupContextExtensions proposal (RFC 9420 section 12.2;
    /// C-PROP-15).
    #[error("several GroupContextExtensions proposals")]
    MultipleGroupContextExtensions,
    /// A ReInit is committed together with other proposals (RFC 9420 section
    /// 12.2; C-PROP-16).
    #[error("ReInit not alone in its commit")]
    ReInitNotAlone,
    /// A member's commit holds an ExternalInit (RFC 9420 sections 12.1.6,
    /// 12.2; C-PROP-18).
    #[error("ExternalInit in a member commit")]
    ExternalInitInMemberCommit,
    /// A non-default proposal type that a remaining member does not support
    /// (RFC 9420 sections 12.2, 13.2; C-PROP-19).
    #[error("proposal type {proposal_type:#06x} not supported by every member")]
    UnsupportedProposalType {
        /// The proposal type.
        proposal_type: u16,
    },
    /// A PreSharedKey proposal's psk_nonce is not KDF.Nh bytes long (RFC 9420
    /// sections 8.4, 12.1.4; C-PSK-01).
    #[error("psk_nonce length is not KDF.Nh")]
    PskNonceLength,
    /// A PreSharedKey proposal names a resumption PSK with usage reinit or
    /// branch outside that operation (RFC 9420 sections 11.2, 11.3, 12.1.4;
    /// C-PSK-04, C-PSK-05).
    #[error("resumption PSK usage {usage} not allowed here")]
    ResumptionPskUsageNotAllowed {
        /// The usage's wire value.
        usage: u8,
    },
    /// A ReInit's version is below the group's (RFC 9420 section 12.1.5;
    /// C-REINIT-01).
    #[error("ReInit version below the group's")]
    ReInitVersionDowngrade,
    /// An external commit carries a proposal by reference (RFC 9420 section
    /// 12.4.3.2; C-EXT-07).
    #[error("external commit with a proposal by reference")]
    ExternalCommitReference,
    /// An external commit holds no ExternalInit (RFC 9420 section 12.2;
    /// C-EXT-10).
    #[error("external commit without ExternalInit")]
    ExternalCommitWithoutExternalInit,
    /// An external commit holds more than one ExternalInit (RFC 9420 section
    /// 12.2; C-EXT-11).
    #[error("external commit with several ExternalInit proposals")]
    MultipleExternalInits,
    /// An external commit holds more than one Remove (RFC 9420 section 12.2;
    /// C-EXT-12).
    #[error("external commit with several Removes")]
    ExternalCommitMultipleRemoves,
    /// An external commit holds a proposal other than ExternalInit, Remove
    /// or PreSharedKey (RFC 9420 section 12.2; C-EXT-13).
    #[error("proposal type {proposal_type:#06x} not allowed in an external commit")]
    ProposalNotAllowedInExternalCommit {
        /// The proposal type.
        proposal_type: u16,
    },
    /// A resync external commit's leaf does not present an identity
    /// acceptable for the removed member (RFC 9420 sections 12.2, 5.3.1;
    /// C-EXT-15).
    #[error("resync leaf's credential does not match the removed member")]
    ResyncIdentityMismatch,
    /// A GroupInfo offered for an external join has no `external_pub`
    /// extension (RFC 9420 section 12.4.3.2; C-EXT-16).
    #[error("GroupInfo has no external_pub extension")]
    MissingExternalPub,
    /// The application's proposal policy refuses a proposal, which makes
    /// it and any commit holding it invalid (RFC 9420 sections 12.2, 12.4;
    /// C-PROP-21).
    #[error("sender type {sender_type} may not propose type {proposal_type:#06x} by policy")]
    RejectedByPolicy {
        /// The sender type's wire value.
        sender_type: u8,
        /// The proposal type.
        proposal_type: u16,
    },
    /// A new member's Add of itself (sender `new_member_proposal`) that the
    /// application does not authorize (RFC 9420 section 12.1.8; C-EXT-04).
    #[error("new member's self-Add not authorized")]
    NewMemberAddNotAuthorized,

    // Commits (RFC 9420 section 12.4.2).
    /// A public key of a commit's UpdatePath (leaf or parent) already
    /// appears in another node of the new tree, or twice in the path
    /// (RFC 9420 sections 12.4.2, 16.7; C-COMMIT-06).
    #[error("UpdatePath public key already in the tree")]
    PathKeyNotFresh,

    // Reinitialization and branching (RFC 9420 sections 11.2, 11.3, 12.4.3.1).
    /// The group merged a commit with a ReInit: it accepts nothing more but
    /// late application messages of earlier epochs (RFC 9420 section
    /// 12.4.2; C-REINIT-02).
    #[error("group was reinitialized; it accepts no further messages")]
    GroupReinitialized,
    /// A Welcome's GroupSecrets list more than one resumption PSK with usage
    /// reinit or branch (RFC 9420 section 12.4.3.1; C-PSK-08).
    #[error("several reinit or branch PSKs in GroupSecrets")]
    MultipleReinitOrBranchPsks,
    /// A Welcome using a reinit or branch PSK is not for epoch 1 (RFC 9420
    /// section 12.4.3.1; C-REINIT-04, C-REINIT-08).
    #[error("resumption Welcome for epoch {epoch}, not 1")]
    ResumptionEpochNotOne {
        /// The GroupInfo's epoch.
        epoch: u64,
    },
    /// A reinit PSK names an epoch of the old group that no commit with a
    /// ReInit produced (RFC 9420 section 12.4.3.1; C-REINIT-05).
    #[error("reinit PSK for an epoch not produced by a ReInit commit")]
    ReInitPskWithoutReInit,
    /// The new group's group_id, version, cipher suite or extensions differ
    /// from the ReInit's (RFC 9420 sections 11.2, 12.4.3.1; C-REINIT-06).
    #[error("new group does not match the ReInit")]
    ReInitParametersMismatch,
    /// A member of the old group is missing from the reinitialized group
    /// (RFC 9420 section 12.4.3.1; C-REINIT-07).
    #[error("old member {leaf} missing from the reinitialized group")]
    ReInitMemberMissing {
        /// The member's leaf index in the old group.
        leaf: u32,
    },
    // The extensions draft (draft-ietf-mls-extensions, editor's copy of
    // 2026-07-01): SelfRemove, application data, Safe AAD, content types.
    /// A SelfRemove proposal arrived in a PrivateMessage, by value in a
    /// commit, or from a sender other than a member (draft section
    /// "SelfRemove Proposal": PublicMessage only, by reference only, never
    /// external).
    #[error("SelfRemove {0}")]
    SelfRemoveMisused(&'static str),
    /// A Remove and a SelfRemove, or two SelfRemoves, for one leaf in a
    /// proposal list (draft section "SelfRemove Proposal").
    #[error("SelfRemove of leaf {leaf} competes with another removal")]
    SelfRemoveConflict {
        /// The leaf.
        leaf: u32,
    },
    /// An AppDataUpdate or AppEphemeral names a component the application
    /// has not registered (draft sections "Updating Application Data in
    /// the GroupContext", "Attaching Application Data to a Commit").
    #[error("unknown application component {component_id:#06x}")]
    UnknownComponent {
        /// The component.
        component_id: u16,
    },
    /// The AppDataUpdates of one component in a list are neither a single
    /// `remove` nor only `update`s, or a `remove` names a component with
    /// no entry (draft section "Updating Application Data in the
    /// GroupContext").
    #[error("invalid AppDataUpdate list for component {component_id:#06x}: {reason}")]
    AppDataUpdateInvalid {
        /// The component.
        component_id: u16,
        /// Which rule failed.
        reason: &'static str,
    },
    /// The application's logic for a component or a custom proposal type
    /// refused the data (draft sections "Updating Application Data in the
    /// GroupContext", "Attaching Application Data to a Commit"; RFC 9420
    /// section 12.2's application-defined validity).
    #[error("application refused {what}: {reason}")]
    ApplicationRefused {
        /// What was refused, e.g. `"app_data_update 0x8001"`.
        what: alloc::string::String,
        /// The application's reason.
        reason: alloc::string::String,
    },
    /// An AppAck range whose last generation precedes its first
    /// (extensions draft, "AppAck").
    #[error("AppAck range ends before it starts")]
    AppAckRangeInvalid,
    /// A GroupContextExtensions changes `app_data_dictionary` while the
    /// group requires AppDataUpdate support (draft section "Updating
    /// Application Data in the GroupContext").
    #[error("GroupContextExtensions changes app_data_dictionary while AppDataUpdate is required")]
    GceChangesAppData,
    /// The `authenticated_data` of a message in a group whose context
    /// lists `safe_aad` is not one well-formed SafeAAD (draft section
    /// "Safe Additional Authenticated Data").
    #[error("authenticated_data is not a well-formed SafeAAD")]
    SafeAadMalformed,
    /// A leaf does not list a component the group context requires, in
    /// its `app_components` or `safe_aad` (extensions draft, "Negotiating
    /// Extensions and Components").
    #[error("leaf lacks required component {component_id:#06x} ({list})")]
    LeafLacksComponent {
        /// The component.
        component_id: u16,
        /// `"app_components"` or `"safe_aad"`.
        list: &'static str,
    },
    /// A leaf does not list every media type of the group context's
    /// `content_media_types` (extensions draft, "Content Advertisement").
    #[error("leaf does not support the group's content_media_types")]
    LeafLacksMediaType,
    /// A leaf's `supported_wire_formats` lacks a wire format of the group
    /// context's `required_wire_formats` (extensions draft, "Negotiating
    /// Extensions and Components").
    #[error("leaf does not support required wire format {wire_format:#06x}")]
    LeafLacksWireFormat {
        /// The wire format.
        wire_format: u16,
    },
    /// An application message's ApplicationFraming is malformed or names a
    /// media type the group does not require (draft section "Framing of
    /// application_data").
    #[error("application framing: {0}")]
    ApplicationFramingInvalid(&'static str),
    /// A branched group's version or cipher suite differs from the old
    /// group's (RFC 9420 sections 11.3, 12.4.3.1; C-REINIT-09).
    #[error("branch changes the version or cipher suite")]
    BranchParametersMismatch,
    /// A member of a branched group was not a member of the old group
    /// (RFC 9420 sections 11.3, 12.4.3.1; C-REINIT-10).
    #[error("branch member {leaf} was not a member of the old group")]
    BranchNonMember {
        /// The member's leaf index in the new group.
        leaf: u32,
    },
}

/// A use of the API that it does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MisuseError {
    /// The cipher suite is unknown or not supported by the crypto provider.
    #[error("unsupported cipher suite {0}")]
    UnsupportedCiphersuite(Ciphersuite),
    /// The signer's public key is not the signature key of this member's
    /// leaf.
    #[error("the signer does not hold this member's signature key")]
    SignerMismatch,
    /// A requested output length does not fit its field.
    #[error("requested length too large")]
    LengthTooLarge,
    /// A to-be-signed structure needs group context (the group id and leaf
    /// index for a LeafNodeTBS, the GroupContext for a FramedContentTBS) and
    /// none was given (RFC 9420 sections 6.1, 7.2).
    #[error("to-be-signed structure needs the group context")]
    MissingTbsContext,
    /// A value cannot be encoded because its fields disagree (for example a
    /// confirmation tag on non-commit content, RFC 9420 section 6.1).
    #[error("inconsistent fields: {0}")]
    InconsistentFields(&'static str),
    /// Application data can only be sent in a PrivateMessage (RFC 9420
    /// section 6).
    #[error("application data must be sent as a PrivateMessage")]
    ApplicationDataInPublicMessage,
    /// The content was signed for another wire format than the one asked for.
    #[error("content signed for another wire format")]
    WireFormatMismatch,
    /// Only members send PrivateMessages (RFC 9420 section 6.3.2).
    #[error("only members send PrivateMessages")]
    PrivateMessageFromNonMember,
    /// The member was removed from the group; it can no longer act in it.
    #[error("group is inactive")]
    GroupInactive,
    /// Only PublicMessage and PrivateMessage are processed by a group
    /// (C-FRAME-03).
    #[error("not a group message")]
    NotAGroupMessage,
    /// An MLSMessage of another kind than the call takes (a Welcome, a
    /// GroupInfo or a KeyPackage).
    #[error("not a {expected}")]
    UnexpectedMessageType {
        /// The kind the call takes.
        expected: &'static str,
    },
    /// One's own commit is applied with the pending-commit API, not processed.
    #[error("own commit must be merged as pending")]
    OwnCommit,
    /// The epoch counter would overflow.
    #[error("epoch exhausted")]
    EpochExhausted,
    /// A node index is outside the tree.
    #[error("node outside the tree")]
    NodeOutsideTree,
    /// A sender ratchet has used up its 2^32 generations.
    #[error("sender ratchet exhausted")]
    RatchetExhausted,
    /// The HPKE context has used up its sequence numbers.
    #[error("HPKE sequence number overflow")]
    HpkeSequenceOverflow,
    /// The operation is not available for an export-only HPKE AEAD.
    #[error("HPKE AEAD is export-only")]
    HpkeExportOnly,
    /// A signer's scheme does not match the cipher suite's.
    #[error("signer scheme {0} does not match the cipher suite")]
    SignerSchemeMismatch(cohort_traits::SignatureScheme),
    /// Capabilities list a default proposal or extension type, which RFC
    /// 9420 section 7.2 forbids (C-CAP-01, C-CAP-02).
    #[error("capabilities list default type {0:#06x}")]
    DefaultTypeInCapabilities(u16),
    /// The group merged a commit with a ReInit: nothing more is sent in it
    /// (RFC 9420 section 12.4.2; C-REINIT-02).
    #[error("group was reinitialized; nothing more is sent in it")]
    ReInitPending,
    /// [`Group::reinit`](crate::group::Group::reinit) needs a merged commit
    /// with a ReInit (RFC 9420 section 11.2).
    #[error("no ReInit was committed")]
    NoPendingReInit,
    /// Proposals of this epoch are pending: commit them before sending
    /// application data (RFC 9420 section 12.4; C-COMMIT-10).
    #[error("proposals pending; commit before sending application data")]
    PendingProposals,
    /// A reinit or branch does not meet the rules of RFC 9420 sections 11.2
    /// and 11.3 (C-REINIT-03): the reason.
    #[error("reinit or branch parameters: {0}")]
    ResumptionMismatch(&'static str),
    /// The signer's public key is not the leaf's signature key.
    #[error("signer does not hold the leaf's signature key")]
    SignerKeyMismatch,
    /// A configuration value is outside its documented range (see
    /// [`GroupConfig`](crate::group::GroupConfig)): the field's name.
    #[error("configuration value {field} out of range")]
    ConfigOutOfRange {
        /// The field.
        field: &'static str,
    },
    /// This member already has a commit pending: merge or clear it first
    /// (see [`Group::create_pending_commit`](crate::group::Group::create_pending_commit)).
    #[error("a commit of this member is pending")]
    CommitPending,
    /// A proposal of a non-default type is sent to a group where member
    /// `leaf` does not list the type in its capabilities (RFC 9420 section
    /// 12.2; for SelfRemove, the group is not "self-remove-capable").
    #[error("member {leaf} does not support proposal type {proposal_type:#06x}")]
    NotSupportedByGroup {
        /// The proposal type.
        proposal_type: u16,
        /// The first member lacking it.
        leaf: u32,
    },
    /// This member already sent a SelfRemove this epoch (extensions draft:
    /// at most one per epoch).
    #[error("a SelfRemove was already sent this epoch")]
    SelfRemoveAlreadySent,
    /// The safe exporter's secret of this component was exported already
    /// this epoch, and deleted (MLS extensions draft, "Exported Secrets"),
    /// or the epoch has no Exporter Tree (state stored by an older
    /// version, or a removed member).
    #[error("safe export secret of component {component_id:#06x} consumed or unavailable")]
    SafeExportUnavailable {
        /// The component.
        component_id: u16,
    },
    /// There is no pending commit to merge.
    #[error("no pending commit")]
    NoPendingCommit,
    /// A staged commit is merged into a group it was not staged for: another
    /// group, another epoch (a commit merged twice, or a competing commit
    /// after the winner), or another transcript (a forked state). Nothing
    /// changed.
    #[error("staged commit does not belong to this group state: {what} differs")]
    StagedCommitMismatch {
        /// What differs: `"group id"`, `"epoch"` or `"transcript hash"`.
        what: &'static str,
    },
}
