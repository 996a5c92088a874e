//! TreeKEM (RFC 9420 sections 7.4 to 7.6): creating an UpdatePath, merging
//! a received one into the tree and decrypting its path secret.

use super::math::{self, LeafIndex};
use super::ratchet_tree::{TreeDiff, TreeView};
use super::validate::{LEAF_LABEL, in_subtree, parent_hash};
use crate::codec::VarVec;
use crate::crypto::{HpkeCiphertext, SuiteCrypto};
use crate::messages::{LeafNode, LeafNodeSource, Node, ParentNode, UpdatePath, UpdatePathNode};
use crate::{Error, MisuseError, ValidationError};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use cohort_traits::{Crypto, CryptoError, Rand, Secret, Signer};

/// The `EncryptWithLabel` label of path secrets.
const PATH_LABEL: &[u8] = b"UpdatePathNode";

/// A member's private view of the tree: its leaf's HPKE private key and the
/// private keys of the parent nodes it knows (RFC 9420 section 4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreePrivateKeys {
    /// The member's leaf.
    pub leaf: LeafIndex,
    /// The leaf's HPKE private key.
    pub leaf_key: Secret,
    /// Private keys of parent nodes, by node index.
    pub path_keys: BTreeMap<u32, Secret>,
}

impl TreePrivateKeys {
    /// Keys for a member at `leaf` who knows only its leaf key.
    pub fn new(leaf: LeafIndex, leaf_key: Secret) -> Self {
        TreePrivateKeys {
            leaf,
            leaf_key,
            path_keys: BTreeMap::new(),
        }
    }

    /// The private key of `node`, if known.
    pub fn key_of(&self, node: u32) -> Option<&Secret> {
        if Some(node) == self.leaf.node_index() {
            Some(&self.leaf_key)
        } else {
            self.path_keys.get(&node)
        }
    }

    /// Sets the key of the single parent `node` from its path secret,
    /// checking the derived public key against the tree (C-TREE-16).
    pub fn set_node_secret<T: TreeView + ?Sized, C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
        tree: &T,
        node: u32,
        path_secret: &Secret,
    ) -> Result<(), Error> {
        let parent = tree
            .parent_node(node)
            .ok_or(ValidationError::PathSecretMismatch)?;
        let (sk, pk) = node_key_pair(cs, path_secret)?;
        if pk != parent.encryption_key.as_slice() {
            return Err(ValidationError::PathSecretMismatch.into());
        }
        self.path_keys.insert(node, sk);
        Ok(())
    }

    /// Sets the keys of `node` and of the non-blank parents above it from a
    /// path secret, as a Welcome's `path_secret` does for the lowest common
    /// ancestor of the joiner and the committer (RFC 9420 section 12.4.3.1),
    /// checking each derived public key against the tree (C-WEL-08).
    pub fn set_path_secret<T: TreeView + ?Sized, C: Crypto + ?Sized>(
        &mut self,
        cs: &SuiteCrypto<'_, C>,
        tree: &T,
        node: u32,
        path_secret: Secret,
    ) -> Result<(), Error> {
        let my_node = self
            .leaf
            .node_index()
            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
        let path: Vec<u32> = math::direct_path(my_node, tree.n_leaves())
            .into_iter()
            .skip_while(|p| *p != node)
            .collect();
        if path.first() != Some(&node) {
            return Err(ValidationError::PathSecretMismatch.into());
        }
        let mut secret = path_secret;
        for p in path {
            if let Some(parent) = tree.parent_node(p) {
                let (sk, pk) = node_key_pair(cs, &secret)?;
                if pk != parent.encryption_key.as_slice() {
                    return Err(ValidationError::PathSecretMismatch.into());
                }
                self.path_keys.insert(p, sk);
                secret = cs.derive_secret(secret.as_bytes(), b"path")?;
            }
        }
        Ok(())
    }
}

/// `node_secret = DeriveSecret(path_secret, "node")` and
/// `DeriveKeyPair(node_secret)` (RFC 9420 section 7.4).
fn node_key_pair<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    path_secret: &Secret,
) -> Result<(Secret, Vec<u8>), Error> {
    let node_secret = cs.derive_secret(path_secret.as_bytes(), b"node")?;
    cs.derive_key_pair(node_secret.as_bytes())
}

/// The child of `p` towards `node` and the other child.
fn children_towards(p: u32, node: u32) -> Option<(u32, u32)> {
    let (l, r) = (math::left(p)?, math::right(p)?);
    Some(if in_subtree(node, l) { (l, r) } else { (r, l) })
}

/// Sets the parent hashes along a freshly set filtered direct path, top-down,
/// and returns the parent hash the leaf must carry (RFC 9420 section 7.9).
fn chain_parent_hashes<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    diff: &mut TreeDiff<'_>,
    leaf_node: u32,
    fdp: &[u32],
) -> Result<Vec<u8>, Error> {
    diff.rehash(cs)?;
    let mut next = Vec::new();
    for &p in fdp.iter().rev() {
        let mut parent = diff
            .parent_node(p)
            .cloned()
            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
        parent.parent_hash = next.into();
        diff.set_node(p, Some(Node::Parent(parent)))?;
        let (_, sibling) = children_towards(p, leaf_node)
            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
        next = parent_hash(cs, diff, p, sibling)?;
    }
    Ok(next)
}

/// An UpdatePath being built: the tree is updated, the path secrets wait for
/// the provisional GroupContext to be encrypted.
#[derive(Debug)]
pub struct PendingPath {
    sender: LeafIndex,
    leaf_node: LeafNode,
    filtered_path: Vec<u32>,
    path_secrets: Vec<Secret>,
    public_keys: Vec<Vec<u8>>,
    commit_secret: Secret,
    private_keys: TreePrivateKeys,
}

impl PendingPath {
    /// `commit_secret`: `path_secret[n+1]` (RFC 9420 section 12.4.2).
    pub fn commit_secret(&self) -> &Secret {
        &self.commit_secret
    }

    /// The committer's private keys after the update.
    pub fn private_keys(&self) -> &TreePrivateKeys {
        &self.private_keys
    }

    /// The committer's new leaf node.
    pub fn leaf_node(&self) -> &LeafNode {
        &self.leaf_node
    }

    /// The path secret of `node` on the filtered direct path, for a new
    /// member's GroupSecrets (RFC 9420 section 12.4.3.1).
    pub fn path_secret_at(&self, node: u32) -> Option<&Secret> {
        let i = self.filtered_path.iter().position(|p| *p == node)?;
        self.path_secrets.get(i)
    }

    /// Encrypts each path secret to the resolution of its copath child,
    /// leaving out the leaves added by this commit (RFC 9420 section 7.6),
    /// with the encoded provisional GroupContext as context.
    pub fn encrypt<T: TreeView + ?Sized, C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        rand: &dyn Rand,
        tree: &T,
        group_context: &[u8],
        new_leaves: &[LeafIndex],
    ) -> Result<UpdatePath, Error> {
        let info = cs.prepare_encrypt(PATH_LABEL, group_context)?;
        let sender_node = self
            .sender
            .node_index()
            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
        // One encryption per copath resolution node, independent of each
        // other: listed first, then run (in parallel with the `parallel`
        // feature) with randomness drawn in this order.
        let mut tasks: Vec<(usize, &[u8])> = Vec::new();
        for (i, &p) in self.filtered_path.iter().enumerate() {
            let (_, copath) = children_towards(p, sender_node)
                .ok_or(crate::Error::Internal("a node index outside the tree"))?;
            for r in resolution_without(tree, copath, new_leaves) {
                tasks.push((i, node_key(tree, r)?));
            }
        }
        let rand_len = cs
            .params()
            .kem
            .encap_randomness_len()
            .ok_or(MisuseError::UnsupportedCiphersuite(cs.suite()))?;
        let drawn = crate::par::predraw(rand, tasks.len(), rand_len)?;
        let jobs: Vec<((usize, &[u8]), crate::par::Drawn)> = tasks.into_iter().zip(drawn).collect();
        let cts = crate::par::map(&jobs, |((i, key), r)| {
            let secret = self
                .path_secrets
                .get(*i)
                .ok_or(crate::Error::Internal("a node index outside the tree"))?;
            cs.encrypt_with_label_prepared(r, key, &info, secret.as_bytes())
        });
        let mut nodes: Vec<UpdatePathNode> = self
            .public_keys
            .iter()
            .map(|pk| UpdatePathNode {
                encryption_key: pk.clone().into(),
                encrypted_path_secret: VarVec(Vec::new()),
            })
            .collect();
        for (((i, _), _), ct) in jobs.iter().zip(cts) {
            nodes
                .get_mut(*i)
                .ok_or(crate::Error::Internal("a node index outside the tree"))?
                .encrypted_path_secret
                .0
                .push(ct?);
        }
        Ok(UpdatePath {
            leaf_node: self.leaf_node.clone(),
            nodes: VarVec(nodes),
        })
    }
}

/// The resolution of `index` without the leaves in `excluded`.
fn resolution_without<T: TreeView + ?Sized>(
    tree: &T,
    index: u32,
    excluded: &[LeafIndex],
) -> Vec<u32> {
    let mut r = tree.resolution(index);
    r.retain(|x| !excluded.iter().any(|l| l.node_index() == Some(*x)));
    r
}

/// The HPKE public key of a non-blank node.
fn node_key<T: TreeView + ?Sized>(tree: &T, index: u32) -> Result<&[u8], Error> {
    match tree.node(index) {
        Some(Node::Leaf(l)) => Ok(l.encryption_key.as_slice()),
        Some(Node::Parent(p)) => Ok(p.encryption_key.as_slice()),
        None => Err(crate::Error::Internal("a node index outside the tree")),
    }
}

/// Updates the committer's direct path (RFC 9420 section 7.5): blanks it,
/// derives fresh path secrets and key pairs for the filtered direct path,
/// sets parent hashes, and installs the new leaf (source `commit`, new
/// encryption key, signed over the group id and leaf index).
///
/// `leaf` is the committer's new leaf content; its encryption key, source and
/// signature are replaced here.
pub fn create_path<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    rand: &dyn Rand,
    diff: &mut TreeDiff<'_>,
    sender: LeafIndex,
    mut leaf: LeafNode,
    signer: &dyn Signer,
    group_id: &[u8],
) -> Result<PendingPath, Error> {
    let nh = cs.hash_len();
    let leaf_node = sender
        .node_index()
        .ok_or(crate::Error::Internal("a node index outside the tree"))?;
    diff.blank_direct_path(sender)?;
    let fdp = diff.filtered_direct_path(sender);

    let mut leaf_secret = Secret::zero(nh);
    fill(rand, &mut leaf_secret)?;
    let (leaf_key, leaf_pub) = node_key_pair(cs, &leaf_secret)?;
    let mut secret = cs.derive_secret(leaf_secret.as_bytes(), b"path")?;
    let mut private_keys = TreePrivateKeys::new(sender, leaf_key);
    let (mut path_secrets, mut public_keys) =
        (Vec::with_capacity(fdp.len()), Vec::with_capacity(fdp.len()));
    for &p in &fdp {
        let (sk, pk) = node_key_pair(cs, &secret)?;
        diff.set_node(
            p,
            Some(Node::Parent(ParentNode {
                encryption_key: pk.clone().into(),
                parent_hash: Default::default(),
                unmerged_leaves: VarVec::default(),
            })),
        )?;
        private_keys.path_keys.insert(p, sk);
        public_keys.push(pk);
        let next = cs.derive_secret(secret.as_bytes(), b"path")?;
        path_secrets.push(core::mem::replace(&mut secret, next));
    }
    let commit_secret = secret;

    let ph = chain_parent_hashes(cs, diff, leaf_node, &fdp)?;
    leaf.encryption_key = leaf_pub.into();
    leaf.leaf_node_source = LeafNodeSource::Commit(ph.into());
    let tbs = leaf.to_be_signed(Some((group_id, sender)))?;
    leaf.signature = cs.sign_with_label(signer, LEAF_LABEL, &tbs)?.into();
    diff.set_node(leaf_node, Some(Node::Leaf(leaf.clone())))?;
    diff.rehash(cs)?;
    Ok(PendingPath {
        sender,
        leaf_node: leaf,
        filtered_path: fdp,
        path_secrets,
        public_keys,
        commit_secret,
        private_keys,
    })
}

fn fill(rand: &dyn Rand, secret: &mut Secret) -> Result<(), Error> {
    let mut bytes = alloc::vec![0u8; secret.len()];
    rand.fill(&mut bytes)?;
    *secret = Secret::new(bytes);
    Ok(())
}

/// Merges a received UpdatePath into the tree (RFC 9420 section 7.5): checks
/// that it has one node per filtered-direct-path node (C-TREE-13) and one
/// ciphertext per copath resolution node (C-TREE-14), blanks the direct
/// path, installs the new public keys, recomputes the parent hashes and
/// checks the leaf's (C-TREE-17), and installs the new leaf.
///
/// Leaf-node validation (C-LN-*) and key uniqueness are the caller's checks.
pub fn merge_path<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    diff: &mut TreeDiff<'_>,
    sender: LeafIndex,
    path: &UpdatePath,
    new_leaves: &[LeafIndex],
) -> Result<(), Error> {
    let leaf_node = sender
        .node_index()
        .ok_or(crate::Error::Internal("a node index outside the tree"))?;
    if diff.leaf(sender).is_none() {
        return Err(ValidationError::BlankLeaf { leaf: sender.0 }.into());
    }
    diff.blank_direct_path(sender)?;
    let fdp = diff.filtered_direct_path(sender);
    if fdp.len() != path.nodes.0.len() {
        return Err(ValidationError::UpdatePathLength.into());
    }
    for (&p, node) in fdp.iter().zip(&path.nodes.0) {
        let (_, copath) = children_towards(p, leaf_node)
            .ok_or(crate::Error::Internal("a node index outside the tree"))?;
        if resolution_without(&*diff, copath, new_leaves).len()
            != node.encrypted_path_secret.0.len()
        {
            return Err(ValidationError::UpdatePathCiphertextCount.into());
        }
    }
    for (&p, node) in fdp.iter().zip(&path.nodes.0) {
        diff.set_node(
            p,
            Some(Node::Parent(ParentNode {
                encryption_key: node.encryption_key.clone(),
                parent_hash: Default::default(),
                unmerged_leaves: VarVec::default(),
            })),
        )?;
    }
    let ph = chain_parent_hashes(cs, diff, leaf_node, &fdp)?;
    match &path.leaf_node.leaf_node_source {
        LeafNodeSource::Commit(carried) if carried.as_slice() == ph.as_slice() => {}
        LeafNodeSource::Commit(_) => return Err(ValidationError::ParentHashMismatch.into()),
        _ => return Err(ValidationError::LeafNodeSourceMismatch.into()),
    }
    diff.set_node(leaf_node, Some(Node::Leaf(path.leaf_node.clone())))?;
    diff.rehash(cs)
}

/// Decrypts the path secret addressed to `keys`' member in a path merged by
/// [`merge_path`], derives the rest of the path, checks every derived public
/// key (C-TREE-15, C-TREE-16), and returns the updated private keys, the
/// path secret it decrypted and the commit secret.
pub fn decrypt_path<T: TreeView + ?Sized, C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    tree: &T,
    sender: LeafIndex,
    path: &UpdatePath,
    keys: &TreePrivateKeys,
    group_context: &[u8],
    new_leaves: &[LeafIndex],
) -> Result<(TreePrivateKeys, Secret, Secret), Error> {
    let sender_node = sender
        .node_index()
        .ok_or(crate::Error::Internal("a node index outside the tree"))?;
    let my_node = keys
        .leaf
        .node_index()
        .ok_or(crate::Error::Internal("a node index outside the tree"))?;
    let fdp = tree.filtered_direct_path(sender);
    let start = fdp
        .iter()
        .position(|&p| {
            children_towards(p, sender_node).is_some_and(|(_, copath)| in_subtree(my_node, copath))
        })
        .ok_or(ValidationError::PathSecretUndecryptable)?;
    let p = *fdp
        .get(start)
        .ok_or(ValidationError::PathSecretUndecryptable)?;
    let (_, copath) = children_towards(p, sender_node)
        .ok_or(crate::Error::Internal("a node index outside the tree"))?;
    let resolution = resolution_without(tree, copath, new_leaves);
    let (slot, key) = resolution
        .iter()
        .enumerate()
        .find_map(|(i, r)| keys.key_of(*r).map(|k| (i, k)))
        .ok_or(ValidationError::PathSecretUndecryptable)?;
    let node = path
        .nodes
        .0
        .get(start)
        .ok_or(ValidationError::UpdatePathLength)?;
    let ct: &HpkeCiphertext = node
        .encrypted_path_secret
        .0
        .get(slot)
        .ok_or(ValidationError::UpdatePathCiphertextCount)?;
    let public_key = resolution
        .get(slot)
        .map(|r| node_key(tree, *r))
        .transpose()?;
    let decrypted = cs
        .decrypt_with_label_for(
            key.as_bytes(),
            public_key,
            PATH_LABEL,
            group_context,
            ct.kem_output.as_slice(),
            ct.ciphertext.as_slice(),
        )
        .map_err(|e| match e {
            Error::Crypto(CryptoError::AeadOpenFailed | CryptoError::KemDecapFailed) => {
                Error::Validation(ValidationError::PathSecretUndecryptable)
            }
            other => other,
        })?;
    let decrypted = Secret::from_slice(decrypted.as_bytes());

    let mut new_keys = keys.clone();
    // Keys of the sender's direct path are replaced by the update.
    for q in math::direct_path(sender_node, tree.n_leaves()) {
        new_keys.path_keys.remove(&q);
    }
    let mut secret = decrypted.clone();
    for (&q, node) in fdp.iter().zip(&path.nodes.0).skip(start) {
        let (sk, pk) = node_key_pair(cs, &secret)?;
        if pk != node.encryption_key.as_slice() {
            return Err(ValidationError::PathSecretMismatch.into());
        }
        new_keys.path_keys.insert(q, sk);
        secret = cs.derive_secret(secret.as_bytes(), b"path")?;
    }
    Ok((new_keys, decrypted, secret))
}
