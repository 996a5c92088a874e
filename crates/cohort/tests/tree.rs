//! Ratchet tree validation and TreeKEM: every tampering of a valid tree or
//! UpdatePath is refused with a named error. Check IDs refer to `checks.md`.

mod common;

use cohort::codec::{VarBytes, VarVec, decode_exact, encode};
use cohort::crypto::SuiteCrypto;
use cohort::messages::{LeafNodeSource, Lifetime, Node, ParentNode, RatchetTreeExtension};
use cohort::tree::math::LeafIndex;
use cohort::tree::{RatchetTree, TreeView, create_path, decrypt_path, merge_path, parent_hash};
use cohort::{DecodeError, Error, ValidationError};
use cohort_basic_credential::SignatureKeyPair;
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{
    AeadId, Ciphersuite, Crypto, CryptoError, HashAlgorithm, KdfId, KemId, KemOutput, Rand, Secret,
    SignatureScheme,
};
use common::*;

fn nodes_of(tree: &RatchetTree) -> Vec<Option<Node>> {
    tree.to_nodes()
}

fn rebuilt(nodes: Vec<Option<Node>>) -> Result<RatchetTree, Error> {
    let cs = cs(1);
    let tree = RatchetTree::from_nodes(&cs, nodes)?;
    tree.validate(&cs, GROUP_ID)?;
    Ok(tree)
}

#[test]
fn synthetic_full_trees_validate() {
    let cs = cs(1);
    for n in [1, 2, 3, 4, 5, 7, 16, 33] {
        let tree = tree_of(&cs, n);
        tree.validate(&cs, GROUP_ID).unwrap();
        // Round trip through the extension encoding.
        let bytes = encode(&tree.to_extension()).unwrap();
        assert_eq!(tree.encode_extension().unwrap(), bytes);
        let ext: RatchetTreeExtension = decode_exact(&bytes).unwrap();
        let again = RatchetTree::from_nodes(&cs, ext.0.0).unwrap();
        assert_eq!(again.tree_hash(), tree.tree_hash());
    }
}

/// C-TREE-06: a parent whose key was replaced breaks its parent-hash chain.
#[test]
fn wrong_parent_hash_is_refused_c_tree_06() {
    let tree = full_tree(&cs(1), 8);
    let mut nodes = nodes_of(&tree);
    let Some(Node::Parent(p)) = nodes[5].as_mut() else {
        panic!()
    };
    p.encryption_key = VarBytes(node_keys(&cs(1), 1000).1);
    assert_eq!(
        rebuilt(nodes).unwrap_err(),
        Error::Validation(ValidationError::ParentHashMismatch)
    );
}

/// C-TREE-05: the tree hash changes with any node, so a tree that does not
/// match the GroupContext is detected by comparing root hashes.
#[test]
fn tree_hash_covers_every_node_c_tree_05() {
    let cs = cs(1);
    let tree = full_tree(&cs, 4);
    let mut nodes = nodes_of(&tree);
    let Some(Node::Leaf(l)) = nodes[6].as_mut() else {
        panic!()
    };
    l.credential = cohort::messages::Credential::basic("someone else");
    let other = RatchetTree::from_nodes(&cs, nodes).unwrap();
    assert_ne!(other.tree_hash(), tree.tree_hash());
}

/// C-TREE-12 / C-LN-01: a leaf whose signature does not verify. (In a
/// larger tree the changed leaf also breaks the parent hash of the parent
/// whose sibling subtree holds it, which is checked first: parent hashes
/// cost hashes, signatures cost verifications.)
#[test]
fn bad_leaf_signature_is_refused_c_tree_12() {
    let tree = full_tree(&cs(1), 1);
    let mut nodes = nodes_of(&tree);
    let Some(Node::Leaf(l)) = nodes[0].as_mut() else {
        panic!()
    };
    l.signature.0[0] ^= 1;
    assert_eq!(
        rebuilt(nodes).unwrap_err(),
        Error::Validation(ValidationError::LeafSignatureInvalid { leaf: 0 })
    );
    let tree = full_tree(&cs(1), 4);
    let mut nodes = nodes_of(&tree);
    let Some(Node::Leaf(l)) = nodes[6].as_mut() else {
        panic!()
    };
    l.signature.0[0] ^= 1;
    assert_eq!(
        rebuilt(nodes).unwrap_err(),
        Error::Validation(ValidationError::ParentHashMismatch)
    );
}

/// C-TREE-09: an unmerged leaf outside its parent's subtree.
#[test]
fn unmerged_leaf_outside_parent_is_refused_c_tree_09() {
    let tree = full_tree(&cs(1), 4);
    let mut nodes = nodes_of(&tree);
    let Some(Node::Parent(p)) = nodes[1].as_mut() else {
        panic!()
    };
    p.unmerged_leaves.0 = vec![3];
    assert_eq!(
        rebuilt(nodes).unwrap_err(),
        Error::Validation(ValidationError::InvalidUnmergedLeaf { leaf: 3 })
    );
}

const FOREVER: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

fn key_package_leaf(cs: &SuiteCrypto<'_, RustCrypto>, leaf: u32) -> Option<Node> {
    Some(Node::Leaf(leaf_node(
        cs,
        leaf,
        LeafNodeSource::KeyPackage(FOREVER),
    )))
}

fn parent(cs: &SuiteCrypto<'_, RustCrypto>, index: u32, unmerged: &[u32]) -> Option<Node> {
    Some(Node::Parent(ParentNode {
        encryption_key: node_keys(cs, index).1.into(),
        parent_hash: VarBytes::default(),
        unmerged_leaves: VarVec(unmerged.to_vec()),
    }))
}

fn parent_mut(nodes: &mut [Option<Node>], index: usize) -> &mut ParentNode {
    match nodes[index].as_mut() {
        Some(Node::Parent(p)) => p,
        _ => panic!("node {index} is not a parent"),
    }
}

/// An eight-leaf tree as a group leaves it when leaf 0 committed while
/// leaves 2 and 4 were the other members (its path set nodes 3 and 7; node
/// 1 was left out, leaf 1 being blank), and leaf 3 was added afterwards, so
/// it is unmerged at nodes 3 and 7:
///
/// ```text
///                  7 {3}
///          3 {3}           .
///      .       .        .     .
///    L0  .   L2  L3   L4  .  .  .
/// ```
///
/// Leaf 0 links to node 3 (with leaf 3 blanked in its sibling subtree) and
/// node 3 to node 7 (node 3's resolution is node 3 and leaf 3, which node 7
/// lists as unmerged).
fn tree_with_unmerged_leaf() -> Vec<Option<Node>> {
    let cs = cs(1);
    let mut nodes = vec![
        key_package_leaf(&cs, 0),
        None,
        None,
        parent(&cs, 3, &[3]),
        key_package_leaf(&cs, 2),
        None,
        key_package_leaf(&cs, 3),
        parent(&cs, 7, &[3]),
        key_package_leaf(&cs, 4),
    ];
    let tree = RatchetTree::from_nodes(&cs, nodes.clone()).unwrap();
    parent_mut(&mut nodes, 3).parent_hash = VarBytes(parent_hash(&cs, &tree, 7, 11).unwrap());
    let tree = RatchetTree::from_nodes(&cs, nodes.clone()).unwrap();
    let link = parent_hash(&cs, &tree, 3, 5).unwrap();
    nodes[0] = Some(Node::Leaf(leaf_node(
        &cs,
        0,
        LeafNodeSource::Commit(VarBytes(link)),
    )));
    nodes
}

/// C-TREE-08: node 7 no longer lists leaf 3 as unmerged. Node 3 still
/// carries node 7's parent hash (which does not depend on the unmerged
/// leaves under node 3), but node 3's resolution is node 3 and leaf 3, so
/// node 7's unmerged leaves under it must be exactly leaf 3: the link
/// does not hold, and node 7 has no valid chain.
#[test]
fn unmerged_leaf_missing_from_the_linked_parent_c_tree_08() {
    let cs = cs(1);
    rebuilt(tree_with_unmerged_leaf()).unwrap();
    let mut nodes = tree_with_unmerged_leaf();
    parent_mut(&mut nodes, 7).unmerged_leaves.0.clear();
    let tree = RatchetTree::from_nodes(&cs, nodes.clone()).unwrap();
    let Some(Node::Parent(node3)) = tree.node(3) else {
        panic!()
    };
    assert_eq!(
        node3.parent_hash.as_slice(),
        parent_hash(&cs, &tree, 7, 11).unwrap()
    );
    assert_eq!(
        rebuilt(nodes).unwrap_err(),
        Error::Validation(ValidationError::ParentHashMismatch)
    );
}

/// C-TREE-10: leaf 3 is unmerged at the root but missing from node 3, a
/// non-blank node between them. (Node 5, blank, need not list it.)
#[test]
fn unmerged_leaf_missing_from_a_middle_node_c_tree_10() {
    let mut nodes = tree_with_unmerged_leaf();
    parent_mut(&mut nodes, 3).unmerged_leaves.0.clear();
    assert_eq!(
        rebuilt(nodes).unwrap_err(),
        Error::Validation(ValidationError::InvalidUnmergedLeaf { leaf: 3 })
    );
}

/// RustCrypto with a hash under which every input collides: the only way
/// to build a parent covered by two parent-hash chains. With a
/// collision-resistant hash it cannot be built: a link from the left child
/// hashes the right subtree, which holds the right link's parent hash, and
/// the other way round, so two links would need a hash cycle.
struct CollidingHash(RustCrypto);

const COLLISION: u8 = 0x5a;

impl Crypto for CollidingHash {
    fn supports(&self, suite: Ciphersuite) -> bool {
        self.0.supports(suite)
    }
    fn supported_ciphersuites(&self) -> Vec<Ciphersuite> {
        self.0.supported_ciphersuites()
    }
    fn hash(&self, alg: HashAlgorithm, _data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(vec![COLLISION; alg.output_len()])
    }
    fn hmac(&self, alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Result<Secret, CryptoError> {
        self.0.hmac(alg, key, data)
    }
    fn hkdf_extract(&self, kdf: KdfId, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        self.0.hkdf_extract(kdf, salt, ikm)
    }
    fn hkdf_expand(
        &self,
        kdf: KdfId,
        prk: &[u8],
        info: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError> {
        self.0.hkdf_expand(kdf, prk, info, len)
    }
    fn aead_seal(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.0.aead_seal(aead, key, nonce, aad, plaintext)
    }
    fn aead_open(
        &self,
        aead: AeadId,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, CryptoError> {
        self.0.aead_open(aead, key, nonce, aad, ciphertext)
    }
    fn kem_derive_key_pair(
        &self,
        kem: KemId,
        ikm: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.0.kem_derive_key_pair(kem, ikm)
    }
    fn kem_public_key(&self, kem: KemId, private_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.0.kem_public_key(kem, private_key)
    }
    fn kem_encap(
        &self,
        kem: KemId,
        public_key: &[u8],
        randomness: &[u8],
    ) -> Result<KemOutput, CryptoError> {
        self.0.kem_encap(kem, public_key, randomness)
    }
    fn kem_decap(&self, kem: KemId, enc: &[u8], private_key: &[u8]) -> Result<Secret, CryptoError> {
        self.0.kem_decap(kem, enc, private_key)
    }
    fn signature_key_generate(
        &self,
        scheme: SignatureScheme,
        rand: &dyn Rand,
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.0.signature_key_generate(scheme, rand)
    }
    fn signature_public_key(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.0.signature_public_key(scheme, private_key)
    }
    fn sign(
        &self,
        scheme: SignatureScheme,
        private_key: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.0.sign(scheme, private_key, message)
    }
    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.0.verify(scheme, public_key, message, signature)
    }
}

/// C-TREE-07: both children of a parent carry a parent hash valid for it,
/// so it is covered by two chains. Under [`CollidingHash`] every parent
/// hash is the same value: with one linking leaf the tree validates
/// (signatures included), with two it is refused. (Under SHA-256 the same
/// tree has no valid link at all.)
#[test]
fn parent_covered_by_two_chains_c_tree_07() {
    static COLLIDING: CollidingHash = CollidingHash(RustCrypto::new());
    let real = cs(1);
    let colliding = SuiteCrypto::new(&COLLIDING, Ciphersuite(1)).unwrap();
    let linking = |leaf| {
        let ph = VarBytes(vec![COLLISION; real.hash_len()]);
        Some(Node::Leaf(leaf_node(
            &real,
            leaf,
            LeafNodeSource::Commit(ph),
        )))
    };
    let validate = |cs: &SuiteCrypto<'_, _>, nodes: Vec<Option<Node>>| {
        RatchetTree::from_nodes(cs, nodes)?.validate(cs, GROUP_ID)
    };

    let one = vec![
        linking(0),
        parent(&real, 1, &[]),
        key_package_leaf(&real, 1),
    ];
    validate(&colliding, one).unwrap();

    let two = vec![linking(0), parent(&real, 1, &[]), linking(1)];
    assert_eq!(
        validate(&colliding, two.clone()).unwrap_err(),
        Error::Validation(ValidationError::ParentHashChainsOverlap)
    );
    assert_eq!(
        RatchetTree::from_nodes(&real, two)
            .unwrap()
            .validate(&real, GROUP_ID)
            .unwrap_err(),
        Error::Validation(ValidationError::ParentHashMismatch)
    );
}

/// C-TREE-01: unmerged leaves out of order.
#[test]
fn unsorted_unmerged_leaves_are_refused_c_tree_01() {
    let tree = full_tree(&cs(1), 4);
    let mut nodes = nodes_of(&tree);
    let Some(Node::Parent(p)) = nodes[3].as_mut() else {
        panic!()
    };
    p.unmerged_leaves.0 = vec![2, 1];
    assert_eq!(
        rebuilt(nodes).unwrap_err(),
        Error::Validation(ValidationError::UnmergedLeavesNotSorted)
    );
}

/// C-TREE-11 / C-LN-22 and C-LN-21: duplicate encryption or signature keys.
#[test]
fn duplicate_keys_are_refused_c_tree_11_c_ln_21() {
    let cs = cs(1);
    let tree = full_tree(&cs, 4);
    let mut nodes = nodes_of(&tree);
    let Some(Node::Parent(p1)) = nodes[1].clone() else {
        panic!()
    };
    let Some(Node::Parent(p5)) = nodes[5].as_mut() else {
        panic!()
    };
    p5.encryption_key = p1.encryption_key;
    assert_eq!(
        rebuilt(nodes).unwrap_err(),
        Error::Validation(ValidationError::DuplicateEncryptionKey)
    );

    let mut nodes = nodes_of(&tree);
    let Some(Node::Leaf(l0)) = nodes[0].clone() else {
        panic!()
    };
    let Some(Node::Leaf(l3)) = nodes[6].as_mut() else {
        panic!()
    };
    l3.signature_key = l0.signature_key;
    assert_eq!(
        rebuilt(nodes).unwrap_err(),
        Error::Validation(ValidationError::DuplicateSignatureKey)
    );
}

/// C-TREE-02, C-TREE-03, C-TREE-04: shape of a received tree.
#[test]
fn malformed_tree_shapes_are_refused_c_tree_02_03_04() {
    let tree = full_tree(&cs(1), 4);
    let mut trailing = nodes_of(&tree);
    trailing.push(None);
    assert_eq!(
        rebuilt(trailing).unwrap_err(),
        Error::Validation(ValidationError::TreeTrailingBlank)
    );
    assert_eq!(
        rebuilt(vec![]).unwrap_err(),
        Error::Validation(ValidationError::TreeTrailingBlank)
    );
    let mut swapped = nodes_of(&tree);
    swapped.swap(0, 1);
    assert_eq!(
        rebuilt(swapped).unwrap_err(),
        Error::Validation(ValidationError::TreeMalformed)
    );
    let mut ends_in_parent = nodes_of(&tree);
    ends_in_parent.pop();
    assert_eq!(
        rebuilt(ends_in_parent).unwrap_err(),
        Error::Validation(ValidationError::TreeMalformed)
    );
}

/// C-CODEC-06 / C-CODEC-05: a truncated or oversized ratchet_tree encoding.
#[test]
fn truncated_or_oversized_encoding_is_refused() {
    let tree = full_tree(&cs(1), 4);
    let bytes = encode(&tree.to_extension()).unwrap();
    for cut in [1, bytes.len() / 2, bytes.len() - 1] {
        assert!(decode_exact::<RatchetTreeExtension>(&bytes[..cut]).is_err());
    }
    // A header claiming 2^30 - 1 bytes with a few bytes after it.
    let oversized = [0xbf, 0xff, 0xff, 0xff, 0x01, 0x01, 0x00];
    assert_eq!(
        decode_exact::<RatchetTreeExtension>(&oversized).unwrap_err(),
        Error::Malformed(DecodeError::EndOfInput)
    );
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        decode_exact::<RatchetTreeExtension>(&long).unwrap_err(),
        Error::Malformed(DecodeError::TrailingBytes)
    );
}

fn committed_path(n: u32, sender: u32) -> (RatchetTree, cohort::messages::UpdatePath, Vec<u8>) {
    let cs = cs(1);
    let tree = full_tree(&cs, n);
    let signer = SignatureKeyPair::from_private_key(
        CRYPTO,
        cs.params().signature,
        signature_key(&cs, sender),
    )
    .unwrap();
    let mut diff = tree.diff();
    let template = tree.leaf(LeafIndex(sender)).unwrap().clone();
    let pending = create_path(
        &cs,
        &CRYPTO,
        &mut diff,
        LeafIndex(sender),
        template,
        &signer,
        GROUP_ID,
    )
    .unwrap();
    let gc = diff.tree_hash(&cs).unwrap();
    let path = pending.encrypt(&cs, &CRYPTO, &diff, &gc, &[]).unwrap();
    (tree, path, gc)
}

#[test]
fn update_path_round_trips_in_a_tree_with_blanks() {
    let cs = cs(1);
    let tree = tree_of(&cs, 11);
    for sender in [0u32, 5, 10] {
        let signer = SignatureKeyPair::from_private_key(
            CRYPTO,
            cs.params().signature,
            signature_key(&cs, sender),
        )
        .unwrap();
        let mut diff = tree.diff();
        let template = tree.leaf(LeafIndex(sender)).unwrap().clone();
        let pending = create_path(
            &cs,
            &CRYPTO,
            &mut diff,
            LeafIndex(sender),
            template,
            &signer,
            GROUP_ID,
        )
        .unwrap();
        let gc = diff.tree_hash(&cs).unwrap();
        let path = pending.encrypt(&cs, &CRYPTO, &diff, &gc, &[]).unwrap();
        // The committed tree is itself valid.
        let mut committed = tree.clone();
        committed.merge(diff.into_changes(&cs).unwrap());
        committed.validate(&cs, GROUP_ID).unwrap();
        for m in (0..11).filter(|m| *m != sender) {
            let mut theirs = tree.diff();
            merge_path(&cs, &mut theirs, LeafIndex(sender), &path, &[]).unwrap();
            assert_eq!(theirs.tree_hash(&cs).unwrap(), gc);
            let keys = private_keys(&cs, &tree, m);
            let (_, _, secret) =
                decrypt_path(&cs, &theirs, LeafIndex(sender), &path, &keys, &gc, &[]).unwrap();
            assert_eq!(&secret, pending.commit_secret());
        }
    }
}

#[test]
fn update_path_round_trips_for_every_member() {
    let cs = cs(1);
    let (tree, path, gc) = committed_path(8, 2);
    let mut secrets = Vec::new();
    for m in [0u32, 1, 3, 4, 7] {
        let mut diff = tree.diff();
        merge_path(&cs, &mut diff, LeafIndex(2), &path, &[]).unwrap();
        assert_eq!(diff.tree_hash(&cs).unwrap(), gc);
        let keys = private_keys(&cs, &tree, m);
        let (_, _, commit_secret) =
            decrypt_path(&cs, &diff, LeafIndex(2), &path, &keys, &gc, &[]).unwrap();
        secrets.push(commit_secret);
    }
    assert!(secrets.windows(2).all(|w| w[0] == w[1]));
}

/// C-TREE-16: a path whose public key does not match the one derived from
/// the decrypted path secret. (Changing a key also breaks the leaf's parent
/// hash, C-TREE-17, so the forged path is decrypted against an honestly
/// merged tree.)
#[test]
fn update_path_with_wrong_public_key_is_refused_c_tree_16() {
    let cs = cs(1);
    let (tree, path, gc) = committed_path(8, 2);
    let mut forged = path.clone();
    forged.nodes.0[2].encryption_key = VarBytes(node_keys(&cs, 999).1);
    assert_eq!(
        merge_path(&cs, &mut tree.diff(), LeafIndex(2), &forged, &[]).unwrap_err(),
        Error::Validation(ValidationError::ParentHashMismatch)
    );
    let mut diff = tree.diff();
    merge_path(&cs, &mut diff, LeafIndex(2), &path, &[]).unwrap();
    // Leaf 0 decrypts at node 3 and derives the key of node 7.
    let keys = private_keys(&cs, &tree, 0);
    assert_eq!(
        decrypt_path(&cs, &diff, LeafIndex(2), &forged, &keys, &gc, &[]).unwrap_err(),
        Error::Validation(ValidationError::PathSecretMismatch)
    );
}

/// C-TREE-13 and C-TREE-14: node and ciphertext counts.
#[test]
fn update_path_with_wrong_counts_is_refused_c_tree_13_14() {
    let cs = cs(1);
    let (tree, path, _) = committed_path(8, 2);
    let mut short = path.clone();
    short.nodes.0.pop();
    assert_eq!(
        merge_path(&cs, &mut tree.diff(), LeafIndex(2), &short, &[]).unwrap_err(),
        Error::Validation(ValidationError::UpdatePathLength)
    );
    let mut extra = path.clone();
    let ct = extra.nodes.0[0].encrypted_path_secret.0[0].clone();
    extra.nodes.0[0].encrypted_path_secret.0.push(ct);
    assert_eq!(
        merge_path(&cs, &mut tree.diff(), LeafIndex(2), &extra, &[]).unwrap_err(),
        Error::Validation(ValidationError::UpdatePathCiphertextCount)
    );
}

/// C-TREE-17 and C-LN-20: the committer's leaf must carry the recomputed
/// parent hash and have source commit.
#[test]
fn update_path_leaf_checks_c_tree_17_c_ln_20() {
    let cs = cs(1);
    let (tree, path, _) = committed_path(8, 2);
    let mut wrong = path.clone();
    wrong.leaf_node.leaf_node_source = LeafNodeSource::Commit(VarBytes(vec![0; 32]));
    assert_eq!(
        merge_path(&cs, &mut tree.diff(), LeafIndex(2), &wrong, &[]).unwrap_err(),
        Error::Validation(ValidationError::ParentHashMismatch)
    );
    let mut wrong = path;
    wrong.leaf_node.leaf_node_source = LeafNodeSource::Update;
    assert_eq!(
        merge_path(&cs, &mut tree.diff(), LeafIndex(2), &wrong, &[]).unwrap_err(),
        Error::Validation(ValidationError::LeafNodeSourceMismatch)
    );
}

/// C-TREE-15: a corrupted ciphertext for the receiver's node.
#[test]
fn corrupted_path_secret_is_refused_c_tree_15() {
    let cs = cs(1);
    let (tree, mut path, gc) = committed_path(8, 2);
    let mut diff = tree.diff();
    merge_path(&cs, &mut diff, LeafIndex(2), &path, &[]).unwrap();
    // Leaf 3 is the sibling of leaf 2: it decrypts the first path node.
    path.nodes.0[0].encrypted_path_secret.0[0].ciphertext.0[0] ^= 1;
    let keys = private_keys(&cs, &tree, 3);
    assert_eq!(
        decrypt_path(&cs, &diff, LeafIndex(2), &path, &keys, &gc, &[]).unwrap_err(),
        Error::Validation(ValidationError::PathSecretUndecryptable)
    );
}

/// C-CRYPTO-03: a path secret opens only under the commit's provisional
/// GroupContext; the same path decrypted with another epoch's context
/// fails.
#[test]
fn path_secret_is_bound_to_the_provisional_context_c_crypto_03() {
    let cs = cs(1);
    let (tree, path, gc) = committed_path(8, 2);
    let mut diff = tree.diff();
    merge_path(&cs, &mut diff, LeafIndex(2), &path, &[]).unwrap();
    let keys = private_keys(&cs, &tree, 3);
    decrypt_path(&cs, &diff, LeafIndex(2), &path, &keys, &gc, &[]).unwrap();
    let mut old_context = gc.clone();
    old_context[0] ^= 1;
    assert_eq!(
        decrypt_path(&cs, &diff, LeafIndex(2), &path, &keys, &old_context, &[]).unwrap_err(),
        Error::Validation(ValidationError::PathSecretUndecryptable)
    );
}

#[test]
fn add_update_remove_keep_hashes_consistent() {
    let cs = cs(1);
    let mut tree = full_tree(&cs, 4);
    let mut diff = tree.diff();
    let lifetime = cohort::messages::Lifetime {
        not_before: 0,
        not_after: u64::MAX,
    };
    let added = diff
        .add_leaf(leaf_node(&cs, 4, LeafNodeSource::KeyPackage(lifetime)))
        .unwrap();
    assert_eq!(added, LeafIndex(4));
    assert_eq!(diff.n_leaves(), 8);
    diff.remove_leaf(LeafIndex(1)).unwrap();
    let changes = diff.into_changes(&cs).unwrap();
    tree.merge(changes);
    let rebuilt = RatchetTree::from_nodes(&cs, tree.to_nodes()).unwrap();
    assert_eq!(rebuilt.tree_hash(), tree.tree_hash());
    // Removing the last member on the right truncates the tree again.
    let mut diff = tree.diff();
    diff.remove_leaf(LeafIndex(4)).unwrap();
    assert_eq!(diff.n_leaves(), 4);
    let changes = diff.into_changes(&cs).unwrap();
    tree.merge(changes);
    let rebuilt = RatchetTree::from_nodes(&cs, tree.to_nodes()).unwrap();
    assert_eq!(rebuilt.tree_hash(), tree.tree_hash());
    assert_eq!(tree.n_leaves(), 4);
}

/// C-CAP-06 in a received tree: a leaf with two extensions of one type is
/// refused by name, before any signature is checked.
#[test]
fn tree_leaf_with_duplicate_extensions_c_cap_06() {
    let tree = full_tree(&cs(1), 4);
    let mut nodes = nodes_of(&tree);
    let Some(Node::Leaf(l)) = nodes[2].as_mut() else {
        panic!()
    };
    let app_id = cohort::messages::Extension {
        extension_type: cohort::messages::ExtensionType::APPLICATION_ID,
        extension_data: vec![1].into(),
    };
    l.extensions.0 = vec![app_id.clone(), app_id];
    assert_eq!(
        rebuilt(nodes).unwrap_err(),
        Error::Validation(ValidationError::DuplicateExtension {
            extension_type: 0x0001
        })
    );
}
