//! Unit tests of the group module that look at its private state.

use super::{Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, ProcessedMessage};
use crate::codec::{VarBytes, encode};
use crate::crypto::SuiteCrypto;
use crate::framing::{
    self, FramedContent, FramedContentBody, MlsMessage, MlsMessageBody, Sender, SenderData,
    WireFormat,
};
use crate::messages::{Credential, Extensions};
use crate::schedule::{confirmation_tag, interim_transcript_hash, sender_data_key_nonce};
use crate::tree::TreeView;
use crate::tree::math::LeafIndex;
use crate::{Error, ValidationError};
use alloc::vec::Vec;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{
    Ciphersuite, Crypto, ProviderBundle, Secret, SignatureScheme, Signer, SignerError, StorageOp,
};

type TestProvider = ProviderBundle<RustCrypto, SeededRand, MemoryStorage>;

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

fn test_provider(seed: u64) -> TestProvider {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(seed),
        MemoryStorage::new(),
    )
}

/// A signer and a KeyPackage of `name` in suite 1.
fn client(p: &TestProvider, name: &str) -> (KeySigner, KeyPackageBundle) {
    let cs = SuiteCrypto::new(&p.crypto, Ciphersuite(1)).unwrap();
    let scheme = cs.params().signature;
    let (private_key, public_key) = p.crypto.signature_key_generate(scheme, &p.rand).unwrap();
    let signer = KeySigner {
        scheme,
        private_key,
        public_key,
    };
    let kp = KeyPackageBuilder::new(Credential::basic(name))
        .build(&cs, &p.rand, &signer)
        .unwrap();
    (signer, kp)
}

/// The records a save of `g` writes to an empty store: its whole state,
/// past epochs included.
fn whole_state(g: &Group) -> Vec<StorageOp> {
    super::persist::state_batch(&test_provider(0), b"", g).unwrap()
}

/// Processing `msg` fails with `expected` and leaves `g` unchanged.
fn refused(p: &TestProvider, g: &mut Group, msg: &MlsMessage, expected: Error) {
    let before = whole_state(g);
    assert_eq!(g.process(p, msg).unwrap_err(), expected);
    assert!(whole_state(g) == before, "the group changed");
}

/// An application message of `g`'s current epoch from `leaf`, signed by
/// `signer` and encrypted with `g`'s own secret tree and sender-data
/// secret, as the member at `leaf` would send it.
fn private_from(p: &TestProvider, g: &Group, signer: &dyn Signer, leaf: u32) -> MlsMessage {
    let cs = g.cs(&p.crypto).unwrap();
    let content = FramedContent {
        group_id: g.context.group_id.clone(),
        epoch: g.context.epoch,
        sender: Sender::Member(leaf),
        authenticated_data: VarBytes::default(),
        body: FramedContentBody::Application(b"from the tree".to_vec().into()),
    };
    let ac = framing::sign_content(
        &cs,
        signer,
        WireFormat::PRIVATE_MESSAGE,
        content,
        Some(&g.context),
    )
    .unwrap();
    let (msg, _) = framing::protect_private(
        &cs,
        &p.rand,
        &g.keys.secret_tree,
        &g.keys.secrets.sender_data_secret,
        &ac,
        0,
    )
    .unwrap();
    MlsMessage::new(MlsMessageBody::PrivateMessage(msg))
}

/// `msg` with its SenderData naming `leaf` instead (same generation and
/// reuse guard), sealed again with `g`'s sender-data secret.
fn naming_leaf(p: &TestProvider, g: &Group, msg: &MlsMessage, leaf: u32) -> MlsMessage {
    let cs = g.cs(&p.crypto).unwrap();
    let mut msg = msg.clone();
    let MlsMessageBody::PrivateMessage(m) = &mut msg.body else {
        panic!("not a PrivateMessage")
    };
    let sender_data = SenderData {
        leaf_index: leaf,
        ..framing::decrypt_sender_data(&cs, &g.keys.secrets.sender_data_secret, m).unwrap()
    };
    let (key, nonce) = sender_data_key_nonce(
        &cs,
        g.keys.secrets.sender_data_secret.as_bytes(),
        m.ciphertext.as_slice(),
    )
    .unwrap();
    m.encrypted_sender_data = p
        .crypto
        .aead_seal(
            cs.params().aead,
            key.as_bytes(),
            nonce.as_bytes(),
            &encode(&m.sender_data_aad()).unwrap(),
            &encode(&sender_data).unwrap(),
        )
        .unwrap()
        .into();
    msg
}

/// alice's group with bob (leaf 1) and carol (leaf 2): four leaves, leaf 3
/// blank.
fn three_members(p: &TestProvider) -> (Group, KeySigner, KeySigner) {
    let (alice_signer, alice) = client(p, "alice");
    let mut g = Group::create(
        p,
        &alice,
        b"group".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let (bob_signer, bob) = client(p, "bob");
    let (_, carol) = client(p, "carol");
    let b = g
        .commit()
        .add_member(bob.key_package)
        .add_member(carol.key_package);
    let (_, staged) = g.create_commit(p, &alice_signer, b).unwrap();
    g.merge_staged_commit(staged).unwrap();
    assert_eq!(g.tree().n_leaves(), 4);
    assert!(g.tree().leaf(LeafIndex(3)).is_none());
    (g, alice_signer, bob_signer)
}

/// C-FRAME-19: SenderData naming a blank leaf (leaf 3) or a leaf outside
/// the tree (4, and the largest index) is refused, the group unchanged;
/// the same construction naming bob's leaf is accepted.
#[test]
fn sender_data_naming_no_member_c_frame_19() {
    let p = test_provider(0x19);
    let (mut alice, _, bob) = three_members(&p);
    let (mallory, _) = client(&p, "mallory");

    let blank = private_from(&p, &alice, &mallory, 3);
    refused(
        &p,
        &mut alice,
        &blank,
        Error::Validation(ValidationError::SenderNotMember),
    );

    let from_bob = private_from(&p, &alice, &bob, 1);
    for leaf in [4, u32::MAX] {
        let outside = naming_leaf(&p, &alice, &from_bob, leaf);
        refused(
            &p,
            &mut alice,
            &outside,
            Error::Validation(ValidationError::SenderLeafOutsideTree { leaf }),
        );
    }
    // Naming bob's own leaf again, the sender data is as he would send it.
    let again = naming_leaf(&p, &alice, &from_bob, 1);
    match alice.process(&p, &again).unwrap() {
        ProcessedMessage::Application { sender, data, .. } => {
            assert_eq!(sender.0, 1);
            assert_eq!(data, b"from the tree");
        }
        other => panic!("expected an application message, got {other:?}"),
    }
}
