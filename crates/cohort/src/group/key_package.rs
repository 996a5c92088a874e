//! Creating and validating KeyPackages (RFC 9420 section 10).

use crate::codec::{VarBytes, VarVec, encode};
use crate::crypto::SuiteCrypto;
use crate::messages::{
    Capabilities, Credential, Extension, ExtensionType, Extensions, KeyPackage, LeafNode,
    LeafNodeSource, Lifetime, ProtocolVersion, is_grease,
};
use crate::tree::{LeafPolicy, LeafRole, validate_leaf_node};
use crate::{Error, MisuseError, ValidationError};
use alloc::vec::Vec;
use cohort_traits::{Crypto, Rand, Secret, Signer};

/// The `SignWithLabel` label of KeyPackageTBS (RFC 9420 section 10).
const KEY_PACKAGE_LABEL: &[u8] = b"KeyPackageTBS";
/// The `SignWithLabel` label of LeafNodeTBS (RFC 9420 section 7.2).
const LEAF_NODE_LABEL: &[u8] = b"LeafNodeTBS";

impl ExtensionType {
    /// `last_resort(10)`: marks a KeyPackage that may be used more than once
    /// (RFC 9420 section 16.8). The code point is registered in the IANA
    /// "MLS Extension Types" registry after RFC 9420 (by the MLS extensions
    /// document); its data is empty and it appears in KeyPackages only.
    pub const LAST_RESORT: ExtensionType = ExtensionType(0x000A);
}

/// Puts the extensions draft's `last_resort_key_package` component (empty
/// data) in the `app_data_dictionary` of KeyPackage `extensions`, creating
/// the dictionary if needed: for a client that speaks the draft, beside the
/// `last_resort` extension peers without it read.
fn mark_last_resort_component(extensions: &mut Extensions) -> Result<(), Error> {
    use crate::messages::AppDataDictionary;
    use crate::messages::app::component;
    let mut dictionary = AppDataDictionary::from_extensions(extensions)?.unwrap_or_default();
    dictionary.set(component::LAST_RESORT_KEY_PACKAGE, Vec::new());
    extensions
        .0
        .retain(|e| e.extension_type != ExtensionType::APP_DATA_DICTIONARY);
    extensions.push(&dictionary)
}

impl KeyPackage {
    /// A builder for a KeyPackage presenting `credential` (RFC 9420
    /// section 10).
    pub fn builder(credential: Credential) -> KeyPackageBuilder {
        KeyPackageBuilder::new(credential)
    }

    /// Whether the KeyPackage is marked as one of last resort: by the
    /// `last_resort` extension, or by the extensions draft's
    /// `last_resort_key_package` component (empty data) in its
    /// `app_data_dictionary` extension.
    pub fn is_last_resort(&self) -> bool {
        use crate::messages::app::component;
        self.extensions.contains(ExtensionType::LAST_RESORT)
            || crate::messages::AppDataDictionary::from_extensions(&self.extensions)
                .ok()
                .flatten()
                .is_some_and(|d| d.get(component::LAST_RESORT_KEY_PACKAGE) == Some(&[][..]))
    }
}

/// A KeyPackage with its private keys (RFC 9420 section 10).
///
/// The private keys are [`Secret`]s: zeroized on drop, redacted in `Debug`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPackageBundle {
    /// The signed KeyPackage to publish.
    pub key_package: KeyPackage,
    /// The private key of `key_package.init_key`, to open a Welcome.
    pub init_private_key: Secret,
    /// The private key of `key_package.leaf_node.encryption_key`.
    pub encryption_private_key: Secret,
    /// Whether this is a "last resort" KeyPackage that may be used more
    /// than once (RFC 9420 section 16.8).
    pub last_resort: bool,
}

/// Builds a [`KeyPackageBundle`] (RFC 9420 section 10).
///
/// Defaults: capabilities list mls10, the suite passed to
/// [`KeyPackageBuilder::build`] and the credential's type, and no
/// non-default extension or proposal types; the lifetime is
/// `{ not_before: 0, not_after: u64::MAX }` (the core reads no clock, so set
/// a real one with [`KeyPackageBuilder::lifetime`]); no extensions but
/// GREASE ones (see [`KeyPackageBuilder::grease`]).
#[derive(Clone, Debug)]
pub struct KeyPackageBuilder {
    credential: Credential,
    capabilities: Option<Capabilities>,
    lifetime: Lifetime,
    extensions: Extensions,
    leaf_extensions: Extensions,
    last_resort: bool,
    grease: bool,
}

impl KeyPackageBuilder {
    /// A builder for a KeyPackage presenting `credential`.
    pub fn new(credential: Credential) -> Self {
        KeyPackageBuilder {
            credential,
            capabilities: None,
            lifetime: Lifetime {
                not_before: 0,
                not_after: u64::MAX,
            },
            extensions: Extensions::new(),
            leaf_extensions: Extensions::new(),
            last_resort: false,
            grease: true,
        }
    }

    /// The leaf's capabilities. The builder adds what the KeyPackage itself
    /// needs if missing: mls10, the suite, the credential's type, and every
    /// non-default extension type it carries, GREASE included (RFC 9420
    /// sections 7.2, 10, 13.5; C-GREASE-06). Everything else the client
    /// supports (other suites, credential types, custom extension and
    /// proposal types) is the application's to list (C-CAP-03). Listing a
    /// default proposal or extension type (C-CAP-01, C-CAP-02), a cipher
    /// suite the crypto provider does not support, or a version other than
    /// mls10 (C-CAP-04; GREASE values excepted) is refused at
    /// [`KeyPackageBuilder::build`].
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = Some(capabilities);
        self
    }

    /// The leaf's lifetime, in seconds since the Unix epoch (RFC 9420
    /// section 7.2).
    pub fn lifetime(mut self, lifetime: Lifetime) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The KeyPackage's extensions (RFC 9420 section 10).
    pub fn extensions(mut self, extensions: Extensions) -> Self {
        self.extensions = extensions;
        self
    }

    /// The leaf node's extensions (RFC 9420 section 7.2).
    pub fn leaf_extensions(mut self, extensions: Extensions) -> Self {
        self.leaf_extensions = extensions;
        self
    }

    /// Marks the KeyPackage as "last resort" (RFC 9420 section 16.8) with
    /// the `last_resort` extension ([`ExtensionType::LAST_RESORT`]) and,
    /// when the capabilities list `app_data_dictionary` (a client speaking
    /// the extensions draft), the draft's `last_resort_key_package`
    /// component as well.
    pub fn last_resort(mut self, last_resort: bool) -> Self {
        self.last_resort = last_resort;
        self
    }

    /// Whether the KeyPackage carries random GREASE values (RFC 9420
    /// section 13.5; C-GREASE-05), as it does by default: one or two in
    /// each of the leaf's capabilities lists of cipher suites, extensions,
    /// proposals and credentials, and one GREASE extension with 0 to 16
    /// random bytes of data in the KeyPackage's extensions and one in the
    /// leaf's, each listed in the leaf's capabilities (C-GREASE-06). They
    /// make peers that wrongly refuse unknown values fail early; a correct
    /// peer ignores them. With `false` the KeyPackage holds exactly what the
    /// builder was given and what it needs.
    pub fn grease(mut self, grease: bool) -> Self {
        self.grease = grease;
        self
    }

    /// Generates fresh init and leaf encryption key pairs (`DeriveKeyPair`
    /// over `KDF.Nh` random bytes each) and signs the leaf (label
    /// LeafNodeTBS) and the KeyPackage (label KeyPackageTBS) with `signer`,
    /// whose scheme must be the suite's (RFC 9420 sections 7.2, 10).
    pub fn build<C: Crypto + ?Sized>(
        self,
        cs: &SuiteCrypto<'_, C>,
        rand: &dyn Rand,
        signer: &dyn Signer,
    ) -> Result<KeyPackageBundle, Error> {
        let (init_private_key, init_key) = fresh_key_pair(cs, rand)?;
        let (leaf_node, encryption_private_key, extensions, last_resort) =
            self.build_leaf(cs, rand, signer)?;
        let mut key_package = KeyPackage {
            version: ProtocolVersion::MLS10,
            cipher_suite: cs.suite(),
            init_key: init_key.into(),
            leaf_node,
            extensions,
            signature: VarBytes::default(),
        };
        let tbs = key_package.to_be_signed()?;
        key_package.signature = cs.sign_with_label(signer, KEY_PACKAGE_LABEL, &tbs)?.into();
        Ok(KeyPackageBundle {
            key_package,
            init_private_key,
            encryption_private_key,
            last_resort,
        })
    }

    /// The signed leaf of the KeyPackage this builder describes and its
    /// encryption private key, without the KeyPackage itself: what a group's
    /// creator needs ([`super::Group::create_as`]). Also returns the
    /// KeyPackage extensions and whether it is last resort.
    pub(crate) fn build_leaf<C: Crypto + ?Sized>(
        self,
        cs: &SuiteCrypto<'_, C>,
        rand: &dyn Rand,
        signer: &dyn Signer,
    ) -> Result<(LeafNode, Secret, Extensions, bool), Error> {
        if signer.scheme() != cs.params().signature {
            return Err(MisuseError::SignerSchemeMismatch(signer.scheme()).into());
        }
        let KeyPackageBuilder {
            credential,
            capabilities,
            lifetime,
            mut extensions,
            mut leaf_extensions,
            last_resort,
            grease,
        } = self;
        if last_resort && !extensions.contains(ExtensionType::LAST_RESORT) {
            extensions.0.push(Extension {
                extension_type: ExtensionType::LAST_RESORT,
                extension_data: VarBytes::default(),
            });
        }
        if last_resort
            && capabilities
                .as_ref()
                .is_some_and(|c| c.extensions.0.contains(&ExtensionType::APP_DATA_DICTIONARY))
        {
            mark_last_resort_component(&mut extensions)?;
        }
        for list in [&extensions, &leaf_extensions] {
            if list.duplicate().is_some() {
                return Err(MisuseError::InconsistentFields("duplicate extension type").into());
            }
        }
        if grease {
            super::grease::grease_extension(&mut extensions, rand)?;
            super::grease::grease_extension(&mut leaf_extensions, rand)?;
        }
        // The GREASE extensions' types are listed with the others.
        let mut capabilities = complete_capabilities(
            capabilities.unwrap_or_default(),
            cs,
            &credential,
            [&extensions, &leaf_extensions],
        )?;
        if grease {
            super::grease::grease_capabilities(&mut capabilities, rand)?;
        }

        let (encryption_private_key, encryption_key) = fresh_key_pair(cs, rand)?;

        let mut leaf_node = LeafNode {
            encryption_key: encryption_key.into(),
            signature_key: signer.public_key().to_vec().into(),
            credential,
            capabilities,
            leaf_node_source: LeafNodeSource::KeyPackage(lifetime),
            extensions: leaf_extensions,
            signature: VarBytes::default(),
        };
        let leaf_tbs = leaf_node.to_be_signed(None)?;
        leaf_node.signature = cs
            .sign_with_label(signer, LEAF_NODE_LABEL, &leaf_tbs)?
            .into();
        Ok((leaf_node, encryption_private_key, extensions, last_resort))
    }
}

/// A key pair from `DeriveKeyPair` over `KDF.Nh` fresh random bytes.
fn fresh_key_pair<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    rand: &dyn Rand,
) -> Result<(Secret, Vec<u8>), Error> {
    let mut ikm = zeroize::Zeroizing::new(vec![0u8; cs.hash_len()]);
    rand.fill(&mut ikm)?;
    cs.derive_key_pair(&ikm)
}

/// Adds to `caps` what the KeyPackage needs (mls10, the suite, the
/// credential type, the non-default extension types it carries; C-CAP-03,
/// C-GREASE-06) and refuses default types (RFC 9420 section 7.2; C-CAP-01,
/// C-CAP-02) and versions or cipher suites this client cannot run (RFC 9420
/// section 13.4; C-CAP-04). GREASE values are left as given.
pub(crate) fn complete_capabilities<C: Crypto + ?Sized>(
    mut caps: Capabilities,
    cs: &SuiteCrypto<'_, C>,
    credential: &Credential,
    carried: [&Extensions; 2],
) -> Result<Capabilities, Error> {
    if let Some(t) = caps.extensions.0.iter().find(|t| t.is_default()) {
        return Err(MisuseError::DefaultTypeInCapabilities(t.0).into());
    }
    if let Some(t) = caps.proposals.0.iter().find(|t| t.is_default()) {
        return Err(MisuseError::DefaultTypeInCapabilities(t.0).into());
    }
    if let Some(s) = caps
        .cipher_suites
        .0
        .iter()
        .find(|s| !is_grease(s.0) && !cs.provider().supports(**s))
    {
        return Err(MisuseError::UnsupportedCiphersuite(*s).into());
    }
    if caps
        .versions
        .0
        .iter()
        .any(|v| !is_grease(v.0) && *v != ProtocolVersion::MLS10)
    {
        return Err(MisuseError::InconsistentFields(
            "capabilities list a protocol version other than mls10",
        )
        .into());
    }
    push_missing(&mut caps.versions, ProtocolVersion::MLS10);
    push_missing(&mut caps.cipher_suites, cs.suite());
    push_missing(&mut caps.credentials, credential.credential_type());
    for list in carried {
        for e in list.iter().filter(|e| !e.extension_type.is_default()) {
            push_missing(&mut caps.extensions, e.extension_type);
        }
    }
    Ok(caps)
}

fn push_missing<T: PartialEq>(list: &mut VarVec<T>, value: T) {
    if !list.0.contains(&value) {
        list.0.push(value);
    }
}

/// Validates a received KeyPackage for a group of `cs`'s suite (RFC 9420
/// section 10.1): version mls10 and the group's suite (C-KP-02), init key
/// shape (C-KP-06) distinct from the leaf's encryption key (C-KP-05),
/// extensions unique (C-CAP-05, C-CAP-06), allowed in a KeyPackage or leaf
/// (C-CAP-17) and listed in the capabilities (C-KP-07), the leaf valid for a
/// KeyPackage under `policy` (C-KP-04, C-LN-*), and the signature (C-KP-03).
///
/// Checks against other members (credential types in use, key uniqueness)
/// belong to proposal-list validation.
pub fn validate_key_package<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    kp: &KeyPackage,
    policy: &LeafPolicy<'_>,
) -> Result<(), Error> {
    if kp.version != ProtocolVersion::MLS10 || kp.cipher_suite != cs.suite() {
        return Err(ValidationError::KeyPackageGroupMismatch.into());
    }
    if Some(kp.init_key.0.len()) != cs.params().kem.public_key_len() {
        return Err(ValidationError::InvalidInitKey.into());
    }
    if kp.init_key == kp.leaf_node.encryption_key {
        return Err(ValidationError::InitKeyEqualsEncryptionKey.into());
    }
    // The extension limit first: each list is then sorted and searched.
    for list in [&kp.extensions, &kp.leaf_node.extensions] {
        if list.len() > policy.max_extensions {
            return Err(crate::LimitError::TooManyExtensions {
                count: list.len(),
                max: policy.max_extensions,
            }
            .into());
        }
    }
    check_extension_list(&kp.extensions, ExtensionContext::KeyPackage)?;
    let caps = &kp.leaf_node.capabilities;
    let carried = crate::tree::SortedSet::new(
        kp.extensions
            .iter()
            .map(|e| e.extension_type)
            .filter(|t| !t.is_default()),
    );
    if let Some(t) = carried.first_missing_from(&caps.extensions.0) {
        return Err(ValidationError::UnsupportedKeyPackageExtension {
            extension_type: t.0,
        }
        .into());
    }
    check_extension_list(&kp.leaf_node.extensions, ExtensionContext::LeafNode)?;
    validate_leaf_node(cs, &kp.leaf_node, LeafRole::KeyPackage, None, policy)?;
    let tbs = kp.to_be_signed()?;
    cs.verify_with_label(
        kp.leaf_node.signature_key.as_slice(),
        KEY_PACKAGE_LABEL,
        &tbs,
        kp.signature.as_slice(),
    )
    .map_err(|e| match e {
        Error::Validation(ValidationError::InvalidSignature) => {
            ValidationError::KeyPackageSignatureInvalid.into()
        }
        other => other,
    })
}

/// `MakeKeyPackageRef(value)` over the encoded KeyPackage, hashed with
/// `cs`'s suite, which must be the KeyPackage's (RFC 9420 section 5.2).
pub fn key_package_ref<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    kp: &KeyPackage,
) -> Result<Vec<u8>, Error> {
    cs.make_key_package_ref(&encode(kp)?)
}

/// The object an extension list belongs to, for the "Message(s)" column of
/// the extension types registry (RFC 9420 section 17.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExtensionContext {
    /// `KeyPackage.extensions` (KP).
    KeyPackage,
    /// `LeafNode.extensions` (LN).
    LeafNode,
    /// `GroupContext.extensions` (GC), as set by a GroupContextExtensions
    /// proposal or a ReInit.
    GroupContext,
}

/// Checks that an extension list holds each type at most once (RFC 9420
/// section 13.4; C-CAP-05 to C-CAP-07), that each default type appears only
/// where the registry allows it (C-CAP-17), and that group context
/// extensions hold no GREASE value (section 13.5; C-GREASE-09, C-GREASE-10).
pub(crate) fn check_extension_list(
    list: &Extensions,
    context: ExtensionContext,
) -> Result<(), Error> {
    if let Some(t) = list.duplicate() {
        return Err(ValidationError::DuplicateExtension {
            extension_type: t.0,
        }
        .into());
    }
    for e in list.iter() {
        let t = e.extension_type;
        let allowed = match context {
            ExtensionContext::KeyPackage => !t.is_default(),
            ExtensionContext::LeafNode => !t.is_default() || t == ExtensionType::APPLICATION_ID,
            ExtensionContext::GroupContext => {
                if is_grease(t.0) {
                    return Err(ValidationError::GreaseGroupContextExtension {
                        extension_type: t.0,
                    }
                    .into());
                }
                !t.is_default()
                    || t == ExtensionType::REQUIRED_CAPABILITIES
                    || t == ExtensionType::EXTERNAL_SENDERS
            }
        };
        if !allowed {
            return Err(ValidationError::ExtensionNotAllowed {
                extension_type: t.0,
            }
            .into());
        }
    }
    Ok(())
}
