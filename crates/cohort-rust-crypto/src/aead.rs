//! AES-GCM and ChaCha20-Poly1305.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, Nonce, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use alloc::vec::Vec;
use chacha20poly1305::ChaCha20Poly1305;
use cohort_traits::{AeadId, CryptoError, Secret};

/// Builds the cipher and nonce, rejecting wrong key or nonce lengths.
fn setup<A: KeyInit + AeadCore>(key: &[u8], nonce: &[u8]) -> Result<(A, Nonce<A>), CryptoError> {
    let cipher = A::new_from_slice(key).map_err(|_| CryptoError::InvalidLength)?;
    let nonce = Nonce::<A>::try_from(nonce).map_err(|_| CryptoError::InvalidLength)?;
    Ok((cipher, nonce))
}

fn seal_with<A: KeyInit + Aead>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    msg: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let (cipher, nonce) = setup::<A>(key, nonce)?;
    cipher
        .encrypt(&nonce, Payload { msg, aad })
        // Only fails for inputs beyond the algorithm's length limit.
        .map_err(|_| CryptoError::InvalidLength)
}

fn open_with<A: KeyInit + Aead>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    msg: &[u8],
) -> Result<Secret, CryptoError> {
    let (cipher, nonce) = setup::<A>(key, nonce)?;
    cipher
        .decrypt(&nonce, Payload { msg, aad })
        .map(Secret::new)
        .map_err(|_| CryptoError::AeadOpenFailed)
}

/// AEAD encryption; the tag is appended to the ciphertext.
pub(crate) fn seal(
    aead: AeadId,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    match aead {
        AeadId::AES_128_GCM => seal_with::<Aes128Gcm>(key, nonce, aad, plaintext),
        AeadId::AES_256_GCM => seal_with::<Aes256Gcm>(key, nonce, aad, plaintext),
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
    match aead {
        AeadId::AES_128_GCM => open_with::<Aes128Gcm>(key, nonce, aad, ciphertext),
        AeadId::AES_256_GCM => open_with::<Aes256Gcm>(key, nonce, aad, ciphertext),
        AeadId::CHACHA20_POLY1305 => open_with::<ChaCha20Poly1305>(key, nonce, aad, ciphertext),
        other => Err(CryptoError::UnsupportedAead(other)),
    }
}
