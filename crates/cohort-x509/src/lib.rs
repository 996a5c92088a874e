//! X.509 credentials for Cohort (RFC 9420 section 5.3): a
//! [`CredentialValidator`] that validates the certificate chain of an
//! `x509` credential against the application's trust anchors, binds the
//! end-entity certificate to the leaf's signature key, and lets a member
//! renew its certificate while keeping its identity.
//!
//! Certificates are parsed with [`x509_cert`] (RustCrypto). Path
//! validation is implemented here, on the subset of RFC 5280 section 6
//! that MLS credentials need, with every signature verified through the
//! Cohort [`Crypto`] provider (Ed25519, ECDSA P-256/SHA-256, ECDSA
//! P-384/SHA-384), so the group's own provider is the only cryptography.
//! (`rustls-webpki` was not used: its end-entity checks are built for TLS,
//! requiring an extended key usage such as serverAuth or clientAuth, which
//! MLS certificates need not carry, and it brings a cryptography backend of
//! its own.) For each certificate of the chain (end-entity first):
//!
//! - the chain is non-empty, at most [`X509Policy::max_chain_len`] long,
//!   and every entry is one DER certificate (C-CRED-02);
//! - the validity period contains the validator's [`Clock`] time;
//! - no extension this crate does not understand is marked critical;
//! - its issuer name is the subject of the next certificate, whose key
//!   verifies its signature;
//! - every issuer (the chain's later entries and the trust anchor) has
//!   basicConstraints `cA` true, a keyUsage with `keyCertSign`, and a
//!   path length constraint, if any, that the certificates below it
//!   respect;
//! - the end-entity certificate's keyUsage, if present, has
//!   `digitalSignature`, and its public key equals the LeafNode's
//!   `signature_key` in the encoding of RFC 9420 section 5.1.1: the raw 32
//!   bytes for Ed25519, the uncompressed SEC1 point for ECDSA (C-CRED-01);
//! - the last certificate is a trust anchor, or is signed by one.
//!
//! The identity a credential presents is the set of the end-entity
//! certificate's subject alternative names (DNS names, e-mail addresses,
//! URIs), or its subject common name when it has none ([`identity`]).
//! A member may replace its certificate (a renewal, a new key) when the new
//! chain is valid and presents the same identity, even if its old
//! certificate has expired (C-CRED-11).
//!
//! [`CredentialValidator::validate`] returns a bool; the reason of a
//! refusal is [`X509Validator::check`], [`X509Validator::check_successor`]
//! or [`X509Validator::validate_chain`]'s [`X509Error`].
//!
//! # Revocation
//!
//! The application gives the validator CRLs (RFC 5280 section 5), in DER,
//! with [`X509Validator::add_crl`]: one per issuer, a new CRL replacing the
//! one of the same issuer name. [`X509Policy::revocation`] says how they are
//! used ([`RevocationPolicy`]); by default they are not. A CRL is refused
//! when given if it is longer than [`X509Policy::max_crl_len`] bytes, lists
//! more than [`X509Policy::max_crl_entries`] certificates, or carries a
//! critical extension, an issuingDistributionPoint or a deltaCRLIndicator
//! (a scoped, indirect or delta CRL is never taken for a complete one).
//! Its revoked serial numbers are kept sorted and looked up by binary
//! search. When a chain is validated (after its signatures), each of its
//! certificates but a trust anchor is looked up in its issuer's CRL, which
//! is used only if its issuer name is the issuer's subject, its signature
//! verifies under the issuer's key through the [`Crypto`] provider, the
//! issuer's keyUsage allows `cRLSign`, and it is current at the clock's
//! time (`thisUpdate <= now < nextUpdate`). A listed certificate is
//! [`X509Error::Revoked`]; an issuer without a usable CRL is
//! [`X509Error::RevocationUnknown`] under [`RevocationPolicy::Require`] and
//! ignored under [`RevocationPolicy::CheckIfAvailable`]. Revocation is
//! checked when a credential is validated (an Add, a Welcome, an Update or
//! a commit path); members already in a group are not removed by a new
//! CRL: the application removes them. Members of a group must give their
//! validators the same CRLs, or they will disagree on which commits are
//! valid.
//!
//! # Name constraints
//!
//! The nameConstraints extension (RFC 5280 section 4.2.1.10) of every CA
//! of the path, the trust anchor included, is applied to the certificates
//! below it (self-issued intermediates excepted): each name must lie
//! outside every excluded subtree and, when the CA permits subtrees of the
//! name's form, within one of them. The names are the subject alternative
//! names, the subject (as a directoryName), the subject's emailAddress
//! attributes when there is no subjectAltName extension, and, for an
//! end-entity certificate presenting its common name as its identity, that
//! common name as a dNSName (stricter than RFC 5280, since the common name
//! is then what the credential asserts). Forms compared: dNSName (a base
//! admits itself and the names below it; a base starting with a dot only
//! the names below), rfc822Name (a mailbox, a host, or a domain starting
//! with a dot), the host of a uniformResourceIdentifier (a URI without a
//! host fails a URI constraint), iPAddress, and directoryName (a prefix of
//! relative distinguished names, compared by their encoding). A name of a
//! form that cannot be compared (otherName, ediPartyName, registeredID) is
//! refused when a CA constrains that form. A violation is
//! [`X509Error::NameConstraintViolation`].
//!
//! Not implemented: OCSP, delta CRLs, indirect CRLs and CRLs scoped by an
//! issuingDistributionPoint (refused when given), CRL distribution points
//! (CRLs are not fetched), CRLs of an issuer that has several keys under
//! one name (one CRL is kept per name, usable only if it verifies under the
//! key of the chain's issuer), policy constraints and certificate policies (a
//! certificate marking them critical is refused), and self-issued
//! intermediates other than for name constraints (each is counted against
//! path lengths). Distinguished names (issuers, CRL issuers,
//! directoryName constraints) are compared by their encoding, without the
//! string preparation of RFC 5280 section 7.1.

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

use cohort::group::{Clock, CredentialInfo, CredentialValidator};
use cohort::messages::{Certificate, Credential, LeafNode};
use cohort_traits::{Crypto, SignatureScheme};
use std::sync::Arc;
use x509_cert::Certificate as X509Certificate;
use x509_cert::der::asn1::BitString;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, SubjectAltName};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

mod crl;
mod name_constraints;

pub use crl::{CrlProblem, MAX_CRL_ENTRIES, MAX_CRL_LEN, RevocationPolicy};
pub use x509_cert;

/// The default bound on the number of certificates in a chain
/// ([`X509Policy::max_chain_len`]).
pub const MAX_CHAIN_LEN: usize = 8;

const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ID_CE_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const ID_CE_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const ID_CE_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const ID_CE_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const ID_CE_NAME_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.30");

/// Why a credential, a chain or a successor was refused. An `index` is the
/// position in the chain (0 is the end-entity certificate); the chain's
/// length names the trust anchor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum X509Error {
    /// The chain holds no certificate (C-CRED-02).
    #[error("the certificate chain is empty")]
    Empty,
    /// The chain is longer than the policy allows.
    #[error("the certificate chain has {len} certificates, more than {max}")]
    ChainTooLong {
        /// The chain's length.
        len: usize,
        /// The policy's bound.
        max: usize,
    },
    /// An entry is not one DER-encoded certificate, or one of its
    /// extensions cannot be decoded (C-CRED-02).
    #[error("certificate {index} is not a DER X.509 certificate")]
    Malformed {
        /// The entry.
        index: usize,
    },
    /// A trust anchor given to [`X509Validator::new`] is not a DER
    /// certificate.
    #[error("trust anchor {index} is not a DER X.509 certificate")]
    BadTrustAnchor {
        /// Its position in the list given.
        index: usize,
    },
    /// A certificate's `notAfter` is before the clock's time.
    #[error("certificate {index} has expired")]
    Expired {
        /// The certificate.
        index: usize,
    },
    /// A certificate's `notBefore` is after the clock's time.
    #[error("certificate {index} is not yet valid")]
    NotYetValid {
        /// The certificate.
        index: usize,
    },
    /// A certificate's issuer is not the subject of the next one (an
    /// intermediate missing or out of order).
    #[error("certificate {index}'s issuer is not the subject of the next certificate")]
    IssuerMismatch {
        /// The certificate.
        index: usize,
    },
    /// The chain's last certificate is neither a trust anchor nor signed
    /// by one.
    #[error("certificate {index} is not issued by a trust anchor")]
    UnknownIssuer {
        /// The last certificate.
        index: usize,
    },
    /// A certificate's signature does not verify under its issuer's key,
    /// or its two signature algorithm fields differ.
    #[error("certificate {index}'s signature does not verify")]
    BadSignature {
        /// The certificate.
        index: usize,
    },
    /// A signature algorithm or public key that is not Ed25519, ECDSA
    /// P-256 with SHA-256 or ECDSA P-384 with SHA-384, or a key that does
    /// not match the algorithm.
    #[error("certificate {index} uses an unsupported algorithm or key")]
    UnsupportedAlgorithm {
        /// The certificate.
        index: usize,
    },
    /// The end-entity certificate's key is not the LeafNode's
    /// `signature_key` (C-CRED-01).
    #[error("the end-entity certificate's key is not the signature key")]
    KeyMismatch,
    /// An issuer lacks basicConstraints with `cA` true.
    #[error("certificate {index} issues certificates but is not a CA")]
    NotACa {
        /// The issuer.
        index: usize,
    },
    /// An issuer's keyUsage lacks `keyCertSign` (or it has none), or the
    /// end-entity certificate's keyUsage lacks `digitalSignature`.
    #[error("certificate {index}'s key usage does not allow its use")]
    KeyUsage {
        /// The certificate.
        index: usize,
    },
    /// An issuer's path length constraint is exceeded.
    #[error("certificate {index}'s path length constraint is exceeded")]
    PathLength {
        /// The issuer.
        index: usize,
    },
    /// A certificate marks critical an extension this crate does not
    /// process.
    #[error("certificate {index} has an unsupported critical extension")]
    UnsupportedCriticalExtension {
        /// The certificate.
        index: usize,
    },
    /// The end-entity certificate names no identity (no supported subject
    /// alternative name and no common name).
    #[error("the end-entity certificate names no identity")]
    NoIdentity,
    /// A basic credential, which the policy does not accept.
    #[error("basic credentials are not accepted")]
    BasicNotAllowed,
    /// A replacement credential presents another identity.
    #[error("the new credential presents another identity")]
    IdentityChanged,
    /// A replacement credential is of another type (basic for x509 or the
    /// reverse).
    #[error("the new credential is of another type")]
    CredentialTypeChanged,
    /// A credential of a type other than `x509` and `basic`.
    #[error("the credential is neither x509 nor basic")]
    UnsupportedCredentialType,
    /// A certificate's serial number is listed in its issuer's CRL.
    #[error("certificate {index} (serial {serial}) is revoked")]
    Revoked {
        /// The certificate.
        index: usize,
        /// Its serial number: the content octets of its DER INTEGER, in
        /// hexadecimal.
        serial: String,
    },
    /// Under [`RevocationPolicy::Require`], a certificate's issuer has no
    /// usable CRL.
    #[error("certificate {index}'s revocation status is unknown: {reason}")]
    RevocationUnknown {
        /// The certificate.
        index: usize,
        /// Why its issuer's CRL could not be used.
        reason: CrlProblem,
    },
    /// A CRL given to [`X509Validator::add_crl`] is longer than the policy
    /// allows.
    #[error("the CRL has {len} bytes, more than {max}")]
    CrlTooLarge {
        /// Its length in bytes.
        len: usize,
        /// The policy's bound.
        max: usize,
    },
    /// A CRL given to [`X509Validator::add_crl`] lists more certificates
    /// than the policy allows.
    #[error("the CRL lists {count} certificates, more than {max}")]
    CrlTooManyEntries {
        /// Its entries.
        count: usize,
        /// The policy's bound.
        max: usize,
    },
    /// A CRL given to [`X509Validator::add_crl`] is not a DER
    /// CertificateList.
    #[error("the CRL is not a DER CertificateList")]
    MalformedCrl,
    /// A CRL given to [`X509Validator::add_crl`] has a critical extension
    /// (of the CRL or of an entry), an issuingDistributionPoint or a
    /// deltaCRLIndicator.
    #[error("the CRL has an unsupported extension")]
    UnsupportedCrlExtension,
    /// A name of a certificate is outside what a CA above it permits, or
    /// within what it excludes.
    #[error("certificate {index}'s name {name} violates a name constraint")]
    NameConstraintViolation {
        /// The certificate.
        index: usize,
        /// The name, as `dns:`, `email:`, `uri:`, `ip:` (hexadecimal) or
        /// `dn:` followed by its value, or the name of its form.
        name: String,
    },
}

/// One name a certificate presents.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdentityName {
    /// A `dNSName` subject alternative name.
    Dns(String),
    /// An `rfc822Name` (e-mail) subject alternative name.
    Email(String),
    /// A `uniformResourceIdentifier` subject alternative name.
    Uri(String),
    /// The subject common name, used when there is no supported subject
    /// alternative name.
    CommonName(String),
}

/// The identity an end-entity certificate presents: its names, sorted and
/// without duplicates. Two identities are the same member when they are
/// equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity(Vec<IdentityName>);

impl Identity {
    /// The names.
    pub fn names(&self) -> &[IdentityName] {
        &self.0
    }
}

/// What an [`X509Validator`] accepts beyond valid chains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct X509Policy {
    /// Whether `basic` credentials are accepted too (a mixed group). A
    /// basic member keeps its identity; a member may not switch between
    /// basic and x509. Default: `false`.
    pub allow_basic: bool,
    /// The longest chain accepted, end-entity certificate included.
    /// Default: [`MAX_CHAIN_LEN`].
    pub max_chain_len: usize,
    /// How CRLs are used. Default: [`RevocationPolicy::None`].
    pub revocation: RevocationPolicy,
    /// The longest CRL [`X509Validator::add_crl`] accepts, in bytes.
    /// Default: [`MAX_CRL_LEN`].
    pub max_crl_len: usize,
    /// The most revoked certificates a CRL given to
    /// [`X509Validator::add_crl`] may list. Default: [`MAX_CRL_ENTRIES`].
    pub max_crl_entries: usize,
}

impl Default for X509Policy {
    fn default() -> Self {
        X509Policy {
            allow_basic: false,
            max_chain_len: MAX_CHAIN_LEN,
            revocation: RevocationPolicy::None,
            max_crl_len: MAX_CRL_LEN,
            max_crl_entries: MAX_CRL_ENTRIES,
        }
    }
}

/// A trust anchor: a certificate the application trusts.
struct Anchor {
    der: Vec<u8>,
    cert: X509Certificate,
}

/// An Authentication Service for `x509` credentials: install it on a group
/// with [`cohort::group::Group::set_credential_validator`] (through
/// [`cohort::group::SharedCredentialValidator::new`]) or in a
/// [`cohort::group::GroupConfig`]. Every member of a group must use the
/// same anchors and policy, or they will disagree on which commits are
/// valid. CRLs may be given at any time through a shared reference (keep
/// an `Arc` of the validator and install it with
/// `SharedCredentialValidator::from`).
pub struct X509Validator<C> {
    crypto: C,
    anchors: Vec<Anchor>,
    clock: Arc<dyn Clock>,
    policy: X509Policy,
    crls: crl::CrlStore,
}

impl<C> core::fmt::Debug for X509Validator<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("X509Validator")
            .field("anchors", &self.anchors.len())
            .field("policy", &self.policy)
            .field("crls", &self.crls.len())
            .finish_non_exhaustive()
    }
}

impl<C: Crypto> X509Validator<C> {
    /// A validator trusting the DER certificates `anchors`, checking
    /// validity periods against `clock` (seconds since the Unix epoch),
    /// verifying signatures with `crypto`.
    pub fn new<A: AsRef<[u8]>>(
        crypto: C,
        anchors: impl IntoIterator<Item = A>,
        clock: Arc<dyn Clock>,
        policy: X509Policy,
    ) -> Result<Self, X509Error> {
        let anchors = anchors
            .into_iter()
            .enumerate()
            .map(|(index, der)| {
                let der = der.as_ref().to_vec();
                X509Certificate::from_der(&der)
                    .map(|cert| Anchor { der, cert })
                    .map_err(|_| X509Error::BadTrustAnchor { index })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(X509Validator {
            crypto,
            anchors,
            clock,
            policy,
            crls: crl::CrlStore::default(),
        })
    }

    /// Keeps `der`, a DER CRL, as the CRL of its issuer (replacing the one
    /// given before for the same issuer name). Its signature and dates are
    /// checked when a chain is validated, against the issuer found in the
    /// chain and the clock's time then.
    pub fn add_crl(&self, der: &[u8]) -> Result<(), X509Error> {
        self.crls
            .insert(der, self.policy.max_crl_len, self.policy.max_crl_entries)
    }

    /// Forgets every CRL given.
    pub fn clear_crls(&self) {
        self.crls.clear();
    }

    /// How many issuers have a CRL.
    pub fn crl_count(&self) -> usize {
        self.crls.len()
    }

    /// The policy.
    pub fn policy(&self) -> &X509Policy {
        &self.policy
    }

    /// Validates `certificates` (end-entity first) for a holder of
    /// `signature_key` at the clock's time, and returns the identity it
    /// presents.
    pub fn validate_chain(
        &self,
        certificates: &[Certificate],
        signature_key: &[u8],
    ) -> Result<Identity, X509Error> {
        let chain = parse_chain(certificates, self.policy.max_chain_len)?;
        let now = self.clock.now();
        for (index, cert) in chain.iter().enumerate() {
            check_validity(cert, index, now)?;
            check_critical_extensions(cert, index)?;
        }
        let (end_entity, issuers) = chain.split_first().ok_or(X509Error::Empty)?;
        let (_, key) = public_key(end_entity.tbs_certificate().subject_public_key_info())
            .ok_or(X509Error::UnsupportedAlgorithm { index: 0 })?;
        if key != signature_key {
            return Err(X509Error::KeyMismatch);
        }
        if let Some(usage) = key_usage(end_entity, 0)?
            && !usage.digital_signature()
        {
            return Err(X509Error::KeyUsage { index: 0 });
        }
        let mut subject = end_entity;
        for (i, issuer) in issuers.iter().enumerate() {
            // `subject` is at `i`, `issuer` at `i + 1`, with `i`
            // intermediates below the issuer.
            if subject.tbs_certificate().issuer() != issuer.tbs_certificate().subject() {
                return Err(X509Error::IssuerMismatch { index: i });
            }
            check_issuer(issuer, i + 1, i)?;
            self.verify_signature(subject, issuer, i)?;
            subject = issuer;
        }
        let last = chain.len().saturating_sub(1);
        let anchor = if self.ends_at_anchor(certificates, last) {
            None
        } else {
            Some(self.anchor_of(subject, last)?)
        };
        name_constraints::check(&chain, anchor)?;
        self.check_revocation(&chain, anchor, now)?;
        identity_of(end_entity)
    }

    /// Each certificate of `chain` but a trust anchor ending it is not
    /// listed in its issuer's CRL (the next entry's, or `anchor`'s for the
    /// last), as the policy requires.
    fn check_revocation(
        &self,
        chain: &[X509Certificate],
        anchor: Option<&X509Certificate>,
        now: u64,
    ) -> Result<(), X509Error> {
        if self.policy.revocation == RevocationPolicy::None {
            return Ok(());
        }
        let issuers = chain.iter().skip(1).chain(anchor);
        for (index, (cert, issuer)) in chain.iter().zip(issuers).enumerate() {
            let serial = cert.tbs_certificate().serial_number().as_bytes();
            match self.usable_crl(issuer, now) {
                Ok(crl) if crl.lists(serial) => {
                    return Err(X509Error::Revoked {
                        index,
                        serial: crl::hex(serial),
                    });
                }
                Ok(_) => {}
                Err(reason) if self.policy.revocation == RevocationPolicy::Require => {
                    return Err(X509Error::RevocationUnknown { index, reason });
                }
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// The CRL of `issuer`, if it may be used at `now`.
    fn usable_crl(
        &self,
        issuer: &X509Certificate,
        now: u64,
    ) -> Result<Arc<crl::StoredCrl>, CrlProblem> {
        let name = issuer
            .tbs_certificate()
            .subject()
            .to_der()
            .map_err(|_| CrlProblem::Missing)?;
        let crl = self.crls.get(&name).ok_or(CrlProblem::Missing)?;
        crl.current(now)?;
        match key_usage(issuer, 0) {
            Ok(Some(usage)) if !usage.crl_sign() => return Err(CrlProblem::NotACrlSigner),
            Ok(_) => {}
            Err(_) => return Err(CrlProblem::NotACrlSigner),
        }
        self.verify_signed(
            &crl.outer_algorithm,
            &crl.inner_algorithm,
            &crl.tbs,
            &crl.signature,
            issuer,
        )
        .map_err(|e| match e {
            SignatureFailure::Bad => CrlProblem::BadSignature,
            SignatureFailure::Unsupported => CrlProblem::UnsupportedAlgorithm,
        })?;
        Ok(crl)
    }

    /// Whether the chain's last entry is a trust anchor.
    fn ends_at_anchor(&self, certificates: &[Certificate], last: usize) -> bool {
        certificates
            .get(last)
            .is_some_and(|c| self.anchors.iter().any(|a| a.der == c.cert_data.as_slice()))
    }

    /// A trust anchor signing `cert`, the chain's last entry at `index`.
    fn anchor_of(
        &self,
        cert: &X509Certificate,
        index: usize,
    ) -> Result<&X509Certificate, X509Error> {
        let anchor_index = index.saturating_add(1);
        let mut found = None;
        for anchor in &self.anchors {
            if anchor.cert.tbs_certificate().subject() != cert.tbs_certificate().issuer() {
                continue;
            }
            if self.verify_signature(cert, &anchor.cert, index).is_ok() {
                found = Some(anchor);
                break;
            }
        }
        let anchor = found.ok_or(X509Error::UnknownIssuer { index })?;
        check_validity(&anchor.cert, anchor_index, self.clock.now())?;
        check_issuer(&anchor.cert, anchor_index, index)?;
        Ok(&anchor.cert)
    }

    /// `cert` (at `index`) is signed by `issuer`'s key.
    fn verify_signature(
        &self,
        cert: &X509Certificate,
        issuer: &X509Certificate,
        index: usize,
    ) -> Result<(), X509Error> {
        let tbs = cert
            .tbs_certificate()
            .to_der()
            .map_err(|_| X509Error::Malformed { index })?;
        self.verify_signed(
            cert.signature_algorithm(),
            cert.tbs_certificate().signature(),
            &tbs,
            cert.signature(),
            issuer,
        )
        .map_err(|e| match e {
            SignatureFailure::Bad => X509Error::BadSignature { index },
            SignatureFailure::Unsupported => X509Error::UnsupportedAlgorithm { index },
        })
    }

    /// `signature` over `tbs` (a certificate's or a CRL's signed part,
    /// naming `inner` as its algorithm, signed with `outer`) verifies under
    /// `issuer`'s key.
    fn verify_signed(
        &self,
        outer: &AlgorithmIdentifierOwned,
        inner: &AlgorithmIdentifierOwned,
        tbs: &[u8],
        signature: &BitString,
        issuer: &X509Certificate,
    ) -> Result<(), SignatureFailure> {
        if outer != inner {
            return Err(SignatureFailure::Bad);
        }
        let scheme = if outer.oid == ID_ED25519 {
            SignatureScheme::ED25519
        } else if outer.oid == ECDSA_WITH_SHA256 {
            SignatureScheme::ECDSA_SECP256R1_SHA256
        } else if outer.oid == ECDSA_WITH_SHA384 {
            SignatureScheme::ECDSA_SECP384R1_SHA384
        } else {
            return Err(SignatureFailure::Unsupported);
        };
        let (key_scheme, key) = public_key(issuer.tbs_certificate().subject_public_key_info())
            .ok_or(SignatureFailure::Unsupported)?;
        if key_scheme != scheme {
            return Err(SignatureFailure::Unsupported);
        }
        let signature = signature.as_bytes().ok_or(SignatureFailure::Bad)?;
        self.crypto
            .verify(scheme, key, tbs, signature)
            .map_err(|_| SignatureFailure::Bad)
    }

    /// Why `info`'s credential is refused, or the identity it presents
    /// (`None` for a basic credential the policy accepts).
    pub fn check(&self, info: &CredentialInfo<'_>) -> Result<Option<Identity>, X509Error> {
        match info.credential {
            Credential::Basic { .. } if self.policy.allow_basic => Ok(None),
            Credential::Basic { .. } => Err(X509Error::BasicNotAllowed),
            Credential::X509 { certificates } => self
                .validate_chain(&certificates.0, info.signature_key)
                .map(Some),
            #[allow(unreachable_patterns)]
            _ => Err(X509Error::UnsupportedCredentialType),
        }
    }

    /// Why `new` is refused as the successor of `old`'s credential: the
    /// new credential must be valid ([`X509Validator::check`]) and present
    /// the same identity. The old certificate is not checked for validity:
    /// a member whose certificate expired may renew it (C-CRED-11).
    pub fn check_successor(
        &self,
        old: &LeafNode,
        new: &CredentialInfo<'_>,
    ) -> Result<(), X509Error> {
        let new_identity = self.check(new)?;
        match (&old.credential, new.credential) {
            (Credential::Basic { identity: a }, Credential::Basic { identity: b }) => {
                if a == b {
                    Ok(())
                } else {
                    Err(X509Error::IdentityChanged)
                }
            }
            (Credential::X509 { certificates }, Credential::X509 { .. }) => {
                if Some(identity(&certificates.0)?) == new_identity {
                    Ok(())
                } else {
                    Err(X509Error::IdentityChanged)
                }
            }
            _ => Err(X509Error::CredentialTypeChanged),
        }
    }
}

impl<C: Crypto + Send + Sync> CredentialValidator for X509Validator<C> {
    fn validate(&self, info: &CredentialInfo<'_>) -> bool {
        self.check(info).is_ok()
    }

    fn valid_successor(&self, old: &LeafNode, new: &CredentialInfo<'_>) -> bool {
        self.check_successor(old, new).is_ok()
    }
}

/// Why a signature was not verified.
enum SignatureFailure {
    /// It does not verify, or the two algorithm fields differ.
    Bad,
    /// An algorithm or an issuer key this crate does not support, or a key
    /// of another algorithm.
    Unsupported,
}

/// The identity the end-entity certificate of `certificates` presents
/// (its subject alternative names, or else its common name), without
/// validating the chain.
pub fn identity(certificates: &[Certificate]) -> Result<Identity, X509Error> {
    let first = certificates.first().ok_or(X509Error::Empty)?;
    let cert = X509Certificate::from_der(first.cert_data.as_slice())
        .map_err(|_| X509Error::Malformed { index: 0 })?;
    identity_of(&cert)
}

/// Each entry of `certificates`, parsed.
fn parse_chain(
    certificates: &[Certificate],
    max: usize,
) -> Result<Vec<X509Certificate>, X509Error> {
    if certificates.is_empty() {
        return Err(X509Error::Empty);
    }
    if certificates.len() > max {
        return Err(X509Error::ChainTooLong {
            len: certificates.len(),
            max,
        });
    }
    certificates
        .iter()
        .enumerate()
        .map(|(index, c)| {
            X509Certificate::from_der(c.cert_data.as_slice())
                .map_err(|_| X509Error::Malformed { index })
        })
        .collect()
}

/// `cert`'s validity period contains `now`.
fn check_validity(cert: &X509Certificate, index: usize, now: u64) -> Result<(), X509Error> {
    let validity = cert.tbs_certificate().validity();
    if now < validity.not_before.to_unix_duration().as_secs() {
        return Err(X509Error::NotYetValid { index });
    }
    if now > validity.not_after.to_unix_duration().as_secs() {
        return Err(X509Error::Expired { index });
    }
    Ok(())
}

/// Every critical extension of `cert` is one this crate processes (or, for
/// extendedKeyUsage, one MLS gives no meaning and accepts).
fn check_critical_extensions(cert: &X509Certificate, index: usize) -> Result<(), X509Error> {
    let known = [
        ID_CE_BASIC_CONSTRAINTS,
        ID_CE_KEY_USAGE,
        ID_CE_SUBJECT_ALT_NAME,
        ID_CE_EXT_KEY_USAGE,
        ID_CE_NAME_CONSTRAINTS,
    ];
    let extensions = cert.tbs_certificate().extensions().map(|e| e.as_slice());
    for ext in extensions.unwrap_or(&[]) {
        if ext.critical && !known.contains(&ext.extn_id) {
            return Err(X509Error::UnsupportedCriticalExtension { index });
        }
    }
    Ok(())
}

/// `cert`'s keyUsage, if it has one.
fn key_usage(cert: &X509Certificate, index: usize) -> Result<Option<KeyUsage>, X509Error> {
    cert.tbs_certificate()
        .get_extension::<KeyUsage>()
        .map(|e| e.map(|(_, usage)| usage))
        .map_err(|_| X509Error::Malformed { index })
}

/// `cert`, at `index`, may issue certificates with `below` intermediates
/// under it.
fn check_issuer(cert: &X509Certificate, index: usize, below: usize) -> Result<(), X509Error> {
    let constraints = cert
        .tbs_certificate()
        .get_extension::<BasicConstraints>()
        .map_err(|_| X509Error::Malformed { index })?;
    match constraints {
        Some((_, bc)) if bc.ca => {
            if let Some(limit) = bc.path_len_constraint
                && below > usize::from(limit)
            {
                return Err(X509Error::PathLength { index });
            }
        }
        _ => return Err(X509Error::NotACa { index }),
    }
    match key_usage(cert, index)? {
        Some(usage) if usage.key_cert_sign() => Ok(()),
        _ => Err(X509Error::KeyUsage { index }),
    }
}

/// The signature scheme of a SubjectPublicKeyInfo's key and the key in
/// the encoding of RFC 9420 section 5.1.1, if supported.
fn public_key(spki: &SubjectPublicKeyInfoOwned) -> Option<(SignatureScheme, &[u8])> {
    let key = spki.subject_public_key.as_bytes()?;
    let scheme = if spki.algorithm.oid == ID_ED25519 {
        if spki.algorithm.parameters.is_some() || key.len() != 32 {
            return None;
        }
        SignatureScheme::ED25519
    } else if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()?
            .decode_as::<ObjectIdentifier>()
            .ok()?;
        // The uncompressed point: 0x04, then x and y.
        let (scheme, len) = if curve == SECP256R1 {
            (SignatureScheme::ECDSA_SECP256R1_SHA256, 65)
        } else if curve == SECP384R1 {
            (SignatureScheme::ECDSA_SECP384R1_SHA384, 97)
        } else {
            return None;
        };
        if key.len() != len || key.first() != Some(&0x04) {
            return None;
        }
        scheme
    } else {
        return None;
    };
    Some((scheme, key))
}

/// The identity `cert` presents.
fn identity_of(cert: &X509Certificate) -> Result<Identity, X509Error> {
    let malformed = X509Error::Malformed { index: 0 };
    let mut names = Vec::new();
    let san = cert
        .tbs_certificate()
        .get_extension::<SubjectAltName>()
        .map_err(|_| malformed.clone())?;
    for name in san.map(|(_, san)| san.0).unwrap_or_default() {
        match name {
            GeneralName::DnsName(s) => names.push(IdentityName::Dns(s.to_string())),
            GeneralName::Rfc822Name(s) => names.push(IdentityName::Email(s.to_string())),
            GeneralName::UniformResourceIdentifier(s) => {
                names.push(IdentityName::Uri(s.to_string()))
            }
            _ => {}
        }
    }
    if names.is_empty() {
        let cn = cert
            .tbs_certificate()
            .subject()
            .common_name()
            .map_err(|_| malformed)?;
        if let Some(cn) = cn {
            names.push(IdentityName::CommonName(cn.value().into_owned()));
        }
    }
    if names.is_empty() {
        return Err(X509Error::NoIdentity);
    }
    names.sort();
    names.dedup();
    Ok(Identity(names))
}
