//! A whole [`MemoryStorage`] as one byte string, and back.
//!
//! Layout (integers big-endian):
//!
//! ```text
//! magic    "CMEM"
//! version  u16          (1)
//! count    u32          number of records
//! count x  kind   u8    record kind (`RecordKind::code`)
//!          key    u32 length, bytes
//!          value  u32 length, bytes
//! ```
//!
//! Records are written in (kind, key) order. Decoding checks every length
//! against the bytes that remain before it copies anything, so a snapshot
//! never allocates more than its own size; it refuses an unknown version or
//! kind, a record stored twice and trailing bytes, each with its own
//! [`SnapshotError`].

use crate::{MemoryStorage, Records};
use cohort_traits::RecordKind;
use std::sync::Mutex;

/// The first bytes of a snapshot.
const MAGIC: &[u8; 4] = b"CMEM";
/// The snapshot format this build writes and reads.
const VERSION: u16 = 1;
/// The smallest encoded record: a kind and two empty lengths.
const MIN_RECORD_LEN: usize = 1 + 4 + 4;

/// Why a snapshot could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The bytes end inside the named field.
    #[error("storage snapshot truncated in {0}")]
    Truncated(&'static str),
    /// The bytes do not start with the snapshot magic.
    #[error("not a storage snapshot (bad magic)")]
    BadMagic,
    /// A snapshot format this build does not read.
    #[error("unsupported storage snapshot version {0}")]
    UnsupportedVersion(u16),
    /// A record kind this build does not know.
    #[error("unknown record kind {0} in storage snapshot")]
    UnknownRecordKind(u8),
    /// More records announced than the bytes can hold.
    #[error("storage snapshot record count {0} exceeds its length")]
    RecordCountTooLarge(u32),
    /// The same kind and key twice.
    #[error("duplicate record in storage snapshot")]
    DuplicateRecord,
    /// Bytes after the last record.
    #[error("trailing bytes after storage snapshot")]
    TrailingBytes,
    /// Export: a field longer than a `u32` length can say.
    #[error("storage snapshot field {0} too long")]
    TooLong(&'static str),
}

/// Appends `bytes` with a `u32` length.
fn put_bytes(out: &mut Vec<u8>, bytes: &[u8], field: &'static str) -> Result<(), SnapshotError> {
    let len = u32::try_from(bytes.len()).map_err(|_| SnapshotError::TooLong(field))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// A reader over a snapshot that names the field it was reading when the
/// bytes run out.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], SnapshotError> {
        if self.rest.len() < n {
            return Err(SnapshotError::Truncated(field));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], SnapshotError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    fn bytes(&mut self, field: &'static str) -> Result<&'a [u8], SnapshotError> {
        let len = u32::from_be_bytes(self.array(field)?);
        let len = usize::try_from(len).map_err(|_| SnapshotError::Truncated(field))?;
        self.take(len, field)
    }
}

impl MemoryStorage {
    /// Every record, as one byte string for [`MemoryStorage::import`].
    /// It holds whatever the records hold (private keys and epoch secrets
    /// included): keep it as secret as the client itself.
    ///
    /// Errors: a record kind newer than this backend, or a key or value
    /// over 4 GiB.
    pub fn export(&self) -> Result<Vec<u8>, SnapshotError> {
        let records = self.lock();
        let count = u32::try_from(records.len()).map_err(|_| SnapshotError::TooLong("count"))?;
        let len = records.iter().fold(10usize, |acc, ((_, k), v)| {
            acc.saturating_add(MIN_RECORD_LEN)
                .saturating_add(k.len())
                .saturating_add(v.len())
        });
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        for ((kind, key), value) in records.iter() {
            let code = kind.code();
            out.push(code);
            put_bytes(&mut out, key, "key")?;
            put_bytes(&mut out, value, "value")?;
        }
        Ok(out)
    }

    /// A store holding the records of a snapshot made by
    /// [`MemoryStorage::export`]. Every length is checked against the
    /// bytes that remain; see [`SnapshotError`] for what is refused.
    pub fn import(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let mut r = Reader { rest: bytes };
        if &r.array::<4>("magic")? != MAGIC {
            return Err(SnapshotError::BadMagic);
        }
        let version = u16::from_be_bytes(r.array("version")?);
        if version != VERSION {
            return Err(SnapshotError::UnsupportedVersion(version));
        }
        let count = u32::from_be_bytes(r.array("count")?);
        let fits = usize::try_from(count)
            .ok()
            .and_then(|c| c.checked_mul(MIN_RECORD_LEN))
            .is_some_and(|need| need <= r.rest.len());
        if !fits {
            return Err(SnapshotError::RecordCountTooLarge(count));
        }
        let mut records = Records::new();
        for _ in 0..count {
            let [code] = r.array("kind")?;
            let kind = RecordKind::from_code(code).ok_or(SnapshotError::UnknownRecordKind(code))?;
            let key = r.bytes("key")?.to_vec();
            let value = r.bytes("value")?.to_vec();
            if records.insert((kind, key), value).is_some() {
                return Err(SnapshotError::DuplicateRecord);
            }
        }
        if !r.rest.is_empty() {
            return Err(SnapshotError::TrailingBytes);
        }
        Ok(MemoryStorage {
            records: Mutex::new(records),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_traits::{Storage, StorageOp};

    fn sample() -> MemoryStorage {
        let s = MemoryStorage::new();
        let put = |kind, key: &[u8], value: &[u8]| StorageOp::Put {
            kind,
            key: key.to_vec(),
            value: value.to_vec(),
        };
        s.apply(&[
            put(RecordKind::GroupState, b"g1", b"state"),
            put(RecordKind::Tree, b"g1", b""),
            put(RecordKind::KeyPackage, b"", b"kp"),
            put(RecordKind::SenderRatchets, b"g1\x00\x01", &[7; 300]),
        ])
        .unwrap();
        s
    }

    #[test]
    fn export_then_import_keeps_every_record() {
        let s = sample();
        let bytes = s.export().unwrap();
        let t = MemoryStorage::import(&bytes).unwrap();
        assert_eq!(t.len(), 4);
        assert_eq!(
            t.get(RecordKind::GroupState, b"g1").unwrap(),
            Some(b"state".to_vec())
        );
        assert_eq!(t.get(RecordKind::Tree, b"g1").unwrap(), Some(Vec::new()));
        assert_eq!(
            t.get(RecordKind::SenderRatchets, b"g1\x00\x01").unwrap(),
            Some(vec![7; 300])
        );
        assert_eq!(t.export().unwrap(), bytes);
        let empty = MemoryStorage::new().export().unwrap();
        assert!(MemoryStorage::import(&empty).unwrap().is_empty());
    }

    #[test]
    fn every_truncation_is_refused_by_name() {
        let bytes = sample().export().unwrap();
        for cut in 0..bytes.len() {
            let err = MemoryStorage::import(&bytes[..cut]).unwrap_err();
            assert!(
                matches!(
                    err,
                    SnapshotError::Truncated(_) | SnapshotError::RecordCountTooLarge(_)
                ),
                "cut at {cut}: {err:?}"
            );
        }
        assert!(matches!(
            MemoryStorage::import(&bytes[..3]),
            Err(SnapshotError::Truncated("magic"))
        ));
    }

    #[test]
    fn malformed_snapshots_get_named_errors() {
        let bytes = sample().export().unwrap();
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(
            MemoryStorage::import(&bad).err(),
            Some(SnapshotError::BadMagic)
        );

        let mut bad = bytes.clone();
        bad[5] = 2;
        assert_eq!(
            MemoryStorage::import(&bad).err(),
            Some(SnapshotError::UnsupportedVersion(2))
        );

        // The first record's kind byte follows the 10-byte header.
        let mut bad = bytes.clone();
        bad[10] = 99;
        assert_eq!(
            MemoryStorage::import(&bad).err(),
            Some(SnapshotError::UnknownRecordKind(99))
        );

        let mut bad = bytes.clone();
        bad[6..10].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            MemoryStorage::import(&bad).err(),
            Some(SnapshotError::RecordCountTooLarge(u32::MAX))
        );

        // A key length past the end.
        let mut bad = bytes.clone();
        bad[11..15].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            MemoryStorage::import(&bad).err(),
            Some(SnapshotError::Truncated("key"))
        );

        let mut bad = bytes.clone();
        bad.push(0);
        assert_eq!(
            MemoryStorage::import(&bad).err(),
            Some(SnapshotError::TrailingBytes)
        );

        // One record written twice.
        let one = MemoryStorage::new();
        one.apply(&[StorageOp::Put {
            kind: RecordKind::Psk,
            key: b"k".to_vec(),
            value: b"v".to_vec(),
        }])
        .unwrap();
        let single = one.export().unwrap();
        let mut twice = single.clone();
        twice[6..10].copy_from_slice(&2u32.to_be_bytes());
        twice.extend_from_slice(&single[10..]);
        assert_eq!(
            MemoryStorage::import(&twice).err(),
            Some(SnapshotError::DuplicateRecord)
        );
    }
}
