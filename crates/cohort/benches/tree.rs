//! Ratchet tree costs at 16, 128, 1,024 and 10,000 members (suite 0x0001):
//! decoding and fully validating a received tree (O(N)), the tree hash after
//! one path change, creating an UpdatePath and applying one (O(log N)).

#[path = "../tests/common/mod.rs"]
mod common;

use cohort::codec::{decode_exact, encode};
use cohort::messages::RatchetTreeExtension;
use cohort::tree::math::LeafIndex;
use cohort::tree::{RatchetTree, TreeView, create_path, decrypt_path, merge_path};
use cohort_basic_credential::SignatureKeyPair;
use common::*;
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const SIZES: [u32; 4] = [16, 128, 1024, 10_000];

fn bench(c: &mut Criterion) {
    let cs = cs(1);
    let mut g = c.benchmark_group("tree");
    g.sample_size(10);
    for n in SIZES {
        let tree = tree_of(&cs, n);
        let bytes = encode(&tree.to_extension()).unwrap();
        g.bench_with_input(
            BenchmarkId::new("decode_and_validate", n),
            &bytes,
            |b, bytes| {
                b.iter(|| {
                    let ext: RatchetTreeExtension = decode_exact(bytes).unwrap();
                    let tree = RatchetTree::from_nodes(&cs, ext.0.0).unwrap();
                    tree.validate(&cs, GROUP_ID).unwrap();
                    black_box(tree.tree_hash().len())
                })
            },
        );

        let sender = LeafIndex(n / 2);
        let leaf = tree.leaf(sender).unwrap().clone();
        g.bench_with_input(
            BenchmarkId::new("tree_hash_after_path_change", n),
            &tree,
            |b, tree| {
                b.iter(|| {
                    let mut diff = tree.diff();
                    diff.update_leaf(sender, leaf.clone()).unwrap();
                    black_box(diff.tree_hash(&cs).unwrap())
                })
            },
        );

        let signer = SignatureKeyPair::from_private_key(
            CRYPTO,
            cs.params().signature,
            signature_key(&cs, sender.0),
        )
        .unwrap();
        g.bench_with_input(
            BenchmarkId::new("create_update_path", n),
            &tree,
            |b, tree| {
                b.iter(|| {
                    let mut diff = tree.diff();
                    let pending = create_path(
                        &cs,
                        &CRYPTO,
                        &mut diff,
                        sender,
                        leaf.clone(),
                        &signer,
                        GROUP_ID,
                    )
                    .unwrap();
                    let gc = diff.tree_hash(&cs).unwrap();
                    black_box(pending.encrypt(&cs, &CRYPTO, &diff, &gc, &[]).unwrap())
                })
            },
        );

        let receiver = private_keys(&cs, &tree, 0);
        let make_path = || {
            let mut diff = tree.diff();
            let pending = create_path(
                &cs,
                &CRYPTO,
                &mut diff,
                sender,
                leaf.clone(),
                &signer,
                GROUP_ID,
            )
            .unwrap();
            let gc = diff.tree_hash(&cs).unwrap();
            (pending.encrypt(&cs, &CRYPTO, &diff, &gc, &[]).unwrap(), gc)
        };
        g.bench_with_input(
            BenchmarkId::new("apply_update_path", n),
            &tree,
            |b, tree| {
                b.iter_batched(
                    make_path,
                    |(path, gc)| {
                        let mut diff = tree.diff();
                        merge_path(&cs, &mut diff, sender, &path, &[]).unwrap();
                        let th = diff.tree_hash(&cs).unwrap();
                        assert_eq!(th, gc);
                        let out =
                            decrypt_path(&cs, &diff, sender, &path, &receiver, &gc, &[]).unwrap();
                        black_box((out, diff.into_changes(&cs).unwrap()))
                    },
                    BatchSize::LargeInput,
                )
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
