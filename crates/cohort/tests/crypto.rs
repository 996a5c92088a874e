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
        // Another label or context is another key (C-CRYPTO-03: a path
        // secret opens only with "UpdatePathNode" and its own context;
        // C-CRYPTO-04 likewise for "Welcome").
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

/// C-GREASE-12: the suites this client runs (its provider's) hold no
/// GREASE value, so no GREASE suite can be negotiated or used.
#[test]
fn unknown_suite_is_misuse() {
    let crypto = RustCrypto::new();
    assert!(matches!(
        SuiteCrypto::new(&crypto, Ciphersuite(0x0a0a)),
        Err(Error::Misuse(MisuseError::UnsupportedCiphersuite(
            Ciphersuite(0x0a0a)
        )))
    ));
    for grease in (0..=0xffffu16).filter(|v| cohort::messages::is_grease(*v)) {
        assert!(!crypto.supports(Ciphersuite(grease)), "{grease:#06x}");
        assert_eq!(
            SuiteCrypto::new(&crypto, Ciphersuite(grease)).map(|_| ()),
            Err(Error::Misuse(MisuseError::UnsupportedCiphersuite(
                Ciphersuite(grease)
            )))
        );
    }
}

/// The (r, s) integers of a DER ECDSA signature, each left-padded to `n`
/// bytes.
fn der_to_raw(der: &[u8], n: usize) -> Vec<u8> {
    assert_eq!(der[0], 0x30, "SEQUENCE");
    let mut rest = &der[2..];
    let mut raw = Vec::new();
    for _ in 0..2 {
        assert_eq!(rest[0], 0x02, "INTEGER");
        let len = rest[1] as usize;
        let int = &rest[2..2 + len];
        let int = &int[int.iter().take_while(|b| **b == 0).count()..];
        raw.extend(std::iter::repeat_n(0u8, n - int.len()));
        raw.extend_from_slice(int);
        rest = &rest[2 + len..];
    }
    raw
}

/// C-CRYPTO-02: signatures use the suite's encoding. In a P-256 suite the
/// raw (r, s) form of a valid DER signature does not verify; in an Ed25519
/// suite the 64-byte R || S verifies and the same bytes wrapped in DER do
/// not.
#[test]
fn signatures_use_the_suite_encoding_c_crypto_02() {
    let crypto = RustCrypto::new();
    let bad = Err(Error::Validation(ValidationError::InvalidSignature));

    let cs = SuiteCrypto::new(&crypto, Ciphersuite(2)).unwrap();
    let (sk, pk) = crypto
        .signature_key_generate(cs.params().signature, &crypto)
        .unwrap();
    let der = cs
        .sign_with_label_key(sk.as_bytes(), b"LeafNodeTBS", b"content")
        .unwrap();
    cs.verify_with_label(&pk, b"LeafNodeTBS", b"content", &der)
        .unwrap();
    let raw = der_to_raw(&der, 32);
    assert_eq!(raw.len(), 64);
    assert_eq!(
        cs.verify_with_label(&pk, b"LeafNodeTBS", b"content", &raw),
        bad
    );

    let cs = SuiteCrypto::new(&crypto, Ciphersuite(1)).unwrap();
    let (sk, pk) = crypto
        .signature_key_generate(cs.params().signature, &crypto)
        .unwrap();
    let sig = cs
        .sign_with_label_key(sk.as_bytes(), b"LeafNodeTBS", b"content")
        .unwrap();
    assert_eq!(sig.len(), 64);
    cs.verify_with_label(&pk, b"LeafNodeTBS", b"content", &sig)
        .unwrap();
    let mut wrapped = vec![0x30, 68, 0x02, 32];
    wrapped.extend_from_slice(&sig[..32]);
    wrapped.extend_from_slice(&[0x02, 32]);
    wrapped.extend_from_slice(&sig[32..]);
    assert_eq!(
        cs.verify_with_label(&pk, b"LeafNodeTBS", b"content", &wrapped),
        bad
    );
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
