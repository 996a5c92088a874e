//! Array-based tree arithmetic (RFC 9420 Appendix C).
//!
//! Nodes are numbered left to right, leaves at even indices and parents at
//! odd ones. Every function is total: an index outside the tree, or a
//! question with no answer (the parent of the root, the child of a leaf),
//! gives `None` or an empty path, never a panic.

use alloc::vec::Vec;

/// The index of a node in the array representation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeIndex(pub u32);

/// The index of a leaf among the leaves (leaf `i` is node `2i`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeafIndex(pub u32);

impl LeafIndex {
    /// The node index of this leaf, if it fits in 32 bits.
    pub fn node(self) -> Option<NodeIndex> {
        self.0.checked_mul(2).map(NodeIndex)
    }

    /// The node index of this leaf as a plain number.
    pub fn node_index(self) -> Option<u32> {
        self.0.checked_mul(2)
    }
}

impl NodeIndex {
    /// The leaf index, if this node is a leaf.
    pub fn leaf(self) -> Option<LeafIndex> {
        is_leaf(self.0).then_some(LeafIndex(self.0 / 2))
    }
}

/// Whether node `x` is a leaf.
pub const fn is_leaf(x: u32) -> bool {
    x & 1 == 0
}

/// The exponent of the largest power of 2 not above `x` (0 for `x == 0`).
pub const fn log2(x: u32) -> u32 {
    if x == 0 { 0 } else { 31 - x.leading_zeros() }
}

/// The level of node `x`: leaves are level 0, their parents level 1, ...
pub const fn level(x: u32) -> u32 {
    x.trailing_ones()
}

/// The number of nodes of a tree with `n` leaves, `None` if it overflows.
pub const fn node_width(n: u32) -> Option<u32> {
    if n == 0 {
        return Some(0);
    }
    match (n - 1).checked_mul(2) {
        Some(w) => w.checked_add(1),
        None => None,
    }
}

/// The root of a tree with `n` leaves.
pub const fn root(n: u32) -> Option<u32> {
    match node_width(n) {
        Some(0) | None => None,
        Some(w) => Some((1u32 << log2(w)) - 1),
    }
}

/// The left child of parent node `x` (`None` for a leaf).
pub const fn left(x: u32) -> Option<u32> {
    let k = level(x);
    if k == 0 || k >= 32 {
        return None;
    }
    Some(x ^ (1 << (k - 1)))
}

/// The right child of parent node `x` (`None` for a leaf).
pub const fn right(x: u32) -> Option<u32> {
    let k = level(x);
    if k == 0 || k >= 32 {
        return None;
    }
    Some(x ^ (3 << (k - 1)))
}

/// Whether `x` is a node of a tree with `n` leaves.
pub const fn in_tree(x: u32, n: u32) -> bool {
    match node_width(n) {
        Some(w) => x < w,
        None => false,
    }
}

/// The parent of node `x` in a tree with `n` leaves (`None` for the root or
/// a node outside the tree).
pub const fn parent(x: u32, n: u32) -> Option<u32> {
    let r = match root(n) {
        Some(r) => r,
        None => return None,
    };
    if x == r || !in_tree(x, n) {
        return None;
    }
    let k = level(x);
    // x is below the root, so k < 31 and the shifts below stay in range.
    let b = (x >> (k + 1)) & 1;
    Some((x | (1 << k)) ^ (b << (k + 1)))
}

/// The other child of the parent of `x`.
pub const fn sibling(x: u32, n: u32) -> Option<u32> {
    let p = match parent(x, n) {
        Some(p) => p,
        None => return None,
    };
    if x < p { right(p) } else { left(p) }
}

/// The direct path of `x`, from its parent up to the root (empty for the
/// root or a node outside the tree).
pub fn direct_path(x: u32, n: u32) -> Vec<u32> {
    let mut path = Vec::with_capacity(log2(n) as usize + 1);
    let mut cur = x;
    while let Some(p) = parent(cur, n) {
        path.push(p);
        cur = p;
    }
    path
}

/// The copath of `x`: the sibling of `x` and of each node of its direct path
/// except the root, from the leaf side up.
pub fn copath(x: u32, n: u32) -> Vec<u32> {
    let mut path = Vec::with_capacity(log2(n) as usize + 1);
    let mut cur = x;
    while let Some(p) = parent(cur, n) {
        if let Some(s) = sibling(cur, n) {
            path.push(s);
        }
        cur = p;
    }
    path
}

/// The lowest node that is `x`, `y`, or on the direct paths of both.
pub const fn common_ancestor(x: u32, y: u32) -> u32 {
    let (lx, ly) = (level(x) + 1, level(y) + 1);
    if lx <= ly && shr(x, ly) == shr(y, ly) {
        return y;
    }
    if ly <= lx && shr(x, lx) == shr(y, lx) {
        return x;
    }
    let (mut xn, mut yn, mut k) = (x, y, 0u32);
    while xn != yn {
        xn >>= 1;
        yn >>= 1;
        k += 1;
    }
    // k >= 1 here because x != y, and k <= 32.
    let high = if k >= 32 { 0 } else { xn << k };
    high.wrapping_add((1u32 << (k - 1)) - 1)
}

const fn shr(x: u32, s: u32) -> u32 {
    if s >= 32 { 0 } else { x >> s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_tree_shapes() {
        // 4 leaves: nodes 0..7, root 3.
        assert_eq!(root(4), Some(3));
        assert_eq!(node_width(4), Some(7));
        assert_eq!((left(3), right(3)), (Some(1), Some(5)));
        assert_eq!(parent(0, 4), Some(1));
        assert_eq!(parent(3, 4), None);
        assert_eq!(sibling(1, 4), Some(5));
        assert_eq!(direct_path(0, 4), [1, 3]);
        assert_eq!(copath(0, 4), [2, 5]);
        assert_eq!(direct_path(3, 4), Vec::<u32>::new());
        assert_eq!(common_ancestor(0, 6), 3);
        assert_eq!(common_ancestor(4, 6), 5);
        assert_eq!(common_ancestor(2, 1), 1);
        assert_eq!(common_ancestor(2, 2), 2);
    }

    #[test]
    fn no_panic_on_any_index() {
        for n in [
            0u32,
            1,
            2,
            3,
            1 << 20,
            u32::MAX / 2,
            u32::MAX / 2 + 1,
            u32::MAX,
        ] {
            for x in [
                0u32,
                1,
                2,
                3,
                0x7fff_ffff,
                0x8000_0000,
                u32::MAX - 1,
                u32::MAX,
            ] {
                let _ = (root(n), left(x), right(x), parent(x, n), sibling(x, n));
                let _ = (direct_path(x, n), copath(x, n));
                for y in [0u32, 5, u32::MAX] {
                    let _ = common_ancestor(x, y);
                }
            }
        }
        assert_eq!(node_width(u32::MAX), None);
        assert_eq!(parent(7, 4), None, "outside the tree");
    }

    #[test]
    fn common_ancestor_matches_semantic_definition() {
        let n = 16;
        for x in 0..node_width(n).unwrap() {
            for y in 0..node_width(n).unwrap() {
                let mut dx = direct_path(x, n);
                dx.insert(0, x);
                let mut dy = direct_path(y, n);
                dy.insert(0, y);
                let expected = dx
                    .iter()
                    .filter(|a| dy.contains(a))
                    .min_by_key(|a| level(**a))
                    .copied();
                assert_eq!(Some(common_ancestor(x, y)), expected, "{x} {y}");
            }
        }
    }
}
