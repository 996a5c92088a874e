//! Two members chatting in memory: alice creates a group, adds bob from his
//! KeyPackage, they exchange messages, bob updates his keys, alice removes
//! him. Every step is checked; the program fails on any disagreement.
//!
//! `cargo run -p cohort --example chat_in_memory`

use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::ProcessedMessage;
use cohort::messages::Credential;
use cohort::traits::{ProviderBundle, SignatureScheme};
use cohort::{Client, ClientConfig, ClientGroup, Error, JoinOptions};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::RustCrypto;

type Provider = ProviderBundle<RustCrypto, RustCrypto, MemoryStorage>;

fn client(name: &str) -> Result<Client<Provider>, Error> {
    let provider = ProviderBundle::new(RustCrypto::new(), RustCrypto::new(), MemoryStorage::new());
    let signer = SignatureKeyPair::generate(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        &RustCrypto::new(),
    )?;
    Client::new(
        provider,
        name,
        signer,
        Credential::basic(name),
        ClientConfig::default(),
    )
}

/// Reads an application message.
fn read(group: &mut ClientGroup<'_, Provider>, msg: &MlsMessage) -> Result<String, Error> {
    match group.process(msg)? {
        ProcessedMessage::Application {
            data, credential, ..
        } => Ok(format!(
            "{credential:?}: {}",
            String::from_utf8_lossy(&data)
        )),
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Processes and merges a commit (the committer's own echo included).
fn apply(group: &mut ClientGroup<'_, Provider>, msg: &MlsMessage) -> Result<(), Error> {
    match group.process(msg)? {
        ProcessedMessage::Commit(staged) => group.merge_staged_commit(*staged),
        other => panic!("expected a commit, got {other:?}"),
    }
}

fn main() -> Result<(), Error> {
    let alice = client("alice")?;
    let bob = client("bob")?;

    let mut a = alice.create_group()?;
    let MlsMessageBody::KeyPackage(kp) = bob.generate_key_package()?.body else {
        unreachable!()
    };
    let out = a.commit(a.commit_builder().add_member(kp))?;
    apply(&mut a, &out.commit)?; // the delivery service's echo
    let welcome = out.welcome.expect("a Welcome for bob");
    let staged = bob.stage_welcome(&welcome, JoinOptions::default())?;
    println!(
        "bob is invited to a group of {} by {:?}",
        staged.roster().len(),
        staged.added_by().map(|m| m.credential)
    );
    let mut b = bob.join(staged)?;

    let m = a.encrypt(b"hello bob", b"")?;
    println!("{}", read(&mut b, &m)?);
    let m = b.encrypt(b"hello alice", b"")?;
    println!("{}", read(&mut a, &m)?);

    // Bob updates his keys; both agree on the new epoch.
    let update = b.commit(b.commit_builder().force_path(true))?;
    apply(&mut a, &update.commit)?;
    apply(&mut b, &update.commit)?;
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());

    // Alice removes bob.
    let remove = a.commit(a.commit_builder().remove_member(b.own_index()))?;
    apply(&mut a, &remove.commit)?;
    apply(&mut b, &remove.commit)?;
    assert!(!b.is_active());
    println!("epoch {}: {} member(s) left", a.epoch(), a.roster().len());
    Ok(())
}
