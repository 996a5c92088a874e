//! Encoding of tree nodes straight into one buffer.
//!
//! The derived `tls_serialize_bytes` builds a new vector for every field at
//! every level and copies it into its parent's. That is fine for a message,
//! but a ratchet tree is thousands of leaf nodes, encoded whole into every
//! Welcome's GroupInfo, every tree hash computation and every saved state.
//! These writers produce the same bytes (the tests compare them on every
//! structure they cover) with one allocation for the whole output.

use super::{Capabilities, Credential, Extensions, LeafNode, LeafNodeSource, Node, ParentNode};
use crate::Error;
use crate::codec::{VarBytes, write_length, write_opaque};
use alloc::vec::Vec;
use tls_codec::{SerializeBytes, Size};

/// Writes `self`'s TLS encoding at the end of a buffer.
pub(crate) trait EncodeInto {
    /// Appends the encoding of `self` to `out`.
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error>;
}

impl EncodeInto for VarBytes {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        write_opaque(self.as_slice(), out)
    }
}

/// Writes a `uint16 values<V>` vector.
fn put_u16s(out: &mut Vec<u8>, values: impl ExactSizeIterator<Item = u16>) -> Result<(), Error> {
    write_length(values.len().saturating_mul(2), out)?;
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
    Ok(())
}

impl EncodeInto for Capabilities {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        put_u16s(out, self.versions.0.iter().map(|v| v.0))?;
        put_u16s(out, self.cipher_suites.0.iter().map(|v| v.0))?;
        put_u16s(out, self.extensions.0.iter().map(|v| v.0))?;
        put_u16s(out, self.proposals.0.iter().map(|v| v.0))?;
        put_u16s(out, self.credentials.0.iter().map(|v| v.0))
    }
}

impl EncodeInto for Credential {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.credential_type().0.to_be_bytes());
        match self {
            Credential::Basic { identity } => identity.encode_into(out),
            Credential::X509 { certificates } => {
                let len = certificates
                    .0
                    .iter()
                    .fold(0usize, |a, c| a.saturating_add(c.tls_serialized_len()));
                write_length(len, out)?;
                for c in &certificates.0 {
                    c.cert_data.encode_into(out)?;
                }
                Ok(())
            }
            Credential::Multi { bindings } | Credential::WeakMulti { bindings } => {
                out.extend_from_slice(&bindings.tls_serialize_bytes()?);
                Ok(())
            }
            Credential::Custom { data, .. } => data.encode_into(out),
        }
    }
}

impl EncodeInto for LeafNodeSource {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.push(self.value());
        match self {
            LeafNodeSource::KeyPackage(l) => {
                out.extend_from_slice(&l.not_before.to_be_bytes());
                out.extend_from_slice(&l.not_after.to_be_bytes());
                Ok(())
            }
            LeafNodeSource::Update => Ok(()),
            LeafNodeSource::Commit(h) => h.encode_into(out),
        }
    }
}

impl EncodeInto for Extensions {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let len = self
            .iter()
            .fold(0usize, |a, e| a.saturating_add(e.tls_serialized_len()));
        write_length(len, out)?;
        for e in self.iter() {
            out.extend_from_slice(&e.extension_type.0.to_be_bytes());
            e.extension_data.encode_into(out)?;
        }
        Ok(())
    }
}

impl EncodeInto for LeafNode {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.encryption_key.encode_into(out)?;
        self.signature_key.encode_into(out)?;
        self.credential.encode_into(out)?;
        self.capabilities.encode_into(out)?;
        self.leaf_node_source.encode_into(out)?;
        self.extensions.encode_into(out)?;
        self.signature.encode_into(out)
    }
}

impl EncodeInto for ParentNode {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.encryption_key.encode_into(out)?;
        self.parent_hash.encode_into(out)?;
        write_length(self.unmerged_leaves.0.len().saturating_mul(4), out)?;
        for l in &self.unmerged_leaves.0 {
            out.extend_from_slice(&l.to_be_bytes());
        }
        Ok(())
    }
}

impl EncodeInto for Node {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        match self {
            Node::Leaf(l) => {
                out.push(1);
                l.encode_into(out)
            }
            Node::Parent(p) => {
                out.push(2);
                p.encode_into(out)
            }
        }
    }
}

impl EncodeInto for Option<Node> {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        match self {
            None => {
                out.push(0);
                Ok(())
            }
            Some(n) => {
                out.push(1);
                n.encode_into(out)
            }
        }
    }
}

/// The encoding of `optional<Node> nodes<V>` (the `ratchet_tree`
/// extension's content, RFC 9420 section 12.4.3.3) for `nodes`.
pub(crate) fn encode_nodes<'a>(
    nodes: impl Iterator<Item = Option<&'a Node>> + Clone,
) -> Result<Vec<u8>, Error> {
    let len = nodes.clone().fold(0usize, |a, n| {
        a.saturating_add(1)
            .saturating_add(n.map_or(0, Size::tls_serialized_len))
    });
    let mut out = Vec::with_capacity(len.saturating_add(4));
    write_length(len, &mut out)?;
    for n in nodes {
        match n {
            None => out.push(0),
            Some(n) => {
                out.push(1);
                n.encode_into(&mut out)?;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{VarVec, encode};
    use crate::messages::{Certificate, CredentialType, ExtensionType, Lifetime, ProtocolVersion};
    use cohort_traits::Ciphersuite;

    fn leaf(credential: Credential, source: LeafNodeSource, extensions: Extensions) -> LeafNode {
        LeafNode {
            encryption_key: VarBytes(alloc::vec![1; 32]),
            signature_key: VarBytes(alloc::vec![2; 32]),
            credential,
            capabilities: Capabilities {
                versions: VarVec(alloc::vec![ProtocolVersion(1)]),
                cipher_suites: VarVec(alloc::vec![Ciphersuite(1), Ciphersuite(0x0a0a)]),
                extensions: VarVec(alloc::vec![ExtensionType(0xff00)]),
                proposals: VarVec(alloc::vec![]),
                credentials: VarVec(alloc::vec![CredentialType(1), CredentialType(2)]),
            },
            leaf_node_source: source,
            extensions,
            signature: VarBytes(alloc::vec![3; 64]),
        }
    }

    #[test]
    fn same_bytes_as_the_derived_encoding() {
        let mut ext = Extensions::default();
        ext.push_encoded(ExtensionType(0xff00), alloc::vec![9; 300]);
        ext.push_encoded(ExtensionType(3), alloc::vec![]);
        let x509 = Credential::X509 {
            certificates: VarVec(alloc::vec![
                Certificate {
                    cert_data: VarBytes(alloc::vec![4; 70]),
                },
                Certificate {
                    cert_data: VarBytes(alloc::vec![5; 20_000]),
                },
            ]),
        };
        let nodes = [
            None,
            Some(Node::Leaf(leaf(
                Credential::basic("alice"),
                LeafNodeSource::KeyPackage(Lifetime {
                    not_before: 1,
                    not_after: u64::MAX,
                }),
                Extensions::default(),
            ))),
            Some(Node::Leaf(leaf(x509, LeafNodeSource::Update, ext.clone()))),
            Some(Node::Leaf(leaf(
                Credential::basic(alloc::vec![7; 100]),
                LeafNodeSource::Commit(VarBytes(alloc::vec![8; 32])),
                ext,
            ))),
            Some(Node::Parent(ParentNode {
                encryption_key: VarBytes(alloc::vec![6; 32]),
                parent_hash: VarBytes(alloc::vec![]),
                unmerged_leaves: VarVec(alloc::vec![1, 5, 70_000]),
            })),
        ];
        for n in &nodes {
            let mut out = Vec::new();
            n.encode_into(&mut out).unwrap();
            assert_eq!(out, encode(n).unwrap());
        }
        let all = encode_nodes(nodes.iter().map(Option::as_ref)).unwrap();
        assert_eq!(all, encode(&VarVec(nodes.to_vec())).unwrap());
    }
}
