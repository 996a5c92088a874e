//! The application API: clients on one storage create, join (by Welcome,
//! staged and inspected first, and by external commit), talk, restart from
//! storage and go on, with every change stored by the call that makes it.

use cohort::client::{Client, ClientConfig, ClientGroup, JoinOptions};
use cohort::framing::MlsMessage;
use cohort::group::{ExternalJoinOptions, GroupConfig, ProcessedMessage};
use cohort::messages::Credential;
use cohort::{Error, ValidationError};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, ProviderBundle, SignatureScheme};
use std::sync::Arc;

type P = ProviderBundle<RustCrypto, SeededRand, Arc<MemoryStorage>>;

fn provider(storage: &Arc<MemoryStorage>, seed: u64) -> P {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(seed),
        storage.clone(),
    )
}

/// A client named `name` on `storage`, with a fixed key from `seed` (so it
/// can be made again after a "restart").
fn client(storage: &Arc<MemoryStorage>, name: &str, seed: u64) -> Client<P> {
    client_on(provider(storage, seed), name, seed, ClientConfig::default())
}

/// A client named `name` on provider `p` with `config`, its key from
/// `seed`.
fn client_on<Q: cohort_traits::Provider>(
    p: Q,
    name: &str,
    seed: u64,
    config: ClientConfig,
) -> Client<Q> {
    let signer = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &SeededRand::from_u64(seed ^ 0xfeed),
    )
    .unwrap();
    Client::new(
        p,
        name.as_bytes().to_vec(),
        signer,
        Credential::basic(name),
        config,
    )
    .unwrap()
}

fn read<Q: cohort_traits::Provider>(g: &mut ClientGroup<'_, Q>, m: &MlsMessage) -> Vec<u8> {
    match g.process(m).unwrap() {
        ProcessedMessage::Application { data, .. } => data,
        other => panic!("expected application data, got {other:?}"),
    }
}

/// Applies a commit (the committer's echo included).
fn apply<Q: cohort_traits::Provider>(g: &mut ClientGroup<'_, Q>, m: &MlsMessage) {
    match g.process(m).unwrap() {
        ProcessedMessage::Commit(staged) => g.merge_staged_commit(*staged).unwrap(),
        other => panic!("expected a commit, got {other:?}"),
    }
}

#[test]
fn two_clients_create_join_talk_and_restart() {
    let storage = Arc::new(MemoryStorage::new());
    let alice_c = client(&storage, "alice", 1);
    let bob_c = client(&storage, "bob", 2);
    let mut alice = alice_c.create_group().unwrap();
    let id = alice.group_id().to_vec();
    let kp = bob_c.generate_key_package().unwrap();
    let b = alice.commit_builder().add_member(match &kp.body {
        cohort::framing::MlsMessageBody::KeyPackage(k) => k.clone(),
        _ => unreachable!(),
    });
    let out = alice.commit(b).unwrap();
    assert!(alice.pending_commit().is_some());
    // The delivery service echoes the commit back: alice merges it.
    apply(&mut alice, &out.commit);
    assert_eq!(alice.epoch(), 1);

    // Bob inspects the Welcome before joining.
    let staged = bob_c
        .stage_welcome(out.welcome.as_ref().unwrap(), JoinOptions::default())
        .unwrap();
    assert_eq!(staged.group_id(), id.as_slice());
    let names: Vec<Credential> = staged.roster().into_iter().map(|m| m.credential).collect();
    assert_eq!(
        names,
        [Credential::basic("alice"), Credential::basic("bob")]
    );
    assert_eq!(
        staged.added_by().unwrap().credential,
        Credential::basic("alice")
    );
    let mut bob = bob_c.join(staged).unwrap();
    // The KeyPackage was consumed: the same Welcome again finds none.
    assert_eq!(
        bob_c
            .stage_welcome(out.welcome.as_ref().unwrap(), JoinOptions::default())
            .unwrap_err(),
        Error::Validation(ValidationError::KeyPackageNotFound)
    );
    let m = alice.encrypt(b"hi bob", b"").unwrap();
    assert_eq!(read(&mut bob, &m), b"hi bob");
    let m = bob.encrypt(b"hi alice", b"").unwrap();
    assert_eq!(read(&mut alice, &m), b"hi alice");
    let update = bob.commit(bob.commit_builder().force_path(true)).unwrap();
    apply(&mut alice, &update.commit);
    bob.merge_pending_commit().unwrap();
    assert_eq!(alice.epoch_authenticator(), bob.epoch_authenticator());

    // Both "restart": new clients over the same storage.
    drop((alice, bob));
    let alice_c = client(&storage, "alice", 1);
    let bob_c = client(&storage, "bob", 2);
    assert_eq!(alice_c.group_ids().unwrap(), vec![id.clone()]);
    assert_eq!(bob_c.group_ids().unwrap(), vec![id.clone()]);
    let mut alice = alice_c.load_group(&id).unwrap().unwrap();
    let mut bob = bob_c.load_group(&id).unwrap().unwrap();
    assert_eq!(alice.epoch_authenticator(), bob.epoch_authenticator());
    let m = alice.encrypt(b"back", b"").unwrap();
    assert_eq!(read(&mut bob, &m), b"back");
    let m = bob.encrypt(b"me too", b"").unwrap();
    assert_eq!(read(&mut alice, &m), b"me too");
}

#[test]
fn external_join_needs_only_the_signing_identity() {
    let storage = Arc::new(MemoryStorage::new());
    let alice_c = client(&storage, "alice", 3);
    let carol_c = client(&storage, "carol", 4);
    let mut alice = alice_c.create_group().unwrap();
    let gi = alice.group_info(true).unwrap();
    let (mut carol, commit) = carol_c
        .join_external(&gi, None, ExternalJoinOptions::new())
        .unwrap();
    apply(&mut alice, &commit);
    assert_eq!(alice.epoch_authenticator(), carol.epoch_authenticator());
    let m = carol.encrypt(b"joined", b"").unwrap();
    assert_eq!(read(&mut alice, &m), b"joined");
    // The out-of-band tree works too.
    let dave_c = client(&storage, "dave", 5);
    let gi = alice.group_info(false).unwrap();
    let tree = alice.export_ratchet_tree().unwrap();
    let (dave, commit) = dave_c
        .join_external(&gi, Some(tree), ExternalJoinOptions::new())
        .unwrap();
    apply(&mut alice, &commit);
    apply(&mut carol, &commit);
    assert_eq!(alice.epoch_authenticator(), dave.epoch_authenticator());
    assert_eq!(dave.roster().len(), 3);
}

/// An out-of-band tree is decoded within the joiner's limits, like a tree
/// in a GroupInfo: a megabyte of blank nodes is refused as it passes
/// `max_leaves`, and bytes over `max_message_size` before any decoding.
#[test]
fn out_of_band_trees_are_decoded_within_the_limits() {
    use cohort::client::ExportedTree;
    use cohort::{LimitError, group::Limits};
    let storage = Arc::new(MemoryStorage::new());
    let alice_c = client(&storage, "alice", 3);
    let alice = alice_c.create_group().unwrap();
    let gi = alice.group_info(false).unwrap();
    // `optional<Node> ratchet_tree<V>`: a 4-byte length, then 2^20 blank
    // nodes (one byte each).
    let blank = |n: u32| {
        let mut bytes = (0x8000_0000u32 | n).to_be_bytes().to_vec();
        bytes.resize(bytes.len() + n as usize, 0);
        ExportedTree::from_bytes(bytes)
    };
    let carol_c = client(&storage, "carol", 4);
    let err = carol_c
        .join_external(&gi, Some(blank(1 << 20)), ExternalJoinOptions::new())
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::Limit(LimitError::TooManyLeaves { .. })),
        "{err:?}"
    );
    let small = Limits {
        max_message_size: 4096,
        ..Limits::default()
    };
    let config = ClientConfig {
        group: GroupConfig::default().with_limits(small),
        ..ClientConfig::default()
    };
    let dave_c = client_on(provider(&storage, 5), "dave", 5, config);
    let err = dave_c
        .join_external(&gi, Some(blank(8192)), ExternalJoinOptions::new())
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            Error::Limit(LimitError::MessageTooLarge {
                size: 8196,
                max: 4096
            })
        ),
        "{err:?}"
    );
    assert!(dave_c.load_group(alice.group_id()).unwrap().is_none());
}

/// With a clock, a KeyPackage is valid from an hour before now for exactly
/// `key_package_lifetime` seconds.
#[test]
fn key_packages_span_the_configured_lifetime() {
    use cohort::group::Clock;
    use cohort::messages::{LeafNodeSource, Lifetime};
    struct At(u64);
    impl Clock for At {
        fn now(&self) -> u64 {
            self.0
        }
    }
    let storage = Arc::new(MemoryStorage::new());
    let config = ClientConfig {
        group: GroupConfig::default().with_clock(At(1_000_000)),
        key_package_lifetime: 86_400,
        ..ClientConfig::default()
    };
    let c = client_on(provider(&storage, 21), "k", 21, config);
    let msg = c.generate_key_package().unwrap();
    let cohort::framing::MlsMessageBody::KeyPackage(kp) = &msg.body else {
        panic!("not a KeyPackage")
    };
    assert_eq!(
        kp.leaf_node.leaf_node_source,
        LeafNodeSource::KeyPackage(Lifetime {
            not_before: 1_000_000 - 3600,
            not_after: 1_000_000 - 3600 + 86_400,
        })
    );
}

/// Memory storage whose writes fail while `failing` is set.
struct Flaky {
    inner: MemoryStorage,
    failing: std::sync::atomic::AtomicBool,
}

impl cohort_traits::Storage for Flaky {
    fn get(
        &self,
        kind: cohort_traits::RecordKind,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, cohort_traits::StorageError> {
        self.inner.get(kind, key)
    }
    fn apply(&self, batch: &[cohort_traits::StorageOp]) -> Result<(), cohort_traits::StorageError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(cohort_traits::StorageError::Backend("disk full".into()));
        }
        self.inner.apply(batch)
    }
    fn list_keys(
        &self,
        kind: cohort_traits::RecordKind,
        prefix: &[u8],
    ) -> Result<Vec<Vec<u8>>, cohort_traits::StorageError> {
        self.inner.list_keys(kind, prefix)
    }
}

/// A call whose write fails changes nothing: the group is back at its
/// stored state, so the same message is read when storage works again
/// (its generation was not consumed), and a failed merge can be retried.
#[test]
fn a_failed_write_changes_nothing_and_the_call_can_be_retried() {
    use std::sync::atomic::Ordering::SeqCst;
    let storage = Arc::new(MemoryStorage::new());
    let flaky = Arc::new(Flaky {
        inner: MemoryStorage::new(),
        failing: false.into(),
    });
    let alice_c = client(&storage, "alice", 31);
    let bob_c = client_on(
        ProviderBundle::new(RustCrypto::new(), SeededRand::from_u64(33), flaky.clone()),
        "bob",
        32,
        ClientConfig::default(),
    );
    let mut alice = alice_c.create_group().unwrap();
    let kp = bob_c.generate_key_package().unwrap();
    let b = alice.commit_builder().add_member(match &kp.body {
        cohort::framing::MlsMessageBody::KeyPackage(k) => k.clone(),
        _ => unreachable!(),
    });
    let out = alice.commit(b).unwrap();
    alice.merge_pending_commit().unwrap();
    let staged = bob_c
        .stage_welcome(out.welcome.as_ref().unwrap(), JoinOptions::default())
        .unwrap();
    let mut bob = bob_c.join(staged).unwrap();

    let m = alice.encrypt(b"hello", b"").unwrap();
    flaky.failing.store(true, SeqCst);
    assert!(matches!(bob.process(&m), Err(Error::Storage(_))));
    flaky.failing.store(false, SeqCst);
    assert_eq!(read(&mut bob, &m), b"hello");

    let update = alice.commit(alice.commit_builder()).unwrap();
    alice.merge_pending_commit().unwrap();
    let epoch = bob.epoch();
    let ProcessedMessage::Commit(staged) = bob.process(&update.commit).unwrap() else {
        panic!("not a commit")
    };
    flaky.failing.store(true, SeqCst);
    assert!(matches!(
        bob.merge_staged_commit(*staged),
        Err(Error::Storage(_))
    ));
    assert_eq!(bob.epoch(), epoch);
    flaky.failing.store(false, SeqCst);
    apply(&mut bob, &update.commit);
    assert_eq!(bob.epoch_authenticator(), alice.epoch_authenticator());
}

/// A client removed from a group may join it again by external commit (its
/// stored group is inactive); one still in it may not.
#[test]
fn a_removed_client_can_rejoin_by_external_commit() {
    let storage = Arc::new(MemoryStorage::new());
    let alice_c = client(&storage, "alice", 41);
    let bob_c = client(&storage, "bob", 42);
    let mut alice = alice_c.create_group().unwrap();
    let gi = alice.group_info(true).unwrap();
    let (bob, commit) = bob_c
        .join_external(&gi, None, ExternalJoinOptions::new())
        .unwrap();
    apply(&mut alice, &commit);
    let bob_leaf = bob.own_index();
    drop(bob);
    let gi = alice.group_info(true).unwrap();
    assert_eq!(
        bob_c
            .join_external(&gi, None, ExternalJoinOptions::new())
            .err(),
        Some(Error::Validation(ValidationError::GroupIdInUse))
    );
    let removal = alice
        .commit(alice.commit_builder().remove_member(bob_leaf))
        .unwrap();
    apply(&mut alice, &removal.commit);
    let mut bob = bob_c.load_group(alice.group_id()).unwrap().unwrap();
    apply(&mut bob, &removal.commit);
    assert!(!bob.is_active());
    drop(bob);
    let gi = alice.group_info(true).unwrap();
    let (bob, commit) = bob_c
        .join_external(&gi, None, ExternalJoinOptions::new())
        .unwrap();
    apply(&mut alice, &commit);
    assert!(bob.is_active());
    assert_eq!(bob.epoch_authenticator(), alice.epoch_authenticator());
}

#[test]
fn pending_proposals_can_be_dropped() {
    let storage = Arc::new(MemoryStorage::new());
    let alice_c = client(&storage, "alice", 6);
    let bob_c = client(&storage, "bob", 7);
    let mut alice = alice_c.create_group().unwrap();
    let kp = bob_c.generate_key_package().unwrap();
    let p1 = alice.propose_add(&kp).unwrap();
    let _p2 = alice.propose_self_update().unwrap();
    assert_eq!(alice.pending_proposals().len(), 2);
    let reference = alice.pending_proposals()[0].reference.clone().unwrap();
    assert!(alice.remove_pending_proposal(&reference).unwrap());
    assert!(!alice.remove_pending_proposal(&reference).unwrap());
    assert_eq!(alice.pending_proposals().len(), 1);
    // Stored: a reload sees the same.
    let id = alice.group_id().to_vec();
    let again = alice_c.load_group(&id).unwrap().unwrap();
    assert_eq!(again.pending_proposals().len(), 1);
    alice.clear_pending_proposals().unwrap();
    assert!(alice.pending_proposals().is_empty());
    let _ = p1;
    // Sending works again once nothing is pending.
    alice.encrypt(b"ok", b"").unwrap();
}

#[test]
fn a_last_resort_key_package_serves_two_joins() {
    let storage = Arc::new(MemoryStorage::new());
    let bob_c = client(&storage, "bob", 8);
    let kp = bob_c.generate_last_resort_key_package().unwrap();
    let kp = match &kp.body {
        cohort::framing::MlsMessageBody::KeyPackage(k) => k.clone(),
        _ => unreachable!(),
    };
    for (name, seed) in [("alice", 9), ("carol", 10)] {
        let owner = client(&storage, name, seed);
        let mut g = owner.create_group().unwrap();
        let out = g.commit(g.commit_builder().add_member(kp.clone())).unwrap();
        g.merge_pending_commit().unwrap();
        let staged = bob_c
            .stage_welcome(out.welcome.as_ref().unwrap(), JoinOptions::default())
            .unwrap();
        let bob = bob_c.join(staged).unwrap();
        assert_eq!(bob.epoch_authenticator(), g.epoch_authenticator());
    }
    assert_eq!(bob_c.group_ids().unwrap().len(), 2);
}

#[test]
fn a_client_refuses_what_it_cannot_use() {
    let storage = Arc::new(MemoryStorage::new());
    let p = provider(&storage, 11);
    let signer = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ECDSA_SECP256R1_SHA256,
        &SeededRand::from_u64(12),
    )
    .unwrap();
    // A P-256 key for suite 0x0001 (Ed25519).
    assert!(matches!(
        Client::new(
            p,
            b"x".to_vec(),
            signer,
            Credential::basic("x"),
            ClientConfig::default()
        ),
        Err(Error::Misuse(cohort::MisuseError::SignerSchemeMismatch(_)))
    ));
    let bad = ClientConfig {
        group: GroupConfig {
            max_past_epochs: 1000,
            ..GroupConfig::default()
        },
        ..ClientConfig::default()
    };
    let p = provider(&storage, 13);
    let signer = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &SeededRand::from_u64(14),
    )
    .unwrap();
    assert!(matches!(
        Client::new(p, b"y".to_vec(), signer, Credential::basic("y"), bad),
        Err(Error::Misuse(cohort::MisuseError::ConfigOutOfRange { .. }))
    ));
    let _ = Ciphersuite(1);
    // A message of another kind than the call takes, named by the error.
    let alice_c = client(&storage, "alice", 15);
    let mut alice = alice_c.create_group().unwrap();
    let key_package = alice_c.generate_key_package().unwrap();
    let group_info = alice.group_info(true).unwrap();
    let unexpected =
        |expected| Error::Misuse(cohort::MisuseError::UnexpectedMessageType { expected });
    assert_eq!(
        alice_c
            .stage_welcome(&key_package, JoinOptions::default())
            .err(),
        Some(unexpected("Welcome"))
    );
    assert_eq!(
        alice_c
            .join_external(&key_package, None, ExternalJoinOptions::new())
            .err(),
        Some(unexpected("GroupInfo"))
    );
    assert_eq!(
        alice.propose_add(&group_info).err(),
        Some(unexpected("KeyPackage"))
    );
    assert!(alice.pending_proposals().is_empty());
}
