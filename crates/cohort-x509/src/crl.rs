//! Certificate revocation lists (RFC 5280 section 5): the CRLs an
//! application gives an [`crate::X509Validator`], kept per issuer name
//! with their revoked serial numbers sorted.

use crate::X509Error;
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};
use x509_cert::certificate::Rfc5280;
use x509_cert::crl::CertificateList;
use x509_cert::der::asn1::{BitString, ObjectIdentifier};
use x509_cert::der::{Decode, Encode};
use x509_cert::spki::AlgorithmIdentifierOwned;

/// The default bound on a CRL's DER size ([`crate::X509Policy::max_crl_len`]).
pub const MAX_CRL_LEN: usize = 1 << 20;

/// The default bound on a CRL's revoked entries
/// ([`crate::X509Policy::max_crl_entries`]).
pub const MAX_CRL_ENTRIES: usize = 32_768;

/// The issuingDistributionPoint CRL extension: a CRL scoped to part of an
/// issuer's certificates (or an indirect CRL), which this crate does not
/// use.
const ID_CE_ISSUING_DISTRIBUTION_POINT: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.28");
/// The deltaCRLIndicator CRL extension.
const ID_CE_DELTA_CRL_INDICATOR: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.27");

/// How an [`crate::X509Validator`] uses the CRLs given to
/// [`crate::X509Validator::add_crl`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RevocationPolicy {
    /// CRLs are not consulted.
    #[default]
    None,
    /// A certificate listed in a usable CRL of its issuer is refused; a
    /// certificate whose issuer has no usable CRL (none, not current, or
    /// not signed by the issuer) is accepted.
    CheckIfAvailable,
    /// As [`RevocationPolicy::CheckIfAvailable`], and every certificate of
    /// the chain (but a trust anchor) needs a usable CRL of its issuer:
    /// [`X509Error::RevocationUnknown`] otherwise.
    Require,
}

/// Why an issuer's CRL could not tell a certificate's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrlProblem {
    /// No CRL of the issuer was given.
    Missing,
    /// The clock's time is before the CRL's `thisUpdate`.
    NotYetValid,
    /// The clock's time is not before the CRL's `nextUpdate`, or the CRL
    /// has none.
    Stale,
    /// The CRL's signature does not verify under the issuer's key, or its
    /// two signature algorithm fields differ.
    BadSignature,
    /// The CRL is signed with an algorithm this crate does not support, or
    /// one the issuer's key is not for.
    UnsupportedAlgorithm,
    /// The issuer's keyUsage lacks `cRLSign`.
    NotACrlSigner,
}

impl core::fmt::Display for CrlProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CrlProblem::Missing => "no CRL of its issuer",
            CrlProblem::NotYetValid => "its issuer's CRL is not yet valid",
            CrlProblem::Stale => "its issuer's CRL is past its nextUpdate",
            CrlProblem::BadSignature => "its issuer's CRL signature does not verify",
            CrlProblem::UnsupportedAlgorithm => "its issuer's CRL uses an unsupported algorithm",
            CrlProblem::NotACrlSigner => "its issuer may not sign CRLs",
        })
    }
}

/// A CRL as kept: what its signature covers, and its revoked serial
/// numbers (the content octets of their DER INTEGERs), sorted.
#[derive(Debug)]
pub(crate) struct StoredCrl {
    pub(crate) tbs: Vec<u8>,
    pub(crate) outer_algorithm: AlgorithmIdentifierOwned,
    pub(crate) inner_algorithm: AlgorithmIdentifierOwned,
    pub(crate) signature: BitString,
    this_update: u64,
    next_update: Option<u64>,
    revoked: Vec<Vec<u8>>,
}

impl StoredCrl {
    /// The CRL is current at `now`: `thisUpdate <= now < nextUpdate`.
    pub(crate) fn current(&self, now: u64) -> Result<(), CrlProblem> {
        if now < self.this_update {
            return Err(CrlProblem::NotYetValid);
        }
        match self.next_update {
            Some(next) if now < next => Ok(()),
            _ => Err(CrlProblem::Stale),
        }
    }

    /// Whether the serial number (DER INTEGER content octets) is listed.
    pub(crate) fn lists(&self, serial: &[u8]) -> bool {
        self.revoked
            .binary_search_by(|s| s.as_slice().cmp(serial))
            .is_ok()
    }
}

/// The CRLs given, by the DER encoding of their issuer's name.
#[derive(Debug, Default)]
pub(crate) struct CrlStore(RwLock<BTreeMap<Vec<u8>, Arc<StoredCrl>>>);

impl CrlStore {
    /// Parses `der` within the bounds given and keeps it as its issuer's
    /// CRL, replacing the one before.
    pub(crate) fn insert(
        &self,
        der: &[u8],
        max_len: usize,
        max_entries: usize,
    ) -> Result<(), X509Error> {
        if der.len() > max_len {
            return Err(X509Error::CrlTooLarge {
                len: der.len(),
                max: max_len,
            });
        }
        let crl = CertificateList::<Rfc5280>::from_der(der).map_err(|_| X509Error::MalformedCrl)?;
        // What the signature covers: the TBSCertList as received (DER has
        // one encoding, so re-encoding the parsed value gives it back).
        let tbs = crl
            .tbs_cert_list
            .to_der()
            .map_err(|_| X509Error::MalformedCrl)?;
        let list = crl.tbs_cert_list;
        let entries = list.revoked_certificates.as_deref().unwrap_or(&[]);
        if entries.len() > max_entries {
            return Err(X509Error::CrlTooManyEntries {
                count: entries.len(),
                max: max_entries,
            });
        }
        // A critical extension this crate does not process makes the CRL
        // unusable (RFC 5280 section 5.2); a scoped, indirect or delta CRL
        // is never taken for a complete one.
        let extensions = list.crl_extensions.as_deref().unwrap_or(&[]);
        if extensions.iter().any(|e| {
            e.critical
                || e.extn_id == ID_CE_ISSUING_DISTRIBUTION_POINT
                || e.extn_id == ID_CE_DELTA_CRL_INDICATOR
        }) {
            return Err(X509Error::UnsupportedCrlExtension);
        }
        let entry_extensions = entries
            .iter()
            .flat_map(|e| e.crl_entry_extensions.as_deref().unwrap_or(&[]));
        if entry_extensions.into_iter().any(|e| e.critical) {
            return Err(X509Error::UnsupportedCrlExtension);
        }
        let mut revoked: Vec<Vec<u8>> = entries
            .iter()
            .map(|e| e.serial_number.as_bytes().to_vec())
            .collect();
        revoked.sort_unstable();
        revoked.dedup();
        let issuer = list.issuer.to_der().map_err(|_| X509Error::MalformedCrl)?;
        let stored = StoredCrl {
            this_update: list.this_update.to_unix_duration().as_secs(),
            next_update: list.next_update.map(|t| t.to_unix_duration().as_secs()),
            inner_algorithm: list.signature.clone(),
            outer_algorithm: crl.signature_algorithm,
            signature: crl.signature,
            revoked,
            tbs,
        };
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(issuer, Arc::new(stored));
        Ok(())
    }

    /// The CRL of the issuer whose name has the DER encoding `issuer`.
    pub(crate) fn get(&self, issuer: &[u8]) -> Option<Arc<StoredCrl>> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(issuer)
            .cloned()
    }

    /// Forgets every CRL.
    pub(crate) fn clear(&self) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// How many issuers have a CRL.
    pub(crate) fn len(&self) -> usize {
        self.0.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// A serial number's content octets in hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
