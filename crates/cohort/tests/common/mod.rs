//! Builds full, valid ratchet trees of any size quickly, for tests and
//! benchmarks: every node non-blank, keys derived from the node index, and
//! parent hashes chained so the tree passes validation (each parent is
//! covered by the chain through its left child).
#![allow(dead_code)]

use cohort::codec::{VarBytes, VarVec};
use cohort::crypto::SuiteCrypto;
use cohort::messages::{
    Capabilities, Credential, CredentialType, LeafNode, LeafNodeSource, Lifetime, Node, ParentNode,
    ProtocolVersion,
};
use cohort::tree::math::{self, LeafIndex};
use cohort::tree::{RatchetTree, TreePrivateKeys, TreeView, node_hash, parent_hash};
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{Ciphersuite, Crypto, Secret};

pub static CRYPTO: RustCrypto = RustCrypto::new();
pub const GROUP_ID: &[u8] = b"synthetic group";

pub fn cs(suite: u16) -> SuiteCrypto<'static, RustCrypto> {
    SuiteCrypto::new(&CRYPTO, Ciphersuite(suite)).unwrap()
}

/// The HPKE key pair of node `index`.
pub fn node_keys(cs: &SuiteCrypto<'_, RustCrypto>, index: u32) -> (Secret, Vec<u8>) {
    let ikm = cs
        .hash(&[b"node key ".as_slice(), &index.to_be_bytes()].concat())
        .unwrap();
    cs.derive_key_pair(&ikm).unwrap()
}

/// The signature private key of `leaf`.
pub fn signature_key(cs: &SuiteCrypto<'_, RustCrypto>, leaf: u32) -> Secret {
    let seed = cs
        .hash(&[b"signature key ".as_slice(), &leaf.to_be_bytes()].concat())
        .unwrap();
    Secret::from_slice(&seed[..32])
}

pub fn capabilities(suite: Ciphersuite) -> Capabilities {
    Capabilities {
        versions: VarVec(vec![ProtocolVersion::MLS10]),
        cipher_suites: VarVec(vec![suite]),
        extensions: VarVec::default(),
        proposals: VarVec::default(),
        credentials: VarVec(vec![CredentialType::BASIC]),
    }
}

/// Changes a leaf's content (credential, capabilities, extensions) before it
/// is signed; it must keep the leaf's signature key.
pub type LeafHook<'a> = &'a dyn Fn(u32, &mut LeafNode);

/// A signed leaf for `leaf` with the given source.
pub fn leaf_node(cs: &SuiteCrypto<'_, RustCrypto>, leaf: u32, source: LeafNodeSource) -> LeafNode {
    leaf_node_with(cs, leaf, source, &|_, _| {})
}

/// A signed leaf for `leaf` with the given source, changed by `hook` before
/// signing.
pub fn leaf_node_with(
    cs: &SuiteCrypto<'_, RustCrypto>,
    leaf: u32,
    source: LeafNodeSource,
    hook: LeafHook<'_>,
) -> LeafNode {
    let (_, encryption_key) = node_keys(cs, leaf * 2);
    let sk = signature_key(cs, leaf);
    let scheme = cs.params().signature;
    let mut node = LeafNode {
        encryption_key: encryption_key.into(),
        signature_key: CRYPTO
            .signature_public_key(scheme, sk.as_bytes())
            .unwrap()
            .into(),
        credential: Credential::basic(format!("member {leaf}")),
        capabilities: capabilities(cs.suite()),
        leaf_node_source: source,
        extensions: Default::default(),
        signature: VarBytes::default(),
    };
    hook(leaf, &mut node);
    let tbs = node
        .to_be_signed(Some((GROUP_ID, LeafIndex(leaf))))
        .unwrap();
    node.signature = cs
        .sign_with_label_key(sk.as_bytes(), b"LeafNodeTBS", &tbs)
        .unwrap()
        .into();
    node
}

/// A full tree of `n_leaves` (a power of two) members.
pub fn full_tree(cs: &SuiteCrypto<'_, RustCrypto>, n_leaves: u32) -> RatchetTree {
    assert!(n_leaves.is_power_of_two());
    tree_of(cs, n_leaves)
}

/// A valid tree of `members` members at leaves `0..members`, as a group
/// grown by commits would have it: a parent is non-blank when both its
/// subtrees hold a member, each non-blank node links by parent hash to its
/// lowest non-blank ancestor when it lies in that ancestor's left subtree
/// (so every parent is covered by exactly one chain), and other nodes carry
/// a stale parent hash.
pub fn tree_of(cs: &SuiteCrypto<'_, RustCrypto>, members: u32) -> RatchetTree {
    tree_of_with(cs, members, &|_, _| {})
}

/// [`tree_of`] with every leaf changed by `hook` before signing.
pub fn tree_of_with(
    cs: &SuiteCrypto<'_, RustCrypto>,
    members: u32,
    hook: LeafHook<'_>,
) -> RatchetTree {
    let n_leaves = members.next_power_of_two();
    let width = math::node_width(n_leaves).unwrap();
    let lifetime = Lifetime {
        not_before: 0,
        not_after: u64::MAX,
    };
    // The range of leaves under node i.
    let has_member = |i: u32| {
        let k = math::level(i);
        let first_leaf = (i >> (k + 1) << k) as u64;
        first_leaf < members as u64
    };
    let nodes: Vec<Option<Node>> = (0..width)
        .map(|i| {
            if math::is_leaf(i) {
                (i / 2 < members).then(|| {
                    Node::Leaf(leaf_node_with(
                        cs,
                        i / 2,
                        LeafNodeSource::KeyPackage(lifetime),
                        hook,
                    ))
                })
            } else {
                let both =
                    has_member(math::left(i).unwrap()) && has_member(math::right(i).unwrap());
                both.then(|| {
                    Node::Parent(ParentNode {
                        encryption_key: node_keys(cs, i).1.into(),
                        parent_hash: VarBytes(vec![0xee; cs.hash_len()]),
                        unmerged_leaves: VarVec::default(),
                    })
                })
            }
        })
        .collect();
    let mut partial = Partial {
        hook,
        n: n_leaves,
        nodes,
        hashes: vec![None; width as usize],
    };
    let root = math::root(n_leaves).unwrap();
    if let Some(Some(Node::Parent(p))) = partial.nodes.get_mut(root as usize) {
        p.parent_hash = VarBytes::default();
    }
    partial.finalize(cs, root);
    let end = partial.nodes.iter().rposition(Option::is_some).unwrap() + 1;
    partial.nodes.truncate(end);
    RatchetTree::from_nodes(cs, partial.nodes).unwrap()
}

/// A tree under construction whose subtree hashes are filled in as subtrees
/// are finished.
struct Partial<'h> {
    hook: LeafHook<'h>,
    n: u32,
    nodes: Vec<Option<Node>>,
    hashes: Vec<Option<Vec<u8>>>,
}

impl TreeView for Partial<'_> {
    fn n_leaves(&self) -> u32 {
        self.n
    }
    fn node(&self, index: u32) -> Option<&Node> {
        self.nodes.get(index as usize).and_then(Option::as_ref)
    }
    fn known_hash(&self, index: u32) -> Option<&[u8]> {
        self.hashes.get(index as usize).and_then(|h| h.as_deref())
    }
}

impl Partial<'_> {
    /// Finishes the subtree of `x`: its right subtree first; then, if `x` is
    /// non-blank, the link from the top non-blank node of its left subtree
    /// (which depends on the right subtree); then the left subtree; and
    /// records the subtree hash.
    fn finalize(&mut self, cs: &SuiteCrypto<'_, RustCrypto>, x: u32) {
        let (Some(l), Some(r)) = (math::left(x), math::right(x)) else {
            self.hashes[x as usize] = Some(node_hash(cs, x, self.node(x), None).unwrap());
            return;
        };
        self.finalize(cs, r);
        if self.node(x).is_some() {
            let ph = parent_hash(cs, &*self, x, r).unwrap();
            let d = self.resolution(l)[0];
            match self.nodes[d as usize].as_mut() {
                Some(Node::Parent(node)) => node.parent_hash = VarBytes(ph),
                _ => {
                    self.nodes[d as usize] = Some(Node::Leaf(leaf_node_with(
                        cs,
                        d / 2,
                        LeafNodeSource::Commit(VarBytes(ph)),
                        self.hook,
                    )))
                }
            }
        }
        self.finalize(cs, l);
        let h = node_hash(
            cs,
            x,
            self.node(x),
            Some((self.known_hash(l).unwrap(), self.known_hash(r).unwrap())),
        )
        .unwrap();
        self.hashes[x as usize] = Some(h);
    }
}

/// The private keys of member `leaf` in a [`full_tree`].
pub fn private_keys(
    cs: &SuiteCrypto<'_, RustCrypto>,
    tree: &RatchetTree,
    leaf: u32,
) -> TreePrivateKeys {
    let mut keys = TreePrivateKeys::new(LeafIndex(leaf), node_keys(cs, leaf * 2).0);
    for p in math::direct_path(leaf * 2, tree.n_leaves()) {
        if tree.node(p).is_some() {
            keys.path_keys.insert(p, node_keys(cs, p).0);
        }
    }
    keys
}
