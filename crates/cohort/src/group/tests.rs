//! Unit tests of the group module that look at its private state.

use super::{Group, GroupConfig, KeyPackageBuilder};
use crate::crypto::SuiteCrypto;
use crate::framing::MlsMessageBody;
use crate::messages::{Credential, Extensions};
use crate::schedule::{confirmation_tag, interim_transcript_hash};
use crate::tree::TreeView;
use alloc::vec::Vec;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{
    Ciphersuite, Crypto, ProviderBundle, Secret, SignatureScheme, Signer, SignerError,
};

/// A signer over a raw private key.
struct KeySigner {
    scheme: SignatureScheme,
    private_key: Secret,
    public_key: Vec<u8>,
}

impl Signer for KeySigner {
    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        RustCrypto::new()
            .sign(self.scheme, self.private_key.as_bytes(), message)
            .map_err(|_| SignerError::SigningFailed)
    }
}

/// C-GRP-01 (send): a new group is at epoch 0 with a one-leaf tree and an
/// empty confirmed transcript hash; its confirmation tag is the MAC over
/// the empty hash, from which the interim transcript hash follows, and the
/// epoch-0 GroupInfo carries that tag (RFC 9420 section 11).
#[test]
fn a_new_group_starts_at_epoch_zero_c_grp_01() {
    let p = ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(1),
        MemoryStorage::new(),
    );
    let suite = Ciphersuite(1);
    let cs = SuiteCrypto::new(&p.crypto, suite).unwrap();
    let scheme = cs.params().signature;
    let (private_key, public_key) = p.crypto.signature_key_generate(scheme, &p.rand).unwrap();
    let signer = KeySigner {
        scheme,
        private_key,
        public_key,
    };
    let kp = KeyPackageBuilder::new(Credential::basic("alice"))
        .build(&cs, &p.rand, &signer)
        .unwrap();
    let g = Group::create(
        &p,
        &kp,
        b"group".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    assert_eq!(g.epoch(), 0);
    assert_eq!(g.tree().n_leaves(), 1);
    assert_eq!(g.tree().members().len(), 1);
    assert!(g.context().confirmed_transcript_hash.as_slice().is_empty());
    let tag = confirmation_tag(&cs, &g.keys.secrets.confirmation_key, &[]).unwrap();
    assert_eq!(g.confirmation_tag, tag);
    assert_eq!(
        g.interim_transcript_hash,
        interim_transcript_hash(&cs, &[], &tag).unwrap()
    );
    let gi = g.group_info(&p, &signer, false).unwrap();
    match gi.body {
        MlsMessageBody::GroupInfo(gi) => {
            assert_eq!(gi.group_context.epoch, 0);
            assert_eq!(gi.confirmation_tag.as_slice(), tag);
        }
        other => panic!("not a GroupInfo: {other:?}"),
    }
}
