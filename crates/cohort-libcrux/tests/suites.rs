//! The libcrux provider on its own: the suites it reports, round trips and
//! output lengths for each, rejection of bad input with the documented
//! errors, and `Unsupported*` for every algorithm outside its suites.

use cohort_libcrux::LibcruxCrypto;
use cohort_rust_crypto::SeededRand;
use cohort_traits::{
    AeadId, Ciphersuite, Crypto, CryptoError, HashAlgorithm, KdfId, KemId, Rand, RandError,
    SignatureScheme,
};

fn random(rand: &SeededRand, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rand.fill(&mut v).unwrap();
    v
}

fn suites() -> Vec<Ciphersuite> {
    LibcruxCrypto::new().supported_ciphersuites()
}

#[test]
fn supports_suites_1_2_3_and_the_post_quantum_suites_only() {
    let c = LibcruxCrypto::new();
    let mut supported: Vec<u16> = c.supported_ciphersuites().iter().map(|cs| cs.0).collect();
    supported.sort();
    assert_eq!(supported, [1, 2, 3, 0x004D, 0x0906]);
    for id in [4, 5, 6, 7, 0, 8, 0x0a0a, 0x004C, 0x0905] {
        assert!(!c.supports(Ciphersuite(id)), "{id:#06x}");
    }
    for cs in c.supported_ciphersuites() {
        assert!(c.supports(cs));
    }
}

#[test]
fn hash_hmac_hkdf() {
    let c = LibcruxCrypto::new();
    for alg in [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ] {
        assert_eq!(c.hash(alg, b"data").unwrap().len(), alg.output_len());
    }
    for kdf in [KdfId::HKDF_SHA256, KdfId::HKDF_SHA384, KdfId::HKDF_SHA512] {
        let hash = kdf.hash().unwrap();
        let nh = hash.output_len();
        let prk = c.hkdf_extract(kdf, b"salt", b"ikm").unwrap();
        assert_eq!(prk.len(), nh);
        assert_eq!(prk, c.hmac(hash, b"salt", b"ikm").unwrap());
        assert_eq!(
            c.hkdf_extract(kdf, b"", b"ikm").unwrap(),
            c.hkdf_extract(kdf, &vec![0u8; nh], b"ikm").unwrap()
        );
        for len in [0, 1, nh, 3 * nh + 5, 255 * nh] {
            assert_eq!(
                c.hkdf_expand(kdf, prk.as_bytes(), b"info", len)
                    .unwrap()
                    .len(),
                len
            );
        }
        let long = c.hkdf_expand(kdf, prk.as_bytes(), b"info", 100).unwrap();
        let short = c.hkdf_expand(kdf, prk.as_bytes(), b"info", 10).unwrap();
        assert_eq!(&long.as_bytes()[..10], short.as_bytes());
        assert_eq!(
            c.hkdf_expand(kdf, prk.as_bytes(), b"info", 255 * nh + 1)
                .unwrap_err(),
            CryptoError::HkdfOutputTooLong
        );
        assert_eq!(
            c.hkdf_expand(kdf, &prk.as_bytes()[1..], b"info", 16)
                .unwrap_err(),
            CryptoError::InvalidLength
        );
    }
}

#[test]
fn aead_all_suites() {
    let c = LibcruxCrypto::new();
    let rand = SeededRand::from_u64(1);
    for aead in [
        AeadId::AES_128_GCM,
        AeadId::AES_256_GCM,
        AeadId::CHACHA20_POLY1305,
    ] {
        let key = random(&rand, aead.key_len().unwrap());
        let nonce = random(&rand, aead.nonce_len().unwrap());
        for pt in [&b""[..], b"hello", &[7u8; 1000]] {
            let ct = c.aead_seal(aead, &key, &nonce, b"aad", pt).unwrap();
            assert_eq!(ct.len(), pt.len() + 16, "{aead}");
            assert_eq!(
                c.aead_open(aead, &key, &nonce, b"aad", &ct)
                    .unwrap()
                    .as_bytes(),
                pt
            );
            for i in [0, ct.len() / 2, ct.len() - 1] {
                let mut bad = ct.clone();
                bad[i] ^= 1;
                assert_eq!(
                    c.aead_open(aead, &key, &nonce, b"aad", &bad).unwrap_err(),
                    CryptoError::AeadOpenFailed
                );
            }
            assert_eq!(
                c.aead_open(aead, &key, &nonce, b"aae", &ct).unwrap_err(),
                CryptoError::AeadOpenFailed
            );
        }
        assert_eq!(
            c.aead_open(aead, &key, &nonce, b"", &[0u8; 15])
                .unwrap_err(),
            CryptoError::AeadOpenFailed
        );
        for (k, n) in [
            (&key[1..], &nonce[..]),
            (&[&key[..], &[0]].concat()[..], &nonce[..]),
            (&key[..], &nonce[1..]),
        ] {
            assert_eq!(
                c.aead_seal(aead, k, n, b"", b"pt").unwrap_err(),
                CryptoError::InvalidLength
            );
            assert_eq!(
                c.aead_open(aead, k, n, b"", &[0u8; 32]).unwrap_err(),
                CryptoError::InvalidLength
            );
        }
    }
}

#[test]
fn kem_all_suites() {
    let c = LibcruxCrypto::new();
    let rand = SeededRand::from_u64(2);
    for cs in suites() {
        let kem = cs.params().unwrap().kem;
        let ikm = random(&rand, 32);
        let (sk, pk) = c.kem_derive_key_pair(kem, &ikm).unwrap();
        assert_eq!(Some(sk.len()), kem.private_key_len(), "{cs}");
        assert_eq!(Some(pk.len()), kem.public_key_len(), "{cs}");
        assert_eq!(c.kem_public_key(kem, sk.as_bytes()).unwrap(), pk);

        let randomness = random(&rand, kem.encap_randomness_len().unwrap());
        let out = c.kem_encap(kem, &pk, &randomness).unwrap();
        assert_eq!(Some(out.enc.len()), kem.enc_len());
        assert_eq!(Some(out.shared_secret.len()), kem.secret_len());
        let again = c.kem_encap(kem, &pk, &randomness).unwrap();
        assert_eq!(
            (&again.enc, &again.shared_secret),
            (&out.enc, &out.shared_secret)
        );
        let other = c
            .kem_encap(kem, &pk, &random(&rand, randomness.len()))
            .unwrap();
        assert_ne!(other.enc, out.enc);
        assert_eq!(
            c.kem_decap(kem, &out.enc, sk.as_bytes()).unwrap(),
            out.shared_secret
        );
        let (sk2, _) = c.kem_derive_key_pair(kem, b"someone else").unwrap();
        assert_ne!(
            c.kem_decap(kem, &out.enc, sk2.as_bytes()).unwrap(),
            out.shared_secret
        );

        assert_eq!(
            c.kem_encap(kem, &pk[1..], &randomness).unwrap_err(),
            CryptoError::InvalidPublicKey
        );
        assert_eq!(
            c.kem_encap(kem, &pk, &randomness[1..]).unwrap_err(),
            CryptoError::InvalidLength
        );
        assert_eq!(
            c.kem_decap(kem, &out.enc[1..], sk.as_bytes()).unwrap_err(),
            CryptoError::KemDecapFailed
        );
        assert_eq!(
            c.kem_decap(kem, &out.enc, &sk.as_bytes()[1..]).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        assert_eq!(
            c.kem_public_key(kem, &sk.as_bytes()[1..]).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
    }
}

#[test]
fn dhkem_rejects_bad_points_and_scalars() {
    let c = LibcruxCrypto::new();
    // X25519: the zero point gives an all-zero DH output.
    let (sk, _) = c.kem_derive_key_pair(KemId::DHKEM_X25519, b"ikm").unwrap();
    assert_eq!(
        c.kem_encap(KemId::DHKEM_X25519, &[0u8; 32], &[1u8; 32])
            .unwrap_err(),
        CryptoError::KemEncapFailed
    );
    assert_eq!(
        c.kem_decap(KemId::DHKEM_X25519, &[0u8; 32], sk.as_bytes())
            .unwrap_err(),
        CryptoError::KemDecapFailed
    );
    // P-256: off the curve, compressed, zero scalar, scalar >= n.
    let kem = KemId::DHKEM_P256;
    let (sk, pk) = c.kem_derive_key_pair(kem, b"ikm").unwrap();
    let mut off = pk.clone();
    off[64] ^= 1;
    assert_eq!(
        c.kem_encap(kem, &off, &[1u8; 32]).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
    assert_eq!(
        c.kem_decap(kem, &off, sk.as_bytes()).unwrap_err(),
        CryptoError::KemDecapFailed
    );
    let mut compressed = vec![0x02 | (pk[64] & 1)];
    compressed.extend_from_slice(&pk[1..33]);
    assert_eq!(
        c.kem_encap(kem, &compressed, &[1u8; 32]).unwrap_err(),
        CryptoError::InvalidPublicKey
    );
    assert_eq!(
        c.kem_public_key(kem, &[0u8; 32]).unwrap_err(),
        CryptoError::InvalidPrivateKey
    );
    assert_eq!(
        c.kem_public_key(kem, &[0xffu8; 32]).unwrap_err(),
        CryptoError::InvalidPrivateKey
    );
}

#[test]
fn signatures_all_suites() {
    let c = LibcruxCrypto::new();
    for cs in suites() {
        let scheme = cs.params().unwrap().signature;
        let (sk_len, pk_len, sig_len) = match scheme {
            SignatureScheme::ED25519 => (32, 32, Some(64)),
            SignatureScheme::ECDSA_SECP256R1_SHA256 => (32, 65, None),
            SignatureScheme::MLDSA87 => (32, 2592, Some(4627)),
            other => panic!("unexpected {other}"),
        };
        let rand = SeededRand::from_u64(3);
        let (sk, pk) = c.signature_key_generate(scheme, &rand).unwrap();
        assert_eq!((sk.len(), pk.len()), (sk_len, pk_len), "{cs}");
        assert_eq!(
            c.signature_key_generate(scheme, &SeededRand::from_u64(3))
                .unwrap(),
            (sk.clone(), pk.clone())
        );
        assert_eq!(c.signature_public_key(scheme, sk.as_bytes()).unwrap(), pk);

        let msg = b"the message";
        let sig = c.sign(scheme, sk.as_bytes(), msg).unwrap();
        match sig_len {
            Some(len) => assert_eq!(sig.len(), len),
            None => assert_eq!(sig[0], 0x30, "DER SEQUENCE"),
        }
        assert_eq!(
            c.sign(scheme, sk.as_bytes(), msg).unwrap(),
            sig,
            "deterministic"
        );
        c.verify(scheme, &pk, msg, &sig).unwrap();

        let bad = CryptoError::InvalidSignature;
        assert_eq!(
            c.verify(scheme, &pk, b"other message", &sig).unwrap_err(),
            bad
        );
        for i in [0, sig.len() / 2, sig.len() - 1] {
            let mut s = sig.clone();
            s[i] ^= 1;
            assert_eq!(
                c.verify(scheme, &pk, msg, &s).unwrap_err(),
                bad,
                "{cs} byte {i}"
            );
        }
        assert_eq!(c.verify(scheme, &pk, msg, &[]).unwrap_err(), bad);
        assert_eq!(c.verify(scheme, &pk, msg, &sig[1..]).unwrap_err(), bad);
        assert_eq!(
            c.verify(scheme, &pk, msg, &[sig.clone(), vec![0]].concat())
                .unwrap_err(),
            bad
        );
        let (_, other_pk) = c.signature_key_generate(scheme, &c).unwrap();
        assert_eq!(c.verify(scheme, &other_pk, msg, &sig).unwrap_err(), bad);

        let bad_key = CryptoError::InvalidPublicKey;
        assert_eq!(c.verify(scheme, &pk[1..], msg, &sig).unwrap_err(), bad_key);
        assert_eq!(c.verify(scheme, &[], msg, &sig).unwrap_err(), bad_key);
        let long = [sk.as_bytes(), &[0u8]].concat();
        assert_eq!(
            c.sign(scheme, &long, msg).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        assert_eq!(
            c.signature_public_key(scheme, &[]).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        if sig_len.is_none() {
            // ECDSA: off the curve, compressed form, raw r || s.
            let mut off = pk.clone();
            off[64] ^= 1;
            assert_eq!(c.verify(scheme, &off, msg, &sig).unwrap_err(), bad_key);
            let mut compressed = vec![0x02 | (pk[64] & 1)];
            compressed.extend_from_slice(&pk[1..33]);
            assert_eq!(
                c.verify(scheme, &compressed, msg, &sig).unwrap_err(),
                bad_key
            );
            assert_eq!(c.verify(scheme, &pk, msg, &[0x11u8; 64]).unwrap_err(), bad);
        }
    }
}

#[test]
fn ecdsa_short_private_keys_are_left_padded() {
    let c = LibcruxCrypto::new();
    let scheme = SignatureScheme::ECDSA_SECP256R1_SHA256;
    let mut sk = [0x42u8; 32];
    sk[0] = 0;
    let pk = c.signature_public_key(scheme, &sk).unwrap();
    assert_eq!(c.signature_public_key(scheme, &sk[1..]).unwrap(), pk);
    let sig = c.sign(scheme, &sk[1..], b"m").unwrap();
    assert_eq!(sig, c.sign(scheme, &sk, b"m").unwrap());
    c.verify(scheme, &pk, b"m", &sig).unwrap();
    assert_eq!(
        c.sign(scheme, &[0u8; 32], b"m").unwrap_err(),
        CryptoError::InvalidPrivateKey
    );
}

struct Zeros;
impl Rand for Zeros {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandError> {
        buf.fill(0);
        Ok(())
    }
}

struct Broken;
impl Rand for Broken {
    fn fill(&self, _: &mut [u8]) -> Result<(), RandError> {
        Err(RandError("broken"))
    }
}

#[test]
fn key_generation_surfaces_rand_failures() {
    let c = LibcruxCrypto::new();
    for cs in suites() {
        let scheme = cs.params().unwrap().signature;
        assert_eq!(
            c.signature_key_generate(scheme, &Broken).unwrap_err(),
            CryptoError::Rand(RandError("broken"))
        );
    }
    assert!(matches!(
        c.signature_key_generate(SignatureScheme::ECDSA_SECP256R1_SHA256, &Zeros)
            .unwrap_err(),
        CryptoError::Rand(_)
    ));
}

#[test]
fn other_algorithms_are_unsupported_never_delegated() {
    let c = LibcruxCrypto::new();
    for kem in [
        KemId::DHKEM_P384,
        KemId::DHKEM_P521,
        KemId::DHKEM_X448,
        KemId(0x0041),
    ] {
        let e = CryptoError::UnsupportedKem(kem);
        assert_eq!(c.kem_derive_key_pair(kem, b"ikm").unwrap_err(), e);
        assert_eq!(c.kem_public_key(kem, &[1; 56]).unwrap_err(), e);
        assert_eq!(c.kem_encap(kem, &[1; 56], &[1; 56]).unwrap_err(), e);
        assert_eq!(c.kem_decap(kem, &[1; 56], &[1; 56]).unwrap_err(), e);
    }
    for scheme in [
        SignatureScheme::ED448,
        SignatureScheme::ECDSA_SECP384R1_SHA384,
        SignatureScheme::ECDSA_SECP521R1_SHA512,
        SignatureScheme(0x0904),
    ] {
        let e = CryptoError::UnsupportedSignatureScheme(scheme);
        assert_eq!(c.signature_key_generate(scheme, &c).unwrap_err(), e);
        assert_eq!(c.signature_public_key(scheme, &[1; 57]).unwrap_err(), e);
        assert_eq!(c.sign(scheme, &[1; 57], b"m").unwrap_err(), e);
        assert_eq!(c.verify(scheme, &[1; 57], b"m", &[0; 114]).unwrap_err(), e);
    }
    for aead in [AeadId::EXPORT_ONLY, AeadId(7)] {
        let e = CryptoError::UnsupportedAead(aead);
        assert_eq!(
            c.aead_seal(aead, &[0; 16], &[0; 12], b"", b"").unwrap_err(),
            e
        );
        assert_eq!(
            c.aead_open(aead, &[0; 16], &[0; 12], b"", &[0; 16])
                .unwrap_err(),
            e
        );
    }
    let kdf = KdfId(0x0011);
    assert_eq!(
        c.hkdf_extract(kdf, b"", b"").unwrap_err(),
        CryptoError::UnsupportedKdf(kdf)
    );
    assert_eq!(
        c.hkdf_expand(kdf, &[0; 64], b"", 1).unwrap_err(),
        CryptoError::UnsupportedKdf(kdf)
    );
}

#[test]
fn provider_is_send_sync_and_serves_as_rand() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LibcruxCrypto>();
    let c = LibcruxCrypto::new();
    let mut x = [0u8; 32];
    c.fill(&mut x).unwrap();
    assert_ne!(x, [0u8; 32]);
    let (sk, pk) = c
        .signature_key_generate(SignatureScheme::ED25519, &c)
        .unwrap();
    assert_eq!(
        c.signature_public_key(SignatureScheme::ED25519, sk.as_bytes())
            .unwrap(),
        pk
    );
}

#[test]
fn xwing_decap_rejects_an_all_zero_x25519_share() {
    // libcrux refuses a low-order X25519 ciphertext share (all-zero DH
    // output); the ML-KEM half alone never fails (implicit rejection).
    let c = LibcruxCrypto::new();
    let (sk, pk) = c.kem_derive_key_pair(KemId::XWING, b"ikm").unwrap();
    let mut enc = c.kem_encap(KemId::XWING, &pk, &[9u8; 64]).unwrap().enc;
    enc[1088..].fill(0);
    assert_eq!(
        c.kem_decap(KemId::XWING, &enc, sk.as_bytes()).unwrap_err(),
        CryptoError::KemDecapFailed
    );
    let mut garbled = enc.clone();
    garbled[1088..].fill(7);
    garbled[0] ^= 1;
    assert!(c.kem_decap(KemId::XWING, &garbled, sk.as_bytes()).is_ok());
}
