//! X.509 credentials in real groups: chains made with rcgen (Ed25519 keys,
//! the leaf key being the member's MLS signature key) are validated by
//! `X509Validator` when a KeyPackage is added, a Welcome joined, or an
//! Update or commit replaces a credential. Every refusal is checked twice:
//! its named `X509Error`, and the group left unchanged (same epoch, epoch
//! authenticator and tree hash). Check IDs refer to `checks.md`
//! (C-CRED-01, C-CRED-02, C-CRED-11). Revocation by CRLs and name
//! constraints are tested in the `revocation` and `name_constraints`
//! modules (`tests/x509/`).

use cohort::codec::{VarBytes, VarVec};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{
    Clock, CommitHook, CredentialEvent, CredentialInfo, Group, GroupConfig, KeyPackageBuilder,
    KeyPackageBundle, ProcessedMessage, SharedClock, SharedCredentialValidator,
};
use cohort::messages::{
    Capabilities, Certificate, Commit, Credential, CredentialType, Extensions, LeafNode,
    LeafNodeSource, Proposal, Update,
};
use cohort::tree::TreeView;
use cohort::tree::math::LeafIndex;
use cohort::{Error, ValidationError};
use cohort_basic_credential::SignatureKeyPair;
use cohort_memory_storage::MemoryStorage;
use cohort_rust_crypto::{RustCrypto, SeededRand};
use cohort_traits::{Ciphersuite, ProviderBundle, Secret, SignatureScheme, Signer as _};
use cohort_x509::{IdentityName, X509Error, X509Policy, X509Validator, identity};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ED25519, date_time_ymd,
};
use std::collections::BTreeMap;

#[path = "x509/name_constraints.rs"]
mod name_constraints;
#[path = "x509/revocation.rs"]
mod revocation;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

type TestProvider = ProviderBundle<RustCrypto, SeededRand, MemoryStorage>;
type Signer = SignatureKeyPair<RustCrypto>;

const SUITE: Ciphersuite = Ciphersuite(1);

fn provider(seed: u64) -> TestProvider {
    ProviderBundle::new(
        RustCrypto::new(),
        SeededRand::from_u64(seed),
        MemoryStorage::new(),
    )
}

/// Seconds since the epoch at midnight UTC of a date.
fn at(year: i32, month: u8, day: u8) -> u64 {
    u64::try_from(date_time_ymd(year, month, day).unix_timestamp()).unwrap()
}

/// The group's clock, which tests move.
#[derive(Clone)]
struct TestClock(Arc<AtomicU64>);

impl TestClock {
    fn new(now: u64) -> Self {
        TestClock(Arc::new(AtomicU64::new(now)))
    }
    fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A member's key: the rcgen key pair its certificate names and the same
/// key as a Cohort signer.
struct MemberKey {
    rcgen: KeyPair,
    signer: Signer,
}

fn member_key() -> MemberKey {
    let rcgen = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    // ring's PKCS#8 v2 document for Ed25519: a 16-byte header, then the
    // 32-byte seed (RFC 8410).
    let pkcs8 = rcgen.serialize_der();
    assert_eq!(&pkcs8[12..16], &[0x04, 0x22, 0x04, 0x20]);
    let seed = pkcs8[16..48].to_vec();
    let signer = SignatureKeyPair::from_private_key(
        RustCrypto::new(),
        SignatureScheme::ED25519,
        Secret::new(seed),
    )
    .unwrap();
    assert_eq!(signer.public_key(), rcgen.public_key_raw());
    MemberKey { rcgen, signer }
}

/// A CA: its issuer handle and certificate.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: Vec<u8>,
}

fn ca_params(name: &str, path_len: Option<u8>) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2040, 1, 1);
    params
}

/// A self-signed root CA.
fn root(name: &str) -> Ca {
    let key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    let params = ca_params(name, None);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca {
        issuer: Issuer::new(params, key),
        der,
    }
}

/// An intermediate CA signed by `parent`.
fn intermediate(name: &str, parent: &Ca, path_len: Option<u8>) -> Ca {
    signed_ca(ca_params(name, path_len), parent)
}

/// A CA made of `params`, signed by `parent`.
fn signed_ca(params: CertificateParams, parent: &Ca) -> Ca {
    let key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    let der = params
        .signed_by(&key, &parent.issuer)
        .unwrap()
        .der()
        .to_vec();
    Ca {
        issuer: Issuer::new(params, key),
        der,
    }
}

/// An end-entity certificate for `dns` and `key`, valid from `from` to
/// `to`, signed by `ca`.
fn leaf_cert(dns: &str, key: &KeyPair, ca: &Ca, from: (i32, u8, u8), to: (i32, u8, u8)) -> Vec<u8> {
    leaf_params(dns, from, to)
        .signed_by(key, &ca.issuer)
        .unwrap()
        .der()
        .to_vec()
}

/// The parameters of [`leaf_cert`]: `dns` as subject alternative name and
/// common name, digitalSignature, valid from `from` to `to`.
fn leaf_params(dns: &str, from: (i32, u8, u8), to: (i32, u8, u8)) -> CertificateParams {
    let mut params = CertificateParams::new(vec![dns.to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, dns);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.not_before = date_time_ymd(from.0, from.1, from.2);
    params.not_after = date_time_ymd(to.0, to.1, to.2);
    params
}

const VALID_FROM: (i32, u8, u8) = (2024, 1, 1);
const VALID_TO: (i32, u8, u8) = (2030, 1, 1);

fn x509(chain: &[&[u8]]) -> Credential {
    Credential::X509 {
        certificates: VarVec(
            chain
                .iter()
                .map(|der| Certificate {
                    cert_data: VarBytes(der.to_vec()),
                })
                .collect(),
        ),
    }
}

/// The chain of an x509 credential.
fn certs(c: &Credential) -> &[Certificate] {
    match c {
        Credential::X509 { certificates } => &certificates.0,
        #[allow(unreachable_patterns)]
        _ => panic!("not an x509 credential"),
    }
}

fn validator(
    anchors: &[&[u8]],
    clock: &TestClock,
    policy: X509Policy,
) -> X509Validator<RustCrypto> {
    X509Validator::new(RustCrypto::new(), anchors, Arc::new(clock.clone()), policy).unwrap()
}

fn config(v: X509Validator<RustCrypto>, clock: &TestClock) -> GroupConfig {
    GroupConfig {
        credential_validator: SharedCredentialValidator::new(v),
        clock: SharedClock::new(clock.clone()),
        ..GroupConfig::default()
    }
}

/// A KeyPackage presenting `credential`, listing basic and x509, signed by
/// `signer`.
fn key_package(p: &TestProvider, credential: Credential, signer: &Signer) -> KeyPackageBundle {
    let cs = SuiteCrypto::new(&p.crypto, SUITE).unwrap();
    KeyPackageBuilder::new(credential)
        .capabilities(Capabilities {
            credentials: VarVec(vec![CredentialType::BASIC, CredentialType::X509]),
            ..Default::default()
        })
        .build(&cs, &p.rand, signer)
        .unwrap()
}

/// What must not change when a credential is refused.
fn state(g: &Group) -> (u64, Vec<u8>, Vec<u8>, usize) {
    (
        g.epoch(),
        g.epoch_authenticator().to_vec(),
        g.tree().tree_hash().to_vec(),
        g.pending_proposals().len(),
    )
}

/// A test world: a root CA, an intermediate, and a clock in mid-2025.
struct World {
    p: TestProvider,
    clock: TestClock,
    root: Ca,
    inter: Ca,
}

impl World {
    fn new(seed: u64) -> Self {
        let root = root("Cohort Test Root");
        let inter = intermediate("Cohort Test Intermediate", &root, Some(0));
        World {
            p: provider(seed),
            clock: TestClock::new(at(2025, 6, 1)),
            root,
            inter,
        }
    }

    fn validator(&self, policy: X509Policy) -> X509Validator<RustCrypto> {
        validator(&[&self.root.der], &self.clock, policy)
    }

    fn config(&self, policy: X509Policy) -> GroupConfig {
        config(self.validator(policy), &self.clock)
    }

    /// A valid chain for `dns` and `key`: [leaf, intermediate].
    fn chain(&self, dns: &str, key: &KeyPair) -> Credential {
        let leaf = leaf_cert(dns, key, &self.inter, VALID_FROM, VALID_TO);
        x509(&[&leaf, &self.inter.der])
    }

    /// A KeyPackage of `key` for `bob.example`, with the chain [leaf, `ca`]
    /// and a leaf certificate valid from `from` to `to`.
    fn key_package(
        &self,
        key: &MemberKey,
        ca: &Ca,
        from: (i32, u8, u8),
        to: (i32, u8, u8),
    ) -> KeyPackageBundle {
        let leaf = leaf_cert("bob.example", &key.rcgen, ca, from, to);
        key_package(&self.p, x509(&[&leaf, &ca.der]), &key.signer)
    }

    /// A group created by `alice.example` with `policy`.
    fn alice_group(&self, policy: X509Policy) -> Creator {
        self.alice_group_in(self.config(policy))
    }

    /// A group created by `alice.example` with `config`.
    fn alice_group_in(&self, config: GroupConfig) -> Creator {
        let alice = member_key();
        let kp = key_package(
            &self.p,
            self.chain("alice.example", &alice.rcgen),
            &alice.signer,
        );
        let group = Group::create(
            &self.p,
            &kp,
            b"x509 group".to_vec(),
            Extensions::default(),
            config,
        )
        .unwrap();
        Creator {
            group,
            signer: alice.signer,
        }
    }
}

/// The creator of a test group, alice: her group and signer.
struct Creator {
    group: Group,
    signer: Signer,
}

/// What `v` says of `kp`'s credential, met as an Add in `g`.
fn check_add(
    v: &X509Validator<RustCrypto>,
    g: &Group,
    kp: &KeyPackageBundle,
) -> Result<(), X509Error> {
    let leaf = &kp.key_package.leaf_node;
    v.check(&CredentialInfo {
        event: CredentialEvent::Add,
        credential: &leaf.credential,
        signature_key: leaf.signature_key.as_slice(),
        leaf_node: Some(leaf),
        context: g.context(),
    })
    .map(|_| ())
}

impl Creator {
    /// Alice's commit adding `kp` is refused as `expected` names, and her
    /// group is unchanged.
    fn refuses(&mut self, w: &World, kp: &KeyPackageBundle, expected: X509Error) {
        self.refuses_under(w, &w.validator(X509Policy::default()), kp, expected);
    }

    /// As [`Creator::refuses`], `v` (the validator of alice's group, or one
    /// like it) naming the refusal.
    fn refuses_under(
        &mut self,
        w: &World,
        v: &X509Validator<RustCrypto>,
        kp: &KeyPackageBundle,
        expected: X509Error,
    ) {
        let alice = &mut self.group;
        assert_eq!(check_add(v, alice, kp), Err(expected));
        let before = state(alice);
        let add = alice.commit().add_member(kp.key_package.clone());
        let err = alice.create_commit(&w.p, &self.signer, add).unwrap_err();
        assert_eq!(
            err,
            Error::Validation(ValidationError::CredentialRejected {
                event: CredentialEvent::Add
            })
        );
        assert_eq!(state(alice), before);
    }

    /// Alice adds `kp` (whose holder joins with `config`): the commit is
    /// built and merged, and the Welcome joined.
    fn adds(
        &mut self,
        w: &World,
        kp: &KeyPackageBundle,
        config: GroupConfig,
    ) -> Result<Group, Error> {
        add_and_join(w, &mut self.group, &self.signer, kp, config)
    }
}

fn welcome_of(msg: &MlsMessage) -> &cohort::messages::Welcome {
    match &msg.body {
        MlsMessageBody::Welcome(w) => w,
        _ => panic!("not a Welcome"),
    }
}

/// `alice` adds `kp` (see [`Creator::adds`]).
fn add_and_join(
    w: &World,
    alice: &mut Group,
    signer: &Signer,
    kp: &KeyPackageBundle,
    config: GroupConfig,
) -> Result<Group, Error> {
    let (out, staged) = alice
        .create_commit(
            &w.p,
            signer,
            alice.commit().add_member(kp.key_package.clone()),
        )
        .unwrap();
    alice.merge_staged_commit(staged).unwrap();
    let tree = (!config.ratchet_tree_extension).then(|| alice.tree().to_nodes());
    Group::join(
        &w.p,
        welcome_of(out.welcome.as_ref().unwrap()),
        kp,
        tree,
        BTreeMap::new(),
        config,
    )
}

fn agree(a: &Group, b: &Group) {
    assert_eq!(a.epoch(), b.epoch());
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    assert_eq!(a.tree().tree_hash(), b.tree().tree_hash());
}

// ---- accepted -------------------------------------------------------------

#[test]
fn a_valid_chain_is_added_and_joins_by_welcome() {
    let w = World::new(1);
    let mut alice = w.alice_group(X509Policy::default());
    let bob = member_key();
    let credential = w.chain("bob.example", &bob.rcgen);
    let kp = key_package(&w.p, credential.clone(), &bob.signer);
    let v = w.validator(X509Policy::default());
    assert_eq!(check_add(&v, &alice.group, &kp), Ok(()));
    let id = v
        .validate_chain(certs(&credential), bob.signer.public_key())
        .unwrap();
    assert_eq!(id.names(), &[IdentityName::Dns("bob.example".into())]);
    assert_eq!(identity(certs(&credential)), Ok(id));

    let bob_group = alice
        .adds(&w, &kp, w.config(X509Policy::default()))
        .unwrap();
    agree(&alice.group, &bob_group);
    assert_eq!(alice.group.epoch(), 1);
}

/// The trust anchor itself may end the chain, and a leaf signed directly by
/// the anchor needs no intermediate.
#[test]
fn chains_ending_at_or_below_the_anchor_are_accepted() {
    let w = World::new(2);
    let v = w.validator(X509Policy::default());
    let bob = member_key();
    let leaf = leaf_cert("bob.example", &bob.rcgen, &w.root, VALID_FROM, VALID_TO);
    let with_root = x509(&[&leaf, &w.root.der]);
    let direct = x509(&[&leaf]);
    for c in [with_root, direct] {
        assert!(v.validate_chain(certs(&c), bob.signer.public_key()).is_ok());
    }
}

// ---- validity period --------------------------------------------------------

/// A certificate outside its validity period is refused: expired, and not
/// yet valid.
#[test]
fn certificates_outside_their_validity_are_refused() {
    let w = World::new(3);
    let mut alice = w.alice_group(X509Policy::default());
    let bob = member_key();
    for (from, to, expected) in [
        ((2020, 1, 1), (2025, 1, 1), X509Error::Expired { index: 0 }),
        (
            (2026, 1, 1),
            (2030, 1, 1),
            X509Error::NotYetValid { index: 0 },
        ),
    ] {
        let kp = w.key_package(&bob, &w.inter, from, to);
        alice.refuses(&w, &kp, expected);
    }
}

// ---- trust anchors and chain structure --------------------------------------

#[test]
fn a_chain_under_another_anchor_is_refused() {
    let w = World::new(5);
    let mut alice = w.alice_group(X509Policy::default());
    let other_root = root("Someone Else's Root");
    let other_inter = intermediate("Someone Else's Intermediate", &other_root, None);
    let bob = member_key();
    // A root of the same name with another key does not sign it either.
    let impostor = root("Cohort Test Root");
    let fake_inter = intermediate("Cohort Test Intermediate", &impostor, None);
    for ca in [&other_inter, &fake_inter] {
        let kp = w.key_package(&bob, ca, VALID_FROM, VALID_TO);
        alice.refuses(&w, &kp, X509Error::UnknownIssuer { index: 1 });
    }
}

/// A Welcome whose tree holds a member under an anchor the joiner does not
/// trust is refused, and no group is made.
#[test]
fn joining_a_group_with_a_member_under_another_anchor_is_refused() {
    let w = World::new(6);
    let mut alice = w.alice_group(X509Policy::default());
    let bob = member_key();
    let kp = key_package(&w.p, w.chain("bob.example", &bob.rcgen), &bob.signer);
    let other_root = root("Someone Else's Root");
    let strict = config(
        validator(&[&other_root.der], &w.clock, X509Policy::default()),
        &w.clock,
    );
    let err = alice.adds(&w, &kp, strict).unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::CredentialRejected {
            event: CredentialEvent::Join { leaf: 0 }
        })
    );
}

#[test]
fn broken_chains_are_refused() {
    let w = World::new(7);
    let mut alice = w.alice_group(X509Policy::default());
    let bob = member_key();
    // root <- inter (path length 0) <- leaf: the leaf alone misses the
    // intermediate.
    let leaf = leaf_cert("bob.example", &bob.rcgen, &w.inter, VALID_FROM, VALID_TO);
    let kp = key_package(&w.p, x509(&[&leaf]), &bob.signer);
    alice.refuses(&w, &kp, X509Error::UnknownIssuer { index: 0 });

    // root <- a <- b <- leaf, sent as [leaf, a, b]: out of order.
    let a = intermediate("Intermediate A", &w.root, None);
    let b = intermediate("Intermediate B", &a, None);
    let leaf = leaf_cert("bob.example", &bob.rcgen, &b, VALID_FROM, VALID_TO);
    let kp = key_package(&w.p, x509(&[&leaf, &a.der, &b.der]), &bob.signer);
    alice.refuses(&w, &kp, X509Error::IssuerMismatch { index: 0 });
    // In order it is valid.
    let kp = key_package(&w.p, x509(&[&leaf, &b.der, &a.der]), &bob.signer);
    assert_eq!(
        check_add(&w.validator(X509Policy::default()), &alice.group, &kp),
        Ok(())
    );

    // The intermediate of path length 0 may not issue another CA.
    let c = intermediate("Intermediate C", &w.inter, None);
    let leaf = leaf_cert("bob.example", &bob.rcgen, &c, VALID_FROM, VALID_TO);
    let kp = key_package(&w.p, x509(&[&leaf, &c.der, &w.inter.der]), &bob.signer);
    alice.refuses(&w, &kp, X509Error::PathLength { index: 2 });
}

/// A certificate that is not a CA cannot issue one.
#[test]
fn an_end_entity_cannot_issue_certificates() {
    let w = World::new(8);
    let mut alice = w.alice_group(X509Policy::default());
    let carol = member_key();
    let carol_cert = leaf_cert(
        "carol.example",
        &carol.rcgen,
        &w.inter,
        VALID_FROM,
        VALID_TO,
    );
    let mut params = CertificateParams::new(vec!["carol.example".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "carol.example");
    let carol_issuer = Issuer::new(params, carol.rcgen);
    let bob = member_key();
    let mut params = CertificateParams::new(vec!["bob.example".to_string()]).unwrap();
    params.not_before = date_time_ymd(2024, 1, 1);
    params.not_after = date_time_ymd(2030, 1, 1);
    let leaf = params
        .signed_by(&bob.rcgen, &carol_issuer)
        .unwrap()
        .der()
        .to_vec();
    let kp = key_package(&w.p, x509(&[&leaf, &carol_cert, &w.inter.der]), &bob.signer);
    alice.refuses(&w, &kp, X509Error::NotACa { index: 1 });
}

#[test]
fn chains_longer_than_the_policy_are_refused() {
    let w = World::new(9);
    let bob = member_key();
    let leaf = leaf_cert("bob.example", &bob.rcgen, &w.inter, VALID_FROM, VALID_TO);
    let v = w.validator(X509Policy {
        max_chain_len: 2,
        ..X509Policy::default()
    });
    let chain = x509(&[&leaf, &w.inter.der, &w.root.der]);
    assert_eq!(
        v.validate_chain(certs(&chain), bob.signer.public_key()),
        Err(X509Error::ChainTooLong { len: 3, max: 2 })
    );
}

// ---- C-CRED-01: the certificate binds the signature key ----------------------

/// C-CRED-01: a certificate for key A in a leaf whose signature key is B.
#[test]
fn a_certificate_for_another_key_is_refused_c_cred_01() {
    let w = World::new(10);
    let mut alice = w.alice_group(X509Policy::default());
    let key_a = member_key();
    let key_b = member_key();
    let kp = key_package(&w.p, w.chain("bob.example", &key_a.rcgen), &key_b.signer);
    alice.refuses(&w, &kp, X509Error::KeyMismatch);
}

// ---- C-CRED-02: a non-empty chain of DER certificates ------------------------

/// C-CRED-02: an empty chain and non-DER bytes in any entry are refused.
#[test]
fn empty_and_malformed_chains_are_refused_c_cred_02() {
    let w = World::new(11);
    let mut alice = w.alice_group(X509Policy::default());
    let bob = member_key();
    let kp = key_package(&w.p, x509(&[]), &bob.signer);
    alice.refuses(&w, &kp, X509Error::Empty);

    let leaf = leaf_cert("bob.example", &bob.rcgen, &w.inter, VALID_FROM, VALID_TO);
    let truncated = &leaf[..leaf.len() - 1];
    let mut trailing = leaf.clone();
    trailing.push(0);
    let not_der = b"-----BEGIN CERTIFICATE-----".as_slice();
    for (chain, index) in [
        (vec![not_der, &w.inter.der], 0),
        (vec![truncated, &w.inter.der], 0),
        (vec![&trailing, &w.inter.der], 0),
        (vec![&leaf, &w.inter.der[1..]], 1),
        (vec![&leaf, &[0x30, 0x00][..]], 1),
    ] {
        let kp = key_package(&w.p, x509(&chain), &bob.signer);
        alice.refuses(&w, &kp, X509Error::Malformed { index });
    }
}

/// C-CRED-02: no byte string, however corrupt, makes the validator panic;
/// every flipped byte of a valid certificate is refused (or, when the flip
/// leaves a certificate with the same meaning, accepted consistently).
#[test]
fn corrupted_certificates_never_panic_c_cred_02() {
    let w = World::new(12);
    let v = w.validator(X509Policy::default());
    let bob = member_key();
    let leaf = leaf_cert("bob.example", &bob.rcgen, &w.inter, VALID_FROM, VALID_TO);
    let mut refused = 0;
    for i in 0..leaf.len() {
        let mut bad = leaf.clone();
        bad[i] ^= 0x41;
        let chain = x509(&[&bad, &w.inter.der]);
        if v.validate_chain(certs(&chain), bob.signer.public_key())
            .is_err()
        {
            refused += 1;
        }
        let _ = identity(certs(&chain));
    }
    // Every byte is covered by DER structure, the signature or the key.
    assert_eq!(refused, leaf.len());
    // Every truncation is refused as malformed.
    for len in 0..leaf.len() {
        let chain = x509(&[&leaf[..len], &w.inter.der]);
        assert_eq!(
            v.validate_chain(certs(&chain), bob.signer.public_key()),
            Err(X509Error::Malformed { index: 0 })
        );
        assert_eq!(
            identity(certs(&chain)),
            Err(X509Error::Malformed { index: 0 })
        );
    }
}

// ---- mixed groups -------------------------------------------------------------

#[test]
fn basic_members_join_only_when_the_policy_allows_them() {
    let w = World::new(13);
    let dave = member_key();
    let basic = key_package(&w.p, Credential::basic("dave"), &dave.signer);

    let mut strict = w.alice_group(X509Policy::default());
    strict.refuses(&w, &basic, X509Error::BasicNotAllowed);

    let mixed = X509Policy {
        allow_basic: true,
        ..X509Policy::default()
    };
    let mut alice = w.alice_group(mixed.clone());
    assert_eq!(
        check_add(&w.validator(mixed.clone()), &alice.group, &basic),
        Ok(())
    );
    let dave_group = alice.adds(&w, &basic, w.config(mixed.clone())).unwrap();
    agree(&alice.group, &dave_group);
    // An x509 member still needs a valid chain in the mixed group.
    let bob = member_key();
    let expired = leaf_cert(
        "bob.example",
        &bob.rcgen,
        &w.inter,
        (2020, 1, 1),
        (2021, 1, 1),
    );
    let kp = key_package(&w.p, x509(&[&expired, &w.inter.der]), &bob.signer);
    alice.refuses(&w, &kp, X509Error::Expired { index: 0 });
    // A joiner that refuses basic credentials refuses the mixed group.
    let carol = member_key();
    let kp = key_package(&w.p, w.chain("carol.example", &carol.rcgen), &carol.signer);
    let err = alice
        .adds(&w, &kp, w.config(X509Policy::default()))
        .unwrap_err();
    assert_eq!(
        err,
        Error::Validation(ValidationError::CredentialRejected {
            event: CredentialEvent::Join { leaf: 1 }
        })
    );
}

// ---- C-CRED-11: renewal -----------------------------------------------------------

/// A group of alice, bob and carol, where bob's certificate is valid
/// until 2026-01-01 and the clock is in mid-2025.
struct Renewal {
    w: World,
    members: Vec<(Group, Signer)>,
}

fn renewal_group(seed: u64) -> Renewal {
    let w = World::new(seed);
    let Creator {
        group: mut alice,
        signer: alice_signer,
    } = w.alice_group(X509Policy::default());
    let bob = member_key();
    let bob_leaf = leaf_cert(
        "bob.example",
        &bob.rcgen,
        &w.inter,
        (2024, 1, 1),
        (2026, 1, 1),
    );
    let bob_kp = key_package(&w.p, x509(&[&bob_leaf, &w.inter.der]), &bob.signer);
    let carol = member_key();
    let carol_kp = key_package(&w.p, w.chain("carol.example", &carol.rcgen), &carol.signer);
    let (out, staged) = alice
        .create_commit(
            &w.p,
            &alice_signer,
            alice
                .commit()
                .add_member(bob_kp.key_package.clone())
                .add_member(carol_kp.key_package.clone()),
        )
        .unwrap();
    alice.merge_staged_commit(staged).unwrap();
    let join = |kp: &KeyPackageBundle| {
        let config = w.config(X509Policy::default());
        let tree = (!config.ratchet_tree_extension).then(|| alice.tree().to_nodes());
        Group::join(
            &w.p,
            welcome_of(out.welcome.as_ref().unwrap()),
            kp,
            tree,
            BTreeMap::new(),
            config,
        )
        .unwrap()
    };
    let bob_group = join(&bob_kp);
    let carol_group = join(&carol_kp);
    agree(&alice, &bob_group);
    agree(&alice, &carol_group);
    Renewal {
        w,
        members: vec![
            (alice, alice_signer),
            (bob_group, bob.signer),
            (carol_group, carol.signer),
        ],
    }
}

/// An Update of the sender's leaf with `credential` and the new key
/// `new_signer` (which signs the leaf), framed by `old_signer`.
fn renewal_update(
    p: &TestProvider,
    g: &mut Group,
    old_signer: &Signer,
    credential: Credential,
    new_signer: &Signer,
) -> MlsMessage {
    let cs = SuiteCrypto::new(&p.crypto, SUITE).unwrap();
    let mut leaf: LeafNode = g.tree().leaf(g.own_leaf()).unwrap().clone();
    let (_, public) = cs.derive_key_pair(&[7; 32]).unwrap();
    leaf.encryption_key = public.into();
    leaf.leaf_node_source = LeafNodeSource::Update;
    leaf.credential = credential;
    leaf.signature_key = new_signer.public_key().to_vec().into();
    let tbs = leaf
        .to_be_signed(Some((g.group_id(), g.own_leaf())))
        .unwrap();
    leaf.signature = cs
        .sign_with_label(new_signer, b"LeafNodeTBS", &tbs)
        .unwrap()
        .into();
    g.propose(
        p,
        old_signer,
        Proposal::Update(Box::new(Update { leaf_node: leaf })),
    )
    .unwrap()
}

/// What `v` says of replacing `g`'s leaf 1 by the leaf of `update`.
fn check_renewal(
    v: &X509Validator<RustCrypto>,
    g: &Group,
    update: &LeafNode,
) -> Result<(), X509Error> {
    let old = g.tree().leaf(LeafIndex(1)).unwrap();
    v.check_successor(
        old,
        &CredentialInfo {
            event: CredentialEvent::Update { leaf: 1 },
            credential: &update.credential,
            signature_key: update.signature_key.as_slice(),
            leaf_node: Some(update),
            context: g.context(),
        },
    )
}

fn update_leaf(p: &TestProvider, g: &mut Group, msg: &MlsMessage) -> LeafNode {
    match g.process(p, msg).unwrap() {
        ProcessedMessage::Proposal { .. } => {}
        other => panic!("expected a proposal, got {other:?}"),
    }
    match &g.pending_proposals().last().unwrap().proposal {
        Proposal::Update(u) => u.leaf_node.clone(),
        other => panic!("expected an Update, got {other:?}"),
    }
}

/// C-CRED-11: bob's certificate expired by the group's clock; his Update
/// with a renewed certificate for a new key and the same identity is
/// accepted, committed by alice and merged by carol.
#[test]
fn a_renewal_from_a_member_whose_certificate_expired_is_accepted_c_cred_11() {
    let Renewal { w, mut members } = renewal_group(20);
    w.clock.set(at(2027, 1, 1));
    let renewed = member_key();
    let new_leaf = leaf_cert(
        "bob.example",
        &renewed.rcgen,
        &w.inter,
        (2026, 6, 1),
        (2030, 1, 1),
    );
    let credential = x509(&[&new_leaf, &w.inter.der]);
    // The old chain has expired; the new one is valid.
    let v = w.validator(X509Policy::default());
    let old = members[0].0.tree().leaf(LeafIndex(1)).unwrap().clone();
    assert_eq!(
        v.validate_chain(certs(&old.credential), &old.signature_key.0),
        Err(X509Error::Expired { index: 0 })
    );

    let (bob, bob_signer) = &mut members[1];
    let msg = renewal_update(&w.p, bob, bob_signer, credential.clone(), &renewed.signer);
    let leaf = update_leaf(&w.p, &mut members[0].0, &msg);
    assert_eq!(check_renewal(&v, &members[0].0, &leaf), Ok(()));
    update_leaf(&w.p, &mut members[2].0, &msg);

    let (alice, alice_signer) = &mut members[0];
    let (out, staged) = alice
        .create_commit(&w.p, alice_signer, alice.commit())
        .unwrap();
    alice.merge_staged_commit(staged).unwrap();
    let carol = &mut members[2].0;
    match carol.process(&w.p, &out.commit).unwrap() {
        ProcessedMessage::Commit(staged) => carol.merge_staged_commit(*staged).unwrap(),
        other => panic!("expected a commit, got {other:?}"),
    }
    agree(&members[0].0, &members[2].0);
    let bob_now = members[2].0.tree().leaf(LeafIndex(1)).unwrap();
    assert_eq!(bob_now.credential, credential);
    assert_eq!(
        bob_now.signature_key.as_slice(),
        renewed.signer.public_key()
    );
}

/// C-CRED-11: a "renewal" presenting another identity is refused, though
/// its chain is valid; so is one whose new chain is itself expired.
#[test]
fn a_renewal_changing_the_identity_is_refused_c_cred_11() {
    let Renewal { w, mut members } = renewal_group(21);
    w.clock.set(at(2027, 1, 1));
    let v = w.validator(X509Policy::default());
    let renewed = member_key();
    for (credential, expected) in [
        (
            w.chain("mallory.example", &renewed.rcgen),
            X509Error::IdentityChanged,
        ),
        (
            x509(&[
                &leaf_cert(
                    "bob.example",
                    &renewed.rcgen,
                    &w.inter,
                    (2025, 1, 1),
                    (2026, 6, 1),
                ),
                &w.inter.der,
            ]),
            X509Error::Expired { index: 0 },
        ),
    ] {
        let (bob, bob_signer) = &mut members[1];
        let msg = renewal_update(&w.p, bob, bob_signer, credential.clone(), &renewed.signer);
        let alice = &mut members[0].0;
        let mut leaf = alice.tree().leaf(LeafIndex(1)).unwrap().clone();
        leaf.credential = credential;
        leaf.signature_key = renewed.signer.public_key().to_vec().into();
        assert_eq!(check_renewal(&v, alice, &leaf), Err(expected.clone()));
        let before = state(alice);
        let err = alice.process(&w.p, &msg).unwrap_err();
        let wanted = if expected == X509Error::IdentityChanged {
            ValidationError::InvalidCredentialSuccessor { leaf: 1 }
        } else {
            ValidationError::CredentialRejected {
                event: CredentialEvent::Update { leaf: 1 },
            }
        };
        assert_eq!(err, Error::Validation(wanted));
        assert_eq!(state(alice), before);
    }
}

/// C-CRED-11: bob's own commit whose path leaf presents a valid
/// certificate for a new key but another identity is refused by the other
/// members, which stay in their epoch.
#[test]
fn a_commit_path_changing_the_identity_is_refused_c_cred_11() {
    let Renewal { w, mut members } = renewal_group(22);
    w.clock.set(at(2027, 1, 1));
    let renewed = member_key();
    let credential = w.chain("mallory.example", &renewed.rcgen);
    let (bob, bob_signer) = &mut members[1];
    let group_id = bob.group_id().to_vec();
    let new_signer = Arc::new(renewed.signer);
    let hook_signer = new_signer.clone();
    let hook: CommitHook = Arc::new(move |c: &mut Commit| {
        let crypto = RustCrypto::new();
        let cs = SuiteCrypto::new(&crypto, SUITE).unwrap();
        let node = &mut c.path.as_mut().unwrap().leaf_node;
        node.credential = credential.clone();
        node.signature_key = hook_signer.public_key().to_vec().into();
        let tbs = node
            .to_be_signed(Some((group_id.as_slice(), LeafIndex(1))))
            .unwrap();
        node.signature = cs
            .sign_with_label(hook_signer.as_ref(), b"LeafNodeTBS", &tbs)
            .unwrap()
            .into();
    });
    let builder = bob.commit().force_path(true).tamper_commit(hook);
    let (out, _) = bob.create_commit(&w.p, bob_signer, builder).unwrap();
    for i in [0, 2] {
        let g = &mut members[i].0;
        let before = state(g);
        assert_eq!(
            g.process(&w.p, &out.commit).unwrap_err(),
            Error::Validation(ValidationError::InvalidCredentialSuccessor { leaf: 1 })
        );
        assert_eq!(state(g), before);
    }
}

// ---- ECDSA ------------------------------------------------------------------

/// ECDSA chains verify through the Crypto provider: a P-384/SHA-384 root,
/// a P-256/SHA-256 intermediate and a P-256 leaf, whose key is compared as
/// the uncompressed SEC1 point (C-CRED-01); a flipped signature byte is
/// refused.
#[test]
fn ecdsa_chains_are_validated_c_cred_01() {
    let clock = TestClock::new(at(2025, 6, 1));
    let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let root_params = ca_params("ECDSA Root", None);
    let root_der = root_params.self_signed(&root_key).unwrap().der().to_vec();
    let root = Issuer::new(root_params, root_key);
    let inter_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let inter_params = ca_params("ECDSA Intermediate", Some(0));
    let inter_der = inter_params
        .signed_by(&inter_key, &root)
        .unwrap()
        .der()
        .to_vec();
    let inter = Ca {
        issuer: Issuer::new(inter_params, inter_key),
        der: inter_der,
    };
    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let leaf = leaf_cert("erin.example", &leaf_key, &inter, VALID_FROM, VALID_TO);
    let v = validator(&[&root_der], &clock, X509Policy::default());
    let point = leaf_key.public_key_raw();
    assert_eq!(point.len(), 65);
    assert_eq!(point[0], 0x04);
    let chain = |leaf: &[u8]| certs(&x509(&[leaf, &inter.der])).to_vec();
    let id = v.validate_chain(&chain(&leaf), point).unwrap();
    assert_eq!(id.names(), &[IdentityName::Dns("erin.example".into())]);
    let other = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    assert_eq!(
        v.validate_chain(&chain(&leaf), other.public_key_raw()),
        Err(X509Error::KeyMismatch)
    );
    // The signature is the certificate's last bytes.
    let mut bad = leaf.clone();
    let last = bad.len() - 2;
    bad[last] ^= 0x01;
    assert_eq!(
        v.validate_chain(&chain(&bad), point),
        Err(X509Error::BadSignature { index: 0 })
    );
}
