//! The libcrux and RustCrypto providers agree byte for byte on every suite
//! both support (0x0001, 0x0002, 0x0003, 0x004D, 0x0906): the same inputs
//! give the same hashes, MACs, HKDF outputs, ciphertexts, derived KEM key
//! pairs, encapsulations (for the same randomness), signature keys (from the
//! same seeded source) and signatures (every scheme signs deterministically),
//! and each provider accepts what the other produced.

use cohort_libcrux::LibcruxCrypto;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, Crypto, Rand, SignatureScheme};

fn random(rand: &SeededRand, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rand.fill(&mut v).unwrap();
    v
}

/// The suites both providers implement.
fn common_suites() -> Vec<Ciphersuite> {
    let rc = RustCrypto::new();
    LibcruxCrypto::new()
        .supported_ciphersuites()
        .into_iter()
        .filter(|cs| rc.supports(*cs))
        .collect()
}

#[test]
fn libcrux_suites_are_a_subset_including_the_post_quantum_ones() {
    let common = common_suites();
    assert_eq!(common, LibcruxCrypto::new().supported_ciphersuites());
    for cs in [1, 2, 3, 0x004D, 0x0906] {
        assert!(common.contains(&Ciphersuite(cs)), "{cs:#06x}");
    }
}

#[test]
fn hash_hmac_hkdf_agree() {
    let (a, b) = (RustCrypto::new(), LibcruxCrypto::new());
    let rand = SeededRand::from_u64(10);
    for cs in common_suites() {
        let p = cs.params().unwrap();
        let nh = p.hash.output_len();
        for len in [0, 1, 64, 1000] {
            let data = random(&rand, len);
            assert_eq!(
                a.hash(p.hash, &data).unwrap(),
                b.hash(p.hash, &data).unwrap()
            );
            let key = random(&rand, len % 200);
            assert_eq!(
                a.hmac(p.hash, &key, &data).unwrap(),
                b.hmac(p.hash, &key, &data).unwrap(),
                "{cs}"
            );
            let prk_a = a.hkdf_extract(p.kdf, &key, &data).unwrap();
            assert_eq!(prk_a, b.hkdf_extract(p.kdf, &key, &data).unwrap());
            // A PRK longer than Nh is a valid HMAC key too (RFC 5869).
            let long_prk = [prk_a.as_bytes(), &key].concat();
            for prk in [prk_a.as_bytes(), &long_prk] {
                for out in [0, 1, nh, 3 * nh + 7, 255 * nh] {
                    assert_eq!(
                        a.hkdf_expand(p.kdf, prk, &data, out).unwrap(),
                        b.hkdf_expand(p.kdf, prk, &data, out).unwrap(),
                        "{cs} prk {} out {out}",
                        prk.len()
                    );
                }
            }
        }
    }
}

#[test]
fn aead_agrees() {
    let (a, b) = (RustCrypto::new(), LibcruxCrypto::new());
    let rand = SeededRand::from_u64(11);
    for cs in common_suites() {
        let aead = cs.params().unwrap().aead;
        let key = random(&rand, aead.key_len().unwrap());
        let nonce = random(&rand, aead.nonce_len().unwrap());
        for len in [0, 1, 15, 16, 17, 1024, 4099] {
            let pt = random(&rand, len);
            let aad = random(&rand, len % 37);
            let ct = a.aead_seal(aead, &key, &nonce, &aad, &pt).unwrap();
            assert_eq!(
                ct,
                b.aead_seal(aead, &key, &nonce, &aad, &pt).unwrap(),
                "{cs}"
            );
            assert_eq!(
                b.aead_open(aead, &key, &nonce, &aad, &ct)
                    .unwrap()
                    .as_bytes(),
                pt
            );
            assert_eq!(
                a.aead_open(aead, &key, &nonce, &aad, &ct)
                    .unwrap()
                    .as_bytes(),
                pt
            );
        }
    }
}

#[test]
fn kem_agrees() {
    let (a, b) = (RustCrypto::new(), LibcruxCrypto::new());
    let rand = SeededRand::from_u64(12);
    for cs in common_suites() {
        let kem = cs.params().unwrap().kem;
        for _ in 0..4 {
            let ikm = random(&rand, 32);
            let (sk, pk) = a.kem_derive_key_pair(kem, &ikm).unwrap();
            assert_eq!(
                b.kem_derive_key_pair(kem, &ikm).unwrap(),
                (sk.clone(), pk.clone()),
                "{cs}"
            );
            assert_eq!(b.kem_public_key(kem, sk.as_bytes()).unwrap(), pk);

            let randomness = random(&rand, kem.encap_randomness_len().unwrap());
            let out_a = a.kem_encap(kem, &pk, &randomness).unwrap();
            let out_b = b.kem_encap(kem, &pk, &randomness).unwrap();
            assert_eq!(out_a.enc, out_b.enc, "{cs}");
            assert_eq!(out_a.shared_secret, out_b.shared_secret, "{cs}");
            // Each decapsulates the other's encapsulation.
            assert_eq!(
                b.kem_decap(kem, &out_a.enc, sk.as_bytes()).unwrap(),
                out_a.shared_secret
            );
            assert_eq!(
                a.kem_decap(kem, &out_b.enc, sk.as_bytes()).unwrap(),
                out_b.shared_secret
            );
            // And with the recipient's public key given.
            for crypto in [&a as &dyn Crypto, &b] {
                assert_eq!(
                    crypto
                        .kem_decap_with_public_key(kem, &out_a.enc, sk.as_bytes(), &pk)
                        .unwrap(),
                    out_a.shared_secret,
                    "{cs}"
                );
            }
        }
    }
}

#[test]
fn signatures_agree() {
    let (a, b) = (RustCrypto::new(), LibcruxCrypto::new());
    for cs in common_suites() {
        let scheme = cs.params().unwrap().signature;
        for seed in 0..4 {
            let (sk, pk) = a
                .signature_key_generate(scheme, &SeededRand::from_u64(seed))
                .unwrap();
            let from_b = b
                .signature_key_generate(scheme, &SeededRand::from_u64(seed))
                .unwrap();
            assert_eq!(from_b, (sk.clone(), pk.clone()), "{cs}");
            assert_eq!(b.signature_public_key(scheme, sk.as_bytes()).unwrap(), pk);

            let msg = format!("message {seed} for {cs}").into_bytes();
            let sig = a.sign(scheme, sk.as_bytes(), &msg).unwrap();
            assert_eq!(b.sign(scheme, sk.as_bytes(), &msg).unwrap(), sig, "{cs}");
            // A prepared key (where the provider prepares one) signs alike.
            for crypto in [&a as &dyn Crypto, &b] {
                if let Some(key) = crypto.prepare_signing_key(scheme, sk.as_bytes()).unwrap() {
                    assert_eq!(key.sign(&msg).unwrap(), sig, "{cs}");
                }
            }
            let prepared = b.prepare_signing_key(scheme, sk.as_bytes()).unwrap();
            assert_eq!(
                prepared.is_some(),
                scheme == SignatureScheme::MLDSA87,
                "{cs}"
            );
            b.verify(scheme, &pk, &msg, &sig).unwrap();
            a.verify(scheme, &pk, &msg, &sig).unwrap();
            assert!(b.verify(scheme, &pk, b"other", &sig).is_err());
        }
    }
}
