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
pub(crate) const GREASE_VALUES: [u16; 15] = [
    0x0A0A, 0x1A1A, 0x2A2A, 0x3A3A, 0x4A4A, 0x5A5A, 0x6A6A, 0x7A7A, 0x8A8A, 0x9A9A, 0xAAAA, 0xBABA,
    0xCACA, 0xDADA, 0xEAEA,
];

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
        // 240 = 16 * 15: below it, `b % 15` is uniform; value i is
        // 0xiAiA.
        if b < 240 {
            let half = u16::from(b % 15) << 4 | 0x0a;
            return Ok(half << 8 | half);
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

    /// A source that yields 0, 1, 2, ... 255, 0, ... byte by byte.
    struct Counter(core::sync::atomic::AtomicU8);

    impl Rand for Counter {
        fn fill(&self, buf: &mut [u8]) -> Result<(), cohort_traits::RandError> {
            for b in buf {
                *b = self.0.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            }
            Ok(())
        }
    }

    /// Every byte below 240 gives a GREASE value, each of the fifteen as
    /// often; bytes from 240 up are drawn again.
    #[test]
    fn random_grease_is_uniform_over_the_fifteen() {
        let rand = Counter(core::sync::atomic::AtomicU8::new(0));
        let mut counts = [0u32; 15];
        // 240 draws read the bytes 0..240.
        for _ in 0..240 {
            let v = random_grease(&rand).unwrap();
            let i = GREASE_VALUES.iter().position(|g| *g == v).unwrap();
            counts[i] += 1;
        }
        assert_eq!(counts, [16; 15]);
        // The next draw skips the 16 bytes 240..=255 and reads 0.
        assert_eq!(random_grease(&rand).unwrap(), GREASE_VALUES[0]);
        assert_eq!(rand.0.load(core::sync::atomic::Ordering::Relaxed), 1);
    }

    /// The values added to a list are new to it; a full list gets none.
    #[test]
    fn grease_extension_picks_an_unused_type() {
        let rand = Counter(core::sync::atomic::AtomicU8::new(0));
        let mut list = Extensions::new();
        for _ in 0..15 {
            assert!(grease_extension(&mut list, &rand).unwrap().is_some());
        }
        assert_eq!(list.duplicate(), None);
        assert_eq!(grease_extension(&mut list, &rand).unwrap(), None);
        assert!(
            list.iter()
                .all(|e| e.extension_data.0.len() <= MAX_GREASE_DATA)
        );
    }
}
