//! The ratchet tree (RFC 9420 sections 4 and 7, Appendix C).

// Without `hazmat` these are the crate's own: what it does not use is not
// dead, only unexported.
#![cfg_attr(
    not(feature = "hazmat"),
    allow(dead_code, unreachable_pub, unused_imports)
)]

mod leaf;
pub mod math;
mod ratchet_tree;
mod treekem;
mod validate;

pub(crate) use leaf::supports_bindings;
pub use leaf::{LeafPolicy, LeafRole, RequiredSet, SortedSet, check_leaf_node, validate_leaf_node};
pub use ratchet_tree::{
    CredentialSummary, RatchetTree, TreeChanges, TreeDiff, TreeView, node_hash,
};
pub use treekem::{PendingPath, TreePrivateKeys, create_path, decrypt_path, merge_path};
pub(crate) use validate::LEAF_LABEL;
pub use validate::{parent_hash, verify_leaf_signature};
