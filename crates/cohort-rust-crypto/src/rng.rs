//! Random sources: the OS generator, a seeded generator, and the fixed-bytes
//! generator that makes KEM encapsulation deterministic.

use core::convert::Infallible;
use core::fmt;

use cohort_traits::{Rand, RandError};
use rand::rngs::ChaCha20Rng;
#[cfg(feature = "std")]
use rand::rngs::SysRng;
use rand::{Rng, SeedableRng, TryRng};
use rand_core::TryCryptoRng;

/// Fills `buf` from the operating system's generator.
#[cfg(feature = "std")]
pub(crate) fn fill_from_os(buf: &mut [u8]) -> Result<(), RandError> {
    SysRng
        .try_fill_bytes(buf)
        .map_err(|_| RandError("operating system RNG failed"))
}

/// A deterministic random source: ChaCha20 keyed with a 32-byte seed.
///
/// The same seed yields the same byte stream on every platform, so a whole
/// run driven by this source replays exactly. For tests and simulations only:
/// anyone who knows the seed knows every key it produced.
pub struct SeededRand {
    rng: Lock<ChaCha20Rng>,
}

/// std's mutex where there is one, a spin lock in `no_std` builds.
#[cfg(feature = "std")]
type Lock<T> = std::sync::Mutex<T>;
#[cfg(not(feature = "std"))]
type Lock<T> = spin::Mutex<T>;

impl SeededRand {
    /// A generator keyed with `seed`.
    pub fn new(seed: [u8; 32]) -> Self {
        SeededRand {
            rng: Lock::new(ChaCha20Rng::from_seed(seed)),
        }
    }

    /// A generator keyed with `seed` as a little-endian integer, zero-padded
    /// to 32 bytes (convenient for numbered test runs).
    pub fn from_u64(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        for (dst, src) in bytes.iter_mut().zip(seed.to_le_bytes()) {
            *dst = src;
        }
        Self::new(bytes)
    }
}

impl fmt::Debug for SeededRand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeededRand { .. }")
    }
}

impl Rand for SeededRand {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandError> {
        // A panic while holding the lock cannot leave the generator in an
        // invalid state, so a poisoned lock is still usable.
        #[cfg(feature = "std")]
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        #[cfg(not(feature = "std"))]
        let mut rng = self.rng.lock();
        rng.fill_bytes(buf);
        Ok(())
    }
}

/// A "random" generator that yields exactly the given bytes, for the
/// `DeriveKeyPair(randomness)` step inside `hpke`'s `encap_with_rng`.
///
/// Drawing more than the given bytes yields zeros and records the overdraw,
/// which the caller turns into an error; [`FixedBytes::fully_consumed`] checks
/// that exactly the given bytes were used.
pub(crate) struct FixedBytes<'a> {
    bytes: &'a [u8],
    overdrawn: bool,
}

impl<'a> FixedBytes<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        FixedBytes {
            bytes,
            overdrawn: false,
        }
    }

    /// Whether every byte was drawn and no more.
    pub(crate) fn fully_consumed(&self) -> bool {
        self.bytes.is_empty() && !self.overdrawn
    }
}

impl TryRng for FixedBytes<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        match self.bytes.split_at_checked(dst.len()) {
            Some((head, rest)) => {
                dst.copy_from_slice(head);
                self.bytes = rest;
            }
            None => {
                dst.fill(0);
                self.overdrawn = true;
            }
        }
        Ok(())
    }
}

impl TryCryptoRng for FixedBytes<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_rand_is_reproducible() {
        let (a, b) = (SeededRand::new([7; 32]), SeededRand::new([7; 32]));
        let (mut x, mut y) = ([0u8; 40], [0u8; 40]);
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        assert_eq!(x, y);
        a.fill(&mut x).unwrap();
        assert_ne!(x, y);
        let c = SeededRand::from_u64(1);
        let mut z = [0u8; 40];
        c.fill(&mut z).unwrap();
        assert_ne!(z, y);
    }

    #[test]
    fn os_rand_fills() {
        let mut x = [0u8; 32];
        crate::RustCrypto.fill(&mut x).unwrap();
        assert_ne!(x, [0u8; 32]);
    }

    #[test]
    fn fixed_bytes_detects_overdraw() {
        let data = [1u8, 2, 3, 4];
        let mut r = FixedBytes::new(&data);
        let mut two = [0u8; 2];
        r.try_fill_bytes(&mut two).unwrap();
        assert_eq!(two, [1, 2]);
        assert!(!r.fully_consumed());
        r.try_fill_bytes(&mut two).unwrap();
        assert!(r.fully_consumed());
        r.try_fill_bytes(&mut two).unwrap();
        assert_eq!(two, [0, 0]);
        assert!(!r.fully_consumed());
    }
}
