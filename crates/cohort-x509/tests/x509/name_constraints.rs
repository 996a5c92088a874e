//! Name constraints (RFC 5280 section 4.2.1.10) of CAs, made with rcgen,
//! applied to the names of the certificates below them.

use super::*;
use rcgen::{DistinguishedName, GeneralSubtree, NameConstraints, SanType};

/// An intermediate under the world's root with `permitted` and `excluded`
/// subtrees (and no path length limit).
fn constrained_ca(
    w: &World,
    name: &str,
    permitted: Vec<GeneralSubtree>,
    excluded: Vec<GeneralSubtree>,
) -> Ca {
    let mut params = ca_params(name, None);
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: permitted,
        excluded_subtrees: excluded,
    });
    signed_ca(params, &w.root)
}

fn dns(s: &str) -> GeneralSubtree {
    GeneralSubtree::DnsName(s.into())
}

/// A leaf for `key` under `ca` with the subject alternative names `sans`
/// and common name `cn`.
fn leaf_named(sans: Vec<SanType>, cn: &str, key: &KeyPair, ca: &Ca) -> Vec<u8> {
    let mut params = leaf_params(cn, VALID_FROM, VALID_TO);
    params.subject_alt_names = sans;
    params.signed_by(key, &ca.issuer).unwrap().der().to_vec()
}

fn dns_san(s: &str) -> SanType {
    SanType::DnsName(s.try_into().unwrap())
}

fn email_san(s: &str) -> SanType {
    SanType::Rfc822Name(s.try_into().unwrap())
}

fn violation(index: usize, name: &str) -> X509Error {
    X509Error::NameConstraintViolation {
        index,
        name: name.into(),
    }
}

/// A name within a permitted DNS subtree is added and joins; names outside
/// it (a sibling domain, a suffix that is not a label boundary) are
/// refused, and the group is unchanged.
#[test]
fn a_permitted_dns_subtree_admits_only_names_below_it() {
    let w = World::new(201);
    let ca = constrained_ca(&w, "Example CA", vec![dns("example.com")], vec![]);
    let mut alice = w.alice_group(X509Policy::default());

    let bob = member_key();
    let leaf = leaf_named(vec![dns_san("bob.example.com")], "bob", &bob.rcgen, &ca);
    let kp = key_package(&w.p, x509(&[&leaf, &ca.der]), &bob.signer);
    let bob_group = alice
        .adds(&w, &kp, w.config(X509Policy::default()))
        .unwrap();
    agree(&alice.group, &bob_group);

    for outside in ["bob.example.org", "bob.badexample.com"] {
        let mallory = member_key();
        let leaf = leaf_named(
            vec![dns_san("ok.example.com"), dns_san(outside)],
            "mallory",
            &mallory.rcgen,
            &ca,
        );
        let kp = key_package(&w.p, x509(&[&leaf, &ca.der]), &mallory.signer);
        alice.refuses(&w, &kp, violation(0, &format!("dns:{outside}")));
    }
}

/// An excluded subtree refuses the names below it even inside a permitted
/// subtree.
#[test]
fn an_excluded_dns_subtree_is_refused() {
    let w = World::new(202);
    let ca = constrained_ca(
        &w,
        "Example CA",
        vec![dns("example.com")],
        vec![dns("secret.example.com")],
    );
    let mut alice = w.alice_group(X509Policy::default());
    let v = w.validator(X509Policy::default());
    let bob = member_key();
    let ok = leaf_named(vec![dns_san("public.example.com")], "bob", &bob.rcgen, &ca);
    assert!(
        v.validate_chain(certs(&x509(&[&ok, &ca.der])), bob.signer.public_key())
            .is_ok()
    );
    let leaf = leaf_named(
        vec![dns_san("x.Secret.example.com")],
        "bob",
        &bob.rcgen,
        &ca,
    );
    let kp = key_package(&w.p, x509(&[&leaf, &ca.der]), &bob.signer);
    alice.refuses(&w, &kp, violation(0, "dns:x.Secret.example.com"));
}

/// rfc822Name constraints: a mailbox at the permitted host passes, another
/// host is refused, an excluded mailbox is refused.
#[test]
fn email_constraints_are_applied() {
    let w = World::new(203);
    let ca = constrained_ca(
        &w,
        "Mail CA",
        vec![GeneralSubtree::Rfc822Name("example.com".into())],
        vec![GeneralSubtree::Rfc822Name("eve@example.com".into())],
    );
    let mut alice = w.alice_group(X509Policy::default());
    let bob = member_key();
    let leaf = leaf_named(vec![email_san("bob@example.com")], "bob", &bob.rcgen, &ca);
    let kp = key_package(&w.p, x509(&[&leaf, &ca.der]), &bob.signer);
    let id = w
        .validator(X509Policy::default())
        .validate_chain(certs(&x509(&[&leaf, &ca.der])), bob.signer.public_key())
        .unwrap();
    assert_eq!(id.names(), &[IdentityName::Email("bob@example.com".into())]);
    let bob_group = alice
        .adds(&w, &kp, w.config(X509Policy::default()))
        .unwrap();
    agree(&alice.group, &bob_group);

    for (mailbox, index) in [("bob@mail.example.com", 0), ("eve@example.com", 0)] {
        let eve = member_key();
        let leaf = leaf_named(vec![email_san(mailbox)], "eve", &eve.rcgen, &ca);
        let kp = key_package(&w.p, x509(&[&leaf, &ca.der]), &eve.signer);
        alice.refuses(&w, &kp, violation(index, &format!("email:{mailbox}")));
    }
}

/// A CA's constraints apply to every certificate below it: a subordinate
/// CA's names and, two levels down, the leaf's.
#[test]
fn constraints_apply_to_subordinate_cas_and_their_leaves() {
    let w = World::new(204);
    let top = constrained_ca(&w, "Example CA", vec![dns("example.com")], vec![]);
    let mut sub_params = CertificateParams::new(vec!["ca.example.com".to_string()]).unwrap();
    sub_params.distinguished_name = ca_params("Example Sub CA", None).distinguished_name;
    sub_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    sub_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let sub = signed_ca(sub_params.clone(), &top);
    sub_params.subject_alt_names = vec![dns_san("ca.example.net")];
    let bad_sub = signed_ca(sub_params, &top);
    let mut alice = w.alice_group(X509Policy::default());

    let bob = member_key();
    let leaf = leaf_named(vec![dns_san("bob.example.com")], "bob", &bob.rcgen, &sub);
    let kp = key_package(&w.p, x509(&[&leaf, &sub.der, &top.der]), &bob.signer);
    assert_eq!(
        check_add(&w.validator(X509Policy::default()), &alice.group, &kp),
        Ok(())
    );
    let leaf = leaf_named(vec![dns_san("bob.example.net")], "bob", &bob.rcgen, &sub);
    let kp = key_package(&w.p, x509(&[&leaf, &sub.der, &top.der]), &bob.signer);
    alice.refuses(&w, &kp, violation(0, "dns:bob.example.net"));
    let leaf = leaf_named(
        vec![dns_san("bob.example.com")],
        "bob",
        &bob.rcgen,
        &bad_sub,
    );
    let kp = key_package(&w.p, x509(&[&leaf, &bad_sub.der, &top.der]), &bob.signer);
    alice.refuses(&w, &kp, violation(1, "dns:ca.example.net"));
}

/// A leaf without subject alternative names presents its common name as
/// its identity, which a DNS constraint then covers; a trust anchor's own
/// constraints apply too.
#[test]
fn a_common_name_identity_and_anchor_constraints_are_checked() {
    let w = World::new(205);
    let ca = constrained_ca(&w, "Example CA", vec![dns("example.com")], vec![]);
    let v = w.validator(X509Policy::default());
    let bob = member_key();
    let leaf = leaf_named(vec![], "mallory.evil.org", &bob.rcgen, &ca);
    assert_eq!(
        v.validate_chain(certs(&x509(&[&leaf, &ca.der])), bob.signer.public_key()),
        Err(violation(0, "dns:mallory.evil.org"))
    );

    let key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
    let mut params = ca_params("Constrained Root", None);
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![dns("example.com")],
        excluded_subtrees: vec![],
    });
    let der = params.self_signed(&key).unwrap().der().to_vec();
    let constrained_root = Ca {
        issuer: Issuer::new(params, key),
        der,
    };
    let v = validator(&[&constrained_root.der], &w.clock, X509Policy::default());
    let inside = leaf_named(
        vec![dns_san("a.example.com")],
        "a",
        &bob.rcgen,
        &constrained_root,
    );
    let outside = leaf_named(
        vec![dns_san("a.example.org")],
        "a",
        &bob.rcgen,
        &constrained_root,
    );
    assert!(
        v.validate_chain(certs(&x509(&[&inside])), bob.signer.public_key())
            .is_ok()
    );
    assert_eq!(
        v.validate_chain(certs(&x509(&[&outside])), bob.signer.public_key()),
        Err(violation(0, "dns:a.example.org"))
    );
}

/// directoryName constraints: the leaf's subject must begin with the
/// permitted name.
#[test]
fn directory_name_constraints_are_applied() {
    let w = World::new(206);
    let mut org = DistinguishedName::new();
    org.push(DnType::OrganizationName, "Cohort");
    let ca = constrained_ca(
        &w,
        "Directory CA",
        vec![GeneralSubtree::DirectoryName(org)],
        vec![],
    );
    let v = w.validator(X509Policy::default());
    let bob = member_key();
    let mut params = leaf_params("bob.example", VALID_FROM, VALID_TO);
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Cohort");
    params.distinguished_name.push(DnType::CommonName, "bob");
    let inside = params
        .signed_by(&bob.rcgen, &ca.issuer)
        .unwrap()
        .der()
        .to_vec();
    assert!(
        v.validate_chain(certs(&x509(&[&inside, &ca.der])), bob.signer.public_key())
            .is_ok()
    );
    let outside = leaf_named(vec![dns_san("bob.example")], "bob.example", &bob.rcgen, &ca);
    assert_eq!(
        v.validate_chain(certs(&x509(&[&outside, &ca.der])), bob.signer.public_key()),
        Err(violation(0, "dn:CN=bob.example"))
    );
}
