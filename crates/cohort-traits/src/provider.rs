use crate::{Crypto, Rand, Storage};

/// Everything the protocol core needs from its environment.
///
/// Applications pick one implementation of each trait; functions of the
/// core take `&impl Provider` rather than three arguments.
pub trait Provider {
    /// Cryptographic primitives.
    type Crypto: Crypto;
    /// Random source.
    type Rand: Rand;
    /// Persistent state.
    type Storage: Storage;

    /// The crypto provider.
    fn crypto(&self) -> &Self::Crypto;
    /// The random source.
    fn rand(&self) -> &Self::Rand;
    /// The storage backend.
    fn storage(&self) -> &Self::Storage;
}
