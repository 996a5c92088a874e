//! mls-rs, through its public API: `Client` (basic identity provider,
//! `mls-rs-crypto-rustcrypto`, the default in-memory storage and default
//! MLS rules, which put the ratchet tree in the Welcome), `Group`. Every
//! member is a client of its own.

use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use mls_rs::client_builder::{
    BaseConfig, IntoConfigOutput, WithCryptoProvider, WithIdentityProvider,
};
use mls_rs::crypto::{
    HpkeCiphertext, HpkePublicKey, HpkeSecretKey, SignaturePublicKey, SignatureSecretKey,
};
use mls_rs::group::ReceivedMessage;
use mls_rs::identity::SigningIdentity;
use mls_rs::identity::basic::{BasicCredential, BasicIdentityProvider};
use mls_rs::{
    CipherSuite, CipherSuiteProvider, Client, CryptoProvider, ExtensionList, Group, MlsMessage,
};
use mls_rs_crypto_rustcrypto::RustCryptoProvider;

use crate::{Op, Prim, timed};

const SUITE: CipherSuite = CipherSuite::CURVE25519_AES128;

type Config = IntoConfigOutput<
    WithCryptoProvider<RustCryptoProvider, WithIdentityProvider<BasicIdentityProvider, BaseConfig>>,
>;
type MlsClient = Client<Config>;
type MlsGroup = Group<Config>;

fn client(name: &str) -> MlsClient {
    let crypto = RustCryptoProvider::new();
    let cs = crypto.cipher_suite_provider(SUITE).unwrap();
    let (secret, public) = cs.signature_key_generate().unwrap();
    let credential = BasicCredential::new(name.as_bytes().to_vec()).into_credential();
    Client::builder()
        .identity_provider(BasicIdentityProvider)
        .crypto_provider(crypto)
        .signing_identity(SigningIdentity::new(credential, public), secret, SUITE)
        .build()
}

/// A client with a fresh KeyPackage (its private keys in the client's own
/// key package store).
fn key_package(name: &str) -> (MlsClient, MlsMessage) {
    let c = client(name);
    let kp = c
        .generate_key_package_message(ExtensionList::default(), ExtensionList::default(), None)
        .unwrap();
    (c, kp)
}

/// The creator's whole `create` operation (the timed region): the
/// one-member group (its leaf), one commit adding everyone in `members`
/// (no UpdatePath: the default rules), the merge.
fn create_group(creator: &MlsClient, members: &[MlsMessage]) -> (MlsGroup, MlsMessage) {
    let mut g = creator
        .create_group(ExtensionList::default(), ExtensionList::default(), None)
        .unwrap();
    let mut b = g.commit_builder();
    for kp in members {
        b = b.add_member(kp.clone()).unwrap();
    }
    let mut out = b.build().unwrap();
    g.apply_pending_commit().unwrap();
    (g, out.welcome_messages.remove(0))
}

fn process_commit(g: &mut MlsGroup, msg: MlsMessage) {
    match g.process_incoming_message(msg).unwrap() {
        ReceivedMessage::Commit(_) => {}
        _ => panic!("not a commit"),
    }
}

struct Joiner {
    welcome: Rc<MlsMessage>,
    client: MlsClient,
}

pub struct MlsRsBench {
    n: usize,
    creator_client: MlsClient,
    members: Vec<MlsMessage>,
    creator: MlsGroup,
    member: MlsGroup,
    join_pool: Vec<Joiner>,
    newcomers: Vec<MlsMessage>,
    made: usize,
}

impl MlsRsBench {
    pub fn new(n: usize, rounds: usize) -> Self {
        let creator_client = client("creator");
        let (clients, members): (Vec<_>, Vec<_>) =
            (1..n).map(|i| key_package(&format!("m{i}"))).unzip();
        let (creator, welcome) = create_group(&creator_client, &members);
        let welcome = Rc::new(welcome);
        let mut clients = clients.into_iter();
        let first = clients.next().expect("n >= 2");
        let (member, _) = first.join_group(None, &welcome, None).unwrap();
        let join_pool = clients
            .rev()
            .map(|client| Joiner {
                welcome: welcome.clone(),
                client,
            })
            .collect();
        let newcomers = (0..rounds)
            .map(|i| key_package(&format!("new{i}")).1)
            .collect();
        MlsRsBench {
            n,
            creator_client,
            members,
            creator,
            member,
            join_pool,
            newcomers,
            made: 0,
        }
    }

    fn refill_join_pool(&mut self) {
        self.made += 1;
        let made = self.made;
        let (clients, kps): (Vec<_>, Vec<_>) = (1..self.n)
            .map(|i| key_package(&format!("pool{made}-{i}")))
            .unzip();
        let (_, welcome) = create_group(&self.creator_client, &kps);
        let welcome = Rc::new(welcome);
        self.join_pool = clients
            .into_iter()
            .map(|client| Joiner {
                welcome: welcome.clone(),
                client,
            })
            .collect();
    }

    /// A self-update of the creator: an empty commit, which requires an
    /// UpdatePath (RFC 9420 section 12.4), applied.
    fn self_update(&mut self) -> MlsMessage {
        let out = self.creator.commit(Vec::new()).unwrap();
        self.creator.apply_pending_commit().unwrap();
        out.commit_message
    }
}

impl crate::Contender for MlsRsBench {
    fn run(&mut self, op: Op, iters: usize) -> Duration {
        match op {
            Op::Create => {
                let (t, out) = timed(|| create_group(&self.creator_client, &self.members));
                drop(black_box(out));
                t
            }
            Op::Join => {
                if self.join_pool.is_empty() {
                    self.refill_join_pool();
                }
                let joiner = self.join_pool.pop().unwrap();
                let (t, (g, info)) = timed(|| {
                    joiner
                        .client
                        .join_group(None, &joiner.welcome, None)
                        .unwrap()
                });
                assert_eq!(g.current_epoch(), 1);
                drop(black_box((g, info)));
                drop(joiner);
                t
            }
            Op::SelfUpdate => {
                let (t, commit) = timed(|| self.self_update());
                process_commit(&mut self.member, commit);
                t
            }
            Op::Process => {
                let commit = self.self_update();
                let (t, ()) = timed(|| process_commit(&mut self.member, commit));
                assert_eq!(self.member.current_epoch(), self.creator.current_epoch());
                t
            }
            Op::Add => {
                let newcomer = self.newcomers.pop().expect("one newcomer per round");
                let (t, out) = timed(|| {
                    let out = self
                        .creator
                        .commit_builder()
                        .add_member(newcomer)
                        .unwrap()
                        .build()
                        .unwrap();
                    self.creator.apply_pending_commit().unwrap();
                    out
                });
                assert_eq!(out.welcome_messages.len(), 1);
                let add = out.commit_message.clone();
                drop(black_box(out));
                let remove = self
                    .creator
                    .commit_builder()
                    .remove_member(u32::try_from(self.n).unwrap())
                    .unwrap()
                    .build()
                    .unwrap()
                    .commit_message;
                self.creator.apply_pending_commit().unwrap();
                process_commit(&mut self.member, add);
                process_commit(&mut self.member, remove);
                assert_eq!(self.member.current_epoch(), self.creator.current_epoch());
                t
            }
            Op::Message => {
                let data = [0x42u8; 32];
                let (t, ()) = timed(|| {
                    for _ in 0..iters {
                        let msg = self
                            .creator
                            .encrypt_application_message(&data, Vec::new())
                            .unwrap();
                        let bytes = msg.to_bytes().unwrap();
                        let received = MlsMessage::from_bytes(&bytes).unwrap();
                        match self.member.process_incoming_message(received).unwrap() {
                            ReceivedMessage::ApplicationMessage(m) => {
                                assert_eq!(black_box(m.data()).len(), 32)
                            }
                            _ => panic!("not application data"),
                        }
                    }
                });
                t / u32::try_from(iters).unwrap()
            }
        }
    }
}

type SuiteProvider = <RustCryptoProvider as CryptoProvider>::CipherSuiteProvider;

/// The primitives through mls-rs's crypto provider.
pub struct MlsRsPrims {
    cs: SuiteProvider,
    sk: SignatureSecretKey,
    pk: SignaturePublicKey,
    msg: Vec<u8>,
    sig: Vec<u8>,
    info: Vec<u8>,
    hpke_sk: HpkeSecretKey,
    hpke_pk: HpkePublicKey,
    ct: HpkeCiphertext,
}

impl MlsRsPrims {
    pub fn new(info: Vec<u8>) -> Self {
        let cs = RustCryptoProvider::new()
            .cipher_suite_provider(SUITE)
            .unwrap();
        let (sk, pk) = cs.signature_key_generate().unwrap();
        let msg = vec![0x5au8; 1024];
        let sig = cs.sign(&sk, &msg).unwrap();
        let (hpke_sk, hpke_pk) = cs.kem_generate().unwrap();
        let ct = cs.hpke_seal(&hpke_pk, &info, None, &[1; 32]).unwrap();
        MlsRsPrims {
            cs,
            sk,
            pk,
            msg,
            sig,
            info,
            hpke_sk,
            hpke_pk,
            ct,
        }
    }
}

impl crate::PrimContender for MlsRsPrims {
    fn run(&mut self, prim: Prim, iters: usize) -> Duration {
        let cs = &self.cs;
        let (t, ()) = timed(|| {
            for _ in 0..iters {
                match prim {
                    Prim::Sign => {
                        black_box(cs.sign(&self.sk, black_box(&self.msg)).unwrap());
                    }
                    Prim::Verify => cs
                        .verify(&self.pk, &self.sig, black_box(&self.msg))
                        .unwrap(),
                    Prim::HpkeSeal => {
                        black_box(
                            cs.hpke_seal(&self.hpke_pk, &self.info, None, black_box(&[1; 32]))
                                .unwrap(),
                        );
                    }
                    Prim::HpkeOpen => {
                        let pt = cs
                            .hpke_open(
                                black_box(&self.ct),
                                &self.hpke_sk,
                                &self.hpke_pk,
                                &self.info,
                                None,
                            )
                            .unwrap();
                        assert_eq!(black_box(pt).len(), 32);
                    }
                }
            }
        });
        t / u32::try_from(iters).unwrap()
    }
}
