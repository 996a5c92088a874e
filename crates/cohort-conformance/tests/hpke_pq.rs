//! The core's HPKE with the post-quantum KEMs against draft-ietf-hpke-pq's
//! published test vectors (Appendix A, base mode), on both providers:
//! `DeriveKeyPair` (SHAKE256 `LabeledDerive`), `Encap` with the vector's
//! randomness, `Decap`, the RFC 9180 key schedule, the first encryption and
//! the first export.
//!
//! The long values (public keys, encapsulations) are checked by their first
//! 32 and last bytes; everything else is compared in full.

use cohort::crypto::hpke::Hpke;
use cohort_libcrux::LibcruxCrypto;
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{AeadId, Crypto, KdfId, KemId};

struct Vector {
    name: &'static str,
    kem: KemId,
    kdf: KdfId,
    aead: AeadId,
    ikm_e: &'static str,
    ikm_r: &'static str,
    sk_rm: &'static str,
    pk_rm_head: &'static str,
    pk_rm_tail: &'static str,
    enc_head: &'static str,
    enc_tail: &'static str,
    shared_secret: &'static str,
    key: &'static str,
    base_nonce: &'static str,
    exporter_secret: &'static str,
    /// Sequence number 0.
    ct0: &'static str,
    /// Exporter context `70736575646f72616e646f6d30`, L = 32.
    export0: &'static str,
}

const INFO: &str =
    "34663634363532303666366532303631323034373732363536333639363136653230353537323665";
const PT: &str = "34323635363137353734373932303639373332303734373237353734363832633230373437323735373436383230363236353631373537343739";
const AAD0: &str = "436f756e742d30";
const EXPORTER_CONTEXT0: &str = "70736575646f72616e646f6d30";

/// A.3: ML-KEM-1024, HKDF-SHA384, AES-256-GCM.
const MLKEM1024: Vector = Vector {
    name: "A.3 ML-KEM-1024",
    kem: KemId::ML_KEM_1024,
    kdf: KdfId::HKDF_SHA384,
    aead: AeadId::AES_256_GCM,
    ikm_e: "54e68c4d0f72b94d956acf637c23570e505db5c08c0068bd136cacbc7dedda89",
    ikm_r: "d6688a981deeff1d1273426af8a44aab877c50b6e8ac74b11e01a5960d97c03bffd9634894d255c424c80c74e0930b85b9f4c60e22a3efb09f4bad4749be427b",
    sk_rm: "73a9ffe155d39edcc023b11171ad6cf541ff85eff68c33b521ba25cbb1b7079bf848b63f5b8ca53f809255b51f1bef24b342d706a77cb460981e16b2ce737552",
    pk_rm_head: "aa0a1b451a9aa747370a94ba416aa977c5bac5b19def1a59f1e9182564b1b8d4",
    pk_rm_tail: "cc3c",
    enc_head: "a9a4421ea715fc52329204452922e20220e14c1488bdc5f5b9e33916ff8c4b46",
    enc_tail: "1aa635c35e8c8b87",
    shared_secret: "ef4fb9e654c1f7cfe66da7f2d0ed39429067dfdf3b65723ae941221177f55552",
    key: "85147d20f1ff72eb9a5d3de9a3c920ab0cac7b00300e6b07a7f53b87ef07e1b0",
    base_nonce: "75437389e6da148fdcaa309d",
    exporter_secret: "2bb8e6404f0df42e403505b7888d04bcdccf4cc33a93d90cdcde8b3604b5278a38aa272e5ae8aa4a0a8ed96eb4ee86f7",
    ct0: "9d16979cb9ac997886c0ec51ed2c049d7ec53b369467026157ef061af23695b996e1893afd2173c310546859e82eea9c16e0a1363bc994f2ff708e5d60089c1b233f38ce6a7fbd176744",
    export0: "5bfa8896ed24e61987426ef9c223994f5ea8088f25f6cd46bfed4418a358c352",
};

/// A.5: MLKEM768-X25519 (X-Wing, KEM 0x647a), HKDF-SHA256,
/// ChaCha20Poly1305: the HPKE algorithms of MLS suite 0x004D.
const XWING: Vector = Vector {
    name: "A.5 MLKEM768-X25519 (X-Wing)",
    kem: KemId::XWING,
    kdf: KdfId::HKDF_SHA256,
    aead: AeadId::CHACHA20_POLY1305,
    ikm_e: "c82228383c9fb887f7d8b332c28262024eda5b6b0ecd2325fe662daffc0594fad4990e7c8d13812137d06ba7017453de675ab0388d418853617f3ca58cc5daf3",
    ikm_r: "c8575d137deab99ac98fb0873048c83c3a1f47ef5b409f609c0ca652f58c83e0",
    sk_rm: "b6bfa0299b955e85224df2e468f29eeab377ff3b96d4462b39447a22d32b91be",
    pk_rm_head: "d3d102410970b8bab2984008669914490c95dea2c2ae331ca229aaf3609a6d5a",
    // The X25519 half of the public key.
    pk_rm_tail: "641763ebe08e7add5686b0ed1d1e7053982aa616130939d0a09462df7dc74d05",
    enc_head: "ab354dd589f74ee0eab7718a630cbec5df1d09058e177cd6dd141d883450ddd7",
    enc_tail: "1449d3251c1d92ff6d5c3b08c4b27c",
    shared_secret: "e059d39125d1f09a7232413a13ec5cb18a37417675442c962700d59da46d105a",
    key: "100a6260ae1a2660dd575fd4f8bf8ebddda22b8bdb0f1bca9fcb26c0aa12418e",
    base_nonce: "b55542ef5c7fc75d075bbfde",
    exporter_secret: "2838515658ae0c04e99391c0bad9a45613254bad20f7cdd80a70b25f71fec22d",
    ct0: "a4ab74475a498ed725f685421f67c09a4783fe76f67bd251e1e73db8eb1452dfad4df3c6453f7edecc7bb055dde561e2efd54d73a3d4f1f2f02eac90ba1e9b84ded66d43aee6393524db",
    export0: "14b64c194571a8e6fc16cb4d22754c79391081174b6001cd8050142f928defbb",
};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn check(provider: &str, crypto: &dyn Crypto, v: &Vector) {
    let ctx = format!("{provider}: {}", v.name);
    let (sk_r, pk_r) = crypto.kem_derive_key_pair(v.kem, &h(v.ikm_r)).unwrap();
    assert_eq!(sk_r.as_bytes(), h(v.sk_rm), "{ctx}: skRm");
    assert_eq!(Some(pk_r.len()), v.kem.public_key_len(), "{ctx}: Npk");
    assert!(pk_r.starts_with(&h(v.pk_rm_head)), "{ctx}: pkRm");
    assert!(pk_r.ends_with(&h(v.pk_rm_tail)), "{ctx}: pkRm");
    assert_eq!(crypto.kem_public_key(v.kem, &h(v.sk_rm)).unwrap(), pk_r);

    let out = crypto.kem_encap(v.kem, &pk_r, &h(v.ikm_e)).unwrap();
    assert_eq!(Some(out.enc.len()), v.kem.enc_len(), "{ctx}: Nenc");
    assert!(out.enc.starts_with(&h(v.enc_head)), "{ctx}: enc");
    assert!(out.enc.ends_with(&h(v.enc_tail)), "{ctx}: enc");
    assert_eq!(out.shared_secret.as_bytes(), h(v.shared_secret), "{ctx}");
    let ss = crypto.kem_decap(v.kem, &out.enc, &h(v.sk_rm)).unwrap();
    assert_eq!(ss.as_bytes(), h(v.shared_secret), "{ctx}: decap");

    let hpke = Hpke::new(crypto, v.kem, v.kdf, v.aead);
    let info = hpke.prepare_info(&h(INFO)).unwrap();
    let (enc, mut sender) = hpke.setup_base_s_derand(&h(v.ikm_e), &pk_r, &info).unwrap();
    assert_eq!(enc, out.enc);
    let mut receiver = hpke.setup_base_r(&enc, &h(v.sk_rm), None, &info).unwrap();
    for c in [&sender, &receiver] {
        assert_eq!(c.key().as_bytes(), h(v.key), "{ctx}: key");
        assert_eq!(c.base_nonce().as_bytes(), h(v.base_nonce), "{ctx}");
        assert_eq!(
            c.exporter_secret().as_bytes(),
            h(v.exporter_secret),
            "{ctx}"
        );
        assert_eq!(
            c.export(&h(EXPORTER_CONTEXT0), 32).unwrap().as_bytes(),
            h(v.export0),
            "{ctx}: export"
        );
    }
    let ct = sender.seal(&h(AAD0), &h(PT)).unwrap();
    assert_eq!(ct, h(v.ct0), "{ctx}: ct");
    assert_eq!(receiver.open(&h(AAD0), &ct).unwrap().as_bytes(), h(PT));
}

#[test]
fn draft_ietf_hpke_pq_vectors_on_both_providers() {
    let providers: [(&str, &dyn Crypto); 2] = [
        ("rust-crypto", &RustCrypto::new()),
        ("libcrux", &LibcruxCrypto::new()),
    ];
    for (name, crypto) in providers {
        for v in [&MLKEM1024, &XWING] {
            check(name, crypto, v);
        }
    }
}
