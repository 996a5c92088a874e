//! Resolving PreSharedKeyIDs to PSK values (RFC 9420 section 8.4).

use super::state::Group;
use crate::codec::encode;
use crate::crypto::SuiteCrypto;
use crate::messages::{PreSharedKeyId, Psk, ResumptionPskUsage};
use crate::schedule::{PskInput, psk_secret};
use crate::{Error, ValidationError};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use cohort_traits::{Crypto, Secret};

/// Where PSK values come from: external PSKs by id, and the resumption PSKs
/// of the groups at hand by group id and epoch: the current group first (if
/// any), then the old group of a reinit or branch.
pub(crate) struct PskSources<'a> {
    pub external: &'a BTreeMap<Vec<u8>, Secret>,
    pub groups: &'a [&'a Group],
}

impl<'a> PskSources<'a> {
    /// The value of `id`, if known. A reinitialized group may keep its old
    /// group's id (RFC 9420 section 11.2), so a reinit or branch PSK, which
    /// always names the old group, is looked up from the last group back,
    /// and an application PSK from the current group on.
    fn value(&self, id: &PreSharedKeyId) -> Option<&'a Secret> {
        match &id.psk {
            Psk::External { psk_id } => self.external.get(psk_id.as_slice()),
            Psk::Resumption {
                usage,
                psk_group_id,
                psk_epoch,
            } => {
                let value = |g: &&'a Group| -> Option<&'a Secret> {
                    if g.group_id() == psk_group_id.as_slice() {
                        g.resumption_psk(*psk_epoch)
                    } else {
                        None
                    }
                };
                if *usage == ResumptionPskUsage::Application {
                    self.groups.iter().find_map(value)
                } else {
                    self.groups.iter().rev().find_map(value)
                }
            }
        }
    }
}

/// `psk_secret` for `ids`, in order (RFC 9420 section 8.4). A PSK the
/// member does not have is an error (C-PSK-06, C-PSK-07), as is a
/// resumption PSK of an epoch past the retention bound (C-PSK-10).
pub(crate) fn resolve_psk_secret<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    ids: &[PreSharedKeyId],
    sources: &PskSources<'_>,
) -> Result<Secret, Error> {
    let mut encoded = Vec::with_capacity(ids.len());
    let mut values = Vec::with_capacity(ids.len());
    for id in ids {
        values.push(sources.value(id).ok_or(ValidationError::PskNotFound)?);
        encoded.push(encode(id)?);
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

/// A fresh `psk_nonce` of `KDF.Nh` random bytes (RFC 9420 section 8.4;
/// C-PSK-02).
pub(crate) fn fresh_nonce<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    rand: &dyn cohort_traits::Rand,
) -> Result<Vec<u8>, Error> {
    let mut nonce = alloc::vec![0u8; cs.hash_len()];
    rand.fill(&mut nonce)?;
    Ok(nonce)
}
