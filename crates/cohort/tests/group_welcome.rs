//! Joining by Welcome (RFC 9420 section 12.4.3.1): each C-WEL check, and
//! the GroupInfo (C-GI), PSK (C-PSK-03) and extension (C-CAP-11,
//! C-GREASE-09) checks on join, fed a Welcome that breaks it. Forged
//! Welcomes are sealed again as a faulty committer would.

mod group_common;

use cohort::codec::{SecretVarBytes, VarBytes, VarVec};
use cohort::group::{Group, GroupConfig, KeyPackageBundle};
use cohort::messages::{
    Extension, ExtensionType, Extensions, PathSecret, PreSharedKeyId, Psk, RatchetTreeExtension,
    Welcome,
};
use cohort::tree::TreeView;
use cohort::{Error, ValidationError};
use cohort_traits::{Ciphersuite, Secret, Signer as _};
use group_common::*;
use std::collections::BTreeMap;

/// alice, bob and carol in a group; alice's commit (with a path) adds dave.
struct Setup {
    p: TestProvider,
    members: Vec<Member>,
    welcome: Welcome,
    dave: KeyPackageBundle,
    /// The tree before dave was added.
    old_tree: Vec<Option<cohort::messages::Node>>,
}

fn setup(seed: u64, config: GroupConfig) -> Setup {
    let p = provider(seed);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob", "carol"],
        Extensions::default(),
        config,
    );
    let old_tree = members[0].group.tree().to_nodes();
    let (_, dave) = client(&p, SUITE, "dave");
    let kp = dave.key_package.clone();
    let out = commit_all(&p, &mut members, 0, move |g| {
        g.commit().add_member(kp).force_path(true)
    });
    let welcome = welcome_of(out.welcome.as_ref().unwrap()).clone();
    Setup {
        p,
        members,
        welcome,
        dave,
        old_tree,
    }
}

fn join(s: &Setup, welcome: &Welcome) -> Result<Group, Error> {
    join_with_tree(s, welcome, None)
}

fn join_with_tree(
    s: &Setup,
    welcome: &Welcome,
    tree: Option<Vec<Option<cohort::messages::Node>>>,
) -> Result<Group, Error> {
    Group::join(
        &s.p,
        welcome,
        &s.dave,
        tree,
        BTreeMap::new(),
        GroupConfig::default(),
    )
}

fn invalid(e: ValidationError) -> Result<(), Error> {
    Err(Error::Validation(e))
}

#[test]
fn the_unchanged_welcome_joins() {
    let s = setup(0xa0, GroupConfig::default());
    let dave = join(&s, &s.welcome).unwrap();
    let mut groups: Vec<&Group> = s.members.iter().map(|m| &m.group).collect();
    groups.push(&dave);
    agree(&s.p, &groups);
}

#[test]
fn welcome_for_another_key_package_c_wel_01() {
    let s = setup(0xa1, GroupConfig::default());
    let (_, other) = client(&s.p, SUITE, "dave");
    let err = Group::join(
        &s.p,
        &s.welcome,
        &other,
        None,
        BTreeMap::new(),
        GroupConfig::default(),
    )
    .map(|_| ());
    assert_eq!(err, invalid(ValidationError::WelcomeNotForKeyPackage));
}

#[test]
fn welcome_in_another_suite_c_wel_02() {
    let s = setup(0xa2, GroupConfig::default());
    let mut w = s.welcome.clone();
    w.cipher_suite = Ciphersuite(3);
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::WelcomeSuiteMismatch)
    );
}

#[test]
fn group_secrets_that_do_not_open_c_wel_03() {
    let s = setup(0xa3, GroupConfig::default());
    let mut w = s.welcome.clone();
    for e in &mut w.secrets.0 {
        e.encrypted_group_secrets.ciphertext.0[0] ^= 1;
    }
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::GroupSecretsDecryptionFailed)
    );
    // The GroupSecrets are bound to the encrypted GroupInfo (C-CRYPTO-04).
    let mut w = s.welcome.clone();
    w.encrypted_group_info.0[0] ^= 1;
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::GroupSecretsDecryptionFailed)
    );
}

#[test]
fn group_info_that_does_not_open_c_wel_04() {
    let s = setup(0xa4, GroupConfig::default());
    let w = reseal_secrets(&s.p, &s.welcome, &s.dave, |gs| {
        gs.joiner_secret = SecretVarBytes(Secret::new(vec![1; 32]));
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::GroupInfoDecryptionFailed)
    );
}

#[test]
fn group_info_in_another_suite_c_wel_05() {
    let s = setup(0xa5, GroupConfig::default());
    let w = reseal_group_info(&s.p, &s.welcome, &s.dave, |gi| {
        gi.group_context.cipher_suite = Ciphersuite(3);
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::WelcomeSuiteMismatch)
    );
}

#[test]
fn no_ratchet_tree_at_hand_c_wel_06() {
    let config = GroupConfig {
        ratchet_tree_extension: false,
        ..GroupConfig::default()
    };
    let s = setup(0xa6, config);
    assert_eq!(
        join(&s, &s.welcome).map(|_| ()),
        invalid(ValidationError::RatchetTreeMissing)
    );
    // The tree out of band; one from another epoch does not hash to the
    // GroupContext's tree hash (C-TREE-05).
    assert_eq!(
        join_with_tree(&s, &s.welcome, Some(s.old_tree.clone())).map(|_| ()),
        invalid(ValidationError::TreeHashMismatch)
    );
    let tree = s.members[0].group.tree().to_nodes();
    join_with_tree(&s, &s.welcome, Some(tree)).unwrap();
}

#[test]
fn tree_without_the_joiner_c_wel_07() {
    let s = setup(0xa7, GroupConfig::default());
    let alice = &s.members[0].signer;
    let p = &s.p;
    let old = s.old_tree.clone();
    let old_hash = cohort::tree::RatchetTree::from_nodes(&cs(p, SUITE), old.clone())
        .unwrap()
        .tree_hash()
        .to_vec();
    let w = reseal_group_info(p, &s.welcome, &s.dave, |gi| {
        gi.extensions
            .0
            .retain(|e| e.extension_type != ExtensionType::RATCHET_TREE);
        gi.extensions
            .push(&RatchetTreeExtension(VarVec(old)))
            .unwrap();
        gi.group_context.tree_hash = old_hash.into();
        resign_group_info(p, gi, alice);
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::JoinerNotInTree)
    );
}

#[test]
fn path_secret_not_matching_the_tree_c_wel_08() {
    let s = setup(0xa8, GroupConfig::default());
    let w = reseal_secrets(&s.p, &s.welcome, &s.dave, |gs| {
        assert!(gs.path_secret.is_some());
        gs.path_secret = Some(PathSecret {
            path_secret: SecretVarBytes(Secret::new(vec![2; 32])),
        });
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::PathSecretMismatch)
    );
}

#[test]
fn tampered_confirmation_c_wel_09() {
    let s = setup(0xa9, GroupConfig::default());
    let alice = &s.members[0].signer;
    let p = &s.p;
    let w = reseal_group_info(p, &s.welcome, &s.dave, |gi| {
        gi.confirmation_tag.0[0] ^= 1;
        resign_group_info(p, gi, alice);
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::ConfirmationTagMismatch)
    );
    let w = reseal_group_info(p, &s.welcome, &s.dave, |gi| {
        gi.group_context.confirmed_transcript_hash.0[0] ^= 1;
        resign_group_info(p, gi, alice);
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::ConfirmationTagMismatch)
    );
}

#[test]
fn one_welcome_covers_every_new_member_c_wel_10() {
    let p = provider(0xaa);
    let mut members = group(&p, &["alice", "bob"]);
    let new: Vec<_> = ["carol", "dave", "erin"]
        .iter()
        .map(|n| client(&p, SUITE, n))
        .collect();
    let kps: Vec<_> = new.iter().map(|(_, kp)| kp.key_package.clone()).collect();
    let out = commit_all(&p, &mut members, 1, move |g| {
        kps.into_iter().fold(g.commit(), |b, kp| b.add_member(kp))
    });
    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    assert_eq!(welcome.secrets.0.len(), 3);
    for ((signer, kp), name) in new.into_iter().zip(["carol", "dave", "erin"]) {
        members.push(welcomed(
            &p,
            welcome,
            name,
            signer,
            &kp,
            GroupConfig::default(),
        ));
    }
    all_agree(&p, &members);
    assert_eq!(members[0].group.tree().members().len(), 5);
}

#[test]
fn group_info_signature_c_gi_01() {
    let s = setup(0xab, GroupConfig::default());
    // Changed after signing.
    let w = reseal_group_info(&s.p, &s.welcome, &s.dave, |gi| {
        gi.extensions.0.push(Extension {
            extension_type: ExtensionType(0x3a3a),
            extension_data: VarBytes(vec![1, 2, 3]),
        });
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::InvalidSignature)
    );
    // Signed by another member than the one it names.
    let bob = &s.members[1].signer;
    let w = reseal_group_info(&s.p, &s.welcome, &s.dave, |gi| {
        resign_group_info(&s.p, gi, bob)
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::InvalidSignature)
    );
    // An unknown GroupInfo extension, properly signed, is ignored
    // (C-GREASE-04).
    let alice = &s.members[0].signer;
    let w = reseal_group_info(&s.p, &s.welcome, &s.dave, |gi| {
        gi.extensions.0.push(Extension {
            extension_type: ExtensionType(0x3a3a),
            extension_data: VarBytes(vec![1, 2, 3]),
        });
        resign_group_info(&s.p, gi, alice);
    });
    join(&s, &w).unwrap();
}

/// C-GI-04 (send): the GroupInfo in a Welcome, and the one a member
/// publishes, carry the new epoch's GroupContext, the confirmation tag of
/// the commit that made the epoch (not the previous epoch's), and the
/// signature of the committer, naming its leaf.
#[test]
fn group_info_of_the_new_epoch_c_gi_04() {
    let p = provider(0xad);
    let mut members = group(&p, &["alice", "bob", "carol"]);
    let previous = members[1].group.context().clone();
    let previous_tag = group_info_of(
        &members[1]
            .group
            .group_info(&p, &members[1].signer, false)
            .unwrap(),
    )
    .confirmation_tag
    .clone();
    let (dave_signer, dave) = client(&p, SUITE, "dave");
    let kp = dave.key_package.clone();
    // bob (leaf 1) commits, so the signer is not the group's creator.
    let out = commit_all(&p, &mut members, 1, move |g| {
        g.commit().add_member(kp).force_path(true)
    });
    let commit_tag = public_of(&out.commit)
        .auth
        .confirmation_tag
        .clone()
        .expect("a commit carries a confirmation tag");
    assert_ne!(commit_tag, previous_tag);
    let bob = &members[1];
    let bob_key = bob.signer.public_key().to_vec();
    let alice_key = members[0].signer.public_key().to_vec();
    let cs = cs(&p, SUITE);

    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    let published = bob.group.group_info(&p, &bob.signer, true).unwrap();
    for gi in [
        welcome_group_info(&p, welcome, &dave),
        group_info_of(&published).clone(),
    ] {
        assert_eq!(&gi.group_context, bob.group.context());
        assert_eq!(gi.group_context.epoch, previous.epoch + 1);
        assert_ne!(gi.group_context, previous);
        assert_eq!(gi.confirmation_tag, commit_tag);
        assert_eq!(gi.signer, 1);
        cohort::schedule::verify_group_info(&cs, &bob_key, &gi).unwrap();
        assert_eq!(
            cohort::schedule::verify_group_info(&cs, &alice_key, &gi).unwrap_err(),
            Error::Validation(ValidationError::InvalidSignature)
        );
    }
    members.push(welcomed(
        &p,
        welcome,
        "dave",
        dave_signer,
        &dave,
        GroupConfig::default(),
    ));
    all_agree(&p, &members);
}

#[test]
fn group_info_signer_not_a_member_c_gi_02() {
    let s = setup(0xac, GroupConfig::default());
    let alice = &s.members[0].signer;
    let w = reseal_group_info(&s.p, &s.welcome, &s.dave, |gi| {
        gi.signer = 9;
        resign_group_info(&s.p, gi, alice);
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::GroupInfoSignerNotMember)
    );
}

#[test]
fn psk_nonce_of_the_wrong_length_in_group_secrets_c_psk_03() {
    let s = setup(0xad, GroupConfig::default());
    let w = reseal_secrets(&s.p, &s.welcome, &s.dave, |gs| {
        gs.psks.0.push(PreSharedKeyId {
            psk: Psk::External {
                psk_id: b"psk".to_vec().into(),
            },
            psk_nonce: VarBytes::default(),
        });
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::PskNonceLength)
    );
}

#[test]
fn group_extension_the_joiner_does_not_support_c_cap_11() {
    let s = setup(0xae, GroupConfig::default());
    let alice = &s.members[0].signer;
    let w = reseal_group_info(&s.p, &s.welcome, &s.dave, |gi| {
        gi.group_context.extensions.0.push(Extension {
            extension_type: ExtensionType(0xf0f0),
            extension_data: VarBytes::default(),
        });
        resign_group_info(&s.p, gi, alice);
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::LeafLacksGroupExtension {
            extension_type: 0xf0f0
        })
    );
}

#[test]
fn grease_in_the_group_context_c_grease_09() {
    let s = setup(0xaf, GroupConfig::default());
    let alice = &s.members[0].signer;
    let w = reseal_group_info(&s.p, &s.welcome, &s.dave, |gi| {
        gi.group_context.extensions.0.push(Extension {
            extension_type: ExtensionType(0x4a4a),
            extension_data: VarBytes::default(),
        });
        resign_group_info(&s.p, gi, alice);
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::GreaseGroupContextExtension {
            extension_type: 0x4a4a
        })
    );
}

/// C-CAP-08: a GroupInfo with two extensions of one type (two ratchet_tree
/// extensions), even properly signed.
#[test]
fn duplicate_group_info_extension_c_cap_08() {
    let s = setup(0xb0, GroupConfig::default());
    let alice = &s.members[0].signer;
    let w = reseal_group_info(&s.p, &s.welcome, &s.dave, |gi| {
        let tree = gi
            .extensions
            .0
            .iter()
            .find(|e| e.extension_type == ExtensionType::RATCHET_TREE)
            .unwrap()
            .clone();
        gi.extensions.0.push(tree);
        resign_group_info(&s.p, gi, alice);
    });
    assert_eq!(
        join(&s, &w).map(|_| ()),
        invalid(ValidationError::DuplicateExtension {
            extension_type: ExtensionType::RATCHET_TREE.0
        })
    );
}
