//! Resolving PreSharedKeyIDs to PSK values (RFC 9420 section 8.4).

use crate::codec::encode;
use crate::crypto::SuiteCrypto;
use crate::messages::{PreSharedKeyId, Psk};
use crate::schedule::{PskInput, psk_secret};
use crate::{Error, ValidationError};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use cohort_traits::{Crypto, Secret};

/// Where PSK values come from.
pub(crate) struct PskSources<'a> {
    pub external: &'a BTreeMap<Vec<u8>, Secret>,
    pub group_id: &'a [u8],
    pub resumption: &'a BTreeMap<u64, Secret>,
}

/// `psk_secret` for `ids`, in order, each id resolved to its value:
/// external PSKs by id, resumption PSKs of this group by epoch. A PSK the
/// member does not have is an error (C-PSK-02).
pub(crate) fn resolve_psk_secret<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    ids: &[PreSharedKeyId],
    sources: &PskSources<'_>,
) -> Result<Secret, Error> {
    let mut encoded = Vec::with_capacity(ids.len());
    let mut values = Vec::with_capacity(ids.len());
    for id in ids {
        let value = match &id.psk {
            Psk::External { psk_id } => sources.external.get(psk_id.as_slice()),
            Psk::Resumption {
                psk_group_id,
                psk_epoch,
                ..
            } if psk_group_id.as_slice() == sources.group_id => sources.resumption.get(psk_epoch),
            Psk::Resumption { .. } => None,
        }
        .ok_or(ValidationError::PskNotFound)?;
        encoded.push(encode(id)?);
        values.push(value);
    }
    let inputs: Vec<PskInput<'_>> = encoded
        .iter()
        .zip(&values)
        .map(|(id, psk)| PskInput {
            id,
            psk: psk.as_bytes(),
        })
        .collect();
    psk_secret(cs, &inputs)
}
