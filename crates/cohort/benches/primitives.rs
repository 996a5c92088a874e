//! Each primitive of the RustCrypto provider beside the underlying crate's
//! own operation, in one criterion run (suite 0x0001: Ed25519,
//! DHKEM(X25519, HKDF-SHA256), AES-128-GCM, SHA-256).
//!
//! Every pair does the same work from the same inputs: `provider/` goes
//! through `cohort_rust_crypto::RustCrypto` (and, for HPKE, the core's
//! RFC 9180 construction on top of it), `crate/` calls `ed25519-dalek`,
//! `x25519-dalek`, `hkdf`, `sha2` and `aes-gcm` directly. The HPKE `crate/`
//! rows are the floor of RFC 9180 base mode, not a second HPKE: seal is one
//! fixed-base multiplication (the ephemeral key), one Diffie-Hellman, five
//! HKDF-Extract and five HKDF-Expand calls (DeriveKeyPair, ExtractAndExpand,
//! KeySchedule) and one AES-128-GCM seal; open is one Diffie-Hellman, four
//! of each HKDF call and one AEAD open. `hpke-crate/` is the `hpke` crate's
//! own single-shot seal and open of the same suite.
//!
//! `cargo bench -p cohort --bench primitives -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{Aead, KeyInit, Nonce, Payload};
use cohort::crypto::SuiteCrypto;
use cohort_basic_credential::SignatureKeyPair;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{AeadId, Ciphersuite, Crypto, HashAlgorithm, KdfId, Rand, Signer};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

const SUITE: Ciphersuite = Ciphersuite(1);
const KIB: [u8; 1024] = [0x5a; 1024];

fn signatures(c: &mut Criterion) {
    let crypto = RustCrypto::new();
    let rand = SeededRand::from_u64(1);
    let scheme = SUITE.params().unwrap().signature;
    let pair = SignatureKeyPair::generate(crypto, scheme, &rand).unwrap();
    let seed: [u8; 32] = pair.private_key().as_bytes().try_into().unwrap();
    let dalek = ed25519_dalek::SigningKey::from_bytes(&seed);
    let sig = pair.sign(&KIB).unwrap();
    let public: [u8; 32] = pair.public_key().try_into().unwrap();

    let mut g = c.benchmark_group("ed25519");
    g.bench_function(BenchmarkId::new("sign_1KiB", "provider"), |b| {
        b.iter(|| black_box(pair.sign(black_box(&KIB)).unwrap()))
    });
    g.bench_function(BenchmarkId::new("sign_1KiB", "crate"), |b| {
        use ed25519_dalek::Signer as _;
        b.iter(|| black_box(dalek.sign(black_box(&KIB)).to_bytes().to_vec()))
    });
    g.bench_function(BenchmarkId::new("sign_1KiB", "provider-raw-key"), |b| {
        b.iter(|| {
            black_box(
                crypto
                    .sign(scheme, pair.private_key().as_bytes(), black_box(&KIB))
                    .unwrap(),
            )
        })
    });
    g.bench_function(BenchmarkId::new("verify_1KiB", "provider"), |b| {
        b.iter(|| {
            crypto
                .verify(scheme, &public, black_box(&KIB), &sig)
                .unwrap()
        })
    });
    // The provider receives the key and signature as bytes, so the crate's
    // operation includes decoding them (and keeps `verify_strict`).
    g.bench_function(BenchmarkId::new("verify_1KiB", "crate"), |b| {
        b.iter(|| {
            let vk = ed25519_dalek::VerifyingKey::from_bytes(&public).unwrap();
            let s = ed25519_dalek::Signature::from_slice(&sig).unwrap();
            vk.verify_strict(black_box(&KIB), &s).unwrap()
        })
    });
    let decoded = ed25519_dalek::VerifyingKey::from_bytes(&public).unwrap();
    g.bench_function(
        BenchmarkId::new("verify_1KiB", "crate-key-decoded-once"),
        |b| {
            let s = ed25519_dalek::Signature::from_slice(&sig).unwrap();
            b.iter(|| decoded.verify_strict(black_box(&KIB), &s).unwrap())
        },
    );
    g.finish();
}

/// `LabeledExtract` / `LabeledExpand`-sized HKDF calls, for the floors.
fn extract(salt: &[u8], ikm: &[u8]) -> [u8; 32] {
    Hkdf::<Sha256>::extract(Some(salt), ikm).0.into()
}

fn expand(prk: &[u8; 32], info: &[u8], out: &mut [u8]) {
    Hkdf::<Sha256>::from_prk(prk)
        .unwrap()
        .expand(info, out)
        .unwrap();
}

/// An AES-128-GCM cipher and nonce from bytes, as the provider makes them
/// per call.
fn aes128gcm(key: &[u8], nonce: &[u8]) -> (Aes128Gcm, Nonce<Aes128Gcm>) {
    let cipher = Aes128Gcm::new_from_slice(key).unwrap();
    (cipher, Nonce::<Aes128Gcm>::try_from(nonce).unwrap())
}

/// The floor of an RFC 9180 base-mode seal of `pt` to `pk_r`.
fn floor_seal(rand: &SeededRand, pk_r: &x25519_dalek::PublicKey, pt: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut ikm = [0u8; 32];
    rand.fill(&mut ikm).unwrap();
    // DeriveKeyPair(ikm).
    let dkp = extract(b"", &ikm);
    let mut sk = [0u8; 32];
    expand(&dkp, b"\x00\x20HPKE-v1KEM\x00\x20sk", &mut sk);
    let sk_e = x25519_dalek::StaticSecret::from(sk);
    let enc = x25519_dalek::PublicKey::from(&sk_e);
    // Encap: DH and ExtractAndExpand.
    let dh = sk_e.diffie_hellman(pk_r);
    let eae = extract(b"", dh.as_bytes());
    let mut shared = [0u8; 32];
    expand(
        &eae,
        &[&enc.as_bytes()[..], &pk_r.as_bytes()[..]].concat(),
        &mut shared,
    );
    // KeySchedule: psk_id_hash, info_hash, secret; key, base_nonce,
    // exporter_secret.
    let psk_id_hash = extract(b"", b"psk_id_hash");
    let info_hash = extract(b"", b"info_hash");
    let secret = extract(&shared, b"secret");
    let context = [&[0u8][..], &psk_id_hash, &info_hash].concat();
    let (mut key, mut nonce, mut exporter) = ([0u8; 16], [0u8; 12], [0u8; 32]);
    expand(&secret, &context, &mut key);
    expand(&secret, &context, &mut nonce);
    expand(&secret, &context, &mut exporter);
    let (aead, nonce) = aes128gcm(&key, &nonce);
    let ct = aead.encrypt(&nonce, Payload { msg: pt, aad: b"" }).unwrap();
    (enc.as_bytes().to_vec(), ct)
}

/// The floor of an RFC 9180 base-mode open (recipient public key known).
fn floor_open(
    sk_r: &x25519_dalek::StaticSecret,
    pk_r: &x25519_dalek::PublicKey,
    enc: &[u8; 32],
    ct: &[u8],
) -> usize {
    let dh = sk_r.diffie_hellman(&x25519_dalek::PublicKey::from(*enc));
    let eae = extract(b"", dh.as_bytes());
    let mut shared = [0u8; 32];
    expand(&eae, &[&enc[..], pk_r.as_bytes()].concat(), &mut shared);
    let psk_id_hash = extract(b"", b"psk_id_hash");
    let info_hash = extract(b"", b"info_hash");
    let secret = extract(&shared, b"secret");
    let context = [&[0u8][..], &psk_id_hash, &info_hash].concat();
    let (mut key, mut nonce, mut exporter) = ([0u8; 16], [0u8; 12], [0u8; 32]);
    expand(&secret, &context, &mut key);
    expand(&secret, &context, &mut nonce);
    expand(&secret, &context, &mut exporter);
    let (aead, nonce) = aes128gcm(&key, &nonce);
    // The floor's key differs from the sender's, so the tag cannot match:
    // the AEAD work is done either way.
    aead.decrypt(&nonce, Payload { msg: ct, aad: b"" })
        .map_or(0, |pt| pt.len())
}

fn hpke(c: &mut Criterion) {
    let crypto = RustCrypto::new();
    let rand = SeededRand::from_u64(2);
    let cs = SuiteCrypto::new(&crypto, SUITE).unwrap();
    let (sk, pk) = cs.derive_key_pair(&[3; 32]).unwrap();
    let pt = [1u8; 32];
    let ct = cs
        .encrypt_with_label(&rand, &pk, b"x", b"ctx", &pt)
        .unwrap();
    let sk_r = x25519_dalek::StaticSecret::from(<[u8; 32]>::try_from(sk.as_bytes()).unwrap());
    let pk_r = x25519_dalek::PublicKey::from(&sk_r);
    let enc: [u8; 32] = ct.kem_output.as_slice().try_into().unwrap();

    let mut g = c.benchmark_group("hpke_x25519_aes128gcm_32B");
    g.bench_function(BenchmarkId::new("seal", "provider"), |b| {
        b.iter(|| {
            black_box(
                cs.encrypt_with_label(&rand, &pk, b"x", b"ctx", &pt)
                    .unwrap(),
            )
        })
    });
    g.bench_function(BenchmarkId::new("seal", "crate"), |b| {
        b.iter(|| black_box(floor_seal(&rand, &pk_r, &pt)))
    });
    g.bench_function(BenchmarkId::new("open", "provider"), |b| {
        b.iter(|| {
            black_box(
                cs.decrypt_with_label_for(
                    sk.as_bytes(),
                    Some(&pk),
                    b"x",
                    b"ctx",
                    ct.kem_output.as_slice(),
                    ct.ciphertext.as_slice(),
                )
                .unwrap(),
            )
        })
    });
    g.bench_function(BenchmarkId::new("open", "crate"), |b| {
        b.iter(|| black_box(floor_open(&sk_r, &pk_r, &enc, ct.ciphertext.as_slice())))
    });
    hpke_crate(&mut g, &pk, sk.as_bytes(), &pt);
    g.bench_function(BenchmarkId::new("derive_key_pair", "provider"), |b| {
        b.iter(|| black_box(cs.derive_key_pair(black_box(&[4; 32])).unwrap()))
    });
    g.bench_function(BenchmarkId::new("derive_key_pair", "crate"), |b| {
        b.iter(|| {
            let dkp = extract(b"", black_box(&[4; 32]));
            let mut sk = [0u8; 32];
            expand(&dkp, b"\x00\x20HPKE-v1KEM\x00\x20sk", &mut sk);
            let sk = x25519_dalek::StaticSecret::from(sk);
            black_box(x25519_dalek::PublicKey::from(&sk).to_bytes())
        })
    });
    g.finish();
}

/// The `hpke` crate's single-shot seal and open of the same suite.
fn hpke_crate(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    pk: &[u8],
    sk: &[u8],
    pt: &[u8],
) {
    use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
    use rand::SeedableRng;
    type K = hpke::kem::X25519HkdfSha256;
    type A = hpke::aead::AesGcm128;
    type F = hpke::kdf::HkdfSha256;
    let pk = <K as hpke::Kem>::PublicKey::from_bytes(pk).unwrap();
    let sk = <K as hpke::Kem>::PrivateKey::from_bytes(sk).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let (enc, ct) =
        hpke::single_shot_seal_with_rng::<A, F, K>(&OpModeS::Base, &pk, b"info", pt, b"", &mut rng)
            .unwrap();
    g.bench_function(BenchmarkId::new("seal", "hpke-crate"), |b| {
        b.iter(|| {
            let (enc, ct) = hpke::single_shot_seal_with_rng::<A, F, K>(
                &OpModeS::Base,
                &pk,
                b"info",
                pt,
                b"",
                &mut rng,
            )
            .unwrap();
            black_box((enc.to_bytes(), ct))
        })
    });
    g.bench_function(BenchmarkId::new("open", "hpke-crate"), |b| {
        b.iter(|| {
            black_box(
                hpke::single_shot_open::<A, F, K>(&OpModeR::Base, &sk, &enc, b"info", &ct, b"")
                    .unwrap(),
            )
        })
    });
}

fn symmetric(c: &mut Criterion) {
    let crypto = RustCrypto::new();
    let mut g = c.benchmark_group("symmetric");
    g.bench_function(BenchmarkId::new("sha256_1KiB", "provider"), |b| {
        b.iter(|| black_box(crypto.hash(HashAlgorithm::Sha256, black_box(&KIB)).unwrap()))
    });
    g.bench_function(BenchmarkId::new("sha256_1KiB", "crate"), |b| {
        b.iter(|| black_box(Sha256::digest(black_box(&KIB)).to_vec()))
    });
    let prk = [7u8; 32];
    let info = b"MLS 1.0 derived secret";
    g.bench_function(BenchmarkId::new("hkdf_expand_32B", "provider"), |b| {
        b.iter(|| {
            black_box(
                crypto
                    .hkdf_expand(KdfId::HKDF_SHA256, black_box(&prk), info, 32)
                    .unwrap(),
            )
        })
    });
    g.bench_function(BenchmarkId::new("hkdf_expand_32B", "crate"), |b| {
        b.iter(|| {
            let mut out = vec![0u8; 32];
            expand(black_box(&prk), info, &mut out);
            black_box(out)
        })
    });
    g.bench_function(BenchmarkId::new("hkdf_extract", "provider"), |b| {
        b.iter(|| {
            black_box(
                crypto
                    .hkdf_extract(KdfId::HKDF_SHA256, black_box(&prk), &prk)
                    .unwrap(),
            )
        })
    });
    g.bench_function(BenchmarkId::new("hkdf_extract", "crate"), |b| {
        b.iter(|| black_box(extract(black_box(&prk), &prk).to_vec()))
    });
    let (key, nonce) = ([1u8; 16], [2u8; 12]);
    let aead = AeadId::AES_128_GCM;
    let ct = crypto.aead_seal(aead, &key, &nonce, b"aad", &KIB).unwrap();
    g.bench_function(BenchmarkId::new("aes128gcm_seal_1KiB", "provider"), |b| {
        b.iter(|| {
            black_box(
                crypto
                    .aead_seal(aead, &key, &nonce, b"aad", black_box(&KIB))
                    .unwrap(),
            )
        })
    });
    g.bench_function(BenchmarkId::new("aes128gcm_seal_1KiB", "crate"), |b| {
        b.iter(|| {
            let (cipher, n) = aes128gcm(&key, &nonce);
            let payload = Payload {
                msg: black_box(&KIB),
                aad: b"aad",
            };
            black_box(cipher.encrypt(&n, payload).unwrap())
        })
    });
    g.bench_function(BenchmarkId::new("aes128gcm_open_1KiB", "provider"), |b| {
        b.iter(|| {
            black_box(
                crypto
                    .aead_open(aead, &key, &nonce, b"aad", black_box(&ct))
                    .unwrap(),
            )
        })
    });
    g.bench_function(BenchmarkId::new("aes128gcm_open_1KiB", "crate"), |b| {
        b.iter(|| {
            let (cipher, n) = aes128gcm(&key, &nonce);
            let payload = Payload {
                msg: black_box(&ct),
                aad: b"aad",
            };
            black_box(cipher.decrypt(&n, payload).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, signatures, hpke, symmetric);
criterion_main!(benches);
