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

/// A [`Provider`] made of one value of each part.
#[derive(Debug, Clone, Default)]
pub struct ProviderBundle<C, R, S> {
    /// The crypto provider.
    pub crypto: C,
    /// The random source.
    pub rand: R,
    /// The storage backend.
    pub storage: S,
}

impl<C: Crypto, R: Rand, S: Storage> ProviderBundle<C, R, S> {
    /// Bundles the three parts.
    pub fn new(crypto: C, rand: R, storage: S) -> Self {
        ProviderBundle {
            crypto,
            rand,
            storage,
        }
    }
}

impl<C: Crypto, R: Rand, S: Storage> Provider for ProviderBundle<C, R, S> {
    type Crypto = C;
    type Rand = R;
    type Storage = S;

    fn crypto(&self) -> &C {
        &self.crypto
    }

    fn rand(&self) -> &R {
        &self.rand
    }

    fn storage(&self) -> &S {
        &self.storage
    }
}
