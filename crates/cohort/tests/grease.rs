//! GREASE in what Cohort generates (RFC 9420 section 13.5): random GREASE
//! values in new KeyPackages' and leaves' capabilities and extensions and in
//! GroupInfos (C-GREASE-05), each GREASE leaf extension listed in the
//! leaf's capabilities (C-GREASE-06), none when the configuration turns
//! GREASE off, never as a proposal or credential type nor in group context
//! extensions (C-GREASE-07 to C-GREASE-09), and groups whose members send
//! GREASE, or some do and some do not, work together.

mod group_common;

use cohort::client::{Client, ClientConfig, ClientGroup, CreateOptions, JoinOptions};
use cohort::codec::VarVec;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{ExternalJoinOptions, Group, GroupConfig, KeyPackageBuilder, ProcessedMessage};
use cohort::messages::{
    Capabilities, Credential, CredentialType, ExtensionType, Extensions, GroupInfo, KeyPackage,
    LeafNode, RequiredCapabilities, is_grease,
};
use cohort::tree::{LeafPolicy, TreeView};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{ProviderBundle, SignatureScheme};
use group_common::{SUITE, cs, provider, welcome_group_info, welcome_of};
use std::collections::BTreeSet;
use std::sync::Arc;

type P = ProviderBundle<RustCrypto, SeededRand, Arc<MemoryStorage>>;

/// A custom extension type every member lists and the group requires.
const REQUIRED_EXT: ExtensionType = ExtensionType(0xF0F0);

/// A client `name` with GREASE on or off, listing [`REQUIRED_EXT`].
fn client(storage: &Arc<MemoryStorage>, name: &str, seed: u64, grease: bool) -> Client<P> {
    let signer = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &SeededRand::from_u64(seed ^ 0xfeed),
    )
    .unwrap();
    let config = ClientConfig {
        group: GroupConfig {
            grease,
            ..GroupConfig::default()
        },
        capabilities: Capabilities {
            extensions: VarVec(vec![REQUIRED_EXT]),
            ..Capabilities::default()
        },
        ..ClientConfig::default()
    };
    let p = ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(seed),
        storage.clone(),
    );
    Client::new(
        p,
        name.as_bytes().to_vec(),
        signer,
        Credential::basic(name),
        config,
    )
    .unwrap()
}

fn key_package(m: &MlsMessage) -> KeyPackage {
    match &m.body {
        MlsMessageBody::KeyPackage(kp) => kp.clone(),
        other => panic!("expected a KeyPackage, got {other:?}"),
    }
}

fn group_info(m: &MlsMessage) -> GroupInfo {
    match &m.body {
        MlsMessageBody::GroupInfo(gi) => gi.clone(),
        other => panic!("expected a GroupInfo, got {other:?}"),
    }
}

/// The GREASE values of each capabilities list RFC 9420 section 13.5 names
/// (cipher suites, extensions, proposals, credentials), of the leaf's
/// extensions, and of `kp_extensions`, in that order.
fn grease_of(leaf: &LeafNode, kp_extensions: &Extensions) -> [Vec<u16>; 6] {
    let g = |v: Vec<u16>| v.into_iter().filter(|v| is_grease(*v)).collect();
    let caps = &leaf.capabilities;
    [
        g(caps.cipher_suites.0.iter().map(|s| s.0).collect()),
        g(caps.extensions.0.iter().map(|t| t.0).collect()),
        g(caps.proposals.0.iter().map(|t| t.0).collect()),
        g(caps.credentials.0.iter().map(|t| t.0).collect()),
        g(leaf.extensions.iter().map(|e| e.extension_type.0).collect()),
        g(kp_extensions.iter().map(|e| e.extension_type.0).collect()),
    ]
}

/// Every GREASE leaf extension is listed in the leaf's capabilities
/// (C-GREASE-06), and the leaf has no GREASE version or credential type
/// (C-GREASE-08).
fn assert_leaf_consistent(leaf: &LeafNode) {
    for e in leaf.extensions.iter() {
        assert!(
            leaf.capabilities.extensions.0.contains(&e.extension_type),
            "leaf extension {:#x} not in capabilities",
            e.extension_type.0
        );
    }
    assert!(!is_grease(leaf.credential.credential_type().0));
    assert!(leaf.capabilities.versions.0.iter().all(|v| !is_grease(v.0)));
}

/// Whether a GREASE value shows anywhere in `leaf`.
fn leaf_has_grease(leaf: &LeafNode) -> bool {
    grease_of(leaf, &Extensions::new())
        .iter()
        .any(|v| !v.is_empty())
}

/// Applies a commit (the committer's echo included); returns the
/// committer's new leaf when the commit has a path.
fn apply(g: &mut ClientGroup<'_, P>, m: &MlsMessage) -> Option<LeafNode> {
    match g.process(m).unwrap() {
        ProcessedMessage::Commit(staged) => {
            // C-GREASE-07: no proposal is of a GREASE type.
            for p in staged.proposals() {
                assert!(!is_grease(p.proposal.proposal_type().0));
            }
            let leaf = staged.path_leaf().cloned();
            g.merge_staged_commit(*staged).unwrap();
            leaf
        }
        other => panic!("expected a commit, got {other:?}"),
    }
}

/// Every group in `gs` is at the same epoch with the same authenticator
/// and exported secret, its context extensions free of GREASE
/// (C-GREASE-09), and every leaf consistent (C-GREASE-06).
fn agree(gs: &[&ClientGroup<'_, P>]) {
    let first = gs[0];
    for g in gs {
        assert_eq!(g.epoch(), first.epoch());
        assert_eq!(g.epoch_authenticator(), first.epoch_authenticator());
        assert_eq!(
            g.export_secret(b"grease", b"", 32).unwrap(),
            first.export_secret(b"grease", b"", 32).unwrap()
        );
        let context = g.group().context();
        assert!(
            context
                .extensions
                .iter()
                .all(|e| !is_grease(e.extension_type.0))
        );
        let tree = g.group().tree();
        for i in 0..tree.n_leaves() {
            if let Some(leaf) = tree.leaf(cohort::tree::math::LeafIndex(i)) {
                assert_leaf_consistent(leaf);
            }
        }
    }
}

/// C-GREASE-05 (send): a generated KeyPackage has one or two GREASE values
/// in each capabilities list the RFC names, a GREASE extension in the
/// KeyPackage's and in the leaf's extensions (C-GREASE-06: listed in the
/// capabilities), is valid, and the values differ between generations.
#[test]
fn c_grease_05_key_packages_carry_random_grease_values() {
    let storage = Arc::new(MemoryStorage::new());
    let c = client(&storage, "alice", 1, true);
    let p0 = provider(0);
    let cs = cs(&p0, SUITE);
    let mut seen = BTreeSet::new();
    for _ in 0..8 {
        let kp = key_package(&c.generate_key_package().unwrap());
        cohort::group::validate_key_package(&cs, &kp, &LeafPolicy::default()).unwrap();
        let grease = grease_of(&kp.leaf_node, &kp.extensions);
        for (i, values) in grease.iter().enumerate() {
            let max = if i == 1 { 4 } else { 2 };
            assert!((1..=max).contains(&values.len()), "list {i}: {values:x?}");
        }
        // C-GREASE-06: the leaf's and the KeyPackage's GREASE extensions
        // are in capabilities.extensions.
        let caps = &kp.leaf_node.capabilities.extensions.0;
        for t in grease[4].iter().chain(&grease[5]) {
            assert!(caps.contains(&ExtensionType(*t)), "{t:#x}");
        }
        assert_leaf_consistent(&kp.leaf_node);
        // The client's own capability list stays free of GREASE
        // (C-GREASE-12): only what is sent carries it.
        assert_eq!(c.config().capabilities.extensions.0, vec![REQUIRED_EXT]);
        seen.insert(grease);
    }
    assert!(
        seen.len() > 1,
        "every generation had the same GREASE values"
    );
}

/// C-GREASE-05 with the option off: KeyPackages, leaves and GroupInfos of
/// a client with `grease: false` hold no GREASE value, and a builder with
/// `grease(false)` gives the same bytes as before GREASE from the same
/// randomness (two builds from equal seeds are equal).
#[test]
fn c_grease_05_off_emits_no_grease() {
    let storage = Arc::new(MemoryStorage::new());
    let c = client(&storage, "alice", 1, false);
    let kp = key_package(&c.generate_key_package().unwrap());
    assert!(
        grease_of(&kp.leaf_node, &kp.extensions)
            .iter()
            .all(Vec::is_empty)
    );
    let g = c.create_group().unwrap();
    let own = g.group().tree().leaf(g.own_index()).unwrap().clone();
    assert!(!leaf_has_grease(&own));
    let gi = group_info(&g.group_info(true).unwrap());
    assert!(gi.extensions.iter().all(|e| !is_grease(e.extension_type.0)));

    let p = provider(3);
    let cs = cs(&p, SUITE);
    let (signer, _) = group_common::client(&p, SUITE, "b");
    let build = |grease| {
        KeyPackageBuilder::new(Credential::basic("b"))
            .grease(grease)
            .build(&cs, &SeededRand::from_u64(9), &signer)
            .unwrap()
            .key_package
    };
    let (off1, off2, on) = (build(false), build(false), build(true));
    assert_eq!(off1, off2);
    assert!(
        grease_of(&off1.leaf_node, &off1.extensions)
            .iter()
            .all(Vec::is_empty)
    );
    assert!(
        grease_of(&on.leaf_node, &on.extensions)
            .iter()
            .all(|v| !v.is_empty())
    );
}

/// C-GREASE-05: a GroupInfo for external joins and the GroupInfo of a
/// Welcome carry a GREASE extension (with at most 16 bytes of data), and
/// two GroupInfos differ in it.
#[test]
fn c_grease_05_group_infos_carry_a_grease_extension() {
    let storage = Arc::new(MemoryStorage::new());
    let c = client(&storage, "alice", 1, true);
    let g = c.create_group().unwrap();
    let exts = |gi: &GroupInfo| -> Vec<(u16, Vec<u8>)> {
        gi.extensions
            .iter()
            .filter(|e| is_grease(e.extension_type.0))
            .map(|e| (e.extension_type.0, e.extension_data.0.clone()))
            .collect()
    };
    let mut seen = BTreeSet::new();
    for _ in 0..6 {
        let gi = group_info(&g.group_info(false).unwrap());
        let grease = exts(&gi);
        assert_eq!(grease.len(), 1, "{grease:x?}");
        assert!(grease[0].1.len() <= 16);
        seen.insert(grease);
    }
    assert!(seen.len() > 1);

    // The Welcome's GroupInfo, through the Group API (GREASE on by default).
    let p = provider(5);
    let (alice_signer, alice_kp) = group_common::client(&p, SUITE, "alice");
    let (_, bob_kp) = group_common::client(&p, SUITE, "bob");
    let mut alice = Group::create(
        &p,
        &alice_kp,
        b"grease".to_vec(),
        Extensions::new(),
        GroupConfig::default(),
    )
    .unwrap();
    let b = alice.commit().add_member(bob_kp.key_package.clone());
    let (out, _) = alice.create_commit(&p, &alice_signer, b).unwrap();
    let welcome = welcome_of(out.welcome.as_ref().unwrap());
    let gi = welcome_group_info(&p, welcome, &bob_kp);
    assert_eq!(exts(&gi).len(), 1);
}

/// The leaf of `g`'s own member.
fn own_leaf(g: &ClientGroup<'_, P>) -> LeafNode {
    g.group().tree().leaf(g.own_index()).unwrap().clone()
}

/// C-GREASE-05: a whole group life with GREASE on for three members and
/// off for one (carol): create with required_capabilities (an extension
/// type and the basic credential type every member must support), add two
/// members by Welcome, commits with a path (an UpdatePath leaf keeps its
/// GREASE values and stays consistent, C-GREASE-06), a remove, a join by
/// external commit from a GroupInfo with a GREASE extension, and messages.
/// Every member agrees on every epoch; the capability checks (required
/// capabilities, credential types every member supports, the leaf checks
/// of section 7.2) pass with GREASE values present.
#[test]
fn c_grease_05_group_life_with_grease_members() {
    let storage = Arc::new(MemoryStorage::new());
    let alice_c = client(&storage, "alice", 1, true);
    let bob_c = client(&storage, "bob", 2, true);
    let carol_c = client(&storage, "carol", 3, false);
    let dave_c = client(&storage, "dave", 4, true);
    let mut extensions = Extensions::new();
    extensions
        .push(&RequiredCapabilities {
            extension_types: VarVec(vec![REQUIRED_EXT]),
            proposal_types: VarVec::default(),
            credential_types: VarVec(vec![CredentialType::BASIC]),
        })
        .unwrap();
    let mut alice = alice_c
        .create_group_with(CreateOptions {
            group_id: None,
            extensions,
        })
        .unwrap();
    assert!(leaf_has_grease(&own_leaf(&alice)));
    assert_leaf_consistent(&own_leaf(&alice));

    // Adds by Welcome: bob (GREASE on) and carol (off).
    let b = alice
        .commit_builder()
        .add_member(key_package(&bob_c.generate_key_package().unwrap()))
        .add_member(key_package(&carol_c.generate_key_package().unwrap()));
    let out = alice.commit(b).unwrap();
    alice.merge_pending_commit().unwrap();
    let welcome = out.welcome.unwrap();
    let mut bob = bob_c
        .join(
            bob_c
                .stage_welcome(&welcome, JoinOptions::default())
                .unwrap(),
        )
        .unwrap();
    let mut carol = carol_c
        .join(
            carol_c
                .stage_welcome(&welcome, JoinOptions::default())
                .unwrap(),
        )
        .unwrap();
    assert!(leaf_has_grease(&own_leaf(&bob)));
    assert!(!leaf_has_grease(&own_leaf(&carol)));
    agree(&[&alice, &bob, &carol]);

    // Bob's commit with a path: his new leaf keeps its GREASE values.
    let out = bob.commit(bob.commit_builder().force_path(true)).unwrap();
    bob.merge_pending_commit().unwrap();
    for g in [&mut alice, &mut carol] {
        let leaf = apply(g, &out.commit).unwrap();
        assert!(leaf_has_grease(&leaf));
        assert_leaf_consistent(&leaf);
    }
    agree(&[&alice, &bob, &carol]);

    // Carol's commit with a path: hers has none.
    let out = carol
        .commit(carol.commit_builder().force_path(true))
        .unwrap();
    carol.merge_pending_commit().unwrap();
    for g in [&mut alice, &mut bob] {
        assert!(!leaf_has_grease(&apply(g, &out.commit).unwrap()));
    }
    agree(&[&alice, &bob, &carol]);

    // Alice removes bob.
    let out = alice
        .commit(alice.commit_builder().remove_member(bob.own_index()))
        .unwrap();
    alice.merge_pending_commit().unwrap();
    apply(&mut carol, &out.commit);
    apply(&mut bob, &out.commit);
    assert!(!bob.is_active());
    agree(&[&alice, &carol]);

    // Dave joins by external commit from carol's GroupInfo (carol sends no
    // GREASE) and from alice's (with a GREASE extension).
    let plain = group_info(&carol.group_info(true).unwrap());
    assert!(
        plain
            .extensions
            .iter()
            .all(|e| !is_grease(e.extension_type.0))
    );
    let gi = alice.group_info(true).unwrap();
    assert!(
        group_info(&gi)
            .extensions
            .iter()
            .any(|e| is_grease(e.extension_type.0))
    );
    let (mut dave, commit) = dave_c
        .join_external(&gi, None, ExternalJoinOptions::new())
        .unwrap();
    let dave_leaf = own_leaf(&dave);
    assert!(leaf_has_grease(&dave_leaf));
    assert_leaf_consistent(&dave_leaf);
    apply(&mut alice, &commit);
    apply(&mut carol, &commit);
    agree(&[&alice, &carol, &dave]);

    // Application messages both ways.
    let m = dave.encrypt(b"hello", b"").unwrap();
    for g in [&mut alice, &mut carol] {
        match g.process(&m).unwrap() {
            ProcessedMessage::Application { data, .. } => assert_eq!(data, b"hello"),
            other => panic!("expected application data, got {other:?}"),
        }
    }
    let m = carol.encrypt(b"hi", b"").unwrap();
    match dave.process(&m).unwrap() {
        ProcessedMessage::Application { data, .. } => assert_eq!(data, b"hi"),
        other => panic!("expected application data, got {other:?}"),
    }
}

/// C-GREASE-06: the GREASE extension a builder puts in the leaf's
/// extensions is listed in its capabilities.extensions, even when the
/// application's capabilities list none; without that entry the leaf would
/// be refused (the section 7.2 check every receiver makes).
#[test]
fn c_grease_06_grease_leaf_extension_is_listed_in_capabilities() {
    let p = provider(7);
    let cs = cs(&p, SUITE);
    let (signer, _) = group_common::client(&p, SUITE, "erin");
    for seed in 0..8 {
        let kp = KeyPackageBuilder::new(Credential::basic("erin"))
            .capabilities(Capabilities::default())
            .build(&cs, &SeededRand::from_u64(seed), &signer)
            .unwrap()
            .key_package;
        let leaf_grease: Vec<ExtensionType> = kp
            .leaf_node
            .extensions
            .iter()
            .map(|e| e.extension_type)
            .filter(|t| is_grease(t.0))
            .collect();
        assert_eq!(leaf_grease.len(), 1);
        assert!(
            kp.leaf_node
                .capabilities
                .extensions
                .0
                .contains(&leaf_grease[0])
        );
        let mut unlisted = kp.leaf_node.clone();
        unlisted
            .capabilities
            .extensions
            .0
            .retain(|t| *t != leaf_grease[0]);
        assert_eq!(
            cohort::tree::check_leaf_node(
                &cs,
                &unlisted,
                cohort::tree::LeafRole::KeyPackage,
                &LeafPolicy::default()
            ),
            Err(cohort::Error::Validation(
                cohort::ValidationError::UnsupportedLeafExtension
            ))
        );
    }
}
