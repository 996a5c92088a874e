//! GREASE values in what this client generates (RFC 9420 section 13.5;
//! C-GREASE-05, C-GREASE-06): one or two random values from the fifteen
//! reserved ones in each capabilities list of a new leaf, and a GREASE
//! extension with random data in a new leaf's, KeyPackage's or GroupInfo's
//! extensions. Never in a proposal type, a credential type or group context
//! extensions (C-GREASE-07 to C-GREASE-10), and never in what this client
//! uses to decide what it supports (C-GREASE-12): only the lists it sends
//! carry them.

use crate::Error;
use crate::codec::VarVec;
use crate::messages::{Capabilities, CredentialType, ExtensionType, Extensions, ProposalType};
use alloc::vec::Vec;
use cohort_traits::{Ciphersuite, Rand};

/// The fifteen GREASE values `0x0A0A`, `0x1A1A`, ..., `0xEAEA`.
pub(crate) const GREASE_VALUES: [u16; 15] = {
    let mut values = [0u16; 15];
    let mut i = 0;
    while i < 15 {
        let b = (i as u16) << 4 | 0x0a;
        values[i] = b << 8 | b;
        i += 1;
    }
    values
};

/// The most random bytes in a GREASE extension's data.
const MAX_GREASE_DATA: usize = 16;

/// One random byte.
fn random_byte(rand: &dyn Rand) -> Result<u8, Error> {
    let mut b = [0u8; 1];
    rand.fill(&mut b)?;
    Ok(b[0])
}

/// A uniformly random GREASE value (rejection sampling over one byte).
fn random_grease(rand: &dyn Rand) -> Result<u16, Error> {
    loop {
        let b = random_byte(rand)?;
        // 240 = 16 * 15: below it, `b % 15` is uniform.
        if b < 240 {
            return Ok(GREASE_VALUES[usize::from(b % 15)]);
        }
    }
}

/// A random GREASE value not in `taken`, or `None` when every one is.
fn fresh_grease(rand: &dyn Rand, taken: &[u16]) -> Result<Option<u16>, Error> {
    if GREASE_VALUES.iter().all(|v| taken.contains(v)) {
        return Ok(None);
    }
    loop {
        let v = random_grease(rand)?;
        if !taken.contains(&v) {
            return Ok(Some(v));
        }
    }
}

/// Appends one or two random GREASE values not already in `list`.
fn grease_list<T: Copy>(
    list: &mut VarVec<T>,
    rand: &dyn Rand,
    value: impl Fn(T) -> u16,
    make: impl Fn(u16) -> T,
) -> Result<(), Error> {
    let count = 1 + usize::from(random_byte(rand)? & 1);
    for _ in 0..count {
        let taken: Vec<u16> = list.0.iter().map(|t| value(*t)).collect();
        if let Some(v) = fresh_grease(rand, &taken)? {
            list.0.push(make(v));
        }
    }
    Ok(())
}

/// Adds one or two random GREASE values to each of the cipher suites,
/// extensions, proposals and credentials lists of `caps` (RFC 9420 section
/// 13.5; the versions list is not one of them).
pub(crate) fn grease_capabilities(caps: &mut Capabilities, rand: &dyn Rand) -> Result<(), Error> {
    grease_list(&mut caps.cipher_suites, rand, |s| s.0, Ciphersuite)?;
    grease_list(&mut caps.extensions, rand, |t| t.0, ExtensionType)?;
    grease_list(&mut caps.proposals, rand, |t| t.0, ProposalType)?;
    grease_list(&mut caps.credentials, rand, |t| t.0, CredentialType)?;
    Ok(())
}

/// Appends to `list` an extension of a random GREASE type it does not hold
/// yet, with 0 to 16 random bytes of data, and returns that type (`None`
/// when the list already holds all fifteen).
pub(crate) fn grease_extension(
    list: &mut Extensions,
    rand: &dyn Rand,
) -> Result<Option<ExtensionType>, Error> {
    let taken: Vec<u16> = list.iter().map(|e| e.extension_type.0).collect();
    let Some(v) = fresh_grease(rand, &taken)? else {
        return Ok(None);
    };
    let len = usize::from(random_byte(rand)?) % (MAX_GREASE_DATA + 1);
    let mut data = alloc::vec![0u8; len];
    rand.fill(&mut data)?;
    list.push_encoded(ExtensionType(v), data);
    Ok(Some(ExtensionType(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::is_grease;

    #[test]
    fn grease_values_are_the_fifteen_reserved_ones() {
        let all: Vec<u16> = (0..=0xffffu16).filter(|v| is_grease(*v)).collect();
        assert_eq!(all.as_slice(), GREASE_VALUES.as_slice());
    }
}
