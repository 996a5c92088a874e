//! The application's clock, for KeyPackage lifetimes (RFC 9420 section 7.3).
//! The core is `no_std` and has no time source of its own; with its `std`
//! feature, [`SystemClock`] reads the operating system's.

use alloc::sync::Arc;

/// The current time, in seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> u64;
}

/// The operating system's clock (`std::time::SystemTime`), with the `std`
/// feature. A time before the Unix epoch reads as 0. Not for
/// `wasm32-unknown-unknown`, which has no system clock: a browser
/// application supplies one from JavaScript's `Date.now()`.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// An optional shared [`Clock`] in a [`GroupConfig`](super::GroupConfig).
/// With one, a member refuses to send an Add whose KeyPackage is outside
/// its lifetime (C-LN-14) and refuses received Adds that are (C-LN-15).
/// Without one (the default) lifetimes are not checked. Like the policies it
/// is runtime configuration, not saved with the group.
///
/// Two values are equal when both are empty or hold the same clock object.
#[derive(Clone, Default)]
pub struct SharedClock(Option<Arc<dyn Clock>>);

impl SharedClock {
    /// Holds `clock`.
    pub fn new<T: Clock + 'static>(clock: T) -> Self {
        SharedClock(Some(Arc::new(clock)))
    }

    /// The time, if a clock is installed.
    pub fn now(&self) -> Option<u64> {
        self.0.as_ref().map(|c| c.now())
    }
}

/// Equality of the runtime hooks of a configuration ([`SharedClock`], the
/// shared policy and credential validator): both absent, or the same
/// object.
pub(crate) fn same_hook<T: ?Sized>(a: &Option<Arc<T>>, b: &Option<Arc<T>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        _ => false,
    }
}

impl PartialEq for SharedClock {
    fn eq(&self, other: &Self) -> bool {
        same_hook(&self.0, &other.0)
    }
}

impl Eq for SharedClock {}

impl core::fmt::Debug for SharedClock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(if self.0.is_some() {
            "SharedClock(installed)"
        } else {
            "SharedClock(none)"
        })
    }
}
