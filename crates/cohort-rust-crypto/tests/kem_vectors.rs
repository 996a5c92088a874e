//! RFC 9180 Appendix A, base mode: DeriveKeyPair, Encap (with the ephemeral
//! key derived from `ikmE`) and Decap for the DHKEMs the RFC has vectors for.

use cohort_rust_crypto::RustCrypto;
use cohort_traits::{Crypto, CryptoError, KemId};

struct Vector {
    kem: KemId,
    ikm_e: &'static str,
    pk_em: &'static str,
    sk_em: &'static str,
    ikm_r: &'static str,
    pk_rm: &'static str,
    sk_rm: &'static str,
    enc: &'static str,
    shared_secret: &'static str,
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
const X25519: Vector = Vector {
    kem: KemId::DHKEM_X25519,
    ikm_e: "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
    pk_em: "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    sk_em: "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
    ikm_r: "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
    pk_rm: "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
    sk_rm: "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
    enc: "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    shared_secret: "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc",
};

/// A.3.1: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
const P256: Vector = Vector {
    kem: KemId::DHKEM_P256,
    ikm_e: "4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e",
    pk_em: "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
    sk_em: "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb",
    ikm_r: "668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550",
    pk_rm: "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0",
    sk_rm: "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2",
    enc: "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
    shared_secret: "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8",
};

/// A.6.1: DHKEM(P-521, HKDF-SHA512), HKDF-SHA512, AES-256-GCM.
const P521: Vector = Vector {
    kem: KemId::DHKEM_P521,
    ikm_e: "7f06ab8215105fc46aceeb2e3dc5028b44364f960426eb0d8e4026c2f8b5d7e7a986688f1591abf5ab753c357a5d6f0440414b4ed4ede71317772ac98d9239f70904",
    pk_em: "040138b385ca16bb0d5fa0c0665fbbd7e69e3ee29f63991d3e9b5fa740aab8900aaeed46ed73a49055758425a0ce36507c54b29cc5b85a5cee6bae0cf1c21f2731ece2013dc3fb7c8d21654bb161b463962ca19e8c654ff24c94dd2898de12051f1ed0692237fb02b2f8d1dc1c73e9b366b529eb436e98a996ee522aef863dd5739d2f29b0",
    sk_em: "014784c692da35df6ecde98ee43ac425dbdd0969c0c72b42f2e708ab9d535415a8569bdacfcc0a114c85b8e3f26acf4d68115f8c91a66178cdbd03b7bcc5291e374b",
    ikm_r: "2ad954bbe39b7122529f7dde780bff626cd97f850d0784a432784e69d86eccaade43b6c10a8ffdb94bf943c6da479db137914ec835a7e715e36e45e29b587bab3bf1",
    pk_rm: "0401b45498c1714e2dce167d3caf162e45e0642afc7ed435df7902ccae0e84ba0f7d373f646b7738bbbdca11ed91bdeae3cdcba3301f2457be452f271fa6837580e661012af49583a62e48d44bed350c7118c0d8dc861c238c72a2bda17f64704f464b57338e7f40b60959480c0e58e6559b190d81663ed816e523b6b6a418f66d2451ec64",
    sk_rm: "01462680369ae375e4b3791070a7458ed527842f6a98a79ff5e0d4cbde83c27196a3916956655523a6a2556a7af62c5cadabe2ef9da3760bb21e005202f7b2462847",
    enc: "040138b385ca16bb0d5fa0c0665fbbd7e69e3ee29f63991d3e9b5fa740aab8900aaeed46ed73a49055758425a0ce36507c54b29cc5b85a5cee6bae0cf1c21f2731ece2013dc3fb7c8d21654bb161b463962ca19e8c654ff24c94dd2898de12051f1ed0692237fb02b2f8d1dc1c73e9b366b529eb436e98a996ee522aef863dd5739d2f29b0",
    shared_secret: "776ab421302f6eff7d7cb5cb1adaea0cd50872c71c2d63c30c4f1d5e43653336fef33b103c67e7a98add2d3b66e2fda95b5b2a667aa9dac7e59cc1d46d30e818",
};

fn check(v: &Vector) {
    let c = RustCrypto::new();

    let (sk_r, pk_r) = c.kem_derive_key_pair(v.kem, &h(v.ikm_r)).unwrap();
    assert_eq!(sk_r.as_bytes(), h(v.sk_rm).as_slice(), "skRm");
    assert_eq!(pk_r, h(v.pk_rm), "pkRm");
    let (sk_e, pk_e) = c.kem_derive_key_pair(v.kem, &h(v.ikm_e)).unwrap();
    assert_eq!(sk_e.as_bytes(), h(v.sk_em).as_slice(), "skEm");
    assert_eq!(pk_e, h(v.pk_em), "pkEm");
    assert_eq!(c.kem_public_key(v.kem, &h(v.sk_rm)).unwrap(), h(v.pk_rm));

    let out = c.kem_encap(v.kem, &h(v.pk_rm), &h(v.ikm_e)).unwrap();
    assert_eq!(out.enc, h(v.enc), "enc");
    assert_eq!(
        out.shared_secret.as_bytes(),
        h(v.shared_secret).as_slice(),
        "encap shared_secret"
    );

    let ss = c.kem_decap(v.kem, &h(v.enc), &h(v.sk_rm)).unwrap();
    assert_eq!(ss.as_bytes(), h(v.shared_secret).as_slice(), "decap");

    // The randomness must be exactly Nsk bytes.
    let mut long = h(v.ikm_e);
    long.push(0);
    assert_eq!(
        c.kem_encap(v.kem, &h(v.pk_rm), &long).unwrap_err(),
        CryptoError::InvalidLength
    );
    assert_eq!(
        c.kem_encap(v.kem, &h(v.pk_rm), &h(v.ikm_e)[1..])
            .unwrap_err(),
        CryptoError::InvalidLength
    );
}

#[test]
fn rfc9180_dhkem_x25519() {
    check(&X25519);
}

#[test]
fn rfc9180_dhkem_p256() {
    check(&P256);
}

#[test]
fn rfc9180_dhkem_p521() {
    check(&P521);
}

#[test]
fn x25519_private_key_is_clamped_on_use() {
    // The clamped and unclamped forms of skRm are the same key.
    let c = RustCrypto::new();
    let mut clamped = h(X25519.sk_rm);
    clamped[0] &= 248;
    clamped[31] &= 127;
    clamped[31] |= 64;
    assert_eq!(
        c.kem_public_key(KemId::DHKEM_X25519, &clamped).unwrap(),
        h(X25519.pk_rm)
    );
    let ss = c
        .kem_decap(KemId::DHKEM_X25519, &h(X25519.enc), &clamped)
        .unwrap();
    assert_eq!(ss.as_bytes(), h(X25519.shared_secret).as_slice());
}
