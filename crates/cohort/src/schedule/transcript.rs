use crate::crypto::SuiteCrypto;
use crate::{Error, ValidationError};
use alloc::vec::Vec;
use cohort_traits::{Crypto, Secret};
use subtle::ConstantTimeEq;

/// `confirmed_transcript_hash_[epoch] = Hash(interim_transcript_hash_[epoch - 1]
/// || ConfirmedTranscriptHashInput_[epoch])` (RFC 9420 section 8.2), where
/// `confirmed_input` is the encoded `ConfirmedTranscriptHashInput`
/// (wire_format, FramedContent, signature).
pub fn next_confirmed_transcript_hash<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    interim_transcript_hash: &[u8],
    confirmed_input: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut input = Vec::with_capacity(
        interim_transcript_hash
            .len()
            .saturating_add(confirmed_input.len()),
    );
    input.extend_from_slice(interim_transcript_hash);
    input.extend_from_slice(confirmed_input);
    cs.hash(&input)
}

/// `interim_transcript_hash_[epoch] = Hash(confirmed_transcript_hash_[epoch]
/// || InterimTranscriptHashInput_[epoch])`, where the input is the encoded
/// `struct { MAC confirmation_tag; }` (RFC 9420 section 8.2).
pub fn interim_transcript_hash<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    confirmed_transcript_hash: &[u8],
    confirmation_tag: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut input = Vec::with_capacity(
        confirmed_transcript_hash
            .len()
            .saturating_add(confirmation_tag.len())
            .saturating_add(4),
    );
    input.extend_from_slice(confirmed_transcript_hash);
    crate::codec::write_opaque(confirmation_tag, &mut input)?;
    cs.hash(&input)
}

/// `confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash)`
/// (RFC 9420 section 6.1).
pub fn confirmation_tag<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    confirmation_key: &Secret,
    confirmed_transcript_hash: &[u8],
) -> Result<Vec<u8>, Error> {
    Ok(cs
        .mac(confirmation_key.as_bytes(), confirmed_transcript_hash)?
        .as_bytes()
        .to_vec())
}

/// Checks a received confirmation tag in constant time.
pub fn verify_confirmation_tag<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    confirmation_key: &Secret,
    confirmed_transcript_hash: &[u8],
    tag: &[u8],
) -> Result<(), Error> {
    let expected = cs.mac(confirmation_key.as_bytes(), confirmed_transcript_hash)?;
    if bool::from(expected.as_bytes().ct_eq(tag)) {
        Ok(())
    } else {
        Err(ValidationError::ConfirmationTagMismatch.into())
    }
}
