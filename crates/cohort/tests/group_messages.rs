//! What a member accepts as a group message (RFC 9420 section 6): only
//! PublicMessage and PrivateMessage (C-FRAME-03), only for its own group
//! (C-FRAME-04), only in a wire format its policy allows (C-FRAME-07), and
//! only with a valid signature and, for commits, confirmation tag inside
//! the decrypted content (C-FRAME-22). Each refusal names its error and
//! leaves the member's whole state unchanged. Check IDs refer to
//! `checks.md`.

mod group_common;

use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Group, GroupConfig, ProcessedMessage, WireFormatPolicy};
use cohort::messages::Extensions;
use cohort::{Error, MisuseError, ValidationError};
use cohort_traits::{SignatureScheme, SignerError};
use group_common::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Signs as the member's signer does, then flips a bit of the signature:
/// what a receiver sees when the content was changed after signing.
struct Corrupting<'a>(&'a Signer);

impl cohort_traits::Signer for Corrupting<'_> {
    fn scheme(&self) -> SignatureScheme {
        self.0.scheme()
    }

    fn public_key(&self) -> &[u8] {
        self.0.public_key()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        let mut signature = self.0.sign(message)?;
        signature[0] ^= 1;
        Ok(signature)
    }
}

fn private_config() -> GroupConfig {
    GroupConfig {
        wire_format: WireFormatPolicy::AlwaysPrivate,
        ..GroupConfig::default()
    }
}

/// `g` decrypts `msg` to `expected`.
fn receives(p: &TestProvider, g: &mut Group, msg: &MlsMessage, expected: &[u8]) {
    match g.process(p, msg).unwrap() {
        ProcessedMessage::Application { data, .. } => assert_eq!(data, expected),
        other => panic!("expected an application message, got {other:?}"),
    }
}

/// C-FRAME-03: a KeyPackage, a Welcome and a GroupInfo have their own entry
/// points; handed to message processing, each is refused.
#[test]
fn only_group_messages_are_processed_c_frame_03() {
    let p = provider(0xf3);
    let mut members = group(&p, &["alice", "bob"]);
    let (_, carol) = client(&p, SUITE, "carol");
    let key_package = MlsMessage::new(MlsMessageBody::KeyPackage(carol.key_package.clone()));
    let alice = &mut members[0];
    let b = alice.group.commit().add_member(carol.key_package.clone());
    let (out, _) = alice.group.create_commit(&p, &alice.signer, b).unwrap();
    let welcome = out.welcome.unwrap();
    let group_info = alice.group.group_info(&p, &alice.signer, true).unwrap();
    for msg in [&key_package, &welcome, &group_info] {
        refused(
            &p,
            &mut members[1].group,
            msg,
            Error::Misuse(MisuseError::NotAGroupMessage),
        );
    }
    // The commit that came with that Welcome is a group message.
    stage(&p, &mut members[1].group, &out.commit);
}

/// C-FRAME-04: a PublicMessage and a PrivateMessage carrying another
/// group's id are refused; the same messages with the group's id are
/// accepted.
#[test]
fn another_groups_id_is_refused_c_frame_04() {
    let p = provider(0xf4);
    let mut members = group(&p, &["alice", "bob"]);
    let other_id = b"another group".to_vec();
    assert_ne!(members[1].group.group_id(), other_id.as_slice());

    let alice = &mut members[0];
    let b = alice.group.commit().force_path(true);
    let (out, _) = alice.group.create_commit(&p, &alice.signer, b).unwrap();
    let mut public = out.commit.clone();
    public_mut(&mut public).content.group_id = other_id.clone().into();
    refused(
        &p,
        &mut members[1].group,
        &public,
        Error::Validation(ValidationError::WrongGroup),
    );
    stage(&p, &mut members[1].group, &out.commit);

    let alice = &mut members[0];
    let msg = alice.group.encrypt(&p, &alice.signer, b"hi", b"").unwrap();
    let mut private = msg.clone();
    private_mut(&mut private).group_id = other_id.into();
    refused(
        &p,
        &mut members[1].group,
        &private,
        Error::Validation(ValidationError::WrongGroup),
    );
    receives(&p, &mut members[1].group, &msg, b"hi");
}

/// C-FRAME-07: a member whose policy is `AlwaysPrivate` sends its
/// proposals and commits as PrivateMessage and refuses a member's
/// PublicMessage proposal or commit; a `MixedPublic` member accepts both.
#[test]
fn public_handshake_under_a_private_policy_is_refused_c_frame_07() {
    let p = provider(0xf7);
    // alice (MixedPublic, the default) adds bob, who joins AlwaysPrivate.
    let (alice_signer, alice_kp) = client(&p, SUITE, "alice");
    let mut alice = Group::create(
        &p,
        &alice_kp,
        b"policy group".to_vec(),
        Extensions::default(),
        GroupConfig::default(),
    )
    .unwrap();
    let (bob_signer, bob_kp) = client(&p, SUITE, "bob");
    let b = alice.commit().add_member(bob_kp.key_package.clone());
    let (out, staged) = alice.create_commit(&p, &alice_signer, b).unwrap();
    alice.merge_staged_commit(staged).unwrap();
    let mut bob = Group::join(
        &p,
        welcome_of(out.welcome.as_ref().unwrap()),
        &bob_kp,
        None,
        BTreeMap::new(),
        private_config(),
    )
    .unwrap();

    // alice's handshake messages are public: bob refuses them.
    let b = alice.commit().force_path(true);
    let (commit, _) = alice.create_commit(&p, &alice_signer, b).unwrap();
    public_of(&commit.commit);
    refused(
        &p,
        &mut bob,
        &commit.commit,
        Error::Validation(ValidationError::WireFormatNotAllowed),
    );
    let proposal = alice
        .clone()
        .propose_update(&p, &alice_signer)
        .expect("a proposal");
    public_of(&proposal);
    refused(
        &p,
        &mut bob,
        &proposal,
        Error::Validation(ValidationError::WireFormatNotAllowed),
    );

    // (send) bob's are private, and alice accepts them.
    let b = bob.commit().force_path(true);
    let (commit, staged) = bob.create_commit(&p, &bob_signer, b).unwrap();
    assert!(matches!(
        commit.commit.body,
        MlsMessageBody::PrivateMessage(_)
    ));
    bob.merge_staged_commit(staged).unwrap();
    apply(&p, &mut alice, &commit.commit);
    agree(&p, &[&alice, &bob]);
}

/// C-FRAME-22: inside a PrivateMessage, content whose signature does not
/// verify is refused (an application message, a commit), and so is a
/// commit whose confirmation tag was changed; the receiver consumes no
/// ratchet generation.
#[test]
fn decrypted_content_must_verify_c_frame_22() {
    let p = provider(0xf22);
    let mut members = group_with(
        &p,
        SUITE,
        &["alice", "bob", "carol"],
        Extensions::default(),
        private_config(),
    );
    let invalid = Error::Validation(ValidationError::InvalidSignature);

    // An application message with a corrupted signature.
    let alice = &mut members[0];
    let bad = alice
        .group
        .encrypt(&p, &Corrupting(&alice.signer), b"forged", b"")
        .unwrap();
    assert!(matches!(bad.body, MlsMessageBody::PrivateMessage(_)));
    refused(&p, &mut members[1].group, &bad, invalid.clone());
    let alice = &mut members[0];
    let good = alice
        .group
        .encrypt(&p, &alice.signer, b"real", b"")
        .unwrap();
    receives(&p, &mut members[1].group, &good, b"real");

    // A commit with a corrupted signature.
    let (_, dave) = client(&p, SUITE, "dave");
    let alice = &mut members[0];
    let b = alice.group.commit().add_member(dave.key_package.clone());
    let (out, _) = alice
        .group
        .create_commit(&p, &Corrupting(&alice.signer), b)
        .unwrap();
    assert!(matches!(out.commit.body, MlsMessageBody::PrivateMessage(_)));
    refused(&p, &mut members[1].group, &out.commit, invalid);

    // A commit with a changed confirmation tag.
    let alice = &mut members[0];
    let b = alice
        .group
        .commit()
        .force_path(true)
        .tamper_confirmation_tag(Arc::new(|t: &mut Vec<u8>| t[0] ^= 1));
    let (out, _) = alice.group.create_commit(&p, &alice.signer, b).unwrap();
    assert!(matches!(out.commit.body, MlsMessageBody::PrivateMessage(_)));
    refused(
        &p,
        &mut members[1].group,
        &out.commit,
        Error::Validation(ValidationError::ConfirmationTagMismatch),
    );

    // The honest commit goes through.
    commit_all(&p, &mut members, 0, |g| g.commit().force_path(true));
    all_agree(&p, &members);
}

/// The four wire-format policies (C-FRAME-07): each sends its handshake
/// messages in its own format and accepts members' handshake messages in
/// that format, or in both for the mixed ones; a refusal changes nothing.
#[test]
fn each_wire_format_policy_sends_and_accepts_as_documented_c_frame_07() {
    use WireFormatPolicy::*;
    let policies = [AlwaysPrivate, MixedPrivate, AlwaysPublic, MixedPublic];
    for sender_policy in policies {
        for receiver_policy in policies {
            let p = provider(0xf7);
            let (s_signer, s_kp) = client(&p, SUITE, "sender");
            let config = |wire_format| GroupConfig {
                wire_format,
                ..GroupConfig::default()
            };
            let mut sender = Group::create(
                &p,
                &s_kp,
                b"policies".to_vec(),
                Extensions::new(),
                config(sender_policy),
            )
            .unwrap();
            let (r_signer, r_kp) = client(&p, SUITE, "receiver");
            let b = sender.commit().add_member(r_kp.key_package.clone());
            let (out, staged) = sender.create_commit(&p, &s_signer, b).unwrap();
            sender.merge_staged_commit(staged).unwrap();
            let mut receiver = welcomed(
                &p,
                welcome_of(&out.welcome.unwrap()),
                "receiver",
                r_signer,
                &r_kp,
                config(receiver_policy),
            )
            .group;
            let b = sender.commit().force_path(true);
            let (out, _) = sender.create_commit(&p, &s_signer, b).unwrap();
            let private = matches!(out.commit.body, MlsMessageBody::PrivateMessage(_));
            assert_eq!(private, sender_policy.sends_private(), "{sender_policy:?}");
            let accepted = if private {
                receiver_policy.accepts_private()
            } else {
                receiver_policy.accepts_public()
            };
            if accepted {
                assert!(matches!(
                    receiver.process(&p, &out.commit).unwrap(),
                    ProcessedMessage::Commit(_)
                ));
            } else {
                refused(
                    &p,
                    &mut receiver,
                    &out.commit,
                    Error::Validation(ValidationError::WireFormatNotAllowed),
                );
            }
            // Application data is private under every policy.
            let m = sender.encrypt(&p, &s_signer, b"data", b"").unwrap();
            receives(&p, &mut receiver, &m, b"data");
        }
    }
}
