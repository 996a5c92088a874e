//! Unit tests of the framing module.

use super::*;
use crate::codec::{decode_exact, encode};
use crate::messages::tests::{
    bytes, decode_err, rejects_every_truncation, round_trip, sample_commit, sample_group_context,
    sample_group_info, sample_key_package, sample_proposals, sample_welcome,
};
use crate::messages::{Remove, Welcome};
use tls_codec::Size;

fn content(sender: Sender, body: FramedContentBody) -> FramedContent {
    FramedContent {
        group_id: bytes(1, 16),
        epoch: 42,
        sender,
        authenticated_data: bytes(2, 3),
        body,
    }
}

fn auth_for(body: &FramedContentBody) -> FramedContentAuthData {
    FramedContentAuthData {
        signature: bytes(3, 64),
        confirmation_tag: (body.content_type() == ContentType::Commit).then(|| bytes(4, 32)),
    }
}

fn bodies() -> Vec<FramedContentBody> {
    let mut v = vec![
        FramedContentBody::Application(bytes(5, 100)),
        FramedContentBody::Commit(sample_commit()),
    ];
    v.extend(
        sample_proposals()
            .into_iter()
            .map(FramedContentBody::Proposal),
    );
    v
}

fn senders() -> [Sender; 4] {
    [
        Sender::Member(7),
        Sender::External(0x0102_0304),
        Sender::NewMemberProposal,
        Sender::NewMemberCommit,
    ]
}

fn public_message(sender: Sender, body: FramedContentBody) -> PublicMessage {
    let auth = auth_for(&body);
    PublicMessage {
        content: content(sender, body),
        auth,
        membership_tag: matches!(sender, Sender::Member(_)).then(|| bytes(6, 32)),
    }
}

fn private_message() -> PrivateMessage {
    PrivateMessage {
        group_id: bytes(1, 16),
        epoch: 42,
        content_type: ContentType::Application,
        authenticated_data: bytes(2, 3),
        encrypted_sender_data: bytes(7, 28),
        ciphertext: bytes(8, 200),
    }
}

fn sample_messages() -> Vec<MlsMessage> {
    vec![
        MlsMessage::new(MlsMessageBody::PublicMessage(public_message(
            Sender::Member(1),
            FramedContentBody::Commit(sample_commit()),
        ))),
        MlsMessage::new(MlsMessageBody::PublicMessage(public_message(
            Sender::External(0),
            FramedContentBody::Proposal(Proposal::Remove(Remove { removed: 2 })),
        ))),
        MlsMessage::new(MlsMessageBody::PrivateMessage(private_message())),
        MlsMessage::new(MlsMessageBody::Welcome(sample_welcome())),
        MlsMessage::new(MlsMessageBody::GroupInfo(sample_group_info())),
        MlsMessage::new(MlsMessageBody::KeyPackage(sample_key_package())),
    ]
}

/// C-CODEC-09: closed enums (SenderType, ContentType) reject reserved and
/// unassigned values by name.
#[test]
fn enums() {
    for s in senders() {
        let encoded = round_trip(&s);
        assert_eq!(encoded[0], u8::from(s.sender_type()));
        rejects_every_truncation::<Sender>(&encoded);
    }
    assert_eq!(
        round_trip(&Sender::Member(0x0a0b_0c0d)),
        [1, 0x0a, 0x0b, 0x0c, 0x0d]
    );
    assert_eq!(Sender::Member(3).leaf_index(), Some(LeafIndex(3)));
    assert_eq!(Sender::External(3).leaf_index(), None);
    for bad in [0u8, 5, 255] {
        assert_eq!(
            decode_err::<Sender>(&[bad, 0, 0, 0, 0]),
            DecodeError::InvalidSenderType(bad)
        );
        assert_eq!(
            decode_err::<SenderType>(&[bad]),
            DecodeError::InvalidSenderType(bad)
        );
    }
    for ct in [
        ContentType::Application,
        ContentType::Proposal,
        ContentType::Commit,
    ] {
        assert_eq!(round_trip(&ct), [u8::from(ct)]);
    }
    for bad in [0u8, 4, 255] {
        assert_eq!(
            decode_err::<ContentType>(&[bad]),
            DecodeError::InvalidContentType(bad)
        );
    }
    for v in [0u16, 1, 5, 6, 0xffff] {
        assert_eq!(round_trip(&WireFormat(v)), v.to_be_bytes());
    }
    assert_eq!(WireFormat::KEY_PACKAGE.name(), Some("mls_key_package"));
}

#[test]
fn framed_and_authenticated_content() {
    for sender in senders() {
        for body in bodies() {
            let auth = auth_for(&body);
            let fc = content(sender, body);
            let encoded = round_trip(&fc);
            rejects_every_truncation::<FramedContent>(&encoded);
            let ac = AuthenticatedContent {
                wire_format: WireFormat::PUBLIC_MESSAGE,
                content: fc.clone(),
                auth: auth.clone(),
            };
            let encoded = round_trip(&ac);
            rejects_every_truncation::<AuthenticatedContent>(&encoded);
            let (back, rest) = FramedContentAuthData::decode(
                fc.content_type(),
                &encoded[2 + fc.tls_serialized_len()..],
            )
            .unwrap();
            assert!(rest.is_empty());
            assert_eq!(back, auth);
        }
    }
    // A confirmation tag on non-commit content, or none on a commit, cannot
    // be encoded.
    let mut ac = AuthenticatedContent {
        wire_format: WireFormat::PRIVATE_MESSAGE,
        content: content(
            Sender::Member(0),
            FramedContentBody::Application(bytes(1, 1)),
        ),
        auth: auth_for(&FramedContentBody::Commit(sample_commit())),
    };
    assert!(encode(&ac).is_err());
    ac.content.body = FramedContentBody::Commit(sample_commit());
    ac.auth.confirmation_tag = None;
    assert!(encode(&ac).is_err());
}

#[test]
fn framed_content_tbs_and_tbm() {
    let gc = sample_group_context();
    for sender in senders() {
        let body = FramedContentBody::Proposal(Proposal::Remove(Remove { removed: 1 }));
        let auth = auth_for(&body);
        let ac = AuthenticatedContent {
            wire_format: WireFormat::PUBLIC_MESSAGE,
            content: content(sender, body),
            auth,
        };
        let mut want = vec![0, 1, 0, 1];
        want.extend_from_slice(&encode(&ac.content).unwrap());
        if sender.signs_group_context() {
            assert_eq!(
                ac.to_be_signed(None),
                Err(Error::Misuse(MisuseError::MissingTbsContext))
            );
            want.extend_from_slice(&encode(&gc).unwrap());
        } else {
            assert_eq!(ac.to_be_signed(None).unwrap(), want);
        }
        assert_eq!(ac.to_be_signed(Some(&gc)).unwrap(), want);
        let tbs = FramedContentTbs {
            version: ProtocolVersion::MLS10,
            wire_format: WireFormat::PUBLIC_MESSAGE,
            content: &ac.content,
            context: Some(&gc),
        };
        assert_eq!(tbs.encode().unwrap(), want);
        want.extend_from_slice(&encode(&ac.auth).unwrap());
        assert_eq!(ac.to_be_maced(&gc).unwrap(), want);
    }

    let body = FramedContentBody::Commit(sample_commit());
    let ac = AuthenticatedContent {
        wire_format: WireFormat::PRIVATE_MESSAGE,
        auth: auth_for(&body),
        content: content(Sender::Member(0), body),
    };
    let mut want = vec![0, 2];
    want.extend_from_slice(&encode(&ac.content).unwrap());
    want.extend_from_slice(&encode(&ac.auth.signature).unwrap());
    assert_eq!(ac.confirmed_transcript_hash_input().unwrap(), want);
}

#[test]
fn public_messages() {
    for sender in senders() {
        for body in bodies() {
            let pm = public_message(sender, body);
            let encoded = round_trip(&pm);
            rejects_every_truncation::<PublicMessage>(&encoded);
            assert_eq!(pm.authenticated_content().content, pm.content);
        }
    }
    let mut pm = public_message(
        Sender::External(1),
        FramedContentBody::Application(bytes(1, 2)),
    );
    pm.membership_tag = Some(bytes(1, 32));
    assert!(encode(&pm).is_err());
    let mut pm = public_message(
        Sender::Member(1),
        FramedContentBody::Application(bytes(1, 2)),
    );
    pm.membership_tag = None;
    assert!(encode(&pm).is_err());
}

#[test]
fn private_messages_and_sender_data() {
    let pm = private_message();
    let encoded = round_trip(&pm);
    rejects_every_truncation::<PrivateMessage>(&encoded);
    // content_type is the 9th byte after group_id<V> (17 bytes) and epoch.
    let mut bad = encoded.clone();
    bad[17 + 8] = 4;
    assert_eq!(
        decode_err::<PrivateMessage>(&bad),
        DecodeError::InvalidContentType(4)
    );

    let sd = SenderData {
        leaf_index: 0x0102_0304,
        generation: 5,
        reuse_guard: [9, 8, 7, 6],
    };
    assert_eq!(round_trip(&sd), [1, 2, 3, 4, 0, 0, 0, 5, 9, 8, 7, 6]);
    rejects_every_truncation::<SenderData>(&encode(&sd).unwrap());

    let aad = pm.sender_data_aad();
    let mut want = encode(&pm.group_id).unwrap();
    want.extend_from_slice(&42u64.to_be_bytes());
    want.push(1);
    assert_eq!(round_trip(&aad), want);
    want.extend_from_slice(&encode(&pm.authenticated_data).unwrap());
    assert_eq!(round_trip(&pm.content_aad()), want);
}

#[test]
fn private_message_content_padding() {
    for body in bodies() {
        let ct = body.content_type();
        let pmc = PrivateMessageContent {
            auth: auth_for(&body),
            body,
        };
        let unpadded = pmc.encode(0).unwrap();
        let mut want = Vec::new();
        pmc.body.encode_body(&mut want).unwrap();
        want.extend_from_slice(&encode(&pmc.auth).unwrap());
        assert_eq!(unpadded, want);
        for padding in [0usize, 1, 17, 1000] {
            let encoded = pmc.encode(padding).unwrap();
            assert_eq!(encoded.len(), unpadded.len() + padding);
            assert_eq!(PrivateMessageContent::decode(ct, &encoded).unwrap(), pmc);
        }
        // Any non-zero byte in the padding is rejected.
        let mut encoded = pmc.encode(8).unwrap();
        let last = encoded.len() - 1;
        encoded[last] = 1;
        assert_eq!(
            PrivateMessageContent::decode(ct, &encoded),
            Err(DecodeError::NonZeroPadding)
        );
        encoded[last] = 0;
        encoded[unpadded.len()] = 0x80;
        assert_eq!(
            PrivateMessageContent::decode(ct, &encoded),
            Err(DecodeError::NonZeroPadding)
        );
        // Cut inside the content or the auth data.
        for cut in 0..unpadded.len() {
            assert!(PrivateMessageContent::decode(ct, &unpadded[..cut]).is_err());
        }
    }
    let bad = PrivateMessageContent {
        body: FramedContentBody::Application(bytes(1, 1)),
        auth: auth_for(&FramedContentBody::Commit(sample_commit())),
    };
    assert_eq!(
        bad.encode(0),
        Err(Error::Misuse(MisuseError::InconsistentFields(TAG_MISMATCH)))
    );
}

#[test]
fn mls_messages() {
    for msg in sample_messages() {
        let encoded = round_trip(&msg);
        assert_eq!(encoded[..2], [0, 1]);
        assert_eq!(encoded[2..4], msg.wire_format().0.to_be_bytes());
        rejects_every_truncation::<MlsMessage>(&encoded);
        // C-CODEC-07: no byte may follow a complete message.
        let mut long = encoded.clone();
        long.push(0);
        assert_eq!(
            decode_exact::<MlsMessage>(&long),
            Err(Error::Malformed(DecodeError::TrailingBytes))
        );
        // C-FRAME-01: any other version is rejected, whatever follows.
        for version in [0u16, 2, 0xffff] {
            let mut other = encoded.clone();
            other[..2].copy_from_slice(&version.to_be_bytes());
            assert_eq!(
                decode_err::<MlsMessage>(&other),
                DecodeError::UnsupportedVersion(version)
            );
        }
    }
    // C-FRAME-02: a wire format outside the five defined.
    for wf in [0u16, 6, 0xf000] {
        let mut encoded = vec![0, 1];
        encoded.extend_from_slice(&wf.to_be_bytes());
        encoded.extend_from_slice(&encode(&sample_welcome()).unwrap());
        assert_eq!(
            decode_err::<MlsMessage>(&encoded),
            DecodeError::UnknownWireFormat(wf)
        );
    }
    // C-KP-01: a KeyPackage whose version is not the MLSMessage's.
    let mut encoded = encode(&MlsMessage::new(MlsMessageBody::KeyPackage(
        sample_key_package(),
    )))
    .unwrap();
    assert_eq!(encoded[4..6], [0, 1]);
    for version in [0u16, 2, 0x0a0a] {
        encoded[4..6].copy_from_slice(&version.to_be_bytes());
        assert_eq!(
            decode_err::<MlsMessage>(&encoded),
            DecodeError::KeyPackageVersionMismatch(version)
        );
    }
    // A body that decodes as another wire format's type is not confused.
    let mut encoded = vec![0, 1, 0, 4];
    encoded.extend_from_slice(&encode(&sample_welcome()).unwrap());
    assert!(decode_exact::<MlsMessage>(&encoded).is_err());
    let _: Welcome = decode_exact(&encoded[4..]).unwrap();
}

/// A small deterministic generator for the mutation test.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Decoding is total and canonical: mutated and random inputs give a value
/// or an error, never a panic, and any value decoded re-encodes to exactly
/// the input.
#[test]
fn mutated_messages_decode_totally_and_canonically() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<Vec<u8>> = sample_messages()
        .iter()
        .map(|m| encode(m).unwrap())
        .collect();
    let mut accepted = 0;
    for round in 0..6000 {
        let mut input = seeds[round % seeds.len()].clone();
        for _ in 0..=rng.below(3) {
            match rng.below(4) {
                0 => {
                    let i = rng.below(input.len());
                    input[i] ^= 1 << rng.below(8);
                }
                1 => {
                    let i = rng.below(input.len());
                    input[i] = rng.next() as u8;
                }
                2 => {
                    let i = rng.below(input.len() + 1);
                    input.insert(i, rng.next() as u8);
                }
                _ => {
                    let i = rng.below(input.len());
                    input.remove(i);
                }
            }
        }
        if round % 10 == 0 {
            let len = rng.below(64);
            input = (0..len).map(|_| rng.next() as u8).collect();
        }
        if let Ok(msg) = decode_exact::<MlsMessage>(&input) {
            accepted += 1;
            assert_eq!(encode(&msg).unwrap(), input, "round {round}");
        }
    }
    // Some mutations (inside opaque fields) keep the message valid.
    assert!(accepted > 100, "{accepted}");
}
