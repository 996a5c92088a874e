//! The server-side view of a group, behind [`GroupView`] so the HTTP layer
//! and the storage do not depend on how it is computed.
//!
//! [`PublicGroupView`] is the implementation: the core's
//! [`PublicGroup`](cohort::group::PublicGroup), built from a GroupInfo
//! (tree, tree hash, GroupInfo signature, leaf signatures, parent hashes)
//! and following every PublicMessage proposal and commit of the current
//! epoch as far as a non-member can check them (content signature, sender
//! a member, proposal-list validity, the public part of the UpdatePath),
//! computing each new GroupContext and transcript hash.

use cohort::framing::{MlsMessage, MlsMessageBody};
use cohort::group::{Limits, PublicGroup, PublicProcessed};
use cohort::messages::Credential;
use cohort::{Error, ValidationError};
use cohort_rust_crypto::RustCrypto;

/// One member as the view sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewMember {
    /// Its leaf index.
    pub leaf_index: u32,
    /// The basic credential's identity (lossy UTF-8; empty for other
    /// credential types).
    pub identity: String,
    /// Its signature public key.
    pub signature_key: Vec<u8>,
}

/// What a handshake message was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Processed {
    /// A proposal, kept as pending for the epoch.
    Proposal,
    /// A commit, applied: the view is in the next epoch.
    Commit,
}

/// Why the view refused a message.
#[derive(Debug)]
pub enum ViewError {
    /// The message is for an epoch the group has left (the group's current
    /// epoch is given).
    StaleEpoch(u64),
    /// The message breaks a check, named by `code` and `message`.
    Invalid {
        /// A snake_case name of the check.
        code: String,
        /// The failed check in words.
        message: String,
    },
    /// The sender is not a member (or not the authenticated client).
    Forbidden(String),
}

impl ViewError {
    /// A named failed check.
    pub fn invalid(code: &str, message: impl Into<String>) -> Self {
        ViewError::Invalid {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// `SomeName { .. }` -> `some_name`.
fn snake_case_name(debug: &str) -> String {
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl From<Error> for ViewError {
    /// A core error, named after the check that failed: a validation rule
    /// or limit by its variant (`InvalidSignature` -> `invalid_signature`),
    /// bytes that do not decode as `invalid_message`.
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::Validation(v) => snake_case_name(&format!("{v:?}")),
            Error::Limit(l) => snake_case_name(&format!("{l:?}")),
            Error::Crypto(c) => snake_case_name(&format!("{c:?}")),
            _ => "invalid_message".to_string(),
        };
        ViewError::Invalid {
            code,
            message: e.to_string(),
        }
    }
}

/// The server-side state of one group.
pub trait GroupView: Sized + Send + 'static {
    /// Builds the view from a GroupInfo (with its ratchet tree extension).
    fn from_group_info(group_info: &MlsMessage, limits: &Limits) -> Result<Self, ViewError>;
    /// Checks a handshake message (PublicMessage) and applies it. On error
    /// the view is unchanged.
    fn process(&mut self, message: &MlsMessage) -> Result<Processed, ViewError>;
    /// The members.
    fn members(&self) -> Vec<ViewMember>;
    /// The current epoch.
    fn epoch(&self) -> u64;
    /// The group id.
    fn group_id(&self) -> &[u8];
    /// Encodes the state for storage.
    fn to_bytes(&self) -> Result<Vec<u8>, ViewError>;
    /// Decodes stored state.
    fn from_bytes(bytes: &[u8], limits: &Limits) -> Result<Self, ViewError>;
}

/// See the module documentation.
#[derive(Debug)]
pub struct PublicGroupView(PublicGroup);

impl GroupView for PublicGroupView {
    fn from_group_info(group_info: &MlsMessage, limits: &Limits) -> Result<Self, ViewError> {
        if !matches!(group_info.body, MlsMessageBody::GroupInfo(_)) {
            return Err(ViewError::invalid(
                "not_a_group_info",
                "group_info is not an MLSMessage(GroupInfo)",
            ));
        }
        Ok(PublicGroupView(PublicGroup::from_group_info(
            &RustCrypto::new(),
            group_info,
            None,
            limits,
        )?))
    }

    fn process(&mut self, message: &MlsMessage) -> Result<Processed, ViewError> {
        if !matches!(message.body, MlsMessageBody::PublicMessage(_)) {
            return Err(ViewError::invalid(
                "not_a_public_message",
                "a handshake message must be a PublicMessage",
            ));
        }
        match self.0.process(&RustCrypto::new(), message) {
            Ok(PublicProcessed::Proposal { .. }) => Ok(Processed::Proposal),
            Ok(PublicProcessed::Commit(_)) => Ok(Processed::Commit),
            Err(Error::Validation(ValidationError::EpochNotCurrent { epoch, current }))
                if epoch < current =>
            {
                Err(ViewError::StaleEpoch(current))
            }
            Err(Error::Validation(ValidationError::EpochNotCurrent { epoch, current })) => {
                Err(ViewError::invalid(
                    "future_epoch",
                    format!("message for epoch {epoch}, the group is in epoch {current}"),
                ))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn members(&self) -> Vec<ViewMember> {
        self.0
            .members()
            .into_iter()
            .map(|m| ViewMember {
                leaf_index: m.index.0,
                identity: match &m.credential {
                    Credential::Basic { identity } => {
                        String::from_utf8_lossy(identity.as_slice()).into_owned()
                    }
                    _ => String::new(),
                },
                signature_key: m.signature_key,
            })
            .collect()
    }

    fn epoch(&self) -> u64 {
        self.0.epoch()
    }

    fn group_id(&self) -> &[u8] {
        self.0.group_id()
    }

    fn to_bytes(&self) -> Result<Vec<u8>, ViewError> {
        Ok(self.0.to_bytes()?)
    }

    fn from_bytes(bytes: &[u8], limits: &Limits) -> Result<Self, ViewError> {
        Ok(PublicGroupView(PublicGroup::from_bytes(
            &RustCrypto::new(),
            bytes,
            limits,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case_name;

    #[test]
    fn check_names() {
        assert_eq!(snake_case_name("InvalidSignature"), "invalid_signature");
        assert_eq!(
            snake_case_name("EpochNotCurrent { epoch: 1, current: 2 }"),
            "epoch_not_current"
        );
        assert_eq!(snake_case_name("TooManyLeaves(3)"), "too_many_leaves");
    }
}
