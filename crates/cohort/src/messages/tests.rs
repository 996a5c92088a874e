//! Unit tests of the messages module, and sample values shared with the
//! framing tests.

use super::*;
use crate::codec::{SecretVarBytes, VarVec, decode_exact, encode};
use crate::tree::math::LeafIndex;
use crate::{DecodeError, Error, MisuseError, Secret};
use alloc::boxed::Box;
use core::fmt::Debug;
use tls_codec::{DeserializeBytes, SerializeBytes, Size};

pub(crate) fn bytes(tag: u8, len: usize) -> VarBytes {
    VarBytes((0..len).map(|i| tag.wrapping_add(i as u8)).collect())
}

/// Encodes, checks the announced size, decodes, compares and re-encodes.
pub(crate) fn round_trip<T>(value: &T) -> Vec<u8>
where
    T: Size + SerializeBytes + DeserializeBytes + PartialEq + Debug,
{
    let encoded = encode(value).unwrap();
    assert_eq!(encoded.len(), value.tls_serialized_len(), "{value:?}");
    let back: T = decode_exact(&encoded).unwrap();
    assert_eq!(&back, value);
    assert_eq!(encode(&back).unwrap(), encoded);
    let mut long = encoded.clone();
    long.push(0);
    assert_eq!(
        decode_exact::<T>(&long),
        Err(Error::Malformed(DecodeError::TrailingBytes))
    );
    encoded
}

/// Every strict prefix of `encoded` fails to decode as a `T`.
pub(crate) fn rejects_every_truncation<T: DeserializeBytes + Debug>(encoded: &[u8]) {
    for cut in 0..encoded.len() {
        let r = decode_exact::<T>(&encoded[..cut]);
        assert!(r.is_err(), "prefix of {cut} bytes decoded: {r:?}");
    }
}

pub(crate) fn decode_err<T: DeserializeBytes + Debug>(encoded: &[u8]) -> DecodeError {
    match decode_exact::<T>(encoded) {
        Err(Error::Malformed(e)) => e,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

pub(crate) fn sample_capabilities() -> Capabilities {
    Capabilities {
        versions: VarVec(vec![ProtocolVersion::MLS10]),
        cipher_suites: VarVec(vec![Ciphersuite(1), Ciphersuite(0x0a0a)]),
        extensions: VarVec(vec![ExtensionType(0x1a1a), ExtensionType(0xff00)]),
        proposals: VarVec(vec![ProposalType(0x2a2a)]),
        credentials: VarVec(vec![CredentialType::BASIC, CredentialType(0x3a3a)]),
    }
}

pub(crate) fn sample_extensions() -> Extensions {
    Extensions(vec![
        Extension {
            extension_type: ExtensionType::APPLICATION_ID,
            // opaque application_id<V>
            extension_data: VarBytes(vec![3, 1, 2, 3]),
        },
        Extension {
            extension_type: ExtensionType(0x4a4a),
            extension_data: bytes(9, 70),
        },
    ])
}

pub(crate) fn sample_leaf_node(source: LeafNodeSource) -> LeafNode {
    LeafNode {
        encryption_key: bytes(1, 32),
        signature_key: bytes(2, 32),
        credential: Credential::basic(b"alice".to_vec()),
        capabilities: sample_capabilities(),
        leaf_node_source: source,
        extensions: sample_extensions(),
        signature: bytes(3, 64),
    }
}

pub(crate) fn sample_key_package() -> KeyPackage {
    KeyPackage {
        version: ProtocolVersion::MLS10,
        cipher_suite: Ciphersuite(1),
        init_key: bytes(4, 32),
        leaf_node: sample_leaf_node(LeafNodeSource::KeyPackage(Lifetime {
            not_before: 1,
            not_after: u64::MAX,
        })),
        extensions: Extensions::new(),
        signature: bytes(5, 64),
    }
}

pub(crate) fn sample_update_path() -> UpdatePath {
    UpdatePath {
        leaf_node: sample_leaf_node(LeafNodeSource::Commit(bytes(6, 32))),
        nodes: VarVec(vec![
            UpdatePathNode {
                encryption_key: bytes(7, 32),
                encrypted_path_secret: VarVec(vec![HpkeCiphertext {
                    kem_output: bytes(8, 32),
                    ciphertext: bytes(9, 48),
                }]),
            },
            UpdatePathNode {
                encryption_key: bytes(10, 32),
                encrypted_path_secret: VarVec(vec![]),
            },
        ]),
    }
}

pub(crate) fn sample_psk_ids() -> Vec<PreSharedKeyId> {
    vec![
        PreSharedKeyId {
            psk: Psk::External {
                psk_id: bytes(11, 5),
            },
            psk_nonce: bytes(12, 32),
        },
        PreSharedKeyId {
            psk: Psk::Resumption {
                usage: ResumptionPskUsage::Branch,
                psk_group_id: bytes(13, 8),
                psk_epoch: 7,
            },
            psk_nonce: bytes(14, 32),
        },
    ]
}

pub(crate) fn sample_proposals() -> Vec<Proposal> {
    let [external, resumption]: [PreSharedKeyId; 2] = sample_psk_ids().try_into().unwrap();
    vec![
        Proposal::Add(Box::new(Add {
            key_package: sample_key_package(),
        })),
        Proposal::Update(Box::new(Update {
            leaf_node: sample_leaf_node(LeafNodeSource::Update),
        })),
        Proposal::Remove(Remove {
            removed: 0xdead_beef,
        }),
        Proposal::PreSharedKey(PreSharedKey { psk: external }),
        Proposal::PreSharedKey(PreSharedKey { psk: resumption }),
        Proposal::ReInit(ReInit {
            group_id: bytes(15, 16),
            version: ProtocolVersion::MLS10,
            cipher_suite: Ciphersuite(3),
            extensions: sample_extensions(),
        }),
        Proposal::ExternalInit(ExternalInit {
            kem_output: bytes(16, 32),
        }),
        Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: sample_extensions(),
        }),
    ]
}

pub(crate) fn sample_commit() -> Commit {
    let mut proposals: Vec<ProposalOrRef> = sample_proposals()
        .into_iter()
        .map(|p| ProposalOrRef::Proposal(Box::new(p)))
        .collect();
    proposals.push(ProposalOrRef::Reference(bytes(17, 32)));
    Commit {
        proposals: VarVec(proposals),
        path: Some(sample_update_path()),
    }
}

pub(crate) fn sample_group_context() -> GroupContext {
    GroupContext {
        version: ProtocolVersion::MLS10,
        cipher_suite: Ciphersuite(1),
        group_id: bytes(18, 16),
        epoch: 0x0102_0304_0506_0708,
        tree_hash: bytes(19, 32),
        confirmed_transcript_hash: bytes(20, 32),
        extensions: sample_extensions(),
    }
}

pub(crate) fn sample_ratchet_tree() -> RatchetTreeExtension {
    RatchetTreeExtension(VarVec(vec![
        Some(Node::Leaf(sample_key_package().leaf_node)),
        Some(Node::Parent(ParentNode {
            encryption_key: bytes(21, 32),
            parent_hash: VarBytes::default(),
            unmerged_leaves: VarVec(vec![1, 0x1234_5678]),
        })),
        None,
    ]))
}

pub(crate) fn sample_group_info() -> GroupInfo {
    let mut extensions = Extensions::new();
    extensions.push(&sample_ratchet_tree()).unwrap();
    extensions
        .push(&ExternalPub {
            external_pub: bytes(22, 32),
        })
        .unwrap();
    GroupInfo {
        group_context: sample_group_context(),
        extensions,
        confirmation_tag: bytes(23, 32),
        signer: 3,
        signature: bytes(24, 64),
    }
}

pub(crate) fn sample_welcome() -> Welcome {
    Welcome {
        cipher_suite: Ciphersuite(1),
        secrets: VarVec(vec![
            EncryptedGroupSecrets {
                new_member: bytes(25, 32),
                encrypted_group_secrets: HpkeCiphertext {
                    kem_output: bytes(26, 32),
                    ciphertext: bytes(27, 80),
                },
            },
            EncryptedGroupSecrets {
                new_member: bytes(28, 32),
                encrypted_group_secrets: HpkeCiphertext {
                    kem_output: bytes(29, 32),
                    ciphertext: bytes(30, 80),
                },
            },
        ]),
        encrypted_group_info: bytes(31, 300),
    }
}

#[test]
fn registries_are_open_and_round_trip_unknown_values() {
    for v in [0u16, 1, 7, 0x0a0a, 0xf000, 0xffff] {
        assert_eq!(round_trip(&ExtensionType(v)), v.to_be_bytes());
        assert_eq!(round_trip(&ProposalType(v)), v.to_be_bytes());
        assert_eq!(round_trip(&CredentialType(v)), v.to_be_bytes());
        assert_eq!(round_trip(&ProtocolVersion(v)), v.to_be_bytes());
    }
    assert_eq!(
        ExtensionType::EXTERNAL_SENDERS.name(),
        Some("external_senders")
    );
    assert_eq!(ProposalType(0x0a0a).name(), None);
    assert!(ExtensionType(5).is_default() && !ExtensionType(6).is_default());
    assert!(ProposalType(7).is_default() && !ProposalType(0).is_default());
    assert_eq!(ProposalType::ADD.path_required(), Some(false));
    assert_eq!(ProposalType::REMOVE.path_required(), Some(true));
    assert_eq!(ProposalType(0x0a0a).path_required(), None);
    assert_eq!(ProposalType::UPDATE.external_sender_allowed(), Some(false));
    assert_eq!(ProposalType::REINIT.external_sender_allowed(), Some(true));
    let grease: Vec<u16> = (0..=0xffffu16).filter(|v| is_grease(*v)).collect();
    assert_eq!(grease.len(), 15);
    assert_eq!((grease[0], grease[14]), (0x0a0a, 0xeaea));
    round_trip(&sample_capabilities());
}

#[test]
fn credentials() {
    let basic = Credential::basic(b"bob".to_vec());
    assert_eq!(round_trip(&basic), [0, 1, 3, b'b', b'o', b'b']);
    let x509 = Credential::X509 {
        certificates: VarVec(vec![
            Certificate {
                cert_data: bytes(1, 100),
            },
            Certificate {
                cert_data: bytes(2, 3),
            },
        ]),
    };
    assert_eq!(x509.credential_type(), CredentialType::X509);
    round_trip(&x509);
    // The reserved 0 has no layout; 3 and 4 are the draft's `multi` and
    // `weak-multi` (bindings<V>); any other type, GREASE included
    // (C-GREASE-11), is an application-defined `opaque data<V>`. A GREASE
    // credential is refused when its leaf is validated (C-GREASE-08,
    // tests/leaf.rs).
    assert_eq!(
        round_trip(&Credential::Multi {
            bindings: VarVec(vec![])
        }),
        [0, 3, 0]
    );
    assert_eq!(
        round_trip(&Credential::WeakMulti {
            bindings: VarVec(vec![])
        }),
        [0, 4, 0]
    );
    for t in [0x0a0au16, 0x7777] {
        let [hi, lo] = t.to_be_bytes();
        let custom = Credential::Custom {
            credential_type: CredentialType(t),
            data: bytes(7, 2),
        };
        assert_eq!(round_trip(&custom), [hi, lo, 2, 7, 8]);
    }
    assert_eq!(
        decode_err::<Credential>(&[0, 0, 0]),
        DecodeError::UnknownCredentialType(0)
    );
}

#[test]
fn leaf_nodes_and_sources() {
    for source in [
        LeafNodeSource::KeyPackage(Lifetime {
            not_before: 0,
            not_after: 10,
        }),
        LeafNodeSource::Update,
        LeafNodeSource::Commit(bytes(1, 32)),
    ] {
        round_trip(&source);
        let leaf = sample_leaf_node(source);
        let encoded = round_trip(&leaf);
        rejects_every_truncation::<LeafNode>(&encoded);
    }
    // C-CODEC-09: LeafNodeSource is a closed enum.
    for bad in [0u8, 4, 255] {
        assert_eq!(
            decode_err::<LeafNodeSource>(&[bad]),
            DecodeError::InvalidLeafNodeSource(bad)
        );
    }
    round_trip(&Lifetime {
        not_before: u64::MAX,
        not_after: 0,
    });
}

#[test]
fn leaf_node_tbs() {
    let kp_leaf = sample_key_package().leaf_node;
    let encoded = encode(&kp_leaf).unwrap();
    let sig_len = kp_leaf.signature.tls_serialized_len();
    let tbs = kp_leaf.to_be_signed(None).unwrap();
    assert_eq!(tbs, encoded[..encoded.len() - sig_len]);
    // The group context is ignored for the key_package source.
    assert_eq!(
        kp_leaf.to_be_signed(Some((b"g", LeafIndex(1)))).unwrap(),
        tbs
    );

    for source in [LeafNodeSource::Update, LeafNodeSource::Commit(bytes(1, 32))] {
        let leaf = sample_leaf_node(source);
        assert_eq!(
            leaf.to_be_signed(None),
            Err(Error::Misuse(MisuseError::MissingTbsContext))
        );
        let encoded = encode(&leaf).unwrap();
        let mut want = encoded[..encoded.len() - leaf.signature.tls_serialized_len()].to_vec();
        want.extend_from_slice(&[3, b'g', b'i', b'd', 0, 0, 1, 2]);
        assert_eq!(
            leaf.to_be_signed(Some((b"gid", LeafIndex(0x0102))))
                .unwrap(),
            want
        );
    }
}

#[test]
fn key_packages() {
    let kp = sample_key_package();
    let encoded = round_trip(&kp);
    rejects_every_truncation::<KeyPackage>(&encoded);
    let tbs = kp.to_be_signed().unwrap();
    assert_eq!(
        tbs,
        encoded[..encoded.len() - kp.signature.tls_serialized_len()]
    );
}

#[test]
fn nodes_and_ratchet_tree() {
    let tree = sample_ratchet_tree();
    let encoded = round_trip(&tree);
    rejects_every_truncation::<RatchetTreeExtension>(&encoded);
    for node in tree.0.0.iter().flatten() {
        round_trip(node);
    }
    // C-CODEC-01: optional<Node>: a presence byte other than 0 or 1 is
    // malformed.
    assert_eq!(
        decode_err::<RatchetTreeExtension>(&[1, 2]),
        DecodeError::InvalidOptional
    );
    // C-CODEC-09: NodeType is a closed enum.
    assert_eq!(decode_err::<Node>(&[0]), DecodeError::InvalidNodeType(0));
    assert_eq!(decode_err::<Node>(&[3]), DecodeError::InvalidNodeType(3));
    let Some(Node::Parent(parent)) = &tree.0.0[1] else {
        panic!("sample tree shape")
    };
    assert_eq!(
        parent.unmerged().collect::<Vec<_>>(),
        [LeafIndex(1), LeafIndex(0x1234_5678)]
    );
    // C-CODEC-08: unmerged_leaves<V> counts bytes: 3 or 5 bytes are not a
    // whole number of u32s.
    assert!(decode_exact::<ParentNode>(&[0, 0, 3, 0, 0, 0]).is_err());
    assert!(decode_exact::<ParentNode>(&[0, 0, 5, 0, 0, 0, 1, 0]).is_err());
    decode_exact::<ParentNode>(&[0, 0, 4, 0, 0, 0, 1]).unwrap();
}

#[test]
fn update_paths() {
    let path = sample_update_path();
    let encoded = round_trip(&path);
    rejects_every_truncation::<UpdatePath>(&encoded);
    for node in &path.nodes.0 {
        round_trip(node);
    }
}

#[test]
fn extensions_and_their_contents() {
    let exts = sample_extensions();
    round_trip(&exts);
    assert_eq!(exts.duplicate(), None);
    let app: ApplicationId = exts.get().unwrap().unwrap();
    assert_eq!(app.0.as_slice(), [1, 2, 3]);
    assert_eq!(
        Extension::new(&app).unwrap(),
        exts.find(ExtensionType::APPLICATION_ID).unwrap().clone()
    );
    assert_eq!(exts.get::<ExternalPub>().unwrap(), None);

    let required = RequiredCapabilities {
        extension_types: VarVec(vec![ExtensionType(0x0a0a)]),
        proposal_types: VarVec(vec![ProposalType(0xf001)]),
        credential_types: VarVec(vec![CredentialType::X509]),
    };
    let senders = ExternalSenders(VarVec(vec![ExternalSender {
        signature_key: bytes(1, 32),
        credential: Credential::basic(b"ds".to_vec()),
    }]));
    let external_pub = ExternalPub {
        external_pub: bytes(2, 32),
    };
    let mut list = Extensions::new();
    list.push(&required).unwrap();
    list.push(&senders).unwrap();
    list.push(&external_pub).unwrap();
    list.push(&sample_ratchet_tree()).unwrap();
    let encoded = round_trip(&list);
    rejects_every_truncation::<Extensions>(&encoded);
    assert_eq!(
        list.get::<RequiredCapabilities>().unwrap(),
        Some(required.clone())
    );
    assert_eq!(
        list.get::<ExternalSenders>().unwrap(),
        Some(senders.clone())
    );
    assert_eq!(
        list.get::<ExternalPub>().unwrap(),
        Some(external_pub.clone())
    );
    assert_eq!(
        list.get::<RatchetTreeExtension>().unwrap(),
        Some(sample_ratchet_tree())
    );
    round_trip(&required);
    round_trip(&senders);
    round_trip(&external_pub);

    // A malformed known extension fails only when parsed.
    let bad = Extensions(vec![Extension {
        extension_type: ExtensionType::EXTERNAL_PUB,
        extension_data: VarBytes(vec![5, 1]),
    }]);
    round_trip(&bad);
    assert!(bad.get::<ExternalPub>().is_err());
    list.push(&external_pub).unwrap();
    assert_eq!(list.duplicate(), Some(ExtensionType::EXTERNAL_PUB));
}

#[test]
fn psks() {
    for id in sample_psk_ids() {
        let encoded = round_trip(&id);
        rejects_every_truncation::<PreSharedKeyId>(&encoded);
        round_trip(&PskLabel {
            id,
            index: 1,
            count: 2,
        });
    }
    let label = PskLabel {
        id: PreSharedKeyId {
            psk: Psk::External {
                psk_id: VarBytes(vec![0xaa]),
            },
            psk_nonce: VarBytes(vec![0xbb, 0xcc]),
        },
        index: 0x0102,
        count: 0x0304,
    };
    assert_eq!(
        encode(&label).unwrap(),
        [1, 1, 0xaa, 2, 0xbb, 0xcc, 1, 2, 3, 4]
    );
    // C-CODEC-09: PSKType and ResumptionPSKUsage are closed enums.
    assert_eq!(
        decode_err::<PreSharedKeyId>(&[0, 0, 0]),
        DecodeError::InvalidPskType(0)
    );
    assert_eq!(
        decode_err::<PreSharedKeyId>(&[3, 0, 0]),
        DecodeError::InvalidPskType(3)
    );
    assert_eq!(
        decode_err::<PreSharedKeyId>(&[2, 4, 0]),
        DecodeError::InvalidResumptionPskUsage(4)
    );
    assert_eq!(
        decode_err::<PreSharedKeyId>(&[2, 0, 0]),
        DecodeError::InvalidResumptionPskUsage(0)
    );
}

#[test]
fn proposals_and_commits() {
    for p in sample_proposals() {
        let encoded = round_trip(&p);
        rejects_every_truncation::<Proposal>(&encoded);
        assert_eq!(encoded[..2], p.proposal_type().0.to_be_bytes());
    }
    round_trip(&Remove { removed: 5 });
    assert_eq!(Remove { removed: 5 }.leaf(), LeafIndex(5));
    // Other types are custom proposals with an opaque body (8 to 10 are
    // the extensions draft's, tested in tests/extensions_draft.rs).
    for t in [0u16, 0x0b, 0x0a0a, 0xffff] {
        let mut encoded = t.to_be_bytes().to_vec();
        encoded.extend_from_slice(&[3, 1, 2, 3]);
        let p: Proposal = decode_exact(&encoded).unwrap();
        assert_eq!(p.proposal_type(), ProposalType(t));
        assert_eq!(round_trip(&p), encoded);
        rejects_every_truncation::<Proposal>(&encoded);
    }

    let commit = sample_commit();
    let encoded = round_trip(&commit);
    rejects_every_truncation::<Commit>(&encoded);
    let partial = Commit {
        proposals: VarVec(vec![ProposalOrRef::Reference(bytes(1, 32))]),
        path: None,
    };
    let encoded = round_trip(&partial);
    assert_eq!(encoded.last(), Some(&0));
    let empty = Commit {
        proposals: VarVec(vec![]),
        path: None,
    };
    assert_eq!(round_trip(&empty), [0, 0]);
    // C-CODEC-01: the optional path's presence byte.
    assert_eq!(decode_err::<Commit>(&[0, 2]), DecodeError::InvalidOptional);
    // C-CODEC-09: ProposalOrRefType is a closed enum.
    assert_eq!(
        decode_err::<ProposalOrRef>(&[0, 0]),
        DecodeError::InvalidProposalOrRefType(0)
    );
    assert_eq!(
        decode_err::<ProposalOrRef>(&[3, 0]),
        DecodeError::InvalidProposalOrRefType(3)
    );
}

#[test]
fn group_context_group_info_and_tbs() {
    let gc = sample_group_context();
    let encoded = round_trip(&gc);
    rejects_every_truncation::<GroupContext>(&encoded);
    let gi = sample_group_info();
    let encoded = round_trip(&gi);
    rejects_every_truncation::<GroupInfo>(&encoded);
    assert_eq!(
        gi.to_be_signed().unwrap(),
        encoded[..encoded.len() - gi.signature.tls_serialized_len()]
    );
    assert_eq!(gi.signer_leaf(), LeafIndex(3));
    assert_eq!(
        gi.extensions.get::<RatchetTreeExtension>().unwrap(),
        Some(sample_ratchet_tree())
    );
}

#[test]
fn welcome_and_group_secrets() {
    let welcome = sample_welcome();
    let encoded = round_trip(&welcome);
    rejects_every_truncation::<Welcome>(&encoded);
    assert!(welcome.secrets_for(bytes(28, 32).as_slice()).is_some());
    assert!(welcome.secrets_for(&[0]).is_none());
    for path_secret in [
        None,
        Some(PathSecret {
            path_secret: SecretVarBytes(Secret::from_slice(&[7; 32])),
        }),
    ] {
        let secrets = GroupSecrets {
            joiner_secret: SecretVarBytes(Secret::from_slice(&[9; 32])),
            path_secret,
            psks: VarVec(sample_psk_ids()),
        };
        let encoded = round_trip(&secrets);
        rejects_every_truncation::<GroupSecrets>(&encoded);
        // Secrets never show in debug output.
        assert!(!alloc::format!("{secrets:?}").contains("9, 9"));
    }
}
