use crate::Error;
use crate::crypto::SuiteCrypto;
use crate::crypto::hpke::Hpke;
use alloc::vec::Vec;
use cohort_traits::{Crypto, Rand, Secret};

/// The HPKE exporter label of an external init (RFC 9420 section 8.3).
pub const EXTERNAL_INIT_LABEL: &[u8] = b"MLS 1.0 external init secret";

/// The `joiner_secret` of an epoch (RFC 9420 section 8).
///
/// It is consumed by [`JoinerSecret::into_epoch`], which derives the
/// `welcome_secret` and `epoch_secret` and drops it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinerSecret(Secret);

/// The `welcome_secret` of an epoch and the key and nonce it yields for the
/// encrypted GroupInfo of a Welcome (RFC 9420 section 12.4.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WelcomeSecret(Secret);

impl JoinerSecret {
    /// `joiner_secret = ExpandWithLabel(Extract(init_secret, commit_secret),
    /// "joiner", GroupContext_[n], KDF.Nh)`, where `group_context` is the
    /// encoded GroupContext of the new epoch.
    pub fn derive<C: Crypto + ?Sized>(
        cs: &SuiteCrypto<'_, C>,
        init_secret: &[u8],
        commit_secret: &[u8],
        group_context: &[u8],
    ) -> Result<Self, Error> {
        let prk = cs.extract(init_secret, commit_secret)?;
        let nh = hash_len_u16(cs)?;
        Ok(JoinerSecret(cs.expand_with_label(
            prk.as_bytes(),
            b"joiner",
            group_context,
            nh,
        )?))
    }

    /// Wraps a joiner secret received in a Welcome's GroupSecrets.
    pub fn from_secret(secret: Secret) -> Self {
        JoinerSecret(secret)
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// `Extract(joiner_secret, psk_secret)`, the common input of the welcome
    /// and epoch secrets.
    fn member_prk<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        psk_secret: &[u8],
    ) -> Result<Secret, Error> {
        cs.extract(self.0.as_bytes(), psk_secret)
    }

    /// `welcome_secret = DeriveSecret(Extract(joiner_secret, psk_secret), "welcome")`.
    pub fn welcome_secret<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        psk_secret: &[u8],
    ) -> Result<WelcomeSecret, Error> {
        let prk = self.member_prk(cs, psk_secret)?;
        Ok(WelcomeSecret(cs.derive_secret(prk.as_bytes(), b"welcome")?))
    }

    /// Derives the epoch: `epoch_secret = ExpandWithLabel(Extract(joiner_secret,
    /// psk_secret), "epoch", GroupContext_[n], KDF.Nh)` and every secret of
    /// the epoch from it. The joiner and epoch secrets are dropped (and
    /// zeroized) here, as the deletion schedule of section 9.2 requires.
    pub fn into_epoch<C: Crypto + ?Sized>(
        self,
        cs: &SuiteCrypto<'_, C>,
        psk_secret: &[u8],
        group_context: &[u8],
    ) -> Result<(WelcomeSecret, EpochSecrets), Error> {
        let prk = self.member_prk(cs, psk_secret)?;
        let welcome = WelcomeSecret(cs.derive_secret(prk.as_bytes(), b"welcome")?);
        let nh = hash_len_u16(cs)?;
        let epoch_secret = cs.expand_with_label(prk.as_bytes(), b"epoch", group_context, nh)?;
        Ok((welcome, EpochSecrets::derive(cs, &epoch_secret)?))
    }
}

impl WelcomeSecret {
    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// `welcome_key = ExpandWithLabel(welcome_secret, "key", "", AEAD.Nk)` and
    /// `welcome_nonce = ExpandWithLabel(welcome_secret, "nonce", "", AEAD.Nn)`.
    pub fn key_nonce<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
    ) -> Result<(Secret, Secret), Error> {
        let nk = u16_len(cs.aead_key_len())?;
        let nn = u16_len(cs.aead_nonce_len())?;
        Ok((
            cs.expand_with_label(self.0.as_bytes(), b"key", &[], nk)?,
            cs.expand_with_label(self.0.as_bytes(), b"nonce", &[], nn)?,
        ))
    }

    /// Encrypts an encoded GroupInfo for a Welcome.
    pub fn encrypt_group_info<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        group_info: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let (key, nonce) = self.key_nonce(cs)?;
        Ok(cs.provider().aead_seal(
            cs.params().aead,
            key.as_bytes(),
            nonce.as_bytes(),
            &[],
            group_info,
        )?)
    }

    /// Decrypts a Welcome's `encrypted_group_info`.
    pub fn decrypt_group_info<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        encrypted_group_info: &[u8],
    ) -> Result<Secret, Error> {
        let (key, nonce) = self.key_nonce(cs)?;
        Ok(cs.provider().aead_open(
            cs.params().aead,
            key.as_bytes(),
            nonce.as_bytes(),
            &[],
            encrypted_group_info,
        )?)
    }
}

/// The secrets derived from one epoch's `epoch_secret` (RFC 9420 section 8,
/// table "Epoch-Derived Secrets"), and the `init_secret` of the next epoch.
///
/// The `epoch_secret` itself is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochSecrets {
    /// "sender data": keys for sender-data encryption.
    pub sender_data_secret: Secret,
    /// "encryption": root of the secret tree.
    pub encryption_secret: Secret,
    /// "exporter": input of the exporter.
    pub exporter_secret: Secret,
    /// "external": seed of the external init key pair.
    pub external_secret: Secret,
    /// "confirm": key of the confirmation tag.
    pub confirmation_key: Secret,
    /// "membership": key of PublicMessage membership tags.
    pub membership_key: Secret,
    /// "resumption": this epoch's resumption PSK.
    pub resumption_psk: Secret,
    /// "authentication": the epoch authenticator.
    pub epoch_authenticator: Secret,
    /// "init": `init_secret_[n]`, the input of the next epoch.
    pub init_secret: Secret,
    /// "application_export": the root of the MLS extensions draft's
    /// Exporter Tree (see [`SafeExporter`](super::SafeExporter)); moved
    /// into it when the epoch starts.
    pub application_export_secret: Secret,
}

impl EpochSecrets {
    /// Derives every epoch secret from `epoch_secret`.
    pub fn derive<C: Crypto + ?Sized>(
        cs: &SuiteCrypto<'_, C>,
        epoch_secret: &Secret,
    ) -> Result<Self, Error> {
        let d = |label: &[u8]| cs.derive_secret(epoch_secret.as_bytes(), label);
        Ok(EpochSecrets {
            sender_data_secret: d(b"sender data")?,
            encryption_secret: d(b"encryption")?,
            exporter_secret: d(b"exporter")?,
            external_secret: d(b"external")?,
            confirmation_key: d(b"confirm")?,
            membership_key: d(b"membership")?,
            resumption_psk: d(b"resumption")?,
            epoch_authenticator: d(b"authentication")?,
            init_secret: d(b"init")?,
            application_export_secret: d(b"application_export")?,
        })
    }

    /// `external_priv, external_pub = KEM.DeriveKeyPair(external_secret)`
    /// (RFC 9420 section 8).
    pub fn external_key_pair<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
    ) -> Result<(Secret, Vec<u8>), Error> {
        cs.derive_key_pair(self.external_secret.as_bytes())
    }

    /// `MLS-Exporter(Label, Context, Length)` (RFC 9420 section 8.5).
    pub fn export<C: Crypto + ?Sized>(
        &self,
        cs: &SuiteCrypto<'_, C>,
        label: &[u8],
        context: &[u8],
        length: u16,
    ) -> Result<Secret, Error> {
        let derived = cs.derive_secret(self.exporter_secret.as_bytes(), label)?;
        let context_hash = cs.hash(context)?;
        cs.expand_with_label(derived.as_bytes(), b"exported", &context_hash, length)
    }
}

/// External initialization, joiner side (RFC 9420 section 8.3):
/// `kem_output, context = SetupBaseS(external_pub, "")` and
/// `init_secret = context.export("MLS 1.0 external init secret", KDF.Nh)`.
pub fn external_init_send<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    rand: &dyn Rand,
    external_pub: &[u8],
) -> Result<(Vec<u8>, Secret), Error> {
    let hpke = external_hpke(cs);
    let info = hpke.prepare_info(&[])?;
    let (kem_output, ctx) = hpke.setup_base_s(rand, external_pub, &info)?;
    Ok((kem_output, ctx.export(EXTERNAL_INIT_LABEL, cs.hash_len())?))
}

/// External initialization, member side: the `init_secret` from an
/// ExternalInit proposal's `kem_output` and the group's `external_priv`.
pub fn external_init_receive<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    external_priv: &[u8],
    kem_output: &[u8],
) -> Result<Secret, Error> {
    let hpke = external_hpke(cs);
    let info = hpke.prepare_info(&[])?;
    let ctx = hpke.setup_base_r(kem_output, external_priv, None, &info)?;
    ctx.export(EXTERNAL_INIT_LABEL, cs.hash_len())
}

/// The suite's HPKE; external init uses only its exporter.
fn external_hpke<'a, C: Crypto + ?Sized>(cs: &SuiteCrypto<'a, C>) -> Hpke<'a, C> {
    cs.hpke()
}

fn hash_len_u16<C: Crypto + ?Sized>(cs: &SuiteCrypto<'_, C>) -> Result<u16, Error> {
    u16_len(cs.hash_len())
}

fn u16_len(len: usize) -> Result<u16, Error> {
    u16::try_from(len).map_err(|_| crate::Error::Internal("a length exceeds its field"))
}
