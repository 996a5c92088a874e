//! The JSON bodies of the delivery service's API, with binary fields in
//! base64 (standard alphabet, padded).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

/// `serde(with)` helpers for a `Vec<u8>` as base64.
pub(crate) mod b64 {
    use super::{Engine, STANDARD};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|e| D::Error::custom(format!("invalid base64: {e}")))
    }
}

/// `serde(with)` helpers for an `Option<Vec<u8>>` as base64 (absent when
/// `None`).
pub(crate) mod b64_opt {
    use super::{Engine, STANDARD};
    use serde::Serializer;

    pub(crate) fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }
}

/// A group id as it appears in a URL path: base64url without padding.
pub fn group_path_id(group_id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(group_id)
}

#[derive(Serialize)]
pub(crate) struct ChallengeRequest<'a> {
    #[serde(with = "b64")]
    pub(crate) signature_key: &'a [u8],
    pub(crate) ciphersuite: u16,
}

#[derive(Deserialize)]
pub(crate) struct ChallengeResponse {
    #[serde(with = "b64")]
    pub(crate) challenge: Vec<u8>,
}

#[derive(Serialize)]
pub(crate) struct TokenRequest<'a> {
    #[serde(with = "b64")]
    pub(crate) signature_key: &'a [u8],
    pub(crate) ciphersuite: u16,
    #[serde(with = "b64")]
    pub(crate) challenge: &'a [u8],
    #[serde(with = "b64")]
    pub(crate) signature: &'a [u8],
}

#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) token: String,
}

#[derive(Serialize)]
pub(crate) struct RegisterRequest<'a> {
    pub(crate) identity: &'a str,
}

/// A KeyPackage upload: `serde` of a list of base64 strings.
#[derive(Serialize)]
pub(crate) struct KeyPackagesRequest {
    pub(crate) key_packages: Vec<String>,
    pub(crate) last_resort: bool,
}

#[derive(Deserialize)]
pub(crate) struct KeyPackagesResponse {
    pub(crate) stored: u64,
}

#[derive(Deserialize)]
pub(crate) struct KeyPackageResponse {
    #[serde(with = "b64")]
    pub(crate) key_package: Vec<u8>,
}

#[derive(Serialize)]
pub(crate) struct CreateGroupRequest<'a> {
    #[serde(with = "b64")]
    pub(crate) group_info: &'a [u8],
}

/// What the server answers to a group creation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CreatedGroup {
    /// The group id, from the GroupInfo.
    #[serde(with = "b64")]
    pub group_id: Vec<u8>,
    /// The group's epoch on the server.
    pub epoch: u64,
}

/// A message to a group, with what travels beside it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outgoing {
    /// The MLSMessage (a PublicMessage commit or proposal, or a
    /// PrivateMessage).
    #[serde(with = "b64")]
    pub message: Vec<u8>,
    /// The Welcome (an MLSMessage) of the members a commit adds.
    #[serde(with = "b64_opt", skip_serializing_if = "Option::is_none")]
    pub welcome: Option<Vec<u8>>,
    /// The group's GroupInfo (an MLSMessage) after a commit, kept by the
    /// server for external joins.
    #[serde(with = "b64_opt", skip_serializing_if = "Option::is_none")]
    pub group_info: Option<Vec<u8>>,
}

/// What the server answers to a message it accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct Sent {
    /// Its sequence number.
    pub seq: u64,
    /// The group's epoch after it.
    pub epoch: u64,
}

/// What an inbox entry carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// A message of a group this client is in.
    Message,
    /// A Welcome to a group.
    Welcome,
    /// A kind this client does not know (a newer server's).
    #[serde(other)]
    Unknown,
}

/// One entry of the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct InboxEntry {
    /// Its sequence number (increasing).
    pub seq: u64,
    /// The group it belongs to.
    #[serde(with = "b64")]
    pub group_id: Vec<u8>,
    /// What it is.
    pub kind: InboxKind,
    /// The MLSMessage.
    #[serde(with = "b64")]
    pub data: Vec<u8>,
}

/// A page of the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Inbox {
    /// The entries after the cursor asked for, in order.
    pub messages: Vec<InboxEntry>,
    /// The cursor to ask with next.
    pub next: u64,
}

/// A group's latest GroupInfo.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GroupInfo {
    /// The GroupInfo (an MLSMessage).
    #[serde(with = "b64")]
    pub group_info: Vec<u8>,
    /// Its epoch.
    pub epoch: u64,
}

/// One member in the server's view of a group.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct MemberEntry {
    /// Its leaf.
    pub leaf_index: u32,
    /// Its identity.
    pub identity: String,
    /// Its signature public key.
    #[serde(with = "b64")]
    pub signature_key: Vec<u8>,
}

/// The server's view of a group's members.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Members {
    /// The epoch of the view.
    pub epoch: u64,
    /// The members, by leaf.
    pub members: Vec<MemberEntry>,
}

/// An error body: `{"error": code, "message": text, "epoch"?: n}`.
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: String,
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) epoch: Option<u64>,
}

/// Base64 (standard, padded) of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}
