//! KeyPackages (RFC 9420 section 10): building, validating, references.
//! Each broken rule is refused with its named error; check IDs refer to
//! `checks.md`.

mod common;

use cohort::codec::{VarBytes, VarVec, decode_exact, encode};
use cohort::crypto::SuiteCrypto;
use cohort::group::{KeyPackageBundle, key_package_ref, validate_key_package};
use cohort::messages::{
    Capabilities, Credential, CredentialType, Extension, ExtensionType, Extensions, KeyPackage,
    LeafNodeSource, Lifetime, ProposalType, ProtocolVersion, is_grease,
};
use cohort::tree::LeafPolicy;
use cohort::{Error, MisuseError, ValidationError};
use cohort_basic_credential::SignatureKeyPair;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, Crypto, Signer};
use common::cs;

type Keys = SignatureKeyPair<RustCrypto>;

fn signer(cs: &SuiteCrypto<'_, RustCrypto>, seed: u64) -> Keys {
    SignatureKeyPair::generate(
        RustCrypto,
        cs.params().signature,
        &SeededRand::from_u64(seed),
    )
    .unwrap()
}

fn bundle(cs: &SuiteCrypto<'_, RustCrypto>, signer: &Keys, seed: u64) -> KeyPackageBundle {
    KeyPackage::builder(Credential::basic("alice"))
        .build(cs, &SeededRand::from_u64(seed), signer)
        .unwrap()
}

/// `list` without its GREASE values (the builder adds random ones by
/// default; C-GREASE-05).
fn real<T: Clone>(list: &[T], value: impl Fn(&T) -> u16) -> Vec<T> {
    list.iter()
        .filter(|t| !is_grease(value(t)))
        .cloned()
        .collect()
}

fn ext(t: u16, data: &[u8]) -> Extension {
    Extension {
        extension_type: ExtensionType(t),
        extension_data: VarBytes(data.to_vec()),
    }
}

/// Re-signs the leaf (key_package source) and the KeyPackage after a change,
/// so that only the rule under test breaks.
fn resign(cs: &SuiteCrypto<'_, RustCrypto>, signer: &Keys, mut kp: KeyPackage) -> KeyPackage {
    let tbs = kp.leaf_node.to_be_signed(None).unwrap();
    kp.leaf_node.signature = cs
        .sign_with_label(signer, b"LeafNodeTBS", &tbs)
        .unwrap()
        .into();
    resign_outer(cs, signer, kp)
}

/// Re-signs only the KeyPackage.
fn resign_outer(cs: &SuiteCrypto<'_, RustCrypto>, signer: &Keys, mut kp: KeyPackage) -> KeyPackage {
    let tbs = kp.to_be_signed().unwrap();
    kp.signature = cs
        .sign_with_label(signer, b"KeyPackageTBS", &tbs)
        .unwrap()
        .into();
    kp
}

fn validate(kp: &KeyPackage) -> Result<(), Error> {
    validate_key_package(&cs(1), kp, &LeafPolicy::default())
}

fn err(e: ValidationError) -> Result<(), Error> {
    Err(Error::Validation(e))
}

/// A fresh valid KeyPackage for suite 1 and its signer.
fn fresh() -> (KeyPackage, Keys) {
    let cs = cs(1);
    let signer = signer(&cs, 1);
    (bundle(&cs, &signer, 2).key_package, signer)
}

/// C-CAP-03 (send): the builder lists what the KeyPackage itself uses
/// (mls10, its suite, its credential type); C-CRYPTO-05: its reference
/// hashes the encoded KeyPackage with the KeyPackage's own suite.
#[test]
fn build_then_validate_round_trips_in_every_suite() {
    for suite in Ciphersuite::RFC9420 {
        let cs = cs(suite.0);
        let signer = signer(&cs, u64::from(suite.0));
        let b = bundle(&cs, &signer, 7);
        let kp = &b.key_package;
        validate_key_package(&cs, kp, &LeafPolicy::default()).unwrap();
        assert_eq!(kp.version, ProtocolVersion::MLS10);
        assert_eq!(kp.cipher_suite, suite);
        assert_eq!(kp.leaf_node.signature_key.as_slice(), signer.public_key());
        assert!(!b.last_resort && !kp.is_last_resort());
        // The private keys match the public ones.
        let kem = cs.params().kem;
        let init_pub = RustCrypto
            .kem_public_key(kem, b.init_private_key.as_bytes())
            .unwrap();
        assert_eq!(init_pub, kp.init_key.0);
        let enc_pub = RustCrypto
            .kem_public_key(kem, b.encryption_private_key.as_bytes())
            .unwrap();
        assert_eq!(enc_pub, kp.leaf_node.encryption_key.0);
        // Default capabilities: mls10, the suite, the credential type, and
        // GREASE values (C-GREASE-05).
        let caps = &kp.leaf_node.capabilities;
        assert_eq!(caps.versions.0, vec![ProtocolVersion::MLS10]);
        assert_eq!(real(&caps.cipher_suites.0, |s| s.0), vec![suite]);
        assert_eq!(
            real(&caps.credentials.0, |t| t.0),
            vec![Credential::basic("").credential_type()]
        );
        assert!(real(&caps.extensions.0, |t| t.0).is_empty());
        assert!(real(&caps.proposals.0, |t| t.0).is_empty());
        assert_eq!(
            kp.leaf_node.leaf_node_source,
            LeafNodeSource::KeyPackage(Lifetime {
                not_before: 0,
                not_after: u64::MAX
            })
        );
        // Wire round trip and reference.
        let bytes = encode(kp).unwrap();
        assert_eq!(&decode_exact::<KeyPackage>(&bytes).unwrap(), kp);
        let r = key_package_ref(&cs, kp).unwrap();
        assert_eq!(r.len(), cs.hash_len());
        assert_eq!(r, cs.make_key_package_ref(&bytes).unwrap());
    }
}

#[test]
fn builder_options_are_applied() {
    let cs = cs(1);
    let signer = signer(&cs, 3);
    let lifetime = Lifetime {
        not_before: 1_000,
        not_after: 2_000,
    };
    let caps = Capabilities {
        proposals: VarVec(vec![ProposalType(0xF002)]),
        ..Default::default()
    };
    let b = KeyPackage::builder(Credential::basic("bob"))
        .capabilities(caps)
        .lifetime(lifetime)
        .extensions(Extensions(vec![ext(0x1A1A, b"grease")]))
        .leaf_extensions(Extensions(vec![
            ext(0xF001, b"x"),
            ext(0x0001, b"app"),
            ext(0x2A2A, b""),
        ]))
        .last_resort(true)
        .build(&cs, &SeededRand::from_u64(4), &signer)
        .unwrap();
    let kp = &b.key_package;
    assert!(b.last_resort && kp.is_last_resort());
    assert_eq!(
        kp.leaf_node.leaf_node_source,
        LeafNodeSource::KeyPackage(lifetime)
    );
    let caps = &kp.leaf_node.capabilities;
    // Non-default extension types carried are listed, GREASE included
    // (C-GREASE-06); default ones are not.
    for t in [0x1A1A, 0x000A, 0xF001, 0x2A2A] {
        assert!(caps.extensions.0.contains(&ExtensionType(t)), "{t:#x}");
    }
    assert!(!caps.extensions.0.contains(&ExtensionType::APPLICATION_ID));
    assert_eq!(real(&caps.proposals.0, |t| t.0), vec![ProposalType(0xF002)]);
    assert!(caps.cipher_suites.0.contains(&cs.suite()));
    let policy = LeafPolicy {
        now: Some(1_500),
        ..Default::default()
    };
    validate_key_package(&cs, kp, &policy).unwrap();
}

/// The `last_resort` extension has type 0x000A and empty data.
#[test]
fn last_resort_extension_code_point() {
    let cs = cs(1);
    let signer = signer(&cs, 5);
    let kp = KeyPackage::builder(Credential::basic("carol"))
        .last_resort(true)
        .build(&cs, &SeededRand::from_u64(6), &signer)
        .unwrap()
        .key_package;
    assert_eq!(ExtensionType::LAST_RESORT, ExtensionType(0x000A));
    assert_eq!(
        real(&kp.extensions.0, |e| e.extension_type.0),
        vec![ext(0x000A, b"")]
    );
    validate(&kp).unwrap();
}

/// C-KP-08: every KeyPackage has its own init key.
#[test]
fn each_key_package_has_a_fresh_init_key_c_kp_08() {
    let cs = cs(1);
    let signer = signer(&cs, 1);
    let a = bundle(&cs, &signer, 10).key_package;
    let b = bundle(&cs, &signer, 11).key_package;
    assert_ne!(a.init_key, b.init_key);
    assert_ne!(a.leaf_node.encryption_key, b.leaf_node.encryption_key);
    assert_ne!(a.init_key, a.leaf_node.encryption_key);
}

/// C-CAP-01, C-CAP-02: capabilities never list default types.
#[test]
fn builder_refuses_default_types_in_capabilities_c_cap_01_02() {
    let cs = cs(1);
    let signer = signer(&cs, 1);
    let listing_proposal = Capabilities {
        proposals: VarVec(vec![ProposalType::ADD]),
        ..Default::default()
    };
    let listing_extension = Capabilities {
        extensions: VarVec(vec![ExtensionType::RATCHET_TREE]),
        ..Default::default()
    };
    for (caps, t) in [(listing_proposal, 1), (listing_extension, 2)] {
        let r = KeyPackage::builder(Credential::basic("a"))
            .capabilities(caps)
            .build(&cs, &RustCrypto, &signer);
        assert_eq!(
            r.unwrap_err(),
            Error::Misuse(MisuseError::DefaultTypeInCapabilities(t))
        );
    }
}

#[test]
fn builder_refuses_a_signer_of_another_scheme() {
    // Suite 2 signs with ECDSA P-256, suite 1 with Ed25519.
    let signer = signer(&cs(2), 1);
    let r = KeyPackage::builder(Credential::basic("a")).build(&cs(1), &RustCrypto, &signer);
    assert!(matches!(
        r.unwrap_err(),
        Error::Misuse(MisuseError::SignerSchemeMismatch(_))
    ));
}

/// C-KP-02: a KeyPackage of another suite or version.
#[test]
fn other_suite_or_version_c_kp_02() {
    let cs3 = cs(3);
    let signer3 = signer(&cs3, 1);
    let kp = bundle(&cs3, &signer3, 2).key_package;
    assert_eq!(validate(&kp), err(ValidationError::KeyPackageGroupMismatch));

    let (mut kp, signer) = fresh();
    kp.version = ProtocolVersion(2);
    let kp = resign_outer(&cs(1), &signer, kp);
    assert_eq!(validate(&kp), err(ValidationError::KeyPackageGroupMismatch));
}

/// C-KP-03: one byte of init_key changed after signing.
#[test]
fn changed_init_key_breaks_the_signature_c_kp_03() {
    let (mut kp, _) = fresh();
    kp.init_key.0[5] ^= 1;
    assert_eq!(
        validate(&kp),
        err(ValidationError::KeyPackageSignatureInvalid)
    );
}

/// C-KP-03: the signature must use the label KeyPackageTBS (C-CRYPTO-01).
#[test]
fn signature_with_another_label_c_kp_03() {
    let (mut kp, signer) = fresh();
    let tbs = kp.to_be_signed().unwrap();
    kp.signature = cs(1)
        .sign_with_label(&signer, b"LeafNodeTBS", &tbs)
        .unwrap()
        .into();
    assert_eq!(
        validate(&kp),
        err(ValidationError::KeyPackageSignatureInvalid)
    );
}

/// C-KP-04: the leaf must pass LeafNode validation for a KeyPackage.
#[test]
fn invalid_leaf_c_kp_04() {
    let cs = cs(1);
    // Source update (C-LN-17).
    let (mut kp, signer) = fresh();
    kp.leaf_node.leaf_node_source = LeafNodeSource::Update;
    let tbs = kp
        .leaf_node
        .to_be_signed(Some((b"g", cohort::tree::math::LeafIndex(0))))
        .unwrap();
    kp.leaf_node.signature = cs
        .sign_with_label(&signer, b"LeafNodeTBS", &tbs)
        .unwrap()
        .into();
    let kp = resign_outer(&cs, &signer, kp);
    assert_eq!(validate(&kp), err(ValidationError::LeafNodeSourceMismatch));

    // Bad leaf signature (C-LN-01), KeyPackage signature still valid.
    let (mut kp, signer) = fresh();
    kp.leaf_node.credential = Credential::basic("mallory");
    let kp = resign_outer(&cs, &signer, kp);
    assert_eq!(
        validate(&kp),
        err(ValidationError::LeafSignatureInvalid { leaf: 0 })
    );

    // Leaf lacking the group's suite (C-LN-06).
    let (mut kp, signer) = fresh();
    kp.leaf_node.capabilities.cipher_suites = VarVec(vec![Ciphersuite(2)]);
    let kp = resign(&cs, &signer, kp);
    assert_eq!(
        validate(&kp),
        err(ValidationError::LeafLacksGroupCapabilities)
    );
}

/// C-KP-05: init_key equal to the leaf encryption_key.
#[test]
fn init_key_equal_to_encryption_key_c_kp_05() {
    let (mut kp, signer) = fresh();
    kp.init_key = kp.leaf_node.encryption_key.clone();
    let kp = resign_outer(&cs(1), &signer, kp);
    assert_eq!(
        validate(&kp),
        err(ValidationError::InitKeyEqualsEncryptionKey)
    );
}

/// C-KP-06: a 31-byte X25519 init_key.
#[test]
fn short_init_key_c_kp_06() {
    let (mut kp, signer) = fresh();
    kp.init_key.0.pop();
    let kp = resign_outer(&cs(1), &signer, kp);
    assert_eq!(validate(&kp), err(ValidationError::InvalidInitKey));
}

/// C-KP-07: a KeyPackage extension 0xF001 absent from the capabilities.
#[test]
fn unlisted_key_package_extension_c_kp_07() {
    let (mut kp, signer) = fresh();
    kp.extensions.0.push(ext(0xF001, b""));
    let kp = resign_outer(&cs(1), &signer, kp);
    assert_eq!(
        validate(&kp),
        err(ValidationError::UnsupportedKeyPackageExtension {
            extension_type: 0xF001
        })
    );
}

/// C-CAP-05: two KeyPackage extensions of one type.
#[test]
fn duplicate_key_package_extension_c_cap_05() {
    let (mut kp, signer) = fresh();
    kp.leaf_node
        .capabilities
        .extensions
        .0
        .push(ExtensionType(0x0A0A));
    kp.extensions.0.push(ext(0x0A0A, b"1"));
    kp.extensions.0.push(ext(0x0A0A, b"2"));
    let kp = resign(&cs(1), &signer, kp);
    assert_eq!(
        validate(&kp),
        err(ValidationError::DuplicateExtension {
            extension_type: 0x0A0A
        })
    );
}

/// C-CAP-06: two application_id extensions in the leaf.
#[test]
fn duplicate_leaf_extension_c_cap_06() {
    let (mut kp, signer) = fresh();
    kp.leaf_node.extensions.0.push(ext(0x0001, b"a"));
    kp.leaf_node.extensions.0.push(ext(0x0001, b"b"));
    let kp = resign(&cs(1), &signer, kp);
    assert_eq!(
        validate(&kp),
        err(ValidationError::DuplicateExtension { extension_type: 1 })
    );
}

/// C-CAP-17: external_senders in a KeyPackage, ratchet_tree in a leaf.
#[test]
fn extension_in_the_wrong_object_c_cap_17() {
    let (mut kp, signer) = fresh();
    kp.extensions.0.push(ext(0x0005, &[0]));
    let kp = resign(&cs(1), &signer, kp);
    assert_eq!(
        validate(&kp),
        err(ValidationError::ExtensionNotAllowed { extension_type: 5 })
    );

    let (mut kp, signer) = fresh();
    kp.leaf_node.extensions.0.push(ext(0x0002, &[0]));
    let kp = resign(&cs(1), &signer, kp);
    assert_eq!(
        validate(&kp),
        err(ValidationError::ExtensionNotAllowed { extension_type: 2 })
    );
}

/// C-GREASE-02, C-GREASE-03 (accept): unknown KeyPackage and leaf
/// extensions listed in the capabilities are ignored, whatever their data.
#[test]
fn unknown_extensions_are_accepted_c_grease_02() {
    let cs = cs(1);
    let signer = signer(&cs, 8);
    let kp = KeyPackage::builder(Credential::basic("d"))
        .extensions(Extensions(vec![ext(0x1A1A, &[0xff; 17])]))
        .leaf_extensions(Extensions(vec![ext(0x2A2A, &[1, 2, 3])]))
        .build(&cs, &RustCrypto, &signer)
        .unwrap()
        .key_package;
    validate(&kp).unwrap();
}

/// C-LN-15 through the policy: an expired KeyPackage is refused when the
/// caller passes the time.
#[test]
fn expired_key_package_with_a_clock() {
    let cs = cs(1);
    let signer = signer(&cs, 9);
    let kp = KeyPackage::builder(Credential::basic("e"))
        .lifetime(Lifetime {
            not_before: 10,
            not_after: 20,
        })
        .build(&cs, &RustCrypto, &signer)
        .unwrap()
        .key_package;
    let policy = LeafPolicy {
        now: Some(21),
        ..Default::default()
    };
    assert_eq!(
        validate_key_package(&cs, &kp, &policy),
        err(ValidationError::LifetimeInvalid)
    );
}

/// C-CAP-04 (send): a client advertises only what it can run: a cipher
/// suite its crypto provider does not support, or a version other than
/// mls10, is refused; GREASE values may be listed (RFC 9420 section 13.5).
#[test]
fn builder_advertises_only_what_the_client_runs_c_cap_04() {
    let cs = cs(1);
    let signer = signer(&cs, 12);
    let build = |caps: Capabilities| {
        KeyPackage::builder(Credential::basic("f"))
            .capabilities(caps)
            .build(&cs, &RustCrypto, &signer)
    };
    assert_eq!(
        build(Capabilities {
            cipher_suites: VarVec(vec![Ciphersuite(0x7777)]),
            ..Default::default()
        })
        .unwrap_err(),
        Error::Misuse(MisuseError::UnsupportedCiphersuite(Ciphersuite(0x7777)))
    );
    assert!(matches!(
        build(Capabilities {
            versions: VarVec(vec![ProtocolVersion(2)]),
            ..Default::default()
        })
        .unwrap_err(),
        Error::Misuse(MisuseError::InconsistentFields(_))
    ));
    // Every suite the provider runs, and GREASE values, are accepted.
    let kp = build(Capabilities {
        versions: VarVec(vec![ProtocolVersion(0x0A0A)]),
        cipher_suites: VarVec(
            Ciphersuite::RFC9420
                .into_iter()
                .chain([Ciphersuite(0x1A1A)])
                .collect(),
        ),
        ..Default::default()
    })
    .unwrap()
    .key_package;
    validate(&kp).unwrap();
}

/// C-GREASE-01 (accept): unknown and GREASE values in every capabilities
/// list are ignored.
#[test]
fn grease_in_capabilities_is_ignored_c_grease_01() {
    let cs = cs(1);
    let signer = signer(&cs, 13);
    let kp = KeyPackage::builder(Credential::basic("g"))
        .capabilities(Capabilities {
            versions: VarVec(vec![ProtocolVersion(0x0A0A)]),
            cipher_suites: VarVec(vec![Ciphersuite(1), Ciphersuite(0x0A0A)]),
            extensions: VarVec(vec![ExtensionType(0x1A1A)]),
            proposals: VarVec(vec![ProposalType(0x2A2A)]),
            credentials: VarVec(vec![CredentialType(0x3A3A)]),
        })
        .build(&cs, &RustCrypto, &signer)
        .unwrap()
        .key_package;
    validate(&kp).unwrap();
}

/// C-GREASE-11: a GREASE value gets no special handling on receipt; it is
/// treated like any other unknown value (here 0x7777): accepted in
/// capabilities and KeyPackage extensions, and decoded as an
/// application-defined proposal or credential type. (That a GREASE
/// credential type can never be supported, C-GREASE-08, is a rule of
/// leaf validation: tests/leaf.rs.)
#[test]
fn grease_behaves_like_any_unknown_value_c_grease_11() {
    let cs = cs(1);
    for v in [0x0A0Au16, 0x7777] {
        let (mut kp, signer) = fresh();
        kp.leaf_node
            .capabilities
            .cipher_suites
            .0
            .push(Ciphersuite(v));
        kp.leaf_node
            .capabilities
            .versions
            .0
            .push(ProtocolVersion(v));
        kp.leaf_node
            .capabilities
            .extensions
            .0
            .push(ExtensionType(v));
        kp.leaf_node.capabilities.proposals.0.push(ProposalType(v));
        kp.leaf_node
            .capabilities
            .credentials
            .0
            .push(CredentialType(v));
        kp.extensions.0.push(ext(v, &[1, 2]));
        let kp = resign(&cs, &signer, kp);
        validate(&kp).unwrap();
        // A GREASE proposal type decodes like any custom type (and is
        // refused as unsupported by proposal validation, C-GREASE-07).
        let mut proposal = v.to_be_bytes().to_vec();
        proposal.extend_from_slice(&[0]);
        assert_eq!(
            decode_exact::<cohort::messages::Proposal>(&proposal)
                .unwrap()
                .proposal_type(),
            ProposalType(v)
        );
        let mut credential = v.to_be_bytes().to_vec();
        credential.push(0);
        assert_eq!(
            decode_exact::<Credential>(&credential).unwrap(),
            Credential::Custom {
                credential_type: CredentialType(v),
                data: VarBytes::default(),
            }
        );
    }
}
