//! An external join (RFC 9420 section 12.4.3.2): carol joins alice's group
//! from its published GroupInfo with nothing but her signing identity, and
//! alice accepts her commit.
//!
//! `cargo run -p cohort --example external_join`

use cohort::group::{ExternalJoinOptions, ProcessedMessage};
use cohort::messages::Credential;
use cohort::traits::{ProviderBundle, SignatureScheme};
use cohort::{Client, ClientConfig, Error};
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

fn main() -> Result<(), Error> {
    let alice = client("alice")?;
    let carol = client("carol")?;
    let mut a = alice.create_group()?;
    // Alice publishes a GroupInfo (with the tree) for joiners.
    let group_info = a.group_info(true)?;
    let (mut c, commit) = carol.join_external(&group_info, None, ExternalJoinOptions::new())?;
    match a.process(&commit)? {
        ProcessedMessage::Commit(staged) => {
            println!(
                "{:?} joins by external commit",
                staged.path_leaf().map(|l| &l.credential)
            );
            a.merge_staged_commit(*staged)?;
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(a.epoch_authenticator(), c.epoch_authenticator());
    let m = c.encrypt(b"hi, I am new", b"")?;
    match a.process(&m)? {
        ProcessedMessage::Application { data, .. } => assert_eq!(data, b"hi, I am new"),
        other => panic!("{other:?}"),
    }
    println!(
        "carol is in, epoch {}, {} members",
        c.epoch(),
        c.roster().len()
    );
    Ok(())
}
