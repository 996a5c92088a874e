//! A 1,000-member group: the creator adds 999 clients in one commit, one
//! of them joins from the Welcome, and a message goes each way. Prints how
//! long each step took (a debug build is slower than `--release`).
//!
//! `cargo run --release -p cohort --example large_group [members]`

use cohort::framing::MlsMessageBody;
use cohort::group::ProcessedMessage;
use cohort::messages::Credential;
use cohort::traits::{ProviderBundle, SignatureScheme};
use cohort::{Client, ClientConfig, Error, JoinOptions};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::RustCrypto;
use std::time::Instant;

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

fn main() -> Result<(), Error> {
    let members: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let creator = client("member 0")?;
    let mut group = creator.create_group()?;
    let t = Instant::now();
    let clients: Vec<Client<Provider>> = (1..members)
        .map(|i| client(&format!("member {i}")))
        .collect::<Result<_, _>>()?;
    let mut builder = group.commit_builder();
    for c in &clients {
        let MlsMessageBody::KeyPackage(kp) = c.generate_key_package()?.body else {
            unreachable!()
        };
        builder = builder.add_member(kp);
    }
    println!("{} KeyPackages made in {:?}", members - 1, t.elapsed());
    let t = Instant::now();
    let out = group.commit(builder)?;
    group.merge_pending_commit()?;
    println!(
        "group of {members} created (one commit, Welcome included) in {:?}",
        t.elapsed()
    );
    let welcome = out.welcome.expect("Welcome");
    let t = Instant::now();
    let last = clients.last().expect("members");
    let mut joined = last.join(last.stage_welcome(&welcome, JoinOptions::default())?)?;
    println!("one member joined from the Welcome in {:?}", t.elapsed());
    assert_eq!(joined.roster().len(), members);
    assert_eq!(joined.epoch_authenticator(), group.epoch_authenticator());
    let m = joined.encrypt(b"hello, everyone", b"")?;
    match group.process(&m)? {
        ProcessedMessage::Application { data, .. } => assert_eq!(data, b"hello, everyone"),
        other => panic!("{other:?}"),
    }
    let t = Instant::now();
    let update = joined.commit(joined.commit_builder().force_path(true))?;
    joined.merge_pending_commit()?;
    match group.process(&update.commit)? {
        ProcessedMessage::Commit(staged) => group.merge_staged_commit(*staged)?,
        other => panic!("{other:?}"),
    }
    println!("a self-update made, sent and merged in {:?}", t.elapsed());
    assert_eq!(joined.epoch_authenticator(), group.epoch_authenticator());
    Ok(())
}
