//! Cryptographic objects of RFC 9420 section 5 on top of a provider's
//! primitives: labelled derivations, signatures and public-key encryption,
//! hash-based references, and HPKE (RFC 9180) in [`hpke`].

// Without `hazmat` these are the crate's own: what it does not use is not
// dead, only unexported.
#![cfg_attr(
    not(feature = "hazmat"),
    allow(dead_code, unreachable_pub, unused_imports)
)]

pub mod hpke;

use crate::codec::{VarBytes, write_opaque};
use crate::{Error, MisuseError, ValidationError};
use alloc::vec::Vec;
use cohort_traits::{Ciphersuite, CiphersuiteParams, Crypto, CryptoError, Rand, Secret, Signer};
use hpke::Hpke;
use tls_codec::{TlsDeserializeBytes, TlsSerializeBytes, TlsSize};

/// The prefix of every MLS label (RFC 9420 sections 5.1.2, 5.1.3, 8).
pub const LABEL_PREFIX: &[u8] = b"MLS 1.0 ";

/// `HPKECiphertext` (RFC 9420 section 7.6).
#[derive(Clone, Debug, PartialEq, Eq, TlsSize, TlsSerializeBytes, TlsDeserializeBytes)]
pub struct HpkeCiphertext {
    /// The KEM output `enc`.
    pub kem_output: VarBytes,
    /// The AEAD ciphertext.
    pub ciphertext: VarBytes,
}

/// The operations of one cipher suite, bound to a crypto provider.
///
/// Every MLS construction of RFC 9420 section 5 and the key-schedule helpers
/// of section 8 live here, built on the provider's primitives.
pub struct SuiteCrypto<'a, C: Crypto + ?Sized> {
    crypto: &'a C,
    suite: Ciphersuite,
    params: CiphersuiteParams,
}

impl<'a, C: Crypto + ?Sized> Clone for SuiteCrypto<'a, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<'a, C: Crypto + ?Sized> Copy for SuiteCrypto<'a, C> {}

impl<'a, C: Crypto + ?Sized> SuiteCrypto<'a, C> {
    /// Binds `suite` to `crypto`; fails if the suite is unknown or the
    /// provider does not implement it.
    pub fn new(crypto: &'a C, suite: Ciphersuite) -> Result<Self, Error> {
        let params = suite
            .params()
            .filter(|_| crypto.supports(suite))
            .ok_or(MisuseError::UnsupportedCiphersuite(suite))?;
        Ok(SuiteCrypto {
            crypto,
            suite,
            params,
        })
    }

    /// The cipher suite.
    pub fn suite(&self) -> Ciphersuite {
        self.suite
    }

    /// The suite's algorithms.
    pub fn params(&self) -> CiphersuiteParams {
        self.params
    }

    /// The provider.
    pub fn provider(&self) -> &'a C {
        self.crypto
    }

    /// `KDF.Nh`: the output size of Extract (and of the hash).
    pub fn hash_len(&self) -> usize {
        self.params.hash.output_len()
    }

    /// `AEAD.Nk`.
    pub fn aead_key_len(&self) -> usize {
        self.params.aead.key_len().unwrap_or(0)
    }

    /// `AEAD.Nn`.
    pub fn aead_nonce_len(&self) -> usize {
        self.params.aead.nonce_len().unwrap_or(0)
    }

    /// `Hash(data)`.
    pub fn hash(&self, data: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.crypto.hash(self.params.hash, data)?)
    }

    /// `MAC(key, data)`: HMAC with the suite's hash.
    pub fn mac(&self, key: &[u8], data: &[u8]) -> Result<Secret, Error> {
        Ok(self.crypto.hmac(self.params.hash, key, data)?)
    }

    /// `KDF.Extract(salt, ikm)`.
    pub fn extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, Error> {
        Ok(self.crypto.hkdf_extract(self.params.kdf, salt, ikm)?)
    }

    /// `KDF.Expand(prk, info, len)`.
    pub fn expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, Error> {
        Ok(self.crypto.hkdf_expand(self.params.kdf, prk, info, len)?)
    }

    /// `ExpandWithLabel(Secret, Label, Context, Length)` (RFC 9420 section 8).
    pub fn expand_with_label(
        &self,
        secret: &[u8],
        label: &[u8],
        context: &[u8],
        length: u16,
    ) -> Result<Secret, Error> {
        // struct { uint16 length; opaque label<V>; opaque context<V>; } KDFLabel;
        let mut info = Vec::with_capacity(LABEL_PREFIX.len() + label.len() + context.len() + 10);
        info.extend_from_slice(&length.to_be_bytes());
        write_labeled(label, &mut info)?;
        write_opaque(context, &mut info)?;
        self.expand(secret, &info, usize::from(length))
    }

    /// `DeriveSecret(Secret, Label)` (RFC 9420 section 8).
    pub fn derive_secret(&self, secret: &[u8], label: &[u8]) -> Result<Secret, Error> {
        self.expand_with_label(secret, label, &[], self.hash_len_u16())
    }

    /// `DeriveTreeSecret(Secret, Label, Generation, Length)` (RFC 9420 section 9).
    pub fn derive_tree_secret(
        &self,
        secret: &[u8],
        label: &[u8],
        generation: u32,
        length: u16,
    ) -> Result<Secret, Error> {
        self.expand_with_label(secret, label, &generation.to_be_bytes(), length)
    }

    pub(crate) fn hash_len_u16(&self) -> u16 {
        u16::try_from(self.hash_len()).unwrap_or(u16::MAX)
    }

    /// `RefHash(label, value)` (RFC 9420 section 5.2). `label` is used as
    /// given, without the "MLS 1.0 " prefix.
    pub fn ref_hash(&self, label: &[u8], value: &[u8]) -> Result<Vec<u8>, Error> {
        let mut input = Vec::with_capacity(label.len() + value.len() + 8);
        write_opaque(label, &mut input)?;
        write_opaque(value, &mut input)?;
        self.hash(&input)
    }

    /// `MakeKeyPackageRef(value)` over an encoded KeyPackage.
    pub fn make_key_package_ref(&self, key_package: &[u8]) -> Result<Vec<u8>, Error> {
        self.ref_hash(b"MLS 1.0 KeyPackage Reference", key_package)
    }

    /// `MakeProposalRef(value)` over an encoded AuthenticatedContent.
    pub fn make_proposal_ref(&self, authenticated_content: &[u8]) -> Result<Vec<u8>, Error> {
        self.ref_hash(b"MLS 1.0 Proposal Reference", authenticated_content)
    }

    /// The `SignContent` bytes signed by `SignWithLabel` (RFC 9420 section 5.1.2).
    pub fn sign_content(label: &[u8], content: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(LABEL_PREFIX.len() + label.len() + content.len() + 8);
        write_labeled(label, &mut out)?;
        write_opaque(content, &mut out)?;
        Ok(out)
    }

    /// `SafeSignWithLabel(SignatureKey, ComponentID, Label, Content)` of
    /// the MLS extensions draft ("Signature Keys"; provisional):
    /// `SignWithLabel` with the encoded `ComponentOperationLabel` as label.
    pub fn safe_sign_with_label(
        &self,
        signer: &dyn Signer,
        component_id: u16,
        label: &[u8],
        content: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let label = crate::messages::app::ComponentOperationLabel::new(component_id, label);
        self.sign_with_label(signer, &label.encoded()?, content)
    }

    /// `SafeVerifyWithLabel` of the MLS extensions draft (see
    /// [`SuiteCrypto::safe_sign_with_label`]).
    pub fn safe_verify_with_label(
        &self,
        public_key: &[u8],
        component_id: u16,
        label: &[u8],
        content: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let label = crate::messages::app::ComponentOperationLabel::new(component_id, label);
        self.verify_with_label(public_key, &label.encoded()?, content, signature)
    }

    /// `SafeEncryptWithLabel(PublicKey, ComponentID, Label, Context,
    /// Plaintext)` of the MLS extensions draft ("HPKE Keys"):
    /// `EncryptWithLabel` with the encoded `ComponentOperationLabel`.
    pub fn safe_encrypt_with_label(
        &self,
        rand: &dyn Rand,
        public_key: &[u8],
        component_id: u16,
        label: &[u8],
        context: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, Error> {
        let label = crate::messages::app::ComponentOperationLabel::new(component_id, label);
        self.encrypt_with_label(rand, public_key, &label.encoded()?, context, plaintext)
    }

    /// `SafeDecryptWithLabel` of the MLS extensions draft (see
    /// [`SuiteCrypto::safe_encrypt_with_label`]).
    pub fn safe_decrypt_with_label(
        &self,
        private_key: &[u8],
        component_id: u16,
        label: &[u8],
        context: &[u8],
        kem_output: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, Error> {
        let label = crate::messages::app::ComponentOperationLabel::new(component_id, label);
        self.decrypt_with_label(
            private_key,
            &label.encoded()?,
            context,
            kem_output,
            ciphertext,
        )
    }

    /// `SignWithLabel(SignatureKey, Label, Content)` through a [`Signer`].
    pub fn sign_with_label(
        &self,
        signer: &dyn Signer,
        label: &[u8],
        content: &[u8],
    ) -> Result<Vec<u8>, Error> {
        if signer.scheme() != self.params.signature {
            return Err(MisuseError::SignerSchemeMismatch(signer.scheme()).into());
        }
        let tbs = Self::sign_content(label, content)?;
        Ok(signer.sign(&tbs)?)
    }

    /// `SignWithLabel` with a raw private key held in memory.
    pub fn sign_with_label_key(
        &self,
        private_key: &[u8],
        label: &[u8],
        content: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let tbs = Self::sign_content(label, content)?;
        Ok(self.crypto.sign(self.params.signature, private_key, &tbs)?)
    }

    /// `VerifyWithLabel(VerificationKey, Label, Content, SignatureValue)`.
    ///
    /// A signature that does not verify is
    /// `Error::Validation(ValidationError::InvalidSignature)`.
    pub fn verify_with_label(
        &self,
        public_key: &[u8],
        label: &[u8],
        content: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let tbs = Self::sign_content(label, content)?;
        self.crypto
            .verify(self.params.signature, public_key, &tbs, signature)
            .map_err(|e| match e {
                CryptoError::InvalidSignature => ValidationError::InvalidSignature.into(),
                other => Error::Crypto(other),
            })
    }

    /// The HPKE instance of the suite (base mode, RFC 9180 section 5).
    pub fn hpke(&self) -> Hpke<'a, C> {
        Hpke::new(
            self.crypto,
            self.params.kem,
            self.params.kdf,
            self.params.aead,
        )
    }

    /// The `EncryptContext` bytes used as HPKE `info` by `EncryptWithLabel`
    /// (RFC 9420 section 5.1.3).
    pub fn encrypt_context(label: &[u8], context: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(LABEL_PREFIX.len() + label.len() + context.len() + 8);
        write_labeled(label, &mut out)?;
        write_opaque(context, &mut out)?;
        Ok(out)
    }

    /// `EncryptWithLabel(PublicKey, Label, Context, Plaintext)`.
    pub fn encrypt_with_label(
        &self,
        rand: &dyn Rand,
        public_key: &[u8],
        label: &[u8],
        context: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, Error> {
        let info = self.prepare_encrypt(label, context)?;
        self.encrypt_with_label_prepared(rand, public_key, &info, plaintext)
    }

    /// Prepares `EncryptWithLabel` for many recipients of the same label and
    /// context: the HPKE key-schedule context is hashed once.
    pub fn prepare_encrypt(
        &self,
        label: &[u8],
        context: &[u8],
    ) -> Result<hpke::PreparedInfo, Error> {
        self.hpke()
            .prepare_info(&Self::encrypt_context(label, context)?)
    }

    /// `EncryptWithLabel` with an info prepared by [`Self::prepare_encrypt`].
    pub fn encrypt_with_label_prepared(
        &self,
        rand: &dyn Rand,
        public_key: &[u8],
        info: &hpke::PreparedInfo,
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, Error> {
        let (enc, ct) = self
            .hpke()
            .seal_base(rand, public_key, info, &[], plaintext)?;
        Ok(HpkeCiphertext {
            kem_output: enc.into(),
            ciphertext: ct.into(),
        })
    }

    /// `DecryptWithLabel(PrivateKey, Label, Context, KEMOutput, Ciphertext)`.
    pub fn decrypt_with_label(
        &self,
        private_key: &[u8],
        label: &[u8],
        context: &[u8],
        kem_output: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, Error> {
        self.decrypt_with_label_for(private_key, None, label, context, kem_output, ciphertext)
    }

    /// [`SuiteCrypto::decrypt_with_label`] for a recipient that also holds
    /// its public key (a tree node's or a KeyPackage's `init_key`), which
    /// the KEM then need not recompute.
    pub fn decrypt_with_label_for(
        &self,
        private_key: &[u8],
        public_key: Option<&[u8]>,
        label: &[u8],
        context: &[u8],
        kem_output: &[u8],
        ciphertext: &[u8],
    ) -> Result<Secret, Error> {
        let info = Self::encrypt_context(label, context)?;
        let hpke = self.hpke();
        let info = hpke.prepare_info(&info)?;
        hpke.open_base(kem_output, private_key, public_key, &info, &[], ciphertext)
    }

    /// `DeriveKeyPair(ikm)` of the suite's KEM: (private key, public key).
    pub fn derive_key_pair(&self, ikm: &[u8]) -> Result<(Secret, Vec<u8>), Error> {
        Ok(self.crypto.kem_derive_key_pair(self.params.kem, ikm)?)
    }
}

/// Appends `opaque label<V> = "MLS 1.0 " + label`.
fn write_labeled(label: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    crate::codec::write_length(LABEL_PREFIX.len().saturating_add(label.len()), out)?;
    out.extend_from_slice(LABEL_PREFIX);
    out.extend_from_slice(label);
    Ok(())
}
