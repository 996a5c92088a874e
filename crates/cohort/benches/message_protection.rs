//! Encrypting and decrypting application messages (RFC 9420 section 6.3):
//! sign + seal, and open + verify, per cipher suite, for 1 KiB messages
//! (time per message) and 1 MiB messages (throughput).

use cohort::crypto::SuiteCrypto;
use cohort::framing::{self, FramedContent, FramedContentBody, PrivateMessage, Sender, WireFormat};
use cohort::messages::{GroupContext, ProtocolVersion};
use cohort::schedule::{RatchetConfig, SecretTree};
use cohort_basic_credential::SignatureKeyPair;
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{Ciphersuite, Secret, Signer};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

struct Setup {
    cs: SuiteCrypto<'static, RustCrypto>,
    signer: SignatureKeyPair<RustCrypto>,
    context: GroupContext,
    sds: Secret,
}

static CRYPTO: RustCrypto = RustCrypto::new();

impl Setup {
    fn new(suite: Ciphersuite) -> Self {
        let cs = SuiteCrypto::new(&CRYPTO, suite).unwrap();
        let signer = SignatureKeyPair::generate(CRYPTO, cs.params().signature, &CRYPTO).unwrap();
        let context = GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: suite,
            group_id: b"bench".to_vec().into(),
            epoch: 1,
            tree_hash: vec![0; cs.hash_len()].into(),
            confirmed_transcript_hash: vec![0; cs.hash_len()].into(),
            extensions: Default::default(),
        };
        Setup {
            cs,
            signer,
            context,
            sds: Secret::new(vec![3; cs.hash_len()]),
        }
    }

    fn tree(&self) -> SecretTree {
        let config = RatchetConfig {
            out_of_order_tolerance: 0,
            maximum_forward_distance: u32::MAX,
        };
        SecretTree::new(Secret::new(vec![1; self.cs.hash_len()]), 2, config).unwrap()
    }

    fn encrypt(&self, tree: &mut SecretTree, data: &[u8]) -> PrivateMessage {
        let content = FramedContent {
            group_id: self.context.group_id.clone(),
            epoch: 1,
            sender: Sender::Member(0),
            authenticated_data: Default::default(),
            body: FramedContentBody::Application(data.to_vec().into()),
        };
        let ac = framing::sign_content(
            &self.cs,
            &self.signer,
            WireFormat::PRIVATE_MESSAGE,
            content,
            Some(&self.context),
        )
        .unwrap();
        let (msg, update) =
            framing::protect_private(&self.cs, &CRYPTO, tree, &self.sds, &ac, 0).unwrap();
        tree.apply(update);
        msg
    }

    fn decrypt(&self, tree: &mut SecretTree, msg: &PrivateMessage) -> usize {
        let (ac, update) = framing::unprotect_private(&self.cs, tree, &self.sds, msg).unwrap();
        framing::verify_content_signature(
            &self.cs,
            self.signer.public_key(),
            &ac,
            Some(&self.context),
        )
        .unwrap();
        tree.apply(update);
        match ac.content.body {
            FramedContentBody::Application(d) => d.0.len(),
            _ => unreachable!(),
        }
    }
}

fn bench(c: &mut Criterion) {
    for (size, label) in [(1024usize, "1KiB"), (1 << 20, "1MiB")] {
        let mut g = c.benchmark_group(format!("application_message_{label}"));
        if size > 1024 {
            g.throughput(Throughput::Bytes(size as u64));
            g.sample_size(10);
        }
        let data = vec![0x42u8; size];
        for suite in Ciphersuite::RFC9420 {
            let s = Setup::new(suite);
            let name = format!("0x{:04x}", suite.0);
            let mut sender = s.tree();
            g.bench_function(format!("encrypt/{name}"), |b| {
                b.iter(|| black_box(s.encrypt(&mut sender, &data)))
            });
            let mut sender = s.tree();
            let mut receiver = s.tree();
            g.bench_function(format!("decrypt/{name}"), |b| {
                b.iter_batched(
                    || s.encrypt(&mut sender, &data),
                    |msg| black_box(s.decrypt(&mut receiver, &msg)),
                    BatchSize::SmallInput,
                )
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
