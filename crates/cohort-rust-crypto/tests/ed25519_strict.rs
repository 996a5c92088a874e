//! The provider's Ed25519 verification accepts and rejects exactly the
//! signatures `ed25519-dalek`'s `verify_strict` does (it checks `R`'s bytes
//! against the small-order encodings instead of decompressing `R`). Each
//! case below is fed to both; the crafted ones are built so that the
//! non-strict equation holds where strictness is what must reject them.

use cohort_rust_crypto::RustCrypto;
use cohort_traits::{Crypto, SignatureScheme};
use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// Whether the strict reference accepts.
fn reference(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(pk) else {
        return false;
    };
    vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(sig))
        .is_ok()
}

/// Both verifiers agree on (pk, msg, sig); returns the verdict.
fn agree(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    let ours = RustCrypto::new()
        .verify(SignatureScheme::ED25519, pk, msg, sig)
        .is_ok();
    assert_eq!(ours, reference(pk, msg, sig), "pk {pk:02x?} sig {sig:02x?}");
    ours
}

/// Whether the non-strict equation `[s]B = R + [k]A` holds.
fn loose(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    use ed25519_dalek::Verifier;
    ed25519_dalek::VerifyingKey::from_bytes(pk).is_ok_and(|vk| {
        vk.verify(msg, &ed25519_dalek::Signature::from_bytes(sig))
            .is_ok()
    })
}

/// `k = H(R || A || M) mod l`.
fn challenge(r: &[u8; 32], a: &[u8; 32], msg: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(msg);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

fn signature(r: &[u8; 32], s: &Scalar) -> [u8; 64] {
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(r);
    sig[32..].copy_from_slice(s.as_bytes());
    sig
}

fn scalar(seed: u8) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&[seed; 64])
}

fn small_order_points() -> [EdwardsPoint; 8] {
    EIGHT_TORSION
}

#[test]
fn valid_and_tampered_signatures() {
    for seed in 0..16u8 {
        let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let pk = key.verifying_key().to_bytes();
        let msg = [seed; 40];
        let sig = ed25519_dalek::Signer::sign(&key, &msg).to_bytes();
        assert!(agree(&pk, &msg, &sig));
        assert!(!agree(&pk, b"another message", &sig));
        for i in [0, 5, 31, 32, 40, 63] {
            let mut bad = sig;
            bad[i] ^= 0x04;
            assert!(!agree(&pk, &msg, &bad));
        }
        // A non-canonical s (s + l) is refused by both.
        let s = Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()).unwrap();
        let mut non_canonical = sig;
        let l_plus_s = add_l(s.as_bytes());
        non_canonical[32..].copy_from_slice(&l_plus_s);
        assert!(!agree(&pk, &msg, &non_canonical));
    }
}

/// The bytes of `s + l` (not reduced), for a non-canonical scalar.
fn add_l(s: &[u8; 32]) -> [u8; 32] {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[i]) + u16::from(L[i]) + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    out
}

/// `R` of small order: with `R` the identity and `s = k·a` the loose
/// equation holds, and strictness must refuse it; with the other seven,
/// nothing verifies.
#[test]
fn small_order_r_is_refused() {
    let a = scalar(7);
    let pk = (a * B).compress().to_bytes();
    for (i, t) in small_order_points().iter().enumerate() {
        let r = t.compress().to_bytes();
        let msg = [i as u8; 12];
        let k = challenge(&r, &pk, &msg);
        let sig = signature(&r, &(k * a));
        if *t == EdwardsPoint::default() {
            assert!(
                loose(&pk, &msg, &sig),
                "the crafted signature is loose-valid"
            );
        }
        assert!(!agree(&pk, &msg, &sig));
    }
    // A non-canonical encoding of the identity (y = 1 + p) as R.
    let mut r = [0xffu8; 32];
    r[0] = 0xee;
    r[31] = 0x7f;
    assert!(CompressedEdwardsY(r).decompress().is_some());
    let k = challenge(&r, &pk, b"m");
    assert!(!agree(&pk, b"m", &signature(&r, &(k * a))));
}

/// `A` of small order: signatures made to satisfy the loose equation
/// (`s = 0`, `R = -[k]A`, searched over messages since `k` depends on
/// `R`) must be refused.
#[test]
fn small_order_a_is_refused() {
    for t in small_order_points() {
        let pk = t.compress().to_bytes();
        let mut found = 0;
        for m in 0..200u8 {
            let msg = [m; 8];
            for candidate in small_order_points() {
                let r = candidate.compress().to_bytes();
                let k = challenge(&r, &pk, &msg);
                if (-(k * t)).compress().to_bytes() == r {
                    let sig = signature(&r, &Scalar::ZERO);
                    assert!(loose(&pk, &msg, &sig));
                    assert!(!agree(&pk, &msg, &sig));
                    found += 1;
                }
            }
        }
        assert!(
            found > 0,
            "no loose-valid signature found for a small-order key"
        );
        // With s ≠ 0, R = [s]B - [j]T is not of small order: only the key
        // check refuses these (searched for k ≡ j modulo T's order).
        let s = scalar(3);
        let mut found = 0;
        for m in 0..100u8 {
            let msg = [m; 9];
            for j in 0..8u8 {
                let jt = Scalar::from(j) * t;
                let r = (s * B - jt).compress().to_bytes();
                let k = challenge(&r, &pk, &msg);
                if k * t == jt {
                    let sig = signature(&r, &s);
                    assert!(loose(&pk, &msg, &sig));
                    assert!(!agree(&pk, &msg, &sig));
                    found += 1;
                }
            }
        }
        assert!(found > 0, "no loose-valid signature with R of large order");
    }
}

/// `A = [a]B + T` of mixed order (not small order): a signature `s = r +
/// k·a` verifies exactly when `[k]T` vanishes, and both verifiers agree
/// either way; so for a mixed-order `R`.
#[test]
fn mixed_order_points_agree() {
    let a = scalar(9);
    let (mut accepted, mut refused) = (0, 0);
    for t in small_order_points().into_iter().skip(1) {
        let pk = (a * B + t).compress().to_bytes();
        for m in 0..40u8 {
            let msg = [m; 16];
            let r_scalar = scalar(m.wrapping_add(100));
            let r = (r_scalar * B).compress().to_bytes();
            let k = challenge(&r, &pk, &msg);
            let sig = signature(&r, &(r_scalar + k * a));
            if agree(&pk, &msg, &sig) {
                accepted += 1;
            } else {
                refused += 1;
            }
            // R of mixed order never verifies with s = r + k·a.
            let r_mixed = (r_scalar * B + t).compress().to_bytes();
            let k = challenge(&r_mixed, &pk, &msg);
            agree(&pk, &msg, &signature(&r_mixed, &(r_scalar + k * a)));
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
}
