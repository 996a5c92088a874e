//! messages.json: every wire structure decodes and re-encodes byte for byte
//! (RFC 9420 sections 6, 7, 10, 12; test-vectors.md "Messages").

use crate::json::hex;
use crate::{Outcome, Tally};
use cohort::codec::tls_codec::{DeserializeBytes, SerializeBytes};
use cohort::codec::{decode_exact, encode};
use cohort::framing::{ContentType, MlsMessage, MlsMessageBody};
use cohort::messages::{
    Add, Commit, ExternalInit, GroupContextExtensions, GroupSecrets, PreSharedKey,
    RatchetTreeExtension, ReInit, Remove, Update,
};
use cohort_traits::{Crypto, Rand};
use serde_json::Value;

pub(crate) fn run<C: Crypto + ?Sized>(_: &C, _: &dyn Rand, file: &str, cases: &[Value]) -> Tally {
    let mut tally = Tally::default();
    for (i, case) in cases.iter().enumerate() {
        tally.record(file, None, i, Outcome::from(check(case)));
    }
    tally
}

/// Decodes field `name` as a `T` and re-encodes it; returns the value.
fn round_trip<T: DeserializeBytes + SerializeBytes>(case: &Value, name: &str) -> Result<T, String> {
    let bytes = hex(case, name)?;
    let value: T = decode_exact(&bytes).map_err(|e| format!("{name}: decode: {e}"))?;
    let again = encode(&value).map_err(|e| format!("{name}: encode: {e}"))?;
    if again != bytes {
        return Err(format!("{name}: re-encoding differs"));
    }
    Ok(value)
}

/// The kinds of MLSMessage body the vector fields hold.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Public(ContentType),
    Private,
    Welcome,
    GroupInfo,
    KeyPackage,
}

fn kind(message: &MlsMessage) -> Kind {
    match &message.body {
        MlsMessageBody::PublicMessage(m) => Kind::Public(m.content.content_type()),
        MlsMessageBody::PrivateMessage(_) => Kind::Private,
        MlsMessageBody::Welcome(_) => Kind::Welcome,
        MlsMessageBody::GroupInfo(_) => Kind::GroupInfo,
        MlsMessageBody::KeyPackage(_) => Kind::KeyPackage,
    }
}

fn check(case: &Value) -> Result<(), String> {
    let messages = [
        ("mls_welcome", Kind::Welcome),
        ("mls_group_info", Kind::GroupInfo),
        ("mls_key_package", Kind::KeyPackage),
        (
            "public_message_application",
            Kind::Public(ContentType::Application),
        ),
        (
            "public_message_proposal",
            Kind::Public(ContentType::Proposal),
        ),
        ("public_message_commit", Kind::Public(ContentType::Commit)),
        ("private_message", Kind::Private),
    ];
    for (name, want) in messages {
        let message: MlsMessage = round_trip(case, name)?;
        let got = kind(&message);
        if got != want {
            return Err(format!("{name}: holds {got:?}, want {want:?}"));
        }
    }
    round_trip::<RatchetTreeExtension>(case, "ratchet_tree")?;
    round_trip::<GroupSecrets>(case, "group_secrets")?;
    round_trip::<Add>(case, "add_proposal")?;
    round_trip::<Update>(case, "update_proposal")?;
    round_trip::<Remove>(case, "remove_proposal")?;
    round_trip::<PreSharedKey>(case, "pre_shared_key_proposal")?;
    round_trip::<ReInit>(case, "re_init_proposal")?;
    round_trip::<ExternalInit>(case, "external_init_proposal")?;
    round_trip::<GroupContextExtensions>(case, "group_context_extensions_proposal")?;
    round_trip::<Commit>(case, "commit")?;
    Ok(())
}
