use alloc::vec::Vec;

/// A failure of the storage backend or of a stored record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The backend failed (I/O, database error).
    #[error("storage backend failed: {0}")]
    Backend(alloc::string::String),
    /// A record carries a format version this build does not understand.
    #[error("unsupported record format version {0}")]
    UnsupportedVersion(u16),
    /// A record could not be decoded.
    #[error("corrupt record")]
    Corrupt,
    /// A record decodes but a field is outside its documented range (a
    /// count that does not match the data it describes, a configuration
    /// value beyond its limit): the field's name.
    #[error("record field {0} out of range")]
    OutOfRange(&'static str),
}

/// The kinds of record a backend stores. Each kind is its own key space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RecordKind {
    /// A group's current state, keyed by group id.
    GroupState,
    /// The secrets of a past epoch, keyed by group id and epoch.
    PastEpoch,
    /// The private keys of a KeyPackage, keyed by its reference.
    KeyPackage,
    /// A pre-shared key, keyed by its PreSharedKeyID.
    Psk,
    /// A signature key pair, keyed by its public key.
    SignatureKey,
    /// A group's public ratchet tree, keyed like its state.
    Tree,
    /// The node secrets of a group's current-epoch secret tree, keyed by
    /// group and epoch.
    SecretTree,
    /// One member's sender ratchets in a group's current epoch, keyed by
    /// group, epoch and leaf.
    SenderRatchets,
}

impl RecordKind {
    /// Every kind, in the order of their codes.
    pub const ALL: [RecordKind; 8] = [
        RecordKind::GroupState,
        RecordKind::PastEpoch,
        RecordKind::KeyPackage,
        RecordKind::Psk,
        RecordKind::SignatureKey,
        RecordKind::Tree,
        RecordKind::SecretTree,
        RecordKind::SenderRatchets,
    ];

    /// The kind's stable number, for backends that store it (never 0, and
    /// never reused for another kind).
    pub const fn code(self) -> u8 {
        match self {
            RecordKind::GroupState => 1,
            RecordKind::PastEpoch => 2,
            RecordKind::KeyPackage => 3,
            RecordKind::Psk => 4,
            RecordKind::SignatureKey => 5,
            RecordKind::Tree => 6,
            RecordKind::SecretTree => 7,
            RecordKind::SenderRatchets => 8,
        }
    }

    /// The kind numbered `code`, if any.
    pub fn from_code(code: u8) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageOp {
    /// Insert or replace the record under `key`.
    Put {
        /// Record kind.
        kind: RecordKind,
        /// Record key.
        key: Vec<u8>,
        /// Encoded record, including its format version.
        value: Vec<u8>,
    },
    /// Delete the record under `key`, if present.
    Delete {
        /// Record kind.
        kind: RecordKind,
        /// Record key.
        key: Vec<u8>,
    },
}

/// Persistent storage of coarse records with atomic batches.
///
/// Every state change of a group (a new epoch, past-epoch records added or
/// expired, a consumed key package) reaches the backend as one call to
/// [`Storage::apply`], which must apply all of it or none of it, so a crash
/// never leaves half an epoch behind.
pub trait Storage: Send + Sync {
    /// Reads the record of `kind` under `key`.
    fn get(&self, kind: RecordKind, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
    /// Applies every operation of `batch` atomically.
    fn apply(&self, batch: &[StorageOp]) -> Result<(), StorageError>;
    /// The keys of the records of `kind` whose key starts with `prefix`, in
    /// ascending byte order.
    fn list_keys(&self, kind: RecordKind, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StorageError>;
}

/// Shared references to, boxes of and shared pointers to a backend are
/// backends (several clients, or a client and the application, can hold
/// one storage).
macro_rules! delegate_storage {
    ($($wrapper:tt)*) => {
        impl<T: Storage + ?Sized> Storage for $($wrapper)* {
            fn get(&self, kind: RecordKind, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
                (**self).get(kind, key)
            }
            fn apply(&self, batch: &[StorageOp]) -> Result<(), StorageError> {
                (**self).apply(batch)
            }
            fn list_keys(
                &self,
                kind: RecordKind,
                prefix: &[u8],
            ) -> Result<Vec<Vec<u8>>, StorageError> {
                (**self).list_keys(kind, prefix)
            }
        }
    };
}

delegate_storage!(&T);
delegate_storage!(alloc::boxed::Box<T>);
delegate_storage!(alloc::sync::Arc<T>);

#[cfg(test)]
mod tests {
    use super::RecordKind;

    #[test]
    fn record_kind_codes_are_distinct_nonzero_and_round_trip() {
        for (i, kind) in RecordKind::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(kind.code()), i + 1);
            assert_eq!(RecordKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(RecordKind::from_code(0), None);
        assert_eq!(RecordKind::from_code(9), None);
    }
}
