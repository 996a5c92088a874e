//! Negative tests of message protection (RFC 9420 section 6): each tampered
//! or ill-formed message is refused with a named error and the receiver's
//! secret tree is unchanged. Check IDs refer to `checks.md`.

use cohort::codec::{VarBytes, encode};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{
    self, AuthenticatedContent, ContentType, FramedContent, FramedContentBody, PrivateMessage,
    PrivateMessageContent, PublicMessage, Sender, SenderData, WireFormat,
};
use cohort::messages::{GroupContext, Proposal, ProtocolVersion, Remove};
use cohort::schedule::{ContentKind, RatchetConfig, SecretTree, sender_data_key_nonce};
use cohort::{DecodeError, Error, MisuseError, ValidationError};
use cohort_rust_crypto::RustCrypto;
use cohort_traits::{
    Ciphersuite, Crypto, Rand, RandError, Secret, SignatureScheme, Signer, SignerError,
};
use std::sync::atomic::{AtomicU8, Ordering};

struct TestSigner {
    sk: Secret,
    pk: Vec<u8>,
}

impl Signer for TestSigner {
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }
    fn public_key(&self) -> &[u8] {
        &self.pk
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        RustCrypto::new()
            .sign(SignatureScheme::ED25519, self.sk.as_bytes(), message)
            .map_err(|_| SignerError::SigningFailed)
    }
}

const CRYPTO: RustCrypto = RustCrypto::new();

struct Fixture {
    cs: SuiteCrypto<'static, RustCrypto>,
    signer: TestSigner,
    context: GroupContext,
    sender_data_secret: Secret,
    membership_key: Secret,
}

impl Fixture {
    fn new() -> Self {
        let cs = SuiteCrypto::new(&CRYPTO, Ciphersuite(1)).unwrap();
        let (sk, pk) = CRYPTO
            .signature_key_generate(SignatureScheme::ED25519, &CRYPTO)
            .unwrap();
        let context = GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: Ciphersuite(1),
            group_id: b"group".to_vec().into(),
            epoch: 3,
            tree_hash: vec![1; 32].into(),
            confirmed_transcript_hash: vec![2; 32].into(),
            extensions: Default::default(),
        };
        Fixture {
            cs,
            signer: TestSigner { sk, pk },
            context,
            sender_data_secret: Secret::new(vec![4; 32]),
            membership_key: Secret::new(vec![5; 32]),
        }
    }

    fn tree(&self, config: RatchetConfig) -> SecretTree {
        SecretTree::new(Secret::new(vec![6; 32]), 4, config).unwrap()
    }

    fn signed(&self, wire_format: WireFormat, body: FramedContentBody) -> AuthenticatedContent {
        let content = FramedContent {
            group_id: self.context.group_id.clone(),
            epoch: self.context.epoch,
            sender: Sender::Member(1),
            authenticated_data: b"ad".to_vec().into(),
            body,
        };
        framing::sign_content(
            &self.cs,
            &self.signer,
            wire_format,
            content,
            Some(&self.context),
        )
        .unwrap()
    }

    fn application(&self) -> AuthenticatedContent {
        self.signed(
            WireFormat::PRIVATE_MESSAGE,
            FramedContentBody::Application(vec![7u8; 1024].into()),
        )
    }

    fn private(&self, sender_tree: &mut SecretTree) -> PrivateMessage {
        let (msg, update) = framing::protect_private(
            &self.cs,
            &CRYPTO,
            sender_tree,
            &self.sender_data_secret,
            &self.application(),
            0,
        )
        .unwrap();
        sender_tree.apply(update);
        msg
    }

    fn open(&self, tree: &SecretTree, msg: &PrivateMessage) -> Result<AuthenticatedContent, Error> {
        let before = tree.clone();
        let res = framing::unprotect_private(&self.cs, tree, &self.sender_data_secret, msg)
            .map(|(ac, _)| ac);
        assert_eq!(tree, &before, "a lookup never changes the tree");
        res
    }

    fn proposal_public(&self) -> PublicMessage {
        let ac = self.signed(
            WireFormat::PUBLIC_MESSAGE,
            FramedContentBody::Proposal(Proposal::Remove(Remove { removed: 2 })),
        );
        framing::protect_public(&self.cs, &self.membership_key, &self.context, ac).unwrap()
    }
}

#[test]
fn private_message_round_trips_and_verifies() {
    let f = Fixture::new();
    let msg = f.private(&mut f.tree(RatchetConfig::default()));
    let ac = f.open(&f.tree(RatchetConfig::default()), &msg).unwrap();
    framing::verify_content_signature(&f.cs, &f.signer.pk, &ac, Some(&f.context)).unwrap();
    assert_eq!(ac, f.application());
}

/// C-FRAME-17: a flipped bit in the content ciphertext (past the sample that
/// keys the sender data) fails content decryption.
#[test]
fn flipped_ciphertext_bit_is_refused_c_frame_17() {
    let f = Fixture::new();
    let mut msg = f.private(&mut f.tree(RatchetConfig::default()));
    let last = msg.ciphertext.0.len() - 1;
    msg.ciphertext.0[last] ^= 0x01;
    assert_eq!(
        f.open(&f.tree(RatchetConfig::default()), &msg),
        Err(Error::Validation(ValidationError::ContentDecryptionFailed))
    );
}

/// C-FRAME-17: altered authenticated_data is part of the content AAD.
#[test]
fn altered_authenticated_data_is_refused_c_frame_17() {
    let f = Fixture::new();
    let mut msg = f.private(&mut f.tree(RatchetConfig::default()));
    msg.authenticated_data = b"AD".to_vec().into();
    assert_eq!(
        f.open(&f.tree(RatchetConfig::default()), &msg),
        Err(Error::Validation(ValidationError::ContentDecryptionFailed))
    );
}

/// C-FRAME-18: a flipped bit in the sender data, in the ciphertext sample
/// that keys it, or in the header content type fails sender-data decryption.
#[test]
fn flipped_sender_data_is_refused_c_frame_18() {
    let f = Fixture::new();
    let msg = f.private(&mut f.tree(RatchetConfig::default()));
    let receiver = f.tree(RatchetConfig::default());
    let want = Err(Error::Validation(
        ValidationError::SenderDataDecryptionFailed,
    ));
    let mut m = msg.clone();
    m.encrypted_sender_data.0[0] ^= 0x80;
    assert_eq!(f.open(&receiver, &m), want);
    let mut m = msg.clone();
    m.ciphertext.0[0] ^= 0x01;
    assert_eq!(f.open(&receiver, &m), want);
    let mut m = msg;
    m.epoch += 1;
    assert_eq!(f.open(&receiver, &m), want);
}

/// C-FRAME-20: non-zero padding makes the message malformed.
#[test]
fn non_zero_padding_is_refused_c_frame_20() {
    let f = Fixture::new();
    let tree = f.tree(RatchetConfig::default());
    let ac = f.application();
    // Seal a plaintext by hand whose padding holds a 0x01.
    let (keys, _) = tree
        .encryption_keys(&f.cs, 1, ContentKind::Application)
        .unwrap();
    let mut plaintext = PrivateMessageContent {
        body: ac.content.body.clone(),
        auth: ac.auth.clone(),
    }
    .encode(4)
    .unwrap();
    *plaintext.last_mut().unwrap() = 0x01;
    let mut msg = PrivateMessage {
        group_id: ac.content.group_id.clone(),
        epoch: ac.content.epoch,
        content_type: ac.content.content_type(),
        authenticated_data: ac.content.authenticated_data.clone(),
        encrypted_sender_data: VarBytes::default(),
        ciphertext: VarBytes::default(),
    };
    let aead = f.cs.params().aead;
    let aad = encode(&msg.content_aad()).unwrap();
    msg.ciphertext = CRYPTO
        .aead_seal(
            aead,
            keys.key.as_bytes(),
            keys.nonce.as_bytes(),
            &aad,
            &plaintext,
        )
        .unwrap()
        .into();
    let sd = encode(&SenderData {
        leaf_index: 1,
        generation: 0,
        reuse_guard: [0; 4],
    })
    .unwrap();
    let (k, n) = sender_data_key_nonce(
        &f.cs,
        f.sender_data_secret.as_bytes(),
        msg.ciphertext.as_slice(),
    )
    .unwrap();
    let sd_aad = encode(&msg.sender_data_aad()).unwrap();
    msg.encrypted_sender_data = CRYPTO
        .aead_seal(aead, k.as_bytes(), n.as_bytes(), &sd_aad, &sd)
        .unwrap()
        .into();
    assert_eq!(
        f.open(&tree, &msg),
        Err(Error::Malformed(DecodeError::NonZeroPadding))
    );
    // The same plaintext with zero padding is accepted.
    *plaintext.last_mut().unwrap() = 0x00;
    msg.ciphertext = CRYPTO
        .aead_seal(
            aead,
            keys.key.as_bytes(),
            keys.nonce.as_bytes(),
            &aad,
            &plaintext,
        )
        .unwrap()
        .into();
    let (k, n) = sender_data_key_nonce(
        &f.cs,
        f.sender_data_secret.as_bytes(),
        msg.ciphertext.as_slice(),
    )
    .unwrap();
    msg.encrypted_sender_data = CRYPTO
        .aead_seal(aead, k.as_bytes(), n.as_bytes(), &sd_aad, &sd)
        .unwrap()
        .into();
    assert!(f.open(&tree, &msg).is_ok());
}

/// C-FRAME-25: a replayed message finds its generation consumed.
#[test]
fn replayed_private_message_is_refused_c_frame_25() {
    let f = Fixture::new();
    let msg = f.private(&mut f.tree(RatchetConfig::default()));
    let mut receiver = f.tree(RatchetConfig::default());
    let (_, update) =
        framing::unprotect_private(&f.cs, &receiver, &f.sender_data_secret, &msg).unwrap();
    receiver.apply(update);
    assert_eq!(
        f.open(&receiver, &msg),
        Err(Error::Validation(ValidationError::GenerationConsumed {
            generation: 0
        }))
    );
}

/// C-FRAME-26: a generation beyond the forward limit is refused before any
/// key is derived.
#[test]
fn generation_beyond_forward_limit_is_refused_c_frame_26() {
    let f = Fixture::new();
    let config = RatchetConfig {
        out_of_order_tolerance: 8,
        maximum_forward_distance: 2,
    };
    let mut sender = f.tree(config);
    let msgs: Vec<_> = (0..4).map(|_| f.private(&mut sender)).collect();
    let receiver = f.tree(config);
    assert!(f.open(&receiver, &msgs[2]).is_ok());
    assert_eq!(
        f.open(&receiver, &msgs[3]),
        Err(Error::Validation(ValidationError::GenerationTooFarAhead {
            generation: 3,
            next_expected: 0
        }))
    );
}

/// C-FRAME-16: a member's PublicMessage needs a membership tag that
/// verifies under this epoch's membership key.
#[test]
fn wrong_membership_tag_is_refused_c_frame_16() {
    let f = Fixture::new();
    let msg = f.proposal_public();
    framing::unprotect_public(&f.cs, &f.membership_key, &f.context, &msg).unwrap();
    let want = Err(Error::Validation(ValidationError::MembershipTagMismatch));
    let mut m = msg.clone();
    m.membership_tag.as_mut().unwrap().0[0] ^= 1;
    assert_eq!(
        framing::unprotect_public(&f.cs, &f.membership_key, &f.context, &m),
        want
    );
    let other_epoch_key = Secret::new(vec![0x55; 32]);
    assert_eq!(
        framing::unprotect_public(&f.cs, &other_epoch_key, &f.context, &msg),
        want
    );
}

/// C-FRAME-06: application data is only accepted inside a PrivateMessage.
#[test]
fn public_application_message_is_refused_c_frame_06() {
    let f = Fixture::new();
    let ac = f.signed(
        WireFormat::PUBLIC_MESSAGE,
        FramedContentBody::Application(b"hi".to_vec().into()),
    );
    let tag = framing::membership_tag(&f.cs, &f.membership_key, &ac, &f.context).unwrap();
    let msg = PublicMessage {
        content: ac.content.clone(),
        auth: ac.auth.clone(),
        membership_tag: Some(tag.as_bytes().to_vec().into()),
    };
    assert_eq!(
        framing::unprotect_public(&f.cs, &f.membership_key, &f.context, &msg),
        Err(Error::Validation(
            ValidationError::ApplicationDataInPublicMessage
        ))
    );
    assert_eq!(
        framing::protect_public(&f.cs, &f.membership_key, &f.context, ac),
        Err(Error::Misuse(MisuseError::ApplicationDataInPublicMessage))
    );
}

/// C-FRAME-10 and C-FRAME-11: the signature binds the wire format and the
/// GroupContext of the epoch.
#[test]
fn signature_binds_wire_format_and_context_c_frame_10_11() {
    let f = Fixture::new();
    let msg = f.proposal_public();
    let ac = msg.authenticated_content();
    framing::verify_content_signature(&f.cs, &f.signer.pk, &ac, Some(&f.context)).unwrap();
    let want = Err(Error::Validation(ValidationError::InvalidSignature));
    let mut as_private = ac.clone();
    as_private.wire_format = WireFormat::PRIVATE_MESSAGE;
    assert_eq!(
        framing::verify_content_signature(&f.cs, &f.signer.pk, &as_private, Some(&f.context)),
        want
    );
    let mut previous = f.context.clone();
    previous.epoch -= 1;
    assert_eq!(
        framing::verify_content_signature(&f.cs, &f.signer.pk, &ac, Some(&previous)),
        want
    );
}

/// C-FRAME-12 to C-FRAME-15: which content each sender type may send.
#[test]
fn sender_types_send_only_their_content_c_frame_12_to_15() {
    use cohort::messages::{ExternalInit, Proposal, Remove};
    let content = |sender, body| FramedContent {
        group_id: b"g".to_vec().into(),
        epoch: 0,
        sender,
        authenticated_data: Default::default(),
        body,
    };
    let remove = FramedContentBody::Proposal(Proposal::Remove(Remove { removed: 1 }));
    let ext_init = FramedContentBody::Proposal(Proposal::ExternalInit(ExternalInit {
        kem_output: vec![1].into(),
    }));
    let app = FramedContentBody::Application(b"x".to_vec().into());
    let ok = [
        (Sender::Member(0), app.clone()),
        (Sender::External(0), remove.clone()),
    ];
    for (sender, body) in ok {
        framing::check_sender_content(&content(sender, body)).unwrap();
    }
    let bad = [
        (Sender::External(0), app.clone(), 2, 1), // C-FRAME-12
        (Sender::External(0), ext_init, 2, 2),    // C-FRAME-13
        (Sender::NewMemberCommit, remove.clone(), 4, 2), // C-FRAME-14
        (Sender::NewMemberProposal, remove, 3, 2), // C-FRAME-15
        (Sender::NewMemberProposal, app, 3, 1),   // C-FRAME-15
    ];
    for (sender, body, sender_type, content_type) in bad {
        assert_eq!(
            framing::check_sender_content(&content(sender, body)),
            Err(Error::Validation(ValidationError::SenderContentMismatch {
                sender_type,
                content_type
            }))
        );
    }
}

/// Seals `plaintext` by hand as leaf 1's PrivateMessage with header
/// `content_type`, at the next generation of the ratchet for that type,
/// with `reuse_guard`.
fn seal_by_hand(
    f: &Fixture,
    tree: &SecretTree,
    content_type: ContentType,
    plaintext: &[u8],
    reuse_guard: [u8; 4],
) -> PrivateMessage {
    let kind = if content_type == ContentType::Application {
        ContentKind::Application
    } else {
        ContentKind::Handshake
    };
    let (keys, _) = tree.encryption_keys(&f.cs, 1, kind).unwrap();
    let mut msg = PrivateMessage {
        group_id: f.context.group_id.clone(),
        epoch: f.context.epoch,
        content_type,
        authenticated_data: b"ad".to_vec().into(),
        encrypted_sender_data: VarBytes::default(),
        ciphertext: VarBytes::default(),
    };
    let aead = f.cs.params().aead;
    let mut nonce = keys.nonce.as_bytes().to_vec();
    for (b, g) in nonce.iter_mut().zip(reuse_guard) {
        *b ^= g;
    }
    let aad = encode(&msg.content_aad()).unwrap();
    msg.ciphertext = CRYPTO
        .aead_seal(aead, keys.key.as_bytes(), &nonce, &aad, plaintext)
        .unwrap()
        .into();
    let sender_data = SenderData {
        leaf_index: 1,
        generation: keys.generation,
        reuse_guard,
    };
    reseal_sender_data(f, &mut msg, &sender_data);
    msg
}

/// Encrypts `sender_data` into `msg` under the key its ciphertext selects.
fn reseal_sender_data(f: &Fixture, msg: &mut PrivateMessage, sender_data: &SenderData) {
    let (k, n) = sender_data_key_nonce(
        &f.cs,
        f.sender_data_secret.as_bytes(),
        msg.ciphertext.as_slice(),
    )
    .unwrap();
    let sd_aad = encode(&msg.sender_data_aad()).unwrap();
    msg.encrypted_sender_data = CRYPTO
        .aead_seal(
            f.cs.params().aead,
            k.as_bytes(),
            n.as_bytes(),
            &sd_aad,
            &encode(sender_data).unwrap(),
        )
        .unwrap()
        .into();
}

/// C-FRAME-21: the decrypted plaintext must parse as the content type the
/// header names: application data under a commit header is malformed.
#[test]
fn plaintext_of_another_content_type_is_refused_c_frame_21() {
    let f = Fixture::new();
    let tree = f.tree(RatchetConfig::default());
    let ac = f.application();
    let plaintext = PrivateMessageContent {
        body: ac.content.body.clone(),
        auth: ac.auth.clone(),
    }
    .encode(0)
    .unwrap();
    let honest = seal_by_hand(&f, &tree, ContentType::Application, &plaintext, [0; 4]);
    assert_eq!(f.open(&tree, &honest).unwrap(), ac);
    // The application data's vector header (0x4400: 1024 bytes) is read as
    // the commit's proposal list, whose first entry has type 7.
    let lying = seal_by_hand(&f, &tree, ContentType::Commit, &plaintext, [0; 4]);
    assert_eq!(
        f.open(&tree, &lying),
        Err(Error::Malformed(DecodeError::InvalidProposalOrRefType(7)))
    );
}

/// A random source handing out 1, 2, 3, ...
struct Counting(AtomicU8);

impl Rand for Counting {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandError> {
        for b in buf {
            *b = self.0.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// C-FRAME-23 (send): each PrivateMessage draws a fresh 4-byte reuse guard
/// from the random source and carries it in its SenderData; the guard is
/// XORed into the content nonce, so the receiver opens the content only
/// with that guard.
#[test]
fn reuse_guard_is_fresh_and_bound_to_the_nonce_c_frame_23() {
    let f = Fixture::new();
    let mut sender = f.tree(RatchetConfig::default());
    let rand = Counting(AtomicU8::new(1));
    let mut sent = Vec::new();
    for _ in 0..3 {
        let (msg, update) = framing::protect_private(
            &f.cs,
            &rand,
            &sender,
            &f.sender_data_secret,
            &f.application(),
            0,
        )
        .unwrap();
        sender.apply(update);
        sent.push(msg);
    }
    let guards: Vec<[u8; 4]> = sent
        .iter()
        .map(|m| {
            framing::decrypt_sender_data(&f.cs, &f.sender_data_secret, m)
                .unwrap()
                .reuse_guard
        })
        .collect();
    assert_eq!(guards, [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);

    // The first message with another guard in its (re-encrypted) sender
    // data: the content nonce is wrong.
    let receiver = f.tree(RatchetConfig::default());
    let mut forged = sent[0].clone();
    let mut sd = framing::decrypt_sender_data(&f.cs, &f.sender_data_secret, &forged).unwrap();
    sd.reuse_guard[0] ^= 1;
    reseal_sender_data(&f, &mut forged, &sd);
    assert_eq!(
        f.open(&receiver, &forged),
        Err(Error::Validation(ValidationError::ContentDecryptionFailed))
    );
    assert!(f.open(&receiver, &sent[0]).is_ok());
}

/// C-FRAME-24 (send): consecutive messages take consecutive generations of
/// the sender's ratchet, so no key and nonce protect two messages.
#[test]
fn each_message_takes_a_new_generation_c_frame_24() {
    let f = Fixture::new();
    let mut sender = f.tree(RatchetConfig::default());
    let generations: Vec<u32> = (0..4)
        .map(|_| {
            let msg = f.private(&mut sender);
            framing::decrypt_sender_data(&f.cs, &f.sender_data_secret, &msg)
                .unwrap()
                .generation
        })
        .collect();
    assert_eq!(generations, [0, 1, 2, 3]);
}
