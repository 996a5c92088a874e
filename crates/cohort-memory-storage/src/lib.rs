//! An in-memory [`Storage`] backend for Cohort: for tests, ephemeral
//! clients, and clients that keep their state elsewhere as one blob
//! ([`MemoryStorage::export`], [`MemoryStorage::import`]; a web page's
//! IndexedDB, say). Batches apply atomically under one lock.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod snapshot;

pub use snapshot::SnapshotError;

use cohort_traits::{RecordKind, Storage, StorageError, StorageOp};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// Records by kind and key.
type Records = BTreeMap<(RecordKind, Vec<u8>), Vec<u8>>;

/// Records in a map behind a mutex.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    records: Mutex<Records>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // Map insertions and removals cannot fail midway through a batch, so
        // a lock poisoned by a panic elsewhere still guards consistent data.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The number of records stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

impl Storage for MemoryStorage {
    fn get(&self, kind: RecordKind, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.lock().get(&(kind, key.to_vec())).cloned())
    }

    fn apply(&self, batch: &[StorageOp]) -> Result<(), StorageError> {
        let mut records = self.lock();
        for op in batch {
            match op {
                StorageOp::Put { kind, key, value } => {
                    records.insert((*kind, key.clone()), value.clone());
                }
                StorageOp::Delete { kind, key } => {
                    records.remove(&(*kind, key.clone()));
                }
            }
        }
        Ok(())
    }

    fn list_keys(&self, kind: RecordKind, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StorageError> {
        Ok(self
            .lock()
            .range((kind, prefix.to_vec())..)
            .take_while(|((k, key), _)| *k == kind && key.starts_with(prefix))
            .map(|((_, key), _)| key.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_put_and_delete() {
        let s = MemoryStorage::new();
        s.apply(&[
            StorageOp::Put {
                kind: RecordKind::GroupState,
                key: b"g".to_vec(),
                value: b"1".to_vec(),
            },
            StorageOp::Put {
                kind: RecordKind::Psk,
                key: b"g".to_vec(),
                value: b"2".to_vec(),
            },
        ])
        .unwrap();
        assert_eq!(
            s.get(RecordKind::GroupState, b"g").unwrap(),
            Some(b"1".to_vec())
        );
        assert_eq!(s.get(RecordKind::Psk, b"g").unwrap(), Some(b"2".to_vec()));
        s.apply(&[StorageOp::Delete {
            kind: RecordKind::Psk,
            key: b"g".to_vec(),
        }])
        .unwrap();
        assert_eq!(s.get(RecordKind::Psk, b"g").unwrap(), None);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn keys_are_listed_by_kind_and_prefix() {
        let s = MemoryStorage::new();
        let put = |kind, key: &[u8]| StorageOp::Put {
            kind,
            key: key.to_vec(),
            value: vec![1],
        };
        s.apply(&[
            put(RecordKind::GroupState, b"ab"),
            put(RecordKind::GroupState, b"abc"),
            put(RecordKind::GroupState, b"b"),
            put(RecordKind::Tree, b"abd"),
            put(RecordKind::GroupState, b"a"),
        ])
        .unwrap();
        assert_eq!(
            s.list_keys(RecordKind::GroupState, b"ab").unwrap(),
            vec![b"ab".to_vec(), b"abc".to_vec()]
        );
        assert_eq!(s.list_keys(RecordKind::GroupState, b"").unwrap().len(), 4);
        assert!(s.list_keys(RecordKind::Psk, b"").unwrap().is_empty());
    }
}
