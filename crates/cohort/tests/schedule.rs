//! Secret tree, sender ratchets and transcript hashes: out-of-order policy,
//! replay, deletion schedule, and confirmation tags.

use cohort::crypto::SuiteCrypto;
use cohort::schedule::{
    ContentKind, RatchetConfig, SecretTree, confirmation_tag, interim_transcript_hash,
    next_confirmed_transcript_hash, verify_confirmation_tag,
};
use cohort::{Error, ValidationError};
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{Ciphersuite, Secret};

fn tree(n: u32, config: RatchetConfig) -> SecretTree {
    SecretTree::new(Secret::new(vec![7; 32]), n, config).unwrap()
}

#[test]
fn sender_and_receiver_derive_the_same_keys() {
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    let mut sender = tree(8, RatchetConfig::default());
    let mut receiver = tree(8, RatchetConfig::default());
    for _ in 0..3 {
        let (sent, up) = sender
            .encryption_keys(&cs, 5, ContentKind::Application)
            .unwrap();
        sender.apply(up);
        let (got, up) = receiver
            .decryption_keys(&cs, 5, ContentKind::Application, sent.generation)
            .unwrap();
        receiver.apply(up);
        assert_eq!(sent, got);
    }
    // The handshake ratchet is independent.
    let (hs, _) = sender
        .encryption_keys(&cs, 5, ContentKind::Handshake)
        .unwrap();
    assert_eq!(hs.generation, 0);
}

#[test]
fn replayed_generation_is_refused() {
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    let mut t = tree(4, RatchetConfig::default());
    let (_, up) = t
        .decryption_keys(&cs, 1, ContentKind::Application, 0)
        .unwrap();
    t.apply(up);
    let before = t.clone();
    let err = t
        .decryption_keys(&cs, 1, ContentKind::Application, 0)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::GenerationConsumed { generation: 0 })
    );
    assert_eq!(t, before);
}

#[test]
fn generation_beyond_forward_limit_is_refused() {
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    let config = RatchetConfig {
        out_of_order_tolerance: 4,
        maximum_forward_distance: 10,
    };
    let t = tree(4, config);
    let err = t
        .decryption_keys(&cs, 0, ContentKind::Handshake, 11)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::GenerationTooFarAhead {
            generation: 11,
            next_expected: 0
        })
    );
    assert!(
        t.decryption_keys(&cs, 0, ContentKind::Handshake, 10)
            .is_ok()
    );
}

/// C-FRAME-27: the receiver keeps at most `out_of_order_tolerance` skipped
/// keys per ratchet; an older generation is refused as consumed.
#[test]
fn out_of_order_window_keeps_exactly_the_configured_generations() {
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    let config = RatchetConfig {
        out_of_order_tolerance: 2,
        maximum_forward_distance: 100,
    };
    let mut t = tree(2, config);
    let (_, up) = t
        .decryption_keys(&cs, 0, ContentKind::Application, 5)
        .unwrap();
    t.apply(up);
    // Generations 3 and 4 are kept; 0 to 2 were deleted.
    for g in [4, 3] {
        let (k, up) = t
            .decryption_keys(&cs, 0, ContentKind::Application, g)
            .unwrap();
        t.apply(up);
        assert_eq!(k.generation, g);
    }
    for g in [0, 2, 3, 5] {
        assert_eq!(
            t.decryption_keys(&cs, 0, ContentKind::Application, g)
                .unwrap_err(),
            Error::Validation(ValidationError::GenerationConsumed { generation: g })
        );
    }
}

#[test]
fn a_lookup_does_not_change_the_tree_until_applied() {
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    let t = tree(16, RatchetConfig::default());
    let before = t.clone();
    let _ = t
        .decryption_keys(&cs, 9, ContentKind::Application, 40)
        .unwrap();
    assert_eq!(t, before);
}

#[test]
fn consumed_tree_secrets_are_deleted() {
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    let mut t = tree(4, RatchetConfig::default());
    assert_eq!(t.stored_node_secrets(), 1);
    let (_, up) = t
        .decryption_keys(&cs, 0, ContentKind::Application, 0)
        .unwrap();
    t.apply(up);
    // Root (3) and node 1 are consumed; node 5 and leaf 1 (node 2) remain.
    assert_eq!(t.stored_node_secrets(), 2);
    let (_, up) = t
        .decryption_keys(&cs, 3, ContentKind::Application, 0)
        .unwrap();
    t.apply(up);
    assert_eq!(
        t.stored_node_secrets(),
        2,
        "node 5 replaced by leaf 2's secret"
    );
}

#[test]
fn sender_outside_the_tree_is_refused() {
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    let t = tree(4, RatchetConfig::default());
    assert_eq!(
        t.decryption_keys(&cs, 4, ContentKind::Application, 0)
            .unwrap_err(),
        Error::Validation(ValidationError::SenderLeafOutsideTree { leaf: 4 })
    );
    assert!(
        t.decryption_keys(&cs, u32::MAX, ContentKind::Application, 0)
            .is_err()
    );
}

#[test]
fn wrong_confirmation_tag_is_refused() {
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    let key = Secret::new(vec![1; 32]);
    let confirmed = next_confirmed_transcript_hash(&cs, b"", b"input").unwrap();
    let tag = confirmation_tag(&cs, &key, &confirmed).unwrap();
    verify_confirmation_tag(&cs, &key, &confirmed, &tag).unwrap();
    let mut bad = tag.clone();
    bad[0] ^= 1;
    assert_eq!(
        verify_confirmation_tag(&cs, &key, &confirmed, &bad),
        Err(Error::Validation(ValidationError::ConfirmationTagMismatch))
    );
    assert_eq!(
        verify_confirmation_tag(&cs, &key, &confirmed, &tag[..31]),
        Err(Error::Validation(ValidationError::ConfirmationTagMismatch))
    );
    let interim = interim_transcript_hash(&cs, &confirmed, &tag).unwrap();
    assert_eq!(interim.len(), 32);
}
