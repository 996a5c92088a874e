//! Keeping KeyPackage private keys in a [`Storage`] backend until a Welcome
//! consumes them (RFC 9420 section 10), and joining from storage.
//!
//! A KeyPackage's private keys are one record of kind
//! [`RecordKind::KeyPackage`] keyed by the client id and the KeyPackageRef
//! ([`key_package_key`], the key scheme of the group state records). A join
//! from storage writes the new group's state and deletes the KeyPackage
//! record in one [`Storage::apply`] batch, so a crash never leaves a joined
//! group whose KeyPackage can be used again, nor a consumed KeyPackage
//! without its group. A last-resort KeyPackage (RFC 9420 section 16.8) is
//! kept (C-KP-09).
//!
//! # Record layout (format version 1)
//!
//! As in the group state record (integers big-endian, `bytes` a
//! variable-length vector, `tls(T)` the TLS encoding of `T` as `bytes`):
//!
//! ```text
//! u16    format version (1)
//! u64    FNV-1a-64 checksum of every byte after it
//! u16    cipher suite
//! tls(KeyPackage)
//! bytes  init private key
//! bytes  leaf encryption private key
//! u8     last resort (0 or 1)
//! ```
//!
//! Decoding is total: an unknown version is
//! [`StorageError::UnsupportedVersion`]; a checksum mismatch, truncation,
//! trailing bytes, a field that does not decode, a suite that is not the
//! KeyPackage's, or a KeyPackage whose reference is not the record's key is
//! [`StorageError::Corrupt`].

use super::key_package::{KeyPackageBundle, key_package_ref as make_ref};
use super::persist::{
    CORRUPT, Reader, RecordWriter, fnv1a64, namespaced_key, state_batch, zeroize_batch,
};
use super::state::{Group, GroupConfig};
use crate::crypto::SuiteCrypto;
use crate::messages::{KeyPackage, Node, Welcome};
use crate::{Error, ValidationError};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use cohort_traits::{Ciphersuite, Provider, RecordKind, Secret, Storage, StorageError, StorageOp};
use zeroize::Zeroizing;

/// The format version of KeyPackage records this build writes and reads.
pub const KEY_PACKAGE_RECORD_VERSION: u16 = 1;

/// The key of the [`RecordKind::KeyPackage`] record of the KeyPackage with
/// reference `key_package_ref` in the namespace of client `client_id`: the
/// client id as a variable-length vector, then the reference (the scheme
/// of [`super::group_state_key`]). [`KeyPackageBundle::store`] and
/// [`Group::join_from_storage`] use the empty client id.
///
/// Errors: a client id of 2^30 bytes or more.
pub fn key_package_key(client_id: &[u8], key_package_ref: &[u8]) -> Result<Vec<u8>, Error> {
    namespaced_key(client_id, key_package_ref)
}

impl KeyPackageBundle {
    /// Writes this KeyPackage and its private keys to `provider`'s storage
    /// as one [`RecordKind::KeyPackage`] record keyed by its KeyPackageRef
    /// (RFC 9420 section 5.2), in one [`Storage::apply`] batch, so that
    /// [`Group::join_from_storage`] can later join with it.
    pub fn store<P: Provider>(&self, provider: &P) -> Result<(), Error> {
        self.store_as(provider, &[])
    }

    /// Like [`KeyPackageBundle::store`], in the namespace of client
    /// `client_id`.
    pub fn store_as<P: Provider>(&self, provider: &P, client_id: &[u8]) -> Result<(), Error> {
        let cs = SuiteCrypto::new(provider.crypto(), self.key_package.cipher_suite)?;
        let kp_ref = make_ref(&cs, &self.key_package)?;
        let mut batch = [StorageOp::Put {
            kind: RecordKind::KeyPackage,
            key: key_package_key(client_id, &kp_ref)?,
            value: encode_bundle(self)?,
        }];
        let result = provider.storage().apply(&batch);
        zeroize_batch(&mut batch);
        Ok(result?)
    }

    /// The KeyPackage with reference `key_package_ref` and its private keys,
    /// as [`KeyPackageBundle::store`] wrote them; `None` when no such record
    /// exists (never stored, or consumed by a join).
    ///
    /// Errors: [`StorageError::UnsupportedVersion`] for a record of an
    /// unknown format version, [`StorageError::Corrupt`] for one that does
    /// not decode or holds another KeyPackage; a backend failure.
    pub fn load<P: Provider>(
        provider: &P,
        key_package_ref: &[u8],
    ) -> Result<Option<KeyPackageBundle>, Error> {
        Self::load_as(provider, &[], key_package_ref)
    }

    /// Like [`KeyPackageBundle::load`], in the namespace of client
    /// `client_id`.
    pub fn load_as<P: Provider>(
        provider: &P,
        client_id: &[u8],
        key_package_ref: &[u8],
    ) -> Result<Option<KeyPackageBundle>, Error> {
        let key = key_package_key(client_id, key_package_ref)?;
        let Some(bytes) = provider.storage().get(RecordKind::KeyPackage, &key)? else {
            return Ok(None);
        };
        let bytes = Zeroizing::new(bytes);
        let bundle = decode_bundle(&bytes)?;
        let cs = SuiteCrypto::new(provider.crypto(), bundle.key_package.cipher_suite)
            .map_err(|_| CORRUPT)?;
        if make_ref(&cs, &bundle.key_package)? != key_package_ref {
            return Err(CORRUPT.into());
        }
        Ok(Some(bundle))
    }
}

impl Group {
    /// Joins a group from `welcome` with a KeyPackage kept in `provider`'s
    /// storage by [`KeyPackageBundle::store`] (RFC 9420 sections 10,
    /// 12.4.3.1): the first entry of the Welcome whose `new_member` names a
    /// stored KeyPackage is used, with every check of [`Group::join`].
    /// The group_id must differ from every group this client is in
    /// (C-GI-03): a stored state of that id that is active and not closed
    /// by a ReInit refuses the join, while the state of a group the client
    /// was removed from (or that was reinitialized) is replaced.
    ///
    /// On success the new group's state record ([`Group::save`]) is written
    /// and the KeyPackage record deleted, unless the KeyPackage is last
    /// resort (C-KP-09), in one atomic [`Storage::apply`] batch. On any error
    /// storage is unchanged.
    ///
    /// Errors: [`ValidationError::KeyPackageNotFound`] when no entry names a
    /// stored KeyPackage (never stored, or consumed by an earlier join);
    /// [`ValidationError::GroupIdInUse`] when the client is already in the
    /// Welcome's group; storage errors of a damaged KeyPackage record as for
    /// [`KeyPackageBundle::load`], or of a damaged state record of the same
    /// group id as for [`Group::load`]; every error of [`Group::join`].
    pub fn join_from_storage<P: Provider>(
        provider: &P,
        welcome: &Welcome,
        ratchet_tree: Option<Vec<Option<Node>>>,
        psks: BTreeMap<Vec<u8>, Secret>,
        config: GroupConfig,
    ) -> Result<Group, Error> {
        Self::join_from_storage_as(provider, &[], welcome, ratchet_tree, psks, config)
    }

    /// Like [`Group::join_from_storage`], with the KeyPackages and the group
    /// state of client `client_id` ([`KeyPackageBundle::store_as`],
    /// [`Group::load_as`]).
    pub fn join_from_storage_as<P: Provider>(
        provider: &P,
        client_id: &[u8],
        welcome: &Welcome,
        ratchet_tree: Option<Vec<Option<Node>>>,
        psks: BTreeMap<Vec<u8>, Secret>,
        config: GroupConfig,
    ) -> Result<Group, Error> {
        let mut found = None;
        for entry in welcome.secrets.0.iter() {
            let kp_ref = entry.new_member.as_slice();
            if let Some(bundle) = KeyPackageBundle::load_as(provider, client_id, kp_ref)? {
                found = Some((kp_ref, bundle));
                break;
            }
        }
        let (kp_ref, bundle) = found.ok_or(ValidationError::KeyPackageNotFound)?;
        let group = Group::join(provider, welcome, &bundle, ratchet_tree, psks, config)?;
        // The group_id is new to this client (RFC 9420 section 12.4.3.1;
        // C-GI-03): a state of that id it still participates in stays.
        if let Some(existing) = Group::load_as(provider, client_id, group.group_id())?
            && existing.is_active()
            && existing.pending_reinit().is_none()
        {
            return Err(ValidationError::GroupIdInUse.into());
        }
        let mut batch = state_batch(provider, client_id, &group)?;
        if !bundle.last_resort {
            batch.push(StorageOp::Delete {
                kind: RecordKind::KeyPackage,
                key: key_package_key(client_id, kp_ref)?,
            });
        }
        let result = provider.storage().apply(&batch);
        zeroize_batch(&mut batch);
        result?;
        Ok(group)
    }
}

/// The encoded record of `bundle`.
fn encode_bundle(bundle: &KeyPackageBundle) -> Result<Vec<u8>, Error> {
    let estimate = tls_codec::Size::tls_serialized_len(&bundle.key_package)
        .saturating_add(bundle.init_private_key.as_bytes().len())
        .saturating_add(bundle.encryption_private_key.as_bytes().len())
        .saturating_add(64);
    let mut w = RecordWriter::new(KEY_PACKAGE_RECORD_VERSION, estimate);
    w.u16(bundle.key_package.cipher_suite.0);
    w.tls(&bundle.key_package)?;
    w.secret(&bundle.init_private_key)?;
    w.secret(&bundle.encryption_private_key)?;
    w.u8(u8::from(bundle.last_resort));
    Ok(w.finish())
}

/// Decodes a record written by [`encode_bundle`].
fn decode_bundle(bytes: &[u8]) -> Result<KeyPackageBundle, StorageError> {
    let mut r = Reader { bytes };
    let version = r.u16()?;
    if version != KEY_PACKAGE_RECORD_VERSION {
        return Err(StorageError::UnsupportedVersion(version));
    }
    let sum = r.u64()?;
    if fnv1a64(r.bytes) != sum {
        return Err(CORRUPT);
    }
    let suite = Ciphersuite(r.u16()?);
    let key_package: KeyPackage = r.tls()?;
    if key_package.cipher_suite != suite {
        return Err(CORRUPT);
    }
    let init_private_key = r.secret()?;
    let encryption_private_key = r.secret()?;
    let last_resort = r.bool()?;
    if !r.bytes.is_empty() {
        return Err(CORRUPT);
    }
    Ok(KeyPackageBundle {
        key_package,
        init_private_key,
        encryption_private_key,
        last_resort,
    })
}
