//! message-protection.json: PublicMessage and PrivateMessage protection
//! (RFC 9420 sections 6.1 to 6.3).

use crate::json::{expect_eq, hex, uint};
use crate::{KeySigner, Tally};
use cohort::codec::{decode_exact, encode};
use cohort::crypto::SuiteCrypto;
use cohort::framing::{
    self, AuthenticatedContent, FramedContent, FramedContentBody, MlsMessage, MlsMessageBody,
    Sender, WireFormat,
};
use cohort::messages::{Commit, GroupContext, Proposal};
use cohort::schedule::{RatchetConfig, SecretTree};
use cohort_traits::{Crypto, Rand, Secret};
use serde_json::Value;

pub(crate) fn run<C: Crypto + ?Sized>(
    crypto: &C,
    rand: &dyn Rand,
    file: &str,
    cases: &[Value],
) -> Tally {
    crate::per_suite(crypto, file, cases, |cs, case| check(cs, rand, case))
}

struct Ctx<'a, 'b, C: Crypto + ?Sized> {
    cs: &'b SuiteCrypto<'a, C>,
    rand: &'b dyn Rand,
    context: GroupContext,
    signer: KeySigner<'a, C>,
    signature_pub: Vec<u8>,
    encryption_secret: Vec<u8>,
    sender_data_secret: Secret,
    membership_key: Secret,
}

fn check<C: Crypto + ?Sized>(
    cs: &SuiteCrypto<'_, C>,
    rand: &dyn Rand,
    case: &Value,
) -> Result<(), String> {
    let context = crate::group_context(
        cs,
        &hex(case, "group_id")?,
        uint(case, "epoch")?,
        hex(case, "tree_hash")?,
        hex(case, "confirmed_transcript_hash")?,
    );
    let ctx = Ctx {
        cs,
        rand,
        context,
        signer: crate::key_signer(cs, hex(case, "signature_priv")?)?,
        signature_pub: hex(case, "signature_pub")?,
        encryption_secret: hex(case, "encryption_secret")?,
        sender_data_secret: Secret::new(hex(case, "sender_data_secret")?),
        membership_key: Secret::new(hex(case, "membership_key")?),
    };
    let e = |what: &'static str| move |e: cohort::Error| format!("{what}: {e}");

    let proposal: Proposal = decode_exact(&hex(case, "proposal")?).map_err(e("proposal"))?;
    let commit: Commit = decode_exact(&hex(case, "commit")?).map_err(e("commit"))?;
    let application = hex(case, "application")?;

    // Commits carry a confirmation tag; reuse the one of the vector's message.
    let commit_pub = public_message(&hex(case, "commit_pub")?)?;
    let tag = commit_pub.auth.confirmation_tag.clone();

    for (name, body, tag) in [
        ("proposal", FramedContentBody::Proposal(proposal), None),
        ("commit", FramedContentBody::Commit(commit), tag),
    ] {
        // The vector's PublicMessage unprotects and carries the raw value.
        let msg = public_message(&hex(case, &format!("{name}_pub"))?)?;
        let ac = ctx
            .open_public(&msg)
            .map_err(|err| format!("{name}_pub: {err}"))?;
        expect_body(name, &ac.content.body, &body)?;
        // Protecting the raw value gives a PublicMessage that unprotects.
        let mine = ctx
            .protect_public(body.clone(), tag.clone())
            .map_err(|err| format!("protect {name}: {err}"))?;
        let ac = ctx
            .open_public(&mine)
            .map_err(|err| format!("own {name} PublicMessage: {err}"))?;
        expect_body(name, &ac.content.body, &body)?;
        ctx.check_private(name, case, &body, tag)?;
    }

    let body = FramedContentBody::Application(application.into());
    if ctx.protect_public(body.clone(), None).is_ok() {
        return Err("application data was protected as a PublicMessage".into());
    }
    ctx.check_private("application", case, &body, None)
}

fn public_message(bytes: &[u8]) -> Result<framing::PublicMessage, String> {
    match decode_exact::<MlsMessage>(bytes)
        .map_err(|e| e.to_string())?
        .body
    {
        MlsMessageBody::PublicMessage(m) => Ok(m),
        _ => Err("not a PublicMessage".into()),
    }
}

fn private_message(bytes: &[u8]) -> Result<framing::PrivateMessage, String> {
    match decode_exact::<MlsMessage>(bytes)
        .map_err(|e| e.to_string())?
        .body
    {
        MlsMessageBody::PrivateMessage(m) => Ok(m),
        _ => Err("not a PrivateMessage".into()),
    }
}

fn expect_body(
    name: &str,
    got: &FramedContentBody,
    want: &FramedContentBody,
) -> Result<(), String> {
    let mut g = Vec::new();
    let mut w = Vec::new();
    got.encode_body(&mut g).map_err(|e| e.to_string())?;
    want.encode_body(&mut w).map_err(|e| e.to_string())?;
    expect_eq(&format!("{name} content"), &g, &w)
}

impl<C: Crypto + ?Sized> Ctx<'_, '_, C> {
    fn tree(&self) -> Result<SecretTree, String> {
        SecretTree::new(
            Secret::new(self.encryption_secret.clone()),
            2,
            RatchetConfig::default(),
        )
        .map_err(|e| e.to_string())
    }

    fn content(&self, body: FramedContentBody) -> FramedContent {
        FramedContent {
            group_id: self.context.group_id.clone(),
            epoch: self.context.epoch,
            sender: Sender::Member(1),
            authenticated_data: Default::default(),
            body,
        }
    }

    fn sign(
        &self,
        wire_format: WireFormat,
        body: FramedContentBody,
        tag: Option<cohort::messages::Mac>,
    ) -> Result<AuthenticatedContent, cohort::Error> {
        let mut ac = framing::sign_content(
            self.cs,
            &self.signer,
            wire_format,
            self.content(body),
            Some(&self.context),
        )?;
        ac.auth.confirmation_tag = tag;
        Ok(ac)
    }

    fn protect_public(
        &self,
        body: FramedContentBody,
        tag: Option<cohort::messages::Mac>,
    ) -> Result<framing::PublicMessage, cohort::Error> {
        let ac = self.sign(WireFormat::PUBLIC_MESSAGE, body, tag)?;
        let msg = framing::protect_public(self.cs, &self.membership_key, &self.context, ac)?;
        // Through the wire and back.
        decode_exact(&encode(&msg)?)
    }

    fn open_public(
        &self,
        msg: &framing::PublicMessage,
    ) -> Result<AuthenticatedContent, cohort::Error> {
        let ac = framing::unprotect_public(self.cs, &self.membership_key, &self.context, msg)?;
        framing::verify_content_signature(self.cs, &self.signature_pub, &ac, Some(&self.context))?;
        Ok(ac)
    }

    fn open_private(&self, msg: &framing::PrivateMessage) -> Result<AuthenticatedContent, String> {
        let tree = self.tree()?;
        let (ac, _update) =
            framing::unprotect_private(self.cs, &tree, &self.sender_data_secret, msg)
                .map_err(|e| e.to_string())?;
        if ac.content.sender != Sender::Member(1) {
            return Err(format!("sender {:?}, want member 1", ac.content.sender));
        }
        framing::verify_content_signature(self.cs, &self.signature_pub, &ac, Some(&self.context))
            .map_err(|e| e.to_string())?;
        Ok(ac)
    }

    fn check_private(
        &self,
        name: &str,
        case: &Value,
        body: &FramedContentBody,
        tag: Option<cohort::messages::Mac>,
    ) -> Result<(), String> {
        let msg = private_message(&hex(case, &format!("{name}_priv"))?)?;
        let ac = self
            .open_private(&msg)
            .map_err(|e| format!("{name}_priv: {e}"))?;
        expect_body(name, &ac.content.body, body)?;

        let ac = self
            .sign(WireFormat::PRIVATE_MESSAGE, body.clone(), tag)
            .map_err(|e| format!("sign {name}: {e}"))?;
        let tree = self.tree()?;
        let (mine, _update) =
            framing::protect_private(self.cs, self.rand, &tree, &self.sender_data_secret, &ac, 7)
                .map_err(|e| format!("protect {name} privately: {e}"))?;
        let mine: framing::PrivateMessage =
            decode_exact(&encode(&mine).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        let got = self
            .open_private(&mine)
            .map_err(|e| format!("own {name} PrivateMessage: {e}"))?;
        expect_body(name, &got.content.body, body)
    }
}
