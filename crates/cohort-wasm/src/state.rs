//! The client's own identity kept as a storage record, so that one
//! storage snapshot ([`MemoryStorage::export`]) is the whole client: its
//! signature key, credential, cipher suite and id beside every group,
//! KeyPackage and secret the client stored.
//!
//! The record is a [`RecordKind::SignatureKey`] keyed by the signature
//! public key; its value, in the TLS presentation language:
//!
//! ```text
//! struct {
//!     uint16 version;            // 1
//!     uint16 cipher_suite;
//!     opaque client_id<V>;
//!     opaque signature_private_key<V>;
//!     Credential credential;
//! } ClientIdentity;
//! ```

use crate::Error;
use cohort::codec::VarBytes;
use cohort::messages::Credential;
use cohort_memory_storage::MemoryStorage;
use cohort_traits::{Ciphersuite, RecordKind, Secret, Storage, StorageOp};
use tls_codec::{DeserializeBytes, SerializeBytes};

/// The identity record format this build writes and reads.
const IDENTITY_VERSION: u16 = 1;

/// What a client is, beside its stored groups.
pub(crate) struct Identity {
    pub(crate) ciphersuite: Ciphersuite,
    pub(crate) id: Vec<u8>,
    pub(crate) public_key: Vec<u8>,
    pub(crate) private_key: Secret,
    pub(crate) credential: Credential,
}

/// Decodes one field of the record, naming it on failure.
fn field<'a, T: DeserializeBytes>(
    bytes: &'a [u8],
    name: &'static str,
) -> Result<(T, &'a [u8]), Error> {
    T::tls_deserialize_bytes(bytes).map_err(|_| Error::IdentityField(name))
}

impl Identity {
    /// The record that stores it.
    pub(crate) fn record(&self) -> Result<StorageOp, Error> {
        let mut value = Vec::new();
        let encode = |out: &mut Vec<u8>, r: Result<Vec<u8>, tls_codec::Error>| {
            r.map(|b| out.extend_from_slice(&b))
                .map_err(|_| Error::IdentityField("encoding"))
        };
        encode(&mut value, IDENTITY_VERSION.tls_serialize_bytes())?;
        encode(&mut value, self.ciphersuite.0.tls_serialize_bytes())?;
        encode(
            &mut value,
            VarBytes::from(&self.id[..]).tls_serialize_bytes(),
        )?;
        encode(
            &mut value,
            VarBytes::from(self.private_key.as_bytes()).tls_serialize_bytes(),
        )?;
        encode(&mut value, self.credential.tls_serialize_bytes())?;
        Ok(StorageOp::Put {
            kind: RecordKind::SignatureKey,
            key: self.public_key.clone(),
            value,
        })
    }

    /// The one identity record of `storage`.
    ///
    /// Errors: no record or several ([`Error::IdentityCount`]), a record of
    /// another version, a field that does not decode, trailing bytes.
    pub(crate) fn load(storage: &MemoryStorage) -> Result<Self, Error> {
        let keys = storage
            .list_keys(RecordKind::SignatureKey, b"")
            .map_err(|e| Error::Storage(e.to_string()))?;
        let [public_key] =
            <[Vec<u8>; 1]>::try_from(keys).map_err(|keys| Error::IdentityCount(keys.len()))?;
        let value = storage
            .get(RecordKind::SignatureKey, &public_key)
            .map_err(|e| Error::Storage(e.to_string()))?
            .ok_or(Error::IdentityCount(0))?;
        let (version, rest) = field::<u16>(&value, "version")?;
        if version != IDENTITY_VERSION {
            return Err(Error::IdentityVersion(version));
        }
        let (suite, rest) = field::<u16>(rest, "cipher_suite")?;
        let (id, rest) = field::<VarBytes>(rest, "client_id")?;
        let (private_key, rest) = field::<VarBytes>(rest, "signature_private_key")?;
        let (credential, rest) = field::<Credential>(rest, "credential")?;
        if !rest.is_empty() {
            return Err(Error::IdentityField("trailing bytes"));
        }
        Ok(Identity {
            ciphersuite: Ciphersuite(suite),
            id: id.0,
            public_key,
            private_key: Secret::new(private_key.0),
            credential,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Identity {
        Identity {
            ciphersuite: Ciphersuite(1),
            id: b"alice".to_vec(),
            public_key: vec![9; 32],
            private_key: Secret::new(vec![5; 32]),
            credential: Credential::basic("alice"),
        }
    }

    fn store(op: StorageOp) -> MemoryStorage {
        let s = MemoryStorage::new();
        s.apply(&[op]).unwrap();
        s
    }

    #[test]
    fn identity_record_round_trips() {
        let s = store(sample().record().unwrap());
        let back = Identity::load(&MemoryStorage::import(&s.export().unwrap()).unwrap()).unwrap();
        assert_eq!(back.ciphersuite, Ciphersuite(1));
        assert_eq!(back.id, b"alice");
        assert_eq!(back.public_key, vec![9; 32]);
        assert_eq!(back.private_key.as_bytes(), &[5; 32]);
        assert_eq!(back.credential, Credential::basic("alice"));
    }

    #[test]
    fn bad_identity_records_get_named_errors() {
        assert!(matches!(
            Identity::load(&MemoryStorage::new()),
            Err(Error::IdentityCount(0))
        ));
        let StorageOp::Put { key, value, .. } = sample().record().unwrap() else {
            unreachable!()
        };
        let put = |value: Vec<u8>| StorageOp::Put {
            kind: RecordKind::SignatureKey,
            key: key.clone(),
            value,
        };
        let mut v = value.clone();
        v[1] = 2;
        assert!(matches!(
            Identity::load(&store(put(v))),
            Err(Error::IdentityVersion(2))
        ));
        assert!(matches!(
            Identity::load(&store(put(value[..value.len() - 1].to_vec()))),
            Err(Error::IdentityField("credential"))
        ));
        assert!(matches!(
            Identity::load(&store(put(value[..5].to_vec()))),
            Err(Error::IdentityField("client_id"))
        ));
        let mut v = value.clone();
        v.push(0);
        assert!(matches!(
            Identity::load(&store(put(v))),
            Err(Error::IdentityField("trailing bytes"))
        ));
        let two = store(put(value.clone()));
        two.apply(&[StorageOp::Put {
            kind: RecordKind::SignatureKey,
            key: vec![1],
            value,
        }])
        .unwrap();
        assert!(matches!(Identity::load(&two), Err(Error::IdentityCount(2))));
    }
}
