//! Known-answer tests from the primitives' specifications, run on both
//! providers: SHA-2, HMAC (RFC 4231), HKDF (RFC 5869), the AEADs (RFC 9180
//! Appendix A), Ed25519 (RFC 8032), ECDSA P-256 with RFC 6979 nonces,
//! DHKEM(X25519) and DHKEM(P-256) (RFC 9180 Appendix A), X-Wing
//! (draft-connolly-cfrg-xwing-kem test vectors), and key generation from a
//! seed for ML-KEM-1024 and ML-DSA-87 (the example keys of the LAMPS
//! certificate drafts). The HPKE-level vectors of draft-ietf-hpke-pq are in
//! `cohort-conformance/tests/hpke_pq.rs`.

use cohort_libcrux::LibcruxCrypto;
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{AeadId, Crypto, CryptoError, HashAlgorithm, KdfId, KemId, SignatureScheme};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn providers() -> [(&'static str, &'static dyn Crypto); 2] {
    static RUST_CRYPTO: RustCrypto = RustCrypto::new();
    static LIBCRUX: LibcruxCrypto = LibcruxCrypto::new();
    [("rust-crypto", &RUST_CRYPTO), ("libcrux", &LIBCRUX)]
}

fn sha256(data: &[u8]) -> Vec<u8> {
    RustCrypto::new().hash(HashAlgorithm::Sha256, data).unwrap()
}

#[test]
fn sha2_abc() {
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
    for (name, c) in providers() {
        for (alg, out) in cases {
            assert_eq!(c.hash(alg, b"abc").unwrap(), h(out), "{name} {alg:?}");
        }
    }
}

/// RFC 4231 test cases 1 and 6 (a key longer than the block).
#[test]
fn hmac_rfc4231() {
    let cases = [
        (
            HashAlgorithm::Sha256,
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
        (
            HashAlgorithm::Sha384,
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
            "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
        ),
        (
            HashAlgorithm::Sha512,
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
        ),
    ];
    for (name, c) in providers() {
        for (alg, case1, case6) in cases {
            let tag = c.hmac(alg, &[0x0b; 20], b"Hi There").unwrap();
            assert_eq!(tag.as_bytes(), h(case1), "{name} {alg:?}");
            let tag = c
                .hmac(
                    alg,
                    &[0xaa; 131],
                    b"Test Using Larger Than Block-Size Key - Hash Key First",
                )
                .unwrap();
            assert_eq!(tag.as_bytes(), h(case6), "{name} {alg:?}");
        }
    }
}

/// RFC 5869 test case 1 (HKDF-SHA256).
#[test]
fn hkdf_rfc5869_case1() {
    for (name, c) in providers() {
        let salt = h("000102030405060708090a0b0c");
        let prk = c
            .hkdf_extract(KdfId::HKDF_SHA256, &salt, &[0x0b; 22])
            .unwrap();
        assert_eq!(
            prk.as_bytes(),
            h("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"),
            "{name}"
        );
        let okm = c
            .hkdf_expand(
                KdfId::HKDF_SHA256,
                prk.as_bytes(),
                &h("f0f1f2f3f4f5f6f7f8f9"),
                42,
            )
            .unwrap();
        assert_eq!(
            okm.as_bytes(),
            h(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            ),
            "{name}"
        );
    }
}

/// First encryption of the RFC 9180 Appendix A base-mode vectors, one per
/// AEAD.
#[test]
fn aead_rfc9180_encryptions() {
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
    for (name, c) in providers() {
        for (aead, key, nonce, ct) in cases {
            let (key, nonce, ct) = (h(key), h(nonce), h(ct));
            assert_eq!(
                c.aead_seal(aead, &key, &nonce, &aad, &pt).unwrap(),
                ct,
                "{name} {aead}"
            );
            let opened = c.aead_open(aead, &key, &nonce, &aad, &ct).unwrap();
            assert_eq!(opened.as_bytes(), pt.as_slice(), "{name} {aead}");
        }
    }
}

fn check_signature(scheme: SignatureScheme, sk: &str, pk: &str, msg: &[u8], sig: &str) {
    for (name, c) in providers() {
        let (sk, pk, sig) = (h(sk), h(pk), h(sig));
        assert_eq!(c.signature_public_key(scheme, &sk).unwrap(), pk, "{name}");
        assert_eq!(c.sign(scheme, &sk, msg).unwrap(), sig, "{name} {scheme}");
        c.verify(scheme, &pk, msg, &sig).unwrap();
        assert_eq!(
            c.verify(scheme, &pk, b"another message", &sig).unwrap_err(),
            CryptoError::InvalidSignature,
            "{name}"
        );
    }
}

/// RFC 8032 section 7.1, TEST 1 and TEST 2.
#[test]
fn ed25519_rfc8032() {
    check_signature(
        SignatureScheme::ED25519,
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        b"",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    );
    check_signature(
        SignatureScheme::ED25519,
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        &[0x72],
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    );
}

/// RFC 6979 appendix A.2.5 (P-256, SHA-256, message "sample"), with (r, s)
/// DER-encoded as RFC 9420 requires. The libcrux provider computes the
/// RFC 6979 nonce itself, so this checks that construction too.
#[test]
fn ecdsa_p256_rfc6979_sample() {
    let r = "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716";
    let s = "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";
    check_signature(
        SignatureScheme::ECDSA_SECP256R1_SHA256,
        "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
        "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
        b"sample",
        &format!("3046022100{r}022100{s}"),
    );
}

struct DhkemVector {
    kem: KemId,
    ikm_e: &'static str,
    pk_em: &'static str,
    sk_em: &'static str,
    ikm_r: &'static str,
    pk_rm: &'static str,
    sk_rm: &'static str,
    shared_secret: &'static str,
}

/// RFC 9180 A.1.1 (DHKEM(X25519, HKDF-SHA256)) and A.3.1
/// (DHKEM(P-256, HKDF-SHA256)); `enc` is `pkEm`.
const DHKEM_VECTORS: [DhkemVector; 2] = [
    DhkemVector {
        kem: KemId::DHKEM_X25519,
        ikm_e: "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
        pk_em: "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
        sk_em: "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
        ikm_r: "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
        pk_rm: "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
        sk_rm: "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
        shared_secret: "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc",
    },
    DhkemVector {
        kem: KemId::DHKEM_P256,
        ikm_e: "4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e",
        pk_em: "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
        sk_em: "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb",
        ikm_r: "668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550",
        pk_rm: "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0",
        sk_rm: "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2",
        shared_secret: "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8",
    },
];

#[test]
fn dhkem_rfc9180() {
    for (name, c) in providers() {
        for v in &DHKEM_VECTORS {
            let what = format!("{name} {}", v.kem);
            let (sk, pk) = c.kem_derive_key_pair(v.kem, &h(v.ikm_r)).unwrap();
            assert_eq!((sk.as_bytes(), pk), (&h(v.sk_rm)[..], h(v.pk_rm)), "{what}");
            let (sk, pk) = c.kem_derive_key_pair(v.kem, &h(v.ikm_e)).unwrap();
            assert_eq!((sk.as_bytes(), pk), (&h(v.sk_em)[..], h(v.pk_em)), "{what}");
            assert_eq!(c.kem_public_key(v.kem, &h(v.sk_rm)).unwrap(), h(v.pk_rm));

            let out = c.kem_encap(v.kem, &h(v.pk_rm), &h(v.ikm_e)).unwrap();
            assert_eq!(out.enc, h(v.pk_em), "{what}");
            assert_eq!(out.shared_secret.as_bytes(), h(v.shared_secret), "{what}");
            let ss = c.kem_decap(v.kem, &h(v.pk_em), &h(v.sk_rm)).unwrap();
            assert_eq!(ss.as_bytes(), h(v.shared_secret), "{what}");
        }
    }
}

#[test]
fn x25519_private_key_is_clamped_on_use() {
    let v = &DHKEM_VECTORS[0];
    let mut clamped = h(v.sk_rm);
    clamped[0] &= 248;
    clamped[31] &= 127;
    clamped[31] |= 64;
    for (name, c) in providers() {
        assert_eq!(
            c.kem_public_key(KemId::DHKEM_X25519, &clamped).unwrap(),
            h(v.pk_rm),
            "{name}"
        );
        let ss = c
            .kem_decap(KemId::DHKEM_X25519, &h(v.pk_em), &clamped)
            .unwrap();
        assert_eq!(ss.as_bytes(), h(v.shared_secret), "{name}");
    }
}

/// The first test vector of draft-connolly-cfrg-xwing-kem (X-Wing itself,
/// below HPKE): decapsulation key (seed), encapsulation randomness `eseed`,
/// and the resulting shared secret. The encapsulation key and ciphertext are
/// compared by SHA-256.
#[test]
fn xwing_draft_vector() {
    let sk = h("7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");
    let eseed = h(
        "3cb1eea988004b93103cfb0aeefd2a686e01fa4a58e8a3639ca8a1e3f9ae57e235b8cc873c23dc62b8d260169afa2f75ab916a58d974918835d25e6a435085b2",
    );
    let ss = h("d2df0522128f09dd8e2c92b1e905c793d8f57a54c3da25861f10bf4ca613e384");
    let pk_sha256 = h("2e816deebcd76c5c80d0cd2d174478871658e8e2ff42bc9d4a6e486372e856bb");
    let ct_sha256 = h("17cd532d657e44c897ca6583e548a5424fc70bf54f99515a4d2bcf99e3469f33");
    for (name, c) in providers() {
        let pk = c.kem_public_key(KemId::XWING, &sk).unwrap();
        assert_eq!(pk.len(), 1216, "{name}");
        assert_eq!(sha256(&pk), pk_sha256, "{name}: pk");
        let out = c.kem_encap(KemId::XWING, &pk, &eseed).unwrap();
        assert_eq!(out.enc.len(), 1120, "{name}");
        assert_eq!(sha256(&out.enc), ct_sha256, "{name}: ct");
        assert_eq!(out.shared_secret.as_bytes(), ss, "{name}: ss");
        let decapped = c.kem_decap(KemId::XWING, &out.enc, &sk).unwrap();
        assert_eq!(decapped.as_bytes(), ss, "{name}: decap");
    }
}

/// The ML-KEM-1024 example key of draft-ietf-lamps-kyber-certificates:
/// seed `d || z` = 0x00..0x3f. The encapsulation key is compared by SHA-256.
#[test]
fn mlkem1024_seed_to_public_key() {
    let seed: Vec<u8> = (0u8..64).collect();
    let pk_sha256 = h("c7b8fa0aa471d5ae18922d6ccad5b31e1d84f92ae723abfd13747018740a8530");
    for (name, c) in providers() {
        let pk = c.kem_public_key(KemId::ML_KEM_1024, &seed).unwrap();
        assert_eq!(pk.len(), 1568, "{name}");
        assert!(pk.starts_with(&h("4b94c29450111191")), "{name}");
        assert_eq!(sha256(&pk), pk_sha256, "{name}");
    }
}

/// The ML-DSA-87 example key of draft-ietf-lamps-dilithium-certificates:
/// seed `xi` = 0x00..0x1f. The public key is compared by SHA-256.
#[test]
fn mldsa87_seed_to_public_key() {
    let seed: Vec<u8> = (0u8..32).collect();
    let pk_sha256 = h("91dc389cfaa01470b7f66eee45a4ae9026d154817c754dfe22298b3fa241ffcd");
    for (name, c) in providers() {
        let pk = c
            .signature_public_key(SignatureScheme::MLDSA87, &seed)
            .unwrap();
        assert_eq!(pk.len(), 2592, "{name}");
        assert!(pk.starts_with(&h("9792bcec2f243068")), "{name}");
        assert_eq!(sha256(&pk), pk_sha256, "{name}");
    }
}
