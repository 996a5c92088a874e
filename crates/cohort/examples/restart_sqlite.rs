//! A member on SQLite that stops and restarts mid-conversation: every
//! change is stored by the call that makes it, so the restarted client
//! picks up exactly where it was (its next message is read, its pending
//! commit is still there).
//!
//! `cargo run -p cohort --example restart_sqlite`

use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::ProcessedMessage;
use cohort::messages::Credential;
use cohort::traits::{ProviderBundle, SignatureScheme};
use cohort::{Client, ClientConfig, ClientGroup, Error, JoinOptions};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_sqlite_storage::SqliteStorage;
use cohort_traits::Provider;

/// Alice's signing key, the same at every start (in an application it
/// lives in a keystore).
fn alice_signer() -> Result<SignatureKeyPair<RustCrypto>, Error> {
    Ok(SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &SeededRand::from_u64(0xa11ce),
    )?)
}

type Sqlite = ProviderBundle<RustCrypto, RustCrypto, SqliteStorage>;

fn alice(db: &std::path::Path) -> Result<Client<Sqlite>, Error> {
    let provider = ProviderBundle::new(
        RustCrypto::new(),
        RustCrypto::new(),
        SqliteStorage::open(db)?,
    );
    Client::new(
        provider,
        "alice",
        alice_signer()?,
        Credential::basic("alice"),
        ClientConfig::default(),
    )
}

fn read<P: Provider>(group: &mut ClientGroup<'_, P>, msg: &MlsMessage) -> Result<Vec<u8>, Error> {
    match group.process(msg)? {
        ProcessedMessage::Application { data, .. } => Ok(data),
        other => panic!("expected a message, got {other:?}"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("cohort-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("alice.db");

    let bob_provider =
        ProviderBundle::new(RustCrypto::new(), RustCrypto::new(), MemoryStorage::new());
    let bob_signer = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &RustCrypto::new(),
    )?;
    let bob = Client::new(
        bob_provider,
        "bob",
        bob_signer,
        Credential::basic("bob"),
        ClientConfig::default(),
    )?;
    let MlsMessageBody::KeyPackage(kp) = bob.generate_key_package()?.body else {
        unreachable!()
    };

    // First run of alice: create, add bob, talk, start a commit.
    let (group_id, welcome, pending_commit, hello) = {
        let alice = alice(&db)?;
        let mut a = alice.create_group()?;
        let out = a.commit(a.commit_builder().add_member(kp))?;
        a.merge_pending_commit()?;
        let hello = a.encrypt(b"before the restart", b"")?;
        // A self-update, sent and not yet confirmed when alice stops.
        let update = a.commit(a.commit_builder().force_path(true))?;
        (
            a.group_id().to_vec(),
            out.welcome.expect("Welcome"),
            update.commit,
            hello,
        )
    };

    let mut b = bob.join(bob.stage_welcome(&welcome, JoinOptions::default())?)?;
    assert_eq!(read(&mut b, &hello)?, b"before the restart");

    // Second run: alice comes back from the database.
    let alice = alice(&db)?;
    assert_eq!(alice.group_ids()?, vec![group_id.clone()]);
    let mut a = alice.load_group(&group_id)?.expect("stored");
    assert!(
        a.pending_commit().is_some(),
        "the pending commit was stored"
    );
    // The delivery service delivers the update: both merge it.
    for g in [&mut b] {
        match g.process(&pending_commit)? {
            ProcessedMessage::Commit(staged) => g.merge_staged_commit(*staged)?,
            other => panic!("{other:?}"),
        }
    }
    match a.process(&pending_commit)? {
        ProcessedMessage::Commit(staged) => a.merge_staged_commit(*staged)?,
        other => panic!("{other:?}"),
    }
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    let m = a.encrypt(b"after the restart", b"")?;
    assert_eq!(read(&mut b, &m)?, b"after the restart");
    let m = b.encrypt(b"welcome back", b"")?;
    assert_eq!(read(&mut a, &m)?, b"welcome back");
    println!("alice restarted at epoch {} and goes on", a.epoch());
    drop(a);
    drop(alice);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
