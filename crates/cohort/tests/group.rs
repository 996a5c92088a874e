//! End-to-end groups: creation, adds with Welcome, application messages,
//! self-updates, removes; after every commit all members agree on the epoch
//! authenticator.

mod common;
mod group_common;

use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{
    Group, GroupConfig, KeyPackageBuilder, KeyPackageBundle, ProcessedMessage, WireFormatPolicy,
};
use cohort::messages::{Credential, Extensions};
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort::{Error, ValidationError};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, Crypto as _, ProviderBundle};
use std::collections::BTreeMap;

type TestProvider = ProviderBundle<RustCrypto, SeededRand, MemoryStorage>;

fn provider(seed: u64) -> TestProvider {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(seed),
        MemoryStorage::new(),
    )
}

struct Member {
    signer: SignatureKeyPair<RustCrypto>,
    group: Option<Group>,
}

fn key_package(
    p: &TestProvider,
    suite: Ciphersuite,
    name: &str,
) -> (SignatureKeyPair<RustCrypto>, KeyPackageBundle) {
    let cs = SuiteCrypto::new(&p.crypto, suite).unwrap();
    let signer =
        SignatureKeyPair::generate(RustCrypto::new(), cs.params().signature, &p.rand).unwrap();
    let bundle = KeyPackageBuilder::new(Credential::basic(name))
        .build(&cs, &p.rand, &signer)
        .unwrap();
    (signer, bundle)
}

fn welcome_of(msg: &MlsMessage) -> &cohort::messages::Welcome {
    match &msg.body {
        MlsMessageBody::Welcome(w) => w,
        _ => panic!("not a Welcome"),
    }
}

fn process_commit(p: &TestProvider, group: &mut Group, msg: &MlsMessage) {
    match group.process(p, msg).unwrap() {
        ProcessedMessage::Commit(staged) => group.merge_staged_commit(*staged).unwrap(),
        other => panic!("expected a commit, got {other:?}"),
    }
}

fn agree(members: &[&Group]) {
    let first = members[0];
    for m in members {
        assert_eq!(m.epoch(), first.epoch());
        assert_eq!(m.epoch_authenticator(), first.epoch_authenticator());
        assert_eq!(m.tree().tree_hash(), first.tree().tree_hash());
    }
}

fn scenario(suite: Ciphersuite, config: GroupConfig) {
    let p = provider(u64::from(suite.0));
    let (alice_signer, alice_kp) = key_package(&p, suite, "alice");
    let mut alice = Group::create(
        &p,
        &alice_kp,
        b"group".to_vec(),
        Extensions::default(),
        config.clone(),
    )
    .unwrap();
    let mut others: Vec<(SignatureKeyPair<RustCrypto>, KeyPackageBundle)> =
        ["bob", "carol", "dave"]
            .iter()
            .map(|n| key_package(&p, suite, n))
            .collect();

    // Alice adds everyone in one commit.
    let mut builder = alice.commit();
    for (_, kp) in &others {
        builder = builder.add_member(kp.key_package.clone());
    }
    let (out, staged) = alice.create_commit(&p, &alice_signer, builder).unwrap();
    alice.merge_staged_commit(staged).unwrap();
    let welcome = out.welcome.expect("a Welcome for the new members");
    let mut members: Vec<Member> = others
        .drain(..)
        .map(|(signer, kp)| {
            let group = Group::join(
                &p,
                welcome_of(&welcome),
                &kp,
                None,
                BTreeMap::new(),
                config.clone(),
            )
            .unwrap();
            Member {
                signer,
                group: Some(group),
            }
        })
        .collect();
    agree(&[
        &alice,
        members[0].group.as_ref().unwrap(),
        members[1].group.as_ref().unwrap(),
    ]);

    // Application messages both ways.
    let bob = &mut members[0];
    let msg = bob
        .group
        .as_mut()
        .unwrap()
        .encrypt(&p, &bob.signer, b"hi from bob", b"")
        .unwrap();
    for g in [&mut alice, members[1].group.as_mut().unwrap()] {
        match g.process(&p, &msg).unwrap() {
            ProcessedMessage::Application { data, sender, .. } => {
                assert_eq!(data, b"hi from bob");
                assert_eq!(sender, LeafIndex(1));
            }
            other => panic!("{other:?}"),
        }
    }

    // Carol updates her keys; a late message from Dave in the old epoch
    // still decrypts after the commit.
    let dave = &mut members[2];
    let late = dave
        .group
        .as_mut()
        .unwrap()
        .encrypt(&p, &dave.signer, b"late", b"")
        .unwrap();
    let carol = &mut members[1];
    let b = carol.group.as_ref().unwrap().commit().force_path(true);
    let (out, staged) = carol
        .group
        .as_mut()
        .unwrap()
        .create_commit(&p, &carol.signer, b)
        .unwrap();
    carol
        .group
        .as_mut()
        .unwrap()
        .merge_staged_commit(staged)
        .unwrap();
    process_commit(&p, &mut alice, &out.commit);
    process_commit(&p, members[0].group.as_mut().unwrap(), &out.commit);
    process_commit(&p, members[2].group.as_mut().unwrap(), &out.commit);
    let gs: Vec<&Group> = members.iter().filter_map(|m| m.group.as_ref()).collect();
    agree(&[&alice, gs[0], gs[1], gs[2]]);
    match alice.process(&p, &late).unwrap() {
        ProcessedMessage::Application { data, epoch, .. } => {
            assert_eq!(data, b"late");
            assert_eq!(epoch, 1);
        }
        other => panic!("{other:?}"),
    }

    // Alice removes Bob; Bob learns he is out.
    let b = alice.commit().remove_member(LeafIndex(1));
    let (out, staged) = alice.create_commit(&p, &alice_signer, b).unwrap();
    alice.merge_staged_commit(staged).unwrap();
    for m in &mut members {
        process_commit(&p, m.group.as_mut().unwrap(), &out.commit);
    }
    assert!(!members[0].group.as_ref().unwrap().is_active());
    agree(&[
        &alice,
        members[1].group.as_ref().unwrap(),
        members[2].group.as_ref().unwrap(),
    ]);
    assert_eq!(alice.tree().members().len(), 3);

    // The exporter agrees too.
    let a = alice
        .export_secret(&p.crypto, b"label", b"ctx", 32)
        .unwrap();
    let c = members[1]
        .group
        .as_ref()
        .unwrap()
        .export_secret(&p.crypto, b"label", b"ctx", 32)
        .unwrap();
    assert_eq!(a, c);
}

/// C-CAP-16: the mandatory suite 0x0001
/// (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519) is supported and runs
/// the whole scenario.
#[test]
fn mandatory_suite_is_supported_c_cap_16() {
    let suite = Ciphersuite(1);
    let crypto = RustCrypto::new();
    assert!(crypto.supports(suite));
    assert!(crypto.supported_ciphersuites().contains(&suite));
    let params = suite.params().unwrap();
    assert_eq!(
        (params.kem, params.aead, params.signature),
        (
            cohort_traits::KemId::DHKEM_X25519,
            cohort_traits::AeadId::AES_128_GCM,
            cohort_traits::SignatureScheme::ED25519
        )
    );
    scenario(suite, GroupConfig::default());
}

#[test]
fn every_rfc_suite_runs_the_scenario() {
    for suite in Ciphersuite::RFC9420 {
        scenario(suite, GroupConfig::default());
    }
}

#[test]
fn private_handshake_messages_work() {
    let config = GroupConfig {
        wire_format: WireFormatPolicy::AlwaysPrivate,
        ..GroupConfig::default()
    };
    scenario(Ciphersuite(1), config);
}

/// C-FRAME-05 / C-PROP-01: a handshake message from another epoch.
#[test]
fn commit_from_an_old_epoch_is_refused_c_frame_05() {
    let p = provider(7);
    let suite = Ciphersuite(1);
    let (a_signer, a_kp) = key_package(&p, suite, "a");
    let (_b_signer, b_kp) = key_package(&p, suite, "b");
    let mut a = Group::create(
        &p,
        &a_kp,
        b"g".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let (out, staged) = a
        .create_commit(
            &p,
            &a_signer,
            a.commit().add_member(b_kp.key_package.clone()),
        )
        .unwrap();
    a.merge_staged_commit(staged).unwrap();
    let mut b = Group::join(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        &b_kp,
        None,
        BTreeMap::new(),
        GroupConfig::default(),
    )
    .unwrap();
    let (first, staged) = a
        .create_commit(&p, &a_signer, a.commit().force_path(true))
        .unwrap();
    a.merge_staged_commit(staged).unwrap();
    process_commit(&p, &mut b, &first.commit);
    // Replayed: refused, and nothing (secret tree, past epochs included)
    // changes.
    let before = group_common::snapshot(&b);
    assert_eq!(
        b.process(&p, &first.commit).unwrap_err(),
        Error::Validation(ValidationError::WrongEpoch { epoch: 1 })
    );
    assert_eq!(group_common::snapshot(&b), before);
}

/// A group created from a bare leaf (`Group::create_as`): the creator's
/// leaf is the builder's (credential, lifetime), signed by the signer; a
/// member added by Welcome agrees with it; a signer of another scheme is
/// refused.
#[test]
fn a_group_created_from_a_bare_leaf_runs() {
    use cohort::messages::{LeafNodeSource, Lifetime};
    let p = provider(71);
    let suite = Ciphersuite(1);
    let cs = SuiteCrypto::new(&p.crypto, suite).unwrap();
    let signer =
        SignatureKeyPair::generate(RustCrypto::new(), cs.params().signature, &p.rand).unwrap();
    let lifetime = Lifetime {
        not_before: 10,
        not_after: 1_000,
    };
    let leaf = KeyPackageBuilder::new(Credential::basic("creator")).lifetime(lifetime);
    let mut creator = Group::create_as(
        &p,
        suite,
        &signer,
        leaf,
        b"bare leaf".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let own = creator.tree().leaf(LeafIndex(0)).unwrap().clone();
    assert_eq!(own.credential, Credential::basic("creator"));
    assert_eq!(own.leaf_node_source, LeafNodeSource::KeyPackage(lifetime));
    assert_eq!(
        own.signature_key.as_slice(),
        cohort_traits::Signer::public_key(&signer)
    );

    let (_, bob) = key_package(&p, suite, "bob");
    let b = creator.commit().add_member(bob.key_package.clone());
    let (out, staged) = creator.create_commit(&p, &signer, b).unwrap();
    creator.merge_staged_commit(staged).unwrap();
    let bob_group = Group::join(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        &bob,
        None,
        BTreeMap::new(),
        GroupConfig::default(),
    )
    .unwrap();
    agree(&[&creator, &bob_group]);

    let p256 = SignatureKeyPair::generate(
        RustCrypto::new(),
        cohort_traits::SignatureScheme::ECDSA_SECP256R1_SHA256,
        &p.rand,
    )
    .unwrap();
    assert!(matches!(
        Group::create_as(
            &p,
            suite,
            &p256,
            KeyPackageBuilder::new(Credential::basic("x")),
            b"other".to_vec(),
            Extensions::default(),
            GroupConfig::default(),
        ),
        Err(Error::Misuse(cohort::MisuseError::SignerSchemeMismatch(_)))
    ));
}
