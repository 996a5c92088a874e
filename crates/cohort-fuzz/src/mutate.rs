//! Structure-aware targets: the input is an [`arbitrary`] description of one
//! change to a valid message of the fixture. The harness makes the change,
//! signs again what the change invalidated with the key of whoever could
//! have sent it (when the fixture holds that key and the input asks for
//! it), seals again what was encrypted, and hands the result to the same
//! checks as the byte-level targets. Signatures and encryption therefore no
//! longer stop the input: it reaches the validation behind them.

use crate::Outcome;
use crate::fixture::{self, Fixture, SUITE, fixture, provider};
use crate::receive::{join_external_group_info, join_welcome, process_message};
use arbitrary::{Arbitrary, Unstructured};
use cohort::codec::{VarBytes, decode_exact, encode};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{
    AuthenticatedContent, FramedContentAuthData, FramedContentBody, MlsMessage, MlsMessageBody,
    PublicMessage, Sender, WireFormat,
};
use cohort::group::{Group, key_package_ref};
use cohort::messages::{
    Add, Certificate, Commit, Credential, Extension, ExtensionContent, ExtensionType, Extensions,
    ExternalInit, ExternalPub, ExternalSender, ExternalSenders, GroupContext,
    GroupContextExtensions, GroupInfo, GroupSecrets, KeyPackage, LeafNode, LeafNodeSource,
    Lifetime, Node, PathSecret, PreSharedKey, PreSharedKeyId, Proposal, ProposalOrRef,
    ProtocolVersion, Psk, RatchetTreeExtension, ReInit, Remove, RequiredCapabilities,
    ResumptionPskUsage, Update, Welcome,
};
use cohort::schedule::{
    JoinerSecret, PskInput, WelcomeSecret, decrypt_group_info, decrypt_group_secrets,
    encrypt_group_info, encrypt_group_secrets, prepare_group_secrets, psk_secret, sign_group_info,
};
use cohort::tree::math::LeafIndex;
use cohort::tree::{RatchetTree, TreeView};
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{Ciphersuite, Secret, Signer as _};

// ---------------------------------------------------------------------------
// Edits of plain values.

/// A change to a byte string.
#[derive(Arbitrary, Debug, Clone)]
enum BytesEdit {
    /// XOR one byte (its index modulo the length) with a non-zero mask.
    Flip { at: u16, mask: u8 },
    /// Keep only a prefix.
    Truncate { keep: u16 },
    /// Append bytes.
    Append(Vec<u8>),
    /// Replace the whole string.
    Replace(Vec<u8>),
    /// Empty it.
    Clear,
}

impl BytesEdit {
    fn apply(&self, v: &mut Vec<u8>) {
        match self {
            BytesEdit::Flip { at, mask } => {
                let mask = if *mask == 0 { 1 } else { *mask };
                let len = v.len();
                match v.get_mut(usize::from(*at) % len.max(1)) {
                    Some(b) => *b ^= mask,
                    None => v.push(mask),
                }
            }
            BytesEdit::Truncate { keep } => v.truncate(usize::from(*keep) % v.len().max(1)),
            BytesEdit::Append(more) => v.extend_from_slice(more),
            BytesEdit::Replace(new) => new.clone_into(v),
            BytesEdit::Clear => v.clear(),
        }
    }

    fn applied(&self, v: &VarBytes) -> VarBytes {
        let mut out = v.0.clone();
        self.apply(&mut out);
        VarBytes(out)
    }
}

/// A change to an integer.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum IntEdit {
    Set(u64),
    Add(u8),
    Sub(u8),
    Xor(u64),
}

impl IntEdit {
    fn u64(self, v: u64) -> u64 {
        match self {
            IntEdit::Set(x) => x,
            IntEdit::Add(d) => v.wrapping_add(u64::from(d)),
            IntEdit::Sub(d) => v.wrapping_sub(u64::from(d)),
            IntEdit::Xor(x) => v ^ x,
        }
    }

    fn u32(self, v: u32) -> u32 {
        let wide = self.u64(u64::from(v));
        u32::try_from(wide).unwrap_or(wide as u32)
    }
}

/// A change to a list whose new items are made from a `T`.
#[derive(Arbitrary, Debug, Clone)]
enum ListEdit<T> {
    Remove(u8),
    Duplicate(u8),
    Swap(u8, u8),
    Reverse,
    Clear,
    Push(T),
    Insert(u8, T),
}

impl<T> ListEdit<T> {
    /// Applies the edit; `make` turns a `T` into an item (`None`: no item).
    fn apply<U: Clone>(&self, list: &mut Vec<U>, make: impl Fn(&T) -> Option<U>) {
        let at = |i: u8, len: usize| usize::from(i) % len.max(1);
        match self {
            ListEdit::Remove(i) => {
                if !list.is_empty() {
                    list.remove(at(*i, list.len()));
                }
            }
            ListEdit::Duplicate(i) => {
                if let Some(item) = list.get(at(*i, list.len())).cloned() {
                    list.push(item);
                }
            }
            ListEdit::Swap(a, b) => {
                if !list.is_empty() {
                    let len = list.len();
                    list.swap(at(*a, len), at(*b, len));
                }
            }
            ListEdit::Reverse => list.reverse(),
            ListEdit::Clear => list.clear(),
            ListEdit::Push(t) => list.extend(make(t)),
            ListEdit::Insert(i, t) => {
                if let Some(item) = make(t) {
                    let pos = usize::from(*i) % list.len().saturating_add(1);
                    list.insert(pos, item);
                }
            }
        }
    }
}

/// The item at `i` modulo the length.
fn pick<T>(list: &[T], i: u8) -> Option<&T> {
    list.get(usize::from(i) % list.len().max(1))
}

fn pick_mut<T>(list: &mut [T], i: u8) -> Option<&mut T> {
    let len = list.len().max(1);
    list.get_mut(usize::from(i) % len)
}

// ---------------------------------------------------------------------------
// What the edits need to sign again.

/// The fixture, the suite, and whether to sign again.
struct Ctx<'a> {
    f: &'a Fixture,
    cs: SuiteCrypto<'a, RustCrypto>,
    resign: bool,
    /// The group id leaf signatures of `update` and `commit` leaves cover.
    group_id: Vec<u8>,
}

static CRYPTO: RustCrypto = RustCrypto::new();

impl<'a> Ctx<'a> {
    fn new(f: &'a Fixture, resign: bool) -> Option<Self> {
        Some(Ctx {
            f,
            cs: SuiteCrypto::new(&CRYPTO, SUITE).ok()?,
            resign,
            group_id: fixture::GROUP_ID.to_vec(),
        })
    }

    fn signer(&self, public_key: &[u8]) -> Option<&'a fixture::Signer> {
        self.f.signer_for(public_key)
    }

    /// Signs `leaf` again with its own key, as its owner could, for the
    /// leaf at `index` (required for `update` and `commit` leaves).
    fn resign_leaf(&self, leaf: &mut LeafNode, index: Option<LeafIndex>) {
        if !self.resign {
            return;
        }
        let Some(signer) = self.signer(leaf.signature_key.as_slice()) else {
            return;
        };
        let group = match leaf.leaf_node_source {
            LeafNodeSource::KeyPackage(_) => None,
            _ => index.map(|i| (self.group_id.as_slice(), i)),
        };
        if let Ok(sig) = leaf
            .to_be_signed(group)
            .and_then(|tbs| self.cs.sign_with_label(signer, b"LeafNodeTBS", &tbs))
        {
            leaf.signature = sig.into();
        }
    }

    /// Signs `kp` again with its leaf's key, as its owner could.
    fn resign_key_package(&self, kp: &mut KeyPackage) {
        if !self.resign {
            return;
        }
        let Some(signer) = self.signer(kp.leaf_node.signature_key.as_slice()) else {
            return;
        };
        if let Ok(sig) = kp
            .to_be_signed()
            .and_then(|tbs| self.cs.sign_with_label(signer, b"KeyPackageTBS", &tbs))
        {
            kp.signature = sig.into();
        }
    }

    /// Signs `gi` again with the key of the member at `gi.signer` (in
    /// `tree`), as that member could.
    fn resign_group_info(&self, gi: &mut GroupInfo, tree: &[Option<Node>]) {
        if !self.resign {
            return;
        }
        let key = tree
            .get((gi.signer as usize).saturating_mul(2))
            .and_then(Option::as_ref)
            .and_then(|n| match n {
                Node::Leaf(l) => Some(l.signature_key.0.clone()),
                Node::Parent(_) => None,
            });
        if let Some(signer) = key.and_then(|k| self.signer(&k)) {
            let _ = sign_group_info(&self.cs, signer, gi);
        }
    }

    /// A fresh HPKE public key derived from `seed`.
    fn hpke_key(&self, seed: u8) -> Vec<u8> {
        self.cs
            .derive_key_pair(&[seed; 32])
            .map(|(_, public)| public)
            .unwrap_or_default()
    }

    fn tree(&self) -> &RatchetTree {
        self.f.receiver().tree()
    }
}

// ---------------------------------------------------------------------------
// Extensions.

/// A new extension.
#[derive(Arbitrary, Debug, Clone)]
struct NewExtension {
    extension_type: TypeChoice,
    data: Vec<u8>,
}

/// A code point: one RFC 9420 defines, a GREASE value, or any.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum TypeChoice {
    Known(u8),
    Grease(u8),
    Any(u16),
}

impl TypeChoice {
    fn value(self, known: &[u16]) -> u16 {
        match self {
            TypeChoice::Known(i) => pick(known, i).copied().unwrap_or(1),
            TypeChoice::Grease(i) => {
                let n = u16::from(i % 15);
                (n << 12) | 0x0a00 | (n << 4) | 0x0a
            }
            TypeChoice::Any(v) => v,
        }
    }
}

const EXTENSION_TYPES: &[u16] = &[1, 2, 3, 4, 5, 10];
const PROPOSAL_TYPES: &[u16] = &[1, 2, 3, 4, 5, 6, 7];
const CREDENTIAL_TYPES: &[u16] = &[1, 2];

impl NewExtension {
    fn make(&self) -> Extension {
        Extension {
            extension_type: ExtensionType(self.extension_type.value(EXTENSION_TYPES)),
            extension_data: VarBytes(self.data.clone()),
        }
    }
}

/// A change to a list of extensions of a leaf, a KeyPackage or a ReInit.
#[derive(Arbitrary, Debug, Clone)]
enum ListExtensionsEdit {
    List(ListEdit<NewExtension>),
    Type { at: u8, value: TypeChoice },
    Data { at: u8, edit: BytesEdit },
}

impl ListExtensionsEdit {
    fn apply(&self, exts: &mut Extensions) {
        match self {
            ListExtensionsEdit::List(e) => e.apply(&mut exts.0, |n| Some(n.make())),
            ListExtensionsEdit::Type { at, value } => {
                if let Some(x) = pick_mut(&mut exts.0, *at) {
                    x.extension_type = ExtensionType(value.value(EXTENSION_TYPES));
                }
            }
            ListExtensionsEdit::Data { at, edit } => {
                if let Some(x) = pick_mut(&mut exts.0, *at) {
                    edit.apply(&mut x.extension_data.0);
                }
            }
        }
    }
}

/// A change to the extensions of a group (context or GroupInfo), which may
/// reach into the contents RFC 9420 defines.
#[derive(Arbitrary, Debug, Clone)]
enum ExtensionsEdit {
    List(ListExtensionsEdit),
    /// A node of the `ratchet_tree` extension; with `rehash`, the context's
    /// tree hash follows (a signer lying consistently).
    Tree {
        at: u16,
        edit: NodeEdit,
        rehash: bool,
    },
    /// Nodes of the `ratchet_tree` extension as a list.
    TreeNodes {
        edit: ListEdit<u8>,
        rehash: bool,
    },
    ExternalPub(KeyChoice),
    ExternalSenders(ListEdit<ExternalSenderChoice>),
    RequiredCapabilities {
        extensions: ListEdit<TypeChoice>,
        proposals: ListEdit<TypeChoice>,
        credentials: ListEdit<TypeChoice>,
    },
}

/// An external sender: one of the fixture's keys, or any bytes.
#[derive(Arbitrary, Debug, Clone)]
enum ExternalSenderChoice {
    Fixture(u8),
    Bytes(Vec<u8>, Vec<u8>),
}

/// Decodes an extension's content, changes it, and encodes it back.
fn edit_content<T: ExtensionContent>(
    exts: &mut Extensions,
    default: impl FnOnce() -> Option<T>,
    edit: impl FnOnce(&mut T),
) {
    let t = T::EXTENSION_TYPE;
    let current = exts
        .find(t)
        .map(|e| e.parse::<T>().ok())
        .unwrap_or_else(default);
    let Some(mut value) = current else {
        return;
    };
    edit(&mut value);
    let Ok(data) = encode(&value) else {
        return;
    };
    match exts.0.iter_mut().find(|e| e.extension_type == t) {
        Some(e) => e.extension_data = VarBytes(data),
        None => exts.push_encoded(t, data),
    }
}

impl ExtensionsEdit {
    /// Applies the edit; returns the new tree hash when the tree changed
    /// and the edit asks for the hash to follow.
    fn apply(&self, ctx: &Ctx<'_>, exts: &mut Extensions) -> Option<Vec<u8>> {
        let mut new_hash = None;
        match self {
            ExtensionsEdit::List(e) => e.apply(exts),
            ExtensionsEdit::Tree { at, edit, rehash } => {
                edit_content::<RatchetTreeExtension>(
                    exts,
                    || None,
                    |tree| {
                        let nodes = &mut tree.0.0;
                        let len = nodes.len().max(1);
                        let index = usize::from(*at) % len;
                        let leaf = LeafIndex(u32::try_from(index / 2).unwrap_or(0));
                        if let Some(node) = nodes.get_mut(index) {
                            edit.apply(ctx, node, leaf);
                        }
                        if *rehash {
                            new_hash = tree_hash(ctx, nodes);
                        }
                    },
                );
            }
            ExtensionsEdit::TreeNodes { edit, rehash } => {
                edit_content::<RatchetTreeExtension>(
                    exts,
                    || None,
                    |tree| {
                        let nodes = &mut tree.0.0;
                        let blank: Option<Node> = None;
                        edit.apply(nodes, |_| Some(blank.clone()));
                        if *rehash {
                            new_hash = tree_hash(ctx, nodes);
                        }
                    },
                );
            }
            ExtensionsEdit::ExternalPub(key) => edit_content::<ExternalPub>(
                exts,
                || {
                    Some(ExternalPub {
                        external_pub: VarBytes(ctx.hpke_key(4)),
                    })
                },
                |e| key.apply(ctx, &mut e.external_pub.0),
            ),
            ExtensionsEdit::ExternalSenders(e) => edit_content::<ExternalSenders>(
                exts,
                || Some(ExternalSenders::default()),
                |senders| {
                    e.apply(&mut senders.0.0, |c| {
                        Some(match c {
                            ExternalSenderChoice::Fixture(i) => {
                                let keys = ctx.f.signature_keys();
                                ExternalSender {
                                    signature_key: pick(&keys, *i)
                                        .map(|k| k.to_vec())
                                        .unwrap_or_default()
                                        .into(),
                                    credential: Credential::basic("external"),
                                }
                            }
                            ExternalSenderChoice::Bytes(key, id) => ExternalSender {
                                signature_key: key.clone().into(),
                                credential: Credential::basic(id.clone()),
                            },
                        })
                    })
                },
            ),
            ExtensionsEdit::RequiredCapabilities {
                extensions,
                proposals,
                credentials,
            } => edit_content::<RequiredCapabilities>(
                exts,
                || Some(RequiredCapabilities::default()),
                |r| {
                    extensions.apply(&mut r.extension_types.0, |c| {
                        Some(ExtensionType(c.value(EXTENSION_TYPES)))
                    });
                    proposals.apply(&mut r.proposal_types.0, |c| {
                        Some(cohort::messages::ProposalType(c.value(PROPOSAL_TYPES)))
                    });
                    credentials.apply(&mut r.credential_types.0, |c| {
                        Some(cohort::messages::CredentialType(c.value(CREDENTIAL_TYPES)))
                    });
                },
            ),
        }
        new_hash
    }
}

/// The tree hash of `nodes`, when they make a tree.
fn tree_hash(ctx: &Ctx<'_>, nodes: &[Option<Node>]) -> Option<Vec<u8>> {
    RatchetTree::from_nodes(&ctx.cs, nodes.to_vec())
        .ok()
        .map(|t| t.tree_hash().to_vec())
}

// ---------------------------------------------------------------------------
// Keys, credentials, leaves, nodes.

/// A new public key: changed bytes, a fresh key, or one the group already
/// uses.
#[derive(Arbitrary, Debug, Clone)]
enum KeyChoice {
    Edit(BytesEdit),
    Fresh(u8),
    /// The encryption key of the tree's node at this index (modulo its
    /// width).
    TreeNode(u8),
}

impl KeyChoice {
    fn apply(&self, ctx: &Ctx<'_>, key: &mut Vec<u8>) {
        match self {
            KeyChoice::Edit(e) => e.apply(key),
            KeyChoice::Fresh(seed) => *key = ctx.hpke_key(*seed),
            KeyChoice::TreeNode(i) => {
                let nodes = ctx.tree().to_nodes();
                let found = pick(&nodes, *i).and_then(Option::as_ref).map(|n| match n {
                    Node::Leaf(l) => l.encryption_key.0.clone(),
                    Node::Parent(p) => p.encryption_key.0.clone(),
                });
                if let Some(k) = found {
                    *key = k;
                }
            }
        }
    }
}

/// A signature key: changed bytes or one of the fixture's.
#[derive(Arbitrary, Debug, Clone)]
enum SignatureKeyChoice {
    Edit(BytesEdit),
    Fixture(u8),
}

#[derive(Arbitrary, Debug, Clone)]
enum CredentialEdit {
    Identity(BytesEdit),
    /// Another client's identity.
    Named(u8),
    X509(Vec<Vec<u8>>),
}

#[derive(Arbitrary, Debug, Clone)]
enum CapabilitiesEdit {
    Versions(ListEdit<u16>),
    Suites(ListEdit<u16>),
    Extensions(ListEdit<TypeChoice>),
    Proposals(ListEdit<TypeChoice>),
    Credentials(ListEdit<TypeChoice>),
}

#[derive(Arbitrary, Debug, Clone)]
enum SourceEdit {
    KeyPackage { not_before: u64, not_after: u64 },
    Update,
    Commit(Vec<u8>),
    ParentHash(BytesEdit),
    NotBefore(IntEdit),
    NotAfter(IntEdit),
}

/// A change to one field of a leaf node, which its owner signs again.
#[derive(Arbitrary, Debug, Clone)]
enum LeafEdit {
    EncryptionKey(KeyChoice),
    SignatureKey(SignatureKeyChoice),
    Credential(CredentialEdit),
    Capabilities(CapabilitiesEdit),
    Source(SourceEdit),
    Extensions(ListExtensionsEdit),
    /// The signature itself (nobody signs again).
    Signature(BytesEdit),
}

const CLIENT_NAMES: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "server",
];

impl LeafEdit {
    fn apply(&self, ctx: &Ctx<'_>, leaf: &mut LeafNode, index: Option<LeafIndex>) {
        match self {
            LeafEdit::EncryptionKey(k) => k.apply(ctx, &mut leaf.encryption_key.0),
            LeafEdit::SignatureKey(SignatureKeyChoice::Edit(e)) => {
                e.apply(&mut leaf.signature_key.0);
            }
            LeafEdit::SignatureKey(SignatureKeyChoice::Fixture(i)) => {
                let keys = ctx.f.signature_keys();
                if let Some(k) = pick(&keys, *i) {
                    leaf.signature_key = k.to_vec().into();
                }
            }
            LeafEdit::Credential(c) => {
                leaf.credential = match (c, &leaf.credential) {
                    (CredentialEdit::Identity(e), Credential::Basic { identity }) => {
                        Credential::Basic {
                            identity: e.applied(identity),
                        }
                    }
                    (CredentialEdit::Identity(e), Credential::X509 { .. }) => {
                        Credential::basic(e.applied(&VarBytes::default()).0)
                    }
                    (CredentialEdit::Identity(e), Credential::Custom { data, .. }) => {
                        Credential::basic(e.applied(data).0)
                    }
                    (
                        CredentialEdit::Identity(e),
                        Credential::Multi { .. } | Credential::WeakMulti { .. },
                    ) => Credential::basic(e.applied(&VarBytes::default()).0),
                    (CredentialEdit::Named(i), _) => {
                        Credential::basic(pick(CLIENT_NAMES, *i).copied().unwrap_or("alice"))
                    }
                    (CredentialEdit::X509(certs), _) => Credential::X509 {
                        certificates: certs
                            .iter()
                            .map(|c| Certificate {
                                cert_data: c.clone().into(),
                            })
                            .collect::<Vec<_>>()
                            .into(),
                    },
                };
            }
            LeafEdit::Capabilities(c) => {
                let caps = &mut leaf.capabilities;
                match c {
                    CapabilitiesEdit::Versions(e) => {
                        e.apply(&mut caps.versions.0, |v| Some(ProtocolVersion(*v)));
                    }
                    CapabilitiesEdit::Suites(e) => {
                        e.apply(&mut caps.cipher_suites.0, |v| Some(Ciphersuite(*v)));
                    }
                    CapabilitiesEdit::Extensions(e) => e.apply(&mut caps.extensions.0, |c| {
                        Some(ExtensionType(c.value(EXTENSION_TYPES)))
                    }),
                    CapabilitiesEdit::Proposals(e) => e.apply(&mut caps.proposals.0, |c| {
                        Some(cohort::messages::ProposalType(c.value(PROPOSAL_TYPES)))
                    }),
                    CapabilitiesEdit::Credentials(e) => e.apply(&mut caps.credentials.0, |c| {
                        Some(cohort::messages::CredentialType(c.value(CREDENTIAL_TYPES)))
                    }),
                }
            }
            LeafEdit::Source(s) => {
                let src = &mut leaf.leaf_node_source;
                match s {
                    SourceEdit::KeyPackage {
                        not_before,
                        not_after,
                    } => {
                        *src = LeafNodeSource::KeyPackage(Lifetime {
                            not_before: *not_before,
                            not_after: *not_after,
                        });
                    }
                    SourceEdit::Update => *src = LeafNodeSource::Update,
                    SourceEdit::Commit(h) => *src = LeafNodeSource::Commit(h.clone().into()),
                    SourceEdit::ParentHash(e) => {
                        if let LeafNodeSource::Commit(h) = src {
                            e.apply(&mut h.0);
                        }
                    }
                    SourceEdit::NotBefore(e) => {
                        if let LeafNodeSource::KeyPackage(l) = src {
                            l.not_before = e.u64(l.not_before);
                        }
                    }
                    SourceEdit::NotAfter(e) => {
                        if let LeafNodeSource::KeyPackage(l) = src {
                            l.not_after = e.u64(l.not_after);
                        }
                    }
                }
            }
            LeafEdit::Extensions(e) => e.apply(&mut leaf.extensions),
            LeafEdit::Signature(e) => {
                e.apply(&mut leaf.signature.0);
                return;
            }
        }
        ctx.resign_leaf(leaf, index);
    }
}

/// A change to one node of a tree.
#[derive(Arbitrary, Debug, Clone)]
enum NodeEdit {
    Blank,
    ParentKey(KeyChoice),
    ParentHash(BytesEdit),
    Unmerged(ListEdit<u32>),
    Leaf(LeafEdit),
    /// Turn the node into a leaf copied from a client's KeyPackage.
    ClientLeaf(u8),
}

impl NodeEdit {
    fn apply(&self, ctx: &Ctx<'_>, node: &mut Option<Node>, leaf: LeafIndex) {
        match (self, node.as_mut()) {
            (NodeEdit::Blank, _) => *node = None,
            (NodeEdit::ParentKey(k), Some(Node::Parent(p))) => {
                k.apply(ctx, &mut p.encryption_key.0);
            }
            (NodeEdit::ParentHash(e), Some(Node::Parent(p))) => e.apply(&mut p.parent_hash.0),
            (NodeEdit::Unmerged(e), Some(Node::Parent(p))) => {
                e.apply(&mut p.unmerged_leaves.0, |v| Some(*v));
            }
            (NodeEdit::Leaf(e), Some(Node::Leaf(l))) => e.apply(ctx, l, Some(leaf)),
            (NodeEdit::ClientLeaf(i), _) => {
                if let Some(c) = pick(&ctx.f.clients, *i) {
                    *node = Some(Node::Leaf(c.key_package.key_package.leaf_node.clone()));
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------
// KeyPackages, PSKs, proposals, commits.

#[derive(Arbitrary, Debug, Clone)]
enum KeyPackageEdit {
    Version(u16),
    Suite(u16),
    InitKey(KeyChoice),
    /// The init key set to the leaf's encryption key.
    InitKeyIsLeafKey,
    Leaf(LeafEdit),
    Extensions(ListExtensionsEdit),
    Signature(BytesEdit),
    /// Another client's KeyPackage, unchanged.
    Client(u8),
}

impl KeyPackageEdit {
    fn apply(&self, ctx: &Ctx<'_>, kp: &mut KeyPackage) {
        match self {
            KeyPackageEdit::Version(v) => kp.version = ProtocolVersion(*v),
            KeyPackageEdit::Suite(v) => kp.cipher_suite = Ciphersuite(*v),
            KeyPackageEdit::InitKey(k) => k.apply(ctx, &mut kp.init_key.0),
            KeyPackageEdit::InitKeyIsLeafKey => kp.init_key = kp.leaf_node.encryption_key.clone(),
            KeyPackageEdit::Leaf(e) => e.apply(ctx, &mut kp.leaf_node, None),
            KeyPackageEdit::Extensions(e) => e.apply(&mut kp.extensions),
            KeyPackageEdit::Signature(e) => {
                e.apply(&mut kp.signature.0);
                return;
            }
            KeyPackageEdit::Client(i) => {
                if let Some(c) = pick(&ctx.f.clients, *i) {
                    *kp = c.key_package.key_package.clone();
                }
                return;
            }
        }
        ctx.resign_key_package(kp);
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum PskEdit {
    Id(BytesEdit),
    Nonce(BytesEdit),
    ToExternal(Vec<u8>),
    ToResumption { usage: u8, epoch: u64 },
    Usage(u8),
    GroupId(BytesEdit),
    Epoch(IntEdit),
}

fn usage(v: u8) -> ResumptionPskUsage {
    match v % 3 {
        0 => ResumptionPskUsage::Application,
        1 => ResumptionPskUsage::Reinit,
        _ => ResumptionPskUsage::Branch,
    }
}

impl PskEdit {
    fn apply(&self, id: &mut PreSharedKeyId) {
        match (self, &mut id.psk) {
            (PskEdit::Id(e), Psk::External { psk_id }) => e.apply(&mut psk_id.0),
            (PskEdit::Nonce(e), _) => e.apply(&mut id.psk_nonce.0),
            (PskEdit::ToExternal(v), _) => {
                id.psk = Psk::External {
                    psk_id: v.clone().into(),
                };
            }
            (PskEdit::ToResumption { usage: u, epoch }, _) => {
                id.psk = Psk::Resumption {
                    usage: usage(*u),
                    psk_group_id: fixture::GROUP_ID.to_vec().into(),
                    psk_epoch: *epoch,
                };
            }
            (PskEdit::Usage(u), Psk::Resumption { usage: x, .. }) => *x = usage(*u),
            (PskEdit::GroupId(e), Psk::Resumption { psk_group_id, .. }) => {
                e.apply(&mut psk_group_id.0);
            }
            (PskEdit::Epoch(e), Psk::Resumption { psk_epoch, .. }) => {
                *psk_epoch = e.u64(*psk_epoch);
            }
            _ => {}
        }
    }
}

/// A PSK id: the fixture's external PSK, any external id, or a resumption
/// PSK of the fixture's group.
#[derive(Arbitrary, Debug, Clone)]
enum NewPsk {
    Known {
        nonce_len: u8,
    },
    External {
        id: Vec<u8>,
        nonce: Vec<u8>,
    },
    Resumption {
        usage: u8,
        epoch: u64,
        nonce_len: u8,
    },
}

impl NewPsk {
    fn make(&self) -> PreSharedKeyId {
        match self {
            NewPsk::Known { nonce_len } => PreSharedKeyId {
                psk: Psk::External {
                    psk_id: fixture::PSK_ID.to_vec().into(),
                },
                psk_nonce: vec![0x11; usize::from(*nonce_len % 65)].into(),
            },
            NewPsk::External { id, nonce } => PreSharedKeyId {
                psk: Psk::External {
                    psk_id: id.clone().into(),
                },
                psk_nonce: nonce.clone().into(),
            },
            NewPsk::Resumption {
                usage: u,
                epoch,
                nonce_len,
            } => PreSharedKeyId {
                psk: Psk::Resumption {
                    usage: usage(*u),
                    psk_group_id: fixture::GROUP_ID.to_vec().into(),
                    psk_epoch: *epoch % 4,
                },
                psk_nonce: vec![0x22; usize::from(*nonce_len % 65)].into(),
            },
        }
    }
}

/// A new proposal.
#[derive(Arbitrary, Debug, Clone)]
enum NewProposal {
    /// Add a client (its KeyPackage as made).
    Add(u8),
    /// Update: the sender's leaf with a fresh key, signed by its owner.
    Update(u8),
    Remove(u32),
    Psk(NewPsk),
    ReInit {
        group_id: Vec<u8>,
        version: u16,
        suite: u16,
    },
    ExternalInit(Vec<u8>),
    /// The current group context extensions, changed.
    GroupContextExtensions(ListExtensionsEdit),
}

impl NewProposal {
    fn make(&self, ctx: &Ctx<'_>, sender: Option<LeafIndex>) -> Option<Proposal> {
        Some(match self {
            NewProposal::Add(i) => Proposal::Add(Box::new(Add {
                key_package: pick(&ctx.f.clients, *i)?.key_package.key_package.clone(),
            })),
            NewProposal::Update(seed) => {
                let index = sender?;
                let mut leaf = ctx.tree().leaf(index)?.clone();
                leaf.encryption_key = ctx.hpke_key(*seed).into();
                leaf.leaf_node_source = LeafNodeSource::Update;
                let resigner = Ctx {
                    resign: true,
                    group_id: ctx.group_id.clone(),
                    f: ctx.f,
                    cs: SuiteCrypto::new(&CRYPTO, SUITE).ok()?,
                };
                resigner.resign_leaf(&mut leaf, Some(index));
                Proposal::Update(Box::new(Update { leaf_node: leaf }))
            }
            NewProposal::Remove(l) => Proposal::Remove(Remove { removed: *l % 8 }),
            NewProposal::Psk(p) => Proposal::PreSharedKey(PreSharedKey { psk: p.make() }),
            NewProposal::ReInit {
                group_id,
                version,
                suite,
            } => Proposal::ReInit(ReInit {
                group_id: group_id.clone().into(),
                version: ProtocolVersion(*version % 3),
                cipher_suite: Ciphersuite(*suite % 8),
                extensions: Extensions::default(),
            }),
            NewProposal::ExternalInit(k) => Proposal::ExternalInit(ExternalInit {
                kem_output: k.clone().into(),
            }),
            NewProposal::GroupContextExtensions(e) => {
                let mut extensions = ctx.f.receiver().context().extensions.clone();
                e.apply(&mut extensions);
                Proposal::GroupContextExtensions(GroupContextExtensions { extensions })
            }
        })
    }
}

/// A change to a proposal: one field of its own type, or a new proposal.
#[derive(Arbitrary, Debug, Clone)]
enum ProposalEdit {
    Replace(NewProposal),
    Add(KeyPackageEdit),
    Update(LeafEdit),
    Remove(IntEdit),
    Psk(PskEdit),
    ReInitGroupId(BytesEdit),
    ReInitVersion(u16),
    ReInitSuite(u16),
    ReInitExtensions(ListExtensionsEdit),
    ExternalInit(BytesEdit),
    GroupContextExtensions(ExtensionsEdit),
}

impl ProposalEdit {
    fn apply(&self, ctx: &Ctx<'_>, p: &mut Proposal, sender: Option<LeafIndex>) {
        match (self, &mut *p) {
            (ProposalEdit::Replace(n), _) => {
                if let Some(new) = n.make(ctx, sender) {
                    *p = new;
                }
            }
            (ProposalEdit::Add(e), Proposal::Add(a)) => e.apply(ctx, &mut a.key_package),
            (ProposalEdit::Update(e), Proposal::Update(u)) => {
                e.apply(ctx, &mut u.leaf_node, sender);
            }
            (ProposalEdit::Remove(e), Proposal::Remove(r)) => r.removed = e.u32(r.removed),
            (ProposalEdit::Psk(e), Proposal::PreSharedKey(psk)) => e.apply(&mut psk.psk),
            (ProposalEdit::ReInitGroupId(e), Proposal::ReInit(r)) => e.apply(&mut r.group_id.0),
            (ProposalEdit::ReInitVersion(v), Proposal::ReInit(r)) => {
                r.version = ProtocolVersion(*v);
            }
            (ProposalEdit::ReInitSuite(v), Proposal::ReInit(r)) => {
                r.cipher_suite = Ciphersuite(*v);
            }
            (ProposalEdit::ReInitExtensions(e), Proposal::ReInit(r)) => e.apply(&mut r.extensions),
            (ProposalEdit::ExternalInit(e), Proposal::ExternalInit(x)) => {
                e.apply(&mut x.kem_output.0);
            }
            (ProposalEdit::GroupContextExtensions(e), Proposal::GroupContextExtensions(g)) => {
                e.apply(ctx, &mut g.extensions);
            }
            _ => {}
        }
    }
}

/// A new entry of a commit's proposal list.
#[derive(Arbitrary, Debug, Clone)]
enum NewProposalOrRef {
    Value(NewProposal),
    Reference(Vec<u8>),
    /// The reference of a proposal the receiver has cached.
    Cached(u8),
}

/// A change to one field of a commit.
#[derive(Arbitrary, Debug, Clone)]
enum CommitEdit {
    Proposals(ListEdit<NewProposalOrRef>),
    Proposal { at: u8, edit: ProposalEdit },
    Reference { at: u8, edit: BytesEdit },
    DropPath,
    PathLeaf(LeafEdit),
    PathNodes(ListEdit<u8>),
    PathNodeKey { at: u8, key: KeyChoice },
    PathCiphertexts { at: u8, edit: ListEdit<u8> },
    PathKemOutput { at: u8, ct: u8, edit: BytesEdit },
    PathCiphertext { at: u8, ct: u8, edit: BytesEdit },
}

impl CommitEdit {
    fn apply(&self, ctx: &Ctx<'_>, c: &mut Commit, committer: Option<LeafIndex>) {
        match self {
            CommitEdit::Proposals(e) => {
                let cached: Vec<Vec<u8>> = ctx
                    .f
                    .receiver()
                    .pending_proposals()
                    .iter()
                    .filter_map(|q| q.reference.clone())
                    .collect();
                e.apply(&mut c.proposals.0, |n| match n {
                    NewProposalOrRef::Value(p) => p
                        .make(ctx, committer)
                        .map(|p| ProposalOrRef::Proposal(Box::new(p))),
                    NewProposalOrRef::Reference(r) => {
                        Some(ProposalOrRef::Reference(r.clone().into()))
                    }
                    NewProposalOrRef::Cached(i) => {
                        pick(&cached, *i).map(|r| ProposalOrRef::Reference(r.clone().into()))
                    }
                });
            }
            CommitEdit::Proposal { at, edit } => {
                if let Some(ProposalOrRef::Proposal(p)) = pick_mut(&mut c.proposals.0, *at) {
                    edit.apply(ctx, p, committer);
                }
            }
            CommitEdit::Reference { at, edit } => {
                if let Some(ProposalOrRef::Reference(r)) = pick_mut(&mut c.proposals.0, *at) {
                    edit.apply(&mut r.0);
                }
            }
            CommitEdit::DropPath => c.path = None,
            CommitEdit::PathLeaf(e) => {
                if let Some(path) = &mut c.path {
                    e.apply(ctx, &mut path.leaf_node, committer);
                }
            }
            CommitEdit::PathNodes(e) => {
                if let Some(path) = &mut c.path {
                    let snapshot = path.nodes.0.clone();
                    e.apply(&mut path.nodes.0, |i| pick(&snapshot, *i).cloned());
                }
            }
            CommitEdit::PathNodeKey { at, key } => {
                if let Some(n) = c.path.as_mut().and_then(|p| pick_mut(&mut p.nodes.0, *at)) {
                    key.apply(ctx, &mut n.encryption_key.0);
                }
            }
            CommitEdit::PathCiphertexts { at, edit } => {
                if let Some(n) = c.path.as_mut().and_then(|p| pick_mut(&mut p.nodes.0, *at)) {
                    let snapshot = n.encrypted_path_secret.0.clone();
                    edit.apply(&mut n.encrypted_path_secret.0, |i| {
                        pick(&snapshot, *i).cloned()
                    });
                }
            }
            CommitEdit::PathKemOutput { at, ct, edit } => {
                if let Some(x) = c
                    .path
                    .as_mut()
                    .and_then(|p| pick_mut(&mut p.nodes.0, *at))
                    .and_then(|n| pick_mut(&mut n.encrypted_path_secret.0, *ct))
                {
                    edit.apply(&mut x.kem_output.0);
                }
            }
            CommitEdit::PathCiphertext { at, ct, edit } => {
                if let Some(x) = c
                    .path
                    .as_mut()
                    .and_then(|p| pick_mut(&mut p.nodes.0, *at))
                    .and_then(|n| pick_mut(&mut n.encrypted_path_secret.0, *ct))
                {
                    edit.apply(&mut x.ciphertext.0);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// process_mutated.

/// A new sender.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum NewSender {
    Member(u32),
    External(u32),
    NewMemberProposal,
    NewMemberCommit,
}

/// A new content body.
#[derive(Arbitrary, Debug, Clone)]
enum NewBody {
    Application(Vec<u8>),
    Proposal(NewProposal),
    /// A commit of these cached proposals (by index) and no path.
    Commit(Vec<u8>),
}

/// A change to the framing after protection.
#[derive(Arbitrary, Debug, Clone)]
enum FramingEdit {
    MembershipTag(BytesEdit),
    DropMembershipTag,
    Ciphertext(BytesEdit),
    SenderData(BytesEdit),
    PrivateAuthenticatedData(BytesEdit),
    PrivateEpoch(IntEdit),
    PrivateContentType(u8),
    PrivateGroupId(BytesEdit),
}

/// One change to a valid content of the fixture.
#[derive(Arbitrary, Debug, Clone)]
enum ContentEdit {
    None,
    GroupId(BytesEdit),
    Epoch(IntEdit),
    Sender(NewSender),
    AuthenticatedData(BytesEdit),
    ApplicationData(BytesEdit),
    Body(NewBody),
    Proposal(ProposalEdit),
    Commit(CommitEdit),
    Signature(BytesEdit),
    ConfirmationTag(BytesEdit),
    /// Signed for the other wire format than it is sent in.
    WireFormat,
    Framing(FramingEdit),
}

/// The input of [`process_mutated`].
#[derive(Arbitrary, Debug, Clone)]
struct MutatedMessage {
    /// Which template (modulo their number).
    template: u8,
    /// Send as a PrivateMessage (member senders only).
    private: bool,
    /// Sign again with the sender's key, when the fixture holds it.
    resign: bool,
    edit: ContentEdit,
}

/// The leaf a `new_member_commit` sender takes: the leftmost blank leaf.
fn new_member_leaf(tree: &RatchetTree) -> LeafIndex {
    let n = tree.n_leaves();
    (0..n)
        .map(LeafIndex)
        .find(|l| tree.leaf(*l).is_none())
        .unwrap_or(LeafIndex(n))
}

/// The key the content of `sender` is signed with.
fn sender_key(f: &Fixture, sender: Sender, body: &FramedContentBody) -> Option<Vec<u8>> {
    match sender {
        Sender::Member(l) => f
            .receiver()
            .tree()
            .leaf(LeafIndex(l))
            .map(|leaf| leaf.signature_key.0.clone()),
        Sender::External(0) => Some(f.server.public_key().to_vec()),
        Sender::External(_) => None,
        Sender::NewMemberProposal => match body {
            FramedContentBody::Proposal(Proposal::Add(a)) => {
                Some(a.key_package.leaf_node.signature_key.0.clone())
            }
            _ => None,
        },
        Sender::NewMemberCommit => match body {
            FramedContentBody::Commit(Commit {
                path: Some(path), ..
            }) => Some(path.leaf_node.signature_key.0.clone()),
            _ => None,
        },
    }
}

/// Builds the message `m` describes.
fn mutated_message(f: &Fixture, m: &MutatedMessage) -> Option<MlsMessage> {
    let ctx = Ctx::new(f, m.resign)?;
    let t = pick(&f.templates, m.template)?;
    let mut content = t.content.clone();
    let mut signature = t.signature.clone();
    let mut tag = t.confirmation_tag.clone();
    let member_sender = matches!(content.sender, Sender::Member(_));
    let mut wire_format = if m.private && member_sender {
        WireFormat::PRIVATE_MESSAGE
    } else {
        WireFormat::PUBLIC_MESSAGE
    };
    let sender_leaf = match content.sender {
        Sender::Member(l) => Some(LeafIndex(l)),
        Sender::NewMemberCommit => Some(new_member_leaf(ctx.tree())),
        _ => None,
    };
    let mut sign_format = wire_format;
    match &m.edit {
        ContentEdit::None | ContentEdit::Signature(_) | ContentEdit::Framing(_) => {}
        ContentEdit::GroupId(e) => e.apply(&mut content.group_id.0),
        ContentEdit::Epoch(e) => content.epoch = e.u64(content.epoch),
        ContentEdit::Sender(s) => {
            content.sender = match s {
                NewSender::Member(l) => Sender::Member(*l % 8),
                NewSender::External(i) => Sender::External(*i % 3),
                NewSender::NewMemberProposal => Sender::NewMemberProposal,
                NewSender::NewMemberCommit => Sender::NewMemberCommit,
            };
            if !matches!(content.sender, Sender::Member(_)) {
                wire_format = WireFormat::PUBLIC_MESSAGE;
                sign_format = wire_format;
            }
        }
        ContentEdit::AuthenticatedData(e) => e.apply(&mut content.authenticated_data.0),
        ContentEdit::ApplicationData(e) => {
            if let FramedContentBody::Application(d) = &mut content.body {
                e.apply(&mut d.0);
            }
        }
        ContentEdit::Body(b) => {
            content.body = match b {
                NewBody::Application(d) => FramedContentBody::Application(d.clone().into()),
                NewBody::Proposal(p) => FramedContentBody::Proposal(p.make(&ctx, sender_leaf)?),
                NewBody::Commit(refs) => {
                    let cached = f.receiver().pending_proposals();
                    let proposals = refs
                        .iter()
                        .filter_map(|i| pick(cached, *i))
                        .filter_map(|q| q.reference.clone())
                        .map(|r| ProposalOrRef::Reference(r.into()))
                        .collect::<Vec<_>>();
                    FramedContentBody::Commit(Commit {
                        proposals: proposals.into(),
                        path: None,
                    })
                }
            };
        }
        ContentEdit::Proposal(e) => {
            if let FramedContentBody::Proposal(p) = &mut content.body {
                e.apply(&ctx, p, sender_leaf);
            }
        }
        ContentEdit::Commit(e) => {
            if let FramedContentBody::Commit(c) = &mut content.body {
                e.apply(&ctx, c, sender_leaf);
            }
        }
        ContentEdit::ConfirmationTag(e) => {
            let mut t = tag.clone().unwrap_or_default();
            e.apply(&mut t.0);
            tag = Some(t);
        }
        ContentEdit::WireFormat => {
            sign_format = if wire_format == WireFormat::PUBLIC_MESSAGE {
                WireFormat::PRIVATE_MESSAGE
            } else {
                WireFormat::PUBLIC_MESSAGE
            };
        }
    }
    let is_commit = matches!(content.body, FramedContentBody::Commit(_));
    let confirmation_tag = match (is_commit, tag) {
        (true, Some(t)) => Some(t),
        (true, None) => Some(VarBytes(vec![0; ctx.cs.hash_len()])),
        (false, _) => None,
    };
    let context = f.receiver().context().clone();
    if m.resign
        && let Some(signer) =
            sender_key(f, content.sender, &content.body).and_then(|k| f.signer_for(&k))
        && let Ok(signed) = cohort::framing::sign_content(
            &ctx.cs,
            signer,
            sign_format,
            content.clone(),
            Some(&context),
        )
    {
        signature = signed.auth.signature;
    }
    if let ContentEdit::Signature(e) = &m.edit {
        e.apply(&mut signature.0);
    }
    let ac = AuthenticatedContent {
        wire_format,
        content,
        auth: FramedContentAuthData {
            signature,
            confirmation_tag,
        },
    };
    let view = match ac.content.sender {
        Sender::Member(l) => f.members.get(l as usize).unwrap_or(&f.members[0]),
        _ => &f.members[0],
    };
    let mut view: Group = view.group.clone();
    let p = provider();
    let mut msg = match view.protect_content(&p, ac.clone()) {
        Ok(msg) => msg,
        // Application data in a PublicMessage: framed by hand, with a
        // membership tag that cannot be right.
        Err(_) if wire_format == WireFormat::PUBLIC_MESSAGE => {
            let member = matches!(ac.content.sender, Sender::Member(_));
            MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
                content: ac.content,
                auth: ac.auth,
                membership_tag: member.then(|| VarBytes(vec![0; ctx.cs.hash_len()])),
            }))
        }
        Err(_) => return None,
    };
    if let ContentEdit::Framing(e) = &m.edit {
        frame(e, &mut msg);
    }
    Some(msg)
}

fn frame(e: &FramingEdit, msg: &mut MlsMessage) {
    match (&mut msg.body, e) {
        (MlsMessageBody::PublicMessage(m), FramingEdit::MembershipTag(b)) => {
            if let Some(t) = &mut m.membership_tag {
                b.apply(&mut t.0);
            }
        }
        (MlsMessageBody::PublicMessage(m), FramingEdit::DropMembershipTag) => {
            m.membership_tag = None;
        }
        (MlsMessageBody::PrivateMessage(m), FramingEdit::Ciphertext(b)) => {
            b.apply(&mut m.ciphertext.0);
        }
        (MlsMessageBody::PrivateMessage(m), FramingEdit::SenderData(b)) => {
            b.apply(&mut m.encrypted_sender_data.0);
        }
        (MlsMessageBody::PrivateMessage(m), FramingEdit::PrivateAuthenticatedData(b)) => {
            b.apply(&mut m.authenticated_data.0);
        }
        (MlsMessageBody::PrivateMessage(m), FramingEdit::PrivateEpoch(i)) => {
            m.epoch = i.u64(m.epoch);
        }
        (MlsMessageBody::PrivateMessage(m), FramingEdit::PrivateContentType(v)) => {
            m.content_type = match v % 3 {
                0 => cohort::framing::ContentType::Application,
                1 => cohort::framing::ContentType::Proposal,
                _ => cohort::framing::ContentType::Commit,
            };
        }
        (MlsMessageBody::PrivateMessage(m), FramingEdit::PrivateGroupId(b)) => {
            b.apply(&mut m.group_id.0);
        }
        _ => {}
    }
}

/// What encodes decodes back to the same value.
fn through_the_wire<T>(value: &T) -> Option<T>
where
    T: cohort::codec::tls_codec::SerializeBytes
        + cohort::codec::tls_codec::DeserializeBytes
        + PartialEq
        + std::fmt::Debug,
{
    let bytes = encode(value).ok()?;
    match decode_exact::<T>(&bytes) {
        Ok(back) => {
            assert!(back == *value, "a value decodes to another: {value:?}");
            Some(back)
        }
        Err(e) => panic!("an encoded value does not decode ({e}): {value:?}"),
    }
}

/// Reads the input as an [`arbitrary`] description of one change to one of
/// the fixture's valid contents (a field of the framing, the sender, the
/// proposal or the commit, down to a leaf node, a path ciphertext or a PSK
/// id), signs it again with the sender's key (and a changed leaf or
/// KeyPackage with its owner's) when the input asks and the fixture holds
/// the key, protects it as a member would, and has the receiver process it
/// under the checks of [`process`](crate::process). The encoded message
/// must also decode back to itself.
pub fn process_mutated(data: &[u8]) -> Outcome {
    let Ok(m) = MutatedMessage::arbitrary_take_rest(Unstructured::new(data)) else {
        return Outcome::Malformed;
    };
    let f = fixture();
    let Some(msg) = mutated_message(f, &m) else {
        return Outcome::Malformed;
    };
    match through_the_wire(&msg) {
        Some(msg) => process_message(&msg),
        None => Outcome::Malformed,
    }
}

// ---------------------------------------------------------------------------
// GroupInfo and Welcome.

#[derive(Arbitrary, Debug, Clone)]
enum ContextEdit {
    Version(u16),
    Suite(u16),
    GroupId(BytesEdit),
    Epoch(IntEdit),
    TreeHash(BytesEdit),
    ConfirmedTranscriptHash(BytesEdit),
    Extensions(ExtensionsEdit),
}

/// A change to one field of a GroupInfo, which the member it names as
/// signer signs again.
#[derive(Arbitrary, Debug, Clone)]
enum GroupInfoEdit {
    None,
    Context(ContextEdit),
    Extensions(ExtensionsEdit),
    ConfirmationTag(BytesEdit),
    Signer(IntEdit),
    Signature(BytesEdit),
}

impl GroupInfoEdit {
    fn apply(&self, ctx: &Ctx<'_>, gi: &mut GroupInfo) {
        let mut new_hash = None;
        let c: &mut GroupContext = &mut gi.group_context;
        match self {
            GroupInfoEdit::None | GroupInfoEdit::Signature(_) => {}
            GroupInfoEdit::Context(e) => match e {
                ContextEdit::Version(v) => c.version = ProtocolVersion(*v),
                ContextEdit::Suite(v) => c.cipher_suite = Ciphersuite(*v),
                ContextEdit::GroupId(b) => b.apply(&mut c.group_id.0),
                ContextEdit::Epoch(i) => c.epoch = i.u64(c.epoch),
                ContextEdit::TreeHash(b) => b.apply(&mut c.tree_hash.0),
                ContextEdit::ConfirmedTranscriptHash(b) => {
                    b.apply(&mut c.confirmed_transcript_hash.0);
                }
                ContextEdit::Extensions(x) => {
                    let _ = x.apply(ctx, &mut c.extensions);
                }
            },
            GroupInfoEdit::Extensions(x) => new_hash = x.apply(ctx, &mut gi.extensions),
            GroupInfoEdit::ConfirmationTag(b) => b.apply(&mut gi.confirmation_tag.0),
            GroupInfoEdit::Signer(i) => gi.signer = i.u32(gi.signer),
        }
        if let Some(h) = new_hash {
            gi.group_context.tree_hash = h.into();
        }
        let tree = gi
            .extensions
            .get::<RatchetTreeExtension>()
            .ok()
            .flatten()
            .map(|t| t.0.0)
            .unwrap_or_else(|| ctx.tree().to_nodes());
        ctx.resign_group_info(gi, &tree);
        if let GroupInfoEdit::Signature(b) = self {
            b.apply(&mut gi.signature.0);
        }
    }
}

/// The input of [`join_external_mutated`].
#[derive(Arbitrary, Debug, Clone)]
struct MutatedGroupInfo {
    template: u8,
    resign: bool,
    edit: GroupInfoEdit,
}

/// Reads the input as an [`arbitrary`] description of one change to one of
/// the fixture's GroupInfos (a context field, an extension down to a node
/// of its ratchet tree, optionally with the tree hash made to match, the
/// confirmation tag, the signer), signs it again with the key of the member
/// it names when asked, and has Heidi join by external commit under the
/// checks of [`join_external`](crate::join_external).
pub fn join_external_mutated(data: &[u8]) -> Outcome {
    let Ok(m) = MutatedGroupInfo::arbitrary_take_rest(Unstructured::new(data)) else {
        return Outcome::Malformed;
    };
    let f = fixture();
    let Some(ctx) = Ctx::new(f, m.resign) else {
        return Outcome::Malformed;
    };
    let Some(seed) = pick(&f.group_infos, m.template) else {
        return Outcome::Malformed;
    };
    let mut gi = seed.group_info.clone();
    m.edit.apply(&ctx, &mut gi);
    match through_the_wire(&gi) {
        Some(gi) => join_external_group_info(&gi),
        None => Outcome::Malformed,
    }
}

/// A change to one field of a Welcome for Erin, made by the committer that
/// sealed it (who knows every secret in it).
#[derive(Arbitrary, Debug, Clone)]
enum WelcomeEdit {
    None,
    Suite(u16),
    EntryReference(BytesEdit),
    Entries(ListEdit<u8>),
    KemOutput(BytesEdit),
    Ciphertext(BytesEdit),
    EncryptedGroupInfo(BytesEdit),
    JoinerSecret(BytesEdit),
    PathSecret(Option<BytesEdit>),
    Psks(ListEdit<NewPsk>),
    Psk { at: u8, edit: PskEdit },
    GroupInfo(GroupInfoEdit),
}

/// The input of [`join_mutated`].
#[derive(Arbitrary, Debug, Clone)]
struct MutatedWelcome {
    template: u8,
    resign: bool,
    edit: WelcomeEdit,
}

/// The welcome secret of `secrets` with the PSK values the joiner knows
/// (zeros for others: the committer may name any PSK).
fn welcome_secret(ctx: &Ctx<'_>, secrets: &GroupSecrets) -> Option<WelcomeSecret> {
    let known = fixture::psks();
    let nh = ctx.cs.hash_len();
    let zero = vec![0u8; nh];
    let ids: Vec<(Vec<u8>, Vec<u8>)> = secrets
        .psks
        .0
        .iter()
        .map(|id| {
            let value = match &id.psk {
                Psk::External { psk_id } => known
                    .get(psk_id.as_slice())
                    .map(|s| s.as_bytes().to_vec())
                    .unwrap_or_else(|| zero.clone()),
                Psk::Resumption { .. } => zero.clone(),
            };
            (encode(id).unwrap_or_default(), value)
        })
        .collect();
    let inputs: Vec<PskInput<'_>> = ids.iter().map(|(id, psk)| PskInput { id, psk }).collect();
    let psk = psk_secret(&ctx.cs, &inputs).ok()?;
    JoinerSecret::from_secret(secrets.joiner_secret.0.clone())
        .welcome_secret(&ctx.cs, psk.as_bytes())
        .ok()
}

/// Builds the Welcome `m` describes.
fn mutated_welcome(f: &Fixture, m: &MutatedWelcome) -> Option<Welcome> {
    let ctx = Ctx::new(f, m.resign)?;
    let (_, template) = pick(&f.welcomes, m.template)?;
    let mut w = template.clone();
    let joiner = &f.joiner().key_package;
    let kp_ref = key_package_ref(&ctx.cs, &joiner.key_package).ok()?;
    let entry_at = w.secrets.0.iter().position(|e| e.new_member.0 == kp_ref)?;
    let entry = w.secrets.0.get(entry_at)?.clone();
    let mut secrets = decrypt_group_secrets(
        &ctx.cs,
        joiner.init_private_key.as_bytes(),
        None,
        &entry,
        w.encrypted_group_info.as_slice(),
    )
    .ok()?;
    let old_secret = welcome_secret(&ctx, &secrets)?;
    let mut gi =
        decrypt_group_info(&ctx.cs, &old_secret, w.encrypted_group_info.as_slice()).ok()?;
    match &m.edit {
        WelcomeEdit::JoinerSecret(e) => {
            let mut s = secrets.joiner_secret.as_bytes().to_vec();
            e.apply(&mut s);
            secrets.joiner_secret = Secret::new(s).into();
        }
        WelcomeEdit::PathSecret(None) => secrets.path_secret = None,
        WelcomeEdit::PathSecret(Some(e)) => {
            let mut s = secrets
                .path_secret
                .as_ref()
                .map(|p| p.path_secret.as_bytes().to_vec())
                .unwrap_or_default();
            e.apply(&mut s);
            secrets.path_secret = Some(PathSecret {
                path_secret: Secret::new(s).into(),
            });
        }
        WelcomeEdit::Psks(e) => e.apply(&mut secrets.psks.0, |n| Some(n.make())),
        WelcomeEdit::Psk { at, edit } => {
            if let Some(id) = pick_mut(&mut secrets.psks.0, *at) {
                edit.apply(id);
            }
        }
        WelcomeEdit::GroupInfo(e) => e.apply(&ctx, &mut gi),
        _ => {}
    }
    // Seal again, as the committer would.
    let p = provider();
    let new_secret = welcome_secret(&ctx, &secrets)?;
    let egi = encrypt_group_info(&ctx.cs, &new_secret, &gi).ok()?;
    let prepared = prepare_group_secrets(&ctx.cs, &egi).ok()?;
    let sealed = encrypt_group_secrets(
        &ctx.cs,
        &p.rand,
        &prepared,
        kp_ref.into(),
        joiner.key_package.init_key.as_slice(),
        &secrets,
    )
    .ok()?;
    w.encrypted_group_info = egi.into();
    *w.secrets.0.get_mut(entry_at)? = sealed;
    let entry = w.secrets.0.get_mut(entry_at)?;
    match &m.edit {
        WelcomeEdit::Suite(v) => w.cipher_suite = Ciphersuite(*v),
        WelcomeEdit::EntryReference(e) => e.apply(&mut entry.new_member.0),
        WelcomeEdit::KemOutput(e) => e.apply(&mut entry.encrypted_group_secrets.kem_output.0),
        WelcomeEdit::Ciphertext(e) => e.apply(&mut entry.encrypted_group_secrets.ciphertext.0),
        WelcomeEdit::EncryptedGroupInfo(e) => e.apply(&mut w.encrypted_group_info.0),
        WelcomeEdit::Entries(e) => {
            let snapshot = w.secrets.0.clone();
            e.apply(&mut w.secrets.0, |i| pick(&snapshot, *i).cloned());
        }
        _ => {}
    }
    Some(w)
}

/// Reads the input as an [`arbitrary`] description of one change to one of
/// the fixture's Welcomes for Erin (a field of the GroupSecrets, of the
/// GroupInfo inside, down to its ratchet tree, or of the Welcome itself),
/// made as the committer could: the GroupInfo signed again by its signer
/// when asked, everything sealed again. Erin then joins with it under the
/// checks of [`join`](crate::join).
pub fn join_mutated(data: &[u8]) -> Outcome {
    let Ok(m) = MutatedWelcome::arbitrary_take_rest(Unstructured::new(data)) else {
        return Outcome::Malformed;
    };
    let f = fixture();
    let Some(w) = mutated_welcome(f, &m) else {
        return Outcome::Malformed;
    };
    match through_the_wire(&w) {
        Some(w) => join_welcome(&w),
        None => Outcome::Malformed,
    }
}

// ---------------------------------------------------------------------------
// Seeds.

/// Seeds of the structure-aware targets: every template unchanged (public
/// and private, signed again), and a few pseudo-random descriptions.
pub(crate) fn seeds(f: &Fixture) -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, t) in f.templates.iter().enumerate() {
        let i = u8::try_from(i).unwrap_or(0);
        for private in [false, true] {
            let kind = if private { "private" } else { "public" };
            out.push((
                "process_mutated",
                format!("{}-{kind}", t.name),
                vec![i, u8::from(private), 1],
            ));
        }
    }
    for (i, (name, _)) in f.welcomes.iter().enumerate() {
        let i = u8::try_from(i).unwrap_or(0);
        out.push(("join_mutated", (*name).to_string(), vec![i, 1]));
    }
    for (i, g) in f.group_infos.iter().enumerate() {
        let i = u8::try_from(i).unwrap_or(0);
        out.push(("join_external_mutated", g.name.to_string(), vec![i, 1]));
    }
    // Pseudo-random descriptions (a xorshift stream: reproducible).
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for target in ["process_mutated", "join_mutated", "join_external_mutated"] {
        for n in 0..16 {
            let len = 8 + (next() % 400) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            out.push((target, format!("random-{n:02}"), bytes));
        }
    }
    out
}
