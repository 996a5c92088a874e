//! Independent work run in parallel behind the `parallel` feature (rayon),
//! in order otherwise: leaf-signature checks of a received tree, HPKE
//! encryptions to a path's copath resolution, and the GroupSecrets of each
//! new member in a Welcome.
//!
//! Results are always collected in input order, so errors and outputs do not
//! depend on scheduling. Randomness is drawn from the provider before the
//! parallel part, in the order a sequential run draws it (see
//! [`predraw`]), so seeded runs give the same bytes with and without the
//! feature.

use crate::Error;
use alloc::vec::Vec;
use cohort_traits::{Rand, RandError};

/// Below this many items the work stays on the calling thread: waking a
/// pool thread costs about as much as one signature check or HPKE
/// encryption (measured with the group benchmark: a join of 2 members
/// took 232 µs in parallel and 171 µs in order).
#[cfg(feature = "parallel")]
const MIN_PARALLEL: usize = 8;

/// `f` over `items`, results in input order.
#[cfg(feature = "parallel")]
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    if items.len() < MIN_PARALLEL {
        return items.iter().map(f).collect();
    }
    items.par_iter().map(f).collect()
}

/// `f` over `items`, results in input order.
#[cfg(not(feature = "parallel"))]
pub(crate) fn map<T, R>(items: &[T], f: impl Fn(&T) -> R) -> Vec<R> {
    items.iter().map(f).collect()
}

/// Runs the check `f` on every item; the first error in input order.
#[cfg(feature = "parallel")]
pub(crate) fn check_all<T: Sync>(
    items: &[T],
    f: impl Fn(&T) -> Result<(), Error> + Sync + Send,
) -> Result<(), Error> {
    map(items, f).into_iter().collect()
}

/// Runs the check `f` on every item, stopping at the first error.
#[cfg(not(feature = "parallel"))]
pub(crate) fn check_all<T>(items: &[T], f: impl Fn(&T) -> Result<(), Error>) -> Result<(), Error> {
    items.iter().try_for_each(f)
}

/// `count` blocks of `len` random bytes, drawn in order from `rand`.
pub(crate) fn predraw(rand: &dyn Rand, count: usize, len: usize) -> Result<Vec<Drawn>, Error> {
    (0..count)
        .map(|_| {
            let mut bytes = alloc::vec![0u8; len];
            rand.fill(&mut bytes)?;
            Ok(Drawn(zeroize::Zeroizing::new(bytes)))
        })
        .collect()
}

/// Randomness drawn ahead for one operation that asks for it once.
pub(crate) struct Drawn(zeroize::Zeroizing<Vec<u8>>);

impl Rand for Drawn {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandError> {
        if buf.len() != self.0.len() {
            return Err(RandError("pre-drawn randomness of another length"));
        }
        buf.copy_from_slice(&self.0);
        Ok(())
    }
}
