//! The client's signature key pair and credential, stored as one
//! [`RecordKind::SignatureKey`] record (layout in the crate documentation).

use crate::CohortError;
use cohort::codec::{decode_exact, encode, read_opaque, write_opaque};
use cohort::messages::Credential;
use cohort_basic_credential::SignatureKeyPair;
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{Ciphersuite, RecordKind, Secret, Signer, Storage, StorageOp};
use zeroize::Zeroize;

/// The format version of the record this build writes and reads.
const RECORD_VERSION: u16 = 1;

/// A client's signing identity.
pub(crate) struct StoredSigner {
    pub(crate) key_pair: SignatureKeyPair<RustCrypto>,
    pub(crate) credential: Credential,
}

/// `opaque(identity)`: the prefix of the identity's record keys.
fn prefix(identity: &[u8]) -> Result<Vec<u8>, CohortError> {
    let mut out = Vec::with_capacity(identity.len().saturating_add(4));
    write_opaque(identity, &mut out)?;
    Ok(out)
}

fn corrupt(what: &str) -> CohortError {
    CohortError::Storage(format!("signature key record: {what}"))
}

fn take_u16(bytes: &[u8]) -> Result<(u16, &[u8]), CohortError> {
    let (head, rest) = bytes
        .split_first_chunk::<2>()
        .ok_or_else(|| corrupt("truncated"))?;
    Ok((u16::from_be_bytes(*head), rest))
}

/// The identity's stored signer, or a fresh one for `suite`, stored
/// before it is returned.
///
/// Errors: [`CohortError::Misuse`] when the stored one is of another
/// cipher suite; [`CohortError::Storage`] when several are stored or the
/// record does not decode.
pub(crate) fn load_or_create(
    storage: &dyn Storage,
    identity: &[u8],
    suite: Ciphersuite,
) -> Result<StoredSigner, CohortError> {
    let scheme = suite
        .params()
        .ok_or_else(|| {
            CohortError::InvalidArgument(format!("unknown cipher suite 0x{:04x}", suite.0))
        })?
        .signature;
    let prefix = prefix(identity)?;
    let keys = storage.list_keys(RecordKind::SignatureKey, &prefix)?;
    match keys.as_slice() {
        [] => create(storage, &prefix, identity, suite),
        [key] => {
            let mut value = storage
                .get(RecordKind::SignatureKey, key)?
                .ok_or_else(|| corrupt("listed but not found"))?;
            let out = decode(&value, suite, scheme);
            value.zeroize();
            let signer = out?;
            let expected_key = key.get(prefix.len()..).unwrap_or_default();
            if signer.key_pair.public_key() != expected_key {
                return Err(corrupt("public key differs from its record key"));
            }
            Ok(signer)
        }
        _ => Err(corrupt("several signature keys stored for this identity")),
    }
}

fn create(
    storage: &dyn Storage,
    prefix: &[u8],
    identity: &[u8],
    suite: Ciphersuite,
) -> Result<StoredSigner, CohortError> {
    let scheme = suite
        .params()
        .ok_or_else(|| corrupt("unknown cipher suite"))?
        .signature;
    let crypto = RustCrypto::new();
    let key_pair = SignatureKeyPair::generate(crypto, scheme, &crypto)?;
    let credential = Credential::basic(identity);
    let mut key = prefix.to_vec();
    key.extend_from_slice(key_pair.public_key());
    let mut value = Vec::new();
    value.extend_from_slice(&RECORD_VERSION.to_be_bytes());
    value.extend_from_slice(&suite.0.to_be_bytes());
    let written = write_opaque(key_pair.private_key().as_bytes(), &mut value)
        .and_then(|()| write_opaque(&encode(&credential)?, &mut value));
    if let Err(e) = written {
        value.zeroize();
        return Err(e.into());
    }
    let mut batch = [StorageOp::Put {
        kind: RecordKind::SignatureKey,
        key,
        value,
    }];
    let applied = storage.apply(&batch);
    if let [StorageOp::Put { value, .. }] = &mut batch {
        value.zeroize();
    }
    applied?;
    Ok(StoredSigner {
        key_pair,
        credential,
    })
}

fn decode(
    bytes: &[u8],
    suite: Ciphersuite,
    scheme: cohort_traits::SignatureScheme,
) -> Result<StoredSigner, CohortError> {
    let (version, rest) = take_u16(bytes)?;
    if version != RECORD_VERSION {
        return Err(corrupt(&format!("unknown format version {version}")));
    }
    let (stored_suite, rest) = take_u16(rest)?;
    if stored_suite != suite.0 {
        return Err(CohortError::Misuse(format!(
            "this identity's client is stored with cipher suite 0x{stored_suite:04x}, \
             not 0x{:04x}",
            suite.0
        )));
    }
    let (private_key, rest) = read_opaque(rest).map_err(|_| corrupt("truncated private key"))?;
    let (credential, rest) = read_opaque(rest).map_err(|_| corrupt("truncated credential"))?;
    if !rest.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    let credential: Credential =
        decode_exact(credential).map_err(|e| corrupt(&format!("credential: {e}")))?;
    let key_pair = SignatureKeyPair::from_private_key(
        RustCrypto::new(),
        scheme,
        Secret::from_slice(private_key),
    )?;
    Ok(StoredSigner {
        key_pair,
        credential,
    })
}
