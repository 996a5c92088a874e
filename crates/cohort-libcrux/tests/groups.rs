//! Groups on every provider: the RFC suites the libcrux provider supports,
//! the post-quantum suites 0x004D (X-Wing) and 0x0906 (ML-KEM-1024 +
//! ML-DSA-87) on both providers, and a group whose members use different
//! providers. After every commit all members agree on the epoch
//! authenticator.

use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Group, GroupConfig, KeyPackageBuilder, ProcessedMessage};
use cohort::messages::{Credential, Extensions};
use cohort::tree::math::LeafIndex;
use cohort_basic_credential::SignatureKeyPair;
use cohort_libcrux::LibcruxCrypto;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, Crypto, ProviderBundle, Signer};
use std::collections::BTreeMap;

/// One member: its provider (boxed crypto so members can differ), signer
/// and group.
struct Member {
    provider: ProviderBundle<Box<dyn Crypto>, SeededRand, MemoryStorage>,
    signer: Box<dyn Signer>,
    group: Option<Group>,
}

fn member(
    crypto: Box<dyn Crypto>,
    seed: u64,
    suite: Ciphersuite,
    name: &str,
) -> (Member, cohort::group::KeyPackageBundle) {
    let provider = ProviderBundle::new(crypto, SeededRand::from_u64(seed), MemoryStorage::new());
    let cs = SuiteCrypto::new(&*provider.crypto, suite).unwrap();
    let scheme = cs.params().signature;
    let signer: Box<dyn Signer> = if seed.is_multiple_of(2) {
        Box::new(SignatureKeyPair::generate(RustCrypto::new(), scheme, &provider.rand).unwrap())
    } else {
        Box::new(SignatureKeyPair::generate(LibcruxCrypto, scheme, &provider.rand).unwrap())
    };
    let bundle = KeyPackageBuilder::new(Credential::basic(name))
        .build(&cs, &provider.rand, &*signer)
        .unwrap();
    (
        Member {
            provider,
            signer,
            group: None,
        },
        bundle,
    )
}

fn welcome(msg: &MlsMessage) -> &cohort::messages::Welcome {
    match &msg.body {
        MlsMessageBody::Welcome(w) => w,
        _ => panic!("not a Welcome"),
    }
}

fn agree(members: &[Member]) {
    let groups: Vec<&Group> = members
        .iter()
        .filter_map(|m| m.group.as_ref())
        .filter(|g| g.is_active())
        .collect();
    for g in &groups {
        assert_eq!(g.epoch_authenticator(), groups[0].epoch_authenticator());
        assert_eq!(g.epoch(), groups[0].epoch());
    }
}

/// Commits by `committer`, processed by everyone else.
fn commit(
    members: &mut [Member],
    committer: usize,
    build: impl FnOnce(&Group) -> cohort::group::CommitBuilder,
) {
    let c = &mut members[committer];
    let builder = build(c.group.as_ref().unwrap());
    let (out, staged) = c
        .group
        .as_mut()
        .unwrap()
        .create_commit(&c.provider, &*c.signer, builder)
        .unwrap();
    c.group
        .as_mut()
        .unwrap()
        .merge_staged_commit(staged)
        .unwrap();
    for (i, m) in members.iter_mut().enumerate() {
        if i == committer || m.group.is_none() {
            continue;
        }
        match m
            .group
            .as_mut()
            .unwrap()
            .process(&m.provider, &out.commit)
            .unwrap()
        {
            ProcessedMessage::Commit(staged) => m
                .group
                .as_mut()
                .unwrap()
                .merge_staged_commit(*staged)
                .unwrap(),
            other => panic!("{other:?}"),
        }
    }
    agree(members);
}

/// Creates a group of `cryptos.len()` members (member i on `cryptos[i]`),
/// exchanges messages, self-updates and removes one member.
fn scenario(suite: Ciphersuite, cryptos: Vec<Box<dyn Crypto>>) {
    let mut members = Vec::new();
    let mut bundles = Vec::new();
    for (i, c) in cryptos.into_iter().enumerate() {
        let (m, b) = member(
            c,
            u64::from(suite.0) * 16 + i as u64,
            suite,
            &format!("member {i}"),
        );
        members.push(m);
        bundles.push(b);
    }
    let creator = &mut members[0];
    creator.group = Some(
        Group::create(
            &creator.provider,
            &bundles[0],
            b"cross-provider".to_vec(),
            Extensions::default(),
            GroupConfig::default(),
        )
        .unwrap(),
    );
    let mut builder = creator.group.as_ref().unwrap().commit();
    for b in &bundles[1..] {
        builder = builder.add_member(b.key_package.clone());
    }
    let (out, staged) = creator
        .group
        .as_mut()
        .unwrap()
        .create_commit(&creator.provider, &*creator.signer, builder)
        .unwrap();
    creator
        .group
        .as_mut()
        .unwrap()
        .merge_staged_commit(staged)
        .unwrap();
    let w = out.welcome.unwrap();
    for (m, b) in members.iter_mut().zip(&bundles).skip(1) {
        m.group = Some(
            Group::join(
                &m.provider,
                welcome(&w),
                b,
                None,
                BTreeMap::new(),
                GroupConfig::default(),
            )
            .unwrap(),
        );
    }
    agree(&members);

    // Every member sends; every other member reads.
    for s in 0..members.len() {
        let msg = {
            let m = &mut members[s];
            m.group
                .as_mut()
                .unwrap()
                .encrypt(&m.provider, &*m.signer, format!("from {s}").as_bytes(), b"")
                .unwrap()
        };
        for (r, m) in members.iter_mut().enumerate() {
            if r == s {
                continue;
            }
            match m
                .group
                .as_mut()
                .unwrap()
                .process(&m.provider, &msg)
                .unwrap()
            {
                ProcessedMessage::Application { data, .. } => {
                    assert_eq!(data, format!("from {s}").as_bytes())
                }
                other => panic!("{other:?}"),
            }
        }
    }
    // Every member updates its path in turn, then the last one is removed.
    for c in 0..members.len() {
        commit(&mut members, c, |g| g.commit().force_path(true));
    }
    let last = LeafIndex(u32::try_from(members.len() - 1).unwrap());
    commit(&mut members, 0, |g| g.commit().remove_member(last));
    assert!(!members.last().unwrap().group.as_ref().unwrap().is_active());
}

#[test]
fn libcrux_groups_on_its_rfc_suites() {
    for suite in [1u16, 2, 3] {
        scenario(
            Ciphersuite(suite),
            (0..3)
                .map(|_| Box::new(LibcruxCrypto) as Box<dyn Crypto>)
                .collect(),
        );
    }
}

#[test]
fn post_quantum_groups_on_both_providers() {
    for suite in Ciphersuite::POST_QUANTUM {
        scenario(
            suite,
            (0..3)
                .map(|_| Box::new(LibcruxCrypto) as Box<dyn Crypto>)
                .collect(),
        );
        scenario(
            suite,
            (0..3)
                .map(|_| Box::new(RustCrypto::new()) as Box<dyn Crypto>)
                .collect(),
        );
    }
}

/// Members on different providers interoperate, on a classical and on both
/// post-quantum suites.
#[test]
fn mixed_provider_groups_agree() {
    for suite in [Ciphersuite(1), Ciphersuite(3)]
        .into_iter()
        .chain(Ciphersuite::POST_QUANTUM)
    {
        let cryptos: Vec<Box<dyn Crypto>> = vec![
            Box::new(RustCrypto::new()),
            Box::new(LibcruxCrypto),
            Box::new(RustCrypto::new()),
            Box::new(LibcruxCrypto),
        ];
        scenario(suite, cryptos);
    }
}
