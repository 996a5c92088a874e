//! transcript-hashes.json: confirmed and interim transcript hashes and the
//! confirmation tag (RFC 9420 sections 6.1, 8.2).

use crate::Tally;
use crate::json::{expect_eq, hex};
use cohort::codec::decode_exact;
use cohort::crypto::SuiteCrypto;
use cohort::framing::AuthenticatedContent;
use cohort::framing::ContentType;
use cohort::schedule::{
    interim_transcript_hash, next_confirmed_transcript_hash, verify_confirmation_tag,
};
use cohort_traits::{Crypto, Rand, Secret};
use serde_json::Value;

pub(crate) fn run<C: Crypto + ?Sized>(
    crypto: &C,
    _: &dyn Rand,
    file: &str,
    cases: &[Value],
) -> Tally {
    crate::per_suite(crypto, file, cases, |cs, case| check(cs, case))
}

fn check<C: Crypto + ?Sized>(cs: &SuiteCrypto<'_, C>, case: &Value) -> Result<(), String> {
    let ac: AuthenticatedContent = decode_exact(&hex(case, "authenticated_content")?)
        .map_err(|e| format!("authenticated_content: {e}"))?;
    if ac.content.content_type() != ContentType::Commit {
        return Err("authenticated_content is not a commit".into());
    }
    let tag = ac
        .auth
        .confirmation_tag
        .as_ref()
        .ok_or("commit without confirmation tag")?;
    let input = ac
        .confirmed_transcript_hash_input()
        .map_err(|e| e.to_string())?;
    let confirmed =
        next_confirmed_transcript_hash(cs, &hex(case, "interim_transcript_hash_before")?, &input)
            .map_err(|e| e.to_string())?;
    expect_eq(
        "confirmed_transcript_hash_after",
        &confirmed,
        &hex(case, "confirmed_transcript_hash_after")?,
    )?;
    let key = Secret::new(hex(case, "confirmation_key")?);
    verify_confirmation_tag(cs, &key, &confirmed, tag.as_slice())
        .map_err(|e| format!("confirmation tag: {e}"))?;
    let interim =
        interim_transcript_hash(cs, &confirmed, tag.as_slice()).map_err(|e| e.to_string())?;
    expect_eq(
        "interim_transcript_hash_after",
        &interim,
        &hex(case, "interim_transcript_hash_after")?,
    )
}
