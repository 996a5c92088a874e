//! LeafNode validation (RFC 9420 section 7.3): each broken rule is refused
//! with its named error. Check IDs refer to `checks.md`.

mod common;

use cohort::codec::{VarBytes, VarVec};
use cohort::messages::{
    CredentialType, Extension, ExtensionType, LeafNode, LeafNodeSource, Lifetime, ProposalType,
    RequiredCapabilities,
};
use cohort::tree::math::LeafIndex;
use cohort::tree::{LeafPolicy, LeafRole, validate_leaf_node};
use cohort::{Error, ValidationError};
use common::*;

const FOREVER: Lifetime = Lifetime {
    not_before: 0,
    not_after: u64::MAX,
};

fn kp_leaf() -> LeafNode {
    leaf_node(&cs(1), 0, LeafNodeSource::KeyPackage(FOREVER))
}

/// Re-signs a modified key_package leaf so only the rule under test fails.
fn resign(mut leaf: LeafNode) -> LeafNode {
    let cs = cs(1);
    let tbs = leaf.to_be_signed(None).unwrap();
    leaf.signature = cs
        .sign_with_label_key(signature_key(&cs, 0).as_bytes(), b"LeafNodeTBS", &tbs)
        .unwrap()
        .into();
    leaf
}

fn check(leaf: &LeafNode, role: LeafRole<'_>, policy: &LeafPolicy<'_>) -> Result<(), Error> {
    validate_leaf_node(&cs(1), leaf, role, Some((GROUP_ID, LeafIndex(0))), policy)
}

fn err(e: ValidationError) -> Result<(), Error> {
    Err(Error::Validation(e))
}

#[test]
fn a_well_formed_leaf_passes() {
    check(&kp_leaf(), LeafRole::KeyPackage, &LeafPolicy::default()).unwrap();
}

/// C-LN-01: any field changed after signing.
#[test]
fn changed_field_breaks_signature_c_ln_01() {
    let mut leaf = kp_leaf();
    leaf.credential = cohort::messages::Credential::basic("mallory");
    assert_eq!(
        check(&leaf, LeafRole::KeyPackage, &LeafPolicy::default()),
        err(ValidationError::LeafSignatureInvalid { leaf: 0 })
    );
}

/// C-LN-02: an update/commit leaf signed for another group or leaf index.
#[test]
fn commit_leaf_bound_to_group_and_index_c_ln_02() {
    let cs = cs(1);
    let leaf = leaf_node(&cs, 0, LeafNodeSource::Commit(VarBytes(vec![0; 32])));
    let policy = LeafPolicy::default();
    validate_leaf_node(
        &cs,
        &leaf,
        LeafRole::Commit,
        Some((GROUP_ID, LeafIndex(0))),
        &policy,
    )
    .unwrap();
    assert!(
        validate_leaf_node(
            &cs,
            &leaf,
            LeafRole::Commit,
            Some((b"other", LeafIndex(0))),
            &policy
        )
        .is_err()
    );
    assert!(
        validate_leaf_node(
            &cs,
            &leaf,
            LeafRole::Commit,
            Some((GROUP_ID, LeafIndex(1))),
            &policy
        )
        .is_err()
    );
}

/// C-LN-04: a signature key that is not a key of the suite's scheme: a
/// P-256 key in an Ed25519 suite, a compressed P-256 point in a P-256 suite.
#[test]
fn malformed_signature_key_is_refused_c_ln_04() {
    use cohort_traits::{Crypto, SignatureScheme};
    let (_, p256) = CRYPTO
        .signature_key_generate(SignatureScheme::ECDSA_SECP256R1_SHA256, &CRYPTO)
        .unwrap();
    let mut leaf = kp_leaf();
    leaf.signature_key = VarBytes(p256.clone());
    assert_eq!(
        check(&leaf, LeafRole::KeyPackage, &LeafPolicy::default()),
        err(ValidationError::InvalidSignatureKey { leaf: 0 })
    );

    let cs2 = cs(2);
    let mut leaf = leaf_node(&cs2, 0, LeafNodeSource::KeyPackage(FOREVER));
    validate_leaf_node(
        &cs2,
        &leaf,
        LeafRole::KeyPackage,
        None,
        &LeafPolicy::default(),
    )
    .unwrap();
    let key = leaf.signature_key.0.clone();
    let mut compressed = vec![0x02 | (key[64] & 1)];
    compressed.extend_from_slice(&key[1..33]);
    leaf.signature_key = VarBytes(compressed);
    assert_eq!(
        validate_leaf_node(
            &cs2,
            &leaf,
            LeafRole::KeyPackage,
            None,
            &LeafPolicy::default()
        ),
        err(ValidationError::InvalidSignatureKey { leaf: 0 })
    );
}

/// C-LN-05: a 31-byte X25519 key.
#[test]
fn short_encryption_key_is_refused_c_ln_05() {
    let mut leaf = kp_leaf();
    leaf.encryption_key.0.pop();
    assert_eq!(
        check(&resign(leaf), LeafRole::KeyPackage, &LeafPolicy::default()),
        err(ValidationError::InvalidEncryptionKey)
    );
}

/// C-LN-06: capabilities without the group's suite.
#[test]
fn missing_group_suite_is_refused_c_ln_06() {
    let mut leaf = kp_leaf();
    leaf.capabilities.cipher_suites = VarVec(vec![cohort_traits::Ciphersuite(2)]);
    assert_eq!(
        check(&resign(leaf), LeafRole::KeyPackage, &LeafPolicy::default()),
        err(ValidationError::LeafLacksGroupCapabilities)
    );
}

/// C-LN-07, C-LN-08, C-LN-09: required capabilities.
#[test]
fn required_capabilities_are_enforced_c_ln_07_08_09() {
    let leaf = kp_leaf();
    for req in [
        RequiredCapabilities {
            extension_types: VarVec(vec![ExtensionType(0xf001)]),
            ..Default::default()
        },
        RequiredCapabilities {
            proposal_types: VarVec(vec![ProposalType(0xf002)]),
            ..Default::default()
        },
        RequiredCapabilities {
            credential_types: VarVec(vec![CredentialType::X509]),
            ..Default::default()
        },
    ] {
        let policy = LeafPolicy {
            required: Some(&cohort::tree::RequiredSet::new(&req)),
            ..Default::default()
        };
        assert_eq!(
            check(&leaf, LeafRole::KeyPackage, &policy),
            err(ValidationError::LeafLacksRequiredCapabilities)
        );
    }
}

/// C-LN-12: the leaf's own credential type must be in its capabilities.
#[test]
fn own_credential_type_required_c_ln_12() {
    let mut leaf = kp_leaf();
    leaf.capabilities.credentials = VarVec(vec![CredentialType::X509]);
    assert_eq!(
        check(&resign(leaf), LeafRole::KeyPackage, &LeafPolicy::default()),
        err(ValidationError::CredentialTypeNotInCapabilities)
    );
}

/// C-GREASE-08: a credential of a GREASE type is refused as unsupported,
/// even when the leaf lists the type in its capabilities; an unknown
/// non-GREASE type (0x7777) listed there passes the leaf's checks and is
/// left to the application's Authentication Service.
#[test]
fn grease_credential_type_refused_c_grease_08() {
    for t in [0x0A0Au16, 0x7777] {
        let mut leaf = kp_leaf();
        leaf.credential = cohort::messages::Credential::Custom {
            credential_type: CredentialType(t),
            data: VarBytes(b"eve".to_vec()),
        };
        leaf.capabilities.credentials.0.push(CredentialType(t));
        let got = check(&resign(leaf), LeafRole::KeyPackage, &LeafPolicy::default());
        if t == 0x7777 {
            got.unwrap();
        } else {
            assert_eq!(
                got,
                err(ValidationError::GreaseCredentialType { credential_type: t })
            );
        }
    }
}

/// C-LN-13: a non-default extension absent from capabilities.
#[test]
fn unlisted_extension_is_refused_c_ln_13() {
    let mut leaf = kp_leaf();
    leaf.extensions.0.push(Extension {
        extension_type: ExtensionType(0x0a0a),
        extension_data: VarBytes(vec![]),
    });
    assert_eq!(
        check(
            &resign(leaf.clone()),
            LeafRole::KeyPackage,
            &LeafPolicy::default()
        ),
        err(ValidationError::UnsupportedLeafExtension)
    );
    leaf.capabilities.extensions = VarVec(vec![ExtensionType(0x0a0a)]);
    check(&resign(leaf), LeafRole::KeyPackage, &LeafPolicy::default()).unwrap();
}

/// C-LN-15 and C-LN-16: lifetimes.
#[test]
fn lifetimes_are_checked_c_ln_15_16() {
    let with = |not_before, not_after| {
        let mut leaf = kp_leaf();
        leaf.leaf_node_source = LeafNodeSource::KeyPackage(Lifetime {
            not_before,
            not_after,
        });
        resign(leaf)
    };
    let now = LeafPolicy {
        now: Some(1_000),
        ..Default::default()
    };
    check(&with(500, 2_000), LeafRole::KeyPackage, &now).unwrap();
    for (a, b) in [(0, 999), (1_001, 2_000), (2_000, 500)] {
        assert_eq!(
            check(&with(a, b), LeafRole::KeyPackage, &now),
            err(ValidationError::LifetimeInvalid)
        );
    }
    let capped = LeafPolicy {
        max_lifetime: Some(100),
        ..Default::default()
    };
    assert_eq!(
        check(&with(0, 101), LeafRole::KeyPackage, &capped),
        err(ValidationError::LifetimeInvalid)
    );
}

/// C-LN-17, C-LN-18, C-LN-20: the source the role requires; C-LN-19: an
/// update must change the encryption key.
#[test]
fn source_and_update_key_c_ln_17_to_20() {
    let cs = cs(1);
    let kp = kp_leaf();
    let update = leaf_node(&cs, 0, LeafNodeSource::Update);
    let policy = LeafPolicy::default();
    assert_eq!(
        check(&update, LeafRole::KeyPackage, &policy),
        err(ValidationError::LeafNodeSourceMismatch)
    );
    assert_eq!(
        check(&kp, LeafRole::Update { replaced: &kp }, &policy),
        err(ValidationError::LeafNodeSourceMismatch)
    );
    assert_eq!(
        check(&update, LeafRole::Commit, &policy),
        err(ValidationError::LeafNodeSourceMismatch)
    );
    // Same encryption key as the leaf it replaces.
    assert_eq!(
        check(&update, LeafRole::Update { replaced: &kp }, &policy),
        err(ValidationError::UpdateReusesEncryptionKey)
    );
}
