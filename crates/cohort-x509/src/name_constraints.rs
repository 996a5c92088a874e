//! Name constraints (RFC 5280 section 4.2.1.10): the permitted and
//! excluded subtrees of every CA in a path (trust anchor included) applied
//! to the names of the certificates below it.

use crate::X509Error;
use x509_cert::Certificate as X509Certificate;
use x509_cert::der::asn1::{Ia5String, ObjectIdentifier};
use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{NameConstraints, SubjectAltName};
use x509_cert::name::Name;

/// The `emailAddress` attribute of a distinguished name (PKCS #9).
const PKCS9_EMAIL_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

/// A name a certificate presents, or the base of a subtree, in the forms
/// this module compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    Dns(String),
    Email(String),
    Uri(String),
    Ip(Vec<u8>),
    Directory(Name),
    /// A form this module cannot compare (otherName, ediPartyName,
    /// registeredID), by its ASN.1 name.
    Other(&'static str),
}

impl core::fmt::Display for Form {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Form::Dns(s) => write!(f, "dns:{s}"),
            Form::Email(s) => write!(f, "email:{s}"),
            Form::Uri(s) => write!(f, "uri:{s}"),
            Form::Ip(bytes) => {
                f.write_str("ip:")?;
                bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
            Form::Directory(n) => write!(f, "dn:{n}"),
            Form::Other(kind) => f.write_str(kind),
        }
    }
}

impl From<&GeneralName> for Form {
    fn from(name: &GeneralName) -> Self {
        match name {
            GeneralName::DnsName(s) => Form::Dns(s.to_string()),
            GeneralName::Rfc822Name(s) => Form::Email(s.to_string()),
            GeneralName::UniformResourceIdentifier(s) => Form::Uri(s.to_string()),
            GeneralName::IpAddress(o) => Form::Ip(o.as_bytes().to_vec()),
            GeneralName::DirectoryName(n) => Form::Directory(n.clone()),
            GeneralName::OtherName(_) => Form::Other("otherName"),
            GeneralName::EdiPartyName(_) => Form::Other("ediPartyName"),
            GeneralName::RegisteredId(_) => Form::Other("registeredID"),
        }
    }
}

/// How a name stands to a subtree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Relation {
    /// The subtree is of another name form: it says nothing of the name.
    Unrelated,
    /// The name is within the subtree.
    Within,
    /// The name is outside the subtree.
    Outside,
    /// The subtree is of the name's form, but this module cannot tell
    /// (a form it does not compare, or a name it cannot read): it counts
    /// as neither permitted nor safe from exclusion.
    Unknown,
}

impl Relation {
    fn of(within: bool) -> Self {
        if within {
            Relation::Within
        } else {
            Relation::Outside
        }
    }
}

/// How `name` stands to the subtree whose base is `base`.
fn relation(base: &Form, name: &Form) -> Relation {
    match (base, name) {
        (Form::Dns(b), Form::Dns(n)) => Relation::of(dns_within(n, b)),
        (Form::Email(b), Form::Email(n)) => {
            email_within(n, b).map_or(Relation::Unknown, Relation::of)
        }
        (Form::Uri(b), Form::Uri(n)) => {
            uri_host(n).map_or(Relation::Unknown, |host| Relation::of(host_within(host, b)))
        }
        (Form::Ip(b), Form::Ip(n)) => Relation::of(ip_within(n, b)),
        (Form::Directory(b), Form::Directory(n)) => Relation::of(directory_within(n, b)),
        (Form::Other(b), Form::Other(n)) if b == n => Relation::Unknown,
        _ => Relation::Unrelated,
    }
}

/// Lower case, without a final dot.
fn normalize(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// A dNSName is within `base` when it is `base` or has labels added on
/// its left; a base starting with a dot admits only the names below it;
/// an empty base admits every name.
pub(crate) fn dns_within(name: &str, base: &str) -> bool {
    let (name, base) = (normalize(name), normalize(base));
    if base.is_empty() {
        return true;
    }
    if base.starts_with('.') {
        return name.len() > base.len() && name.ends_with(&base);
    }
    name == base
        || name
            .strip_suffix(&base)
            .is_some_and(|prefix| prefix.ends_with('.') && prefix.len() > 1)
}

/// An rfc822Name (`local@host`) is within `base` when `base` is that
/// mailbox, its host, or (starting with a dot) a domain above its host.
/// `None` when the name is not a mailbox.
pub(crate) fn email_within(name: &str, base: &str) -> Option<bool> {
    let (local, host) = name.rsplit_once('@')?;
    if local.is_empty() || host.is_empty() {
        return None;
    }
    Some(match base.rsplit_once('@') {
        Some((base_local, base_host)) => {
            local == base_local && normalize(host) == normalize(base_host)
        }
        None => host_within(host, base),
    })
}

/// A host is within `base` when it is `base`, or, for a base starting with
/// a dot, when it is below that domain.
pub(crate) fn host_within(host: &str, base: &str) -> bool {
    let (host, base) = (normalize(host), normalize(base));
    if base.starts_with('.') {
        host.len() > base.len() && host.ends_with(&base)
    } else {
        host == base
    }
}

/// The host of a URI with an authority (`scheme://[user@]host[:port]/…`),
/// or `None`.
pub(crate) fn uri_host(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        // An IP literal: up to its closing bracket.
        host_port.split_inclusive(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

/// An iPAddress (4 or 16 bytes) is within `base` (an address and a mask,
/// 8 or 32 bytes) when it equals the address under the mask.
pub(crate) fn ip_within(name: &[u8], base: &[u8]) -> bool {
    if !matches!(name.len(), 4 | 16) || base.len() != 2 * name.len() {
        return false;
    }
    let (address, mask) = base.split_at(name.len());
    name.iter()
        .zip(address)
        .zip(mask)
        .all(|((n, a), m)| n & m == a & m)
}

/// A distinguished name is within `base` when `base`'s relative
/// distinguished names begin it.
fn directory_within(name: &Name, base: &Name) -> bool {
    base.len() <= name.len() && base.iter_rdn().zip(name.iter_rdn()).all(|(b, n)| b == n)
}

/// The names of `cert` (at `index`) that name constraints apply to: its
/// subject alternative names, its subject, the e-mail addresses of its
/// subject when it has no subjectAltName extension (RFC 5280 section
/// 4.2.1.10), and, for the end-entity certificate, its common name as a
/// dNSName when it has no DNS, e-mail or URI subject alternative name (the
/// common name is then the identity it presents).
fn names_of(cert: &X509Certificate, index: usize) -> Result<Vec<Form>, X509Error> {
    let malformed = X509Error::Malformed { index };
    let tbs = cert.tbs_certificate();
    let san = tbs
        .get_extension::<SubjectAltName>()
        .map_err(|_| malformed.clone())?;
    let mut names: Vec<Form> = san
        .as_ref()
        .map(|(_, san)| san.0.iter().map(Form::from).collect())
        .unwrap_or_default();
    let subject = tbs.subject();
    if !subject.is_empty() {
        names.push(Form::Directory(subject.clone()));
    }
    if san.is_none() {
        for attribute in subject.iter().filter(|a| a.oid == PKCS9_EMAIL_ADDRESS) {
            let email = attribute
                .value
                .decode_as::<Ia5String>()
                .map_err(|_| malformed.clone())?;
            names.push(Form::Email(email.to_string()));
        }
    }
    let presents_cn = !names
        .iter()
        .any(|n| matches!(n, Form::Dns(_) | Form::Email(_) | Form::Uri(_)));
    if index == 0 && presents_cn {
        let cn = subject.common_name().map_err(|_| malformed)?;
        if let Some(cn) = cn {
            names.push(Form::Dns(cn.value().into_owned()));
        }
    }
    Ok(names)
}

/// The bases of `subtrees`; a subtree with a minimum or maximum (which RFC
/// 5280 forbids) makes the extension of the CA at `index` malformed.
fn bases(subtrees: Option<&Vec<GeneralSubtree>>, index: usize) -> Result<Vec<Form>, X509Error> {
    subtrees
        .map(|s| s.as_slice())
        .unwrap_or(&[])
        .iter()
        .map(|s| {
            if s.minimum != 0 || s.maximum.is_some() {
                Err(X509Error::Malformed { index })
            } else {
                Ok(Form::from(&s.base))
            }
        })
        .collect()
}

/// Whether `name` satisfies one CA's `permitted` and `excluded` subtrees:
/// within no excluded subtree of its form (nor possibly within one), and,
/// when there are permitted subtrees of its form, within one of them.
fn allowed(name: &Form, permitted: &[Form], excluded: &[Form]) -> bool {
    if excluded
        .iter()
        .any(|b| matches!(relation(b, name), Relation::Within | Relation::Unknown))
    {
        return false;
    }
    let mut constrained = false;
    for base in permitted {
        match relation(base, name) {
            Relation::Within => return true,
            Relation::Unrelated => {}
            Relation::Outside | Relation::Unknown => constrained = true,
        }
    }
    !constrained
}

/// Applies the name constraints of every CA of the path (the chain's
/// entries after the first, then `anchor`, the trust anchor signing the
/// last entry, if it is not in the chain) to the certificates below it.
/// Self-issued intermediates are not checked (RFC 5280 section 6.1.3).
pub(crate) fn check(
    chain: &[X509Certificate],
    anchor: Option<&X509Certificate>,
) -> Result<(), X509Error> {
    let cas = chain
        .iter()
        .enumerate()
        .skip(1)
        .chain(anchor.map(|a| (chain.len(), a)));
    let mut names: Vec<Option<Vec<Form>>> = vec![None; chain.len()];
    for (ca_index, ca) in cas {
        let constraints = ca
            .tbs_certificate()
            .get_extension::<NameConstraints>()
            .map_err(|_| X509Error::Malformed { index: ca_index })?;
        let Some((_, nc)) = constraints else {
            continue;
        };
        let permitted = bases(nc.permitted_subtrees.as_ref(), ca_index)?;
        let excluded = bases(nc.excluded_subtrees.as_ref(), ca_index)?;
        for (index, (cert, cached)) in chain
            .iter()
            .zip(names.iter_mut())
            .enumerate()
            .take(ca_index)
        {
            let tbs = cert.tbs_certificate();
            if index > 0 && tbs.issuer() == tbs.subject() {
                continue;
            }
            let cert_names = match cached {
                Some(n) => n,
                None => cached.insert(names_of(cert, index)?),
            };
            if let Some(name) = cert_names
                .iter()
                .find(|n| !allowed(n, &permitted, &excluded))
            {
                return Err(X509Error::NameConstraintViolation {
                    index,
                    name: name.to_string(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees() {
        assert!(dns_within("example.com", "example.com"));
        assert!(dns_within("a.b.Example.COM", "example.com"));
        assert!(!dns_within("badexample.com", "example.com"));
        assert!(!dns_within("example.com", ".example.com"));
        assert!(dns_within("a.example.com", ".example.com"));
        assert!(dns_within("anything.org", ""));
        assert!(!dns_within("com", "example.com"));
    }

    #[test]
    fn email_subtrees() {
        assert_eq!(
            email_within("bob@example.com", "bob@EXAMPLE.com"),
            Some(true)
        );
        assert_eq!(
            email_within("alice@example.com", "bob@example.com"),
            Some(false)
        );
        assert_eq!(email_within("bob@example.com", "example.com"), Some(true));
        assert_eq!(
            email_within("bob@mail.example.com", "example.com"),
            Some(false)
        );
        assert_eq!(
            email_within("bob@mail.example.com", ".example.com"),
            Some(true)
        );
        assert_eq!(email_within("bob@example.com", ".example.com"), Some(false));
        assert_eq!(email_within("not-a-mailbox", "example.com"), None);
    }

    #[test]
    fn uri_hosts() {
        assert_eq!(
            uri_host("https://user@host.example.com:8443/p?q"),
            Some("host.example.com")
        );
        assert_eq!(uri_host("xmpp://bob.example"), Some("bob.example"));
        assert_eq!(
            uri_host("https://[2001:db8::1]:443/"),
            Some("[2001:db8::1]")
        );
        assert_eq!(uri_host("urn:uuid:1234"), None);
        assert_eq!(uri_host("https:///path"), None);
        assert!(host_within("a.example.com", ".example.com"));
        assert!(!host_within("example.com", ".example.com"));
        assert!(!host_within("a.example.com", "example.com"));
    }

    #[test]
    fn ip_subtrees() {
        let net = [10, 1, 0, 0, 255, 255, 0, 0];
        assert!(ip_within(&[10, 1, 2, 3], &net));
        assert!(!ip_within(&[10, 2, 2, 3], &net));
        assert!(!ip_within(&[0; 16], &net));
    }

    #[test]
    fn unknown_forms_are_neither_permitted_nor_safe() {
        let other = Form::Other("otherName");
        assert!(!allowed(&other, &[], std::slice::from_ref(&other)));
        assert!(!allowed(&other, std::slice::from_ref(&other), &[]));
        assert!(allowed(&other, &[Form::Dns("example.com".into())], &[]));
        let mailbox = Form::Email("no-at-sign".into());
        assert!(!allowed(
            &mailbox,
            &[],
            &[Form::Email("example.com".into())]
        ));
    }
}
