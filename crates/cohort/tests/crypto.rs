//! The section 5 constructions reject tampered input with named errors.

use cohort::crypto::SuiteCrypto;
use cohort::{Error, MisuseError, ValidationError};
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{Ciphersuite, Crypto, CryptoError, Rand};

fn suites() -> impl Iterator<Item = Ciphersuite> {
    Ciphersuite::RFC9420.into_iter()
}

#[test]
fn encrypt_with_label_round_trips_and_rejects_tampering() {
    let crypto = RustCrypto::new();
    for suite in suites() {
        let cs = SuiteCrypto::new(&crypto, suite).unwrap();
        let mut ikm = vec![0u8; cs.hash_len()];
        crypto.fill(&mut ikm).unwrap();
        let (sk, pk) = cs.derive_key_pair(&ikm).unwrap();
        let ct = cs
            .encrypt_with_label(&crypto, &pk, b"Welcome", b"ctx", b"secret")
            .unwrap();
        let pt = cs
            .decrypt_with_label(
                sk.as_bytes(),
                b"Welcome",
                b"ctx",
                ct.kem_output.as_slice(),
                ct.ciphertext.as_slice(),
            )
            .unwrap();
        assert_eq!(pt.as_bytes(), b"secret");

        let mut bad = ct.ciphertext.0.clone();
        bad[0] ^= 1;
        let err = cs
            .decrypt_with_label(
                sk.as_bytes(),
                b"Welcome",
                b"ctx",
                ct.kem_output.as_slice(),
                &bad,
            )
            .unwrap_err();
        assert_eq!(err, Error::Crypto(CryptoError::AeadOpenFailed), "{suite}");
        // Another label or context is another key.
        for (label, context) in [
            (&b"UpdatePathNode"[..], &b"ctx"[..]),
            (b"Welcome", b"other"),
        ] {
            let err = cs
                .decrypt_with_label(
                    sk.as_bytes(),
                    label,
                    context,
                    ct.kem_output.as_slice(),
                    ct.ciphertext.as_slice(),
                )
                .unwrap_err();
            assert_eq!(err, Error::Crypto(CryptoError::AeadOpenFailed), "{suite}");
        }
        // A truncated KEM output does not decode.
        let short = &ct.kem_output.as_slice()[1..];
        assert!(
            cs.decrypt_with_label(
                sk.as_bytes(),
                b"Welcome",
                b"ctx",
                short,
                ct.ciphertext.as_slice()
            )
            .is_err()
        );
    }
}

#[test]
fn prepared_info_gives_the_same_ciphertexts_as_one_shot() {
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    let info = cs
        .prepare_encrypt(b"Welcome", b"a long encrypted group info")
        .unwrap();
    for i in 0..4u8 {
        let (sk, pk) = cs.derive_key_pair(&[i; 32]).unwrap();
        let ct = cs
            .encrypt_with_label_prepared(&crypto, &pk, &info, &[i; 40])
            .unwrap();
        let pt = cs
            .decrypt_with_label(
                sk.as_bytes(),
                b"Welcome",
                b"a long encrypted group info",
                ct.kem_output.as_slice(),
                ct.ciphertext.as_slice(),
            )
            .unwrap();
        assert_eq!(pt.as_bytes(), [i; 40]);
    }
}

#[test]
fn verify_with_label_names_a_bad_signature() {
    let crypto = RustCrypto::new();
    for suite in suites() {
        let cs = SuiteCrypto::new(&crypto, suite).unwrap();
        let scheme = cs.params().signature;
        let (sk, pk) = crypto.signature_key_generate(scheme, &crypto).unwrap();
        let sig = cs
            .sign_with_label_key(sk.as_bytes(), b"LeafNodeTBS", b"content")
            .unwrap();
        cs.verify_with_label(&pk, b"LeafNodeTBS", b"content", &sig)
            .unwrap();
        for (label, content) in [
            (&b"LeafNodeTBS"[..], &b"contenT"[..]),
            (b"GroupInfoTBS", b"content"),
        ] {
            assert_eq!(
                cs.verify_with_label(&pk, label, content, &sig),
                Err(Error::Validation(ValidationError::InvalidSignature)),
                "{suite}"
            );
        }
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        assert!(
            cs.verify_with_label(&pk, b"LeafNodeTBS", b"content", &bad)
                .is_err(),
            "{suite}"
        );
        assert!(
            cs.verify_with_label(&pk, b"LeafNodeTBS", b"content", &[])
                .is_err(),
            "{suite}"
        );
    }
}

#[test]
fn unknown_suite_is_misuse() {
    let crypto = RustCrypto::new();
    assert!(matches!(
        SuiteCrypto::new(&crypto, Ciphersuite(0x0a0a)),
        Err(Error::Misuse(MisuseError::UnsupportedCiphersuite(
            Ciphersuite(0x0a0a)
        )))
    ));
}

#[test]
fn labels_are_prefixed_and_length_bound() {
    // SignContent for label "L" and content "c": opaque "MLS 1.0 L", opaque "c".
    let tbs = SuiteCrypto::<RustCrypto>::sign_content(b"L", b"c").unwrap();
    assert_eq!(tbs, b"\x09MLS 1.0 L\x01c");
    let crypto = RustCrypto::new();
    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    // More than 255 * Nh bytes is an HKDF error, not a panic.
    assert!(cs.expand_with_label(&[0; 32], b"x", b"", u16::MAX).is_err());
}
