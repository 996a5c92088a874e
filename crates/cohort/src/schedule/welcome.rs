//! Welcome secrets (RFC 9420 section 12.4.3.1): GroupSecrets sealed to a
//! new member's init key, and the GroupInfo sealed with the welcome key.

use super::WelcomeSecret;
use crate::codec::{decode_exact, encode, write_opaque};
use crate::crypto::SuiteCrypto;
use crate::crypto::hpke::PreparedInfo;
use crate::messages::{EncryptedGroupSecrets, GroupInfo, GroupSecrets, KeyPackageRef};
use crate::{Error, ValidationError};
use cohort_traits::{Crypto, CryptoError, Rand, Secret};

/// The `EncryptWithLabel` label of GroupSecrets.
const WELCOME_LABEL: &[u8] = b"Welcome";
/// The `SignWithLabel` label of GroupInfo.
const GROUP_INFO_LABEL: &[u8] = b"GroupInfoTBS";

/// Prepares the HPKE context shared by every GroupSecrets of one Welcome:
/// `EncryptWithLabel(init_key, "Welcome", encrypted_group_info, ...)` has the
/// same label and context for every new member, so it is hashed once.
pub fn prepare_group_secrets<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    encrypted_group_info: &[u8],
) -> Result<PreparedInfo, Error> {
    cs.prepare_encrypt(WELCOME_LABEL, encrypted_group_info)
}

/// Seals `secrets` to a new member's `init_key`.
pub fn encrypt_group_secrets<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    rand: &dyn Rand,
    prepared: &PreparedInfo,
    new_member: KeyPackageRef,
    init_key: &[u8],
    secrets: &GroupSecrets,
) -> Result<EncryptedGroupSecrets, Error> {
    let plaintext = encode_group_secrets(secrets)?;
    let encrypted_group_secrets =
        cs.encrypt_with_label_prepared(rand, init_key, prepared, plaintext.as_bytes())?;
    Ok(EncryptedGroupSecrets {
        new_member,
        encrypted_group_secrets,
    })
}

/// The encoding of `secrets` (RFC 9420 section 12.4.3.1), written into one
/// buffer of exactly its size that is zeroized on drop: the derived
/// encoder would leave the joiner and path secrets in the intermediate
/// buffers it frees.
pub fn encode_group_secrets(secrets: &GroupSecrets) -> Result<Secret, Error> {
    let mut out = alloc::vec::Vec::with_capacity(tls_codec::Size::tls_serialized_len(secrets));
    write_opaque(secrets.joiner_secret.as_bytes(), &mut out)?;
    match &secrets.path_secret {
        Some(p) => {
            out.push(1);
            write_opaque(p.path_secret.as_bytes(), &mut out)?;
        }
        None => out.push(0),
    }
    // The PSK ids hold no secret.
    out.extend_from_slice(&encode(&secrets.psks)?);
    Ok(Secret::new(out))
}

/// Opens a new member's GroupSecrets with its init private key (C-WEL-03).
///
/// `init_public_key` is the KeyPackage's `init_key` when the caller has it.
pub fn decrypt_group_secrets<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    init_private_key: &[u8],
    init_public_key: Option<&[u8]>,
    secrets: &EncryptedGroupSecrets,
    encrypted_group_info: &[u8],
) -> Result<GroupSecrets, Error> {
    let ct = &secrets.encrypted_group_secrets;
    let plaintext = cs
        .decrypt_with_label_for(
            init_private_key,
            init_public_key,
            WELCOME_LABEL,
            encrypted_group_info,
            ct.kem_output.as_slice(),
            ct.ciphertext.as_slice(),
        )
        .map_err(|e| match e {
            Error::Crypto(CryptoError::AeadOpenFailed | CryptoError::KemDecapFailed) => {
                Error::Validation(ValidationError::GroupSecretsDecryptionFailed)
            }
            other => other,
        })?;
    decode_exact(plaintext.as_bytes())
}

/// Seals an encoded GroupInfo with the welcome key and nonce.
pub fn encrypt_group_info<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    welcome_secret: &WelcomeSecret,
    group_info: &GroupInfo,
) -> Result<alloc::vec::Vec<u8>, Error> {
    welcome_secret.encrypt_group_info(cs, &encode(group_info)?)
}

/// Opens a Welcome's `encrypted_group_info` (C-WEL-04) and decodes it.
pub fn decrypt_group_info<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    welcome_secret: &WelcomeSecret,
    encrypted_group_info: &[u8],
) -> Result<GroupInfo, Error> {
    let plaintext = welcome_secret
        .decrypt_group_info(cs, encrypted_group_info)
        .map_err(|e| match e {
            Error::Crypto(CryptoError::AeadOpenFailed) => {
                Error::Validation(ValidationError::GroupInfoDecryptionFailed)
            }
            other => other,
        })?;
    decode_exact(plaintext.as_bytes())
}

/// Verifies a GroupInfo's signature under the signer's key
/// (`VerifyWithLabel(., "GroupInfoTBS", GroupInfoTBS, signature)`, RFC 9420
/// section 12.4.3).
pub fn verify_group_info<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    signer_key: &[u8],
    group_info: &GroupInfo,
) -> Result<(), Error> {
    cs.verify_with_label(
        signer_key,
        GROUP_INFO_LABEL,
        &group_info.to_be_signed()?,
        group_info.signature.as_slice(),
    )
}

/// Signs a GroupInfo (its `signature` field is replaced).
pub fn sign_group_info<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    signer: &dyn cohort_traits::Signer,
    group_info: &mut GroupInfo,
) -> Result<(), Error> {
    group_info.signature = cs
        .sign_with_label(signer, GROUP_INFO_LABEL, &group_info.to_be_signed()?)?
        .into();
    Ok(())
}
