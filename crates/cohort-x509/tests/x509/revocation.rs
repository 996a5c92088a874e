//! Revocation by CRLs (RFC 5280 sections 5 and 6.3): CRLs made with rcgen
//! by the test CAs, given to the validator of alice's group.

use super::*;
use cohort::group::CredentialValidator;
use cohort_x509::{CrlProblem, RevocationPolicy};
use rcgen::{
    CertificateRevocationListParams, CrlDistributionPoint, CrlIssuingDistributionPoint,
    KeyIdMethod, RevokedCertParams, SerialNumber,
};

const CRL_FROM: (i32, u8, u8) = (2025, 5, 1);
const CRL_TO: (i32, u8, u8) = (2025, 7, 1);

fn policy(revocation: RevocationPolicy) -> X509Policy {
    X509Policy {
        revocation,
        ..X509Policy::default()
    }
}

/// The parameters of a CRL of `serials`, current from `from` to `to`.
fn crl_params(
    serials: &[u64],
    from: (i32, u8, u8),
    to: (i32, u8, u8),
) -> CertificateRevocationListParams {
    CertificateRevocationListParams {
        this_update: date_time_ymd(from.0, from.1, from.2),
        next_update: date_time_ymd(to.0, to.1, to.2),
        crl_number: SerialNumber::from(1),
        issuing_distribution_point: None,
        revoked_certs: serials
            .iter()
            .map(|&s| RevokedCertParams {
                serial_number: SerialNumber::from(s),
                revocation_time: date_time_ymd(2025, 4, 1),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
}

/// A CRL of `ca` revoking `serials`, current from `from` to `to`.
fn crl(ca: &Ca, serials: &[u64], from: (i32, u8, u8), to: (i32, u8, u8)) -> Vec<u8> {
    crl_params(serials, from, to)
        .signed_by(&ca.issuer)
        .unwrap()
        .der()
        .to_vec()
}

/// A leaf for `dns` and `key` under `ca`, with serial number `serial`.
fn leaf_with_serial(dns: &str, key: &KeyPair, ca: &Ca, serial: u64) -> Vec<u8> {
    let mut params = leaf_params(dns, VALID_FROM, VALID_TO);
    params.serial_number = Some(SerialNumber::from(serial));
    params.signed_by(key, &ca.issuer).unwrap().der().to_vec()
}

/// A validator shared with the group it is installed in, so CRLs given to
/// it later apply to the group.
fn shared(w: &World, revocation: RevocationPolicy) -> Arc<X509Validator<RustCrypto>> {
    Arc::new(w.validator(policy(revocation)))
}

fn shared_config(v: &Arc<X509Validator<RustCrypto>>, clock: &TestClock) -> GroupConfig {
    let dynamic: Arc<dyn CredentialValidator> = v.clone();
    GroupConfig {
        credential_validator: SharedCredentialValidator::from(dynamic),
        clock: SharedClock::new(clock.clone()),
        ..GroupConfig::default()
    }
}

/// Bob's KeyPackage with the chain [leaf with `serial`, `ca`].
fn bob_package(w: &World, bob: &MemberKey, ca: &Ca, serial: u64) -> KeyPackageBundle {
    let leaf = leaf_with_serial("bob.example", &bob.rcgen, ca, serial);
    key_package(&w.p, x509(&[&leaf, &ca.der]), &bob.signer)
}

/// A revoked end-entity certificate is refused and the group unchanged;
/// an unrevoked one under the same CRL is added, and joins.
#[test]
fn a_revoked_leaf_is_refused_and_an_unrevoked_one_added() {
    let w = World::new(101);
    let v = shared(&w, RevocationPolicy::CheckIfAvailable);
    v.add_crl(&crl(&w.inter, &[0x1001, 0x1003], CRL_FROM, CRL_TO))
        .unwrap();
    assert_eq!(v.crl_count(), 1);
    let mut alice = w.alice_group_in(shared_config(&v, &w.clock));
    let bob = member_key();
    let revoked = bob_package(&w, &bob, &w.inter, 0x1001);
    alice.refuses_under(
        &w,
        &v,
        &revoked,
        X509Error::Revoked {
            index: 0,
            serial: "1001".into(),
        },
    );

    let carol = member_key();
    let unrevoked = bob_package(&w, &carol, &w.inter, 0x1002);
    assert_eq!(check_add(&v, &alice.group, &unrevoked), Ok(()));
    let carol_group = alice
        .adds(&w, &unrevoked, shared_config(&v, &w.clock))
        .unwrap();
    agree(&alice.group, &carol_group);
}

/// An intermediate listed in the root's CRL is refused, whatever the leaf.
#[test]
fn a_revoked_intermediate_is_refused() {
    let w = World::new(102);
    let mut params = ca_params("Revoked Intermediate", Some(0));
    params.serial_number = Some(SerialNumber::from(0x77));
    let revoked_ca = signed_ca(params, &w.root);
    let v = shared(&w, RevocationPolicy::CheckIfAvailable);
    v.add_crl(&crl(&w.root, &[0x77], CRL_FROM, CRL_TO)).unwrap();
    let mut alice = w.alice_group_in(shared_config(&v, &w.clock));
    let bob = member_key();
    let kp = bob_package(&w, &bob, &revoked_ca, 0x1001);
    alice.refuses_under(
        &w,
        &v,
        &kp,
        X509Error::Revoked {
            index: 1,
            serial: "77".into(),
        },
    );
}

/// A CRL signed by another key than its issuer's is not used: ignored under
/// CheckIfAvailable (the listed certificate passes), refused under Require.
#[test]
fn a_crl_with_a_bad_signature_is_ignored_or_refused_under_require() {
    let w = World::new(103);
    let impostor_root = root("Cohort Test Root");
    let impostor = intermediate("Cohort Test Intermediate", &impostor_root, Some(0));
    let forged = crl(&impostor, &[0x1001], CRL_FROM, CRL_TO);
    let bob = member_key();
    let kp = bob_package(&w, &bob, &w.inter, 0x1001);

    let lenient = shared(&w, RevocationPolicy::CheckIfAvailable);
    lenient.add_crl(&forged).unwrap();
    let alice = w.alice_group_in(shared_config(&lenient, &w.clock));
    assert_eq!(check_add(&lenient, &alice.group, &kp), Ok(()));

    let strict = shared(&w, RevocationPolicy::Require);
    strict
        .add_crl(&crl(&w.root, &[], CRL_FROM, CRL_TO))
        .unwrap();
    strict
        .add_crl(&crl(&w.inter, &[], CRL_FROM, CRL_TO))
        .unwrap();
    let mut alice = w.alice_group_in(shared_config(&strict, &w.clock));
    strict.add_crl(&forged).unwrap();
    assert_eq!(strict.crl_count(), 2);
    alice.refuses_under(
        &w,
        &strict,
        &kp,
        X509Error::RevocationUnknown {
            index: 0,
            reason: CrlProblem::BadSignature,
        },
    );
}

/// A CRL is used only while `thisUpdate <= now < nextUpdate`: a revoked
/// certificate passes under CheckIfAvailable once the CRL is stale, and is
/// refused under Require.
#[test]
fn stale_and_future_crls_are_not_used() {
    let w = World::new(104);
    let bob = member_key();
    let kp = bob_package(&w, &bob, &w.inter, 0x1001);
    let lenient = shared(&w, RevocationPolicy::CheckIfAvailable);
    let strict = shared(&w, RevocationPolicy::Require);
    for v in [&lenient, &strict] {
        v.add_crl(&crl(&w.root, &[], (2020, 1, 1), (2039, 1, 1)))
            .unwrap();
        v.add_crl(&crl(&w.inter, &[0x1001], CRL_FROM, CRL_TO))
            .unwrap();
    }
    let mut alice = w.alice_group_in(shared_config(&strict, &w.clock));
    let revoked = X509Error::Revoked {
        index: 0,
        serial: "1001".into(),
    };
    assert_eq!(check_add(&lenient, &alice.group, &kp), Err(revoked.clone()));
    alice.refuses_under(&w, &strict, &kp, revoked);

    // nextUpdate is exclusive.
    for (now, problem) in [
        (at(2025, 7, 1), CrlProblem::Stale),
        (at(2025, 4, 30), CrlProblem::NotYetValid),
    ] {
        w.clock.set(now);
        assert_eq!(check_add(&lenient, &alice.group, &kp), Ok(()));
        alice.refuses_under(
            &w,
            &strict,
            &kp,
            X509Error::RevocationUnknown {
                index: 0,
                reason: problem,
            },
        );
    }
}

/// Under Require every certificate of the chain needs its issuer's CRL:
/// the leaf's (the intermediate's CRL) first, then the intermediate's (the
/// root's); with both the chain passes.
#[test]
fn require_without_a_crl_is_refused() {
    let w = World::new(105);
    let v = shared(&w, RevocationPolicy::Require);
    v.add_crl(&crl(&w.root, &[], CRL_FROM, CRL_TO)).unwrap();
    v.add_crl(&crl(&w.inter, &[], CRL_FROM, CRL_TO)).unwrap();
    let mut alice = w.alice_group_in(shared_config(&v, &w.clock));
    let bob = member_key();
    let kp = bob_package(&w, &bob, &w.inter, 0x1001);
    assert_eq!(check_add(&v, &alice.group, &kp), Ok(()));

    v.clear_crls();
    assert_eq!(v.crl_count(), 0);
    let missing = |index| X509Error::RevocationUnknown {
        index,
        reason: CrlProblem::Missing,
    };
    alice.refuses_under(&w, &v, &kp, missing(0));
    v.add_crl(&crl(&w.inter, &[], CRL_FROM, CRL_TO)).unwrap();
    alice.refuses_under(&w, &v, &kp, missing(1));

    // A chain ending at the trust anchor needs no CRL for the anchor.
    v.add_crl(&crl(&w.root, &[], CRL_FROM, CRL_TO)).unwrap();
    let leaf = leaf_with_serial("bob.example", &bob.rcgen, &w.root, 0x2001);
    let to_anchor = x509(&[&leaf, &w.root.der]);
    assert!(
        v.validate_chain(certs(&to_anchor), bob.signer.public_key())
            .is_ok()
    );
    let bob_group = alice.adds(&w, &kp, shared_config(&v, &w.clock)).unwrap();
    agree(&alice.group, &bob_group);
}

/// CRLs are bounded in size and entries, must parse, may carry no
/// extension this crate does not process, and replace the previous CRL of
/// their issuer.
#[test]
fn crls_are_bounded_parsed_and_replaced() {
    let w = World::new(106);
    let list = crl(&w.inter, &[1, 2, 3], CRL_FROM, CRL_TO);
    let small = w.validator(X509Policy {
        max_crl_len: list.len() - 1,
        ..policy(RevocationPolicy::CheckIfAvailable)
    });
    assert_eq!(
        small.add_crl(&list),
        Err(X509Error::CrlTooLarge {
            len: list.len(),
            max: list.len() - 1
        })
    );
    let few = w.validator(X509Policy {
        max_crl_entries: 2,
        ..policy(RevocationPolicy::CheckIfAvailable)
    });
    assert_eq!(
        few.add_crl(&list),
        Err(X509Error::CrlTooManyEntries { count: 3, max: 2 })
    );
    assert_eq!(few.crl_count(), 0);

    let v = w.validator(policy(RevocationPolicy::CheckIfAvailable));
    assert_eq!(
        v.add_crl(&list[..list.len() - 1]),
        Err(X509Error::MalformedCrl)
    );
    assert_eq!(v.add_crl(&w.inter.der), Err(X509Error::MalformedCrl));
    let mut scoped = crl_params(&[0x1001], CRL_FROM, CRL_TO);
    scoped.issuing_distribution_point = Some(CrlIssuingDistributionPoint {
        distribution_point: CrlDistributionPoint {
            uris: vec!["http://crl.example/inter.crl".into()],
        },
        scope: None,
    });
    let scoped = scoped.signed_by(&w.inter.issuer).unwrap().der().to_vec();
    assert_eq!(v.add_crl(&scoped), Err(X509Error::UnsupportedCrlExtension));
    assert_eq!(v.crl_count(), 0);

    // Many entries are looked up in their sorted list.
    let bob = member_key();
    let leaf = leaf_with_serial("bob.example", &bob.rcgen, &w.inter, 0x1001);
    let chain = x509(&[&leaf, &w.inter.der]);
    let many: Vec<u64> = (0..5000u64).rev().map(|i| 0x1000 + 2 * i + 1).collect();
    v.add_crl(&crl(&w.inter, &many, CRL_FROM, CRL_TO)).unwrap();
    assert_eq!(
        v.validate_chain(certs(&chain), bob.signer.public_key()),
        Err(X509Error::Revoked {
            index: 0,
            serial: "1001".into()
        })
    );
    // A new CRL of the same issuer replaces it.
    v.add_crl(&crl(&w.inter, &[0x1002], CRL_FROM, CRL_TO))
        .unwrap();
    assert_eq!(v.crl_count(), 1);
    assert!(
        v.validate_chain(certs(&chain), bob.signer.public_key())
            .is_ok()
    );
    // Without a revocation policy, CRLs are not consulted.
    let off = w.validator(X509Policy::default());
    off.add_crl(&crl(&w.inter, &[0x1001], CRL_FROM, CRL_TO))
        .unwrap();
    assert!(
        off.validate_chain(certs(&chain), bob.signer.public_key())
            .is_ok()
    );
}
