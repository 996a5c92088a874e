//! The libcrux and RustCrypto providers side by side, per primitive, for
//! the suites both implement: hashing and AEAD on 1 KiB, HKDF-Expand of 32
//! bytes, KEM `DeriveKeyPair`/`Encap`/`Decap`, and signing/verification.
//!
//! `cargo bench -p cohort-libcrux --bench providers -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use cohort_libcrux::LibcruxCrypto;
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{AeadId, Crypto, HashAlgorithm, KdfId, KemId, SignatureScheme};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// 1 KiB of payload for hashing and AEAD.
const PAYLOAD: [u8; 1024] = [0x5a; 1024];

fn providers() -> [(&'static str, &'static dyn Crypto); 2] {
    static RUST_CRYPTO: RustCrypto = RustCrypto::new();
    static LIBCRUX: LibcruxCrypto = LibcruxCrypto::new();
    [("rust-crypto", &RUST_CRYPTO), ("libcrux", &LIBCRUX)]
}

fn hash(c: &mut Criterion) {
    let mut g = c.benchmark_group("hash_1KiB");
    for (alg, name) in [
        (HashAlgorithm::Sha256, "SHA-256"),
        (HashAlgorithm::Sha512, "SHA-512"),
    ] {
        for (provider, crypto) in providers() {
            g.bench_function(BenchmarkId::new(name, provider), |b| {
                b.iter(|| crypto.hash(alg, black_box(&PAYLOAD)).unwrap())
            });
        }
    }
    g.finish();
}

fn hkdf(c: &mut Criterion) {
    let mut g = c.benchmark_group("hkdf_expand_32B");
    for kdf in [KdfId::HKDF_SHA256, KdfId::HKDF_SHA512] {
        let prk = vec![7u8; kdf.extract_len().unwrap()];
        for (provider, crypto) in providers() {
            g.bench_function(BenchmarkId::new(kdf.name().unwrap(), provider), |b| {
                b.iter(|| {
                    crypto
                        .hkdf_expand(kdf, black_box(&prk), b"MLS 1.0 derived secret", 32)
                        .unwrap()
                })
            });
        }
    }
    g.finish();
}

fn aead(c: &mut Criterion) {
    for aead in [
        AeadId::AES_128_GCM,
        AeadId::CHACHA20_POLY1305,
        AeadId::AES_256_GCM,
    ] {
        let key = vec![1u8; aead.key_len().unwrap()];
        let nonce = vec![2u8; aead.nonce_len().unwrap()];
        let name = aead.name().unwrap();
        let ct = RustCrypto::new()
            .aead_seal(aead, &key, &nonce, b"aad", &PAYLOAD)
            .unwrap();
        let mut g = c.benchmark_group("aead_1KiB");
        for (provider, crypto) in providers() {
            g.bench_function(BenchmarkId::new(format!("{name} seal"), provider), |b| {
                b.iter(|| {
                    crypto
                        .aead_seal(aead, &key, &nonce, b"aad", black_box(&PAYLOAD))
                        .unwrap()
                })
            });
            g.bench_function(BenchmarkId::new(format!("{name} open"), provider), |b| {
                b.iter(|| {
                    crypto
                        .aead_open(aead, &key, &nonce, b"aad", black_box(&ct))
                        .unwrap()
                })
            });
        }
        g.finish();
    }
}

fn kem(c: &mut Criterion) {
    for kem in [
        KemId::DHKEM_X25519,
        KemId::DHKEM_P256,
        KemId::XWING,
        KemId::ML_KEM_1024,
    ] {
        let name = kem.name().unwrap();
        let (sk, pk) = RustCrypto::new()
            .kem_derive_key_pair(kem, &[3u8; 32])
            .unwrap();
        let randomness = vec![4u8; kem.encap_randomness_len().unwrap()];
        let enc = RustCrypto::new()
            .kem_encap(kem, &pk, &randomness)
            .unwrap()
            .enc;
        let mut g = c.benchmark_group("kem");
        for (provider, crypto) in providers() {
            g.bench_function(BenchmarkId::new(format!("{name} derive"), provider), |b| {
                b.iter(|| {
                    crypto
                        .kem_derive_key_pair(kem, black_box(&[3u8; 32]))
                        .unwrap()
                })
            });
            g.bench_function(BenchmarkId::new(format!("{name} encap"), provider), |b| {
                b.iter(|| crypto.kem_encap(kem, black_box(&pk), &randomness).unwrap())
            });
            g.bench_function(BenchmarkId::new(format!("{name} decap"), provider), |b| {
                b.iter(|| {
                    crypto
                        .kem_decap(kem, black_box(&enc), sk.as_bytes())
                        .unwrap()
                })
            });
        }
        g.finish();
    }
}

fn signature(c: &mut Criterion) {
    for scheme in [
        SignatureScheme::ED25519,
        SignatureScheme::ECDSA_SECP256R1_SHA256,
        SignatureScheme::MLDSA87,
    ] {
        let name = scheme.name().unwrap();
        let seed = cohort_rust_crypto::SeededRand::from_u64(5);
        let (sk, pk) = RustCrypto::new()
            .signature_key_generate(scheme, &seed)
            .unwrap();
        let msg = [0x33u8; 256];
        let sig = RustCrypto::new().sign(scheme, sk.as_bytes(), &msg).unwrap();
        let mut g = c.benchmark_group("signature_256B");
        for (provider, crypto) in providers() {
            g.bench_function(BenchmarkId::new(format!("{name} sign"), provider), |b| {
                b.iter(|| crypto.sign(scheme, sk.as_bytes(), black_box(&msg)).unwrap())
            });
            g.bench_function(BenchmarkId::new(format!("{name} verify"), provider), |b| {
                b.iter(|| crypto.verify(scheme, &pk, black_box(&msg), &sig).unwrap())
            });
        }
        g.finish();
    }
}

criterion_group!(benches, hash, hkdf, aead, kem, signature);
criterion_main!(benches);
