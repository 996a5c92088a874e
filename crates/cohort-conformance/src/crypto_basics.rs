//! crypto-basics.json: the constructions of RFC 9420 section 5 and the
//! labelled derivations of sections 8 and 9.

use crate::Tally;
use crate::json::{expect_eq, field, hex, string, u16_of, u32_of};
use cohort::crypto::SuiteCrypto;
use cohort_traits::{Crypto, Rand};
use serde_json::Value;

pub(crate) fn run<C: Crypto + ?Sized>(
    crypto: &C,
    rand: &dyn Rand,
    file: &str,
    cases: &[Value],
) -> Tally {
    crate::per_suite(crypto, file, cases, |cs, case| check(cs, rand, case))
}

fn check<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    rand: &dyn Rand,
    case: &Value,
) -> Result<(), String> {
    let err = |what: &str| {
        let what = what.to_string();
        move |e: cohort::Error| format!("{what}: {e}")
    };

    let v = field(case, "ref_hash")?;
    let out = cs
        .ref_hash(string(v, "label")?.as_bytes(), &hex(v, "value")?)
        .map_err(err("ref_hash"))?;
    expect_eq("ref_hash", &out, &hex(v, "out")?)?;

    let v = field(case, "expand_with_label")?;
    let out = cs
        .expand_with_label(
            &hex(v, "secret")?,
            string(v, "label")?.as_bytes(),
            &hex(v, "context")?,
            u16_of(v, "length")?,
        )
        .map_err(err("expand_with_label"))?;
    expect_eq("expand_with_label", out.as_bytes(), &hex(v, "out")?)?;

    let v = field(case, "derive_secret")?;
    let out = cs
        .derive_secret(&hex(v, "secret")?, string(v, "label")?.as_bytes())
        .map_err(err("derive_secret"))?;
    expect_eq("derive_secret", out.as_bytes(), &hex(v, "out")?)?;

    let v = field(case, "derive_tree_secret")?;
    let out = cs
        .derive_tree_secret(
            &hex(v, "secret")?,
            string(v, "label")?.as_bytes(),
            u32_of(v, "generation")?,
            u16_of(v, "length")?,
        )
        .map_err(err("derive_tree_secret"))?;
    expect_eq("derive_tree_secret", out.as_bytes(), &hex(v, "out")?)?;

    let v = field(case, "sign_with_label")?;
    let (sk, pk) = (hex(v, "priv")?, hex(v, "pub")?);
    let (label, content) = (string(v, "label")?.as_bytes(), hex(v, "content")?);
    cs.verify_with_label(&pk, label, &content, &hex(v, "signature")?)
        .map_err(err("verify_with_label of the vector's signature"))?;
    let sig = cs
        .sign_with_label_key(&sk, label, &content)
        .map_err(err("sign_with_label"))?;
    cs.verify_with_label(&pk, label, &content, &sig)
        .map_err(err("verify_with_label of a fresh signature"))?;
    if cs
        .verify_with_label(&pk, b"other label", &content, &sig)
        .is_ok()
    {
        return Err("verify_with_label accepted a signature under another label".into());
    }

    let v = field(case, "encrypt_with_label")?;
    let (sk, pk) = (hex(v, "priv")?, hex(v, "pub")?);
    let (label, context) = (string(v, "label")?.as_bytes(), hex(v, "context")?);
    let plaintext = hex(v, "plaintext")?;
    let pt = cs
        .decrypt_with_label(
            &sk,
            label,
            &context,
            &hex(v, "kem_output")?,
            &hex(v, "ciphertext")?,
        )
        .map_err(err("decrypt_with_label of the vector's ciphertext"))?;
    expect_eq("decrypt_with_label", pt.as_bytes(), &plaintext)?;
    let ct = cs
        .encrypt_with_label(rand, &pk, label, &context, &plaintext)
        .map_err(err("encrypt_with_label"))?;
    let pt = cs
        .decrypt_with_label(
            &sk,
            label,
            &context,
            ct.kem_output.as_slice(),
            ct.ciphertext.as_slice(),
        )
        .map_err(err("decrypt_with_label of a fresh ciphertext"))?;
    expect_eq("decrypt_with_label round trip", pt.as_bytes(), &plaintext)?;
    Ok(())
}
