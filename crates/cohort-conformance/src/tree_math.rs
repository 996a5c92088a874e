//! tree-math.json: array-tree arithmetic (RFC 9420 Appendix C).

use crate::json::{field, u32_of};
use crate::{Outcome, Tally};
use cohort::tree::math;
use cohort_traits::{Crypto, Rand};
use serde_json::Value;

pub(crate) fn run<C: Crypto + ?Sized>(_: &C, _: &dyn Rand, file: &str, cases: &[Value]) -> Tally {
    let mut tally = Tally::default();
    for (i, case) in cases.iter().enumerate() {
        tally.record(file, None, i, Outcome::from(check(case)));
    }
    tally
}

fn optional_list(case: &Value, name: &str) -> Result<Vec<Option<u32>>, String> {
    field(case, name)?
        .as_array()
        .ok_or_else(|| format!("`{name}` is not an array"))?
        .iter()
        .map(|v| match v {
            Value::Null => Ok(None),
            v => v
                .as_u64()
                .and_then(|x| u32::try_from(x).ok())
                .map(Some)
                .ok_or_else(|| format!("`{name}` holds a non-index")),
        })
        .collect()
}

/// One node relation of the tree math.
type NodeFn<'a> = dyn Fn(u32) -> Option<u32> + 'a;

fn check(case: &Value) -> Result<(), String> {
    let n = u32_of(case, "n_leaves")?;
    let n_nodes = u32_of(case, "n_nodes")?;
    if math::node_width(n) != Some(n_nodes) {
        return Err(format!(
            "n_nodes: got {:?}, want {n_nodes}",
            math::node_width(n)
        ));
    }
    let root = u32_of(case, "root")?;
    if math::root(n) != Some(root) {
        return Err(format!("root: got {:?}, want {root}", math::root(n)));
    }
    let lists: [(&str, &NodeFn); 4] = [
        ("left", &math::left),
        ("right", &math::right),
        ("parent", &|x| math::parent(x, n)),
        ("sibling", &|x| math::sibling(x, n)),
    ];
    for (name, f) in lists {
        let want = optional_list(case, name)?;
        if want.len() != n_nodes as usize {
            return Err(format!(
                "`{name}` has {} entries for {n_nodes} nodes",
                want.len()
            ));
        }
        for (x, want) in (0u32..).zip(want) {
            let got = f(x);
            if got != want {
                return Err(format!(
                    "{name}({x}) with {n} leaves: got {got:?}, want {want:?}"
                ));
            }
        }
    }
    Ok(())
}
