//! tree-validation.json, tree-operations.json and treekem.json: the ratchet
//! tree, its hashes and validation (RFC 9420 section 7), proposals applied
//! to it (section 12.3) and TreeKEM (sections 7.4 to 7.6).

use crate::json::{expect_eq, field, hex, u32_of, uint};
use crate::{Tally, key_signer};
use cohort::codec::{decode_exact, encode};
use cohort::crypto::SuiteCrypto;
use cohort::messages::{GroupContext, LeafNodeSource, Proposal, RatchetTreeExtension, UpdatePath};
use cohort::tree::math::LeafIndex;
use cohort::tree::{
    RatchetTree, TreeDiff, TreePrivateKeys, TreeView, create_path, decrypt_path, merge_path,
};
use cohort_traits::{Crypto, Rand, Secret};
use serde_json::Value;

fn tree_from<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    bytes: &[u8],
) -> Result<RatchetTree, String> {
    let ext: RatchetTreeExtension = decode_exact(bytes).map_err(|e| format!("tree: {e}"))?;
    RatchetTree::from_nodes(cs, ext.0.0).map_err(|e| format!("tree: {e}"))
}

fn encoded(tree: &RatchetTree) -> Result<Vec<u8>, String> {
    encode(&tree.to_extension()).map_err(|e| e.to_string())
}

pub(crate) fn run_validation<C: Crypto + ?Sized>(
    crypto: &C,
    _: &dyn Rand,
    file: &str,
    cases: &[Value],
) -> Tally {
    crate::per_suite(crypto, file, cases, |cs, case| validation(cs, case))
}

fn validation<C: Crypto + ?Sized>(cs: &SuiteCrypto<'_, C>, case: &Value) -> Result<(), String> {
    let tree = tree_from(cs, &hex(case, "tree")?)?;
    let hashes = field(case, "tree_hashes")?
        .as_array()
        .ok_or("tree_hashes")?;
    let resolutions = field(case, "resolutions")?
        .as_array()
        .ok_or("resolutions")?;
    if hashes.len() != tree.width() as usize || resolutions.len() != tree.width() as usize {
        return Err(format!(
            "vector lists {} nodes, tree has {}",
            hashes.len(),
            tree.width()
        ));
    }
    for (i, (h, r)) in (0u32..).zip(hashes.iter().zip(resolutions)) {
        let want = ::hex::decode(h.as_str().ok_or("hash")?).map_err(|e| e.to_string())?;
        expect_eq(
            &format!("tree hash of node {i}"),
            tree.known_hash(i).unwrap_or_default(),
            &want,
        )?;
        let want: Vec<u32> = r
            .as_array()
            .ok_or("resolution")?
            .iter()
            .filter_map(|x| x.as_u64().and_then(|x| u32::try_from(x).ok()))
            .collect();
        let got = tree.resolution(i);
        if got != want {
            return Err(format!(
                "resolution of node {i}: got {got:?}, want {want:?}"
            ));
        }
    }
    tree.validate(cs, &hex(case, "group_id")?)
        .map_err(|e| format!("validate: {e}"))
}

pub(crate) fn run_operations<C: Crypto + ?Sized>(
    crypto: &C,
    _: &dyn Rand,
    file: &str,
    cases: &[Value],
) -> Tally {
    crate::per_suite(crypto, file, cases, |cs, case| operations(cs, case))
}

fn operations<C: Crypto + ?Sized>(cs: &SuiteCrypto<'_, C>, case: &Value) -> Result<(), String> {
    let mut tree = tree_from(cs, &hex(case, "tree_before")?)?;
    expect_eq(
        "tree_hash_before",
        tree.tree_hash(),
        &hex(case, "tree_hash_before")?,
    )?;
    let proposal: Proposal =
        decode_exact(&hex(case, "proposal")?).map_err(|e| format!("proposal: {e}"))?;
    let sender = LeafIndex(u32_of(case, "proposal_sender")?);
    let mut diff = tree.diff();
    match proposal {
        Proposal::Add(add) => {
            diff.add_leaf(add.key_package.leaf_node)
                .map_err(|e| e.to_string())?;
        }
        Proposal::Update(update) => diff
            .update_leaf(sender, update.leaf_node)
            .map_err(|e| e.to_string())?,
        Proposal::Remove(remove) => diff.remove_leaf(remove.leaf()).map_err(|e| e.to_string())?,
        other => return Err(format!("unexpected proposal {:?}", other.proposal_type())),
    }
    let changes = diff.into_changes(cs).map_err(|e| e.to_string())?;
    tree.merge(changes);
    expect_eq("tree_after", &encoded(&tree)?, &hex(case, "tree_after")?)?;
    expect_eq(
        "tree_hash_after",
        tree.tree_hash(),
        &hex(case, "tree_hash_after")?,
    )?;
    // A tree rebuilt from scratch has the same hashes as the incremental one.
    let fresh = tree_from(cs, &hex(case, "tree_after")?)?;
    expect_eq("rebuilt tree hash", fresh.tree_hash(), tree.tree_hash())
}

pub(crate) fn run_treekem<C: Crypto + ?Sized>(
    crypto: &C,
    rand: &dyn Rand,
    file: &str,
    cases: &[Value],
) -> Tally {
    crate::per_suite(crypto, file, cases, |cs, case| treekem(cs, rand, case))
}

fn context(
    case: &Value,
    cs_suite: cohort_traits::Ciphersuite,
    tree_hash: &[u8],
) -> Result<Vec<u8>, String> {
    let gc = GroupContext {
        version: cohort::messages::ProtocolVersion::MLS10,
        cipher_suite: cs_suite,
        group_id: hex(case, "group_id")?.into(),
        epoch: uint(case, "epoch")?,
        tree_hash: tree_hash.to_vec().into(),
        confirmed_transcript_hash: hex(case, "confirmed_transcript_hash")?.into(),
        extensions: Default::default(),
    };
    encode(&gc).map_err(|e| e.to_string())
}

fn treekem<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    rand: &dyn Rand,
    case: &Value,
) -> Result<(), String> {
    let tree = tree_from(cs, &hex(case, "ratchet_tree")?)?;
    let group_id = hex(case, "group_id")?;
    // Private states of the members, checked against the tree.
    let mut privates = Vec::new();
    let mut signers = std::collections::BTreeMap::new();
    for lp in field(case, "leaves_private")?
        .as_array()
        .ok_or("leaves_private")?
    {
        let leaf = LeafIndex(u32_of(lp, "index")?);
        let mut keys = TreePrivateKeys::new(leaf, Secret::new(hex(lp, "encryption_priv")?));
        let leaf_pub = cs
            .provider()
            .kem_public_key(cs.params().kem, keys.leaf_key.as_bytes())
            .map_err(|e| e.to_string())?;
        let tree_leaf = tree.leaf(leaf).ok_or("private state for a blank leaf")?;
        expect_eq(
            "leaf public key",
            &leaf_pub,
            tree_leaf.encryption_key.as_slice(),
        )?;
        for ps in field(lp, "path_secrets")?
            .as_array()
            .ok_or("path_secrets")?
        {
            let node = u32_of(ps, "node")?;
            keys.set_node_secret(cs, &tree, node, &Secret::new(hex(ps, "path_secret")?))
                .map_err(|e| format!("leaf {} path secret at node {node}: {e}", leaf.0))?;
        }
        signers.insert(leaf.0, hex(lp, "signature_priv")?);
        privates.push(keys);
    }
    let suite = cs.suite();
    for up in field(case, "update_paths")?
        .as_array()
        .ok_or("update_paths")?
    {
        let sender = LeafIndex(u32_of(up, "sender")?);
        let path: UpdatePath =
            decode_exact(&hex(up, "update_path")?).map_err(|e| format!("update_path: {e}"))?;
        let mut diff: TreeDiff<'_> = tree.diff();
        merge_path(cs, &mut diff, sender, &path, &[])
            .map_err(|e| format!("merge path of {}: {e}", sender.0))?;
        let after = diff.tree_hash(cs).map_err(|e| e.to_string())?;
        expect_eq("tree_hash_after", &after, &hex(up, "tree_hash_after")?)?;
        let gc = context(case, suite, &after)?;
        let secrets = field(up, "path_secrets")?
            .as_array()
            .ok_or("path_secrets")?;
        for keys in &privates {
            if keys.leaf == sender {
                continue;
            }
            let (_, path_secret, commit_secret) =
                decrypt_path(cs, &diff, sender, &path, keys, &gc, &[]).map_err(|e| {
                    format!("leaf {} decrypting path of {}: {e}", keys.leaf.0, sender.0)
                })?;
            let want = secrets
                .get(keys.leaf.0 as usize)
                .and_then(Value::as_str)
                .ok_or("path secret")?;
            expect_eq(
                "path secret",
                path_secret.as_bytes(),
                &::hex::decode(want).map_err(|e| e.to_string())?,
            )?;
            expect_eq(
                "commit secret",
                commit_secret.as_bytes(),
                &hex(up, "commit_secret")?,
            )?;
        }

        // A fresh UpdatePath from the same sender is processed by everyone.
        let signer = key_signer(
            cs,
            signers
                .get(&sender.0)
                .cloned()
                .ok_or("sender's signature key")?,
        )?;
        let template = tree.leaf(sender).ok_or("sender leaf")?.clone();
        let mut diff = tree.diff();
        let pending = create_path(cs, rand, &mut diff, sender, template, &signer, &group_id)
            .map_err(|e| format!("create path: {e}"))?;
        let after = diff.tree_hash(cs).map_err(|e| e.to_string())?;
        let gc = context(case, suite, &after)?;
        let new_path = pending
            .encrypt(cs, rand, &diff, &gc, &[])
            .map_err(|e| format!("encrypt path: {e}"))?;
        let new_path: UpdatePath = decode_exact(&encode(&new_path).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        if !matches!(
            new_path.leaf_node.leaf_node_source,
            LeafNodeSource::Commit(_)
        ) {
            return Err("new leaf source is not commit".into());
        }
        for keys in &privates {
            if keys.leaf == sender {
                continue;
            }
            let mut theirs = tree.diff();
            merge_path(cs, &mut theirs, sender, &new_path, &[])
                .map_err(|e| format!("merge own path: {e}"))?;
            let their_hash = theirs.tree_hash(cs).map_err(|e| e.to_string())?;
            expect_eq("tree hash after own path", &their_hash, &after)?;
            let (_, _, commit_secret) =
                decrypt_path(cs, &theirs, sender, &new_path, keys, &gc, &[])
                    .map_err(|e| format!("leaf {} decrypting own path: {e}", keys.leaf.0))?;
            expect_eq(
                "own commit secret",
                commit_secret.as_bytes(),
                pending.commit_secret().as_bytes(),
            )?;
        }
    }
    Ok(())
}
