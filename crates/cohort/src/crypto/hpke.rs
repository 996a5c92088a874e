//! HPKE base mode (RFC 9180 section 5) on the provider's KEM, KDF and AEAD.
//!
//! The key-schedule context (`mode || psk_id_hash || info_hash`) depends only
//! on `info`, so [`Hpke::prepare_info`] computes it once and [`PreparedInfo`]
//! is reused for every recipient: a Welcome to N new members encrypts to each
//! of them with the same `info`, and hashing it once keeps that O(N).

use crate::{Error, MisuseError};
use alloc::vec::Vec;
use cohort_traits::{AeadId, Crypto, CryptoError, KdfId, KemId, Rand, Secret};
use zeroize::Zeroize;

const MODE_BASE: u8 = 0x00;
const VERSION_LABEL: &[u8] = b"HPKE-v1";

/// One HPKE configuration (KEM, KDF, AEAD) bound to a crypto provider.
pub struct Hpke<'a, C: Crypto + ?Sized> {
    crypto: &'a C,
    kem: KemId,
    kdf: KdfId,
    aead: AeadId,
    suite_id: [u8; 10],
}

/// The key-schedule context of base mode for one `info`, computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedInfo {
    key_schedule_context: Vec<u8>,
}

impl PreparedInfo {
    /// `key_schedule_context = mode || psk_id_hash || info_hash`.
    pub fn key_schedule_context(&self) -> &[u8] {
        &self.key_schedule_context
    }
}

/// An HPKE encryption or decryption context (RFC 9180 section 5.2).
pub struct Context<'a, C: Crypto + ?Sized> {
    crypto: &'a C,
    kdf: KdfId,
    aead: AeadId,
    suite_id: [u8; 10],
    key: Secret,
    base_nonce: Secret,
    exporter_secret: Secret,
    seq: u64,
}

impl<'a, C: Crypto + ?Sized> Hpke<'a, C> {
    /// HPKE with the given algorithms.
    pub fn new(crypto: &'a C, kem: KemId, kdf: KdfId, aead: AeadId) -> Self {
        let mut suite_id = [0u8; 10];
        suite_id[..4].copy_from_slice(b"HPKE");
        suite_id[4..6].copy_from_slice(&kem.0.to_be_bytes());
        suite_id[6..8].copy_from_slice(&kdf.0.to_be_bytes());
        suite_id[8..].copy_from_slice(&aead.0.to_be_bytes());
        Hpke {
            crypto,
            kem,
            kdf,
            aead,
            suite_id,
        }
    }

    /// Computes the base-mode key-schedule context for `info` once.
    pub fn prepare_info(&self, info: &[u8]) -> Result<PreparedInfo, Error> {
        let psk_id_hash = labeled_extract(
            self.crypto,
            self.kdf,
            &self.suite_id,
            &[],
            b"psk_id_hash",
            &[],
        )?;
        let info_hash = labeled_extract(
            self.crypto,
            self.kdf,
            &self.suite_id,
            &[],
            b"info_hash",
            info,
        )?;
        let mut key_schedule_context = Vec::with_capacity(1 + psk_id_hash.len() + info_hash.len());
        key_schedule_context.push(MODE_BASE);
        key_schedule_context.extend_from_slice(psk_id_hash.as_bytes());
        key_schedule_context.extend_from_slice(info_hash.as_bytes());
        Ok(PreparedInfo {
            key_schedule_context,
        })
    }

    /// `KeySchedule` of base mode from a KEM shared secret.
    fn key_schedule(
        &self,
        shared_secret: &[u8],
        info: &PreparedInfo,
    ) -> Result<Context<'a, C>, Error> {
        let nh = self
            .kdf
            .extract_len()
            .ok_or(CryptoError::UnsupportedKdf(self.kdf))?;
        let (nk, nn) = if self.aead == AeadId::EXPORT_ONLY {
            (0, 0)
        } else {
            (
                self.aead
                    .key_len()
                    .ok_or(CryptoError::UnsupportedAead(self.aead))?,
                self.aead
                    .nonce_len()
                    .ok_or(CryptoError::UnsupportedAead(self.aead))?,
            )
        };
        let ksc = &info.key_schedule_context;
        let secret = labeled_extract(
            self.crypto,
            self.kdf,
            &self.suite_id,
            shared_secret,
            b"secret",
            &[],
        )?;
        let expand = |label: &[u8], len: usize| {
            if len == 0 {
                return Ok(Secret::default());
            }
            labeled_expand(
                self.crypto,
                self.kdf,
                &self.suite_id,
                secret.as_bytes(),
                label,
                ksc,
                len,
            )
        };
        Ok(Context {
            crypto: self.crypto,
            kdf: self.kdf,
            aead: self.aead,
            suite_id: self.suite_id,
            key: expand(b"key", nk)?,
            base_nonce: expand(b"base_nonce", nn)?,
            exporter_secret: expand(b"exp", nh)?,
            seq: 0,
        })
    }

    /// `SetupBaseS` with ephemeral randomness drawn from `rand`: returns
    /// `enc` and the sender context.
    pub fn setup_base_s(
        &self,
        rand: &dyn Rand,
        pk_r: &[u8],
        info: &PreparedInfo,
    ) -> Result<(Vec<u8>, Context<'a, C>), Error> {
        let len = self
            .kem
            .encap_randomness_len()
            .ok_or(CryptoError::UnsupportedKem(self.kem))?;
        let mut ikm = alloc::vec![0u8; len];
        let res = rand
            .fill(&mut ikm)
            .map_err(Error::from)
            .and_then(|()| self.setup_base_s_derand(&ikm, pk_r, info));
        ikm.zeroize();
        res
    }

    /// `SetupBaseS` with the ephemeral key derived from `ikm_e`
    /// (deterministic; for known-answer tests and seeded runs).
    pub fn setup_base_s_derand(
        &self,
        ikm_e: &[u8],
        pk_r: &[u8],
        info: &PreparedInfo,
    ) -> Result<(Vec<u8>, Context<'a, C>), Error> {
        let out = self.crypto.kem_encap(self.kem, pk_r, ikm_e)?;
        let ctx = self.key_schedule(out.shared_secret.as_bytes(), info)?;
        Ok((out.enc, ctx))
    }

    /// `SetupBaseR`: the recipient context. `pk_r`, the public key of
    /// `sk_r` when the caller has it, spares the KEM from recomputing it.
    pub fn setup_base_r(
        &self,
        enc: &[u8],
        sk_r: &[u8],
        pk_r: Option<&[u8]>,
        info: &PreparedInfo,
    ) -> Result<Context<'a, C>, Error> {
        let shared_secret = match pk_r {
            Some(pk_r) => self
                .crypto
                .kem_decap_with_public_key(self.kem, enc, sk_r, pk_r)?,
            None => self.crypto.kem_decap(self.kem, enc, sk_r)?,
        };
        self.key_schedule(shared_secret.as_bytes(), info)
    }

    /// `SealBase` (single shot): returns `(enc, ciphertext)`.
    pub fn seal_base(
        &self,
        rand: &dyn Rand,
        pk_r: &[u8],
        info: &PreparedInfo,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), Error> {
        let (enc, mut ctx) = self.setup_base_s(rand, pk_r, info)?;
        let ct = ctx.seal(aad, plaintext)?;
        Ok((enc, ct))
    }

    /// `OpenBase` (single shot); `pk_r` as for [`Hpke::setup_base_r`].
    pub fn open_base(
        &self,
        enc: &[u8],
        sk_r: &[u8],
        pk_r: Option<&[u8]>,
        info: &PreparedInfo,
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, Error> {
        let mut ctx = self.setup_base_r(enc, sk_r, pk_r, info)?;
        ctx.open(aad, ciphertext)
    }
}

impl<'a, C: Crypto + ?Sized> Context<'a, C> {
    /// The nonce for the current sequence number:
    /// `base_nonce XOR I2OSP(seq, Nn)`.
    fn nonce(&self) -> Vec<u8> {
        let mut nonce = self.base_nonce.as_bytes().to_vec();
        let seq = self.seq.to_be_bytes();
        for (n, s) in nonce.iter_mut().rev().zip(seq.iter().rev()) {
            *n ^= s;
        }
        nonce
    }

    fn increment(&mut self) -> Result<(), Error> {
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or(MisuseError::HpkeSequenceOverflow)?;
        Ok(())
    }

    /// `ContextS.Seal(aad, pt)`.
    pub fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        if self.aead == AeadId::EXPORT_ONLY {
            return Err(MisuseError::HpkeExportOnly.into());
        }
        let ct = self.crypto.aead_seal(
            self.aead,
            self.key.as_bytes(),
            &self.nonce(),
            aad,
            plaintext,
        )?;
        self.increment()?;
        Ok(ct)
    }

    /// `ContextR.Open(aad, ct)`.
    pub fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Secret, Error> {
        if self.aead == AeadId::EXPORT_ONLY {
            return Err(MisuseError::HpkeExportOnly.into());
        }
        let pt = self.crypto.aead_open(
            self.aead,
            self.key.as_bytes(),
            &self.nonce(),
            aad,
            ciphertext,
        )?;
        self.increment()?;
        Ok(pt)
    }

    /// `Context.Export(exporter_context, L)`.
    pub fn export(&self, exporter_context: &[u8], len: usize) -> Result<Secret, Error> {
        labeled_expand(
            self.crypto,
            self.kdf,
            &self.suite_id,
            self.exporter_secret.as_bytes(),
            b"sec",
            exporter_context,
            len,
        )
    }

    /// The AEAD key (for known-answer tests).
    pub fn key(&self) -> &Secret {
        &self.key
    }

    /// The base nonce (for known-answer tests).
    pub fn base_nonce(&self) -> &Secret {
        &self.base_nonce
    }

    /// The exporter secret (for known-answer tests).
    pub fn exporter_secret(&self) -> &Secret {
        &self.exporter_secret
    }

    /// Sets the sequence number (for known-answer tests that skip ahead).
    pub fn set_sequence_number(&mut self, seq: u64) {
        self.seq = seq;
    }
}

/// `LabeledExtract(salt, label, ikm)` (RFC 9180 section 4).
fn labeled_extract<C: Crypto + ?Sized>(
    crypto: &C,
    kdf: KdfId,
    suite_id: &[u8],
    salt: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> Result<Secret, Error> {
    let mut labeled_ikm =
        Vec::with_capacity(VERSION_LABEL.len() + suite_id.len() + label.len() + ikm.len());
    labeled_ikm.extend_from_slice(VERSION_LABEL);
    labeled_ikm.extend_from_slice(suite_id);
    labeled_ikm.extend_from_slice(label);
    labeled_ikm.extend_from_slice(ikm);
    let out = crypto.hkdf_extract(kdf, salt, &labeled_ikm);
    labeled_ikm.zeroize();
    Ok(out?)
}

/// `LabeledExpand(prk, label, info, L)` (RFC 9180 section 4).
fn labeled_expand<C: Crypto + ?Sized>(
    crypto: &C,
    kdf: KdfId,
    suite_id: &[u8],
    prk: &[u8],
    label: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Secret, Error> {
    let l = u16::try_from(len).map_err(|_| MisuseError::LengthTooLarge)?;
    let mut labeled_info =
        Vec::with_capacity(2 + VERSION_LABEL.len() + suite_id.len() + label.len() + info.len());
    labeled_info.extend_from_slice(&l.to_be_bytes());
    labeled_info.extend_from_slice(VERSION_LABEL);
    labeled_info.extend_from_slice(suite_id);
    labeled_info.extend_from_slice(label);
    labeled_info.extend_from_slice(info);
    Ok(crypto.hkdf_expand(kdf, prk, &labeled_info, len)?)
}
