//! Known-answer tests from the primitives' specifications.

use cohort_rust_crypto::RustCrypto;
use cohort_traits::{AeadId, Crypto, CryptoError, HashAlgorithm, KdfId, SignatureScheme};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn sha2_abc() {
    let c = RustCrypto::new();
    let cases = [
        (
            HashAlgorithm::Sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            HashAlgorithm::Sha384,
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            HashAlgorithm::Sha512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ];
    for (alg, out) in cases {
        assert_eq!(c.hash(alg, b"abc").unwrap(), h(out), "{alg:?}");
    }
}

/// RFC 4231 test case 1.
#[test]
fn hmac_rfc4231_case1() {
    let c = RustCrypto::new();
    let key = [0x0bu8; 20];
    let cases = [
        (
            HashAlgorithm::Sha256,
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            HashAlgorithm::Sha384,
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
        ),
        (
            HashAlgorithm::Sha512,
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        ),
    ];
    for (alg, out) in cases {
        let tag = c.hmac(alg, &key, b"Hi There").unwrap();
        assert_eq!(tag.as_bytes(), h(out).as_slice(), "{alg:?}");
    }
}

/// RFC 5869 test case 1 (HKDF-SHA256).
#[test]
fn hkdf_rfc5869_case1() {
    let c = RustCrypto::new();
    let ikm = [0x0bu8; 22];
    let salt = h("000102030405060708090a0b0c");
    let info = h("f0f1f2f3f4f5f6f7f8f9");
    let prk = c.hkdf_extract(KdfId::HKDF_SHA256, &salt, &ikm).unwrap();
    assert_eq!(
        prk.as_bytes(),
        h("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5").as_slice()
    );
    let okm = c
        .hkdf_expand(KdfId::HKDF_SHA256, prk.as_bytes(), &info, 42)
        .unwrap();
    assert_eq!(
        okm.as_bytes(),
        h("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
            .as_slice()
    );
}

/// First encryption of the RFC 9180 Appendix A base-mode vectors, one per AEAD.
#[test]
fn aead_rfc9180_encryptions() {
    let c = RustCrypto::new();
    let pt = h("4265617574792069732074727574682c20747275746820626561757479");
    let aad = h("436f756e742d30");
    let cases = [
        (
            AeadId::AES_128_GCM,
            "4531685d41d65f03dc48f6b8302c05b0",
            "56d890e5accaaf011cff4b7d",
            "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a",
        ),
        (
            AeadId::CHACHA20_POLY1305,
            "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91",
            "5c4d98150661b848853b547f",
            "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28",
        ),
        (
            AeadId::AES_256_GCM,
            "751e346ce8f0ddb2305c8a2a85c70d5cf559c53093656be636b9406d4d7d1b70",
            "55ff7a7d739c69f44b25447b",
            "170f8beddfe949b75ef9c387e201baf4132fa7374593dfafa90768788b7b2b200aafcc6d80ea4c795a7c5b841a",
        ),
    ];
    for (aead, key, nonce, ct) in cases {
        let (key, nonce, ct) = (h(key), h(nonce), h(ct));
        assert_eq!(
            c.aead_seal(aead, &key, &nonce, &aad, &pt).unwrap(),
            ct,
            "{aead}"
        );
        let opened = c.aead_open(aead, &key, &nonce, &aad, &ct).unwrap();
        assert_eq!(opened.as_bytes(), pt.as_slice(), "{aead}");
    }
}

fn check_signature(scheme: SignatureScheme, sk: &str, pk: &str, msg: &[u8], sig: &str) {
    let c = RustCrypto::new();
    let (sk, pk, sig) = (h(sk), h(pk), h(sig));
    assert_eq!(c.signature_public_key(scheme, &sk).unwrap(), pk, "{scheme}");
    assert_eq!(c.sign(scheme, &sk, msg).unwrap(), sig, "{scheme}");
    c.verify(scheme, &pk, msg, &sig).unwrap();
    assert_eq!(
        c.verify(scheme, &pk, b"another message", &sig).unwrap_err(),
        CryptoError::InvalidSignature
    );
}

/// RFC 8032 section 7.1, TEST 1.
#[test]
fn ed25519_rfc8032_test1() {
    check_signature(
        SignatureScheme::ED25519,
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        b"",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    );
}

/// RFC 8032 section 7.4, "-----Blank".
#[test]
fn ed448_rfc8032_blank() {
    check_signature(
        SignatureScheme::ED448,
        "6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3528c8a3fcc2f044e39a3fc5b94492f8f032e7549a20098f95b",
        "5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7061bd6783df1e50f6cd1fa1abeafe8256180",
        b"",
        "533a37f6bbe457251f023c0d88f976ae2dfb504a843e34d2074fd823d41a591f2b233f034f628281f2fd7a22ddd47d7828c59bd0a21bfd3980ff0d2028d4b18a9df63e006c5d1c2d345b925d8dc00b4104852db99ac5c7cdda8530a113a0f4dbb61149f05a7363268c71d95808ff2e652600",
    );
}

/// RFC 6979 appendix A.2.5 (P-256, SHA-256, message "sample"), with (r, s)
/// DER-encoded as RFC 9420 requires.
#[test]
fn ecdsa_p256_rfc6979_sample() {
    let r = "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716";
    let s = "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";
    // Both have the top bit set, so each INTEGER gets a leading zero byte.
    let der = format!("3046022100{r}022100{s}");
    check_signature(
        SignatureScheme::ECDSA_SECP256R1_SHA256,
        "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
        "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
        b"sample",
        &der,
    );
}
