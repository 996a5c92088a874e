/// A failure of the random source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("random source failed: {0}")]
pub struct RandError(pub &'static str);

/// A cryptographically secure random source.
///
/// The protocol core draws every random value it needs from this trait, so a
/// seeded implementation replays a whole run exactly.
pub trait Rand: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandError>;
}

/// A shared reference to a random source is a random source.
impl<T: Rand + ?Sized> Rand for &T {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandError> {
        (**self).fill(buf)
    }
}
