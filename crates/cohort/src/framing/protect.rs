//! Protecting AuthenticatedContent as a PublicMessage or PrivateMessage and
//! back (RFC 9420 sections 6.1 to 6.3).
//!
//! These functions handle one epoch's keys; which epoch, which group and
//! which signature key apply is the group's business (`group` module).

use super::WireFormat;
use super::{
    AuthenticatedContent, ContentType, FramedContent, FramedContentAuthData, PrivateMessage,
    PrivateMessageContent, PublicMessage, Sender, SenderData,
};
use crate::codec::{VarBytes, decode_exact, encode};
use crate::crypto::SuiteCrypto;
use crate::messages::GroupContext;
use crate::schedule::{ContentKind, SecretTree, SecretTreeUpdate, sender_data_key_nonce};
use crate::{Error, MisuseError, ValidationError};
use cohort_traits::{Crypto, CryptoError, Rand, Secret, Signer};
use subtle::ConstantTimeEq;

/// The signature label of FramedContentTBS (RFC 9420 section 6.1).
const TBS_LABEL: &[u8] = b"FramedContentTBS";

/// Signs `content` for `wire_format` (RFC 9420 section 6.1).
///
/// `context` is the current GroupContext, required for member and
/// new_member_commit senders. A commit's `confirmation_tag` is set by the
/// caller once the new epoch is known (it may be left `None` here and filled
/// in before protection).
pub fn sign_content<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    signer: &dyn Signer,
    wire_format: WireFormat,
    content: FramedContent,
    context: Option<&GroupContext>,
) -> Result<AuthenticatedContent, Error> {
    let mut ac = AuthenticatedContent {
        wire_format,
        content,
        auth: FramedContentAuthData {
            signature: VarBytes::default(),
            confirmation_tag: None,
        },
    };
    let tbs = ac.to_be_signed(context)?;
    ac.auth.signature = cs.sign_with_label(signer, TBS_LABEL, &tbs)?.into();
    Ok(ac)
}

/// Checks which content each sender type may send (RFC 9420 sections 6.1
/// and 12.1.8): an `external` sender only proposals of the types its column
/// of the registry allows (C-FRAME-12, C-FRAME-13), a `new_member_commit`
/// sender only a commit (C-FRAME-14), a `new_member_proposal` sender only an
/// Add proposal (C-FRAME-15).
pub fn check_sender_content(content: &FramedContent) -> Result<(), Error> {
    use super::FramedContentBody as Body;
    use crate::messages::Proposal;
    let ok = match (&content.sender, &content.body) {
        (Sender::Member(_), _) => true,
        (Sender::External(_), Body::Proposal(p)) => {
            p.proposal_type().external_sender_allowed() == Some(true)
        }
        (Sender::NewMemberCommit, Body::Commit(_)) => true,
        (Sender::NewMemberProposal, Body::Proposal(Proposal::Add(_))) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ValidationError::SenderContentMismatch {
            sender_type: content.sender.sender_type().into(),
            content_type: content.content_type().into(),
        }
        .into())
    }
}

/// Verifies the signature of `ac` under `signature_key` (RFC 9420 section
/// 6.1; check C-FRAME-08, C-FRAME-10, C-FRAME-11).
pub fn verify_content_signature<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    signature_key: &[u8],
    ac: &AuthenticatedContent,
    context: Option<&GroupContext>,
) -> Result<(), Error> {
    let tbs = ac.to_be_signed(context)?;
    cs.verify_with_label(signature_key, TBS_LABEL, &tbs, ac.auth.signature.as_slice())
}

/// `membership_tag = MAC(membership_key, AuthenticatedContentTBM)`
/// (RFC 9420 section 6.2).
pub fn membership_tag<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    membership_key: &Secret,
    ac: &AuthenticatedContent,
    context: &GroupContext,
) -> Result<Secret, Error> {
    cs.mac(membership_key.as_bytes(), &ac.to_be_maced(context)?)
}

/// Encodes signed content as a PublicMessage, adding the membership tag for
/// member senders (RFC 9420 section 6.2). Application data cannot be sent
/// in a PublicMessage (C-FRAME-06).
pub fn protect_public<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    membership_key: &Secret,
    context: &GroupContext,
    ac: AuthenticatedContent,
) -> Result<PublicMessage, Error> {
    if ac.content.content_type() == ContentType::Application {
        return Err(MisuseError::ApplicationDataInPublicMessage.into());
    }
    if ac.wire_format != WireFormat::PUBLIC_MESSAGE {
        return Err(MisuseError::WireFormatMismatch.into());
    }
    let membership_tag = match ac.content.sender {
        Sender::Member(_) => Some(VarBytes(
            membership_tag(cs, membership_key, &ac, context)?
                .as_bytes()
                .to_vec(),
        )),
        _ => None,
    };
    Ok(PublicMessage {
        content: ac.content,
        auth: ac.auth,
        membership_tag,
    })
}

/// Checks a received PublicMessage's framing and returns its
/// AuthenticatedContent: application data is refused (C-FRAME-06) and a
/// member's membership tag must verify under `membership_key` (C-FRAME-16).
/// The signature is checked by the caller, which knows the sender's key.
pub fn unprotect_public<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    membership_key: &Secret,
    context: &GroupContext,
    msg: &PublicMessage,
) -> Result<AuthenticatedContent, Error> {
    if msg.content.content_type() == ContentType::Application {
        return Err(ValidationError::ApplicationDataInPublicMessage.into());
    }
    let ac = msg.authenticated_content();
    if let Sender::Member(_) = msg.content.sender {
        let tag = msg
            .membership_tag
            .as_ref()
            .ok_or(ValidationError::MembershipTagMismatch)?;
        let expected = membership_tag(cs, membership_key, &ac, context)?;
        if !bool::from(expected.as_bytes().ct_eq(tag.as_slice())) {
            return Err(ValidationError::MembershipTagMismatch.into());
        }
    }
    Ok(ac)
}

/// The ratchet a content type uses (RFC 9420 section 6.3.1).
fn kind_of(content_type: ContentType) -> ContentKind {
    if content_type == ContentType::Application {
        ContentKind::Application
    } else {
        ContentKind::Handshake
    }
}

/// `nonce XOR (reuse_guard || 0...)` (RFC 9420 section 6.3.1).
fn guarded_nonce(nonce: &Secret, reuse_guard: [u8; 4]) -> Secret {
    let mut n = nonce.as_bytes().to_vec();
    for (b, g) in n.iter_mut().zip(reuse_guard) {
        *b ^= g;
    }
    Secret::new(n)
}

/// Encrypts signed content from a member as a PrivateMessage (RFC 9420
/// section 6.3) with `padding` zero bytes after the content.
///
/// Uses the sender's next generation of the ratchet for the content type and
/// a fresh random reuse guard. Returns the message and the secret-tree update
/// that consumes the generation; apply it before sending anything else.
pub fn protect_private<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    rand: &dyn Rand,
    tree: &SecretTree,
    sender_data_secret: &Secret,
    ac: &AuthenticatedContent,
    padding: usize,
) -> Result<(PrivateMessage, SecretTreeUpdate), Error> {
    let Sender::Member(leaf) = ac.content.sender else {
        return Err(MisuseError::PrivateMessageFromNonMember.into());
    };
    if ac.wire_format != WireFormat::PRIVATE_MESSAGE {
        return Err(MisuseError::WireFormatMismatch.into());
    }
    let content_type = ac.content.content_type();
    let (keys, update) = tree.encryption_keys(cs, leaf, kind_of(content_type))?;
    let mut reuse_guard = [0u8; 4];
    rand.fill(&mut reuse_guard)?;

    let content = PrivateMessageContent {
        body: ac.content.body.clone(),
        auth: ac.auth.clone(),
    };
    let plaintext = Secret::new(content.encode(padding)?);
    let mut msg = PrivateMessage {
        group_id: ac.content.group_id.clone(),
        epoch: ac.content.epoch,
        content_type,
        authenticated_data: ac.content.authenticated_data.clone(),
        encrypted_sender_data: VarBytes::default(),
        ciphertext: VarBytes::default(),
    };
    let aead = cs.params().aead;
    let nonce = guarded_nonce(&keys.nonce, reuse_guard);
    let aad = encode(&msg.content_aad())?;
    msg.ciphertext = cs
        .provider()
        .aead_seal(
            aead,
            keys.key.as_bytes(),
            nonce.as_bytes(),
            &aad,
            plaintext.as_bytes(),
        )?
        .into();

    let sender_data = encode(&SenderData {
        leaf_index: leaf,
        generation: keys.generation,
        reuse_guard,
    })?;
    let (sd_key, sd_nonce) =
        sender_data_key_nonce(cs, sender_data_secret.as_bytes(), msg.ciphertext.as_slice())?;
    let sd_aad = encode(&msg.sender_data_aad())?;
    msg.encrypted_sender_data = cs
        .provider()
        .aead_seal(
            aead,
            sd_key.as_bytes(),
            sd_nonce.as_bytes(),
            &sd_aad,
            &sender_data,
        )?
        .into();
    Ok((msg, update))
}

/// The sender of a PrivateMessage, read from its encrypted sender data
/// (RFC 9420 section 6.3.2; C-FRAME-18).
pub fn decrypt_sender_data<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    sender_data_secret: &Secret,
    msg: &PrivateMessage,
) -> Result<SenderData, Error> {
    let (sd_key, sd_nonce) =
        sender_data_key_nonce(cs, sender_data_secret.as_bytes(), msg.ciphertext.as_slice())?;
    let sd_aad = encode(&msg.sender_data_aad())?;
    let plaintext = cs
        .provider()
        .aead_open(
            cs.params().aead,
            sd_key.as_bytes(),
            sd_nonce.as_bytes(),
            &sd_aad,
            msg.encrypted_sender_data.as_slice(),
        )
        .map_err(|e| match e {
            CryptoError::AeadOpenFailed => {
                Error::Validation(ValidationError::SenderDataDecryptionFailed)
            }
            other => Error::Crypto(other),
        })?;
    decode_exact(plaintext.as_bytes())
}

/// Decrypts a PrivateMessage into its AuthenticatedContent (RFC 9420
/// section 6.3): sender data, then the content with the sender's ratchet key
/// for the header's content type (C-FRAME-17), then the padding check
/// (C-FRAME-20).
///
/// Returns the content and the secret-tree update that consumes the
/// generation; the caller applies it only once the message is accepted
/// (signature verified, C-FRAME-22), so a rejected message changes nothing.
/// Whether the sender's leaf is non-blank (C-FRAME-19) is the caller's
/// check, against the ratchet tree.
pub fn unprotect_private<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    tree: &SecretTree,
    sender_data_secret: &Secret,
    msg: &PrivateMessage,
) -> Result<(AuthenticatedContent, SecretTreeUpdate), Error> {
    let sender = decrypt_sender_data(cs, sender_data_secret, msg)?;
    let (keys, update) = tree.decryption_keys(
        cs,
        sender.leaf_index,
        kind_of(msg.content_type),
        sender.generation,
    )?;
    let nonce = guarded_nonce(&keys.nonce, sender.reuse_guard);
    let aad = encode(&msg.content_aad())?;
    let plaintext = cs
        .provider()
        .aead_open(
            cs.params().aead,
            keys.key.as_bytes(),
            nonce.as_bytes(),
            &aad,
            msg.ciphertext.as_slice(),
        )
        .map_err(|e| match e {
            CryptoError::AeadOpenFailed => {
                Error::Validation(ValidationError::ContentDecryptionFailed)
            }
            other => Error::Crypto(other),
        })?;
    let content = PrivateMessageContent::decode(msg.content_type, plaintext.as_bytes())?;
    let ac = AuthenticatedContent {
        wire_format: WireFormat::PRIVATE_MESSAGE,
        content: FramedContent {
            group_id: msg.group_id.clone(),
            epoch: msg.epoch,
            sender: Sender::Member(sender.leaf_index),
            authenticated_data: msg.authenticated_data.clone(),
            body: content.body,
        },
        auth: content.auth,
    };
    Ok((ac, update))
}
