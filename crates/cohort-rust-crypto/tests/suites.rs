//! Every primitive of every supported cipher suite (the seven of RFC 9420
//! and the post-quantum 0x004D and 0x0906): round trips, output lengths and
//! rejection of bad input with the documented errors.

use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{
    AeadId, Ciphersuite, CiphersuiteParams, Crypto, CryptoError, HashAlgorithm, KdfId, KemId, Rand,
    RandError, SignatureScheme,
};

fn params(cs: Ciphersuite) -> CiphersuiteParams {
    cs.params().unwrap()
}

fn random(rand: &SeededRand, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rand.fill(&mut v).unwrap();
    v
}

/// Every suite the provider supports.
fn suites() -> Vec<Ciphersuite> {
    RustCrypto::new().supported_ciphersuites()
}

#[test]
fn supports_the_rfc_and_post_quantum_suites() {
    let c = RustCrypto::new();
    let expected: Vec<_> = Ciphersuite::RFC9420
        .into_iter()
        .chain(Ciphersuite::POST_QUANTUM)
        .collect();
    assert_eq!(c.supported_ciphersuites(), expected);
    for cs in expected {
        assert!(c.supports(cs), "{cs}");
    }
    for id in [0x0000, 0x0008, 0x0a0a, 0xf000, 0x004C, 0x0905] {
        assert!(!c.supports(Ciphersuite(id)));
    }
}

#[test]
fn hash_hmac_hkdf_all_suites() {
    let c = RustCrypto::new();
    for cs in suites() {
        let p = params(cs);
        let nh = p.hash.output_len();
        assert_eq!(c.hash(p.hash, b"data").unwrap().len(), nh, "{cs}");
        assert_ne!(
            c.hash(p.hash, b"data").unwrap(),
            c.hash(p.hash, b"date").unwrap()
        );

        let tag = c.hmac(p.hash, b"key", b"data").unwrap();
        assert_eq!(tag.len(), nh);
        assert_eq!(tag, c.hmac(p.hash, b"key", b"data").unwrap());
        assert_ne!(tag, c.hmac(p.hash, b"kez", b"data").unwrap());

        let prk = c.hkdf_extract(p.kdf, b"salt", b"ikm").unwrap();
        assert_eq!(prk.len(), nh);
        // Extract is HMAC(salt, ikm).
        assert_eq!(prk, c.hmac(p.hash, b"salt", b"ikm").unwrap());
        // An empty salt means Nh zero bytes.
        assert_eq!(
            c.hkdf_extract(p.kdf, b"", b"ikm").unwrap(),
            c.hkdf_extract(p.kdf, &vec![0u8; nh], b"ikm").unwrap()
        );
        for len in [0, 1, nh, 3 * nh + 5, 255 * nh] {
            let okm = c.hkdf_expand(p.kdf, prk.as_bytes(), b"info", len).unwrap();
            assert_eq!(okm.len(), len);
        }
        let long = c.hkdf_expand(p.kdf, prk.as_bytes(), b"info", 100).unwrap();
        let short = c.hkdf_expand(p.kdf, prk.as_bytes(), b"info", 10).unwrap();
        assert_eq!(&long.as_bytes()[..10], short.as_bytes());
        assert_eq!(
            c.hkdf_expand(p.kdf, prk.as_bytes(), b"info", 255 * nh + 1)
                .unwrap_err(),
            CryptoError::HkdfOutputTooLong
        );
        assert_eq!(
            c.hkdf_expand(p.kdf, &prk.as_bytes()[1..], b"info", 16)
                .unwrap_err(),
            CryptoError::InvalidLength
        );
    }
}

#[test]
fn aead_all_suites() {
    let c = RustCrypto::new();
    let rand = SeededRand::from_u64(1);
    for cs in suites() {
        let aead = params(cs).aead;
        let key = random(&rand, aead.key_len().unwrap());
        let nonce = random(&rand, aead.nonce_len().unwrap());
        let tag_len = aead.tag_len().unwrap();
        for pt in [&b""[..], b"hello", &[7u8; 1000]] {
            let ct = c.aead_seal(aead, &key, &nonce, b"aad", pt).unwrap();
            assert_eq!(ct.len(), pt.len() + tag_len, "{cs}");
            let opened = c.aead_open(aead, &key, &nonce, b"aad", &ct).unwrap();
            assert_eq!(opened.as_bytes(), pt);

            for i in [0, ct.len() / 2, ct.len() - 1] {
                let mut bad = ct.clone();
                bad[i] ^= 0x01;
                assert_eq!(
                    c.aead_open(aead, &key, &nonce, b"aad", &bad).unwrap_err(),
                    CryptoError::AeadOpenFailed
                );
            }
            assert_eq!(
                c.aead_open(aead, &key, &nonce, b"aae", &ct).unwrap_err(),
                CryptoError::AeadOpenFailed
            );
            let mut other_nonce = nonce.clone();
            other_nonce[0] ^= 1;
            assert_eq!(
                c.aead_open(aead, &key, &other_nonce, b"aad", &ct)
                    .unwrap_err(),
                CryptoError::AeadOpenFailed
            );
            let mut other_key = key.clone();
            other_key[0] ^= 1;
            assert_eq!(
                c.aead_open(aead, &other_key, &nonce, b"aad", &ct)
                    .unwrap_err(),
                CryptoError::AeadOpenFailed
            );
        }
        // Shorter than a tag.
        assert_eq!(
            c.aead_open(aead, &key, &nonce, b"", &[0u8; 5]).unwrap_err(),
            CryptoError::AeadOpenFailed
        );
        // Wrong key or nonce length.
        for (k, n) in [
            (&key[1..], &nonce[..]),
            (&[&key[..], &[0]].concat()[..], &nonce[..]),
            (&key[..], &nonce[1..]),
            (&key[..], &[&nonce[..], &[0]].concat()[..]),
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
    let c = RustCrypto::new();
    let rand = SeededRand::from_u64(2);
    for cs in suites() {
        let kem = params(cs).kem;
        let nsk = kem.private_key_len().unwrap();
        let npk = kem.public_key_len().unwrap();

        let ikm = random(&rand, 32);
        let (sk, pk) = c.kem_derive_key_pair(kem, &ikm).unwrap();
        assert_eq!(sk.len(), nsk, "{cs}");
        assert_eq!(pk.len(), npk, "{cs}");
        assert_eq!(
            c.kem_derive_key_pair(kem, &ikm).unwrap(),
            (sk.clone(), pk.clone())
        );
        assert_eq!(c.kem_public_key(kem, sk.as_bytes()).unwrap(), pk);

        let randomness = random(&rand, kem.encap_randomness_len().unwrap());
        let out = c.kem_encap(kem, &pk, &randomness).unwrap();
        assert_eq!(out.enc.len(), kem.enc_len().unwrap());
        assert_eq!(out.shared_secret.len(), kem.secret_len().unwrap());
        // Deterministic given the randomness.
        let again = c.kem_encap(kem, &pk, &randomness).unwrap();
        assert_eq!(
            (again.enc, again.shared_secret),
            (out.enc.clone(), out.shared_secret.clone())
        );
        // Fresh randomness, fresh encapsulation.
        let other = c
            .kem_encap(kem, &pk, &random(&rand, randomness.len()))
            .unwrap();
        assert_ne!(other.enc, out.enc);

        assert_eq!(
            c.kem_decap(kem, &out.enc, sk.as_bytes()).unwrap(),
            out.shared_secret
        );
        // With the recipient's public key given: the same secret for the
        // right key; for the Montgomery DHKEMs, whose KEM context the key
        // enters, a different secret for a wrong one.
        assert_eq!(
            c.kem_decap_with_public_key(kem, &out.enc, sk.as_bytes(), &pk)
                .unwrap(),
            out.shared_secret
        );
        let (_, wrong_pk) = c.kem_derive_key_pair(kem, b"not the recipient").unwrap();
        let with_wrong = c.kem_decap_with_public_key(kem, &out.enc, sk.as_bytes(), &wrong_pk);
        if [KemId::DHKEM_X25519, KemId::DHKEM_X448].contains(&kem) {
            assert_ne!(with_wrong.unwrap(), out.shared_secret, "{cs}");
        }
        let (sk2, _) = c.kem_derive_key_pair(kem, b"someone else").unwrap();
        assert_ne!(
            c.kem_decap(kem, &out.enc, sk2.as_bytes()).unwrap(),
            out.shared_secret
        );

        // Malformed inputs are errors, not panics.
        assert!(c.kem_encap(kem, &pk[1..], &randomness).is_err());
        assert!(c.kem_decap(kem, &out.enc[1..], sk.as_bytes()).is_err());
        assert_eq!(
            c.kem_encap(kem, &pk, &randomness[1..]).unwrap_err(),
            CryptoError::InvalidLength
        );
        if !Ciphersuite::POST_QUANTUM.contains(&cs) {
            // The zero point (or point at infinity) is no DH public key.
            // (ML-KEM's implicit rejection turns any ciphertext of the
            // right length into a pseudorandom secret instead.)
            assert!(c.kem_encap(kem, &vec![0u8; npk], &randomness).is_err());
            assert!(c.kem_decap(kem, &vec![0u8; npk], sk.as_bytes()).is_err());
        }
        // A private key longer than Nsk is refused. (NIST-curve keys are
        // big-endian scalars, so a shorter encoding is left-padded.)
        let long = [sk.as_bytes(), &[0u8]].concat();
        assert_eq!(
            c.kem_decap(kem, &out.enc, &long).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        assert_eq!(
            c.kem_public_key(kem, &long).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
    }
}

#[test]
fn nist_kem_rejects_points_off_the_curve() {
    let c = RustCrypto::new();
    for kem in [KemId::DHKEM_P256, KemId::DHKEM_P384, KemId::DHKEM_P521] {
        let (sk, mut pk) = c.kem_derive_key_pair(kem, b"ikm").unwrap();
        let last = pk.len() - 1;
        pk[last] ^= 1;
        let randomness = vec![1u8; kem.encap_randomness_len().unwrap()];
        assert_eq!(
            c.kem_encap(kem, &pk, &randomness).unwrap_err(),
            CryptoError::InvalidPublicKey
        );
        assert_eq!(
            c.kem_decap(kem, &pk, sk.as_bytes()).unwrap_err(),
            CryptoError::KemDecapFailed
        );
        // A zero scalar is not a private key.
        let zero = vec![0u8; kem.private_key_len().unwrap()];
        assert_eq!(
            c.kem_public_key(kem, &zero).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
    }
}

#[test]
fn signatures_all_suites() {
    let c = RustCrypto::new();
    for cs in suites() {
        let scheme = params(cs).signature;
        // (private key, public key, signature) lengths; ECDSA's DER
        // signatures vary.
        let (sk_len, pk_len, sig_len) = match scheme {
            SignatureScheme::ED25519 => (32, 32, Some(64)),
            SignatureScheme::ED448 => (57, 57, Some(114)),
            SignatureScheme::ECDSA_SECP256R1_SHA256 => (32, 65, None),
            SignatureScheme::ECDSA_SECP384R1_SHA384 => (48, 97, None),
            SignatureScheme::ECDSA_SECP521R1_SHA512 => (66, 133, None),
            SignatureScheme::MLDSA87 => (32, 2592, Some(4627)),
            other => panic!("unexpected {other}"),
        };
        let ecdsa = sig_len.is_none();

        let rand = SeededRand::from_u64(3);
        let (sk, pk) = c.signature_key_generate(scheme, &rand).unwrap();
        assert_eq!((sk.len(), pk.len()), (sk_len, pk_len), "{cs}");
        // Key generation draws only from the given source.
        let replay = c
            .signature_key_generate(scheme, &SeededRand::from_u64(3))
            .unwrap();
        assert_eq!(replay, (sk.clone(), pk.clone()));
        assert_eq!(c.signature_public_key(scheme, sk.as_bytes()).unwrap(), pk);
        if ecdsa {
            assert_eq!(pk[0], 0x04, "uncompressed SEC1");
        }

        let msg = b"the message";
        let sig = c.sign(scheme, sk.as_bytes(), msg).unwrap();
        match sig_len {
            None => assert_eq!(sig[0], 0x30, "DER SEQUENCE"),
            Some(len) => assert_eq!(sig.len(), len),
        }
        // Deterministic signing (EdDSA, RFC 6979 ECDSA, deterministic ML-DSA).
        assert_eq!(c.sign(scheme, sk.as_bytes(), msg).unwrap(), sig);
        // A prepared key signs exactly as `sign` does.
        let prepared = c
            .prepare_signing_key(scheme, sk.as_bytes())
            .unwrap()
            .expect("this provider prepares every scheme");
        assert_eq!(prepared.scheme(), scheme);
        assert_eq!(prepared.sign(msg).unwrap(), sig, "{cs}");
        assert_eq!(
            c.prepare_signing_key(scheme, &[sk.as_bytes(), &[0u8]].concat())
                .err(),
            Some(CryptoError::InvalidPrivateKey),
            "{cs}"
        );
        c.verify(scheme, &pk, msg, &sig).unwrap();

        let bad = CryptoError::InvalidSignature;
        assert_eq!(
            c.verify(scheme, &pk, b"other message", &sig).unwrap_err(),
            bad
        );
        for i in [0, sig.len() / 2, sig.len() - 1] {
            let mut s = sig.clone();
            s[i] ^= 0x01;
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

        let (_, other_pk) = c.signature_key_generate(scheme, &RustCrypto).unwrap();
        assert_eq!(c.verify(scheme, &other_pk, msg, &sig).unwrap_err(), bad);

        let bad_key = CryptoError::InvalidPublicKey;
        assert_eq!(c.verify(scheme, &pk[1..], msg, &sig).unwrap_err(), bad_key);
        assert_eq!(c.verify(scheme, &[], msg, &sig).unwrap_err(), bad_key);
        // A private key longer than the scheme's is refused. (ECDSA keys are
        // big-endian integers, so a shorter encoding is a valid smaller key.)
        let long = [sk.as_bytes(), &[0u8]].concat();
        assert_eq!(
            c.sign(scheme, &long, msg).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        assert_eq!(
            c.signature_public_key(scheme, &[]).unwrap_err(),
            CryptoError::InvalidPrivateKey
        );
        if ecdsa {
            // Not a point on the curve.
            let mut off = pk.clone();
            let last = off.len() - 1;
            off[last] ^= 1;
            assert_eq!(c.verify(scheme, &off, msg, &sig).unwrap_err(), bad_key);
            // Compressed points are not the RFC 9420 encoding.
            let n = (pk_len - 1) / 2;
            let mut compressed = vec![0x02 | (pk[pk_len - 1] & 1)];
            compressed.extend_from_slice(&pk[1..=n]);
            assert_eq!(
                c.verify(scheme, &compressed, msg, &sig).unwrap_err(),
                bad_key
            );
            // Raw r || s is not DER.
            assert_eq!(
                c.verify(scheme, &pk, msg, &vec![0x11u8; 2 * n])
                    .unwrap_err(),
                bad
            );
        }
    }
}

#[test]
fn p521_private_keys_are_66_byte_scalars() {
    let c = RustCrypto::new();
    for seed in 0..8 {
        let (sk, _) = c
            .signature_key_generate(
                SignatureScheme::ECDSA_SECP521R1_SHA512,
                &SeededRand::from_u64(seed),
            )
            .unwrap();
        assert_eq!(sk.len(), 66);
        assert!(sk.as_bytes()[0] <= 1);
    }
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
    let c = RustCrypto::new();
    for cs in suites() {
        let scheme = params(cs).signature;
        assert_eq!(
            c.signature_key_generate(scheme, &Broken).unwrap_err(),
            CryptoError::Rand(RandError("broken"))
        );
    }
    // Zero is never a valid ECDSA scalar: bounded retries, then an error.
    for scheme in [
        SignatureScheme::ECDSA_SECP256R1_SHA256,
        SignatureScheme::ECDSA_SECP384R1_SHA384,
        SignatureScheme::ECDSA_SECP521R1_SHA512,
    ] {
        assert!(matches!(
            c.signature_key_generate(scheme, &Zeros).unwrap_err(),
            CryptoError::Rand(_)
        ));
    }
}

#[test]
fn unknown_algorithms_are_unsupported() {
    let c = RustCrypto::new();
    let kem = KemId(0x0030);
    let kdf = KdfId(0x0004);
    let aead = AeadId::EXPORT_ONLY;
    let scheme = SignatureScheme(0x0809);

    assert_eq!(
        c.hkdf_extract(kdf, b"", b"").unwrap_err(),
        CryptoError::UnsupportedKdf(kdf)
    );
    assert_eq!(
        c.hkdf_expand(kdf, &[0; 64], b"", 1).unwrap_err(),
        CryptoError::UnsupportedKdf(kdf)
    );
    assert_eq!(
        c.aead_seal(aead, &[0; 16], &[0; 12], b"", b"").unwrap_err(),
        CryptoError::UnsupportedAead(aead)
    );
    assert_eq!(
        c.aead_open(AeadId(7), &[0; 16], &[0; 12], b"", &[0; 16])
            .unwrap_err(),
        CryptoError::UnsupportedAead(AeadId(7))
    );
    let unsupported_kem = CryptoError::UnsupportedKem(kem);
    assert_eq!(
        c.kem_derive_key_pair(kem, b"ikm").unwrap_err(),
        unsupported_kem
    );
    assert_eq!(
        c.kem_public_key(kem, &[1; 32]).unwrap_err(),
        unsupported_kem
    );
    assert_eq!(
        c.kem_encap(kem, &[1; 32], &[1; 32]).unwrap_err(),
        unsupported_kem
    );
    assert_eq!(
        c.kem_decap(kem, &[1; 32], &[1; 32]).unwrap_err(),
        unsupported_kem
    );
    let unsupported_sig = CryptoError::UnsupportedSignatureScheme(scheme);
    assert_eq!(
        c.signature_key_generate(scheme, &RustCrypto).unwrap_err(),
        unsupported_sig
    );
    assert_eq!(
        c.signature_public_key(scheme, &[1; 32]).unwrap_err(),
        unsupported_sig
    );
    assert_eq!(c.sign(scheme, &[1; 32], b"m").unwrap_err(), unsupported_sig);
    assert_eq!(
        c.verify(scheme, &[1; 32], b"m", &[0; 64]).unwrap_err(),
        unsupported_sig
    );
    // Every hash algorithm is known.
    for alg in [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ] {
        assert!(c.hash(alg, b"").is_ok());
    }
}

#[test]
fn provider_is_send_sync_and_serves_as_rand() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RustCrypto>();
    assert_send_sync::<SeededRand>();
    let c = RustCrypto::new();
    let rand: &dyn Rand = &c;
    let (sk, pk) = c
        .signature_key_generate(SignatureScheme::ED25519, rand)
        .unwrap();
    assert_eq!(
        c.signature_public_key(SignatureScheme::ED25519, sk.as_bytes())
            .unwrap(),
        pk
    );
}
