//! AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 on libcrux.

use cohort_traits::{AeadId, CryptoError, Secret};
use libcrux_aead::aesgcm128::AesGcm128;
use libcrux_aead::aesgcm256::AesGcm256;
use libcrux_aead::chacha20poly1305::ChaCha20Poly1305;
use libcrux_traits::aead::slice::{Aead, DecryptError};
use zeroize::Zeroize;

/// `Nt` of every supported AEAD.
const TAG_LEN: usize = 16;

/// Rejects keys and nonces of the wrong length before libcrux sees them.
fn check_lengths(aead: AeadId, key: &[u8], nonce: &[u8]) -> Result<(), CryptoError> {
    let nk = aead.key_len().ok_or(CryptoError::UnsupportedAead(aead))?;
    let nn = aead.nonce_len().ok_or(CryptoError::UnsupportedAead(aead))?;
    if key.len() != nk || nonce.len() != nn {
        return Err(CryptoError::InvalidLength);
    }
    Ok(())
}

fn seal_with<A: Aead>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut out = vec![0u8; plaintext.len() + TAG_LEN];
    let (ciphertext, tag) = out.split_at_mut(plaintext.len());
    // Only fails for inputs beyond the algorithm's length limits.
    A::encrypt(ciphertext, tag, key, nonce, aad, plaintext)
        .map_err(|_| CryptoError::InvalidLength)?;
    Ok(out)
}

fn open_with<A: Aead>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Secret, CryptoError> {
    let body_len = ciphertext
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(CryptoError::AeadOpenFailed)?;
    let (body, tag) = ciphertext.split_at(body_len);
    let mut plaintext = vec![0u8; body_len];
    match A::decrypt(&mut plaintext, key, nonce, aad, body, tag) {
        Ok(()) => Ok(Secret::new(plaintext)),
        Err(e) => {
            plaintext.zeroize();
            Err(match e {
                DecryptError::PlaintextTooLong | DecryptError::AadTooLong => {
                    CryptoError::InvalidLength
                }
                _ => CryptoError::AeadOpenFailed,
            })
        }
    }
}

/// AEAD encryption; the tag is appended to the ciphertext.
pub(crate) fn seal(
    aead: AeadId,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    check_lengths(aead, key, nonce)?;
    match aead {
        AeadId::AES_128_GCM => seal_with::<AesGcm128>(key, nonce, aad, plaintext),
        AeadId::AES_256_GCM => seal_with::<AesGcm256>(key, nonce, aad, plaintext),
        AeadId::CHACHA20_POLY1305 => seal_with::<ChaCha20Poly1305>(key, nonce, aad, plaintext),
        other => Err(CryptoError::UnsupportedAead(other)),
    }
}

/// AEAD decryption of ciphertext with the tag appended.
pub(crate) fn open(
    aead: AeadId,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Secret, CryptoError> {
    check_lengths(aead, key, nonce)?;
    match aead {
        AeadId::AES_128_GCM => open_with::<AesGcm128>(key, nonce, aad, ciphertext),
        AeadId::AES_256_GCM => open_with::<AesGcm256>(key, nonce, aad, ciphertext),
        AeadId::CHACHA20_POLY1305 => open_with::<ChaCha20Poly1305>(key, nonce, aad, ciphertext),
        other => Err(CryptoError::UnsupportedAead(other)),
    }
}
